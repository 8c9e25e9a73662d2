"""Dataset programs declared in the spec (adamforge.adam.program) on a tiny study made here.

The study: four subjects in DM, one a screen failure written in mixed case ("Scrnfail", as the
CDISC pilot writes it); DS holds randomization records (one subject twice). Expected values are
worked out by hand in the comments.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from adamforge.adam.program import program_order, required_inputs, run_programs
from adamforge.adam.spec import build_spec, load_spec
from adamforge.errors import DataError

DM = pd.DataFrame(
    {
        "STUDYID": ["S1"] * 4,
        "USUBJID": ["S1-01", "S1-02", "S1-03", "S1-04"],
        "ARMCD": ["PBO", "Scrnfail", "XAN", "XAN"],
        "AGE": [70, 66, 81, None],
        "RFXSTDTC": ["2014-01-02", "", "2014-02-10", ""],
    }
)
DS = pd.DataFrame(
    {
        "USUBJID": ["S1-01", "S1-03", "S1-03", "S1-04", "S1-02"],
        "DSDECOD": ["RANDOMIZED", "RANDOMIZED", "RANDOMIZED", "COMPLETED", "SCREEN FAILURE"],
        "DSSTDTC": ["2014-01-01", "2014-02-09", "2014-02-11", "2014-06-01", "2013-12-20"],
    }
)


def _var(name, type_="text", **kw):
    return {"name": name, "label": name.title(), "type": type_, "length": 20 if type_ == "text" else 8, **kw}


def _raw(programs, **extra):
    return {
        "datasets": {
            "ADSL": {
                "label": "Subject-Level",
                "class": "SUBJECT LEVEL ANALYSIS DATASET",
                "keys": ["USUBJID"],
                "variables": [
                    _var("STUDYID", origin="Predecessor", predecessor="DM.STUDYID"),
                    _var("USUBJID", origin="Predecessor", predecessor="DM.USUBJID"),
                    _var("AGE", "integer", origin="Predecessor", predecessor="DM.AGE"),
                    _var("RANDDT", "date", method="MT.RANDDT"),
                    _var("ITTFL", method="MT.RANDDT"),
                    _var("OLDFL", method="MT.OLDFL"),
                ],
            }
        },
        "methods": {
            "MT.RANDDT": {"description": "First DS.DSSTDTC where DSDECOD = RANDOMIZED."},
            "MT.OLDFL": {
                "description": "Y if AGE >= 75.",
                "function": "derive_var_flag_if",
                "args": {"new_var": "OLDFL", "condition": {"AGE": {"ge": 75}}},
            },
        },
        "programs": programs,
        **extra,
    }


ADSL_PROGRAM = {
    "class": "ADSL",
    "population": {"from": "DM", "where": {"not": {"ARMCD": {"in_ci": ["SCRNFAIL"]}}}},
    "steps": [
        {
            "method": "MT.RANDDT",
            "derive": "derive_vars_merged",
            "inputs": [{"from": "DS", "where": {"DSDECOD": "RANDOMIZED"}, "keep": ["USUBJID", "DSSTDTC"]}],
            "args": {
                "by_vars": ["USUBJID"],
                "new_vars": {"RANDDTC": "DSSTDTC"},
                "order": ["DSSTDTC"],
                "mode": "first",
                "exist_flag": "ITTFL",
            },
        },
        {"derive": "derive_vars_dt", "args": {"dtc": "RANDDTC", "new_var": "RANDDT"}},
        {"method": "MT.OLDFL"},
        {"drop": ["RANDDTC"]},
    ],
}


def _spec(programs=None, **extra):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_spec(_raw(programs or {"ADSL": ADSL_PROGRAM}, **extra))


def test_program_runs_population_predecessors_steps():
    spec = _spec()
    assert spec.problems == ()
    run = run_programs({"DM": DM, "DS": DS}, spec)
    adsl = run.datasets["ADSL"]
    # Scrnfail (any case) is out; predecessors STUDYID, USUBJID, AGE copied from DM (keep: predecessors)
    assert adsl["USUBJID"].tolist() == ["S1-01", "S1-03", "S1-04"]
    assert list(adsl.columns[:3]) == ["STUDYID", "USUBJID", "AGE"]
    # S1-03 has two RANDOMIZED records: the first by DSSTDTC is 2014-02-09; S1-04 none
    assert [None if pd.isna(d) else str(d.date()) for d in adsl["RANDDT"]] == ["2014-01-01", "2014-02-09", None]
    assert adsl["ITTFL"].tolist() == ["Y", "Y", "N"]
    # AGE 70 -> N, 81 -> Y, missing -> N (a missing value meets no comparison)
    assert adsl["OLDFL"].tolist() == ["N", "Y", "N"]
    assert "RANDDTC" not in adsl.columns
    assert run.log[0] == "ADSL: population DM WHERE NOT (ARMCD IN (any case) ('SCRNFAIL')): 3 record(s)"


def test_work_dataset_and_order_by_what_programs_read():
    programs = {
        "ADSL": {"class": "ADSL", "population": {"from": "RAND", "keep": "all"}, "steps": []},
        "RAND": {
            "class": "OTHER",
            "output": False,
            "population": {"from": "DS", "where": {"DSDECOD": "RANDOMIZED"}, "keep": ["USUBJID", "DSSTDTC"]},
            "steps": [{"filter": {"DSSTDTC": {"lt": "2014-02-10"}}}],
        },
    }
    spec = _spec(programs)
    assert program_order(spec.programs) == ["RAND", "ADSL"]
    run = run_programs({"DS": DS}, spec)
    assert run.datasets["ADSL"]["USUBJID"].tolist() == ["S1-01", "S1-03"]  # 2014-02-11 is not before 02-10


def test_required_inputs_follow_the_programs():
    spec = _spec()
    assert required_inputs(spec) == {
        "DM": ("AGE", "ARMCD", "STUDYID", "USUBJID"),
        "DS": ("DSDECOD", "DSSTDTC", "USUBJID"),
    }


def test_spec_problems_all_at_once_naming_file_dataset_step_argument():
    bad = {
        "class": "ADSL",
        "population": {"from": "DM", "where": {"ARMCD": {"like": "X%"}}},
        "steps": [
            {"derive": "derive_vars_magic", "args": {"x": 1}},
            {"derive": "derive_vars_merged", "inputs": [{"from": "DS"}], "args": {"by_vars": "USUBJID", "mode": 1}},
            {"derive": "derive_vars_dt", "args": {"dtc": "X"}},
            {"derive": "derive_vars_dt", "inputs": [{"from": "DS"}], "args": {"dtc": "X", "new_var": "Y"}},
        ],
    }
    spec = _spec(
        {
            "ADSL": bad,
            "OTHER": {
                "class": "OTHER",
                "output": False,
                "population": {"from": "ADSL"},
                "steps": [{"keep": "USUBJID"}],
            },
        }
    )
    probs = "\n".join(spec.problems)
    assert "program ADSL population: filter on ARMCD: unknown operator 'like'" in probs
    assert (
        "program ADSL step 1 (derive_vars_magic): function 'derive_vars_magic' is not a registered derivation" in probs
    )
    assert (
        "program ADSL step 2 (derive_vars_merged): argument 'by_vars' of derive_vars_merged must be a list or a mapping, got text 'USUBJID'"
        in probs
    )
    assert "argument 'mode' of derive_vars_merged must be text or null, got a number 1" in probs
    assert "program ADSL step 3 (derive_vars_dt): required argument 'new_var' of derive_vars_dt is missing" in probs
    assert "program ADSL step 4 (derive_vars_dt): derive_vars_dt takes 1 dataset(s) and gets 2" in probs
    assert "program OTHER step 1 (keep): keep takes a list of variable names" in probs


def test_cycle_between_programs_is_a_problem():
    programs = {
        "ADSL": {"class": "ADSL", "population": {"from": "WORK", "keep": "all"}, "steps": []},
        "WORK": {"class": "OTHER", "output": False, "population": {"from": "ADSL", "keep": "all"}, "steps": []},
    }
    spec = _spec(programs)
    assert any("programs cycle: " in p and "ADSL" in p and "WORK" in p for p in spec.problems)
    with pytest.raises(DataError, match="cycle"):
        run_programs({}, spec)


def test_filter_on_a_variable_the_source_lacks_is_named_at_run_time():
    prog = dict(ADSL_PROGRAM, population={"from": "DM", "where": {"ARMXX": "PBO"}})
    spec = _spec({"ADSL": prog})
    with pytest.raises(DataError) as ei:
        run_programs({"DM": DM, "DS": DS}, spec)
    assert ei.value.problems == ["program ADSL population: input DM: filter reads variable ARMXX, which the data lack"]


def test_a_derivation_rejecting_its_data_names_the_step():
    prog = dict(
        ADSL_PROGRAM, steps=[dict(ADSL_PROGRAM["steps"][0], args={"by_vars": ["USUBJID"], "new_vars": ["DSSTDTC"]})]
    )
    spec = _spec({"ADSL": prog})
    with pytest.raises(DataError) as ei:  # S1-03 has two RANDOMIZED records and no mode: not unique
        run_programs({"DM": DM, "DS": DS}, spec)
    assert str(ei.value).startswith("program ADSL step 1 (derive_vars_merged, MT.RANDDT):")


def test_missing_input_domain_is_named():
    with pytest.raises(DataError) as ei:
        run_programs({"DM": DM}, _spec())
    assert (
        "reads DS, which is neither an SDTM domain of the input folder nor a dataset built before"
        in ei.value.problems[0]
    )


def test_spec_without_programs_cannot_derive():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = build_spec({k: v for k, v in _raw({}).items() if k != "programs"})
    with pytest.raises(DataError, match="no programs"):
        run_programs({"DM": DM}, spec)


# ---- plugins --------------------------------------------------------------------------------------

PLUGIN = '''
from adamforge.adam import derivation

@derivation
def derive_var_agecat_study(dataset, *, cut: int, new_var: str):
    """The study's own age category."""
    out = dataset.copy()
    out[new_var] = ["OLD" if a >= cut else "YOUNG" for a in dataset["AGE"].fillna(0)]
    return out
'''


def _folder(tmp_path, plugin_text=PLUGIN, plugins=("derivations.py",)):
    import yaml

    prog = dict(
        ADSL_PROGRAM,
        steps=[*ADSL_PROGRAM["steps"], {"derive": "derive_var_agecat_study", "args": {"cut": 80, "new_var": "AGECAT"}}],
    )
    raw = _raw({"ADSL": prog}, plugins=list(plugins))
    (tmp_path / "adam_spec.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    if plugin_text is not None:
        (tmp_path / "derivations.py").write_text(plugin_text, encoding="utf-8")
    return tmp_path


def test_plugin_derivation_is_loaded_checked_and_run(tmp_path):
    import hashlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = load_spec(_folder(tmp_path))
    (plug,) = spec.plugins
    assert plug.sha256 == hashlib.sha256((tmp_path / "derivations.py").read_bytes()).hexdigest()
    assert set(plug.functions) == {"derive_var_agecat_study"}
    adsl = run_programs({"DM": DM, "DS": DS}, spec).datasets["ADSL"]
    assert adsl["AGECAT"].tolist() == ["YOUNG", "OLD", "YOUNG"]


def test_plugin_that_fails_to_import_is_a_named_problem(tmp_path):
    with pytest.raises(DataError) as ei:
        load_spec(_folder(tmp_path, plugin_text="import not_a_module_anywhere\n"))
    assert any("plugin 'derivations.py' failed to import: ModuleNotFoundError" in p for p in ei.value.problems)


def test_plugin_outside_the_spec_folder_is_refused(tmp_path):
    inner = tmp_path / "spec"
    inner.mkdir()
    (tmp_path / "evil.py").write_text(PLUGIN, encoding="utf-8")
    with pytest.raises(DataError) as ei:
        load_spec(_folder(inner, plugin_text=None, plugins=("../evil.py",)))
    assert any("is not inside the spec folder" in p for p in ei.value.problems)


def test_plugin_may_not_replace_a_builtin(tmp_path):
    text = "from adamforge.adam import derivation\n\n@derivation(name='derive_vars_dt')\ndef mine(dataset, *, x: int):\n    return dataset\n"
    with pytest.raises(DataError) as ei:
        load_spec(_folder(tmp_path, plugin_text=text))
    assert any("derivation 'derive_vars_dt' clashes with a built-in derivation" in p for p in ei.value.problems)


def test_programs_survive_the_excel_workbook(tmp_path):
    from adamforge.adam.excel import read_spec_xlsx, write_spec_xlsx

    spec = _spec()
    write_spec_xlsx(spec, tmp_path / "spec.xlsx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = read_spec_xlsx(tmp_path / "spec.xlsx")
    assert dict(back.programs) == dict(spec.programs)


def test_programs_with_problems_are_not_run_under_any_policy():
    """A wrong argument type is only a warning when the spec loads (policy dev), but derive stops."""
    prog = dict(ADSL_PROGRAM, steps=[{"derive": "derive_vars_dt", "args": {"dtc": 5, "new_var": "X"}}])
    spec = _spec({"ADSL": prog})
    assert spec.problems  # dev policy: the spec loads with the problem as a warning
    with pytest.raises(DataError, match="nothing derived") as ei:
        run_programs({"DM": DM, "DS": DS}, spec)
    assert ei.value.problems == [
        "program ADSL step 1 (derive_vars_dt): argument 'dtc' of derive_vars_dt must be text, got a number 5"
    ]
