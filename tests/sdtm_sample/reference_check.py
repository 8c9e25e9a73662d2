"""A deliberately small, independent derivation of the plan's section 4 straight from SDTM.

Used only by the simulator's tests, to pin the calibration from the SDTM side without importing
``adamforge.adam``: if the simulator drifts, these tests fail even if the ADaM engine follows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EXCLUDED_SITES = {"114", "139", "226"}
WINDOWS = {"W8": (43, 71, 57)}


def _day(dtc: pd.Series, ref: pd.Series) -> pd.Series:
    d = (pd.to_datetime(dtc) - pd.to_datetime(ref)).dt.days
    return d.where(d < 0, d + 1)


def subject_table(sdtm: dict[str, pd.DataFrame]) -> pd.DataFrame:
    dm = sdtm["DM"].set_index("USUBJID")
    s = pd.DataFrame(index=dm.index)
    s["ARM"] = dm["ARMCD"].str.split("-").str[0]
    s["STUDY"] = dm["STUDYID"]
    s["EFF"] = ~dm["SITEID"].isin(EXCLUDED_SITES)
    s["AGE"] = dm["AGE"]
    s["SEX"] = dm["SEX"]
    s["RACE"] = (
        dm["RACE"].map({"WHITE": "White", "BLACK OR AFRICAN AMERICAN": "Black", "ASIAN": "Asian"}).fillna("Other")
    )
    s["REGION"] = np.where(dm["COUNTRY"].isin(["USA", "CAN"]), "North America", "Europe")
    ref = dm["RFXSTDTC"]

    rs = sdtm["RS"].dropna(subset=["RSSTRESN"]).copy()
    rs["DY"] = _day(rs["RSDTC"], rs["USUBJID"].map(ref))
    for test in ("IGA", "EASI", "BSA"):
        r = rs[rs["RSTESTCD"] == test]
        bl = r[r["DY"] <= 1].sort_values(["USUBJID", "DY", "VISITNUM"]).groupby("USUBJID").last()
        s[f"B{test}"] = bl["RSSTRESN"]
        lo, hi, tgt = WINDOWS["W8"]
        w = r[(r["DY"] >= lo) & (r["DY"] <= hi)].copy()
        w["DIST"] = (w["DY"] - tgt).abs()
        w = w.sort_values(["USUBJID", "DIST", "DY"], ascending=[True, True, False]).groupby("USUBJID").first()
        s[f"W{test}"] = w["RSSTRESN"]

    qs = sdtm["QS"]
    it = qs[(qs["QSTESTCD"] == "ITCHNRS") & qs["QSSTRESN"].notna()].copy()
    it["DY"] = _day(it["QSDTC"], it["USUBJID"].map(ref))
    for name, (a, b) in {"BITCH": (-7, -1), "WITCH": (50, 56)}.items():
        w = it[(it["DY"] >= a) & (it["DY"] <= b)].groupby("USUBJID")["QSSTRESN"].agg(["mean", "count"])
        s[name] = w["mean"].where(w["count"] >= 4)

    q = qs[qs["QSCAT"].isin(["DLQI", "CDLQI"])].copy()
    q["DY"] = _day(q["QSDTC"], q["USUBJID"].map(ref))
    for name, cond in {"BQOL": q["DY"] <= 1, "WQOL": (q["DY"] >= 43) & (q["DY"] <= 71)}.items():
        g = q[cond].groupby("USUBJID")
        tot = g["QSSTRESN"].sum(min_count=0)
        nmiss = g["QSSTRESN"].apply(lambda x: x.isna().sum())
        s[name] = tot.where(nmiss <= 1)
    s["QOLTHR"] = np.where(s["AGE"] >= 16, 4, 6)

    mh = sdtm["MH"][sdtm["MH"]["MHCAT"] == "PRIMARY DIAGNOSIS"].set_index("USUBJID")["MHSTDTC"]
    onset = mh.where(
        mh.str.len() == 10, mh.where(mh.str.len() != 7, mh + "-01").where(mh.str.len() != 4, mh + "-01-01")
    )
    s["DUR"] = (pd.to_datetime(ref) - pd.to_datetime(onset.reindex(s.index))).dt.days / 365.25
    sc = sdtm["SC"].set_index(["USUBJID", "SCTESTCD"])
    s["FACE"] = sc.xs("FACEINV", level=1)["SCSTRESC"]
    s["FLARE"] = sc.xs("NFLARE12", level=1)["SCSTRESN"]

    # Week 8 responders
    obs = s["WIGA"].notna()
    ts = obs & (s["WIGA"] <= 1) & (s["BIGA"] - s["WIGA"] >= 2)
    s["OBS"], s["TS"] = obs, ts
    s["NA"] = s["EFF"] & obs & ~ts
    s["IGAR1"] = obs & (s["BIGA"] - s["WIGA"] >= 1)
    s["EASI50"] = ((s["WEASI"] - s["BEASI"]) / s["BEASI"] * 100 <= -50).fillna(False)
    s["NRS2_EVAL"] = s["BITCH"] >= 2
    s["NRS2"] = s["NRS2_EVAL"] & ((s["WITCH"] - s["BITCH"]) <= -2).fillna(False)
    s["QOL_EVAL"] = s["BQOL"].notna()
    s["QOLR"] = s["QOL_EVAL"] & ((s["BQOL"] - s["WQOL"]) >= s["QOLTHR"]).fillna(False)
    s["CPR"] = s["EASI50"] | s["NRS2"] | s["QOLR"]
    s["CPRIGA"] = s["CPR"] | s["IGAR1"]
    return s


def section4(s: pd.DataFrame) -> dict[str, dict[str, int]]:
    e = s[s["EFF"]]
    na = e[e["NA"]]
    out: dict[str, dict[str, int]] = {}

    def per_arm(frame, col=None):
        g = frame if col is None else frame[frame[col]]
        return {a: int((g["ARM"] == a).sum()) for a in ("VEH", "RUX075", "RUX15")}

    out["EVALUABLE"] = per_arm(e)
    out["IGA_TS"] = per_arm(e, "TS")
    out["W8_IGA_OBSERVED"] = per_arm(e, "OBS")
    out["NON_ACHIEVERS"] = per_arm(na)
    out["CPR"] = per_arm(na, "CPR")
    out["CPRIGA"] = per_arm(na, "CPRIGA")
    out["IGA_R1_OBSERVED"] = per_arm(e, "IGAR1")
    out["TS_OR_CPR"] = per_arm(e[e["OBS"] & (e["TS"] | e["CPR"])])
    out["TS_OR_CPRIGA"] = per_arm(e[e["OBS"] & (e["TS"] | e["CPRIGA"])])
    return out


def rhu(x: float, d: int = 1) -> float:
    q = 10**d
    return float(np.floor(abs(x) * q + 0.5 + 1e-9) / q) * (1 if x >= 0 else -1)


def table1(s: pd.DataFrame) -> dict[str, dict[str, object]]:
    e = s[s["EFF"]]
    groups = {a: e[e["NA"] & (e["ARM"] == a)] for a in ("VEH", "RUX075", "RUX15")}
    groups["NA"] = e[e["NA"]]
    groups["ALL"] = e
    out = {}
    for g, f in groups.items():
        out[g] = {
            "N": len(f),
            "age": (rhu(f["AGE"].median()), f["AGE"].min(), f["AGE"].max()),
            "female": int((f["SEX"] == "F").sum()),
            **{r: int((f["RACE"] == r).sum()) for r in ("White", "Black", "Asian", "Other")},
            "North America": int((f["REGION"] == "North America").sum()),
            "Europe": int((f["REGION"] == "Europe").sum()),
            "bsa": (rhu(f["BBSA"].mean()), rhu(f["BBSA"].std())),
            "easi": (rhu(f["BEASI"].mean()), rhu(f["BEASI"].std())),
            "IGA2": int((f["BIGA"] == 2).sum()),
            "IGA3": int((f["BIGA"] == 3).sum()),
            "itch": (rhu(f["BITCH"].mean()), rhu(f["BITCH"].std())),
            "itch>=2": int((f["BITCH"] >= 2).sum()),
            "itch>=4": int((f["BITCH"] >= 4).sum()),
            "duration": (rhu(f["DUR"].median()), rhu(f["DUR"].min()), rhu(f["DUR"].max())),
            "facial": int((f["FACE"] == "Y").sum()),
            "flares": (rhu(f["FLARE"].mean()), rhu(f["FLARE"].std())),
        }
    return out
