"""Every step of the pipeline as its own process, timed with GNU ``time -v``: one table.

For each scale (``--scales 1,10,100``; default ``1,10``) the study is simulated into its own
folder and ``derive``, ``validate``, ``export``, ``tlf`` and ``qc`` are run one after the other,
each as a separate ``adamforge`` process under ``/usr/bin/time -v``: wall time, CPU time (user +
system) and peak resident memory of the process. ``--run`` adds ``adamforge run`` of the
reference study and of the CDISC pilot (whole runs, installed). ``--compare N`` adds
``adamforge compare`` against datacompy on an N-row x 20-column Parquet pair (the pair of
``bench_compare.py``), as a user runs them: whole processes (our command line; a Python script
reading the same two files and printing datacompy's report), alternated, ``--repeat`` times each,
median shown. datacompy pins pandas < 3.1, so it runs from its own virtual environment
(``/tmp/dcvenv``, created when missing, as in ``bench_compare.py``).

Targets (issue 14), printed beside the figures: at scale 100 every step under 60 s and 4 GB,
``simulate`` under 6 GB; ``run`` under 10 s; ``compare`` at least 3x faster than datacompy.

    python benchmarks/bench_steps.py [--scales 1,10,100] [--run] [--compare 1000000] [--keep DIR]

Needs GNU time (``apt-get install time``). A scale-100 study needs about 6 GB of memory and
4 GB of disk; run one such benchmark at a time.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADAMFORGE = str(Path(sys.executable).with_name("adamforge"))
STEPS = ("derive", "validate", "export", "tlf", "qc")
GB = 1024**3


def timed(cmd: list[str], env: dict | None = None) -> dict:
    """Run ``cmd`` under ``/usr/bin/time -v``: wall and CPU seconds, peak RSS bytes, exit code."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        r = subprocess.run(
            ["/usr/bin/time", "-v", "-o", tf.name, *cmd],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        text = Path(tf.name).read_text()

    def field(name: str) -> str:
        m = re.search(rf"{re.escape(name)}: (.+)", text)
        return m.group(1).strip() if m else "0"

    wall = 0.0
    for part in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":"):
        wall = wall * 60 + float(part)
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    rss = int(field("Maximum resident set size (kbytes)")) * 1024
    return {"wall": wall, "cpu": cpu, "rss": rss, "rc": r.returncode, "err": r.stderr.strip()[-300:]}


def row(what: str, scale: str, m: dict, target: str = "") -> str:
    ok = "" if m["rc"] in (0, 4) else f"  (exit {m['rc']}: {m['err'].splitlines()[-1:] if m['err'] else ''})"
    return f"| {what} | {scale} | {m['wall']:.1f} | {m['cpu']:.1f} | {m['rss'] / GB:.2f} | {target} |{ok}"


def steps(scale: int, root: Path, env: dict) -> list[str]:
    out = root / f"scale{scale}"
    shutil.rmtree(out, ignore_errors=True)
    lines = []
    big = scale >= 100
    m = timed([ADAMFORGE, "simulate", "--scale", str(scale), "--out", str(out), "--quiet"], env)
    lines.append(row("simulate", f"x{scale}", m, "< 6 GB" if big else ""))
    print(lines[-1], flush=True)
    for step in STEPS:
        m = timed([ADAMFORGE, step, "--out", str(out), "--quiet"], env)
        lines.append(row(step, f"x{scale}", m, "< 60 s, < 4 GB" if big else ""))
        print(lines[-1], flush=True)
    return lines


def runs(root: Path, env: dict, repeat: int) -> list[str]:
    lines = []
    for label, extra in (("run (reference study)", []), ("run --study cdiscpilot01", ["--study", "cdiscpilot01"])):
        ms = []
        for i in range(repeat):
            out = root / f"run{i}"
            shutil.rmtree(out, ignore_errors=True)
            ms.append(timed([ADAMFORGE, "run", *extra, "--out", str(out), "--quiet"], env))
        med = sorted(ms, key=lambda x: x["wall"])[len(ms) // 2]
        lines.append(row(label + f" (median of {repeat})", "x1", med, "< 10 s"))
        print(lines[-1], flush=True)
    return lines


def compare(n: int, root: Path, env: dict, repeat: int) -> list[str]:
    sys.path.insert(0, str(HERE))
    from bench_compare import DC_SCRIPT, ensure_dcvenv, make_pair

    b, c = make_pair(n)
    bp, cp = root / "base.parquet", root / "compare.parquet"
    b.to_parquet(bp, index=False)
    c.to_parquet(cp, index=False)
    del b, c
    script = root / "dc_report.py"
    # the user's script: read both files, compare, print datacompy's report
    script.write_text(DC_SCRIPT.replace("cmp.report()", "print(cmp.report())"))
    py = ensure_dcvenv()
    ours, theirs = [], []
    for _ in range(repeat):
        ours.append(
            timed(
                [
                    ADAMFORGE,
                    "compare",
                    str(bp),
                    str(cp),
                    "--id",
                    "USUBJID",
                    "--method",
                    "absolute",
                    "--criterion",
                    "1e-9",
                    "--out",
                    str(root / "cmp"),
                    "--quiet",
                ],
                env,
            )
        )
        if py is not None:
            theirs.append(timed([str(py), str(script), str(bp), str(cp)]))
    lines = []

    def med(ms):
        return {k: statistics.median(x[k] for x in ms) for k in ("wall", "cpu", "rss")} | {
            "rc": ms[0]["rc"],
            "err": ms[0]["err"],
        }

    o = med(ours)
    lines.append(row(f"compare {n:,} x 20 (adamforge, median of {repeat})", "", o, ">= 3x datacompy"))
    if theirs:
        t = med(theirs)
        lines.append(row(f"compare {n:,} x 20 (datacompy 1.1.0 script, median of {repeat})", "", t, ""))
        lines.append(f"| speed-up over datacompy | | {t['wall'] / o['wall']:.2f}x | | | >= 3x |")
    for x in lines:
        print(x, flush=True)
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,10", help="comma-separated scales (default 1,10; add 100 for the target)")
    ap.add_argument("--run", action="store_true", help="also time `adamforge run` (reference study, CDISC pilot)")
    ap.add_argument("--compare", type=int, default=0, metavar="ROWS", help="also time compare vs datacompy")
    ap.add_argument("--repeat", type=int, default=3, help="repetitions of run/compare (median shown)")
    ap.add_argument("--keep", default=None, metavar="DIR", help="work folder to keep (default: a temporary one)")
    a = ap.parse_args()
    if not Path("/usr/bin/time").exists():
        sys.exit("bench_steps: GNU time is needed (/usr/bin/time; `apt-get install time`)")
    env = dict(os.environ, SOURCE_DATE_EPOCH=os.environ.get("SOURCE_DATE_EPOCH", "1767225600"))
    root = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="adamforge-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} CPUs, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / GB:.0f} GB")
    print("| step | scale | wall (s) | CPU (s) | peak RSS (GB) | target |")
    print("|---|---|---|---|---|---|", flush=True)
    try:
        for k in [int(x) for x in a.scales.split(",") if x.strip()]:
            steps(k, root, env)
            if not a.keep:
                shutil.rmtree(root / f"scale{k}", ignore_errors=True)
        if a.run:
            runs(root, env, a.repeat)
        if a.compare:
            compare(a.compare, root, env, a.repeat)
    finally:
        if not a.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
