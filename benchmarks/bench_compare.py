"""Benchmark: ``adamforge compare`` vs datacompy on two 1,000,000-row x 20-column datasets.

Prints our time (reading Parquet + comparing + the text report; and the in-memory comparison
alone) and datacompy's on the same pair (``datacompy.Compare`` / ``PandasCompare`` + ``.report()``, reading included
and excluded). datacompy pins ``pandas<3.1``, so it runs in a separate virtual environment
(``/tmp/dcvenv`` by default, ``DCVENV`` to change) that this script creates when missing; if that
cannot be done (no network, no pip), our figures are still printed.

    python benchmarks/bench_compare.py [--rows 1000000] [--no-datacompy]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

DCVENV = Path(os.environ.get("DCVENV", "/tmp/dcvenv"))


def make_pair(n: int, seed: int = 2026) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two 20-column frames keyed by USUBJID: 12 numeric, 7 character; 1,500 values changed per
    million rows (400 in each of three numeric columns, 300 in one character column), noise of
    1e-12 everywhere in one column, 100 observations only in each side."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"STUDY-{i:08d}" for i in range(n)], dtype=object)
    base = {"USUBJID": ids}
    for j in range(12):
        base[f"NUM{j:02d}"] = rng.normal(50, 10, n).round(3)
    cats = np.array(["ALPHA", "BETA", "GAMMA", "DELTA", "EPSILON"], dtype=object)
    for j in range(7):
        base[f"CHR{j:02d}"] = cats[rng.integers(0, 5, n)]
    b = pd.DataFrame(base)
    c = b.copy()
    for j in (0, 3, 7):
        idx = rng.choice(n, n * 4 // 10_000, replace=False)
        c.loc[idx, f"NUM{j:02d}"] += 1.0
    idx = rng.choice(n, n * 3 // 10_000, replace=False)
    c.loc[idx, "CHR02"] = "ZETA"
    c["NUM11"] = c["NUM11"] + 1e-12
    b = b.iloc[100:].reset_index(drop=True)  # 100 only in compare
    c = c.iloc[:-100].sample(frac=1.0, random_state=1).reset_index(drop=True)  # 100 only in base, shuffled
    return b, c


def ours(bp: Path, cp: Path) -> dict:
    from adamforge.validation.compare import compare_datasets, compare_frames, read_dataset
    from adamforge.validation.compare_report import render_text

    t0, c0 = time.perf_counter(), time.process_time()
    res = compare_datasets(bp, cp, id_vars=["USUBJID"], method="absolute", criterion=1e-9)
    render_text(res)
    t_total, c_total = time.perf_counter() - t0, time.process_time() - c0
    bdf, bi = read_dataset(bp)
    cdf, ci = read_dataset(cp, role="COMPARE")
    t0 = time.perf_counter()
    res2 = compare_frames(
        bdf, cdf, id_vars=["USUBJID"], method="absolute", criterion=1e-9, base_info=bi, compare_info=ci
    )
    t_mem = time.perf_counter() - t0
    assert res2.return_code == res.return_code
    return {
        "total": t_total,
        "cpu": c_total,
        "in_memory": t_mem,
        "unequal": res.n_unequal_values,
        "rc": res.return_code,
    }


DC_SCRIPT = textwrap.dedent("""
    import json, sys, time
    import pandas as pd, datacompy
    t0, c0 = time.perf_counter(), time.process_time()
    b = pd.read_parquet(sys.argv[1]); c = pd.read_parquet(sys.argv[2])
    t1 = time.perf_counter()
    Compare = getattr(datacompy, "Compare", None) or datacompy.PandasCompare  # 1.x renamed it
    cmp = Compare(b, c, join_columns=["USUBJID"], abs_tol=1e-9, rel_tol=0)
    cmp.report()
    t2 = time.perf_counter()
    n = int(sum(cmp.column_stats[i]["unequal_cnt"] for i in range(len(cmp.column_stats))))
    print(json.dumps({"total": t2 - t0, "cpu": time.process_time() - c0, "in_memory": t2 - t1, "unequal": n,
                      "version": datacompy.__version__, "pandas": pd.__version__}))
""")


def ensure_dcvenv() -> Path | None:
    py = DCVENV / "bin" / "python"
    try:
        if (
            py.exists()
            and subprocess.run([str(py), "-c", "import datacompy, pyarrow"], capture_output=True).returncode == 0
        ):
            return py
        if not py.exists():
            subprocess.run([sys.executable, "-m", "venv", str(DCVENV)], check=True, capture_output=True)
        subprocess.run(
            [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "datacompy", "pyarrow"],
            check=True,
            capture_output=True,
            timeout=600,
        )
        return py
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"datacompy: separate environment {DCVENV} could not be made ({exc}); its figures are skipped.")
        return None


def datacompy_run(py: Path, bp: Path, cp: Path) -> dict | None:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(DC_SCRIPT)
    r = subprocess.run([str(py), fh.name, str(bp), str(cp)], capture_output=True, text=True)
    os.unlink(fh.name)
    if r.returncode != 0:
        print("datacompy run failed:", r.stderr.strip().splitlines()[-1:] or r.stderr)
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--no-datacompy", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        b, c = make_pair(a.rows)
        bp, cp = Path(tmp) / "base.parquet", Path(tmp) / "compare.parquet"
        b.to_parquet(bp, index=False)
        c.to_parquet(cp, index=False)
        print(f"compare benchmark: {len(b):,} x {b.shape[1]} (base) vs {len(c):,} x {c.shape[1]} (compare), ID USUBJID")
        r = ours(bp, cp)
        print(
            f"adamforge compare: {r['total']:.2f} s (read Parquet + compare + text report), "
            f"{r['in_memory']:.2f} s compare in memory, {r['cpu']:.2f} s CPU; {r['unequal']:,} unequal values, return code {r['rc']}"
            f"  [target < 10 s: {'met' if r['total'] < 10 else 'NOT met'}]"
        )
        if a.no_datacompy:
            return
        py = ensure_dcvenv()
        if py is None:
            return
        d = datacompy_run(py, bp, cp)
        if d is None:
            return
        print(
            f"datacompy {d['version']} (pandas {d['pandas']}): {d['total']:.2f} s (read Parquet + Compare + report), "
            f"{d['in_memory']:.2f} s compare in memory, {d['cpu']:.2f} s CPU; {d['unequal']:,} unequal values"
        )
        print(
            f"speed-up: {d['total'] / r['total']:.1f}x end to end, {d['in_memory'] / r['in_memory']:.1f}x in memory, "
            f"{d['cpu'] / r['cpu']:.1f}x CPU time (wall times vary with machine load; CPU time less so)"
        )


if __name__ == "__main__":
    main()
