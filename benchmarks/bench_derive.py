"""Speed and memory of the ADaM derive step at scale 1, 10 and 100.

For each scale, a first process simulates the SDTM and saves it as Parquet (not timed); a second
process - like ``adamforge derive`` - reads it and runs each phase of the derivation (input checks,
the spec's dataset programs, with the time of each program, finalisation, writing Parquet), printing
the wall time of each and the process's peak RSS (``resource.getrusage``) after each.
Target (issue 3): scale 100 (about 125,000 subjects, several million diary rows) under 60 s
and 6 GB on the 2-core machine.

    .venv/bin/python benchmarks/bench_derive.py            # scales 1 10 100
    .venv/bin/python benchmarks/bench_derive.py 1 10       # chosen scales
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _simulate(scale: int, folder: Path) -> None:
    from adamforge.sdtm_sample.simulate import simulate_study

    for name, df in simulate_study(scale=scale).items():
        df.to_parquet(folder / f"{name.lower()}.parquet", index=False)


def _derive(folder: Path) -> dict:
    import pandas as pd

    from adamforge.adam.finalize import finalize_dataset, write_parquet
    from adamforge.adam.inputs import check_sdtm
    from adamforge.adam.program import required_inputs, run_programs
    from adamforge.adam.spec import load_spec
    from adamforge.context import default_spec_dir

    phases = []
    state: dict = {}

    def phase(name, fn):
        t, c = time.perf_counter(), time.process_time()
        fn()
        phases.append(
            (
                name,
                time.perf_counter() - t,
                time.process_time() - c,
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            )
        )

    def read():
        state["spec"] = load_spec(default_spec_dir())
        state["sdtm"] = {}
        for dom, variables in required_inputs(state["spec"]).items():  # one domain at a time, slimmed
            df = pd.read_parquet(folder / f"{dom.lower()}.parquet")
            state["sdtm"][dom] = df if variables is None else df[[c for c in variables if c in df.columns]]

    def checks():
        assert check_sdtm(state["sdtm"], state["spec"]) == []

    program_times: dict[str, list[float]] = {}

    def programs():
        last = [time.perf_counter(), time.process_time()]

        def tick(line: str) -> None:  # called after each population and step: time per program
            name = line.split(":", 1)[0]
            t, c = time.perf_counter(), time.process_time()
            acc = program_times.setdefault(name, [0.0, 0.0])
            acc[0] += t - last[0]
            acc[1] += c - last[1]
            last[:] = [t, c]

        state["run"] = run_programs(state.pop("sdtm"), state["spec"], log=tick, consume=True)

    def finalize():
        spec, run = state["spec"], state.pop("run")
        state["final"] = {
            n: finalize_dataset(run.datasets[n], spec, n)[0] for n, p in spec.programs.items() if p.output
        }

    def write():
        for name, df in state["final"].items():
            write_parquet(df, folder / f"out_{name.lower()}.parquet", state["spec"].datasets[name])

    t0 = time.perf_counter()
    phase("read SDTM + spec", read)
    rows = {k: len(state["sdtm"][k]) for k in ("DM", "RS", "QS") if k in state["sdtm"]}
    phase("input checks", checks)
    phase("programs", programs)
    phase("finalise", finalize)
    phase("write Parquet", write)
    return {
        "rows": rows,
        "phases": phases,
        "total": time.perf_counter() - t0,
        "programs": program_times,
        "out_rows": {n: len(df) for n, df in state["final"].items()},
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--simulate":
        _simulate(int(argv[1]), Path(argv[2]))
        return 0
    if argv and argv[0] == "--derive":
        print(json.dumps(_derive(Path(argv[1]))))
        return 0
    scales = [int(a) for a in argv] or [1, 10, 100]
    print(
        "derive benchmark: wall and CPU time per phase, peak RSS of the derive process after each phase\n"
        "(on a shared machine wall time includes waiting for a core; CPU time does not)"
    )
    for k in scales:
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            r = subprocess.run([sys.executable, __file__, "--simulate", str(k), tmp], capture_output=True, text=True)
            if r.returncode != 0:
                print(f"scale {k}: simulation FAILED\n{r.stderr[-2000:]}")
                continue
            sim = time.perf_counter() - t
            r = subprocess.run([sys.executable, __file__, "--derive", tmp], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"scale {k}: derive FAILED\n{r.stderr[-2000:]}")
            continue
        res = json.loads(r.stdout.strip().splitlines()[-1])
        rows = ", ".join(f"{d} {n:,}" for d, n in res["rows"].items())
        outs = ", ".join(f"{n} {r:,} rows" for n, r in res["out_rows"].items())
        print(f"\nscale {k} (simulated in {sim:.0f} s): SDTM {rows}; {outs}")
        for name, secs, cpu, mb in res["phases"]:
            print(f"  {name:<34} {secs:7.2f} s wall {cpu:7.2f} s CPU   peak RSS so far {mb:8.0f} MB")
            if name == "programs":
                for prog, (w, c) in res["programs"].items():
                    print(f"    {prog:<32} {w:7.2f} s wall {c:7.2f} s CPU")
        cpu = sum(p[2] for p in res["phases"])
        print(
            f"  {'derive total':<34} {res['total']:7.2f} s wall {cpu:7.2f} s CPU   peak RSS {res['maxrss_mb']:8.0f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
