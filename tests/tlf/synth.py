"""Random ADSL/ADEFF of the contract's shape, for smoke tests and the benchmark (not for exact values)."""

from __future__ import annotations

import numpy as np
import pandas as pd

PARAMS = ["IGATS", "IGAR1", "EASI50", "EASI75", "EASI90", "NRS2", "NRS4", "QOLR", "CPR", "CPRIGA", "TSCPR", "TSCPRIGA"]
ARMS = {1: "Vehicle", 2: "RUX 0.75%", 3: "RUX 1.5%"}


def random_adam(n_per_arm=(250, 500, 499), seed=1):
    rng = np.random.default_rng(seed)
    rows = []
    i = 0
    for arm, n in zip((1, 2, 3), n_per_arm):
        for _ in range(n):
            i += 1
            study = "INCB18424-303" if rng.random() < 0.5 else "INCB18424-304"
            rows.append(
                {
                    "STUDYID": study,
                    "USUBJID": f"{study}-{100 + i % 50:03d}-{i:04d}",
                    "TRT01PN": arm,
                    "TRT01P": ARMS[arm],
                    "AGE": int(rng.integers(12, 86)),
                    "SEX": "F" if rng.random() < 0.6 else "M",
                    "RACEGR1": rng.choice(["White", "Black", "Asian", "Other"], p=[0.68, 0.24, 0.04, 0.04]),
                    "REGION1": "North America" if rng.random() < 0.7 else "Europe",
                    "BLBSA": float(np.round(rng.uniform(3, 20), 1)),
                    "BLEASI": float(np.round(rng.uniform(1, 20), 1)),
                    "BLIGA": int(rng.choice([2, 3], p=[0.26, 0.74])),
                    "BLITCH": float(np.round(rng.uniform(0, 10), 2)),
                    "DISDURY": float(np.round(rng.uniform(0.1, 70), 2)),
                    "FACEFL": "Y" if rng.random() < 0.4 else "N",
                    "NFLARE": int(rng.poisson(5)),
                    "EFFFL": "Y" if rng.random() < 0.97 else "N",
                }
            )
    adsl = pd.DataFrame(rows)
    p_ts = adsl["TRT01PN"].map({1: 0.12, 2: 0.45, 3: 0.52})
    adsl["W8IGAFL"] = np.where(rng.random(len(adsl)) < 0.88, "Y", "N")
    ts = rng.random(len(adsl)) < p_ts
    adsl["NACHFL"] = np.where((adsl["EFFFL"] == "Y") & (adsl["W8IGAFL"] == "Y") & ~ts, "Y", "N")
    recs = []
    eff = adsl[adsl["EFFFL"] == "Y"]
    for r, t in zip(eff.itertuples(), ts[adsl["EFFFL"] == "Y"]):
        base = {
            "STUDYID": r.STUDYID,
            "USUBJID": r.USUBJID,
            "TRT01PN": r.TRT01PN,
            "NACHFL": r.NACHFL,
            "AVISIT": "Week 8",
            "AVISITN": 8,
        }
        p = {1: 0.5, 2: 0.8, 3: 0.82}[r.TRT01PN]
        vals = {}
        for pc in PARAMS:
            vals[pc] = float(rng.random() < p)
        vals["IGATS"] = float(t) if r.W8IGAFL == "Y" else 0.0
        if r.BLITCH < 2:
            vals["NRS2"] = np.nan
        if r.BLITCH < 4:
            vals["NRS4"] = np.nan
        vals["CPR"] = float(any(vals[k] == 1 for k in ("EASI50", "NRS2", "QOLR")))
        vals["CPRIGA"] = float(vals["CPR"] == 1 or vals["IGAR1"] == 1)
        vals["TSCPR"] = float(vals["IGATS"] == 1 or vals["CPR"] == 1)
        vals["TSCPRIGA"] = float(vals["IGATS"] == 1 or vals["CPRIGA"] == 1)
        for pc, v in vals.items():
            recs.append(
                {
                    **base,
                    "PARAMCD": pc,
                    "AVAL": v,
                    "AVALC": "" if np.isnan(v) else ("Y" if v else "N"),
                    "DTYPE": "NRI" if (pc == "IGATS" and r.W8IGAFL == "N") else "",
                }
            )
        recs.append(
            {
                **base,
                "PARAMCD": "IGA",
                "AVAL": float(r.BLIGA - (1 if not t else 2)),
                "AVALC": "",
                "DTYPE": "",
                "ANL01FL": "Y",
            }
        )
    adeff = pd.DataFrame(recs)
    return adsl, adeff
