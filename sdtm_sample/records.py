"""Raw SDTM records from subject profiles: visits, daily diaries, questionnaire items, dates.

Everything here is vectorised over subjects (numpy arrays of shape subjects x days or
subjects x items), so ``--scale 100`` (about 125,000 subjects, ten million diary records) takes
seconds, not hours. The values a correct derivation must find (baseline and Week 8 scores, the
diary sums of the baseline and Week 8 windows, questionnaire totals) come from the profile; the
rest is noise around them, including records that a wrong rule would pick up: diary days before
the baseline window, an unscheduled visit nearer the Week 8 target than the scheduled one, a tie,
a Week 8 visit outside its window, a baseline assessment not done on Day 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import targets as T

DIARY_FIRST = -9  # some diaries start before the baseline window (days -7..-1)
DIARY_LAST = 60
BL_WINDOW = np.arange(-7, 0)
W8_WINDOW = np.arange(50, 57)

VISITS = {
    1: "SCREENING",
    2: "BASELINE",
    3: "WEEK 2",
    4: "WEEK 4",
    5: "WEEK 8",
    6: "WEEK 12",
    7: "WEEK 16",
    8: "WEEK 20",
    9: "WEEK 28",
    10: "WEEK 36",
    11: "WEEK 44",
    12: "WEEK 52",
    99: "EARLY TERMINATION",
}
LTS_DAYS = {6: 85, 7: 113, 8: 141, 9: 197, 10: 253, 11: 309, 12: 365}
TRT = {"VEH": ("VEHICLE CREAM", 0.0), "RUX075": ("RUXOLITINIB CREAM", 0.75), "RUX15": ("RUXOLITINIB CREAM", 1.5)}
DLQI_ITEMS = [
    "Itchy, Sore, Painful, Stinging",
    "Embarrassed, Self Conscious",
    "Interfered Shopping, Home, Yard",
    "Influenced Clothes You Wear",
    "Affected Social, Leisure Activity",
    "Made It Difficult to Do Any Sport",
    "Prevented Working or Studying",
    "Problem With Partner, Friends, Relative",
    "Caused Any Sexual Difficulties",
    "How Much a Problem Was the Treatment",
]
CDLQI_ITEMS = [
    "Itchy, Scratchy, Sore or Painful",
    "Embarrassed, Self Conscious, Upset, Sad",
    "Affected Friendships",
    "Changed or Worn Different Clothes/Shoes",
    "Affected Going Out, Playing, Hobbies",
    "Avoided Swimming or Other Sports",
    "Affected School Work or Holidays",
    "Bothered by Name-calling, Teasing",
    "Affected Your Sleep",
    "How Much a Problem Was the Treatment",
]


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def _date(day1: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Calendar date of study day ``day`` (no day 0: day -1 is the day before day 1)."""
    day = np.asarray(day)
    off = np.where(day > 0, day - 1, day)
    return day1 + off.astype("timedelta64[D]")


def iso(d: np.ndarray) -> np.ndarray:
    """ISO 8601 text of a datetime64[D] array."""
    return np.datetime_as_string(d.astype("datetime64[D]"), unit="D")


def iso_objects(d: np.ndarray) -> np.ndarray:
    """:func:`iso` as an object array: each distinct date's text made once and shared (a
    fixed-width text array of ten million dates would take 400 MB)."""
    d = np.asarray(d).astype("datetime64[D]")
    u, inv = np.unique(d.ravel(), return_inverse=True)
    return iso(u).astype(object)[inv].reshape(d.shape)


def _texts(v: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """``np.where(missing, "", v.astype(str))`` as an object array: each distinct value's text
    made once and shared."""
    u, inv = np.unique(v, return_inverse=True)
    txt = u.astype(str).astype(object)
    txt = np.append(txt, "")
    return txt[np.where(missing, len(u), inv.ravel())]


def fill_sums(rng, sums: np.ndarray, present: np.ndarray, hi: int) -> np.ndarray:
    """Integers in ``0..hi`` on the ``present`` cells of each row, adding up to ``sums``.

    Starts level (the sum spread as evenly as possible over random cells) and then moves points
    between random pairs of cells of a row, so rows look like real scores, not constants.
    """
    n, m = present.shape
    k = present.sum(axis=1)
    safe_k = np.maximum(k, 1)
    q = sums // safe_k
    r = sums % safe_k
    keys = np.where(present, rng.random((n, m)), 2.0)
    rank = np.argsort(np.argsort(keys, axis=1), axis=1)
    vals = np.where(present, q[:, None] + (rank < r[:, None]), 0).astype(np.int64)
    rows = np.arange(n)
    for _ in range(3):
        keys = np.where(present, rng.random((n, m)), 2.0)
        order = np.argsort(keys, axis=1)
        a, b = order[:, 0], order[:, 1]
        ok = k >= 2
        delta = rng.integers(0, 3, n)
        delta = np.minimum(delta, np.minimum(hi - vals[rows, a], vals[rows, b]))
        delta = np.where(ok, delta, 0)
        vals[rows, a] += delta
        vals[rows, b] -= delta
    assert (np.where(present, vals, 0).sum(axis=1) == np.where(k > 0, sums, 0)).all()
    return vals


def _choose_k(rng, n: int, values, p) -> np.ndarray:
    return rng.choice(np.asarray(values), size=n, p=p)


# ---------------------------------------------------------------------------------------------
# the subject timeline
# ---------------------------------------------------------------------------------------------
def timeline(prof: pd.DataFrame, rng) -> pd.DataFrame:
    """Visit days, discontinuations, period-2 arms and the Week 8 record design per subject."""
    n = len(prof)
    t = pd.DataFrame(index=prof.index)
    t["SCRDY"] = -rng.integers(7, 29, n)
    t["W2DY"] = 15 + rng.integers(-3, 4, n)
    t["W4DY"] = 29 + rng.integers(-4, 5, n)
    w8 = 57 + rng.integers(-5, 6, n)
    miss = prof["W8MISS"].to_numpy()
    disc = miss == "DISC"
    t["DISCDY"] = np.where(disc, rng.integers(8, 43, n), 0)
    w8 = np.where(miss == "LATE", rng.integers(72, 79, n), w8)
    w8 = np.where(disc | (miss == "SKIP"), 0, w8)
    # unscheduled visits in the Week 8 window: U1 farther than scheduled (scheduled chosen),
    # U2 nearer (the unscheduled record is chosen), U3 a tie (the later, scheduled one, is chosen)
    obs = prof["W8IGA"].to_numpy() >= 0
    obs &= miss == ""
    u = rng.random(n)
    design = np.where(obs & (u < 0.02), "U1", np.where(obs & (u < 0.03), "U2", np.where(obs & (u < 0.036), "U3", "")))
    t["W8DESIGN"] = design
    w8 = np.where(design == "U1", 57 + rng.integers(-2, 3, n), w8)
    w8 = np.where(design == "U2", rng.integers(67, 71, n), w8)
    w8 = np.where(design == "U3", 60, w8)
    t["UNSDY"] = np.select(
        [design == "U1", design == "U2", design == "U3"],
        [rng.integers(44, 48, n), rng.integers(55, 59, n), np.full(n, 54)],
        0,
    )
    t["W8DY"] = w8
    # an unscheduled visit in the Week 2 window, farther from target than the scheduled one
    t["UNS2DY"] = np.where((rng.random(n) < 0.03) & ~disc, 20 + rng.integers(0, 2, n), 0)
    # visits attended before discontinuation
    t["HASW2"] = ~disc | (t["DISCDY"] > t["W2DY"])
    t["HASW4"] = ~disc | (t["DISCDY"] > t["W4DY"])
    t["UNS2DY"] = np.where(t["UNS2DY"] > 0, np.where(t["HASW2"], t["UNS2DY"], 0), 0)
    # long-term period: who goes on, who stops, re-randomization of vehicle
    goes_on = ~disc
    t["LTSDISCDY"] = np.where(goes_on & (rng.random(n) < 0.14), rng.integers(90, 350, n), 0)
    p2 = prof["ARM8"].to_numpy().astype(object).copy()
    veh = prof["ARM8"].to_numpy() == "VEH"
    p2[veh] = np.where(rng.random(n) < 0.5, "RUX075", "RUX15")[veh]
    t["ARM2"] = np.where(goes_on, p2, "")
    t["P2STDY"] = np.where(goes_on, np.where(w8 > 0, np.minimum(w8, 71), 57), 0)
    t["DIARYFIRST"] = np.where(rng.random(n) < 0.12, DIARY_FIRST, -7)
    t["DIARYLAST"] = np.where(disc, t["DISCDY"], DIARY_LAST)
    return t


# ---------------------------------------------------------------------------------------------
# domains
# ---------------------------------------------------------------------------------------------
def build_ids(prof: pd.DataFrame) -> pd.DataFrame:
    """STUDYID, SITEID, SUBJID, USUBJID; SUBJID is a 5-digit number within study."""
    ids = prof[["STUDYID", "SITEID"]].copy()
    order = np.lexsort((np.arange(len(prof)), prof["STUDYID"].to_numpy()))
    num = np.empty(len(prof), dtype=np.int64)
    st = prof["STUDYID"].to_numpy()[order]
    first = np.r_[True, st[1:] != st[:-1]]
    grp_start = np.maximum.accumulate(np.where(first, np.arange(len(st)), 0))
    num[order] = np.arange(len(st)) - grp_start + 1
    ids["SUBJID"] = [f"{x:05d}" for x in num]
    ids["USUBJID"] = ids["STUDYID"] + "-" + ids["SITEID"] + "-" + ids["SUBJID"]
    return ids


def make_dm(prof, ids, t, rng, day1, last_dose, last_contact) -> pd.DataFrame:
    n = len(prof)
    arm8 = prof["ARM8"].to_numpy()
    arm2 = t["ARM2"].to_numpy()
    armcd = np.where((arm8 == "VEH") & (arm2 != ""), "VEH-" + arm2.astype(str), arm8)
    arm = np.array([T.ARM_LABEL[a] for a in arm8], dtype=object)
    veh2 = (arm8 == "VEH") & (arm2 != "")
    arm[veh2] = [f"{T.ARM_LABEL['VEH']}, then {T.ARM_LABEL[a]}" for a in arm2[veh2]]
    scr = _date(day1, t["SCRDY"].to_numpy())
    eth = rng.choice(["NOT HISPANIC OR LATINO", "HISPANIC OR LATINO", "NOT REPORTED"], size=n, p=[0.87, 0.11, 0.02])
    return pd.DataFrame(
        {
            "STUDYID": ids["STUDYID"].to_numpy(),
            "DOMAIN": "DM",
            "USUBJID": ids["USUBJID"].to_numpy(),
            "SUBJID": ids["SUBJID"].to_numpy(),
            "RFSTDTC": iso(day1),
            "RFENDTC": iso(last_contact),
            "RFXSTDTC": iso(day1),
            "RFXENDTC": iso(last_dose),
            "RFICDTC": iso(scr),
            "SITEID": ids["SITEID"].to_numpy(),
            "AGE": prof["AGE"].to_numpy().astype(float),
            "AGEU": "YEARS",
            "SEX": prof["SEXF"].to_numpy(),
            "RACE": prof["RACE"].to_numpy(),
            "ETHNIC": eth,
            "ARMCD": armcd,
            "ARM": arm,
            "ACTARMCD": armcd,
            "ACTARM": arm,
            "COUNTRY": prof["COUNTRY"].to_numpy(),
            "DMDTC": iso(scr),
        }
    )


def _long(ids, cols: dict[str, np.ndarray], mask: np.ndarray | None = None) -> pd.DataFrame:
    """A long frame from per-subject arrays (n,) or (n, m) blocks, keeping cells where mask."""
    shapes = [np.asarray(v).shape for v in cols.values() if np.ndim(v) == 2]
    m = shapes[0][1] if shapes else 1
    n = len(ids)
    if mask is None:
        mask = np.ones((n, m), dtype=bool)
    rows, cidx = np.nonzero(mask.reshape(n, m))
    out = {"USUBJID": ids["USUBJID"].to_numpy()[rows]}
    for k, v in cols.items():
        v = np.asarray(v)
        if v.ndim == 0:  # a constant: one shared object per row, not a fixed-width copy of its text
            out[k] = np.full(len(rows), v.item(), dtype=object) if v.dtype.kind == "U" else np.repeat(v, len(rows))
        elif v.ndim == 1 and v.shape[0] == n:
            out[k] = v[rows]
        elif v.ndim == 1 and v.shape[0] == m:
            out[k] = v[cidx]
        else:
            out[k] = v.reshape(n, m)[rows, cidx]
    return pd.DataFrame(out)


def _itch(prof, t, rng):
    """Daily itch scores, subjects x days (NaN where no score), and QSSTAT NOT DONE cells."""
    n = len(prof)
    days = np.r_[np.arange(DIARY_FIRST, 0), np.arange(1, DIARY_LAST + 1)]
    m = len(days)
    col = {d: j for j, d in enumerate(days)}
    first, last = t["DIARYFIRST"].to_numpy(), t["DIARYLAST"].to_numpy()
    in_range = (days[None, :] >= first[:, None]) & (days[None, :] <= last[:, None])
    base = prof["BLITCH"].to_numpy()
    s0, k0 = prof["ITCH_S0"].to_numpy(), prof["ITCH_K0"].to_numpy()
    # Week 8 diary window design
    miss = prof["W8MISS"].to_numpy()
    has_w8_diary = miss != "DISC"
    na = (prof["CLASS"] == "NA").to_numpy()
    nrs_ok = base >= 2
    resp = prof["R_NRS2"].to_numpy() & nrs_ok
    # NRI: some evaluable non-responders have fewer than 4 diary days in days 50-56
    few = has_w8_diary & ~resp & (rng.random(n) < np.where(na & nrs_ok, 0.07, 0.04))
    k8 = np.where(few, rng.integers(0, 4, n), _choose_k(rng, n, [7, 6, 5, 4], [0.8, 0.13, 0.05, 0.02]))
    k8 = np.where(has_w8_diary, k8, 0)
    ub = base - 2.0
    # responders: mean <= base - 2 (clear of the boundary unless it is exactly 0)
    tgt_r = np.maximum(ub - rng.uniform(0.05, 2.5, n), 0)
    s8_r = np.floor(np.minimum(tgt_r, ub - 0.01) * k8)
    s8_r = np.where(ub < 0.01, 0, np.maximum(s8_r, 0))
    # non-responders: mean > base - 2
    tgt_n = np.clip(ub + rng.uniform(0.3, 4.0, n), 0, 10)
    s8_n = np.ceil(np.maximum(tgt_n, ub + 0.01) * k8)
    s8 = np.where(resp, s8_r, np.minimum(s8_n, 10 * k8)).astype(np.int64)
    w8mean = np.where(k8 > 0, s8 / np.maximum(k8, 1), np.clip(base - 1.5, 0, 10))
    assert (np.where(resp & (k8 >= 4), (s8 / np.maximum(k8, 1)) - base <= -2 + 1e-12, True)).all()
    assert (np.where(~resp & nrs_ok & (k8 >= 4), (s8 / np.maximum(k8, 1)) - base > -2 + 0.005, True)).all()
    # background trajectory
    frac = np.clip((days - 1) / 55.0, 0, 1)
    traj = base[:, None] + (w8mean - base)[:, None] * frac[None, :]
    vals = np.clip(np.rint(traj + rng.normal(0, 0.9, (n, m))), 0, 10).astype(np.int64)
    present = in_range & (rng.random((n, m)) > 0.06)
    # before the baseline window: deliberately far from the baseline mean
    early = days < -7
    vals[:, early] = np.clip(np.rint(base[:, None] + 3.0 + rng.normal(0, 0.5, (n, early.sum()))), 0, 10)
    # exact windows
    for window, k, s in ((BL_WINDOW, k0, s0), (W8_WINDOW, k8, s8)):
        cols = [col[d] for d in window]
        keys = rng.random((n, len(cols)))
        rank = np.argsort(np.argsort(keys, axis=1), axis=1)
        pres = rank < k[:, None]
        pres &= in_range[:, cols]
        if window is BL_WINDOW:
            assert (pres.sum(axis=1) == k).all()
        vals[:, cols] = fill_sums(rng, np.where(pres.sum(axis=1) == k, s, 0), pres, 10)
        present[:, cols] = pres
    not_done = in_range & ~present & (rng.random((n, m)) < 0.4)
    return days, vals, present, not_done, w8mean


def make_qs(prof, ids, t, rng, day1, instrument_dates) -> pd.DataFrame:
    n = len(prof)
    days, vals, present, not_done, _ = _itch(prof, t, rng)
    keep = present | not_done
    dates = _date(day1[:, None], np.broadcast_to(days, (n, len(days))))
    sval = np.where(present, vals, -1)
    diary = _long(
        ids,
        {
            "QSCAT": np.array("ITCH NRS"),
            "QSTESTCD": np.array("ITCHNRS"),
            "QSTEST": np.array("Worst Itch NRS in Past 24 Hours"),
            "_V": sval,
            "QSDTC": iso_objects(dates),
        },
        keep,
    )
    diary["VISITNUM"] = np.nan
    diary["VISIT"] = ""
    qol = _qol(prof, ids, t, rng, instrument_dates)
    qs = pd.concat([diary, qol], ignore_index=True)
    v = qs.pop("_V").to_numpy()
    done = v >= 0
    qs["QSORRES"] = _texts(v, ~done)
    qs["QSSTRESC"] = qs["QSORRES"]
    qs["QSSTRESN"] = np.where(done, v, np.nan).astype(float)
    qs["QSSTAT"] = np.array(["NOT DONE", ""], dtype=object)[done.astype(np.intp)]
    return qs


def _qol(prof, ids, t, rng, visit_dates) -> pd.DataFrame:
    """DLQI (age >= 16) or CDLQI (12-15) items at baseline and Week 8."""
    n = len(prof)
    cdlqi = prof["AGE"].to_numpy() < 16
    thr = np.where(cdlqi, 6, 4)
    resp = prof["R_QOLR"].to_numpy()
    bl_ok = prof["QOL_BL_OK"].to_numpy()
    b = np.clip(np.rint(rng.gamma(2.2, 4.2, n)), 0, 27).astype(np.int64)  # <= 27: one item may be missing
    b = np.where(resp & bl_ok & (b < thr), thr + rng.integers(0, 9, n), b)
    gain = rng.integers(0, np.maximum(b - thr, 0) + 1)
    w_resp = b - thr - gain
    delta = rng.integers(-3, thr)  # change < thr
    w_non = np.clip(b - delta, 0, 27)
    w = np.where(resp & bl_ok, w_resp, w_non)
    assert ((b - w >= thr) == (resp & bl_ok))[bl_ok].all()
    na = (prof["CLASS"] == "NA").to_numpy()
    miss = prof["W8MISS"].to_numpy()
    w8_done = (miss == "") | (miss == "LATE")
    w8_na = w8_done & ~(resp & bl_ok) & (rng.random(n) < np.where(na, 0.04, 0.03))  # total missing at W8
    # items: one missing item (scored 0) on some forms; two or three on the missing totals
    frames = []
    for visit, total, dates, mask, n_missing in (
        (
            2,
            b,
            visit_dates[2],
            np.ones(n, dtype=bool),
            np.where(~bl_ok, rng.integers(2, 4, n), (rng.random(n) < 0.05).astype(int)),
        ),
        (5, w, visit_dates[5], w8_done, np.where(w8_na, rng.integers(2, 4, n), (rng.random(n) < 0.05).astype(int))),
    ):
        keys = rng.random((n, 10))
        rank = np.argsort(np.argsort(keys, axis=1), axis=1)
        missing_item = rank < n_missing[:, None]
        items = fill_sums(
            rng, np.where(n_missing >= 2, np.minimum(total, 3 * (10 - n_missing)), total), ~missing_item, 3
        )
        items = np.where(missing_item, -1, items)
        testcd = np.where(
            cdlqi[:, None],
            np.array([f"CDLQI{i:02d}" for i in range(1, 11)])[None, :],
            np.array([f"DLQI{i:02d}" for i in range(1, 11)])[None, :],
        )
        test = np.where(
            cdlqi[:, None],
            np.array([f"CDLQI{i:02d}-{x}"[:40] for i, x in enumerate(CDLQI_ITEMS, 1)])[None, :],
            np.array([f"DLQI{i:02d}-{x}"[:40] for i, x in enumerate(DLQI_ITEMS, 1)])[None, :],
        )
        cat = np.where(cdlqi, "CDLQI", "DLQI")
        keep = np.broadcast_to(mask[:, None], (n, 10))
        f = _long(ids, {"QSCAT": cat, "QSTESTCD": testcd, "QSTEST": test, "_V": items, "QSDTC": iso(dates)}, keep)
        f["VISITNUM"] = float(visit)
        f["VISIT"] = VISITS[visit]
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    return out


def _w8_values(prof, rng):
    """Week 8 EASI and BSA of the record the Week 8 window selects."""
    n = len(prof)
    b10 = np.rint(prof["BLEASI"].to_numpy() * 10).astype(np.int64)
    resp = prof["R_EASI50"].to_numpy()
    ts = (prof["CLASS"] == "TS").to_numpy()
    u = np.where(resp, np.where(ts, rng.uniform(0.7, 1.0, n), rng.uniform(0.52, 1.0, n)), rng.uniform(-0.35, 0.47, n))
    w10 = np.rint(b10 * (1 - u)).astype(np.int64)
    w10 = np.where(resp, np.minimum(w10, (b10 - 1) // 2), np.maximum(w10, (b10 + 2) // 2))
    w10 = np.clip(w10, 0, 720)
    bsa = prof["BLBSA"].to_numpy()
    wbsa = np.clip(np.round(bsa * (1 - np.clip(u, -0.3, 1) * 0.85) + rng.normal(0, 0.4, n), 1), 0, 100)
    return w10 / 10.0, wbsa


def make_rs(prof, ids, t, rng, day1) -> pd.DataFrame:
    """IGA, EASI and BSA at every attended visit; Week 8 values on the record the window selects."""
    n = len(prof)
    b_iga = prof["BLIGA"].to_numpy().astype(float)
    b_easi = prof["BLEASI"].to_numpy()
    b_bsa = prof["BLBSA"].to_numpy()
    w8_iga = prof["W8IGA"].to_numpy().astype(float)
    w8_easi, w8_bsa = _w8_values(prof, rng)
    miss = prof["W8MISS"].to_numpy()
    # subjects with no Week 8 value: a plausible trajectory for their other visits
    plaus_iga = np.where(w8_iga >= 0, w8_iga, np.clip(b_iga - rng.integers(0, 2, n), 0, 4))
    design = t["W8DESIGN"].to_numpy()
    disc = miss == "DISC"
    # (visitnum, day array, attended mask, iga, easi, bsa, not-done masks by test or None)
    visits: list[tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray] | None]]
    visits = []

    def interp(day, b, w, noise, lo, hi, dec):
        f = np.clip((np.asarray(day) - 1) / 56.0, 0, 1.2)
        return np.clip(np.round(b + (w - b) * f + rng.normal(0, noise, n), dec), lo, hi)

    # screening: the baseline value, or close to it
    bl_nd = {k: rng.random(n) < 0.015 for k in ("IGA", "EASI", "BSA")}
    scr_iga = np.where(bl_nd["IGA"] | (rng.random(n) < 0.9), b_iga, 5 - b_iga)
    scr_easi = np.where(bl_nd["EASI"], b_easi, np.clip(np.round(b_easi * (1 + rng.normal(0, 0.12, n)), 1), 0.3, 72))
    scr_bsa = np.where(bl_nd["BSA"], b_bsa, np.clip(np.round(b_bsa * (1 + rng.normal(0, 0.1, n)), 1), 3, 100))
    visits.append((1.0, t["SCRDY"].to_numpy(), np.ones(n, bool), scr_iga, scr_easi, scr_bsa, None))
    visits.append((2.0, np.ones(n, dtype=np.int64), np.ones(n, bool), b_iga, b_easi, b_bsa, bl_nd))
    w_e = np.where(w8_iga >= 0, w8_easi, b_easi * 0.8)
    w_b = np.where(w8_iga >= 0, w8_bsa, b_bsa * 0.85)
    for vn, day, att in (
        (3.0, t["W2DY"].to_numpy(), t["HASW2"].to_numpy()),
        (3.1, t["UNS2DY"].to_numpy(), t["UNS2DY"].to_numpy() > 0),
        (4.0, t["W4DY"].to_numpy(), t["HASW4"].to_numpy()),
        (99.0, t["DISCDY"].to_numpy(), disc),
    ):
        visits.append(
            (
                vn,
                day,
                att,
                np.rint(interp(day, b_iga, plaus_iga, 0.35, 0, 4, 0)),
                interp(day, b_easi, w_e, 0.6, 0, 72, 1),
                interp(day, b_bsa, w_b, 0.5, 0, 100, 1),
                None,
            )
        )
    # Week 8: scheduled (5) and unscheduled (4.1) records; the window picks one, the other is a decoy
    decoy_iga = np.where(w8_iga >= 3, w8_iga - 1, w8_iga + 1)
    decoy_easi = np.round(w8_easi + 2.5 + b_easi * 0.3, 1)
    decoy_bsa = np.round(w8_bsa + 1.5, 1)
    uns_selected = design == "U2"
    sched = t["W8DY"].to_numpy() > 0
    late = miss == "LATE"
    late_iga = np.clip(plaus_iga, 0, 4)
    s_iga = np.where(uns_selected, decoy_iga, np.where(late, late_iga, w8_iga))
    s_easi = np.where(uns_selected, decoy_easi, np.where(late, w_e, w8_easi))
    s_bsa = np.where(uns_selected, decoy_bsa, np.where(late, w_b, w8_bsa))
    u_iga = np.where(uns_selected, w8_iga, decoy_iga)
    u_easi = np.where(uns_selected, w8_easi, decoy_easi)
    u_bsa = np.where(uns_selected, w8_bsa, decoy_bsa)
    # a few non-achievers without EASI at Week 8 (their EASI-50 is imputed as non-response)
    easi_nd = np.zeros(n, dtype=bool)
    for arm in T.ARMS:
        cand = np.flatnonzero(
            (prof["CLASS"].to_numpy() == "NA")
            & (prof["ARM8"].to_numpy() == arm)
            & ~prof["R_EASI50"].to_numpy()
            & (design == "")
        )
        easi_nd[rng.choice(cand, min(2, len(cand)), replace=False)] = True
    visits.append((4.1, t["UNSDY"].to_numpy(), t["UNSDY"].to_numpy() > 0, u_iga, u_easi, u_bsa, None))
    visits.append(
        (
            5.0,
            t["W8DY"].to_numpy(),
            sched,
            s_iga,
            s_easi,
            s_bsa,
            {"IGA": np.zeros(n, bool), "EASI": easi_nd, "BSA": np.zeros(n, bool)},
        )
    )
    lts = (t["ARM2"].to_numpy() != "") & ((t["LTSDISCDY"].to_numpy() == 0) | (t["LTSDISCDY"].to_numpy() > 88))
    d12 = LTS_DAYS[6] + rng.integers(-3, 4, n)
    visits.append(
        (
            6.0,
            d12,
            lts,
            np.clip(plaus_iga - (rng.random(n) < 0.3), 0, 4),
            np.clip(np.round(w_e * 0.9, 1), 0, 72),
            np.clip(np.round(w_b * 0.9, 1), 0, 100),
            None,
        )
    )
    frames = []
    for vn, day, att, iga, easi, bsa, nd in visits:
        date = iso(_date(day1, day))
        for code, test, val, fmt in (
            ("IGA", "Investigator's Global Assessment", iga, "{:.0f}"),
            ("EASI", "Eczema Area and Severity Index Score", easi, "{:.1f}"),
            ("BSA", "Body Surface Area Affected", bsa, "{:.1f}"),
        ):
            notdone = nd[code] if nd is not None else np.zeros(n, bool)
            f = _long(
                ids,
                {
                    "RSTESTCD": np.array(code),
                    "RSTEST": np.array(test),
                    "_V": np.where(notdone, np.nan, val),
                    "VISITNUM": np.full(n, vn),
                    "RSDTC": date,
                },
                att[:, None],
            )
            f["_FMT"] = fmt
            frames.append(f)
    rs = pd.concat(frames, ignore_index=True)
    v = rs.pop("_V").to_numpy(dtype=float)
    fmt = rs.pop("_FMT").to_numpy()
    done = ~np.isnan(v)
    txt = np.where(fmt == "{:.0f}", np.char.mod("%.0f", np.nan_to_num(v)), np.char.mod("%.1f", np.nan_to_num(v)))
    rs["RSCAT"] = np.where(rs["RSTESTCD"] == "IGA", "IGA", np.where(rs["RSTESTCD"] == "EASI", "EASI", "BSA"))
    rs["RSORRES"] = np.where(done, txt, "")
    rs["RSSTRESC"] = rs["RSORRES"]
    rs["RSSTRESN"] = v
    rs["RSSTAT"] = np.where(done, "", "NOT DONE")
    rs["RSEVAL"] = "INVESTIGATOR"
    rs["VISIT"] = visit_names(rs["VISITNUM"].to_numpy())
    return rs


def visit_names(vn: np.ndarray) -> np.ndarray:
    """VISIT text for VISITNUM values (unscheduled x.y -> ``UNSCHEDULED x.y``)."""
    out = np.empty(len(vn), dtype=object)
    for v in np.unique(vn):
        name = VISITS.get(int(v)) if float(v).is_integer() else f"UNSCHEDULED {v:.1f}"
        out[vn == v] = name
    return out


def make_sv(rs: pd.DataFrame, t, ids, day1) -> pd.DataFrame:
    """Subject visits: every visit with an assessment, plus the later long-term visits."""
    sv = rs.groupby(["USUBJID", "VISITNUM"], as_index=False, sort=False)["RSDTC"].first()
    sv = sv.rename(columns={"RSDTC": "SVSTDTC"})
    lts_rows = []
    ltsdisc = t["LTSDISCDY"].to_numpy()
    on = t["ARM2"].to_numpy() != ""
    for vn, day in LTS_DAYS.items():
        if vn == 6:
            continue
        att = on & ((ltsdisc == 0) | (ltsdisc > day))
        lts_rows.append(
            _long(
                ids,
                {"VISITNUM": np.full(len(ids), float(vn)), "SVSTDTC": iso(_date(day1, np.full(len(ids), day)))},
                att[:, None],
            )
        )
    sv = pd.concat([sv, *lts_rows], ignore_index=True)
    sv["SVENDTC"] = sv["SVSTDTC"]
    sv["VISIT"] = visit_names(sv["VISITNUM"].to_numpy())
    return sv


def make_ex(prof, ids, t, day1):
    arm8 = prof["ARM8"].to_numpy()
    arm2 = t["ARM2"].to_numpy()
    disc = t["DISCDY"].to_numpy() > 0
    p1_end = np.where(disc, t["DISCDY"].to_numpy(), t["P2STDY"].to_numpy() - 1)
    p2_start = t["P2STDY"].to_numpy()
    p2_end = np.where(t["LTSDISCDY"].to_numpy() > 0, t["LTSDISCDY"].to_numpy(), LTS_DAYS[12])
    f1 = _long(
        ids,
        {
            "EXTRT": np.array([TRT[a][0] for a in arm8]),
            "EXDOSE": np.array([TRT[a][1] for a in arm8]),
            "EPOCH": np.array("BLINDED TREATMENT"),
            "EXSTDTC": iso(day1),
            "EXENDTC": iso(_date(day1, p1_end)),
        },
    )
    on = arm2 != ""
    safe2 = np.where(on, arm2, "VEH")
    f2 = _long(
        ids,
        {
            "EXTRT": np.array([TRT[a][0] for a in safe2]),
            "EXDOSE": np.array([TRT[a][1] for a in safe2]),
            "EPOCH": np.array("CONTINUATION TREATMENT"),
            "EXSTDTC": iso(_date(day1, p2_start)),
            "EXENDTC": iso(_date(day1, p2_end)),
        },
        on[:, None],
    )
    ex = pd.concat([f1, f2], ignore_index=True)
    ex["EXDOSU"] = "%"
    ex["EXDOSFRM"] = "CREAM"
    ex["EXDOSFRQ"] = "BID"
    ex["EXROUTE"] = "TOPICAL"
    last_dose = _date(day1, np.where(on, p2_end, p1_end))
    return ex, last_dose


def make_ds(prof, ids, t, rng, day1):
    n = len(prof)
    reasons = np.array(
        ["ADVERSE EVENT", "WITHDRAWAL BY SUBJECT", "LOST TO FOLLOW-UP", "LACK OF EFFICACY", "PHYSICIAN DECISION"]
    )
    disc = t["DISCDY"].to_numpy() > 0
    r1 = rng.choice(reasons, size=n, p=[0.25, 0.35, 0.2, 0.12, 0.08])
    r2 = rng.choice(reasons, size=n, p=[0.2, 0.4, 0.25, 0.1, 0.05])
    on = t["ARM2"].to_numpy() != ""
    ltsdisc = t["LTSDISCDY"].to_numpy() > 0
    p1_day = np.where(disc, t["DISCDY"].to_numpy(), t["P2STDY"].to_numpy() - 1)
    p2_day = np.where(ltsdisc, t["LTSDISCDY"].to_numpy(), LTS_DAYS[12])
    scr = _date(day1, t["SCRDY"].to_numpy())
    frames = [
        _long(
            ids,
            {
                "DSTERM": np.array("INFORMED CONSENT OBTAINED"),
                "DSDECOD": np.array("INFORMED CONSENT OBTAINED"),
                "DSCAT": np.array("PROTOCOL MILESTONE"),
                "EPOCH": np.array("SCREENING"),
                "DSSTDTC": iso(scr),
            },
        ),
        _long(
            ids,
            {
                "DSTERM": np.array("RANDOMIZED"),
                "DSDECOD": np.array("RANDOMIZED"),
                "DSCAT": np.array("PROTOCOL MILESTONE"),
                "EPOCH": np.array("SCREENING"),
                "DSSTDTC": iso(day1),
            },
        ),
        _long(
            ids,
            {
                "DSTERM": np.where(disc, r1, "COMPLETED"),
                "DSDECOD": np.where(disc, r1, "COMPLETED"),
                "DSCAT": np.array("DISPOSITION EVENT"),
                "EPOCH": np.array("BLINDED TREATMENT"),
                "DSSTDTC": iso(_date(day1, p1_day)),
            },
        ),
        _long(
            ids,
            {
                "DSTERM": np.where(ltsdisc, r2, "COMPLETED"),
                "DSDECOD": np.where(ltsdisc, r2, "COMPLETED"),
                "DSCAT": np.array("DISPOSITION EVENT"),
                "EPOCH": np.array("CONTINUATION TREATMENT"),
                "DSSTDTC": iso(_date(day1, p2_day)),
            },
            on[:, None],
        ),
    ]
    last_contact = _date(day1, np.where(on, p2_day, p1_day))
    return pd.concat(frames, ignore_index=True), last_contact


def make_mh(prof, ids, rng, day1):
    n = len(prof)
    onset = day1 - prof["DUR_DAYS"].to_numpy().astype("timedelta64[D]")
    txt = iso(onset)
    kind = prof["ONSET_KIND"].to_numpy()
    txt = np.where(
        kind == 1, np.char.ljust(txt.astype(str), 7).astype("U7"), np.where(kind == 2, txt.astype("U4"), txt)
    )
    if (kind == 1).any():
        assert (np.char.endswith(iso(onset[kind == 1]).astype(str), "-01")).all()
    if (kind == 2).any():
        assert (np.char.endswith(iso(onset[kind == 2]).astype(str), "-01-01")).all()
    prim = _long(
        ids,
        {
            "MHTERM": np.array("ATOPIC DERMATITIS"),
            "MHDECOD": np.array("Dermatitis atopic"),
            "MHCAT": np.array("PRIMARY DIAGNOSIS"),
            "MHSTDTC": txt,
        },
    )
    others = []
    for term, decod, p in (("ASTHMA", "Asthma", 0.35), ("ALLERGIC RHINITIS", "Rhinitis allergic", 0.3)):
        has = rng.random(n) < p
        yrs = rng.integers(1, 30, n).astype("timedelta64[Y]")
        start = day1.astype("datetime64[Y]") - yrs
        others.append(
            _long(
                ids,
                {
                    "MHTERM": np.array(term),
                    "MHDECOD": np.array(decod),
                    "MHCAT": np.array("GENERAL"),
                    "MHSTDTC": np.datetime_as_string(start, unit="Y"),
                },
                has[:, None],
            )
        )
    return pd.concat([prim, *others], ignore_index=True)


def make_sc(prof, ids, t, day1):
    scr = iso(_date(day1, t["SCRDY"].to_numpy()))
    face = prof["FACE"].to_numpy()
    fl = prof["NFLARE"].to_numpy()
    a = _long(
        ids,
        {
            "SCTESTCD": np.array("FACEINV"),
            "SCTEST": np.array("Facial Involvement"),
            "SCORRES": face,
            "SCSTRESC": face,
            "SCSTRESN": np.full(len(ids), np.nan),
            "SCDTC": scr,
        },
    )
    b = _long(
        ids,
        {
            "SCTESTCD": np.array("NFLARE12"),
            "SCTEST": np.array("Number of Flares in Last 12 Months"),
            "SCORRES": fl.astype(str),
            "SCSTRESC": fl.astype(str),
            "SCSTRESN": fl.astype(float),
            "SCDTC": scr,
        },
    )
    return pd.concat([a, b], ignore_index=True)
