"""Data expectations generated from the spec and run with great-expectations (GX Core 1.x).

Two halves, so that the generation can be read and tested without GX:

* :func:`build_checks` turns the spec model (:func:`adamforge.adam.spec.load_spec`) into a list
  of :class:`Check` records, written once per *rule kind* and applied to every dataset,
  variable, codelist and parameter the spec names; nothing is written by hand per variable.
* :func:`run_expectations` turns the checks into GX expectations (one suite per dataset and rule
  kind, each expectation tagged with ``meta`` because GX does not return results in suite
  order), validates the in-memory DataFrames in an ephemeral context (nothing written to disk,
  progress bars off, GX imported only here) and maps the results back to
  :class:`~adamforge.findings.Finding` records carrying the failing records' keys.

Speed: a value check (codelist, range, not null) depends on the record's value (and PARAMCD)
only, so GX validates one row per *distinct* (PARAMCD, value), and the records of the failing
values are found back through integer codes (same findings, same record order as GX on the whole
dataset); key uniqueness is validated by GX on one integer code per key combination. On the
x100 study this takes the ADEFF value checks from about 10 s each to 1-2 s.

=============== ======== ==================================================================
rule            severity generated from
=============== ======== ==================================================================
ADAM-VAR-001    ERROR    each ``core: Req`` variable of a dataset exists
ADAM-VAR-002    WARNING  each other spec variable exists
ADAM-NULL-001   ERROR    each ``core: Req`` variable is populated (blank text counts as missing)
ADAM-KEY-001    ERROR    the dataset's ``keys`` are unique together
ADAM-CT-001     ERROR    values of a variable with a codelist are coded values of it; value-level
                         codelists (``value_level``) apply where PARAMCD is the entry's
ADAM-RANGE-001  ERROR    AVAL and BASE of each parameter within its range: responder endpoints
                         0-1; observed parameters from ``parameters.value_ranges`` of the spec,
                         else :data:`DEFAULT_VALUE_RANGES`
=============== ======== ==================================================================

Types, lengths and labels are checked in plain pandas by :mod:`.conformance` (ADAM-ATTR-*):
GX 1.24's type expectations do not recognise pandas 3's ``str`` and nullable dtypes.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import re
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from adamforge.findings import Finding
from adamforge.keys import combine_codes, factorize_column

from .rules import MAX_PER_RULE, RuleRun, plain, text

#: Ranges of observed parameters known without a spec: none (the engine knows no study; a
#: study's ranges are its spec's ``parameters.value_ranges``).
DEFAULT_VALUE_RANGES: dict[str, tuple[float, float]] = {}
#: Variables whose range is the parameter's range.
RANGE_VARIABLES = ("AVAL", "BASE")

KINDS = ("exists", "not_null", "unique", "in_set", "between")
_SAFE_CODE = re.compile(r"^[A-Za-z0-9_.\- ]+$")


@dataclasses.dataclass(frozen=True)
class Check:
    """One expectation to run, independent of GX.

    ``kind`` is one of :data:`KINDS`; ``columns`` the column(s) it reads; ``paramcds`` restricts a
    check to the records of those parameters; ``value_set`` / ``low`` / ``high`` its arguments.
    """

    rule_id: str
    severity: str
    dataset: str
    kind: str
    columns: tuple[str, ...]
    message: str
    value_set: tuple = ()
    low: float | None = None
    high: float | None = None
    paramcds: tuple[str, ...] = ()

    @property
    def variable(self) -> str:
        """The variable(s) the check is about, as the findings show it."""
        return ", ".join(self.columns)


def value_ranges(spec: Any) -> dict[str, tuple[float, float]]:
    """PARAMCD -> (low, high): responder endpoints 0-1, observed parameters from the spec or defaults.

    ``spec.parameters["value_ranges"]`` (``{PARAMCD: [low, high]}``) overrides
    :data:`DEFAULT_VALUE_RANGES` entry by entry.
    """
    out = dict(DEFAULT_VALUE_RANGES)
    given = (getattr(spec, "parameters", None) or {}).get("value_ranges") or {}
    for code, rng in given.items():
        lo, hi = rng
        out[str(code)] = (float(lo), float(hi))
    for ep in getattr(spec, "endpoints", ()) or ():
        out[ep.paramcd] = (0, 1)
    return out


def build_checks(spec: Any, *, datasets: Iterable[str] | None = None) -> list[Check]:
    """Generate the checks of every dataset of ``spec`` (or of ``datasets``).

    Parameters
    ----------
    spec : the spec model: ``spec.datasets[name].keys`` / ``.variables[name]`` (``name``,
        ``core``, ``codelist``), ``spec.codelists[id].coded_values``, ``spec.value_level``,
        ``spec.endpoints``, ``spec.parameters``.
    datasets : dataset names to generate for (default: all of the spec's).

    Returns
    -------
    list of Check
        In a stable order: dataset, then rule kind, then spec order.
    """
    names = list(spec.datasets) if datasets is None else [d for d in datasets if d in spec.datasets]
    ranges = value_ranges(spec)
    checks: list[Check] = []
    for name in names:
        ds = spec.datasets[name]
        variables = list(ds.variables.values())
        for v in variables:
            req = v.core == "Req"
            checks.append(
                Check(
                    "ADAM-VAR-001" if req else "ADAM-VAR-002",
                    "ERROR" if req else "WARNING",
                    name,
                    "exists",
                    (v.name,),
                    f"{'Required' if req else 'Spec'} variable {name}.{v.name} is missing from the dataset.",
                )
            )
        for v in variables:
            if v.core == "Req":
                checks.append(
                    Check(
                        "ADAM-NULL-001",
                        "ERROR",
                        name,
                        "not_null",
                        (v.name,),
                        f"Required variable {v.name} is missing on this record.",
                    )
                )
        if ds.keys:
            checks.append(
                Check(
                    "ADAM-KEY-001",
                    "ERROR",
                    name,
                    "unique",
                    tuple(ds.keys),
                    f"Key ({', '.join(ds.keys)}) is not unique: another record has the same key values.",
                )
            )
        for v in variables:
            if v.codelist and v.codelist in spec.codelists:
                cl = spec.codelists[v.codelist]
                checks.append(
                    Check(
                        "ADAM-CT-001",
                        "ERROR",
                        name,
                        "in_set",
                        (v.name,),
                        f"{v.name} value '{{value}}' is not in codelist {cl.id} ({_terms(cl)}).",
                        value_set=tuple(cl.coded_values),
                    )
                )
        vl_groups: dict[tuple[str, str], list[str]] = {}
        for vl in getattr(spec, "value_level", ()):
            if vl.dataset == name and vl.codelist and vl.codelist in spec.codelists:
                vl_groups.setdefault((vl.variable, vl.codelist), []).append(vl.paramcd)
        for (var, cid), codes in vl_groups.items():
            cl = spec.codelists[cid]
            checks.append(
                Check(
                    "ADAM-CT-001",
                    "ERROR",
                    name,
                    "in_set",
                    (var,),
                    f"{var} value '{{value}}' of PARAMCD {{PARAMCD}} is not in codelist {cl.id} ({_terms(cl)}).",
                    value_set=tuple(cl.coded_values),
                    paramcds=tuple(codes),
                )
            )
        if "PARAMCD" in ds.variables:
            by_range: dict[tuple[float, float], list[str]] = {}
            for code, rng in ranges.items():
                by_range.setdefault(rng, []).append(code)
            for (lo, hi), codes in by_range.items():
                for var in RANGE_VARIABLES:
                    if var in ds.variables:
                        checks.append(
                            Check(
                                "ADAM-RANGE-001",
                                "ERROR",
                                name,
                                "between",
                                (var,),
                                f"{var} = {{value}} of PARAMCD {{PARAMCD}} is outside its range {lo:g} to {hi:g}.",
                                low=lo,
                                high=hi,
                                paramcds=tuple(codes),
                            )
                        )
    return checks


def _terms(cl) -> str:
    vals = [str(v) for v in cl.coded_values]
    return ", ".join(vals[:8]) + (", ..." if len(vals) > 8 else "")


def adam_record_keys(df: pd.DataFrame, keys: Sequence[str] = ()) -> list[str]:
    """Columns that identify an ADaM record in findings: USUBJID, PARAMCD, AVISIT, ADT (those present).

    ``keys`` (the spec's) are used where they add something: STUDYID is left out (it is in
    USUBJID), PARAMN and AVISITN are shown as PARAMCD and AVISIT when those exist.
    """
    swap = {"PARAMN": "PARAMCD", "AVISITN": "AVISIT"}
    cols = ["USUBJID"]
    for k in keys:
        if k == "STUDYID":
            continue
        k = swap[k] if k in swap and swap[k] in df.columns else k
        cols.append(k)
    if not keys:
        cols += ["PARAMCD", "AVISIT"]
    return [c for c in dict.fromkeys(cols) if c in df.columns]


# ---------------------------------------------------------------------------------------
# running with GX
# ---------------------------------------------------------------------------------------


def _import_gx():
    """Import great_expectations quietly: no analytics, no sre_constants deprecation warning."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        import great_expectations as gx
        import great_expectations.expectations as gxe
        from great_expectations.data_context.types.base import ProgressBarsConfig
    return gx, gxe, ProgressBarsConfig


def _blank_to_na(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """A shallow copy where blank strings of the text ``columns`` are missing values."""
    out = df.copy(deep=False)
    for c in columns:
        s = out[c]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            blank = s.astype("str").str.strip() == ""
            if blank.any():
                out[c] = s.mask(blank)
    return out


def _categorical_text(frame: pd.DataFrame, cache: dict[str, pd.Series]) -> pd.DataFrame:
    """Text columns as categoricals (cached per dataset): GX's row filters and takes on millions of
    records are several times faster on category codes than on strings. Values are unchanged."""
    out = {}
    for c in frame.columns:
        s = frame[c]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            if c not in cache:
                cache[c] = s.astype("category")
            s = cache[c]
        out[c] = s
    return pd.DataFrame(out, index=frame.index)


def _expectation(gxe, check: Check, idx: int):
    meta = {"adamforge_check": idx}
    cond: dict[str, Any] = {}
    if check.paramcds:
        bad = [c for c in check.paramcds if not _SAFE_CODE.match(c)]
        if bad:
            raise ValueError(f"PARAMCD {bad[0]!r} cannot be used in a row condition")
        cond = {"row_condition": f"PARAMCD in {json.dumps(list(check.paramcds))}", "condition_parser": "pandas"}
    col = check.columns[0]
    if check.kind == "exists":
        return gxe.ExpectColumnToExist(column=col, meta=meta)
    if check.kind == "not_null":
        return gxe.ExpectColumnValuesToNotBeNull(column=col, meta=meta, **cond)
    if check.kind == "unique":
        if len(check.columns) == 1:
            return gxe.ExpectColumnValuesToBeUnique(column=col, meta=meta, **cond)
        return gxe.ExpectCompoundColumnsToBeUnique(column_list=list(check.columns), meta=meta, **cond)
    if check.kind == "in_set":
        values = list(check.value_set)
        if any(isinstance(x, str) for x in values):
            values.append("")  # a blank text value is a missing value, not a coded one
        return gxe.ExpectColumnValuesToBeInSet(column=col, value_set=values, meta=meta, **cond)
    if check.kind == "between":
        return gxe.ExpectColumnValuesToBeBetween(
            column=col, min_value=check.low, max_value=check.high, meta=meta, **cond
        )
    raise ValueError(f"unknown check kind {check.kind!r}")


def run_expectations(
    data: Mapping[str, pd.DataFrame],
    checks: Sequence[Check],
    *,
    keys: Mapping[str, Sequence[str]] | None = None,
    max_findings: int = MAX_PER_RULE,
) -> RuleRun:
    """Validate ``data`` against ``checks`` with great-expectations; findings and seconds per rule kind.

    Parameters
    ----------
    data : dataset name -> DataFrame (datasets without checks are ignored; checks of datasets
        not in ``data`` are skipped: a missing dataset is reported by :mod:`.conformance`).
    checks : from :func:`build_checks`.
    keys : dataset -> the spec's key variables (to choose the record keys shown in findings).
    max_findings : record-level findings per check before one summary finding.

    Returns
    -------
    RuleRun
        ``seconds`` (wall) and ``cpu`` keyed ``"<rule_id> <dataset>"``.
    """
    gx, gxe, ProgressBarsConfig = _import_gx()
    keys = keys or {}
    findings: list[Finding] = []
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)
        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = ctx.data_sources.add_pandas("adamforge")
        groups: dict[tuple[str, str], list[tuple[int, Check]]] = {}
        for i, c in enumerate(checks):
            df = data.get(c.dataset)
            if df is None:
                continue
            if c.kind != "exists" and (
                any(col not in df.columns for col in c.columns) or (c.paramcds and "PARAMCD" not in df.columns)
            ):
                continue  # the exists check reports the column
            groups.setdefault((c.dataset, c.rule_id), []).append((i, c))
        cache: dict[str, dict[str, pd.Series]] = {}
        codes: dict[str, _Codes] = {}
        serial = itertools.count()
        last_group = {name: (name, rule_id) for name, rule_id in groups}  # a dataset's codes go after its last group
        for (name, rule_id), items in groups.items():
            t0, c0 = time.perf_counter(), time.process_time()
            frame = data[name]
            if rule_id == "ADAM-NULL-001":
                frame = _blank_to_na(frame, {c.columns[0] for _, c in items})
            idx_cols = adam_record_keys(frame, keys.get(name, ()))
            new = lambda name=name, rule_id=rule_id: _GxRun(gx, ctx, source, f"{name}-{rule_id}-{next(serial)}")  # noqa: E731
            if all(c.kind == "exists" for _, c in items):
                findings.extend(_run_exists(new, gxe, frame, items, idx_cols, max_findings))
            elif all(_distinct_ok(c) for _, c in items):
                cc = codes.setdefault(name, _Codes(data[name]))
                findings.extend(
                    _run_distinct(new, gxe, frame, items, cc, idx_cols, max_findings, nulls=rule_id == "ADAM-NULL-001")
                )
            else:
                findings.extend(
                    _run_whole(new, gxe, frame, items, idx_cols, max_findings, cache.setdefault(name, {}), rule_id)
                )
            if last_group[name] == (name, rule_id):
                codes.pop(name, None)
                cache.pop(name, None)
            seconds[f"{rule_id} {name}"] = time.perf_counter() - t0
            cpu[f"{rule_id} {name}"] = time.process_time() - c0
    findings.sort(key=lambda f: (f.dataset, f.rule_id))  # stable: within a rule, GX's record order
    return RuleRun(findings, seconds, cpu)


def _run_exists(new, gxe, frame, items, idx_cols, max_findings) -> list[Finding]:
    """Column existence of a dataset's variables: one GX table expectation (the table's columns
    include the set) on an empty frame with the same columns, its missing columns mapped back to
    the variables' checks. One expectation instead of one per variable: GX's cost is per
    expectation, and a dataset has dozens of variables."""
    (i0, c0) = items[0]
    columns = list(dict.fromkeys(c.columns[0] for _, c in items))
    exp = gxe.ExpectTableColumnsToMatchSet(column_set=columns, exact_match=False, meta={"adamforge_check": i0})
    ((_, r),) = new().validate(frame.iloc[:0], [(c0, exp)], {"result_format": "SUMMARY"})
    out: list[Finding] = []
    if r.success:
        return out
    info = r.exception_info or {}
    missing = ((r.result or {}).get("details") or {}).get("mismatched", {}).get("missing")
    if info.get("raised_exception") or missing is None:
        # no answer per column: each variable's own expectation, as GX reports it
        res = new().validate(
            frame.iloc[:0], [(c, _expectation(gxe, c, i)) for i, c in items], {"result_format": "SUMMARY"}
        )
        for c, rr in res:
            out.extend(_to_findings(rr, c, idx_cols, max_findings))
        return out
    gone = set(missing)
    return [Finding(c.rule_id, c.severity, c.dataset, c.variable, c.message) for _, c in items if c.columns[0] in gone]


class _GxRun:
    """One GX suite and batch in the ephemeral context: validate a frame, results in check order."""

    def __init__(self, gx, ctx, source, name: str):
        self.gx, self.ctx, self.source, self.name = gx, ctx, source, name

    def validate(self, frame: pd.DataFrame, expectations, fmt: dict) -> list[tuple[Check, Any]]:
        asset = self.source.add_dataframe_asset(self.name)
        batch_def = asset.add_batch_definition_whole_dataframe("whole")
        expectations = list(expectations)
        by_id = {e.meta["adamforge_check"]: c for c, e in expectations}
        # built whole and added once: the store serializes the suite on every add_expectation
        suite = self.ctx.suites.add(self.gx.ExpectationSuite(name=self.name, expectations=[e for _, e in expectations]))
        result = batch_def.get_batch(batch_parameters={"dataframe": frame}).validate(suite, result_format=fmt)
        ordered = sorted(result.results, key=lambda r: r.expectation_config.meta["adamforge_check"])
        return [(by_id[r.expectation_config.meta["adamforge_check"]], r) for r in ordered]


def _run_whole(new, gxe, frame, items, idx_cols, max_findings, cache, rule_id) -> list[Finding]:
    """GX on the records themselves (checks the distinct-value path does not cover)."""
    need = [
        *idx_cols,
        *(col for _, c in items for col in c.columns),
        *(["PARAMCD"] if any(c.paramcds for _, c in items) else []),
    ]
    frame = frame[list(dict.fromkeys(need))]
    if rule_id in ("ADAM-CT-001", "ADAM-RANGE-001", "ADAM-KEY-001"):
        frame = _categorical_text(frame, cache)
    fmt: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": max_findings}
    if idx_cols:
        fmt["unexpected_index_column_names"] = idx_cols
    out: list[Finding] = []
    for c, r in new().validate(frame, [(c, _expectation(gxe, c, i)) for i, c in items], fmt):
        out.extend(_to_findings(r, c, idx_cols, max_findings))
    return out


class _Codes:
    """Integer codes of a dataset's columns (missing values get a code of their own), computed once."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self._codes: dict[tuple[str, bool], tuple[np.ndarray, int]] = {}

    def get(self, col: str, series: pd.Series | None = None) -> tuple[np.ndarray, int]:
        """``(codes, number of codes)`` of ``col`` (of ``series`` when given: a variant of the column, cached apart)."""
        key = (col, series is not None)
        if key not in self._codes:
            codes, size = factorize_column(self.frame[col] if series is None else series)
            # int32 when the codes fit: half the memory of one code per record and column
            self._codes[key] = (codes.astype(np.int32) if size < 2**31 else codes, size)
        return self._codes[key]


def _combine(parts: Sequence[tuple[np.ndarray, int]]) -> np.ndarray:
    """One dense code (0, 1, ...) per distinct combination of the given per-column codes."""
    if len(parts) == 1:
        return parts[0][0]  # factorize codes are dense already
    raw = combine_codes(parts)
    n = len(raw)
    if not n:
        return raw
    size = int(raw.max()) + 1
    if size <= 4 * n + 1024:  # small code space: renumber the codes present through a lookup table
        present = np.zeros(size, dtype=bool)
        present[raw] = True
        renumber = np.cumsum(present) - 1
        return renumber[raw].astype(np.int64, copy=False)
    # a sort, not a hash: pandas' int64 hash table is slow on arithmetically combined codes
    return np.unique(raw, return_inverse=True)[1].astype(np.int64, copy=False).reshape(-1)


def _distinct_ok(c: Check) -> bool:
    """Checks answered on the distinct values: value checks, and uniqueness without a row filter."""
    return c.kind in ("in_set", "between", "not_null") or (c.kind == "unique" and not c.paramcds)


def _records(frame: pd.DataFrame, positions: np.ndarray, columns: Sequence[str]) -> list[dict]:
    """The failing records as GX reports them: the checked column(s) and the record key columns."""
    return frame.iloc[positions][list(dict.fromkeys(columns))].to_dict("records")


def _run_distinct(new, gxe, frame, items, cc: _Codes, idx_cols, max_findings, *, nulls: bool) -> list[Finding]:
    """GX on the distinct values the checks read, failing values mapped back to their records.

    A value check (codelist, range, not null) depends on the record's value (and PARAMCD) only, so
    GX validates one row per distinct (PARAMCD, value): a few thousand rows instead of millions.
    The records of the failing values are then found through their integer codes, in record
    order, exactly those GX would have reported on the whole frame. Uniqueness is validated by GX
    on one integer code per distinct key combination (the key columns' codes combined).
    """
    n = len(frame)
    out: list[Finding] = []
    value_items = [(i, c) for i, c in items if c.kind != "unique"]
    if value_items:
        parts: list[tuple[Check, np.ndarray, np.ndarray, int, int]] = []  # check, record -> distinct id,
        # distinct id -> a record, first row of its block in the GX frame, rows of the block
        pos_by_col: dict[str, list[np.ndarray]] = {}
        start = 0
        every = np.arange(n, dtype=np.int64)
        for _i, c in value_items:
            col = c.columns[0]
            cols = ["PARAMCD", col] if c.paramcds else [col]
            ids = _combine([cc.get(x, frame[x] if nulls and x == col else None) for x in cols])
            k = int(ids.max()) + 1 if n else 0
            rep = np.empty(k, dtype=np.int64)
            rep[ids] = every  # any record of a combination stands for it
            parts.append((c, ids, rep, start, k))
            for x in cols:
                pos_by_col.setdefault(x, [])
            start += k
        total = start
        # the GX frame: block j holds check j's distinct values; other columns are padding that no
        # check of block j reads (missing, or for not-null checks a populated value of the column)
        columns: dict[str, Any] = {}
        for x in pos_by_col:
            s = frame[x]
            filler = -1
            if nulls:
                valid = np.flatnonzero(s.notna().to_numpy())
                filler = int(valid[0]) if len(valid) else -1
            pos = np.full(total, filler, dtype=np.int64)
            for c, _, rep, st, k in parts:
                if x == c.columns[0] or (x == "PARAMCD" and c.paramcds):
                    pos[st : st + k] = rep
            columns[x] = pd.Series(s.array.take(pos, allow_fill=True), name=x)
        gx_frame = pd.DataFrame(columns)
        results = new().validate(
            gx_frame, [(c, _expectation(gxe, c, i)) for i, c in value_items], {"result_format": "COMPLETE"}
        )
        part_of = {id(c): (ids, st, k) for c, ids, _, st, k in parts}
        for c, r in results:
            ids, st, k = part_of[id(c)]
            if r.success or (r.exception_info or {}).get("raised_exception"):
                out.extend(_to_findings(r, c, idx_cols, max_findings))
                continue
            rows = [j - st for j in (r.result or {}).get("unexpected_index_list") or [] if st <= j < st + k]
            bad_value = np.zeros(k, dtype=bool)
            bad_value[rows] = True
            failing = np.flatnonzero(bad_value[ids])
            out.extend(
                _record_findings(
                    c,
                    _records(frame, failing[:max_findings], [*c.columns, *idx_cols]),
                    len(failing),
                    idx_cols,
                    max_findings,
                )
            )
    for i, c in items:
        if c.kind != "unique":
            continue
        cols = list(c.columns)
        key = _combine([cc.get(x) for x in cols]).astype("float64")
        key[frame[cols].isna().all(axis=1).to_numpy()] = np.nan  # GX ignores rows with all key values missing
        exp = gxe.ExpectColumnValuesToBeUnique(column="_key", meta={"adamforge_check": i})
        fmt = {"result_format": "SUMMARY", "partial_unexpected_count": max_findings}
        ((_, r),) = new().validate(pd.DataFrame({"_key": key}), [(c, exp)], fmt)
        if r.success or (r.exception_info or {}).get("raised_exception"):
            out.extend(_to_findings(r, c, idx_cols, max_findings))
            continue
        res = r.result or {}
        failing = np.asarray(res.get("partial_unexpected_index_list") or [], dtype=np.int64)
        out.extend(
            _record_findings(
                c,
                _records(frame, failing[:max_findings], [*cols, *idx_cols]),
                int(res.get("unexpected_count") or len(failing)),
                idx_cols,
                max_findings,
            )
        )
    return out


class _Fields(dict):
    """Message fields: the record's shown values, ``?`` for a field the record does not carry."""

    def __init__(self, row: Mapping[str, Any], value: str):
        super().__init__({k: text(v) for k, v in row.items()}, value=value)

    def __missing__(self, key: str) -> str:
        return "?"


def _to_findings(r, check: Check, idx_cols: Sequence[str], max_findings: int) -> list[Finding]:
    if r.success:
        return []
    info = r.exception_info or {}
    if info.get("raised_exception"):
        return [
            Finding(
                "ADAM-GX-000",
                "ERROR",
                check.dataset,
                check.variable,
                f"Expectation {check.kind} could not run: {info.get('exception_message')}",
            )
        ]
    res = r.result or {}
    rows = res.get("partial_unexpected_index_list")
    if check.kind == "exists" or rows is None:
        return [Finding(check.rule_id, check.severity, check.dataset, check.variable, check.message)]
    return _record_findings(check, rows, int(res.get("unexpected_count") or len(rows)), idx_cols, max_findings)


def _record_findings(
    check: Check, rows: Sequence[Mapping[str, Any]], total: int, idx_cols: Sequence[str], max_findings: int
) -> list[Finding]:
    """One finding per failing record (``rows``: column -> value), then one for those past the cap."""
    out = []
    col = check.columns[0] if len(check.columns) == 1 else None
    for row in rows[:max_findings]:
        value = text(row.get(col)) if col else ", ".join(text(row.get(c)) for c in check.columns)
        out.append(
            Finding(
                check.rule_id,
                check.severity,
                check.dataset,
                check.variable,
                check.message.format_map(_Fields(row, value)),
                {k: plain(row.get(k)) for k in idx_cols},
                value,
            )
        )
    if total > len(out):
        out.append(
            Finding(
                check.rule_id,
                check.severity,
                check.dataset,
                check.variable,
                f"{total - len(out)} more record(s) fail this check (report capped at {max_findings}).",
                {},
                str(total - len(out)),
            )
        )
    return out
