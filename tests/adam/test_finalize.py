"""Finalisation from the spec: keep/order/types, codelist and length checks, policy."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

from adamforge.adam.finalize import finalize_dataset, write_parquet
from adamforge.adam.spec import build_spec
from adamforge.errors import DataError

RAW = {
    "datasets": {"ADX": {"label": "Tiny", "structure": "s", "class": "c", "keys": ["USUBJID"], "variables": [
        {"name": "USUBJID", "label": "Unique Subject Identifier", "type": "text", "length": 3, "origin": "Assigned"},
        {"name": "SEX", "label": "Sex", "type": "text", "length": 1, "origin": "Assigned", "codelist": "SEX"},
        {"name": "AGE", "label": "Age", "type": "integer", "origin": "Assigned"},
    ]}},
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
