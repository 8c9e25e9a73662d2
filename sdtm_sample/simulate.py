"""Simulate the reference study's SDTM: ``simulate_study(seed=..., scale=...)``.

The result is a dict of domain name -> DataFrame in SDTM layout (plan section 1a), sorted by
the domain keys, with --SEQ numbered per subject and --DY study days. At ``scale=1`` the study
is calibrated: correct derivations reproduce the plan's section 4 exactly. ``scale=K`` tiles
the calibrated subjects K times (new subject numbers; diary noise, visit days and other raw
details drawn afresh), so distributions stay the same while the volume grows K-fold.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from . import records as R
from . import targets as T
from .metadata import DOMAIN_ORDER, KEYS, VARIABLES, trial_design
from .profiles import build_profiles

DEFAULT_SEED = T.DEFAULT_SEED


def _tile(prof: pd.DataFrame, scale: int) -> pd.DataFrame:
    if scale == 1:
        return prof.reset_index(drop=True)
    out = pd.concat([prof] * scale, ignore_index=True)
    out["REPLICATE"] = np.repeat(np.arange(scale), len(prof))
    return out


def simulate_study(*, seed: int = DEFAULT_SEED, scale: int = 1) -> dict[str, pd.DataFrame]:
    """Simulate every SDTM domain of the reference study.

    Parameters
    ----------
    seed : the random seed; the same seed and scale give identical frames.
    scale : K times the 1249 subjects (K >= 1); exact calibration holds at K = 1.

    Returns
    -------
    dict
        ``{"DM": ..., "SV": ..., "EX": ..., "DS": ..., "MH": ..., "SC": ..., "RS": ..., "QS": ...,
        "TA": ..., "TE": ..., "TV": ..., "TS": ...}``.

    Examples
    --------
    >>> sdtm = simulate_study(seed=1)          # doctest: +SKIP
    >>> sdtm["DM"]["ARMCD"].str.split("-").str[0].value_counts().to_dict()  # doctest: +SKIP
    {'RUX075': 500, 'RUX15': 499, 'VEH': 250}
    """
    out = dict(iter_study(seed=seed, scale=scale))
    return {k: out[k] for k in DOMAIN_ORDER}


def iter_study(*, seed: int = DEFAULT_SEED, scale: int = 1) -> Iterator[tuple[str, pd.DataFrame]]:
    """The domains of :func:`simulate_study` one at a time, as ``(name, frame)`` pairs.

    The same frames, made in the order the random draws are taken (EX, DS, DM, RS, SV, QS, MH,
    SC, then the trial design); each is finished (keys, --SEQ, --DY) before the next is made, so
    a caller that writes and drops each frame holds one domain at a time (at scale 100 the
    diary records alone are ten million).
    """
    if int(scale) != scale or scale < 1:
        raise ValueError(f"scale must be a whole number >= 1, not {scale!r}")
    prof = _tile(build_profiles(seed), int(scale))
    rng = np.random.default_rng(np.random.SeedSequence([seed, int(scale), 7]))
    ids = R.build_ids(prof)
    day1 = prof["DAY1"].to_numpy().astype("datetime64[D]")
    rfst = dict(zip(ids["USUBJID"], day1))  # DM's USUBJID and RFSTDTC
    t = R.timeline(prof, rng)
    ex, last_dose = R.make_ex(prof, ids, t, day1)
    yield "EX", _finish("EX", ex, ids, rfst)
    del ex
    ds, last_contact = R.make_ds(prof, ids, t, rng, day1)
    yield "DS", _finish("DS", ds, ids, rfst)
    del ds
    yield "DM", _finish("DM", R.make_dm(prof, ids, t, rng, day1, last_dose, last_contact), ids, rfst)
    rs = R.make_rs(prof, ids, t, rng, day1)
    sv = R.make_sv(rs, t, ids, day1)
    yield "RS", _finish("RS", rs, ids, rfst)
    del rs
    yield "SV", _finish("SV", sv, ids, rfst)
    del sv
    visit_dates = {2: day1, 5: R._date(day1, t["W8DY"].to_numpy())}
    yield "QS", _finish("QS", R.make_qs(prof, ids, t, rng, day1, visit_dates), ids, rfst)
    yield "MH", _finish("MH", R.make_mh(prof, ids, rng, day1), ids, rfst)
    yield "SC", _finish("SC", R.make_sc(prof, ids, t, day1), ids, rfst)
    yield from trial_design().items()


def _study_day(dtc: pd.Series, usubjid: pd.Series, rfst: dict) -> np.ndarray:
    """--DY from a full ISO date and the subject's RFSTDTC (no day 0); NaN for partial dates."""
    full = dtc.str.len() == 10
    d = pd.to_datetime(dtc.where(full), format="%Y-%m-%d", errors="coerce").to_numpy().astype("datetime64[D]")
    ref = usubjid.map(rfst).to_numpy().astype("datetime64[D]")
    diff = (d - ref).astype("timedelta64[D]").astype("float64")
    diff[~full.to_numpy()] = np.nan
    return np.where(diff >= 0, diff + 1, diff)


def _finish(name: str, df: pd.DataFrame, ids: pd.DataFrame, rfst: dict) -> pd.DataFrame:
    """Add STUDYID/DOMAIN, --DY, sort by the domain keys, number --SEQ, order the variables.

    ``df`` is the generator's own frame: columns are added to it and it is emptied column by
    column while the sorted frame is built, so one copy of a big domain is held at a time."""
    if "STUDYID" not in df:
        study = dict(zip(ids["USUBJID"], ids["STUDYID"]))
        df.insert(0, "STUDYID", df["USUBJID"].map(study))
    df["DOMAIN"] = name
    dtc = {"RS": "RSDTC", "QS": "QSDTC"}.get(name)
    if dtc:
        df[f"{name}DY"] = _study_day(df[dtc], df["USUBJID"], rfst)
    sort_keys = [k for k in KEYS[name] if k in df.columns and not k.endswith("SEQ")]
    cols = list(VARIABLES[name])
    missing = [c for c in cols if c not in df.columns and c != f"{name}SEQ"]
    if missing:  # pragma: no cover - a broken edit of the generator
        raise RuntimeError(f"simulator: {name} lacks {missing}")
    # the stable sort's order, then each kept column gathered in it and dropped from the input
    order = df[sort_keys].sort_values(sort_keys, kind="mergesort").index.to_numpy()
    keep = [c for c in cols if c in df.columns]
    out = {}
    for c in keep:
        out[c] = df[c].take(order).reset_index(drop=True)
        del df[c]
    res = pd.DataFrame(out)
    if f"{name}SEQ" in VARIABLES[name]:
        res[f"{name}SEQ"] = (res.groupby("USUBJID", sort=False).cumcount() + 1).astype("float64")
    return res[cols]


def expected_counts() -> dict[str, dict[str, int]]:
    """The plan's section 4 counts (for tests and documentation)."""
    return {
        "EVALUABLE": T.EVALUABLE,
        "IGA_TS": T.IGA_TS,
        "W8_IGA_OBSERVED": T.W8_IGA_OBSERVED,
        "NON_ACHIEVERS": T.NON_ACHIEVERS,
        "CPR": T.CPR,
        "CPRIGA": T.CPRIGA,
        "IGA_R1_OBSERVED": T.IGA_R1_OBSERVED,
        "TS_OR_CPR": T.TS_OR_CPR,
        "TS_OR_CPRIGA": T.TS_OR_CPRIGA,
    }
