"""The spec's ``inputs`` section: what a study requires of its SDTM input, as data.

The engine knows no study. Which domains and variables must exist follows from the dataset
programs (:func:`adamforge.adam.program.input_readers`); everything else a study asks of its
input - record keys, dates that must be complete, value ranges, codelists, arm codes, study
rules such as an eligibility limit, the plausible date window - is written in the spec
(``adam_inputs.yaml``) and parsed here into :class:`InputRules`. The checks themselves are
:func:`adamforge.validation.sdtm_checks.check_sdtm` (one layer for ``validate``, the SDTM gate of
``adamforge run`` and ``derive``).

The YAML::

    inputs:
      date_window: ["1900-01-01", "2100-12-31"]   # default when absent
      domains:
        DM:
          required: [STUDYID, DOMAIN, RFSTDTC]      # beyond what the programs read
          unique: [{keys: [USUBJID]}]
          dates: {RFXSTDTC: complete, RFXENDTC: complete}     # complete | partial
          codelists: [{variable: SEX, codelist: SEX}]
          arm_codes: {variables: [ARMCD, ACTARMCD], values: "@arms", split: "-", max_parts: 2}
        QS:
          unique: [{keys: [USUBJID, QSTESTCD, VISITNUM], where: {QSCAT: {in: [DLQI, CDLQI]}}}]   # severity: WARNING
          ranges: [{variable: QSSTRESN, min: 0, max: 10, where: {QSTESTCD: ITCHNRS}, label: itch NRS}]
      rules:
        - id: SDTM-STUDY-002
          description: Age below the eligibility limit
          domain: DM
          where: {AGE: {missing: false}}
          require: {AGE: {ge: 12}}
          variable: AGE
          value: AGE
          severity: WARNING
          message: "AGE {value} is below the eligibility limit of 12 years."

A study rule reports every record of ``domain`` where ``where`` holds and ``require`` does not.
Before the filters run, ``merge`` adds variables of another domain (its first record per ``by``
key) and ``duration`` a number: the time from ``start`` (a partial date imputed to the first
day / month) to ``end`` (a complete date) in ``days`` or ``years`` (365.25 days), shown with
``digits`` decimals. Filters are :mod:`adamforge.adam.filters` data; messages are
``str.format`` templates of plain variable names (and ``{value}``), never code.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import re
import string
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from . import filters
from ._frozen import freeze

__all__ = [
    "DEFAULT_DATE_WINDOW",
    "InputRules",
    "DomainInputs",
    "KeyRule",
    "RangeRule",
    "CodelistRule",
    "ArmRule",
    "Duration",
    "StudyRule",
    "parse_inputs",
    "check_inputs",
]

#: plausible dates when the spec gives no ``date_window``
DEFAULT_DATE_WINDOW = ("1900-01-01", "2100-12-31")
SEVERITIES = ("ERROR", "WARNING", "NOTE")
_DOMAIN_KEYS = {"required", "unique", "dates", "ranges", "codelists", "arm_codes"}
_RULE_KEYS = {
    "id",
    "description",
    "domain",
    "where",
    "require",
    "merge",
    "duration",
    "variable",
    "value",
    "severity",
    "message",
}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclasses.dataclass(frozen=True)
class KeyRule:
    """Records of the domain (those meeting ``where``) unique by ``keys``."""

    keys: tuple[str, ...]
    where: Any = None
    severity: str = "ERROR"  # WARNING for a natural key the study's data are known to repeat


@dataclasses.dataclass(frozen=True)
class RangeRule:
    """``variable`` in ``[min, max]`` (either may be None) on the records meeting ``where``."""

    variable: str
    min: float | None = None
    max: float | None = None
    where: Any = None
    label: str = ""
    severity: str = "ERROR"


@dataclasses.dataclass(frozen=True)
class CodelistRule:
    """``variable`` holds a coded value of the spec's codelist ``codelist`` (records meeting ``where``)."""

    variable: str
    codelist: str
    where: Any = None


@dataclasses.dataclass(frozen=True)
class ArmRule:
    """Arm codes: each ``split``-separated part (at most ``max_parts``) a key of the study parameter ``values``.

    SDTM's codes for no arm or no treatment (SCRNFAIL, NOTASSGN, NOTTRT, UNPLAN, blank) are
    always accepted, in any case (``Scrnfail`` = ``SCRNFAIL``).
    """

    variables: tuple[str, ...]
    values: str
    split: str = ""
    max_parts: int = 1


@dataclasses.dataclass(frozen=True)
class DomainInputs:
    """What a study asks of one domain beyond what its programs read."""

    required: tuple[str, ...] = ()
    unique: tuple[KeyRule, ...] = ()
    dates: Mapping[str, bool] = dataclasses.field(default_factory=lambda: MappingProxyType({}))  # var -> partial ok
    ranges: tuple[RangeRule, ...] = ()
    codelists: tuple[CodelistRule, ...] = ()
    arm_codes: ArmRule | None = None


@dataclasses.dataclass(frozen=True)
class Duration:
    """A number added before a study rule's filters: ``start`` to ``end`` in ``unit``."""

    name: str
    start: str
    end: str
    unit: str = "days"
    digits: int = 2


@dataclasses.dataclass(frozen=True)
class StudyRule:
    """A study-level rule: records of ``domain`` meeting ``where`` but not ``require`` are findings."""

    id: str
    domain: str
    require: Any
    message: str
    severity: str = "ERROR"
    description: str = ""
    where: Any = None
    variable: str = ""
    value: str = ""
    merge: Any = None  # {"from": DOMAIN, "by": (vars), "keep": (vars)}
    duration: Duration | None = None

    def variables(self) -> set[str]:
        """Variables of ``domain`` the rule reads (merged and computed ones excluded)."""
        names = filters.variables(self.where) | filters.variables(self.require) | set(message_fields(self.message))
        names |= {x for x in (self.variable, self.value) if x}
        if self.merge:
            names -= set(self.merge["keep"])
            names |= set(self.merge["by"])
        if self.duration:
            names.discard(self.duration.name)
            names |= {self.duration.start, self.duration.end}
            if self.merge:
                names -= set(self.merge["keep"])
        names.discard("value")
        return names


@dataclasses.dataclass(frozen=True)
class InputRules:
    """The parsed ``inputs`` section (empty when the spec has none)."""

    domains: Mapping[str, DomainInputs] = dataclasses.field(default_factory=lambda: MappingProxyType({}))
    rules: tuple[StudyRule, ...] = ()
    date_window: tuple[str, str] = DEFAULT_DATE_WINDOW


def message_fields(message: str) -> list[str]:
    """The ``{name}`` fields of a message template."""
    try:
        return [f for _, f, _, _ in string.Formatter().parse(message) if f]
    except ValueError:
        return []


def _tuple(v: Any) -> tuple:
    if v is None:
        return ()
    if isinstance(v, (list, tuple)):
        return tuple(v)
    return (v,)


def _num(v: Any, where: str, problems: list[str]) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        problems.append(f"{where}: must be a number, got {v!r}")
        return None
    return float(v)


def _severity(v: Any, where: str, problems: list[str], default: str = "ERROR") -> str:
    sev = str(v or default).upper()
    if sev not in SEVERITIES:
        problems.append(f"{where}: severity must be one of {', '.join(SEVERITIES)}, not {v!r}")
        return default
    return sev


def _filter(v: Any, where: str, problems: list[str]) -> Any:
    problems.extend(f"{where}: {m}" for m in filters.check(v))
    return freeze(v) if v else None


def _date(v: Any, where: str, problems: list[str]) -> str:
    if isinstance(v, _dt.date):
        v = v.isoformat()[:10]
    if not isinstance(v, str) or not _DATE.fullmatch(v):
        problems.append(f"{where}: a date YYYY-MM-DD, got {v!r}")
        return ""
    return v


def _message(v: Any, where: str, problems: list[str]) -> str:
    if not isinstance(v, str) or not v:
        problems.append(f"{where}: 'message' (a sentence, with {{VARIABLE}} / {{value}} fields) is required")
        return ""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(v) if f is not None]
    except ValueError as exc:
        problems.append(f"{where}: message is not a valid template: {exc}")
        return ""
    bad = [f for f in fields if not _NAME.fullmatch(f)]
    if bad:
        problems.append(f"{where}: message fields must be plain variable names, not {', '.join(map(repr, bad))}")
        return ""
    return v


def _domain(name: str, raw: Any, problems: list[str]) -> DomainInputs:
    where = f"inputs domain {name}"
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: must be a mapping ({', '.join(sorted(_DOMAIN_KEYS))})")
        return DomainInputs()
    for k in raw:
        if k not in _DOMAIN_KEYS:
            problems.append(f"{where}: unknown entry {k!r} (expected {', '.join(sorted(_DOMAIN_KEYS))})")
    unique = []
    for i, u in enumerate(_tuple(raw.get("unique")), start=1):
        w = f"{where} unique #{i}"
        if not isinstance(u, Mapping) or not _tuple(u.get("keys")):
            problems.append(f"{w}: needs 'keys' (a list of variables)")
            continue
        unknown = set(map(str, u)) - {"keys", "where", "severity"}
        if unknown:
            problems.append(f"{w}: unknown entry {', '.join(sorted(unknown))} (expected keys, where, severity)")
        unique.append(
            KeyRule(
                tuple(map(str, _tuple(u["keys"]))),
                _filter(u.get("where"), w, problems),
                _severity(u.get("severity"), w, problems),
            )
        )
    dates: dict[str, bool] = {}
    raw_dates = raw.get("dates") or {}
    if not isinstance(raw_dates, Mapping):
        problems.append(f"{where} dates: a mapping VARIABLE: complete | partial")
        raw_dates = {}
    for var, kind in raw_dates.items():
        if kind not in ("complete", "partial"):
            problems.append(f"{where} dates {var}: 'complete' or 'partial', got {kind!r}")
            continue
        dates[str(var)] = kind == "partial"
    ranges = []
    for i, r in enumerate(_tuple(raw.get("ranges")), start=1):
        w = f"{where} range #{i}"
        if not isinstance(r, Mapping) or not r.get("variable"):
            problems.append(f"{w}: needs 'variable'")
            continue
        lo, hi = _num(r.get("min"), f"{w} min", problems), _num(r.get("max"), f"{w} max", problems)
        if lo is None and hi is None:
            problems.append(f"{w}: needs 'min' or 'max'")
        elif lo is not None and hi is not None and lo > hi:
            problems.append(f"{w}: min {lo:g} is above max {hi:g}")
        ranges.append(
            RangeRule(
                str(r["variable"]),
                lo,
                hi,
                _filter(r.get("where"), w, problems),
                str(r.get("label") or r["variable"]),
                _severity(r.get("severity"), w, problems),
            )
        )
    codelists = []
    for i, c in enumerate(_tuple(raw.get("codelists")), start=1):
        w = f"{where} codelist #{i}"
        if not isinstance(c, Mapping) or not c.get("variable") or not c.get("codelist"):
            problems.append(f"{w}: needs 'variable' and 'codelist'")
            continue
        codelists.append(CodelistRule(str(c["variable"]), str(c["codelist"]), _filter(c.get("where"), w, problems)))
    arm = None
    a = raw.get("arm_codes")
    if a is not None:
        w = f"{where} arm_codes"
        vals = a.get("values") if isinstance(a, Mapping) else None
        if (
            not isinstance(a, Mapping)
            or not _tuple(a.get("variables"))
            or not (isinstance(vals, str) and vals.startswith("@"))
        ):
            problems.append(f"{w}: needs 'variables' and 'values' (\"@parameter\": the study parameter of arm codes)")
        else:
            arm = ArmRule(
                tuple(map(str, _tuple(a["variables"]))),
                vals[1:],
                str(a.get("split") or ""),
                int(a.get("max_parts") or 1),
            )
    return DomainInputs(
        required=tuple(map(str, _tuple(raw.get("required")))),
        unique=tuple(unique),
        dates=MappingProxyType(dates),
        ranges=tuple(ranges),
        codelists=tuple(codelists),
        arm_codes=arm,
    )


def _rule(i: int, raw: Any, problems: list[str]) -> StudyRule | None:
    where = f"inputs rule #{i}"
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: must be a mapping")
        return None
    rid = str(raw.get("id") or "")
    where = f"inputs rule {rid or f'#{i}'}"
    for k in raw:
        if k not in _RULE_KEYS:
            problems.append(f"{where}: unknown entry {k!r} (expected {', '.join(sorted(_RULE_KEYS))})")
    if not rid:
        problems.append(f"{where}: needs an 'id' (the rule id its findings carry)")
    if not raw.get("domain"):
        problems.append(f"{where}: needs a 'domain'")
    if not raw.get("require"):
        problems.append(f"{where}: needs 'require' (the filter every record must meet)")
    merge = None
    m = raw.get("merge")
    if m is not None:
        if not isinstance(m, Mapping) or not m.get("from") or not _tuple(m.get("keep")):
            problems.append(f"{where} merge: needs 'from' (a domain), 'keep' (variables) and optionally 'by'")
        else:
            merge = MappingProxyType(
                {
                    "from": str(m["from"]),
                    "by": tuple(map(str, _tuple(m.get("by") or "USUBJID"))),
                    "keep": tuple(map(str, _tuple(m["keep"]))),
                }
            )
    dur = None
    d = raw.get("duration")
    if d is not None:
        if not isinstance(d, Mapping) or not all(d.get(k) for k in ("name", "start", "end")):
            problems.append(f"{where} duration: needs 'name', 'start' and 'end'")
        elif str(d.get("unit") or "days") not in ("days", "years"):
            problems.append(f"{where} duration: unit 'days' or 'years', got {d.get('unit')!r}")
        else:
            dur = Duration(
                str(d["name"]), str(d["start"]), str(d["end"]), str(d.get("unit") or "days"), int(d.get("digits", 2))
            )
    rule = StudyRule(
        id=rid,
        domain=str(raw.get("domain") or ""),
        require=_filter(raw.get("require"), f"{where} require", problems),
        message=_message(raw.get("message"), where, problems),
        severity=_severity(raw.get("severity"), where, problems),
        description=str(raw.get("description") or ""),
        where=_filter(raw.get("where"), f"{where} where", problems),
        variable=str(raw.get("variable") or ""),
        value=str(raw.get("value") or ""),
        merge=merge,
        duration=dur,
    )
    return rule


def parse_inputs(raw: Any) -> tuple[InputRules, list[str]]:
    """The ``inputs`` section as :class:`InputRules`, and its structural problems (empty: fine)."""
    problems: list[str] = []
    if raw is None:
        return InputRules(), problems
    if not isinstance(raw, Mapping):
        return InputRules(), ["inputs: must be a mapping (date_window, domains, rules)"]
    for k in raw:
        if k not in ("date_window", "domains", "rules"):
            problems.append(f"inputs: unknown entry {k!r} (expected date_window, domains, rules)")
    window = DEFAULT_DATE_WINDOW
    if raw.get("date_window") is not None:
        w = _tuple(raw["date_window"])
        if len(w) != 2:
            problems.append(f"inputs date_window: two dates [first, last], got {raw['date_window']!r}")
        else:
            lo, hi = _date(w[0], "inputs date_window", problems), _date(w[1], "inputs date_window", problems)
            if lo and hi:
                if lo > hi:
                    problems.append(f"inputs date_window: {lo} is after {hi}")
                window = (lo, hi)
    doms = raw.get("domains") or {}
    if not isinstance(doms, Mapping):
        problems.append("inputs domains: a mapping DOMAIN: {...}")
        doms = {}
    domains = {str(k).upper(): _domain(str(k).upper(), v, problems) for k, v in doms.items()}
    rules = []
    seen: set[str] = set()
    for i, r in enumerate(_tuple(raw.get("rules")), start=1):
        rule = _rule(i, r, problems)
        if rule is None:
            continue
        if rule.id in seen:
            problems.append(f"inputs rule {rule.id}: id used twice")
        seen.add(rule.id)
        rules.append(rule)
    return InputRules(MappingProxyType(domains), tuple(rules), window), problems


def check_inputs(spec) -> list[str]:
    """Cross-checks of the ``inputs`` section against the rest of the spec (codelists, parameters)."""
    inputs: InputRules = getattr(spec, "inputs", None) or InputRules()
    p: list[str] = []
    for dom, d in inputs.domains.items():
        for c in d.codelists:
            if c.codelist not in spec.codelists:
                p.append(f"inputs domain {dom} codelist {c.variable}: codelist {c.codelist!r} is not in the spec")
        if d.arm_codes is not None and d.arm_codes.values not in spec.parameters:
            p.append(f"inputs domain {dom} arm_codes: parameter {d.arm_codes.values!r} is not in the spec's parameters")
    return p
