"""The export step: spec attributes applied, all files written and consistent, or none."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from adamforge import cli
from adamforge.errors import EXIT_FAILED, EXIT_OK
from adamforge.export.datasetjson import validate_dataset_json
from adamforge.export.define import define_variables
from adamforge.export.xpt import read_xpt

FILES = ["adeff.json", "adeff.xpt", "adsl.json", "adsl.xpt", "define.xml"]


@pytest.fixture
def study(tmp_path, tiny_raw, tiny_adsl, tiny_adeff):
    spec_dir = tmp_path / "spec"
    spec_dir.mkdir()
    (spec_dir / "adam_tiny.yaml").write_text(yaml.safe_dump(tiny_raw, sort_keys=False))
    out = tmp_path / "out"
    (out / "adam").mkdir(parents=True)
    # columns deliberately out of spec order and AGE as float: the step applies the spec
    tiny_adsl[list(reversed(tiny_adsl.columns))].assign(AGE=[34.0, 15.0]).to_parquet(out / "adam" / "adsl.parquet")
    tiny_adeff.to_parquet(out / "adam" / "adeff.parquet")
    return out, spec_dir


def run_export(out, spec_dir, *extra):
    return cli.main(["export", "--out", str(out), "--spec", str(spec_dir), "--quiet", *extra])


def adam_files(out):
    return sorted(p.name for p in (out / "adam").iterdir() if not p.name.endswith(".parquet"))


def test_writes_all_files(study):
    out, spec_dir = study
    assert run_export(out, spec_dir) == EXIT_OK
    assert adam_files(out) == FILES


def test_xpt_has_spec_attributes_and_data(study, tiny_adsl):
    out, spec_dir = study
    run_export(out, spec_dir)
    df, meta = read_xpt(out / "adam" / "adsl.xpt")
    assert list(df.columns) == ["STUDYID", "USUBJID", "AGE", "SEX", "TRT01PN", "TRTSDT", "EFFFL"]
    assert meta.file_label == "Subject-Level Analysis Dataset"
    assert meta.column_names_to_labels["TRT01PN"] == "Planned Treatment for Period 01 (N)"
    assert meta.variable_storage_width["USUBJID"] == 20 and meta.variable_storage_width["STUDYID"] == 8
    assert meta.original_variable_types["TRTSDT"] == "DATE9"
    assert df["TRTSDT"].tolist() == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-02-29")]
    assert df["AGE"].tolist() == [34.0, 15.0]


def test_every_xpt_dataset_and_variable_is_in_define_and_vice_versa(study):
    out, spec_dir = study
    run_export(out, spec_dir)
    listed = define_variables(out / "adam" / "define.xml")
    in_xpt = {}
    for f in sorted((out / "adam").glob("*.xpt")):
        df, meta = read_xpt(f)
        in_xpt[meta.table_name] = list(df.columns)
    assert listed == in_xpt
    assert set(in_xpt) == {"ADSL", "ADEFF"}


def test_dataset_json_valid_and_consistent_with_define(study):
    out, spec_dir = study
    run_export(out, spec_dir)
    obj = json.loads((out / "adam" / "adeff.json").read_text())
    assert validate_dataset_json(obj) == []
    assert obj["records"] == 4
    define = (out / "adam" / "define.xml").read_text()
    assert f'MetaDataVersion OID="{obj["metaDataVersionOID"]}"' in define
    assert f'Study OID="{obj["studyOID"]}"' in define
    for c in obj["columns"]:
        assert f'ItemDef OID="{c["itemOID"]}"' in define
    assert obj["rows"][3] == ["TINY-001", "TINY-001-102", "IGATS", "IGA Treatment Success", 8.0, None, None, None]


def test_byte_identical_rerun(study):
    out, spec_dir = study
    run_export(out, spec_dir)
    first = {f: (out / "adam" / f).read_bytes() for f in FILES}
    run_export(out, spec_dir)
    assert {f: (out / "adam" / f).read_bytes() for f in FILES} == first


def test_log_has_counts_and_checksums(study):
    out, spec_dir = study
    run_export(out, spec_dir)
    log = (out / "adamforge.log").read_text()
    assert "The data set ADAM.ADSL has 2 observations and 7 variables." in log
    assert "The data set ADAM.ADEFF has 4 observations and 8 variables." in log
    assert "adsl.xpt  sha256=" in log and "define.xml  sha256=" in log


def test_bad_data_fails_with_every_problem_and_removes_stale_files(study, tiny_adsl, capsys):
    out, spec_dir = study
    assert run_export(out, spec_dir) == EXIT_OK  # a previous good export
    bad = tiny_adsl.assign(SEX=["F", "±"], TRTSDT=["2024-01-05", "2024-02-29"])
    bad.to_parquet(out / "adam" / "adsl.parquet")
    assert run_export(out, spec_dir) == EXIT_FAILED
    assert adam_files(out) == []  # nothing new written, earlier (now stale) files removed
    log = (out / "adamforge.log").read_text()
    assert "[EXP-TYPE] ADSL.TRTSDT" in log and "spec type is date but the data holds text" in log
    assert not [p for p in (out / "adam").iterdir() if p.name.startswith(".export-staging")]


def test_non_ascii_reported_with_record_keys(study, tiny_adsl):
    out, spec_dir = study
    tiny_adsl.assign(SEX=["F", "±"]).to_parquet(out / "adam" / "adsl.parquet")
    assert run_export(out, spec_dir) == EXIT_FAILED
    log = (out / "adamforge.log").read_text()
    assert "[XPT-ASCII] ADSL.SEX [OBS=2, STUDYID=TINY-001, USUBJID=TINY-001-102]" in log
    assert adam_files(out) == []


def test_missing_variable_and_extra_variable(study, tiny_adsl):
    out, spec_dir = study
    tiny_adsl.drop(columns=["EFFFL"]).assign(XTRA=[1, 2]).to_parquet(out / "adam" / "adsl.parquet")
    assert run_export(out, spec_dir) == EXIT_FAILED
    log = (out / "adamforge.log").read_text()
    assert "[EXP-VAR-MISSING] ADSL.EFFFL" in log and "[EXP-VAR-EXTRA] ADSL.XTRA" in log


def test_no_adam_data_is_a_clear_error(tmp_path, study):
    out, spec_dir = study
    for p in (out / "adam").glob("*.parquet"):
        p.unlink()
    assert run_export(out, spec_dir) == EXIT_FAILED
    assert "run `adamforge derive` first" in (out / "adamforge.log").read_text()


def test_select_datasets_and_no_json(study):
    out, spec_dir = study
    assert run_export(out, spec_dir, "--export-datasets", "adsl", "--export-no-json") == EXIT_OK
    assert adam_files(out) == ["adsl.xpt", "define.xml"]
    assert list(define_variables(out / "adam" / "define.xml")) == ["ADSL"]


def test_text_date_error_names_record(study, tiny_adsl):
    out, spec_dir = study
    tiny_adsl.assign(TRTSDT=["2024-01-05", "2024-02-29"]).to_parquet(out / "adam" / "adsl.parquet")
    assert run_export(out, spec_dir) == EXIT_FAILED
    log = (out / "adamforge.log").read_text()
    assert "[EXP-TYPE] ADSL.TRTSDT [OBS=1, STUDYID=TINY-001, USUBJID=TINY-001-101]" in log


def test_bad_spec_name_label_and_long_value_all_reported(tmp_path, tiny_raw, tiny_adsl, tiny_adeff):
    """The issue's bad spec: a 9-character name, a 45-character label, a 250-byte value."""
    adsl_vars = tiny_raw["datasets"]["ADSL"]["variables"]
    adsl_vars[2]["name"] = "AGEINYEARS"  # 10 characters
    adsl_vars[3]["label"] = "S" * 45
    adsl_vars[1]["length"] = 200
    spec_dir = tmp_path / "spec"
    spec_dir.mkdir()
    (spec_dir / "adam_tiny.yaml").write_text(yaml.safe_dump(tiny_raw, sort_keys=False))
    out = tmp_path / "out"
    (out / "adam").mkdir(parents=True)
    bad = tiny_adsl.rename(columns={"AGE": "AGEINYEARS"})
    bad.loc[1, "USUBJID"] = "U" * 250
    bad.to_parquet(out / "adam" / "adsl.parquet")
    tiny_adeff.to_parquet(out / "adam" / "adeff.parquet")
    assert run_export(out, spec_dir) == EXIT_FAILED
    log = (out / "adamforge.log").read_text()
    assert "[XPT-VARNAME] ADSL.AGEINYEARS" in log and "10 characters" in log
    assert "[XPT-LABEL] ADSL.SEX" in log and "45 characters" in log
    assert "[XPT-LEN200] ADSL.USUBJID [OBS=2, STUDYID=TINY-001, USUBJID=UUUU" in log
    assert "[XPT-LENGTH] ADSL.USUBJID [OBS=2" in log
    assert adam_files(out) == []


def test_all_missing_column_takes_spec_type(study, tiny_adsl):
    out, spec_dir = study
    tiny_adsl.assign(TRTSDT=[None, None]).to_parquet(out / "adam" / "adsl.parquet")
    assert run_export(out, spec_dir) == EXIT_OK
    df, meta = read_xpt(out / "adam" / "adsl.xpt")
    assert meta.original_variable_types["TRTSDT"] == "DATE9" and df["TRTSDT"].isna().all()


def test_spec_dataset_name_with_a_path_removes_nothing_outside_out(tmp_path, tiny_raw, tiny_adsl, tiny_adeff):
    """Issue 13 item 2: a spec dataset named ``../../../elsewhere/DM`` is refused under any policy;
    no file outside --out is written or removed."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for suffix in (".xpt", ".json", ".parquet"):
        (elsewhere / f"dm{suffix}").write_text("not ours")
    tiny_raw["datasets"]["../../../elsewhere/DM"] = tiny_raw["datasets"].pop("ADEFF")
    spec_dir = tmp_path / "spec"
    spec_dir.mkdir()
    (spec_dir / "adam_tiny.yaml").write_text(yaml.safe_dump(tiny_raw, sort_keys=False))
    out = tmp_path / "a" / "b" / "out"
    (out / "adam").mkdir(parents=True)
    tiny_adsl.to_parquet(out / "adam" / "adsl.parquet")
    assert run_export(out, spec_dir) == EXIT_FAILED
    log = (out / "adamforge.log").read_text()
    assert "'../../../elsewhere/DM' is not a valid SAS name" in log
    assert sorted(p.read_text() for p in elsewhere.iterdir()) == ["not ours"] * 3
    assert adam_files(out) == []


def test_export_datasets_rejects_a_bad_name_before_any_path(study, tiny_adsl):
    from adamforge.export.step import export_datasets

    out, spec_dir = study
    from adamforge.adam.spec import load_spec

    spec = load_spec(spec_dir)
    with pytest.raises(Exception, match="not a valid SAS name"):
        export_datasets({"../ADSL": tiny_adsl}, spec, out / "adam")
    assert adam_files(out) == []
