"""Independent QC program for the reference study (double programming).

Written the way a QC programmer writes a second derivation: plain pandas, straight from the
SDTM and the analysis plan (sections 1a and 2), without importing ``adamforge.adam`` (the
production ADaM engine) or its spec model, registries or derivation helpers. Only the SDTM
reader is shared. Study parameters (excluded sites, windows, thresholds) are written out here
as the plan states them; :func:`qc_datasets` can take the excluded sites from the spec.

What it derives
---------------
* ``qc_adsl``: one record per randomized subject with TRT01P/TRT01PN (the first segment of
  DM.ARMCD), ITTFL (randomized), SAFFL (any exposure record), EFFFL (ITT, treated, site not
  excluded), W8IGAFL (a non-missing IGA in the Week 8 window, days 43-71) and NACHFL
  (efficacy-evaluable, Week 8 IGA observed, not IGA-TS).
* ``qc_responders``: every Week 8 responder parameter of plan section 2 (IGATS IGAR1 EASI50
  EASI75 EASI90 NRS2 NRS4 QOLR CPR CPRIGA TSCPR TSCPRIGA), one record per efficacy-evaluable
  subject and parameter, with AVAL (1/0/missing), AVALC (Y/N/blank) and DTYPE ("NRI" when
  evaluable but the Week 8 value is missing).

Code path (deliberately unlike the production engine's): study days are computed here from the
ISO dates and DM.RFXSTDTC (no day 0; --DY is not trusted); the baseline is the last non-missing
value on or before Day 1 found with ``merge_asof``; the Week 8 value is picked by an explicit
window filter and a sort on (distance to target, later first); the itch means are explicit
day-range filters; DLQI/CDLQI totals are a pivot of the ten items.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["EXCLUDED_SITES", "RESPONDER_PARAMS", "study_day", "qc_adsl", "qc_responders", "qc_datasets",
           "qc_response_ard"]

EXCLUDED_SITES = ("114", "139", "226")  # plan section 1a
W8_LO, W8_HI, W8_TARGET = 43, 71, 57  # Week 8 window (study days) and target day
ITCH_BASE_DAYS = (-7, -1)  # baseline itch: the 7 days before Day 1
ITCH_W8_DAYS = (50, 56)  # Week 8 itch: the 7 days before the target day 57
ITCH_MIN_DAYS = 4
RESPONDER_PARAMS = ("IGATS", "IGAR1", "EASI50", "EASI75", "EASI90", "NRS2", "NRS4", "QOLR",
                    "CPR", "CPRIGA", "TSCPR", "TSCPRIGA")
ARMS = {"VEH": (1, "Vehicle"), "RUX075": (2, "RUX 0.75%"), "RUX15": (3, "RUX 1.5%")}
EPS = 1e-9  # itch means are ratios of integers: compare thresholds with a hair of tolerance


def study_day(dtc: pd.Series, first_dose: pd.Series) -> pd.Series:
    """Study day of ISO 8601 dates: date - first dose + 1 on or after Day 1, date - first dose
    before it (no Day 0). Partial or missing dates give NaN.

    >>> study_day(pd.Series(["2020-01-01", "2019-12-31", "2020-01"]), pd.Series(["2020-01-01"] * 3)).tolist()
    [1.0, -1.0, nan]
    """
    d = pd.to_datetime(dtc.where(dtc.astype(str).str.len() >= 10).astype(str).str[:10], errors="coerce", format="%Y-%m-%d")
    r = pd.to_datetime(first_dose.astype(str).str[:10], errors="coerce", format="%Y-%m-%d")
    diff = (d - r).dt.days.astype("float64")
    return pd.Series(np.where(diff >= 0, diff + 1, diff), index=dtc.index)


def _with_day(df: pd.DataFrame, dtc: str, dm: pd.DataFrame) -> pd.DataFrame:
    out = df.merge(dm[["USUBJID", "RFXSTDTC"]], on="USUBJID", how="inner")
    out["DAY"] = study_day(out[dtc], out["RFXSTDTC"]).to_numpy()
    return out[out["DAY"].notna()]


def _baseline(values: pd.DataFrame, subjects: pd.Series) -> pd.Series:
    """Last non-missing value on or before Day 1 (merge_asof backward from Day 1)."""
    v = values.dropna(subset=["VAL"]).sort_values(["DAY", "SEQ"])
    v = v[v["DAY"] <= 1]
    v = v.drop_duplicates("USUBJID", keep="last")  # the last on the latest day
    probe = pd.DataFrame({"USUBJID": subjects.to_numpy(), "DAY": 1.0}).sort_values("DAY")
    got = pd.merge_asof(probe, v[["USUBJID", "DAY", "VAL"]].sort_values("DAY"), on="DAY", by="USUBJID",
                        direction="backward")
    return got.set_index("USUBJID")["VAL"].reindex(subjects.to_numpy())


def _week8(values: pd.DataFrame, subjects: pd.Series) -> pd.Series:
    """Value in the Week 8 window closest to the target day; a tie goes to the later day."""
    v = values.dropna(subset=["VAL"])
    v = v[(v["DAY"] >= W8_LO) & (v["DAY"] <= W8_HI)].copy()
    v["DIST"] = (v["DAY"] - W8_TARGET).abs()
    v = v.sort_values(["USUBJID", "DIST", "DAY", "SEQ"], ascending=[True, True, False, False])
    return v.drop_duplicates("USUBJID", keep="first").set_index("USUBJID")["VAL"].reindex(subjects.to_numpy())


def _rs(sdtm: dict, dm: pd.DataFrame, testcd: str) -> pd.DataFrame:
    rs = sdtm["RS"]
    rs = rs[rs["RSTESTCD"] == testcd]
    rs = _with_day(rs, "RSDTC", dm)
    return pd.DataFrame({"USUBJID": rs["USUBJID"], "DAY": rs["DAY"], "SEQ": rs["RSSEQ"],
                         "VAL": pd.to_numeric(rs["RSSTRESN"], errors="coerce")})


def qc_adsl(sdtm: dict[str, pd.DataFrame], *, excluded_sites=EXCLUDED_SITES) -> pd.DataFrame:
    """QC ADSL: population flags, W8IGAFL and NACHFL, one record per randomized subject.

    Parameters
    ----------
    sdtm : domains by upper-case name (DM, DS, EX, RS needed).
    excluded_sites : SITEIDs whose patients are not efficacy-evaluable.

    Returns
    -------
    DataFrame with USUBJID SITEID AGE TRT01P TRT01PN ITTFL SAFFL EFFFL W8IGAFL NACHFL, sorted by USUBJID.
    """
    dm, ds, ex = sdtm["DM"], sdtm["DS"], sdtm["EX"]
    randomized = set(ds.loc[(ds["DSCAT"] == "PROTOCOL MILESTONE") & (ds["DSDECOD"] == "RANDOMIZED"), "USUBJID"])
    adsl = dm[dm["USUBJID"].isin(randomized)][["USUBJID", "SITEID", "AGE", "ARMCD", "RFXSTDTC"]].copy()
    arm8 = adsl["ARMCD"].astype(str).str.split("-").str[0]
    adsl["TRT01P"] = arm8.map({k: v[1] for k, v in ARMS.items()})
    adsl["TRT01PN"] = arm8.map({k: float(v[0]) for k, v in ARMS.items()})
    adsl["ITTFL"] = "Y"
    treated = set(ex.loc[ex["EXSTDTC"].astype(str).str.len() >= 10, "USUBJID"])
    adsl["SAFFL"] = np.where(adsl["USUBJID"].isin(treated), "Y", "N")
    site = adsl["SITEID"].astype(str).str.strip()
    adsl["EFFFL"] = np.where((adsl["SAFFL"] == "Y") & ~site.isin([str(s) for s in excluded_sites]), "Y", "N")
    iga = _rs(sdtm, dm, "IGA")
    base = _baseline(iga, adsl["USUBJID"]).to_numpy()
    w8 = _week8(iga, adsl["USUBJID"]).to_numpy()
    adsl["W8IGAFL"] = np.where(~np.isnan(w8), "Y", "N")
    ts = (w8 <= 1) & (base - w8 >= 2)
    adsl["NACHFL"] = np.where((adsl["EFFFL"] == "Y") & ~np.isnan(w8) & ~ts, "Y", "N")
    cols = ["USUBJID", "SITEID", "AGE", "TRT01P", "TRT01PN", "ITTFL", "SAFFL", "EFFFL", "W8IGAFL", "NACHFL"]
    return adsl[cols].sort_values("USUBJID").reset_index(drop=True)


def _itch(sdtm: dict, dm: pd.DataFrame, subjects: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    qs = sdtm["QS"]
    qs = qs[(qs["QSCAT"] == "ITCH NRS") & (qs["QSTESTCD"] == "ITCHNRS")]
    qs = _with_day(qs, "QSDTC", dm)
    qs = qs.assign(VAL=pd.to_numeric(qs["QSSTRESN"], errors="coerce")).dropna(subset=["VAL"])
    out = []
    for lo, hi in (ITCH_BASE_DAYS, ITCH_W8_DAYS):
        win = qs[(qs["DAY"] >= lo) & (qs["DAY"] <= hi)]
        g = win.groupby("USUBJID")["VAL"].agg(["sum", "count"])
        mean = (g["sum"] / g["count"]).where(g["count"] >= ITCH_MIN_DAYS)
        out.append(mean.reindex(subjects.to_numpy()).to_numpy(dtype="float64"))
    return out[0], out[1]


def _qol_totals(sdtm: dict, dm: pd.DataFrame, instrument: str) -> pd.DataFrame:
    qs = sdtm["QS"]
    qs = qs[qs["QSCAT"] == instrument]
    qs = _with_day(qs, "QSDTC", dm)
    qs = qs.assign(VAL=pd.to_numeric(qs["QSSTRESN"], errors="coerce"))
    items = [f"{instrument}{i:02d}" for i in range(1, 11)]
    wide = qs.pivot_table(index=["USUBJID", "DAY"], columns="QSTESTCD", values="VAL", aggfunc="first", dropna=False)
    wide = wide.reindex(columns=items)
    n_missing = wide.isna().sum(axis=1)
    total = wide.fillna(0).sum(axis=1).where(n_missing <= 1)
    t = total.rename("VAL").reset_index()
    t["SEQ"] = 0
    return t


def qc_responders(sdtm: dict[str, pd.DataFrame], adsl: pd.DataFrame) -> pd.DataFrame:
    """QC Week 8 responder records for the efficacy-evaluable subjects of ``adsl`` (from :func:`qc_adsl`).

    Returns
    -------
    DataFrame with USUBJID PARAMCD AVISIT AVAL AVALC DTYPE, sorted by USUBJID and PARAMCD order.
    """
    dm = sdtm["DM"]
    eff = adsl[adsl["EFFFL"] == "Y"].reset_index(drop=True)
    subj = eff["USUBJID"]
    res: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # PARAMCD -> (AVAL, evaluable-but-missing)

    def binary(base, w8, eligible, hit):
        aval = np.where(np.isnan(w8), 0.0, hit.astype(float))
        aval = np.where(eligible, aval, np.nan)
        return aval, eligible & np.isnan(w8)

    iga = _rs(sdtm, dm, "IGA")
    b, w = _baseline(iga, subj).to_numpy(), _week8(iga, subj).to_numpy()
    ok = ~np.isnan(b)
    with np.errstate(invalid="ignore"):
        res["IGATS"] = binary(b, w, ok, (w <= 1) & (b - w >= 2))
        res["IGAR1"] = binary(b, w, ok, b - w >= 1)
    easi = _rs(sdtm, dm, "EASI")
    b, w = _baseline(easi, subj).to_numpy(), _week8(easi, subj).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = ~np.isnan(b) & (b > 0)
        pchg = (w - b) / b * 100
        for p, cut in (("EASI50", 50), ("EASI75", 75), ("EASI90", 90)):
            res[p] = binary(b, w, ok, pchg <= -cut + EPS)
    b, w = _itch(sdtm, dm, subj)
    with np.errstate(invalid="ignore"):
        for p, cut in (("NRS2", 2), ("NRS4", 4)):
            res[p] = binary(b, w, ~np.isnan(b) & (b >= cut - EPS), b - w >= cut - EPS)
    # QoL: DLQI for age >= 16, CDLQI for 12-15; response = reduction >= 4 / >= 6
    age = eff["AGE"].to_numpy(dtype="float64")
    aval = np.full(len(eff), np.nan)
    nri = np.zeros(len(eff), dtype=bool)
    for inst, sel, cut in (("DLQI", age >= 16, 4), ("CDLQI", (age >= 12) & (age <= 15), 6)):
        tot = _qol_totals(sdtm, dm, inst)
        b, w = _baseline(tot, subj).to_numpy(), _week8(tot, subj).to_numpy()
        with np.errstate(invalid="ignore"):
            a, n = binary(b, w, sel & ~np.isnan(b), b - w >= cut)
        aval = np.where(sel, a, aval)
        nri = np.where(sel, n, nri)
    res["QOLR"] = (aval, nri)

    def anyof(*codes):
        return np.nanmax(np.vstack([np.nan_to_num(res[c][0], nan=0.0) for c in codes]), axis=0), np.zeros(len(eff), bool)

    res["CPR"] = anyof("EASI50", "NRS2", "QOLR")
    res["CPRIGA"] = anyof("CPR", "IGAR1")
    res["TSCPR"] = anyof("IGATS", "CPR")
    res["TSCPRIGA"] = anyof("IGATS", "CPRIGA")

    frames = []
    for p in RESPONDER_PARAMS:
        a, n = res[p]
        frames.append(pd.DataFrame({
            "USUBJID": subj.to_numpy(), "PARAMCD": p, "AVISIT": "Week 8", "AVAL": a,
            "AVALC": np.where(np.isnan(a), "", np.where(a == 1, "Y", "N")),
            "DTYPE": np.where(n, "NRI", ""),
            "_ORD": RESPONDER_PARAMS.index(p),
        }))
    out = pd.concat(frames, ignore_index=True).sort_values(["USUBJID", "_ORD"]).drop(columns="_ORD")
    return out.reset_index(drop=True)


def qc_datasets(sdtm: dict[str, pd.DataFrame], *, excluded_sites=EXCLUDED_SITES) -> dict[str, pd.DataFrame]:
    """Both QC datasets: ``{"ADSL": qc_adsl(...), "ADEFF": qc_responders(...)}``."""
    adsl = qc_adsl(sdtm, excluded_sites=excluded_sites)
    return {"ADSL": adsl, "ADEFF": qc_responders(sdtm, adsl)}


def qc_response_ard(adsl: pd.DataFrame, responders: pd.DataFrame, tlf: dict) -> pd.DataFrame:
    """QC counts of the response tables: BIGN and, per endpoint and arm, n, N and pct.

    Parameters
    ----------
    adsl, responders : from :func:`qc_adsl` and :func:`qc_responders`.
    tlf : the TLF spec as plain data (``specs/tlf.yaml`` read with ``yaml.safe_load``): its arms,
        populations (equality filters on ADSL) and response outputs with their endpoints
        (``denominator: evaluable`` keeps non-missing AVAL; ``all`` counts missing as 0).

    Returns
    -------
    DataFrame with output_id population group parameter statistic value (pct = 100 n / N, unrounded).
    """
    arm_var = tlf["arms"]["variable"]
    arms = [(float(lv["value"]), lv["label"]) for lv in tlf["arms"]["levels"]]
    pops = {k: v.get("where", {}) for k, v in tlf["populations"].items()}

    def subset(pid):
        sel = np.ones(len(adsl), dtype=bool)
        for var, val in pops[pid].items():
            sel &= (adsl[var] == val).to_numpy()
        return adsl[sel]

    rows = []
    for o in tlf["outputs"]:
        if o.get("kind") != "response":
            continue
        opop = subset(o["population"])
        for val, lab in arms:
            rows.append((o["id"], o["population"], lab, "BIGN", "N", float((opop[arm_var] == val).sum())))
        for e in o["endpoints"]:
            pid = e.get("population", o["population"])
            pop = subset(pid)[["USUBJID", arm_var]]
            rec = responders.loc[responders["PARAMCD"] == e["paramcd"], ["USUBJID", "AVAL"]]
            df = pop.merge(rec, on="USUBJID", how="left")
            if e.get("denominator", "evaluable") == "all":
                df["AVAL"] = df["AVAL"].fillna(0.0)
            else:
                df = df[df["AVAL"].notna()]
            for val, lab in arms:
                y = df.loc[df[arm_var] == val, "AVAL"]
                n, big_n = float(y.sum()), float(len(y))
                rows.append((o["id"], pid, lab, e["paramcd"], "n", n))
                rows.append((o["id"], pid, lab, e["paramcd"], "N", big_n))
                rows.append((o["id"], pid, lab, e["paramcd"], "pct", 100.0 * n / big_n if big_n else np.nan))
    return pd.DataFrame(rows, columns=["output_id", "population", "group", "parameter", "statistic", "value"])
