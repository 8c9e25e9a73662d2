"""Tiny hand-written ADSL/ADEFF and TLF spec; expected values in the tests are computed by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from adamforge.tlf.spec import parse_tlf_spec

NAN = math.nan

# USUBJID STUDYID TRT01PN SEX AGE RACEGR1 BLIGA BLITCH EFFFL NACHFL W8IGAFL
ADSL_ROWS = [
    ("S01", "A", 1, "F", 30, "White", 3, 5.0, "Y", "Y", "Y"),
    ("S02", "B", 1, "M", 40, "Black", 2, 1.5, "Y", "Y", "Y"),
    ("S03", "A", 1, "F", 25, "White", 3, 4.0, "Y", "N", "Y"),
    ("S04", "B", 1, "F", 60, "Asian", 3, 7.25, "Y", "N", "N"),
    ("S05", "A", 2, "M", 33, "White", 2, 2.0, "Y", "Y", "Y"),
    ("S06", "B", 2, "F", 47, "White", 3, 3.0, "Y", "Y", "Y"),
    ("S07", "A", 2, "M", 52, "Black", 3, 8.0, "Y", "N", "Y"),
    ("S08", "B", 2, "F", 19, "Other", 2, 6.0, "Y", "Y", "Y"),
    ("S09", "A", 3, "F", 70, "White", 3, 0.5, "Y", "Y", "Y"),
    ("S10", "B", 3, "M", 28, "Black", 3, 9.0, "Y", "Y", "Y"),
    ("S11", "A", 3, "F", 35, "White", 2, 4.5, "Y", "N", "N"),
    ("S12", "B", 3, "M", 66, "White", 3, 5.5, "N", "N", "N"),
]
# Week 8 responder values: PARAMCD -> {USUBJID: (AVAL, DTYPE)}
ADEFF_VALUES = {
    "EASI50": {
        "S01": 1,
        "S02": 0,
        "S03": 1,
        "S04": 0,
        "S05": 1,
        "S06": 1,
        "S07": 1,
        "S08": NAN,
        "S09": 1,
        "S10": 0,
        "S11": 0,
    },
    "CPR": {
        "S01": 1,
        "S02": 0,
        "S03": 1,
        "S04": 0,
        "S05": 1,
        "S06": 0,
        "S07": 1,
        "S08": NAN,
        "S09": 1,
        "S10": 1,
        "S11": 0,
    },
    "IGATS": {
        "S01": 0,
        "S02": 0,
        "S03": 1,
        "S04": (0, "NRI"),
        "S05": 0,
        "S06": 0,
        "S07": 1,
        "S08": 0,
        "S09": 0,
        "S10": 0,
        "S11": (0, "NRI"),
    },
}
W8IGA = {"S01": 2, "S02": 1, "S05": 1, "S06": 2, "S08": 1, "S09": 2, "S10": 3}

TINY_SPEC = {
    "study": "Tiny study",
    "program": "test",
    "data_cut": "cut 1",
    "datasets": {"subject": "ADSL", "analysis": "ADEFF"},
    "analysis_visit": "Week 8",
    "arms": {
        "variable": "TRT01PN",
        "levels": [
            {"value": 1, "label": "Vehicle"},
            {"value": 2, "label": "RUX 0.75%"},
            {"value": 3, "label": "RUX 1.5%"},
        ],
    },
    "model": {"covariates": [], "cmh_strata": "STUDYID"},
    "populations": {
        "EFF": {"label": "Efficacy", "where": {"EFFFL": "Y"}},
        "NACH": {"label": "Non-achievers", "where": {"EFFFL": "Y", "NACHFL": "Y"}},
    },
    "outputs": [
        {
            "id": "Table 1",
            "kind": "baseline",
            "title": "Baseline",
            "population": "NACH",
            "columns": [
                {"id": "VEH", "label": "Vehicle", "arm": 1},
                {"id": "R075", "label": "RUX 0.75%", "arm": 2},
                {"id": "R15", "label": "RUX 1.5%", "arm": 3},
                {"id": "TOT", "label": "Total"},
                {"id": "ALL", "label": "Overall", "population": "EFF"},
            ],
            "rows": [
                {"id": "AGE", "label": "Age, median (range)", "var": "AGE", "stat": "median_range"},
                {"id": "FEMALE", "label": "Female, n (%)", "var": "SEX", "stat": "n_pct", "level": "F"},
                {"id": "RACE", "label": "Race", "stat": "header"},
                {"id": "WHITE", "label": "White", "var": "RACEGR1", "stat": "n_pct", "level": "White", "indent": 1},
                {"id": "IGA3", "label": "IGA 3", "var": "BLIGA", "stat": "n_pct", "level": 3, "indent": 1},
                {"id": "ITCH", "label": "Itch, mean (SD)", "var": "BLITCH", "stat": "mean_sd"},
                {"id": "ITCH2", "label": "Itch >= 2", "var": "BLITCH", "stat": "n_pct_ge", "threshold": 2},
            ],
            "footnotes": ["p<0.05 & n>=2: kept as typed"],
        },
        {
            "id": "Table 2",
            "kind": "response",
            "title": "Response, non-achievers",
            "population": "NACH",
            "endpoints": [
                {"paramcd": "EASI50", "label": "EASI-50"},
                {"paramcd": "CPR", "label": "CPR", "denominator": "all"},
            ],
            "footnotes": ["Firth & co."],
        },
        {
            "id": "Table 3",
            "kind": "response",
            "title": "IGA-TS",
            "population": "EFF",
            "endpoints": [{"paramcd": "IGATS", "label": "IGA-TS"}],
        },
        {"id": "Figure 2", "kind": "figure", "source": "Table 2", "paramcd": "EASI50", "title": "EASI-50 bars"},
        {
            "id": "Listing 1",
            "kind": "listing",
            "title": "Listing",
            "population": "NACH",
            "values": [{"label": "Baseline IGA", "var": "BLIGA"}, {"label": "Week 8 IGA", "paramcd": "IGA"}],
            "components": [{"paramcd": "EASI50", "label": "EASI-50"}, {"paramcd": "CPR", "label": "CPR"}],
        },
    ],
}


def make_adsl() -> pd.DataFrame:
    cols = ["USUBJID", "STUDYID", "TRT01PN", "SEX", "AGE", "RACEGR1", "BLIGA", "BLITCH", "EFFFL", "NACHFL", "W8IGAFL"]
    return pd.DataFrame(ADSL_ROWS, columns=cols)


def make_adeff() -> pd.DataFrame:
    recs = []
    for pc, vals in ADEFF_VALUES.items():
        for u, v in vals.items():
            aval, dtype = v if isinstance(v, tuple) else (v, "")
            recs.append({"USUBJID": u, "PARAMCD": pc, "AVISIT": "Week 8", "AVAL": float(aval), "DTYPE": dtype})
    for u, v in W8IGA.items():
        recs.append({"USUBJID": u, "PARAMCD": "IGA", "AVISIT": "Week 8", "AVAL": float(v), "DTYPE": ""})
    return pd.DataFrame(recs)


@pytest.fixture
def adsl():
    return make_adsl()


@pytest.fixture
def adeff():
    return make_adeff()


@pytest.fixture
def tiny_spec():
    return parse_tlf_spec(TINY_SPEC)


@pytest.fixture
def tiny_spec_raw():
    import copy

    return copy.deepcopy(TINY_SPEC)


@pytest.fixture(scope="module")
def tiny_inputs():
    """(ADSL, ADEFF, spec) shared by a module's tests that only read them."""
    return make_adsl(), make_adeff(), parse_tlf_spec(TINY_SPEC)
