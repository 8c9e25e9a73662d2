"""SDTM input checks: a clean tiny study gives no finding; one injected fault fires one rule on one record."""

from __future__ import annotations

import pandas as pd
import pytest

from adamforge.validation import sdtm_checks
from adamforge.validation.sdtm_checks import SdtmCheckOptions, check_sdtm, impute_partial_date, iso8601_valid

S = "INCB18424-303"
SUBJ = [f"{S}-101-001", f"{S}-101-002", f"{S}-102-003"]


def tiny_sdtm() -> dict[str, pd.DataFrame]:
    """Three subjects, two visits; every required variable; disease durations 10, 5 and 30 years."""
    dm = pd.DataFrame({
        "STUDYID": S, "DOMAIN": "DM", "USUBJID": SUBJ, "SUBJID": ["001", "002", "003"],
        "RFSTDTC": ["2020-01-10", "2020-02-01", "2020-03-05"], "RFXSTDTC": ["2020-01-10", "2020-02-01", "2020-03-05"],
        "SITEID": ["101", "101", "102"], "AGE": [30, 15, 61], "SEX": ["F", "M", "F"], "RACE": "WHITE",
        "ARMCD": ["VEH", "RUX075", "RUX15"], "ARM": ["Vehicle cream BID", "RUX 0.75%", "RUX 1.5%"],
        "ACTARMCD": ["VEH", "RUX075", "RUX15"], "COUNTRY": ["USA", "CAN", "DEU"],
    })
    sv = pd.DataFrame({"USUBJID": [u for u in SUBJ for _ in (1, 2)], "VISITNUM": [2.0, 5.0] * 3,
                       "VISIT": ["BASELINE", "WEEK 8"] * 3,
                       "SVSTDTC": ["2020-01-10", "2020-03-06", "2020-02-01", "2020-03-28", "2020-03-05", "2020-04-30"]})
    ex = pd.DataFrame({"USUBJID": SUBJ, "EXSEQ": [1.0, 1.0, 1.0], "EXTRT": ["VEHICLE CREAM", "RUXOLITINIB CREAM", "RUXOLITINIB CREAM"],
                       "EXDOSE": [0, 0.75, 1.5], "EXSTDTC": ["2020-01-10", "2020-02-01", "2020-03-05"]})
    ds = pd.DataFrame({"USUBJID": SUBJ, "DSSEQ": [1.0, 1.0, 1.0], "DSTERM": "RANDOMIZED", "DSDECOD": "RANDOMIZED",
                       "DSCAT": "PROTOCOL MILESTONE", "EPOCH": "SCREENING", "DSSTDTC": ["2020-01-09", "2020-01-31", "2020-03-04"]})
    mh = pd.DataFrame({"USUBJID": SUBJ, "MHSEQ": [1.0, 1.0, 1.0], "MHTERM": "ATOPIC DERMATITIS", "MHDECOD": "Dermatitis atopic",
                       "MHCAT": "PRIMARY DIAGNOSIS", "MHSTDTC": ["2010-01-10", "2015-02", "1990"]})
    sc = pd.DataFrame({"USUBJID": [u for u in SUBJ for _ in (1, 2)], "SCSEQ": [1.0, 2.0] * 3,
                       "SCTESTCD": ["FACEINV", "NFLARE12"] * 3, "SCSTRESC": ["Y", "3", "N", "0", "Y", "12"],
                       "SCSTRESN": [None, 3, None, 0, None, 12]})
    rs_rows = []
    for u in SUBJ:
        seq = 0
        for vn, dtc in ((2.0, "2020-01-10"), (5.0, "2020-03-06")):
            for tc, v in (("IGA", 3 if vn == 2 else 1), ("EASI", 8.5 if vn == 2 else 2.0), ("BSA", 9.0 if vn == 2 else 3.0)):
                seq += 1
                rs_rows.append({"USUBJID": u, "RSSEQ": float(seq), "RSTESTCD": tc, "RSSTRESN": float(v), "VISITNUM": vn, "RSDTC": dtc})
    rs = pd.DataFrame(rs_rows)
    qs_rows = []
    for u in SUBJ:
        seq = 0
        for day in range(1, 4):
            seq += 1
            qs_rows.append({"USUBJID": u, "QSSEQ": float(seq), "QSCAT": "ITCH NRS", "QSTESTCD": "ITCHNRS",
                            "QSSTRESN": float(day + 3), "VISITNUM": None, "QSDTC": f"2020-01-0{day}"})
        for i in range(1, 11):
            seq += 1
            qs_rows.append({"USUBJID": u, "QSSEQ": float(seq), "QSCAT": "DLQI", "QSTESTCD": f"DLQI{i:02d}",
                            "QSSTRESN": float(i % 4), "VISITNUM": 2.0, "QSDTC": "2020-01-10"})
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


def test_iga_7_fires_range_rule_on_that_record():
    sd = tiny_sdtm()
    rs = sd["RS"]
    rs.loc[(rs.USUBJID == SUBJ[2]) & (rs.RSTESTCD == "IGA") & (rs.VISITNUM == 5.0), "RSSTRESN"] = 7.0
    assert _fired(sd) == [("SDTM-RANGE-001", "RS", "RSSTRESN", {"USUBJID": SUBJ[2], "RSSEQ": 4}, "7")]


@pytest.mark.parametrize("testcd,value,ok", [("EASI", 72.0, True), ("EASI", 72.1, False), ("BSA", -1.0, False),
                                              ("BSA", 100.0, True)])
def test_rs_range_limits_are_inclusive(testcd, value, ok):
    sd = tiny_sdtm()
    rs = sd["RS"]
    rs.loc[(rs.USUBJID == SUBJ[0]) & (rs.RSTESTCD == testcd) & (rs.VISITNUM == 2.0), "RSSTRESN"] = value
    assert (_fired(sd) == []) is ok


def test_dlqi_item_4_and_itch_11_fire_range_rule():
    sd = tiny_sdtm()
    qs = sd["QS"]
    qs.loc[(qs.USUBJID == SUBJ[0]) & (qs.QSTESTCD == "DLQI03"), "QSSTRESN"] = 4.0
    qs.loc[(qs.USUBJID == SUBJ[1]) & (qs.QSSEQ == 2.0), "QSSTRESN"] = 11.0
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
    s = pd.Series(["2020", "2020-07", "2020-07-31", "2020-07-31T13", "2020-07-31T13:45", "2020-07-31T13:45:09.5",
                   "", None, "2020-13", "2020-7-1", "2020-06-31", "2020-07-31T24:00", "20200731", "2020-07-31 13:45"])
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
    extra = sd["RS"].loc[sd["RS"].USUBJID == SUBJ[0]].assign(USUBJID=f"{S}-101-999")
    sd["RS"] = pd.concat([sd["RS"], extra], ignore_index=True)
    assert _fired(sd) == [("SDTM-SUBJ-001", "RS", "USUBJID", {"USUBJID": f"{S}-101-999"}, f"{S}-101-999")]


def test_missing_domain_and_variable_are_reported_together():
    sd = tiny_sdtm()
    del sd["SC"]
    sd["RS"] = sd["RS"].drop(columns=["RSDTC"])
    assert _fired(sd) == [("SDTM-REQ-001", "SC", "", {}, ""), ("SDTM-REQ-001", "RS", "RSDTC", {}, "")]


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
        "SDTM-STUDY-001", "WARNING", "MH", {"USUBJID": SUBJ[1], "MHSEQ": 1}, "0.92")
    assert "2019-03" in f.message and "2020-02-01" in f.message


def test_disease_duration_limit_is_an_option():
    sd = tiny_sdtm()  # durations 10.0, 4.999 (2015-02-01 to 2020-02-01), 30.2 years
    fired = _fired(sd, options=SdtmCheckOptions(min_disease_years=5))
    assert [(r, k) for r, _, _, k, _ in fired] == [("SDTM-STUDY-001", {"USUBJID": SUBJ[1], "MHSEQ": 1})]


def test_age_below_12_is_a_warning():
    sd = tiny_sdtm()
    sd["DM"].loc[0, "AGE"] = 11
    run = check_sdtm(sd)
    assert [(f.rule_id, f.severity, dict(f.keys), f.value) for f in run.findings] == [
        ("SDTM-STUDY-002", "WARNING", {"USUBJID": SUBJ[0]}, "11")]


def test_findings_are_capped_with_a_summary_finding():
    sd = tiny_sdtm()
    sd["QS"]["QSDTC"] = "bad"
    run = check_sdtm(sd, options=SdtmCheckOptions(max_findings=5), select=["SDTM-DTC-001"])
    assert len(run.findings) == 6
    assert run.findings[-1].keys == {} and run.findings[-1].value == str(len(sd["QS"]) - 5)


def test_every_rule_is_timed_and_unknown_rule_ids_are_named():
    run = check_sdtm(tiny_sdtm())
    assert set(run.seconds) == set(sdtm_checks.RULES)
    with pytest.raises(ValueError, match="SDTM-NOPE"):
        check_sdtm(tiny_sdtm(), select=["SDTM-NOPE"])
