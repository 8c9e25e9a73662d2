"""SAS rounding (half away from zero, binary noise forgiven) and the cell formats."""

from decimal import Decimal

import pytest

from adamforge.tlf import fmt


@pytest.mark.parametrize(
    "x, nd, expected, python_round",
    [
        (0.125, 2, "0.13", 0.12),  # Python rounds half to even
        (2.5, 0, "3", 2),
        (-2.5, 0, "-3", -2),
        (2.675, 2, "2.68", 2.67),  # 2.675 is 2.67499999... in binary: Python gives 2.67
        (3.25, 1, "3.3", 3.2),
        (100 * 29 / 200, 1, "14.5", 14.5),  # 14.499999999999998 in binary arithmetic
        (100 * 29 / 200, 0, "15", 14),
        (1.005, 2, "1.01", 1.0),
    ],
)
def test_round_half_away_differs_from_python_round(x, nd, expected, python_round):
    assert str(fmt.round_half_away(x, nd)) == expected
    assert round(x, nd) == python_round  # the case really differs (or pins the binary trap)


def test_percent_is_exact():
    assert fmt.percent(29, 200) == Decimal("14.5")
    assert fmt.fmt_num(fmt.percent(1, 8), 0) == "13"  # 12.5 -> 13 (half-even would give 12)
    assert fmt.fmt_n_pct(113, 174) == "113 (64.9)"
    assert fmt.fmt_n_pct(1, 16) == "1 (6.3)"  # 6.25 -> 6.3
    assert fmt.fmt_n_over_n_pct(110, 174) == "110/174 (63.2)"
    with pytest.raises(ValueError):
        fmt.percent(1, 0)


def test_negative_zero_is_not_shown():
    assert fmt.fmt_num(-0.04, 1) == "0.0"
    assert fmt.fmt_num(-0.05, 1) == "-0.1"


def test_plan_formats():
    assert fmt.fmt_median_range(34.5, 12, 82) == "34.5 (12-82)"
    assert fmt.fmt_median_range(15.3, 0.04, 79.1) == "15.3 (0-79.1)"
    assert fmt.fmt_median_range(37.0, 12.0, 85.0) == "37.0 (12-85)"
    assert fmt.fmt_mean_sd(9.25, 5.25) == "9.3 (5.3)"
    assert fmt.fmt_mean_sd(4.0, None) == "4.0 (-)"
    assert fmt.fmt_or_ci(3.4049, 2.0451, 5.665) == "3.40 (2.05, 5.67)"
    assert fmt.fmt_or_ci(float("inf"), 1.0, 2.0) == ""


@pytest.mark.parametrize(
    "p, text, mark",
    [
        (0.00004, "<0.0001", "****"),
        (0.0001, "0.0001", "***"),
        (0.00099, "0.0010", "***"),
        (0.001, "0.0010", "**"),
        (0.0099, "0.0099", "**"),
        (0.01, "0.0100", "*"),
        (0.04999, "0.0500", "*"),
        (0.05, "0.0500", ""),
        (0.99999, ">0.9999", ""),
        (1.0, "1.0000", ""),
    ],
)
def test_pvalue_text_and_significance_mark(p, text, mark):
    assert fmt.fmt_pvalue(p) == text
    assert fmt.sig_mark(p) == mark


def test_missing_values_format_as_blank():
    assert fmt.fmt_num(None, 1) == "" and fmt.fmt_num(float("nan"), 1) == ""
    assert fmt.fmt_pvalue(float("nan")) == "" and fmt.sig_mark(None) == ""
    with pytest.raises(ValueError):
        fmt.round_half_away(float("inf"), 1)
