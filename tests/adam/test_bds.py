"""Generic BDS vocabulary (adam/bds.py): tiny frames, expected values worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adamforge.adam import registry
from adamforge.adam.bds import (
    derive_locf_records,
    derive_param_computed,
    derive_param_sum_items,
    derive_var_analysis_flag_closest,
    derive_var_extreme_flag,
    derive_vars_analysis_window,
    parse_order,
)


def _by_key(df, keys):
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


# ---- order notation ---------------------------------------------------------------------


def test_parse_order_short_and_long_forms():
    assert parse_order(["ADT", "-AESEQ", {"var": "ASTDT", "desc": True, "na": "first"}]) == [
        ("ADT", False, False),
        ("AESEQ", True, False),
        ("ASTDT", True, True),
    ]


def test_parse_order_rejects_unknown_keys():
    with pytest.raises(ValueError, match="must be"):
        parse_order([{"var": "ADT", "descending": True}])


# ---- derive_var_extreme_flag ------------------------------------------------------------


def _flags_df():
    return pd.DataFrame(
        {"USUBJID": ["A", "A", "A", "B", "B"], "ADY": [5, 1, 3, 2, np.nan], "AVAL": [1.0, 2.0, np.nan, 4.0, 5.0]}
    )


def test_extreme_flag_last_per_group():
    # A: days 5,1,3 -> last is day 5 (row 0); B: days 2, missing -> missing sorts last -> row 4
    out = derive_var_extreme_flag(_flags_df(), by_vars=["USUBJID"], order=["ADY"], new_var="LSTFL")
    assert out["LSTFL"].tolist() == ["Y", "", "", "", "Y"]


def test_extreme_flag_first_descending_with_filter():
    # only AVAL present competes: A rows 0 (day 5), 1 (day 1); B rows 3 (day 2), 4 (missing)
    # descending day, first: A -> day 5 (row 0); B -> day 2 (row 3), missing last
    df = _flags_df()
    out = derive_var_extreme_flag(
        df,
        by_vars=["USUBJID"],
        order=["-ADY"],
        new_var="F",
        mode="first",
        filter={"AVAL": {"missing": False}},
        false_value="N",
    )
    assert out["F"].tolist() == ["Y", "N", "N", "Y", "N"]
    assert "F" not in df.columns  # input untouched


def test_extreme_flag_na_first_long_form():
    # B: missing sorts first with na: first -> mode first picks row 4
    out = derive_var_extreme_flag(
        _flags_df(), by_vars=["USUBJID"], order=[{"var": "ADY", "na": "first"}], new_var="F", mode="first"
    )
    assert out["F"].tolist() == ["", "Y", "", "", "Y"]


def test_extreme_flag_ties_keep_input_order():
    df = pd.DataFrame({"USUBJID": ["A", "A"], "ADY": [1, 1]})
    assert derive_var_extreme_flag(df, by_vars=["USUBJID"], order=["ADY"], new_var="F")["F"].tolist() == ["", "Y"]
    assert derive_var_extreme_flag(df, by_vars=["USUBJID"], order=["ADY"], new_var="F", mode="first")["F"].tolist() == [
        "Y",
        "",
    ]


def test_extreme_flag_missing_variable_names_function_and_argument():
    with pytest.raises(ValueError, match=r"derive_var_extreme_flag.*ADT \(argument order\)"):
        derive_var_extreme_flag(_flags_df(), by_vars=["USUBJID"], order=["ADT"], new_var="F")


def test_extreme_flag_filter_variable_missing():
    with pytest.raises(ValueError, match=r"derive_var_extreme_flag.*PARAMCD \(argument filter\)"):
        derive_var_extreme_flag(_flags_df(), by_vars=["USUBJID"], order=["ADY"], new_var="F", filter={"PARAMCD": "X"})


def test_extreme_flag_bad_mode():
    with pytest.raises(ValueError, match="mode"):
        derive_var_extreme_flag(_flags_df(), by_vars=["USUBJID"], order=["ADY"], new_var="F", mode="middle")


# ---- derive_vars_analysis_window --------------------------------------------------------

WINDOWS = [
    {"avisit": "Baseline", "avisitn": 0, "hi": 1, "target": 1},
    {"avisit": "Week 8", "avisitn": 8, "lo": 2, "hi": 84, "target": 56},
    {"avisit": "Week 24", "avisitn": 24, "lo": 141, "target": 168, "range": ">140"},
]


def test_window_assigns_visit_and_window_variables():
    df = pd.DataFrame({"ADY": [-5, 1, 2, 84, 100, 150, np.nan]})
    out = derive_vars_analysis_window(
        df, windows=WINDOWS, window_vars=["AWLO", "AWHI", "AWTARGET", "AWTDIFF", "AWRANGE", "AWU"]
    )
    # -5,1 -> Baseline (open lower bound); 2 and 84 are Week 8's inclusive bounds; 100 in no window
    assert out["AVISIT"].tolist() == ["Baseline", "Baseline", "Week 8", "Week 8", "", "Week 24", ""]
    np.testing.assert_array_equal(out["AVISITN"], [0, 0, 8, 8, np.nan, 24, np.nan])
    np.testing.assert_array_equal(out["AWLO"], [np.nan, np.nan, 2, 2, np.nan, 141, np.nan])
    np.testing.assert_array_equal(out["AWHI"], [1, 1, 84, 84, np.nan, np.nan, np.nan])
    # |day - target|: |-5-1|=6, 0, |2-56|=54, |84-56|=28, -, |150-168|=18, -
    np.testing.assert_array_equal(out["AWTDIFF"], [6, 0, 54, 28, np.nan, 18, np.nan])
    assert out["AWRANGE"].tolist() == ["<=1", "<=1", "2-84", "2-84", "", ">140", ""]
    assert out["AWU"].tolist() == ["DAYS", "DAYS", "DAYS", "DAYS", "", "DAYS", ""]


def test_window_filter_keeps_other_records():
    df = pd.DataFrame({"ADY": [2, 3], "PARAMCD": ["A", "B"], "AVISIT": ["Old", "Old"], "AVISITN": [99.0, 99.0]})
    out = derive_vars_analysis_window(df, windows=WINDOWS, filter={"PARAMCD": "A"})
    assert out["AVISIT"].tolist() == ["Week 8", "Old"]
    assert out["AVISITN"].tolist() == [8.0, 99.0]


def test_window_overlap_names_both():
    bad = [
        {"avisit": "Week 2", "avisitn": 2, "lo": 2, "hi": 20},
        {"avisit": "Week 4", "avisitn": 4, "lo": 20, "hi": 40},
    ]
    with pytest.raises(ValueError, match="'Week 2' and 'Week 4' overlap"):
        derive_vars_analysis_window(pd.DataFrame({"ADY": [1]}), windows=bad)


def test_window_unknown_window_variable():
    with pytest.raises(ValueError, match="AWXX"):
        derive_vars_analysis_window(pd.DataFrame({"ADY": [1]}), windows=WINDOWS, window_vars=["AWXX"])


def test_window_missing_day_variable():
    with pytest.raises(ValueError, match=r"derive_vars_analysis_window.*ADY \(argument day_var\)"):
        derive_vars_analysis_window(pd.DataFrame({"X": [1]}), windows=WINDOWS)


# ---- derive_var_analysis_flag_closest ---------------------------------------------------


def test_closest_flag_tie_later_and_earlier():
    df = pd.DataFrame(
        {
            "USUBJID": ["A"] * 4 + ["B"],
            "AVISITN": [8, 8, 8, 16, 8],
            "ADY": [50, 62, 70, 100, 56],
            "AWTARGET": [56, 56, 56, 112, 56],
        }
    )
    # A week 8: distances 6, 6, 14 -> tie 50/62: later -> 62 (row 1); earlier -> 50 (row 0)
    # A week 16: single record; B: distance 0
    later = derive_var_analysis_flag_closest(df, by_vars=["USUBJID", "AVISITN"])
    assert later["ANL01FL"].tolist() == ["", "Y", "", "Y", "Y"]
    earlier = derive_var_analysis_flag_closest(df, by_vars=["USUBJID", "AVISITN"], tie="earlier")
    assert earlier["ANL01FL"].tolist() == ["Y", "", "", "Y", "Y"]


def test_closest_flag_filter_and_missing_target():
    df = pd.DataFrame(
        {
            "USUBJID": ["A"] * 3,
            "AVISITN": [8, 8, 8],
            "ADY": [56, 60, 57],
            "AWTARGET": [56, 56, np.nan],
            "AVAL": [np.nan, 1.0, 2.0],
        }
    )
    # row 0 has no value (filtered out), row 2 has no target -> row 1
    out = derive_var_analysis_flag_closest(df, by_vars=["USUBJID", "AVISITN"], filter={"AVAL": {"missing": False}})
    assert out["ANL01FL"].tolist() == ["", "Y", ""]


def test_closest_flag_bad_tie_and_missing_target_var():
    df = pd.DataFrame({"USUBJID": ["A"], "ADY": [1]})
    with pytest.raises(ValueError, match="tie"):
        derive_var_analysis_flag_closest(df, by_vars=["USUBJID"], target_var="ADY", tie="nearest")
    with pytest.raises(ValueError, match=r"AWTARGET \(argument target_var\)"):
        derive_var_analysis_flag_closest(df, by_vars=["USUBJID"])


# ---- derive_locf_records -----------------------------------------------------------------


def _locf_df():
    return pd.DataFrame(
        {
            "USUBJID": ["A", "A", "A", "B", "B"],
            "PARAMCD": ["T"] * 5,
            "AVISITN": [0.0, 8.0, 16.0, 8.0, 16.0],
            "ADY": [1, 55, 110, 57, 112],
            "AVAL": [10.0, 12.0, np.nan, np.nan, np.nan],
            "ANL01FL": ["Y", "Y", "Y", "Y", "Y"],
        }
    )


GRID = [
    {"PARAMCD": "T", "AVISIT": "Week 8", "AVISITN": 8.0, "AWTARGET": 56},
    {"PARAMCD": "T", "AVISIT": "Week 16", "AVISITN": 16.0, "AWTARGET": 112},
    {"PARAMCD": "T", "AVISIT": "Week 24", "AVISITN": 24.0, "AWTARGET": 168},
]


def test_locf_adds_last_observation_for_missing_expected_visits():
    df = _locf_df()
    out = derive_locf_records(
        df,
        by_vars=["USUBJID", "PARAMCD"],
        order=["AVISITN", "ADY"],
        expected=GRID,
        id_vars=["AVISITN"],
        keep_vars=["ADY"],
    )
    new = out.iloc[len(df) :]
    # A: week 8 observed (12); week 16 value missing -> LOCF 12 from day 55; week 24 -> 12 from day 55
    # B: nothing observed at all -> no record
    assert new[["USUBJID", "AVISIT", "AVISITN", "AVAL", "ADY", "AWTARGET", "DTYPE"]].values.tolist() == [
        ["A", "Week 16", 16.0, 12.0, 55, 112, "LOCF"],
        ["A", "Week 24", 24.0, 12.0, 55, 168, "LOCF"],
    ]
    assert out.iloc[: len(df)]["DTYPE"].isna().all()
    assert "DTYPE" not in df.columns


def test_locf_from_dataset_expected_and_filter():
    df = _locf_df()
    df.loc[1, "ANL01FL"] = ""  # the week 8 value no longer counts -> carried from baseline (10)
    grid = pd.DataFrame(GRID[:2])
    out = derive_locf_records(
        df,
        grid,
        by_vars=["USUBJID", "PARAMCD"],
        order=["AVISITN"],
        id_vars=["AVISITN"],
        filter={"ANL01FL": "Y"},
        dtype_value="LOCF",
    )
    new = _by_key(out.iloc[len(df) :], ["USUBJID", "AVISITN"])
    assert new[["USUBJID", "AVISITN", "AVAL"]].values.tolist() == [["A", 8.0, 10.0], ["A", 16.0, 10.0]]


def test_locf_grid_without_parameter_applies_to_every_group():
    df = pd.DataFrame({"USUBJID": ["A", "B"], "PARAMCD": ["X", "Y"], "AVISITN": [0, 0], "AVAL": [1.0, 2.0]})
    out = derive_locf_records(df, by_vars=["USUBJID", "PARAMCD"], order=["AVISITN"], expected=[{"AVISITN": 4}])
    assert out.iloc[2:][["USUBJID", "PARAMCD", "AVISITN", "AVAL"]].values.tolist() == [
        ["A", "X", 4, 1.0],
        ["B", "Y", 4, 2.0],
    ]


def test_locf_needs_a_grid_and_only_one():
    df = _locf_df()
    with pytest.raises(ValueError, match="expected grid is missing"):
        derive_locf_records(df, by_vars=["USUBJID"], order=["AVISITN"])
    with pytest.raises(ValueError, match="not both"):
        derive_locf_records(df, pd.DataFrame(GRID), by_vars=["USUBJID"], order=["AVISITN"], expected=GRID)


def test_locf_missing_keep_var():
    with pytest.raises(ValueError, match=r"derive_locf_records.*VISIT \(argument keep_vars\)"):
        derive_locf_records(
            _locf_df(),
            by_vars=["USUBJID", "PARAMCD"],
            order=["AVISITN"],
            expected=GRID,
            id_vars=["AVISITN"],
            keep_vars=["VISIT"],
        )


# ---- derive_param_computed ----------------------------------------------------------------


def _vs():
    return pd.DataFrame(
        {
            "USUBJID": ["A", "A", "A", "B", "B"],
            "AVISITN": [0, 0, 4, 0, 0],
            "PARAMCD": ["WEIGHT", "HEIGHT", "WEIGHT", "WEIGHT", "HEIGHT"],
            "AVAL": [81.0, 180.0, 72.9, 50.0, 0.0],
        }
    )


def test_computed_bmi_with_constant_height():
    df = _vs()
    out = derive_param_computed(
        df,
        by_vars=["USUBJID", "AVISITN"],
        parameters=["WEIGHT", "HEIGHT"],
        op="bmi",
        set_values_to={"PARAMCD": "BMI", "PARAM": "BMI (kg/m2)"},
        constant_parameters=["HEIGHT"],
        constant_by_vars=["USUBJID"],
    )
    new = out.iloc[len(df) :]
    # A day 0: 81 / 1.8^2 = 25; A week 4: 72.9 / 3.24 = 22.5; B: height 0 -> missing -> no record
    assert new[["USUBJID", "AVISITN", "PARAMCD", "PARAM"]].values.tolist() == [
        ["A", 0, "BMI", "BMI (kg/m2)"],
        ["A", 4, "BMI", "BMI (kg/m2)"],
    ]
    np.testing.assert_allclose(new["AVAL"], [25.0, 22.5])


def test_computed_missing_parameter_no_record_unless_keep_nas():
    df = _vs()
    # without constant height, A week 4 lacks HEIGHT; B's ratio has a 0 divisor
    kw = {"by_vars": ["USUBJID", "AVISITN"], "parameters": ["WEIGHT", "HEIGHT"], "set_values_to": {"PARAMCD": "R"}}
    out = derive_param_computed(df, op="ratio", **kw)
    assert out.iloc[len(df) :][["USUBJID", "AVISITN", "AVAL"]].values.tolist() == [["A", 0, 81.0 / 180.0]]
    out = derive_param_computed(df, op="ratio", keep_nas=True, **kw)
    new = out.iloc[len(df) :]
    assert new[["USUBJID", "AVISITN"]].values.tolist() == [["A", 0], ["A", 4], ["B", 0]]
    assert np.isnan(new["AVAL"].to_numpy()[1:]).all()


@pytest.mark.parametrize("op, expected", [("sum", 6.0), ("mean", 2.0), ("min", 1.0), ("max", 3.0)])
def test_computed_summaries(op, expected):
    df = pd.DataFrame({"USUBJID": ["A"] * 3, "PARAMCD": ["P1", "P2", "P3"], "AVAL": [1.0, 3.0, 2.0]})
    out = derive_param_computed(
        df, by_vars=["USUBJID"], parameters=["P1", "P2", "P3"], op=op, set_values_to={"PARAMCD": "S"}
    )
    assert out["AVAL"].tolist()[-1] == expected


def test_computed_difference_is_first_minus_second():
    df = pd.DataFrame({"USUBJID": ["A"] * 2, "PARAMCD": ["SYS", "DIA"], "AVAL": [120.0, 80.0]})
    out = derive_param_computed(
        df, by_vars=["USUBJID"], parameters=["SYS", "DIA"], op="difference", set_values_to={"PARAMCD": "PP"}
    )
    assert out["AVAL"].tolist()[-1] == 40.0


def test_computed_errors():
    df = _vs()
    with pytest.raises(ValueError, match="op must be one of"):
        derive_param_computed(
            df, by_vars=["USUBJID"], parameters=["WEIGHT"], op="median", set_values_to={"PARAMCD": "X"}
        )
    with pytest.raises(ValueError, match="takes 2 parameters"):
        derive_param_computed(df, by_vars=["USUBJID"], parameters=["WEIGHT"], op="bmi", set_values_to={"PARAMCD": "X"})
    with pytest.raises(ValueError, match="more than one PARAMCD = 'WEIGHT'"):  # A has two weights without AVISITN
        derive_param_computed(
            df, by_vars=["USUBJID"], parameters=["WEIGHT", "HEIGHT"], op="sum", set_values_to={"PARAMCD": "X"}
        )
    with pytest.raises(ValueError, match=r"AVISIT \(argument by_vars\)"):
        derive_param_computed(
            df, by_vars=["USUBJID", "AVISIT"], parameters=["WEIGHT", "HEIGHT"], op="sum", set_values_to={"PARAMCD": "X"}
        )


# ---- derive_param_sum_items ---------------------------------------------------------------


def _items(values_a, values_b):
    codes = ["I1", "I2", "I3", "I4"]
    return pd.DataFrame({"USUBJID": ["A"] * 4 + ["B"] * 4, "PARAMCD": codes * 2, "AVAL": [*values_a, *values_b]})


FILTER = {"PARAMCD": {"in": ["I1", "I2", "I3", "I4"]}}


def test_sum_items_all_required_by_default():
    df = _items([1, 2, 3, 4], [1, 2, 3, np.nan])
    out = derive_param_sum_items(df, by_vars=["USUBJID"], items_filter=FILTER, set_values_to={"PARAMCD": "TOT"})
    new = out.iloc[len(df) :]
    # A: 1+2+3+4 = 10; B: one item missing and min_items defaults to all 4 -> missing total
    assert new["USUBJID"].tolist() == ["A", "B"]
    np.testing.assert_array_equal(new["AVAL"], [10.0, np.nan])


def test_sum_items_prorate_by_count():
    df = _items([1, 2, 3, 4], [1, 2, 3, np.nan])
    out = derive_param_sum_items(
        df, by_vars=["USUBJID"], items_filter=FILTER, set_values_to={"PARAMCD": "TOT"}, min_items=3, prorate=True
    )
    # B: 6 * 4 / 3 = 8
    np.testing.assert_array_equal(out.iloc[len(df) :]["AVAL"], [10.0, 8.0])


def test_sum_items_prorate_by_maximum_scores():
    # the CDISC pilot's ADAS-Cog rule: S * sum(max all) / sum(max present)
    df = _items([1, 2, 3, 4], [1, 2, np.nan, 4])
    mx = {"I1": 10, "I2": 5, "I3": 12, "I4": 5}  # all: 32; B lacks I3 -> present max 20
    out = derive_param_sum_items(
        df,
        by_vars=["USUBJID"],
        items_filter=FILTER,
        set_values_to={"PARAMCD": "TOT"},
        min_items=3,
        prorate=True,
        item_max=mx,
    )
    # B: 7 * 32 / 20 = 11.2
    np.testing.assert_allclose(out.iloc[len(df) :]["AVAL"], [10.0, 11.2])


def test_sum_items_explicit_items_and_too_few():
    df = _items([1, np.nan, np.nan, 4], [1, 2, 3, 4])
    out = derive_param_sum_items(
        df,
        by_vars=["USUBJID"],
        items_filter={},
        items=["I1", "I2", "I3"],
        set_values_to={"PARAMCD": "TOT"},
        min_items=2,
        prorate=True,
    )
    # items I1..I3 only: A has 1 of 3 (< 2) -> missing; B: 1+2+3 = 6
    np.testing.assert_array_equal(out.iloc[len(df) :]["AVAL"], [np.nan, 6.0])


def test_sum_items_errors():
    df = _items([1, 2, 3, 4], [1, 2, 3, 4])
    with pytest.raises(ValueError, match="min_items"):
        derive_param_sum_items(
            df, by_vars=["USUBJID"], items_filter=FILTER, set_values_to={"PARAMCD": "T"}, min_items=5
        )
    with pytest.raises(ValueError, match="no maximum for item"):
        derive_param_sum_items(
            df,
            by_vars=["USUBJID"],
            items_filter=FILTER,
            set_values_to={"PARAMCD": "T"},
            items=["I1", "I2"],
            item_max={"I1": 3},
            prorate=True,
        )
    with pytest.raises(ValueError, match=r"QSTESTCD \(argument items_filter\)"):
        derive_param_sum_items(df, by_vars=["USUBJID"], items_filter={"QSTESTCD": "X"}, set_values_to={"PARAMCD": "T"})


# ---- registry -----------------------------------------------------------------------------

REALISTIC = {
    "derive_var_extreme_flag": {
        "by_vars": ["USUBJID", "PARAMCD"],
        "order": ["ADT", "-AVAL"],
        "new_var": "LSTFL",
        "mode": "last",
        "filter": {"AVAL": {"missing": False}},
    },
    "derive_vars_analysis_window": {
        "windows": WINDOWS,
        "day_var": "ADY",
        "window_vars": ["AWLO", "AWHI", "AWTARGET", "AWTDIFF", "AWRANGE", "AWU"],
    },
    "derive_var_analysis_flag_closest": {
        "by_vars": ["USUBJID", "PARAMCD", "AVISITN"],
        "day_var": "ADY",
        "target_var": "AWTARGET",
        "new_var": "ANL01FL",
        "tie": "later",
    },
    "derive_locf_records": {
        "by_vars": ["STUDYID", "USUBJID", "PARAMCD"],
        "order": ["AVISITN", "ADT"],
        "expected": GRID,
        "id_vars": ["AVISITN"],
        "keep_vars": ["ADT", "ADY", "VISIT"],
        "filter": {"ANL01FL": "Y"},
    },
    "derive_param_computed": {
        "by_vars": ["USUBJID", "AVISITN"],
        "parameters": ["WEIGHT", "HEIGHT"],
        "op": "bmi",
        "args": {"height_unit": "cm"},
        "set_values_to": {"PARAMCD": "BMI"},
        "constant_parameters": ["HEIGHT"],
        "constant_by_vars": ["USUBJID"],
    },
    "derive_param_sum_items": {
        "by_vars": ["USUBJID", "AVISITN"],
        "items_filter": FILTER,
        "set_values_to": {"PARAMCD": "ACTOT"},
        "min_items": 8,
        "prorate": True,
        "item_max": {"I1": 10},
    },
}


@pytest.mark.parametrize("name", sorted(REALISTIC))
def test_registered_and_arguments_check(name):
    fn = registry.get(name)
    assert fn.__module__ == "adamforge.adam.bds"
    assert registry.check_arguments(fn, REALISTIC[name], complete=True) == []
