"""Speed and memory of the ADaM derive step at scale 1, 10 and 100.

For each scale (run in its own process so peak RSS is per scale): simulate the SDTM (not timed),
then time each phase of ``derive_adam`` - input checks, ADSL, observed ADEFF records, responders,
finalisation - and print the process's peak RSS (resource.getrusage) after each phase. The
simulated SDTM itself sits in memory, so the RSS includes it.
Target (issue 3): scale 100 (about 125,000 subjects, several million diary rows) under 60 s
and 6 GB.

    .venv/bin/python benchmarks/bench_derive.py            # scales 1 10 100
    .venv/bin/python benchmarks/bench_derive.py 1 10       # chosen scales
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def _one(scale: int) -> dict:
    import pandas as pd

    from adamforge.adam import adeff as A
    from adamforge.adam import adsl as S
    from adamforge.adam.finalize import finalize_dataset
    from adamforge.adam.inputs import check_sdtm
    from adamforge.adam.spec import load_spec
    from adamforge.context import default_spec_dir
    from adamforge.sdtm_sample.simulate import simulate_study

    sdtm = simulate_study(scale=scale)
    spec = load_spec(default_spec_dir())
    rows = {k: len(v) for k, v in sdtm.items() if k in ("DM", "RS", "QS")}
    phases = []
    state: dict = {}

    def phase(name, fn):
        t = time.perf_counter()
        fn()
        secs = time.perf_counter() - t
        phases.append((name, secs, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))

    def adsl_core():
        state["adsl"] = S.create_adsl_core(sdtm, spec)

    def observed():
        state["obs"] = A.create_observed(sdtm, state["adsl"], spec)
        state["adsl"] = S.add_baselines(state["adsl"], state["obs"], spec)

    def responders():
        adeff = A.create_adeff(state["obs"], state["adsl"], spec)
        resp = adeff[adeff["PARCAT1"] == "RESPONDER"]
        state["adsl"] = S.add_subgroup_flags(state["adsl"], pd.concat([state["obs"], resp], ignore_index=True), spec)
        state["adeff"] = A.add_nachfl(adeff, state["adsl"])

    def finalize():
        state["ADSL"] = finalize_dataset(state["adsl"], spec, "ADSL")[0]
        state["ADEFF"] = finalize_dataset(state["adeff"], spec, "ADEFF")[0]

    t0 = time.perf_counter()
    phase("input checks", lambda: state.setdefault("p", check_sdtm(sdtm, spec)))
    phase("ADSL (SDTM part)", adsl_core)
    phase("ADEFF observed + ADSL baselines", observed)
    phase("ADEFF responders + ADSL flags", responders)
    phase("finalise ADSL + ADEFF", finalize)
    total = time.perf_counter() - t0
    return {"scale": scale, "rows": rows, "phases": phases, "total": total,
            "out_rows": {"ADSL": len(state["ADSL"]), "ADEFF": len(state["ADEFF"])},
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--child":
        print(json.dumps(_one(int(argv[1]))))
        return 0
    scales = [int(a) for a in argv] or [1, 10, 100]
    print("derive benchmark (timings exclude simulation; memory: process peak RSS after each phase, SDTM included)")
    for k in scales:
        r = subprocess.run([sys.executable, __file__, "--child", str(k)], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"scale {k}: FAILED\n{r.stderr[-2000:]}")
            continue
        res = json.loads(r.stdout.strip().splitlines()[-1])
        rows = ", ".join(f"{d} {n:,}" for d, n in res["rows"].items())
        print(f"\nscale {k}: SDTM {rows}; ADSL {res['out_rows']['ADSL']:,} rows, ADEFF {res['out_rows']['ADEFF']:,} rows")
        for name, secs, mb in res["phases"]:
            print(f"  {name:<34} {secs:7.2f} s   peak RSS so far {mb:8.0f} MB")
        print(f"  {'derive total':<34} {res['total']:7.2f} s   process peak RSS {res['maxrss_mb']:8.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
