"""Generic OCCDS vocabulary (adam/occds.py): tiny frames, expected values worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adamforge.adam import registry
from adamforge.adam.occds import derive_var_occurrence_flags, derive_var_trtemfl, derive_vars_query

D = lambda *s: pd.to_datetime(list(s))  # noqa: E731


def _ae():
    return pd.DataFrame(
        {
            "USUBJID": ["A"] * 5,
            "ASTDT": D("2020-01-01", "2020-01-05", "2020-03-05", None, None),
            "AENDT": D("2020-01-02", None, None, "2020-01-03", None),
            "TRTSDT": D("2020-01-05", "2020-01-05", "2020-01-05", "2020-01-05", "2020-01-05"),
            "TRTEDT": D("2020-02-01", "2020-02-01", "2020-02-01", "2020-02-01", "2020-02-01"),
        }
    )


def test_trtemfl_admiral_default():
    # row 0 starts before the first dose; 1 on it; 2 after the last dose but no window;
    # 3 start missing but ended before the first dose; 4 start and end missing -> emergent
    out = derive_var_trtemfl(_ae())
    assert out["TRTEMFL"].tolist() == ["", "Y", "Y", "", "Y"]


def test_trtemfl_end_window():
    # last dose 2020-02-01 + 30 days = 2020-03-02 < 2020-03-05 -> row 2 no longer emergent
    out = derive_var_trtemfl(_ae(), end_window=30)
    assert out["TRTEMFL"].tolist() == ["", "Y", "", "", "Y"]


def test_trtemfl_cdisc_pilot_rule():
    # "If ASTDT >= TRTSDT > . then TRTEMFL='Y'. Otherwise TRTEMFL='N'": a missing start is not emergent
    df = _ae()
    df.loc[1, "TRTSDT"] = pd.NaT  # no first dose -> N
    out = derive_var_trtemfl(df, end_date=None, missing_start_emergent=False, false_value="N")
    assert out["TRTEMFL"].tolist() == ["N", "N", "Y", "N", "N"]
    assert "TRTEMFL" not in df.columns


def test_trtemfl_numeric_days():
    df = pd.DataFrame({"ASTDT": [10.0, 9.0], "TRTSDT": [10.0, 10.0]})
    assert derive_var_trtemfl(df, end_date=None)["TRTEMFL"].tolist() == ["Y", ""]


def test_trtemfl_missing_variables():
    with pytest.raises(ValueError, match=r"derive_var_trtemfl.*TRTEDT \(argument trt_end\)"):
        derive_var_trtemfl(_ae().drop(columns="TRTEDT"), end_window=10)
    with pytest.raises(ValueError, match="end_window"):
        derive_var_trtemfl(_ae(), end_window=-1)


def _occ():
    return pd.DataFrame(
        {
            "USUBJID": ["A", "A", "A", "A", "B"],
            "AEBODSYS": ["SKIN", "SKIN", "GI", "SKIN", "GI"],
            "AEDECOD": ["RASH", "ITCH", "NAUSEA", "RASH", "NAUSEA"],
            "ASTDT": [5, 3, 3, 2, 1],
            "AESEQ": [1, 2, 3, 4, 1],
            "TRTEMFL": ["Y", "Y", "Y", "N", "Y"],
        }
    )


def test_occurrence_flags_subject_soc_pt():
    df = _occ()
    kw = {"order": ["ASTDT", "AESEQ"], "filter": {"TRTEMFL": "Y"}}
    out = derive_var_occurrence_flags(df, by_vars=["USUBJID"], new_var="AOCCFL", **kw)
    # A, emergent rows 0 (day 5), 1 (day 3, seq 2), 2 (day 3, seq 3) -> row 1; B -> row 4
    assert out["AOCCFL"].tolist() == ["", "Y", "", "", "Y"]
    out = derive_var_occurrence_flags(df, by_vars=["USUBJID", "AEBODSYS"], new_var="AOCCSFL", **kw)
    # A/SKIN: rows 0 (5), 1 (3) -> row 1 (row 3 not emergent); A/GI row 2; B/GI row 4
    assert out["AOCCSFL"].tolist() == ["", "Y", "Y", "", "Y"]
    out = derive_var_occurrence_flags(df, by_vars=["USUBJID", "AEBODSYS", "AEDECOD"], new_var="AOCCPFL", **kw)
    # A/SKIN/RASH: row 0 only emergent one; ITCH row 1; NAUSEA row 2; B row 4
    assert out["AOCCPFL"].tolist() == ["Y", "Y", "Y", "", "Y"]


def test_occurrence_flags_last_mode():
    out = derive_var_occurrence_flags(_occ(), by_vars=["USUBJID"], order=["ASTDT"], new_var="L", mode="last")
    # A: days 5,3,3,2 -> last is day 5 (row 0)
    assert out["L"].tolist() == ["Y", "", "", "", "Y"]


def test_occurrence_flags_error_names_this_function():
    with pytest.raises(ValueError, match=r"derive_var_occurrence_flags.*AESER \(argument filter\)"):
        derive_var_occurrence_flags(_occ(), by_vars=["USUBJID"], order=["ASTDT"], new_var="F", filter={"AESER": "Y"})


DERM = {
    "any": [
        {"AEDECOD": {"contains": "APPLICATION"}},
        {"AEDECOD": {"contains": "DERMATITIS"}},
        {"AEDECOD": {"contains": "ERYTHEMA"}},
        {"AEDECOD": {"contains": "BLISTER"}},
        {
            "all": [
                {"AEBODSYS": "SKIN AND SUBCUTANEOUS TISSUE DISORDERS"},
                {"AEDECOD": {"not_in": ["COLD SWEAT", "HYPERHIDROSIS", "ALOPECIA"]}},
            ]
        },
    ]
}


def test_query_cdisc_pilot_dermatologic_events():
    df = pd.DataFrame(
        {
            "AEDECOD": ["APPLICATION SITE PRURITUS", "ERYTHEMA", "PRURITUS", "HYPERHIDROSIS", "HEADACHE"],
            "AEBODSYS": [
                "GENERAL DISORDERS",
                "SKIN AND SUBCUTANEOUS TISSUE DISORDERS",
                "SKIN AND SUBCUTANEOUS TISSUE DISORDERS",
                "SKIN AND SUBCUTANEOUS TISSUE DISORDERS",
                "NERVOUS SYSTEM DISORDERS",
            ],
        }
    )
    out = derive_vars_query(
        df,
        queries=[
            {
                "name_var": "CQ01NAM",
                "name": "DERMATOLOGIC EVENTS",
                "condition": DERM,
                "flag_var": "CQ01FL",
                "code_var": "CQ01CD",
                "code": 1,
            }
        ],
    )
    # 0: contains APPLICATION; 1: contains ERYTHEMA; 2: skin SOC, not excluded; 3: skin SOC but excluded; 4: no
    assert out["CQ01NAM"].tolist() == ["DERMATOLOGIC EVENTS"] * 3 + ["", ""]
    assert out["CQ01FL"].tolist() == ["Y", "Y", "Y", "", ""]
    np.testing.assert_array_equal(out["CQ01CD"], [1, 1, 1, np.nan, np.nan])


def test_query_errors():
    df = pd.DataFrame({"AEDECOD": ["X"]})
    q = {"name_var": "CQ01NAM", "name": "Q", "condition": {"AEDECOD": "X"}}
    with pytest.raises(ValueError, match="queries 1 and 2 both write CQ01NAM"):
        derive_vars_query(df, queries=[q, q])
    with pytest.raises(ValueError, match="name_var, name and condition"):
        derive_vars_query(df, queries=[{"name": "Q"}])
    with pytest.raises(ValueError, match=r"AEBODSYS \(argument queries\[1\]\.condition\)"):
        derive_vars_query(df, queries=[{**q, "condition": {"AEBODSYS": "S"}}])


REALISTIC = {
    "derive_var_trtemfl": {
        "start_date": "ASTDT",
        "end_date": None,
        "trt_start": "TRTSDT",
        "missing_start_emergent": False,
        "false_value": "N",
    },
    "derive_var_occurrence_flags": {
        "by_vars": ["USUBJID", "AEBODSYS"],
        "order": ["ASTDT", "AESEQ"],
        "new_var": "AOCCSFL",
        "filter": {"TRTEMFL": "Y"},
    },
    "derive_vars_query": {"queries": [{"name_var": "CQ01NAM", "name": "DERMATOLOGIC EVENTS", "condition": DERM}]},
}


@pytest.mark.parametrize("name", sorted(REALISTIC))
def test_registered_and_arguments_check(name):
    fn = registry.get(name)
    assert fn.__module__ == "adamforge.adam.occds"
    assert registry.check_arguments(fn, REALISTIC[name], complete=True) == []
