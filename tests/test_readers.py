"""adamforge.readers: one reader for XPT, Parquet, CSV and Dataset-JSON; truncation and encoding
errors; the SDTM folder read (precedence, manifest checks)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from adamforge.errors import DataError, UsageError
from adamforge.io import check_sas_name, safe_child, sha256_file
from adamforge.readers import check_xpt_structure, read_dataset_file
from adamforge.runlog import RunLog
from adamforge.sdtm_io import read_sdtm

PILOT_TS = Path(__file__).resolve().parents[2] / "shared" / "cdiscpilot01" / "sdtm" / "ts.xpt"


def _dm(n=3):
    return pd.DataFrame(
        {
            "USUBJID": [f"S-{i}" for i in range(1, n + 1)],
            "AGE": [30.0 + i for i in range(n)],
            "SEX": ["F", "M", "F"][:n] + ["M"] * max(0, n - 3),
        }
    )


def _xpt(path, df, version=5, **kw):
    pyreadstat.write_xport(
        df,
        str(path),
        table_name="DM",
        file_format_version=version,
        file_label="Demographics",
        column_labels=["Subject", "Age", "Sex"],
        **kw,
    )
    return path


# -- the readers ---------------------------------------------------------------------------
@pytest.mark.parametrize("version", [5, 8])
def test_xpt_with_metadata(tmp_path, version):
    f = read_dataset_file(_xpt(tmp_path / "dm.xpt", _dm(), version, variable_format={"AGE": "8.1"}))
    assert f.file_format == "XPT" and f.name == "DM" and f.label == "Demographics" and f.encoding == "utf-8"
    assert f.data["USUBJID"].tolist() == ["S-1", "S-2", "S-3"] and f.data["AGE"].tolist() == [30.0, 31.0, 32.0]
    assert f.variables["AGE"].label == "Age" and f.variables["AGE"].format.startswith("8.1")
    assert f.variables["USUBJID"].length == 3


def test_parquet_csv_and_dataset_json(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pa.table({"USUBJID": ["S-1"], "AGE": [30.0]})
    t = t.cast(
        pa.schema(
            [
                pa.field("USUBJID", pa.string(), metadata={"label": "Subject", "length": "8"}),
                pa.field("AGE", pa.float64(), metadata={"label": "Age"}),
            ],
            metadata={"label": "Demo"},
        )
    )
    pq.write_table(t, tmp_path / "dm.parquet")
    f = read_dataset_file(tmp_path / "dm.parquet")
    assert f.label == "Demo" and f.variables["USUBJID"].length == 8 and f.variables["AGE"].label == "Age"

    (tmp_path / "dm.csv").write_text("USUBJID,AGE,SITEID\nS-1,30,007\nS-2,,010\n")
    f = read_dataset_file(tmp_path / "dm.csv")
    assert f.data["AGE"].dtype == "float64" and np.isnan(f.data["AGE"].iat[1])
    assert f.data["SITEID"].tolist() == ["007", "010"]  # leading zero: text
    assert f.label is None and f.variables["AGE"].label is None

    doc = {
        "datasetJSONVersion": "1.1.0",
        "name": "DM",
        "label": "Demographics",
        "records": 2,
        "columns": [
            {"itemOID": "IT.USUBJID", "name": "USUBJID", "label": "Subject", "dataType": "string", "length": 3},
            {"itemOID": "IT.AGE", "name": "AGE", "label": "Age", "dataType": "integer"},
        ],
        "rows": [["S-1", 30], ["S-2", None]],
    }
    (tmp_path / "dm.json").write_text(json.dumps(doc))
    f = read_dataset_file(tmp_path / "dm.json")
    assert f.name == "DM" and f.variables["USUBJID"].length == 3 and f.data["AGE"].dtype == "Int64"


def test_unknown_extension_and_missing_file_are_usage_errors(tmp_path):
    (tmp_path / "dm.sas7bdat").write_bytes(b"x")
    with pytest.raises(UsageError, match="unknown format"):
        read_dataset_file(tmp_path / "dm.sas7bdat")
    with pytest.raises(UsageError, match="does not exist"):
        read_dataset_file(tmp_path / "nope.xpt")
    with pytest.raises(UsageError, match="unknown text encoding"):
        read_dataset_file(tmp_path / "dm.sas7bdat", encoding="klingon")


# -- truncated and malformed files ---------------------------------------------------------
def test_xpt_cut_mid_record_is_an_error(tmp_path):
    p = _xpt(tmp_path / "dm.xpt", _dm(40))
    data = p.read_bytes()
    (tmp_path / "half.xpt").write_bytes(data[: len(data) // 2 + 3])
    with pytest.raises(DataError, match=r"half.xpt: truncated .* not a whole number of 80-byte records"):
        read_dataset_file(tmp_path / "half.xpt")


def test_xpt_cut_at_a_record_boundary_inside_an_observation_is_an_error(tmp_path):
    df = pd.DataFrame({"TEXT": ["x" * 50] * 10})  # 50-byte observations: 80-byte boundaries split them
    pyreadstat.write_xport(df, str(tmp_path / "t.xpt"), table_name="T", file_format_version=5)
    data = (tmp_path / "t.xpt").read_bytes()
    obs = data.index(b"HEADER RECORD*******OBS") + 80
    (tmp_path / "cut.xpt").write_bytes(data[: obs + 160])  # 3.2 observations
    assert len(pyreadstat.read_xport(str(tmp_path / "cut.xpt"))[0]) == 3  # pyreadstat says nothing
    with pytest.raises(DataError, match=r"cut.xpt: truncated or malformed XPT file: member T ends mid-record"):
        read_dataset_file(tmp_path / "cut.xpt")


def test_xpt_cut_in_the_headers_and_not_xpt(tmp_path):
    data = _xpt(tmp_path / "dm.xpt", _dm()).read_bytes()
    (tmp_path / "head.xpt").write_bytes(data[:560])  # member header data, no namestr header
    with pytest.raises(DataError, match=r"head.xpt: truncated XPT file: member DM"):
        check_xpt_structure(tmp_path / "head.xpt")
    (tmp_path / "junk.xpt").write_bytes(b"hello" * 16)
    with pytest.raises(DataError, match="not a SAS transport"):
        read_dataset_file(tmp_path / "junk.xpt")


def test_xpt_v8_declared_count_larger_than_data(tmp_path):
    data = _xpt(tmp_path / "dm.xpt", _dm(), 8).read_bytes()
    i = data.index(b"OBSV8   HEADER RECORD!!!!!!!") - 20
    rec = data[i : i + 80]
    forged = rec[:48] + b"%15d" % 50 + rec[63:]
    (tmp_path / "v8.xpt").write_bytes(data[:i] + forged + data[i + 80 :])
    with pytest.raises(DataError, match="declares 50 observations"):
        read_dataset_file(tmp_path / "v8.xpt")


def test_csv_ending_mid_record_and_json_short_of_records(tmp_path):
    (tmp_path / "dm.csv").write_text("USUBJID,AGE,SEX\nS-1,30,F\nS-2,3")
    with pytest.raises(DataError, match=r"dm.csv: record 3: 2 fields for 3 columns: the file ends mid-record"):
        read_dataset_file(tmp_path / "dm.csv")
    doc = {
        "datasetJSONVersion": "1.1.0",
        "name": "DM",
        "records": 5,
        "columns": [{"itemOID": "IT.A", "name": "A", "dataType": "string"}],
        "rows": [["x"]],
    }
    (tmp_path / "dm.json").write_text(json.dumps(doc))
    with pytest.raises(DataError, match="declares 5 records but holds 1 rows"):
        read_dataset_file(tmp_path / "dm.json")
    (tmp_path / "cut.json").write_text(json.dumps(doc)[:40])
    with pytest.raises(DataError, match="cut.json: truncated or malformed Dataset-JSON"):
        read_dataset_file(tmp_path / "cut.json")


# -- encodings -----------------------------------------------------------------------------
def _cp1252_xpt(path):
    """An XPT file whose text is Windows-1252 (as Windows SAS writes): 'Müller' in one byte per letter."""
    df = pd.DataFrame({"NAME": ["Mxller"], "N": [1.0]})
    pyreadstat.write_xport(df, str(path), table_name="T", file_format_version=5)
    data = path.read_bytes().replace(b"Mxller", "Müller".encode("cp1252"))
    path.write_bytes(data)
    return path


def test_non_utf8_xpt_names_the_file_and_suggests_encoding(tmp_path):
    p = _cp1252_xpt(tmp_path / "t.xpt")
    with pytest.raises(DataError) as exc:
        read_dataset_file(p)
    assert "t.xpt" in str(exc.value) and "--encoding cp1252" in str(exc.value)
    f = read_dataset_file(p, encoding="cp1252")
    assert f.data["NAME"].tolist() == ["Müller"] and f.encoding == "cp1252"


def test_non_utf8_csv(tmp_path):
    (tmp_path / "t.csv").write_bytes("NAME\nMüller\n".encode("cp1252"))
    with pytest.raises(DataError, match=r"t.csv: text is not utf-8 .*--encoding cp1252"):
        read_dataset_file(tmp_path / "t.csv")
    assert read_dataset_file(tmp_path / "t.csv", encoding="cp1252").data["NAME"].tolist() == ["Müller"]


@pytest.mark.skipif(not PILOT_TS.is_file(), reason="CDISC pilot data (../shared) not present")
def test_cdisc_pilot_ts_is_windows_1252():
    with pytest.raises(DataError, match="--encoding cp1252"):
        read_dataset_file(PILOT_TS)
    f = read_dataset_file(PILOT_TS, encoding="cp1252")
    assert f.name == "TS" and len(f.data) == check_xpt_structure(PILOT_TS)[0].observations == 33


# -- the SDTM folder -----------------------------------------------------------------------
def test_sdtm_domain_as_parquet_next_to_xpt_files_and_xpt_first(tmp_path):
    sdtm = tmp_path / "sdtm"
    sdtm.mkdir()
    _xpt(sdtm / "dm.xpt", _dm())
    _dm().assign(AGE=99.0).to_parquet(sdtm / "dm.parquet")  # a different copy: XPT wins
    pd.DataFrame({"USUBJID": ["S-1"], "AETERM": ["Rash"]}).to_parquet(sdtm / "ae.parquet")
    (sdtm / "vs.csv").write_text("USUBJID,VSSTRESN\nS-1,70.5\n")
    log = RunLog(tmp_path / "x.log", quiet=True)
    got = read_sdtm(sdtm, log=log)
    assert sorted(got) == ["AE", "DM", "VS"]
    assert got["DM"]["AGE"].tolist() == [30.0, 31.0, 32.0]
    assert got["AE"]["AETERM"].tolist() == ["Rash"] and got["VS"]["VSSTRESN"].tolist() == [70.5]
    text = "\n".join(log.lines)
    assert "SDTM DM read from dm.xpt (also present, not read: dm.parquet)" in text
    assert "SDTM AE read from ae.parquet" in text


def test_sdtm_encoding_option(tmp_path):
    sdtm = tmp_path / "sdtm"
    sdtm.mkdir()
    _cp1252_xpt(sdtm / "ts.xpt")
    with pytest.raises(DataError, match=r"ts.xpt.*--encoding cp1252"):
        read_sdtm(sdtm)
    assert read_sdtm(sdtm, encoding="cp1252")["TS"]["NAME"].tolist() == ["Müller"]


def _with_manifest(sdtm, n=3):
    _xpt(sdtm / "dm.xpt", _dm(n))
    manifest = {"DM": {"xpt": "dm.xpt", "xpt_sha256": sha256_file(sdtm / "dm.xpt"), "observations": n, "variables": 3}}
    (sdtm / "manifest.json").write_text(json.dumps(manifest))
    return manifest


def test_manifest_checksum_and_count_mismatch_name_the_file(tmp_path):
    sdtm = tmp_path / "sdtm"
    sdtm.mkdir()
    manifest = _with_manifest(sdtm)
    assert len(read_sdtm(sdtm)["DM"]) == 3
    _xpt(sdtm / "dm.xpt", _dm(2))  # replaced after the manifest was written: 2 records
    with pytest.raises(DataError) as exc:
        read_sdtm(sdtm)
    text = str(exc.value)
    assert "dm.xpt does not match manifest.json" in text
    assert f"the manifest says {manifest['DM']['xpt_sha256']}" in text and sha256_file(sdtm / "dm.xpt") in text
    # checksum right, count wrong: the manifest's record count is checked too
    manifest["DM"]["xpt_sha256"] = sha256_file(sdtm / "dm.xpt")
    (sdtm / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match=r"2 records, the manifest says 3"):
        read_sdtm(sdtm)
    (sdtm / "manifest.json").write_text('{"DM": {"xpt": ')
    with pytest.raises(DataError, match="truncated or malformed manifest"):
        read_sdtm(sdtm)


# -- names and paths -----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["../adam", "../../x", "/abs", "a/../../b", "..", "", "x\x00y"])
def test_safe_child_refuses_names_leaving_the_folder(tmp_path, name):
    with pytest.raises(UsageError, match="would write outside"):
        safe_child(tmp_path / "out" / "compare", name, what="--name")


def test_safe_child_refuses_a_symlink_out_and_accepts_plain_names(tmp_path):
    root = tmp_path / "out"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(UsageError, match="resolves outside"):
        safe_child(root, "link/x")
    assert safe_child(root, "adsl") == root / "adsl"
    assert safe_child(root, "sub/adsl.xpt") == root / "sub" / "adsl.xpt"


@pytest.mark.parametrize("name", ["../../../elsewhere/DM", "ADSLLONG9", "1ADSL", "AD-SL", "", "AD SL"])
def test_dataset_names_must_be_sas_names(name):
    with pytest.raises(DataError, match="is not a valid SAS name"):
        check_sas_name(name)
    assert check_sas_name("ADSL") == "ADSL" and check_sas_name("_X1") == "_X1"


def test_xpt_member_carries_the_record_layout(tmp_path):
    """The NAMESTR layout export's read-back uses: (name, numeric?, position, length) and the data offset."""
    p = tmp_path / "dm.xpt"
    _xpt(p, _dm())
    (m,) = check_xpt_structure(p)
    assert [f[:2] for f in m.fields] == [("USUBJID", False), ("AGE", True), ("SEX", False)]
    assert [f[2] for f in m.fields] == [0, m.fields[0][3], m.fields[0][3] + 8]
    assert m.record_length == sum(f[3] for f in m.fields)
    assert p.read_bytes()[m.data_start - 80 : m.data_start].startswith(b"HEADER RECORD*******OBS     HEADER RECORD")


def test_parquet_is_read_without_the_datasets_machinery(tmp_path):
    """A Parquet input costs no pyarrow.dataset import (about a second per process)."""
    import subprocess
    import sys

    p = tmp_path / "dm.parquet"
    _dm().to_parquet(p, index=False)
    code = (
        "import sys; from adamforge.readers import read_dataset_file; "
        f"f = read_dataset_file({str(p)!r}); assert f.data.shape == (3, 3), f.data.shape; "
        "print('pyarrow.dataset' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
