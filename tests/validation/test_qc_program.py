"""The independent QC program: hand-computed tiny cases, and plan section 4 on the simulated study."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adamforge.context import default_spec_dir
from adamforge.validation import qc_program as qp

#: the reference study's QC spec (specs/reference/qc.yaml)
QC = qp.load_qc_spec(default_spec_dir() / "qc.yaml")


def _dm(rows):
    return pd.DataFrame(rows, columns=["USUBJID", "SITEID", "AGE", "ARMCD", "RFXSTDTC"])


def _day(first, n):
    """ISO date of study day n (no day 0)."""
    d0 = pd.Timestamp(first)
    return (d0 + pd.Timedelta(days=n - 1 if n > 0 else n)).strftime("%Y-%m-%d")


F = "2020-01-01"


def _tiny():
    dm = _dm(
        [
            ["A", "101", 30, "RUX15", F],
            ["B", "114", 40, "VEH-RUX075", F],
            ["C", "102", 14, "RUX075", F],
            ["D", "103", 50, "VEH", F],
        ]
    )
    ds = pd.DataFrame({"USUBJID": ["A", "B", "C", "D"], "DSCAT": "PROTOCOL MILESTONE", "DSDECOD": "RANDOMIZED"})
    ex = pd.DataFrame({"USUBJID": ["A", "B", "C", "D"], "EXSTDTC": [F, F, F, ""]})
    rs = []
    seq = 0

    def add(u, test, day, val):
        nonlocal seq
        seq += 1
        rs.append({"USUBJID": u, "RSSEQ": seq, "RSTESTCD": test, "RSDTC": _day(F, day), "RSSTRESN": val})

    # A: IGA 3 at screening (-20) and 3 at Day 1; Week 8 window: day 50 -> 2, day 64 -> 1 (tie at 7 from 57:
    # the later, day 64, wins) => IGA 1, -2 grades: IGA-TS. EASI 10 -> 4 (-60%).
    add("A", "IGA", -20, 3)
    add("A", "IGA", 1, 3)
    add("A", "IGA", 50, 2)
    add("A", "IGA", 64, 1)
    add("A", "EASI", 1, 10.0)
    add("A", "EASI", 57, 4.0)
    # B: site 114 excluded; has a Week 8 IGA
    add("B", "IGA", 1, 2)
    add("B", "IGA", 57, 2)
    # C: IGA 3 -> 2 (not TS, -1 grade): non-achiever; Week 8 EASI missing (day 80 is outside the window)
    add("C", "IGA", 1, 3)
    add("C", "IGA", 20, 1)
    add("C", "IGA", 56, 2)
    add("C", "EASI", 1, 8.0)
    add("C", "EASI", 80, 1.0)
    # D: not treated (no exposure date): SAFFL N, EFFFL N
    add("D", "IGA", 1, 3)
    qs = []
    # A itch: baseline days -7..-1 = 6 (7 days) ; Week 8 days 50..56: 4 days of 3 => mean 3, -3 => NRS2 Y, NRS4 N
    for d in range(-7, 0):
        qs.append({"USUBJID": "A", "QSCAT": "ITCH NRS", "QSTESTCD": "ITCHNRS", "QSDTC": _day(F, d), "QSSTRESN": 6.0})
    for d in range(50, 54):
        qs.append({"USUBJID": "A", "QSCAT": "ITCH NRS", "QSTESTCD": "ITCHNRS", "QSDTC": _day(F, d), "QSSTRESN": 3.0})
    # C itch: baseline only 3 non-missing days (+1 NOT DONE) -> missing -> NRS2/NRS4 not evaluable
    for d, v in ((-4, 5.0), (-3, 5.0), (-2, np.nan), (-1, 5.0)):
        qs.append({"USUBJID": "C", "QSCAT": "ITCH NRS", "QSTESTCD": "ITCHNRS", "QSDTC": _day(F, d), "QSSTRESN": v})
    # A (30 y): DLQI baseline 10 items of 1 (=10); Week 8 items 1 except one missing (=9, one missing scored 0) => -1: N
    for i in range(1, 11):
        qs.append({"USUBJID": "A", "QSCAT": "DLQI", "QSTESTCD": f"DLQI{i:02d}", "QSDTC": _day(F, 1), "QSSTRESN": 1.0})
        qs.append(
            {
                "USUBJID": "A",
                "QSCAT": "DLQI",
                "QSTESTCD": f"DLQI{i:02d}",
                "QSDTC": _day(F, 57),
                "QSSTRESN": np.nan if i == 3 else 1.0,
            }
        )
    # C (14 y): CDLQI baseline 2 each (=20); Week 8: two items missing -> total missing -> NRI
    for i in range(1, 11):
        qs.append({"USUBJID": "C", "QSCAT": "CDLQI", "QSTESTCD": f"CDLQI{i:02d}", "QSDTC": _day(F, 1), "QSSTRESN": 2.0})
        qs.append(
            {
                "USUBJID": "C",
                "QSCAT": "CDLQI",
                "QSTESTCD": f"CDLQI{i:02d}",
                "QSDTC": _day(F, 57),
                "QSSTRESN": np.nan if i in (1, 2) else 0.0,
            }
        )
    return {"DM": dm, "DS": ds, "EX": ex, "RS": pd.DataFrame(rs), "QS": pd.DataFrame(qs)}


def test_qc_adsl_flags_on_tiny_study():
    adsl = qp.qc_adsl(_tiny(), QC)
    got = adsl.set_index("USUBJID")[["TRT01PN", "SAFFL", "EFFFL", "W8IGAFL", "NACHFL"]].to_dict("index")
    assert got == {
        "A": {"TRT01PN": 3.0, "SAFFL": "Y", "EFFFL": "Y", "W8IGAFL": "Y", "NACHFL": "N"},
        "B": {"TRT01PN": 1.0, "SAFFL": "Y", "EFFFL": "N", "W8IGAFL": "Y", "NACHFL": "N"},
        "C": {"TRT01PN": 2.0, "SAFFL": "Y", "EFFFL": "Y", "W8IGAFL": "Y", "NACHFL": "Y"},
        "D": {"TRT01PN": 1.0, "SAFFL": "N", "EFFFL": "N", "W8IGAFL": "N", "NACHFL": "N"},
    }
    assert (adsl["ITTFL"] == "Y").all()


def test_qc_responders_on_tiny_study():
    sdtm = _tiny()
    r = qp.qc_responders(sdtm, qp.qc_adsl(sdtm, QC), QC)
    assert sorted(r["USUBJID"].unique()) == ["A", "C"]  # efficacy-evaluable only
    got = {
        (u, p): (None if np.isnan(a) else a, c, t)
        for u, p, a, c, t in r[["USUBJID", "PARAMCD", "AVAL", "AVALC", "DTYPE"]].itertuples(index=False)
    }
    assert got[("A", "IGATS")] == (1.0, "Y", "")
    assert got[("A", "EASI50")] == (1.0, "Y", "") and got[("A", "EASI75")] == (0.0, "N", "")
    assert got[("A", "NRS2")] == (1.0, "Y", "") and got[("A", "NRS4")] == (0.0, "N", "")
    assert got[("A", "QOLR")] == (0.0, "N", "")
    assert got[("A", "CPR")] == (1.0, "Y", "") and got[("A", "TSCPRIGA")] == (1.0, "Y", "")
    assert got[("C", "IGATS")] == (0.0, "N", "") and got[("C", "IGAR1")] == (1.0, "Y", "")
    assert got[("C", "EASI50")] == (0.0, "N", "NRI")
    assert got[("C", "NRS2")] == (None, "", "") and got[("C", "NRS4")] == (None, "", "")
    assert got[("C", "QOLR")] == (0.0, "N", "NRI")
    assert got[("C", "CPR")] == (0.0, "N", "") and got[("C", "CPRIGA")] == (1.0, "Y", "")
    assert r["PARAMCD"].tolist()[:12] == list(qp.responder_params(QC))


def test_qc_program_does_not_import_the_production_engine():
    src = Path(qp.__file__).read_text()
    mods = {n.module or "" for n in ast.walk(ast.parse(src)) if isinstance(n, ast.ImportFrom)}
    mods |= {a.name for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Import) for a in n.names}
    assert not any("adam" in m.split(".") or m.startswith("adamforge.adam") for m in mods), mods


@pytest.fixture(scope="module")
def study(reference_sdtm):
    """The reference study's SDTM as the session simulated it once (read back from its files)."""
    return reference_sdtm


@pytest.mark.e2e
def test_qc_reproduces_plan_section_4(study):
    q = qp.qc_datasets(study, QC)
    a, r = q["ADSL"], q["ADEFF"]
    arms = [1.0, 2.0, 3.0]

    def by_arm(frame):
        return frame.groupby("TRT01PN").size().reindex(arms, fill_value=0).tolist()

    e = a[a["EFFFL"] == "Y"]
    assert by_arm(e) == [244, 483, 481]
    assert by_arm(e[e["W8IGAFL"] == "Y"]) == [202, 429, 450]
    assert by_arm(e[e["NACHFL"] == "Y"]) == [174, 213, 197]
    assert sorted(a.loc[a["EFFFL"] == "N", "SITEID"].unique()) == ["114", "139", "226"]
    r = r.merge(a[["USUBJID", "TRT01PN", "NACHFL", "W8IGAFL"]], on="USUBJID")

    def resp(p, sub):
        x = r[(r["PARAMCD"] == p) & sub]
        return by_arm(x[x["AVAL"] == 1])

    allr = r["USUBJID"].notna()
    assert resp("IGATS", allr) == [28, 216, 253]
    assert resp("CPR", r["NACHFL"] == "Y") == [110, 188, 168]
    assert resp("CPRIGA", r["NACHFL"] == "Y") == [120, 199, 179]
    assert resp("IGAR1", r["W8IGAFL"] == "Y") == [103, 369, 393]
    assert resp("TSCPR", r["W8IGAFL"] == "Y") == [138, 404, 421]
    assert resp("TSCPRIGA", r["W8IGAFL"] == "Y") == [148, 415, 432]
    assert len(r) == 1208 * 12


# -- results-level QC: the QC program's own statistics --------------------------------------------


def _two_by_two(a, b, c, d):
    """Subjects of a 2x2 table: active (a responders, b not), reference (c responders, d not)."""
    y = np.r_[np.ones(a), np.zeros(b), np.ones(c), np.zeros(d)]
    arm = np.r_[np.ones(a + b), np.zeros(c + d)]
    return y, np.column_stack([np.ones(len(y)), arm])


def test_qc_odds_ratio_equals_the_closed_form_on_a_2x2_table():
    a, b, c, d = 40, 22, 25, 41
    y, X = _two_by_two(a, b, c, d)
    res = qp.qc_logistic(y, X)
    odds = a * d / (b * c)
    se = (1 / a + 1 / b + 1 / c + 1 / d) ** 0.5  # Woolf
    z = 1.959963984540054
    assert res["method"] == "logistic" and res["separation"] == 0
    assert res["or"] == pytest.approx(odds, rel=1e-9)
    assert res["or_lcl"] == pytest.approx(np.exp(np.log(odds) - z * se), rel=1e-9)
    assert res["or_ucl"] == pytest.approx(np.exp(np.log(odds) + z * se), rel=1e-9)
    from scipy.stats import norm

    assert res["p_value"] == pytest.approx(2 * norm.sf(np.log(odds) / se), rel=1e-9)


def test_qc_firth_on_a_zero_cell_is_the_haldane_odds_ratio_and_agrees_with_production():
    a, b, c, d = 12, 0, 5, 7  # every active subject responds: ML does not exist
    y, X = _two_by_two(a, b, c, d)
    res = qp.qc_logistic(y, X)
    assert res["method"] == "firth" and res["separation"] == 1
    # the saturated 2x2 model: Firth's estimate is the log odds ratio with 1/2 added to each cell
    assert res["or"] == pytest.approx((a + 0.5) * (d + 0.5) / ((b + 0.5) * (c + 0.5)), rel=1e-9)
    # and the production implementation, on a design with a covariate, agrees within the tolerances
    from adamforge.tlf import stats

    rng = np.random.default_rng(7)
    df = pd.DataFrame({"ARM": np.r_[np.ones(30), np.zeros(30)], "STUDYID": rng.choice(["S1", "S2"], 60)})
    df["AVAL"] = np.where(df["ARM"] == 1, 1.0, (rng.random(60) < 0.4).astype(float))
    prod = stats.compare_logistic(df, response="AVAL", arm_var="ARM", reference=0, active=1, covariates=["STUDYID"])
    qc = qp.qc_logistic(df["AVAL"].to_numpy(), qp.qc_design(df, df["ARM"].to_numpy(), ["STUDYID"]))
    assert prod.method == qc["method"] == "firth"
    assert qc["or"] == pytest.approx(prod.odds_ratio, rel=1e-6)
    assert qc["or_lcl"] == pytest.approx(prod.lcl, rel=1e-6) and qc["or_ucl"] == pytest.approx(prod.ucl, rel=1e-6)
    assert abs(qc["p_value"] - prod.p_value) <= 1e-8


def test_qc_cmh_and_fisher_match_the_reference_implementations():
    from scipy.stats import fisher_exact
    from statsmodels.stats.contingency_tables import StratifiedTable

    tables = [(30, 20, 15, 35), (12, 8, 9, 11)]
    got = qp.qc_cmh(tables)
    st = StratifiedTable(np.array([[[a, b], [c, d]] for a, b, c, d in tables], dtype=float).transpose(1, 2, 0))
    assert got["cmh_stat"] == pytest.approx(st.test_null_odds(correction=False).statistic, rel=1e-12)
    assert got["mh_or"] == pytest.approx(st.oddsratio_pooled, rel=1e-12)
    assert np.isnan(qp.qc_cmh([(0, 10, 0, 12)])["cmh_p"])  # no responder at all: undefined
    for t in ((12, 0, 5, 7), (3, 9, 8, 2), (0, 5, 5, 0)):
        assert qp.qc_fisher(*t) == pytest.approx(fisher_exact([[t[0], t[1]], [t[2], t[3]]]).pvalue, rel=1e-9)


def test_qc_results_ard_baseline_statistics_by_hand():
    adsl = pd.DataFrame(
        {
            "USUBJID": list("ABCDE"),
            "TRT01PN": [1.0, 1.0, 2.0, 2.0, 2.0],
            "EFFFL": "Y",
            "AGE": [20, 30, 40, 50, 61],
            "SEX": ["F", "M", "F", "F", None],
        }
    )
    tlf = {
        "arms": {"variable": "TRT01PN", "levels": [{"value": 1, "label": "P"}, {"value": 2, "label": "A"}]},
        "populations": {"EFF": {"where": {"EFFFL": "Y"}}},
        "outputs": [
            {
                "id": "T1",
                "kind": "baseline",
                "new_field_ignored": True,
                "columns": [{"id": "A", "population": "EFF", "arm": 2}, {"id": "ALL", "population": "EFF"}],
                "rows": [
                    {"id": "AGE", "var": "AGE", "stat": "median_range"},
                    {"id": "AGE2", "var": "AGE", "stat": "mean_sd"},
                    {"id": "F", "var": "SEX", "stat": "n_pct", "level": "F"},
                    {"id": "OLD", "var": "AGE", "stat": "n_pct_ge", "threshold": 50},
                ],
            }
        ],
    }
    ard = qp.qc_results_ard(adsl, pd.DataFrame(columns=["USUBJID", "PARAMCD", "AVAL"]), adsl[["USUBJID"]], tlf)
    v = {(g, p, s): x for g, p, s, x in ard[["group", "parameter", "statistic", "value"]].itertuples(index=False)}
    assert v[("A", "BIGN", "N")] == 3 and v[("ALL", "BIGN", "N")] == 5
    assert (v[("A", "AGE", "median")], v[("A", "AGE", "min")], v[("A", "AGE", "max")]) == (50, 40, 61)
    assert v[("ALL", "AGE2", "mean")] == pytest.approx(40.2) and v[("ALL", "AGE2", "sd")] == pytest.approx(
        np.std([20, 30, 40, 50, 61], ddof=1)
    )
    assert (v[("A", "F", "n")], v[("A", "F", "pct")]) == (2, pytest.approx(200 / 3))
    assert (v[("ALL", "OLD", "n")], v[("ALL", "OLD", "N")]) == (2, 5)


def test_qc_program_does_not_import_the_production_tlf():
    src = Path(qp.__file__).read_text()
    mods = {n.module or "" for n in ast.walk(ast.parse(src)) if isinstance(n, ast.ImportFrom)}
    mods |= {a.name for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Import) for a in n.names}
    assert not any("tlf" in m.split(".") for m in mods), mods


def test_study_day_lookup_matches_a_merge_with_dm():
    """_with_day looks the first dose up by USUBJID (dates parsed once per value): the records
    and days an inner merge with DM gives, in the same order; repeated DM subjects merge."""
    dm = pd.DataFrame({"USUBJID": ["A", "B", "C", ""], "RFXSTDTC": [F, "2020-02-01T10:00", "", "2020-01"]})
    df = pd.DataFrame(
        {
            "USUBJID": ["A", "B", "C", "D", "A", "", "B", "A"],
            "QSDTC": [_day(F, 5), "2020-01-20", F, F, "2020-01", "2020-03-01", "2021-12-31T08:00", _day(F, -3)],
            "QSSEQ": np.arange(8.0),
        }
    )

    def merged(dm):
        out = df.merge(dm[["USUBJID", "RFXSTDTC"]], on="USUBJID", how="inner")
        out["DAY"] = qp.study_day(out["QSDTC"], out["RFXSTDTC"]).to_numpy()
        return out[out["DAY"].notna()]

    got, want = qp._with_day(df, "QSDTC", dm), merged(dm)
    assert got["QSSEQ"].tolist() == want["QSSEQ"].tolist() == [0.0, 1.0, 6.0, 7.0]
    assert got["DAY"].tolist() == want["DAY"].tolist() == [5.0, -12.0, 700.0, -3.0]
    twice = pd.concat([dm, dm.iloc[[0]]], ignore_index=True)
    assert qp._with_day(df, "QSDTC", twice)["QSSEQ"].tolist() == merged(twice)["QSSEQ"].tolist()


def test_qc_reads_names_the_domains_and_variables_of_the_qc_spec():
    reads = qp.qc_reads(QC)
    assert reads["DM"] is None  # all of DM
    assert reads["QS"] == {"USUBJID", "QSTESTCD", "QSCAT", "QSDTC", "QSSEQ", "QSSTRESN"}
    assert reads["DS"] == {"USUBJID", "DSCAT", "DSDECOD"} and reads["EX"] == {"USUBJID", "EXSTDTC"}
    assert reads["MH"] == {"USUBJID", "MHCAT", "MHSTDTC"} and reads["SC"] == {
        "USUBJID",
        "SCTESTCD",
        "SCSTRESC",
        "SCSTRESN",
    }
