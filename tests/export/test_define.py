"""define.xml 2.1: XSD-valid, contents from the spec, reproducible, inconsistent spec refused."""

from __future__ import annotations

import os

import pytest
from lxml import etree

from adamforge.errors import DataError
from adamforge.export.define import NS, build_define, define_variables

odmlib = pytest.importorskip("odmlib")
XSD = os.path.join(os.path.dirname(odmlib.__file__), "schemas", "define", "2.1", "define2-1-0.xsd")


@pytest.fixture(scope="module")
def schema():
    return etree.XMLSchema(etree.parse(XSD))


def parse(xml: bytes):
    return etree.fromstring(xml)


def one(doc, xpath):
    found = doc.xpath(xpath, namespaces=NS)
    assert len(found) == 1, (xpath, found)
    return found[0]


def test_valid_against_define_2_1_xsd(tiny_spec, schema):
    doc = parse(build_define(tiny_spec))
    assert schema.validate(doc), schema.error_log


def test_reference_study_spec_valid_against_xsd(schema, spec_factory):
    import warnings

    from adamforge.adam.spec import load_spec
    from adamforge.context import default_spec_dir

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = load_spec(default_spec_dir())
    doc = parse(build_define(spec))
    assert schema.validate(doc), schema.error_log
    got = define_variables(etree.tostring(doc))
    assert list(got) == list(spec.datasets)
    for name, ds in spec.datasets.items():
        assert got[name] == list(ds.variables)


def test_root_and_study_attributes(tiny_spec):
    doc = parse(build_define(tiny_spec))
    assert doc.get("CreationDateTime") == "2026-03-04T05:06:07"
    assert doc.get(f"{{{NS['def']}}}Context") == "Submission"
    assert one(doc, "//odm:Study").get("OID") == "TINY-001"
    mdv = one(doc, "//odm:MetaDataVersion")
    assert mdv.get(f"{{{NS['def']}}}DefineVersion") == "2.1.0"
    std = one(doc, "//def:Standard")
    assert (std.get("Name"), std.get("Version"), std.get("Type")) == ("ADaMIG", "1.3", "IG")


def test_item_group_keys_class_and_leaf(tiny_spec):
    doc = parse(build_define(tiny_spec, files={"ADSL": "adsl.xpt", "ADEFF": "adeff.xpt"}))
    ig = one(doc, "//odm:ItemGroupDef[@Name='ADSL']")
    assert ig.get("Repeating") == "No" and ig.get("Purpose") == "Analysis"
    assert ig.get(f"{{{NS['def']}}}Structure") == "One record per subject"
    assert one(ig, "odm:Description/odm:TranslatedText").text == "Subject-Level Analysis Dataset"
    refs = ig.findall(f"{{{NS['odm']}}}ItemRef")
    assert [(r.get("ItemOID"), r.get("KeySequence")) for r in refs[:3]] == [
        ("IT.ADSL.STUDYID", "1"), ("IT.ADSL.USUBJID", "2"), ("IT.ADSL.AGE", None)]
    assert refs[0].get("Mandatory") == "Yes" and refs[2].get("Mandatory") == "No"
    assert one(ig, "odm:ItemRef[@ItemOID='IT.ADSL.EFFFL']").get("MethodOID") == "MT.EFFFL"
    assert one(ig, "def:Class").get("Name") == "SUBJECT LEVEL ANALYSIS DATASET"
    leaf = one(ig, "def:leaf")
    assert leaf.get(f"{{{NS['xlink']}}}href") == "adsl.xpt"
    assert ig.get(f"{{{NS['def']}}}ArchiveLocationID") == leaf.get("ID")
    assert one(doc, "//odm:ItemGroupDef[@Name='ADEFF']").get("Repeating") == "Yes"


def test_item_defs(tiny_spec):
    doc = parse(build_define(tiny_spec))
    it = one(doc, "//odm:ItemDef[@OID='IT.ADSL.TRTSDT']")
    assert (it.get("DataType"), it.get("Length"), it.get(f"{{{NS['def']}}}DisplayFormat")) == ("integer", "8", "DATE9.")
    assert one(it, "odm:Description/odm:TranslatedText").text == "Date of First Exposure to Treatment"
    assert one(it, "def:Origin").get("Type") == "Derived"
    sex = one(doc, "//odm:ItemDef[@OID='IT.ADSL.SEX']")
    assert (sex.get("DataType"), sex.get("Length")) == ("text", "1")
    assert one(sex, "odm:CodeListRef").get("CodeListOID") == "CL.SEX"
    org = one(sex, "def:Origin")
    assert org.get("Type") == "Predecessor" and one(org, "odm:Description/odm:TranslatedText").text == "DM.SEX"
    assert one(doc, "//odm:ItemDef[@OID='IT.ADEFF.AVISITN']").get("DataType") == "float"


def test_value_level_per_paramcd(tiny_spec):
    doc = parse(build_define(tiny_spec))
    aval = one(doc, "//odm:ItemDef[@OID='IT.ADEFF.AVAL']")
    assert one(aval, "def:ValueListRef").get("ValueListOID") == "VL.ADEFF.AVAL"
    vl = one(doc, "//def:ValueListDef[@OID='VL.ADEFF.AVAL']")
    refs = vl.findall(f"{{{NS['odm']}}}ItemRef")
    assert [r.get("ItemOID") for r in refs] == ["IT.ADEFF.AVAL.IGA", "IT.ADEFF.AVAL.EASI", "IT.ADEFF.AVAL.IGATS"]
    assert refs[2].get("MethodOID") == "MT.RESP"
    assert one(refs[0], "def:WhereClauseRef").get("WhereClauseOID") == "WC.ADEFF.AVAL.IGA"
    rc = one(doc, "//def:WhereClauseDef[@OID='WC.ADEFF.AVAL.IGA']/odm:RangeCheck")
    assert rc.get("Comparator") == "EQ" and rc.get(f"{{{NS['def']}}}ItemOID") == "IT.ADEFF.PARAMCD"
    assert one(rc, "odm:CheckValue").text == "IGA"
    vit = one(doc, "//odm:ItemDef[@OID='IT.ADEFF.AVAL.IGA']")
    assert (vit.get("Name"), vit.get("DataType")) == ("AVAL", "integer")
    assert one(vit, "odm:CodeListRef").get("CodeListOID") == "CL.IGA"
    assert one(doc, "//odm:ItemDef[@OID='IT.ADEFF.AVAL.EASI']").get("DataType") == "float"


def test_codelists_methods_comments(tiny_spec):
    doc = parse(build_define(tiny_spec))
    cls = [c.get("OID") for c in doc.iterfind(".//odm:CodeList", NS)]
    assert cls == ["CL.SEX", "CL.TRTPN", "CL.NY", "CL.PARAMCD", "CL.IGA"]  # CL.UNUSED left out
    trt = one(doc, "//odm:CodeList[@OID='CL.TRTPN']")
    assert trt.get("DataType") == "integer"
    items = trt.findall(f"{{{NS['odm']}}}CodeListItem")
    assert [(i.get("CodedValue"), one(i, "odm:Decode/odm:TranslatedText").text) for i in items] == [
        ("1", "Vehicle"), ("2", "RUX 1.5%")]
    pcd = one(doc, "//odm:CodeList[@OID='CL.PARAMCD']")
    assert [e.get("CodedValue") for e in pcd.findall(f"{{{NS['odm']}}}EnumeratedItem")] == ["IGA", "EASI", "IGATS"]
    mts = {m.get("OID"): one(m, "odm:Description/odm:TranslatedText").text for m in doc.iterfind(".//odm:MethodDef", NS)}
    assert "MT.UNUSED" not in mts
    assert mts["MT.RESP"] == "1 if IGA 0/1 with a 2-grade improvement, else 0."
    assert set(mts) == {"MT.TRT01P", "MT.TRTSDT", "MT.EFFFL", "MT.AVISIT", "MT.AVAL", "MT.RESP"}
    assert not doc.xpath("//def:CommentDef[@OID='COM.SYNTHETIC']", namespaces=NS)  # a sponsor's data: no notice
    from adamforge import SYNTHETIC_DATA_NOTICE

    sim = parse(build_define(tiny_spec, notice=SYNTHETIC_DATA_NOTICE))
    com = one(sim, "//def:CommentDef[@OID='COM.SYNTHETIC']/odm:Description/odm:TranslatedText")
    assert "Synthetic data" in com.text
    assert one(sim, "//odm:MetaDataVersion").get(f"{{{NS['def']}}}CommentOID") == "COM.SYNTHETIC"


def test_byte_identical_and_only_the_stamp_varies(tiny_spec, monkeypatch):
    a = build_define(tiny_spec)
    assert build_define(tiny_spec) == a
    from adamforge import clock
    monkeypatch.setenv("ADAMFORGE_TIMESTAMP", "2030-01-01T00:00:00")
    clock._reset_for_tests()
    b = build_define(tiny_spec)
    assert b != a and b.replace(b"2030-01-01T00:00:00", b"2026-03-04T05:06:07") == a


def test_define_variables_lists_datasets_in_order(tiny_spec):
    got = define_variables(build_define(tiny_spec))
    assert got == {
        "ADSL": ["STUDYID", "USUBJID", "AGE", "SEX", "TRT01PN", "TRTSDT", "EFFFL"],
        "ADEFF": ["STUDYID", "USUBJID", "PARAMCD", "PARAM", "AVISITN", "ADT", "AVAL", "AVALC"],
    }


def test_inconsistent_spec_refused_with_every_problem(tiny_raw, spec_factory):
    raw = tiny_raw
    raw["datasets"]["ADSL"]["variables"][3]["codelist"] = "SEXX"
    raw["datasets"]["ADSL"]["variables"][6]["method"] = "MT.NOPE"
    spec = spec_factory(raw)
    with pytest.raises(DataError) as ei:
        build_define(spec)
    assert "codelist SEXX is referenced but not defined in the spec" in ei.value.problems
    assert "method MT.NOPE is referenced but not defined in the spec" in ei.value.problems


def test_unknown_dataset_refused(tiny_spec):
    with pytest.raises(DataError) as ei:
        build_define(tiny_spec, datasets=["ADSL", "ADAE"])
    assert ei.value.problems == ["dataset ADAE is not in the spec"]
