"""Derived parameters built from several SDTM records: the weekly itch mean, questionnaire totals.

Both are vectorised (integer group codes and ``np.bincount``), so millions of diary records
take seconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .checks import assert_vars

__all__ = ["derive_param_window_mean", "derive_param_item_total"]


def derive_param_window_mean(
    dataset: pd.DataFrame,
    *,
    targets: Sequence[int],
    days_before: int = 7,
    min_days: int = 4,
    by_var: str = "USUBJID",
    date_var: str = "ADT",
    ref_var: str = "TRTSDT",
    value_var: str = "AVAL",
    paramcd: str,
) -> pd.DataFrame:
    """One record per subject and target day: the mean of the daily values on the days before it.

    For a target study day ``t`` the values of study days ``t - days_before`` .. ``t - 1`` count
    (Day 1 = ``ref_var``, no Day 0: for ``t = 1`` and 7 days that is days -7 to -1; for
    ``t = 57`` days 50 to 56). The mean needs at least ``min_days`` non-missing days, else AVAL
    is missing. A record exists for each subject and target with at least one daily record
    (missing or not) in the period.

    Parameters
    ----------
    dataset : daily records with ``by_var``, ``date_var`` (datetime), ``ref_var`` (first dose
        date) and ``value_var`` (missing for a day not done).
    targets : target study days (e.g. ``[1, 15, 29, 57]``; 1 is the baseline).

    Returns
    -------
    DataFrame : ``by_var``, PARAMCD, ADT (the day before the target), AVAL, NDAYS (days used).
    """
    assert_vars(dataset, [by_var, date_var, ref_var, value_var], dataset="daily", fn="derive_param_window_mean")
    if min_days > days_before:
        raise ValueError("min_days cannot exceed days_before")
    codes, categories = pd.factorize(dataset[by_var])
    codes = codes.astype(np.int64)
    ref_dates = dataset[ref_var].to_numpy(dtype="datetime64[s]")
    offset = (dataset[date_var].to_numpy(dtype="datetime64[s]") - ref_dates).astype("timedelta64[D]").astype("float64")
    offset[np.isnat(ref_dates) | np.isnat(dataset[date_var].to_numpy(dtype="datetime64[s]"))] = np.nan
    value = pd.to_numeric(dataset[value_var], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    targets = sorted(int(t) for t in targets)
    nt = len(targets)
    ncat = len(categories)
    sums = np.zeros(ncat * nt)
    cnts = np.zeros(ncat * nt)
    present = np.zeros(ncat * nt)
    for j, t in enumerate(targets):
        t_off = t - 1 if t >= 1 else t  # offset (days since first dose) of the target day
        lo, hi = t_off - days_before, t_off - 1
        m = (offset >= lo) & (offset <= hi)
        key = codes[m] * nt + j
        present += np.bincount(key, minlength=ncat * nt)
        ok = ~np.isnan(value[m])
        sums += np.bincount(key[ok], weights=value[m][ok], minlength=ncat * nt)
        cnts += np.bincount(key[ok], minlength=ncat * nt)
    idx = np.flatnonzero(present > 0)
    subj_idx, t_idx = np.divmod(idx, nt)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(cnts[idx] >= min_days, sums[idx] / np.where(cnts[idx] > 0, cnts[idx], 1), np.nan)
    ref_u = np.empty(ncat, dtype="datetime64[s]")
    ref_u[codes] = ref_dates
    subjects = np.asarray(categories, dtype=object)[subj_idx]
    tarr = np.asarray(targets)[t_idx]
    t_offs = np.where(tarr >= 1, tarr - 1, tarr)
    adt = ref_u[subj_idx] + (t_offs - 1).astype("timedelta64[D]")
    return pd.DataFrame(
        {
            by_var: subjects,
            "PARAMCD": paramcd,
            "ADT": pd.Series(adt).astype("datetime64[s]").to_numpy(),
            "AVAL": mean,
            "NDAYS": cnts[idx].astype(np.int64),
        }
    )


def derive_param_item_total(
    dataset: pd.DataFrame,
    *,
    by_vars: Sequence[str] = ("USUBJID", "QSCAT", "VISITNUM"),
    value_var: str = "QSSTRESN",
    date_var: str = "ADT",
    n_items: int = 10,
    max_missing: int = 1,
    missing_score: float = 0,
    paramcd_var: str = "QSCAT",
) -> pd.DataFrame:
    """Questionnaire total per group: the sum of the items, a few missing items scored ``missing_score``.

    With ``n_items = 10, max_missing = 1, missing_score = 0`` (DLQI/CDLQI): one missing item is
    scored 0; two or more missing items make the total missing. An item is missing when its value
    is missing or its record is absent.

    Parameters
    ----------
    dataset : item records with ``by_vars``, ``value_var``, ``date_var``, ``paramcd_var``.

    Returns
    -------
    DataFrame : ``by_vars``, PARAMCD (= ``paramcd_var``), ADT (the group's earliest date), AVAL,
        NMISS (missing items).
    """
    assert_vars(dataset, [*by_vars, value_var, date_var, paramcd_var], dataset="items", fn="derive_param_item_total")
    keys = list(by_vars)
    v = pd.to_numeric(dataset[value_var], errors="coerce")
    work = dataset[keys].copy()
    work["_v"] = v.to_numpy()
    work["_d"] = dataset[date_var].to_numpy()
    work["_p"] = dataset[paramcd_var].to_numpy()
    g = work.groupby(keys, sort=True, observed=True, dropna=False)
    res = g.agg(_sum=("_v", "sum"), _n=("_v", "count"), ADT=("_d", "min"), PARAMCD=("_p", "first")).reset_index()
    nmiss = n_items - res["_n"]
    res["AVAL"] = np.where(nmiss <= max_missing, res["_sum"] + missing_score * nmiss.clip(lower=0), np.nan)
    res["NMISS"] = nmiss.astype(np.int64)
    return res[[*keys, "PARAMCD", "ADT", "AVAL", "NMISS"]]
