"""Bad SDTM input: every problem in one DataError naming rule, domain, variable and record.

``adamforge.adam.inputs.check_sdtm`` is the derive step's view of the one input-check layer
(:mod:`adamforge.validation.sdtm_checks`): the ERROR findings as lines. The reference study's
rules come from its spec (``adam_inputs.yaml``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adamforge.adam.inputs import check_sdtm, input_findings, slim_sdtm
from adamforge.adam.spec import load_spec
from adamforge.adam.step import derive_adam
from adamforge.context import default_spec_dir
from adamforge.errors import DataError

SPEC = load_spec(default_spec_dir())


def test_clean_tiny_input_has_no_problems(tiny_sdtm):
    assert check_sdtm(tiny_sdtm, SPEC) == []


def _rules(lines):
    return sorted(
        line.split("] ", 1)[0].split("[", 1)[1] + " " + line.split("] ", 1)[1].split(":", 1)[0] for line in lines
    )


def test_every_problem_reported_at_once(tiny_sdtm):
    sdtm = tiny_sdtm
    sdtm["DM"].loc[1, "SEX"] = "U"
    sdtm["DM"].loc[0, "ARMCD"] = "PLACEBO"
    sdtm["RS"].loc[1, "RSDTC"] = "2020-03"  # partial date where a full one is needed
    sdtm["RS"] = pd.concat([sdtm["RS"], sdtm["RS"].iloc[[0]].assign(RSSEQ=3.0)])  # duplicate key
    sdtm["QS"].loc[0, "USUBJID"] = "S-999-9"  # subject not in DM
    sdtm["MH"].loc[0, "MHSTDTC"] = "sometime"
    sdtm["SC"] = sdtm["SC"].drop(columns=["SCSTRESN"])
    with pytest.raises(DataError) as ei:
        derive_adam(sdtm, SPEC)
    assert _rules(ei.value.problems) == sorted(
        [
            "SDTM-REQ-001 SC.SCSTRESN",
            "SDTM-KEY-001 RS.USUBJID, RSTESTCD, RSDTC [USUBJID=S-101-1, RSTESTCD=IGA, RSDTC=2020-01-10]",
            "SDTM-DTC-002 RS.RSDTC [USUBJID=S-101-1, RSSEQ=2]",
            "SDTM-DTC-001 MH.MHSTDTC [USUBJID=S-101-1, MHCAT=PRIMARY DIAGNOSIS, MHSTDTC=sometime]",
            "SDTM-CT-001 DM.SEX [USUBJID=S-101-2]",
            "SDTM-CT-001 DM.ARMCD [USUBJID=S-101-1]",
            "SDTM-SUBJ-001 QS.USUBJID [USUBJID=S-999-9]",
        ]
    )
    assert any("read by adam_programs.yaml: program ADSLCORE step 20 (MT.NFLARE)" in p for p in ei.value.problems)


def test_missing_domain_is_named_with_the_programs_that_read_it(tiny_sdtm):
    sdtm = tiny_sdtm
    del sdtm["QS"]
    [line] = check_sdtm(sdtm, SPEC)
    assert line.startswith("ERROR: [SDTM-REQ-001] QS: Domain QS is missing from the SDTM input; read by ")
    assert "program ITCHDAY population" in line and "program QOLITEM population" in line


def test_iga_outside_codelist_and_item_out_of_range(tiny_sdtm):
    sdtm = tiny_sdtm
    sdtm["RS"].loc[1, "RSSTRESN"] = 5.0
    sdtm["QS"].loc[0, "QSSTRESN"] = 11.0
    assert _rules(check_sdtm(sdtm, SPEC)) == sorted(
        [
            "SDTM-RANGE-001 RS.RSSTRESN [USUBJID=S-101-1, RSSEQ=2]",
            "SDTM-CT-001 RS.RSSTRESN [USUBJID=S-101-1, RSSEQ=2]",
            "SDTM-RANGE-001 QS.QSSTRESN [USUBJID=S-101-1, QSSEQ=1]",
        ]
    )


def test_tiny_input_derives_both_datasets(tiny_sdtm):
    res = derive_adam(tiny_sdtm, SPEC)
    adsl = res.datasets["ADSL"].set_index("USUBJID")
    assert adsl.loc["S-101-1", "TRT01P"] == "Vehicle" and adsl.loc["S-101-1", "TRT02P"] == "RUX 0.75%"
    assert adsl.loc["S-101-2", "TRT02PN"] == 3 and adsl.loc["S-101-2", "QOLINST"] == "CDLQI"
    assert adsl.loc["S-101-1", "DISONSDF"] == "M" and adsl.loc["S-101-2", "DISONSDF"] == "D"
    assert adsl.loc["S-101-1", "BLIGA"] == 3 and adsl.loc["S-101-1", "W8IGAFL"] == "Y"
    assert adsl.loc["S-101-1", "NACHFL"] == "N"  # 3 -> 1 is IGA-TS
    adeff = res.datasets["ADEFF"]
    igats = adeff[(adeff.USUBJID == "S-101-1") & (adeff.PARAMCD == "IGATS")]
    assert igats["AVAL"].tolist() == [1.0] and igats["CRIT1FL"].tolist() == ["Y"]


def test_result_without_date_is_an_error_not_a_silent_nri(tiny_sdtm):
    """A Week 8 IGA with a blank RSDTC falls in no window: it must be reported, not imputed as failure."""
    sdtm = tiny_sdtm
    sdtm["RS"].loc[1, "RSDTC"] = ""
    assert check_sdtm(sdtm, SPEC) == [
        "ERROR: [SDTM-STUDY-004] RS.RSDTC [USUBJID=S-101-1, RSSEQ=2]: IGA result 1 has no RSDTC: it falls in no "
        "analysis window and would vanish. (value: 1)"
    ]


def test_qol_records_must_be_items_not_totals(tiny_sdtm):
    sdtm = tiny_sdtm
    sdtm["QS"] = pd.concat(
        [
            sdtm["QS"],
            pd.DataFrame(
                {
                    "USUBJID": ["S-101-1", "S-101-1"],
                    "QSSEQ": [2.0, 3.0],
                    "QSCAT": ["DLQI", "DLQI"],
                    "QSTESTCD": ["DLQI01", "DLQITOT"],
                    "QSSTRESN": [1.0, 2.0],
                    "VISITNUM": [2.0, 2.0],
                    "QSDTC": ["2020-01-10", "2020-01-10"],
                }
            ),
        ],
        ignore_index=True,
    )
    assert _rules(check_sdtm(sdtm, SPEC)) == ["SDTM-STUDY-006 QS.QSTESTCD [USUBJID=S-101-1, QSSEQ=3]"]


def test_screen_failures_and_untreated_subjects_are_not_errors_in_any_case(tiny_sdtm):
    sdtm = tiny_sdtm
    extra = (
        sdtm["DM"]
        .iloc[[0, 0, 0]]
        .assign(
            USUBJID=["S-101-3", "S-101-4", "S-101-5"],
            ARMCD=["SCRNFAIL", "RUX15", "Scrnfail"],
            ACTARMCD=["SCRNFAIL", "NOTTRT", "Scrnfail"],
            RFXSTDTC="",
            RFXENDTC="",
        )
    )
    sdtm["DM"] = pd.concat([sdtm["DM"], extra], ignore_index=True)
    assert check_sdtm(sdtm, SPEC) == []


def test_treated_subject_without_first_dose_is_an_error(tiny_sdtm):
    sdtm = tiny_sdtm
    sdtm["DM"].loc[1, "RFXSTDTC"] = ""
    assert _rules(check_sdtm(sdtm, SPEC)) == ["SDTM-STUDY-003 DM.RFXSTDTC [USUBJID=S-101-2]"]


@pytest.mark.parametrize("value", ["9999-12-31", "0000-01-01"])
def test_implausible_first_dose_stops_derive_naming_the_record(value, tiny_sdtm):
    """Hardening: 9999-12-31 gave TRTDURD -2,914,419 and 0000-01-01 crashed export, with no culprit."""
    sdtm = tiny_sdtm
    sdtm["DM"].loc[1, "RFXSTDTC"] = value
    with pytest.raises(DataError) as ei:
        derive_adam(sdtm, SPEC)
    assert _rules(ei.value.problems) == ["SDTM-DTC-003 DM.RFXSTDTC [USUBJID=S-101-2]"]
    assert "1900-01-01 to 2100-12-31" in ei.value.problems[0]


def test_infinite_age_stops_derive_naming_the_record(tiny_sdtm):
    sdtm = tiny_sdtm
    sdtm["DM"].loc[0, "AGE"] = np.inf
    with pytest.raises(DataError) as ei:
        derive_adam(sdtm, SPEC)
    assert _rules(ei.value.problems) == ["SDTM-NUM-001 DM.AGE [USUBJID=S-101-1]"]


def test_warnings_do_not_stop_derive_but_are_findings(tiny_sdtm):
    sdtm = tiny_sdtm
    sdtm["DM"].loc[1, "AGE"] = 11.0
    assert check_sdtm(sdtm, SPEC) == []
    assert [f.rule_id for f in input_findings(sdtm, SPEC)] == ["SDTM-STUDY-002"]


def test_slim_sdtm_keeps_what_the_programs_read(tiny_sdtm):
    sdtm = tiny_sdtm
    sdtm["DM"] = sdtm["DM"].assign(EXTRA=1)
    sdtm["XX"] = pd.DataFrame({"USUBJID": ["S-101-1"]})
    slim = slim_sdtm(sdtm, SPEC)
    assert "XX" not in slim and "EXTRA" not in slim["DM"].columns and "RFXSTDTC" in slim["DM"].columns
