"""Export speed: XPT v5 check/write/read and Dataset-JSON on a BDS-shaped frame.

Usage: ``python benchmarks/export_bench.py [ROWS]`` (default 40,000 rows, about the size of the
reference study's ADEFF). Prints seconds per operation; not a test.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

import numpy as np
import pandas as pd

os.environ.setdefault("ADAMFORGE_TIMESTAMP", "2026-01-01T00:00:00")

from adamforge.export.datasetjson import dumps_dataset_json, to_dataset_json  # noqa: E402
from adamforge.export.metadata import ColumnMeta, DatasetMeta  # noqa: E402
from adamforge.export.xpt import check_xpt, read_xpt, write_xpt  # noqa: E402


def frame(n: int) -> tuple[pd.DataFrame, DatasetMeta]:
    rng = np.random.default_rng(1)
    subj = rng.integers(1, 1300, n)
    df = pd.DataFrame(
        {
            "STUDYID": ["INCB18424-303"] * n,
            "USUBJID": [f"INCB18424-303-{100 + s % 40:03d}-{s:04d}" for s in subj],
            "PARAMCD": rng.choice(["IGA", "EASI", "BSA", "ITCHNRS", "IGATS", "EASI75"], n),
            "PARAM": rng.choice(["Investigator's Global Assessment (0-4)", "Eczema Area and Severity Index (0-72)"], n),
            "AVISIT": rng.choice(["Baseline", "Week 2", "Week 4", "Week 8"], n),
            "AVISITN": rng.choice([0.0, 2.0, 4.0, 8.0], n),
            "ADT": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 400, n), unit="D"),
            "ADY": rng.integers(1, 60, n),
            "AVAL": np.where(rng.random(n) < 0.1, np.nan, rng.random(n) * 72).round(1),
            "CRIT1": ["IGA score of 0 or 1 with an improvement of at least 2 grades from baseline"] * n,
        }
    )
    meta = DatasetMeta(
        "ADEFF",
        "Efficacy Analysis Dataset",
        (
            ColumnMeta("STUDYID", "Study Identifier", "text", 13, key_sequence=1),
            ColumnMeta("USUBJID", "Unique Subject Identifier", "text", 30, key_sequence=2),
            ColumnMeta("PARAMCD", "Parameter Code", "text", 8),
            ColumnMeta("PARAM", "Parameter", "text", 80),
            ColumnMeta("AVISIT", "Analysis Visit", "text", 8),
            ColumnMeta("AVISITN", "Analysis Visit (N)", "float", 8),
            ColumnMeta("ADT", "Analysis Date", "date", 8, "DATE9."),
            ColumnMeta("ADY", "Analysis Relative Day", "integer", 8),
            ColumnMeta("AVAL", "Analysis Value", "float", 8),
            ColumnMeta("CRIT1", "Analysis Criterion 1", "text", 100),
        ),
        keys=("STUDYID", "USUBJID"),
    )
    return df, meta


def timed(label: str, fn):
    t = time.perf_counter()
    out = fn()
    print(f"{label:<34} {time.perf_counter() - t:7.2f} s")
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40_000
    df, meta = frame(n)
    print(f"rows {n:,}, variables {len(df.columns)}")
    kw = {
        "dataset": meta.name,
        "dataset_label": meta.label,
        "labels": meta.labels,
        "lengths": meta.lengths,
        "formats": meta.formats,
        "keys": list(meta.keys),
    }
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "adeff.xpt")
        timed("check_xpt (all rules)", lambda: check_xpt(df, **kw))
        timed("write_xpt (check + write)", lambda: write_xpt(df, p, **kw))
        print(f"{'XPT size':<34} {os.path.getsize(p) / 1e6:7.1f} MB")
        timed("read_xpt", lambda: read_xpt(p))
        obj = timed("to_dataset_json", lambda: to_dataset_json(df, meta, study_oid="S", metadata_version_oid="M"))
        text = timed("dumps_dataset_json", lambda: dumps_dataset_json(obj))
        print(f"{'Dataset-JSON size':<34} {len(text.encode()) / 1e6:7.1f} MB")


if __name__ == "__main__":
    main()
