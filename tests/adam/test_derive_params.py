"""Weekly itch mean (7 days before the target, >= 4 days) and DLQI/CDLQI totals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from adamforge.adam.derive_params import derive_param_item_total, derive_param_window_mean

DAY1 = pd.Timestamp("2020-03-01")


def _diary(subj, days_values):
    rows = []
    for day, v in days_values:
        offset = day - 1 if day >= 1 else day
        rows.append((subj, DAY1 + pd.Timedelta(days=offset), DAY1, v))
    return pd.DataFrame(rows, columns=["USUBJID", "ADT", "TRTSDT", "AVAL"])


def test_week8_mean_uses_days_50_to_56_and_needs_4_days():
    a = _diary("A", [(49, 10), (50, 2), (52, 4), (53, np.nan), (55, 6), (56, 8), (57, 10)])  # 4 non-missing in 50-56
    b = _diary("B", [(50, 1), (51, 2), (52, 3), (53, np.nan), (54, np.nan)])  # 3 of 7 days
    out = derive_param_window_mean(pd.concat([a, b]), targets=[57], days_before=7, min_days=4, paramcd="ITCHNRS")
    res = out.set_index("USUBJID")
    assert res.loc["A", "AVAL"] == 5.0 and res.loc["A", "NDAYS"] == 4
    assert np.isnan(res.loc["B", "AVAL"]) and res.loc["B", "NDAYS"] == 3
    assert res.loc["A", "ADT"] == DAY1 + pd.Timedelta(days=55)  # study day 56
    assert (out["PARAMCD"] == "ITCHNRS").all()


def test_baseline_mean_uses_days_minus7_to_minus1():
    a = _diary("A", [(-8, 10), (-7, 4), (-5, 5), (-3, 6), (-1, 7), (1, 10)])
    out = derive_param_window_mean(a, targets=[1, 57], paramcd="ITCHNRS")
    assert out["AVAL"].tolist() == [5.5]
    assert out["ADT"].tolist() == [DAY1 - pd.Timedelta(days=1)]


def _items(subj, visit, values, cat="DLQI"):
    return pd.DataFrame(
        {"USUBJID": subj, "QSCAT": cat, "VISITNUM": visit, "QSSTRESN": values, "ADT": pd.Timestamp("2020-03-01")}
    )


def test_dlqi_one_missing_item_scores_zero_two_make_total_missing():
    full = _items("A", 2, [1, 2, 3, 0, 1, 2, 3, 0, 1, 2])
    one = _items("B", 2, [1, 2, 3, 0, 1, 2, 3, 0, 1, np.nan])
    two = _items("C", 2, [1, 2, 3, 0, 1, 2, 3, 0, np.nan, np.nan])
    absent = _items("D", 2, [3, 3, 3, 3, 3, 3, 3, 3, 3], cat="CDLQI")  # a 10th record absent
    out = derive_param_item_total(pd.concat([full, one, two, absent]))
    res = out.set_index("USUBJID")
    assert res.loc["A", "AVAL"] == 15 and res.loc["B", "AVAL"] == 13
    assert np.isnan(res.loc["C", "AVAL"])
    assert res.loc["D", "AVAL"] == 27 and res.loc["D", "PARAMCD"] == "CDLQI"
    assert res["NMISS"].tolist() == [0, 1, 2, 1]
