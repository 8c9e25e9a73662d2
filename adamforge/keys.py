"""Key operations that stay fast on millions of records: membership, row codes, duplicate keys.

pandas 3 stores text as Arrow strings. On such columns ``Series.isin`` with many values converts
every value to a Python object first, and ``DataFrame.duplicated`` / ``merge`` on several text
columns hash the strings again for each call. These helpers give the same answers through Arrow
hash kernels (membership) or through integer codes (one ``factorize`` per column), so that a
check or a lookup on the diary records costs a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "isin",
    "factorize_column",
    "combine_codes",
    "row_codes",
    "duplicated_rows",
    "lookup",
    "as_category",
    "as_text",
    "match_last",
]


def _is_arrow_text(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"


def isin(values: pd.Series, allowed: Iterable) -> np.ndarray:
    """``values.isin(allowed)`` as a boolean array (missing matches missing, as in pandas).

    Arrow-backed text is matched by Arrow's hash kernel (``pyarrow.compute.is_in``), which
    avoids converting the allowed values, and the result, one Python object at a time.

    Examples
    --------
    >>> isin(pd.Series(["A", "B", None], dtype="str"), {"A"}).tolist()
    [True, False, False]
    """
    if _is_arrow_text(values):
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pa.array(values)
        if isinstance(allowed, (pd.Series, pd.Index)) and _is_arrow_text(pd.Series(allowed[:0])):
            value_set = pa.array(allowed)
        else:
            try:
                value_set = pa.array(list(allowed), from_pandas=True)
            except (pa.ArrowException, TypeError, ValueError):
                value_set = None
        if value_set is not None and (
            pa.types.is_string(value_set.type)
            or pa.types.is_large_string(value_set.type)
            or pa.types.is_null(value_set.type)
        ):
            if isinstance(value_set, pa.ChunkedArray):
                value_set = value_set.combine_chunks()
            res = pc.is_in(arr, value_set=value_set.cast(arr.type))
            return np.asarray(res.to_numpy(zero_copy_only=False), dtype=bool)
    if not isinstance(allowed, (pd.Series, pd.Index, np.ndarray, list, tuple)):
        allowed = list(allowed)
    return values.isin(allowed).to_numpy()


def factorize_column(col: pd.Series | np.ndarray) -> tuple[np.ndarray, int]:
    """``(codes, number of distinct values)`` of a column; missing is a value of its own."""
    k, uniq = pd.factorize(col, use_na_sentinel=False)
    return k.astype(np.int64, copy=False), max(len(uniq), 1)


def combine_codes(parts: Sequence[tuple[np.ndarray, int]]) -> np.ndarray:
    """Combine per-column ``(codes, size)`` into one ``int64`` code per row.

    Codes are combined arithmetically and re-compressed before they could overflow.
    """
    if not parts:
        raise ValueError("combine_codes needs at least one column")
    codes, size = parts[0]
    codes = codes.astype(np.int64, copy=True)
    for k, n in parts[1:]:
        if size * n >= 2**62:
            codes, u = pd.factorize(codes)
            size = max(len(u), 1)
        codes = codes * n + k
        size *= n
    return codes


def row_codes(columns: Sequence[pd.Series | np.ndarray]) -> np.ndarray:
    """One ``int64`` code per row for its combination of values (equal combinations, equal codes).

    Each column is factorized once (missing is a value of its own, as ``DataFrame.duplicated``
    treats it), then :func:`combine_codes`.
    """
    return combine_codes([factorize_column(c) for c in columns])


def duplicated_rows(codes: np.ndarray) -> np.ndarray:
    """True on every row whose code occurs more than once (``keep=False``)."""
    # a stable (radix) sort of int64 codes is far cheaper than hashing them: pandas' int64 hash
    # table degrades badly on arithmetically structured codes like these
    order = np.argsort(codes, kind="stable")
    ranked = codes[order]
    same = ranked[1:] == ranked[:-1]
    hit = np.zeros(len(codes), dtype=bool)
    hit[1:] |= same
    hit[:-1] |= same
    out = np.empty(len(codes), dtype=bool)
    out[order] = hit
    return out


def lookup(keys: pd.Series, index: pd.Series) -> np.ndarray:
    """Position of each key in ``index`` (-1 where absent); ``index`` values are unique.

    Equivalent to ``pd.Index(index).get_indexer(keys)`` but, for Arrow text, done on the
    codes of one shared ``factorize`` instead of converting both sides to Python strings.
    """
    if _is_arrow_text(keys) and _is_arrow_text(index):
        both = pd.concat([index.reset_index(drop=True), keys.reset_index(drop=True)], ignore_index=True)
        codes, uniq = pd.factorize(both)
        n = len(index)
        ic, kc = codes[:n], codes[n:]
        pos = np.full(len(uniq) + 1, -1, dtype=np.int64)
        has = ic >= 0  # a missing key matches nothing
        pos[ic[has]] = np.flatnonzero(has)
        return pos[kc]  # a missing key (code -1) reads pos[-1], which stays -1
    return pd.Index(index).get_indexer(keys)


def as_category(s: pd.Series) -> pd.Series:
    """``s`` as a categorical with sorted categories (sorting and grouping then work on codes).

    Sorted categories keep every sort and ``groupby(sort=True)`` in the same order as on the text.
    """
    return s.astype("category")


def as_text(s: pd.Series) -> pd.Series:
    """Undo :func:`as_category`: the values in the categories' own dtype (a take, not a Python loop)."""
    if not isinstance(s.dtype, pd.CategoricalDtype):
        return s
    values = s.cat.categories.array.take(s.cat.codes.to_numpy(), allow_fill=True)
    return pd.Series(values, index=s.index, name=s.name)


def match_last(left: Sequence[pd.Series], right: Sequence[pd.Series]) -> np.ndarray:
    """For each row of ``left``, the position of the last ``right`` row with the same key (-1: none).

    ``left`` and ``right`` are the key columns (same number, same order). Missing key values
    match each other, as in ``merge``. This is a left merge onto "the last record per key" of
    ``right`` - ``right.drop_duplicates(keys, keep="last")`` then ``merge(how="left")`` - done
    on integer codes.
    """
    n = len(right[0]) if len(right) else 0
    cols = [
        pd.concat([pd.Series(r).reset_index(drop=True), pd.Series(lft).reset_index(drop=True)], ignore_index=True)
        for lft, r in zip(left, right)
    ]
    codes, uniq = pd.factorize(row_codes(cols))
    last = np.full(len(uniq), -1, dtype=np.int64)
    np.maximum.at(last, codes[:n], np.arange(n, dtype=np.int64))
    return last[codes[n:]]
