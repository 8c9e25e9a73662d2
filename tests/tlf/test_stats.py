"""Logistic regression, separation detection with Firth fallback, CMH, Fisher: hand-computed values."""

import math

import numpy as np
import pandas as pd
import pytest

from adamforge.tlf import stats


def _frame(cells):
    """cells: {(arm, stratum): (responders, n)} -> one record per subject."""
    rows = []
    for (arm, s), (r, n) in cells.items():
        rows += [{"ARM": arm, "S": s, "Y": 1.0 if i < r else 0.0} for i in range(n)]
    return pd.DataFrame(rows)


def test_logistic_two_by_two_matches_closed_form():
    # active 6/10, reference 3/10: OR = (6/4)/(3/7) = 3.5; SE = sqrt(1/6+1/4+1/3+1/7) = 0.944911
    df = _frame({(2, "A"): (6, 10), (1, "A"): (3, 10)})
    r = stats.compare_logistic(df, response="Y", arm_var="ARM", reference=1, active=2)
    assert r.method == "logistic" and not r.separation
    assert r.odds_ratio == pytest.approx(3.5, rel=1e-6)
    assert r.lcl == pytest.approx(0.549235, rel=1e-5)
    assert r.ucl == pytest.approx(22.30375, rel=1e-5)
    assert r.p_value == pytest.approx(0.184906, rel=1e-4)
    assert r.n_obs == 20


def test_zero_responders_in_an_arm_falls_back_to_firth_with_a_finite_flagged_estimate():
    # active 0/10, reference 5/10. Firth on a 2x2 = Haldane: OR = (0.5/10.5)/(5.5/5.5) = 0.047619
    df = _frame({(2, "A"): (0, 10), (1, "A"): (5, 10)})
    r = stats.compare_logistic(df, response="Y", arm_var="ARM", reference=1, active=2)
    assert r.separation and r.method == "firth"
    assert r.reason == "active arm has 0% responders"
    assert r.odds_ratio == pytest.approx(0.5 / 10.5, rel=1e-6)
    assert all(math.isfinite(v) for v in (r.odds_ratio, r.lcl, r.ucl, r.p_value))
    assert r.lcl < r.odds_ratio < r.ucl < 2
    assert 0.001 < r.p_value < 0.05


def test_hundred_percent_responders_in_reference_is_detected():
    df = _frame({(2, "A"): (4, 8), (1, "A"): (8, 8)})
    r = stats.compare_logistic(df, response="Y", arm_var="ARM", reference=1, active=2)
    assert r.separation and r.reason == "reference arm has 100% responders"
    # Haldane: (4.5/4.5)/(8.5/0.5) = 1/17
    assert r.odds_ratio == pytest.approx(1 / 17, rel=1e-6)


def test_separation_through_a_covariate_is_caught_from_the_fit():
    # no zero cell for the arm, but every subject of study B responds: the study coefficient diverges
    df = _frame({(2, "A"): (3, 5), (1, "A"): (1, 5), (2, "B"): (5, 5), (1, "B"): (5, 5)})
    r = stats.compare_logistic(df, response="Y", arm_var="ARM", reference=1, active=2, covariates=["S"])
    assert r.separation and r.method == "firth"
    assert r.reason.startswith("maximum likelihood fit unreliable")
    assert math.isfinite(r.odds_ratio) and math.isfinite(r.ucl)


def test_firth_matches_haldane_and_keeps_fixed_coefficients_at_zero():
    X = np.column_stack([np.ones(4), [1, 1, 0, 0]])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    w = np.array([3, 2, 4, 1])  # expand: active 3/5 (3 resp, 2 non), reference 1/5
    Xe, ye = np.repeat(X, w, axis=0), np.repeat(y, w)
    beta, cov, _lp = stats.firth_logit(Xe, ye)
    assert math.exp(beta[1]) == pytest.approx((3.5 / 2.5) / (1.5 / 4.5), rel=1e-6)
    b0, _c, _l = stats.firth_logit(Xe, ye, fixed_zero=(1,))
    assert b0[1] == 0.0


def test_missing_response_is_refused():
    df = pd.DataFrame({"ARM": [1, 2], "Y": [1.0, np.nan]})
    with pytest.raises(ValueError, match="missing values"):
        stats.compare_logistic(df, response="Y", arm_var="ARM", reference=1, active=2)


def test_cmh_matches_hand_computation():
    # A: active 4/5, ref 1/5; B: active 2/5, ref 2/5
    # MH OR = (4*4/10 + 2*3/10) / (1*1/10 + 3*2/10) = 2.2/0.7; CMH = 1.5^2 / (625/900 + 600/900)
    df = _frame({(2, "A"): (4, 5), (1, "A"): (1, 5), (2, "B"): (2, 5), (1, "B"): (2, 5)})
    r = stats.compare_cmh(df, response="Y", arm_var="ARM", reference=1, active=2, strata="S")
    assert r.odds_ratio == pytest.approx(2.2 / 0.7, rel=1e-9)
    assert r.statistic == pytest.approx(2.25 / (1225 / 900), rel=1e-9)
    assert r.p_value == pytest.approx(0.198543, rel=1e-4)
    assert r.n_strata == 2


def test_cmh_skips_strata_with_an_empty_arm_and_is_nan_without_responders():
    df = _frame({(2, "A"): (4, 5), (1, "A"): (1, 5), (2, "C"): (1, 3)})
    assert stats.compare_cmh(df, response="Y", arm_var="ARM", reference=1, active=2, strata="S").n_strata == 1
    none = _frame({(2, "A"): (0, 5), (1, "A"): (0, 5)})
    r = stats.compare_cmh(none, response="Y", arm_var="ARM", reference=1, active=2, strata="S")
    assert math.isnan(r.p_value) and math.isnan(r.odds_ratio)


def test_fisher_exact():
    df = _frame({(2, "A"): (0, 10), (1, "A"): (5, 10)})
    # two-sided Fisher for [[0,10],[5,5]]: 2 * C(10,5)*C(10,0)/C(20,5) = 2*252/15504
    assert stats.compare_fisher(df, response="Y", arm_var="ARM", reference=1, active=2) == pytest.approx(
        2 * 252 / 15504, rel=1e-9
    )


def test_cmh_p_value_is_not_rounded_to_zero():
    """A very strong effect: 1 - cdf underflows to 0.0; the survival function keeps the p-value."""
    from scipy.stats import chi2

    df = _frame({(2, "A"): (190, 200), (1, "A"): (10, 200), (2, "B"): (185, 200), (1, "B"): (12, 200)})
    r = stats.compare_cmh(df, response="Y", arm_var="ARM", reference=1, active=2, strata="S")
    assert 0 < r.p_value < 1e-30
    assert r.p_value == pytest.approx(chi2.sf(r.statistic, 1), rel=1e-12)
