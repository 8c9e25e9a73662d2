"""SDTM input checks: one layer for ``validate``, the SDTM gate of ``adamforge run`` and ``derive``.

The engine knows no study. What must exist follows from the spec's dataset programs
(:func:`adamforge.adam.program.input_readers`: a domain or variable a program reads); what a
study asks beyond that is the spec's ``inputs`` section (:mod:`adamforge.adam.input_rules`:
record keys, complete dates, ranges, codelists, arm codes, study rules, the plausible date
window). The rest is SDTM itself (keys not missing, --SEQ unique, ISO 8601 dates, finite
numbers, subjects in DM). Every rule returns :class:`adamforge.findings.Finding` records with the
failing record's keys (``USUBJID`` plus ``--SEQ``, or the domain's first unique key where it has
no ``--SEQ``).

=============== ======== ===========================================================
rule            severity what
=============== ======== ===========================================================
SDTM-REQ-001    ERROR    domains and variables the programs read present (the finding names
                         the program step); with scope ``all`` also the spec's ``required``
SDTM-KEY-001    ERROR    record keys unique (the spec's ``unique``, within a filter; DM: USUBJID)
SDTM-KEY-002    ERROR    STUDYID / USUBJID / --SEQ not missing
SDTM-SEQ-001    ERROR    --SEQ unique within USUBJID
SDTM-DTC-001    ERROR    --DTC values ISO 8601 (complete or right-truncated partial)
SDTM-DTC-002    ERROR    dates the spec declares ``complete`` are not partial
SDTM-DTC-003    ERROR    dates inside the plausible window (spec ``date_window``, default
                         1900-01-01 to 2100-12-31)
SDTM-NUM-001    ERROR    numbers finite (no inf / -inf)
SDTM-RANGE-001  ERROR    values in the spec's ``ranges`` (severity per range)
SDTM-CT-001     ERROR    values in the spec's ``codelists``; arm codes (``arm_codes``)
SDTM-SUBJ-001   ERROR    subjects of every subject-level domain present in DM
SDTM-SPEC-001   WARNING  an ``inputs`` rule could not run (a variable it reads is absent)
(spec ids)      (spec)   the spec's study ``rules`` (e.g. an eligibility limit)
=============== ======== ===========================================================

``derive`` runs the same layer with ``scope="programs"`` on the variables its programs read
(:func:`adamforge.adam.inputs.check_sdtm`); ``validate`` and the SDTM gate run it with
``scope="all"`` on the whole input, so the gate stops on everything derive would stop on.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from adamforge.adam import filters
from adamforge.adam.input_rules import InputRules, KeyRule, StudyRule
from adamforge.findings import Finding
from adamforge.keys import duplicated_rows, row_codes

from .rules import (
    MAX_PER_RULE,
    Rule,
    RuleRun,
    blank,
    count_findings,
    dataset_finding,
    findings_from_rows,
    record_keys,
    register,
    release_memory,
    run_rules,
    subjects_not_in,
)

RULES: dict[str, Rule] = {}

#: Trial design domains: not subject-level.
TRIAL_DESIGN = frozenset({"TA", "TE", "TV", "TS", "TI"})

#: SDTM's arm codes of subjects without an arm or without treatment (never an error; any case)
NULL_ARMCDS = frozenset({"SCRNFAIL", "NOTASSGN", "NOTTRT", "UNPLAN", ""})

SCOPES = ("all", "programs")


@dataclasses.dataclass(frozen=True)
class SdtmCheckOptions:
    """Options of the SDTM checks.

    Parameters
    ----------
    max_findings : cap of record-level findings per rule, dataset and variable.
    scope : ``"all"`` (validate: the whole input; the spec's ``required`` too; a rule that cannot
        run is a SDTM-SPEC-001 warning) or ``"programs"`` (derive: the frames hold only what the
        programs read; rules on other variables are skipped).
    """

    max_findings: int = MAX_PER_RULE
    scope: str = "all"


@dataclasses.dataclass(frozen=True)
class _Ctx:
    """What the rules read besides the data: the spec's input rules, the programs' reads, options."""

    inputs: InputRules
    readers: Mapping[str, Mapping[str, tuple[str, ...]]]
    spec: Any
    max_findings: int
    scope: str
    #: integer codes of key columns (``factorize_column``), by (domain, variable); filled by the rules
    codes: dict | None = None


def check_sdtm(
    sdtm: Mapping[str, pd.DataFrame],
    spec=None,
    *,
    options: SdtmCheckOptions | None = None,
    select: list[str] | None = None,
) -> RuleRun:
    """Run the SDTM input checks.

    Parameters
    ----------
    sdtm : domain name -> DataFrame, as :func:`adamforge.sdtm_io.read_sdtm` returns.
    spec : the loaded spec (:func:`adamforge.adam.spec.load_spec`): its programs say what is
        required, its ``inputs`` section the study's rules. ``None``: SDTM's own rules only.
    options : the findings cap and the scope.
    select : rule ids to run (default all: :data:`RULES` and the spec's study rules).

    Returns
    -------
    RuleRun
        ``findings`` (list of Finding) and ``seconds`` per rule.

    Examples
    --------
    >>> dm = pd.DataFrame({"USUBJID": ["S-1", "S-1"], "AGE": [30, 30]})
    >>> run = check_sdtm({"DM": dm}, select=["SDTM-KEY-001"])
    >>> [(f.rule_id, f.keys) for f in run.findings]
    [('SDTM-KEY-001', {'USUBJID': 'S-1'})]
    """
    sdtm = {k.upper(): v for k, v in sdtm.items()}
    return run_rules(registry(spec), sdtm, _context(spec, options), select=select)


def _context(spec, options: SdtmCheckOptions | None) -> _Ctx:
    """The rules' context: the spec's ``inputs`` section, what its programs read, the options."""
    opt = options or SdtmCheckOptions()
    if opt.scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, not {opt.scope!r}")
    inputs = getattr(spec, "inputs", None) or InputRules()
    readers = {}
    if spec is not None and getattr(spec, "programs", None):
        from adamforge.adam.program import input_readers

        readers = input_readers(spec)
    return _Ctx(inputs, readers, spec, opt.max_findings, opt.scope)


#: rules that read one domain at a time (with the spec's rules for that domain): run per domain by
#: :func:`check_sdtm_by_domain`; SDTM-REQ-001 reads the column names only, SDTM-SUBJ-001 reads DM too
_PER_DOMAIN = (
    "SDTM-KEY-001",
    "SDTM-KEY-002",
    "SDTM-SEQ-001",
    "SDTM-DTC-001",
    "SDTM-DTC-002",
    "SDTM-DTC-003",
    "SDTM-NUM-001",
    "SDTM-RANGE-001",
    "SDTM-CT-001",
    "SDTM-SPEC-001",
)


def check_sdtm_by_domain(
    read: Callable[[str], pd.DataFrame | tuple[pd.DataFrame, list[str]]],
    names: Sequence[str],
    spec=None,
    *,
    options: SdtmCheckOptions | None = None,
) -> tuple[RuleRun, list[tuple[str, int, int]]]:
    """:func:`check_sdtm` (every rule) reading one domain at a time: bounded memory on a big study.

    ``read(name)`` returns a domain's DataFrame (``names``: the domains of the folder), or the
    DataFrame of the variables :func:`columns_read` names plus the list of all the domain's
    variables (a column-wise reader of a big study). Each domain
    is read, checked by every rule that reads it and released before the next is read; only DM is
    kept (SDTM-SUBJ-001 and the study rules that merge DM read it). SDTM-REQ-001 runs on the
    column names. The findings are those of :func:`check_sdtm` on all the domains at once, in the
    same order per rule (rules in registry order; a rule's findings per domain).

    Returns the :class:`~.rules.RuleRun` and ``(name, records, variables)`` of every domain read.
    """
    import time

    base = _context(spec, options)
    reg = registry(spec)
    study = {r.id: r for r in base.inputs.rules if r.id in reg and r.id not in RULES}
    buckets: dict[str, list[Finding]] = {rid: [] for rid in reg}
    seconds: dict[str, float] = dict.fromkeys(reg, 0.0)
    cpu: dict[str, float] = dict.fromkeys(reg, 0.0)

    def run(rid: str, data: Mapping[str, pd.DataFrame], ctx: _Ctx) -> None:
        t0, c0 = time.perf_counter(), time.process_time()
        buckets[rid].extend(reg[rid].check(data, ctx))
        seconds[rid] += time.perf_counter() - t0
        cpu[rid] += time.process_time() - c0

    upper = {n.upper(): n for n in names}
    order = sorted(upper)
    if "DM" in upper:  # read first and kept: the other domains' subjects are looked up in it
        order.remove("DM")
        order.insert(0, "DM")
    schema: dict[str, pd.DataFrame] = {}
    shapes: list[tuple[str, int, int]] = []
    dm: pd.DataFrame | None = None
    done_study: set[str] = set()
    for name in order:
        got = read(upper[name])
        # a reader may leave out variables no rule reads (columns_read): it then names them all
        df, all_columns = got if isinstance(got, tuple) else (got, list(got.columns))
        del got
        release_memory()  # the reader's buffers: only the frame stays
        shapes.append((name, len(df), len(all_columns)))
        schema[name] = pd.DataFrame(columns=list(all_columns))
        if name == "DM":
            dm = df
        ctx = dataclasses.replace(base, codes={})  # integer codes of this domain's columns, shared by its rules
        one = {name: df}
        for rid in _PER_DOMAIN:
            run(rid, one, ctx)
        run("SDTM-SUBJ-001", one if dm is None or name == "DM" else {name: df, "DM": dm}, ctx)
        for rid, r in study.items():
            if r.domain != name:
                continue
            view = dict(one)
            src = (r.merge or {}).get("from")
            if src and src not in view and src in upper:
                view[src] = dm if src == "DM" and dm is not None else read(upper[src])
            run(rid, view, ctx)
            done_study.add(rid)
        del df, one, ctx
        release_memory()
    for rid, r in study.items():  # a study rule on a domain the folder does not have
        if rid not in done_study:
            src = (r.merge or {}).get("from")
            run(rid, {src: dm} if src == "DM" and dm is not None else {}, base)
    run("SDTM-REQ-001", schema, base)
    findings = [f for rid in reg for f in buckets[rid]]
    return RuleRun(findings, seconds, cpu), sorted(shapes)


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _names_in(obj: Any, out: set[str]) -> set[str]:
    """Every word of every text in ``obj`` (the spec's inputs objects: dataclasses, mappings,
    sequences, filters, messages): a superset of the variable names they read."""
    if isinstance(obj, str):
        out.update(_NAME.findall(obj))
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            _names_in(getattr(obj, f.name), out)
    elif isinstance(obj, Mapping):
        for k, v in obj.items():
            _names_in(k, out)
            _names_in(v, out)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for v in obj:
            _names_in(v, out)
    return out


def columns_read(spec, domain: str, columns: Sequence[str], numeric: Sequence[str]) -> set[str]:
    """The variables of ``domain`` (its ``columns``, the ``numeric`` ones among them) that the
    SDTM checks (scope ``all``) read: USUBJID, STUDYID, --SEQ, every --DTC and every number, and
    every name the spec's inputs section or its programs use for the domain (its rules, the
    study rules on it or merging from it). A reader may leave the other variables out
    (:func:`check_sdtm_by_domain`); SDTM-REQ-001 sees every column name all the same.
    """
    domain = domain.upper()
    inputs = getattr(spec, "inputs", None) or InputRules()
    words: set[str] = {"USUBJID", "STUDYID", f"{domain[:2]}SEQ"}
    _names_in(inputs.domains.get(domain), words)
    for r in inputs.rules:
        if r.domain == domain or (r.merge or {}).get("from") == domain:
            _names_in(r, words)
    if spec is not None and getattr(spec, "programs", None):
        from adamforge.adam.program import input_readers

        _names_in(dict(input_readers(spec).get(domain, {})), words)
    num = set(numeric)
    return {c for c in columns if c in words or c in num or c.endswith("DTC")}


def registry(spec=None) -> dict[str, Rule]:
    """:data:`RULES` plus one rule per study rule of the spec's ``inputs`` section (by its id)."""
    out = dict(RULES)
    inputs = getattr(spec, "inputs", None) or InputRules()
    for rule in inputs.rules:
        if rule.id in out:
            continue  # parse_inputs reports a clash with a built-in id? built-ins win
        out[rule.id] = Rule(
            rule.id,
            rule.severity,
            rule.description or f"inputs rule {rule.id}",
            lambda data, ctx, _r=rule: _study_rule(data, ctx, _r),
        )
    return out


# -- helpers -----------------------------------------------------------------------------


def _duplicated(df: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """``df.duplicated(cols, keep=False)`` as a boolean array, on integer codes of the key columns.

    One factorize per column and a sort of the combined int64 codes: several times cheaper than
    hashing the text of every key on the 10-million-record QS.
    """
    return duplicated_rows(row_codes([df[c] for c in cols]))


def _key_duplicated(df: pd.DataFrame, domain: str, cols: list[str], rows: np.ndarray | None, ctx: _Ctx) -> np.ndarray:
    """:func:`_duplicated` of the records ``rows`` (all: None) on the key columns ``cols``.

    Each column is factorized once per domain (``ctx.codes``) and its codes are shared by the
    domain's key rules; a subset takes the codes of its records (equal values, equal codes, as a
    factorize of the subset gives), never a copy of the records.
    """
    from adamforge.keys import combine_codes, factorize_column

    cache = ctx.codes if ctx.codes is not None else {}
    parts = []
    for c in cols:
        if (domain, c) not in cache:
            codes, size = factorize_column(df[c])
            cache[(domain, c)] = (codes.astype(np.int32) if size < 2**31 else codes, size)  # half the memory
        codes, size = cache[(domain, c)]
        parts.append((codes if rows is None else codes[rows], size))
    return duplicated_rows(combine_codes(parts))


def _keys(df: pd.DataFrame, domain: str, ctx: _Ctx | None = None) -> list[str]:
    return record_keys(df, domain, extra=_domain_keys(ctx, domain) if ctx is not None else ())


def _rows(rule: Rule, rows: pd.DataFrame, domain: str, variable: str, ctx: _Ctx, message: str) -> list[Finding]:
    """Findings on failing records of a domain: its record keys, the variable's value as ``{value}``."""
    return findings_from_rows(
        rows,
        rule=rule,
        dataset=domain,
        variable=variable,
        key_cols=_keys(rows, domain, ctx),
        value_col=variable,
        message=message,
        max_findings=ctx.max_findings,
    )


def _spec_domains(sdtm: Mapping[str, pd.DataFrame], ctx: _Ctx):
    """(domain, its rules in the spec's inputs section, its frame) of the spec's domains present."""
    for domain, d in ctx.inputs.domains.items():
        df = sdtm.get(domain)
        if df is not None:
            yield domain, d, df


def _subject_domains(sdtm: Mapping[str, pd.DataFrame]):
    for name, df in sdtm.items():
        if name not in TRIAL_DESIGN and "USUBJID" in df.columns:
            yield name, df


_ISO = re.compile(
    r"(\d{4})(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])"
    r"(T([01]\d|2[0-3])(:[0-5]\d(:[0-5]\d(\.\d+)?)?)?)?)?)?"
)


def iso8601_valid(values: pd.Series) -> pd.Series:
    """True where a value is a valid ISO 8601 date/date-time, complete or right-truncated.

    Accepted: ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, ``YYYY-MM-DDThh``, ``...Thh:mm``,
    ``...Thh:mm:ss(.f)``; the calendar date must exist (``2021-02-30`` is invalid). Missing
    values count as valid (a required date is a different rule). Checked once per distinct value.
    """
    miss = blank(values)
    uniq = pd.Series(values[~miss].astype("str").unique(), dtype="str")
    ok = uniq.str.fullmatch(_ISO.pattern).fillna(False).astype(bool)
    full = ok & (uniq.str.len() >= 10)
    if full.any():
        parsed = pd.to_datetime(uniq[full].str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
        ok.loc[full[full].index] = parsed.notna().to_numpy()
    good = set(uniq[ok])
    return miss | values.astype("str").isin(good)


def impute_partial_date(values: pd.Series) -> pd.Series:
    """ISO 8601 dates to datetimes, a missing day imputed as the 1st and a missing month as January.

    Values that are not valid ISO 8601 dates give ``NaT``.
    """
    s = values.astype("str").str.slice(0, 10)
    s = s.where(iso8601_valid(values) & ~blank(values))
    s = s.mask(s.str.len() == 4, s + "-01-01").mask(s.str.len() == 7, s + "-01")
    return pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")


def _domain_keys(ctx: _Ctx, domain: str) -> tuple[str, ...]:
    """The first unfiltered unique key of the domain in the spec (DM: USUBJID)."""
    d = ctx.inputs.domains.get(domain)
    for k in d.unique if d else ():
        if not k.where:
            return k.keys
    return ("USUBJID",) if domain == "DM" else ()


def _skipped(ctx: _Ctx, dataset: str, what: str, absent: list[str]) -> list[Finding]:
    """A spec rule that cannot run: a SDTM-SPEC-001 warning under scope ``all``, nothing under ``programs``."""
    if ctx.scope != "all":
        return []
    d = ctx.inputs.domains.get(dataset)
    required = set(ctx.readers.get(dataset, ())) | set(d.required if d else ())
    if dataset in ctx.readers or (d and d.required):
        required.add("the domain")
    if all(a in required for a in absent):
        return []  # SDTM-REQ-001 reports it
    return [
        Finding(
            "SDTM-SPEC-001",
            "WARNING",
            dataset,
            ", ".join(absent),
            f"{what} was not run: {dataset} lacks {', '.join(absent)} (spec inputs section).",
        )
    ]


def _at(rule: Rule, severity: str) -> Rule:
    """``rule`` at the severity the spec gives it."""
    return rule if severity == rule.severity else dataclasses.replace(rule, severity=severity)


def _absent(df: pd.DataFrame, names) -> list[str]:
    return sorted({n for n in names if n and n not in df.columns})


def _where(df: pd.DataFrame, flt) -> np.ndarray:
    return filters.evaluate(df, flt) if flt else np.ones(len(df), dtype=bool)


def _in_where(flt) -> str:
    return f" where {filters.describe(flt)}" if flt else ""


# -- rules -------------------------------------------------------------------------------


@register(RULES, "SDTM-REQ-001", "ERROR", "Domains and variables the programs read (and the spec requires) are present")
def _required(sdtm, ctx: _Ctx) -> list[Finding]:
    rule = RULES["SDTM-REQ-001"]
    out = []
    named: set[tuple[str, str]] = set()
    for domain, variables in ctx.readers.items():
        df = sdtm.get(domain)
        if df is None:
            named.add((domain, ""))
            out.append(
                dataset_finding(
                    rule,
                    domain,
                    "",
                    f"Domain {domain} is missing from the SDTM input; read by {'; '.join(variables.get('', ()))}.",
                )
            )
            continue
        for var, readers in variables.items():
            if var and var not in df.columns:
                named.add((domain, var))
                out.append(
                    dataset_finding(
                        rule, domain, var, f"Variable {domain}.{var} is missing; read by {'; '.join(readers)}."
                    )
                )
    if ctx.scope == "all":
        for domain, d in ctx.inputs.domains.items():
            if not d.required or (domain, "") in named:
                continue
            df = sdtm.get(domain)
            if df is None:
                out.append(
                    dataset_finding(
                        rule,
                        domain,
                        "",
                        f"Required domain {domain} is missing from the SDTM input (spec inputs: required).",
                    )
                )
                continue
            for var in d.required:
                if var not in df.columns and (domain, var) not in named:
                    named.add((domain, var))
                    out.append(
                        dataset_finding(
                            rule, domain, var, f"Required variable {domain}.{var} is missing (spec inputs: required)."
                        )
                    )
    return out


def _key_rules(ctx: _Ctx) -> list[tuple[str, KeyRule]]:
    rules = [(dom, k) for dom, d in ctx.inputs.domains.items() for k in d.unique]
    if not any(dom == "DM" and k.keys == ("USUBJID",) and not k.where for dom, k in rules):
        rules.insert(0, ("DM", KeyRule(("USUBJID",))))  # SDTM: one DM record per subject
    return rules


@register(RULES, "SDTM-KEY-001", "ERROR", "Record keys are unique (the spec's unique keys; DM: one record per subject)")
def _natural_keys(sdtm, ctx: _Ctx) -> list[Finding]:
    rule = RULES["SDTM-KEY-001"]
    out = []
    for domain, kr in _key_rules(ctx):
        df = sdtm.get(domain)
        if df is None:
            continue
        cols = list(kr.keys)
        absent = _absent(df, [*cols, *filters.variables(kr.where)])
        if absent:
            out += _skipped(ctx, domain, f"Unique key ({', '.join(cols)}){_in_where(kr.where)}", absent)
            continue
        rows = np.flatnonzero(_where(df, kr.where)) if kr.where else None
        dup = _key_duplicated(df, domain, cols, rows, ctx)
        if not dup.any():
            continue
        hit = np.flatnonzero(dup) if rows is None else rows[dup]
        out += count_findings(
            df[cols].iloc[hit],
            cols,
            rule=_at(rule, kr.severity),
            dataset=domain,
            variable=", ".join(cols),
            message=f"{{value}} records share the key ({', '.join(cols)}){_in_where(kr.where)}; {domain} allows one.",
            dropna=False,
            max_findings=ctx.max_findings,
        )
    return out


@register(RULES, "SDTM-KEY-002", "ERROR", "STUDYID, USUBJID and --SEQ are not missing")
def _keys_not_null(sdtm, ctx: _Ctx) -> list[Finding]:
    rule = RULES["SDTM-KEY-002"]
    out = []
    for domain, df in _subject_domains(sdtm):
        for var in ("STUDYID", "USUBJID", f"{domain[:2]}SEQ"):
            if var not in df.columns:
                continue
            miss = blank(df[var])
            if not miss.any():
                continue
            keys = [k for k in _keys(df, domain, ctx) if k != var]
            bad = df.loc[miss].assign(ROW=np.flatnonzero(miss.to_numpy()) + 1)
            out += findings_from_rows(
                bad,
                rule=rule,
                dataset=domain,
                variable=var,
                key_cols=[*keys, "ROW"],
                message=f"{var} is missing (record number {{ROW}} of {domain}).",
                max_findings=ctx.max_findings,
            )
    return out


@register(RULES, "SDTM-SEQ-001", "ERROR", "--SEQ is unique within each subject")
def _seq_unique(sdtm, ctx: _Ctx) -> list[Finding]:
    rule = RULES["SDTM-SEQ-001"]
    out = []
    for domain, df in _subject_domains(sdtm):
        seq = f"{domain[:2]}SEQ"
        if seq not in df.columns:
            continue
        dup = _key_duplicated(df, domain, ["USUBJID", seq], None, ctx) & ~blank(df[seq]).to_numpy()
        if not dup.any():
            continue
        out += count_findings(
            df.loc[dup],
            ["USUBJID", seq],
            rule=rule,
            dataset=domain,
            variable=seq,
            message=f"{{value}} records of this subject have {seq} = {{{seq}}}; --SEQ must be unique within USUBJID.",
            max_findings=ctx.max_findings,
        )
    return out


def _dtc_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c.endswith("DTC")]


def _column_findings(
    rule: Rule,
    sdtm: Mapping[str, pd.DataFrame],
    ctx: _Ctx,
    columns: Callable[[pd.DataFrame], list[str]],
    failing: Callable[[pd.Series], Any],
    message: Callable[[str], str],
) -> list[Finding]:
    """A rule on single values: for every domain and each of its ``columns``, the records whose
    value is ``failing`` (a boolean mask of the column), with ``message(variable)``."""
    out = []
    for domain, df in sdtm.items():
        for var in columns(df):
            bad = failing(df[var])
            if bad.any():
                out += _rows(rule, df.loc[bad], domain, var, ctx, message(var))
    return out


@register(RULES, "SDTM-DTC-001", "ERROR", "--DTC values are ISO 8601 dates (complete or partial)")
def _iso_dates(sdtm, ctx: _Ctx) -> list[Finding]:
    return _column_findings(
        RULES["SDTM-DTC-001"],
        sdtm,
        ctx,
        _dtc_columns,
        lambda col: ~iso8601_valid(col),
        lambda var: f"{var} '{{value}}' is not an ISO 8601 date (YYYY, YYYY-MM, YYYY-MM-DD or a date-time).",
    )


@register(RULES, "SDTM-DTC-002", "ERROR", "Dates the spec declares complete are not partial")
def _complete_dates(sdtm, ctx: _Ctx) -> list[Finding]:
    rule = RULES["SDTM-DTC-002"]
    out = []
    for domain, d, df in _spec_domains(sdtm, ctx):
        for var, partial in d.dates.items():
            if partial:
                continue
            if var not in df.columns:
                out += _skipped(ctx, domain, f"Complete-date check of {var}", [var])
                continue
            col = df[var]
            valid = iso8601_valid(col) & ~blank(col)  # invalid ones are SDTM-DTC-001's
            bad = valid & (col.astype("str").str.len() < 10)
            if not bad.any():
                continue
            out += _rows(
                rule,
                df.loc[bad],
                domain,
                var,
                ctx,
                f"{var} '{{value}}' is a partial date; the study needs a complete date (YYYY-MM-DD) here.",
            )
    return out


def _outside(values: pd.Series, lo: str, hi: str) -> pd.Series:
    """True where a valid ISO 8601 value's date lies outside ``[lo, hi]`` (a partial one: its prefix)."""
    miss = blank(values)
    ok = iso8601_valid(values) & ~miss
    txt = values.astype("str")
    uniq = pd.unique(txt[ok])
    bad = set()
    for v in uniq:
        date = v[:10]
        n = len(date)
        if date < lo[:n] or date > hi[:n]:
            bad.add(v)
    if not bad:
        return pd.Series(False, index=values.index)
    return ok & txt.isin(bad)


@register(RULES, "SDTM-DTC-003", "ERROR", "Dates lie in the plausible date window")
def _date_window(sdtm, ctx: _Ctx) -> list[Finding]:
    lo, hi = ctx.inputs.date_window
    return _column_findings(
        RULES["SDTM-DTC-003"],
        sdtm,
        ctx,
        _dtc_columns,
        lambda col: _outside(col, lo, hi),
        lambda var: f"{var} '{{value}}' is outside the plausible date window {lo} to {hi} (spec inputs: date_window).",
    )


@register(RULES, "SDTM-NUM-001", "ERROR", "Numbers are finite (no infinity)")
def _finite(sdtm, ctx: _Ctx) -> list[Finding]:
    return _column_findings(
        RULES["SDTM-NUM-001"],
        sdtm,
        ctx,
        lambda df: [c for c in df.columns if pd.api.types.is_float_dtype(df[c].dtype)],
        lambda col: np.isinf(col.to_numpy(dtype="float64", na_value=np.nan)),
        lambda var: f"{var} is {{value}}: not a finite number.",
    )


def _range_text(lo, hi) -> str:
    if lo is not None and hi is not None:
        return f"{lo:g} to {hi:g}"
    return f">= {lo:g}" if lo is not None else f"<= {hi:g}"


@register(RULES, "SDTM-RANGE-001", "ERROR", "Values lie in the spec's ranges")
def _ranges(sdtm, ctx: _Ctx) -> list[Finding]:
    base = RULES["SDTM-RANGE-001"]
    out = []
    for domain, d, df in _spec_domains(sdtm, ctx):
        for rr in d.ranges:
            absent = _absent(df, [rr.variable, *filters.variables(rr.where)])
            if absent:
                out += _skipped(ctx, domain, f"Range {rr.label} of {rr.variable}", absent)
                continue
            sel = _where(df, rr.where)
            val = pd.to_numeric(df[rr.variable], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            with np.errstate(invalid="ignore"):
                low = val < rr.min if rr.min is not None else np.zeros(len(df), dtype=bool)
                high = val > rr.max if rr.max is not None else np.zeros(len(df), dtype=bool)
            bad = sel & ~np.isnan(val) & (low | high)
            if not bad.any():
                continue
            rule = _at(base, rr.severity)
            out += _rows(
                rule,
                df.loc[bad],
                domain,
                rr.variable,
                ctx,
                f"{rr.variable} = {{value}} is outside the {rr.label} range {_range_text(rr.min, rr.max)}"
                f"{_in_where(rr.where)}.",
            )
    return out


def _allowed(ctx: _Ctx, codelist: str) -> list:
    cl = ctx.spec.codelists.get(codelist) if ctx.spec is not None else None
    return [] if cl is None else [t.coded for t in cl.terms]


def _arm_values(ctx: _Ctx, name: str) -> set[str]:
    v = ctx.spec.parameters.get(name) if ctx.spec is not None else None
    if isinstance(v, Mapping):
        return {str(k) for k in v}
    if isinstance(v, (list, tuple)):
        return {str(x) for x in v}
    return set()


@register(RULES, "SDTM-CT-001", "ERROR", "Values are in the spec's codelists; arm codes are the study's arms")
def _codelists(sdtm, ctx: _Ctx) -> list[Finding]:
    rule = RULES["SDTM-CT-001"]
    out = []
    for domain, d, df in _spec_domains(sdtm, ctx):
        for c in d.codelists:
            absent = _absent(df, [c.variable, *filters.variables(c.where)])
            if absent:
                out += _skipped(ctx, domain, f"Codelist {c.codelist} check of {c.variable}", absent)
                continue
            allowed = _allowed(ctx, c.codelist)
            if not allowed:
                continue  # the spec check names an unknown codelist
            col = df[c.variable]
            if pd.api.types.is_numeric_dtype(col.dtype):
                v = pd.to_numeric(col, errors="coerce")
                nums = pd.to_numeric(pd.Series(allowed, dtype=object), errors="coerce").dropna().astype(float)
                bad = v.notna() & ~v.isin(nums)
            else:
                bad = ~blank(col) & ~col.astype("str").isin({str(a) for a in allowed})
            bad = bad.to_numpy() & _where(df, c.where)
            if bad.any():
                out += _rows(
                    rule,
                    df.loc[bad],
                    domain,
                    c.variable,
                    ctx,
                    f"{c.variable} '{{value}}' is not in codelist {c.codelist}{_in_where(c.where)}.",
                )
        a = d.arm_codes
        if a is None:
            continue
        arms = _arm_values(ctx, a.values)
        if not arms:
            continue
        for var in a.variables:
            if var not in df.columns:
                out += _skipped(ctx, domain, f"Arm code check of {var}", [var])
                continue
            codes, uniq = pd.factorize(df[var], use_na_sentinel=True)  # a few distinct codes
            good = []
            for u in uniq:
                txt = str(u).strip()
                parts = txt.split(a.split) if a.split else [txt]
                good.append(txt.upper() in NULL_ARMCDS or (len(parts) <= a.max_parts and all(p in arms for p in parts)))
            good_arr = np.asarray(good + [True], dtype=bool)  # -1 (missing): no arm, not an error
            bad = ~good_arr[codes]
            if bad.any():
                out += _rows(
                    rule,
                    df.loc[bad],
                    domain,
                    var,
                    ctx,
                    (
                        f"{var} '{{value}}' is not an arm code of parameter '{a.values}' "
                        f"({', '.join(sorted(arms))}"
                        + (f"; up to {a.max_parts} joined by '{a.split}'" if a.split and a.max_parts > 1 else "")
                        + ") nor an SDTM code for no arm or no treatment."
                    ),
                )
    return out


@register(RULES, "SDTM-SUBJ-001", "ERROR", "Subjects of every subject-level domain are in DM")
def _subjects_in_dm(sdtm, ctx: _Ctx) -> list[Finding]:
    dm = sdtm.get("DM")
    if dm is None or "USUBJID" not in dm.columns:
        return []  # SDTM-REQ-001 reports it
    return subjects_not_in(
        ((domain, df) for domain, df in _subject_domains(sdtm) if domain != "DM"),
        dm,
        rule=RULES["SDTM-SUBJ-001"],
        parent_name="DM",
        skip_blank=True,
        max_findings=ctx.max_findings,
    )


@register(RULES, "SDTM-SPEC-001", "WARNING", "An input rule of the spec could not run (a variable it reads is absent)")
def _spec_rules(sdtm, ctx: _Ctx) -> list[Finding]:
    return []  # the findings come from the rules that could not run


def _study_rule(sdtm, ctx: _Ctx, r: StudyRule) -> list[Finding]:
    """A study rule of the spec: records meeting ``where`` but not ``require``."""
    df = sdtm.get(r.domain)
    what = f"Rule {r.id}"
    if df is None:
        return [] if ctx.scope != "all" or r.domain in ctx.readers else _skipped(ctx, r.domain, what, ["the domain"])
    absent = _absent(df, r.variables())
    if absent:
        return _skipped(ctx, r.domain, what, absent)
    keys = _keys(df, r.domain, ctx)
    cols = list(dict.fromkeys([*keys, *sorted(r.variables())]))
    work = df[cols]
    if r.merge:
        other = sdtm.get(r.merge["from"])
        need = [*r.merge["by"], *r.merge["keep"]]
        if other is None or _absent(other, need):
            return _skipped(ctx, r.merge["from"], what, _absent(other, need) if other is not None else ["the domain"])
        first = other[need].drop_duplicates(list(r.merge["by"])).set_index(list(r.merge["by"]))
        work = work.drop(columns=[c for c in r.merge["keep"] if c in work.columns]).join(first, on=list(r.merge["by"]))
    if r.duration:
        du = r.duration
        start = impute_partial_date(work[du.start])
        end = pd.to_datetime(work[du.end].astype("str").str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
        days = (end.to_numpy() - start.to_numpy()) / np.timedelta64(1, "D")
        work = work.assign(**{du.name: days / 365.25 if du.unit == "years" else days})
    bad = _where(work, r.where) & ~_where(work, r.require)
    if not bad.any():
        return []
    rows = work.loc[bad]
    if r.duration and r.duration.name in rows.columns:
        d = r.duration.digits
        rows = rows.assign(**{r.duration.name: rows[r.duration.name].round(d).map(lambda x: f"{x:.{d}f}")})
    rule = Rule(r.id, r.severity, r.description, lambda *a: [])
    return findings_from_rows(
        rows,
        rule=rule,
        dataset=r.domain,
        variable=r.variable,
        key_cols=keys,
        value_col=r.value or None,
        message=r.message,
        max_findings=ctx.max_findings,
    )
