"""Merged variables: values, flags and summaries taken from an additional dataset by key.

admiral's ``derive_vars_merged`` family, with arguments that are plain YAML data: keys and
variable lists are names, selections are filters of :mod:`adamforge.adam.filters`, sort orders
are lists of names (``"-VAR"`` for descending).

Every function: dataset first, additional dataset positional-only, options keyword-only; a new
frame is returned (input never modified, rows never re-ordered or multiplied); required
variables are checked on entry and named in the error.

Shared helpers for :mod:`.summaries` live here too: :func:`by_pairs`, :func:`group_codes`,
:func:`select_extreme`, :func:`filter_add_records` (the ``order`` notation and the entry checks
are :mod:`._common`'s and :mod:`.checks`').
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..keys import row_codes
from . import filters
from ._common import parse_order, sort_code
from .checks import assert_vars

__all__ = ["derive_vars_merged", "derive_var_merged_exist_flag"]


# ---------------------------------------------------------------------------------------
# shared helpers (used by summaries.py too)
# ---------------------------------------------------------------------------------------


def by_pairs(by_vars: Sequence[str] | Mapping[str, str] | str, *, fn: str) -> tuple[list[str], list[str]]:
    """``(dataset keys, dataset_add keys)`` from a list of names or a mapping ``{dataset var: add var}``."""
    if isinstance(by_vars, str):
        by_vars = [by_vars]
    if isinstance(by_vars, Mapping):
        left, right = [str(k) for k in by_vars], [str(v) for v in by_vars.values()]
    else:
        left = right = [str(v) for v in by_vars]
    if not left:
        raise ValueError(f"{fn}: by_vars must name at least one variable")
    return list(left), list(right)


def group_codes(left: Sequence[pd.Series], right: Sequence[pd.Series]) -> tuple[np.ndarray, np.ndarray, int]:
    """Codes of the key combinations of ``left`` and ``right`` rows in one shared space.

    Returns ``(left codes, right codes, number of codes)``; equal keys get equal codes and
    missing key values match each other (as in ``merge``).
    """
    n = len(right[0])
    cols = [
        pd.concat([pd.Series(r).reset_index(drop=True), pd.Series(lv).reset_index(drop=True)], ignore_index=True)
        for lv, r in zip(left, right)
    ]
    codes, uniq = pd.factorize(row_codes(cols))
    return codes[n:], codes[:n], max(len(uniq), 1)


def select_extreme(add: pd.DataFrame, codes: np.ndarray, order: list[tuple[str, bool, bool]], mode: str) -> np.ndarray:
    """Row positions of ``add``: the first or last record of each group ``codes`` by ``order``.

    Ties (and ``order`` empty) keep the input order, so ``last`` is the last record in the data.
    """
    keys = [sort_code(add[v], desc, na_first) for v, desc, na_first in reversed(order)]
    pos = np.lexsort([np.arange(len(add)), *keys, codes]) if len(add) else np.zeros(0, dtype=np.int64)
    g = codes[pos]
    if mode == "first":
        keep = np.ones(len(pos), dtype=bool)
        keep[1:] = g[1:] != g[:-1]
    else:
        keep = np.ones(len(pos), dtype=bool)
        keep[:-1] = g[1:] != g[:-1]
    return pos[keep]


def _evaluate(df: pd.DataFrame, flt: Any, *, fn: str, name: str) -> np.ndarray:
    """``filters.evaluate`` with problems reported under ``fn`` and the argument ``name``."""
    if not flt:
        return np.ones(len(df), dtype=bool)
    problems = filters.check(flt, df.columns)
    if problems:
        raise ValueError(f"{fn}: {name}: " + "; ".join(problems))
    return filters.evaluate(df, flt)


def filter_add_records(
    dataset_add: pd.DataFrame, filter_add: Any, *, fn: str, name: str = "filter_add"
) -> pd.DataFrame:
    """``dataset_add`` restricted to ``filter_add`` (every record if ``None``); bad filters name ``fn``."""
    if not filter_add:
        return dataset_add
    return dataset_add.loc[_evaluate(dataset_add, filter_add, fn=fn, name=name)]


def check_mode(mode: str | None, *, fn: str, allow_none: bool = True) -> None:
    if mode is None and allow_none:
        return
    if mode not in ("first", "last"):
        raise ValueError(f"{fn}: mode must be 'first' or 'last'{' or omitted' if allow_none else ''}, got {mode!r}")


def _take(col: pd.Series, pos: np.ndarray, index: pd.Index) -> pd.Series:
    """``col`` values at positions ``pos`` (-1 -> missing), keeping the column's dtype where it can."""
    arr = col.array
    if (pos < 0).any() and isinstance(col.dtype, np.dtype):
        if col.dtype.kind in "iu":  # numpy integers cannot hold a missing value: float, as SAS numerics
            arr = col.astype("float64").array
        elif col.dtype.kind == "b":
            arr = col.astype(object).array
    return pd.Series(arr.take(pos, allow_fill=True), index=index, name=col.name)


# ---------------------------------------------------------------------------------------
# derivations
# ---------------------------------------------------------------------------------------


def derive_vars_merged(
    dataset: pd.DataFrame,
    dataset_add: pd.DataFrame,
    /,
    *,
    by_vars: Sequence[str] | Mapping[str, str],
    new_vars: Sequence[str] | Mapping[str, str] | None = None,
    filter_add: Mapping | None = None,
    order: Sequence[str] | None = None,
    mode: str | None = None,
    rename: Mapping[str, str] | None = None,
    missing_values: Mapping[str, Any] | None = None,
    exist_flag: str | None = None,
    check_unique: bool = True,
) -> pd.DataFrame:
    """Add variables from ``dataset_add`` by key (a left join on one record per by-group).

    Follows admiral's ``derive_vars_merged``: filter ``dataset_add``, optionally select the
    first/last record per by-group, then join. The output has the input's rows in the input's
    order; a record without a match gets missing values (or ``missing_values``).

    Parameters
    ----------
    dataset : the input (not modified).
    dataset_add : the dataset the variables come from (positional).
    by_vars : key variables, a list (same names in both) or a mapping
        ``{dataset var: dataset_add var}`` for differently named keys (admiral's
        ``exprs(USUBJID = ID)``). Missing key values match each other, as in a SAS merge.
    new_vars : the variables to add: a list of ``dataset_add`` names, or a mapping
        ``{new name: dataset_add name}``; ``None`` adds every non-key variable of ``dataset_add``.
    filter_add : a filter (mapping) selecting the ``dataset_add`` records to use.
    order : variables sorting each by-group for ``mode``: ``["ADT", "-AVAL"]``; a leading ``-``
        sorts descending; ``{var: ADT, desc: false, na: first}`` is the long form. Missing
        values sort last in either direction (dplyr's ``arrange``, as admiral); SAS sorts them
        first: write ``na: first``. Ties keep the input order.
    mode : ``"first"`` or ``"last"`` record per by-group after ``order``; ``None`` expects at
        most one record per by-group.
    rename : ``{old new name: final name}`` applied to the added variables (a convenience for
        ``new_vars: None``).
    missing_values : ``{new name: value}`` for records without a match (admiral's
        ``missing_values``).
    exist_flag : name of a variable set to ``"Y"`` when a match was found, ``"N"`` otherwise
        (admiral's default false value is ``NA``; here it is ``"N"``).
    check_unique : without ``mode``, more than one ``dataset_add`` record in a by-group is an
        error naming the first duplicate key; ``False`` uses the last record of each by-group.

    Returns
    -------
    DataFrame : a copy of ``dataset`` with the new variables.

    Raises
    ------
    DataError : a key, order, filter or source variable is missing.
    ValueError : a bad ``mode``, duplicate records without ``mode``, or a new variable that the
        input already has (as admiral: rename it, or add it to ``by_vars``).

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"]})
    >>> vs = pd.DataFrame({"USUBJID": ["1", "1", "2"], "VSTESTCD": ["WEIGHT"] * 3,
    ...                    "VSDY": [1, 8, 1], "VSSTRESN": [70.0, 71.0, 80.0]})
    >>> out = derive_vars_merged(adsl, vs, by_vars=["USUBJID"], new_vars={"WEIGHTBL": "VSSTRESN"},
    ...                          filter_add={"VSTESTCD": "WEIGHT"}, order=["VSDY"], mode="last",
    ...                          exist_flag="VSFL")
    >>> out["WEIGHTBL"].tolist(), out["VSFL"].tolist()
    ([71.0, 80.0, nan], ['Y', 'Y', 'N'])
    """
    fn = "derive_vars_merged"
    check_mode(mode, fn=fn)
    left, right = by_pairs(by_vars, fn=fn)
    ordv = parse_order(order, fn=fn)
    if new_vars is None:
        pairs = {c: c for c in dataset_add.columns if c not in right}
    elif isinstance(new_vars, str):
        pairs = {new_vars: new_vars}
    elif isinstance(new_vars, Mapping):
        pairs = {str(k): str(v) for k, v in new_vars.items()}
    else:
        pairs = {str(v): str(v) for v in new_vars}
    if rename:
        unknown = [k for k in rename if k not in pairs]
        if unknown:
            raise ValueError(
                f"{fn}: rename names variable(s) {', '.join(unknown)} that are not among the new variables"
            )
        pairs = {rename.get(k, k): v for k, v in pairs.items()}
    if missing_values:
        unknown = [k for k in missing_values if k not in pairs]
        if unknown:
            raise ValueError(
                f"{fn}: missing_values names variable(s) {', '.join(unknown)} that are not among the new variables"
            )
    assert_vars(dataset, left, dataset="dataset", fn=fn)
    assert_vars(dataset_add, [*right, *pairs.values(), *(v for v, _, _ in ordv)], dataset="dataset_add", fn=fn)
    clash = [k for k in [*pairs, *([exist_flag] if exist_flag else [])] if k in dataset.columns]
    if clash:
        raise ValueError(
            f"{fn}: variable(s) {', '.join(clash)} already in the input dataset; "
            "rename them (new_vars mapping or rename) or add them to by_vars"
        )
    add = filter_add_records(dataset_add, filter_add, fn=fn)
    lc, rc, _ = group_codes([dataset[v] for v in left], [add[v] for v in right])
    if mode is not None:
        sel = select_extreme(add, rc, ordv, mode)
    else:
        if check_unique and len(rc):
            _, first, counts = np.unique(rc, return_index=True, return_counts=True)
            if (counts > 1).any():
                i = int(np.sort(first[counts > 1])[0])
                keys = ", ".join(f"{v}={add[v].iloc[i]!r}" for v in right)
                raise ValueError(
                    f"{fn}: dataset_add has more than one record for {keys} (by_vars {', '.join(right)}); "
                    "give order and mode ('first'/'last') to select one, or a filter_add"
                )
        sel = select_extreme(add, rc, [], "last")
    # position of the selected record of each group, then of each input row's group
    lookup = np.full(int(max(lc.max(initial=-1), rc.max(initial=-1))) + 2, -1, dtype=np.int64)
    lookup[rc[sel]] = sel
    pos = lookup[lc]
    found = pos >= 0
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    for new, src in pairs.items():
        col = _take(add[src], pos, out.index)
        if missing_values and new in missing_values and not found.all():
            col = (
                col.astype(object).where(found, missing_values[new])
                if not _fits(col, missing_values[new])
                else col.where(found, missing_values[new])
            )
        out[new] = col
    if exist_flag:
        out[exist_flag] = np.where(found, "Y", "N").astype(object)
    return out


def _fits(col: pd.Series, value: Any) -> bool:
    """Whether ``value`` can go into ``col`` without changing its kind (number into number, text into text)."""
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return not pd.api.types.is_datetime64_any_dtype(col.dtype)


def derive_var_merged_exist_flag(
    dataset: pd.DataFrame,
    dataset_add: pd.DataFrame,
    /,
    *,
    by_vars: Sequence[str] | Mapping[str, str],
    new_var: str,
    condition: Mapping | None = None,
    filter_add: Mapping | None = None,
    true_value: Any = "Y",
    false_value: Any = "N",
    missing_value: Any = "",
) -> pd.DataFrame:
    """Flag whether the by-group has a ``dataset_add`` record meeting ``condition``.

    admiral's ``derive_var_merged_exist_flag`` semantics: after ``filter_add``,

    * ``true_value`` if at least one record of the by-group meets ``condition``;
    * ``false_value`` if the by-group has records but none meets it (a condition on a missing
      value is not met, see :mod:`adamforge.adam.filters`);
    * ``missing_value`` if the by-group has no record at all.

    admiral's defaults are ``"Y"``, ``NA``, ``NA``; here ``"Y"``, ``"N"`` and blank, so that the
    common "Y/N, blank when not assessed" needs no arguments. ``condition`` ``None`` means any
    record (then ``false_value`` never occurs).

    Parameters
    ----------
    dataset, dataset_add : the input and the additional dataset (positional).
    by_vars : key variables (list, or mapping ``{dataset var: add var}``).
    new_var : the flag to add.
    condition, filter_add : filters on ``dataset_add`` records.
    true_value, false_value, missing_value : the three flag values.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"]})
    >>> ae = pd.DataFrame({"USUBJID": ["1", "1", "2"], "AESER": ["N", "Y", "N"]})
    >>> derive_var_merged_exist_flag(adsl, ae, by_vars=["USUBJID"], new_var="SAEFL",
    ...                              condition={"AESER": "Y"})["SAEFL"].tolist()
    ['Y', 'N', '']
    """
    fn = "derive_var_merged_exist_flag"
    left, right = by_pairs(by_vars, fn=fn)
    assert_vars(dataset, left, dataset="dataset", fn=fn)
    assert_vars(dataset_add, right, dataset="dataset_add", fn=fn)
    add = filter_add_records(dataset_add, filter_add, fn=fn)
    hit = _evaluate(add, condition, fn=fn, name="condition")
    lc, rc, n = group_codes([dataset[v] for v in left], [add[v] for v in right])
    has = np.bincount(rc, minlength=n) > 0
    any_met = np.bincount(rc, weights=hit.astype(np.float64), minlength=n) > 0
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    res = np.full(len(out), missing_value, dtype=object)
    res[has[lc]] = false_value
    res[any_met[lc]] = true_value
    out[new_var] = res
    return out
