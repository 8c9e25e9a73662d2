"""Benchmark: simulating the reference study at scale 1, 10 (and 100 with --big).

Prints, per scale, the wall time and peak memory (RSS high-water mark of a fresh process) of
the simulation alone and of ``adamforge simulate`` (simulation + XPT v5 + Parquet files).

    .venv/bin/python benchmarks/bench_simulate.py [--big]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time

CODE = """
import resource, sys, time
from adamforge.sdtm_sample.simulate import simulate_study
t = time.perf_counter()
d = simulate_study(scale={scale})
secs = time.perf_counter() - t
rows = sum(len(v) for v in d.values())
print(f"{{secs:.1f}} {{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}} {{rows}}")
"""


def _peak_cmd(argv: list[str]) -> tuple[float, float]:
    t = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], capture_output=True, text=True, check=True)
    return time.perf_counter() - t, int(out.stderr.strip().splitlines()[-1]) / 1024


def main() -> None:
    scales = [1, 10] + ([100] if "--big" in sys.argv else [])
    print(f"{'scale':>5} {'sim s':>7} {'sim MB':>7} {'records':>11} {'simulate cmd s':>15} {'cmd MB':>7}")
    for k in scales:
        r = subprocess.run([sys.executable, "-c", CODE.format(scale=k)], capture_output=True, text=True, check=True)
        secs, mb, rows = r.stdout.split()
        with tempfile.TemporaryDirectory() as tmp:
            cmd_s, cmd_mb = _peak_cmd(
                [sys.executable, "-m", "adamforge.cli", "simulate", "--scale", str(k), "--out", tmp, "--quiet"]
            )
        print(f"{k:>5} {float(secs):>7.1f} {float(mb):>7.0f} {int(rows):>11,} {cmd_s:>15.1f} {cmd_mb:>7.0f}")


if __name__ == "__main__":
    main()
