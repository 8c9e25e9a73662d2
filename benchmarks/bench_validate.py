"""Benchmark: validation of a simulated study (target: the --scale 100 study in under 60 s).

    python benchmarks/bench_validate.py --scale 100            # simulate + derive into a temp folder first
    python benchmarks/bench_validate.py --study out-scale100   # reuse a folder with sdtm/ and adam/

Prints the record counts, the time of each rule (SDTM checks, GX expectation groups, conformance
rules) as wall and CPU time, slowest first, and the total validation time (reading excluded and
shown apart). ``--findings FILE`` writes the findings as JSON, to check that a faster version
finds exactly the same.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=int, default=100)
    ap.add_argument("--study", type=Path, default=None, help="existing output folder with sdtm/ and adam/")
    ap.add_argument("--target", type=float, default=60.0, help="seconds (default 60)")
    ap.add_argument(
        "--findings", type=Path, default=None, help="also write the findings as JSON here (to compare runs)"
    )
    args = ap.parse_args(argv)

    from adamforge import cli

    study = args.study
    if study is None:
        study = Path(tempfile.mkdtemp(prefix=f"bench-validate-x{args.scale}-"))
        t = time.perf_counter()
        for step in (["simulate", "--scale", str(args.scale)], ["derive"]):
            code = cli.main([*step, "--out", str(study), "--quiet"])
            if code:
                print(f"{step[0]} failed with exit code {code}", file=sys.stderr)
                return code
        print(f"prepared study x{args.scale} in {study} ({time.perf_counter() - t:.1f} s, not counted)")

    from adamforge.adam.spec import load_spec
    from adamforge.context import default_spec_dir
    from adamforge.sdtm_io import read_sdtm
    from adamforge.validation.step import read_adam, validate_adam_run, validate_sdtm_run

    t = time.perf_counter()
    sdtm = read_sdtm(study / "sdtm")
    adam, labels = read_adam(study / "adam")
    spec = load_spec(default_spec_dir())
    t_read = time.perf_counter() - t
    for name, df in [*sorted(sdtm.items()), *sorted(adam.items())]:
        print(f"  {name:<6} {len(df):>10,} records")
    print(f"reading: {t_read:.1f} s (not counted)")

    t0, c0 = time.perf_counter(), time.process_time()
    r1 = validate_sdtm_run(sdtm, spec)
    t1, c1 = time.perf_counter(), time.process_time()
    r2 = validate_adam_run(adam, spec, labels=labels)  # includes importing great_expectations (~3 s)
    t2, c2 = time.perf_counter(), time.process_time()
    total = t2 - t0
    seconds, cpu = {**r1.seconds, **r2.seconds}, {**r1.cpu, **r2.cpu}
    print("\nper rule (seconds; CPU is steadier than wall on a shared machine):")
    print("      wall       CPU  rule")
    for rid, secs in sorted(seconds.items(), key=lambda kv: -kv[1]):
        print(f"  {secs:8.2f}  {cpu.get(rid, float('nan')):8.2f}  {rid}")
    findings = r1.findings + r2.findings
    errors = sum(f.severity == "ERROR" for f in findings)
    if args.findings:
        from adamforge.findings import to_json

        args.findings.write_text(to_json(findings))
    print(
        f"\nSDTM checks {t1 - t0:.1f} s (CPU {c1 - c0:.1f} s), "
        f"ADaM expectations + conformance {t2 - t1:.1f} s (CPU {c2 - c1:.1f} s)"
    )
    print(
        f"validation total: {total:.1f} s, CPU {c2 - c0:.1f} s (target < {args.target:g} s: "
        f"{'met' if total < args.target else 'NOT met'}); {len(findings)} findings, {errors} ERROR"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
