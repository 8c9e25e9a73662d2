"""ADSL derivations: treatment variables, the efficacy flag, disease duration, disposition.

Values merged from another dataset (a baseline, a finding) are :func:`adamforge.adam.merge.derive_vars_merged`
in the spec: there is no ADSL-only copy of it here.

Every function: dataset first, keyword-only options (the spec's method arguments), a new
frame returned (the input is not modified or re-sorted), required variables checked on entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .checks import assert_vars

__all__ = [
    "derive_vars_trtp",
    "derive_var_efffl",
    "derive_var_disdur",
    "derive_var_disposition",
]


def derive_vars_trtp(
    dataset: pd.DataFrame,
    *,
    source_var: str,
    segment: int,
    arms: Mapping[str, Sequence],
    new_var: str,
    new_var_n: str,
    sep: str = "-",
) -> pd.DataFrame:
    """Treatment text and number from one segment of an arm code.

    ``"VEH-RUX075"`` has segments ``VEH`` (1) and ``RUX075`` (2); a code with fewer segments
    keeps its last one (active arms continue into the long-term period).

    Parameters
    ----------
    dataset : with ``source_var`` (e.g. ARMCD).
    segment : 1-based segment.
    arms : ``{code: [number, text]}``, e.g. ``{"VEH": [1, "Vehicle"]}``.
    new_var, new_var_n : the text and number variables to add (e.g. TRT01P, TRT01PN).
    """
    assert_vars(dataset, [source_var], dataset="ADSL", fn="derive_vars_trtp")
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    # split the few distinct arm codes, then spread the results to the records by code
    codes, distinct = pd.factorize(out[source_var], use_na_sentinel=False)
    parts = pd.Series(np.asarray(distinct, dtype=object)).astype("string").str.split(sep)
    n = parts.str.len()
    seg = parts.str.get(segment - 1).where(n >= segment, parts.str.get(-1))
    num = {k: v[0] for k, v in arms.items()}
    txt = {k: v[1] for k, v in arms.items()}
    out[new_var] = pd.Series(
        seg.map(txt).astype(object).where(seg.isin(list(arms)), "").to_numpy()[codes], index=out.index, dtype=object
    )
    out[new_var_n] = pd.Series(seg.map(num).astype("Int64").array.take(codes), index=out.index)
    return out


def derive_var_efffl(
    dataset: pd.DataFrame,
    *,
    excluded_sites: Sequence[str],
    pop_var: str = "SAFFL",
    site_var: str = "SITEID",
    new_var: str = "EFFFL",
) -> pd.DataFrame:
    """EFFFL = Y when ``pop_var`` is Y and the site is not excluded from efficacy, else N."""
    assert_vars(dataset, [pop_var, site_var], dataset="ADSL", fn="derive_var_efffl")
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    excluded = out[site_var].astype("string").isin([str(s) for s in excluded_sites]).to_numpy()
    ok = (out[pop_var] == "Y").to_numpy() & ~excluded
    out[new_var] = np.where(ok, "Y", "N").astype(object)
    return out


def derive_var_disdur(
    dataset: pd.DataFrame,
    *,
    start_var: str,
    end_var: str,
    days_per_year: float = 365.25,
    new_var: str,
) -> pd.DataFrame:
    """Duration in years: ``(end_var - start_var) / days_per_year`` (missing if a date is)."""
    assert_vars(dataset, [start_var, end_var], dataset="ADSL", fn="derive_var_disdur")
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    days = (pd.to_datetime(out[end_var]) - pd.to_datetime(out[start_var])).dt.days
    out[new_var] = days.astype("float64") / days_per_year
    return out


def derive_var_disposition(
    dataset: pd.DataFrame,
    ds: pd.DataFrame,
    *,
    epochs: Sequence[str],
    completed: str = "COMPLETED",
    status_var: str = "EOSSTT",
    reason_var: str = "DCSREAS",
) -> pd.DataFrame:
    """End-of-study status and reason from the disposition events (DSCAT DISPOSITION EVENT).

    The latest event in ``epochs`` order decides: not ``completed`` -> DISCONTINUED with the
    reason; ``completed`` at the last epoch -> COMPLETED; ``completed`` at an earlier epoch with
    no later event -> COMPLETED (the subject left after completing that period); no event ->
    ONGOING.
    """
    assert_vars(dataset, ["USUBJID"], dataset="ADSL", fn="derive_var_disposition")
    assert_vars(ds, ["USUBJID", "DSCAT", "EPOCH", "DSDECOD"], dataset="DS", fn="derive_var_disposition")
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    ev = ds[(ds["DSCAT"] == "DISPOSITION EVENT") & ds["EPOCH"].isin(list(epochs))].copy()
    ev["_o"] = ev["EPOCH"].map({e: i for i, e in enumerate(epochs)})
    ev = ev.sort_values(["USUBJID", "_o"], kind="stable").drop_duplicates("USUBJID", keep="last")
    m = out[["USUBJID"]].merge(ev[["USUBJID", "DSDECOD"]], on="USUBJID", how="left")
    dec = m["DSDECOD"]
    status = np.where(dec.isna(), "ONGOING", np.where(dec == completed, "COMPLETED", "DISCONTINUED"))
    out[status_var] = status.astype(object)
    out[reason_var] = np.where(status == "DISCONTINUED", dec.fillna("").astype(object), "").astype(object)
    return out
