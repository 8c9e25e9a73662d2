"""BDS derivations: ABLFL, AVISIT windows, ANL01FL (closest to target, tie later), BASE, CHG, PCHG."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adamforge.adam.derive_bds import (
    derive_var_ablfl,
    derive_var_anl01fl,
    derive_var_base,
    derive_var_chg,
    derive_var_pchg,
    derive_vars_avisit,
)
from adamforge.adam.spec import VisitWindow
from adamforge.errors import DataError

WINDOWS = [
    VisitWindow("Week 2", 2, 15, 2, 21),
    VisitWindow("Week 4", 4, 29, 22, 42),
    VisitWindow("Week 8", 8, 57, 43, 71),
]


def _bds(rows):
    df = pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "ADY", "AVAL"])
    df["ADT"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(df["ADY"], unit="D")
    return df


def _pipeline(df):
    df = derive_var_ablfl(df)
    df = derive_vars_avisit(df, windows=WINDOWS)
    df = derive_var_anl01fl(df, windows=WINDOWS)
    df = derive_var_base(df)
    df = derive_var_chg(df)
    return derive_var_pchg(df)


def test_baseline_is_last_nonmissing_on_or_before_day_1():
    df = _bds(
        [
            ("A", "IGA", -20, 3),
            ("A", "IGA", 1, np.nan),
            ("A", "IGA", 15, 2),  # day-1 value missing
            ("B", "IGA", -20, 2),
            ("B", "IGA", 1, 3),
            ("B", "IGA", 2, 1),
        ]
    )
    out = derive_var_ablfl(df)
    assert out["ABLFL"].tolist() == ["Y", "", "", "", "Y", ""]
    assert "ABLFL" not in df.columns


def test_baseline_missing_gives_no_base_and_no_change():
    out = _pipeline(_bds([("A", "EASI", 1, np.nan), ("A", "EASI", 57, 4.0)]))
    assert out["ABLFL"].tolist() == ["", ""]
    assert out["BASE"].isna().all() and out["CHG"].isna().all()


def test_windows_closest_to_target_tie_goes_to_later():
    # Week 8 target 57: days 55 and 59 are both 2 away -> 59; Week 4: 30 beats 40
    df = _bds(
        [
            ("A", "IGA", 1, 3),
            ("A", "IGA", 55, 2),
            ("A", "IGA", 59, 1),
            ("A", "IGA", 30, 2),
            ("A", "IGA", 40, 3),
            ("A", "IGA", 80, 0),
            ("A", "IGA", -5, 3),
        ]
    )
    out = _pipeline(df)
    assert out["AVISIT"].tolist() == ["Baseline", "Week 8", "Week 8", "Week 4", "Week 4", "", ""]
    assert out["AVISITN"].tolist()[:5] == [0, 8, 8, 4, 4]
    assert out["ANL01FL"].tolist() == ["Y", "", "Y", "Y", "", "", ""]
    assert out["BASE"].tolist() == [3] * 7
    assert out["CHG"].tolist()[:5] == [pytest.approx(np.nan, nan_ok=True), -1, -2, -1, 0]


def test_missing_value_does_not_win_the_window():
    out = _pipeline(_bds([("A", "IGA", 1, 3), ("A", "IGA", 57, np.nan), ("A", "IGA", 50, 2)]))
    assert out["ANL01FL"].tolist() == ["Y", "", "Y"]


def test_pchg_missing_when_base_is_zero():
    out = _pipeline(
        _bds([("A", "EASI", 1, 0.0), ("A", "EASI", 57, 2.0), ("B", "EASI", 1, 8.0), ("B", "EASI", 57, 2.0)])
    )
    assert out["CHG"].tolist()[1] == 2.0 and np.isnan(out["PCHG"].tolist()[1])
    assert out["PCHG"].tolist()[3] == -75.0


def test_required_variables_named_in_error():
    with pytest.raises(DataError, match="AVAL"):
        derive_var_ablfl(pd.DataFrame({"USUBJID": ["A"], "PARAMCD": ["X"], "ADT": [1], "ADY": [1]}))
