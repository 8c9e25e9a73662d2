"""`adamforge run --study cdiscpilot01`: CDISC Pilot 01 end to end from its shipped SDTM (no
simulation), exported (XPT v5, define.xml 2.1 valid against the XSD, Dataset-JSON), validated
without an error, and QC'd against the study's validated ADaM with every difference explained.

Everything it reads is in the project (sdtm_sample/cdiscpilot01/, specs/cdiscpilot01/): it runs
on a fresh clone. Data from CDISC (see sdtm_sample/cdiscpilot01/README.md).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from adamforge import cli
from adamforge.errors import EXIT_OK, DataError, UsageError
from adamforge.validation import qc_against as qa

DATASETS = ("adsl", "adae", "adtte", "adqsadas")


@pytest.fixture(scope="module")
def pilot_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("pilot") / "out"
    code = cli.main(["run", "--study", "cdiscpilot01", "--out", str(out), "--quiet"])
    return code, out


def test_run_exits_0_without_simulation(pilot_run):
    code, out = pilot_run
    assert code == EXIT_OK
    assert (out / "RUN-COMPLETE").is_file() and not (out / "RUN-INCOMPLETE").exists()
    log = (out / "adamforge.log").read_text()
    assert "Step simulate skipped: the study's SDTM is not simulated" in log
    assert not (out / "sdtm").exists()  # nothing simulated
    assert "SDTM DM read from dm.xpt" in log and "cdiscpilot01" in log
    from adamforge.context import studies_dir

    if (studies_dir() / "cdiscpilot01" / "tlf.yaml").is_file():  # the pilot's own TLF spec
        assert (out / "tlf" / "ard.json").is_file()
    else:  # none yet: one NOTE, no other study's outputs
        assert log.count("Step tlf skipped: no TLF spec") == 1 and not (out / "tlf").exists()


def test_tlf_without_a_tlf_spec_skips_with_one_note(tmp_path):
    """A study folder without tlf.yaml: the tlf step says so in one NOTE, exits 0, writes nothing
    and removes an earlier tlf/ (never falls back to another study's TLF spec)."""
    import shutil

    from adamforge.context import studies_dir

    spec = tmp_path / "spec"
    shutil.copytree(studies_dir() / "cdiscpilot01", spec, ignore=shutil.ignore_patterns("tlf.yaml", "__pycache__"))
    out = tmp_path / "o"
    (out / "tlf").mkdir(parents=True)
    (out / "tlf" / "table_1.docx").write_bytes(b"stale")
    assert cli.main(["tlf", "--spec", str(spec), "--out", str(out), "--quiet"]) == EXIT_OK
    log = (out / "adamforge.log").read_text()
    assert (
        log.count("Step tlf skipped: no TLF spec (tlf.yaml)") == 1 and "reference" not in log.split("TLF spec")[1][:200]
    )
    assert not (out / "tlf").exists()


def test_submission_files_and_define_valid_against_the_xsd(pilot_run):
    _, out = pilot_run
    for name in DATASETS:
        for ext in (".xpt", ".json", ".parquet"):
            assert (out / "adam" / f"{name}{ext}").is_file(), f"{name}{ext}"
    import odmlib  # a dev dependency (installed by `make test`): the official Define-XML 2.1 XSD
    from lxml import etree

    raw = (out / "adam" / "define.xml").read_bytes()
    schemas = os.path.join(os.path.dirname(odmlib.__file__), "schemas")
    # with analysis results metadata (the study's TLF spec), the ARM 1.0 schema for Define-XML 2.1
    # (it includes Define-XML 2.1); without, Define-XML 2.1 itself
    xsd = (
        os.path.join(schemas, "arm", "1.0-define2.1", "arm1-0-0.xsd")
        if b"xmlns:arm=" in raw
        else os.path.join(schemas, "define", "2.1", "define2-1-0.xsd")
    )
    schema = etree.XMLSchema(etree.parse(xsd))
    doc = etree.parse(str(out / "adam" / "define.xml"))
    assert schema.validate(doc), schema.error_log
    oids = {e.get("OID") for e in doc.iter("{*}ItemGroupDef")}
    assert {f"IG.{n.upper()}" for n in DATASETS} <= oids


def test_validation_has_no_error(pilot_run):
    _, out = pilot_run
    findings = json.loads((out / "validation" / "findings.json").read_text())
    assert [f for f in findings if f["severity"] == "ERROR"] == []
    # the two repeated natural keys the pilot's SDTM holds, reported as the inputs section says
    warnings = sorted((f["rule_id"], f["dataset"]) for f in findings if f["severity"] == "WARNING")
    assert warnings == [("SDTM-KEY-001", "MH"), ("SDTM-KEY-001", "SV")]


def test_qc_against_validated_adam_every_difference_explained(pilot_run):
    _, out = pilot_run
    ev = json.loads((out / "qc" / "evidence.json").read_text())
    assert ev["overall"] == qa.PASS_EXPLAINED
    by = {c["name"]: c for c in ev["comparisons"]}
    assert sorted(by) == sorted(DATASETS)
    for name, c in by.items():
        assert c["n_unexplained"] == 0 and c["unexplained"] == [], name
        assert c["result"] == qa.PASS_EXPLAINED, name
        assert (out / "qc" / name / "report.txt").is_file()
    # ADSL, ADAE, ADTTE: value for value and record for record; only the missing data set label
    for name in ("adsl", "adae", "adtte"):
        assert by[name]["return_code"] == 1, name  # bit 1: data set labels differ
        assert [e["kind"] for e in by[name]["explained"]] == ["dataset_label"]
    # ADQSADAS: the documented ACTOT LOCF records, 57 validated only and 33 derived only, no value differs
    kinds = {}
    for e in by["adqsadas"]["explained"]:
        kinds[e["kind"]] = kinds.get(e["kind"], 0) + e["count"]
        assert "docs/cdiscpilot01.md" in e["reason"]
    assert kinds == {"against_only_records": 57, "production_only_records": 33}
    summary = json.loads((out / "qc" / "adqsadas" / "summary.json").read_text())
    assert summary["values_unequal"] == 0 and summary["observations_common"] == 12406
    text = (out / "qc" / "evidence.txt").read_text()
    assert "Overall result: PASS WITH EXPLAINED DIFFERENCES" in text and "UNEXPLAINED" not in text


# -- the explanation rules on small frames ------------------------------------------------------
def _res(base, comp, ids):
    from adamforge.validation.compare import compare_frames

    return compare_frames(pd.DataFrame(base), pd.DataFrame(comp), id_vars=ids)


def test_unexplained_and_stale_explanations_fail():
    res = _res({"ID": ["a", "b"], "X": [1.0, 2.0]}, {"ID": ["a", "c"], "X": [1.0, 2.0]}, ["ID"])
    only_c = {"kind": "against_only_records", "reason": "r", "records": [{"ID": "c"}]}
    only_b = {"kind": "production_only_records", "reason": "r", "records": [{"ID": "b"}]}
    assert qa.explain(res, [only_c, only_b]).result == qa.PASS_EXPLAINED
    ex = qa.explain(res, [only_c])  # b is not explained
    assert ex.result == qa.FAIL and ex.unexplained == ["record only in BASE: ID=b"]
    stale = {"kind": "production_only_records", "reason": "r", "records": [{"ID": "b"}, {"ID": "z"}]}
    ex = qa.explain(res, [only_c, stale])
    assert ex.result == qa.FAIL and "lists a record that is not only in BASE: ID=z" in ex.unexplained[0]
    same = _res({"ID": ["a"], "X": [1.0]}, {"ID": ["a"], "X": [1.0]}, ["ID"])
    assert qa.explain(same, []).result == qa.PASS
    ex = qa.explain(same, [{"kind": "dataset_label", "reason": "r"}])
    assert ex.result == qa.FAIL and "explains no difference" in ex.unexplained[0]
    vals = _res({"ID": ["a"], "X": [1.0]}, {"ID": ["a"], "X": [2.0]}, ["ID"])
    assert qa.explain(vals, []).result == qa.FAIL
    assert (
        qa.explain(vals, [{"kind": "values", "variables": ["X"], "records": [{"ID": "a"}], "reason": "r"}]).result
        == qa.PASS_EXPLAINED
    )


def test_against_file_stays_in_the_study_data_folder(tmp_path):
    (tmp_path / "data" / "validated").mkdir(parents=True)
    (tmp_path / "data" / "validated" / "adsl.xpt").write_bytes(b"x")
    (tmp_path / "secret.xpt").write_bytes(b"x")
    spec = tmp_path / "qc.yaml"
    ok = qa.resolve_against(
        {"dataset": "ADSL", "against": {"file": "validated/adsl.xpt"}}, tmp_path / "data", spec_path=spec
    )
    assert ok == tmp_path / "data" / "validated" / "adsl.xpt"
    for bad in ("../secret.xpt", str(tmp_path / "secret.xpt"), "validated/../../secret.xpt"):
        with pytest.raises(DataError, match="not inside the study's data folder"):
            qa.resolve_against({"dataset": "ADSL", "against": {"file": bad}}, tmp_path / "data", spec_path=spec)
    with pytest.raises(DataError, match="needs a file|takes file"):
        qa.resolve_against({"dataset": "ADSL", "against": {"path": "x"}}, tmp_path / "data", spec_path=spec)
    with pytest.raises(DataError, match="reason is required"):
        qa.check_explained({"dataset": "ADSL", "id": ["USUBJID"], "explained": [{"kind": "dataset_label"}]}, spec)


def test_study_sdtm_is_a_property_of_the_study(tmp_path):
    from adamforge.context import default_spec_dir, sample_data_dir, studies_dir, study_sdtm

    assert study_sdtm(default_spec_dir()).simulated
    pilot = study_sdtm(studies_dir() / "cdiscpilot01")
    assert not pilot.simulated and pilot.folder == sample_data_dir() / "cdiscpilot01"
    assert study_sdtm(tmp_path) == study_sdtm(tmp_path / "none.xlsx")  # says nothing: simulated, as before
    for bad in ("../specs", "nosuch"):
        (tmp_path / "adam_analysis.yaml").write_text(f"study: {{sdtm: '{bad}'}}\n")
        with pytest.raises(UsageError, match="study.sdtm"):
            study_sdtm(tmp_path)
    # `adamforge simulate` for a study whose SDTM is shipped is a usage error
    assert cli.main(["simulate", "--study", "cdiscpilot01", "--out", str(tmp_path / "o"), "--quiet"]) == 2


def test_packaged_data_declared_for_a_non_editable_install():
    import tomllib

    root = Path(__file__).resolve().parents[2]
    data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = data["adamforge.sdtm_sample"]
    shipped = [
        p.relative_to(root / "sdtm_sample").as_posix()
        for p in (root / "sdtm_sample" / "cdiscpilot01").rglob("*")
        if p.is_file() and p.suffix in (".xpt", ".parquet")
    ]
    import fnmatch

    assert shipped and all(any(fnmatch.fnmatch(f, pat) for pat in patterns) for f in shipped)


@pytest.mark.parametrize("name", ["evidence.txt", *(f"{d}/report.txt" for d in DATASETS)])
def test_qc_evidence_and_compare_reports_golden(pilot_run, golden, name):
    """The pilot's QC evidence pack and compare reports, as a reviewer reads them (tests/golden/;
    run folder, shipped data folder, spec folder, time stamp, commit and versions normalised)."""
    import adamforge.sdtm_sample
    from adamforge.context import studies_dir

    _, out = pilot_run
    paths = {"<RUN>": out, "<DATA>": Path(adamforge.sdtm_sample.__file__).parent, "<SPECS>": studies_dir()}
    text = (out / "qc" / name).read_text(encoding="utf-8")
    golden.check(f"cdiscpilot01/qc_{name.replace('/', '_')}", text, paths=paths)
