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

import math as _math
import statistics as _statistics
from fractions import Fraction as _Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "load_qc_spec",
    "qc_reads",
    "responder_params",
    "study_day",
    "qc_adsl",
    "qc_responders",
    "qc_datasets",
    "qc_response_ard",
    "qc_baseline",
    "qc_results_ard",
    "qc_logistic",
    "qc_design",
    "qc_cmh",
    "qc_fisher",
]

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


def qc_reads(qc: dict) -> dict[str, set[str] | None]:
    """The SDTM domains the QC program reads and, per domain, the variables it reads (None: all).

    From the QC spec: DM (all: the kept and baseline variables), the randomization domain, EX,
    each score's domain (USUBJID, --TESTCD, --CAT, --DTC, --SEQ, --STRESN) and the domains of
    the results' baseline variables. A reader may keep only these (the diary domain of a big
    study is read as 6 of its variables).

    >>> sorted(qc_reads({"subjects": {"randomized": {"domain": "ds", "where": {"DSDECOD": "R"}}}})["DS"])
    ['DSDECOD', 'USUBJID']
    """
    out: dict[str, set[str] | None] = {"DM": None}

    def add(dom: str, *names: str) -> None:
        dom = dom.upper()
        if dom == "DM" or out.get(dom, set()) is None:
            return
        out.setdefault(dom, set()).update({"USUBJID", *names})  # type: ignore[union-attr]

    rnd = (qc.get("subjects") or {}).get("randomized") or {}
    if rnd.get("domain"):
        add(str(rnd["domain"]), *map(str, rnd.get("where") or {}))
    add("EX", "EXSTDTC")
    for sc in (qc.get("scores") or {}).values():
        pre = str(sc["domain"]).upper()[:2]
        add(str(sc["domain"]), f"{pre}TESTCD", f"{pre}CAT", f"{pre}DTC", f"{pre}SEQ", f"{pre}STRESN")
    for d in ((qc.get("results") or {}).get("baseline") or {}).values():
        if "years_since" in d:
            ys = d["years_since"]
            add(str(ys["domain"]), *map(str, ys.get("where") or {}), str(ys["dtc"]))
        elif "finding" in d:
            f = d["finding"]
            add(str(f["domain"]), f"{str(f['domain']).upper()[:2]}TESTCD", str(f["value"]))
    return out


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
    d = pd.to_datetime(
        dtc.where(dtc.astype(str).str.len() >= 10).astype(str).str[:10], errors="coerce", format="%Y-%m-%d"
    )
    r = pd.to_datetime(first_dose.astype(str).str[:10], errors="coerce", format="%Y-%m-%d")
    diff = (d - r).dt.days.astype("float64")
    return pd.Series(np.where(diff >= 0, diff + 1, diff), index=dtc.index)


def _dates(dtc: pd.Series, *, complete: bool) -> pd.Series:
    """``YYYY-MM-DD`` prefixes as dates (NaT when not a date; ``complete``: shorter values too),
    parsed once per distinct value: a diary of millions of records has a few thousand dates."""
    codes, uniq = pd.factorize(dtc, use_na_sentinel=True)
    u = pd.Series(uniq)
    if complete:
        u = u.where(u.astype(str).str.len() >= 10)
    parsed = pd.to_datetime(u.astype(str).str[:10], errors="coerce", format="%Y-%m-%d")
    nat = pd.Series([pd.NaT], dtype=parsed.dtype)
    table = pd.concat([parsed, nat], ignore_index=True)  # code -1 (missing) reads the NaT at the end
    return pd.Series(table.to_numpy()[codes], index=dtc.index)


def _with_day(df: pd.DataFrame, dtc: str, dm: pd.DataFrame) -> pd.DataFrame:
    """The records of subjects in DM with their study day ``DAY`` (records without one left out).

    DM holds one record per subject: each record's first dose is DM.RFXSTDTC looked up by
    USUBJID (integer codes; the dates parsed once per distinct value). With repeated DM subjects
    the records are merged with DM, as an inner join repeats them.
    """
    ids = dm["USUBJID"]
    if not ids.is_unique:
        out = df.merge(dm[["USUBJID", "RFXSTDTC"]], on="USUBJID", how="inner")
        out["DAY"] = study_day(out[dtc], out["RFXSTDTC"]).to_numpy()
        return out[out["DAY"].notna()]
    m = len(ids)
    codes, uniq = pd.factorize(
        pd.concat([ids.reset_index(drop=True), df["USUBJID"].reset_index(drop=True)], ignore_index=True),
        use_na_sentinel=False,  # a missing USUBJID matches a missing one, as in a merge
    )
    where = np.full(len(uniq), -1, dtype=np.int64)
    where[codes[:m]] = np.arange(m)
    pos = where[codes[m:]]
    keep = pos >= 0
    out = df[keep].copy()
    first = _dates(dm["RFXSTDTC"], complete=False).to_numpy()[pos[keep]]
    d = _dates(out[dtc], complete=True).to_numpy()
    diff = pd.Series(d - first).dt.days.astype("float64").to_numpy()
    out["DAY"] = np.where(diff >= 0, diff + 1, diff)
    return out[out["DAY"].notna()]


def _baseline(values: pd.DataFrame, subjects: pd.Series) -> pd.Series:
    """Last non-missing value on or before Day 1 (merge_asof backward from Day 1)."""
    v = values.dropna(subset=["VAL"]).sort_values(["DAY", "SEQ"])
    v = v[v["DAY"] <= 1]
    v = v.drop_duplicates("USUBJID", keep="last")  # the last on the latest day
    probe = pd.DataFrame({"USUBJID": subjects.to_numpy(), "DAY": 1.0}).sort_values("DAY")
    got = pd.merge_asof(
        probe, v[["USUBJID", "DAY", "VAL"]].sort_values("DAY"), on="DAY", by="USUBJID", direction="backward"
    )
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
    sel = df[f"{pre}TESTCD"] == sc["testcd"]
    if sc.get("category"):
        sel &= df[f"{pre}CAT"] == sc["category"]
    # the test's records, and only the variables used: never a copy of the whole domain
    df = df.loc[sel, ["USUBJID", f"{pre}DTC", f"{pre}SEQ", f"{pre}STRESN"]]
    df = _with_day(df, f"{pre}DTC", dm)
    return pd.DataFrame(
        {
            "USUBJID": df["USUBJID"],
            "DAY": df["DAY"],
            "SEQ": df[f"{pre}SEQ"],
            "VAL": pd.to_numeric(df[f"{pre}STRESN"], errors="coerce"),
        }
    )


def _daily_mean(sdtm: dict, dm: pd.DataFrame, sc: dict, subjects: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(baseline, visit) means of the daily values over the spec's day ranges."""
    dom = str(sc["domain"]).upper()
    pre = dom[:2]
    df = sdtm[dom]
    df = df.loc[
        (df[f"{pre}CAT"] == sc["category"]) & (df[f"{pre}TESTCD"] == sc["testcd"]),
        ["USUBJID", f"{pre}DTC", f"{pre}STRESN"],
    ]
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
    df = df.loc[df[f"{pre}CAT"] == sc["category"], ["USUBJID", f"{pre}TESTCD", f"{pre}DTC", f"{pre}STRESN"]]
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
    adsl = dm[dm["USUBJID"].isin(randomized)][
        list(dict.fromkeys(["USUBJID", *keep, "ARMCD", "RFXSTDTC", "SITEID"]))
    ].copy()
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
            res[pc] = (
                np.nanmax(np.vstack([np.nan_to_num(res[c][0], nan=0.0) for c in r["any_of"]]), axis=0),
                np.zeros(len(eff), dtype=bool),
            )
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
        frames.append(
            pd.DataFrame(
                {
                    "USUBJID": subj.to_numpy(),
                    "PARAMCD": p,
                    "AVISIT": visit,
                    "AVAL": a,
                    "AVALC": np.where(np.isnan(a), "", np.where(a == 1, "Y", "N")),
                    "DTYPE": np.where(n, "NRI", ""),
                    "_ORD": i,
                }
            )
        )
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


# =============================================================================================
# Results-level QC: every statistic of the analysis results data, recomputed independently
# =============================================================================================
#
# Written from the TLF spec (plain data: outputs, populations, arms, model) and the QC datasets,
# with none of the production TLF code (``adamforge.tlf``): descriptive statistics with the
# standard library (math.fsum, statistics.median), the logistic regression by a hand-written
# Newton-Raphson on the log-likelihood (Firth's penalized likelihood, also hand-written, when an
# arm has 0% or 100% responders or the fit does not converge), normal tail areas with math.erfc,
# the Cochran-Mantel-Haenszel test and Mantel-Haenszel odds ratio from their textbook formulas,
# Fisher's exact test by summing hypergeometric probabilities in exact integer arithmetic.


def _norm_quantile(q: float) -> float:
    return _statistics.NormalDist().inv_cdf(q)


def _two_sided_normal_p(z: float) -> float:
    """P(|Z| >= |z|) = erfc(|z| / sqrt 2), accurate far into the tail."""
    return _math.erfc(abs(z) / _math.sqrt(2.0))


def _chi2_1_sf(x: float) -> float:
    """P(chi-square(1) >= x) = erfc(sqrt(x / 2))."""
    return _math.erfc(_math.sqrt(max(x, 0.0) / 2.0))


def qc_design(df: pd.DataFrame, arm: np.ndarray, covariates: list[str]) -> np.ndarray:
    """Columns: 1, the active-arm indicator, then each covariate: a text covariate as
    indicators of its levels after the first (sorted), a numeric one as is; a covariate with a
    single level in ``df`` carries nothing and is left out."""
    cols = [np.ones(len(df)), np.asarray(arm, dtype=float)]
    for var in covariates:
        s = df[var]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            if s.nunique() > 1:
                cols.append(s.to_numpy(dtype=float))
            continue
        levels = sorted(set(s.astype(str)))
        cols += [(s.astype(str) == lv).to_numpy(dtype=float) for lv in levels[1:]]
    return np.column_stack(cols)


def _newton_logit(
    X: np.ndarray, y: np.ndarray, *, firth: bool, fixed: tuple[int, ...] = (), max_iter: int = 200
) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """Maximum likelihood (or Firth's penalized likelihood) logistic regression by Newton-Raphson.

    Returns (beta, inverse information at beta, (penalized) log-likelihood, converged).
    Firth: the score is U + X' h (1/2 - p) with h the hat values of the weighted fit and the
    objective l + log|I| / 2; coefficients in ``fixed`` stay 0 (the restricted model of the
    penalized likelihood-ratio test; the penalty keeps the full design).
    """
    k = X.shape[1]
    free = [j for j in range(k) if j not in fixed]
    beta = np.zeros(k)

    def parts(b):
        eta = X @ b
        p = 0.5 * (1.0 + np.tanh(eta / 2.0))  # the logistic function without overflow
        w = p * (1.0 - p)
        info = (X * w[:, None]).T @ X
        ll = float(np.sum(y * eta - np.logaddexp(0.0, eta)))
        u = X.T @ (y - p)
        if firth:
            sign, logdet = np.linalg.slogdet(info)
            if sign <= 0:
                return -np.inf, u, info
            a = np.linalg.solve(info, X.T)  # I^-1 X'
            h = w * np.einsum("ij,ji->i", X, a)  # diag(W^1/2 X I^-1 X' W^1/2)
            u = u + X.T @ (h * (0.5 - p))
            ll += 0.5 * logdet
        return ll, u, info

    ll, u, info = parts(beta)
    converged = False
    for _ in range(max_iter):
        step = np.zeros(k)
        try:
            step[free] = np.linalg.solve(info[np.ix_(free, free)], u[free])
        except np.linalg.LinAlgError:
            break
        m = np.max(np.abs(step))
        if m > 10.0:
            step *= 10.0 / m
        t = 1.0
        for _h in range(40):  # halve the step until the objective does not decrease
            ll_new, u_new, info_new = parts(beta + t * step)
            if ll_new >= ll - 1e-10:
                break
            t /= 2.0
        beta = beta + t * step
        ll, u, info = ll_new, u_new, info_new
        if np.max(np.abs(t * step)) < 1e-11 or np.max(np.abs(u[free])) < 1e-11:
            converged = True
            break
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        cov = np.full((k, k), np.nan)
    return beta, cov, ll, converged


def qc_logistic(y: np.ndarray, X: np.ndarray, *, ci_level: float = 0.95) -> dict[str, Any]:
    """Odds ratio of column 1 of ``X`` (the active arm) with its Wald CI and p-value.

    Maximum likelihood unless an arm has 0% or 100% responders (a zero cell: the estimate does
    not exist) or the fit is degenerate (no convergence, |coefficient| > 15, standard error > 50,
    fitted probabilities of 0 or 1): then Firth's penalized likelihood, Wald CI from the
    penalized information, p-value from the penalized likelihood-ratio test.

    Returns a dict with ``or``, ``or_lcl``, ``or_ucl``, ``p_value``, ``method``
    (``logistic``/``firth``) and ``separation`` (0/1).
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    arm = X[:, 1]
    z = _norm_quantile(0.5 + ci_level / 2.0)
    zero_cell = any(len(y[arm == a]) and y[arm == a].sum() in (0, len(y[arm == a])) for a in (0.0, 1.0))
    if not zero_cell:
        beta, cov, _ll, ok = _newton_logit(X, y, firth=False)
        se = np.sqrt(np.diag(cov))
        fitted = 1.0 / (1.0 + np.exp(-(X @ beta)))
        if (
            ok
            and np.all(np.isfinite(se))
            and np.all(se <= 50)
            and np.all(np.abs(beta) <= 15)
            and fitted.min() > 1e-10
            and fitted.max() < 1 - 1e-10
        ):
            b, s = float(beta[1]), float(se[1])
            return {
                "or": _math.exp(b),
                "or_lcl": _math.exp(b - z * s),
                "or_ucl": _math.exp(b + z * s),
                "p_value": _two_sided_normal_p(b / s),
                "method": "logistic",
                "separation": 0,
            }
    beta, cov, ll_full, _ok = _newton_logit(X, y, firth=True)
    _b0, _c0, ll_restricted, _ok0 = _newton_logit(X, y, firth=True, fixed=(1,))
    b, s = float(beta[1]), float(_math.sqrt(cov[1, 1]))
    return {
        "or": _math.exp(b),
        "or_lcl": _math.exp(b - z * s),
        "or_ucl": _math.exp(b + z * s),
        "p_value": _chi2_1_sf(2.0 * (ll_full - ll_restricted)),
        "method": "firth",
        "separation": 1,
    }


def qc_cmh(tables: list[tuple[float, float, float, float]]) -> dict[str, float]:
    """Cochran-Mantel-Haenszel test (no continuity correction) and the Mantel-Haenszel odds ratio
    of 2x2 tables ``(a, b, c, d)`` = (active responders, active non-responders, reference
    responders, reference non-responders), one per stratum.

    ``CMH = (sum(a - E a))^2 / sum var(a)`` with ``E a = (a+b)(a+c)/n`` and
    ``var a = (a+b)(c+d)(a+c)(b+d) / (n^2 (n-1))``; ``OR_MH = sum(a d / n) / sum(b c / n)``.
    NaN when there is no table or no responder (or no non-responder) at all.
    """
    nan = float("nan")
    t = [tuple(map(float, x)) for x in tables if sum(x) > 1]
    if not t or sum(a + c for a, b, c, d in t) in (0.0, sum(sum(x) for x in t)):
        return {"cmh_stat": nan, "cmh_p": nan, "mh_or": nan}
    dev = _math.fsum(a - (a + b) * (a + c) / (a + b + c + d) for a, b, c, d in t)
    var = _math.fsum(
        (a + b) * (c + d) * (a + c) * (b + d) / ((a + b + c + d) ** 2 * (a + b + c + d - 1)) for a, b, c, d in t
    )
    stat = dev * dev / var if var > 0 else nan
    num = _math.fsum(a * d / (a + b + c + d) for a, b, c, d in t)
    den = _math.fsum(b * c / (a + b + c + d) for a, b, c, d in t)
    mh = num / den if den > 0 and num > 0 else nan
    return {"cmh_stat": stat, "cmh_p": _chi2_1_sf(stat) if stat == stat else nan, "mh_or": mh}


def qc_fisher(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher exact p-value of the 2x2 table: the sum of the hypergeometric
    probabilities (exact fractions) of the tables with the margins fixed that are no more
    probable than the observed one."""
    r1, c1, n = a + b, a + c, a + b + c + d
    lo, hi = max(0, c1 - (n - r1)), min(r1, c1)
    total = _math.comb(n, c1)
    prob = {x: _Fraction(_math.comb(r1, x) * _math.comb(n - r1, c1 - x), total) for x in range(lo, hi + 1)}
    cut = prob[a] * _Fraction(10**7 + 1, 10**7)  # ties within a relative 1e-7, as R and scipy
    return float(sum(p for p in prob.values() if p <= cut))


def _sig_mark(p: float, marks) -> str:
    if p is None or p != p:
        return ""
    for thr, mark in sorted((float(t), str(m)) for t, m in marks):
        if p < thr:
            return mark
    return ""


def _same(s: pd.Series, value: Any) -> np.ndarray:
    """``s == value`` with a code stored as number or as text alike (2 == 2.0 == "2")."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        num = pd.to_numeric(s, errors="coerce")
        return (num == float(value)).to_numpy(dtype=bool)
    return (s.astype(object).map(lambda v: "" if v is None or v != v else str(v)) == str(value)).to_numpy(dtype=bool)


def _fill_dates(dtc: pd.Series) -> pd.Series:
    """ISO dates with a missing day as the 1st and a missing month as January."""
    t = dtc.astype(str).str.strip()
    t = t.where(t.str.len() != 7, t + "-01").where(t.str.len() != 4, t + "-01-01")
    return pd.to_datetime(t.str[:10], errors="coerce", format="%Y-%m-%d")


def qc_baseline(sdtm: dict[str, pd.DataFrame], adsl: pd.DataFrame, qc: dict) -> pd.DataFrame:
    """The subject-level variables the baseline tables summarise, for the subjects of ``adsl``,
    derived from the SDTM as the QC spec's ``results.baseline`` says:

    * ``{dm: VAR}``: DM.VAR; with ``map`` (and ``other`` for unmapped values) recoded;
    * ``{baseline_of: SCORE}``: the baseline of a score of ``scores`` (last value on or before
      Day 1; a daily mean over its baseline days);
    * ``{years_since: {domain, where, dtc}, days_per_year}``: years from the record's date (a
      missing day imputed as the 1st, a missing month as January) to the first dose;
    * ``{finding: {domain, testcd, value}}``: the value of a findings test (first record).

    A source domain the SDTM does not have gives a missing variable (any production value then
    shows as a difference).
    """
    spec = (qc.get("results") or {}).get("baseline") or {}
    dm = sdtm["DM"]
    subj = adsl["USUBJID"]
    out = pd.DataFrame({"USUBJID": subj.to_numpy()})
    dmi = dm.drop_duplicates("USUBJID").set_index("USUBJID")
    for var, d in spec.items():
        if "dm" in d:
            v = dmi[d["dm"]].reindex(subj.to_numpy()) if d["dm"] in dmi.columns else pd.Series(np.nan, index=subj)
            if "map" in d:
                mp = {str(k): v2 for k, v2 in d["map"].items()}
                v = v.map(lambda x, mp=mp, d=d: mp.get(str(x), d.get("other", x)) if x == x and x is not None else x)
            out[var] = v.to_numpy()
        elif "baseline_of" in d:
            name = d["baseline_of"]
            sc = qc["scores"][name]
            if str(sc["domain"]).upper() not in sdtm:
                out[var] = np.nan
                continue
            b, _w = _score(sdtm, dm, qc, name, subj)
            out[var] = np.asarray(b, dtype="float64")
        elif "years_since" in d:
            ys = d["years_since"]
            dom = str(ys["domain"]).upper()
            if dom not in sdtm:
                out[var] = np.nan
                continue
            rec = sdtm[dom]
            for k, val in (ys.get("where") or {}).items():
                rec = rec[rec[k] == val]
            rec = rec.drop_duplicates("USUBJID").set_index("USUBJID")
            onset = _fill_dates(rec[ys["dtc"]]).reindex(subj.to_numpy())
            first = pd.to_datetime(dmi["RFXSTDTC"].astype(str).str[:10], errors="coerce", format="%Y-%m-%d").reindex(
                subj.to_numpy()
            )
            out[var] = ((first - onset).dt.days.astype("float64") / float(d.get("days_per_year", 365.25))).to_numpy()
        elif "finding" in d:
            f = d["finding"]
            dom = str(f["domain"]).upper()
            if dom not in sdtm:
                out[var] = np.nan
                continue
            rec = sdtm[dom]
            rec = rec[rec[f"{dom[:2]}TESTCD"] == f["testcd"]].drop_duplicates("USUBJID").set_index("USUBJID")
            out[var] = rec[f["value"]].reindex(subj.to_numpy()).to_numpy()
        else:
            raise ValueError(f"QC spec: results.baseline.{var}: give dm, baseline_of, years_since or finding")
    return out


def _pop(adsl: pd.DataFrame, where: dict) -> pd.DataFrame:
    sel = np.ones(len(adsl), dtype=bool)
    for var, val in (where or {}).items():
        sel &= _same(adsl[var], val)
    return adsl[sel]


def qc_results_ard(
    adsl: pd.DataFrame, responders: pd.DataFrame, baseline: pd.DataFrame | None, tlf: dict
) -> pd.DataFrame:
    """The QC analysis results data: every statistic of the TLF spec's baseline, response and
    figure outputs, computed here.

    Parameters
    ----------
    adsl, responders : from :func:`qc_adsl` and :func:`qc_responders`.
    baseline : from :func:`qc_baseline` (the variables of the baseline rows; None: no baseline
        table is computed).
    tlf : the TLF spec as plain data. Read: ``arms``, ``populations``, ``model`` (covariates,
        ci_level, cmh_strata, significance) and the outputs' ``id``, ``kind``, ``population``,
        ``columns``, ``rows``, ``endpoints``, ``source``, ``paramcd``; anything else is ignored.

    Returns
    -------
    DataFrame with output_id population group parameter statistic value value_char: baseline
    tables N n pct nobs mean sd median min max; response tables BIGN N and per endpoint and arm
    n N pct, per active arm or or_lcl or_ucl p_value sig_mark method separation cmh_stat cmh_p
    mh_or (fisher_p when separated); figures the records of their source table.
    """
    arm_var = tlf["arms"]["variable"]
    arms = [(lv["value"], lv["label"]) for lv in tlf["arms"]["levels"]]
    pops = {k: (v or {}).get("where", {}) for k, v in tlf["populations"].items()}
    model = tlf.get("model") or {}
    covariates = [str(c) for c in model.get("covariates", ["STUDYID"])]
    ci = float(model.get("ci_level", 0.95))
    strata = model.get("cmh_strata", "STUDYID")
    marks = model.get("significance") or [[0.0001, "****"], [0.001, "***"], [0.01, "**"], [0.05, "*"]]
    subj = adsl
    if baseline is not None:
        extra = [c for c in baseline.columns if c != "USUBJID" and c not in adsl.columns]
        subj = adsl.merge(baseline[["USUBJID", *extra]], on="USUBJID", how="left")
    rows: list[tuple] = []

    def add(o, pid, grp, par, stat, value=None, char=""):
        v = float(value) if value is not None else np.nan
        rows.append((o, pid, grp, par, stat, v if _math.isfinite(v) else np.nan, char))

    for o in tlf["outputs"]:
        oid, kind = o["id"], o.get("kind")
        if kind == "baseline" and baseline is not None:
            for c in o.get("columns") or []:
                sub = _pop(subj, pops[c["population"]])
                if c.get("arm") is not None:
                    sub = sub[_same(sub[arm_var], c["arm"])]
                n_col = len(sub)
                add(oid, c["population"], c["id"], "BIGN", "N", n_col)
                for r in o.get("rows") or []:
                    st = r.get("stat")
                    if st == "header":
                        continue
                    s = sub[r["var"]]
                    if st in ("n_pct", "n_pct_ge"):
                        if st == "n_pct":
                            n = int(_same(s, r["level"]).sum())
                        else:
                            n = int((pd.to_numeric(s, errors="coerce") >= float(r["threshold"])).sum())
                        add(oid, c["population"], c["id"], r["id"], "n", n)
                        add(oid, c["population"], c["id"], r["id"], "N", n_col)
                        add(oid, c["population"], c["id"], r["id"], "pct", 100.0 * n / n_col if n_col else None)
                        continue
                    x = [float(v) for v in pd.to_numeric(s, errors="coerce") if v == v]
                    add(oid, c["population"], c["id"], r["id"], "nobs", len(x))
                    if st == "mean_sd":
                        m = _math.fsum(x) / len(x) if x else None
                        add(oid, c["population"], c["id"], r["id"], "mean", m)
                        add(
                            oid,
                            c["population"],
                            c["id"],
                            r["id"],
                            "sd",
                            _math.sqrt(_math.fsum((v - m) ** 2 for v in x) / (len(x) - 1))
                            if m is not None and len(x) > 1  # more than one value: m is their mean
                            else None,
                        )
                    elif st == "median_range":
                        add(oid, c["population"], c["id"], r["id"], "median", _statistics.median(x) if x else None)
                        add(oid, c["population"], c["id"], r["id"], "min", min(x) if x else None)
                        add(oid, c["population"], c["id"], r["id"], "max", max(x) if x else None)
        elif kind == "response":
            opop = _pop(subj, pops[o["population"]])
            for val, lab in arms:
                add(oid, o["population"], lab, "BIGN", "N", int(_same(opop[arm_var], val).sum()))
            for e in o.get("endpoints") or []:
                pid = e.get("population") or o["population"]
                pc = e["paramcd"]
                rec = responders.loc[responders["PARAMCD"] == pc, ["USUBJID", "AVAL"]]
                df = _pop(subj, pops[pid]).merge(rec, on="USUBJID", how="left")
                if e.get("denominator", "evaluable") == "all":
                    df["AVAL"] = df["AVAL"].fillna(0.0)
                else:
                    df = df[df["AVAL"].notna()]
                for val, lab in arms:
                    y = df.loc[_same(df[arm_var], val), "AVAL"].to_numpy(dtype=float)
                    add(oid, pid, lab, pc, "n", y.sum())
                    add(oid, pid, lab, pc, "N", len(y))
                    add(oid, pid, lab, pc, "pct", 100.0 * y.sum() / len(y) if len(y) else None)
                ref_val = arms[0][0]
                for val, lab in arms[1:]:
                    two = df[_same(df[arm_var], val) | _same(df[arm_var], ref_val)]
                    act = _same(two[arm_var], val).astype(float)
                    y = two["AVAL"].to_numpy(dtype=float)
                    if act.sum() == 0 or act.sum() == len(act):
                        continue  # an empty arm: production refuses such data; nothing to compare
                    res = qc_logistic(y, qc_design(two, act, covariates), ci_level=ci)
                    for st in ("or", "or_lcl", "or_ucl", "p_value"):
                        add(oid, pid, lab, pc, st, res[st])
                    add(oid, pid, lab, pc, "sig_mark", None, _sig_mark(res["p_value"], marks))
                    add(oid, pid, lab, pc, "method", None, res["method"])
                    add(oid, pid, lab, pc, "separation", res["separation"])
                    if res["separation"]:
                        a_ = int(y[act == 1].sum())
                        c_ = int(y[act == 0].sum())
                        add(
                            oid,
                            pid,
                            lab,
                            pc,
                            "fisher_p",
                            qc_fisher(a_, int((act == 1).sum()) - a_, c_, int((act == 0).sum()) - c_),
                        )
                    tables = []
                    for _k, g in two.assign(_A=act, _Y=y).groupby(strata, sort=True):
                        ga, gr = g[g["_A"] == 1]["_Y"], g[g["_A"] == 0]["_Y"]
                        if len(ga) and len(gr):
                            tables.append((ga.sum(), len(ga) - ga.sum(), gr.sum(), len(gr) - gr.sum()))
                    for st, v in qc_cmh(tables).items():
                        add(oid, pid, lab, pc, st, v)
    ard = pd.DataFrame(
        rows, columns=["output_id", "population", "group", "parameter", "statistic", "value", "value_char"]
    )
    figs = []
    for o in tlf["outputs"]:
        if o.get("kind") == "figure":
            src = ard[
                (ard["output_id"] == o.get("source"))
                & (ard["parameter"] == o.get("paramcd"))
                & ard["statistic"].isin(
                    ["n", "N", "pct", "p_value", "sig_mark", "method", "separation", "fallback_reason"]
                )
            ]
            figs.append(src.assign(output_id=o["id"]))
    if figs:
        ard = pd.concat([ard, *figs], ignore_index=True)
    return ard


#: output kinds whose statistics :func:`qc_results_ard` recomputes
QC_OUTPUT_KINDS = ("baseline", "response", "figure")


def qc_compare_results(
    sdtm: dict[str, pd.DataFrame] | None,
    adsl: pd.DataFrame,
    responders: pd.DataFrame,
    tlf: dict,
    qc: dict,
    production: pd.DataFrame,
    *,
    baseline: pd.DataFrame | None = None,
):
    """Recompute the results (:func:`qc_baseline`, :func:`qc_results_ard`) and compare them with
    production's ARD under the QC spec's ``results.tolerances`` (defaults in code) and
    ``results.not_compared``.

    Production's records are taken for the outputs of the kinds QC recomputes
    (:data:`QC_OUTPUT_KINDS`; a baseline table only when the QC spec has ``results.baseline``);
    the records of other outputs and of the statistics in ``not_compared`` are left out and
    listed, with their number and the reason, in the returned scope. Any other statistic
    production has and QC lacks is a difference (return code 64).

    ``baseline``: :func:`qc_baseline` computed by the caller (then ``sdtm`` is not read: a caller
    may release the SDTM before reading production).

    Returns (ArdComparison, QC ARD, scope) with scope ``{"description", "not_compared"}``.
    """
    from . import compare_ard as ca

    res_spec = qc.get("results") or {}
    if not res_spec.get("baseline"):
        baseline = None
    elif baseline is None:
        if sdtm is None:
            raise ValueError("qc_compare_results: give the SDTM or the baseline computed from it")
        baseline = qc_baseline(sdtm, adsl, qc)
    qc_ard = qc_results_ard(adsl, responders, baseline, tlf)
    kinds = {str(o["id"]): str(o.get("kind")) for o in tlf.get("outputs") or []}
    done = {o for o, k in kinds.items() if k in QC_OUTPUT_KINDS and (k != "baseline" or baseline is not None)}
    prod = production.reset_index(drop=True)
    not_compared: list[dict[str, Any]] = []
    out_ids = prod["output_id"].astype(str)
    other = ~out_ids.isin(done)
    for oid in sorted(set(out_ids[other])):
        why = (
            f"output kind {kinds[oid]!r} not double-programmed by the QC program"
            if oid in kinds
            else "output not in the TLF spec"
        )
        if kinds.get(oid) == "baseline":
            why = "baseline table: the QC spec has no results.baseline"
        not_compared.append({"statistic": f"{oid} (all)", "records": int((out_ids == oid).sum()), "why": why})
    keep = ~other
    for x in res_spec.get("not_compared") or []:
        sel = keep & (prod["statistic"].astype(str) == str(x["statistic"]))
        not_compared.append({"statistic": str(x["statistic"]), "records": int(sel.sum()), "why": str(x.get("why", ""))})
        keep &= ~sel
    cols = [c for c in qc_ard.columns if c in prod.columns]
    prod = prod.loc[keep, cols].reset_index(drop=True)
    rules = ca.rules_from_spec(res_spec.get("tolerances"))
    res = ca.compare_ard(prod, qc_ard, rules=rules)
    desc = f"outputs {', '.join(o for o in kinds if o in done)}: every statistic" + (
        f" but {', '.join(x['statistic'] for x in not_compared)}" if not_compared else ""
    )
    return res, qc_ard, {"description": desc, "not_compared": not_compared}
