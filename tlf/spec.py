"""The TLF spec (``specs/tlf.yaml``): outputs, populations, arms, model, layout.

Loaded into frozen dataclasses and checked as a whole: every problem is reported at once
(unknown output kind or row statistic, a population or arm that is not defined, a title too long
for the page, characters that cannot be written into a Word document).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import yaml

from adamforge.errors import DataError
from adamforge.yamlsafe import load_yaml

__all__ = [
    "TlfSpec",
    "Output",
    "Column",
    "Row",
    "Endpoint",
    "Population",
    "ListingValue",
    "Layer",
    "LayerRow",
    "load_tlf_spec",
    "parse_tlf_spec",
    "ROW_STATS",
    "OUTPUT_KINDS",
    "format_tokens",
]

from .registry import BASELINE_ROWS, LAYER_TYPES, METHODS, STATISTICS, check_method_args
from .registry import OUTPUT_KINDS as _KINDS

OUTPUT_KINDS = tuple(_KINDS)
ROW_STATS = tuple(BASELINE_ROWS)
#: a format token: ``{stat}``, ``{stat:1}`` (1 decimal), ``{stat:+1}`` (data precision + 1), ``{stat:p}``
_TOKEN = re.compile(r"\{(\w+)(?::([^{}]*))?\}")
_TOKEN_SPEC = re.compile(r"^(|\d|[+]\d|p\d?|d)$")
COUNT_STATS = ("n", "N", "pct")
DENOMINATORS = ("evaluable", "all")
# Characters XML 1.0 (hence Word) cannot hold: a clear error, not a corrupt document.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclasses.dataclass(frozen=True)
class Population:
    id: str
    label: str
    where: dict[str, Any]
    #: the dataset whose records the population selects; "" = the subject-level dataset with
    #: equality filters (the reference study's populations). With a dataset, ``where`` is a filter
    #: of :mod:`adamforge.adam.filters`.
    dataset: str = ""


def format_tokens(text: str) -> list[tuple[str, str]]:
    """The ``(statistic, spec)`` tokens of a format text such as ``"{mean:+1} ({sd:+2})"``."""
    return [(m.group(1), m.group(2) or "") for m in _TOKEN.finditer(text)]


@dataclasses.dataclass(frozen=True)
class LayerRow:
    """A row of a ``desc`` or ``model`` layer: its label and format (``{stat:spec}`` tokens); model
    rows may name the ``comparisons`` they show (default: the layer's)."""

    label: str
    format: str
    comparisons: tuple[tuple[Any, Any], ...] | None = None
    column: Any = None  # where an overall statistic is shown (an arm value; default the last arm)


@dataclasses.dataclass(frozen=True)
class Layer:
    """A layer of a ``table`` output (Tplyr's ``group_count`` / ``group_desc``, a model).

    ``type``: ``counts`` (``var`` or nested ``vars``, ``levels`` order or ``sort``), ``desc``
    (``var``, ``rows``), ``model`` (``method`` with ``args``, ``comparisons``, ``rows``).
    ``problem`` is set when the spec entry cannot be computed (an unregistered statistic or
    method): the output then shows a note and the log an error, and the other layers are computed.
    """

    id: str
    type: str
    label: str = ""
    vars: tuple[str, ...] = ()
    levels: tuple[Any, ...] = ()
    sort: str = "levels"  # counts: levels (as given, else sorted values) | frequency | alpha
    format: str = "{n} ({pct:1})"
    rows: tuple[LayerRow, ...] = ()
    method: str = ""
    args: tuple[tuple[str, Any], ...] = ()
    comparisons: tuple[tuple[Any, Any], ...] = ()
    precision: int | None = None  # desc: decimals of the data (default: from the data, at most 3)
    any_label: str = ""  # counts: a first row counting subjects with any record
    distinct: str = "USUBJID"  # counts: what is counted (distinct values of this variable)
    population: str = ""  # overrides the table's population (same dataset or another)
    indent: int = 0
    problem: str = ""

    @property
    def var(self) -> str:
        return self.vars[0] if self.vars else ""

    @property
    def arg_dict(self) -> dict:
        return dict(self.args)


@dataclasses.dataclass(frozen=True)
class Column:
    id: str
    label: str
    population: str
    arm: Any = None  # None: all arms together


@dataclasses.dataclass(frozen=True)
class Row:
    id: str
    label: str
    stat: str
    var: str = ""
    level: Any = None
    threshold: float | None = None
    digits: int = 1
    range_digits: int = 1
    indent: int = 0


@dataclasses.dataclass(frozen=True)
class Endpoint:
    paramcd: str
    label: str
    denominator: str = "evaluable"
    population: str = ""  # overrides the output's population


@dataclasses.dataclass(frozen=True)
class ListingValue:
    """A value column of a listing: a subject-level variable (``var``) or the analysis value of a
    parameter at the analysis visit (``paramcd``)."""

    label: str
    var: str = ""
    paramcd: str = ""

    @property
    def column(self) -> str:
        """Column name in the listing frame: the variable, or ``<PARAMCD>@VISIT``."""
        return self.var or f"{self.paramcd}@VISIT"


@dataclasses.dataclass(frozen=True)
class Output:
    id: str
    kind: str
    title: str
    subtitles: tuple[str, ...] = ()
    footnotes: tuple[str, ...] = ()
    population: str = ""
    columns: tuple[Column, ...] = ()
    rows: tuple[Row, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    widths: tuple[float, ...] = ()
    source: str = ""  # figures: the response table whose results they draw
    paramcd: str = ""  # figures: the endpoint
    values: tuple[ListingValue, ...] = ()  # listings: value columns before the endpoints
    # ``table`` and ``km_plot`` outputs
    layers: tuple[Layer, ...] = ()
    group_var: str = ""  # the arm variable of the output's dataset (default: arms.variable)
    total: str = ""  # label of a total column ("" = none)
    big_n: str = ""  # population of the column headers' N (default: the output's)
    big_n_var: str = ""  # its arm variable (default: arms.variable)
    time: str = "AVAL"  # km_plot: time and censoring (1 = censored, CDISC ADTTE) variables
    censor: str = "CNSR"
    risk_times: tuple[float, ...] = ()
    xlabel: str = ""
    ylabel: str = ""
    ci_level: float | None = None

    @property
    def file_stem(self) -> str:
        """File name of the output: ``"Table 1"`` -> ``"table_1"``."""
        return re.sub(r"[^a-z0-9]+", "_", self.id.lower()).strip("_")


@dataclasses.dataclass(frozen=True)
class TlfSpec:
    study: str
    program: str
    data_cut: str
    arm_var: str
    arms: tuple[tuple[Any, str], ...]  # (value, label); the first is the reference
    covariates: tuple[str, ...]
    ci_level: float
    cmh_strata: str
    significance: tuple[tuple[float, str], ...]
    populations: dict[str, Population]
    outputs: tuple[Output, ...]
    font_size: float = 9
    max_title_chars: int = 150
    max_footnote_chars: int = 400
    #: ``datasets.subject`` / ``datasets.analysis``: the subject-level dataset (populations, arms,
    #: baseline rows) and the dataset of the endpoints' records; "" = the ADaM spec decides
    #: (the dataset of class ADSL; the one BDS dataset)
    subject_dataset: str = ""
    analysis_dataset: str = ""
    #: ``analysis_visit``: the AVISIT of the endpoint records (required by response outputs,
    #: listings and figures)
    visit: str = ""

    @property
    def reference(self):
        """The reference arm's value (vehicle)."""
        return self.arms[0][0]

    def arm_label(self, value) -> str:
        return dict(self.arms)[value]

    def output(self, output_id: str) -> Output:
        for o in self.outputs:
            if o.id == output_id:
                return o
        raise KeyError(output_id)


def load_tlf_spec(path: str | Path) -> TlfSpec:
    """Read and check a TLF spec YAML file (or the ``tlf.yaml`` of a spec folder).

    Raises
    ------
    DataError listing every problem found.
    """
    p = Path(path)
    if p.is_dir():
        p = p / "tlf.yaml"
    if not p.is_file():
        raise DataError(f"TLF spec {str(p)!r} not found")
    try:
        raw = load_yaml(p)
    except yaml.YAMLError as exc:
        raise DataError(f"TLF spec {p.name}: not valid YAML: {exc}") from None
    return parse_tlf_spec(raw, source=p.name)


def _tuple(x) -> tuple:
    if x is None:
        return ()
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


def parse_tlf_spec(raw: dict, *, source: str = "tlf.yaml") -> TlfSpec:
    """Build a :class:`TlfSpec` from the parsed YAML mapping, checking it as a whole."""
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise DataError(f"TLF spec {source}: expected a mapping at the top level")
    arms_raw = raw.get("arms") or {}
    arms = tuple((lv["value"], str(lv["label"])) for lv in arms_raw.get("levels", []))
    if len(arms) < 2:
        problems.append("arms: at least two levels are needed (the first is the reference)")
    model = raw.get("model") or {}
    layout = raw.get("layout") or {}
    pops = {}
    for pid, pr in (raw.get("populations") or {}).items():
        pops[pid] = Population(
            pid, str(pr.get("label", pid)), dict(pr.get("where") or {}), str(pr.get("dataset") or "").upper()
        )
        if pops[pid].dataset:
            from adamforge.adam import filters

            problems += [f"population {pid}: {m}" for m in filters.check(pops[pid].where)]
    arm_values = {a for a, _ in arms}
    outputs = []
    seen = set()
    for i, o in enumerate(raw.get("outputs") or []):
        oid = str(o.get("id", f"#{i + 1}"))
        where = f"output {oid!r}"
        if oid in seen:
            problems.append(f"{where}: duplicate output id")
        seen.add(oid)
        kind = o.get("kind")
        if kind not in OUTPUT_KINDS:
            problems.append(f"{where}: kind {kind!r} is not one of {', '.join(OUTPUT_KINDS)}")
        cols = tuple(
            Column(str(c["id"]), str(c["label"]), str(c.get("population", o.get("population", ""))), c.get("arm"))
            for c in (o.get("columns") if isinstance(o.get("columns"), list) else [])
        )
        rows = []
        for r in o.get("rows") or []:
            rows.append(
                Row(
                    str(r["id"]),
                    str(r["label"]),
                    str(r.get("stat", "")),
                    str(r.get("var", "")),
                    r.get("level"),
                    r.get("threshold"),
                    int(r.get("digits", 1)),
                    int(r.get("range_digits", 1)),
                    int(r.get("indent", 0)),
                )
            )
            if rows[-1].stat not in ROW_STATS:
                problems.append(f"{where} row {r['id']!r}: stat {rows[-1].stat!r} is not one of {', '.join(ROW_STATS)}")
            elif BASELINE_ROWS[rows[-1].stat].needs_var and not rows[-1].var:
                problems.append(f"{where} row {r['id']!r}: stat {rows[-1].stat} needs var")
        eps = []
        for e in o.get("endpoints") or o.get("components") or []:
            eps.append(
                Endpoint(
                    str(e["paramcd"]),
                    str(e.get("label", e["paramcd"])),
                    str(e.get("denominator", "evaluable")),
                    str(e.get("population", "")),
                )
            )
            if eps[-1].denominator not in DENOMINATORS:
                problems.append(
                    f"{where} endpoint {e['paramcd']}: denominator {eps[-1].denominator!r} is not one of {DENOMINATORS}"
                )
            if eps[-1].population and eps[-1].population not in pops:
                problems.append(f"{where} endpoint {e['paramcd']}: population {eps[-1].population!r} is not defined")
        out = Output(
            oid,
            str(kind),
            str(o.get("title", "")),
            tuple(map(str, _tuple(o.get("subtitles")))),
            tuple(map(str, _tuple(o.get("footnotes")))),
            str(o.get("population", "")),
            cols,
            tuple(rows),
            tuple(eps),
            tuple(float(w) for w in _tuple(o.get("widths"))),
            str(o.get("source", "")),
            str(o.get("paramcd", "")),
            tuple(
                ListingValue(
                    str(v.get("label", v.get("var") or v.get("paramcd") or "")),
                    str(v.get("var") or ""),
                    str(v.get("paramcd") or ""),
                )
                for v in o.get("values") or []
            ),
        )
        if kind in ("table", "km_plot"):
            out, more = _parse_layered(o, out, where, pops, arm_values)
            problems += more
        for v in out.values:
            if bool(v.var) == bool(v.paramcd):
                problems.append(f"{where} value {v.label!r}: give exactly one of var and paramcd")
        if kind in ("baseline", "response", "listing", "table", "km_plot") and out.population not in pops:
            problems.append(f"{where}: population {out.population!r} is not defined under populations")
        for c in cols:
            if c.population not in pops:
                problems.append(f"{where} column {c.id!r}: population {c.population!r} is not defined")
            if c.arm is not None and c.arm not in arm_values:
                problems.append(f"{where} column {c.id!r}: arm {c.arm!r} is not one of the arms {sorted(arm_values)}")
        if kind == "baseline" and not cols:
            problems.append(f"{where}: a baseline table needs columns")
        outputs.append(out)
    for out in outputs:
        if out.kind == "figure":
            src = next((x for x in outputs if x.id == out.source), None)
            if src is None or src.kind != "response":
                problems.append(f"output {out.id!r}: source {out.source!r} is not a response table of this spec")
            elif out.paramcd not in {e.paramcd for e in src.endpoints}:
                problems.append(f"output {out.id!r}: endpoint {out.paramcd!r} is not in {out.source!r}")
    dsets = raw.get("datasets") or {}
    if not isinstance(dsets, dict) or set(dsets) - {"subject", "analysis"}:
        problems.append("datasets: a mapping with the keys subject and analysis (dataset names)")
        dsets = {}
    spec = TlfSpec(
        study=str(raw.get("study", "")),
        program=str(raw.get("program", "adamforge tlf")),
        data_cut=str(raw.get("data_cut", "")),
        arm_var=str(arms_raw.get("variable", "TRT01PN")),
        arms=arms,
        covariates=tuple(model.get("covariates") or ()),
        ci_level=float(model.get("ci_level", 0.95)),
        cmh_strata=str(model.get("cmh_strata", "STUDYID")),
        significance=tuple(
            (float(t), str(m))
            for t, m in (model.get("significance") or [[0.0001, "****"], [0.001, "***"], [0.01, "**"], [0.05, "*"]])
        ),
        populations=pops,
        outputs=tuple(outputs),
        font_size=float(layout.get("font_size", 9)),
        max_title_chars=int(layout.get("max_title_chars", 150)),
        max_footnote_chars=int(layout.get("max_footnote_chars", 400)),
        subject_dataset=str(dsets.get("subject") or "").upper(),
        analysis_dataset=str(dsets.get("analysis") or "").upper(),
        visit=str(raw.get("analysis_visit") or ""),
    )
    for out in outputs:
        if out.kind in ("response", "listing", "figure") and not spec.visit:
            problems.append(
                f"{source}: output {out.id!r} ({out.kind}) reads the endpoints' records at the analysis visit: "
                f"give analysis_visit (the AVISIT of those records)"
            )
            break
    problems.extend(check_texts(spec))
    if problems:
        raise DataError(f"TLF spec {source}: {len(problems)} problem(s)", problems)
    return spec


def check_texts(spec: TlfSpec) -> list[str]:
    """Problems with the texts that go into the documents (length, characters Word cannot hold)."""
    problems = []
    for o in spec.outputs:
        if not o.title.strip():
            problems.append(f"output {o.id!r}: title is empty")
        full = f"{o.id}: {o.title}"
        if len(full) > spec.max_title_chars:
            problems.append(
                f"output {o.id!r}: title is {len(full)} characters with its id, longer than the "
                f"{spec.max_title_chars} that fit on one landscape line (layout.max_title_chars); shorten it"
            )
        texts = [("title", o.title)] + [("subtitle", s) for s in o.subtitles] + [("footnote", f) for f in o.footnotes]
        texts += [("column label", c.label) for c in o.columns] + [("row label", r.label) for r in o.rows]
        texts += [("endpoint label", e.label) for e in o.endpoints] + [("value label", v.label) for v in o.values]
        texts += [("layer label", x.label) for x in o.layers] + [
            ("row label", r.label) for x in o.layers for r in x.rows
        ]
        for what, t in texts:
            m = _XML_ILLEGAL.search(t)
            if m:
                problems.append(
                    f"output {o.id!r}: {what} {t[:40]!r} contains the control character "
                    f"U+{ord(m.group()):04X}, which a Word document cannot hold"
                )
        for f in o.footnotes:
            if len(f) > spec.max_footnote_chars:
                problems.append(
                    f"output {o.id!r}: footnote {f[:40]!r}... is {len(f)} characters, over "
                    f"layout.max_footnote_chars = {spec.max_footnote_chars}"
                )
    for t in (spec.study, spec.program, spec.data_cut):
        m = _XML_ILLEGAL.search(t)
        if m:
            problems.append(
                f"study/program/data_cut text {t[:40]!r} contains the control character U+{ord(m.group()):04X}"
            )
    return problems


def _pairs(raw) -> tuple[tuple[Any, Any], ...]:
    return tuple((p[0], p[1]) for p in (raw or []) if isinstance(p, (list, tuple)) and len(p) == 2)


def _layer_problem(lay: Layer, arm_values: set) -> str:
    """Why a layer cannot be computed (unregistered statistic or method, bad arguments), or ""."""
    probs = []
    if lay.type not in LAYER_TYPES:
        return f"layer type {lay.type!r} is not one of {', '.join(LAYER_TYPES)}"
    if not lay.vars and lay.type in ("counts", "desc"):
        probs.append("needs var")
    formats = [lay.format] if lay.type == "counts" else [r.format for r in lay.rows]
    if lay.type != "counts" and not lay.rows:
        probs.append("needs rows (label and format)")
    allowed = (
        set(COUNT_STATS)
        if lay.type == "counts"
        else set(STATISTICS)
        if lay.type == "desc"
        else set(METHODS[lay.method].stats)
        if lay.method in METHODS
        else None
    )
    if lay.type == "model":
        probs += check_method_args(lay.method, lay.arg_dict)
    for f in formats:
        toks = format_tokens(f)
        if not toks:
            probs.append(f"format {f!r} names no statistic")
        for name, spec in toks:
            if allowed is not None and name not in allowed:
                what = (
                    "descriptive statistics"
                    if lay.type == "desc"
                    else f"statistics of method {lay.method}"
                    if lay.type == "model"
                    else "count statistics"
                )
                probs.append(f"statistic {name!r} is not registered ({what}: {', '.join(sorted(allowed))})")
            if not _TOKEN_SPEC.match(spec):
                probs.append(
                    f"format {{{name}:{spec}}}: the spec after ':' is N (decimals), +N (data precision + N), "
                    "p or pN (p-value), d (integer)"
                )
    for a, b in lay.comparisons + tuple(c for r in lay.rows for c in (r.comparisons or ())):
        for v in (a, b):
            if v not in arm_values:
                probs.append(f"comparison arm {v!r} is not one of the arms {sorted(arm_values, key=str)}")
    return "; ".join(dict.fromkeys(probs))


def _parse_layered(o: dict, out: Output, where: str, pops: dict, arm_values: set) -> tuple[Output, list[str]]:
    """The ``table`` / ``km_plot`` fields of an output; spec problems (the output cannot be made at
    all) are returned, layer problems are kept on the layer (a note in the output)."""
    problems = []
    cols = o.get("columns") or {}
    if not isinstance(cols, dict):
        problems.append(f"{where}: columns of a {out.kind} is a mapping {{variable: ..., total: ...}}")
        cols = {}
    layers = []
    for i, lr in enumerate(o.get("layers") or []):
        if not isinstance(lr, dict):
            problems.append(f"{where} layer #{i + 1}: a mapping is expected")
            continue
        lid = str(lr.get("id") or f"L{i + 1}")
        var = lr.get("vars") or lr.get("var") or ()
        rows = tuple(
            LayerRow(
                str(r.get("label", "")),
                str(r.get("format", "")),
                _pairs(r.get("comparisons")) if r.get("comparisons") is not None else None,
                r.get("column"),
            )
            for r in (lr.get("rows") or [])
            if isinstance(r, dict)
        )
        args = lr.get("args") or {}
        lay = Layer(
            lid,
            str(lr.get("type", "")),
            str(lr.get("label", "")),
            tuple(map(str, _tuple(var))),
            tuple(_tuple(lr.get("levels"))),
            str(lr.get("sort", "levels")),
            str(lr.get("format", "{n} ({pct:1})")),
            rows,
            str(lr.get("method", "")),
            tuple(sorted(args.items())) if isinstance(args, dict) else (),
            _pairs(lr.get("comparisons")),
            None if lr.get("precision") is None else int(lr["precision"]),
            str(lr.get("any_label", "")),
            str(lr.get("distinct", "USUBJID")),
            str(lr.get("population", "")),
            int(lr.get("indent", 0)),
        )
        if lay.sort not in ("levels", "frequency", "alpha"):
            problems.append(f"{where} layer {lid}: sort {lay.sort!r} is not one of levels, frequency, alpha")
        if lay.population and lay.population not in pops:
            problems.append(f"{where} layer {lid}: population {lay.population!r} is not defined")
        lay = dataclasses.replace(lay, problem=_layer_problem(lay, arm_values))
        layers.append(lay)
    if out.kind == "table" and not layers:
        problems.append(f"{where}: a table needs layers")
    big_n = o.get("big_n") or {}
    if isinstance(big_n, str):
        big_n = {"population": big_n}
    if big_n.get("population") and big_n["population"] not in pops:
        problems.append(f"{where}: big_n population {big_n['population']!r} is not defined")
    out = dataclasses.replace(
        out,
        columns=(),
        layers=tuple(layers),
        group_var=str(cols.get("variable") or ""),
        total=str(cols.get("total") or ""),
        big_n=str(big_n.get("population") or ""),
        big_n_var=str(big_n.get("variable") or ""),
        time=str(o.get("time", "AVAL")),
        censor=str(o.get("censor", "CNSR")),
        risk_times=tuple(float(t) for t in _tuple(o.get("risk_times"))),
        xlabel=str(o.get("xlabel", "")),
        ylabel=str(o.get("ylabel", "")),
        ci_level=None if o.get("ci_level") is None else float(o["ci_level"]),
    )
    return out, problems
