"""A tiny spec (two datasets, value-level metadata) and tiny ADSL/ADEFF frames for export tests."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from adamforge import clock

TINY_RAW = {
    "study": {"name": "Tiny study", "studyid": "TINY-001"},
    "parameters": {},
    "datasets": {
        "ADSL": {
            "label": "Subject-Level Analysis Dataset",
            "structure": "One record per subject",
            "class": "SUBJECT LEVEL ANALYSIS DATASET",
            "keys": ["STUDYID", "USUBJID"],
            "variables": [
                {
                    "name": "STUDYID",
                    "label": "Study Identifier",
                    "type": "text",
                    "length": 8,
                    "origin": "Predecessor",
                    "predecessor": "DM.STUDYID",
                    "core": "Req",
                },
                {
                    "name": "USUBJID",
                    "label": "Unique Subject Identifier",
                    "type": "text",
                    "length": 20,
                    "origin": "Predecessor",
                    "predecessor": "DM.USUBJID",
                    "core": "Req",
                },
                {
                    "name": "AGE",
                    "label": "Age",
                    "type": "integer",
                    "length": 8,
                    "origin": "Predecessor",
                    "predecessor": "DM.AGE",
                },
                {
                    "name": "SEX",
                    "label": "Sex",
                    "type": "text",
                    "length": 1,
                    "origin": "Predecessor",
                    "predecessor": "DM.SEX",
                    "codelist": "SEX",
                },
                {
                    "name": "TRT01PN",
                    "label": "Planned Treatment for Period 01 (N)",
                    "type": "integer",
                    "length": 8,
                    "origin": "Derived",
                    "method": "MT.TRT01P",
                    "codelist": "TRTPN",
                },
                {
                    "name": "TRTSDT",
                    "label": "Date of First Exposure to Treatment",
                    "type": "date",
                    "length": 8,
                    "format": "DATE9.",
                    "origin": "Derived",
                    "method": "MT.TRTSDT",
                },
                {
                    "name": "EFFFL",
                    "label": "Efficacy Population Flag",
                    "type": "text",
                    "length": 1,
                    "origin": "Derived",
                    "method": "MT.EFFFL",
                    "codelist": "NY",
                },
            ],
        },
        "ADEFF": {
            "label": "Efficacy Analysis Dataset",
            "structure": "One record per subject per parameter per analysis visit",
            "class": "BASIC DATA STRUCTURE",
            "keys": ["STUDYID", "USUBJID", "PARAMCD", "AVISITN"],
            "variables": [
                {
                    "name": "STUDYID",
                    "label": "Study Identifier",
                    "type": "text",
                    "length": 8,
                    "origin": "Predecessor",
                    "predecessor": "ADSL.STUDYID",
                    "core": "Req",
                },
                {
                    "name": "USUBJID",
                    "label": "Unique Subject Identifier",
                    "type": "text",
                    "length": 20,
                    "origin": "Predecessor",
                    "predecessor": "ADSL.USUBJID",
                    "core": "Req",
                },
                {
                    "name": "PARAMCD",
                    "label": "Parameter Code",
                    "type": "text",
                    "length": 8,
                    "origin": "Assigned",
                    "codelist": "PARAMCD",
                    "core": "Req",
                },
                {
                    "name": "PARAM",
                    "label": "Parameter",
                    "type": "text",
                    "length": 40,
                    "origin": "Assigned",
                    "core": "Req",
                },
                {
                    "name": "AVISITN",
                    "label": "Analysis Visit (N)",
                    "type": "float",
                    "length": 8,
                    "origin": "Derived",
                    "method": "MT.AVISIT",
                },
                {
                    "name": "ADT",
                    "label": "Analysis Date",
                    "type": "date",
                    "length": 8,
                    "format": "DATE9.",
                    "origin": "Derived",
                    "method": "MT.AVISIT",
                },
                {
                    "name": "AVAL",
                    "label": "Analysis Value",
                    "type": "float",
                    "length": 8,
                    "origin": "Derived",
                    "method": "MT.AVAL",
                },
                {
                    "name": "AVALC",
                    "label": "Analysis Value (C)",
                    "type": "text",
                    "length": 1,
                    "origin": "Derived",
                    "method": "MT.RESP",
                    "codelist": "NY",
                },
            ],
        },
    },
    "codelists": {
        "SEX": {
            "name": "Sex",
            "data_type": "text",
            "terms": [{"coded": "F", "decode": "Female"}, {"coded": "M", "decode": "Male"}],
        },
        "NY": {
            "name": "No Yes Response",
            "data_type": "text",
            "terms": [{"coded": "Y", "decode": "Yes"}, {"coded": "N", "decode": "No"}],
        },
        "TRTPN": {
            "name": "Treatment (N)",
            "data_type": "integer",
            "terms": [{"coded": 1, "decode": "Vehicle"}, {"coded": 2, "decode": "RUX 1.5%"}],
        },
        "PARAMCD": {"name": "Parameter Code", "data_type": "text", "terms": ["IGA", "EASI", "IGATS"]},
        "IGA": {
            "name": "IGA",
            "data_type": "integer",
            "terms": [
                {"coded": 0, "decode": "Clear"},
                {"coded": 1, "decode": "Almost clear"},
                {"coded": 2, "decode": "Mild"},
                {"coded": 3, "decode": "Moderate"},
                {"coded": 4, "decode": "Severe"},
            ],
        },
        "UNUSED": {"name": "Never referenced", "data_type": "text", "terms": ["X"]},
    },
    "methods": {
        "MT.TRT01P": {"name": "Planned treatment", "description": "1 for Vehicle, 2 for RUX 1.5% from DM.ARMCD."},
        "MT.TRTSDT": {"name": "Treatment start", "description": "Date part of EX.EXSTDTC of the first exposure."},
        "MT.EFFFL": {"name": "Efficacy flag", "description": "Y unless the site is excluded."},
        "MT.AVISIT": {"name": "Analysis visit", "description": "Visit window by study day."},
        "MT.AVAL": {"name": "Analysis value", "description": "RS.RSSTRESN of the record in the window."},
        "MT.RESP": {"name": "Responder", "description": "1 if IGA 0/1 with a 2-grade improvement, else 0."},
        "MT.UNUSED": {"name": "Unused", "description": "Never referenced."},
    },
    "value_level": [
        {
            "dataset": "ADEFF",
            "variable": "AVAL",
            "paramcd": "IGA",
            "param": "IGA Score",
            "type": "integer",
            "origin": "Derived",
            "method": "MT.AVAL",
            "codelist": "IGA",
        },
        {
            "dataset": "ADEFF",
            "variable": "AVAL",
            "paramcd": "EASI",
            "param": "EASI Score",
            "type": "float",
            "origin": "Derived",
            "method": "MT.AVAL",
        },
        {
            "dataset": "ADEFF",
            "variable": "AVAL",
            "paramcd": "IGATS",
            "param": "IGA Treatment Success",
            "type": "integer",
            "origin": "Derived",
            "method": "MT.RESP",
        },
    ],
    "windows": [],
    "endpoints": [],
}


def make_spec(raw=None):
    """Build the tiny spec (spec-model warnings about the tiny study are ignored)."""
    from adamforge.adam.spec import build_spec

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_spec(raw or TINY_RAW, policy="dev")


@pytest.fixture
def tiny_raw():
    """A deep copy of the tiny spec's YAML-shaped data, to break in a test."""
    import copy

    return copy.deepcopy(TINY_RAW)


@pytest.fixture
def spec_factory():
    """``spec_factory(raw)`` builds a spec from YAML-shaped data."""
    return make_spec


@pytest.fixture
def tiny_spec():
    return make_spec()


@pytest.fixture
def tiny_adsl():
    return pd.DataFrame(
        {
            "STUDYID": ["TINY-001", "TINY-001"],
            "USUBJID": ["TINY-001-101", "TINY-001-102"],
            "AGE": [34, 15],
            "SEX": ["F", "M"],
            "TRT01PN": [1, 2],
            "TRTSDT": pd.to_datetime(["2024-01-05", "2024-02-29"]),
            "EFFFL": ["Y", "N"],
        }
    )


@pytest.fixture
def tiny_adeff():
    return pd.DataFrame(
        {
            "STUDYID": ["TINY-001"] * 4,
            "USUBJID": ["TINY-001-101", "TINY-001-101", "TINY-001-101", "TINY-001-102"],
            "PARAMCD": ["IGA", "IGA", "EASI", "IGATS"],
            "PARAM": ["IGA Score", "IGA Score", "EASI Score", "IGA Treatment Success"],
            "AVISITN": [0.0, 8.0, 0.0, 8.0],
            "ADT": pd.to_datetime(["2024-01-05", "2024-03-01", "2024-01-05", None]),
            "AVAL": [3.0, 1.0, 12.5, None],
            "AVALC": [None, None, None, None],
        }
    )


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setenv("ADAMFORGE_TIMESTAMP", "2026-03-04T05:06:07")
    clock._reset_for_tests()
    yield
    clock._reset_for_tests()
