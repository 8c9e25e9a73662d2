"""Finalisation from the spec: keep/order/types, codelist and length checks, policy."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

from adamforge.adam.finalize import finalize_dataset, write_parquet
from adamforge.adam.spec import build_spec
from adamforge.errors import DataError

RAW = {
    "datasets": {
        "ADX": {
            "label": "Tiny",
            "structure": "s",
            "class": "c",
            "keys": ["USUBJID"],
            "variables": [
                {
                    "name": "USUBJID",
                    "label": "Unique Subject Identifier",
                    "type": "text",
                    "length": 3,
                    "origin": "Assigned",
                },
                {"name": "SEX", "label": "Sex", "type": "text", "length": 1, "origin": "Assigned", "codelist": "SEX"},
                {"name": "AGE", "label": "Age", "type": "integer", "origin": "Assigned"},
            ],
        }
    },
    "codelists": {"SEX": {"name": "Sex", "terms": ["F", "M"]}},
}


def test_keep_order_types_sort_and_problems():
    spec = build_spec(RAW)
    df = pd.DataFrame({"AGE": [30.0, 41.0, None], "EXTRA": 1, "USUBJID": ["B", "A", "CCCC"], "SEX": ["M", "X", None]})
    out, probs = finalize_dataset(df, spec, "ADX")
    assert list(out.columns) == ["USUBJID", "SEX", "AGE"]
    assert out["USUBJID"].tolist() == ["A", "B", "CCCC"]
    assert out["AGE"].dtype == "Int64" and out["AGE"].tolist() == [41, 30, pd.NA]
    assert out["SEX"].tolist() == ["X", "M", ""]
    assert probs == [
        "ADX.EXTRA: derived but not in the spec; dropped (rule: variable not in spec)",
        "ADX.USUBJID: value longer than spec length 3 (rule: length): 1 record(s), e.g. USUBJID=CCCC",
        "ADX.SEX: value outside codelist SEX (rule: codelist): 1 record(s), e.g. USUBJID=A, SEX=X",
    ]
    with pytest.raises(DataError) as ei:
        finalize_dataset(df, spec, "ADX", policy="submission")
    assert len(ei.value.problems) == 3


def test_parquet_carries_labels(tmp_path):
    spec = build_spec(RAW)
    out, _ = finalize_dataset(pd.DataFrame({"USUBJID": ["A"], "SEX": ["F"], "AGE": [3]}), spec, "ADX")
    write_parquet(out, tmp_path / "x.parquet", spec.datasets["ADX"])
    schema = pq.read_schema(tmp_path / "x.parquet")
    assert schema.field("AGE").metadata[b"label"] == b"Age"
    assert b'"label": "Tiny"' in schema.metadata[b"adamforge"]


def test_bds_records_numbered_per_subject_in_key_order():
    from adamforge.adam.finalize import apply_sequence

    raw = {
        "datasets": {
            "ADX": {
                "label": "Tiny BDS",
                "structure": "s",
                "class": "BASIC DATA STRUCTURE",
                "keys": ["USUBJID", "PARAMCD", "ADT"],
                "variables": [
                    {
                        "name": "USUBJID",
                        "label": "Unique Subject Identifier",
                        "type": "text",
                        "length": 3,
                        "origin": "Assigned",
                    },
                    {
                        "name": "ASEQ",
                        "label": "Analysis Sequence Number",
                        "type": "integer",
                        "origin": "Derived",
                        "method": "MT.SEQ",
                    },
                    {"name": "PARAMCD", "label": "Parameter Code", "type": "text", "length": 8, "origin": "Assigned"},
                    {"name": "ADT", "label": "Analysis Date", "type": "date", "origin": "Assigned"},
                ],
            }
        },
        "methods": {"MT.SEQ": {"description": "Record number within the subject in key order."}},
    }
    spec = build_spec(raw)
    df = pd.DataFrame(
        {
            "USUBJID": ["B", "A", "A", "B"],
            "PARAMCD": ["X", "Y", "X", "X"],
            "ADT": pd.to_datetime(["2020-01-02", "2020-01-01", "2020-01-05", "2020-01-01"]),
        }
    )
    out, _ = finalize_dataset(df, spec, "ADX")
    # A: (X, 01-05) then (Y, 01-01); B: (X, 01-01) then (X, 01-02)
    assert out[["USUBJID", "PARAMCD", "ASEQ"]].values.tolist() == [
        ["A", "X", 1],
        ["A", "Y", 2],
        ["B", "X", 1],
        ["B", "X", 2],
    ]
    assert out["ADT"].dt.day.tolist() == [5, 1, 1, 2]
    # a program that numbered the records itself keeps its numbers; other classes get none
    assert apply_sequence(df.assign(ASEQ=[9, 8, 7, 6]), spec.datasets["ADX"])["ASEQ"].tolist() == [9, 8, 7, 6]
    assert "ASEQ" not in apply_sequence(df, spec.datasets["ADX"], "ADSL").columns
