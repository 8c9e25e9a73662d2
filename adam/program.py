"""Dataset programs declared in the spec, and the engine that runs them.

A study's spec folder holds, beside its metadata, one *program* per dataset: the ordered steps
that build it, the way an admiral template or a SAS program reads top to bottom. The engine
knows no study: it reads the programs, orders the datasets by what they read, runs the steps
(each a registered derivation named by the spec, or one of a few data-step verbs), and hands the
output datasets to the class's finishing (:mod:`adamforge.adam.finalize`).

The YAML (``adam_programs.yaml``)::

    programs:
      ADSL:
        class: ADSL                       # ADSL, BDS, OCCDS, TTE (decides the finishing)
        population:                       # the starting records
          from: DM                        # an SDTM domain or another program's dataset
          where: {not: {ARMCD: {in_ci: [SCRNFAIL, NOTASSGN]}}}
          keep: predecessors              # the spec's predecessors DM.x (default), `all`, or a list
        steps:
          - method: MT.AGEGR1             # the method's registered function and arguments
          - derive: derive_vars_merged    # or a function named here, with its arguments
            method: MT.RANDDT             # (the method is then the define.xml text it carries out)
            inputs: [{from: DS, where: {DSDECOD: RANDOMIZED}, keep: [USUBJID, DSSTDTC]}]
            args: {by_vars: [USUBJID], new_vars: {RANDDTC: DSSTDTC}, mode: first}
          - filter: {SAFFL: Y}            # keep the records meeting a filter
          - drop: [RANDDTC]               # drop / keep / rename variables
          - predecessors: {from: ADSL, by: [USUBJID]}   # merge the spec's predecessors ADSL.x
      ADEFFOBS:                           # a work dataset (not in the spec's datasets): output false
        class: BDS
        output: false
        ...

A step's function is called ``fn(dataset, *inputs, **args)``: the dataset being built first,
then one frame per ``inputs`` entry, then the keyword arguments (the method's ``args`` updated by
the step's ``args``). With ``result: append`` the function is called on the inputs alone,
``fn(*inputs, **args)``, and the records it returns are appended (a derived parameter, records
from another domain). An input's ``from`` may list several names: their records are stacked, as
``SET A B;`` does.

Argument references: ``"@name"`` is the study parameter ``name``; ``"@windows"`` and
``"@endpoints"`` are the spec's visit windows and endpoint definitions;
``"@value_level:DATASET:param"`` maps each PARAMCD of DATASET's value-level metadata to its
PARAM. Nothing in a program is evaluated as code.
"""

from __future__ import annotations

import dataclasses
import graphlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from adamforge.errors import DataError

from . import filters
from ._frozen import freeze, thaw

__all__ = [
    "CLASSES",
    "VERBS",
    "InputSpec",
    "Step",
    "Program",
    "parse_programs",
    "check_programs",
    "program_order",
    "required_inputs",
    "run_programs",
    "resolve_reference",
]

#: ADaM classes a program may declare (the finishing of each is in :mod:`adamforge.adam.finalize`)
CLASSES = ("ADSL", "BDS", "OCCDS", "TTE", "OTHER")
#: data-step verbs: steps that need no registered function
VERBS = ("filter", "keep", "drop", "rename", "predecessors")
_STEP_KEYS = {"id", "method", "derive", "args", "inputs", "result", *VERBS}
_PROGRAM_KEYS = {"class", "output", "population", "steps", "label", "__file__"}
_INPUT_KEYS = {"from", "where", "keep"}
_SPECIAL_REFS = ("windows", "endpoints")


@dataclasses.dataclass(frozen=True)
class InputSpec:
    """Records read by a program: ``sources`` (stacked in order), a ``where`` filter, ``keep``.

    ``keep`` is a tuple of variable names, ``"all"``, or (for a population) ``"predecessors"``.
    """

    sources: tuple[str, ...]
    where: Any = None
    keep: Any = None

    def describe(self) -> str:
        """``DS WHERE DSDECOD = 'RANDOMIZED'`` (for the log)."""
        w = "" if not self.where else f" WHERE {filters.describe(self.where)}"
        return " + ".join(self.sources) + w


@dataclasses.dataclass(frozen=True)
class Step:
    """One step of a program: a registered derivation or a data-step verb."""

    index: int
    id: str = ""
    method: str = ""
    derive: str = ""
    args: Mapping[str, Any] = dataclasses.field(default_factory=lambda: MappingProxyType({}))
    inputs: tuple[InputSpec, ...] = ()
    result: str = "replace"
    verb: str = ""
    value: Any = None

    @property
    def label(self) -> str:
        """``step 3 (derive_vars_merged, MT.RANDDT)`` for messages."""
        what = ", ".join(x for x in (self.id, self.derive or self.verb, self.method) if x)
        return f"step {self.index} ({what})"


@dataclasses.dataclass(frozen=True)
class Program:
    """A dataset's program: its class, whether it is an output, its population and steps."""

    dataset: str
    class_: str
    output: bool
    population: InputSpec | None
    steps: tuple[Step, ...]
    file: str = dataclasses.field(default="", compare=False)

    def where(self, step: Step | None = None) -> str:
        """``adam_programs.yaml: ADSL step 3 (...)`` for messages."""
        head = f"{self.file}: " if self.file else ""
        return f"{head}program {self.dataset}" + (f" {step.label}" if step is not None else "")

    def reads(self) -> set[str]:
        """Every dataset or domain name the program reads."""
        names = set(self.population.sources) if self.population else set()
        for s in self.steps:
            for i in s.inputs:
                names.update(i.sources)
            if s.verb == "predecessors":
                names.add(str(s.value.get("from", "")))
        return names


# ---------------------------------------------------------------------------------------------
# parsing (structural problems only; cross-checks in check_programs)
# ---------------------------------------------------------------------------------------------


def _input(raw: Any, where: str, problems: list[str], *, population: bool = False) -> InputSpec | None:
    if isinstance(raw, str):
        raw = {"from": raw}
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: an input must be a mapping {{from: NAME, where: ..., keep: [...]}}, got {raw!r}")
        return None
    extra = set(raw) - _INPUT_KEYS
    if extra:
        problems.append(
            f"{where}: unknown input key(s) {', '.join(sorted(map(str, extra)))} (allowed: from, where, keep)"
        )
    src = raw.get("from")
    sources = tuple(str(s) for s in (src if isinstance(src, (list, tuple)) else [src] if src else []))
    if not sources:
        problems.append(f"{where}: input needs 'from' (an SDTM domain or a dataset of the programs)")
        return None
    keep = raw.get("keep")
    if keep is None:
        keep = "predecessors" if population else "all"
    elif isinstance(keep, str):
        allowed = ("all", "predecessors") if population else ("all",)
        if keep not in allowed:
            problems.append(f"{where}: keep must be a list of variables or one of {', '.join(allowed)}, got {keep!r}")
    else:
        keep = tuple(str(k) for k in keep)
    return InputSpec(sources=sources, where=freeze(raw.get("where")) if raw.get("where") else None, keep=keep)


def parse_programs(raw: Mapping[str, Any] | None) -> tuple[dict[str, Program], list[str]]:
    """Programs from the ``programs`` section (YAML-shaped), and the structural problems found."""
    out: dict[str, Program] = {}
    problems: list[str] = []
    for name, p in (raw or {}).items():
        name = str(name)
        file = str(p.get("__file__", "")) if isinstance(p, Mapping) else ""
        head = f"{file}: program {name}" if file else f"program {name}"
        if not isinstance(p, Mapping):
            problems.append(f"{head}: must be a mapping with class, population and steps")
            continue
        extra = set(p) - _PROGRAM_KEYS
        if extra:
            problems.append(
                f"{head}: unknown key(s) {', '.join(sorted(map(str, extra)))} "
                f"(allowed: class, output, population, steps, label)"
            )
        pop = _input(p["population"], f"{head} population", problems, population=True) if p.get("population") else None
        steps = []
        raw_steps = p.get("steps") or []
        if not isinstance(raw_steps, list):
            problems.append(f"{head}: steps must be a list")
            raw_steps = []
        for i, s in enumerate(raw_steps, start=1):
            where = f"{head} step {i}"
            if not isinstance(s, Mapping):
                problems.append(
                    f"{where}: a step must be a mapping (derive/method/filter/keep/drop/rename/predecessors)"
                )
                continue
            extra = set(s) - _STEP_KEYS
            if extra:
                problems.append(
                    f"{where}: unknown key(s) {', '.join(sorted(map(str, extra)))} "
                    f"(allowed: {', '.join(sorted(_STEP_KEYS))})"
                )
            verbs = [v for v in VERBS if v in s]
            if len(verbs) > 1 or (verbs and ("derive" in s or "args" in s or "inputs" in s)):
                problems.append(
                    f"{where}: a step is one of: a derivation (derive/method with args, inputs) "
                    f"or one verb ({', '.join(VERBS)}); found {', '.join(verbs + [k for k in ('derive', 'args', 'inputs') if k in s])}"
                )
                continue
            inputs = []
            raw_inputs = s.get("inputs") or []
            if not isinstance(raw_inputs, list):
                problems.append(f"{where}: inputs must be a list")
                raw_inputs = []
            for j, r in enumerate(raw_inputs, start=1):
                inp = _input(r, f"{where} input {j}", problems)
                if inp is not None:
                    inputs.append(inp)
            args = s.get("args") or {}
            if not isinstance(args, Mapping):
                problems.append(f"{where}: args must be a mapping of keyword arguments")
                args = {}
            result = str(s.get("result") or "replace")
            if result not in ("replace", "append"):
                problems.append(f"{where}: result must be 'replace' or 'append', got {result!r}")
            verb = verbs[0] if verbs else ""
            if not verb and not s.get("derive") and not s.get("method"):
                problems.append(f"{where}: names no derivation ('derive' or 'method') and no verb ({', '.join(VERBS)})")
            steps.append(
                Step(
                    index=i,
                    id=str(s.get("id") or ""),
                    method=str(s.get("method") or ""),
                    derive=str(s.get("derive") or ""),
                    args=freeze(dict(args)),
                    inputs=tuple(inputs),
                    result=result,
                    verb=verb,
                    value=freeze(s[verb]) if verb else None,
                )
            )
        out[name] = Program(
            dataset=name,
            class_=str(p.get("class") or ""),
            output=bool(p.get("output", True)),
            population=pop,
            steps=tuple(steps),
            file=file,
        )
    return out, problems


# ---------------------------------------------------------------------------------------------
# cross-checks (spec load time: no data)
# ---------------------------------------------------------------------------------------------


def resolve_reference(value: Any, spec) -> Any:
    """An argument value with ``@`` references resolved (see the module docstring)."""
    if isinstance(value, str) and value.startswith("@"):
        ref = value[1:]
        if ref in spec.parameters:
            return thaw(spec.parameters[ref])
        if ref == "windows":
            return spec.windows
        if ref == "endpoints":
            return spec.endpoints
        if ref.startswith("value_level:"):
            parts = ref.split(":")
            if len(parts) == 3 and parts[2] == "param":
                return {v.paramcd: v.param for v in spec.value_level_for(parts[1])}
        raise KeyError(
            f"reference {value!r} is not a study parameter nor one of @windows, @endpoints, @value_level:DATASET:param"
        )
    return thaw(value)


def _reference_problem(value: Any, spec) -> str | None:
    if isinstance(value, str) and value.startswith("@"):
        try:
            resolve_reference(value, spec)
        except KeyError as exc:
            return str(exc.args[0])
    return None


def step_function(step: Step, spec) -> tuple[str, dict[str, Any]]:
    """The registered function name and the (unresolved) keyword arguments of a derivation step."""
    name, args = step.derive, {}
    if step.method and step.method in spec.methods:
        m = spec.methods[step.method]
        name = name or m.function
        if not step.derive or step.derive == m.function:
            args.update(dict(m.args))
    args.update(dict(step.args))
    return name, args


def _positional(fn: Callable) -> tuple[int, int | None]:
    """(least, most) positional datasets ``fn`` takes (most None: any number)."""
    least, most = 0, 0
    for p in inspect.signature(fn).parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            most += 1
            if p.default is p.empty:
                least += 1
        elif p.kind is p.VAR_POSITIONAL:
            return least, None
    return least, most


def check_programs(spec) -> list[str]:
    """Every problem of the spec's programs (empty: clean).

    Unknown functions or verbs, arguments that do not bind to the function's signature, inputs
    the function cannot take, filters not of the filter language, unresolvable ``@`` references,
    methods not defined, datasets without a program, output programs without a dataset spec, and
    cycles between programs.
    """
    from . import registry

    p: list[str] = []
    programs = spec.programs
    if not programs:
        return p
    for name, prog in programs.items():
        head = prog.where()
        if prog.class_ not in CLASSES:
            p.append(f"{head}: class {prog.class_!r} is not one of {', '.join(CLASSES)}")
        if prog.output and name not in spec.datasets:
            p.append(f"{head}: not a dataset of the spec; a work dataset needs 'output: false'")
        if prog.population is not None:
            p.extend(f"{head} population: {m}" for m in filters.check(prog.population.where))
            if prog.population.keep == "predecessors" and name not in spec.datasets:
                p.append(f"{head} population: keep 'predecessors' needs the dataset in the spec; give a list or 'all'")
        elif not prog.steps or prog.steps[0].result != "append":
            p.append(f"{head}: no population, and the first step does not create records (result: append)")
        for step in prog.steps:
            where = prog.where(step)
            for i, inp in enumerate(step.inputs, start=1):
                p.extend(f"{where} input {i}: {m}" for m in filters.check(inp.where))
            if step.method and step.method not in spec.methods:
                p.append(f"{where}: method {step.method} is not defined in the spec's methods")
            if step.verb:
                p.extend(f"{where}: {m}" for m in _check_verb(step, programs))
                continue
            fname, args = step_function(step, spec)
            if not fname:
                p.append(f"{where}: method {step.method} names no function; give 'derive'")
                continue
            try:
                fn = registry.get(fname, plugins=spec.plugins)
            except KeyError:
                p.append(
                    f"{where}: function {fname!r} is not a registered derivation (see docs/vocabulary.md; "
                    f"a study's own derivation is a plugin)"
                )
                continue
            except (ImportError, AttributeError) as exc:
                p.append(f"{where}: function {fname!r} cannot be loaded: {exc}")
                continue
            p.extend(f"{where}: {m}" for m in registry.check_arguments(fn, args, complete=True))
            for k, v in args.items():
                msg = _reference_problem(v, spec)
                if msg:
                    p.append(f"{where}: argument {k}: {msg}")
                if k in ("where", "filter", "filter_add", "condition") and isinstance(v, Mapping):
                    p.extend(f"{where}: argument {k}: {m}" for m in filters.check(v))
            least, most = _positional(fn)
            n = len(step.inputs) + (0 if step.result == "append" else 1)
            if n < least or (most is not None and n > most):
                want = f"{least}" if most == least else f"{least} to {most if most is not None else 'any'}"
                p.append(
                    f"{where}: {fname} takes {want} dataset(s) and gets {n} "
                    f"({'the inputs' if step.result == 'append' else 'the dataset and its inputs'})"
                )
    for name in spec.datasets:
        if name not in programs:
            p.append(f"dataset {name}: no program in the spec's programs")
    try:
        program_order(programs)
    except DataError as exc:
        p.extend(exc.problems or [str(exc)])
    return p


def _check_verb(step: Step, programs: Mapping[str, Program]) -> list[str]:
    v = step.value
    if step.verb == "filter":
        return filters.check(v)
    if step.verb in ("keep", "drop"):
        if not isinstance(v, (list, tuple)) or not all(isinstance(x, str) for x in v):
            return [f"{step.verb} takes a list of variable names"]
        return []
    if step.verb == "rename":
        if not isinstance(v, Mapping) or not all(isinstance(x, str) for x in (*v.keys(), *v.values())):
            return ["rename takes a mapping {OLD: NEW}"]
        return []
    if step.verb == "predecessors":
        if not isinstance(v, Mapping) or "from" not in v:
            return ["predecessors takes {from: DATASET, by: [VARIABLES]}"]
        by = v.get("by", ("USUBJID",))
        if not isinstance(by, (list, tuple)) or not by:
            return ["predecessors: by must be a non-empty list of variables"]
        return []
    return [f"unknown verb {step.verb!r}"]


def program_order(programs: Mapping[str, Program]) -> list[str]:
    """The programs in an order where each runs after every program it reads.

    Raises :class:`DataError` naming the programs of a cycle.
    """
    graph = {name: {r for r in prog.reads() if r in programs and r != name} for name, prog in programs.items()}
    ts = graphlib.TopologicalSorter({k: sorted(v) for k, v in sorted(graph.items())})
    try:
        return list(ts.static_order())
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        raise DataError(
            "the programs read each other in a cycle",
            [
                f"programs cycle: {' -> '.join(cycle)} (each reads the next; split one into a work "
                f"dataset with output: false)"
            ],
        ) from None


def required_inputs(spec) -> dict[str, tuple[str, ...] | None]:
    """SDTM domains the programs read, with the variables they name (None: every variable).

    A domain read with ``keep: all`` (or without keep) gives None. Variables named in filters
    count too. Names that are programs are not SDTM domains.
    """
    out: dict[str, set[str] | None] = {}
    for src, _, names in _sdtm_reads(spec):
        if names is None:
            out[src] = None
        elif out.get(src, set()) is not None:
            out[src] = (out.get(src) or set()) | set(names)
    return {k: (tuple(sorted(v)) if v is not None else None) for k, v in sorted(out.items())}


def _sdtm_reads(spec) -> Iterator[tuple[str, str, list[str] | None]]:
    """Every read of an SDTM domain by the programs: ``(domain, reader, variables)``.

    ``reader`` is :meth:`Program.where` of the step (or `` population``); ``variables`` are the
    kept ones (in order) then those of the filter, or None when every variable is read.
    """
    for prog in spec.programs.values():
        reads = [(prog.population, None)] if prog.population else []
        reads += [(inp, s) for s in prog.steps for inp in s.inputs]
        for inp, step in reads:
            label = prog.where(step) + ("" if step is not None else " population")
            for src in inp.sources:
                if src in spec.programs:
                    continue
                if inp.keep == "all":
                    yield src, label, None
                    continue
                if inp.keep == "predecessors":
                    names = [var for _, var in _predecessors(spec, prog.dataset, src)]
                else:
                    names = list(inp.keep or ())
                yield src, label, names + sorted(filters.variables(inp.where) - set(names))


def _predecessors(spec, dataset: str, source: str) -> list[tuple[str, str]]:
    """Variables of ``dataset`` whose predecessor is ``source.VAR`` -> ``(variable, VAR)`` pairs, in order."""
    ds = spec.datasets.get(dataset)
    if ds is None:
        return []
    out: list[tuple[str, str]] = []
    for v in ds.variables.values():
        pre = v.predecessor
        if pre and "." in pre:
            dom, var = pre.split(".", 1)
            if dom.upper() == source.upper():
                out.append((v.name, var))
    return out


# ---------------------------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class ProgramRun:
    """What :func:`run_programs` returns: every dataset built (outputs and work) and the step log."""

    datasets: dict[str, pd.DataFrame]
    log: list[str]


def _read_input(inp: InputSpec, env: Mapping[str, pd.DataFrame], where: str, spec, dataset: str) -> pd.DataFrame:
    frames = []
    for src in inp.sources:
        if src not in env:
            raise DataError(
                f"{where}: input {src} is not available",
                [
                    f"{where}: reads {src}, which is neither an SDTM domain of the input folder nor a "
                    f"dataset built before (rule: input exists)"
                ],
            )
        df = env[src]
        if inp.where:
            bad = filters.check(inp.where, df.columns)
            if bad:
                raise DataError(
                    f"{where}: filter on {src} reads variables {src} lacks", [f"{where}: input {src}: {m}" for m in bad]
                )
            df = df.loc[filters.evaluate(df, inp.where)]
        keep = inp.keep
        rename = {}
        if keep == "predecessors":
            pairs = _predecessors(spec, dataset, src)
            keep = tuple(dict.fromkeys(v for _, v in pairs))
            rename = {v: n for n, v in pairs if n != v}
        if isinstance(keep, tuple):
            missing = [k for k in keep if k not in df.columns]
            if missing:
                raise DataError(
                    f"{where}: {src} lacks variable(s) {', '.join(missing)}",
                    [f"{src}.{k}: read by {where} but not in {src} (rule: required variable)" for k in missing],
                )
            df = df[list(keep)]
            if rename:
                df = df.rename(columns=rename)
        frames.append(df)
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    return pd.concat(frames, ignore_index=True)


def _run_verb(df: pd.DataFrame, step: Step, env, spec, prog: Program, where: str) -> pd.DataFrame:
    v = step.value
    if step.verb == "filter":
        bad = filters.check(v, df.columns)
        if bad:
            raise DataError(f"{where}: filter reads variables {prog.dataset} lacks", [f"{where}: {m}" for m in bad])
        keep = filters.evaluate(df, v)
        if keep.all():
            return df.reset_index(drop=True)
        from .finalize import take_rows_releasing

        # the program's working frame is its own (every step makes a new one): emptied as the
        # kept records are taken, so they are not held twice
        return take_rows_releasing(df, np.flatnonzero(keep))
    if step.verb in ("keep", "drop"):
        missing = [c for c in v if c not in df.columns]
        if missing and step.verb == "keep":
            raise DataError(f"{where}: keep names variables {prog.dataset} lacks: {', '.join(missing)}")
        return df[list(v)] if step.verb == "keep" else df.drop(columns=[c for c in v if c in df.columns])
    if step.verb == "rename":
        missing = [c for c in v if c not in df.columns]
        if missing:
            raise DataError(f"{where}: rename names variables {prog.dataset} lacks: {', '.join(missing)}")
        return df.rename(columns=dict(v))
    if step.verb == "predecessors":
        from ..keys import lookup

        src, by = str(v["from"]), [str(b) for b in v.get("by", ("USUBJID",))]
        if src not in env:
            raise DataError(f"{where}: predecessors from {src}, which is not built yet")
        add = env[src]
        pairs = [(n, s) for n, s in _predecessors(spec, prog.dataset, src) if n not in by]
        missing = [s for _, s in pairs if s not in add.columns] + [
            b for b in by if b not in add.columns or b not in df.columns
        ]
        if missing:
            raise DataError(f"{where}: predecessor variable(s) missing: {', '.join(missing)}")
        if len(by) != 1:
            from ..keys import row_codes

            codes = row_codes([pd.concat([add[b], df[b]], ignore_index=True) for b in by])
            left, right = pd.Series(codes[len(add) :]), pd.Series(codes[: len(add)])
        else:
            left, right = df[by[0]], add[by[0]]
        if right.duplicated().any():
            raise DataError(f"{where}: {src} has several records per {', '.join(by)}; predecessors need one")
        pos = lookup(left, right)
        out = df.copy(deep=False)
        for n, s in pairs:
            out[n] = add[s].array.take(pos, allow_fill=True)
        return out
    raise AssertionError(step.verb)


def run_programs(
    sdtm: Mapping[str, pd.DataFrame] | dict,
    spec,
    *,
    log: Callable[[str], None] | None = None,
    keep_work: bool = False,
    consume: bool = False,
) -> ProgramRun:
    """Run the spec's programs on SDTM frames; the datasets built.

    Memory stays bounded by what is still to be read: a domain or work dataset is released as
    soon as no later program reads it.

    Parameters
    ----------
    sdtm : upper-case domain name -> DataFrame.
    spec : a spec with programs (:func:`adamforge.adam.spec.load_spec`).
    log : called with one line per program and step (record counts), for the run log.
    keep_work : also return the work datasets (``output: false``), e.g. to inspect them.
    consume : ``sdtm`` is a dict the caller hands over: its domains are removed from it as they
        are released (the caller keeps no reference to millions of records it no longer needs).

    Raises
    ------
    DataError : the programs have problems (:func:`check_programs`: unknown functions, arguments
        of the wrong name or type, bad filters, cycles ...; all listed, under any spec policy), an
        input or variable a step needs is missing, or a derivation rejects its data; the message
        names the spec file, program, step and rule.
    """
    from . import registry

    if not spec.programs:
        raise DataError(
            "the spec has no programs: nothing to derive",
            ["spec: no 'programs' section (adam_programs.yaml): each dataset needs a program (see docs/spec.md)"],
        )
    problems = check_programs(spec)
    if problems:  # under any policy: a program that cannot run right is not run at all
        raise DataError(f"the spec's programs have {len(problems)} problem(s); nothing derived", problems)
    lines: list[str] = []

    def note(msg: str) -> None:
        lines.append(msg)
        if log is not None:
            log(msg)

    env: dict[str, pd.DataFrame] = sdtm if consume and isinstance(sdtm, dict) else dict(sdtm)
    order = program_order(spec.programs)
    last_read: dict[str, int] = {}
    for i, name in enumerate(order):
        for r in spec.programs[name].reads():
            last_read[r] = i
    keep = {n for n, p in spec.programs.items() if p.output or keep_work}
    kept: dict[str, pd.DataFrame] = {}
    for i, name in enumerate(order):
        prog = spec.programs[name]
        if prog.population is not None:
            df = _read_input(prog.population, env, prog.where() + " population", spec, name)
            note(f"{name}: population {prog.population.describe()}: {len(df)} record(s)")
        else:
            df = pd.DataFrame()
        for step in prog.steps:
            where = prog.where(step)
            if step.verb:
                df = _run_verb(df, step, env, spec, prog, where)
            else:
                df = _run_derivation(df, step, env, spec, prog, where, registry)
            note(f"{name}: {step.label}: {len(df)} record(s)")
        env[name] = df
        if name in keep:
            kept[name] = df
        for r in [r for r, last in last_read.items() if last == i and r in env]:
            del env[r]  # nothing later reads it
        if name not in last_read or last_read[name] < i:
            env.pop(name, None)
        del df
    return ProgramRun(datasets={k: kept[k] for k in spec.programs if k in kept}, log=lines)


def _run_derivation(df, step: Step, env, spec, prog: Program, where: str, registry) -> pd.DataFrame:
    fname, raw_args = step_function(step, spec)
    fn = registry.get(fname, plugins=spec.plugins)
    args = {k: resolve_reference(v, spec) for k, v in raw_args.items()}
    inputs = [_read_input(i, env, f"{where} input {j}", spec, prog.dataset) for j, i in enumerate(step.inputs, start=1)]
    try:
        if step.result == "append":
            new = fn(*inputs, **args)
            if df.empty and not len(df.columns):
                return new.reset_index(drop=True)
            return pd.concat([df, new], ignore_index=True)
        return fn(df, *inputs, **args)
    except DataError as exc:
        raise DataError(f"{where}: {exc}", [f"{where}: {m}" for m in (exc.problems or [str(exc)])]) from exc
    except (KeyError, ValueError, TypeError, OverflowError) as exc:
        raise DataError(
            f"{where}: {type(exc).__name__}: {exc}", [f"{where}: {fname} rejected its data or arguments: {exc}"]
        ) from exc


def describe_programs(spec) -> list[str]:
    """One line per step: what each program does, for the log and the docs."""
    out = []
    for name in program_order(spec.programs):
        prog = spec.programs[name]
        out.append(
            f"{name} ({prog.class_}{'' if prog.output else ', work dataset'}):"
            + (f" population {prog.population.describe()}" if prog.population else "")
        )
        for s in prog.steps:
            out.append(f"  {s.label}" + ("" if not s.inputs else " <- " + "; ".join(i.describe() for i in s.inputs)))
    return out


def input_readers(spec) -> dict[str, dict[str, tuple[str, ...]]]:
    """Who reads what: SDTM domain -> variable -> the program steps that read it.

    The key ``""`` of a domain lists every reader of the domain; a reader that takes every
    variable (``keep: all`` or no keep) names no variable. Readers are described as
    :meth:`Program.where` does (``adam_programs.yaml: program ADSL step 3 (...)``), for the input
    checks' messages (a missing domain or variable names the step that needs it).
    """
    out: dict[str, dict[str, list[str]]] = {}
    for src, label, names in _sdtm_reads(spec):
        entry = out.setdefault(src, {})
        entry.setdefault("", []).append(label)
        for v in names or ():
            readers = entry.setdefault(str(v), [])
            if label not in readers:
                readers.append(label)
    return {d: {v: tuple(r) for v, r in vs.items()} for d, vs in sorted(out.items())}
