"""define.xml 2.1 from the spec: the reviewer's map of the submitted datasets.

Generated from the same :class:`~adamforge.export.metadata.DatasetMeta` objects that drive the
XPT and Dataset-JSON files (built from the spec, :func:`adamforge.adam.spec.load_spec`), so the
three cannot disagree. Contents:

* ``def:Standards`` (ADaMIG), ``ItemGroupDef`` per dataset with ``def:Structure``,
  ``def:Class``, ``ItemRef`` (order, mandatory, key sequence, method) and a ``def:leaf`` link to
  the XPT file;
* ``ItemDef`` per variable: ``DataType`` (ADaM numeric dates are ``integer`` with a ``DATE9.``
  display format), ``Length``, label (``Description/TranslatedText``), ``def:Origin`` (with the
  predecessor as text), ``def:DisplayFormat``, ``CodeListRef``;
* value-level metadata: one ``def:ValueListDef`` per dataset variable that has entries in the
  spec's ``value_level`` (ADEFF.AVAL), one ``ItemRef`` + ``def:WhereClauseDef``
  (``PARAMCD EQ <code>``) + value-level ``ItemDef`` per PARAMCD;
* analysis results metadata (ARM 1.0, ``arm:AnalysisResultDisplays``) of the tables and figures
  of the study's TLF spec when it is given (``results``; :mod:`adamforge.export.arm`), with the
  ``def:WhereClauseDef`` of their populations and parameters and ``def:leaf`` links to the
  Word files and the ARD;
* ``CodeList`` (``CodeListItem`` with decodes, ``EnumeratedItem`` without), ``MethodDef``
  with the derivation text, and ``def:CommentDef`` (the synthetic-data notice and any dataset
  or variable comments). Only codelists and methods that are referenced are written.

The ``CreationDateTime`` comes from :func:`adamforge.clock.run_timestamp_iso`; everything else
is a function of the spec, so the same inputs give a byte-identical file. The output validates
against the Define-XML 2.1 XSD, and with ARM against the ARM 1.0 XSD for Define-XML 2.1 (tested
with the schemas shipped in ``odmlib``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lxml import etree

from .. import __version__
from ..clock import run_timestamp_iso
from ..errors import DataError
from ..io import atomic_path
from .metadata import DatasetMeta, dataset_meta_from_spec

if TYPE_CHECKING:
    from ..adam.spec import Spec
    from .arm import ArmWhere

__all__ = ["build_define", "write_define", "define_variables", "study_oid_from_spec", "NS"]

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = "http://www.cdisc.org/ns/def/v2.1"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"
ARM = "http://www.cdisc.org/ns/arm/v1.0"
NS = {"odm": ODM, "def": DEF, "xlink": XLINK, "arm": ARM}

_DATATYPE = {"text": "text", "integer": "integer", "float": "float", "date": "integer", "datetime": "integer"}
_CL_DATATYPE = {"text": "text", "integer": "integer", "float": "float"}
COMMENT_SYNTHETIC = "COM.SYNTHETIC"


def _o(tag: str, **attrs: str | None) -> etree._Element:
    return etree.Element(f"{{{ODM}}}{tag}", {k: v for k, v in attrs.items() if v is not None})


def _d(tag: str, **attrs: str | None) -> etree._Element:
    return etree.Element(f"{{{DEF}}}{tag}", {k: v for k, v in attrs.items() if v is not None})


def _text(parent: etree._Element, tag: str, text: str, ns: str = ODM) -> etree._Element:
    el = etree.SubElement(parent, f"{{{ns}}}{tag}")
    el.text = text
    return el


def _description(parent: etree._Element, text: str, tag: str = "Description") -> None:
    d = etree.SubElement(parent, f"{{{ODM}}}{tag}")
    t = etree.SubElement(d, f"{{{ODM}}}TranslatedText", {f"{{{XML}}}lang": "en"})
    t.text = text


def study_oid_from_spec(spec: Spec) -> str:
    """The study OID: ``study.oid`` of the spec, else its STUDYID(s) joined with ``+``."""
    study = spec.study or {}
    if study.get("oid"):
        return str(study["oid"])
    sid = study.get("studyid") or study.get("name") or "STUDY"
    return "+".join(map(str, sid)) if isinstance(sid, (list, tuple)) else str(sid)


def _leaf_id(meta: DatasetMeta) -> str:
    return f"LF.{meta.name}"


def build_define(
    spec: Spec,
    *,
    datasets: Sequence[str] | None = None,
    metas: Mapping[str, DatasetMeta] | None = None,
    files: Mapping[str, str] | None = None,
    study_oid: str | None = None,
    metadata_version_oid: str | None = None,
    standard: tuple[str, str] = ("ADaMIG", "1.3"),
    context: str = "Submission",
    originator: str = "adamforge",
    notice: str = "",
    results: Mapping[str, Any] | None = None,
) -> bytes:
    """The define.xml 2.1 document (UTF-8 bytes) for ``datasets`` of ``spec``.

    Parameters
    ----------
    spec : an :class:`adamforge.adam.spec.Spec`.
    datasets : dataset names to include (default: every dataset of the spec, in spec order).
    metas : dataset metadata to use instead of building it from the spec (e.g. already
        adjusted by the export step); keyed by dataset name.
    files : dataset name -> file name for ``def:leaf`` (default ``<name lower>.xpt``).
    study_oid, metadata_version_oid : OIDs (defaults: :func:`study_oid_from_spec`,
        ``MDV.<study_oid>.<standard>``); the Dataset-JSON files must use the same.
    standard : (``def:Standard/@Name``, ``@Version``) of the datasets.
    context : ``def:Context`` (``"Submission"`` or ``"Other"``).
    results : the study's TLF spec as plain data (``tlf.yaml``): adds the analysis results
        metadata (ARM 1.0, :mod:`adamforge.export.arm`) of its tables and figures. Results on a
        dataset not in ``datasets`` are left out.

    Raises
    ------
    adamforge.errors.DataError
        when the spec references a codelist or method it does not define, or a dataset is
        unknown (every problem listed).
    """
    names = list(datasets) if datasets is not None else list(spec.datasets)
    metas, problems = _dataset_metas(spec, names, metas)
    sel = [metas[n] for n in names if n in metas]
    vlm = [v for v in spec.value_level if v.dataset in names]
    used_cl, used_mt = _referenced(sel, vlm)
    problems += _reference_problems(spec, metas, vlm, used_cl, used_mt)
    displays = _arm_displays(results, names, metas, problems) if results else []
    if problems:
        raise DataError("define.xml not written: the spec is inconsistent", problems)

    study_oid = study_oid or study_oid_from_spec(spec)
    mdv_oid = metadata_version_oid or f"MDV.{study_oid}.{standard[0]}.{standard[1]}"
    std_oid = f"STD.{standard[0]}.{standard[1]}"
    value_lists = _group_value_level(vlm)

    root = _odm_root(study_oid, standard, context, originator, arm=bool(displays))
    mdv = _metadata_version(root, spec, study_oid, mdv_oid, standard, std_oid, notice)
    _value_list_defs(mdv, value_lists)
    _where_clause_defs(mdv, value_lists, displays)
    _item_group_defs(mdv, sel, files or {}, std_oid)
    _item_defs(mdv, sel, value_lists)
    _value_item_defs(mdv, value_lists)
    _codelist_defs(mdv, spec, used_cl)
    _method_defs(mdv, spec, used_mt)
    _comment_defs(mdv, _comments(sel, notice))
    if displays:
        _arm_block(mdv, displays)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8", pretty_print=True)


# -- consistency: what the document references, and whether the spec defines it -----------------


def _dataset_metas(
    spec: Spec, names: Sequence[str], metas: Mapping[str, DatasetMeta] | None
) -> tuple[dict[str, DatasetMeta], list[str]]:
    """The metadata of every named dataset (given, else built from the spec); unknown names as problems."""
    out = dict(metas or {})
    problems: list[str] = []
    for n in names:
        if n not in out:
            if n not in spec.datasets:
                problems.append(f"dataset {n} is not in the spec")
                continue
            out[n] = dataset_meta_from_spec(spec.datasets[n])
    return out, problems


def _referenced(sel: Sequence[DatasetMeta], vlm: Sequence) -> tuple[list[str], list[str]]:
    """The codelists and methods the variables and value-level entries reference, in first-use order."""
    used_cl: dict[str, None] = {}
    used_mt: dict[str, None] = {}
    for owner in [c for m in sel for c in m.columns] + list(vlm):
        if owner.codelist:
            used_cl.setdefault(owner.codelist)
        if owner.method:
            used_mt.setdefault(owner.method)
    return list(used_cl), list(used_mt)


def _reference_problems(
    spec: Spec, metas: Mapping[str, DatasetMeta], vlm: Sequence, used_cl: Sequence[str], used_mt: Sequence[str]
) -> list[str]:
    """Codelists and methods referenced but not defined; value-level entries on absent variables."""
    problems = [
        f"codelist {cl} is referenced but not defined in the spec" for cl in used_cl if cl not in spec.codelists
    ]
    problems += [f"method {mt} is referenced but not defined in the spec" for mt in used_mt if mt not in spec.methods]
    for v in vlm:
        m = metas.get(v.dataset)
        if m is not None and (v.variable not in m.names or "PARAMCD" not in m.names):
            problems.append(
                f"value-level entry {v.dataset}.{v.variable} where PARAMCD EQ {v.paramcd}: "
                f"{v.dataset} has no {v.variable if v.variable not in m.names else 'PARAMCD'} variable"
            )
    return problems


def _group_value_level(vlm: Sequence) -> dict[tuple[str, str], list]:
    """Value-level entries by (dataset, variable), in spec order: one ``def:ValueListDef`` each."""
    by_var: dict[tuple[str, str], list] = {}
    for v in vlm:
        by_var.setdefault((v.dataset, v.variable), []).append(v)
    return by_var


def _comments(sel: Sequence[DatasetMeta], notice: str) -> list[tuple[str, str]]:
    """``(OID, text)`` of every ``def:CommentDef``: the notice, then dataset, then variable comments."""
    comments = [(COMMENT_SYNTHETIC, notice)] if notice else []
    comments += [(f"COM.{m.name}", m.comment) for m in sel if m.comment]
    comments += [(f"COM.{m.name}.{c.name}", c.comment) for m in sel for c in m.columns if c.comment]
    return comments


# -- the document, section by section ---------------------------------------------------------------


def _odm_root(study_oid: str, standard: tuple[str, str], context: str, originator: str, *, arm: bool) -> etree._Element:
    """The ``ODM`` element with its file attributes (the ARM namespace only when results are described)."""
    nsmap = {None: ODM, "def": DEF, "xlink": XLINK}
    if arm:
        nsmap["arm"] = ARM
    # lxml takes None as the default namespace's prefix; lxml-stubs type nsmap as Mapping[str, str]
    root = etree.Element(f"{{{ODM}}}ODM", nsmap=nsmap)  # type: ignore[arg-type]
    root.set("ODMVersion", "1.3.2")
    root.set("FileType", "Snapshot")
    root.set("FileOID", f"DEFINE.{study_oid}.{standard[0]}")
    root.set("CreationDateTime", run_timestamp_iso())
    root.set("Originator", originator)
    root.set("SourceSystem", "adamforge")
    root.set("SourceSystemVersion", __version__)
    root.set(f"{{{DEF}}}Context", context)
    return root


def _metadata_version(
    root: etree._Element, spec: Spec, study_oid: str, mdv_oid: str, standard: tuple[str, str], std_oid: str, notice: str
) -> etree._Element:
    """``Study`` with its ``GlobalVariables``, and the ``MetaDataVersion`` with ``def:Standards``."""
    study_el = etree.SubElement(root, f"{{{ODM}}}Study", OID=study_oid)
    gv = etree.SubElement(study_el, f"{{{ODM}}}GlobalVariables")
    sname = str((spec.study or {}).get("name") or study_oid)
    _text(gv, "StudyName", study_oid)
    _text(gv, "StudyDescription", sname)
    _text(gv, "ProtocolName", study_oid)
    mdv_attrs = {
        "OID": mdv_oid,
        "Name": f"{sname} {standard[0]} metadata",
        "Description": f"{standard[0]} {standard[1]} datasets of {sname}",
        f"{{{DEF}}}DefineVersion": "2.1.0",
    }
    if notice:  # simulated data: say so at the top of the metadata
        mdv_attrs[f"{{{DEF}}}CommentOID"] = COMMENT_SYNTHETIC
    mdv = etree.SubElement(study_el, f"{{{ODM}}}MetaDataVersion", mdv_attrs)
    stds = etree.SubElement(mdv, f"{{{DEF}}}Standards")
    etree.SubElement(
        stds, f"{{{DEF}}}Standard", OID=std_oid, Name=standard[0], Type="IG", Version=standard[1], Status="Final"
    )
    return mdv


def _value_list_defs(mdv: etree._Element, value_lists: Mapping[tuple[str, str], list]) -> None:
    """One ``def:ValueListDef`` per dataset variable with value-level entries: an ItemRef per PARAMCD."""
    for (ds, var), entries in value_lists.items():
        vl = etree.SubElement(mdv, f"{{{DEF}}}ValueListDef", OID=f"VL.{ds}.{var}")
        for i, v in enumerate(entries, start=1):
            ref = {"ItemOID": f"IT.{ds}.{var}.{v.paramcd}", "OrderNumber": str(i), "Mandatory": "No"}
            if v.method:
                ref["MethodOID"] = v.method
            ref_el = etree.SubElement(vl, f"{{{ODM}}}ItemRef", ref)
            etree.SubElement(ref_el, f"{{{DEF}}}WhereClauseRef", WhereClauseOID=f"WC.{ds}.{var}.{v.paramcd}")


def _where_clause_defs(mdv: etree._Element, value_lists: Mapping[tuple[str, str], list], displays: list) -> None:
    """``def:WhereClauseDef`` of the value-level entries (``PARAMCD EQ``), then of the results' selections."""
    for (ds, var), entries in value_lists.items():
        for v in entries:
            _where_clause(mdv, f"WC.{ds}.{var}.{v.paramcd}", [(ds, "PARAMCD", v.paramcd)])
    arm_wheres: dict[str, ArmWhere] = {}
    for d in displays:
        for r in d.results:
            for a in r.datasets:
                if a.where is not None:
                    arm_wheres.setdefault(a.where.oid, a.where)
    for w in arm_wheres.values():
        _where_clause(mdv, w.oid, w.conditions)


def _where_clause(mdv: etree._Element, oid: str, conditions: Sequence[tuple[str, str, str]]) -> None:
    """A ``def:WhereClauseDef``: one ``RangeCheck`` (``EQ``) per ``(dataset, variable, value)``."""
    wc = etree.SubElement(mdv, f"{{{DEF}}}WhereClauseDef", OID=oid)
    for ds, var, val in conditions:
        rc = etree.SubElement(
            wc,
            f"{{{ODM}}}RangeCheck",
            {"Comparator": "EQ", "SoftHard": "Soft", f"{{{DEF}}}ItemOID": f"IT.{ds}.{var}"},
        )
        _text(rc, "CheckValue", val)


def _item_group_defs(mdv: etree._Element, sel: Sequence[DatasetMeta], files: Mapping[str, str], std_oid: str) -> None:
    """One ``ItemGroupDef`` per dataset: ItemRefs in order, ``def:Class`` and the ``def:leaf`` to its file."""
    for m in sel:
        attrs = {
            "OID": m.item_group_oid,
            "Name": m.name,
            "SASDatasetName": m.name,
            "Repeating": "No" if m.class_ == "SUBJECT LEVEL ANALYSIS DATASET" else "Yes",
            "IsReferenceData": "No",
            "Purpose": "Analysis",
            f"{{{DEF}}}Structure": m.structure or "Not specified",
            f"{{{DEF}}}StandardOID": std_oid,
            f"{{{DEF}}}ArchiveLocationID": _leaf_id(m),
        }
        if m.comment:
            attrs[f"{{{DEF}}}CommentOID"] = f"COM.{m.name}"
        ig = etree.SubElement(mdv, f"{{{ODM}}}ItemGroupDef", attrs)
        _description(ig, m.label)
        for i, c in enumerate(m.columns, start=1):
            ref = {"ItemOID": m.item_oid(c.name), "OrderNumber": str(i), "Mandatory": "Yes" if c.mandatory else "No"}
            if c.key_sequence:
                ref["KeySequence"] = str(c.key_sequence)
            if c.method:
                ref["MethodOID"] = c.method
            etree.SubElement(ig, f"{{{ODM}}}ItemRef", ref)
        if m.class_:
            etree.SubElement(ig, f"{{{DEF}}}Class", Name=m.class_)
        href = files.get(m.name, f"{m.name.lower()}.xpt")
        leaf = etree.SubElement(ig, f"{{{DEF}}}leaf", {"ID": _leaf_id(m), f"{{{XLINK}}}href": href})
        _text(leaf, "title", href, ns=DEF)


def _item_defs(mdv: etree._Element, sel: Sequence[DatasetMeta], value_lists: Mapping[tuple[str, str], list]) -> None:
    """One ``ItemDef`` per dataset variable: type, length, format, label, codelist, origin, value list."""
    for m in sel:
        for c in m.columns:
            attrs = {
                "OID": m.item_oid(c.name),
                "Name": c.name,
                "SASFieldName": c.name,
                "DataType": _DATATYPE.get(c.type, "text"),
            }
            if c.type == "text":
                if c.length:
                    attrs["Length"] = str(c.length)
            else:
                attrs["Length"] = "8"
            if c.display_format:
                attrs[f"{{{DEF}}}DisplayFormat"] = c.display_format
            if c.comment:
                attrs[f"{{{DEF}}}CommentOID"] = f"COM.{m.name}.{c.name}"
            it = etree.SubElement(mdv, f"{{{ODM}}}ItemDef", attrs)
            _description(it, c.label)
            if c.codelist:
                etree.SubElement(it, f"{{{ODM}}}CodeListRef", CodeListOID=f"CL.{c.codelist}")
            _origin(it, c.origin, c.predecessor)
            if (m.name, c.name) in value_lists:
                etree.SubElement(it, f"{{{DEF}}}ValueListRef", ValueListOID=f"VL.{m.name}.{c.name}")


def _value_item_defs(mdv: etree._Element, value_lists: Mapping[tuple[str, str], list]) -> None:
    """One value-level ``ItemDef`` per (dataset, variable, PARAMCD), labelled with the parameter."""
    for (ds, var), entries in value_lists.items():
        for v in entries:
            attrs = {
                "OID": f"IT.{ds}.{var}.{v.paramcd}",
                "Name": var,
                "SASFieldName": var,
                "DataType": _DATATYPE.get(v.type, "float"),
            }
            if v.type != "text":
                attrs["Length"] = "8"
            elif v.length:
                attrs["Length"] = str(v.length)
            if v.display_format:
                attrs[f"{{{DEF}}}DisplayFormat"] = v.display_format
            it = etree.SubElement(mdv, f"{{{ODM}}}ItemDef", attrs)
            _description(it, v.param)
            if v.codelist:
                etree.SubElement(it, f"{{{ODM}}}CodeListRef", CodeListOID=f"CL.{v.codelist}")
            _origin(it, v.origin, "")


def _codelist_defs(mdv: etree._Element, spec: Spec, used_cl: Sequence[str]) -> None:
    """The referenced ``CodeList``s: ``CodeListItem`` with decodes, ``EnumeratedItem`` without."""
    for cid in used_cl:
        cl = spec.codelists[cid]
        el = etree.SubElement(
            mdv, f"{{{ODM}}}CodeList", OID=f"CL.{cid}", Name=cl.name, DataType=_CL_DATATYPE.get(cl.data_type, "text")
        )
        decoded = any(t.decode for t in cl.terms)
        for t in cl.terms:
            coded = _coded(t.coded)
            if decoded:
                item = etree.SubElement(el, f"{{{ODM}}}CodeListItem", CodedValue=coded)
                _description(item, t.decode or coded, tag="Decode")
            else:
                etree.SubElement(el, f"{{{ODM}}}EnumeratedItem", CodedValue=coded)


def _method_defs(mdv: etree._Element, spec: Spec, used_mt: Sequence[str]) -> None:
    """The referenced ``MethodDef``s with the derivation text."""
    for mid in used_mt:
        mt = spec.methods[mid]
        el = etree.SubElement(mdv, f"{{{ODM}}}MethodDef", OID=mid, Name=mt.name or mid, Type="Computation")
        _description(el, mt.description)


def _comment_defs(mdv: etree._Element, comments: Sequence[tuple[str, str]]) -> None:
    """One ``def:CommentDef`` per ``(OID, text)``."""
    for oid, text in comments:
        el = etree.SubElement(mdv, f"{{{DEF}}}CommentDef", OID=oid)
        _description(el, text)


def _arm_displays(
    tlf: Mapping[str, Any], names: Sequence[str], metas: Mapping[str, DatasetMeta], problems: list[str]
) -> list:
    """The ARM displays of the TLF spec on the datasets of this define.xml; problems appended."""
    import dataclasses

    from .arm import arm_displays

    ds = tlf.get("datasets") or {}
    subject = str(
        ds.get("subject") or next((n for n in names if metas[n].class_ == "SUBJECT LEVEL ANALYSIS DATASET"), "ADSL")
    ).upper()
    bds = [n for n in names if metas[n].class_ == "BASIC DATA STRUCTURE"]
    analysis = str(ds.get("analysis") or (bds[0] if len(bds) == 1 else "ADEFF")).upper()
    out = []
    for d in arm_displays(tlf, subject=subject, analysis=analysis):
        keep = []
        for r in d.results:
            if not all(a.dataset in metas for a in r.datasets):
                continue  # a result on a dataset this define.xml does not describe
            sets = []
            for a in r.datasets:
                have = set(metas[a.dataset].names)
                where = a.where
                if where is not None:
                    for x, v, _ in where.conditions:
                        if v not in have and where.population:
                            problems.append(
                                f"analysis results metadata: {d.name} / {r.description}: population "
                                f"variable {x}.{v} is not a variable of {x} in the spec"
                            )
                    # an analysis dataset without the visit variable (e.g. time-to-event): no visit condition
                    cond = tuple(c for c in where.conditions if c[1] in have)
                    where = dataclasses.replace(where, conditions=cond) if cond else None
                sets.append(dataclasses.replace(a, where=where, variables=tuple(v for v in a.variables if v in have)))
            pid = r.parameter_oid if r.parameter_oid and "PARAMCD" in metas[analysis].names else None
            keep.append(dataclasses.replace(r, datasets=tuple(sets), parameter_oid=pid))
        if keep:
            out.append(dataclasses.replace(d, results=tuple(keep)))
    return out


def _arm_block(mdv: etree._Element, displays: list) -> None:
    """``def:leaf`` per document, then ``arm:AnalysisResultDisplays`` (ARM 1.0 element order)."""
    leaves = {}
    for d in displays:
        leaves[f"LF.{d.oid}"] = (d.file, d.name)
    leaves["LF.ARD"] = ("../tlf/ard.json", "Analysis results data (ARD)")
    for lid, (href, title) in leaves.items():
        leaf = etree.SubElement(mdv, f"{{{DEF}}}leaf", {"ID": lid, f"{{{XLINK}}}href": href})
        _text(leaf, "title", title, ns=DEF)
    ards = etree.SubElement(mdv, f"{{{ARM}}}AnalysisResultDisplays")
    for d in displays:
        rd = etree.SubElement(ards, f"{{{ARM}}}ResultDisplay", OID=d.oid, Name=d.name)
        _description(rd, d.description)
        etree.SubElement(rd, f"{{{DEF}}}DocumentRef", leafID=f"LF.{d.oid}")
        for r in d.results:
            attrs = {"OID": r.oid}
            if r.parameter_oid:
                attrs["ParameterOID"] = r.parameter_oid
            attrs["AnalysisReason"] = r.reason
            attrs["AnalysisPurpose"] = r.purpose
            ar = etree.SubElement(rd, f"{{{ARM}}}AnalysisResult", attrs)
            _description(ar, r.description)
            ads = etree.SubElement(ar, f"{{{ARM}}}AnalysisDatasets")
            for a in r.datasets:
                ad = etree.SubElement(ads, f"{{{ARM}}}AnalysisDataset", ItemGroupOID=f"IG.{a.dataset}")
                if a.where is not None:
                    etree.SubElement(ad, f"{{{DEF}}}WhereClauseRef", WhereClauseOID=a.where.oid)
                for v in a.variables:
                    etree.SubElement(ad, f"{{{ARM}}}AnalysisVariable", ItemOID=f"IT.{a.dataset}.{v}")
            doc = etree.SubElement(ar, f"{{{ARM}}}Documentation")
            _description(doc, r.documentation)
            pc = etree.SubElement(ar, f"{{{ARM}}}ProgrammingCode", Context="Python 3 (adamforge)")
            _text(pc, "Code", r.code, ns=ARM)
            etree.SubElement(pc, f"{{{DEF}}}DocumentRef", leafID="LF.ARD")


def _coded(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, bool):
        return "Y" if v else "N"
    return str(v)


def _origin(parent: etree._Element, origin: str, predecessor: str) -> None:
    if not origin:
        return
    o = etree.SubElement(parent, f"{{{DEF}}}Origin", Type=origin)
    if origin == "Predecessor" and predecessor:
        _description(o, predecessor)


def write_define(path: str | os.PathLike, spec: Spec, **kwargs: Any) -> bytes:
    """Write :func:`build_define` to ``path`` atomically; returns the bytes written."""
    data = build_define(spec, **kwargs)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return data


def define_variables(source: str | os.PathLike | bytes) -> dict[str, list[str]]:
    """Datasets and their variables (in ``OrderNumber`` order) as listed in a define.xml.

    ``source`` is a path or the document's bytes. Used to check that every dataset and
    variable in the XPT files appears in define.xml and vice versa.
    """
    doc = etree.fromstring(source) if isinstance(source, bytes) else etree.parse(os.fspath(source)).getroot()
    # a definition without a Name (not valid define.xml) is listed as ?OID, like an unknown OID
    items = {el.get("OID"): el.get("Name", f"?{el.get('OID')}") for el in doc.iter(f"{{{ODM}}}ItemDef")}
    out: dict[str, list[str]] = {}
    for ig in doc.iter(f"{{{ODM}}}ItemGroupDef"):
        refs = sorted(ig.findall(f"{{{ODM}}}ItemRef"), key=lambda r: int(r.get("OrderNumber", "0")))
        out[ig.get("Name", f"?{ig.get('OID')}")] = [items.get(r.get("ItemOID"), f"?{r.get('ItemOID')}") for r in refs]
    return out
