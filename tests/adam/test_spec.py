"""Spec model: loading the reference spec, the cross-check (every problem at once), the policy."""

from __future__ import annotations

import dataclasses
import shutil
import warnings

import pytest
import yaml

from adamforge.adam.spec import SpecWarning, load_spec
from adamforge.context import default_spec_dir
from adamforge.errors import DataError


@pytest.fixture
def spec_copy(tmp_path):
    for f in default_spec_dir().glob("adam_*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def _edit(folder, name, fn):
    p = folder / name
    data = yaml.safe_load(p.read_text())
    fn(data)
    p.write_text(yaml.safe_dump(data, sort_keys=False))


def test_reference_spec_loads_clean_under_submission_policy():
    spec = load_spec(default_spec_dir(), policy="submission")
    assert spec.problems == ()
    adsl = spec.datasets["ADSL"]
    assert adsl.keys == ("STUDYID", "USUBJID")
    assert adsl.var_names[:2] == ("STUDYID", "USUBJID")
    assert adsl.variables["EFFFL"].method == "MT.EFFFL"
    assert adsl.variables["TRTSDT"].type == "date"
    assert spec.method_args("MT.EFFFL") == {"excluded_sites": ["114", "139", "226"], "new_var": "EFFFL"}
    assert [w.avisit for w in spec.windows] == ["Week 2", "Week 4", "Week 8"]
    assert spec.window("Week 8").target == 57
    assert spec.endpoint("QOLR").cases[1].when["QOLINST"] == "CDLQI"
    assert {v.paramcd for v in spec.value_level_for("ADEFF")} >= {"IGA", "ITCHNRS", "TSCPRIGA"}
    assert spec.codelists["TRTPN"].decode_map() == {1: "Vehicle", 2: "RUX 0.75%", 3: "RUX 1.5%"}
    assert all(f.name.startswith("adam_") for f in spec.files)


def test_spec_model_is_frozen():
    spec = load_spec(default_spec_dir())
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.datasets["ADSL"].label = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        spec.datasets["NEW"] = None  # type: ignore[index]


def _break_everything(folder):
    def ds(d):
        adsl = d["datasets"]["ADSL"]
        adsl["keys"].append("NOSUCHVAR")
        adsl["variables"].append(
            {
                "name": "TOOLONGNAME",
                "label": "x" * 41,
                "type": "text",
                "origin": "Derived",
                "method": "MT.MISSING",
                "codelist": "CL.MISSING",
            }
        )

    _edit(folder, "adam_datasets.yaml", ds)

    def cl(d):
        d["codelists"]["UNUSED"] = {"name": "Unused", "terms": ["A"]}

    _edit(folder, "adam_codelists.yaml", cl)

    def mt(d):
        d["methods"]["MT.UNUSED"] = {"name": "u", "description": "unused"}
        d["methods"]["MT.EFFFL"]["args"]["excluded_site"] = ["1"]  # misspelt argument
        d["methods"]["MT.REGION1"]["function"] = "no_such_function"

    _edit(folder, "adam_methods.yaml", mt)

    def an(d):
        d["endpoints"][0]["criterion"] = {"chg_lte": -2}
        d["endpoints"][1]["criterion"] = {"chg_le": {"value": -1, "extra": 1}}

    _edit(folder, "adam_analysis.yaml", an)


EXPECTED = [
    "ADSL: key variable NOSUCHVAR is not a variable of the dataset",
    "ADSL.TOOLONGNAME: name must be an upper-case SAS name of at most 8 characters",
    "ADSL.TOOLONGNAME: label longer than 40 characters (41)",
    "ADSL.TOOLONGNAME: method MT.MISSING is referenced but not defined",
    "ADSL.TOOLONGNAME: codelist CL.MISSING is referenced but not defined",
    "codelist UNUSED: defined but not used",
    "method MT.UNUSED: defined but not used",
    # methods run by program steps are checked with the step that runs them (file, program, step)
    "adam_programs.yaml: program ADSLCORE step 14 (MT.EFFFL): argument 'excluded_site' is not a keyword argument of derive_var_efffl",
    "adam_programs.yaml: program ADSLCORE step 1 (MT.REGION1): function 'no_such_function' is not a registered derivation",
    "endpoint IGATS: criterion 'chg_lte' is not in the criteria registry",
    "endpoint IGAR1: criterion chg_le: argument 'extra' is not a keyword argument of chg_le",
]


def test_cross_check_reports_every_problem_at_once_under_submission(spec_copy):
    _break_everything(spec_copy)
    with pytest.raises(DataError) as ei:
        load_spec(spec_copy, policy="submission")
    text = "\n".join(ei.value.problems)
    for e in EXPECTED:
        assert e in text, e
    assert len(ei.value.problems) == len(EXPECTED)


def test_cross_check_warns_under_dev_and_returns_the_spec(spec_copy):
    _break_everything(spec_copy)
    with pytest.warns(SpecWarning, match=r"spec check found 11 problem\(s\)"):
        spec = load_spec(spec_copy, policy="dev")
    assert len(spec.problems) == 11


def test_composite_with_undefined_component_and_unknown_visit(spec_copy):
    def an(d):
        d["endpoints"].append(
            {"paramcd": "NEWCOMP", "param": "x", "paramn": 200, "avisit": "Week 9", "components": ["EASI50", "NOPE"]}
        )

    _edit(spec_copy, "adam_analysis.yaml", an)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpecWarning)
        spec = load_spec(spec_copy)
    assert "endpoint NEWCOMP: visit 'Week 9' has no window" in spec.problems
    assert "endpoint NEWCOMP: component NOPE is not a defined endpoint" in spec.problems
    assert "endpoint NEWCOMP: no value-level entry for PARAMCD NEWCOMP" in spec.problems


def test_malformed_yaml_and_unknown_section_are_errors(spec_copy):
    (spec_copy / "adam_zz.yaml").write_text("bogus: 1\nwindows: [\n")
    with pytest.raises(DataError) as ei:
        load_spec(spec_copy)
    assert any("adam_zz.yaml: not valid YAML" in p for p in ei.value.problems)


def test_other_steps_yaml_in_the_folder_is_ignored(spec_copy):
    (spec_copy / "tlf.yaml").write_text("study: a string\noutputs: []\n")
    assert load_spec(spec_copy, policy="submission").problems == ()


def test_overlapping_windows_and_day_zero(spec_copy):
    def an(d):
        d["windows"][1]["lo"] = 20
        d["windows"].append({"avisit": "Day 0", "avisitn": 99, "target": 0, "lo": 0, "hi": 0})

    _edit(spec_copy, "adam_analysis.yaml", an)
    with pytest.warns(SpecWarning):
        spec = load_spec(spec_copy)
    assert "windows Week 2 and Week 4 overlap" in spec.problems
    assert "window Day 0: there is no study day 0" in spec.problems
