"""Relative study days (adamforge.adam.days.derive_vars_dy): Day 1 is the reference, no Day 0."""

from __future__ import annotations

import pandas as pd
import pytest

from adamforge.adam.days import derive_vars_dy
from adamforge.errors import DataError


@pytest.fixture
def df():
    return pd.DataFrame(
        {
            "TRTSDT": pd.to_datetime(["2020-01-10", "2020-01-10", "2020-01-10", None, "2020-02-28"]),
            "ADT": pd.to_datetime(["2020-01-10", "2020-01-09", None, "2020-01-01", "2020-03-01"]),
            "ASTDTM": pd.to_datetime(["2020-01-11 23:59", "2019-12-31 00:01", "2020-01-10 00:00", None, None]),
        }
    )


def test_day_one_is_the_reference_and_there_is_no_day_zero(df):
    out = derive_vars_dy(df, reference_date="TRTSDT", source_vars=["ADT", "ASTDTM"])
    assert out["ADY"].tolist() == [1, -1, pd.NA, pd.NA, 3]  # 2020 is a leap year: Feb 29 counts
    assert out["ASTDY"].tolist() == [2, -10, 1, pd.NA, pd.NA]  # --DTM gives --DY, by calendar date
    assert str(out["ADY"].dtype) == "Int64"
    assert list(df.columns) == ["TRTSDT", "ADT", "ASTDTM"]  # input not modified


def test_names_given_as_a_mapping(df):
    out = derive_vars_dy(df, reference_date="TRTSDT", source_vars={"STUDYDAY": "ADT"})
    assert out["STUDYDAY"].tolist()[:2] == [1, -1] and "ADY" not in out


def test_a_variable_that_is_not_a_date_needs_a_mapping(df):
    with pytest.raises(ValueError, match=r"cannot name the study day of 'AVAL'.*\{NEWVAR: AVAL\}"):
        derive_vars_dy(df.assign(AVAL=1.0), reference_date="TRTSDT", source_vars=["AVAL"])


def test_missing_variables_are_named(df):
    with pytest.raises(DataError, match=r"derive_vars_dy: required variable\(s\) missing from input: RANDDT, AENDT"):
        derive_vars_dy(df, reference_date="RANDDT", source_vars=["AENDT"])
