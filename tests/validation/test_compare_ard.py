"""Results-level QC: ARD comparison with a tolerance per statistic kind, type-aware keys."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from adamforge.errors import DataError
from adamforge.validation.compare_ard import (
    DEFAULT_RULES,
    classify_statistic,
    compare_ard,
    read_ard,
    render_ard_text,
    rules_from_spec,
)


def _ard():
    return pd.DataFrame(
        {
            "output_id": ["T2"] * 6,
            "population": ["NACH"] * 6,
            "group": ["RUX15"] * 6,
            "parameter": ["CPR"] * 6,
            "statistic": ["n", "N", "pct", "or", "or_lcl", "p_value"],
            "value": [168.0, 197.0, 85.27918781725889, 3.41, 2.05, 1.2e-6],
        }
    )


@pytest.mark.parametrize(
    "stat,kind",
    [
        ("n", "count"),
        ("N", "count"),
        ("n_resp", "count"),
        ("nobs", "count"),
        ("pct", "percent"),
        ("percent", "percent"),
        ("p_value", "p-value"),
        ("pvalue", "p-value"),
        ("cmh_p", "p-value"),
        ("fisher_p", "p-value"),
        ("or", "estimate"),
        ("or_ucl", "estimate"),
        ("mh_or", "estimate"),
        ("cmh_stat", "estimate"),
        ("mean", "descriptive"),
        ("median", "descriptive"),
        ("min", "descriptive"),
        ("sig_mark", "categorical"),
        ("separation", "categorical"),
    ],
)
def test_statistic_kinds(stat, kind):
    assert classify_statistic(stat).kind == kind


def test_equal_ards():
    res = compare_ard(_ard(), _ard())
    assert res.equal and res.return_code == 0
    assert res.keys == ("output_id", "population", "group", "parameter", "statistic")
    assert [(k, n, u) for k, _, _, n, u, _ in res.kinds] == [
        ("count", 2, 0),
        ("percent", 1, 0),
        ("p-value", 1, 0),
        ("estimate", 2, 0),
    ]
    assert [(s.kind, s.max_abs_diff, s.max_rel_diff) for s in res.summaries] == [
        ("count", 0.0, 0.0),
        ("percent", 0.0, 0.0),
        ("p-value", 0.0, 0.0),
        ("estimate", 0.0, 0.0),
    ]


def _one(stat, base, qc):
    a = pd.DataFrame(
        {
            "output_id": ["T"],
            "population": ["P"],
            "group": ["G"],
            "parameter": ["X"],
            "statistic": [stat],
            "value": [base],
        }
    )
    return compare_ard(a, a.assign(value=[qc]))


# one value just inside and one just outside each default tolerance
@pytest.mark.parametrize(
    "stat,base,inside,outside",
    [
        ("n", 168.0, 168.0, 168.0 + 1e-12),  # counts: exact
        ("pct", 85.27918781725889, 85.27918781725889 + 0.9e-9, 85.27918781725889 + 1.1e-9),  # absolute 1e-9
        ("mean", 12.5, 12.5 * (1 + 0.9e-9), 12.5 * (1 + 1.1e-9)),  # descriptive: relative 1e-9
        ("or", 3.41, 3.41 * (1 + 0.9e-6), 3.41 * (1 + 1.1e-6)),  # estimates and CIs: relative 1e-6
        ("or_lcl", 2.05, 2.05 * (1 - 0.9e-6), 2.05 * (1 - 1.1e-6)),
        ("p_value", 0.03, 0.03 + 0.9e-8, 0.03 + 0.031e-6 * 1.1 + 1e-8),  # absolute 1e-8 or relative 1e-6
        ("cmh_p", 1.2e-20, 1.2e-20 * (1 + 0.9e-6), 2e-8),  # a tiny p-value: within 1e-8 absolute
    ],
)
def test_tolerance_just_inside_and_just_outside(stat, base, inside, outside):
    assert _one(stat, base, inside).equal
    res = _one(stat, base, outside)
    if stat == "cmh_p":  # 2e-8 vs 1.2e-20: beyond absolute 1e-8 and relative 1e-6
        assert not res.equal
        return
    assert res.return_code == 4096
    d = res.differences.iloc[0]
    assert d["statistic"] == stat and d["kind"] == classify_statistic(stat).kind
    assert d["tolerance"] == classify_statistic(stat).tolerance


def test_p_value_absolute_or_relative():
    rule = classify_statistic("p_value")
    assert rule.tolerance == "absolute 1e-08 or relative 1e-06"
    # 0.5 vs 0.5 + 4e-7: 8e-7 relative (inside), 4e-7 absolute (outside): equal by the relative criterion
    assert _one("p_value", 0.5, 0.5 + 4e-7).equal
    assert not _one("p_value", 0.5, 0.5 + 6e-7).equal


def test_tolerance_per_kind_below_and_above():
    qc = _ard()
    qc.loc[2, "value"] += 5e-10  # percent: absolute 1e-9 -> equal
    qc.loc[5, "value"] *= 1 + 5e-7  # p-value: relative 1e-6 -> equal
    qc.loc[3, "value"] *= 1 + 5e-7  # estimate: relative 1e-6 -> equal
    assert compare_ard(_ard(), qc).equal
    qc.loc[0, "value"] = 168.0000001  # count: exact -> unequal
    qc.loc[2, "value"] += 2e-9  # percent: above -> unequal
    qc.loc[5, "value"] = 2.5e-6  # p-value: 1.3e-6 absolute (above 1e-8), 70% relative -> unequal
    res = compare_ard(_ard(), qc)
    assert res.return_code == 4096
    assert res.differences[["statistic", "kind"]].to_dict("records") == [
        {"statistic": "n", "kind": "count"},
        {"statistic": "p_value", "kind": "p-value"},
        {"statistic": "pct", "kind": "percent"},
    ]
    text = render_ard_text(res)
    assert ["count", "exact", "2", "1", "1e-07", "5.95238e-10"] in [ln.split() for ln in text.splitlines()]
    s = {x.kind: x for x in res.summaries}
    assert s["estimate"].n_compared == 2 and s["estimate"].n_unequal == 0
    assert s["estimate"].max_rel_diff == pytest.approx(5e-7, rel=1e-3)  # the largest difference seen, within tolerance


def test_rules_from_spec_come_first_and_bad_entries_are_named():
    rules = rules_from_spec(
        [
            {"kind": "percent", "statistics": ["pct"], "method": "absolute", "criterion": 1e-12},
            {
                "kind": "p-value",
                "pattern": r"\w*p_?value|\w+_p",
                "method": "absolute",
                "criterion": 1e-10,
                "or": {"method": "relative", "criterion": 1e-9},
            },
        ]
    )
    assert classify_statistic("pct", rules).tolerance == "absolute 1e-12"
    assert classify_statistic("cmh_p", rules).tolerance == "absolute 1e-10 or relative 1e-09"
    assert classify_statistic("n", rules) == DEFAULT_RULES[0]
    qc = _ard()
    qc.loc[2, "value"] += 5e-10
    assert not compare_ard(_ard(), qc, rules=rules).equal
    with pytest.raises(DataError) as e:
        rules_from_spec(
            [
                {"kind": "x", "statistics": ["a"], "method": "nearly"},
                {"kind": "y", "statistics": ["b"], "method": "absolute", "criterion": -1},
                {"kind": "z"},
            ]
        )
    assert e.value.problems == [
        "tolerances[0] (x): method 'nearly' is not one of exact, absolute, relative, percent",
        "tolerances[1] (y): criterion must be a number >= 0, not -1",
        "tolerances[2] (z): give either statistics (a list) or pattern",
    ]


def test_numeric_keys_match_by_value_not_text():
    base = _ard().assign(group=[1, 1, 1, 2, 2, 2])  # integers
    qc = _ard().assign(group=[1.0, 1.0, 1.0, 2.0, 2.0, 2.0])  # floats: 1.0 is 1
    res = compare_ard(base, qc)
    assert res.equal and res.n_common == 6
    qc_text = _ard().assign(group=["1", "1", "1", "2", "2", "2.0"])  # a CSV-read side: numbers as text
    assert compare_ard(base, qc_text).equal
    mixed = _ard().assign(group=["1", "1", "1", "2", "2", "two"])  # not all numbers: compared as text
    res = compare_ard(base, mixed)
    assert res.n_common == 5 and res.base_only["group"].tolist() == [2]
    assert res.compare_only["group"].tolist() == ["two"]
    # 1 and 1.0 in the same ARD are one key: a duplicate
    dup = _ard().assign(group=np.array([1, 1.0, 1, 2, 2, 2], dtype=object), statistic=["n"] * 6)
    with pytest.raises(DataError):
        compare_ard(dup, dup)


def test_text_results_from_value_char():
    base = _ard().assign(value_char="")
    extra = pd.DataFrame([{**base.iloc[0].to_dict(), "statistic": "sig_mark", "value": None, "value_char": "****"}])
    base = pd.concat([base, extra], ignore_index=True)
    qc = base.copy()
    assert compare_ard(base, qc).equal
    qc.loc[6, "value_char"] = "***"
    res = compare_ard(base, qc)
    assert res.differences[["statistic", "kind", "base", "compare"]].to_dict("records") == [
        {"statistic": "sig_mark", "kind": "categorical", "base": "****", "compare": "***"}
    ]


def test_missing_and_extra_statistics_and_text_values():
    qc = _ard().iloc[1:].copy()
    qc = pd.concat([qc, pd.DataFrame([{**qc.iloc[0].to_dict(), "statistic": "pct_ci", "value": 1.0}])])
    base = _ard().astype({"value": object})
    base.loc[3, "value"] = "NE"
    res = compare_ard(base, qc)
    assert res.base_only["statistic"].tolist() == ["n"]
    assert res.compare_only["statistic"].tolist() == ["pct_ci"]
    assert res.differences[["statistic", "base", "compare"]].to_dict("records") == [
        {"statistic": "or", "base": "NE", "compare": "3.41"}
    ]
    assert res.return_code == 64 + 128 + 4096


def test_duplicated_statistics_are_named():
    with pytest.raises(DataError) as e:
        compare_ard(pd.concat([_ard(), _ard().iloc[:1]]), _ard())
    assert e.value.problems == [
        "BASE: duplicated statistic output_id=T2, population=NACH, group=RUX15, parameter=CPR, statistic=n"
    ]


def test_read_ard_json_shapes(tmp_path):
    recs = _ard().to_dict("records")
    (tmp_path / "a.json").write_text(json.dumps(recs))
    (tmp_path / "b.json").write_text(json.dumps({"results": recs}))
    assert compare_ard(read_ard(tmp_path / "a.json"), read_ard(tmp_path / "b.json")).equal
