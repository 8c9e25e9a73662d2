"""The subject listing (adamforge.tlf.listing) on the tiny ADSL/ADEFF of tests/tlf/conftest.py.

Expected rows by hand: population NACH (EFFFL = Y and NACHFL = Y) is S01, S02 (Vehicle), S05,
S06, S08 (RUX 0.75%), S09, S10 (RUX 1.5%).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from adamforge.tlf.listing import create_listing_frame, listing_table, status_text


@pytest.mark.parametrize(
    "aval,dtype,text",
    [
        (1.0, "", "Y"),
        (1, None, "Y"),
        (0.0, "", "N"),
        (0.0, "NRI", "N (NRI)"),
        (0.0, float("nan"), "N"),  # DTYPE missing in a Parquet column
        (None, "", "NE"),
        (math.nan, "NRI", "NE"),
        (pd.NA, "", "NE"),
    ],
)
def test_status_text(aval, dtype, text):
    assert status_text(aval, dtype) == text


def test_listing_frame_by_arm_and_subject(tiny_inputs):
    adsl, adeff, spec = tiny_inputs
    o = spec.output("Listing 1")
    frame = create_listing_frame(adsl, adeff, o, spec)
    assert list(frame.columns) == ["USUBJID", "BLIGA", "ARM", "IGA@VISIT", "EASI50", "CPR"]
    got = [tuple(r) for r in frame[["USUBJID", "ARM", "BLIGA", "IGA@VISIT", "EASI50", "CPR"]].itertuples(index=False)]
    assert got == [
        ("S01", "Vehicle", 3, 2.0, "Y", "Y"),
        ("S02", "Vehicle", 2, 1.0, "N", "N"),
        ("S05", "RUX 0.75%", 2, 1.0, "Y", "Y"),
        ("S06", "RUX 0.75%", 3, 2.0, "Y", "N"),
        ("S08", "RUX 0.75%", 2, 1.0, "NE", "NE"),
        ("S09", "RUX 1.5%", 3, 2.0, "Y", "Y"),
        ("S10", "RUX 1.5%", 3, 3.0, "N", "Y"),
    ]


def test_listing_frame_keeps_the_analysis_record_and_an_unknown_arm(tiny_inputs):
    adsl, adeff, spec = tiny_inputs
    adsl = adsl.copy()
    adsl.loc[adsl.USUBJID == "S02", "TRT01PN"] = 9  # an arm the spec does not list: last, by its value
    extra = pd.DataFrame(
        [
            {"USUBJID": "S01", "PARAMCD": "IGA", "AVISIT": "Week 8", "AVAL": 4.0, "DTYPE": "", "ANL01FL": ""},
        ]
    )
    adeff = pd.concat([adeff.assign(ANL01FL="Y"), extra], ignore_index=True)
    frame = create_listing_frame(adsl, adeff, spec.output("Listing 1"), spec)
    assert frame["USUBJID"].tolist()[-1] == "S02" and frame["ARM"].tolist()[-1] == "9"
    assert frame.loc[frame.USUBJID == "S01", "IGA@VISIT"].tolist() == [2.0]  # ANL01FL = Y record, not 4


def test_listing_table_cells(tiny_inputs):
    adsl, adeff, spec = tiny_inputs
    o = spec.output("Listing 1")
    t = listing_table(o, create_listing_frame(adsl, adeff, o, spec))
    assert t.stub == "Subject"
    assert t.header == ("Treatment", "Baseline IGA", "Week 8 IGA", "EASI-50", "CPR")
    assert [(r.label, r.cells) for r in t.rows[:2]] == [
        ("S01", ("Vehicle", "3", "2", "Y", "Y")),  # whole numbers without ".0"
        ("S02", ("Vehicle", "2", "1", "N", "N")),
    ]
    assert len(t.rows) == 7


def test_listing_table_blank_for_missing_and_keeps_fractions(tiny_inputs):
    _adsl, _adeff, spec = tiny_inputs
    o = spec.output("Listing 1")
    frame = pd.DataFrame(
        {
            "USUBJID": ["S1"],
            "ARM": ["Vehicle"],
            "BLIGA": [2.5],
            "IGA@VISIT": [math.nan],
            "EASI50": ["NE"],
            "CPR": ["N (NRI)"],
        }
    )
    [row] = listing_table(o, frame).rows
    assert row.cells == ("Vehicle", "2.5", "", "NE", "N (NRI)")
