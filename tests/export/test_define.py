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
        ("IT.ADSL.STUDYID", "1"),
        ("IT.ADSL.USUBJID", "2"),
        ("IT.ADSL.AGE", None),
    ]
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
        ("1", "Vehicle"),
        ("2", "RUX 1.5%"),
    ]
    pcd = one(doc, "//odm:CodeList[@OID='CL.PARAMCD']")
    assert [e.get("CodedValue") for e in pcd.findall(f"{{{NS['odm']}}}EnumeratedItem")] == ["IGA", "EASI", "IGATS"]
    mts = {
        m.get("OID"): one(m, "odm:Description/odm:TranslatedText").text for m in doc.iterfind(".//odm:MethodDef", NS)
    }
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


# -- analysis results metadata (ARM 1.0) ----------------------------------------------------------

ARM_XSD = os.path.join(os.path.dirname(odmlib.__file__), "schemas", "arm", "1.0-define2.1", "arm1-0-0.xsd")
ARM = NS["arm"]

TINY_TLF = {
    "datasets": {"subject": "ADSL", "analysis": "ADEFF"},
    "analysis_visit": "Week 8",
    "arms": {"variable": "TRT01PN", "levels": [{"value": 1, "label": "Vehicle"}, {"value": 2, "label": "RUX 1.5%"}]},
    "model": {"covariates": ["STUDYID"], "ci_level": 0.95, "cmh_strata": "STUDYID"},
    "populations": {"EFF": {"label": "Efficacy-evaluable", "where": {"EFFFL": "Y"}}},
    "outputs": [
        {
            "id": "Table 1",
            "kind": "baseline",
            "title": "Baseline characteristics",
            "population": "EFF",
            "columns": [{"id": "VEH", "population": "EFF", "arm": 1}],
            "rows": [
                {"id": "AGE", "label": "Age, median (range)", "var": "AGE", "stat": "median_range"},
                {"id": "HDR", "label": "Sex", "stat": "header"},
                {"id": "FEMALE", "label": "Female", "var": "SEX", "stat": "n_pct", "level": "F"},
            ],
        },
        {
            "id": "Table 2",
            "kind": "response",
            "title": "IGA-TS at Week 8",
            "population": "EFF",
            "a_field_added_later": {"layers": []},
            "endpoints": [{"paramcd": "IGATS", "label": "IGA-TS", "denominator": "all"}],
        },
        {"id": "Figure 2", "kind": "figure", "source": "Table 2", "paramcd": "IGATS", "title": "IGA-TS by arm"},
        {"id": "Listing 1", "kind": "listing", "title": "Listing", "population": "EFF"},
    ],
}


@pytest.fixture(scope="module")
def arm_schema():
    return etree.XMLSchema(etree.parse(ARM_XSD))


def _kids(el):
    return [
        etree.QName(c).localname
        if etree.QName(c).namespace == NS["odm"]
        else f"{ {NS['def']: 'def', ARM: 'arm'}[etree.QName(c).namespace] }:{etree.QName(c).localname}"
        for c in el
    ]


def test_arm_valid_against_the_arm_1_0_xsd_for_define_2_1(tiny_spec, arm_schema, schema):
    xml = build_define(tiny_spec, results=TINY_TLF)
    doc = parse(xml)
    assert arm_schema.validate(doc), arm_schema.error_log
    assert schema.validate(parse(build_define(tiny_spec)))  # without results: plain Define-XML 2.1
    assert build_define(tiny_spec, results=TINY_TLF) == xml  # same inputs, same bytes
    assert b'xmlns:arm="http://www.cdisc.org/ns/arm/v1.0"' in xml
    assert b"xmlns:arm" not in build_define(tiny_spec)


def test_arm_block_element_by_element(tiny_spec):
    doc = parse(build_define(tiny_spec, results=TINY_TLF))
    mdv = one(doc, "//odm:MetaDataVersion")
    # ARM comes last in MetaDataVersion, after the def:leaf documents it points to
    kids = _kids(mdv)
    assert kids[-1] == "arm:AnalysisResultDisplays"
    assert kids[-5:-1] == ["def:leaf"] * 4
    assert kids.index("def:WhereClauseDef") < kids.index("ItemGroupDef")
    leaves = {lf.get("ID"): lf.get(f"{{{NS['xlink']}}}href") for lf in mdv.findall(f"{{{NS['def']}}}leaf")}
    assert leaves == {
        "LF.RD.Table_1": "../tlf/table_1.docx",
        "LF.RD.Table_2": "../tlf/table_2.docx",
        "LF.RD.Figure_2": "../tlf/figure_2.docx",
        "LF.ARD": "../tlf/ard.json",
    }
    rds = doc.xpath("//arm:ResultDisplay", namespaces=NS)
    assert [(r.get("OID"), r.get("Name")) for r in rds] == [
        ("RD.Table_1", "Table 1"),
        ("RD.Table_2", "Table 2"),
        ("RD.Figure_2", "Figure 2"),
    ]  # no listing
    t1 = rds[0]
    assert _kids(t1) == [
        "Description",
        "def:DocumentRef",
        "arm:AnalysisResult",
        "arm:AnalysisResult",
    ]  # header row skipped
    assert one(t1, "def:DocumentRef").get("leafID") == "LF.RD.Table_1"
    t2 = rds[1]
    ar = one(t2, "arm:AnalysisResult")
    assert dict(ar.attrib) == {
        "OID": "AR.Table_2.IGATS",
        "ParameterOID": "IT.ADEFF.PARAMCD",
        "AnalysisReason": "SPECIFIED IN SAP",
        "AnalysisPurpose": "SECONDARY OUTCOME MEASURE",
    }
    assert _kids(ar) == ["Description", "arm:AnalysisDatasets", "arm:Documentation", "arm:ProgrammingCode"]
    assert one(ar, "odm:Description/odm:TranslatedText").text == "IGA-TS"
    ads = ar.findall(f"{{{ARM}}}AnalysisDatasets/{{{ARM}}}AnalysisDataset")
    assert [a.get("ItemGroupOID") for a in ads] == ["IG.ADSL", "IG.ADEFF"]
    assert _kids(ads[0]) == ["def:WhereClauseRef", "arm:AnalysisVariable", "arm:AnalysisVariable"]
    assert [v.get("ItemOID") for v in ads[0].findall(f"{{{ARM}}}AnalysisVariable")] == [
        "IT.ADSL.TRT01PN",
        "IT.ADSL.STUDYID",
    ]
    assert [v.get("ItemOID") for v in ads[1].findall(f"{{{ARM}}}AnalysisVariable")] == ["IT.ADEFF.AVAL"]
    pop = one(ads[0], "def:WhereClauseRef").get("WhereClauseOID")
    rc = one(doc, f"//def:WhereClauseDef[@OID='{pop}']/odm:RangeCheck")
    assert (rc.get("Comparator"), rc.get(f"{{{NS['def']}}}ItemOID"), one(rc, "odm:CheckValue").text) == (
        "EQ",
        "IT.ADSL.EFFFL",
        "Y",
    )
    par = one(ads[1], "def:WhereClauseRef").get("WhereClauseOID")
    checks = doc.xpath(f"//def:WhereClauseDef[@OID='{par}']/odm:RangeCheck", namespaces=NS)
    # the tiny ADEFF has no AVISIT: the parameter condition only
    assert [(c.get(f"{{{NS['def']}}}ItemOID"), one(c, "odm:CheckValue").text) for c in checks] == [
        ("IT.ADEFF.PARAMCD", "IGATS")
    ]
    doc_text = one(ar, "arm:Documentation/odm:Description/odm:TranslatedText").text
    assert "Logistic regression" in doc_text and "Firth" in doc_text and "Cochran-Mantel-Haenszel" in doc_text
    assert "missing AVAL counted as not achieved" in doc_text
    code = one(ar, "arm:ProgrammingCode")
    assert code.get("Context").startswith("Python")
    assert _kids(code) == ["arm:Code", "def:DocumentRef"]
    assert "output_id == 'Table 2' and parameter == 'IGATS'" in one(code, "arm:Code").text
    assert one(code, "def:DocumentRef").get("leafID") == "LF.ARD"
    # every reference resolves
    oids = {e.get("OID") for e in doc.iter() if e.get("OID")}
    for attr in ("ItemOID", "ItemGroupOID", "WhereClauseOID", "ParameterOID"):
        for e in doc.xpath(f"//*[@{attr}]"):
            assert e.get(attr) in oids, (attr, e.get(attr))
    assert {e.get("leafID") for e in doc.xpath("//def:DocumentRef", namespaces=NS)} <= set(leaves)


def test_arm_of_the_reference_study_is_schema_valid_and_matches_its_ard(arm_schema):
    import warnings

    import pandas as pd

    from adamforge.adam.spec import load_spec
    from adamforge.context import default_spec_dir
    from adamforge.export.arm import ard_mismatches, arm_displays
    from adamforge.yamlsafe import load_yaml

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = load_spec(default_spec_dir())
    tlf = load_yaml(default_spec_dir() / "tlf.yaml")
    xml = build_define(spec, results=tlf)
    doc = parse(xml)
    assert arm_schema.validate(doc), arm_schema.error_log
    assert build_define(spec, results=tlf) == xml
    names = [r.get("Name") for r in doc.xpath("//arm:ResultDisplay", namespaces=NS)]
    assert names == [str(o["id"]) for o in tlf["outputs"] if o["kind"] != "listing"]
    t2 = one(doc, "//arm:ResultDisplay[@Name='Table 2']")
    assert [a.get("OID") for a in t2.findall(f"{{{ARM}}}AnalysisResult")] == [
        f"AR.Table_2.{e['paramcd']}" for e in next(o for o in tlf["outputs"] if o["id"] == "Table 2")["endpoints"]
    ]
    # an ARD with exactly the (output, parameter) pairs of the spec agrees; one extra or missing pair is named
    displays = arm_displays(tlf, subject="ADSL", analysis="ADEFF")
    ard = pd.DataFrame(
        [(r.output_id, r.parameter) for d in displays for r in d.results] + [("Table 2", "BIGN")],
        columns=["output_id", "parameter"],
    )
    assert ard_mismatches(displays, ard) == []
    bad = pd.concat([ard.iloc[1:], pd.DataFrame([("Table 2", "XYZ")], columns=["output_id", "parameter"])])
    assert ard_mismatches(displays, bad) == [
        "ARD Table 2 / XYZ: no analysis result in define.xml",
        "define.xml result Table 1 / AGE: no statistic in the ARD",
    ]


def test_arm_population_variable_missing_is_refused(tiny_spec):
    tlf = {**TINY_TLF, "populations": {"EFF": {"where": {"NOPEFL": "Y"}}}}
    with pytest.raises(DataError) as ei:
        build_define(tiny_spec, results=tlf)
    assert any("population variable ADSL.NOPEFL is not a variable of ADSL" in p for p in ei.value.problems)


def test_arm_results_on_datasets_not_exported_are_left_out(tiny_spec, arm_schema):
    doc = parse(build_define(tiny_spec, datasets=["ADSL"], results=TINY_TLF))
    assert [r.get("Name") for r in doc.xpath("//arm:ResultDisplay", namespaces=NS)] == ["Table 1"]
    assert arm_schema.validate(doc), arm_schema.error_log
