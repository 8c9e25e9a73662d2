"""ADaM conformance rules on a tiny hand-written ADSL/ADEFF: clean gives nothing, one fault fires one rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adamforge.adam.spec import build_spec
from adamforge.validation import conformance
from adamforge.validation.conformance import ConformanceOptions, check_conformance

S1, S2, S3 = "X-101-001", "X-101-002", "X-102-003"
CRIT = "IGA 0/1 and >= 2-grade improvement"


def tiny_adam() -> dict[str, pd.DataFrame]:
    adsl = pd.DataFrame(
        {
            "USUBJID": [S1, S2, S3],
            "AGE": [30, 15, 61],
            "TRT01P": ["Vehicle", "RUX 0.75%", "RUX 1.5%"],
            "ITTFL": "Y",
            "SAFFL": "Y",
            "EFFFL": ["Y", "Y", "N"],
        }
    )
    nan = np.nan
    rows = [
        # USUBJID PARAMCD AVISIT AVAL AVALC BASE CHG PCHG ABLFL CRIT1 CRIT1FL
        (S1, "IGA", "Baseline", 3, "", 3, nan, nan, "Y", "", ""),
        (S1, "IGA", "Week 2", 3, "", 3, 0, 0, "", "", ""),
        (S1, "IGA", "Week 8", 1, "", 3, -2, -200 / 3, "", "", ""),
        (S1, "EASI", "Baseline", 8, "", 8, 0, 0, "Y", "", ""),
        (S1, "EASI", "Week 8", 2, "", 8, -6, -75, "", "", ""),
        (S2, "IGA", "Baseline", 2, "", 2, nan, nan, "Y", "", ""),
        (S2, "IGA", "Week 8", 2, "", 2, 0, 0, "", "", ""),
        (S2, "EASI", "Baseline", 0, "", 0, nan, nan, "Y", "", ""),
        (S2, "EASI", "Week 8", 1.5, "", 0, 1.5, nan, "", "", ""),  # BASE 0: PCHG missing
        (S2, "EASI", "Week 4", nan, "", 0, nan, nan, "", "", ""),  # AVAL missing: CHG missing
        (S1, "IGATS", "Week 8", 1, "Y", nan, nan, nan, "", CRIT, "Y"),
        (S2, "IGATS", "Week 8", 0, "N", nan, nan, nan, "", CRIT, "N"),
        (S3, "IGATS", "Week 8", nan, "", nan, nan, nan, "", CRIT, ""),
    ]
    adeff = pd.DataFrame(
        rows,
        columns=["USUBJID", "PARAMCD", "AVISIT", "AVAL", "AVALC", "BASE", "CHG", "PCHG", "ABLFL", "CRIT1", "CRIT1FL"],
    )
    return {"ADSL": adsl, "ADEFF": adeff}


def tiny_spec():
    v = lambda name, label, type_, length=None, core="Perm": {  # noqa: E731
        "name": name,
        "label": label,
        "type": type_,
        "length": length,
        "core": core,
        "origin": "Assigned",
    }
    adeff_vars = [
        v("USUBJID", "Unique Subject Identifier", "text", 12, "Req"),
        v("PARAMCD", "Parameter Code", "text", 8, "Req"),
        v("AVISIT", "Analysis Visit", "text", 8),
        v("AVAL", "Analysis Value", "float"),
        v("AVALC", "Analysis Value (C)", "text", 1),
        v("BASE", "Baseline Value", "float"),
        v("CHG", "Change from Baseline", "float"),
        v("PCHG", "Percent Change from Baseline", "float"),
        v("ABLFL", "Baseline Record Flag", "text", 1),
        v("CRIT1", "Analysis Criterion 1", "text", 100),
        v("CRIT1FL", "Criterion 1 Evaluation Result Flag", "text", 1),
    ]
    adsl_vars = [
        v("USUBJID", "Unique Subject Identifier", "text", 12, "Req"),
        v("AGE", "Age", "integer"),
        v("TRT01P", "Planned Treatment for Period 01", "text", 10, "Req"),
        v("ITTFL", "Intent-To-Treat Population Flag", "text", 1),
        v("SAFFL", "Safety Population Flag", "text", 1),
        v("EFFFL", "Efficacy Population Flag", "text", 1),
    ]
    return build_spec(
        {
            "datasets": {
                "ADSL": {"label": "Subject-Level Analysis Dataset", "keys": ["USUBJID"], "variables": adsl_vars},
                "ADEFF": {
                    "label": "Efficacy Analysis Dataset",
                    "keys": ["USUBJID", "PARAMCD", "AVISIT"],
                    "variables": adeff_vars,
                },
            }
        }
    )


def _fired(adam, **kw):
    return [(f.rule_id, f.dataset, f.variable, dict(f.keys), f.value) for f in check_conformance(adam, **kw).findings]


def _where(df, subj, paramcd, avisit):
    return (subj == df.USUBJID) & (paramcd == df.PARAMCD) & (avisit == df.AVISIT)


def test_clean_tiny_adam_gives_no_finding():
    assert _fired(tiny_adam(), options=ConformanceOptions(spec=tiny_spec())) == []


def test_chg_not_aval_minus_base_fires_on_that_record_only():
    adam = tiny_adam()
    adam["ADEFF"].loc[_where(adam["ADEFF"], S1, "EASI", "Week 8"), "CHG"] = -5.0
    [f] = check_conformance(adam).findings
    assert (f.rule_id, f.variable, dict(f.keys), f.value) == (
        "ADAM-CHG-001",
        "CHG",
        {"USUBJID": S1, "PARAMCD": "EASI", "AVISIT": "Week 8"},
        "-5",
    )
    assert "AVAL - BASE = 2 - 8 = -6" in f.message


def test_chg_present_where_aval_missing_fires():
    adam = tiny_adam()
    adam["ADEFF"].loc[_where(adam["ADEFF"], S2, "EASI", "Week 4"), "CHG"] = 0.0
    assert [r[0] for r in _fired(adam)] == ["ADAM-CHG-001"]


def test_two_baseline_records_fire_baseline_rule_once():
    adam = tiny_adam()
    adam["ADEFF"].loc[_where(adam["ADEFF"], S1, "IGA", "Week 2"), "ABLFL"] = "Y"
    assert _fired(adam) == [("ADAM-BASE-001", "ADEFF", "ABLFL", {"USUBJID": S1, "PARAMCD": "IGA"}, "2")]


def test_base_not_aval_on_baseline_record():
    adam = tiny_adam()
    df = adam["ADEFF"]
    df.loc[_where(df, S2, "IGA", "Baseline"), "AVAL"] = 3.0  # BASE stays 2 everywhere
    assert _fired(adam) == [
        ("ADAM-BASE-002", "ADEFF", "BASE", {"USUBJID": S2, "PARAMCD": "IGA", "AVISIT": "Baseline"}, "2"),
        ("ADAM-BASE-003", "ADEFF", "BASE", {"USUBJID": S2, "PARAMCD": "IGA", "AVISIT": "Week 8"}, "2"),
    ]


def test_pchg_inconsistent_fires_pchg_only():
    adam = tiny_adam()
    adam["ADEFF"].loc[_where(adam["ADEFF"], S1, "IGA", "Week 8"), "PCHG"] = -66.0
    assert _fired(adam) == [
        ("ADAM-PCHG-001", "ADEFF", "PCHG", {"USUBJID": S1, "PARAMCD": "IGA", "AVISIT": "Week 8"}, "-66")
    ]


def test_subject_missing_from_adsl_fires_once():
    adam = tiny_adam()
    adam["ADSL"] = adam["ADSL"].loc[adam["ADSL"].USUBJID != S2].reset_index(drop=True)
    assert _fired(adam) == [("ADAM-SUBJ-001", "ADEFF", "USUBJID", {"USUBJID": S2}, S2)]


def test_duplicate_adsl_subject():
    adam = tiny_adam()
    adam["ADSL"] = pd.concat([adam["ADSL"], adam["ADSL"].iloc[[2]]], ignore_index=True)
    assert _fired(adam) == [("ADAM-ADSL-001", "ADSL", "USUBJID", {"USUBJID": S3}, "2")]


@pytest.mark.parametrize("aval,avalc", [(1.0, "N"), (0.0, ""), (np.nan, "Y"), (2.0, "Y")])
def test_responder_aval_avalc_mismatch(aval, avalc):
    adam = tiny_adam()
    m = _where(adam["ADEFF"], S1, "IGATS", "Week 8")
    adam["ADEFF"].loc[m, ["AVAL", "AVALC"]] = [aval, avalc]
    assert [(r[0], r[3]["USUBJID"]) for r in _fired(adam)] == [("ADAM-RESP-001", S1)]


def test_crit1_text_varies_within_paramcd():
    adam = tiny_adam()
    adam["ADEFF"].loc[_where(adam["ADEFF"], S2, "IGATS", "Week 8"), "CRIT1"] = "IGA 0/1"
    assert _fired(adam) == [
        ("ADAM-CRIT-001", "ADEFF", "CRIT1", {"PARAMCD": "IGATS"}, f"IGA 0/1 | {CRIT}")
    ]  # sorted texts


def test_crit1fl_bad_value_and_orphan_flag():
    adam = tiny_adam()
    df = adam["ADEFF"]
    df.loc[_where(df, S2, "IGATS", "Week 8"), "CRIT1FL"] = "X"
    df.loc[_where(df, S1, "IGA", "Week 8"), "CRIT1FL"] = "Y"
    assert [(r[0], r[3]["USUBJID"], r[3]["PARAMCD"], r[4]) for r in _fired(adam)] == [
        ("ADAM-CRIT-002", S2, "IGATS", "X"),
        ("ADAM-CRIT-002", S1, "IGA", "Y"),
    ]


def test_population_flag_blank_and_trt01p_missing():
    adam = tiny_adam()
    adam["ADSL"].loc[1, "EFFFL"] = ""
    adam["ADSL"].loc[2, "TRT01P"] = None
    assert _fired(adam) == [
        ("ADAM-FLAG-001", "ADSL", "EFFFL", {"USUBJID": S2}, ""),
        ("ADAM-TRT-001", "ADSL", "TRT01P", {"USUBJID": S3}, ""),
    ]


def test_attributes_type_length_label_and_undefined_variable():
    adam = tiny_adam()
    adam["ADSL"]["AGE"] = adam["ADSL"]["AGE"].astype("str")
    adam["ADSL"].loc[0, "TRT01P"] = "Vehicle cream BID"  # 17 bytes > 10
    adam["ADEFF"]["EXTRA"] = 1
    labels = {
        "ADSL": {
            "USUBJID": "Unique Subject Identifier",
            "AGE": "Age (years)",
            "TRT01P": "Planned Treatment for Period 01",
            "ITTFL": "Intent-To-Treat Population Flag",
            "SAFFL": "Safety Population Flag",
            "EFFFL": "Efficacy Population Flag",
        }
    }
    got = _fired(adam, options=ConformanceOptions(spec=tiny_spec(), labels=labels))
    assert got == [
        ("ADAM-ATTR-001", "ADSL", "AGE", {}, "str"),
        ("ADAM-ATTR-002", "ADSL", "TRT01P", {"USUBJID": S1}, "Vehicle cream BID"),
        ("ADAM-ATTR-003", "ADSL", "AGE", {}, "Age (years)"),
        ("ADAM-ATTR-004", "ADEFF", "EXTRA", {}, ""),
    ]


def test_integer_variable_with_fractional_value():
    adam = tiny_adam()
    adam["ADSL"]["AGE"] = [30.0, 15.5, 61.0]
    got = _fired(adam, options=ConformanceOptions(spec=tiny_spec()))
    assert got == [("ADAM-ATTR-001", "ADSL", "AGE", {"USUBJID": S2}, "15.5")]


def test_missing_dataset_reported_only_when_required():
    adam = {"ADSL": tiny_adam()["ADSL"]}
    assert _fired(adam, options=ConformanceOptions(spec=tiny_spec())) == []
    assert _fired(adam, options=ConformanceOptions(spec=tiny_spec(), require_all_datasets=True)) == [
        ("ADAM-DS-001", "ADEFF", "", {}, "")
    ]


def test_responders_default_to_spec_endpoints_else_none():
    import dataclasses

    from adamforge.adam.spec import Endpoint

    assert ConformanceOptions().responder_codes() == ()  # the engine knows no study's responders
    assert ConformanceOptions(responders=("X",)).responder_codes() == ("X",)
    spec = dataclasses.replace(tiny_spec(), endpoints=(Endpoint("EASI", "EASI responder", 1, "Week 8", ""),))
    assert ConformanceOptions(spec=spec).responder_codes() == ("EASI",)
    assert ConformanceOptions(spec=spec, responders=("X",)).responder_codes() == ("X",)  # given wins


def test_responder_rule_checks_the_spec_endpoints_not_the_y_n_parameters():
    """With a spec naming its endpoints, exactly those parameters are responders (EASI here, whose
    values are not 0/1); without, the parameters whose AVALC is only Y/N (IGATS)."""
    import dataclasses

    from adamforge.adam.spec import Endpoint

    adam = tiny_adam()
    adam["ADEFF"].loc[_where(adam["ADEFF"], S1, "IGATS", "Week 8"), "AVALC"] = "N"  # AVAL 1 with N
    spec = dataclasses.replace(tiny_spec(), endpoints=(Endpoint("EASI", "EASI responder", 1, "Week 8", ""),))
    got = _fired(adam, options=ConformanceOptions(spec=spec), select=["ADAM-RESP-001"])
    assert [(r[3]["USUBJID"], r[3]["PARAMCD"], r[3]["AVISIT"], r[4]) for r in got] == [
        (S1, "EASI", "Baseline", "8"),
        (S1, "EASI", "Week 8", "2"),
        (S2, "EASI", "Baseline", "0"),  # 0 wants AVALC N, it is blank
        (S2, "EASI", "Week 8", "1.5"),
    ]  # S2 EASI Week 4: AVAL and AVALC both missing, consistent
    assert [(r[3]["PARAMCD"], r[4]) for r in _fired(adam, select=["ADAM-RESP-001"])] == [("IGATS", "1")]


def test_rules_apply_by_class_not_name():
    """A subject-level dataset named otherwise is checked as ADSL when the spec says its class is ADSL."""
    import types

    subj = pd.DataFrame({"USUBJID": ["S-1", "S-1"], "TRT01P": ["A", "A"]})
    spec = types.SimpleNamespace(
        programs={}, datasets={"ADSUBJ": types.SimpleNamespace(class_="SUBJECT LEVEL ANALYSIS DATASET")}
    )
    found = check_conformance(
        {"ADSUBJ": subj}, options=ConformanceOptions(spec=spec), select=["ADAM-ADSL-001"]
    ).findings
    assert [(f.rule_id, f.dataset) for f in found] == [("ADAM-ADSL-001", "ADSUBJ")]
    assert check_conformance({"ADSUBJ": subj}, select=["ADAM-ADSL-001"]).findings == []  # no spec: by name


def test_every_rule_is_timed():
    assert set(check_conformance(tiny_adam()).seconds) == set(conformance.RULES)


def test_chg_may_be_missing_before_baseline_but_not_after():
    adam = tiny_adam()
    df = adam["ADEFF"]
    df["ADT"] = pd.to_datetime("2020-01-10")
    screening = pd.DataFrame(
        [
            {
                **df.loc[0].to_dict(),
                "AVISIT": "",
                "ABLFL": "",
                "AVAL": 2.0,
                "CHG": np.nan,
                "ADT": pd.Timestamp("2020-01-02"),
            }
        ]
    )
    adam["ADEFF"] = pd.concat([df, screening], ignore_index=True)
    assert _fired(adam) == []
    late = adam["ADEFF"].index[-1]
    adam["ADEFF"].loc[late, "ADT"] = pd.Timestamp("2020-02-02")
    assert [r[0] for r in _fired(adam)] == ["ADAM-CHG-001", "ADAM-PCHG-001"]


def _findings_alone(rule_id, adam, opt=None):
    """The rule's function called directly on a plain dict (no memo of the run)."""
    return [
        (f.rule_id, f.variable, dict(f.keys), f.value)
        for f in conformance.RULES[rule_id].check(adam, opt or ConformanceOptions())
    ]


@pytest.mark.parametrize("date", ["ADT", "ADY"])
def test_up_to_baseline_by_group_codes_with_several_baselines_and_missing_dates(date):
    adam = tiny_adam()
    df = adam["ADEFF"]
    day = {"Baseline": 1, "Week 2": 15, "Week 4": 29, "Week 8": 57}
    ady = df["AVISIT"].map(day).astype("Int64")
    df[date] = pd.to_datetime("2020-01-01") + pd.to_timedelta(ady.astype("float64"), unit="D") if date == "ADT" else ady
    # S1 IGA: a second baseline on Week 2 moves the reference date to Week 2; a wrong CHG there is allowed
    # to be missing but not wrong; S2 IGA Week 8 loses its date: never "on or before" baseline
    df.loc[_where(df, S1, "IGA", "Week 2"), ["ABLFL", "CHG"]] = ["Y", 5.0]
    df.loc[_where(df, S2, "IGA", "Week 8"), date] = pd.NaT if date == "ADT" else pd.NA
    df.loc[_where(df, S2, "IGA", "Week 8"), "CHG"] = np.nan
    mask = conformance._up_to_baseline(df)
    assert list(df.loc[mask, "AVISIT"] + "/" + df.loc[mask, "PARAMCD"] + "/" + df.loc[mask, "USUBJID"]) == [
        f"Baseline/IGA/{S1}",
        f"Week 2/IGA/{S1}",
        f"Baseline/EASI/{S1}",
        f"Baseline/IGA/{S2}",
        f"Baseline/EASI/{S2}",
    ]
    got = _fired(adam, select=["ADAM-CHG-001", "ADAM-BASE-001", "ADAM-BASE-003"])
    assert sorted((r[0], r[3].get("AVISIT", "")) for r in got) == [
        ("ADAM-BASE-001", ""),
        ("ADAM-CHG-001", "Week 2"),
        ("ADAM-CHG-001", "Week 8"),
    ]
    for rid in ("ADAM-CHG-001", "ADAM-PCHG-001", "ADAM-BASE-003"):  # memo of the run == rule alone
        assert _findings_alone(rid, adam) == [
            (f.rule_id, f.variable, dict(f.keys), f.value) for f in check_conformance(adam, select=[rid]).findings
        ]


def test_base_carried_uses_the_single_baseline_of_each_subject_and_parameter():
    adam = tiny_adam()
    df = adam["ADEFF"]
    df.loc[_where(df, S1, "EASI", "Week 8"), "BASE"] = 9.0  # baseline AVAL is 8
    got = _fired(adam, select=["ADAM-BASE-003"])
    assert got == [("ADAM-BASE-003", "ADEFF", "BASE", {"USUBJID": S1, "PARAMCD": "EASI", "AVISIT": "Week 8"}, "9")]
