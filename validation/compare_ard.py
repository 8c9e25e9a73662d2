"""Results-level QC: compare two analysis results datasets (ARDs), statistic by statistic.

An ARD is a tidy table of numbers before formatting: one row per statistic, identified by key
columns such as ``output_id``, ``population``, ``group``, ``parameter``, ``statistic`` and
holding the number in ``value``. Production and QC ARDs are matched on the keys and each value
compared with a tolerance chosen by the *kind* of statistic (:data:`DEFAULT_RULES`, or rules
given as data, :func:`rules_from_spec`): counts exactly, percentages to an absolute 1e-9,
descriptive statistics (means, SDs, medians, ranges) to a relative 1e-9, estimates (odds ratios,
confidence limits, CMH statistics) to a relative 1e-6, p-values to an absolute 1e-8 *or* a
relative 1e-6. Values that are not numbers (e.g. "NE", a significance mark) compare as text.

Keys match by type (:func:`normalise_keys`): numbers as numbers (``1``, ``1.0`` and
``numpy.int64(1)`` are one key; a text column of one side whose every value is a number matches
a numeric column of the other), text as text with trailing blanks ignored, and a number never
equals a text that is not one.

The result is frozen data with the same PROC COMPARE return-code bits as
:mod:`adamforge.validation.compare` (64/128 rows only in one side, 1024/2048 columns only in one
side, 4096 a value unequal) and, per statistic kind, the number compared, the number unequal
and the largest absolute and relative difference seen (over every value compared, not only
the unequal ones).
"""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from adamforge.errors import DataError, UsageError

from .compare import METHODS, describe_return_code, values_equal

__all__ = [
    "ToleranceRule",
    "DEFAULT_RULES",
    "ArdComparison",
    "KindSummary",
    "classify_statistic",
    "compare_ard",
    "read_ard",
    "render_ard_text",
    "rules_from_spec",
    "normalise_keys",
]


@dataclasses.dataclass(frozen=True)
class ToleranceRule:
    """A statistic kind: statistics whose name matches ``pattern`` (case-insensitive, full match)
    compare with ``method`` (PROC COMPARE's: exact, absolute, relative, percent) and
    ``criterion``; with ``or_method``/``or_criterion`` a value is also equal when it meets that
    second criterion (p-values: absolute 1e-8 *or* relative 1e-6)."""

    kind: str
    pattern: str
    method: str
    criterion: float
    or_method: str = ""
    or_criterion: float = 0.0

    def matches(self, statistic: str) -> bool:
        """True when ``statistic`` is of this kind."""
        return re.fullmatch(self.pattern, statistic, flags=re.IGNORECASE) is not None

    @property
    def tolerance(self) -> str:
        """The tolerance in words, e.g. ``"absolute 1e-08 or relative 1e-06"``."""
        one = "exact" if self.method == "exact" else f"{self.method} {self.criterion:g}"
        if self.or_method:
            one += " or " + ("exact" if self.or_method == "exact" else f"{self.or_method} {self.or_criterion:g}")
        return one

    def equal(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Element-wise equality of numbers under this rule (NaN equals only NaN)."""
        eq = values_equal(x, y, method=self.method, criterion=self.criterion)
        if self.or_method:
            eq |= values_equal(x, y, method=self.or_method, criterion=self.or_criterion)
        return eq


STANDARD_KEYS = ("output_id", "population", "group", "parameter", "statistic")

#: The default tolerances, first match wins. Why these values: docs/qc.md ("Tolerances").
DEFAULT_RULES: tuple[ToleranceRule, ...] = (
    ToleranceRule(
        "count", r"n|big_n|count|freq|nobs|nmiss|n_\w+|\w+_n|denom\w*|numer\w*|events?|responders?", "exact", 0.0
    ),
    ToleranceRule("percent", r"\w*(pct|percent|prop|proportion|rate)\w*|%", "absolute", 1e-9),
    ToleranceRule("p-value", r"p|pval\w*|p_?value\w*|\w+_p|\w+_pval\w*", "absolute", 1e-8, "relative", 1e-6),
    ToleranceRule("descriptive", r"mean|sd|std|se|median|min|max|q1|q3|sum|var|variance|range", "relative", 1e-9),
    ToleranceRule("categorical", r"sig_mark|method|separation|fallback_reason|\w*_flag|flag", "exact", 0.0),
    ToleranceRule("estimate", r".*", "relative", 1e-6),
)


def classify_statistic(statistic: str, rules: Sequence[ToleranceRule] = DEFAULT_RULES) -> ToleranceRule:
    """The first rule whose pattern matches ``statistic``.

    >>> classify_statistic("pct").kind, classify_statistic("p_value").kind, classify_statistic("or_lcl").kind
    ('percent', 'p-value', 'estimate')
    """
    for r in rules:
        if r.matches(str(statistic)):
            return r
    raise UsageError(f"no tolerance rule matches statistic {statistic!r}")


def rules_from_spec(
    entries: Iterable[Mapping[str, Any]] | None, defaults: Sequence[ToleranceRule] = DEFAULT_RULES
) -> tuple[ToleranceRule, ...]:
    """Tolerance rules given as data (the QC spec's ``results.tolerances``), then ``defaults``.

    Each entry: ``kind``, either ``statistics`` (a list of names) or ``pattern`` (a regular
    expression, full match), ``method`` (exact, absolute, relative, percent), ``criterion``
    (not for exact) and optionally ``or: {method, criterion}``. The entries come first, so a
    statistic named in the spec gets the spec's tolerance and any other one the default of its
    kind. Every problem is reported at once (DataError).

    >>> r = rules_from_spec([{"kind": "pct", "statistics": ["pct"], "method": "absolute", "criterion": 1e-9}])
    >>> classify_statistic("pct", r).tolerance, classify_statistic("n", r).kind
    ('absolute 1e-09', 'count')
    """
    out, problems = [], []
    for i, e in enumerate(entries or []):
        where = f"tolerances[{i}]"
        if not isinstance(e, Mapping):
            problems.append(f"{where}: expected a mapping, got {type(e).__name__}")
            continue
        kind = str(e.get("kind") or "")
        if not kind:
            problems.append(f"{where}: no kind")
        if ("statistics" in e) == ("pattern" in e):
            problems.append(f"{where} ({kind}): give either statistics (a list) or pattern")
            continue
        pattern = (
            str(e["pattern"]) if "pattern" in e else "|".join(re.escape(str(s)) for s in (e.get("statistics") or []))
        )
        try:
            re.compile(pattern)
        except re.error as exc:
            problems.append(f"{where} ({kind}): pattern {pattern!r} is not a regular expression ({exc})")
            continue
        crit: list[tuple[str, float]] = []  # (method, criterion), then (or.method, or.criterion)
        for m_key, c_key, m, c in (
            ("method", "criterion", e.get("method", "exact"), e.get("criterion", 0.0)),
            (
                "or.method",
                "or.criterion",
                (e.get("or") or {}).get("method", ""),
                (e.get("or") or {}).get("criterion", 0.0),
            ),
        ):
            if m and m not in METHODS:
                problems.append(f"{where} ({kind}): {m_key} {m!r} is not one of {', '.join(METHODS)}")
            try:
                c = float(c)
                if not math.isfinite(c) or c < 0:
                    raise ValueError
            except (TypeError, ValueError):
                problems.append(
                    f"{where} ({kind}): {c_key} must be a number >= 0, not {e.get(c_key, c)!r}"
                    if "." not in c_key
                    else f"{where} ({kind}): {c_key} must be a number >= 0, not {c!r}"
                )
                c = 0.0
            crit.append((str(m or ""), c))
        (method, criterion), (or_method, or_criterion) = crit
        out.append(ToleranceRule(kind, pattern, method or "exact", criterion, or_method, or_criterion))
    if problems:
        raise DataError("results tolerances: not usable", problems)
    return tuple(out) + tuple(defaults)


def read_ard(path: str | Path) -> pd.DataFrame:
    """Read an ARD from ``.json`` (a list of records, or an object with one of the keys
    ``results``/``ard``/``rows``/``records`` holding it), ``.parquet`` or ``.csv``."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"ARD file {str(p)!r} does not exist")
    suf = p.suffix.lower()
    if suf == ".parquet":
        return pd.read_parquet(p)
    if suf == ".csv":
        return pd.read_csv(p, keep_default_na=False, na_values=[""])
    if suf == ".json":
        doc = json.loads(p.read_text(encoding="utf-8"))
        if isinstance(doc, dict):
            for k in ("results", "ard", "rows", "records"):
                if isinstance(doc.get(k), list):
                    doc = doc[k]
                    break
        if not isinstance(doc, list):
            raise DataError(f"ARD file {str(p)!r}: expected a list of records (or results/ard/rows/records: [...])")
        return pd.DataFrame.from_records(doc)
    raise UsageError(f"ARD file {str(p)!r}: unknown format {suf!r} (expected .json, .parquet or .csv)")


def _is_number(v) -> bool:
    return isinstance(v, numbers.Number) and not isinstance(v, (bool, np.bool_))


def _missing(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if _is_number(v):
        try:
            return math.isnan(float(v))
        except (TypeError, ValueError):
            return False
    return isinstance(v, str) and v.strip() == ""


def _num_key(v: float) -> str:
    v = float(v)
    return "n:" + repr(0.0 if v == 0 else v)


def _cell_key(v) -> str:
    if _missing(v):
        return ""
    if _is_number(v):
        return _num_key(v)
    return "s:" + str(v).rstrip()


def _as_number(v):
    """``v``, or the number its text reads as."""
    if isinstance(v, str) and not _missing(v):
        try:
            return float(v)
        except ValueError:
            return v
    return v


def normalise_keys(base: pd.DataFrame, compare: pd.DataFrame, keys: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Type-aware key text of both sides: a number is ``n:<float repr>`` (1, 1.0, ``int64(1)``
    alike), text ``s:<text without trailing blanks>``, a missing value ``""``. When one side's
    column is numeric, a text of the other side that reads as a number is that number (an ARD
    read from CSV next to one read from JSON); any other text stays text."""
    kb, kc = pd.DataFrame(index=base.index), pd.DataFrame(index=compare.index)
    for k in keys:
        sb, sc = base[k], compare[k]
        num_b = pd.api.types.is_numeric_dtype(sb) and not pd.api.types.is_bool_dtype(sb)
        num_c = pd.api.types.is_numeric_dtype(sc) and not pd.api.types.is_bool_dtype(sc)
        as_num = num_b or num_c  # one side numeric: the other side's text that reads as a number is one

        def conv(s, as_num=as_num):
            return s.map(lambda v: _cell_key(_as_number(v) if as_num else v))

        kb[k], kc[k] = conv(sb).astype(object), conv(sc).astype(object)
    return kb, kc


@dataclasses.dataclass(frozen=True)
class KindSummary:
    """One statistic kind of a comparison: its tolerance, the number of statistics compared and
    unequal, and the largest absolute and relative difference seen over all of them (numbers
    only; None when no number was compared)."""

    kind: str
    tolerance: str
    n_compared: int
    n_unequal: int
    max_abs_diff: float | None
    max_rel_diff: float | None

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True, eq=False)
class ArdComparison:
    """The outcome of :func:`compare_ard`.

    ``differences``: key columns, ``kind``, ``method``, ``criterion``, ``tolerance``, ``base``,
    ``compare``, ``diff`` (compare - base, numeric values only). ``kinds``: per statistic kind
    (kind, method, criterion, number compared, number unequal, largest absolute difference seen);
    ``summaries``: the same with the tolerance text and the largest relative difference.
    """

    keys: tuple[str, ...]
    n_base: int
    n_compare: int
    n_common: int
    base_only: pd.DataFrame
    compare_only: pd.DataFrame
    columns_base_only: tuple[str, ...]
    columns_compare_only: tuple[str, ...]
    kinds: tuple[tuple[str, str, float, int, int, float | None], ...]  # kind, method, criterion, n, n_unequal, maxdiff
    differences: pd.DataFrame
    return_code: int
    summaries: tuple[KindSummary, ...] = ()

    @property
    def equal(self) -> bool:
        """True when nothing differs."""
        return self.return_code == 0

    @property
    def reasons(self) -> list[tuple[int, str]]:
        """Return code bits with meanings."""
        return describe_return_code(self.return_code)


def _text(v) -> str:
    if _missing(v):
        return ""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v).rstrip()


def compare_ard(
    base: pd.DataFrame,
    compare: pd.DataFrame,
    *,
    keys: Sequence[str] | None = None,
    value: str = "value",
    statistic: str = "statistic",
    rules: Sequence[ToleranceRule] = DEFAULT_RULES,
    value_char: str | None = "value_char",
) -> ArdComparison:
    """Compare two ARDs statistic by statistic.

    Parameters
    ----------
    base, compare : production and QC ARDs.
    keys : columns identifying a statistic; default the standard ARD keys (:data:`STANDARD_KEYS`)
        present in both, or, without them, every column common to both except the values.
        Keys match by type (:func:`normalise_keys`).
    value : the column holding the numbers.
    statistic : the column naming the statistic, used to choose its tolerance rule.
    rules : tolerance rules, first match wins (:data:`DEFAULT_RULES`, :func:`rules_from_spec`).
    value_char : the column holding text results (a significance mark, a method name); used
        where ``value`` is missing on both sides of a statistic. None: ``value`` only.

    Raises
    ------
    DataError : a key or value column missing, or duplicated keys (all named).
    """
    problems = []
    for role, df in (("BASE", base), ("COMPARE", compare)):
        for col in (value, statistic):
            if col not in df.columns:
                problems.append(f"{role}: column {col!r} not found")
    values = {value, value_char} - {None}
    if keys is None:
        std = [c for c in STANDARD_KEYS if c in base.columns and c in compare.columns]
        keys = std if statistic in std else [c for c in base.columns if c in set(compare.columns) and c not in values]
    keys = list(keys)
    for role, df in (("BASE", base), ("COMPARE", compare)):
        missing = [k for k in keys if k not in df.columns]
        if missing:
            problems.append(f"{role}: key column(s) not found: {', '.join(missing)}")
    if problems:
        raise DataError("cannot compare the ARDs", problems)
    base = base.reset_index(drop=True)
    compare = compare.reset_index(drop=True)
    kb, kc = normalise_keys(base, compare, keys)
    for role, k, df in (("BASE", kb, base), ("COMPARE", kc, compare)):
        dup = k.duplicated(keep=False)
        seen = set()
        for i in np.flatnonzero(dup.to_numpy()):
            t = tuple(k.iloc[i])
            if t in seen:
                continue
            seen.add(t)
            if len(seen) > 20:
                break
            problems.append(f"{role}: duplicated statistic " + ", ".join(f"{c}={_text(df[c].iloc[i])}" for c in keys))
    if problems:
        raise DataError(f"duplicated keys in the ARD (keys: {', '.join(keys)})", problems)

    def vals(df):
        v = df[value].to_numpy(dtype=object).copy()
        if value_char and value_char in df.columns:
            ch = df[value_char].to_numpy(dtype=object)
            use = np.array([_missing(a) and not _missing(b) for a, b in zip(v, ch)], dtype=bool)
            v[use] = ch[use]
        return v

    b = kb.assign(__vb=vals(base), __i=np.arange(len(base)))
    c = kc.assign(__vc=vals(compare), __j=np.arange(len(compare)))
    m = b.merge(c, on=keys, how="outer", sort=True, indicator=True)
    both = m[m["_merge"] == "both"].reset_index(drop=True)
    left = m.loc[m["_merge"] == "left_only", "__i"].astype(int).to_numpy()
    right = m.loc[m["_merge"] == "right_only", "__j"].astype(int).to_numpy()
    base_only = base.loc[left, keys].reset_index(drop=True)
    compare_only = compare.loc[right, keys].reset_index(drop=True)
    rc = (64 if len(base_only) else 0) | (128 if len(compare_only) else 0)
    ignore = values
    cols_b = tuple(x for x in base.columns if x not in set(compare.columns) and x not in ignore)
    cols_c = tuple(x for x in compare.columns if x not in set(base.columns) and x not in ignore)
    rc |= (1024 if cols_b else 0) | (2048 if cols_c else 0)

    bi = both["__i"].astype(int).to_numpy()
    stat_names = base[statistic].to_numpy(dtype=object)[bi].astype(str) if len(bi) else np.array([], dtype=object)
    rule_of = {s: classify_statistic(s, rules) for s in set(stat_names)}
    vb, vc = both["__vb"], both["__vc"]
    xb = pd.to_numeric(vb, errors="coerce").to_numpy(dtype="float64")
    xc = pd.to_numeric(vc, errors="coerce").to_numpy(dtype="float64")
    tb = vb.map(_text).to_numpy(dtype=object)
    tc = vc.map(_text).to_numpy(dtype=object)
    numeric = ~(np.isnan(xb) & (tb != "")) & ~(np.isnan(xc) & (tc != ""))  # both numbers or missing
    eq = np.zeros(len(both), dtype=bool)
    kinds, summaries = [], []
    kind_col = np.empty(len(both), dtype=object)
    meth_col = np.empty(len(both), dtype=object)
    tol_col = np.empty(len(both), dtype=object)
    crit_col = np.zeros(len(both))
    rule_idx = (
        np.array([rules.index(rule_of[s]) for s in stat_names], dtype=int) if len(bi) else np.array([], dtype=int)
    )
    for rule_no, rule in enumerate(rules):
        sel = rule_idx == rule_no
        if not sel.any():
            continue
        num = sel & numeric
        eq[num] = rule.equal(xb[num], xc[num])
        txt = sel & ~numeric
        eq[txt] = tb[txt] == tc[txt]
        kind_col[sel], meth_col[sel], crit_col[sel], tol_col[sel] = (
            rule.kind,
            rule.method,
            rule.criterion,
            rule.tolerance,
        )
        both_num = num & ~np.isnan(xb) & ~np.isnan(xc)
        with np.errstate(invalid="ignore", divide="ignore"):
            d = np.abs(xc[both_num] - xb[both_num])
            scale = (np.abs(xb[both_num]) + np.abs(xc[both_num])) / 2
            r = np.where(d == 0, 0.0, d / scale)
        maxd = float(np.max(d)) if len(d) else None
        maxr = float(np.max(r)) if len(r) else None
        n_un = int((sel & ~eq).sum())
        kinds.append((rule.kind, rule.method, rule.criterion, int(sel.sum()), n_un, maxd))
        summaries.append(KindSummary(rule.kind, rule.tolerance, int(sel.sum()), n_un, maxd, maxr))
    if (~eq).any():
        rc |= 4096
    un = ~eq
    diffs = base.loc[bi[un], keys].reset_index(drop=True)
    diffs["kind"] = kind_col[un]
    diffs["method"] = meth_col[un]
    diffs["criterion"] = crit_col[un]
    diffs["tolerance"] = tol_col[un]
    diffs["base"] = tb[un]
    diffs["compare"] = tc[un]
    with np.errstate(invalid="ignore"):
        diffs["diff"] = (xc - xb)[un]
    return ArdComparison(
        tuple(keys),
        len(base),
        len(compare),
        len(both),
        base_only,
        compare_only,
        cols_b,
        cols_c,
        tuple(kinds),
        diffs,
        rc,
        tuple(summaries),
    )


def render_ard_text(
    res: ArdComparison,
    *,
    title: str = "ARD comparison",
    max_rows: int = 200,
    excluded: Sequence[tuple[str, int, str]] = (),
) -> str:
    """The comparison as plain text; ``excluded``: (statistic, records left out, why) listed
    under the summary."""
    from .compare_report import fmt_stat, text_table

    L = [
        title,
        "",
        f"Keys: {', '.join(res.keys)}",
        f"Statistics: {res.n_base} in BASE, {res.n_compare} in COMPARE, {res.n_common} matched.",
        f"Statistics in BASE but not in COMPARE: {len(res.base_only)}.",
        f"Statistics in COMPARE but not in BASE: {len(res.compare_only)}.",
    ]
    if res.columns_base_only or res.columns_compare_only:
        L.append(
            f"Columns only in BASE: {', '.join(res.columns_base_only) or '-'}; "
            f"only in COMPARE: {', '.join(res.columns_compare_only) or '-'}."
        )
    L.append("")
    L += text_table(
        ["Kind", "Tolerance", "Compared", "Unequal", "MaxAbsDif", "MaxRelDif"],
        [
            [
                s.kind,
                s.tolerance,
                str(s.n_compared),
                str(s.n_unequal),
                fmt_stat(s.max_abs_diff),
                fmt_stat(s.max_rel_diff),
            ]
            for s in res.summaries
        ],
    )
    if excluded:
        L += ["", "Not compared (stated exclusions)", ""]
        L += text_table(["Statistic", "Records", "Why"], [[s, str(n), why] for s, n, why in excluded])
    for title_, frame in (
        ("Statistics in BASE but not in COMPARE", res.base_only),
        ("Statistics in COMPARE but not in BASE", res.compare_only),
    ):
        if len(frame):
            L += ["", title_, ""]
            L += text_table(
                list(frame.columns), [[_text(x) for x in r] for r in frame.head(max_rows).itertuples(index=False)]
            )
    if len(res.differences):
        L += ["", "Unequal statistics", ""]
        d = res.differences.head(max_rows)
        heads = list(res.keys) + ["kind", "base", "compare", "diff"]
        L += text_table(
            heads,
            [
                [_text(r[k]) for k in res.keys] + [r["kind"], r["base"], r["compare"], fmt_stat(r["diff"])]
                for r in d.to_dict("records")
            ],
        )
        if len(res.differences) > max_rows:
            L.append(f"  ({len(res.differences) - max_rows} more not shown)")
    L += ["", f"Return code: {res.return_code}"]
    L += [f"  {bit:>5}  {meaning}" for bit, meaning in res.reasons]
    L.append("Result: " + ("NO DIFFERENCES" if res.equal else "DIFFERENCES FOUND"))
    return "\n".join(L) + "\n"
