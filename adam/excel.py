"""Read and write a Pinnacle 21-style Excel spec workbook into the same :class:`Spec` model.

Sheets: ``Datasets``, ``Variables``, ``ValueLevel``, ``Codelists``, ``Methods`` (as in P21
Community's ADaM spec template) plus ``Windows``, ``Endpoints``, ``Parameters`` and ``Study``
for what the ADaM engine needs beyond define.xml, and the optional ``Programs`` (the dataset
programs: a row per program, Step 0, and a row per step) and ``Plugins`` (module files). Structured cells (method arguments, endpoint
cases, parameter values) hold JSON text: data, never code.

The reader is separate from the model (as in metacore): it builds the same YAML-shaped data
that :func:`adamforge.adam.spec.build_spec` checks, so an Excel spec gets the same cross-check
and strictness policy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adamforge.errors import DataError

from ._frozen import thaw
from .spec import Spec, build_spec

if TYPE_CHECKING:
    from openpyxl import Workbook

    from .program import InputSpec

__all__ = ["write_spec_xlsx", "read_spec_xlsx", "SHEETS"]

SHEETS: dict[str, list[str]] = {
    "Datasets": ["Dataset", "Label", "Class", "Structure", "Key Variables"],
    "Variables": [
        "Order",
        "Dataset",
        "Variable",
        "Label",
        "Data Type",
        "Length",
        "Format",
        "Origin",
        "Predecessor",
        "Codelist",
        "Method",
        "Core",
    ],
    "ValueLevel": [
        "Dataset",
        "Variable",
        "Where Clause",
        "PARAMCD",
        "Parameter",
        "Data Type",
        "Length",
        "Format",
        "Origin",
        "Codelist",
        "Method",
    ],
    "Codelists": ["ID", "Name", "Data Type", "Order", "Term", "Decoded Value"],
    "Methods": ["ID", "Name", "Description", "Function", "Arguments (JSON)"],
    "Windows": ["AVISIT", "AVISITN", "Target Day", "Low Day", "High Day"],
    "Endpoints": [
        "PARAMCD",
        "Parameter",
        "PARAMN",
        "AVISIT",
        "CRIT1",
        "PARCAT1",
        "Missing",
        "Components",
        "Cases (JSON)",
    ],
    "Parameters": ["Name", "Value (JSON)"],
    "Study": ["Name", "Value (JSON)"],
}

#: sheets a workbook may leave out (a P21 workbook of another team has none of them)
OPTIONAL_SHEETS: dict[str, list[str]] = {
    # one row per program (Step 0: class, output, population) and one per step, in order
    "Programs": [
        "Dataset",
        "Step",
        "Class",
        "Output",
        "Population (JSON)",
        "ID",
        "Method",
        "Derive",
        "Arguments (JSON)",
        "Inputs (JSON)",
        "Result",
        "Verb",
        "Verb Value (JSON)",
    ],
    "Plugins": ["Module"],
}


def _j(v: Any) -> str:
    return json.dumps(thaw(v), ensure_ascii=False)


def write_spec_xlsx(spec: Spec, path: str | Path) -> Path:
    """Write ``spec`` as a P21-style workbook (atomically).

    Deterministic: fixed workbook properties, so the same spec gives the same content.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from adamforge.io import atomic_path

    wb = Workbook()
    wb.remove(wb.worksheets[0])  # the default sheet (wb.active is typed Optional)
    rows: dict[str, list[list[Any]]] = {k: [] for k in SHEETS}
    for ds in spec.datasets.values():
        rows["Datasets"].append([ds.name, ds.label, ds.class_, ds.structure, ", ".join(ds.keys)])
        for v in ds.variables.values():
            rows["Variables"].append(
                [
                    v.order,
                    ds.name,
                    v.name,
                    v.label,
                    v.type,
                    v.length,
                    v.display_format or None,
                    v.origin,
                    v.predecessor or None,
                    v.codelist or None,
                    v.method or None,
                    v.core,
                ]
            )
    for vl in spec.value_level:
        rows["ValueLevel"].append(
            [
                vl.dataset,
                vl.variable,
                vl.where,
                vl.paramcd,
                vl.param,
                vl.type,
                vl.length,
                vl.display_format or None,
                vl.origin,
                vl.codelist or None,
                vl.method or None,
            ]
        )
    for cl in spec.codelists.values():
        for i, t in enumerate(cl.terms, start=1):
            rows["Codelists"].append([cl.id, cl.name, cl.data_type, i, t.coded, t.decode or None])
    for m in spec.methods.values():
        rows["Methods"].append([m.id, m.name, m.description, m.function or None, _j(m.args) if m.args else None])
    for w in spec.windows:
        rows["Windows"].append([w.avisit, w.avisitn, w.target, w.lo, w.hi])
    for e in spec.endpoints:
        cases = [
            {
                "source": c.source,
                "criterion": thaw(c.criterion),
                **({"eligible": thaw(c.eligible)} if c.eligible else {}),
                **({"when": thaw(c.when)} if c.when else {}),
            }
            for c in e.cases
        ]
        rows["Endpoints"].append(
            [
                e.paramcd,
                e.param,
                e.paramn,
                e.avisit,
                e.crit1,
                e.parcat1,
                e.missing,
                ", ".join(e.components) or None,
                json.dumps(cases, ensure_ascii=False) if cases else None,
            ]
        )
    for k, v in spec.parameters.items():
        rows["Parameters"].append([k, _j(v)])
    for k, v in spec.study.items():
        rows["Study"].append([k, _j(v)])
    rows["Programs"] = _program_rows(spec)
    rows["Plugins"] = [[p.source] for p in spec.plugins]
    for sheet, header in {**SHEETS, **OPTIONAL_SHEETS}.items():
        if sheet in OPTIONAL_SHEETS and not rows[sheet]:
            continue
        ws = wb.create_sheet(sheet)
        ws.append(header)
        for c in ws[1]:
            c.font = Font(bold=True)
        for r in rows[sheet]:
            ws.append(r)
        ws.freeze_panes = "A2"
    from datetime import datetime

    wb.properties.creator = "adamforge"
    wb.properties.created = datetime(2000, 1, 1)
    wb.properties.modified = datetime(2000, 1, 1)
    path = Path(path)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def _input_raw(inp: InputSpec) -> dict:
    raw: dict[str, Any] = {"from": list(inp.sources) if len(inp.sources) > 1 else inp.sources[0]}
    if inp.where:
        raw["where"] = thaw(inp.where)
    if inp.keep is not None:
        raw["keep"] = list(inp.keep) if isinstance(inp.keep, tuple) else inp.keep
    return raw


def _program_rows(spec: Spec) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for name, prog in spec.programs.items():
        pop = json.dumps(_input_raw(prog.population), ensure_ascii=False) if prog.population else None
        rows.append([name, 0, prog.class_, "Y" if prog.output else "N", pop] + [None] * 8)
        for st in prog.steps:
            rows.append(
                [
                    name,
                    st.index,
                    None,
                    None,
                    None,
                    st.id or None,
                    st.method or None,
                    st.derive or None,
                    _j(st.args) if st.args else None,
                    json.dumps([_input_raw(i) for i in st.inputs], ensure_ascii=False) if st.inputs else None,
                    st.result if st.result != "replace" else None,
                    st.verb or None,
                    _j(st.value) if st.verb else None,
                ]
            )
    return rows


def _programs_raw(recs: list[dict], problems: list[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for r in sorted(recs, key=lambda r: r["_row"]):
        name, where = str(r["Dataset"]), f"Programs row {r['_row']}"
        prog = out.setdefault(name, {"steps": []})
        if r["Step"] in (0, "0"):
            prog["class"] = r["Class"] or ""
            prog["output"] = str(r["Output"] or "Y").upper() != "N"
            pop = _json(r["Population (JSON)"], where, problems)
            if pop:
                prog["population"] = pop
            continue
        step: dict[str, Any] = {}
        for key, col in (("id", "ID"), ("method", "Method"), ("derive", "Derive"), ("result", "Result")):
            if r[col]:
                step[key] = r[col]
        args = _json(r["Arguments (JSON)"], where, problems)
        if args:
            step["args"] = args
        inputs = _json(r["Inputs (JSON)"], where, problems)
        if inputs:
            step["inputs"] = inputs
        if r["Verb"]:
            step[str(r["Verb"])] = _json(r["Verb Value (JSON)"], where, problems)
        prog["steps"].append(step)
    return out


def _records(wb: Workbook, sheet: str, problems: list[str]) -> list[dict]:
    if sheet not in wb.sheetnames:
        if sheet not in OPTIONAL_SHEETS:
            problems.append(f"sheet {sheet!r} is missing")
        return []
    ws = wb[sheet]
    it = ws.iter_rows(values_only=True)
    header = list(next(it, ()))
    need = SHEETS.get(sheet) or OPTIONAL_SHEETS[sheet]
    miss = [h for h in need if h not in header]
    if miss:
        problems.append(f"sheet {sheet}: column(s) missing: {', '.join(miss)}")
        return []
    out = []
    for i, row in enumerate(it, start=2):
        if row is None or all(c is None or c == "" for c in row):
            continue
        rec = dict(zip(header, row))
        rec["_row"] = i
        out.append(rec)
    return out


def _json(cell: Any, where: str, problems: list[str]) -> Any:
    if cell is None or cell == "":
        return None
    try:
        return json.loads(cell)
    except (TypeError, ValueError) as exc:
        problems.append(f"{where}: not valid JSON: {exc}")
        return None


def read_spec_xlsx(path: str | Path, *, policy: str = "dev") -> Spec:
    """Read a P21-style workbook (as written by :func:`write_spec_xlsx`) into a checked :class:`Spec`.

    Raises :class:`DataError` listing every structural problem (missing sheets or columns,
    invalid JSON cells); cross-check problems follow ``policy`` as for :func:`load_spec`.
    """
    from openpyxl import load_workbook

    path = Path(path)
    wb = load_workbook(path, read_only=True, data_only=True)
    problems: list[str] = []
    recs = {s: _records(wb, s, problems) for s in {**SHEETS, **OPTIONAL_SHEETS}}
    if problems:
        raise DataError(f"spec workbook {path.name} is malformed", problems)

    datasets: dict[str, dict] = {}
    for r in recs["Datasets"]:
        keys = [k.strip() for k in str(r["Key Variables"] or "").split(",") if k.strip()]
        datasets[str(r["Dataset"])] = {
            "label": r["Label"] or "",
            "class": r["Class"] or "",
            "structure": r["Structure"] or "",
            "keys": keys,
            "variables": [],
        }
    for r in recs["Variables"]:
        ds = str(r["Dataset"])
        if ds not in datasets:
            problems.append(f"Variables row {r['_row']}: dataset {ds} is not on the Datasets sheet")
            continue
        datasets[ds]["variables"].append(
            {
                "name": r["Variable"],
                "label": r["Label"] or "",
                "type": r["Data Type"],
                "length": r["Length"],
                "format": r["Format"] or "",
                "origin": r["Origin"],
                "predecessor": r["Predecessor"] or "",
                "codelist": r["Codelist"] or "",
                "method": r["Method"] or "",
                "core": r["Core"],
                "order": r["Order"],
            }
        )
    codelists: dict[str, dict] = {}
    for r in sorted(recs["Codelists"], key=lambda r: (str(r["ID"]), r["Order"] or 0)):
        c = codelists.setdefault(str(r["ID"]), {"name": r["Name"], "data_type": r["Data Type"], "terms": []})
        c["terms"].append({"coded": r["Term"], "decode": r["Decoded Value"] or ""})
    # keep the sheet's codelist order (first appearance)
    order = list(dict.fromkeys(str(r["ID"]) for r in recs["Codelists"]))
    codelists = {k: codelists[k] for k in order}
    methods = {}
    for r in recs["Methods"]:
        methods[str(r["ID"])] = {
            "name": r["Name"],
            "description": r["Description"] or "",
            "function": r["Function"] or "",
            "args": _json(r["Arguments (JSON)"], f"Methods row {r['_row']}", problems) or {},
        }
    value_level = [
        {
            "dataset": r["Dataset"],
            "variable": r["Variable"],
            "paramcd": r["PARAMCD"],
            "param": r["Parameter"],
            "type": r["Data Type"],
            "length": r["Length"],
            "format": r["Format"] or "",
            "origin": r["Origin"],
            "codelist": r["Codelist"] or "",
            "method": r["Method"] or "",
        }
        for r in recs["ValueLevel"]
    ]
    windows = [
        {
            "avisit": r["AVISIT"],
            "avisitn": r["AVISITN"],
            "target": r["Target Day"],
            "lo": r["Low Day"],
            "hi": r["High Day"],
        }
        for r in recs["Windows"]
    ]
    endpoints = []
    for r in recs["Endpoints"]:
        e = {
            "paramcd": r["PARAMCD"],
            "param": r["Parameter"],
            "paramn": r["PARAMN"],
            "avisit": r["AVISIT"],
            "crit1": r["CRIT1"] or "",
            "parcat1": r["PARCAT1"] or "",
            "missing": r["Missing"] or "NRI",
        }
        if r["Components"]:
            e["components"] = [c.strip() for c in str(r["Components"]).split(",") if c.strip()]
        cases = _json(r["Cases (JSON)"], f"Endpoints row {r['_row']}", problems)
        if cases:
            e["cases"] = cases
        endpoints.append(e)
    parameters = {
        str(r["Name"]): _json(r["Value (JSON)"], f"Parameters row {r['_row']}", problems) for r in recs["Parameters"]
    }
    study = {str(r["Name"]): _json(r["Value (JSON)"], f"Study row {r['_row']}", problems) for r in recs["Study"]}
    if problems:
        raise DataError(f"spec workbook {path.name} is malformed", problems)
    programs = _programs_raw(recs["Programs"], problems)
    if problems:
        raise DataError(f"spec workbook {path.name} is malformed", problems)
    raw = {
        "study": study,
        "parameters": parameters,
        "datasets": datasets,
        "codelists": codelists,
        "methods": methods,
        "value_level": value_level,
        "windows": windows,
        "endpoints": endpoints,
        "programs": programs,
        "plugins": [str(r["Module"]) for r in recs["Plugins"] if r["Module"]],
    }
    return build_spec(raw, files=(path,), policy=policy, base=path.parent)
