"""Results-level QC: compare two analysis results datasets (ARDs), statistic by statistic.

An ARD is a tidy table of numbers before formatting: one row per statistic, identified by key
columns such as ``output_id``, ``population``, ``group``, ``parameter``, ``statistic`` and
holding the number in ``value``. Production and QC ARDs are matched on the keys and each value
compared with a tolerance chosen by the *kind* of statistic (:data:`DEFAULT_RULES`): counts
exactly, percentages and proportions to an absolute 1e-6, p-values and estimates (odds ratios,
confidence limits, means) to a relative 1e-6. Values that are not numbers (e.g. "NE") compare as
text. The result is frozen data with the same PROC COMPARE return-code bits as
:mod:`adamforge.validation.compare` (64/128 rows only in one side, 1024/2048 columns only in one
side, 4096 a value unequal).
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from adamforge.errors import DataError, UsageError

from .compare import describe_return_code, values_equal

__all__ = ["ToleranceRule", "DEFAULT_RULES", "ArdComparison", "classify_statistic", "compare_ard", "read_ard",
           "render_ard_text"]


@dataclasses.dataclass(frozen=True)
class ToleranceRule:
    """A statistic kind: statistics whose name matches ``pattern`` (case-insensitive, full match)
    compare with ``method`` (PROC COMPARE's) and ``criterion``."""

    kind: str
    pattern: str
    method: str
    criterion: float

    def matches(self, statistic: str) -> bool:
        """True when ``statistic`` is of this kind."""
        return re.fullmatch(self.pattern, statistic, flags=re.IGNORECASE) is not None


STANDARD_KEYS = ("output_id", "population", "group", "parameter", "statistic")

DEFAULT_RULES: tuple[ToleranceRule, ...] = (
    ToleranceRule("count", r"n|big_n|count|freq|nobs|nmiss|n_\w+|\w+_n|denom\w*|numer\w*|events?|responders?", "exact", 0.0),
    ToleranceRule("percent", r"\w*(pct|percent|prop|proportion|rate)\w*|%", "absolute", 1e-6),
    ToleranceRule("p-value", r"p|pval\w*|p_?value\w*|\w+_p|\w+_pval\w*", "relative", 1e-6),
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


@dataclasses.dataclass(frozen=True, eq=False)
class ArdComparison:
    """The outcome of :func:`compare_ard`.

    ``differences``: key columns, ``kind``, ``method``, ``criterion``, ``base``, ``compare``,
    ``diff`` (compare - base, numeric values only). ``kinds``: per statistic kind, the number of
    statistics compared and unequal and the maximum absolute difference.
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

    @property
    def equal(self) -> bool:
        """True when nothing differs."""
        return self.return_code == 0

    @property
    def reasons(self) -> list[tuple[int, str]]:
        """Return code bits with meanings."""
        return describe_return_code(self.return_code)


def _text(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v).rstrip()


def compare_ard(base: pd.DataFrame, compare: pd.DataFrame, *, keys: Sequence[str] | None = None,
                value: str = "value", statistic: str = "statistic",
                rules: Sequence[ToleranceRule] = DEFAULT_RULES) -> ArdComparison:
    """Compare two ARDs statistic by statistic.

    Parameters
    ----------
    base, compare : production and QC ARDs.
    keys : columns identifying a statistic; default the standard ARD keys (:data:`STANDARD_KEYS`)
        present in both, or, without them, every column common to both except ``value``.
    value : the column holding the numbers.
    statistic : the column naming the statistic, used to choose its tolerance rule.
    rules : tolerance rules, first match wins (:data:`DEFAULT_RULES`).

    Raises
    ------
    DataError : a key or value column missing, or duplicated keys (all named).
    """
    problems = []
    for role, df in (("BASE", base), ("COMPARE", compare)):
        for col in (value, statistic):
            if col not in df.columns:
                problems.append(f"{role}: column {col!r} not found")
    if keys is None:
        std = [c for c in STANDARD_KEYS if c in base.columns and c in compare.columns]
        keys = std if statistic in std else [c for c in base.columns if c in set(compare.columns) and c != value]
    keys = list(keys)
    for role, df in (("BASE", base), ("COMPARE", compare)):
        missing = [k for k in keys if k not in df.columns]
        if missing:
            problems.append(f"{role}: key column(s) not found: {', '.join(missing)}")
    if problems:
        raise DataError("cannot compare the ARDs", problems)
    kb = base[keys].astype(str)
    kc = compare[keys].astype(str)
    for role, k in (("BASE", kb), ("COMPARE", kc)):
        dup = k[k.duplicated(keep=False)].drop_duplicates()
        for rec in dup.head(20).to_dict("records"):
            problems.append(f"{role}: duplicated statistic " + ", ".join(f"{c}={v}" for c, v in rec.items()))
    if problems:
        raise DataError(f"duplicated keys in the ARD (keys: {', '.join(keys)})", problems)
    b = kb.assign(__vb=base[value].to_numpy(dtype=object), __i=np.arange(len(base)))
    c = kc.assign(__vc=compare[value].to_numpy(dtype=object), __j=np.arange(len(compare)))
    m = b.merge(c, on=keys, how="outer", sort=True, indicator=True)
    both = m[m["_merge"] == "both"].reset_index(drop=True)
    base_only = m.loc[m["_merge"] == "left_only", keys].reset_index(drop=True)
    compare_only = m.loc[m["_merge"] == "right_only", keys].reset_index(drop=True)
    rc = (64 if len(base_only) else 0) | (128 if len(compare_only) else 0)
    cols_b = tuple(c for c in base.columns if c not in set(compare.columns))
    cols_c = tuple(c for c in compare.columns if c not in set(base.columns))
    rc |= (1024 if cols_b else 0) | (2048 if cols_c else 0)

    rule_of = {s: classify_statistic(s, rules) for s in both[statistic].unique()}
    xb = pd.to_numeric(both["__vb"], errors="coerce").to_numpy(dtype="float64")
    xc = pd.to_numeric(both["__vc"], errors="coerce").to_numpy(dtype="float64")
    tb = both["__vb"].map(_text).to_numpy(dtype=object)
    tc = both["__vc"].map(_text).to_numpy(dtype=object)
    numeric = ~(np.isnan(xb) & (tb != "")) & ~(np.isnan(xc) & (tc != ""))  # both numbers or missing
    eq = np.zeros(len(both), dtype=bool)
    kinds = []
    kind_col = np.empty(len(both), dtype=object)
    meth_col = np.empty(len(both), dtype=object)
    crit_col = np.zeros(len(both))
    for rule in rules:
        sel = both[statistic].map(lambda s: rule_of[s] is rule).to_numpy(dtype=bool)
        if not sel.any():
            continue
        num = sel & numeric
        eq[num] = values_equal(xb[num], xc[num], method=rule.method, criterion=rule.criterion)
        txt = sel & ~numeric
        eq[txt] = tb[txt] == tc[txt]
        kind_col[sel], meth_col[sel], crit_col[sel] = rule.kind, rule.method, rule.criterion
        un = sel & ~eq
        with np.errstate(invalid="ignore"):
            d = np.abs(xc[un] - xb[un])
        maxd = float(np.nanmax(d)) if np.isfinite(d).any() else None
        kinds.append((rule.kind, rule.method, rule.criterion, int(sel.sum()), int(un.sum()), maxd))
    if (~eq).any():
        rc |= 4096
    un = ~eq
    diffs = both.loc[un, keys].reset_index(drop=True)
    diffs["kind"] = kind_col[un]
    diffs["method"] = meth_col[un]
    diffs["criterion"] = crit_col[un]
    diffs["base"] = tb[un]
    diffs["compare"] = tc[un]
    with np.errstate(invalid="ignore"):
        diffs["diff"] = (xc - xb)[un]
    return ArdComparison(tuple(keys), len(base), len(compare), len(both), base_only, compare_only, cols_b, cols_c,
                         tuple(kinds), diffs, rc)


def render_ard_text(res: ArdComparison, *, title: str = "ARD comparison", max_rows: int = 200) -> str:
    """The comparison as plain text."""
    from .compare_report import fmt_stat, text_table

    L = [title, "", f"Keys: {', '.join(res.keys)}",
         f"Statistics: {res.n_base} in BASE, {res.n_compare} in COMPARE, {res.n_common} matched.",
         f"Statistics in BASE but not in COMPARE: {len(res.base_only)}.",
         f"Statistics in COMPARE but not in BASE: {len(res.compare_only)}."]
    if res.columns_base_only or res.columns_compare_only:
        L.append(f"Columns only in BASE: {', '.join(res.columns_base_only) or '-'}; "
                 f"only in COMPARE: {', '.join(res.columns_compare_only) or '-'}.")
    L.append("")
    L += text_table(["Kind", "Method", "Criterion", "Compared", "Unequal", "MaxDif"],
                    [[k, m, f"{c:g}", str(n), str(u), fmt_stat(d)] for k, m, c, n, u, d in res.kinds])
    for title_, frame in (("Statistics in BASE but not in COMPARE", res.base_only),
                          ("Statistics in COMPARE but not in BASE", res.compare_only)):
        if len(frame):
            L += ["", title_, ""]
            L += text_table(list(frame.columns), [[str(x) for x in r] for r in frame.head(max_rows).itertuples(index=False)])
    if len(res.differences):
        L += ["", "Unequal statistics", ""]
        d = res.differences.head(max_rows)
        heads = list(res.keys) + ["kind", "base", "compare", "diff"]
        L += text_table(heads, [[str(r[k]) for k in res.keys] + [r["kind"], r["base"], r["compare"], fmt_stat(r["diff"])]
                                for r in d.to_dict("records")])
        if len(res.differences) > max_rows:
            L.append(f"  ({len(res.differences) - max_rows} more not shown)")
    L += ["", f"Return code: {res.return_code}"]
    L += [f"  {bit:>5}  {meaning}" for bit, meaning in res.reasons]
    L.append("Result: " + ("NO DIFFERENCES" if res.equal else "DIFFERENCES FOUND"))
    return "\n".join(L) + "\n"
