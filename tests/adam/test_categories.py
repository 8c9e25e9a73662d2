"""Categories, flags, constants, copies, coalesce, computed variables: hand-computed expectations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adamforge.adam.categories import (
    derive_var_assign,
    derive_var_cat_by_map,
    derive_var_cat_by_range,
    derive_var_coalesce,
    derive_var_compute,
    derive_var_copy,
    derive_var_flag_if,
)
from adamforge.adam.registry import check_arguments
from adamforge.errors import DataError

RANGES = [[None, 18, "<18", 1], [18, 65, "18-64", 2], [65, None, ">=65", 3]]


def _age():
    return pd.DataFrame({"AGE": [17, 18, 64.5, 65, np.nan]})


def test_cat_by_range_left_closed_default():
    # lo <= x < hi: 17 -> <18; 18 -> 18-64; 64.5 -> 18-64; 65 -> >=65; missing -> blank / missing code
    out = derive_var_cat_by_range(_age(), source_var="AGE", new_var="AGEGR1", new_var_n="AGEGR1N", ranges=RANGES)
    assert out["AGEGR1"].tolist() == ["<18", "18-64", "18-64", ">=65", ""]
    assert out["AGEGR1N"].iloc[:4].tolist() == [1, 2, 2, 3] and pd.isna(out["AGEGR1N"].iloc[4])


def test_cat_by_range_right_closed():
    # lo < x <= hi: 18 -> <18 (18 <= 18), 65 -> 18-64
    out = derive_var_cat_by_range(_age(), source_var="AGE", new_var="G", ranges=RANGES, right_closed=True)
    assert out["G"].tolist() == ["<18", "<18", "18-64", "18-64", ""]


def test_cat_by_range_missing_lowest_and_label_and_gap():
    # "lowest": missing falls in the first range open at the bottom (<18, code 1), as SAS compares
    lo = derive_var_cat_by_range(_age(), source_var="AGE", new_var="G", new_var_n="GN", ranges=RANGES, missing="lowest")
    assert lo["G"].iloc[4] == "<18" and lo["GN"].iloc[4] == 1
    lab = derive_var_cat_by_range(_age(), source_var="AGE", new_var="G", ranges=RANGES, missing="Missing")
    assert lab["G"].iloc[4] == "Missing"
    # a value in no range: only [18, 65) given -> 17 and 65 blank
    gap = derive_var_cat_by_range(_age(), source_var="AGE", new_var="G", ranges=[[18, 65, "adult"]])
    assert gap["G"].tolist() == ["", "adult", "adult", "", ""]


def test_cat_by_range_errors():
    with pytest.raises(ValueError, match="derive_var_cat_by_range: new_var_n GN needs a code"):
        derive_var_cat_by_range(_age(), source_var="AGE", new_var="G", new_var_n="GN", ranges=[[0, 1, "a"]])
    with pytest.raises(ValueError, match="each range"):
        derive_var_cat_by_range(_age(), source_var="AGE", new_var="G", ranges=[[0, 1]])
    with pytest.raises(DataError, match="derive_var_cat_by_range.*BMI"):
        derive_var_cat_by_range(_age(), source_var="BMI", new_var="G", ranges=RANGES)


def test_cat_by_map_default_case_and_numbers():
    # WHITE -> White (1); "asian " matches ASIAN case-insensitively -> Asian (2); OTHER not in map -> default
    # Other (3); blank source -> blank, missing number
    df = pd.DataFrame({"RACE": ["WHITE", "asian ", "OTHER", ""]})
    out = derive_var_cat_by_map(
        df,
        source_var="RACE",
        new_var="RACEGR1",
        values={"WHITE": "White", "ASIAN": "Asian"},
        default="Other",
        case_insensitive=True,
        new_var_n="RACEGR1N",
        values_n={"White": 1, "Asian": 2, "Other": 3},
    )
    assert out["RACEGR1"].tolist() == ["White", "Asian", "Other", ""]
    assert out["RACEGR1N"].iloc[:3].tolist() == [1, 2, 3] and pd.isna(out["RACEGR1N"].iloc[3])


def test_cat_by_map_case_sensitive_without_default_and_numeric_source():
    # "asian" does not match ASIAN case-sensitively and there is no default -> blank
    df = pd.DataFrame({"RACE": ["ASIAN", "asian"], "AVAL": [1, 2]})
    out = derive_var_cat_by_map(df, source_var="RACE", new_var="G", values={"ASIAN": "Asian"})
    assert out["G"].tolist() == ["Asian", ""]
    out = derive_var_cat_by_map(df, source_var="AVAL", new_var="AVALC", values={1: "Yes", 2: "No"})
    assert out["AVALC"].tolist() == ["Yes", "No"]


def test_cat_by_map_errors():
    df = pd.DataFrame({"RACE": ["ASIAN"]})
    with pytest.raises(ValueError, match="derive_var_cat_by_map: new_var_n G1N needs values_n"):
        derive_var_cat_by_map(df, source_var="RACE", new_var="G", values={}, new_var_n="G1N")
    with pytest.raises(DataError, match="derive_var_cat_by_map.*SEX"):
        derive_var_cat_by_map(df, source_var="SEX", new_var="G", values={})


def _adsl():
    return pd.DataFrame(
        {"ITTFL": ["Y", "Y", "N", None], "TRTSDT": pd.to_datetime(["2020-01-02", None, "2020-01-03", "2020-01-04"])}
    )


def test_flag_if_and_missing_value():
    # SAFFL = Y if ITTFL = Y and TRTSDT present: row 1 Y; row 2 no TRTSDT -> N; row 3 ITTFL N -> N; row 4 ITTFL missing -> N
    cond = {"ITTFL": "Y", "TRTSDT": {"missing": False}}
    assert derive_var_flag_if(_adsl(), new_var="SAFFL", condition=cond)["SAFFL"].tolist() == ["Y", "N", "N", "N"]
    # with missing_value: records where ITTFL or TRTSDT is missing (2, 4) get it
    out = derive_var_flag_if(_adsl(), new_var="SAFFL", condition=cond, missing_value="")
    assert out["SAFFL"].tolist() == ["Y", "", "N", ""]


def test_flag_if_errors():
    with pytest.raises(DataError, match="derive_var_flag_if.*RANDFL"):
        derive_var_flag_if(_adsl(), new_var="X", condition={"RANDFL": "Y"})
    with pytest.raises(ValueError, match="derive_var_flag_if: condition"):
        derive_var_flag_if(_adsl(), new_var="X", condition={"ITTFL": {"bigger": 1}})


def test_assign_copy_coalesce():
    df = pd.DataFrame(
        {
            "A": [None, "x", "", None],
            "B": ["b", "y", "", None],
            "N1": [np.nan, 2.0, np.nan, np.nan],
            "N2": [1.0, 3.0, np.nan, 4.0],
        }
    )
    assert derive_var_assign(df, new_var="PARAMCD", value="BMI")["PARAMCD"].tolist() == ["BMI"] * 4
    assert derive_var_assign(df, new_var="PARAMN", value=7)["PARAMN"].tolist() == [7] * 4
    pd.testing.assert_series_equal(
        derive_var_copy(df, new_var="AVAL", source_var="N2")["AVAL"], df["N2"], check_names=False
    )
    # text: first non-blank of A, B: row 1 b, row 2 x, row 3 both blank -> blank, row 4 both missing -> blank
    assert derive_var_coalesce(df, new_var="C", source_vars=["A", "B"])["C"].tolist() == ["b", "x", "", ""]
    # numbers: N1 then N2: 1, 2, missing, 4
    n = derive_var_coalesce(df, new_var="N", source_vars=["N1", "N2"])["N"]
    assert n.iloc[[0, 1, 3]].tolist() == [1.0, 2.0, 4.0] and pd.isna(n.iloc[2])
    with pytest.raises(DataError, match="derive_var_coalesce.*Z"):
        derive_var_coalesce(df, new_var="C", source_vars=["A", "Z"])
    with pytest.raises(DataError, match="derive_var_copy.*Z"):
        derive_var_copy(df, new_var="C", source_var="Z")


def _nums():
    return pd.DataFrame({"W": [80.0, 60.0, np.nan], "H": [200.0, 150.0, 170.0], "X": [1.0, 0.0, 2.0]})


def test_compute_arithmetic_and_bmi():
    d = _nums()

    def c(op, args, **kw):
        return derive_var_compute(d, new_var="R", op=op, args=args, **kw)["R"].tolist()

    # bmi: 80 / 2.0^2 = 20; 60 / 1.5^2 = 26.666...; missing weight -> missing
    b = c("bmi", ["W", "H"])
    assert b[0] == 20.0 and b[1] == pytest.approx(60 / 2.25) and np.isnan(b[2])
    assert c("add", ["W", "X", 1])[:2] == [82.0, 61.0]  # 80+1+1, 60+0+1
    assert c("subtract", ["H", "W"])[:2] == [120.0, 90.0]  # 200-80, 150-60
    assert c("multiply", ["X", 3])[:3] == [3.0, 0.0, 6.0]
    r = c("divide", ["W", "X"])  # 80/1; 60/0 -> missing (SAS); missing
    assert r[0] == 80.0 and np.isnan(r[1]) and np.isnan(r[2])
    assert c("power", ["X", 2]) == [1.0, 0.0, 4.0]
    assert c("negate", ["X"]) == [-1.0, 0.0, -2.0] and c("abs", [-2]) == [2.0, 2.0, 2.0]


def test_compute_row_summaries_and_na_rm():
    d = _nums()
    # row 3: W missing -> sum/mean/min/max missing without na_rm; with na_rm over H=170, X=2
    s = derive_var_compute(d, new_var="R", op="sum", args=["W", "H", "X"])["R"].tolist()
    assert s[:2] == [281.0, 210.0] and np.isnan(s[2])
    s = derive_var_compute(d, new_var="R", op="sum", args=["W", "H", "X"], na_rm=True)["R"].tolist()
    assert s == [281.0, 210.0, 172.0]
    m = derive_var_compute(d, new_var="R", op="mean", args=["W", "X"], na_rm=True)["R"].tolist()
    assert m == [40.5, 30.0, 2.0]  # (80+1)/2, (60+0)/2, 2/1
    assert derive_var_compute(d, new_var="R", op="min", args=["W", "H"], na_rm=True)["R"].tolist() == [
        80.0,
        60.0,
        170.0,
    ]
    assert derive_var_compute(d, new_var="R", op="max", args=["W", "H"])["R"].iloc[:2].tolist() == [200.0, 150.0]


def test_compute_errors():
    d = _nums()
    with pytest.raises(ValueError, match="derive_var_compute: op must be one of"):
        derive_var_compute(d, new_var="R", op="sqrt", args=["W"])
    with pytest.raises(ValueError, match="op 'bmi' takes 2 args"):
        derive_var_compute(d, new_var="R", op="bmi", args=["W"])
    with pytest.raises(DataError, match="derive_var_compute.*HEIGHT"):
        derive_var_compute(d, new_var="R", op="bmi", args=["W", "HEIGHT"])


def test_input_not_modified_and_arguments_bind():
    d = _nums()
    derive_var_compute(d, new_var="R", op="bmi", args=["W", "H"])
    assert list(d.columns) == ["W", "H", "X"]
    cases = [
        (
            derive_var_cat_by_range,
            {
                "source_var": "AGE",
                "new_var": "AGEGR1",
                "new_var_n": "AGEGR1N",
                "ranges": [[None, 65, "<65", 1], [65, None, ">=65", 2]],
                "missing": "missing",
            },
        ),
        (
            derive_var_cat_by_map,
            {
                "source_var": "RACE",
                "new_var": "RACEGR1",
                "values": {"WHITE": "White"},
                "default": "Other",
                "case_insensitive": True,
            },
        ),
        (derive_var_flag_if, {"new_var": "SAFFL", "condition": {"ITTFL": "Y", "TRTSDT": {"missing": False}}}),
        (derive_var_assign, {"new_var": "PARAMCD", "value": "BMI"}),
        (derive_var_copy, {"new_var": "AVAL", "source_var": "VSSTRESN"}),
        (derive_var_coalesce, {"new_var": "ADT", "source_vars": ["ASTDT", "TRTSDT"]}),
        (derive_var_compute, {"new_var": "BMIBL", "op": "bmi", "args": ["WEIGHTBL", "HEIGHTBL"]}),
    ]
    for fn, args in cases:
        assert check_arguments(fn, args, complete=True) == [], fn.__name__
