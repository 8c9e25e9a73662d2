"""Filters as data (adamforge.adam.filters): every operator, missing values, logic, checks, words."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adamforge.adam.filters import OPERATORS, FilterError, check, describe, evaluate, variables


@pytest.fixture
def df():
    return pd.DataFrame(
        {
            "ARMCD": ["Pbo", " Scrnfail ", "Xan_Hi", "", None],
            "AGE": [70.0, 80.0, np.nan, 65.0, 75.0],
            "AGEGR": ["70", "80", "", "65", "75"],
            "TRTSDT": pd.to_datetime(["2014-01-02", "2014-02-01", None, "2013-12-31", "2014-01-31"]),
            "TRTEDT": pd.to_datetime(["2014-03-01", "2014-01-15", "2014-01-01", None, "2014-01-31"]),
            "DTC": ["2014-01-02", "2014-02", "", "2013-12-31T10:00", "2014-01-31"],
        }
    )


def _rows(df, flt):
    return [i for i, ok in enumerate(evaluate(df, flt)) if ok]


@pytest.mark.parametrize(
    "flt,rows",
    [
        (None, [0, 1, 2, 3, 4]),
        ({}, [0, 1, 2, 3, 4]),
        ({"ARMCD": "Pbo"}, [0]),  # shorthand for eq
        ({"ARMCD": {"ne": "Pbo"}}, [1, 2]),  # missing satisfies no operator
        ({"ARMCD": {"in": ["Pbo", "Xan_Hi"]}}, [0, 2]),
        ({"ARMCD": {"not_in": ["Pbo"]}}, [1, 2]),
        ({"ARMCD": {"eq_ci": "SCRNFAIL"}}, [1]),  # case and edge blanks ignored
        ({"ARMCD": {"in_ci": ["pbo", "xan_hi"]}}, [0, 2]),
        ({"ARMCD": {"not_in_ci": ["SCRNFAIL"]}}, [0, 2]),
        ({"ARMCD": {"starts_with": "Xan"}}, [2]),
        ({"ARMCD": {"contains": "fail"}}, [1]),
        ({"ARMCD": {"missing": True}}, [3, 4]),  # blank text and None
        ({"ARMCD": {"missing": False}}, [0, 1, 2]),
        ({"AGE": {"lt": 75}}, [0, 3]),  # NaN is not smaller than anything
        ({"AGE": {"le": 75}}, [0, 3, 4]),
        ({"AGE": {"gt": 75}}, [1]),
        ({"AGE": {"ge": 70, "lt": 80}}, [0, 4]),  # several operators: all hold
        ({"AGE": 80}, [1]),
        ({"AGEGR": 80}, [1]),  # a number against text: compared as text
        ({"AGEGR": {"in": [65, 75]}}, [3, 4]),
        ({"TRTSDT": {"ge": "2014-01-31"}}, [1, 4]),  # a date as ISO text on a date column
        ({"TRTSDT": "2014-01-31"}, [4]),
        ({"DTC": {"lt": "2014-01-31"}}, [0, 3]),  # ISO 8601 text compares in time order
        ({"TRTEDT": {"ge_var": "TRTSDT"}}, [0, 4]),  # either date missing: false
        ({"TRTEDT": {"lt_var": "TRTSDT"}}, [1]),
        ({"TRTEDT": {"eq_var": "TRTSDT"}}, [4]),
        ({"TRTEDT": {"ne_var": "TRTSDT"}}, [0, 1]),
        ({"AGE": {"gt_var": "AGEGR"}}, []),  # text holding numbers is compared as numbers
        ({"AGE": {"ge_var": "AGEGR"}}, [0, 1, 3, 4]),
    ],
)
def test_operators(df, flt, rows):
    assert _rows(df, flt) == rows


def test_logic_all_any_not_and_several_variables(df):
    assert _rows(df, {"ARMCD": "Pbo", "AGE": {"ge": 70}}) == [0]
    assert _rows(df, {"all": [{"AGE": {"ge": 70}}, {"AGE": {"lt": 80}}]}) == [0, 4]
    assert _rows(df, {"any": [{"ARMCD": "Pbo"}, {"AGE": {"missing": True}}]}) == [0, 2]
    assert _rows(df, {"not": {"ARMCD": {"in_ci": ["SCRNFAIL"]}}}) == [0, 2, 3, 4]  # missing: not excluded
    sas_lt = {"any": [{"AGE": {"lt": 75}}, {"AGE": {"missing": True}}]}  # SAS's "missing is smallest"
    assert _rows(df, sas_lt) == [0, 2, 3]


def test_evaluate_refuses_a_filter_it_cannot_read(df):
    with pytest.raises(FilterError, match="filter reads variable SEX, which the data lack"):
        evaluate(df, {"SEX": "F"})
    with pytest.raises(FilterError, match="unknown operator 'like'"):
        evaluate(df, {"ARMCD": {"like": "P%"}})
    with pytest.raises(FilterError, match="is not a date"):
        evaluate(df, {"TRTSDT": {"ge": "2014-13-45"}})


def test_check_lists_every_problem():
    flt = {
        "all": [],
        "any": "x",
        "A": {},
        "B": {"in": "X"},
        "C": {"missing": "yes"},
        "D": {"lt": [1]},
        "E": {"ge_var": 3},
        "F": ["x", "y"],
        "G": {"lt": True},
        "H": {"eq_var": "NOPE"},
    }
    assert check(flt, ["A", "B", "C", "D", "E", "F", "G", "H"]) == [
        "'all' takes a non-empty list of filters, got []",
        "'any' takes a non-empty list of filters, got 'x'",
        "filter on A has no operator",
        "filter on B: in takes a list, got 'X'",
        "filter on C: 'missing' takes true or false, got 'yes'",
        "filter on D: lt takes a number or a date, got [1]",
        "filter on E: ge_var takes a variable name, got 3",
        "filter on F: a list needs an operator ({in: [...]})",
        "filter on G: lt takes a number or a date, got True",
        "filter on H: eq_var reads variable NOPE, which the data lack",
    ]
    assert check({"H": {"eq_var": "NOPE"}}) == []  # no columns: the variable check is skipped
    assert check("AGE > 5") == ["a filter must be a mapping {VARIABLE: condition} or {all/any/not: ...}, got 'AGE > 5'"]
    assert check(None) == [] and check({1: "x"}) == ["filter key 1 is not a variable name"]


def test_check_refuses_a_filter_nested_too_deep():
    flt = {"A": 1}
    for _ in range(40):
        flt = {"not": flt}
    assert check(flt) == ["filter nested deeper than 32 levels"]


def test_variables_read_by_a_filter():
    flt = {"all": [{"A": 1}, {"not": {"B": {"lt_var": "C"}}}], "any": [{"D": {"missing": True}}]}
    assert variables(flt) == {"A", "B", "C", "D"}
    assert variables(None) == set() and variables("x") == set()


def test_describe_in_words():
    assert describe(None) == "(all records)"
    assert describe({"ARMCD": {"not_in_ci": ["SCRNFAIL"]}}) == "ARMCD NOT IN (any case) ('SCRNFAIL')"
    assert describe({"AGE": {"ge": 18, "lt": 65}, "SEX": "F"}) == "AGE >= 18 AND AGE < 65 AND SEX = 'F'"
    assert describe({"any": [{"A": {"missing": True}}, {"B": {"le_var": "C"}}]}) == "(A is missing OR B <= C)"
    assert describe({"not": {"A": {"missing": False}}}) == "NOT (A is not missing)"


def test_every_operator_is_known_to_check():
    assert set(OPERATORS) >= {"eq", "in_ci", "ge_var", "missing", "contains"}
    for op in OPERATORS:
        assert not any("unknown operator" in p for p in check({"A": {op: ["x"]}}))
