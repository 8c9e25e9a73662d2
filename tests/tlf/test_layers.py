"""Layered tables, the statistics registry, ANCOVA, Kaplan-Meier and log-rank: each statistic
against a closed form computed by hand on tiny data, and the bad-input notes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from adamforge.tlf import models
from adamforge.tlf.layers import data_precision, render_format
from adamforge.tlf.registry import METHODS, STATISTICS, check_method_args
from adamforge.tlf.spec import parse_tlf_spec

# --- Kaplan-Meier and log-rank by hand -------------------------------------------------------


def test_km_median_by_hand():
    # times 1,2,3,4,5 events at 1,3,4 (2 and 5 censored):
    # S(1) = 4/5 = 0.8; S(3) = 0.8 * (1 - 1/3) = 0.5333; S(4) = 0.5333 * (1 - 1/2) = 0.2667 -> median 4
    km = models.kaplan_meier(np.array([1, 2, 3, 4, 5]), np.array([1, 0, 1, 1, 0]))
    s = dict(zip(km.curve["time"], km.curve["surv"]))
    assert s[1] == pytest.approx(0.8) and s[3] == pytest.approx(0.8 * 2 / 3) and s[4] == pytest.approx(0.8 * 2 / 3 / 2)
    assert km.median == 4 and km.events == 3
    # exactly 0.5 on an interval: the midpoint to the next event time (SAS, R)
    km2 = models.kaplan_meier(np.array([1, 2, 3, 4]), np.array([1, 1, 1, 1]))
    assert km2.median == 2.5
    # not reached: NaN (shown as NE)
    assert math.isnan(models.kaplan_meier(np.array([1, 2, 3]), np.array([1, 0, 0])).median)


def test_km_greenwood_loglog_band_by_hand():
    km = models.kaplan_meier(np.array([1, 2, 3, 4, 5]), np.array([1, 0, 1, 1, 0]))
    r = km.curve.set_index("time").loc[3]
    s = 0.8 * 2 / 3
    v = 1 / (5 * 4) + 1 / (3 * 2)  # Greenwood sum d / (n (n - d))
    w = 1.959963984540054 * math.sqrt(v) / abs(math.log(s))
    assert r["lcl"] == pytest.approx(s ** math.exp(w)) and r["ucl"] == pytest.approx(s ** math.exp(-w))


def test_logrank_two_groups_by_hand():
    # A: 1(e), 3(e), 5(c); B: 2(e), 4(e), 6(e)
    t = np.array([1, 3, 5, 2, 4, 6])
    e = np.array([1, 1, 0, 1, 1, 1])
    g = np.array(["A"] * 3 + ["B"] * 3)
    # event times 1..6 with events: at risk (nA, nB), d: t1 (3,3) A; t2 (2,3) B; t3 (2,2) A; t4 (1,2) B; t6 (0,1) B
    OA = 2
    EA = 3 / 6 + 2 / 5 + 2 / 4 + 1 / 3 + 0
    V = (3 * 3) / 36 + (2 * 3) / 25 + (2 * 2) / 16 + (1 * 2) / 9 + 0  # d=1: nA nB / n^2
    res = models.logrank(t, e, g)
    assert res["chisq"] == pytest.approx((OA - EA) ** 2 / V)
    assert res["p_value"] == pytest.approx(math.erfc(math.sqrt(res["chisq"] / 2)))
    assert res["df"] == 1


# --- ANCOVA ------------------------------------------------------------------------------


def _ancova_data():
    rng = np.random.default_rng(3)
    n = 30
    df = pd.DataFrame(
        {
            "ARM": np.repeat([0, 54, 81], 10),
            "SITE": np.tile(["a", "b", "c"], 10),
            "BASE": rng.integers(10, 40, n).astype(float),
        }
    )
    df["CHG"] = 0.02 * df["ARM"] + 0.3 * df["BASE"] + df["SITE"].map({"a": 0, "b": 1, "c": -1}) + rng.normal(0, 2, n)
    return df


def test_ancova_lsmeans_by_hand():
    """LS mean = prediction at the covariate mean, sites weighted equally (numpy least squares)."""
    df = _ancova_data()
    X = np.column_stack(
        [np.ones(len(df)), df["ARM"].eq(54), df["ARM"].eq(81), df["SITE"].eq("b"), df["SITE"].eq("c"), df["BASE"]]
    ).astype(float)
    y = df["CHG"].to_numpy()
    b, *_ = np.linalg.lstsq(X, y, rcond=None)
    site = (b[3] + b[4]) / 3
    xbar = df["BASE"].mean()
    want = {0: b[0] + site + b[5] * xbar, 54: b[0] + b[1] + site + b[5] * xbar, 81: b[0] + b[2] + site + b[5] * xbar}
    r = models.ancova(
        df,
        response="CHG",
        group="ARM",
        levels=[0, 54, 81],
        covariates=["BASE"],
        factors=["SITE"],
        comparisons=[(54, 0), (81, 0), (81, 54)],
    )
    for k, v in want.items():
        assert r.lsmeans[k][0] == pytest.approx(v)
    resid = y - X @ b
    cov = resid @ resid / (len(y) - 6) * np.linalg.inv(X.T @ X)
    c = np.array([0, -1, 1, 0, 0, 0.0])
    se = math.sqrt(c @ cov @ c)
    d = r.diffs[(81, 54)]
    assert d["diff"] == pytest.approx(b[2] - b[1]) and d["se"] == pytest.approx(se)
    from scipy import stats

    assert d["p_value"] == pytest.approx(2 * stats.t.sf(abs((b[2] - b[1]) / se), len(y) - 6))
    assert d["lcl"] == pytest.approx(b[2] - b[1] - stats.t.ppf(0.975, len(y) - 6) * se)


def test_dose_response_is_the_slope_of_dose():
    df = _ancova_data()
    X = np.column_stack([np.ones(len(df)), df["ARM"], df["SITE"].eq("b"), df["SITE"].eq("c"), df["BASE"]]).astype(float)
    b, *_ = np.linalg.lstsq(X, df["CHG"].to_numpy(), rcond=None)
    r = models.dose_response(df, response="CHG", dose="ARM", covariates=["BASE"], factors=["SITE"])
    assert r["slope"] == pytest.approx(b[1])


def test_ancova_cannot_be_fitted_messages():
    df = _ancova_data()
    with pytest.raises(models.ModelError, match="no subject with a non-missing CHG in arm"):
        models.ancova(df[df["ARM"] != 81], response="CHG", group="ARM", levels=[0, 54, 81])
    df["SITE2"] = df["SITE"]  # the same factor twice: singular design
    with pytest.raises(models.ModelError, match="singular design"):
        models.ancova(df, response="CHG", group="ARM", levels=[0, 54, 81], factors=["SITE", "SITE2"])


# --- descriptive statistics, precision, formats -------------------------------------------


def test_quartiles_are_sas_default():
    x = np.array([1.0, 2, 3, 4, 5, 6])
    # QNTLDEF=5: n p = 1.5 -> x(2) = 2; 4.5 -> x(5) = 5; on 4 values n p = 1 -> (x1 + x2) / 2
    assert STATISTICS["q1"].fn(x) == 2 and STATISTICS["q3"].fn(x) == 5
    assert STATISTICS["q1"].fn(np.array([1.0, 2, 3, 4])) == 1.5


def test_precision_and_relative_decimals():
    assert data_precision(pd.Series([1, 2, 30])) == 0
    assert data_precision(pd.Series([1.5, 2.25, None])) == 2
    vals = {"mean": 24.12183, "sd": 12.18637, "n": 79.0, "p_value": 0.24470}
    text, keys = render_format("{n}: {mean:+1} ({sd:+2}) p={p_value:p3}", vals.get, 0, lambda s: ("T", "g", "p", s))
    assert text == "79: 24.1 (12.19) p=0.245"
    assert [k[3] for k in keys] == ["n", "mean", "sd", "p_value"]
    assert render_format("{median:1}", {"median": None}.get, 0, lambda s: s)[0] == "NE"


def test_a_new_statistic_is_one_registered_function(tiny_spec_raw):
    from adamforge.tlf.registry import statistic

    @statistic("cv_test")
    def cv(x):
        return float(100 * np.std(x, ddof=1) / np.mean(x)) if len(x) > 1 else None

    try:
        raw = _layered_raw(
            tiny_spec_raw,
            [{"id": "AGE", "type": "desc", "var": "AGE", "rows": [{"label": "CV %", "format": "{cv_test:1}"}]}],
        )
        assert parse_tlf_spec(raw).output("Table 9").layers[0].problem == ""
    finally:
        del STATISTICS["cv_test"]
    assert "statistic 'cv_test' is not registered" in parse_tlf_spec(raw).output("Table 9").layers[0].problem


def test_method_arguments_are_checked_against_the_signature():
    assert check_method_args("ancova", {"response": "CHG", "covariate": ["BASE"]}) == [
        "method ancova: unknown argument 'covariate' (arguments: response, covariates, factors)"
    ]
    assert check_method_args("ancova", {}) == ["method ancova: argument 'response' is required"]
    assert "method 'anova' is not registered" in check_method_args("anova", {})[0]
    assert set(METHODS) >= {"ancova", "dose_response", "logistic", "cmh", "kaplan_meier", "logrank"}


# --- layered tables on the tiny study: numbers, provenance, bad input ---------------------------


def _layered_raw(raw, layers, population="EFFL"):
    raw["populations"]["EFFL"] = {
        "label": "Efficacy (filter language)",
        "dataset": "ADSL",
        "where": {"EFFFL": "Y", "AGE": {"ge": 0}},
    }
    raw["populations"]["NONE"] = {"label": "Nobody", "dataset": "ADSL", "where": {"AGE": {"gt": 200}}}
    raw["outputs"].append(
        {
            "id": "Table 9",
            "kind": "table",
            "title": "Layered",
            "population": population,
            "columns": {"variable": "TRT01PN", "total": "Total"},
            "layers": layers,
        }
    )
    return raw


def _build(adsl, adeff, raw):
    from adamforge.tlf.registry import output_kind
    from adamforge.tlf.render import DocMeta
    from adamforge.tlf.step import build_outputs
    from adamforge.tlf.tables import ArdIndex

    spec = parse_tlf_spec(raw)
    res = build_outputs(adsl, adeff, spec, meta=DocMeta("s", "p", "c", "t", ""), rtf=False)
    ix = ArdIndex(res.ard)
    view = output_kind("table", "view")(spec.output("Table 9"), ix, spec, None, {})
    return res, view.table, view.footnotes


LAYERS = [
    {
        "id": "AGE",
        "type": "desc",
        "var": "AGE",
        "label": "Age",
        "rows": [
            {"label": "n", "format": "{n}"},
            {"label": "Mean (SD)", "format": "{mean:+1} ({sd:+2})"},
            {"label": "Median (Q1, Q3)", "format": "{median:+1} ({q1:+1}, {q3:+1})"},
        ],
    },
    {"id": "SEX", "type": "counts", "var": "SEX", "label": "Sex", "levels": ["F", "M"]},
    {
        "id": "RACE",
        "type": "counts",
        "vars": ["RACEGR1", "SEX"],
        "label": "Race / sex",
        "sort": "frequency",
        "any_label": "Any",
    },
]


def test_layered_table_numbers_by_hand(adsl, adeff, tiny_spec_raw):
    res, t, _ = _build(adsl, adeff, _layered_raw(tiny_spec_raw, LAYERS))
    rows = {r.label: r.cells for r in t.rows}
    # EFFFL = Y: arm 1 S01-S04 ages 30 40 25 60; arm 2 33 47 52 19; arm 3 70 28 35 (S12 not EFF)
    assert t.header == ("Vehicle\n(N=4)", "RUX 0.75%\n(N=4)", "RUX 1.5%\n(N=3)", "Total\n(N=11)")
    assert rows["n"] == ("4", "4", "3", "11")
    sd1 = float(np.std([30, 40, 25, 60], ddof=1))
    assert rows["Mean (SD)"][0] == f"38.8 ({sd1:.2f})"  # 155 / 4 = 38.75 -> 38.8 (half away from zero)
    labels = [r.label for r in t.rows]
    sex_f = t.rows[labels.index("Sex") + 1]
    assert sex_f.label == "F" and sex_f.cells == ("3 (75.0)", "2 (50.0)", "2 (66.7)", "7 (63.6)")
    # nested, by frequency: White (6 of 11) first, then Black (3), then Asian, Other (1 each, alphabetical)
    race = [r.label for r in t.rows][t.rows.index(next(r for r in t.rows if r.label == "Any")) + 1 :]
    assert race[0] == "White" and race[race.index("White") + 1] in ("F", "M")
    assert [x for x in race if x not in ("F", "M")] == ["White", "Black", "Asian", "Other"]


def test_every_number_in_a_cell_comes_from_one_ard_record(adsl, adeff, tiny_spec_raw):
    import re

    from adamforge.tlf.tables import ArdIndex

    res, t, _ = _build(adsl, adeff, _layered_raw(tiny_spec_raw, LAYERS))
    ix = ArdIndex(res.ard)
    for row, srcs in zip(t.rows, t.sources):
        for cell, keys in zip(row.cells, srcs):
            nums = re.findall(r"-?\d+(?:\.\d+)?", cell)
            assert len(nums) == len(keys), (row.label, cell, keys)
            for text, key in zip(nums, keys):
                v = ix.num(*key)
                nd = len(text.split(".")[1]) if "." in text else 0
                from adamforge.tlf import fmt

                assert fmt.fmt_num(v, nd) == text.lstrip("-") or fmt.fmt_num(v, nd) == text, (key, v, text)


@pytest.mark.parametrize(
    "layer, message",
    [
        (
            {"id": "X", "type": "desc", "var": "NOSUCH", "rows": [{"label": "n", "format": "{n}"}]},
            "NOSUCH not in ADSL: the layer cannot be computed",
        ),
        (
            {"id": "X", "type": "desc", "var": "AGE", "rows": [{"label": "g", "format": "{geomean:1}"}]},
            "statistic 'geomean' is not registered",
        ),
        (
            {
                "id": "X",
                "type": "model",
                "method": "ancova",
                "args": {"response": "AGE", "factors": ["STUDYID", "STUDY2"]},
                "rows": [{"label": "p", "format": "{p_value:p}"}],
            },
            "singular design",
        ),
        (
            {
                "id": "X",
                "type": "model",
                "method": "logistic",
                "args": {"response": "RESP"},
                "rows": [{"label": "OR", "format": "{or:2}"}],
            },
            "separation",
        ),
    ],
)
def test_bad_layers_give_a_note_not_a_crash(adsl, adeff, tiny_spec_raw, layer, message):
    adsl = adsl.assign(STUDY2=adsl["STUDYID"], RESP=(adsl["TRT01PN"] > 1).astype(float))
    res, t, notes = _build(adsl, adeff, _layered_raw(tiny_spec_raw, [layer]))
    assert any(message in n for n in notes), notes
    if "separation" not in message:
        assert t.rows[0].cells == ("NE",) * 4
        assert any(message in n for n in res.notes)


def test_empty_population_is_a_note(adsl, adeff, tiny_spec_raw):
    res, t, notes = _build(adsl, adeff, _layered_raw(tiny_spec_raw, LAYERS, population="NONE"))
    assert t.header[0] == "Vehicle\n(N=0)"
    assert notes[-1].startswith("Note: population NONE (Nobody) has no record in ADSL")
    assert t.rows[0].cells == ("NE",) * 4


def test_model_with_an_empty_arm_is_a_note(adsl, adeff, tiny_spec_raw):
    layer = {
        "id": "A",
        "type": "model",
        "method": "ancova",
        "args": {"response": "AGE"},
        "rows": [{"label": "LS mean", "format": "{lsmean:1}"}, {"label": "p", "format": "{p_value:p}"}],
    }
    adsl = adsl.assign(AGE=adsl["AGE"].where(adsl["TRT01PN"] != 3))
    res, t, notes = _build(adsl, adeff, _layered_raw(tiny_spec_raw, [layer]))
    assert any("model ancova cannot be fitted: no subject with a non-missing AGE in arm(s) 3" in n for n in notes)


def test_a_statistic_registered_integer_shows_without_decimals():
    from adamforge.tlf.registry import statistic

    statistic("nmiss_test", integer=True)(lambda x: 3.0)
    try:
        text, keys = render_format("{nmiss_test} {mean}", {"nmiss_test": 3.0, "mean": 2.5}.get, 1, lambda s: s)
    finally:
        del STATISTICS["nmiss_test"]
    assert text == "3 2.5" and keys == ("nmiss_test", "mean")
