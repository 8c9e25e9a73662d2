"""Expectations generated from the spec, run with great-expectations, mapped back to findings."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from adamforge.adam.spec import build_spec, load_spec
from adamforge.context import default_spec_dir
from adamforge.validation.expectations import DEFAULT_VALUE_RANGES, build_checks, run_expectations, value_ranges

S1, S2, S3 = "X-101-001", "X-101-002", "X-102-003"


#: the tiny study's parameter ranges (a study's ranges are its spec's parameters.value_ranges)
RANGES = {"IGA": [0, 4], "EASI": [0, 72], "BSA": [0, 100], "ITCHNRS": [0, 10], "DLQI": [0, 30], "CDLQI": [0, 30]}


def tiny_spec(**parameters):
    v = lambda name, type_="text", core="Perm", codelist="": {  # noqa: E731
        "name": name,
        "label": name.title(),
        "type": type_,
        "core": core,
        "origin": "Assigned",
        "codelist": codelist,
    }
    return build_spec(
        {
            "parameters": {"value_ranges": RANGES, **parameters},
            "datasets": {
                "ADSL": {
                    "label": "Subject level",
                    "keys": ["USUBJID"],
                    "variables": [
                        v("USUBJID", core="Req"),
                        v("SEX", core="Req", codelist="SEX"),
                        v("AGE", "integer"),
                        v("EFFFL", codelist="NY"),
                    ],
                },
                "ADEFF": {
                    "label": "Efficacy",
                    "keys": ["USUBJID", "PARAMCD", "AVISIT"],
                    "variables": [
                        v("USUBJID", core="Req"),
                        v("PARAMCD", core="Req", codelist="PARAMCD"),
                        v("AVISIT"),
                        v("AVAL", "float"),
                        v("AVALC", codelist="NY"),
                        v("BASE", "float"),
                    ],
                },
            },
            "codelists": {
                "SEX": {"terms": ["F", "M"]},
                "NY": {"terms": ["Y", "N"]},
                "PARAMCD": {"terms": ["IGA", "EASI", "IGATS"]},
            },
        }
    )


def tiny_adam():
    adsl = pd.DataFrame(
        {"USUBJID": [S1, S2, S3], "SEX": ["F", "M", "F"], "AGE": [30, 15, 61], "EFFFL": ["Y", "Y", "N"]}
    )
    adeff = pd.DataFrame(
        [
            (S1, "IGA", "Baseline", 3, "", 3),
            (S1, "IGA", "Week 8", 1, "", 3),
            (S1, "EASI", "Baseline", 72, "", 72),
            (S2, "IGA", "Baseline", 2, "", 2),
            (S2, "IGA", "Week 8", 4, "", 2),
            (S2, "EASI", "Week 8", 0, "", np.nan),
            (S1, "IGATS", "Week 8", 1, "Y", np.nan),
            (S2, "IGATS", "Week 8", np.nan, "", np.nan),
        ],
        columns=["USUBJID", "PARAMCD", "AVISIT", "AVAL", "AVALC", "BASE"],
    )
    return {"ADSL": adsl, "ADEFF": adeff}


def _run(adam, spec=None):
    spec = spec or tiny_spec()
    checks = build_checks(spec)
    keys = {n: d.keys for n, d in spec.datasets.items()}
    return [
        (f.rule_id, f.dataset, f.variable, dict(f.keys), f.value)
        for f in run_expectations(adam, checks, keys=keys).findings
    ]


def test_checks_are_generated_per_rule_kind_from_the_spec():
    checks = build_checks(tiny_spec())
    got = sorted({(c.rule_id, c.dataset, c.kind, c.columns, c.paramcds) for c in checks})
    assert ("ADAM-VAR-001", "ADSL", "exists", ("SEX",), ()) in got
    assert ("ADAM-VAR-002", "ADSL", "exists", ("AGE",), ()) in got
    assert ("ADAM-NULL-001", "ADEFF", "not_null", ("PARAMCD",), ()) in got
    assert ("ADAM-KEY-001", "ADEFF", "unique", ("USUBJID", "PARAMCD", "AVISIT"), ()) in got
    assert [c.value_set for c in checks if c.kind == "in_set" and c.columns == ("SEX",)] == [("F", "M")]
    ranges = {(p, c.columns[0]): (c.low, c.high) for c in checks if c.kind == "between" for p in c.paramcds}
    assert (
        ranges[("IGA", "AVAL")] == (0, 4)
        and ranges[("EASI", "BASE")] == (0, 72)
        and ranges[("DLQI", "AVAL")] == (0, 30)
    )
    assert not any(c.kind == "between" for c in checks if c.dataset == "ADSL")  # no PARAMCD in ADSL


def test_value_ranges_come_from_the_spec_when_given():
    r = value_ranges(tiny_spec(value_ranges={"EASI": [0, 50], "NEW": [1, 2]}))
    assert r["EASI"] == (0, 50) and r["NEW"] == (1, 2) and "IGA" not in r and DEFAULT_VALUE_RANGES == {}


def test_reference_spec_generates_checks_for_every_codelist_variable():
    spec = load_spec(default_spec_dir())
    checks = build_checks(spec)
    with_cl = {(d.name, v.name) for d in spec.datasets.values() for v in d.variables.values() if v.codelist}
    assert {(c.dataset, c.columns[0]) for c in checks if c.kind == "in_set" and not c.paramcds} == with_cl
    resp = {p: (c.low, c.high) for c in checks if c.kind == "between" and c.columns == ("AVAL",) for p in c.paramcds}
    # one expectation per distinct range, not per parameter
    assert len([c for c in checks if c.kind == "between" and c.columns == ("AVAL",)]) == len(set(resp.values()))
    assert resp["IGATS"] == (0, 1) and resp["TSCPRIGA"] == (0, 1) and resp["ITCHNRS"] == (0, 10)


def test_clean_tiny_adam_passes_every_expectation():
    assert _run(tiny_adam()) == []


def test_iga_7_fires_range_on_that_record_only():
    adam = tiny_adam()
    adam["ADEFF"].loc[4, "AVAL"] = 7.0
    [f] = run_expectations(adam, build_checks(tiny_spec()), keys={"ADEFF": ("USUBJID", "PARAMCD", "AVISIT")}).findings
    assert (f.rule_id, f.dataset, f.variable, dict(f.keys), f.value) == (
        "ADAM-RANGE-001",
        "ADEFF",
        "AVAL",
        {"USUBJID": S2, "PARAMCD": "IGA", "AVISIT": "Week 8"},
        "7",
    )
    assert f.message == "AVAL = 7 of PARAMCD IGA is outside its range 0 to 4."


def test_value_outside_codelist():
    adam = tiny_adam()
    adam["ADSL"].loc[2, "SEX"] = "U"
    assert _run(adam) == [("ADAM-CT-001", "ADSL", "SEX", {"USUBJID": S3}, "U")]


def test_duplicate_key_fires_on_both_records():
    adam = tiny_adam()
    adam["ADEFF"].loc[1, "AVISIT"] = "Baseline"  # S1 IGA now has two "Baseline" records
    got = _run(adam)
    assert [(r[0], r[3]) for r in got] == [
        ("ADAM-KEY-001", {"USUBJID": S1, "PARAMCD": "IGA", "AVISIT": "Baseline"})
    ] * 2


def test_missing_required_variable_and_blank_required_value():
    adam = tiny_adam()
    adam["ADSL"] = adam["ADSL"].drop(columns=["SEX"])
    adam["ADEFF"].loc[3, "PARAMCD"] = ""
    got = _run(adam)
    assert ("ADAM-VAR-001", "ADSL", "SEX", {}, "") in got
    assert ("ADAM-NULL-001", "ADEFF", "PARAMCD", {"USUBJID": S2, "PARAMCD": None, "AVISIT": "Baseline"}, "") in got
    assert len(got) == 2


def test_findings_are_capped_with_a_summary():
    adam = tiny_adam()
    big = pd.concat([adam["ADEFF"]] * 50, ignore_index=True)
    big["AVAL"] = 99.0
    big = big.loc[big.PARAMCD == "EASI"].assign(AVISIT=[f"V{i}" for i in range((big.PARAMCD == "EASI").sum())])
    spec = tiny_spec()
    res = run_expectations(
        {"ADEFF": big},
        [c for c in build_checks(spec) if c.kind == "between" and "EASI" in c.paramcds and c.columns == ("AVAL",)],
        max_findings=7,
    )
    assert len(res.findings) == 8 and res.findings[-1].value == str(len(big) - 7)


def test_no_progress_bar_and_no_deprecation_warning(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        _run(tiny_adam())
    out = capsys.readouterr()
    assert "Calculating Metrics" not in out.err + out.out and "%|" not in out.err


def test_same_input_same_findings_order():
    """Findings come by dataset, rule, the spec's variable order, record order; a rerun gives the same list."""
    adam = tiny_adam()
    adam["ADEFF"].loc[4, "AVAL"] = 7.0  # S2 IGA Week 8
    adam["ADEFF"].loc[0, "AVAL"] = -1.0  # S1 IGA Baseline: an earlier record of the same rule
    adam["ADSL"].loc[2, "SEX"] = "U"
    adam["ADSL"].loc[0, "EFFFL"] = "X"
    first = _run(adam)
    assert first == [
        ("ADAM-RANGE-001", "ADEFF", "AVAL", {"USUBJID": S1, "PARAMCD": "IGA", "AVISIT": "Baseline"}, "-1"),
        ("ADAM-RANGE-001", "ADEFF", "AVAL", {"USUBJID": S2, "PARAMCD": "IGA", "AVISIT": "Week 8"}, "7"),
        ("ADAM-CT-001", "ADSL", "SEX", {"USUBJID": S3}, "U"),  # SEX before EFFFL: the spec's order
        ("ADAM-CT-001", "ADSL", "EFFFL", {"USUBJID": S1}, "X"),
    ]
    assert _run(adam) == first


def test_distinct_value_path_reports_failing_records_in_record_order_with_their_count():
    # 12 records, 3 distinct failing (PARAMCD, AVAL) pairs repeated: GX sees one row per distinct pair,
    # the findings still name the first failing records in record order and count all of them
    rows = []
    for i in range(12):
        aval = [7.0, 2.0, -1.0, 7.0][i % 4]
        rows.append((f"X-1-{i:03d}", "IGA", f"V{i}", aval, "", 3.0))
    rows.append(("X-1-900", "EASI", "V0", 7.0, "", 7.0))  # 7 is within the EASI range: no finding
    adeff = pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "AVISIT", "AVAL", "AVALC", "BASE"])
    checks = [c for c in build_checks(tiny_spec()) if c.rule_id == "ADAM-RANGE-001"]
    res = run_expectations({"ADEFF": adeff}, checks, keys={"ADEFF": ("USUBJID", "PARAMCD", "AVISIT")}, max_findings=4)
    # failing: i % 4 in (0, 2, 3) -> records 0, 2, 3, 4, 6, 7, 8, 10, 11 (9 records)
    assert [f.keys["USUBJID"] for f in res.findings[:4]] == ["X-1-000", "X-1-002", "X-1-003", "X-1-004"]
    assert [f.value for f in res.findings[:4]] == ["7", "-1", "7", "7"]
    assert res.findings[4].value == "5" and len(res.findings) == 5
    assert set(res.cpu) == set(res.seconds) == {"ADAM-RANGE-001 ADEFF"}


def test_codelist_and_null_checks_of_several_columns_stay_apart():
    # SEX and EFFFL are checked in one GX frame: a failing value of one column is never reported on the other
    adsl = pd.DataFrame(
        {
            "USUBJID": [S1, S2, S3, "X-103-004"],
            "SEX": ["F", "Y", "", "M"],
            "AGE": [30, 15, 61, 40],
            "EFFFL": ["M", "Y", "N", "N"],
        }
    )
    got = _run({"ADSL": adsl, "ADEFF": tiny_adam()["ADEFF"]})
    assert sorted(got) == sorted(
        [
            ("ADAM-CT-001", "ADSL", "SEX", {"USUBJID": S2}, "Y"),
            ("ADAM-CT-001", "ADSL", "EFFFL", {"USUBJID": S1}, "M"),
            ("ADAM-NULL-001", "ADSL", "SEX", {"USUBJID": S3}, ""),
        ]
    )


def test_key_uniqueness_ignores_records_with_all_key_values_missing():
    adam = tiny_adam()
    extra = pd.DataFrame([(None, None, None, 1.0, "", 1.0)] * 2, columns=adam["ADEFF"].columns)
    adam["ADEFF"] = pd.concat([adam["ADEFF"], extra], ignore_index=True)
    got = [r for r in _run(adam) if r[0] == "ADAM-KEY-001"]
    assert got == []
