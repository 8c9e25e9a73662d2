"""Results-level QC: ARD comparison with a tolerance per statistic kind."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from adamforge.errors import DataError
from adamforge.validation.compare_ard import classify_statistic, compare_ard, read_ard, render_ard_text


def _ard():
    return pd.DataFrame({
        "output_id": ["T2"] * 6,
        "population": ["NACH"] * 6,
        "group": ["RUX15"] * 6,
        "parameter": ["CPR"] * 6,
        "statistic": ["n", "N", "pct", "or", "or_lcl", "p_value"],
        "value": [168.0, 197.0, 85.27918781725889, 3.41, 2.05, 1.2e-6],
    })


@pytest.mark.parametrize("stat,kind", [("n", "count"), ("N", "count"), ("n_resp", "count"), ("pct", "percent"),
                                       ("percent", "percent"), ("p_value", "p-value"), ("pvalue", "p-value"),
                                       ("or", "estimate"), ("or_ucl", "estimate"), ("mean", "estimate")])
def test_statistic_kinds(stat, kind):
    assert classify_statistic(stat).kind == kind


def test_equal_ards():
    res = compare_ard(_ard(), _ard())
    assert res.equal and res.return_code == 0
    assert res.keys == ("output_id", "population", "group", "parameter", "statistic")
    assert [(k, n, u) for k, _, _, n, u, _ in res.kinds] == [("count", 2, 0), ("percent", 1, 0), ("p-value", 1, 0),
                                                          ("estimate", 2, 0)]


def test_tolerance_per_kind_below_and_above():
    qc = _ard()
    qc.loc[2, "value"] += 5e-7          # percent: absolute 1e-6 -> equal
    qc.loc[5, "value"] *= 1 + 5e-7      # p-value: relative 1e-6 -> equal
    qc.loc[3, "value"] *= 1 + 5e-7      # estimate: relative 1e-6 -> equal
    assert compare_ard(_ard(), qc).equal
    qc.loc[0, "value"] = 168.0000001    # count: exact -> unequal
    qc.loc[2, "value"] += 2e-6          # percent: above -> unequal
    qc.loc[5, "value"] *= 1 + 5e-6      # p-value: above -> unequal
    res = compare_ard(_ard(), qc)
    assert res.return_code == 4096
    assert res.differences[["statistic", "kind"]].to_dict("records") == [
        {"statistic": "n", "kind": "count"}, {"statistic": "p_value", "kind": "p-value"},
        {"statistic": "pct", "kind": "percent"}]
    text = render_ard_text(res)
    assert "  count     exact     0          2         1        1e-07\n" in text


def test_missing_and_extra_statistics_and_text_values():
    qc = _ard().iloc[1:].copy()
    qc = pd.concat([qc, pd.DataFrame([{**qc.iloc[0].to_dict(), "statistic": "pct_ci", "value": 1.0}])])
    base = _ard().astype({"value": object})
    base.loc[3, "value"] = "NE"
    res = compare_ard(base, qc)
    assert res.base_only["statistic"].tolist() == ["n"]
    assert res.compare_only["statistic"].tolist() == ["pct_ci"]
    assert res.differences[["statistic", "base", "compare"]].to_dict("records") == [
        {"statistic": "or", "base": "NE", "compare": "3.41"}]
    assert res.return_code == 64 + 128 + 4096


def test_duplicated_statistics_are_named():
    with pytest.raises(DataError) as e:
        compare_ard(pd.concat([_ard(), _ard().iloc[:1]]), _ard())
    assert e.value.problems == ["BASE: duplicated statistic output_id=T2, population=NACH, group=RUX15, "
                                "parameter=CPR, statistic=n"]


def test_read_ard_json_shapes(tmp_path):
    recs = _ard().to_dict("records")
    (tmp_path / "a.json").write_text(json.dumps(recs))
    (tmp_path / "b.json").write_text(json.dumps({"results": recs}))
    assert compare_ard(read_ard(tmp_path / "a.json"), read_ard(tmp_path / "b.json")).equal
