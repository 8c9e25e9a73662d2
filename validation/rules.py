"""Rule registries and the helpers every validation rule shares.

A *rule* is a plain function ``check(data, options) -> list[Finding]`` registered under a stable
rule id with its severity and a one-line description. Registries are plain dicts kept by the
module that defines the rules (:mod:`.sdtm_checks`, :mod:`.conformance`); :func:`run_rules`
runs a selection of them, collects every finding (never stopping at the first) and times each
rule so that a benchmark can show the slow ones.

Findings are built from the failing rows of a DataFrame by :func:`findings_from_rows`, which
keeps the record keys (USUBJID plus the --SEQ or the dataset's key variables) and caps the
number of findings per rule so that a wholly broken 8-million-record dataset still gives a
readable report: the cap adds one summary finding with the number of records left out.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import math
import string
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from adamforge.findings import SEVERITIES, Finding

#: Default maximum of record-level findings per rule, dataset and variable.
MAX_PER_RULE = 200


@dataclasses.dataclass(frozen=True)
class Rule:
    """A registered check.

    Parameters
    ----------
    rule_id : stable identifier, e.g. ``"SDTM-KEY-001"``.
    severity : severity of the findings the rule produces (``ERROR``/``WARNING``/``NOTE``).
    description : one line for the report's rule summary.
    check : ``check(data, options) -> list[Finding]``.
    """

    rule_id: str
    severity: str
    description: str
    check: Callable[..., list[Finding]]

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"rule {self.rule_id}: severity must be one of {SEVERITIES}")


def register(registry: dict[str, Rule], rule_id: str, severity: str, description: str):
    """Decorator: register ``check`` in ``registry`` under ``rule_id``.

    Examples
    --------
    >>> REG: dict[str, Rule] = {}
    >>> @register(REG, "X-001", "ERROR", "example")
    ... def _check(data, options):
    ...     return []
    >>> sorted(REG)
    ['X-001']
    """

    def deco(fn: Callable[..., list[Finding]]) -> Callable[..., list[Finding]]:
        if rule_id in registry:
            raise ValueError(f"rule id {rule_id} registered twice")
        registry[rule_id] = Rule(rule_id, severity, description, fn)
        return fn

    return deco


@dataclasses.dataclass
class RuleRun:
    """The outcome of :func:`run_rules`: all findings plus the seconds each rule took.

    ``seconds`` is wall time, ``cpu`` the CPU time of this process (steadier on a shared machine).
    """

    findings: list[Finding]
    seconds: dict[str, float]
    cpu: dict[str, float] = dataclasses.field(default_factory=dict)


def run_rules(
    registry: Mapping[str, Rule],
    data: Any,
    options: Any,
    *,
    select: Iterable[str] | None = None,
) -> RuleRun:
    """Run the rules of ``registry`` (all, or the ids in ``select``) on ``data``.

    Parameters
    ----------
    registry : rule id -> :class:`Rule`.
    data : what the rules read (a dict of DataFrames).
    options : the rules' options object, passed through.
    select : rule ids to run; unknown ids raise ``ValueError`` naming them.

    Returns
    -------
    RuleRun
        Findings in rule order, and per-rule wall and CPU time in seconds.
    """
    ids = list(registry) if select is None else list(select)
    unknown = [i for i in ids if i not in registry]
    if unknown:
        raise ValueError(f"unknown rule id(s): {', '.join(unknown)}; known: {', '.join(registry)}")
    findings: list[Finding] = []
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for rid in ids:
        t0, c0 = time.perf_counter(), time.process_time()
        findings.extend(registry[rid].check(data, options))
        seconds[rid] = time.perf_counter() - t0
        cpu[rid] = time.process_time() - c0
    return RuleRun(findings, seconds, cpu)


def release_memory() -> None:
    """Hand freed memory back to the system: Arrow's pool and the C heap keep what a big dataset
    used after its frames are gone, so the next one would otherwise stack on top of it."""
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except (ImportError, AttributeError):  # pragma: no cover - pyarrow is a dependency
        pass
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


def plain(v: Any) -> Any:
    """A JSON-friendly scalar: numpy scalars unwrapped, whole floats as int, NaN as ``None``."""
    if v is None:
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        with contextlib.suppress(ValueError, AttributeError):
            v = v.item()
    if isinstance(v, float):
        if math.isnan(v):
            return None
        if v.is_integer():
            return int(v)
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (pd.Timestamp, _dt.datetime)):
        return v.date().isoformat() if (v.hour, v.minute, v.second, v.microsecond) == (0, 0, 0, 0) else v.isoformat()
    if isinstance(v, _dt.date):
        return v.isoformat()
    return v


def text(v: Any) -> str:
    """A value as the text shown in a finding (missing -> empty string)."""
    p = plain(v)
    return "" if p is None else str(p)


def _shown(v: Any) -> str:
    """A value as a message shows it: missing as ``missing``, floats without binary noise."""
    p = plain(v)
    if p is None:
        return "missing"
    if isinstance(p, float):
        return f"{p:.10g}"
    return str(p)


def record_keys(df: pd.DataFrame, dataset: str, *, extra: Sequence[str] = ()) -> list[str]:
    """The record key variables of an SDTM or ADaM dataset present in ``df``.

    ``USUBJID`` plus ``--SEQ`` when the dataset has it (e.g. ``RSSEQ``), else ``USUBJID`` plus
    ``extra`` (the dataset's natural keys). Only columns present in ``df`` are returned.
    """
    seq = f"{dataset[:2].upper()}SEQ"
    cols = ["USUBJID"]
    if seq in df.columns:
        cols.append(seq)
    else:
        cols.extend(c for c in extra if c != "USUBJID")
    out: list[str] = []
    for c in cols:
        if c in df.columns and c not in out:
            out.append(c)
    return out


def findings_from_rows(
    bad: pd.DataFrame,
    *,
    rule: Rule,
    dataset: str,
    variable: str,
    key_cols: Sequence[str],
    message: str,
    value_col: str | None = None,
    max_findings: int = MAX_PER_RULE,
) -> list[Finding]:
    """One finding per row of ``bad`` (the failing records), keys taken from ``key_cols``.

    ``message`` is a ``str.format`` template filled with the row's values by column name plus
    ``{value}`` (the ``value_col`` value as text); it is data, never evaluated as code. Past
    ``max_findings`` rows, one summary finding says how many more records failed.
    """
    if bad.empty:
        return []
    n = len(bad)
    head = bad.iloc[:max_findings]
    named = [f for _, f, _, _ in string.Formatter().parse(message) if f and f != "value"]
    cols = [c for c in dict.fromkeys([*key_cols, *([value_col] if value_col else []), *named]) if c in head.columns]
    records = head[cols].to_dict("records") if cols else [{} for _ in range(len(head))]
    out: list[Finding] = []
    for rec in records:
        value = text(rec.get(value_col)) if value_col else ""
        fields = {k: _shown(v) for k, v in rec.items()}
        out.append(
            Finding(
                rule_id=rule.rule_id,
                severity=rule.severity,
                dataset=dataset,
                variable=variable,
                message=message.format(value=value, **fields),
                keys={k: plain(rec[k]) for k in key_cols if k in rec},
                value=value,
            )
        )
    if n > max_findings:
        out.append(
            Finding(
                rule_id=rule.rule_id,
                severity=rule.severity,
                dataset=dataset,
                variable=variable,
                message=f"{n - max_findings} more record(s) fail this rule (report capped at {max_findings} per rule, dataset and variable).",
                value=str(n - max_findings),
            )
        )
    return out


def dataset_finding(
    rule: Rule, dataset: str, variable: str, message: str, *, value: str = "", keys: Mapping[str, Any] | None = None
) -> Finding:
    """A finding about a whole dataset or variable (no record keys)."""
    return Finding(rule.rule_id, rule.severity, dataset, variable, message, dict(keys or {}), value)


def blank(s: pd.Series) -> pd.Series:
    """True where a value is missing: NaN/None or an empty / blank string."""
    miss = s.isna()
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        miss = miss | (s.astype("str").str.strip() == "")
    return miss


def count_findings(
    rows: pd.DataFrame,
    cols: Sequence[str],
    *,
    rule: Rule,
    dataset: str,
    variable: str,
    message: str,
    value_col: str = "_n",
    more_than: int = 0,
    dropna: bool = True,
    max_findings: int = MAX_PER_RULE,
) -> list[Finding]:
    """One finding per distinct ``cols`` key of ``rows`` (sorted), with the key's record count ``{_n}``.

    Keys counted ``more_than`` times or fewer are left out (``1``: only repeated keys);
    ``dropna=False`` keeps keys with a missing part.
    """
    counted = rows[list(cols)].groupby(list(cols), dropna=dropna, sort=True).size().reset_index(name="_n")
    if more_than:
        counted = counted.loc[counted["_n"] > more_than]
    return findings_from_rows(
        counted,
        rule=rule,
        dataset=dataset,
        variable=variable,
        key_cols=list(cols),
        value_col=value_col,
        message=message,
        max_findings=max_findings,
    )


def subjects_not_in(
    frames: Iterable[tuple[str, pd.DataFrame]],
    parent: pd.DataFrame,
    *,
    rule: Rule,
    parent_name: str,
    skip_blank: bool = False,
    max_findings: int = MAX_PER_RULE,
) -> list[Finding]:
    """A finding per subject of each ``(name, frame)`` that ``parent`` (DM, ADSL) does not have.

    Distinct subjects are compared first (fast on millions of records); ``skip_blank`` leaves out
    blank USUBJIDs (another rule reports them).
    """
    known = pd.Index(parent["USUBJID"].dropna().unique())
    out: list[Finding] = []
    for name, df in frames:
        subjects = pd.Index(df["USUBJID"].unique())
        unknown = subjects[~subjects.isin(known)]
        if skip_blank and len(unknown):
            unknown = unknown[~blank(pd.Series(unknown, dtype="str")).to_numpy()]
        if not len(unknown):
            continue
        out += count_findings(
            df.loc[df["USUBJID"].isin(unknown)],
            ["USUBJID"],
            rule=rule,
            dataset=name,
            variable="USUBJID",
            value_col="USUBJID",
            message=f"Subject {{value}} has {{_n}} {name} record(s) but no {parent_name} record.",
            max_findings=max_findings,
        )
    return out
