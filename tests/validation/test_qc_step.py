"""`adamforge qc`: QC vs production by keys, ARD comparison, evidence pack, exit codes."""

from __future__ import annotations

import json

import pandas as pd
import pyreadstat
import pytest
import yaml

from adamforge import cli
from adamforge.context import default_spec_dir
from adamforge.errors import EXIT_DIFFERENCES, EXIT_OK, EXIT_USAGE
from adamforge.validation import qc_program as qp

from .test_qc_program import QC, _tiny


@pytest.fixture()
def tree(tmp_path):
    """A tiny SDTM folder (XPT) and production ADaM equal to the QC derivation."""
    sdtm = _tiny()
    sd = tmp_path / "sdtm"
    sd.mkdir()
    for name, df in sdtm.items():
        pyreadstat.write_xport(df, str(sd / f"{name.lower()}.xpt"), file_format_version=5, table_name=name)
    q = qp.qc_datasets(sdtm, QC)
    out = tmp_path / "out"
    (out / "adam").mkdir(parents=True)
    adsl = q["ADSL"].assign(STUDYID="S1", AGEU="YEARS")  # production has more variables than QC derives
    adeff = pd.concat(
        [
            q["ADEFF"],
            pd.DataFrame(
                {
                    "USUBJID": ["A"],
                    "PARAMCD": ["IGA"],
                    "AVISIT": ["Week 8"],
                    "AVAL": [1.0],
                    "AVALC": [""],
                    "DTYPE": [""],
                }
            ),
        ],
        ignore_index=True,
    )
    return {"sdtm": sd, "out": out, "adsl": adsl, "adeff": adeff, "qc": q}


def _write(tree, adsl=None, adeff=None):
    (adsl if adsl is not None else tree["adsl"]).to_parquet(tree["out"] / "adam" / "adsl.parquet")
    (adeff if adeff is not None else tree["adeff"]).to_parquet(tree["out"] / "adam" / "adeff.parquet")


def _qc(tree):
    return cli.main(["qc", "--out", str(tree["out"]), "--sdtm", str(tree["sdtm"]), "-q"])


def test_qc_passes_when_production_agrees_and_notes_missing_ard(tree):
    _write(tree)
    assert _qc(tree) == EXIT_OK
    ev = json.loads((tree["out"] / "qc" / "evidence.json").read_text())
    assert ev["overall"] == "PASS" and ev["ard_compared"] is False
    assert [(c["name"], c["result"], c["return_code"]) for c in ev["comparisons"]] == [
        ("adsl", "PASS", 0),
        ("adeff", "PASS", 0),
    ]
    assert {i["role"] for i in ev["inputs"]} >= {"SDTM", "production ADSL", "production ADEFF"}
    assert any(s["path"].endswith("adam_analysis.yaml") and len(s["sha256"]) == 64 for s in ev["spec_files"])
    assert ev["package_versions"]["pandas"] and ev["timestamp_utc"]
    log = (tree["out"] / "adamforge.log").read_text()
    assert "ARD comparison skipped" in log
    for f in ("evidence.txt", "adsl/report.txt", "adeff/differences.csv", "qc_adsl.parquet", "qc_adeff.parquet"):
        assert (tree["out"] / "qc" / f).is_file(), f


def test_qc_fails_on_a_flag_and_a_responder_difference(tree):
    adsl = tree["adsl"].copy()
    adsl.loc[adsl["USUBJID"] == "C", "NACHFL"] = "N"
    adeff = tree["adeff"].copy()
    sel = (adeff["USUBJID"] == "A") & (adeff["PARAMCD"] == "NRS4")
    adeff.loc[sel, ["AVAL", "AVALC"]] = [1.0, "Y"]
    _write(tree, adsl, adeff)
    assert _qc(tree) == EXIT_DIFFERENCES
    ev = json.loads((tree["out"] / "qc" / "evidence.json").read_text())
    assert ev["overall"] == "FAIL"
    assert [(c["name"], c["result"], c["return_code"]) for c in ev["comparisons"]] == [
        ("adsl", "FAIL", 4096),
        ("adeff", "FAIL", 4096),
    ]
    d = pd.read_csv(tree["out"] / "qc" / "adeff" / "differences.csv", keep_default_na=False)
    assert d[["USUBJID", "PARAMCD", "VARIABLE", "BASE", "COMPARE"]].values.tolist() == [
        ["A", "NRS4", "AVAL", "1", "0"],
        ["A", "NRS4", "AVALC", "Y", "N"],
    ]
    d = pd.read_csv(tree["out"] / "qc" / "adsl" / "differences.csv")
    assert d[["USUBJID", "VARIABLE", "BASE", "COMPARE"]].values.tolist() == [["C", "NACHFL", "N", "Y"]]


def test_qc_missing_responder_record_and_duplicate_are_reported(tree):
    adeff = tree["adeff"]
    drop = (adeff["USUBJID"] == "C") & (adeff["PARAMCD"] == "CPR")
    _write(tree, adeff=adeff[~drop])
    assert _qc(tree) == EXIT_DIFFERENCES
    ev = json.loads((tree["out"] / "qc" / "evidence.json").read_text())
    assert ev["comparisons"][1]["return_code"] == 128  # QC has a record production lacks
    dup = pd.concat([tree["adsl"], tree["adsl"].iloc[:1]])
    _write(tree, adsl=dup)
    assert _qc(tree) == EXIT_DIFFERENCES
    ev = json.loads((tree["out"] / "qc" / "evidence.json").read_text())
    assert ev["comparisons"][0]["return_code"] == 32768
    assert "BASE: duplicate ID USUBJID=A (2 observations)" in ev["comparisons"][0]["detail"]


def test_qc_compares_the_ard_when_present(tree):
    _write(tree)
    tlf = yaml.safe_load((default_spec_dir() / "tlf.yaml").read_text())
    base = qp.qc_baseline(_tiny(), tree["qc"]["ADSL"], QC)
    ard = qp.qc_results_ard(tree["qc"]["ADSL"], tree["qc"]["ADEFF"], base, tlf).assign(label="x")
    (tree["out"] / "tlf").mkdir()
    (tree["out"] / "tlf" / "ard.json").write_text(
        json.dumps(ard.astype(object).where(ard.notna(), None).to_dict("records"))
    )
    assert _qc(tree) == EXIT_OK
    ev = json.loads((tree["out"] / "qc" / "evidence.json").read_text())
    assert ev["ard_compared"] and ev["comparisons"][2]["name"] == "ard" and ev["comparisons"][2]["return_code"] == 0
    kinds = {k["kind"]: k for k in ev["comparisons"][2]["kinds"]}
    assert {"count", "percent", "descriptive"} <= set(kinds)  # the tiny study has an empty arm: no model
    assert kinds["percent"]["tolerance"] == "absolute 1e-09" and kinds["count"]["n_compared"] > 0
    assert ev["comparisons"][2]["not_compared"][0]["statistic"] == "fallback_reason"
    assert "largest difference" in (tree["out"] / "qc" / "evidence.txt").read_text()
    sel = (
        (ard["output_id"] == "Table 2")
        & (ard["parameter"] == "CPR")
        & (ard["statistic"] == "n")
        & (ard["group"] == "RUX 0.75%")
    )
    assert ard.loc[sel, "value"].tolist() == [0.0]
    ard.loc[sel, "value"] = 1.0
    (tree["out"] / "tlf" / "ard.json").write_text(
        json.dumps(ard.astype(object).where(ard.notna(), None).to_dict("records"))
    )
    assert _qc(tree) == EXIT_DIFFERENCES
    txt = (tree["out"] / "qc" / "ard" / "report.txt").read_text()
    assert ["Table", "2", "NACH", "RUX", "0.75%", "CPR", "n", "count", "1", "0", "-1"] in [
        ln.split() for ln in txt.splitlines()
    ]


def test_qc_without_production_is_a_usage_error(tree):
    assert _qc(tree) == EXIT_USAGE


def test_qc_without_a_qc_spec_says_so_and_is_not_a_pass(tree, tmp_path):
    """A study folder without qc.yaml: one NOTE, exit 0, an evidence pack saying "no QC spec"."""
    import shutil

    study = tmp_path / "study"
    shutil.copytree(default_spec_dir(), study)
    (study / "qc.yaml").unlink()
    _write(tree)
    code = cli.main(["qc", "--out", str(tree["out"]), "--sdtm", str(tree["sdtm"]), "--spec", str(study), "-q"])
    assert code == EXIT_OK
    ev = json.loads((tree["out"] / "qc" / "evidence.json").read_text())
    assert ev["overall"] != "PASS" and "no QC spec" in ev["overall"] and ev["comparisons"] == []
    assert "no QC spec" in (tree["out"] / "qc" / "evidence.txt").read_text()
    log = (tree["out"] / "adamforge.log").read_text()
    assert log.count("no QC spec") == 1


def test_qc_compares_the_datasets_its_spec_lists(tree, tmp_path):
    """The comparisons follow the QC spec's compare list (here: the subject-level dataset only)."""
    import shutil

    study = tmp_path / "study"
    shutil.copytree(default_spec_dir(), study)
    doc = yaml.safe_load((study / "qc.yaml").read_text())
    doc["compare"] = [c for c in doc["compare"] if c["dataset"] == "ADSL"]
    (study / "qc.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    _write(tree)
    assert (
        cli.main(["qc", "--out", str(tree["out"]), "--sdtm", str(tree["sdtm"]), "--spec", str(study), "-q"]) == EXIT_OK
    )
    ev = json.loads((tree["out"] / "qc" / "evidence.json").read_text())
    assert [c["name"] for c in ev["comparisons"]] == ["adsl"] and ev["overall"] == "PASS"


def test_git_commit_is_read_only(tmp_path):
    """Issue 13 item 9: the evidence pack's git lookup writes nothing in the repository (no
    ``.git/index.lock``, no refreshed ``.git/index``), even when plain ``git status`` would."""
    import os
    import shutil
    import subprocess

    from adamforge.validation.qc_step import _git_commit

    if shutil.which("git") is None:
        pytest.skip("git not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "x"]):
        if cmd[0] == "add":
            (repo / "f.txt").write_text("a\n")
        subprocess.run(["git", *cmd], cwd=repo, check=True, env=env, capture_output=True)
    os.utime(repo / "f.txt", (1_000_000_000, 1_000_000_000))  # stat changed, content not: status would refresh
    index = repo / ".git" / "index"
    before = (index.stat().st_mtime_ns, index.read_bytes())
    got = _git_commit(repo)
    assert len(got.split()[0]) == 40 and "uncommitted" not in got
    assert (index.stat().st_mtime_ns, index.read_bytes()) == before
    assert not (repo / ".git" / "index.lock").exists()
    (repo / "f.txt").write_text("b\n")
    assert _git_commit(repo).endswith("(with uncommitted changes)")
    assert (index.stat().st_mtime_ns, index.read_bytes()) == before
