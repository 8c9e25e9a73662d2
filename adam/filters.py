"""Filters and conditions as data: what a spec writes instead of an expression string.

A filter is YAML data, never code. It is one of:

* ``{VAR: value}`` - shorthand for ``{VAR: {eq: value}}``;
* ``{VAR: {op: value, ...}}`` - one or more operators on one variable (all must hold);
* a mapping with several variables - every one must hold (``all``);
* ``{all: [f, ...]}``, ``{any: [f, ...]}``, ``{not: f}``.

Operators (``value`` is a YAML scalar or list; ``*_var`` operators name another variable of the
same record):

=============================  ==========================================================
``eq``, ``ne``                 equal / not equal
``in``, ``not_in``             one of / none of a list
``eq_ci``, ``in_ci``,          as ``eq`` / ``in`` / ``not_in``, text compared without case
``not_in_ci``                  (``Scrnfail`` matches ``SCRNFAIL``) and without edge blanks
``lt``, ``le``, ``gt``, ``ge``  numeric or date comparison (a date as ``"2014-01-31"``; on a
                               text variable, text order: ISO 8601 dates compare in time)
``eq_var`` ... ``ge_var``      comparison with another variable of the record
``missing``                    ``true``: the value is missing (NaN, NaT, ``None`` or blank
                               text); ``false``: present
``starts_with``, ``contains``  text operators (case-sensitive)
=============================  ==========================================================

Missing values: a missing value satisfies no operator except ``missing: true`` (as in dplyr's
``filter`` and SAS ``WHERE`` with the explicit ``missing`` test; note that SAS would treat a
missing numeric as smaller than any number in ``lt``/``le``; write ``any: [{X: {lt: 5}},
{X: {missing: true}}]`` to get that).

Functions: :func:`evaluate` (a boolean array), :func:`check` (problems, for the spec checks),
:func:`variables` (the variables a filter reads, for the input checks), :func:`describe` (the
filter in words, for logs and define.xml).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["OPERATORS", "evaluate", "check", "variables", "describe", "FilterError"]

_CMP = ("lt", "le", "gt", "ge")
_VAR_OPS = ("eq_var", "ne_var", "lt_var", "le_var", "gt_var", "ge_var")
#: every operator a filter may use
OPERATORS = (
    "eq",
    "ne",
    "in",
    "not_in",
    "eq_ci",
    "in_ci",
    "not_in_ci",
    *_CMP,
    *_VAR_OPS,
    "missing",
    "starts_with",
    "contains",
)
_LOGIC = ("all", "any", "not")
_WORDS = {
    "eq": "=",
    "ne": "^=",
    "lt": "<",
    "le": "<=",
    "gt": ">",
    "ge": ">=",
    "in": "IN",
    "not_in": "NOT IN",
    "eq_ci": "= (any case)",
    "in_ci": "IN (any case)",
    "not_in_ci": "NOT IN (any case)",
    "starts_with": "starts with",
    "contains": "contains",
}
_MAX_DEPTH = 32


class FilterError(ValueError):
    """A filter that is not of the filter language, or reads a variable the data lack."""


def is_missing(col: pd.Series) -> np.ndarray:
    """True where ``col`` is missing: NaN, NaT, ``None``, or blank text (a SAS character missing)."""
    miss = col.isna().to_numpy(dtype=bool)
    if col.dtype == object or isinstance(col.dtype, pd.StringDtype):
        txt = col.astype("str").str.strip()
        miss = miss | (txt == "").fillna(True).to_numpy(dtype=bool)
    return miss


def is_text(col: pd.Series) -> bool:
    """A text column (object, string or categorical): compared as text."""
    return col.dtype == object or isinstance(col.dtype, (pd.StringDtype, pd.CategoricalDtype))


def _coerce_value(col: pd.Series, value: Any) -> Any:
    """The filter value in the column's terms (a date string for a date column)."""
    if pd.api.types.is_datetime64_any_dtype(col.dtype) and isinstance(value, str):
        try:
            return pd.Timestamp(value)
        except ValueError as exc:
            raise FilterError(f"{value!r} is not a date (YYYY-MM-DD)") from exc
    return value


def _as_list(value: Any) -> list:
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _text(col: pd.Series) -> pd.Series:
    return col.astype("str")


def _op(df: pd.DataFrame, var: str, op: str, value: Any) -> np.ndarray:
    col = df[var]
    present = ~is_missing(col)
    if op == "missing":
        return ~present if value else present
    if op in ("eq", "ne"):
        v = _coerce_value(col, value)
        if is_text(col) and not isinstance(v, str) and v is not None:
            v = str(v)
        res = (col == v).fillna(False).to_numpy(dtype=bool)
        return present & (res if op == "eq" else ~res)
    if op in ("in", "not_in"):
        vals = [_coerce_value(col, v) for v in _as_list(value)]
        if is_text(col):
            vals = [v if isinstance(v, str) else str(v) for v in vals if v is not None]
        res = col.isin(vals).to_numpy(dtype=bool)
        return present & (res if op == "in" else ~res)
    if op in ("eq_ci", "in_ci", "not_in_ci"):
        keys = {str(v).strip().upper() for v in _as_list(value)}
        up = _text(col).str.strip().str.upper()
        res = up.isin(list(keys)).fillna(False).to_numpy(dtype=bool)
        return present & (~res if op == "not_in_ci" else res)
    if op in ("starts_with", "contains"):
        txt = _text(col)
        res = txt.str.startswith(str(value)) if op == "starts_with" else txt.str.contains(str(value), regex=False)
        return present & res.fillna(False).to_numpy(dtype=bool)
    if op in _CMP or op in _VAR_OPS:
        base = op[:-4] if op in _VAR_OPS else op
        if op in _VAR_OPS:
            if not isinstance(value, str) or value not in df.columns:
                raise FilterError(f"{op} names variable {value!r}, which the data lack")
            other = df[value]
            present = present & ~is_missing(other)
        else:
            other = _coerce_value(col, value)
        left = col
        if is_text(col) and isinstance(other, str):  # ISO 8601 text sorts in time order
            left = _text(col)
            res = {"lt": left < other, "le": left <= other, "gt": left > other, "ge": left >= other}[base]
            return present & res.fillna(False).to_numpy(dtype=bool)
        if not pd.api.types.is_datetime64_any_dtype(col.dtype) and not (op in _VAR_OPS and is_text(col)):
            left = pd.to_numeric(col, errors="coerce")
            if op in _VAR_OPS:
                other = pd.to_numeric(other, errors="coerce")
        fn = {
            "eq": np.equal,
            "ne": np.not_equal,
            "lt": np.less,
            "le": np.less_equal,
            "gt": np.greater,
            "ge": np.greater_equal,
        }[base]
        with np.errstate(invalid="ignore"):
            res = pd.Series(fn(left, other), index=df.index).fillna(False).to_numpy(dtype=bool)
        return present & res
    raise FilterError(f"unknown operator {op!r} (operators: {', '.join(OPERATORS)})")


def evaluate(df: pd.DataFrame, flt: Any) -> np.ndarray:
    """The rows of ``df`` where ``flt`` holds, as a boolean array (``None`` or ``{}``: every row).

    Examples
    --------
    >>> df = pd.DataFrame({"ARMCD": ["Pbo", "Scrnfail", "Xan_Hi"], "AGE": [70, 80, None]})
    >>> evaluate(df, {"not": {"ARMCD": {"in_ci": ["SCRNFAIL"]}}}).tolist()
    [True, False, True]
    >>> evaluate(df, {"AGE": {"ge": 75}}).tolist()
    [False, True, False]
    """
    problems = check(flt, df.columns)
    if problems:
        raise FilterError("; ".join(problems))
    return _eval(df, flt)


def _eval(df: pd.DataFrame, flt: Any) -> np.ndarray:
    if not flt:
        return np.ones(len(df), dtype=bool)
    out = np.ones(len(df), dtype=bool)
    for key, val in flt.items():
        if key == "all":
            for f in val:
                out &= _eval(df, f)
        elif key == "any":
            acc = np.zeros(len(df), dtype=bool)
            for f in val:
                acc |= _eval(df, f)
            out &= acc
        elif key == "not":
            out &= ~_eval(df, val)
        elif isinstance(val, Mapping):
            for op, v in val.items():
                out &= _op(df, key, op, v)
        else:
            out &= _op(df, key, "eq", val)
    return out


def check(flt: Any, columns: Iterable[str] | None = None, *, _depth: int = 0) -> list[str]:
    """Problems with a filter: not of the language, unknown operators, variables not in ``columns``.

    ``columns`` ``None`` skips the variable check (the spec check, before any data are read).
    """
    if flt is None:
        return []
    if _depth > _MAX_DEPTH:
        return [f"filter nested deeper than {_MAX_DEPTH} levels"]
    if not isinstance(flt, Mapping):
        return [f"a filter must be a mapping {{VARIABLE: condition}} or {{all/any/not: ...}}, got {flt!r}"]
    cols = None if columns is None else set(columns)
    msgs: list[str] = []
    for key, val in flt.items():
        if key in ("all", "any"):
            if not isinstance(val, (list, tuple)) or not val:
                msgs.append(f"'{key}' takes a non-empty list of filters, got {val!r}")
                continue
            for f in val:
                msgs += check(f, columns, _depth=_depth + 1)
        elif key == "not":
            msgs += check(val, columns, _depth=_depth + 1)
        elif not isinstance(key, str):
            msgs.append(f"filter key {key!r} is not a variable name")
        else:
            if cols is not None and key not in cols:
                msgs.append(f"filter reads variable {key}, which the data lack")
            if isinstance(val, Mapping):
                if not val:
                    msgs.append(f"filter on {key} has no operator")
                for op, v in val.items():
                    if op not in OPERATORS:
                        msgs.append(f"filter on {key}: unknown operator {op!r} (operators: {', '.join(OPERATORS)})")
                    elif op in _VAR_OPS:
                        if not isinstance(v, str):
                            msgs.append(f"filter on {key}: {op} takes a variable name, got {v!r}")
                        elif cols is not None and v not in cols:
                            msgs.append(f"filter on {key}: {op} reads variable {v}, which the data lack")
                    elif op == "missing" and not isinstance(v, bool):
                        msgs.append(f"filter on {key}: 'missing' takes true or false, got {v!r}")
                    elif op in ("in", "not_in", "in_ci", "not_in_ci") and not isinstance(v, (list, tuple)):
                        msgs.append(f"filter on {key}: {op} takes a list, got {v!r}")
                    elif op in _CMP and not isinstance(v, (int, float, str)) or isinstance(v, bool) and op in _CMP:
                        msgs.append(f"filter on {key}: {op} takes a number or a date, got {v!r}")
            elif isinstance(val, (list, tuple)):
                msgs.append(f"filter on {key}: a list needs an operator ({{in: [...]}})")
    return msgs


def variables(flt: Any) -> set[str]:
    """The variables a filter reads (``*_var`` operands included)."""
    out: set[str] = set()
    if not isinstance(flt, Mapping):
        return out
    for key, val in flt.items():
        if key in ("all", "any"):
            for f in val or ():
                out |= variables(f)
        elif key == "not":
            out |= variables(val)
        else:
            out.add(key)
            if isinstance(val, Mapping):
                out |= {v for op, v in val.items() if op in _VAR_OPS and isinstance(v, str)}
    return out


def describe(flt: Any) -> str:
    """The filter in SAS-like words, e.g. ``ARMCD NOT IN (any case) ('SCRNFAIL')``."""
    if not flt:
        return "(all records)"
    parts = []
    for key, val in flt.items():
        if key in ("all", "any"):
            parts.append("(" + f" {'AND' if key == 'all' else 'OR'} ".join(describe(f) for f in val) + ")")
        elif key == "not":
            parts.append(f"NOT ({describe(val)})")
        else:
            ops = val if isinstance(val, Mapping) else {"eq": val}
            for op, v in ops.items():
                if op == "missing":
                    parts.append(f"{key} is {'missing' if v else 'not missing'}")
                elif op in _VAR_OPS:
                    parts.append(f"{key} {_WORDS[op[:-4]]} {v}")
                elif isinstance(v, (list, tuple)):
                    parts.append(f"{key} {_WORDS[op]} (" + ", ".join(repr(x) for x in v) + ")")
                else:
                    parts.append(f"{key} {_WORDS[op]} {v!r}")
    return " AND ".join(parts)
