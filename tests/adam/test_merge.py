"""derive_vars_merged, derive_var_merged_exist_flag: hand-computed expectations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adamforge.adam.merge import derive_var_merged_exist_flag, derive_vars_merged
from adamforge.adam.registry import check_arguments
from adamforge.errors import DataError


def _adsl():
    return pd.DataFrame({"USUBJID": ["S1", "S2", "S3", "S4"], "AGE": [30, 40, 50, 60]})


def _vs():
    # S1: two weights (day 1 70, day 8 72); S2: one weight day 1 80 and a height; S3: height only
    return pd.DataFrame(
        {
            "USUBJID": ["S1", "S1", "S2", "S2", "S3"],
            "VSTESTCD": ["WEIGHT", "WEIGHT", "WEIGHT", "HEIGHT", "HEIGHT"],
            "VSDY": [8, 1, 1, 1, 1],
            "VSSTRESN": [72.0, 70.0, 80.0, 180.0, 170.0],
        }
    )


def test_derive_vars_merged_last_by_order_with_filter_and_exist_flag():
    # WEIGHT records by VSDY: S1 days 1 (70) and 8 (72) -> last 72; S2 -> 80; S3, S4 none
    out = derive_vars_merged(
        _adsl(),
        _vs(),
        by_vars=["USUBJID"],
        new_vars={"WGT": "VSSTRESN"},
        filter_add={"VSTESTCD": "WEIGHT"},
        order=["VSDY"],
        mode="last",
        exist_flag="WGTFL",
    )
    assert out["WGT"].tolist()[:2] == [72.0, 80.0]
    assert out["WGT"].isna().tolist() == [False, False, True, True]
    assert out["WGTFL"].tolist() == ["Y", "Y", "N", "N"]
    assert out["USUBJID"].tolist() == ["S1", "S2", "S3", "S4"]  # input order kept


def test_derive_vars_merged_first_and_descending_order():
    # first by VSDY -> S1 day 1 = 70; first by -VSDY (descending) -> S1 day 8 = 72
    w = {"VSTESTCD": "WEIGHT"}
    a = derive_vars_merged(
        _adsl(), _vs(), by_vars=["USUBJID"], new_vars=["VSSTRESN"], filter_add=w, order=["VSDY"], mode="first"
    )
    b = derive_vars_merged(
        _adsl(), _vs(), by_vars=["USUBJID"], new_vars=["VSSTRESN"], filter_add=w, order=["-VSDY"], mode="first"
    )
    assert a["VSSTRESN"].iloc[0] == 70.0
    assert b["VSSTRESN"].iloc[0] == 72.0


def test_derive_vars_merged_missing_order_value_sorts_last_unless_na_first():
    # VSDY: missing (V 1), 3 (V 2), 2 (V 3). Default (dplyr/admiral): missing sorts last ->
    # order 2, 3, missing: first V 3, last V 1. With na: first (SAS): missing, 2, 3: first V 1, last V 2
    add = pd.DataFrame({"USUBJID": ["S1", "S1", "S1"], "VSDY": [np.nan, 3, 2], "V": [1, 2, 3]})

    def pick(order, mode):
        return derive_vars_merged(_adsl(), add, by_vars=["USUBJID"], new_vars=["V"], order=order, mode=mode)["V"].iloc[
            0
        ]

    assert pick(["VSDY"], "first") == 3 and pick(["VSDY"], "last") == 1
    sas = [{"var": "VSDY", "na": "first"}]
    assert pick(sas, "first") == 1 and pick(sas, "last") == 2


def test_derive_vars_merged_differently_named_keys_and_missing_values():
    # ID in dataset_add is USUBJID in dataset; S3 and S4 have no match -> "UNKNOWN"
    add = pd.DataFrame({"ID": ["S2", "S1"], "COUNTRY": ["FRA", "DEU"]})
    out = derive_vars_merged(_adsl(), add, by_vars={"USUBJID": "ID"}, missing_values={"COUNTRY": "UNKNOWN"})
    assert out["COUNTRY"].tolist() == ["DEU", "FRA", "UNKNOWN", "UNKNOWN"]
    assert "ID" not in out.columns  # keys are not added


def test_derive_vars_merged_rename_and_int_source_becomes_float_when_unmatched():
    add = pd.DataFrame({"USUBJID": ["S1"], "N": [5]})
    out = derive_vars_merged(_adsl(), add, by_vars=["USUBJID"], rename={"N": "NDOSE"})
    assert out["NDOSE"].iloc[0] == 5 and out["NDOSE"].isna().sum() == 3


def test_derive_vars_merged_does_not_modify_input():
    adsl = _adsl()
    before = adsl.copy()
    derive_vars_merged(adsl, _vs(), by_vars=["USUBJID"], new_vars=["VSSTRESN"], order=["VSDY"], mode="last")
    pd.testing.assert_frame_equal(adsl, before)


def test_derive_vars_merged_duplicates_without_mode_name_the_key():
    # S1 has two WEIGHT records and no mode: error naming USUBJID='S1'
    with pytest.raises(ValueError, match=r"derive_vars_merged.*USUBJID='S1'"):
        derive_vars_merged(
            _adsl(), _vs(), by_vars=["USUBJID"], new_vars=["VSSTRESN"], filter_add={"VSTESTCD": "WEIGHT"}
        )


def test_derive_vars_merged_without_check_unique_takes_last_record():
    # the S1 WEIGHT records in input order are 72 (day 8), then 70 (day 1): the last is 70
    out = derive_vars_merged(
        _adsl(),
        _vs(),
        by_vars=["USUBJID"],
        new_vars=["VSSTRESN"],
        filter_add={"VSTESTCD": "WEIGHT"},
        check_unique=False,
    )
    assert out["VSSTRESN"].iloc[0] == 70.0


def test_derive_vars_merged_bad_mode():
    with pytest.raises(ValueError, match="derive_vars_merged: mode"):
        derive_vars_merged(_adsl(), _vs(), by_vars=["USUBJID"], new_vars=["VSSTRESN"], mode="latest")


def test_derive_vars_merged_missing_variable_named():
    with pytest.raises(ValueError, match="derive_vars_merged.*VSORRES"):  # also a ValueError
        derive_vars_merged(_adsl(), _vs(), by_vars=["USUBJID"], new_vars=["VSORRES"])
    with pytest.raises(DataError, match="derive_vars_merged.*dataset_add: VSORRES"):
        derive_vars_merged(_adsl(), _vs(), by_vars=["USUBJID"], new_vars=["VSORRES"])
    with pytest.raises(DataError, match="derive_vars_merged.*dataset: SUBJID"):
        derive_vars_merged(_adsl(), _vs(), by_vars={"SUBJID": "USUBJID"}, new_vars=["VSSTRESN"], mode="last")


def test_derive_vars_merged_new_var_already_in_input_is_an_error():
    add = pd.DataFrame({"USUBJID": ["S1"], "AGE": [31]})
    with pytest.raises(ValueError, match="AGE already in the input"):
        derive_vars_merged(_adsl(), add, by_vars=["USUBJID"])


def test_derive_vars_merged_bad_filter_is_named():
    with pytest.raises(ValueError, match="derive_vars_merged: filter_add"):
        derive_vars_merged(
            _adsl(), _vs(), by_vars=["USUBJID"], new_vars=["VSSTRESN"], filter_add={"NOPE": "X"}, mode="last"
        )


def _ae():
    # S1: a serious and a non-serious AE; S2: one non-serious; S3: an AE with AESER missing; S4: none
    return pd.DataFrame(
        {"USUBJID": ["S1", "S1", "S2", "S3"], "AESER": ["N", "Y", "N", None], "AETERM": ["A", "B", "C", "D"]}
    )


def test_derive_var_merged_exist_flag_three_values():
    # S1 has a serious AE -> Y; S2 AEs none serious -> N; S3 AESER missing (condition not met) -> N;
    # S4 no AE at all -> missing_value (blank)
    out = derive_var_merged_exist_flag(_adsl(), _ae(), by_vars=["USUBJID"], new_var="SAEFL", condition={"AESER": "Y"})
    assert out["SAEFL"].tolist() == ["Y", "N", "N", ""]


def test_derive_var_merged_exist_flag_admiral_values_and_filter_add():
    # filter_add drops S2's AE (AETERM C): S2 has no record -> missing_value; no condition: any record is Y
    out = derive_var_merged_exist_flag(
        _adsl(),
        _ae(),
        by_vars=["USUBJID"],
        new_var="AEFL",
        filter_add={"AETERM": {"ne": "C"}},
        false_value=None,
        missing_value=None,
    )
    assert out["AEFL"].isna().tolist() == [False, True, False, True]
    assert out["AEFL"].iloc[[0, 2]].tolist() == ["Y", "Y"]


def test_derive_var_merged_exist_flag_missing_variable():
    with pytest.raises(DataError, match="derive_var_merged_exist_flag.*USUBJID"):
        derive_var_merged_exist_flag(_adsl(), _ae().drop(columns="USUBJID"), by_vars=["USUBJID"], new_var="X")


def test_registered_arguments_bind():
    assert (
        check_arguments(
            derive_vars_merged,
            {
                "by_vars": ["STUDYID", "USUBJID"],
                "new_vars": {"WEIGHTBL": "VSSTRESN"},
                "filter_add": {"VSTESTCD": "WEIGHT", "VSBLFL": "Y"},
                "order": ["VSDTC", "-VSSEQ"],
                "mode": "last",
                "missing_values": {"WEIGHTBL": None},
                "exist_flag": "WGTFL",
            },
            complete=True,
        )
        == []
    )
    assert (
        check_arguments(
            derive_var_merged_exist_flag,
            {"by_vars": ["USUBJID"], "new_var": "SAEFL", "condition": {"AESER": "Y"}, "filter_add": {"AETRTEM": "Y"}},
            complete=True,
        )
        == []
    )
