"""Subject profiles of the simulated reference study: one row per randomized subject.

A profile holds what a subject *is* (study, site, arm, demographics, baseline disease, disease
onset, outcome class) and the analysis-level values the raw records must reproduce (baseline
scores, Week 8 scores, the diary sums of the baseline and Week 8 windows, QoL totals). The
profiles are calibrated once, at scale 1, so that a correct derivation of the raw SDTM records
reproduces every count and statistic of the analysis plan's section 4; :mod:`records` then turns
profiles into raw SDTM records (visits, daily diaries, questionnaire items, dates).

Nothing in here is written to SDTM as a flag: the outcome classes only steer which raw values a
subject gets.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from . import targets as T
from .calibrate import Target, calibrate, round_half_up

RACE_OTHER = np.array(
    [
        "AMERICAN INDIAN OR ALASKA NATIVE",
        "MULTIPLE",
        "OTHER",
        "NATIVE HAWAIIAN OR OTHER PACIFIC ISLANDER",
    ]
)
RACE_MAIN = {"White": "WHITE", "Black": "BLACK OR AFRICAN AMERICAN", "Asian": "ASIAN"}
EUROPE = np.array(["POL", "DEU", "FRA", "BGR", "CZE", "HUN", "ESP", "ITA"])
GROUPS = ("VEH", "RUX075", "RUX15", "REST")


def _spawn(seed: int, n: int) -> list[np.random.Generator]:
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]


# ---------------------------------------------------------------------------------------------
# step 1: subjects, studies, sites, arms, outcome classes
# ---------------------------------------------------------------------------------------------
def _sites(rng: np.random.Generator) -> pd.DataFrame:
    """Sites per study with their country; the excluded sites are US sites."""
    rows = []
    for study, first in (("INCB18424-303", 101), ("INCB18424-304", 201)):
        for k in range(48):
            site = f"{first + k:03d}"
            if k < 33:
                country = "USA"
            elif k < 37:
                country = "CAN"
            else:
                country = EUROPE[(k - 37 + (first // 100)) % len(EUROPE)]
            if site in T.EXCLUDED_SITES:
                country = "USA"
            rows.append((study, site, country))
    return pd.DataFrame(rows, columns=["STUDYID", "SITEID", "COUNTRY"])


def _subjects(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for study, per_arm in T.RANDOMIZED.items():
        for arm, n in per_arm.items():
            excluded = [(s, per[arm]) for s, per in T.EXCLUDED_PER_SITE.items() if T.EXCLUDED_SITES[s] == study]
            n_ex = sum(k for _, k in excluded)
            for site, k in excluded:
                rows += [(study, arm, False, site)] * k
            rows += [(study, arm, True, "")] * (n - n_ex)
    df = pd.DataFrame(rows, columns=["STUDYID", "ARM8", "EVAL", "SITEID"])
    # outcome class among the efficacy-evaluable of each arm, shuffled across the two studies
    df["CLASS"] = "NE"
    for arm in T.ARMS:
        ix = np.flatnonzero((df["ARM8"] == arm) & df["EVAL"])
        n_ts, n_na = T.IGA_TS[arm], T.NON_ACHIEVERS[arm]
        labels = np.array(["TS"] * n_ts + ["NA"] * n_na + ["MISS"] * (len(ix) - n_ts - n_na))
        df.loc[ix, "CLASS"] = rng.permutation(labels)
    df["GROUP"] = np.where(df["CLASS"] == "NA", df["ARM8"], np.where(df["EVAL"], "REST", "NE"))
    return df


def _assign_counts(
    df: pd.DataFrame, col: str, spec: dict[str, dict[str, int]], rng, other: str, ne_probs: dict[str, float]
) -> None:
    """Give each Table 1 group exactly the published count of each category of ``col``."""
    df[col] = other
    for g in GROUPS:
        ix = np.flatnonzero(df["GROUP"] == g)
        labels: list[str] = []
        for cat, per in spec.items():
            k = per[g] if g != "REST" else per["ALL"] - sum(per[a] for a in T.ARMS)
            labels += [cat] * k
        labels += [other] * (len(ix) - len(labels))
        df.loc[ix, col] = rng.permutation(np.array(labels, dtype=object))
    ne = np.flatnonzero(df["GROUP"] == "NE")
    cats = list(ne_probs)
    df.loc[ne, col] = rng.choice(np.array(cats, dtype=object), size=len(ne), p=list(ne_probs.values()))


def _categoricals(df: pd.DataFrame, sites: pd.DataFrame, rng) -> None:
    c = T.T1_COUNTS
    _assign_counts(df, "SEXF", {"F": c["female"]}, rng, "M", {"F": 0.6, "M": 0.4})
    _assign_counts(
        df,
        "RACEGR",
        {k: c[k] for k in ("White", "Black", "Asian")},
        rng,
        "Other",
        {"White": 0.7, "Black": 0.22, "Asian": 0.05, "Other": 0.03},
    )
    _assign_counts(
        df, "REGION", {"North America": c["North America"]}, rng, "Europe", {"North America": 1.0, "Europe": 0.0}
    )
    _assign_counts(df, "BLIGA", {"2": c["IGA2"]}, rng, "3", {"2": 0.25, "3": 0.75})
    _assign_counts(df, "FACE", {"Y": c["facial"]}, rng, "N", {"Y": 0.4, "N": 0.6})
    df["BLIGA"] = df["BLIGA"].astype(int)
    race = df["RACEGR"].map(RACE_MAIN).astype(object)
    other = df["RACEGR"] == "Other"
    race[other] = rng.choice(RACE_OTHER, size=int(other.sum()), p=[0.35, 0.35, 0.25, 0.05])
    df["RACE"] = race
    # sites: within study and region, weighted so that site sizes vary
    for (study, region), ix in df[df["SITEID"] == ""].groupby(["STUDYID", "REGION"]).groups.items():
        cand = sites[(sites["STUDYID"] == study) & ~sites["SITEID"].isin(list(T.EXCLUDED_SITES))]
        cand = cand[(cand["COUNTRY"].isin(["USA", "CAN"])) == (region == "North America")]
        w = rng.gamma(2.0, 1.0, size=len(cand))
        df.loc[ix, "SITEID"] = rng.choice(cand["SITEID"].to_numpy(), size=len(ix), p=w / w.sum())
    df["COUNTRY"] = df.merge(sites, on=["STUDYID", "SITEID"], how="left")["COUNTRY"].to_numpy()


# ---------------------------------------------------------------------------------------------
# step 2: continuous baseline characteristics, calibrated
# ---------------------------------------------------------------------------------------------
def _group_masks(ev: pd.DataFrame) -> dict[str, np.ndarray]:
    g = ev["GROUP"].to_numpy()
    m = {a: g == a for a in T.ARMS}
    m["NA"] = g != "REST"
    m["ALL"] = np.ones(len(ev), dtype=bool)
    return m


def _mean_sd_targets(table: dict[str, tuple[float, float]]) -> list[Target]:
    out = []
    for g, (mean, sd) in table.items():
        out += [Target(g, "mean", mean), Target(g, "sd", sd)]
    return out


def _centre(x: np.ndarray, masks, medians: dict[str, float], lo, hi) -> np.ndarray:
    """Shift each non-achiever group, then the rest, so each starts near its target median."""
    x = x.astype(np.int64).copy()
    for a in T.ARMS:
        x[masks[a]] += int(round(medians[a] - np.median(x[masks[a]])))
    rest = ~masks["NA"]
    x[rest] += int(round(medians["ALL"] - np.median(x)))
    return np.clip(x, lo, hi)


def _pin(rng, mask: np.ndarray, taken: np.ndarray, prefer: np.ndarray | None = None) -> int:
    cand = np.flatnonzero(mask & ~taken & (prefer if prefer is not None else True))
    i = int(rng.choice(cand))
    taken[i] = True
    return i


def _calibrate_age(ev: pd.DataFrame, masks, rng) -> np.ndarray:
    n = len(ev)
    teen = rng.random(n) < 0.09
    age = np.where(teen, rng.integers(12, 18, n), 18 + rng.gamma(2.0, 8.5, n)).round().astype(np.int64)
    age = _centre(age, masks, {g: v[0] for g, v in T.T1_AGE.items()}, 12, 85)
    lo = np.full(n, 12)
    hi = np.full(n, 85)
    pinned = np.zeros(n, dtype=bool)
    for a in T.ARMS:
        _, mn, mx = T.T1_AGE[a]
        hi[masks[a]] = mx
        age = np.minimum(age, hi)
        age[_pin(rng, masks[a], pinned)] = mn
        age[_pin(rng, masks[a], pinned)] = mx
    tg = [Target(g, "median", v[0]) for g, v in T.T1_AGE.items()]
    return calibrate(
        age,
        value_of=lambda p, s: p.astype(float),
        lo=lo,
        hi=hi,
        groups=masks,
        targets=tg,
        rng=rng,
        pinned=pinned,
        max_step=3,
        name="age",
    )


def _calibrate_tenths(ev, masks, rng, table, init: np.ndarray, lo: float, hi: float, name: str) -> np.ndarray:
    n = len(ev)
    pos = np.clip(np.round(init * 10), lo * 10, hi * 10).astype(np.int64)
    return (
        calibrate(
            pos,
            value_of=lambda p, s: p / 10.0,
            lo=np.full(n, int(lo * 10)),
            hi=np.full(n, int(hi * 10)),
            groups=masks,
            targets=_mean_sd_targets(table),
            rng=rng,
            max_step=8,
            name=name,
        )
        / 10.0
    )


def _calibrate_itch(ev, masks, rng, ndays: np.ndarray) -> np.ndarray:
    """Baseline diary sums (over ``ndays`` non-missing days) so the 7-day means meet Table 1."""
    n = len(ev)
    v = 10 * rng.beta(2.3, 2.2, n)
    pos = np.clip(np.round(v * ndays), 0, 10 * ndays).astype(np.int64)
    tg = _mean_sd_targets(T.T1_ITCH)
    for key, thr in (("itch>=2", 2.0), ("itch>=4", 4.0)):
        for g, k in T.T1_COUNTS[key].items():
            tg.append(Target(g, "count_ge", k, threshold=thr))
    return calibrate(
        pos,
        value_of=lambda p, s: p / ndays[s],
        lo=np.zeros(n, dtype=np.int64),
        hi=10 * ndays,
        groups=masks,
        targets=tg,
        rng=rng,
        max_step=4,
        name="baseline itch NRS",
    )


def _calibrate_flares(ev, masks, rng) -> np.ndarray:
    n = len(ev)
    init = rng.negative_binomial(0.7, 0.7 / (0.7 + 5.0), n).astype(np.int64)
    return calibrate(
        np.minimum(init, 365),
        value_of=lambda p, s: p.astype(float),
        lo=np.zeros(n, dtype=np.int64),
        hi=np.full(n, 365),
        groups=masks,
        targets=_mean_sd_targets(T.T1_FLARES),
        rng=rng,
        max_step=6,
        name="flares",
    )


def _days_of(kind: np.ndarray, day1: np.ndarray):
    """``value_of`` for disease duration: grid position -> years, per the onset-date precision.

    kind 0: full onset date, position = days before first dose; kind 1: ``YYYY-MM`` onset
    (imputed to the 1st), position = months since 1970-01; kind 2: ``YYYY`` onset (imputed to
    1 January), position = years since 1970.
    """

    def days(p: np.ndarray, s: np.ndarray) -> np.ndarray:
        k = kind[s]
        d = p.astype(np.int64).copy()
        m1 = k == 1
        if m1.any():
            onset = (np.datetime64("1970-01", "M") + p[m1]).astype("datetime64[D]")
            d[m1] = (day1[s][m1] - onset).astype(np.int64)
        m2 = k == 2
        if m2.any():
            onset = (np.datetime64("1970", "Y") + p[m2]).astype("datetime64[D]")
            d[m2] = (day1[s][m2] - onset).astype(np.int64)
        return d

    return days


def _calibrate_duration(ev, masks, rng, age: np.ndarray, day1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Disease duration in days before first dose, and the onset precision (0 full, 1 month, 2 year)."""
    n = len(ev)
    pinned = np.zeros(n, dtype=bool)
    lo_d = np.zeros(n, dtype=np.int64)
    hi_d = np.floor((age + 0.5) * 365.25).astype(np.int64) - 30  # onset after birth
    hi_d = np.minimum(hi_d, round(79.1 * 365.25))
    frac = rng.beta(2.0, 2.2, n)
    d = np.round(frac * age * 365.25).astype(np.int64)
    d = _centre(d, masks, {g: v[0] * 365.25 for g, v in T.T1_DURATION.items()}, 0, None)

    def pin_days(v: float) -> int:
        x = int(round(v * 365.25))
        if v == 0:
            x = 5
        assert round_half_up(x / 365.25, 1) == v
        return x

    for a in T.ARMS:
        _, mn, mx = T.T1_DURATION[a]
        dmn, dmx = pin_days(mn), pin_days(mx)
        i = _pin(rng, masks[a], pinned, prefer=age * 365.25 > dmn + 60)
        d[i] = dmn
        old = age * 365.25 > dmx + 200
        j = _pin(rng, masks[a], pinned, prefer=old)
        d[j] = dmx
        lo_d[masks[a]] = dmn
        hi_d[masks[a]] = np.minimum(hi_d[masks[a]], dmx)
        hi_d[j] = dmx
    rest = ~masks["NA"]
    i = _pin(rng, rest, pinned)
    d[i] = pin_days(T.T1_DURATION["ALL"][1])
    lo_d[i] = d[i]
    d = np.clip(d, lo_d, hi_d)
    # partial onset dates on some subjects not pinned: month precision 8%, year precision 3%
    u = rng.random(n)
    kind = np.where(pinned, 0, np.where(u < 0.08, 1, np.where(u < 0.11, 2, 0)))
    pos = d.copy()
    lo, hi = lo_d.copy(), hi_d.copy()
    earliest = day1 - hi_d  # onset must fall in [day1 - hi, day1 - lo]
    latest = day1 - lo_d
    units: tuple[tuple[int, Literal["M", "Y"]], ...] = ((1, "M"), (2, "Y"))  # NumPy's stubs want the unit literal
    for k, unit in units:
        m = kind == k
        e = earliest[m].astype(f"datetime64[{unit}]")
        e_first = e.astype("datetime64[D]")
        lo[m] = (e - np.datetime64("1970", unit)).astype(np.int64) + (e_first < earliest[m])
        hi[m] = (latest[m].astype(f"datetime64[{unit}]") - np.datetime64("1970", unit)).astype(np.int64)
        onset = day1[m] - d[m]
        pos[m] = np.clip(
            (onset.astype(f"datetime64[{unit}]") - np.datetime64("1970", unit)).astype(np.int64), lo[m], hi[m]
        )
    bad = lo > hi
    kind[bad] = 0
    pos[bad], lo[bad], hi[bad] = d[bad], lo_d[bad], hi_d[bad]
    days = _days_of(kind, day1)
    tg = [Target(g, "median", v[0]) for g, v in T.T1_DURATION.items()]
    pos = calibrate(
        pos,
        value_of=lambda p, s: days(p, s) / 365.25,
        lo=lo,
        hi=hi,
        groups=masks,
        targets=tg,
        rng=rng,
        pinned=pinned,
        max_step=40,
        name="disease duration",
    )
    return days(pos, np.arange(n)), kind


# ---------------------------------------------------------------------------------------------
# step 3: outcomes of the non-achievers (component responses), and of everybody else
# ---------------------------------------------------------------------------------------------
def _component_flags(na: pd.DataFrame, arm: str, rng) -> pd.DataFrame:
    """Flags EASI50 / NRS2 / QOLR / IGA1 for one arm's non-achievers, hitting the plan exactly."""
    n = len(na)
    nrs_ok = na["BLITCH"].to_numpy() >= 2
    qol_ok = np.ones(n, dtype=bool)
    qol_ok[rng.choice(n, T.QOL_BASELINE_MISSING[arm], replace=False)] = False
    want = {c: T.COMPONENTS[c][arm] for c in ("EASI50", "NRS2", "QOLR")}
    ok = {"EASI50": np.ones(n, dtype=bool), "NRS2": nrs_ok, "QOLR": qol_ok}
    for _attempt in range(200):
        cpr = np.zeros(n, dtype=bool)
        cpr[rng.choice(n, T.CPR[arm], replace=False)] = True
        flags = {c: np.zeros(n, dtype=bool) for c in want}
        members = rng.permutation(np.flatnonzero(cpr))
        left = dict(want)
        feasible = True
        for i in members:  # every CPR member gets one component first
            comps = [c for c in want if ok[c][i] and left[c] > 0]
            if not comps:
                feasible = False
                break
            w = np.array([left[c] for c in comps], dtype=float)
            c = comps[rng.choice(len(comps), p=w / w.sum())]
            flags[c][i] = True
            left[c] -= 1
        if not feasible:
            continue
        for c in want:  # then fill each component's quota inside CPR
            cand = np.flatnonzero(cpr & ok[c] & ~flags[c])
            if len(cand) < left[c]:
                feasible = False
                break
            flags[c][rng.choice(cand, left[c], replace=False)] = True
        if feasible:
            break
    else:  # pragma: no cover - the targets are feasible; this guards a broken edit
        raise RuntimeError(f"cannot assign component responders for arm {arm}")
    n_iga = T.IGA_R1_OBSERVED[arm] - T.IGA_TS[arm]
    outside = T.CPRIGA[arm] - T.CPR[arm]
    iga = np.zeros(n, dtype=bool)
    iga[rng.choice(np.flatnonzero(~cpr), outside, replace=False)] = True
    iga[rng.choice(np.flatnonzero(cpr), n_iga - outside, replace=False)] = True
    out = pd.DataFrame(
        {
            "R_EASI50": flags["EASI50"],
            "R_NRS2": flags["NRS2"],
            "R_QOLR": flags["QOLR"],
            "R_IGA1": iga,
            "QOL_BL_OK": qol_ok,
        },
        index=na.index,
    )
    return out


def build_profiles(seed: int = T.DEFAULT_SEED) -> pd.DataFrame:
    """The calibrated subject profiles of the reference study (1249 rows), deterministic in ``seed``."""
    r = _spawn(seed, 12)
    sites = _sites(r[0])
    df = _subjects(r[0])
    _categoricals(df, sites, r[1])
    n = len(df)
    # first dose (study day 1) between 2019-02 and 2020-06, later in the second study
    start = np.where(df["STUDYID"] == "INCB18424-303", np.datetime64("2019-01-14"), np.datetime64("2019-02-11"))
    df["DAY1"] = start + r[2].integers(0, 480, n).astype("timedelta64[D]")
    df["ITCH_K0"] = r[2].choice([7, 6, 5, 4], size=n, p=[0.8, 0.12, 0.06, 0.02])

    ev = df[df["EVAL"]].copy()
    masks = _group_masks(ev)
    age_ev = _calibrate_age(ev, masks, r[3])
    df["AGE"] = 0
    df.loc[ev.index, "AGE"] = age_ev
    ne = ~df["EVAL"].to_numpy()
    df.loc[ne, "AGE"] = np.clip(18 + r[3].gamma(2.0, 8.0, ne.sum()), 12, 80).round().astype(int)
    # BSA and EASI: plausible draws (EASI by IGA), calibrated
    iga3 = ev["BLIGA"].to_numpy() == 3
    bsa0 = 3 + r[4].gamma(1.5, 4.2, len(ev))
    df["BLBSA"] = np.nan
    df.loc[ev.index, "BLBSA"] = _calibrate_tenths(ev, masks, r[4], T.T1_BSA, bsa0, 3.0, 20.0, "BSA")
    df.loc[ne, "BLBSA"] = np.clip(3 + r[4].gamma(1.5, 4.2, ne.sum()), 3, 20).round(1)
    easi0 = np.where(iga3, 1.5 + r[5].gamma(2.6, 2.8, len(ev)), 0.8 + r[5].gamma(2.2, 2.3, len(ev)))
    df["BLEASI"] = np.nan
    df.loc[ev.index, "BLEASI"] = _calibrate_tenths(ev, masks, r[5], T.T1_EASI, easi0, 0.5, 40.0, "EASI")
    df.loc[ne, "BLEASI"] = np.clip(1 + r[5].gamma(2.5, 2.8, ne.sum()), 0.5, 40).round(1)
    # baseline itch: diary sums over the non-missing days of days -7..-1
    k0 = df["ITCH_K0"].to_numpy()
    df["ITCH_S0"] = 0
    df.loc[ev.index, "ITCH_S0"] = _calibrate_itch(ev, masks, r[6], k0[ev.index.to_numpy()])
    df.loc[ne, "ITCH_S0"] = np.round(10 * r[6].beta(2.3, 2.2, ne.sum()) * k0[ne]).astype(int)
    df["BLITCH"] = df["ITCH_S0"] / df["ITCH_K0"]
    # disease duration (onset dates, some partial)
    day1 = df["DAY1"].to_numpy().astype("datetime64[D]")
    dd, kind = _calibrate_duration(ev, masks, r[7], age_ev, day1[ev.index.to_numpy()])
    df["DUR_DAYS"] = 0
    df["ONSET_KIND"] = 0
    df.loc[ev.index, "DUR_DAYS"] = dd
    df.loc[ev.index, "ONSET_KIND"] = kind
    age_ne = df.loc[ne, "AGE"].to_numpy()
    df.loc[ne, "DUR_DAYS"] = np.round(r[7].beta(2, 2.2, ne.sum()) * age_ne * 365.25).astype(int) + 30
    df["NFLARE"] = 0
    df.loc[ev.index, "NFLARE"] = _calibrate_flares(ev, masks, r[8])
    df.loc[ne, "NFLARE"] = r[8].negative_binomial(0.7, 0.7 / 5.7, ne.sum())
    # outcomes
    _outcomes(df, r[9])
    return df


def _outcomes(df: pd.DataFrame, rng) -> None:
    """Week 8 responses per subject: exact for non-achievers, plausible for everybody else."""
    n = len(df)
    for c in ("R_EASI50", "R_NRS2", "R_QOLR", "R_IGA1"):
        df[c] = False
    df["QOL_BL_OK"] = True
    for arm in T.ARMS:
        na = df[(df["CLASS"] == "NA") & (df["ARM8"] == arm)]
        flags = _component_flags(na, arm, rng)
        for c in flags.columns:
            df.loc[flags.index, c] = flags[c]
    other = df["CLASS"] != "NA"
    active = df["ARM8"] != "VEH"
    ts = (df["CLASS"] == "TS").to_numpy()
    p_easi = np.where(ts, 0.93, np.where(active, 0.55, 0.3))
    p_nrs = np.where(ts, 0.75, np.where(active, 0.5, 0.3))
    p_qol = np.where(ts, 0.7, np.where(active, 0.5, 0.35))
    o = other.to_numpy()
    df.loc[o, "R_EASI50"] = rng.random(o.sum()) < p_easi[o]
    df.loc[o, "R_NRS2"] = (rng.random(o.sum()) < p_nrs[o]) & (df.loc[o, "BLITCH"].to_numpy() >= 2)
    df.loc[o, "R_QOLR"] = rng.random(o.sum()) < p_qol[o]
    df.loc[o, "QOL_BL_OK"] = rng.random(o.sum()) > 0.02
    # Week 8 IGA
    b = df["BLIGA"].to_numpy()
    w8 = np.full(n, -1)
    w8[ts] = np.where(b[ts] == 2, 0, rng.choice([0, 1], size=ts.sum(), p=[0.4, 0.6]))
    na = (df["CLASS"] == "NA").to_numpy()
    r1 = df["R_IGA1"].to_numpy()
    worse2 = rng.choice([2, 3, 4], size=n, p=[0.72, 0.24, 0.04])
    worse3 = rng.choice([3, 4], size=n, p=[0.86, 0.14])
    w8[na] = np.where(r1[na], b[na] - 1, np.where(b[na] == 2, worse2[na], worse3[na]))
    # non-evaluable subjects: plausible outcomes on the same rules, not calibrated
    ne = (df["CLASS"] == "NE").to_numpy()
    ne_obs = ne & (rng.random(n) < 0.88)
    ne_ts = ne_obs & (rng.random(n) < np.where(df["ARM8"] == "VEH", 0.12, 0.48))
    w8[ne_ts] = np.where(b[ne_ts] == 2, 0, 1)
    ne_na = ne_obs & ~ne_ts
    w8[ne_na] = np.where(rng.random(n) < 0.4, b - 1, b)[ne_na]
    df["W8IGA"] = w8
    df.loc[ne, "R_EASI50"] = rng.random(ne.sum()) < 0.5
    df.loc[ne, "R_NRS2"] = (rng.random(ne.sum()) < 0.4) & (df.loc[ne, "BLITCH"].to_numpy() >= 2)
    df.loc[ne, "R_QOLR"] = rng.random(ne.sum()) < 0.4
    # how the Week 8 IGA came to be missing: discontinued, missed the visit, visit out of window
    miss = ((df["CLASS"] == "MISS") | (ne & ~ne_obs)).to_numpy()
    how = rng.choice(["DISC", "SKIP", "LATE"], size=n, p=[0.62, 0.26, 0.12])
    df["W8MISS"] = np.where(miss, how, "")
