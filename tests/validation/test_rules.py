"""Rule registries and shared helpers (adamforge.validation.rules) on tiny hand-made frames."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from adamforge.validation.rules import (
    Rule,
    dataset_finding,
    findings_from_rows,
    plain,
    record_keys,
    register,
    run_rules,
    text,
)


def _registry():
    reg: dict[str, Rule] = {}

    @register(reg, "T-001", "ERROR", "first")
    def _one(data, options):
        return [dataset_finding(reg["T-001"], "DM", "", f"{len(data['DM'])} records", value=str(options))]

    @register(reg, "T-002", "NOTE", "second")
    def _two(data, options):
        return []

    return reg


def test_register_keeps_order_and_refuses_a_second_id_and_a_bad_severity():
    reg = _registry()
    assert list(reg) == ["T-001", "T-002"] and reg["T-002"].description == "second"
    with pytest.raises(ValueError, match="registered twice"):
        register(reg, "T-001", "ERROR", "again")(lambda d, o: [])
    with pytest.raises(ValueError, match="severity must be one of"):
        register({}, "T-003", "SEVERE", "bad")(lambda d, o: [])


def test_run_rules_all_or_selected_and_timed():
    reg = _registry()
    data = {"DM": pd.DataFrame({"USUBJID": ["A", "B"]})}
    run = run_rules(reg, data, "opt")
    assert [(f.rule_id, f.severity, f.message, f.value) for f in run.findings] == [
        ("T-001", "ERROR", "2 records", "opt")
    ]
    assert set(run.seconds) == set(run.cpu) == {"T-001", "T-002"}
    assert set(run_rules(reg, data, None, select=["T-002"]).seconds) == {"T-002"}
    with pytest.raises(ValueError, match=r"unknown rule id\(s\): T-404; known: T-001, T-002"):
        run_rules(reg, data, None, select=["T-002", "T-404"])


@pytest.mark.parametrize(
    "value,expected",
    [
        (None, None),
        (np.int64(3), 3),
        (np.float64(2.0), 2),
        (2.5, 2.5),
        (float("nan"), None),
        (pd.NA, None),
        (pd.NaT, None),
        (pd.Timestamp("2020-01-02"), "2020-01-02"),
        (pd.Timestamp("2020-01-02 03:04:05"), "2020-01-02T03:04:05"),
        (dt.date(2020, 1, 2), "2020-01-02"),
        ("x", "x"),
    ],
)
def test_plain(value, expected):
    got = plain(value)
    assert got == expected and type(got) is type(expected)


def test_text():
    assert (text(None), text(np.float64(7.0)), text(1.25), text("a")) == ("", "7", "1.25", "a")


def test_record_keys_prefer_seq_else_natural_keys_present_only():
    rs = pd.DataFrame(columns=["USUBJID", "RSSEQ", "RSTESTCD"])
    assert record_keys(rs, "RS", extra=["RSTESTCD"]) == ["USUBJID", "RSSEQ"]
    adeff = pd.DataFrame(columns=["USUBJID", "PARAMCD", "AVISIT"])
    assert record_keys(adeff, "ADEFF", extra=["STUDYID", "USUBJID", "PARAMCD", "AVISIT", "ADT"]) == [
        "USUBJID",
        "PARAMCD",
        "AVISIT",
    ]
    assert record_keys(pd.DataFrame(columns=["X"]), "XX") == []


def _rule(sev="ERROR"):
    return Rule("T-RANGE", sev, "range", lambda d, o: [])


def test_findings_from_rows_fill_the_message_and_keys():
    bad = pd.DataFrame(
        {"USUBJID": ["S-1", "S-2"], "QSSEQ": [1.0, 2.0], "AVAL": [7.0, np.nan], "PARAMCD": ["IGA", "IGA"]}
    )
    got = findings_from_rows(
        bad,
        rule=_rule(),
        dataset="QS",
        variable="AVAL",
        key_cols=["USUBJID", "QSSEQ"],
        message="AVAL = {value} of {PARAMCD} ({AVAL}) is out of range; {{literal}}",
        value_col="AVAL",
    )
    assert [(f.rule_id, f.severity, f.dataset, f.variable, dict(f.keys), f.value, f.message) for f in got] == [
        (
            "T-RANGE",
            "ERROR",
            "QS",
            "AVAL",
            {"USUBJID": "S-1", "QSSEQ": 1},
            "7",
            "AVAL = 7 of IGA (7) is out of range; {literal}",
        ),
        (
            "T-RANGE",
            "ERROR",
            "QS",
            "AVAL",
            {"USUBJID": "S-2", "QSSEQ": 2},
            "",
            "AVAL =  of IGA (missing) is out of range; {literal}",
        ),
    ]
    assert findings_from_rows(bad.iloc[:0], rule=_rule(), dataset="QS", variable="", key_cols=[], message="x") == []


def test_findings_from_rows_capped_with_a_summary():
    bad = pd.DataFrame({"USUBJID": [f"S-{i}" for i in range(5)], "AGE": [0.1 + 0.2] * 5})
    got = findings_from_rows(
        bad,
        rule=_rule("WARNING"),
        dataset="DM",
        variable="AGE",
        key_cols=["USUBJID"],
        message="AGE {AGE}",
        value_col="AGE",
        max_findings=2,
    )
    assert [f.keys.get("USUBJID") for f in got] == ["S-0", "S-1", None]
    assert got[0].message == "AGE 0.3"  # no binary noise in a message ...
    assert got[0].value == "0.30000000000000004"  # ... the value is the value
    assert got[-1].value == "3" and got[-1].message.startswith("3 more record(s) fail this rule")
    assert all(f.severity == "WARNING" for f in got)


def test_dataset_finding_has_no_record_keys_unless_given():
    f = dataset_finding(_rule(), "ADSL", "AGE", "missing variable")
    assert (f.keys, f.value, f.where()) == ({}, "", "ADSL.AGE")
    assert dict(dataset_finding(_rule(), "ADSL", "", "m", keys={"PARAMCD": "X"}).keys) == {"PARAMCD": "X"}
