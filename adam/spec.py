"""The spec model: datasets, variables, value-level metadata, codelists, methods, windows, endpoints.

In the spirit of R's metacore, the spec is a handful of linked, immutable tables. YAML files in a
spec folder (``specs/`` for the reference study) are the source of truth; a Pinnacle 21-style Excel
workbook reads into the same model (:mod:`adamforge.adam.excel`). Building the model cross-checks
it and reports *every* problem at once; the strictness ``policy`` decides whether problems warn
(``"dev"``) or stop (``"submission"``, :class:`~adamforge.errors.DataError`).

Stable API (other steps build on it)::

    spec = load_spec("specs")
    spec.datasets["ADSL"].label                  # DatasetSpec
    spec.datasets["ADSL"].variables["AGE"]       # VariableSpec, ordered by ``order``
    spec.codelists["NY"].terms                   # Codelist -> (Term(coded, decode), ...)
    spec.methods["MT.EFFFL"].description         # Method (define.xml text + registry call)
    spec.value_level                             # tuple[ValueLevel], one per dataset/variable/PARAMCD
    spec.windows, spec.endpoints, spec.parameters

Method arguments may refer to a study parameter with the string ``"@name"`` (for example
``excluded_sites: "@excluded_sites"``); :meth:`Spec.method_args` resolves it. Nothing in a spec
is ever evaluated as Python code.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from adamforge.errors import DataError

from ._frozen import freeze, thaw

__all__ = [
    "Term",
    "Codelist",
    "Method",
    "VariableSpec",
    "DatasetSpec",
    "ValueLevel",
    "VisitWindow",
    "Endpoint",
    "EndpointCase",
    "Spec",
    "SpecWarning",
    "load_spec",
    "build_spec",
    "spec_files",
    "check_spec",
    "SPEC_PATTERN",
    "VARIABLE_TYPES",
    "ORIGINS",
]

VARIABLE_TYPES = ("text", "integer", "float", "date")
ORIGINS = ("Collected", "Derived", "Assigned", "Predecessor", "Protocol")
CORES = ("Req", "Cond", "Perm", "Exp")
SECTIONS = (
    "study",
    "parameters",
    "datasets",
    "codelists",
    "methods",
    "value_level",
    "windows",
    "endpoints",
    "programs",
    "plugins",
    "inputs",
)
_NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")


class SpecWarning(UserWarning):
    """Problems found in a spec loaded with ``policy="dev"``."""


@dataclasses.dataclass(frozen=True)
class Term:
    """One codelist term: the coded value (as stored in the data) and its decode."""

    coded: Any
    decode: str = ""


@dataclasses.dataclass(frozen=True)
class Codelist:
    """A codelist: ``id`` (referenced by variables), ``name``, ``data_type`` (text/integer/float)."""

    id: str
    name: str
    data_type: str = "text"
    terms: tuple[Term, ...] = ()

    @property
    def coded_values(self) -> tuple:
        """The coded values, in order."""
        return tuple(t.coded for t in self.terms)

    def decode_map(self) -> dict:
        """``{coded: decode}``."""
        return {t.coded: t.decode for t in self.terms}


@dataclasses.dataclass(frozen=True)
class Method:
    """A derivation method.

    ``description`` is the define.xml text; ``function`` names an entry of
    :data:`adamforge.adam.registry.REGISTRY` (empty: a description-only method, the dataset
    program does it in a named step) and ``args`` are its keyword arguments.
    """

    id: str
    name: str
    description: str
    function: str = ""
    args: Mapping[str, Any] = dataclasses.field(default_factory=lambda: MappingProxyType({}))


@dataclasses.dataclass(frozen=True)
class VariableSpec:
    """One variable of one dataset (P21 "Variables" sheet).

    The source of a variable's metadata: the export view
    (:meth:`adamforge.export.metadata.ColumnMeta.from_variable`) and what files carry back when
    read (:class:`adamforge.readers.VariableMeta`) are checked against it.
    """

    dataset: str
    name: str
    label: str
    type: str = "text"
    length: int | None = None
    display_format: str = ""
    origin: str = "Derived"
    codelist: str = ""
    method: str = ""
    order: int = 0
    core: str = "Perm"
    predecessor: str = ""

    @property
    def mandatory(self) -> bool:
        """True for required variables (``core == "Req"``)."""
        return self.core == "Req"


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """One dataset: ``variables`` maps name -> :class:`VariableSpec`, in ``order``."""

    name: str
    label: str
    structure: str
    keys: tuple[str, ...]
    class_: str
    variables: Mapping[str, VariableSpec]

    @property
    def var_names(self) -> tuple[str, ...]:
        """Variable names in spec order."""
        return tuple(self.variables)

    def __eq__(self, other: object) -> bool:  # MappingProxyType has no __eq__ by content
        if not isinstance(other, DatasetSpec):
            return NotImplemented
        return (self.name, self.label, self.structure, self.keys, self.class_, dict(self.variables)) == (
            other.name,
            other.label,
            other.structure,
            other.keys,
            other.class_,
            dict(other.variables),
        )

    __hash__ = None  # type: ignore[assignment]


@dataclasses.dataclass(frozen=True)
class ValueLevel:
    """Value-level metadata: ``variable`` (e.g. AVAL) of ``dataset`` where PARAMCD == ``paramcd``."""

    dataset: str
    variable: str
    paramcd: str
    param: str
    type: str = "float"
    origin: str = "Derived"
    method: str = ""
    codelist: str = ""
    length: int | None = None
    display_format: str = ""

    @property
    def where(self) -> str:
        """The where clause in define.xml's words: ``PARAMCD EQ <paramcd>``."""
        return f"PARAMCD EQ {self.paramcd}"


@dataclasses.dataclass(frozen=True)
class VisitWindow:
    """An analysis visit window in study days (Day 1 = first dose, no Day 0).

    ``lo``/``hi`` bound the window (inclusive); ``target`` is the target day. Two assessments in
    a window: the one closest to target, a tie going to the later one.
    """

    avisit: str
    avisitn: float
    target: int
    lo: int
    hi: int


@dataclasses.dataclass(frozen=True)
class EndpointCase:
    """One way of evaluating an endpoint: the source parameter, its criterion and eligibility.

    ``when`` restricts the case to subjects whose ADSL variables equal the given values
    (e.g. ``{"QOLINST": "CDLQI"}``); empty = every subject.
    """

    source: str
    criterion: Mapping[str, Any]
    eligible: tuple[Mapping[str, Any], ...] = ()
    when: Mapping[str, Any] = dataclasses.field(default_factory=lambda: MappingProxyType({}))


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """A responder parameter defined by configuration.

    Either ``cases`` (criteria on source parameters at ``avisit``) or ``components`` (a
    composite: 1 when any component is 1, else 0).
    ``missing`` says what an evaluable subject with no value at ``avisit`` gets (``"NRI"``:
    AVAL 0, DTYPE NRI; ``"missing"``: AVAL missing).
    """

    paramcd: str
    param: str
    paramn: int
    avisit: str
    crit1: str
    parcat1: str = "RESPONDER"
    cases: tuple[EndpointCase, ...] = ()
    components: tuple[str, ...] = ()
    missing: str = "NRI"

    @property
    def is_composite(self) -> bool:
        """True for composites of other endpoints."""
        return bool(self.components)


@dataclasses.dataclass(frozen=True, eq=False)
class Spec:
    """The whole spec. Built by :func:`load_spec` (YAML) or :func:`adamforge.adam.excel.read_spec_xlsx`."""

    study: Mapping[str, Any]
    parameters: Mapping[str, Any]
    datasets: Mapping[str, DatasetSpec]
    codelists: Mapping[str, Codelist]
    methods: Mapping[str, Method]
    value_level: tuple[ValueLevel, ...]
    windows: tuple[VisitWindow, ...]
    endpoints: tuple[Endpoint, ...]
    problems: tuple[str, ...] = ()
    files: tuple[Path, ...] = ()
    #: dataset name -> :class:`adamforge.adam.program.Program` (the dataset programs)
    programs: Mapping[str, Any] = dataclasses.field(default_factory=lambda: MappingProxyType({}))
    #: the study's plugin modules as loaded (:class:`adamforge.adam.plugins.LoadedPlugin`)
    plugins: tuple[Any, ...] = ()
    #: what the study asks of its SDTM input (:class:`adamforge.adam.input_rules.InputRules`)
    inputs: Any = None

    def __eq__(self, other: object) -> bool:
        """Content equality (ignores ``problems`` and ``files``)."""
        if not isinstance(other, Spec):
            return NotImplemented
        return self._content() == other._content()

    def _content(self):
        return (
            thaw(self.study),
            thaw(self.parameters),
            dict(self.datasets),
            dict(self.codelists),
            {k: _method_key(m) for k, m in self.methods.items()},
            self.value_level,
            self.windows,
            tuple(_endpoint_key(e) for e in self.endpoints),
            dict(self.programs),
        )

    # convenience ---------------------------------------------------------------------
    def method_args(self, method_id: str) -> dict[str, Any]:
        """The keyword arguments of a method, ``"@name"`` references resolved from parameters."""
        m = self.methods[method_id]
        return {k: thaw(self._resolve(v)) for k, v in m.args.items()}

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("@"):
            return self.parameters[value[1:]]
        return value

    def window(self, avisit: str) -> VisitWindow:
        """The window of an analysis visit (KeyError if none)."""
        for w in self.windows:
            if w.avisit == avisit:
                return w
        raise KeyError(avisit)

    def endpoint(self, paramcd: str) -> Endpoint:
        """The endpoint with that PARAMCD (KeyError if none)."""
        for e in self.endpoints:
            if e.paramcd == paramcd:
                return e
        raise KeyError(paramcd)

    def value_level_for(self, dataset: str) -> tuple[ValueLevel, ...]:
        """Value-level entries of a dataset."""
        return tuple(v for v in self.value_level if v.dataset == dataset)

    def replace(self, **changes) -> Spec:
        """A copy with some sections replaced (re-checked with ``policy="dev"``)."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields.update(changes)
        fields["problems"] = ()
        new = Spec(**fields)
        return dataclasses.replace(new, problems=tuple(check_spec(new)))


def _method_key(m: Method):
    return (m.id, m.name, m.description, m.function, thaw(m.args))


def _endpoint_key(e: Endpoint):
    return (
        e.paramcd,
        e.param,
        e.paramn,
        e.avisit,
        e.crit1,
        e.parcat1,
        e.components,
        e.missing,
        tuple((c.source, thaw(c.criterion), thaw(c.eligible), thaw(c.when)) for c in e.cases),
    )


# ---------------------------------------------------------------------------------------
# building from plain data (YAML-shaped dicts)
# ---------------------------------------------------------------------------------------


def _s(v: Any) -> str:
    return "" if v is None else str(v)


def _opt_int(v: Any) -> int | None:
    if v is None or v == "":
        return None
    return int(v)


def build_spec(
    raw: Mapping[str, Any], *, files: tuple[Path, ...] = (), policy: str = "dev", base: str | Path | None = None
) -> Spec:
    """Build and cross-check a :class:`Spec` from YAML-shaped data.

    Parameters
    ----------
    raw : mapping with the sections ``study, parameters, datasets, codelists, methods,
        value_level, windows, endpoints`` (see ``docs/spec.md``).
    files : the files it came from (recorded on the spec, for checksums in the run log).
    base : the spec folder, against which the ``plugins`` section's module files are found
        (a spec without plugins needs none).
    policy : ``"dev"`` (problems warn, :class:`SpecWarning`) or ``"submission"`` (problems raise
        :class:`DataError` listing every one).

    Returns
    -------
    Spec
    """
    if policy not in ("dev", "submission"):
        raise ValueError(f"policy must be 'dev' or 'submission', not {policy!r}")
    structural: list[str] = []

    def need(d: Mapping, key: str, where: str) -> Any:
        if key not in d or d[key] is None:
            structural.append(f"{where}: required field {key!r} is missing")
            return None
        return d[key]

    datasets: dict[str, DatasetSpec] = {}
    for name, d in (raw.get("datasets") or {}).items():
        where = f"dataset {name}"
        variables: list[VariableSpec] = []
        for i, v in enumerate(d.get("variables") or [], start=1):
            vname = need(v, "name", f"{where} variable #{i}")
            if vname is None:
                continue
            variables.append(
                VariableSpec(
                    dataset=name,
                    name=str(vname),
                    label=_s(v.get("label")),
                    type=_s(v.get("type") or "text"),
                    length=_opt_int(v.get("length")),
                    display_format=_s(v.get("format", v.get("display_format"))),
                    origin=_s(v.get("origin") or "Derived"),
                    codelist=_s(v.get("codelist")),
                    method=_s(v.get("method")),
                    order=int(v.get("order") or i),
                    core=_s(v.get("core") or "Perm"),
                    predecessor=_s(v.get("predecessor")),
                )
            )
        variables.sort(key=lambda x: x.order)
        datasets[name] = DatasetSpec(
            name=name,
            label=_s(d.get("label")),
            structure=_s(d.get("structure")),
            keys=tuple(d.get("keys") or ()),
            class_=_s(d.get("class")),
            variables=MappingProxyType({v.name: v for v in variables}),
        )

    codelists: dict[str, Codelist] = {}
    for cid, c in (raw.get("codelists") or {}).items():
        terms = []
        for t in c.get("terms") or []:
            if isinstance(t, Mapping):
                terms.append(Term(coded=t.get("coded"), decode=_s(t.get("decode"))))
            else:
                terms.append(Term(coded=t, decode=""))
        codelists[cid] = Codelist(
            id=cid, name=_s(c.get("name") or cid), data_type=_s(c.get("data_type") or "text"), terms=tuple(terms)
        )

    methods: dict[str, Method] = {}
    for mid, m in (raw.get("methods") or {}).items():
        methods[mid] = Method(
            id=mid,
            name=_s(m.get("name") or mid),
            description=_s(need(m, "description", f"method {mid}")),
            function=_s(m.get("function")),
            args=freeze(dict(m.get("args") or {})),
        )

    value_level = []
    for i, v in enumerate(raw.get("value_level") or [], start=1):
        where = f"value_level #{i}"
        value_level.append(
            ValueLevel(
                dataset=_s(need(v, "dataset", where)),
                variable=_s(v.get("variable") or "AVAL"),
                paramcd=_s(need(v, "paramcd", where)),
                param=_s(need(v, "param", where)),
                type=_s(v.get("type") or "float"),
                origin=_s(v.get("origin") or "Derived"),
                method=_s(v.get("method")),
                codelist=_s(v.get("codelist")),
                length=_opt_int(v.get("length")),
                display_format=_s(v.get("format", v.get("display_format"))),
            )
        )

    windows = []
    for i, w in enumerate(raw.get("windows") or [], start=1):
        where = f"window #{i}"
        vals = [need(w, k, where) for k in ("avisit", "avisitn", "target", "lo", "hi")]
        if None in vals:
            continue
        windows.append(
            VisitWindow(
                avisit=str(vals[0]), avisitn=float(vals[1]), target=int(vals[2]), lo=int(vals[3]), hi=int(vals[4])
            )
        )

    endpoints = []
    for i, e in enumerate(raw.get("endpoints") or [], start=1):
        where = f"endpoint #{i} ({e.get('paramcd', '?')})"
        cases = []
        raw_cases = e.get("cases")
        if raw_cases is None and "criterion" in e:
            raw_cases = [{k: e[k] for k in ("source", "criterion", "eligible", "when") if k in e}]
        for c in raw_cases or []:
            if need(c, "source", where) is None or need(c, "criterion", where) is None:
                continue
            cases.append(
                EndpointCase(
                    source=str(c["source"]),
                    criterion=freeze(c["criterion"]),
                    eligible=freeze(list(c.get("eligible") or [])),
                    when=freeze(dict(c.get("when") or {})),
                )
            )
        comps = tuple(e.get("components") or ())
        if not cases and not comps:
            structural.append(f"{where}: needs 'criterion' (with 'source'), 'cases' or 'components'")
        vals = [need(e, k, where) for k in ("paramcd", "param", "paramn", "avisit")]
        if None in vals:
            continue
        endpoints.append(
            Endpoint(
                paramcd=str(vals[0]),
                param=str(vals[1]),
                paramn=int(vals[2]),
                avisit=str(vals[3]),
                crit1=_s(e.get("crit1") or vals[1]),
                parcat1=_s(e.get("parcat1") or "RESPONDER"),
                cases=tuple(cases),
                components=comps,
                missing=_s(e.get("missing") or "NRI"),
            )
        )

    from .plugins import load_plugins
    from .program import parse_programs

    programs, prog_problems = parse_programs(raw.get("programs"))
    structural += prog_problems
    plugins, plugin_problems = load_plugins(raw.get("plugins"), base=base)
    structural += plugin_problems
    from .input_rules import parse_inputs

    inputs, input_problems = parse_inputs(raw.get("inputs"))
    structural += input_problems

    if structural:
        raise DataError(f"spec is malformed ({len(structural)} problem(s))", structural)

    spec = Spec(
        study=freeze(dict(raw.get("study") or {})),
        parameters=freeze(dict(raw.get("parameters") or {})),
        datasets=MappingProxyType(datasets),
        codelists=MappingProxyType(codelists),
        methods=MappingProxyType(methods),
        value_level=tuple(value_level),
        windows=tuple(windows),
        endpoints=tuple(endpoints),
        files=tuple(files),
        programs=MappingProxyType(programs),
        plugins=tuple(plugins),
        inputs=inputs,
    )
    problems = check_spec(spec)
    spec = dataclasses.replace(spec, problems=tuple(problems))
    _apply_policy(problems, policy)
    return spec


def _apply_policy(problems: list[str], policy: str) -> None:
    if not problems:
        return
    if policy == "submission":
        raise DataError(f"spec check failed with {len(problems)} problem(s) (policy=submission)", problems)
    warnings.warn(
        f"spec check found {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems),
        SpecWarning,
        stacklevel=3,
    )


SPEC_PATTERN = "adam*.y*ml"


def spec_files(folder: str | Path, pattern: str = SPEC_PATTERN) -> list[Path]:
    """The ADaM spec files of a spec folder (``adam*.yaml`` by default), sorted by name.

    The spec folder is shared with other steps (``tlf.yaml`` ...), so only files matching
    ``pattern`` belong to the ADaM spec.
    """
    folder = Path(folder)
    return sorted(folder.glob(pattern))


def load_spec(folder: str | Path, *, policy: str = "dev", pattern: str = SPEC_PATTERN) -> Spec:
    """Read the ADaM YAML files of ``folder`` (``adam*.yaml``) into one cross-checked :class:`Spec`.

    Each file holds one or more top-level sections (``study``, ``parameters``, ``datasets``,
    ``codelists``, ``methods``, ``value_level``, ``windows``, ``endpoints``); mapping sections
    may be split across files, list sections are concatenated in file-name order. A name
    defined twice is a problem.

    Parameters
    ----------
    folder : the spec folder (``specs/`` of the reference study by default in the CLI).
    policy : ``"dev"`` warns about problems, ``"submission"`` raises :class:`DataError`.
    pattern : which files of the folder belong to the ADaM spec.

    Examples
    --------
    >>> from adamforge.context import default_spec_dir
    >>> spec = load_spec(default_spec_dir())
    >>> spec.datasets["ADSL"].variables["EFFFL"].label
    'Efficacy Population Flag'

    ``folder`` may also be a Pinnacle 21-style ``.xlsx`` workbook file: it is read by
    :func:`adamforge.adam.excel.read_spec_xlsx` into the same checked model.
    """
    folder = Path(folder)
    if folder.suffix.lower() == ".xlsx":
        if not folder.is_file():
            raise DataError(f"spec workbook {str(folder)!r} does not exist")
        from .excel import read_spec_xlsx

        return read_spec_xlsx(folder, policy=policy)
    files = spec_files(folder, pattern)
    if not folder.is_dir() or not files:
        raise DataError(f"spec folder {str(folder)!r} has no ADaM spec files ({pattern})")
    merged: dict[str, Any] = {}
    problems: list[str] = []
    for f in files:
        try:
            from adamforge.yamlsafe import load_yaml  # bounded, safe: see adamforge.yamlsafe

            data = load_yaml(f) or {}
        except yaml.YAMLError as exc:
            problems.append(f"{f.name}: not valid YAML: {exc}")
            continue
        if not isinstance(data, Mapping):
            problems.append(f"{f.name}: top level must be a mapping of sections")
            continue
        for key, value in data.items():
            if key not in SECTIONS:
                problems.append(f"{f.name}: unknown section {key!r} (expected one of {', '.join(SECTIONS)})")
                continue
            if isinstance(value, Mapping):
                target = merged.setdefault(key, {})
                for k, v in value.items():
                    if k in target:
                        problems.append(f"{f.name}: {key} entry {k!r} defined twice")
                    if key == "programs" and isinstance(v, Mapping):
                        v = {**v, "__file__": f.name}  # messages name the file a program came from
                    target[k] = v
            elif isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            else:
                problems.append(f"{f.name}: section {key!r} must be a mapping or a list")
    if problems:
        raise DataError(f"spec folder {str(folder)!r} could not be read", problems)
    return build_spec(merged, files=tuple(files), policy=policy, base=folder)


# ---------------------------------------------------------------------------------------
# cross-check
# ---------------------------------------------------------------------------------------


def check_spec(spec: Spec) -> list[str]:
    """Every problem of a spec, as one line each (empty list: clean).

    Checks: referenced-but-missing and defined-but-unused methods and codelists; key variables
    not in their dataset; dataset/variable/PARAMCD names over 8 characters or not upper-case
    SAS names; labels over 40 characters; unknown types, origins, cores; registry functions
    that do not exist or whose spec arguments do not match the function signature; endpoint
    criteria not in the criteria registry or with bad arguments; endpoint sources, components
    and visits that are not defined; ``@parameter`` references that are not defined.
    """
    from .input_rules import check_inputs
    from .program import check_programs

    return [
        *_check_datasets(spec),
        *_check_value_level(spec),
        *_check_codelists(spec),
        *_check_methods(spec),
        *_check_windows(spec),
        *_check_endpoints(spec),
        *check_programs(spec),
        *check_inputs(spec),
    ]


def _sas_name(name: str) -> bool:
    return len(name) <= 8 and bool(_NAME_RE.match(name))


def _one_of(where: str, what: str, value: str, allowed: tuple[str, ...]) -> list[str]:
    return [] if value in allowed else [f"{where}: {what} {value!r} is not one of {', '.join(allowed)}"]


def _defined(where: str, what: str, ref: str, table: Mapping) -> list[str]:
    return [f"{where}: {what} {ref} is referenced but not defined"] if ref and ref not in table else []


def _name_and_label(where: str, name: str, label: str) -> list[str]:
    """A dataset's or variable's name is a SAS name; its label is given and fits in 40 characters."""
    p = [] if _sas_name(name) else [f"{where}: name must be an upper-case SAS name of at most 8 characters"]
    if len(label) > 40:
        p.append(f"{where}: label longer than 40 characters ({len(label)}): {label!r}")
    if not label:
        p.append(f"{where}: label is empty")
    return p


def _check_datasets(spec: Spec) -> list[str]:
    """The datasets table: names, labels, keys; each variable's attributes and references."""
    p: list[str] = []
    for ds in spec.datasets.values():
        p += _name_and_label(f"dataset {ds.name}", ds.name, ds.label)
        p += [
            f"dataset {ds.name}: key variable {k} is not a variable of the dataset"
            for k in ds.keys
            if k not in ds.variables
        ]
        for v in ds.variables.values():
            p += _check_variable(spec, ds.name, v)
    return p


def _check_variable(spec: Spec, dataset: str, v: VariableSpec) -> list[str]:
    """One variable: SAS name, label, type, origin, core, length; its method and codelist defined."""
    where = f"{dataset}.{v.name}"
    p = _name_and_label(where, v.name, v.label)
    p += _one_of(where, "type", v.type, VARIABLE_TYPES)
    p += _one_of(where, "origin", v.origin, ORIGINS)
    p += _one_of(where, "core", v.core, CORES)
    if v.type == "text" and v.length is not None and not (1 <= v.length <= 200):
        p.append(f"{where}: text length {v.length} outside 1-200")
    p += _defined(where, "method", v.method, spec.methods)
    if v.origin == "Derived" and not v.method:
        p.append(f"{where}: origin Derived but no method")
    p += _defined(where, "codelist", v.codelist, spec.codelists)
    return p


def _check_value_level(spec: Spec) -> list[str]:
    """The value-level table: each entry's dataset and variable, PARAMCD, attributes and references."""
    p: list[str] = []
    for vl in spec.value_level:
        where = f"value level {vl.dataset}.{vl.variable} [{vl.where}]"
        if vl.dataset not in spec.datasets:
            p.append(f"{where}: dataset {vl.dataset} is not defined")
        elif vl.variable not in spec.datasets[vl.dataset].variables:
            p.append(f"{where}: variable {vl.variable} is not a variable of {vl.dataset}")
        if not _sas_name(vl.paramcd):
            p.append(f"{where}: PARAMCD must be an upper-case SAS name of at most 8 characters")
        p += _one_of(where, "type", vl.type, VARIABLE_TYPES)
        p += _one_of(where, "origin", vl.origin, ORIGINS)
        p += _defined(where, "method", vl.method, spec.methods)
        p += _defined(where, "codelist", vl.codelist, spec.codelists)
    return p


def _variables_and_value_level(spec: Spec) -> list:
    """Every variable and value-level entry: what references methods and codelists."""
    return [v for ds in spec.datasets.values() for v in ds.variables.values()] + list(spec.value_level)


def _check_codelists(spec: Spec) -> list[str]:
    """The codelists table: data type, terms, duplicate coded values, use."""
    used = {x.codelist for x in _variables_and_value_level(spec) if x.codelist}
    p: list[str] = []
    for cl in spec.codelists.values():
        if cl.data_type not in ("text", "integer", "float"):
            p.append(f"codelist {cl.id}: data_type {cl.data_type!r} is not text, integer or float")
        if not cl.terms:
            p.append(f"codelist {cl.id}: has no terms")
        seen = [t.coded for t in cl.terms]
        if len(set(map(str, seen))) != len(seen):
            p.append(f"codelist {cl.id}: a coded value appears twice")
        if cl.id not in used:
            p.append(f"codelist {cl.id}: defined but not used by any variable or value-level entry")
    return p


def _check_methods(spec: Spec) -> list[str]:
    """The methods table: use, description, ``@parameter`` references, registry function and arguments."""
    run_by_steps = {st.method for prog in spec.programs.values() for st in prog.steps if st.method}
    used = {x.method for x in _variables_and_value_level(spec) if x.method} | run_by_steps
    p: list[str] = []
    for m in spec.methods.values():
        if m.id not in used:
            p.append(f"method {m.id}: defined but not used by any variable or value-level entry")
        if not m.description.strip():
            p.append(f"method {m.id}: description (define.xml text) is empty")
        for k, v in m.args.items():
            if isinstance(v, str) and v.startswith("@") and v[1:] not in spec.parameters:
                p.append(f"method {m.id}: argument {k} refers to parameter {v[1:]!r}, which is not defined")
        if m.function and spec.programs and m.id not in run_by_steps:
            p.append(f"method {m.id}: names function {m.function!r}, but no program step runs the method")
        if m.function and m.id not in run_by_steps:  # a step's method is checked with its step
            p += _check_method_function(spec, m)
    return p


def _check_method_function(spec: Spec, m: Method) -> list[str]:
    """A method's registry function exists, loads, and accepts the method's arguments."""
    from . import registry  # late import: the registry imports the derivation modules

    try:
        fn = registry.get(m.function, plugins=spec.plugins)
    except KeyError:
        return [f"method {m.id}: function {m.function!r} is not in the derivation registry"]
    except (ImportError, AttributeError) as exc:  # a registry entry that does not import
        return [f"method {m.id}: function {m.function!r} cannot be loaded: {exc}"]
    return [f"method {m.id}: {msg}" for msg in registry.check_arguments(fn, dict(m.args))]


def _check_windows(spec: Spec) -> list[str]:
    """The visit windows: unique, target inside, no day 0, no overlap."""
    p: list[str] = []
    seen: set[str] = set()
    for w in spec.windows:
        if w.avisit in seen:
            p.append(f"window {w.avisit}: defined twice")
        seen.add(w.avisit)
        if not (w.lo <= w.target <= w.hi):
            p.append(f"window {w.avisit}: target day {w.target} outside [{w.lo}, {w.hi}]")
        if 0 in (w.lo, w.target, w.hi):
            p.append(f"window {w.avisit}: there is no study day 0")
    ws = sorted(spec.windows, key=lambda w: w.lo)
    p += [f"windows {a.avisit} and {b.avisit} overlap" for a, b in zip(ws, ws[1:]) if b.lo <= a.hi]
    return p


def _check_endpoints(spec: Spec) -> list[str]:
    """The endpoints: unique SAS PARAMCDs, visits with windows, sources, components and criteria."""
    from . import registry  # late import: the registry imports the derivation modules

    avisits = {w.avisit for w in spec.windows} | {"Baseline"}
    observed = {vl.paramcd for vl in spec.value_level}
    ep_codes = [e.paramcd for e in spec.endpoints]
    p: list[str] = []
    for e in spec.endpoints:
        where = f"endpoint {e.paramcd}"
        if ep_codes.count(e.paramcd) > 1:
            p.append(f"{where}: defined twice")
        if not _sas_name(e.paramcd):
            p.append(f"{where}: PARAMCD must be an upper-case SAS name of at most 8 characters")
        if e.avisit not in avisits:
            p.append(f"{where}: visit {e.avisit!r} has no window")
        if e.missing not in ("NRI", "missing"):
            p.append(f"{where}: missing must be 'NRI' or 'missing', not {e.missing!r}")
        if e.paramcd not in observed:
            p.append(f"{where}: no value-level entry for PARAMCD {e.paramcd}")
        for comp in e.components:
            if comp not in ep_codes:
                p.append(f"{where}: component {comp} is not a defined endpoint")
            elif ep_codes.index(comp) > ep_codes.index(e.paramcd):
                p.append(f"{where}: component {comp} must be defined before the composite")
        for c in e.cases:
            if c.source not in observed:
                p.append(f"{where}: source parameter {c.source} has no value-level entry")
            p += [f"{where}: {msg}" for msg in registry.check_criterion(c.criterion)]
            for el in c.eligible:
                p += [f"{where}: eligibility {msg}" for msg in registry.check_criterion(el)]
    return p
