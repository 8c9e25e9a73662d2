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

from .test_qc_program import _tiny


@pytest.fixture()
def tree(tmp_path):
    """A tiny SDTM folder (XPT) and production ADaM equal to the QC derivation."""
    sdtm = _tiny()
    sd = tmp_path / "sdtm"
    sd.mkdir()
    for name, df in sdtm.items():
        pyreadstat.write_xport(df, str(sd / f"{name.lower()}.xpt"), file_format_version=5, table_name=name)
    q = qp.qc_datasets(sdtm)
    out = tmp_path / "out"
    (out / "adam").mkdir(parents=True)
    adsl = q["ADSL"].assign(STUDYID="S1", AGEU="YEARS")  # production has more variables than QC derives
    adeff = pd.concat([q["ADEFF"], pd.DataFrame({"USUBJID": ["A"], "PARAMCD": ["IGA"], "AVISIT": ["Week 8"],
                                                 "AVAL": [1.0], "AVALC": [""], "DTYPE": [""]})], ignore_index=True)
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
    assert [(c["name"], c["result"], c["return_code"]) for c in ev["comparisons"]] == [("adsl", "PASS", 0), ("adeff", "PASS", 0)]
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
    assert [(c["name"], c["result"], c["return_code"]) for c in ev["comparisons"]] == [("adsl", "FAIL", 4096), ("adeff", "FAIL", 4096)]
    d = pd.read_csv(tree["out"] / "qc" / "adeff" / "differences.csv", keep_default_na=False)
    assert d[["USUBJID", "PARAMCD", "VARIABLE", "BASE", "COMPARE"]].values.tolist() == [
        ["A", "NRS4", "AVAL", "1", "0"], ["A", "NRS4", "AVALC", "Y", "N"]]
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
    ard = qp.qc_response_ard(tree["qc"]["ADSL"], tree["qc"]["ADEFF"], tlf).assign(label="x", value_char="")
    (tree["out"] / "tlf").mkdir()
    (tree["out"] / "tlf" / "ard.json").write_text(json.dumps(ard.to_dict("records")))
    assert _qc(tree) == EXIT_OK
    ev = json.loads((tree["out"] / "qc" / "evidence.json").read_text())
    assert ev["ard_compared"] and ev["comparisons"][2]["name"] == "ard" and ev["comparisons"][2]["return_code"] == 0
    sel = (ard["output_id"] == "Table 2") & (ard["parameter"] == "CPR") & (ard["statistic"] == "n") & (ard["group"] == "RUX 0.75%")
    assert ard.loc[sel, "value"].tolist() == [0.0]
    ard.loc[sel, "value"] = 1.0
    (tree["out"] / "tlf" / "ard.json").write_text(json.dumps(ard.to_dict("records")))
    assert _qc(tree) == EXIT_DIFFERENCES
    txt = (tree["out"] / "qc" / "ard" / "report.txt").read_text()
    assert "Table 2    NACH        RUX 0.75%  CPR        n          count  1     0        -1" in txt


def test_qc_without_production_is_a_usage_error(tree):
    assert _qc(tree) == EXIT_USAGE
