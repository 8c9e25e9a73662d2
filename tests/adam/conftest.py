"""Fixtures shared by the ADaM tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def make_tiny_sdtm():
    """A two-subject SDTM (DM, DS, MH, SC, RS, QS) the reference spec derives without a problem."""
    dm = pd.DataFrame(
        {
            "STUDYID": "S",
            "USUBJID": ["S-101-1", "S-101-2"],
            "SUBJID": ["1", "2"],
            "SITEID": "101",
            "COUNTRY": "USA",
            "AGE": [30.0, 15.0],
            "AGEU": "YEARS",
            "SEX": ["F", "M"],
            "RACE": "WHITE",
            "ARMCD": ["VEH-RUX075", "RUX15"],
            "ARM": "x",
            "ACTARMCD": ["VEH-RUX075", "RUX15"],
            "ACTARM": "x",
            "RFXSTDTC": ["2020-01-10", "2020-02-01"],
            "RFXENDTC": ["2020-12-01", "2020-12-01"],
        }
    )
    ds = pd.DataFrame(
        {
            "USUBJID": ["S-101-1", "S-101-2"],
            "DSCAT": "PROTOCOL MILESTONE",
            "EPOCH": "SCREENING",
            "DSDECOD": "RANDOMIZED",
            "DSSTDTC": ["2020-01-09", "2020-01-30"],
        }
    )
    mh = pd.DataFrame({"USUBJID": ["S-101-1", "S-101-2"], "MHCAT": "PRIMARY DIAGNOSIS", "MHSTDTC": ["2001", "2010-05"]})
    sc = pd.DataFrame({"USUBJID": ["S-101-1"], "SCTESTCD": ["FACEINV"], "SCSTRESC": ["Y"], "SCSTRESN": [np.nan]})
    rs = pd.DataFrame(
        {
            "USUBJID": ["S-101-1", "S-101-1"],
            "RSSEQ": [1.0, 2.0],
            "RSTESTCD": "IGA",
            "RSSTRESN": [3.0, 1.0],
            "RSDTC": ["2020-01-10", "2020-03-06"],
        }
    )
    qs = pd.DataFrame(
        {
            "USUBJID": ["S-101-1"],
            "QSSEQ": [1.0],
            "QSCAT": ["ITCH NRS"],
            "QSTESTCD": ["ITCHNRS"],
            "QSSTRESN": [5.0],
            "VISITNUM": [np.nan],
            "QSDTC": ["2020-01-05"],
        }
    )
    return {"DM": dm, "DS": ds, "MH": mh, "SC": sc, "RS": rs, "QS": qs}


@pytest.fixture
def tiny_sdtm():
    """A fresh copy of the two-subject SDTM of :func:`make_tiny_sdtm`, to break in a test."""
    return make_tiny_sdtm()
