"""Bad SDTM input: every problem in one DataError naming domain, variable, subject and rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adamforge.adam.inputs import check_sdtm
from adamforge.adam.spec import load_spec
from adamforge.adam.step import derive_adam
from adamforge.context import default_spec_dir
from adamforge.errors import DataError

SPEC = load_spec(default_spec_dir())


def _sdtm():
    dm = pd.DataFrame({"STUDYID": "S", "USUBJID": ["S-101-1", "S-101-2"], "SUBJID": ["1", "2"], "SITEID": "101",
                       "COUNTRY": "USA", "AGE": [30.0, 15.0], "AGEU": "YEARS", "SEX": ["F", "M"], "RACE": "WHITE",
                       "ARMCD": ["VEH-RUX075", "RUX15"], "ARM": "x", "ACTARMCD": ["VEH-RUX075", "RUX15"], "ACTARM": "x",
                       "RFXSTDTC": ["2020-01-10", "2020-02-01"], "RFXENDTC": ["2020-12-01", "2020-12-01"]})
    ds = pd.DataFrame({"USUBJID": ["S-101-1", "S-101-2"], "DSCAT": "PROTOCOL MILESTONE", "EPOCH": "SCREENING",
                       "DSDECOD": "RANDOMIZED", "DSSTDTC": ["2020-01-09", "2020-01-30"]})
    mh = pd.DataFrame({"USUBJID": ["S-101-1", "S-101-2"], "MHCAT": "PRIMARY DIAGNOSIS", "MHSTDTC": ["2001", "2010-05"]})
    sc = pd.DataFrame({"USUBJID": ["S-101-1"], "SCTESTCD": ["FACEINV"], "SCSTRESC": ["Y"], "SCSTRESN": [np.nan]})
    rs = pd.DataFrame({"USUBJID": ["S-101-1", "S-101-1"], "RSSEQ": [1.0, 2.0], "RSTESTCD": "IGA", "RSSTRESN": [3.0, 1.0],
                       "RSDTC": ["2020-01-10", "2020-03-06"]})
    qs = pd.DataFrame({"USUBJID": ["S-101-1"], "QSSEQ": [1.0], "QSCAT": ["ITCH NRS"], "QSTESTCD": ["ITCHNRS"],
                       "QSSTRESN": [5.0], "VISITNUM": [np.nan], "QSDTC": ["2020-01-05"]})
    return {"DM": dm, "DS": ds, "MH": mh, "SC": sc, "RS": rs, "QS": qs}


def test_clean_tiny_input_has_no_problems():
    assert check_sdtm(_sdtm(), SPEC) == []


def test_every_problem_reported_at_once():
    sdtm = _sdtm()
    sdtm["DM"].loc[1, "SEX"] = "U"
    sdtm["DM"].loc[0, "ARMCD"] = "PLACEBO"
    sdtm["RS"].loc[1, "RSDTC"] = "2020-03"                     # partial date where a full one is needed
    sdtm["RS"] = pd.concat([sdtm["RS"], sdtm["RS"].iloc[[0]].assign(RSSEQ=3.0)])  # duplicate key
    sdtm["QS"].loc[0, "USUBJID"] = "S-999-9"                   # subject not in DM
    sdtm["MH"].loc[0, "MHSTDTC"] = "sometime"
    sdtm["SC"] = sdtm["SC"].drop(columns=["SCSTRESN"])
    with pytest.raises(DataError) as ei:
        derive_adam(sdtm, SPEC)
    probs = ei.value.problems
    expected = [
        "SC.SCSTRESN: required variable missing (rule: required variable)",
        "RS (USUBJID, RSTESTCD, RSDTC): duplicate keys (rule: unique keys): 2 record(s); subject(s) S-101-1",
        "RS.RSDTC: unparseable or partial date (rule: complete ISO 8601 date): values '2020-03'; 1 record(s); subject(s) S-101-1",
        "MH.MHSTDTC: unparseable or partial date (rule: ISO 8601 date, partial allowed): values 'sometime'; 1 record(s); subject(s) S-101-1",
        "DM.SEX: value outside codelist SEX (rule: codelist): values 'U'; 1 record(s); subject(s) S-101-2",
        "DM.ARMCD: arm code not in parameter 'arms' (RUX075, RUX15, VEH) (rule: codelist): values 'PLACEBO'; 1 record(s); subject(s) S-101-1",
        "QS.USUBJID: subject not in DM (rule: subject in DM): 1 record(s); subject(s) S-999-9",
    ]
    assert sorted(probs) == sorted(expected)


def test_missing_domain_is_named():
    sdtm = _sdtm()
    del sdtm["QS"]
    assert check_sdtm(sdtm, SPEC) == ["QS: domain missing (rule: required domain)"]


def test_iga_outside_codelist_and_item_out_of_range():
    sdtm = _sdtm()
    sdtm["RS"].loc[1, "RSSTRESN"] = 5.0
    sdtm["QS"].loc[0, "QSSTRESN"] = 11.0
    assert check_sdtm(sdtm, SPEC) == [
        "RS.RSSTRESN: IGA score outside codelist IGA (rule: codelist): values [5.0]; 1 record(s); subject(s) S-101-1",
        "QS.QSSTRESN: value outside range (rule: itch NRS 0-10): values [11.0]; 1 record(s); subject(s) S-101-1",
    ]


def test_tiny_input_derives_both_datasets():
    res = derive_adam(_sdtm(), SPEC)
    adsl = res.datasets["ADSL"].set_index("USUBJID")
    assert adsl.loc["S-101-1", "TRT01P"] == "Vehicle" and adsl.loc["S-101-1", "TRT02P"] == "RUX 0.75%"
    assert adsl.loc["S-101-2", "TRT02PN"] == 3 and adsl.loc["S-101-2", "QOLINST"] == "CDLQI"
    assert adsl.loc["S-101-1", "DISONSDF"] == "M" and adsl.loc["S-101-2", "DISONSDF"] == "D"
    assert adsl.loc["S-101-1", "BLIGA"] == 3 and adsl.loc["S-101-1", "W8IGAFL"] == "Y"
    assert adsl.loc["S-101-1", "NACHFL"] == "N"  # 3 -> 1 is IGA-TS
    adeff = res.datasets["ADEFF"]
    igats = adeff[(adeff.USUBJID == "S-101-1") & (adeff.PARAMCD == "IGATS")]
    assert igats["AVAL"].tolist() == [1.0] and igats["CRIT1FL"].tolist() == ["Y"]


def test_result_without_date_is_an_error_not_a_silent_nri():
    """A Week 8 IGA with a blank RSDTC falls in no window: it must be reported, not imputed as failure."""
    sdtm = _sdtm()
    sdtm["RS"].loc[1, "RSDTC"] = ""
    assert check_sdtm(sdtm, SPEC) == [
        "RS.RSDTC: result without a date (rule: dated results); RSSEQ 2; 1 record(s); subject(s) S-101-1"]


def test_qol_records_must_be_items_not_totals():
    sdtm = _sdtm()
    sdtm["QS"] = pd.concat([sdtm["QS"], pd.DataFrame({
        "USUBJID": ["S-101-1", "S-101-1"], "QSSEQ": [2.0, 3.0], "QSCAT": ["DLQI", "DLQI"],
        "QSTESTCD": ["DLQI01", "DLQITOT"], "QSSTRESN": [1.0, 2.0], "VISITNUM": [2.0, 2.0],
        "QSDTC": ["2020-01-10", "2020-01-10"]})], ignore_index=True)
    assert check_sdtm(sdtm, SPEC) == [
        "QS.QSTESTCD: not an item of its questionnaire (rule: DLQI01-DLQI10 / CDLQI01-CDLQI10 only; totals are "
        "derived, not collected): values 'DLQITOT'; 1 record(s); subject(s) S-101-1"]


def test_screen_failures_and_untreated_subjects_are_not_errors():
    sdtm = _sdtm()
    extra = sdtm["DM"].iloc[[0, 0]].assign(USUBJID=["S-101-3", "S-101-4"], ARMCD=["SCRNFAIL", "RUX15"],
                                          ACTARMCD=["SCRNFAIL", "NOTTRT"], RFXSTDTC="", RFXENDTC="")
    sdtm["DM"] = pd.concat([sdtm["DM"], extra], ignore_index=True)
    assert check_sdtm(sdtm, SPEC) == []
