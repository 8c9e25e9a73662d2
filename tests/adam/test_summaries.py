"""derive_var_merged_summary: hand-computed expectations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adamforge.adam.registry import check_arguments
from adamforge.adam.summaries import derive_var_merged_summary
from adamforge.errors import DataError


def _adsl():
    return pd.DataFrame({"USUBJID": ["S1", "S2", "S3"]})


def _ex():
    # S1: doses 10, 20, 20 on days 1, 3, 2; S2: one dose missing, one 5 (day 2, day 1); S3: none
    return pd.DataFrame(
        {
            "USUBJID": ["S1", "S1", "S1", "S2", "S2"],
            "EXDY": [1, 3, 2, 2, 1],
            "EXDOSE": [10.0, 20.0, 20.0, np.nan, 5.0],
            "EXTRT": ["A", "A", "A", "B", "B"],
        }
    )


def _summ(summary, **kw):
    return derive_var_merged_summary(
        _adsl(), _ex(), by_vars=["USUBJID"], new_var="X", source_var="EXDOSE", summary=summary, **kw
    )["X"]


def test_sum_and_mean_skip_missing():
    # S1: 10 + 20 + 20 = 50, mean 50/3; S2: only 5 present -> sum 5, mean 5; S3: no records -> missing
    s, m = _summ("sum"), _summ("mean")
    assert s.iloc[:2].tolist() == [50.0, 5.0] and pd.isna(s.iloc[2])
    assert m.iloc[0] == pytest.approx(50 / 3) and m.iloc[1] == 5.0 and pd.isna(m.iloc[2])


def test_count_and_n_distinct_are_zero_without_records():
    # count of non-missing: S1 3, S2 1 (one missing), S3 0; distinct: S1 {10, 20} = 2, S2 {5} = 1, S3 0
    assert _summ("count").tolist() == [3, 1, 0]
    assert _summ("n_distinct").tolist() == [2, 1, 0]


def test_min_max():
    # S1 min 10 max 20; S2 min = max = 5
    assert _summ("min").iloc[:2].tolist() == [10.0, 5.0]
    assert _summ("max").iloc[:2].tolist() == [20.0, 5.0]


def test_first_last_by_order_keep_missing_values():
    # S1 by EXDY: day1 10, day2 20, day3 20 -> first 10, last 20
    # S2 by EXDY: day1 5, day2 missing -> first 5, last missing (first/last do not skip missing)
    first, last = _summ("first", order=["EXDY"]), _summ("last", order=["EXDY"])
    assert first.iloc[:2].tolist() == [10.0, 5.0]
    assert last.iloc[0] == 20.0 and pd.isna(last.iloc[1])
    # descending EXDY: S2 first is the day-2 record (missing)
    assert pd.isna(_summ("first", order=["-EXDY"]).iloc[1])


def test_filter_add_and_missing_value():
    # only EXTRT A (S1's records): S2 and S3 have no records -> missing_value 0
    out = _summ("sum", filter_add={"EXTRT": "A"}, missing_value=0)
    assert out.tolist() == [50.0, 0.0, 0.0]


def test_text_last_value():
    out = derive_var_merged_summary(
        _adsl(), _ex(), by_vars=["USUBJID"], new_var="T", source_var="EXTRT", summary="last", order=["EXDY"]
    )
    assert out["T"].iloc[:2].tolist() == ["A", "B"] and pd.isna(out["T"].iloc[2])


def test_bad_summary_and_order_misuse():
    with pytest.raises(ValueError, match="derive_var_merged_summary: summary must be one of"):
        _summ("median")
    with pytest.raises(ValueError, match="order applies to summary 'first'/'last' only"):
        _summ("sum", order=["EXDY"])


def test_missing_variable_named():
    with pytest.raises(DataError, match="derive_var_merged_summary.*EXDOSE"):
        derive_var_merged_summary(
            _adsl(), _ex().drop(columns="EXDOSE"), by_vars=["USUBJID"], new_var="X", source_var="EXDOSE", summary="sum"
        )


def test_input_not_modified_and_arguments_bind():
    adsl = _adsl()
    derive_var_merged_summary(adsl, _ex(), by_vars=["USUBJID"], new_var="X", source_var="EXDOSE", summary="sum")
    assert list(adsl.columns) == ["USUBJID"]
    assert (
        check_arguments(
            derive_var_merged_summary,
            {
                "by_vars": ["STUDYID", "USUBJID"],
                "new_var": "CUMDOSE",
                "source_var": "EXDOSE",
                "summary": "sum",
                "filter_add": {"EXDOSE": {"gt": 0}},
                "missing_value": 0,
            },
            complete=True,
        )
        == []
    )
