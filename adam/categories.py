"""Record-level variables from the record itself: categories, flags, constants, copies, arithmetic.

The spec writes ranges, maps, filters and operations as YAML data; nothing here evaluates an
expression string.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import filters
from .filters import is_missing as _missing
from .filters import is_text as _is_text
from .merge import assert_vars

__all__ = [
    "derive_var_cat_by_range",
    "derive_var_cat_by_map",
    "derive_var_flag_if",
    "derive_var_assign",
    "derive_var_copy",
    "derive_var_coalesce",
    "derive_var_compute",
    "COMPUTE_OPS",
]


# ---------------------------------------------------------------------------------------
# categories
# ---------------------------------------------------------------------------------------


def derive_var_cat_by_range(
    dataset: pd.DataFrame,
    *,
    source_var: str,
    new_var: str,
    ranges: Sequence[Sequence[Any]],
    missing: str = "missing",
    new_var_n: str | None = None,
    right_closed: bool = False,
) -> pd.DataFrame:
    """A category (and optionally its number) from ranges of a numeric variable.

    Parameters
    ----------
    dataset : the input (not modified).
    source_var : numeric variable (e.g. ``AGE``, ``AVAL``, ``BMIBL``).
    new_var : the category text to add (e.g. ``AGEGR1``).
    ranges : ``[[lo, hi, label], ...]`` or ``[[lo, hi, label, code], ...]``; ``lo <= x < hi``
        (``lo < x <= hi`` with ``right_closed``); ``None`` (YAML ``null``) is an open end. The
        first range that holds wins. A value in no range gets a blank.
    missing : how a missing ``source_var`` is grouped: ``"missing"`` (blank category, missing
        number); ``"lowest"`` (SAS compares a missing numeric as lower than any number, so it
        falls in the first range whose ``lo`` is ``None``, blank if none); any other text is
        the label to give (its code is the code of the range with that label, if any).
    new_var_n : the category number to add (e.g. ``AGEGR1N``); needs codes in ``ranges``.
    right_closed : ranges closed on the right instead of the left.

    Examples
    --------
    >>> df = pd.DataFrame({"AGE": [17, 18, 64, 65, None]})
    >>> out = derive_var_cat_by_range(df, source_var="AGE", new_var="AGEGR1", new_var_n="AGEGR1N",
    ...     ranges=[[None, 18, "<18", 1], [18, 65, "18-64", 2], [65, None, ">=65", 3]])
    >>> out["AGEGR1"].tolist(), out["AGEGR1N"].tolist()
    (['<18', '18-64', '18-64', '>=65', ''], [1, 2, 2, 3, <NA>])
    """
    fn = "derive_var_cat_by_range"
    assert_vars(dataset, [source_var], dataset="dataset", fn=fn)
    if not isinstance(ranges, (list, tuple)) or not ranges:
        raise ValueError(f"{fn}: ranges must be a non-empty list of [lo, hi, label] or [lo, hi, label, code]")
    for r in ranges:
        if not isinstance(r, (list, tuple)) or len(r) not in (3, 4):
            raise ValueError(f"{fn}: each range must be [lo, hi, label] or [lo, hi, label, code], got {r!r}")
    if new_var_n and any(len(r) < 4 for r in ranges):
        raise ValueError(f"{fn}: new_var_n {new_var_n} needs a code in every range ([lo, hi, label, code])")
    x = pd.to_numeric(dataset[source_var], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    miss = np.isnan(x)
    label = np.full(len(x), "", dtype=object)
    code = np.full(len(x), np.nan)
    done = miss.copy()
    for r in ranges:  # a loop over the few ranges, each vectorised over the records
        lo = -np.inf if r[0] is None else float(r[0])
        hi = np.inf if r[1] is None else float(r[1])
        with np.errstate(invalid="ignore"):
            m = ((x > lo) & (x <= hi)) if right_closed else ((x >= lo) & (x < hi))
        if r[1] is None:
            m |= x == np.inf
        m &= ~done
        label[m] = r[2]
        if len(r) == 4:
            code[m] = r[3]
        done |= m
    if miss.any() and missing != "missing":
        if missing == "lowest":
            hit = next((r for r in ranges if r[0] is None), None)
        else:
            hit = next((r for r in ranges if r[2] == missing), [None, None, missing])
        if hit is not None:
            label[miss] = hit[2]
            code[miss] = hit[3] if len(hit) == 4 else np.nan
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    out[new_var] = label
    if new_var_n:
        out[new_var_n] = pd.Series(_codes(code).array, index=out.index)
    return out


def _codes(code: np.ndarray) -> pd.Series:
    """Whole-number codes as nullable integers, others as floats."""
    finite = code[~np.isnan(code)]
    if len(finite) == 0 or np.all(finite == np.round(finite)):
        return pd.Series(pd.array(np.where(np.isnan(code), 0, code).astype(np.int64), dtype="Int64")).where(
            ~np.isnan(code)
        )
    return pd.Series(code)


def derive_var_cat_by_map(
    dataset: pd.DataFrame,
    *,
    source_var: str,
    new_var: str,
    values: Mapping[Any, Any],
    default: Any = None,
    case_insensitive: bool = False,
    new_var_n: str | None = None,
    values_n: Mapping[Any, Any] | None = None,
) -> pd.DataFrame:
    """A category from a value map (SAS format, ``case_when`` of equalities).

    Parameters
    ----------
    dataset : the input (not modified).
    source_var : the variable mapped (text or number).
    new_var : the category to add.
    values : ``{source value: category}``. Several source values may share a category.
    default : the category of a non-missing value not in ``values``; ``None`` gives blank.
        A missing source value always gives blank.
    case_insensitive : compare text without case and without edge blanks.
    new_var_n : a numeric variable to add from the category.
    values_n : ``{category: number}`` for ``new_var_n`` (a category without a number, or
        blank, gives missing).

    Examples
    --------
    >>> df = pd.DataFrame({"RACE": ["WHITE", "Asian", "OTHER", ""]})
    >>> out = derive_var_cat_by_map(df, source_var="RACE", new_var="RACEGR1",
    ...     values={"WHITE": "White", "ASIAN": "Asian"}, default="Other", case_insensitive=True,
    ...     new_var_n="RACEGR1N", values_n={"White": 1, "Asian": 2, "Other": 3})
    >>> out["RACEGR1"].tolist(), out["RACEGR1N"].tolist()
    (['White', 'Asian', 'Other', ''], [1, 2, 3, <NA>])
    """
    fn = "derive_var_cat_by_map"
    assert_vars(dataset, [source_var], dataset="dataset", fn=fn)
    if not isinstance(values, Mapping):
        raise ValueError(f"{fn}: values must be a mapping {{source value: category}}, got {values!r}")
    if new_var_n and not isinstance(values_n, Mapping):
        raise ValueError(f"{fn}: new_var_n {new_var_n} needs values_n, a mapping {{category: number}}")
    col = dataset[source_var]
    codes, uniq = pd.factorize(col, use_na_sentinel=False)  # map the distinct values only
    u = pd.Series(np.asarray(uniq, dtype=object))
    umiss = _missing(u) if len(u) else np.zeros(0, dtype=bool)
    text = _is_text(col)

    def norm(v: Any) -> Any:
        if text or case_insensitive:
            v = str(v)
            return v.strip().upper() if case_insensitive else v
        return v

    table = {norm(k): v for k, v in values.items()}
    key = u.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else norm(v)) if len(u) else u
    found = key.isin(list(table)).to_numpy(dtype=bool) & ~umiss
    ucat = np.where(found, key.map(table).to_numpy(dtype=object), "" if default is None else default).astype(object)
    ucat[umiss] = ""
    cat = ucat[codes] if len(u) else np.zeros(0, dtype=object)
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    out[new_var] = cat
    if new_var_n and values_n is not None:  # values_n is a mapping when new_var_n is set (checked above)
        num = pd.Series(cat, dtype=object).map(dict(values_n)).to_numpy(dtype="float64", na_value=np.nan)
        out[new_var_n] = pd.Series(_codes(num).array, index=out.index)
    return out


# ---------------------------------------------------------------------------------------
# flags, constants, copies
# ---------------------------------------------------------------------------------------


def derive_var_flag_if(
    dataset: pd.DataFrame,
    *,
    new_var: str,
    condition: Mapping,
    true_value: Any = "Y",
    false_value: Any = "N",
    missing_value: Any = None,
) -> pd.DataFrame:
    """A flag from a filter on the record itself (e.g. SAFFL from ITTFL and TRTSDT).

    ``true_value`` where ``condition`` holds, else ``false_value``. With ``missing_value``
    given, a record on which any variable the condition reads is missing gets
    ``missing_value`` instead of ``false_value`` (a condition is never met on a missing value,
    see :mod:`adamforge.adam.filters`).

    Examples
    --------
    >>> adsl = pd.DataFrame({"ITTFL": ["Y", "Y", "N"], "TRTSDT": pd.to_datetime(["2020-01-02", None, "2020-01-03"])})
    >>> derive_var_flag_if(adsl, new_var="SAFFL",
    ...     condition={"ITTFL": "Y", "TRTSDT": {"missing": False}})["SAFFL"].tolist()
    ['Y', 'N', 'N']
    """
    fn = "derive_var_flag_if"
    if not condition or not isinstance(condition, Mapping):
        raise ValueError(f"{fn}: condition must be a filter (a non-empty mapping), got {condition!r}")
    assert_vars(dataset, sorted(filters.variables(condition)), dataset="dataset", fn=fn)
    problems = filters.check(condition, dataset.columns)
    if problems:
        raise ValueError(f"{fn}: condition: " + "; ".join(problems))
    met = filters.evaluate(dataset, condition)
    res = np.where(met, true_value, false_value).astype(object) if len(met) else np.zeros(0, dtype=object)
    res = np.asarray(res, dtype=object)
    if missing_value is not None:
        anymiss = np.zeros(len(dataset), dtype=bool)
        for v in filters.variables(condition):
            anymiss |= _missing(dataset[v])
        res[anymiss & ~met] = missing_value
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    out[new_var] = res
    return out


def derive_var_assign(dataset: pd.DataFrame, *, new_var: str, value: Any) -> pd.DataFrame:
    """Add (or overwrite) ``new_var`` with the constant ``value`` on every record.

    Examples
    --------
    >>> derive_var_assign(pd.DataFrame({"X": [1, 2]}), new_var="PARAMCD", value="BMI")["PARAMCD"].tolist()
    ['BMI', 'BMI']
    """
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    out[new_var] = pd.Series(
        [value] * len(out), index=out.index, dtype=object if isinstance(value, str) or value is None else None
    )
    return out


def derive_var_copy(dataset: pd.DataFrame, *, new_var: str, source_var: str) -> pd.DataFrame:
    """Add ``new_var`` as a copy of ``source_var`` (e.g. AVAL from VSSTRESN, ADT from ASTDT).

    Examples
    --------
    >>> derive_var_copy(pd.DataFrame({"VSSTRESN": [1.5]}), new_var="AVAL", source_var="VSSTRESN")["AVAL"].tolist()
    [1.5]
    """
    assert_vars(dataset, [source_var], dataset="dataset", fn="derive_var_copy")
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    out[new_var] = out[source_var]
    return out


def derive_var_coalesce(dataset: pd.DataFrame, *, new_var: str, source_vars: Sequence[str]) -> pd.DataFrame:
    """Add ``new_var`` = the first non-missing of ``source_vars`` (SQL/SAS ``COALESCE``).

    Blank text counts as missing (``COALESCEC``). The result keeps the sources' type when they
    share one.

    Examples
    --------
    >>> df = pd.DataFrame({"A": [None, "x", ""], "B": ["b", "y", ""], "C": ["c", "z", "w"]})
    >>> derive_var_coalesce(df, new_var="D", source_vars=["A", "B", "C"])["D"].tolist()
    ['b', 'x', 'w']
    """
    fn = "derive_var_coalesce"
    if isinstance(source_vars, str) or not source_vars:
        raise ValueError(f"{fn}: source_vars must be a non-empty list of variable names, got {source_vars!r}")
    assert_vars(dataset, list(source_vars), dataset="dataset", fn=fn)
    res = dataset[source_vars[0]]
    miss = _missing(res)
    for v in source_vars[1:]:  # a loop over the few variables, vectorised over the records
        col = dataset[v]
        if res.dtype != col.dtype:
            res = res.astype(object)
        res = res.where(~miss, col)
        miss = miss & _missing(col)
    if _is_text(res):
        res = res.astype(object).where(~miss, "")
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    out[new_var] = res.to_numpy() if res.dtype == object else res
    return out


# ---------------------------------------------------------------------------------------
# arithmetic as data
# ---------------------------------------------------------------------------------------

#: operations of :func:`derive_var_compute` and their number of arguments (None: two or more)
COMPUTE_OPS = {
    "add": None,
    "subtract": None,
    "multiply": None,
    "divide": None,
    "sum": None,
    "mean": None,
    "min": None,
    "max": None,
    "power": 2,
    "bmi": 2,
    "abs": 1,
    "negate": 1,
}


def derive_var_compute(
    dataset: pd.DataFrame,
    *,
    new_var: str,
    op: str,
    args: Sequence[Any],
    na_rm: bool = False,
) -> pd.DataFrame:
    """Add ``new_var`` computed by a named arithmetic operation on variables and numbers.

    ``args`` are variable names (text) or numbers. Operations:

    ===================  =====================================================================
    ``add``              ``a + b + ...``
    ``subtract``         ``a - b - ...``
    ``multiply``         ``a * b * ...``
    ``divide``           ``a / b / ...`` (division by zero gives missing, as in SAS)
    ``sum``, ``mean``,   over the arguments of each record
    ``min``, ``max``
    ``power``            ``a ** b``
    ``bmi``              ``weight_kg / (height_cm / 100) ** 2`` from ``[weight, height]``
    ``abs``, ``negate``  ``|a|``, ``-a``
    ===================  =====================================================================

    A missing argument gives a missing result; with ``na_rm: true``, ``sum``/``mean``/``min``/
    ``max`` skip missing arguments (SAS ``SUM``/``MEAN``/``MIN``/``MAX`` functions) and are
    missing only when every argument is.

    Examples
    --------
    >>> df = pd.DataFrame({"WEIGHT": [80.0, None], "HEIGHT": [200.0, 180.0]})
    >>> derive_var_compute(df, new_var="BMI", op="bmi", args=["WEIGHT", "HEIGHT"])["BMI"].tolist()
    [20.0, nan]
    >>> derive_var_compute(df, new_var="X", op="sum", args=["WEIGHT", 1], na_rm=True)["X"].tolist()
    [81.0, 1.0]
    """
    fn = "derive_var_compute"
    if op not in COMPUTE_OPS:
        raise ValueError(f"{fn}: op must be one of {', '.join(COMPUTE_OPS)}, got {op!r}")
    if isinstance(args, (str, bytes)) or not isinstance(args, (list, tuple)):
        raise ValueError(f"{fn}: args must be a list of variable names and numbers, got {args!r}")
    need = COMPUTE_OPS[op]
    if (need is None and len(args) < (1 if op in ("sum", "mean", "min", "max") else 2)) or (
        need is not None and len(args) != need
    ):
        raise ValueError(f"{fn}: op {op!r} takes {need if need is not None else 'two or more'} args, got {len(args)}")
    bad = [a for a in args if not isinstance(a, str) and (isinstance(a, bool) or not isinstance(a, (int, float)))]
    if bad:
        raise ValueError(f"{fn}: args must be variable names or numbers, got {bad!r}")
    assert_vars(dataset, [a for a in args if isinstance(a, str)], dataset="dataset", fn=fn)
    n = len(dataset)
    cols = [
        pd.to_numeric(dataset[a], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        if isinstance(a, str)
        else np.full(n, float(a))
        for a in args
    ]
    m = np.column_stack(cols) if cols else np.zeros((n, 0))
    with np.errstate(all="ignore"):
        if op in ("sum", "mean", "min", "max"):
            allmiss = np.isnan(m).all(axis=1)
            if na_rm:
                filled = {"sum": 0.0, "mean": 0.0, "min": np.inf, "max": -np.inf}[op]
                mm = np.where(np.isnan(m), filled, m)
                if op == "mean":
                    cnt = (~np.isnan(m)).sum(axis=1)
                    res = mm.sum(axis=1) / np.where(cnt == 0, 1, cnt)
                else:
                    res = getattr(mm, op)(axis=1)
                res = np.where(allmiss, np.nan, res)
            else:
                res = getattr(m, op)(axis=1)
        elif op == "add":
            res = m.sum(axis=1)
        elif op == "multiply":
            res = m.prod(axis=1)
        elif op == "subtract":
            res = m[:, 0] - m[:, 1:].sum(axis=1)
            res = np.where(np.isnan(m).any(axis=1), np.nan, res)
        elif op == "divide":
            res = m[:, 0].copy()
            for j in range(1, m.shape[1]):  # a loop over the arguments
                res = res / m[:, j]
        elif op == "power":
            res = np.power(m[:, 0], m[:, 1])
        elif op == "bmi":
            res = m[:, 0] / (m[:, 1] / 100.0) ** 2
        elif op == "abs":
            res = np.abs(m[:, 0])
        else:  # negate
            res = -m[:, 0]
    res = np.where(np.isfinite(res), res, np.nan)
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    out[new_var] = pd.Series(res + 0.0, index=out.index)
    return out
