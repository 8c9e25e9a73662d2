"""BDS derivations: baseline flag, analysis visit windows, analysis flag, BASE, CHG, PCHG.

admiral style: dataset first, keyword-only options, the input is never modified nor re-sorted,
required variables are checked on entry. All vectorised (sort + group operations).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .checks import assert_vars
from .merge import derive_vars_merged

__all__ = [
    "derive_var_ablfl",
    "derive_vars_avisit",
    "derive_var_anl01fl",
    "derive_var_base",
    "derive_var_chg",
    "derive_var_pchg",
]


def _windows_table(windows) -> pd.DataFrame:
    rows = [(w.avisit, float(w.avisitn), int(w.target), int(w.lo), int(w.hi)) for w in windows]
    return pd.DataFrame(rows, columns=["AVISIT", "AVISITN", "TARGET", "LO", "HI"]).sort_values("LO", kind="stable")


def derive_var_ablfl(
    dataset: pd.DataFrame,
    *,
    by_vars: Sequence[str] = ("USUBJID", "PARAMCD"),
    order: Sequence[str] = ("ADT",),
    ref_day: int = 1,
    day_var: str = "ADY",
    new_var: str = "ABLFL",
) -> pd.DataFrame:
    """Flag the baseline record: the last record with non-missing AVAL with ``day_var <= ref_day``.

    Parameters
    ----------
    dataset : BDS input with ``by_vars``, ``order``, ``day_var`` and AVAL.
    by_vars : one baseline per these groups.
    order : sort order within a group; the last record wins (ties: the later row in the input).
    ref_day : the study day of the first dose (1).
    new_var : the flag to add (``"Y"`` or blank).
    """
    assert_vars(dataset, [*by_vars, *order, day_var, "AVAL"], dataset="BDS", fn="derive_var_ablfl")
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    work = out.reset_index(drop=True)
    cand = work[(work[day_var] <= ref_day).fillna(False) & work["AVAL"].notna()]
    cand = cand.sort_values([*by_vars, *order], kind="stable")
    last = cand.groupby(list(by_vars), sort=False, observed=True).tail(1).index.to_numpy()
    flag = np.full(len(out), "", dtype=object)
    flag[last] = "Y"
    out[new_var] = flag
    return out


def derive_vars_avisit(
    dataset: pd.DataFrame,
    *,
    windows,
    day_var: str = "ADY",
    baseline_flag: str = "ABLFL",
    baseline_visit: tuple[str, float] = ("Baseline", 0.0),
) -> pd.DataFrame:
    """Add AVISIT/AVISITN: ``"Baseline"`` on the baseline record, else the window holding ``day_var``.

    Parameters
    ----------
    dataset : BDS input with ``day_var`` (and ``baseline_flag`` if it exists).
    windows : the spec's :class:`~adamforge.adam.spec.VisitWindow` list (non-overlapping).
    day_var : the analysis day.
    baseline_flag : records with ``"Y"`` get ``baseline_visit`` whatever their day.

    Returns
    -------
    DataFrame : a copy with AVISIT (blank outside every window) and AVISITN (missing there).
    """
    assert_vars(dataset, [day_var], dataset="BDS", fn="derive_vars_avisit")
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    w = _windows_table(windows)
    day = out[day_var].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    pos = np.searchsorted(w["LO"].to_numpy(), day, side="right") - 1
    valid = (pos >= 0) & ~np.isnan(day)
    pos_c = np.clip(pos, 0, None)
    valid &= day <= w["HI"].to_numpy()[pos_c]
    avisit = np.where(valid, w["AVISIT"].to_numpy()[pos_c], "").astype(object)
    avisitn = np.where(valid, w["AVISITN"].to_numpy()[pos_c], np.nan)
    if baseline_flag in out.columns:
        bl = (out[baseline_flag] == "Y").to_numpy()
        avisit[bl] = baseline_visit[0]
        avisitn[bl] = baseline_visit[1]
    out["AVISIT"] = avisit
    out["AVISITN"] = avisitn
    return out


def derive_var_anl01fl(
    dataset: pd.DataFrame,
    *,
    windows,
    by_vars: Sequence[str] = ("USUBJID", "PARAMCD", "AVISITN"),
    day_var: str = "ADY",
    tie: str = "later",
    baseline_flag: str = "ABLFL",
    new_var: str = "ANL01FL",
) -> pd.DataFrame:
    """Flag the analysis record of each visit: baseline, and per window the record closest to target.

    Only records with non-missing AVAL compete; two at the same distance: ``tie="later"`` takes
    the later day (``"earlier"`` the earlier one).

    Parameters
    ----------
    dataset : BDS with AVISITN (from :func:`derive_vars_avisit`), ``day_var``, AVAL.
    windows : the spec's visit windows (for the target days).
    """
    if tie not in ("later", "earlier"):
        raise ValueError("tie must be 'later' or 'earlier'")
    assert_vars(dataset, [*by_vars, day_var, "AVAL", "AVISITN"], dataset="BDS", fn="derive_var_anl01fl")
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    work = out.reset_index(drop=True)
    w = _windows_table(windows)
    target = work["AVISITN"].map(dict(zip(w["AVISITN"], w["TARGET"])))
    is_bl = (work[baseline_flag] == "Y") if baseline_flag in work.columns else pd.Series(False, index=work.index)
    cand = work[target.notna() & work["AVAL"].notna() & ~is_bl].copy()
    cand["_dist"] = (cand[day_var].astype("float64") - target[cand.index]).abs()
    cand["_day"] = cand[day_var].astype("float64") * (-1 if tie == "later" else 1)
    cand = cand.sort_values([*by_vars, "_dist", "_day"], kind="stable")
    first = cand.groupby(list(by_vars), sort=False, observed=True).head(1).index.to_numpy()
    flag = np.where(is_bl.to_numpy(), "Y", "").astype(object)
    flag[first] = "Y"
    out[new_var] = flag
    return out


def derive_var_base(
    dataset: pd.DataFrame,
    *,
    by_vars: Sequence[str] = ("USUBJID", "PARAMCD"),
    source_var: str = "AVAL",
    new_var: str = "BASE",
    flag_var: str = "ABLFL",
) -> pd.DataFrame:
    """Add BASE: ``source_var`` of the group's baseline record (``flag_var == "Y"``) on every record.

    admiral's ``derive_var_base``: the dataset merged with its own baseline records
    (:func:`adamforge.adam.merge.derive_vars_merged`; several baseline records: the last).
    """
    assert_vars(dataset, [*by_vars, source_var, flag_var], dataset="BDS", fn="derive_var_base")
    base = derive_vars_merged(
        dataset[list(by_vars)],
        dataset,
        by_vars=list(by_vars),
        new_vars={new_var: source_var},
        filter_add={flag_var: "Y"},
        check_unique=False,
    )[new_var]
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    out[new_var] = base
    return out


def derive_var_chg(dataset: pd.DataFrame, *, post_baseline_var: str = "AVISITN") -> pd.DataFrame:
    """Add CHG = AVAL - BASE on post-baseline records (``post_baseline_var > 0``)."""
    assert_vars(dataset, ["AVAL", "BASE", post_baseline_var], dataset="BDS", fn="derive_var_chg")
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    post = (out[post_baseline_var] > 0).fillna(False).to_numpy()
    chg = out["AVAL"].astype("float64") - out["BASE"].astype("float64")
    out["CHG"] = chg.where(post, np.nan)
    return out


def derive_var_pchg(dataset: pd.DataFrame) -> pd.DataFrame:
    """Add PCHG = CHG / BASE * 100; missing when CHG is missing or BASE is 0."""
    assert_vars(dataset, ["CHG", "BASE"], dataset="BDS", fn="derive_var_pchg")
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    base = out["BASE"].astype("float64")
    out["PCHG"] = out["CHG"].astype("float64") / base.where(base != 0) * 100.0
    return out
