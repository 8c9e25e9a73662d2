"""ISO 8601 dates with partial-date imputation; study days."""

from __future__ import annotations

import pandas as pd
import pytest

from adamforge.adam.dates import compute_dt, compute_dy, derive_vars_dt, invalid_dtc
from adamforge.errors import DataError


def _iso(s):
    return [None if pd.isna(x) else str(x.date()) for x in s]


def test_compute_dt_imputes_day_and_month_with_flags():
    d, f = compute_dt(pd.Series(["2019-03-14", "2019-03", "2019", "", "2019-03-14T10:30"]), highest_imputation="M")
    assert _iso(d) == ["2019-03-14", "2019-03-01", "2019-01-01", None, "2019-03-14"]
    assert list(f) == ["", "D", "M", "", ""]


def test_compute_dt_last_and_no_imputation():
    d, f = compute_dt(pd.Series(["2020-02", "2019"]), highest_imputation="M", date_imputation="last")
    assert _iso(d) == ["2020-02-29", "2019-12-31"]
    d, f = compute_dt(pd.Series(["2020-02", "2019"]), highest_imputation="D")
    assert _iso(d) == ["2020-02-01", None]
    assert list(f) == ["D", ""]
    d, _ = compute_dt(pd.Series(["2020-02"]))
    assert _iso(d) == [None]


def test_invalid_dtc_flags_unparseable_and_partial_unless_allowed():
    s = pd.Series(["2019-02-30", "2019-13", "2019", "14MAR2019", "", "2019-03-14"])
    assert invalid_dtc(s).tolist() == [True, True, True, True, False, False]
    assert invalid_dtc(s, allow_partial=True).tolist() == [True, True, False, True, False, False]


def test_derive_vars_dt_does_not_modify_input_and_checks_variables():
    df = pd.DataFrame({"MHSTDTC": ["2001-06"]})
    out = derive_vars_dt(df, dtc="MHSTDTC", new_var="DISONSDT", flag_var="DISONSDF", highest_imputation="M")
    assert list(df.columns) == ["MHSTDTC"]
    assert _iso(out["DISONSDT"]) == ["2001-06-01"] and out["DISONSDF"].tolist() == ["D"]
    with pytest.raises(DataError, match="MHSTDTC"):
        derive_vars_dt(pd.DataFrame({"X": [1]}), dtc="MHSTDTC", new_var="D")


def test_compute_dy_has_no_day_zero():
    ref = pd.Series(pd.to_datetime(["2020-01-10"] * 4))
    d = pd.Series(pd.to_datetime(["2020-01-10", "2020-01-09", "2020-01-03", None]))
    assert compute_dy(d, ref).tolist() == [1, -1, -7, pd.NA]
