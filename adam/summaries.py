"""Merged summaries: one value per by-group of an additional dataset (a count, a sum, a last value).

admiral's ``derive_var_merged_summary`` with a closed set of summary functions named in the spec
instead of an R expression.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._common import parse_order
from .checks import assert_vars
from .filters import is_missing as _missing
from .merge import by_pairs, check_mode, filter_add_records, group_codes, select_extreme

__all__ = ["SUMMARIES", "derive_var_merged_summary"]

#: the summary functions ``derive_var_merged_summary`` accepts
SUMMARIES = ("sum", "mean", "count", "n_distinct", "min", "max", "first", "last")


def derive_var_merged_summary(
    dataset: pd.DataFrame,
    dataset_add: pd.DataFrame,
    /,
    *,
    by_vars: Sequence[str] | Mapping[str, str],
    new_var: str,
    source_var: str,
    summary: str,
    filter_add: Mapping | None = None,
    order: Sequence[str] | None = None,
    missing_value: Any = None,
) -> pd.DataFrame:
    """Add a summary of ``source_var`` over each by-group's ``dataset_add`` records.

    Summaries (missing values of ``source_var`` are skipped, as SAS ``PROC MEANS`` and R's
    ``na.rm = TRUE`` do, except by ``first``/``last``):

    ==============  ========================================================================
    ``sum``         sum; missing if every value is missing
    ``mean``        arithmetic mean
    ``count``       number of non-missing values (SAS ``N``; name a key variable to count
                    records); ``0`` for a by-group without records
    ``n_distinct``  number of distinct non-missing values; ``0`` without records
    ``min``/``max`` smallest / largest (numbers or dates)
    ``first``       value of the first record by ``order`` (input order if none), even if missing
    ``last``        value of the last record by ``order``
    ==============  ========================================================================

    A by-group without records gets ``missing_value`` (``None``: missing; ``count`` and
    ``n_distinct``: 0 unless ``missing_value`` is given).

    Parameters
    ----------
    dataset, dataset_add : the input and the additional dataset (positional).
    by_vars : key variables (list, or mapping ``{dataset var: add var}``).
    new_var : the variable to add.
    source_var : the ``dataset_add`` variable summarised.
    summary : one of :data:`SUMMARIES`.
    filter_add : filter on ``dataset_add`` records.
    order : for ``first``/``last``: sort variables, ``"-VAR"`` descending, or
        ``{var, desc, na}`` (missing values last unless ``na: first``), see ``derive_vars_merged``.
    missing_value : value for by-groups without records.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"]})
    >>> ex = pd.DataFrame({"USUBJID": ["1", "1", "2"], "EXDOSE": [10.0, 20.0, None]})
    >>> derive_var_merged_summary(adsl, ex, by_vars=["USUBJID"], new_var="CUMDOSE",
    ...                           source_var="EXDOSE", summary="sum")["CUMDOSE"].tolist()
    [30.0, nan, nan]
    >>> derive_var_merged_summary(adsl, ex, by_vars=["USUBJID"], new_var="NDOSE",
    ...                           source_var="EXDOSE", summary="count")["NDOSE"].tolist()
    [2, 0, 0]
    """
    fn = "derive_var_merged_summary"
    if summary not in SUMMARIES:
        raise ValueError(f"{fn}: summary must be one of {', '.join(SUMMARIES)}, got {summary!r}")
    ordv = parse_order(order, fn=fn)
    if ordv and summary not in ("first", "last"):
        raise ValueError(f"{fn}: order applies to summary 'first'/'last' only, not {summary!r}")
    left, right = by_pairs(by_vars, fn=fn)
    assert_vars(dataset, left, dataset="dataset", fn=fn)
    assert_vars(dataset_add, [*right, source_var, *(v for v, _, _ in ordv)], dataset="dataset_add", fn=fn)
    add = filter_add_records(dataset_add, filter_add, fn=fn)
    lc, rc, n = group_codes([dataset[v] for v in left], [add[v] for v in right])
    has = np.bincount(rc, minlength=n) > 0
    src = add[source_var]
    if summary in ("first", "last"):
        check_mode(summary, fn=fn, allow_none=False)
        sel = select_extreme(add, rc, ordv, summary)
        lookup = np.full(n, -1, dtype=np.int64)
        lookup[rc[sel]] = sel
        pos = lookup[lc]
        arr = src.array
        if isinstance(src.dtype, np.dtype) and src.dtype.kind in "iub" and (pos < 0).any():
            arr = src.astype("float64" if src.dtype.kind != "b" else object).array
        res = pd.Series(arr.take(pos, allow_fill=True), index=dataset.index)
    else:
        present = ~_missing(src)
        vals = src[present]
        g = pd.Series(vals.to_numpy(), index=rc[present]) if len(vals) else pd.Series([], dtype="float64")
        if summary == "count":
            per = np.bincount(rc[present], minlength=n)
            res = pd.Series(per[lc], index=dataset.index, dtype="int64")
        elif summary == "n_distinct":
            codes = pd.factorize(vals)[0]
            pair = pd.DataFrame({"g": rc[present], "v": codes}).drop_duplicates()
            per = np.bincount(pair["g"].to_numpy(), minlength=n)
            res = pd.Series(per[lc], index=dataset.index, dtype="int64")
        else:
            if summary in ("sum", "mean") and not pd.api.types.is_numeric_dtype(src.dtype):
                raise ValueError(f"{fn}: summary {summary!r} needs a numeric source_var; {source_var} is {src.dtype}")
            agg = getattr(g.groupby(level=0), summary)()
            full = agg.reindex(range(n))
            res = pd.Series(full.array.take(lc, allow_fill=False) if len(lc) else full.array[:0], index=dataset.index)
    if missing_value is not None and not has.all():
        empty = ~has[lc]
        numeric = isinstance(missing_value, (int, float)) and not isinstance(missing_value, bool)
        if numeric and pd.api.types.is_numeric_dtype(res.dtype):
            res = res.astype("float64" if isinstance(missing_value, float) or res.dtype.kind == "f" else res.dtype)
        else:
            res = res.astype(object)
        res = res.where(~empty, missing_value)
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    out[new_var] = res
    return out
