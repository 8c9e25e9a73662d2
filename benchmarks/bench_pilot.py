"""Benchmark: ``adamforge run --study cdiscpilot01``, the CDISC pilot end to end, as installed.

Runs the installed ``adamforge`` console script (the one beside this Python) as a whole process,
3 times into a fresh output folder each, and prints the median wall time (target: under 15 s)
and, from the run log of the median run, the real time of each step: where the time goes.

    .venv/bin/python benchmarks/bench_pilot.py [--runs N]
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 15.0
_STEP = re.compile(r"Step (\S+) (?:ended|FAILED): real time ([0-9.]+) seconds")


def _command() -> list[str]:
    script = Path(sys.executable).with_name("adamforge")
    if script.is_file():
        return [str(script)]
    found = shutil.which("adamforge")
    return [found] if found else [sys.executable, "-m", "adamforge.cli"]


def main() -> None:
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 3
    cmd = _command()
    times, steps = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "out"
            t = time.perf_counter()
            r = subprocess.run(
                [*cmd, "run", "--study", "cdiscpilot01", "--out", str(out), "--quiet"], capture_output=True, text=True
            )
            secs = time.perf_counter() - t
            if r.returncode != 0:
                print(f"adamforge run --study cdiscpilot01 failed (exit {r.returncode}):\n{r.stderr}")
                raise SystemExit(1)
            times.append(secs)
            steps.append({m.group(1): float(m.group(2)) for m in _STEP.finditer((out / "adamforge.log").read_text())})
    med = statistics.median(times)
    print(
        f"adamforge run --study cdiscpilot01 ({' '.join(cmd)}): {runs} runs, "
        + ", ".join(f"{t:.2f}" for t in times)
        + f" s; median {med:.2f} s (target < {TARGET_S:.0f} s: "
        + ("met" if med < TARGET_S else "NOT met")
        + ")"
    )
    per = steps[times.index(sorted(times)[len(times) // 2])]
    accounted = sum(per.values())
    print(f"{'step':<24} {'real s':>7}")
    for name, secs in per.items():
        print(f"{name.lower():<24} {secs:>7.2f}")
    print(f"{'(start-up, log, markers)':<24} {max(0.0, med - accounted):>7.2f}")


if __name__ == "__main__":
    main()
