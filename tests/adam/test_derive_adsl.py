"""ADSL derivations on tiny frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adamforge.adam.categories import derive_var_cat_by_map, derive_var_cat_by_range
from adamforge.adam.derive_adsl import derive_var_disdur, derive_var_disposition, derive_var_efffl, derive_vars_trtp
from adamforge.errors import DataError

ARMS = {"VEH": [1, "Vehicle"], "RUX075": [2, "RUX 0.75%"], "RUX15": [3, "RUX 1.5%"]}


def test_trtp_segments_and_continuing_arms():
    df = pd.DataFrame({"ARMCD": ["VEH-RUX075", "RUX15", "VEH"]})
    p1 = derive_vars_trtp(df, source_var="ARMCD", segment=1, arms=ARMS, new_var="TRT01P", new_var_n="TRT01PN")
    p2 = derive_vars_trtp(df, source_var="ARMCD", segment=2, arms=ARMS, new_var="TRT02P", new_var_n="TRT02PN")
    assert p1["TRT01P"].tolist() == ["Vehicle", "RUX 1.5%", "Vehicle"] and p1["TRT01PN"].tolist() == [1, 3, 1]
    assert p2["TRT02P"].tolist() == ["RUX 0.75%", "RUX 1.5%", "Vehicle"] and p2["TRT02PN"].tolist() == [2, 3, 1]
    assert list(df.columns) == ["ARMCD"]


def test_efffl_only_excluded_sites_and_safety_population():
    df = pd.DataFrame({"SITEID": ["114", "101", "226", "101"], "SAFFL": ["Y", "Y", "Y", "N"]})
    assert derive_var_efffl(df, excluded_sites=["114", "139", "226"])["EFFFL"].tolist() == ["N", "Y", "N", "N"]


def test_region_race_and_qol_instrument_at_15_and_16_through_the_generic_vocabulary():
    """The reference study's REGION1, RACEGR1 and QOLINST rules, as its spec writes them."""
    df = pd.DataFrame(
        {
            "COUNTRY": ["USA", "CAN", "DEU", ""],
            "RACE": ["WHITE", "ASIAN", "MULTIPLE", "BLACK OR AFRICAN AMERICAN"],
            "AGE": [15, 16, 65, 11],
        }
    )
    out = derive_var_cat_by_map(
        df,
        source_var="COUNTRY",
        values={"USA": "North America", "CAN": "North America"},
        default="Europe",
        new_var="REGION1",
    )
    assert out["REGION1"].tolist() == ["North America", "North America", "Europe", ""]  # blank country: blank
    out = derive_var_cat_by_map(
        df,
        source_var="RACE",
        values={"WHITE": "White", "BLACK OR AFRICAN AMERICAN": "Black", "ASIAN": "Asian"},
        default="Other",
        new_var="RACEGR1",
    )
    assert out["RACEGR1"].tolist() == ["White", "Asian", "Other", "Black"]
    out = derive_var_cat_by_range(
        df, source_var="AGE", ranges=[[12, 16, "CDLQI"], [16, None, "DLQI"]], new_var="QOLINST"
    )
    assert out["QOLINST"].tolist() == ["CDLQI", "DLQI", "DLQI", ""]  # 15 < 16: CDLQI; 11: below every range


def test_disease_duration_in_years():
    df = pd.DataFrame(
        {"DISONSDT": pd.to_datetime(["2000-01-01", None]), "TRTSDT": pd.to_datetime(["2020-01-01", "2020-01-01"])}
    )
    out = derive_var_disdur(df, start_var="DISONSDT", end_var="TRTSDT", new_var="DISDURY")
    assert out["DISDURY"].iloc[0] == pytest.approx(7305 / 365.25) and np.isnan(out["DISDURY"].iloc[1])


def test_disposition_latest_epoch_decides():
    adsl = pd.DataFrame({"USUBJID": ["A", "B", "C", "D"]})
    ds = pd.DataFrame(
        {
            "USUBJID": ["A", "A", "B", "C"],
            "DSCAT": "DISPOSITION EVENT",
            "EPOCH": ["BLINDED TREATMENT", "CONTINUATION TREATMENT", "BLINDED TREATMENT", "BLINDED TREATMENT"],
            "DSDECOD": ["COMPLETED", "ADVERSE EVENT", "LOST TO FOLLOW-UP", "COMPLETED"],
        }
    )
    out = derive_var_disposition(adsl, ds, epochs=["BLINDED TREATMENT", "CONTINUATION TREATMENT"])
    assert out["EOSSTT"].tolist() == ["DISCONTINUED", "DISCONTINUED", "COMPLETED", "ONGOING"]
    assert out["DCSREAS"].tolist() == ["ADVERSE EVENT", "LOST TO FOLLOW-UP", "", ""]


def test_required_variable_missing_is_named():
    with pytest.raises(DataError) as ei:
        derive_var_efffl(pd.DataFrame({"SITEID": ["1"]}), excluded_sites=[])
    assert ei.value.problems == [
        "ADSL.SAFFL: required by derive_var_efffl but not in the dataset (rule: required variable)"
    ]
