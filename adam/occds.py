"""Generic OCCDS vocabulary: treatment-emergent flag, first-occurrence flags, customized queries.

Study-agnostic: terms, dates and queries come as arguments (YAML data in the spec). admiral's
conventions: dataset first, options keyword-only, the input is never modified nor re-sorted,
missing variables named in the error. ``order`` uses the notation of :mod:`adamforge.adam.bds`
(``"ASTDT"``, ``"-ASTDT"``, ``{var: ASTDT, desc: true, na: first}``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._common import check_filter, flag_extreme, require

__all__ = ["derive_var_trtemfl", "derive_var_occurrence_flags", "derive_vars_query"]


def _days(col: pd.Series) -> np.ndarray:
    """Dates as float days (datetime64 or SAS numeric dates alike); NaN where missing."""
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        v = col.to_numpy(dtype="datetime64[s]")
        out = v.astype("int64").astype("float64") / 86400.0
        out[np.isnat(v)] = np.nan
        return out
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def derive_var_trtemfl(
    dataset: pd.DataFrame,
    *,
    start_date: str = "ASTDT",
    end_date: str | None = "AENDT",
    trt_start: str = "TRTSDT",
    trt_end: str | None = "TRTEDT",
    end_window: int | None = None,
    missing_start_emergent: bool = True,
    new_var: str = "TRTEMFL",
    true_value: str = "Y",
    false_value: str = "",
) -> pd.DataFrame:
    """Flag treatment-emergent records (admiral's ``derive_var_trtemfl``).

    A record is treatment-emergent (``true_value``) when the first dose date ``trt_start`` is
    present and

    * ``start_date >= trt_start`` and, with ``end_window``, ``start_date <= trt_end +
      end_window`` days; or
    * ``start_date`` is missing, ``missing_start_emergent`` is true (admiral's conservative
      default) and the record did not end before the first dose (``end_date`` missing or
      ``>= trt_start``; ``end_date: null`` skips that check).

    Every other record gets ``false_value`` (admiral: missing; the CDISC pilot: ``"N"``).

    Parameters
    ----------
    dataset : events merged with the treatment dates (not modified). Dates are datetime64 or
        numeric days, all of one kind.
    start_date, end_date : the event's start and end dates.
    trt_start, trt_end : first and last dose dates (``trt_end`` is read only with ``end_window``).
    end_window : days after the last dose during which a start still counts (``None``: no limit).
    missing_start_emergent : whether a missing start date counts as emergent.
    new_var, true_value, false_value : the flag and its values.

    Returns
    -------
    DataFrame : a copy with ``new_var``.

    Examples
    --------
    >>> d = lambda *s: pd.to_datetime(list(s))
    >>> df = pd.DataFrame({"ASTDT": d("2020-01-01", "2020-01-10", None), "AENDT": d(None, None, None),
    ...                    "TRTSDT": d("2020-01-05", "2020-01-05", "2020-01-05")})
    >>> derive_var_trtemfl(df, missing_start_emergent=False, false_value="N")["TRTEMFL"].tolist()
    ['N', 'Y', 'N']
    """
    fn = "derive_var_trtemfl"
    if end_window is not None and (isinstance(end_window, bool) or not float(end_window) >= 0):
        raise ValueError(f"{fn}: end_window must be a number of days >= 0 or null, got {end_window!r}")
    if end_window is not None and not trt_end:
        raise ValueError(f"{fn}: end_window needs trt_end")
    require(  # an argument given None is not checked
        dataset,
        fn,
        start_date=start_date,
        trt_start=trt_start,
        trt_end=trt_end if end_window is not None else None,
        end_date=end_date if end_date and missing_start_emergent else None,
    )
    st, ts = _days(dataset[start_date]), _days(dataset[trt_start])
    has_trt = ~np.isnan(ts)
    with np.errstate(invalid="ignore"):
        emergent = has_trt & (st >= ts)
        if end_window is not None:
            emergent &= st <= _days(dataset[trt_end]) + float(end_window)
        if missing_start_emergent:
            ok_end = np.ones(len(dataset), dtype=bool)
            if end_date:
                en = _days(dataset[end_date])
                ok_end = np.isnan(en) | (en >= ts)
            emergent |= has_trt & np.isnan(st) & ok_end
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    out[new_var] = np.where(emergent, true_value, false_value).astype(object)
    return out


def derive_var_occurrence_flags(
    dataset: pd.DataFrame,
    *,
    by_vars: Sequence[str],
    order: Sequence[Any],
    new_var: str,
    filter: Mapping | None = None,
    mode: str = "first",
    true_value: str = "Y",
    false_value: str = "",
) -> pd.DataFrame:
    """First (or last) occurrence flag per by-group among records meeting ``filter`` (AOCCFL, AOCCSFL, ...).

    The OCCDS reading of :func:`adamforge.adam.bds.derive_var_extreme_flag` with
    ``mode="first"``: e.g. AOCCPFL is ``by_vars: [USUBJID, AEBODSYS, AEDECOD]``,
    ``order: [ASTDT, AESEQ]``, ``filter: {TRTEMFL: Y}``.

    Parameters
    ----------
    dataset : events (not modified).
    by_vars : the level of the occurrence (subject; subject and SOC; subject, SOC and PT).
    order : sort keys (notation of :mod:`adamforge.adam.bds`), e.g. ``[ASTDT, AESEQ]``.
    new_var : the flag to add.
    filter : the records that count (filter language).
    mode : ``"first"`` or ``"last"``.

    Returns
    -------
    DataFrame : a copy with ``new_var``.

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": ["A", "A", "A"], "ASTDT": [3, 1, 2], "AESEQ": [1, 2, 3],
    ...                    "TRTEMFL": ["Y", "N", "Y"]})
    >>> derive_var_occurrence_flags(df, by_vars=["USUBJID"], order=["ASTDT", "AESEQ"], new_var="AOCCFL",
    ...                             filter={"TRTEMFL": "Y"})["AOCCFL"].tolist()
    ['', '', 'Y']
    """
    return flag_extreme(
        dataset,
        "derive_var_occurrence_flags",
        by_vars=by_vars,
        order=order,
        new_var=new_var,
        mode=mode,
        filter=filter,
        true_value=true_value,
        false_value=false_value,
    )


_QUERY_KEYS = {"name_var", "name", "condition", "flag_var", "code_var", "code"}


def derive_vars_query(dataset: pd.DataFrame, *, queries: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Customized (or standardised) query variables: the query name on the records it selects.

    Each query is a mapping

    * ``name_var`` (e.g. ``CQ01NAM``) and ``name`` (e.g. ``DERMATOLOGIC EVENTS``): the variable
      set to ``name`` where ``condition`` holds, blank elsewhere;
    * ``condition``: a filter (filter language) on e.g. AEDECOD and AEBODSYS;
    * ``flag_var`` (optional): a ``"Y"``/blank flag of the same records;
    * ``code_var`` and ``code`` (optional): a query code (e.g. ``SMQ01CD``), missing elsewhere.

    Two queries may not write the same variable.

    Parameters
    ----------
    dataset : events (not modified).
    queries : the list of queries.

    Returns
    -------
    DataFrame : a copy with each query's variables.

    Examples
    --------
    >>> df = pd.DataFrame({"AEDECOD": ["APPLICATION SITE ERYTHEMA", "HEADACHE"]})
    >>> q = [{"name_var": "CQ01NAM", "name": "DERM", "condition": {"AEDECOD": {"contains": "ERYTHEMA"}}}]
    >>> derive_vars_query(df, queries=q)["CQ01NAM"].tolist()
    ['DERM', '']
    """
    fn = "derive_vars_query"
    if not queries or isinstance(queries, (str, Mapping)):
        raise ValueError(f"{fn}: queries must be a non-empty list of mappings {{name_var, name, condition}}")
    written: dict[str, int] = {}
    for i, q in enumerate(queries, 1):
        if not isinstance(q, Mapping) or not {"name_var", "name", "condition"} <= set(q):
            raise ValueError(f"{fn}: query {i} must be a mapping with name_var, name and condition, got {q!r}")
        unknown = set(q) - _QUERY_KEYS
        if unknown:
            raise ValueError(f"{fn}: query {i} has unknown key(s) {sorted(unknown)} (accepted: {sorted(_QUERY_KEYS)})")
        if ("code_var" in q) != ("code" in q):
            raise ValueError(f"{fn}: query {i} needs both code_var and code")
        for key in ("name_var", "flag_var", "code_var"):
            var = q.get(key)
            if var is None:
                continue
            if var in written:
                raise ValueError(f"{fn}: queries {written[var]} and {i} both write {var}")
            written[var] = i
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    for i, q in enumerate(queries, 1):  # a loop over queries (a handful), not records
        hit = check_filter(dataset, q["condition"], fn, arg=f"queries[{i}].condition")
        out[q["name_var"]] = np.where(hit, str(q["name"]), "").astype(object)
        if q.get("flag_var"):
            out[q["flag_var"]] = np.where(hit, "Y", "").astype(object)
        if q.get("code_var"):
            code = q["code"]
            if isinstance(code, str):
                out[q["code_var"]] = np.where(hit, code, "").astype(object)
            else:
                out[q["code_var"]] = np.where(hit, float(code), np.nan)
    return out
