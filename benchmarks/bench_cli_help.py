"""Start-up time of ``adamforge --help`` and ``adamforge <step> --help`` (a figure, not a timed test).

Each is run as a fresh process (``python -m adamforge.cli ... --help``), 5 times; the median wall
time is printed, with the same for ``python -c pass`` (the interpreter alone) and ``import pandas``
for scale. Target: under 0.3 s each, with no pandas import (checked by tests/test_cli_help.py).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from adamforge.cli import STEPS

RUNS = 5


def wall(argv: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, *argv], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    rows = [
        ("python -c pass (interpreter alone)", ["-c", "pass"]),
        ("python -c 'import pandas'", ["-c", "import pandas"]),
    ]
    rows.append(("adamforge --help", ["-m", "adamforge.cli", "--help"]))
    for name in ["run", *(s.name for s in STEPS)]:
        rows.append((f"adamforge {name} --help", ["-m", "adamforge.cli", name, "--help"]))
    print(f"{'command':<40} {'median of ' + str(RUNS):>12}")
    for label, argv in rows:
        print(f"{label:<40} {wall(argv):>10.3f} s")


if __name__ == "__main__":
    main()
