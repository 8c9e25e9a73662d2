"""Analysis Results Metadata (ARM 1.0) for define.xml 2.1, from the study's TLF spec.

Every key output of the TLF spec (tables and figures; listings carry no analysis result) becomes
an ``arm:ResultDisplay`` and each of its analyses an ``arm:AnalysisResult``:

* a **baseline** table: one result per summarised row (the row's variable of the subject-level
  dataset, in the output's population);
* a **response** table: one result per endpoint, ``ParameterOID`` the analysis dataset's
  PARAMCD, two analysis datasets: the subject-level one (population where clause; the arm and the
  model covariates as analysis variables) and the analysis one (``PARAMCD EQ <code>`` and
  ``AVISIT EQ <analysis visit>``; AVAL);
* a **figure**: the result of its source table's endpoint;
* any other kind (added to the TLF spec later): one result on its population and, when it names
  one, its parameter.

``arm:Documentation`` says what was computed (the model, the CI, the fallback, the sensitivity
analysis, the denominator) and ``arm:ProgrammingCode`` how to reproduce it (the command and the
ARD records: ``output_id``/``parameter`` in ``ard.json``). Each display links (``def:DocumentRef``)
to its Word file, and every result to the ARD, through ``def:leaf`` elements (paths relative to
define.xml in ``<out>/adam/``).

Only stable fields of the TLF spec are read (``datasets``, ``analysis_visit``, ``arms``,
``model``, ``populations`` and the outputs' ``id``, ``kind``, ``title``, ``population``,
``rows``, ``endpoints``, ``source``, ``paramcd``); unknown fields are ignored. Optional per
output: ``analysis_reason`` and ``analysis_purpose`` (defaults ``SPECIFIED IN SAP`` and
``SECONDARY OUTCOME MEASURE``). The output is a function of its inputs (same spec, same bytes).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "ARM",
    "ArmWhere",
    "ArmDataset",
    "ArmResult",
    "ArmDisplay",
    "arm_displays",
    "ard_mismatches",
    "DEFAULT_REASON",
    "DEFAULT_PURPOSE",
]

ARM = "http://www.cdisc.org/ns/arm/v1.0"
DEFAULT_REASON = "SPECIFIED IN SAP"
DEFAULT_PURPOSE = "SECONDARY OUTCOME MEASURE"
_NO_RESULTS = ("listing",)


@dataclasses.dataclass(frozen=True)
class ArmWhere:
    """A where clause: ``OID`` and (dataset, variable, value) conditions, all EQ."""

    oid: str
    conditions: tuple[tuple[str, str, str], ...]
    population: bool = True  # a population's filter (its variables must exist) or a parameter's


@dataclasses.dataclass(frozen=True)
class ArmDataset:
    dataset: str
    where: ArmWhere | None
    variables: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class ArmResult:
    oid: str
    description: str
    parameter_oid: str | None
    reason: str
    purpose: str
    datasets: tuple[ArmDataset, ...]
    documentation: str
    code: str
    output_id: str
    parameter: str


@dataclasses.dataclass(frozen=True)
class ArmDisplay:
    oid: str
    name: str
    description: str
    file: str
    results: tuple[ArmResult, ...]


def _token(text: Any) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", str(text)).strip("_") or "X"


def _stem(output_id: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(output_id).lower()).strip("_")


def _value(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, bool):
        return "Y" if v else "N"
    return str(v)


def arm_displays(
    tlf: Mapping[str, Any],
    *,
    subject: str,
    analysis: str,
    tlf_folder: str = "../tlf",
    ard_file: str = "../tlf/ard.json",
    program: str = "adamforge tlf",
) -> list[ArmDisplay]:
    """The result displays of the TLF spec ``tlf`` (plain data, as read from ``tlf.yaml``).

    ``subject`` / ``analysis``: the subject-level and analysis dataset names (the TLF spec's
    ``datasets``, else the caller's choice from the ADaM spec).
    """
    arms = tlf.get("arms") or {}
    arm_var = str(arms.get("variable") or "TRT01PN")
    levels = [(lv.get("value"), str(lv.get("label", lv.get("value")))) for lv in arms.get("levels") or []]
    ref_label = levels[0][1] if levels else "the reference arm"
    model = tlf.get("model") or {}
    covariates = [str(c) for c in model.get("covariates", ["STUDYID"]) or []]
    ci = float(model.get("ci_level", 0.95))
    strata = model.get("cmh_strata")
    visit = str(tlf.get("analysis_visit") or "")
    pops = {str(k): (v or {}) for k, v in (tlf.get("populations") or {}).items()}
    outputs = [o for o in tlf.get("outputs") or [] if isinstance(o, Mapping) and o.get("id")]
    by_id = {str(o["id"]): o for o in outputs}
    wheres: dict[str, ArmWhere] = {}

    def pop_ds(pid: str) -> str:
        return str((pops.get(pid) or {}).get("dataset") or subject).upper()

    def pop_where(pid: str) -> ArmWhere | None:
        ds = pop_ds(pid)
        cond = tuple((ds, str(k), _value(v)) for k, v in ((pops.get(pid) or {}).get("where") or {}).items())
        if not cond:
            return None
        oid = f"WC.ARM.{ds}.{_token(pid)}"
        return wheres.setdefault(oid, ArmWhere(oid, cond))

    def param_where(pc: str) -> ArmWhere:
        oid = f"WC.ARM.{analysis}.{_token(pc)}.{_token(visit)}"
        return wheres.setdefault(oid, ArmWhere(oid, ((analysis, "PARAMCD", pc), (analysis, "AVISIT", visit)), False))

    def pop_text(pid: str) -> str:
        p = pops.get(pid) or {}
        cond = " and ".join(f"{k} = {_value(v)}" for k, v in (p.get("where") or {}).items())
        return f"{p.get('label') or pid} ({pop_ds(pid)}: {cond})" if cond else str(p.get("label") or pid)

    model_text = (
        f"Logistic regression of the response (AVAL 1/0) on treatment ({arm_var}, each active arm vs "
        f"{ref_label})"
        + (f" adjusted for {', '.join(covariates)}" if covariates else "")
        + f": odds ratio with Wald {ci:.0%} confidence interval and p-value; when separation is detected "
        "(an arm with 0% or 100% responders, or a degenerate fit) Firth's penalized likelihood "
        "(Wald CI from the penalized information, penalized likelihood-ratio p-value)."
    )
    if strata:
        model_text += f" Sensitivity: Cochran-Mantel-Haenszel test stratified by {strata} (no continuity correction)."

    def code(oid: str, pc: str = "") -> str:
        sel = f"output_id == {oid!r}" + (f" and parameter == {pc!r}" if pc else "")
        return f"{program}\n# analysis results data: {ard_file.rsplit('/', 1)[-1]} records where {sel}"

    def response_result(o, e, oid_prefix: str, oid: str) -> ArmResult:
        pc = str(e["paramcd"])
        pid = str(e.get("population") or o.get("population") or "")
        den = str(e.get("denominator") or "evaluable")
        den_text = (
            "every subject of the population, a missing AVAL counted as not achieved"
            if den == "all"
            else "the subjects with a non-missing AVAL"
        )
        doc = f"{e.get('label') or pc}: n/N (%) per arm in {pop_text(pid)}; denominator {den_text}. " + model_text
        sub_vars = tuple(dict.fromkeys([arm_var, *covariates, *([str(strata)] if strata else [])]))
        return ArmResult(
            oid=f"AR.{oid_prefix}.{_token(pc)}",
            description=str(e.get("label") or pc),
            parameter_oid=f"IT.{analysis}.PARAMCD",
            reason=str(o.get("analysis_reason") or DEFAULT_REASON),
            purpose=str(o.get("analysis_purpose") or DEFAULT_PURPOSE),
            datasets=(
                ArmDataset(pop_ds(pid), pop_where(pid), sub_vars),
                ArmDataset(analysis, param_where(pc), ("AVAL",)),
            ),
            documentation=doc,
            code=code(oid, pc),
            output_id=oid,
            parameter=pc,
        )

    displays = []
    for o in outputs:
        oid, kind = str(o["id"]), str(o.get("kind") or "")
        if kind in _NO_RESULTS:
            continue
        prefix = _token(oid)
        pid = str(o.get("population") or "")
        results: list[ArmResult] = []
        if kind == "baseline":
            cols = [c for c in o.get("columns") or [] if isinstance(c, Mapping)]
            col_text = "; ".join(
                f"{c.get('label') or c.get('id')}: {pop_text(str(c.get('population')))}"
                + (f", {arm_var} = {_value(c['arm'])}" if c.get("arm") is not None else "")
                for c in cols
            )
            for r in o.get("rows") or []:
                if not isinstance(r, Mapping) or not r.get("var") or r.get("stat") == "header":
                    continue
                st = str(r.get("stat"))
                what = {
                    "n_pct": f"n (%) of {r.get('var')} = {_value(r.get('level'))}",
                    "n_pct_ge": f"n (%) of {r.get('var')} >= {_value(r.get('threshold'))}",
                    "mean_sd": f"mean and standard deviation of {r.get('var')}",
                    "median_range": f"median, minimum and maximum of {r.get('var')}",
                }.get(st, f"{st} of {r.get('var')}")
                results.append(
                    ArmResult(
                        oid=f"AR.{prefix}.{_token(r.get('id'))}",
                        description=str(r.get("label") or r.get("id")),
                        parameter_oid=None,
                        reason=str(o.get("analysis_reason") or DEFAULT_REASON),
                        purpose=str(o.get("analysis_purpose") or DEFAULT_PURPOSE),
                        datasets=(
                            ArmDataset(pop_ds(pid), pop_where(pid), tuple(dict.fromkeys([str(r["var"]), arm_var]))),
                        ),
                        documentation=(
                            f"Descriptive statistics: {what}; percentages of the column N. Columns: {col_text}."
                        ),
                        code=code(oid, str(r.get("id"))),
                        output_id=oid,
                        parameter=str(r.get("id")),
                    )
                )
        elif kind == "response":
            for e in o.get("endpoints") or []:
                if isinstance(e, Mapping) and e.get("paramcd"):
                    results.append(response_result(o, e, prefix, oid))
        elif kind == "figure":
            src = by_id.get(str(o.get("source")))
            pc = str(o.get("paramcd") or "")
            e = next((e for e in (src or {}).get("endpoints") or [] if str(e.get("paramcd")) == pc), None)
            if src is not None and e is not None:
                results.append(
                    dataclasses.replace(
                        response_result(
                            {**src, **{k: o[k] for k in ("analysis_reason", "analysis_purpose") if k in o}},
                            e,
                            prefix,
                            oid,
                        ),
                        documentation=f"Bars of the proportions of {src['id']} with their significance marks. "
                        + response_result(src, e, prefix, oid).documentation,
                    )
                )
        else:
            pc = str(o.get("paramcd") or "")
            ds = [ArmDataset(pop_ds(pid), pop_where(pid), (arm_var,))]
            if pc and pop_ds(pid) != analysis:
                ds.append(ArmDataset(analysis, param_where(pc), ("AVAL",)))
            results.append(
                ArmResult(
                    oid=f"AR.{prefix}" + (f".{_token(pc)}" if pc else ""),
                    description=str(o.get("title") or oid),
                    parameter_oid=f"IT.{analysis}.PARAMCD" if pc else None,
                    reason=str(o.get("analysis_reason") or DEFAULT_REASON),
                    purpose=str(o.get("analysis_purpose") or DEFAULT_PURPOSE),
                    datasets=tuple(ds),
                    documentation=f"{kind} output on {pop_text(pid)}; see the TLF spec.",
                    code=code(oid, pc),
                    output_id=oid,
                    parameter=pc,
                )
            )
        if results:
            displays.append(
                ArmDisplay(
                    oid=f"RD.{prefix}",
                    name=oid,
                    description=str(o.get("title") or oid),
                    file=f"{tlf_folder}/{_stem(oid)}.docx",
                    results=tuple(results),
                )
            )
    return displays


def ard_mismatches(displays: Sequence[ArmDisplay], ard) -> list[str]:
    """Where the results metadata and an ARD disagree: each (output, parameter) with statistics
    in the ARD (column headers ``BIGN`` aside) needs an analysis result and each analysis result
    statistics in the ARD. Returns the problems (empty when they agree)."""
    recs = {(str(o), str(p)) for o, p in zip(ard["output_id"], ard["parameter"]) if str(p) != "BIGN"}
    arm = {(r.output_id, r.parameter) for d in displays for r in d.results}
    shown = {d.name for d in displays}
    out = [f"ARD {o} / {p}: no analysis result in define.xml" for o, p in sorted(recs - arm) if o in shown]
    out += [f"define.xml result {o} / {p}: no statistic in the ARD" for o, p in sorted(arm - recs)]
    return out
