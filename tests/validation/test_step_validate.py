"""The validate step and the reference study: clean study -> no ERROR (duration warnings present);
one injected fault -> exactly the expected rule on exactly that record; --policy decides the exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from adamforge import cli
from adamforge.adam.spec import load_spec
from adamforge.context import default_spec_dir
from adamforge.errors import EXIT_FAILED, EXIT_OK
from adamforge.sdtm_io import read_sdtm
from adamforge.validation.step import read_adam, validate_adam, validate_sdtm

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def study(reference_run_dir) -> Path:
    """The session's one ``adamforge run`` of the reference study (read only: a test that writes
    uses its own folder)."""
    return reference_run_dir


@pytest.fixture(scope="module")
def sdtm(study):
    return read_sdtm(study / "sdtm")


@pytest.fixture(scope="module")
def adam(study):
    return read_adam(study / "adam")


def _errors(findings):
    return [(f.rule_id, f.dataset, dict(f.keys)) for f in findings if f.severity == "ERROR"]


SPEC = load_spec(default_spec_dir())


def _copy(d):
    return {k: v.copy() for k, v in d.items()}


def test_clean_reference_study_has_no_error_and_the_duration_warnings(study):
    # the run's validate step passed (the run exits 0 only then) and wrote these files
    assert "NOTE: Step VALIDATE ended" in (study / "adamforge.log").read_text()
    data = json.loads((study / "validation" / "findings.json").read_text())
    assert [f for f in data if f["severity"] == "ERROR"] == []
    dur = [f for f in data if f["rule_id"] == "SDTM-STUDY-001"]
    assert dur and all(f["severity"] == "WARNING" and float(f["value"]) < 2 for f in dur)
    html = (study / "validation" / "report.html").read_text()
    assert "SDTM-STUDY-001" in html and "ADAM.ADEFF" in html


def test_duplicate_subject_in_dm(sdtm):
    sd = _copy(sdtm)
    subj = sd["DM"]["USUBJID"].iloc[10]
    sd["DM"] = pd.concat([sd["DM"], sd["DM"].iloc[[10]]], ignore_index=True)
    assert _errors(validate_sdtm(sd, SPEC)[0]) == [("SDTM-KEY-001", "DM", {"USUBJID": subj})]


def test_iga_7_in_rs(sdtm):
    sd = _copy(sdtm)
    rs = sd["RS"]
    i = rs.index[rs["RSTESTCD"] == "IGA"][5]
    rs.loc[i, "RSSTRESN"] = 7.0
    key = {"USUBJID": rs.loc[i, "USUBJID"], "RSSEQ": int(rs.loc[i, "RSSEQ"])}
    assert _errors(validate_sdtm(sd, SPEC)[0]) == [("SDTM-RANGE-001", "RS", key), ("SDTM-CT-001", "RS", key)]


def test_bad_date_in_rs(sdtm):
    sd = _copy(sdtm)
    rs = sd["RS"]
    rs.loc[3, "RSDTC"] = "2019-02-30"
    assert _errors(validate_sdtm(sd, SPEC)[0]) == [
        ("SDTM-DTC-001", "RS", {"USUBJID": rs.loc[3, "USUBJID"], "RSSEQ": int(rs.loc[3, "RSSEQ"])})
    ]


@pytest.fixture(scope="module")
def spec():
    return load_spec(default_spec_dir())


def test_chg_not_aval_minus_base(adam, spec):
    data, labels = _copy(adam[0]), adam[1]
    ef = data["ADEFF"]
    i = ef.index[(ef["PARAMCD"] == "EASI") & (ef["AVISIT"] == "Week 8") & ef["CHG"].notna()][0]
    ef.loc[i, "CHG"] = ef.loc[i, "CHG"] + 1
    errs = _errors(validate_adam(data, spec, labels=labels)[0])
    assert [(r, d) for r, d, _ in errs] == [("ADAM-CHG-001", "ADEFF")]
    assert errs[0][2]["USUBJID"] == ef.loc[i, "USUBJID"] and errs[0][2]["PARAMCD"] == "EASI"


def test_two_baseline_records(adam, spec):
    data, labels = _copy(adam[0]), adam[1]
    ef = data["ADEFF"]
    # a Week 2 IGA record equal to baseline becomes a second baseline record
    i = ef.index[(ef["PARAMCD"] == "IGA") & (ef["AVISIT"] == "Week 2") & (ef["AVAL"] == ef["BASE"])][0]
    ef.loc[i, "ABLFL"] = "Y"
    assert _errors(validate_adam(data, spec, labels=labels)[0]) == [
        ("ADAM-BASE-001", "ADEFF", {"USUBJID": ef.loc[i, "USUBJID"], "PARAMCD": "IGA"})
    ]


def test_subject_missing_from_adsl(adam, spec):
    data, labels = _copy(adam[0]), adam[1]
    subj = data["ADEFF"]["USUBJID"].iloc[0]
    data["ADSL"] = data["ADSL"].loc[data["ADSL"]["USUBJID"] != subj]
    assert _errors(validate_adam(data, spec, labels=labels)[0]) == [("ADAM-SUBJ-001", "ADEFF", {"USUBJID": subj})]


def test_policy_decides_the_exit_code(study, tmp_path):
    import pyreadstat

    bad = tmp_path / "sdtm"
    bad.mkdir()
    for f in (study / "sdtm").glob("*.xpt"):
        (bad / f.name).write_bytes(f.read_bytes())
    dm = read_sdtm(bad, ["DM"])["DM"]
    dm = pd.concat([dm, dm.iloc[[0]]], ignore_index=True)
    (bad / "dm.xpt").unlink()
    pyreadstat.write_xport(dm, str(bad / "dm.xpt"), file_format_version=5, table_name="DM")
    out = tmp_path / "out"
    args = ["validate", "--out", str(out), "--sdtm", str(bad), "--quiet"]
    assert cli.main(args) == EXIT_FAILED
    assert json.loads((out / "validation" / "findings.json").read_text())[0]["rule_id"] == "SDTM-KEY-001"
    assert cli.main([*args, "--policy", "dev"]) == EXIT_OK
    data = json.loads((out / "validation" / "findings.json").read_text())
    assert [(f["rule_id"], f["keys"]) for f in data if f["severity"] == "ERROR"] == [
        ("SDTM-KEY-001", {"USUBJID": dm["USUBJID"].iloc[0]})
    ]
    assert not (out / "adam").exists()  # SDTM only: no ADaM in this output folder


def test_adam_scope_without_adam_is_a_usage_error(tmp_path):
    from adamforge.errors import EXIT_USAGE

    (tmp_path / "sdtm").mkdir()
    assert cli.main(["validate", "--out", str(tmp_path), "--validate-scope", "adam", "--quiet"]) == EXIT_USAGE
    assert "no ADaM datasets" in (tmp_path / "adamforge.log").read_text()
    assert not (tmp_path / "validation").exists()


def test_sdtm_gate_reports_what_derive_would_reject(tmp_path):
    """An arm code the study does not know: derive and the gate run the same rule, so both stop."""
    import pandas as pd

    from adamforge.adam.program import required_inputs
    from adamforge.context import default_spec_dir
    from adamforge.validation.step import derive_input_findings

    dm = pd.DataFrame({c: ["x"] for c in required_inputs(SPEC)["DM"]})
    dm = dm.assign(
        USUBJID="S-1",
        ARMCD="PLACEBO",
        ACTARMCD="PLACEBO",
        SEX="F",
        RACE="WHITE",
        AGEU="YEARS",
        AGE=30.0,
        RFXSTDTC="2020-01-01",
        RFXENDTC="2020-02-01",
    )
    found = derive_input_findings({"DM": dm}, default_spec_dir())
    gate, _ = validate_sdtm({"DM": dm}, SPEC)
    for fs in (found, gate):
        assert any(
            f.rule_id == "SDTM-CT-001" and f.dataset == "DM" and f.variable == "ARMCD" and "PLACEBO" in f.message
            for f in fs
        )


def test_sdtm_findings_are_reused_only_while_the_files_are_unchanged(study, tmp_path):
    """A second validate in the same process (the ADaM gate of `adamforge run`) reports the SDTM
    gate's findings again when every SDTM and spec file is unchanged; a changed file is read."""
    import pyreadstat

    sd = tmp_path / "sdtm"
    sd.mkdir()
    for f in (study / "sdtm").glob("*.xpt"):
        (sd / f.name).write_bytes(f.read_bytes())
    out = tmp_path / "out"
    args = ["validate", "--out", str(out), "--sdtm", str(sd), "--quiet", "--policy", "dev"]
    assert cli.main(args) == EXIT_OK
    first = (out / "validation" / "findings.json").read_text()
    assert cli.main(args) == EXIT_OK
    assert (out / "validation" / "findings.json").read_text() == first
    assert "SDTM input unchanged" in (out / "adamforge.log").read_text()
    dm = read_sdtm(sd, ["DM"])["DM"]
    (sd / "dm.xpt").unlink()
    pyreadstat.write_xport(
        pd.concat([dm, dm.iloc[[0]]], ignore_index=True), str(sd / "dm.xpt"), file_format_version=5, table_name="DM"
    )
    assert cli.main(args) == EXIT_OK
    data = json.loads((out / "validation" / "findings.json").read_text())
    assert ("SDTM-KEY-001", {"USUBJID": dm["USUBJID"].iloc[0]}) in [(f["rule_id"], f["keys"]) for f in data]
