"""Generic time-to-event vocabulary (adam/tte.py): tiny frames, expected values worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adamforge.adam import registry
from adamforge.adam.tte import derive_param_tte

D = lambda *s: pd.to_datetime(list(s)).astype("datetime64[s]")  # noqa: E731


def _adsl():
    return pd.DataFrame(
        {
            "STUDYID": ["S"] * 3,
            "USUBJID": ["A", "B", "C"],
            "TRTSDT": D("2020-01-01", "2020-01-01", "2020-01-01"),
            "EOSDT": D("2020-06-30", "2020-03-31", None),
            "LSTALVDT": D("2020-07-10", "2020-03-01", None),
        }
    )


def _adae():
    return pd.DataFrame(
        {
            "STUDYID": ["S"] * 4,
            "USUBJID": ["A", "A", "A", "X"],
            "ASTDT": D("2020-01-20", "2020-01-10", "2020-01-10", "2020-01-02"),
            "AESEQ": [1, 3, 2, 1],
            "CQ01NAM": ["DERM", "DERM", "DERM", "DERM"],
        }
    )


EVENT = {
    "source": 1,
    "filter": {"CQ01NAM": "DERM"},
    "date": "ASTDT",
    "set_values_to": {"EVNTDESC": "Dermatologic Event Occurred", "SRCDOM": "ADAE", "SRCVAR": "ASTDT"},
    "copy_vars": {"SRCSEQ": "AESEQ"},
    "order": ["AESEQ"],
}
CENSOR = {
    "source": 0,
    "date": "EOSDT",
    "set_values_to": {"EVNTDESC": "Study Completion Date", "SRCDOM": "ADSL", "SRCVAR": "EOSDT"},
}


def _tte(**kw):
    args = {
        "start_date": "TRTSDT",
        "event_conditions": [EVENT],
        "censor_conditions": [CENSOR],
        "set_values_to": {"PARAMCD": "TTDE", "PARAM": "Time to First Dermatologic Event"},
    }
    args.update(kw)
    return derive_param_tte(_adsl(), _adae(), **args)


def test_tte_first_event_else_censored():
    out = _tte()
    # A: events 01-20 (seq 1), 01-10 (seq 3), 01-10 (seq 2) -> earliest 01-10, tie by AESEQ -> seq 2;
    #    AVAL = 9 days + 1 = 10
    # B: no event -> censored at EOSDT 03-31: 90 days + 1 = 91; C: no event, no censor date -> no record
    # X is not in ADSL -> ignored
    assert out["USUBJID"].tolist() == ["A", "B"]
    assert out["ADT"].tolist() == [pd.Timestamp("2020-01-10"), pd.Timestamp("2020-03-31")]
    assert out["AVAL"].tolist() == [10.0, 91.0]
    assert out["CNSR"].tolist() == [0, 1]
    assert out["SRCDOM"].tolist() == ["ADAE", "ADSL"]
    assert out["SRCVAR"].tolist() == ["ASTDT", "EOSDT"]
    np.testing.assert_array_equal(out["SRCSEQ"], [2, np.nan])
    assert out["PARAMCD"].tolist() == ["TTDE", "TTDE"]
    assert out["STARTDT"].tolist() == [pd.Timestamp("2020-01-01")] * 2


def test_tte_latest_censoring_date_wins():
    # B has two censoring dates: EOSDT 03-31 and LSTALVDT 03-01 -> the latest, 03-31 (condition 1)
    c2 = {"source": 0, "date": "LSTALVDT", "censor": 2, "set_values_to": {"SRCVAR": "LSTALVDT"}}
    out = _tte(censor_conditions=[c2, CENSOR])
    b = out[out["USUBJID"] == "B"].iloc[0]
    assert (b["ADT"], b["CNSR"], b["SRCVAR"]) == (pd.Timestamp("2020-03-31"), 1, "EOSDT")
    # A has no event now (filter matches nothing) -> latest of 07-10 and 06-30 -> LSTALVDT, CNSR 2
    ev = {**EVENT, "filter": {"CQ01NAM": "NONE"}}
    out = _tte(event_conditions=[ev], censor_conditions=[c2, CENSOR])
    a = out[out["USUBJID"] == "A"].iloc[0]
    assert (a["ADT"], a["CNSR"], a["SRCVAR"]) == (pd.Timestamp("2020-07-10"), 2, "LSTALVDT")


def test_tte_units_and_add_one():
    # A: 9 days without the +1 -> 9 / 7 weeks
    out = _tte(unit="weeks", add_one=False)
    np.testing.assert_allclose(out["AVAL"], [9 / 7, 90 / 7])


def test_tte_numeric_days():
    adsl = pd.DataFrame({"USUBJID": ["A"], "TRTSDT": [100.0], "RFENDT": [150.0]})
    out = derive_param_tte(
        adsl,
        subject_keys=["USUBJID"],
        start_date="TRTSDT",
        event_conditions=[],
        censor_conditions=[{"date": "RFENDT"}],
        set_values_to={"PARAMCD": "T"},
    )
    assert out[["ADT", "AVAL", "CNSR"]].values.tolist() == [[150.0, 51.0, 1]]


def test_tte_source_index_out_of_range():
    with pytest.raises(ValueError, match=r"event_conditions\[1\] names source 2, but the step has 2 input"):
        _tte(event_conditions=[{**EVENT, "source": 2}])


def test_tte_missing_variable_in_source():
    with pytest.raises(ValueError, match=r"derive_param_tte.*input 1 .*AESTDT \(argument date\)"):
        _tte(event_conditions=[{**EVENT, "date": "AESTDT"}])


def test_tte_unknown_condition_key_and_unit():
    with pytest.raises(ValueError, match="unknown key"):
        _tte(event_conditions=[{**EVENT, "dataset": "ADAE"}])
    with pytest.raises(ValueError, match="unit"):
        _tte(unit="fortnights")


def test_tte_mixed_date_kinds():
    ae = _adae().assign(ASTDT=[1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="not of one kind"):
        derive_param_tte(
            _adsl(),
            ae,
            start_date="TRTSDT",
            event_conditions=[EVENT],
            censor_conditions=[CENSOR],
            set_values_to={"PARAMCD": "T"},
        )


def test_registered_and_arguments_check():
    fn = registry.get("derive_param_tte")
    assert fn.__module__ == "adamforge.adam.tte"
    args = {
        "start_date": "STARTDT",
        "event_conditions": [EVENT],
        "censor_conditions": [CENSOR],
        "set_values_to": {"PARAMCD": "TTDE"},
        "subject_keys": ["STUDYID", "USUBJID"],
        "unit": "days",
    }
    assert registry.check_arguments(fn, args, complete=True) == []
