"""SDTM input checks: a clean tiny study gives no finding; one injected fault fires one rule on one record.

The reference study's rules come from its spec (``specs/reference/adam_inputs.yaml``); the
engine's own behaviour is tested with tiny specs built by ``build_spec``.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adamforge.adam.spec import build_spec, load_spec
from adamforge.context import default_spec_dir
from adamforge.validation import sdtm_checks
from adamforge.validation.sdtm_checks import SdtmCheckOptions, impute_partial_date, iso8601_valid
from adamforge.validation.sdtm_checks import check_sdtm as _check_sdtm

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    REF = load_spec(default_spec_dir())


def check_sdtm(sdtm, spec=REF, **kw):
    """The checks with the reference study's spec unless another is given."""
    return _check_sdtm(sdtm, spec, **kw)


S = "INCB18424-303"
SUBJ = [f"{S}-101-001", f"{S}-101-002", f"{S}-102-003"]


def tiny_sdtm() -> dict[str, pd.DataFrame]:
    """Three subjects, two visits; every required variable; disease durations 10, 5 and 30 years."""
    dm = pd.DataFrame(
        {
            "STUDYID": S,
            "DOMAIN": "DM",
            "USUBJID": SUBJ,
            "SUBJID": ["001", "002", "003"],
            "RFSTDTC": ["2020-01-10", "2020-02-01", "2020-03-05"],
            "RFXSTDTC": ["2020-01-10", "2020-02-01", "2020-03-05"],
            "SITEID": ["101", "101", "102"],
            "AGE": [30, 15, 61],
            "AGEU": "YEARS",
            "SEX": ["F", "M", "F"],
            "RACE": "WHITE",
            "ARMCD": ["VEH", "RUX075", "RUX15"],
            "ARM": ["Vehicle cream BID", "RUX 0.75%", "RUX 1.5%"],
            "ACTARMCD": ["VEH", "RUX075", "RUX15"],
            "ACTARM": ["Vehicle cream BID", "RUX 0.75%", "RUX 1.5%"],
            "RFXENDTC": ["2020-06-10", "2020-07-01", "2020-08-05"],
            "COUNTRY": ["USA", "CAN", "DEU"],
        }
    )
    sv = pd.DataFrame(
        {
            "USUBJID": [u for u in SUBJ for _ in (1, 2)],
            "VISITNUM": [2.0, 5.0] * 3,
            "VISIT": ["BASELINE", "WEEK 8"] * 3,
            "SVSTDTC": ["2020-01-10", "2020-03-06", "2020-02-01", "2020-03-28", "2020-03-05", "2020-04-30"],
        }
    )
    ex = pd.DataFrame(
        {
            "USUBJID": SUBJ,
            "EXSEQ": [1.0, 1.0, 1.0],
            "EXTRT": ["VEHICLE CREAM", "RUXOLITINIB CREAM", "RUXOLITINIB CREAM"],
            "EXDOSE": [0, 0.75, 1.5],
            "EXSTDTC": ["2020-01-10", "2020-02-01", "2020-03-05"],
        }
    )
    ds = pd.DataFrame(
        {
            "USUBJID": SUBJ,
            "DSSEQ": [1.0, 1.0, 1.0],
            "DSTERM": "RANDOMIZED",
            "DSDECOD": "RANDOMIZED",
            "DSCAT": "PROTOCOL MILESTONE",
            "EPOCH": "SCREENING",
            "DSSTDTC": ["2020-01-09", "2020-01-31", "2020-03-04"],
        }
    )
    mh = pd.DataFrame(
        {
            "USUBJID": SUBJ,
            "MHSEQ": [1.0, 1.0, 1.0],
            "MHTERM": "ATOPIC DERMATITIS",
            "MHDECOD": "Dermatitis atopic",
            "MHCAT": "PRIMARY DIAGNOSIS",
            "MHSTDTC": ["2010-01-10", "2015-02", "1990"],
        }
    )
    sc = pd.DataFrame(
        {
            "USUBJID": [u for u in SUBJ for _ in (1, 2)],
            "SCSEQ": [1.0, 2.0] * 3,
            "SCTESTCD": ["FACEINV", "NFLARE12"] * 3,
            "SCSTRESC": ["Y", "3", "N", "0", "Y", "12"],
            "SCSTRESN": [None, 3, None, 0, None, 12],
        }
    )
    rs_rows = []
    for u in SUBJ:
        seq = 0
        for vn, dtc in ((2.0, "2020-01-10"), (5.0, "2020-03-06")):
            for tc, v in (
                ("IGA", 3 if vn == 2 else 1),
                ("EASI", 8.5 if vn == 2 else 2.0),
                ("BSA", 9.0 if vn == 2 else 3.0),
            ):
                seq += 1
                rs_rows.append(
                    {
                        "USUBJID": u,
                        "RSSEQ": float(seq),
                        "RSTESTCD": tc,
                        "RSSTRESN": float(v),
                        "VISITNUM": vn,
                        "RSDTC": dtc,
                    }
                )
    rs = pd.DataFrame(rs_rows)
    qs_rows = []
    for u in SUBJ:
        seq = 0
        for day in range(1, 4):
            seq += 1
            qs_rows.append(
                {
                    "USUBJID": u,
                    "QSSEQ": float(seq),
                    "QSCAT": "ITCH NRS",
                    "QSTESTCD": "ITCHNRS",
                    "QSSTRESN": float(day + 3),
                    "VISITNUM": None,
                    "QSDTC": f"2020-01-0{day}",
                }
            )
        for i in range(1, 11):
            seq += 1
            qs_rows.append(
                {
                    "USUBJID": u,
                    "QSSEQ": float(seq),
                    "QSCAT": "DLQI",
                    "QSTESTCD": f"DLQI{i:02d}",
                    "QSSTRESN": float(i % 4),
                    "VISITNUM": 2.0,
                    "QSDTC": "2020-01-10",
                }
            )
    qs = pd.DataFrame(qs_rows)
    return {"DM": dm, "SV": sv, "EX": ex, "DS": ds, "MH": mh, "SC": sc, "RS": rs, "QS": qs}


def _fired(sdtm, **kw):
    return [(f.rule_id, f.dataset, f.variable, dict(f.keys), f.value) for f in check_sdtm(sdtm, **kw).findings]


def test_clean_tiny_study_gives_no_finding():
    assert _fired(tiny_sdtm()) == []


def test_duplicate_subject_in_dm_fires_key_rule_once():
    sd = tiny_sdtm()
    sd["DM"] = pd.concat([sd["DM"], sd["DM"].iloc[[1]]], ignore_index=True)
    assert _fired(sd) == [("SDTM-KEY-001", "DM", "USUBJID", {"USUBJID": SUBJ[1]}, "2")]


def test_iga_7_fires_range_and_codelist_rules_on_that_record():
    sd = tiny_sdtm()
    rs = sd["RS"]
    rs.loc[(SUBJ[2] == rs.USUBJID) & (rs.RSTESTCD == "IGA") & (rs.VISITNUM == 5.0), "RSSTRESN"] = 7.0
    assert _fired(sd) == [
        ("SDTM-RANGE-001", "RS", "RSSTRESN", {"USUBJID": SUBJ[2], "RSSEQ": 4}, "7"),
        ("SDTM-CT-001", "RS", "RSSTRESN", {"USUBJID": SUBJ[2], "RSSEQ": 4}, "7"),
    ]


@pytest.mark.parametrize(
    "testcd,value,ok", [("EASI", 72.0, True), ("EASI", 72.1, False), ("BSA", -1.0, False), ("BSA", 100.0, True)]
)
def test_rs_range_limits_are_inclusive(testcd, value, ok):
    sd = tiny_sdtm()
    rs = sd["RS"]
    rs.loc[(SUBJ[0] == rs.USUBJID) & (testcd == rs.RSTESTCD) & (rs.VISITNUM == 2.0), "RSSTRESN"] = value
    assert (_fired(sd) == []) is ok


def test_dlqi_item_4_and_itch_11_fire_range_rule():
    sd = tiny_sdtm()
    qs = sd["QS"]
    qs.loc[(SUBJ[0] == qs.USUBJID) & (qs.QSTESTCD == "DLQI03"), "QSSTRESN"] = 4.0
    qs.loc[(SUBJ[1] == qs.USUBJID) & (qs.QSSEQ == 2.0), "QSSTRESN"] = 11.0
    assert _fired(sd) == [
        ("SDTM-RANGE-001", "QS", "QSSTRESN", {"USUBJID": SUBJ[1], "QSSEQ": 2}, "11"),
        ("SDTM-RANGE-001", "QS", "QSSTRESN", {"USUBJID": SUBJ[0], "QSSEQ": 6}, "4"),
    ]


def test_bad_date_fires_date_rule_on_that_record():
    sd = tiny_sdtm()
    sd["RS"].loc[4, "RSDTC"] = "2020-02-30"
    sd["EX"].loc[0, "EXSTDTC"] = "10JAN2020"
    assert _fired(sd) == [
        ("SDTM-DTC-001", "EX", "EXSTDTC", {"USUBJID": SUBJ[0], "EXSEQ": 1}, "10JAN2020"),
        ("SDTM-DTC-001", "RS", "RSDTC", {"USUBJID": SUBJ[0], "RSSEQ": 5}, "2020-02-30"),
    ]


def test_iso8601_accepts_partial_and_datetimes_and_rejects_the_rest():
    s = pd.Series(
        [
            "2020",
            "2020-07",
            "2020-07-31",
            "2020-07-31T13",
            "2020-07-31T13:45",
            "2020-07-31T13:45:09.5",
            "",
            None,
            "2020-13",
            "2020-7-1",
            "2020-06-31",
            "2020-07-31T24:00",
            "20200731",
            "2020-07-31 13:45",
        ]
    )
    assert iso8601_valid(s).tolist() == [True] * 8 + [False] * 6


def test_partial_onset_dates_are_imputed_first_of_month_and_january():
    got = impute_partial_date(pd.Series(["2015-02", "1990", "2001-05-17", "bad", ""]))
    assert got.dt.strftime("%Y-%m-%d").tolist()[:3] == ["2015-02-01", "1990-01-01", "2001-05-17"]
    assert got.iloc[3:].isna().all()


def test_seq_duplicate_within_subject_fires_seq_rule():
    sd = tiny_sdtm()
    sd["SC"].loc[3, "SCSEQ"] = 1.0  # subject 2: FACEINV and NFLARE12 both SCSEQ 1
    assert _fired(sd) == [("SDTM-SEQ-001", "SC", "SCSEQ", {"USUBJID": SUBJ[1], "SCSEQ": 1}, "2")]


def test_rs_subject_missing_from_dm_fires_once_per_subject():
    sd = tiny_sdtm()
    extra = sd["RS"].loc[SUBJ[0] == sd["RS"].USUBJID].assign(USUBJID=f"{S}-101-999")
    sd["RS"] = pd.concat([sd["RS"], extra], ignore_index=True)
    assert _fired(sd) == [("SDTM-SUBJ-001", "RS", "USUBJID", {"USUBJID": f"{S}-101-999"}, f"{S}-101-999")]


def test_missing_domain_and_variable_are_reported_together_with_the_program_step():
    sd = tiny_sdtm()
    del sd["SC"]
    sd["RS"] = sd["RS"].drop(columns=["RSDTC"])
    run = check_sdtm(sd)
    assert [(f.rule_id, f.dataset, f.variable) for f in run.findings if f.severity == "ERROR"] == [
        ("SDTM-REQ-001", "RS", "RSDTC"),
        ("SDTM-REQ-001", "SC", ""),
    ]
    msgs = {f.dataset: f.message for f in run.findings}
    assert "program ADEFFOBS population" in msgs["RS"]
    assert "program ADSLCORE step 19 (MT.FACEFL)" in msgs["SC"]
    assert [f for f in run.findings if f.severity != "ERROR"] == []  # the rules on RSDTC: REQ-001 said it


def test_a_spec_rule_on_an_absent_variable_is_a_warning_not_silence():
    sd = tiny_sdtm()
    sd["MH"] = sd["MH"].drop(columns=["MHDECOD"])  # neither read by a program nor required: a unique key uses it
    [f] = check_sdtm(sd).findings
    assert (f.rule_id, f.severity, f.dataset, f.variable) == ("SDTM-SPEC-001", "WARNING", "MH", "MHDECOD")


def test_missing_usubjid_fires_not_null_rule_only():
    sd = tiny_sdtm()
    sd["EX"]["USUBJID"] = sd["EX"]["USUBJID"].astype(object)
    sd["EX"].loc[2, "USUBJID"] = ""
    assert _fired(sd) == [("SDTM-KEY-002", "EX", "USUBJID", {"EXSEQ": 1, "ROW": 3}, "")]


def test_disease_duration_below_two_years_is_a_warning_with_keys_and_value():
    sd = tiny_sdtm()
    sd["MH"].loc[1, "MHSTDTC"] = "2019-03"  # imputed 2019-03-01; first dose 2020-02-01: 337 days
    run = check_sdtm(sd)
    [f] = run.findings
    assert (f.rule_id, f.severity, f.dataset, dict(f.keys), f.value) == (
        "SDTM-STUDY-001",
        "WARNING",
        "MH",
        {"USUBJID": SUBJ[1], "MHSEQ": 1},
        "0.92",
    )
    assert "2019-03" in f.message and "2020-02-01" in f.message


def test_disease_duration_limit_is_spec_data():
    sd = tiny_sdtm()  # durations 10.0, 4.999 (2015-02-01 to 2020-02-01), 30.2 years
    rule = REF.inputs.rules[0]
    five = type(rule)(**{**rule.__dict__, "require": {"DISDURY": {"ge": 5}}})
    spec = REF.replace(inputs=type(REF.inputs)(REF.inputs.domains, (five,), REF.inputs.date_window))
    fired = _fired(sd, spec=spec)
    assert [(r, k) for r, _, _, k, _ in fired] == [("SDTM-STUDY-001", {"USUBJID": SUBJ[1], "MHSEQ": 1})]


def test_age_below_12_is_a_warning():
    sd = tiny_sdtm()
    sd["DM"].loc[0, "AGE"] = 11
    run = check_sdtm(sd)
    assert [(f.rule_id, f.severity, dict(f.keys), f.value) for f in run.findings] == [
        ("SDTM-STUDY-002", "WARNING", {"USUBJID": SUBJ[0]}, "11")
    ]


def test_findings_are_capped_with_a_summary_finding():
    sd = tiny_sdtm()
    sd["QS"]["QSDTC"] = "bad"
    run = check_sdtm(sd, options=SdtmCheckOptions(max_findings=5), select=["SDTM-DTC-001"])
    assert len(run.findings) == 6
    assert run.findings[-1].keys == {} and run.findings[-1].value == str(len(sd["QS"]) - 5)


def test_every_rule_is_timed_and_unknown_rule_ids_are_named():
    run = check_sdtm(tiny_sdtm())
    assert set(run.seconds) == set(sdtm_checks.RULES) | {r.id for r in REF.inputs.rules}
    with pytest.raises(ValueError, match="SDTM-NOPE"):
        check_sdtm(tiny_sdtm(), select=["SDTM-NOPE"])


# -- the engine on a tiny spec: every rule is spec data ---------------------------------------

TINY_RAW = {
    "parameters": {"arms": {"PBO": [1, "Placebo"], "HI": [2, "High dose"]}},
    "codelists": {"SEX": {"name": "Sex", "terms": ["F", "M"]}},
    "programs": {
        "ADX": {
            "class": "OTHER",
            "output": False,
            "population": {"from": "DM", "keep": ["USUBJID", "AGE", "ARMCD", "RFXSTDTC"]},
            "steps": [
                {
                    "derive": "derive_vars_merged",
                    "inputs": [{"from": "LB", "where": {"LBCAT": "CHEMISTRY"}, "keep": ["USUBJID", "LBSTRESN"]}],
                    "args": {"by_vars": ["USUBJID"], "new_vars": ["LBSTRESN"]},
                }
            ],
        },
    },
    "inputs": {
        "date_window": ["1950-01-01", "2030-12-31"],
        "domains": {
            "DM": {
                "dates": {"RFXSTDTC": "complete"},
                "codelists": [{"variable": "SEX", "codelist": "SEX"}],
                "arm_codes": {"variables": ["ARMCD"], "values": "@arms"},
            },
            "LB": {
                "unique": [{"keys": ["USUBJID", "LBTESTCD", "VISITNUM"], "where": {"LBCAT": "CHEMISTRY"}}],
                "dates": {"LBDTC": "partial"},
                "ranges": [
                    {
                        "variable": "LBSTRESN",
                        "where": {"LBCAT": "CHEMISTRY", "LBTESTCD": "ALB"},
                        "min": 10,
                        "max": 60,
                        "label": "albumin",
                        "severity": "WARNING",
                    }
                ],
            },
        },
        "rules": [
            {
                "id": "STUDY-AGE",
                "description": "Adults only",
                "domain": "DM",
                "where": {"AGE": {"missing": False}},
                "require": {"AGE": {"ge": 18}},
                "variable": "AGE",
                "value": "AGE",
                "severity": "WARNING",
                "message": "AGE {value} is below 18 (arm {ARMCD}).",
            }
        ],
    },
}


def tiny_spec(**changes):
    raw = {**TINY_RAW, **changes}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_spec(raw)


def lab_study():
    dm = pd.DataFrame(
        {
            "USUBJID": ["P-1", "P-2", "P-3"],
            "AGE": [40.0, 52.0, 33.0],
            "SEX": ["F", "M", "F"],
            "ARMCD": ["PBO", "HI", "Scrnfail"],
            "RFXSTDTC": ["2021-03-01", "2021-03-04", ""],
        }
    )
    lb = pd.DataFrame(
        {
            "USUBJID": ["P-1", "P-1", "P-2", "P-2"],
            "LBSEQ": [1.0, 2.0, 1.0, 2.0],
            "LBCAT": ["CHEMISTRY", "URINALYSIS", "CHEMISTRY", "CHEMISTRY"],
            "LBTESTCD": ["ALB", "ALB", "ALB", "CREAT"],
            "VISITNUM": [1.0, 1.0, 1.0, 1.0],
            "LBSTRESN": [40.0, 0.2, 45.0, 80.0],
            "LBDTC": ["2021-03", "2021-03-01", "2021-03-04", "2021-03-04"],
        }
    )
    return {"DM": dm, "LB": lb}


def _tiny(sd, spec=None, **kw):
    return [
        (f.rule_id, f.severity, f.dataset, f.variable, dict(f.keys), f.value)
        for f in _check_sdtm(sd, spec or tiny_spec(), **kw).findings
    ]


def test_tiny_study_is_clean_and_mixed_case_scrnfail_is_no_arm_error():
    assert _tiny(lab_study()) == []  # ARMCD "Scrnfail" = SCRNFAIL; its blank RFXSTDTC is no partial date


def test_unknown_arm_code_is_named():
    sd = lab_study()
    sd["DM"].loc[1, "ARMCD"] = "LOW"
    assert _tiny(sd) == [("SDTM-CT-001", "ERROR", "DM", "ARMCD", {"USUBJID": "P-2"}, "LOW")]


def test_duplicate_key_within_the_filter_only():
    sd = lab_study()
    sd["LB"].loc[1, ["LBCAT", "LBSTRESN"]] = ["CHEMISTRY", 41.0]  # P-1 ALB visit 1 now twice in CHEMISTRY
    assert _tiny(sd) == [
        (
            "SDTM-KEY-001",
            "ERROR",
            "LB",
            "USUBJID, LBTESTCD, VISITNUM",
            {"USUBJID": "P-1", "LBTESTCD": "ALB", "VISITNUM": 1},
            "2",
        )
    ]
    f = _check_sdtm(sd, tiny_spec()).findings[0]
    assert "where LBCAT = 'CHEMISTRY'" in f.message


def test_partial_date_where_the_spec_wants_a_complete_one():
    sd = lab_study()
    sd["DM"].loc[0, "RFXSTDTC"] = "2021-03"
    assert _tiny(sd) == [("SDTM-DTC-002", "ERROR", "DM", "RFXSTDTC", {"USUBJID": "P-1"}, "2021-03")]


@pytest.mark.parametrize("value", ["9999-12-31", "0000-01-01", "0000", "2031-01"])
def test_date_outside_the_spec_window_names_the_record(value):
    sd = lab_study()
    sd["DM"].loc[1, "RFXSTDTC"] = value
    fired = [x for x in _tiny(sd) if x[0] != "SDTM-DTC-002"]  # "0000" and "2031-01" are partial too
    assert fired == [("SDTM-DTC-003", "ERROR", "DM", "RFXSTDTC", {"USUBJID": "P-2"}, value)]


def test_default_date_window_when_the_spec_gives_none():
    inputs = {k: v for k, v in TINY_RAW["inputs"].items() if k != "date_window"}
    sd = lab_study()
    sd["LB"].loc[0, "LBDTC"] = "1899-12"
    sd["LB"].loc[2, "LBDTC"] = "2040-01-01"  # inside the default window 1900-01-01 .. 2100-12-31
    assert _tiny(sd, tiny_spec(inputs=inputs)) == [
        ("SDTM-DTC-003", "ERROR", "LB", "LBDTC", {"USUBJID": "P-1", "LBSEQ": 1}, "1899-12")
    ]


def test_age_inf_is_a_finding_naming_the_record_not_a_crash():
    sd = lab_study()
    sd["DM"].loc[2, "AGE"] = np.inf
    assert _tiny(sd) == [("SDTM-NUM-001", "ERROR", "DM", "AGE", {"USUBJID": "P-3"}, "inf")]


def test_range_rule_from_the_spec_with_its_severity_and_filter():
    sd = lab_study()
    sd["LB"].loc[2, "LBSTRESN"] = 61.0  # chemistry ALB (the urinalysis ALB 0.2 is outside the filter)
    fired = _tiny(sd)
    assert fired == [("SDTM-RANGE-001", "WARNING", "LB", "LBSTRESN", {"USUBJID": "P-2", "LBSEQ": 1}, "61")]


def test_study_rule_from_the_spec_with_its_id_severity_and_message():
    sd = lab_study()
    sd["DM"].loc[0, "AGE"] = 16.0
    run = _check_sdtm(sd, tiny_spec())
    [f] = run.findings
    assert (f.rule_id, f.severity, f.value, f.message) == (
        "STUDY-AGE",
        "WARNING",
        "16",
        "AGE 16 is below 18 (arm PBO).",
    )
    assert "STUDY-AGE" in run.seconds and sdtm_checks.registry(tiny_spec())["STUDY-AGE"].description == "Adults only"


def test_codelist_rule_from_the_spec():
    sd = lab_study()
    sd["DM"].loc[2, "SEX"] = "U"
    assert _tiny(sd) == [("SDTM-CT-001", "ERROR", "DM", "SEX", {"USUBJID": "P-3"}, "U")]


def test_missing_domain_and_variable_name_the_program_step_that_reads_them():
    sd = lab_study()
    sd["DM"] = sd["DM"].drop(columns=["AGE"])
    del sd["LB"]
    run = _check_sdtm(sd, tiny_spec())
    got = {(f.rule_id, f.dataset, f.variable): f.message for f in run.findings}
    assert set(got) == {("SDTM-REQ-001", "DM", "AGE"), ("SDTM-REQ-001", "LB", "")}
    assert "read by program ADX population" in got["SDTM-REQ-001", "DM", "AGE"]
    assert "read by program ADX step 1 (derive_vars_merged)" in got["SDTM-REQ-001", "LB", ""]


def test_derive_scope_skips_rules_on_variables_the_programs_do_not_read():
    sd = lab_study()
    sd["LB"] = sd["LB"][["USUBJID", "LBCAT", "LBSTRESN"]]  # what the program reads
    assert _tiny(sd, options=SdtmCheckOptions(scope="programs")) == []
    assert {x[0] for x in _tiny(sd)} == {"SDTM-SPEC-001"}  # validate says the rules could not run


def test_spec_inputs_problems_are_named():
    from adamforge.errors import DataError

    bad = {
        "domains": {"DM": {"dates": {"RFXSTDTC": "sometimes"}, "ranges": [{"variable": "AGE", "min": 5, "max": 1}]}},
        "rules": [{"id": "X", "domain": "DM", "require": {"AGE": {"ge": 1}}, "message": "{AGE.__class__}"}],
        "date_window": ["1900", "2100-12-31"],
    }
    with pytest.raises(DataError) as ei:
        tiny_spec(inputs=bad)
    text = "\n".join(ei.value.problems)
    for part in ("'complete' or 'partial'", "min 5 is above max 1", "plain variable names", "a date YYYY-MM-DD"):
        assert part in text


def test_no_study_literals_in_the_engine():
    """Study-specific values live in the spec (adam_inputs.yaml), never in the check modules."""
    root = Path(sdtm_checks.__file__).resolve().parent.parent
    words = [
        "ITCH",
        "DLQI",
        "PRIMARY DIAGNOSIS",
        "IGA",
        "EASI",
        "BSA",
        "NFLARE",
        "FACEINV",
        "RUX",
        "VEH",
        "INCB",
        "atopic",
        "disease duration",
        "2 years",
    ]
    for rel in ("validation/sdtm_checks.py", "adam/inputs.py"):
        code = (root / rel).read_text()
        found = [w for w in words if re.search(re.escape(w), code, re.IGNORECASE)]
        assert found == [], f"{rel} names {found}"


def test_one_domain_at_a_time_gives_the_findings_of_all_at_once():
    """check_sdtm_by_domain (validate's bounded-memory driver) = check_sdtm on the whole input:
    same findings in the same order, faults in several domains and rules, a domain missing."""
    sd = tiny_sdtm()
    sd["DM"] = pd.concat([sd["DM"], sd["DM"].iloc[[1]]], ignore_index=True)  # DM key
    sd["SC"].loc[3, "SCSEQ"] = 1.0  # SC --SEQ
    extra = sd["RS"].loc[SUBJ[0] == sd["RS"].USUBJID].assign(USUBJID=f"{S}-101-999")
    sd["RS"] = pd.concat([sd["RS"], extra], ignore_index=True)  # RS subject not in DM, RS keys
    sd["RS"].loc[0, "RSDTC"] = "2020-13-01"  # a bad date
    del sd["MH"]  # a study rule on an absent domain, a required domain missing
    whole = check_sdtm(sd, options=SdtmCheckOptions(max_findings=2))
    read: list[str] = []

    def reader(name):
        read.append(name)
        return sd[name]

    run, shapes = sdtm_checks.check_sdtm_by_domain(reader, list(sd), REF, options=SdtmCheckOptions(max_findings=2))
    assert run.findings == whole.findings
    assert {f.rule_id for f in whole.findings} >= {"SDTM-REQ-001", "SDTM-KEY-001", "SDTM-SEQ-001", "SDTM-SUBJ-001"}
    assert read[0] == "DM" and sorted(read) == sorted(sd)  # each domain read once, DM first
    assert shapes == sorted((n, len(df), df.shape[1]) for n, df in sd.items())
    assert set(run.seconds) == set(whole.seconds)


def test_a_reader_keeping_only_the_variables_the_checks_read_gives_the_same_findings():
    """columns_read names every variable a check reads: a reader that leaves the others out
    (validate's column-wise read of the simulator's Parquet) changes no finding."""
    sd = tiny_sdtm()
    sd["RS"].loc[0, "RSDTC"] = "2020-13-01"
    sd["SC"].loc[3, "SCSEQ"] = 1.0
    sd["QS"]["QSORRES"] = "x"  # a text variable no check reads
    whole = check_sdtm(sd)

    def reader(name):
        df = sd[name]
        numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c].dtype)]
        keep = sdtm_checks.columns_read(REF, name, list(df.columns), numeric)
        return df[[c for c in df.columns if c in keep]], list(df.columns)

    run, shapes = sdtm_checks.check_sdtm_by_domain(reader, list(sd), REF)
    assert run.findings == whole.findings and whole.findings
    assert "QSORRES" not in sdtm_checks.columns_read(REF, "QS", list(sd["QS"].columns), [])
    assert {"QSCAT", "QSTESTCD", "VISITNUM", "QSDTC", "QSSEQ"} <= sdtm_checks.columns_read(
        REF, "QS", list(sd["QS"].columns), []
    )
    assert shapes == sorted((n, len(df), df.shape[1]) for n, df in sd.items())
