"""Benchmark of the tlf step on the reference study (target: all outputs in < 15 s).

Prints the cold wall time of `adamforge tlf` (a fresh process, imports included) and where the
time goes inside one run (statistics, figures, tables and listing, Word), plus the import cost
of the heavy libraries. Uses <out>/adam if it holds ADSL/ADEFF, else simulates and derives the
reference study into a temporary folder first (not counted).

    .venv/bin/python benchmarks/bench_tlf.py [--out out]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 15.0


def _ensure_adam(out: Path) -> Path:
    if (out / "adam" / "adsl.parquet").is_file() and (out / "adam" / "adeff.parquet").is_file():
        return out
    from adamforge import cli

    t0 = time.perf_counter()
    for step in ("simulate", "derive"):
        if cli.main([step, "--out", str(out), "--quiet"]) != 0:
            raise SystemExit(f"bench_tlf: `adamforge {step}` failed; see {out / 'adamforge.log'}")
    print(f"(setup: simulate + derive into {out} took {time.perf_counter() - t0:.1f} s, not counted)")
    return out


def _import_cost(module: str) -> float:
    code = f"import time; t=time.perf_counter(); import {module}; print(time.perf_counter()-t)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(r.stdout.strip())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None, help="output tree holding adam/ (default: a temporary folder)")
    args = ap.parse_args()
    tmp = None
    if args.out is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench_tlf_")
        out = Path(tmp.name) / "out"
    else:
        out = Path(args.out)
    out = _ensure_adam(out)
    env = {**os.environ, "ADAMFORGE_TIMESTAMP": "2026-01-01T00:00:00"}

    t0 = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-m", "adamforge.cli", "tlf", "--out", str(out), "--quiet"],
        env=env,
        capture_output=True,
        text=True,
    )
    cold = time.perf_counter() - t0
    if r.returncode != 0:
        print(r.stderr)
        return 1

    import pandas as pd

    import adamforge
    from adamforge.context import default_spec_dir
    from adamforge.tlf.render import DocMeta
    from adamforge.tlf.spec import load_tlf_spec
    from adamforge.tlf.step import build_outputs

    adsl = pd.read_parquet(out / "adam" / "adsl.parquet")
    adeff = pd.read_parquet(out / "adam" / "adeff.parquet")
    spec = load_tlf_spec(default_spec_dir() / "tlf.yaml")
    meta = DocMeta(spec.study, spec.program, spec.data_cut, "2026-01-01T00:00:00 UTC", adamforge.SYNTHETIC_DATA_NOTICE)
    t0 = time.perf_counter()
    res = build_outputs(adsl, adeff, spec, meta=meta)
    warm = time.perf_counter() - t0

    print(f"tlf on the reference study: ADSL {len(adsl)} x {adsl.shape[1]}, ADEFF {len(adeff)} x {adeff.shape[1]}")
    print(
        f"  cold `adamforge tlf` (fresh process, imports included): {cold:6.2f} s  "
        f"[target < {TARGET_S:.0f} s: {'met' if cold < TARGET_S else 'NOT met'}]"
    )
    print(f"  second run in the same process:                     {warm:6.2f} s")
    print("  where the time goes (second run):")
    for phase, secs in res.timings.items():
        print(f"    {phase:<28} {secs:6.2f} s")
    print("  import cost in a fresh process:")
    for mod in ("statsmodels.api", "matplotlib.pyplot", "docxtpl", "scipy.stats"):
        print(f"    {mod:<28} {_import_cost(mod):6.2f} s")
    print(
        f"  files: {len(res.files)}, total {sum(len(b) for b in res.files.values()) / 1e6:.1f} MB; "
        f"ARD {len(res.ard)} results"
    )
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
