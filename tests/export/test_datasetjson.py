"""Dataset-JSON v1.1: column metadata, rows, schema validity, reproducibility, bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from adamforge import clock
from adamforge.errors import DataError
from adamforge.export.datasetjson import (
    dumps_dataset_json,
    load_schema,
    read_dataset_json,
    to_dataset_json,
    validate_dataset_json,
    write_dataset_json,
)
from adamforge.export.metadata import ColumnMeta, DatasetMeta

META = DatasetMeta(
    name="ADSL",
    label="Subject-Level Analysis Dataset",
    keys=("STUDYID", "USUBJID"),
    columns=(
        ColumnMeta("STUDYID", "Study Identifier", "text", 13, key_sequence=1),
        ColumnMeta("USUBJID", "Unique Subject Identifier", "text", 30, key_sequence=2),
        ColumnMeta("AGE", "Age", "integer", 8),
        ColumnMeta("BLEASI", "Baseline EASI Score", "float", 8),
        ColumnMeta("TRTSDT", "Date of First Exposure to Treatment", "date", 8, "DATE9."),
        ColumnMeta("EFFFL", "Efficacy Population Flag", "text", 1),
    ),
)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setenv("ADAMFORGE_TIMESTAMP", "2026-03-04T05:06:07")
    clock._reset_for_tests()
    yield
    clock._reset_for_tests()


def tiny() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "STUDYID": ["INCB18424-303"] * 2,
            "USUBJID": ["INCB18424-303-101-001", "INCB18424-303-101-002"],
            "AGE": [34.0, 15.0],  # whole numbers stored as float: written as integers
            "BLEASI": [12.5, None],
            "TRTSDT": pd.to_datetime(["2024-01-05", None]),
            "EFFFL": ["Y", None],
        }
    )


def build(df=None, **kw):
    return to_dataset_json(
        tiny() if df is None else df, META, study_oid="INCB18424-303", metadata_version_oid="MDV.ADAM.1", **kw
    )


def test_file_attributes():
    obj = build()
    assert obj["datasetJSONCreationDateTime"] == "2026-03-04T05:06:07"
    assert obj["datasetJSONVersion"] == "1.1.0"
    assert obj["fileOID"] == "INCB18424-303.ADSL"
    assert obj["studyOID"] == "INCB18424-303"
    assert obj["metaDataVersionOID"] == "MDV.ADAM.1"
    assert obj["metaDataRef"] == "define.xml"
    assert obj["itemGroupOID"] == "IG.ADSL"
    assert obj["records"] == 2 and obj["name"] == "ADSL"
    assert obj["label"] == "Subject-Level Analysis Dataset"
    assert obj["isReferenceData"] is False
    assert obj["sourceSystem"]["name"] == "adamforge"


def test_columns_metadata():
    cols = build()["columns"]
    assert cols[0] == {
        "itemOID": "IT.ADSL.STUDYID",
        "name": "STUDYID",
        "label": "Study Identifier",
        "dataType": "string",
        "length": 13,
        "keySequence": 1,
    }
    assert cols[2] == {"itemOID": "IT.ADSL.AGE", "name": "AGE", "label": "Age", "dataType": "integer"}
    assert cols[3]["dataType"] == "double"
    assert cols[4] == {
        "itemOID": "IT.ADSL.TRTSDT",
        "name": "TRTSDT",
        "label": "Date of First Exposure to Treatment",
        "dataType": "date",
        "targetDataType": "integer",
        "displayFormat": "DATE9.",
    }


def test_rows_values_and_missing_as_null():
    rows = build()["rows"]
    assert rows == [
        ["INCB18424-303", "INCB18424-303-101-001", 34, 12.5, "2024-01-05", "Y"],
        ["INCB18424-303", "INCB18424-303-101-002", 15, None, None, None],
    ]
    assert isinstance(rows[0][2], int)


def test_valid_against_official_schema(tmp_path):
    obj = build()
    assert validate_dataset_json(obj) == []
    # and the file as written parses back into the same object
    p = tmp_path / "adsl.json"
    write_dataset_json(tiny(), p, META, study_oid="INCB18424-303", metadata_version_oid="MDV.ADAM.1")
    assert validate_dataset_json(json.loads(p.read_text())) == []
    assert json.loads(p.read_text()) == obj


def test_schema_catches_broken_documents():
    obj = build()
    del obj["itemGroupOID"]
    obj["columns"][0]["dataType"] = "text"
    obj["records"] = 5
    errs = validate_dataset_json(obj)
    assert any("'itemGroupOID' is a required property" in e for e in errs)
    assert any(e.startswith("columns/0/dataType") for e in errs)
    assert any("records: 5 but 2 rows" in e for e in errs)


def test_schema_is_v1_1():
    s = load_schema()
    assert "datasetJSONCreationDateTime" in s["required"]
    assert s["properties"]["datasetJSONVersion"]["pattern"].startswith("^1.1")
    assert "DataExchange-DatasetJson" in s["$comment"]


def test_round_trip(tmp_path):
    p = tmp_path / "adsl.json"
    write_dataset_json(tiny(), p, META, study_oid="S", metadata_version_oid="M")
    back, meta = read_dataset_json(p)
    assert meta["records"] == 2
    expected = pd.DataFrame(
        {
            "STUDYID": ["INCB18424-303"] * 2,
            "USUBJID": ["INCB18424-303-101-001", "INCB18424-303-101-002"],
            "AGE": pd.array([34, 15], dtype="Int64"),
            "BLEASI": [12.5, float("nan")],
            "TRTSDT": pd.to_datetime(["2024-01-05", None]).astype("datetime64[s]"),
            "EFFFL": pd.Series(["Y", None], dtype=object),
        }
    )
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)
    assert back["TRTSDT"].dtype == "datetime64[s]"


def test_byte_identical_for_same_input(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for p in (a, b):
        write_dataset_json(tiny(), p, META, study_oid="S", metadata_version_oid="M")
    assert a.read_bytes() == b.read_bytes()


def test_one_line_per_row():
    text = dumps_dataset_json(build())
    assert '    ["INCB18424-303", "INCB18424-303-101-001", 34, 12.5, "2024-01-05", "Y"],\n' in text


def test_mismatch_with_spec_reports_everything_and_writes_nothing(tmp_path):
    df = tiny().drop(columns=["EFFFL"]).assign(EXTRA=[1, 2], AGE=[34.5, 15.0], TRTSDT=["2024-01-05", None])
    p = tmp_path / "adsl.json"
    with pytest.raises(DataError) as ei:
        write_dataset_json(df, p, META, study_oid="S", metadata_version_oid="M")
    probs = ei.value.problems
    assert any("[EXP-VAR-MISSING] ADSL.EFFFL" in x for x in probs)
    assert any("[EXP-VAR-EXTRA] ADSL.EXTRA" in x for x in probs)
    assert any(
        "[EXP-INTEGER] ADSL.AGE [OBS=1, STUDYID=INCB18424-303, USUBJID=INCB18424-303-101-001]" in x for x in probs
    )
    assert any("[EXP-TYPE] ADSL.TRTSDT" in x and "spec type is date but the data holds text" in x for x in probs)
    assert not p.exists() and list(tmp_path.iterdir()) == []
