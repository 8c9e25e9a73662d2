"""Benchmark: ``adamforge compare`` vs datacompy on a 1,000,000-row x 20-column Parquet pair.

As a user runs them: whole processes, alternated, ``--rounds`` times each (medians shown). Ours is
the command line (``adamforge compare BASE COMPARE --id USUBJID --method absolute --criterion 1e-9``,
report printed and its folder written); theirs a Python script reading the same two Parquet files
and printing datacompy's report (``PandasCompare(...).report()``). Wall time, CPU time (user +
system) and peak memory of each process; the ratio of the medians. Then the in-process figures:
reading + comparing + the text report, and the comparison of two frames already in memory.

datacompy 1.1.0 pins ``pandas<3.1``, so it runs in a separate virtual environment (``/tmp/dcvenv``
by default, ``DCVENV`` to change) that this script creates when missing; if that cannot be done
(no network, no pip), our figures are still printed.

    python benchmarks/bench_compare.py [--rows 1000000] [--rounds 5] [--no-datacompy] [--no-in-process]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

DCVENV = Path(os.environ.get("DCVENV", "/tmp/dcvenv"))
DATACOMPY = os.environ.get("DATACOMPY_VERSION", "1.1.0")
ADAMFORGE = str(Path(sys.executable).with_name("adamforge"))


def make_pair(n: int, seed: int = 2026):
    """Two 20-column frames keyed by USUBJID: 12 numeric, 7 character; 1,500 values changed per
    million rows (400 in each of three numeric columns, 300 in one character column), noise of
    1e-12 everywhere in one column, 100 observations only in each side."""
    import numpy as np
    import pandas as pd

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
            [
                str(py),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                f"datacompy=={DATACOMPY}",
                "pyarrow",
            ],
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


def machine() -> str:
    """CPU model, cores, memory and load: the figures depend on them."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{model}, {os.cpu_count()} CPUs, {mem:.0f} GB; Python {platform.python_version()}; load average {load}"


def run_process(cmd: list[str], env: dict | None = None) -> dict:
    """Run ``cmd`` to the end (output discarded): wall seconds, CPU seconds (user + system), peak RSS."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall": wall,
        "cpu": ru.ru_utime + ru.ru_stime,
        "rss_mb": ru.ru_maxrss / 1024,
        "rc": proc.returncode,
        "err": err.decode(errors="replace").strip()[-400:],
    }


def whole_processes(bp: Path, cp: Path, work: Path, rounds: int, py: Path | None) -> tuple[dict, dict | None]:
    """Both commands alternated (who goes first alternates too), ``rounds`` times each; medians."""
    env = dict(os.environ, SOURCE_DATE_EPOCH=os.environ.get("SOURCE_DATE_EPOCH", "1767225600"))
    ours_cmd = [ADAMFORGE, "compare", str(bp), str(cp), "--id", "USUBJID", "--method", "absolute"]
    ours_cmd += ["--criterion", "1e-9", "--out", str(work / "out")]
    script = work / "datacompy_report.py"
    script.write_text(DC_REPORT_SCRIPT)
    theirs_cmd = [str(py), str(script), str(bp), str(cp)] if py is not None else None
    ours, theirs = [], []
    for i in range(rounds):
        order = [("ours", ours_cmd), ("theirs", theirs_cmd)]
        for who, cmd in order if i % 2 == 0 else order[::-1]:
            if cmd is None:
                continue
            m = run_process(cmd, env)
            if m["rc"] not in (0, 4):  # 4: adamforge compare found differences
                raise SystemExit(f"{who} failed (exit {m['rc']}): {m['err']}")
            (ours if who == "ours" else theirs).append(m)
            print(
                f"  round {i + 1}: {who:6s} {m['wall']:.2f} s wall, {m['cpu']:.2f} s CPU, {m['rss_mb']:.0f} MB",
                flush=True,
            )

    def med(ms: list[dict]) -> dict:
        return {k: statistics.median(m[k] for m in ms) for k in ("wall", "cpu", "rss_mb")}

    return med(ours), (med(theirs) if theirs else None)


# what a user writes to get datacompy's report on two Parquet files
DC_REPORT_SCRIPT = textwrap.dedent("""
    import sys
    import pandas as pd
    import datacompy

    base = pd.read_parquet(sys.argv[1])
    compare = pd.read_parquet(sys.argv[2])
    cmp = datacompy.PandasCompare(base, compare, join_columns=["USUBJID"], abs_tol=1e-9, rel_tol=0)
    print(cmp.report())
""")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=5, help="runs of each whole process (default 5; medians shown)")
    ap.add_argument("--no-datacompy", action="store_true")
    ap.add_argument("--no-in-process", action="store_true", help="skip the in-process figures")
    ap.add_argument("--write-pair", default=None, metavar="DIR", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.write_pair:  # in its own process: this one stays small, so a child's peak memory is its own
        b, c = make_pair(a.rows)
        b.to_parquet(Path(a.write_pair) / "base.parquet", index=False)
        c.to_parquet(Path(a.write_pair) / "compare.parquet", index=False)
        print(f"{len(b):,} x {b.shape[1]} (base) vs {len(c):,} x {c.shape[1]} (compare)")
        return
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bp, cp = work / "base.parquet", work / "compare.parquet"
        shape = subprocess.run(
            [sys.executable, __file__, "--rows", str(a.rows), "--write-pair", str(work)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        print(f"compare benchmark: {shape}, ID USUBJID, 12 numeric and 7 character columns besides the ID")
        py = None if a.no_datacompy else ensure_dcvenv()
        print(f"whole processes, alternated, {a.rounds} rounds:")
        o, t = whole_processes(bp, cp, work, a.rounds, py)
        print(
            f"adamforge compare (command line): median {o['wall']:.2f} s wall, {o['cpu']:.2f} s CPU, {o['rss_mb']:.0f} MB"
        )
        if t is not None:
            print(
                f"datacompy {DATACOMPY} script:         median {t['wall']:.2f} s wall, {t['cpu']:.2f} s CPU, "
                f"{t['rss_mb']:.0f} MB"
            )
            ratio = t["wall"] / o["wall"]
            print(
                f"speed-up (whole processes): {ratio:.2f}x wall, {t['cpu'] / o['cpu']:.2f}x CPU "
                f"[target >= 3x: {'met' if ratio >= 3 else 'NOT met'}]"
            )
        if a.no_in_process:
            return
        r = ours(bp, cp)
        print(
            f"in process, adamforge: {r['total']:.2f} s (read Parquet + compare + text report), "
            f"{r['in_memory']:.2f} s compare in memory; {r['unequal']:,} unequal values, return code {r['rc']}"
        )
        if py is None:
            return
        d = datacompy_run(py, bp, cp)
        if d is None:
            return
        print(
            f"in process, datacompy {d['version']} (pandas {d['pandas']}): {d['total']:.2f} s (read Parquet + "
            f"Compare + report), {d['in_memory']:.2f} s compare in memory; {d['unequal']:,} unequal values"
        )
        print(
            f"speed-up in process: {d['total'] / r['total']:.1f}x end to end, {d['in_memory'] / r['in_memory']:.1f}x in memory"
        )


if __name__ == "__main__":
    main()
