"""Speed and memory of the ADaM derive step at scale 1, 10 and 100.

For each scale, a first process simulates the SDTM and saves it as Parquet (not timed); a second
process - like ``adamforge derive`` - reads it and runs each phase of the derivation (input checks,
ADSL, observed ADEFF records, responders, finalisation, writing the Parquet outputs), printing
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

    from adamforge.adam import adeff as A
    from adamforge.adam import adsl as S
    from adamforge.adam.finalize import finalize_dataset, write_parquet
    from adamforge.adam.inputs import check_sdtm, slim_sdtm
    from adamforge.adam.spec import load_spec
    from adamforge.adam.step import _week8_records
    from adamforge.context import default_spec_dir

    phases = []
    state: dict = {}

    def phase(name, fn):
        t, c = time.perf_counter(), time.process_time()
        fn()
        phases.append((name, time.perf_counter() - t, time.process_time() - c,
                       resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))

    def read():
        state["sdtm"] = {}
        for p in sorted(folder.glob("*.parquet")):  # one domain at a time, slimmed, as the step does
            state["sdtm"].update(slim_sdtm({p.stem.upper(): pd.read_parquet(p)}))
        state["spec"] = load_spec(default_spec_dir())

    def checks():
        assert check_sdtm(state["sdtm"], state["spec"]) == []

    def adsl_core():
        state["adsl"] = S.create_adsl_core(state["sdtm"], state["spec"])

    def observed():
        state["obs"] = A.create_observed(state["sdtm"], state["adsl"], state["spec"])
        state["adsl"] = S.add_baselines(state["adsl"], state["obs"], state["spec"])
        del state["sdtm"]

    def responders():
        spec = state["spec"]
        adeff = A.create_adeff(state["obs"], state["adsl"], spec)
        state["adsl"] = S.add_subgroup_flags(state["adsl"], _week8_records(state["obs"], adeff), spec)
        state["adeff"] = A.add_nachfl(adeff, state["adsl"])
        del state["obs"]

    def finalize():
        state["ADSL"] = finalize_dataset(state.pop("adsl"), state["spec"], "ADSL")[0]
        state["ADEFF"] = finalize_dataset(state.pop("adeff"), state["spec"], "ADEFF")[0]

    def write():
        for name in ("ADSL", "ADEFF"):
            write_parquet(state[name], folder / f"out_{name.lower()}.parquet", state["spec"].datasets[name])

    t0 = time.perf_counter()
    phase("read SDTM + spec", read)
    rows = {}
    phase("input checks", checks)
    rows = {k: len(state["sdtm"][k]) for k in ("DM", "RS", "QS")}
    phase("ADSL (SDTM part)", adsl_core)
    phase("ADEFF observed + ADSL baselines", observed)
    phase("ADEFF responders + ADSL flags", responders)
    phase("finalise ADSL + ADEFF", finalize)
    phase("write Parquet", write)
    return {"rows": rows, "phases": phases, "total": time.perf_counter() - t0,
            "out_rows": {"ADSL": len(state["ADSL"]), "ADEFF": len(state["ADEFF"])},
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--simulate":
        _simulate(int(argv[1]), Path(argv[2]))
        return 0
    if argv and argv[0] == "--derive":
        print(json.dumps(_derive(Path(argv[1]))))
        return 0
    scales = [int(a) for a in argv] or [1, 10, 100]
    print("derive benchmark: wall and CPU time per phase, peak RSS of the derive process after each phase\n"
          "(on a shared machine wall time includes waiting for a core; CPU time does not)")
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
        print(f"\nscale {k} (simulated in {sim:.0f} s): SDTM {rows}; "
              f"ADSL {res['out_rows']['ADSL']:,} rows, ADEFF {res['out_rows']['ADEFF']:,} rows")
        for name, secs, cpu, mb in res["phases"]:
            print(f"  {name:<34} {secs:7.2f} s wall {cpu:7.2f} s CPU   peak RSS so far {mb:8.0f} MB")
        cpu = sum(p[2] for p in res["phases"])
        print(f"  {'derive total':<34} {res['total']:7.2f} s wall {cpu:7.2f} s CPU   peak RSS {res['maxrss_mb']:8.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
