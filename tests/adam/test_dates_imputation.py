"""derive_vars_dt_imputed, derive_vars_dtm: admiral's imputation rules, hand-computed."""

from __future__ import annotations

import pandas as pd
import pytest

from adamforge.adam.dates import derive_vars_dt_imputed, derive_vars_dtm
from adamforge.adam.registry import check_arguments
from adamforge.errors import DataError


def _iso(s):
    return [None if pd.isna(x) else str(x.date()) for x in s]


def _txt(s):
    return [None if pd.isna(x) else str(x) for x in s]


DTC = pd.DataFrame({"AESTDTC": ["2019-07-18", "2019-07", "2019", "", "2019-02-30", "2019---15"]})


def test_dt_first_by_highest_imputation():
    # n: partial -> missing; D: day only; M: month and day; "2019---15" is a year only (day after a
    # missing month is ignored); "2019-02-30" is invalid -> missing; blank -> missing
    n = derive_vars_dt_imputed(DTC, dtc="AESTDTC", new_var_prefix="AST")
    assert _iso(n["ASTDT"]) == ["2019-07-18", None, None, None, None, None]
    assert "ASTDTF" not in n.columns  # auto: no flag with highest_imputation n
    d = derive_vars_dt_imputed(DTC, dtc="AESTDTC", new_var_prefix="AST", highest_imputation="D")
    assert _iso(d["ASTDT"]) == ["2019-07-18", "2019-07-01", None, None, None, None]
    assert d["ASTDTF"].tolist() == ["", "D", "", "", "", ""]
    m = derive_vars_dt_imputed(DTC, dtc="AESTDTC", new_var_prefix="AST", highest_imputation="M")
    assert _iso(m["ASTDT"]) == ["2019-07-18", "2019-07-01", "2019-01-01", None, None, "2019-01-01"]
    assert m["ASTDTF"].tolist() == ["", "D", "M", "", "", "M"]


def test_dt_mid_and_last():
    # mid: day 15; month missing too -> June 30. last: July 31; December 31; Feb 2020 (leap) 29
    df = pd.DataFrame({"X": ["2019-07", "2019", "2020-02"]})
    mid = derive_vars_dt_imputed(df, dtc="X", new_var="XDT", highest_imputation="M", date_imputation="mid")
    assert _iso(mid["XDT"]) == ["2019-07-15", "2019-06-30", "2020-02-15"]
    last = derive_vars_dt_imputed(
        df, dtc="X", new_var="XDT", flag_var="XDTF", highest_imputation="M", date_imputation="last"
    )
    assert _iso(last["XDT"]) == ["2019-07-31", "2019-12-31", "2020-02-29"]
    assert last["XDTF"].tolist() == ["D", "M", "D"]


def test_dt_min_dates_only_within_the_possible_dates():
    # AE start "2020-03" with TRTSDT 2020-03-10 (inside March): imputed 2020-03-10, not 03-01;
    # TRTSDT 2020-02-20 is not a March date: 2020-03-01 stays; "2020" with TRTSDT 2020-04-01 -> 2020-04-01;
    # a complete date is never changed; a missing TRTSDT is ignored
    df = pd.DataFrame(
        {
            "AESTDTC": ["2020-03", "2020-03", "2020", "2020-03-05", "2020-03"],
            "TRTSDT": pd.to_datetime(["2020-03-10", "2020-02-20", "2020-04-01", "2020-03-10", None]),
        }
    )
    out = derive_vars_dt_imputed(df, dtc="AESTDTC", new_var_prefix="AST", highest_imputation="M", min_dates=["TRTSDT"])
    assert _iso(out["ASTDT"]) == ["2020-03-10", "2020-03-01", "2020-04-01", "2020-03-05", "2020-03-01"]
    assert out["ASTDTF"].tolist() == ["D", "D", "M", "", "D"]


def test_dt_max_dates_with_last():
    # AE end "2020-03" imputed last = 03-31, but not after the data cut-off 2020-03-20 (inside March) -> 03-20;
    # cut-off 2020-05-01 is not in March -> 03-31 stays
    df = pd.DataFrame({"AEENDTC": ["2020-03", "2020-03"], "DCUTDT": pd.to_datetime(["2020-03-20", "2020-05-01"])})
    out = derive_vars_dt_imputed(
        df, dtc="AEENDTC", new_var_prefix="AEN", highest_imputation="M", date_imputation="last", max_dates=["DCUTDT"]
    )
    assert _iso(out["AENDT"]) == ["2020-03-20", "2020-03-31"]


def test_dt_year_imputation_from_min_dates():
    # a completely missing date with highest_imputation Y is the (latest) min date: TRTSDT; flag Y
    df = pd.DataFrame({"AESTDTC": ["", "2020-05"], "TRTSDT": pd.to_datetime(["2020-01-07", "2020-01-07"])})
    out = derive_vars_dt_imputed(df, dtc="AESTDTC", new_var_prefix="AST", highest_imputation="Y", min_dates=["TRTSDT"])
    assert _iso(out["ASTDT"]) == ["2020-01-07", "2020-05-01"]
    assert out["ASTDTF"].tolist() == ["Y", "D"]
    with pytest.raises(ValueError, match="derive_vars_dt_imputed: highest_imputation 'Y'.*min_dates"):
        derive_vars_dt_imputed(df, dtc="AESTDTC", new_var_prefix="AST", highest_imputation="Y")


def test_dt_errors():
    with pytest.raises(ValueError, match="derive_vars_dt_imputed: highest_imputation must be one of"):
        derive_vars_dt_imputed(DTC, dtc="AESTDTC", new_var_prefix="AST", highest_imputation="h")
    with pytest.raises(ValueError, match="exactly one of new_var_prefix and new_var"):
        derive_vars_dt_imputed(DTC, dtc="AESTDTC")
    with pytest.raises(DataError, match="derive_vars_dt_imputed.*TRTSDT"):
        derive_vars_dt_imputed(DTC, dtc="AESTDTC", new_var_prefix="AST", min_dates=["TRTSDT"])


def test_dtm_time_imputation_and_flags():
    # complete: no flags; seconds missing -> :00, TMF S; minutes missing -> 15:00:00, TMF M;
    # date only -> 00:00:00, TMF H; "2019-02" (highest M) -> 2019-02-01 00:00:00, DTF D, TMF H
    df = pd.DataFrame({"X": ["2019-07-18T15:25:40", "2019-07-18T15:25", "2019-07-18T15", "2019-07-18", "2019-02"]})
    out = derive_vars_dtm(df, dtc="X", new_var_prefix="AST", highest_imputation="M")
    assert _txt(out["ASTDTM"]) == [
        "2019-07-18 15:25:40",
        "2019-07-18 15:25:00",
        "2019-07-18 15:00:00",
        "2019-07-18 00:00:00",
        "2019-02-01 00:00:00",
    ]
    assert out["ASTDTF"].tolist() == ["", "", "", "", "D"]
    assert out["ASTTMF"].tolist() == ["", "S", "M", "H", "H"]
    last = derive_vars_dtm(
        df, dtc="X", new_var_prefix="AEN", highest_imputation="M", date_imputation="last", time_imputation="last"
    )
    assert _txt(last["AENDTM"]) == [
        "2019-07-18 15:25:40",
        "2019-07-18 15:25:59",
        "2019-07-18 15:59:59",
        "2019-07-18 23:59:59",
        "2019-02-28 23:59:59",
    ]


def test_dtm_highest_imputation_limits_and_auto_flags():
    # highest h (admiral's default): a date-only value gets a time, a month-only value is missing;
    # auto flags: no DTF (h is below D), TMF yes; highest s: only seconds may be imputed
    df = pd.DataFrame({"X": ["2019-07-18", "2019-07", "2019-07-18T10:11"]})
    h = derive_vars_dtm(df, dtc="X", new_var_prefix="AST")
    assert _txt(h["ASTDTM"]) == ["2019-07-18 00:00:00", None, "2019-07-18 10:11:00"]
    assert "ASTDTF" not in h.columns and h["ASTTMF"].tolist() == ["H", "", "S"]
    s = derive_vars_dtm(df, dtc="X", new_var_prefix="AST", highest_imputation="s", flag_imputation="none")
    assert _txt(s["ASTDTM"]) == [None, None, "2019-07-18 10:11:00"]
    assert "ASTTMF" not in s.columns


def test_dtm_min_dates_as_datetimes():
    # "2020-03-10" imputed 00:00 but first dose 2020-03-10 08:30 is inside that day -> 08:30;
    # "2020-03" with first dose 2020-03-10 08:30 -> 2020-03-10 08:30
    df = pd.DataFrame(
        {"X": ["2020-03-10", "2020-03"], "TRTSDTM": pd.to_datetime(["2020-03-10 08:30", "2020-03-10 08:30"])}
    )
    out = derive_vars_dtm(df, dtc="X", new_var_prefix="AST", highest_imputation="M", min_dates=["TRTSDTM"])
    assert _txt(out["ASTDTM"]) == ["2020-03-10 08:30:00", "2020-03-10 08:30:00"]
    assert out["ASTDTF"].tolist() == ["", "D"] and out["ASTTMF"].tolist() == ["H", "H"]


def test_dtm_errors_input_not_modified_and_arguments_bind():
    with pytest.raises(ValueError, match="derive_vars_dtm: time_imputation"):
        derive_vars_dtm(DTC, dtc="AESTDTC", new_var_prefix="AST", time_imputation="mid")
    with pytest.raises(DataError, match="derive_vars_dtm.*AESTDTC"):
        derive_vars_dtm(pd.DataFrame({"X": ["2020"]}), dtc="AESTDTC", new_var_prefix="AST")
    df = DTC.copy()
    derive_vars_dtm(df, dtc="AESTDTC", new_var_prefix="AST")
    assert list(df.columns) == ["AESTDTC"]
    assert (
        check_arguments(
            derive_vars_dtm,
            {
                "dtc": "AESTDTC",
                "new_var_prefix": "AST",
                "highest_imputation": "M",
                "date_imputation": "first",
                "time_imputation": "first",
                "min_dates": ["TRTSDTM"],
                "flag_imputation": "auto",
            },
            complete=True,
        )
        == []
    )
    assert (
        check_arguments(
            derive_vars_dt_imputed,
            {
                "dtc": "AESTDTC",
                "new_var_prefix": "AST",
                "highest_imputation": "M",
                "min_dates": ["TRTSDT"],
                "max_dates": ["DTHDT"],
            },
            complete=True,
        )
        == []
    )
