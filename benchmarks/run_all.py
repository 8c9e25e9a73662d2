"""Run every benchmark under benchmarks/ in turn (``make bench``); each prints its own figures.

bench_*.py are found by name: bench_pilot.py (``adamforge run --study cdiscpilot01``, wall time) among them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

here = Path(__file__).parent
for script in sorted(here.glob("bench_*.py")) + sorted(here.glob("*_bench.py")):
    print(f"\n=== {script.name} ===", flush=True)
    subprocess.run([sys.executable, str(script)], check=False)
