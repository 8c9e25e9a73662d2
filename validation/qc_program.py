"""Independent QC program (double programming), driven by the QC programmer's own spec.

Written the way a QC programmer writes a second derivation: plain pandas, straight from the
SDTM and the analysis plan, without importing ``adamforge.adam`` (the production ADaM engine) or
its spec model, registries or derivation helpers. Only the SDTM reader is shared. What it
derives, and the study's parameters (randomization record, arms, excluded sites, the visit
window, the scores and the responder definitions), come from the study's QC spec
(``qc.yaml`` of the spec folder, see ``docs/qc.md``), handed in as plain data (:func:`load_qc_spec`).

What it derives
---------------
* :func:`qc_adsl`: one record per randomized subject with TRT01P/TRT01PN (the first segment of
  DM.ARMCD looked up in ``subjects.arms``), ITTFL (randomized), SAFFL (an exposure record with a
  complete start date), EFFFL (treated, site not in ``subjects.excluded_sites``) and the
  ``subjects.flags`` (observed at the visit; not meeting a responder's rule).
* :func:`qc_responders`: the ``responders.list`` parameters at the visit, one record per subject
  of the responders' population and parameter, with AVAL (1/0/missing), AVALC (Y/N/blank) and
  DTYPE ("NRI" when evaluable but the visit value is missing).

Code path (deliberately unlike the production engine's): study days are computed here from the
ISO dates and DM.RFXSTDTC (no day 0; --DY is not trusted); the baseline is the last non-missing
value on or before Day 1 found with ``merge_asof``; the visit value is picked by an explicit
window filter and a sort on (distance to target, later first); daily means are explicit
day-range filters; item totals are a pivot of the items.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["load_qc_spec", "responder_params", "study_day", "qc_adsl", "qc_responders", "qc_datasets",
           "qc_response_ard"]

EPS = 1e-9  # default tolerance of the responder comparisons (QC spec: responders.tolerance)


def load_qc_spec(path: str | Path) -> dict[str, Any]:
    """The QC spec (``qc.yaml``) as plain data; a folder means its ``qc.yaml``."""
    p = Path(path)
    if p.is_dir():
        p = p / "qc.yaml"
    from adamforge.yamlsafe import load_yaml  # bounded, safe: every spec read goes through it

    doc = load_yaml(p)
    if not isinstance(doc, dict):
        raise ValueError(f"QC spec {p}: expected a mapping at the top level")
    return doc


def responder_params(qc: dict) -> tuple[str, ...]:
    """The responder PARAMCDs of the QC spec, in its order."""
    return tuple(str(r["paramcd"]) for r in qc["responders"]["list"])


def _visit(qc: dict) -> tuple[str, float, float, float]:
    v = qc["visit"]
    return str(v["name"]), float(v["lo"]), float(v["hi"]), float(v["target"])


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


def _at_visit(values: pd.DataFrame, subjects: pd.Series, qc: dict) -> pd.Series:
    """Value in the visit window closest to the target day; a tie goes to the later day."""
    _name, lo, hi, target = _visit(qc)
    v = values.dropna(subset=["VAL"])
    v = v[(v["DAY"] >= lo) & (v["DAY"] <= hi)].copy()
    v["DIST"] = (v["DAY"] - target).abs()
    v = v.sort_values(["USUBJID", "DIST", "DAY", "SEQ"], ascending=[True, True, False, False])
    return v.drop_duplicates("USUBJID", keep="first").set_index("USUBJID")["VAL"].reindex(subjects.to_numpy())


def _result(sdtm: dict, dm: pd.DataFrame, sc: dict) -> pd.DataFrame:
    """One value per assessment: the domain's --STRESN of test ``testcd``."""
    dom = str(sc["domain"]).upper()
    pre = dom[:2]
    df = sdtm[dom]
    df = df[df[f"{pre}TESTCD"] == sc["testcd"]]
    if sc.get("category"):
        df = df[df[f"{pre}CAT"] == sc["category"]]
    df = _with_day(df, f"{pre}DTC", dm)
    return pd.DataFrame({"USUBJID": df["USUBJID"], "DAY": df["DAY"], "SEQ": df[f"{pre}SEQ"],
                         "VAL": pd.to_numeric(df[f"{pre}STRESN"], errors="coerce")})


def _daily_mean(sdtm: dict, dm: pd.DataFrame, sc: dict, subjects: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(baseline, visit) means of the daily values over the spec's day ranges."""
    dom = str(sc["domain"]).upper()
    pre = dom[:2]
    df = sdtm[dom]
    df = df[(df[f"{pre}CAT"] == sc["category"]) & (df[f"{pre}TESTCD"] == sc["testcd"])]
    df = _with_day(df, f"{pre}DTC", dm)
    df = df.assign(VAL=pd.to_numeric(df[f"{pre}STRESN"], errors="coerce")).dropna(subset=["VAL"])
    out = []
    for lo, hi in (sc["baseline_days"], sc["visit_days"]):
        win = df[(df["DAY"] >= lo) & (df["DAY"] <= hi)]
        g = win.groupby("USUBJID")["VAL"].agg(["sum", "count"])
        mean = (g["sum"] / g["count"]).where(g["count"] >= int(sc["min_days"]))
        out.append(mean.reindex(subjects.to_numpy()).to_numpy(dtype="float64"))
    return out[0], out[1]


def _item_total(sdtm: dict, dm: pd.DataFrame, sc: dict) -> pd.DataFrame:
    """Total of the instrument's items per subject and day (``max_missing`` missing items scored 0)."""
    dom = str(sc["domain"]).upper()
    pre = dom[:2]
    df = sdtm[dom]
    df = df[df[f"{pre}CAT"] == sc["category"]]
    df = _with_day(df, f"{pre}DTC", dm)
    df = df.assign(VAL=pd.to_numeric(df[f"{pre}STRESN"], errors="coerce"))
    items = [f"{sc['item_prefix']}{i:02d}" for i in range(1, int(sc["items"]) + 1)]
    wide = df.pivot_table(index=["USUBJID", "DAY"], columns=f"{pre}TESTCD", values="VAL", aggfunc="first", dropna=False)
    wide = wide.reindex(columns=items)
    n_missing = wide.isna().sum(axis=1)
    total = wide.fillna(0).sum(axis=1).where(n_missing <= int(sc.get("max_missing", 0)))
    t = total.rename("VAL").reset_index()
    t["SEQ"] = 0
    return t


def _score(sdtm: dict, dm: pd.DataFrame, qc: dict, name: str, subjects: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(baseline, visit value) of score ``name`` of the QC spec for ``subjects``."""
    sc = qc["scores"][name]
    kind = sc.get("kind", "result")
    if kind == "daily_mean":
        return _daily_mean(sdtm, dm, sc, subjects)
    if kind == "item_total":
        vals = _item_total(sdtm, dm, sc)
    elif kind == "result":
        vals = _result(sdtm, dm, sc)
    else:
        raise ValueError(f"QC spec: score {name}: kind {kind!r} is not result, daily_mean or item_total")
    return _baseline(vals, subjects).to_numpy(), _at_visit(vals, subjects, qc).to_numpy()


def _meets(rule: dict, b: np.ndarray, w: np.ndarray, eps: float) -> np.ndarray:
    """Where (baseline, visit) meet every condition of ``rule`` (a missing value meets none)."""
    hit = np.ones(len(b), dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        if "visit_at_most" in rule:
            hit &= w <= float(rule["visit_at_most"]) + eps
        if "drop_at_least" in rule:
            hit &= b - w >= float(rule["drop_at_least"]) - eps
        if "pct_drop_at_least" in rule:
            hit &= (b - w) / b * 100 >= float(rule["pct_drop_at_least"]) - eps
    return hit


def _eligible(rule: dict, b: np.ndarray, eps: float) -> np.ndarray:
    ok = ~np.isnan(b)
    el = rule.get("eligible") or {}
    with np.errstate(invalid="ignore"):
        if "baseline_above" in el:
            ok &= b > float(el["baseline_above"])
        if "baseline_at_least" in el:
            ok &= b >= float(el["baseline_at_least"]) - eps
    return ok


def _responder_rule(qc: dict, paramcd: str) -> dict:
    for r in qc["responders"]["list"]:
        if r["paramcd"] == paramcd:
            return r
    raise KeyError(f"QC spec: responder {paramcd!r} is not in responders.list")


def qc_adsl(sdtm: dict[str, pd.DataFrame], qc: dict) -> pd.DataFrame:
    """QC subject-level dataset: population flags, arms and the QC spec's flags, one record per
    randomized subject.

    Parameters
    ----------
    sdtm : domains by upper-case name (DM, the randomization domain, EX and the scores' domains).
    qc : the QC spec (:func:`load_qc_spec`); its ``subjects`` and ``visit``.

    Returns
    -------
    DataFrame with USUBJID, the kept DM variables, TRT01P TRT01PN ITTFL SAFFL EFFFL and the flags,
    sorted by USUBJID.
    """
    sj = qc["subjects"]
    dm, ex = sdtm["DM"], sdtm["EX"]
    rnd = sj["randomized"]
    ds = sdtm[str(rnd["domain"]).upper()]
    sel = np.ones(len(ds), dtype=bool)
    for var, val in (rnd.get("where") or {}).items():
        sel &= (ds[var] == val).to_numpy()
    randomized = set(ds.loc[sel, "USUBJID"])
    keep = [str(v) for v in sj.get("keep") or []]
    adsl = dm[dm["USUBJID"].isin(randomized)][list(dict.fromkeys(["USUBJID", *keep, "ARMCD", "RFXSTDTC", "SITEID"]))].copy()
    arm8 = adsl["ARMCD"].astype(str).str.split(str(sj.get("arm_separator", "-"))).str[0]
    arms = sj["arms"]
    adsl["TRT01P"] = arm8.map({k: str(v[1]) for k, v in arms.items()})
    adsl["TRT01PN"] = arm8.map({k: float(v[0]) for k, v in arms.items()})
    adsl["ITTFL"] = "Y"
    treated = set(ex.loc[ex["EXSTDTC"].astype(str).str.len() >= 10, "USUBJID"])
    adsl["SAFFL"] = np.where(adsl["USUBJID"].isin(treated), "Y", "N")
    site = adsl["SITEID"].astype(str).str.strip()
    excluded = [str(s) for s in sj.get("excluded_sites") or []]
    adsl["EFFFL"] = np.where((adsl["SAFFL"] == "Y") & ~site.isin(excluded), "Y", "N")
    eps = float(qc.get("responders", {}).get("tolerance", EPS))
    flags = sj.get("flags") or {}
    for flag, fd in flags.items():
        b, w = _score(sdtm, dm, qc, fd["observed"], adsl["USUBJID"])
        on = ~np.isnan(w)
        for var, val in (fd.get("where") or {}).items():
            on &= (adsl[var] == val).to_numpy()
        if fd.get("not_responder"):
            on &= ~_meets(_responder_rule(qc, fd["not_responder"]), b, w, eps)
        adsl[flag] = np.where(on, "Y", "N")
    cols = list(dict.fromkeys(["USUBJID", *keep, "TRT01P", "TRT01PN", "ITTFL", "SAFFL", "EFFFL", *flags]))
    return adsl[cols].sort_values("USUBJID").reset_index(drop=True)


def qc_responders(sdtm: dict[str, pd.DataFrame], adsl: pd.DataFrame, qc: dict) -> pd.DataFrame:
    """QC responder records at the visit for the subjects of ``adsl`` (from :func:`qc_adsl`) in
    the responders' population.

    Returns
    -------
    DataFrame with USUBJID PARAMCD AVISIT AVAL AVALC DTYPE, sorted by USUBJID and the QC spec's order.
    """
    dm = sdtm["DM"]
    rsp = qc["responders"]
    eps = float(rsp.get("tolerance", EPS))
    eff = adsl[adsl[rsp["population"]] == "Y"].reset_index(drop=True)
    subj = eff["USUBJID"]
    res: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # PARAMCD -> (AVAL, evaluable-but-missing)
    cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def score(name):
        if name not in cache:
            cache[name] = _score(sdtm, dm, qc, name, subj)
        return cache[name]

    def binary(rule, eligible_too=None):
        b, w = score(rule["score"])
        eligible = _eligible(rule, b, eps)
        if eligible_too is not None:
            eligible &= eligible_too
        hit = _meets(rule, b, w, eps)
        aval = np.where(np.isnan(w), 0.0, hit.astype(float))
        aval = np.where(eligible, aval, np.nan)
        return aval, eligible & np.isnan(w)

    age = eff["AGE"].to_numpy(dtype="float64") if "AGE" in eff.columns else np.full(len(eff), np.nan)
    for r in rsp["list"]:
        pc = str(r["paramcd"])
        if r.get("any_of"):
            res[pc] = (np.nanmax(np.vstack([np.nan_to_num(res[c][0], nan=0.0) for c in r["any_of"]]), axis=0),
                       np.zeros(len(eff), dtype=bool))
        elif r.get("by_age"):
            aval = np.full(len(eff), np.nan)
            nri = np.zeros(len(eff), dtype=bool)
            for case in r["by_age"]:
                lo, hi = case["ages"]
                sel = np.ones(len(eff), dtype=bool)
                if lo is not None:
                    sel &= age >= float(lo)
                if hi is not None:
                    sel &= age <= float(hi)
                a, n = binary(case, sel)
                aval = np.where(sel, a, aval)
                nri = np.where(sel, n, nri)
            res[pc] = (aval, nri)
        else:
            res[pc] = binary(r)

    visit = _visit(qc)[0]
    order = responder_params(qc)
    frames = []
    for i, p in enumerate(order):
        a, n = res[p]
        frames.append(pd.DataFrame({
            "USUBJID": subj.to_numpy(), "PARAMCD": p, "AVISIT": visit, "AVAL": a,
            "AVALC": np.where(np.isnan(a), "", np.where(a == 1, "Y", "N")),
            "DTYPE": np.where(n, "NRI", ""),
            "_ORD": i,
        }))
    out = pd.concat(frames, ignore_index=True).sort_values(["USUBJID", "_ORD"]).drop(columns="_ORD")
    return out.reset_index(drop=True)


def qc_datasets(sdtm: dict[str, pd.DataFrame], qc: dict) -> dict[str, pd.DataFrame]:
    """Both QC datasets by the names the QC spec gives them (``subjects.dataset``, ``responders.dataset``)."""
    adsl = qc_adsl(sdtm, qc)
    return {str(qc["subjects"]["dataset"]): adsl, str(qc["responders"]["dataset"]): qc_responders(sdtm, adsl, qc)}


def qc_response_ard(adsl: pd.DataFrame, responders: pd.DataFrame, tlf: dict) -> pd.DataFrame:
    """QC counts of the response tables: BIGN and, per endpoint and arm, n, N and pct.

    Parameters
    ----------
    adsl, responders : from :func:`qc_adsl` and :func:`qc_responders`.
    tlf : the TLF spec as plain data (``tlf.yaml`` read with ``yaml.safe_load``): its arms,
        populations (equality filters on the subject-level dataset) and response outputs with their endpoints
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
