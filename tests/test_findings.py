"""Findings as data (adamforge.findings): one record shape, its one-line text, frame and JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest

from adamforge.findings import COLUMNS, Finding, count_by_severity, to_frame, to_json


def _f(rule="R-1", sev="ERROR", ds="DM", var="SEX", keys=None, value="U", msg="Not in the codelist."):
    return Finding(rule, sev, ds, var, msg, keys if keys is not None else {"USUBJID": "S-1"}, value)


def test_severity_must_be_known():
    with pytest.raises(ValueError, match="severity must be one of"):
        _f(sev="FATAL")


def test_where_and_line():
    f = _f(keys={"USUBJID": "S-1", "QSSEQ": 3})
    assert f.where() == "DM.SEX [USUBJID=S-1, QSSEQ=3]"
    assert f.line() == "ERROR: [R-1] DM.SEX [USUBJID=S-1, QSSEQ=3]: Not in the codelist. (value: U)"
    assert _f(var="", keys={}, value="").line() == "ERROR: [R-1] DM: Not in the codelist."
    assert _f(ds="", var="", keys={}).where() == ""


def test_to_frame_renders_keys():
    df = to_frame([_f(keys={"USUBJID": "S-1", "QSSEQ": 3}), _f(sev="NOTE", keys={})])
    assert list(df.columns) == COLUMNS
    assert df["keys"].tolist() == ["USUBJID=S-1; QSSEQ=3", ""]
    assert df["severity"].tolist() == ["ERROR", "NOTE"]
    assert to_frame([]).columns.tolist() == COLUMNS and to_frame([]).empty


def test_to_json_sorted_errors_first_and_keys_plain():
    found = [
        _f("R-2", "WARNING", keys={"USUBJID": "S-2"}),
        _f("R-9", "ERROR", keys={"USUBJID": "S-9", "RSSEQ": np.int64(4)}),
        _f("R-1", "NOTE", keys={}),
        _f("R-1", "ERROR", keys={"USUBJID": "S-1"}),
    ]
    text = to_json(found)
    recs = json.loads(text)
    # errors first; then by rule id whatever the severity (NOTE R-1 before WARNING R-2)
    assert [(r["severity"], r["rule_id"]) for r in recs] == [
        ("ERROR", "R-1"),
        ("ERROR", "R-9"),
        ("NOTE", "R-1"),
        ("WARNING", "R-2"),
    ]
    assert recs[1]["keys"] == {"USUBJID": "S-9", "RSSEQ": 4} and type(recs[1]["keys"]["RSSEQ"]) is int
    assert text.endswith("\n") and to_json(list(reversed(found))) == text  # same findings, same text


def test_count_by_severity():
    assert count_by_severity([_f(), _f(sev="NOTE"), _f()]) == {"ERROR": 2, "WARNING": 0, "NOTE": 1}
    assert count_by_severity([]) == {"ERROR": 0, "WARNING": 0, "NOTE": 0}
