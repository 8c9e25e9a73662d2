"""derive_vars_duration, compute_duration, compute_round_sas, derive_var_round: hand-computed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adamforge.adam.durations import compute_duration, derive_vars_duration
from adamforge.adam.registry import check_arguments
from adamforge.adam.rounding import compute_round_sas, derive_var_round
from adamforge.errors import DataError


def _df():
    return pd.DataFrame(
        {
            "ASTDT": pd.to_datetime(["2020-01-01", "2020-01-01", "2020-01-10", None, "2020-01-01"]),
            "AENDT": pd.to_datetime(["2020-01-01", "2020-01-10", "2020-01-01", "2020-01-05", "2021-01-01"]),
        }
    )


def test_days_add_one_only_when_end_not_before_start():
    # same day: 0 + 1 = 1; Jan 1 -> Jan 10: 9 + 1 = 10; Jan 10 -> Jan 1: -9 (admiral: no 1 added);
    # missing start -> missing; 2020 is a leap year: 366 + 1 = 367
    out = derive_vars_duration(_df(), new_var="ADURN", new_var_unit="ADURU", start_date="ASTDT", end_date="AENDT")
    assert out["ADURN"].iloc[[0, 1, 2, 4]].tolist() == [1.0, 10.0, -9.0, 367.0]
    assert pd.isna(out["ADURN"].iloc[3])
    assert out["ADURU"].tolist() == ["DAYS", "DAYS", "DAYS", "", "DAYS"]


def test_days_without_add_one():
    out = derive_vars_duration(_df(), new_var="D", start_date="ASTDT", end_date="AENDT", add_one=False)
    assert out["D"].iloc[[0, 1, 2]].tolist() == [0.0, 9.0, -9.0]


def test_weeks_months_years_as_admiral():
    # 2020-01-01 -> 2021-01-01 without add_one: 366 days; weeks 366/7; months 366/30.4375; years 366/365.25
    kw = {"start_date": "ASTDT", "end_date": "AENDT", "add_one": False}
    df = _df().iloc[[4]]
    assert derive_vars_duration(df, new_var="W", out_unit="weeks", **kw)["W"].iloc[0] == pytest.approx(366 / 7)
    assert derive_vars_duration(df, new_var="M", out_unit="months", **kw)["M"].iloc[0] == pytest.approx(366 / 30.4375)
    assert derive_vars_duration(df, new_var="Y", out_unit="years", **kw)["Y"].iloc[0] == pytest.approx(366 / 365.25)


def test_age_truncated_years():
    # born 1950-06-15, on 2020-06-14 not yet 70: 25567 days / 365.25 = 69.998 -> 69; on 2020-06-15: 70.0007 -> 70
    df = pd.DataFrame(
        {"BRTHDT": pd.to_datetime(["1950-06-15"] * 2), "RANDDT": pd.to_datetime(["2020-06-14", "2020-06-15"])}
    )
    out = derive_vars_duration(
        df,
        new_var="AAGE",
        start_date="BRTHDT",
        end_date="RANDDT",
        out_unit="years",
        add_one=False,
        trunc_out=True,
        new_var_unit="AAGEU",
    )
    assert out["AAGE"].tolist() == [69.0, 70.0]
    assert out["AAGEU"].tolist() == ["YEARS", "YEARS"]


def test_round_digits_sas_style():
    # 10 days (with add_one) / 7 = 1.428571... -> 1.43; 367 / 30.4375 = 12.0575... -> 12.06
    out = derive_vars_duration(
        _df(), new_var="W", start_date="ASTDT", end_date="AENDT", out_unit="weeks", round_digits=2
    )
    assert out["W"].iloc[1] == 1.43
    out = derive_vars_duration(
        _df(), new_var="M", start_date="ASTDT", end_date="AENDT", out_unit="months", round_digits=2
    )
    assert out["M"].iloc[4] == 12.06


def test_floor_in_ignores_time_and_hours_in_unit():
    # 2020-01-01T23:00 -> 2020-01-02T01:00: floored to days 1 + 1 = 2; in hours (not floored): 2 h + 0 (add_one off)
    s = pd.Series(pd.to_datetime(["2020-01-01 23:00"]))
    e = pd.Series(pd.to_datetime(["2020-01-02 01:00"]))
    assert compute_duration(s, e).tolist() == [2.0]
    assert compute_duration(s, e, in_unit="hours", out_unit="hours", add_one=False).tolist() == [2.0]
    assert compute_duration(s, e, floor_in=False, add_one=False).tolist() == [pytest.approx(2 / 24)]


def test_bad_unit_and_missing_variable():
    with pytest.raises(ValueError, match="derive_vars_duration: out_unit"):
        derive_vars_duration(_df(), new_var="D", start_date="ASTDT", end_date="AENDT", out_unit="fortnights")
    with pytest.raises(DataError, match="derive_vars_duration.*TRTSDT"):
        derive_vars_duration(_df(), new_var="D", start_date="TRTSDT", end_date="AENDT")


def test_compute_round_sas_half_away_from_zero():
    # SAS ROUND: 0.5 -> 1, 1.5 -> 2, 2.5 -> 3 (numpy: 0, 2, 2), -2.5 -> -3; 2.675 and 1.005 are just
    # below the half in binary but SAS rounds them up (2.68, 1.01); -0.4 -> 0 (no negative zero)
    assert compute_round_sas(np.array([0.5, 1.5, 2.5, -2.5, -0.4]), 0).tolist() == [1.0, 2.0, 3.0, -3.0, 0.0]
    assert compute_round_sas(pd.Series([2.675, 1.005, np.nan]), 2).iloc[:2].tolist() == [2.68, 1.01]
    assert float(compute_round_sas(1250.0, -2)) == 1300.0


def test_derive_var_round():
    out = derive_var_round(pd.DataFrame({"AVAL": [1.25, -1.25]}), new_var="AVALR", source_var="AVAL", digits=1)
    assert out["AVALR"].tolist() == [1.3, -1.3]
    with pytest.raises(DataError, match="derive_var_round.*AVAL"):
        derive_var_round(pd.DataFrame({"X": [1.0]}), new_var="Y", source_var="AVAL")


def test_input_not_modified_and_arguments_bind():
    df = _df()
    derive_vars_duration(df, new_var="D", start_date="ASTDT", end_date="AENDT")
    assert list(df.columns) == ["ASTDT", "AENDT"]
    assert (
        check_arguments(
            derive_vars_duration,
            {
                "new_var": "AAGE",
                "new_var_unit": "AAGEU",
                "start_date": "BRTHDT",
                "end_date": "RANDDT",
                "out_unit": "years",
                "add_one": False,
                "trunc_out": True,
            },
            complete=True,
        )
        == []
    )
    assert (
        check_arguments(derive_var_round, {"new_var": "BMIBL", "source_var": "BMI", "digits": 1}, complete=True) == []
    )
