"""Helpers the generic derivation modules share (private: not part of the vocabulary).

The entry checks every derivation runs (:class:`MissingVariableError`, :func:`require`,
:func:`check_filter`), the ``order`` notation (:func:`parse_order`, see :mod:`adamforge.adam.bds`)
and the sort machinery built on it (:func:`sorted_positions`, :func:`first_in_group`,
:func:`flag_extreme`), used by :mod:`.bds`, :mod:`.occds`, :mod:`.tte`, :mod:`.merge` and
:mod:`.checks`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from adamforge.errors import DataError
from adamforge.keys import row_codes

from . import filters as _filters


class MissingVariableError(DataError, ValueError):
    """A variable a derivation needs is not in its input (a :class:`DataError` and a ``ValueError``)."""


def require(df: pd.DataFrame, fn: str, dataset: str = "dataset", **by_argument: Iterable[str] | str | None) -> None:
    """Check that the variables each argument names are in ``df``; the error names fn, argument, variable.

    ``require(df, "derive_x", order=["ADT"], by_vars=["USUBJID"])``.
    """
    problems, missing = [], []
    for arg, names in by_argument.items():
        if names is None:
            continue
        names = [names] if isinstance(names, str) else list(names)
        for v in names:
            if v not in df.columns:
                missing.append(f"{v} (argument {arg})")
                problems.append(
                    f"{dataset}.{v}: required by {fn} (argument {arg}) but not in the dataset (rule: required variable)"
                )
    if missing:
        raise MissingVariableError(f"{fn}: required variable(s) missing from {dataset}: {', '.join(missing)}", problems)


def check_filter(df: pd.DataFrame, flt: Any, fn: str, arg: str = "filter", dataset: str = "dataset") -> np.ndarray:
    """Evaluate a filter of the filter language; missing variables raise naming ``fn`` and ``arg``."""
    if flt is None or (isinstance(flt, Mapping) and not flt):
        return np.ones(len(df), dtype=bool)
    bad = _filters.check(flt, None)
    if bad:
        raise ValueError(f"{fn}: argument {arg} is not a filter: {'; '.join(bad)}")
    require(df, fn, dataset, **{arg: sorted(_filters.variables(flt))})
    return _filters.evaluate(df, flt)


def parse_order(order: Any, fn: str = "order", arg: str = "order") -> list[tuple[str, bool, bool]]:
    """``order`` items as ``(var, descending, na_first)`` (see the module docstring)."""
    if order is None:
        return []
    if isinstance(order, (str, Mapping)):
        order = [order]
    out = []
    for item in order:
        if isinstance(item, str):
            desc = item.startswith("-")
            var = item[1:] if desc else item
            out.append((var.strip(), desc, False))
        elif isinstance(item, Mapping):
            unknown = set(item) - {"var", "desc", "na"}
            if "var" not in item or unknown:
                raise ValueError(
                    f"{fn}: {arg} item {dict(item)!r} must be {{var: NAME, desc: true|false, na: first|last}}"
                )
            na = item.get("na", "last")
            if na not in ("first", "last"):
                raise ValueError(f"{fn}: {arg} item {dict(item)!r}: na must be 'first' or 'last'")
            out.append((str(item["var"]), bool(item.get("desc", False)), na == "first"))
        else:
            raise ValueError(f"{fn}: {arg} item {item!r} must be a variable name, '-NAME' or a mapping")
    return out


def order_vars(order: Any, fn: str = "order", arg: str = "order") -> list[str]:
    """The variables an ``order`` reads."""
    return [v for v, _, _ in parse_order(order, fn, arg)]


def sort_code(col: pd.Series | np.ndarray, desc: bool, na_first: bool) -> np.ndarray:
    """An int64 key ordering ``col`` as asked (one sorted factorize: text, numbers, dates alike)."""
    codes, uniq = pd.factorize(col, sort=True, use_na_sentinel=True)
    codes = codes.astype(np.int64)
    if desc:
        codes = np.where(codes >= 0, len(uniq) - 1 - codes, codes)
    miss = codes < 0
    codes[miss] = -1 if na_first else len(uniq)
    return codes


def by_group_codes(df: pd.DataFrame, by_vars: Sequence[str]) -> np.ndarray:
    """One int64 code per row for its by-group (missing is a value of its own); zeros without by_vars."""
    if not by_vars:
        return np.zeros(len(df), dtype=np.int64)
    return row_codes([df[v] for v in by_vars])


def sorted_positions(
    df: pd.DataFrame,
    by_vars: Sequence[str],
    order: Any,
    rows: np.ndarray | None = None,
    *,
    extra_keys: Sequence[np.ndarray] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``rows`` (default all) sorted by group, ``order``, ``extra_keys``, input position.

    Returns ``(positions, group codes of those positions)``.
    """
    pos = np.arange(len(df), dtype=np.int64) if rows is None else np.flatnonzero(rows)
    sub = df.iloc[pos] if rows is not None else df
    g = by_group_codes(sub, by_vars)
    keys = [pos]  # last key = least significant
    for k in reversed(list(extra_keys)):
        keys.append(np.asarray(k)[pos] if rows is not None else np.asarray(k))
    for var, desc, na_first in reversed(parse_order(order)):
        keys.append(sort_code(sub[var], desc, na_first))
    keys.append(g)
    idx = np.lexsort(keys)
    return pos[idx], g[idx]


def first_in_group(groups_sorted: np.ndarray, *, last: bool = False) -> np.ndarray:
    """Boolean mask over a group-sorted sequence: the first (or last) element of each group."""
    n = len(groups_sorted)
    m = np.ones(n, dtype=bool)
    if n > 1:
        if last:
            m[:-1] = groups_sorted[1:] != groups_sorted[:-1]
        else:
            m[1:] = groups_sorted[1:] != groups_sorted[:-1]
    return m


def as_list(x: Any) -> list:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    return list(x)


def constants_frame(values: Mapping[str, Any] | None, n: int) -> dict[str, Any]:
    return {
        k: np.repeat(np.array([v], dtype=object), n) if isinstance(v, str) or v is None else np.repeat(v, n)
        for k, v in dict(values or {}).items()
    }


def flag_extreme(
    dataset: pd.DataFrame, fn: str, *, by_vars, order, new_var, mode, filter, true_value, false_value
) -> pd.DataFrame:
    """The body of :func:`derive_var_extreme_flag`, errors naming the public function ``fn``."""
    if mode not in ("first", "last"):
        raise ValueError(f"{fn}: mode must be 'first' or 'last', got {mode!r}")
    by_vars = as_list(by_vars)
    require(dataset, fn, by_vars=by_vars, order=order_vars(order, fn))
    rows = check_filter(dataset, filter, fn)
    pos, g = sorted_positions(dataset, by_vars, order, rows)
    hit = pos[first_in_group(g, last=(mode == "last"))]
    flag = np.full(len(dataset), false_value, dtype=object)
    flag[hit] = true_value
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    out[new_var] = flag
    return out
