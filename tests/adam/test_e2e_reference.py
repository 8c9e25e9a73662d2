"""End to end on the simulated reference study: plan section 4 (first table) and Table 1, exactly.

SDTM is simulated, written as XPT/Parquet, read back by ``adamforge derive`` through the CLI;
the numbers are computed from the Parquet files the step writes.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest

from adamforge import cli
from adamforge.errors import EXIT_OK

pytestmark = pytest.mark.e2e

ARMS = [1, 2, 3]  # Vehicle, RUX 0.75%, RUX 1.5%


@pytest.fixture(scope="module")
def adam(reference_run_dir):
    """The session's one ``adamforge run`` of the reference study (read only) and its ADSL, ADEFF."""
    out = reference_run_dir
    adsl = pd.read_parquet(out / "adam" / "adsl.parquet")
    adeff = pd.read_parquet(out / "adam" / "adeff.parquet")
    return out, adsl, adeff


def _by_arm(df):
    return df.groupby("TRT01PN").size().reindex(ARMS, fill_value=0).tolist()


def _yes(adeff, paramcd, subjects=None):
    r = adeff[(adeff["PARAMCD"] == paramcd) & (adeff["AVAL"] == 1)]
    if subjects is not None:
        r = r[r["USUBJID"].isin(subjects)]
    return _by_arm(r)


def test_plan_section4_first_table(adam):
    _, adsl, adeff = adam
    eff = adsl[adsl["EFFFL"] == "Y"]
    observed = eff.loc[eff["W8IGAFL"] == "Y", "USUBJID"]
    na = eff.loc[eff["NACHFL"] == "Y", "USUBJID"]
    assert _by_arm(eff) == [244, 483, 481]
    assert _yes(adeff, "IGATS") == [28, 216, 253]
    assert _by_arm(eff[eff["W8IGAFL"] == "Y"]) == [202, 429, 450]
    assert _by_arm(eff[eff["NACHFL"] == "Y"]) == [174, 213, 197]
    assert _yes(adeff, "CPR", na) == [110, 188, 168]
    assert _yes(adeff, "CPRIGA", na) == [120, 199, 179]
    assert _yes(adeff, "IGAR1", observed) == [103, 369, 393]
    assert _yes(adeff, "TSCPR", observed) == [138, 404, 421]
    assert _yes(adeff, "TSCPRIGA", observed) == [148, 415, 432]
    # the non-achiever records of ADEFF carry NACHFL themselves
    assert _yes(adeff[adeff["NACHFL"] == "Y"], "CPR") == [110, 188, 168]


def _r1(x) -> str:
    return str(Decimal(repr(float(x))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _pct(n, d) -> str:
    return f"{n} ({_r1(100 * n / d)})"


def _table1_column(g):
    n = len(g)
    return {
        "age": f"{_r1(g.AGE.median())} ({g.AGE.min()}-{g.AGE.max()})",
        "female": _pct((g.SEX == "F").sum(), n),
        "White": _pct((g.RACEGR1 == "White").sum(), n),
        "Black": _pct((g.RACEGR1 == "Black").sum(), n),
        "Asian": _pct((g.RACEGR1 == "Asian").sum(), n),
        "Other": _pct((g.RACEGR1 == "Other").sum(), n),
        "NA": _pct((g.REGION1 == "North America").sum(), n),
        "EU": _pct((g.REGION1 == "Europe").sum(), n),
        "bsa": f"{_r1(g.BLBSA.mean())} ({_r1(g.BLBSA.std())})",
        "easi": f"{_r1(g.BLEASI.mean())} ({_r1(g.BLEASI.std())})",
        "iga2": _pct((g.BLIGA == 2).sum(), n),
        "iga3": _pct((g.BLIGA == 3).sum(), n),
        "itch": f"{_r1(g.BLITCH.mean())} ({_r1(g.BLITCH.std())})",
        "itch2": _pct((g.BLITCH >= 2).sum(), n),
        "itch4": _pct((g.BLITCH >= 4).sum(), n),
        "dur": f"{_r1(g.DISDURY.median())} ({_r1(g.DISDURY.min())}-{_r1(g.DISDURY.max())})",
        "face": _pct((g.FACEFL == "Y").sum(), n),
        "flare": f"{_r1(g.NFLARE.mean())} ({_r1(g.NFLARE.std())})",
    }


TABLE1 = {  # plan section 4, Table 1: vehicle, 0.75%, 1.5%, total non-achievers, overall
    "age": ["34.5 (12-82)", "37.0 (12-85)", "28.0 (12-84)", "33.0 (12-85)", "32.0 (12-85)"],
    "female": ["113 (64.9)", "117 (54.9)", "127 (64.5)", "357 (61.1)", "739 (61.2)"],
    "White": ["117 (67.2)", "138 (64.8)", "124 (62.9)", "379 (64.9)", "829 (68.6)"],
    "Black": ["43 (24.7)", "62 (29.1)", "61 (31.0)", "166 (28.4)", "292 (24.2)"],
    "Asian": ["8 (4.6)", "7 (3.3)", "10 (5.1)", "25 (4.3)", "46 (3.8)"],
    "Other": ["6 (3.4)", "6 (2.8)", "2 (1.0)", "14 (2.4)", "41 (3.4)"],
    "NA": ["121 (69.5)", "171 (80.3)", "154 (78.2)", "446 (76.4)", "855 (70.8)"],
    "EU": ["53 (30.5)", "42 (19.7)", "43 (21.8)", "138 (23.6)", "353 (29.2)"],
    "bsa": ["9.3 (5.3)", "9.9 (5.2)", "9.1 (5.1)", "9.5 (5.2)", "9.6 (5.2)"],
    "easi": ["7.9 (4.9)", "7.8 (5.3)", "7.2 (4.7)", "7.6 (5.0)", "7.9 (4.9)"],
    "iga2": ["55 (31.6)", "83 (39.0)", "80 (40.6)", "218 (37.3)", "312 (25.8)"],
    "iga3": ["119 (68.4)", "130 (61.0)", "117 (59.4)", "366 (62.7)", "896 (74.2)"],
    "itch": ["5.1 (2.4)", "5.1 (2.4)", "4.9 (2.4)", "5.1 (2.4)", "5.1 (2.4)"],
    "itch2": ["148 (85.1)", "177 (83.1)", "165 (83.8)", "490 (83.9)", "1017 (84.2)"],
    "itch4": ["112 (64.4)", "148 (69.5)", "127 (64.5)", "387 (66.3)", "778 (64.4)"],
    "dur": ["15.5 (0.8-79.1)", "14.0 (1.8-68.6)", "14.9 (0.2-69.2)", "14.9 (0.2-79.1)", "15.3 (0.0-79.1)"],
    "face": ["72 (41.4)", "77 (36.2)", "77 (39.1)", "226 (38.7)", "476 (39.4)"],
    "flare": ["5.7 (13.6)", "4.6 (4.5)", "5.5 (8.4)", "5.3 (9.3)", "5.8 (16.8)"],
}


def test_table1_from_adsl(adam):
    _, adsl, _ = adam
    eff = adsl[adsl["EFFFL"] == "Y"]
    na = eff[eff["NACHFL"] == "Y"]
    cols = [_table1_column(na[na["TRT01PN"] == a]) for a in ARMS] + [_table1_column(na), _table1_column(eff)]
    for row, expected in TABLE1.items():
        assert [c[row] for c in cols] == expected, row


def test_efffl_is_exactly_the_excluded_sites(adam):
    _, adsl, adeff = adam
    assert set(adsl.loc[adsl["EFFFL"] == "N", "SITEID"]) == {"114", "139", "226"}
    assert not adsl.loc[adsl["SITEID"].isin(["114", "139", "226"]), "EFFFL"].eq("Y").any()
    assert set(adeff["EFFFL"]) == {"Y"}
    assert _by_arm(adsl[adsl["EFFFL"] == "N"]) == [6, 17, 18]


def test_adeff_shape_and_one_responder_record_per_subject(adam):
    _, adsl, adeff = adam
    resp = adeff[adeff["PARCAT1"] == "RESPONDER"]
    assert resp.groupby("PARAMCD").size().eq(1208).all() and resp["PARAMCD"].nunique() == 12
    assert not adeff.duplicated(["USUBJID", "PARAMCD", "AVISITN", "ADT"]).any()
    obs = adeff[(adeff["PARCAT1"] == "OBSERVED") & (adeff["ANL01FL"] == "Y")]
    assert set(obs["AVISIT"]) == {"Baseline", "Week 2", "Week 4", "Week 8"}
    assert set(obs["PARAMCD"]) == {"IGA", "EASI", "BSA", "ITCHNRS", "DLQI", "CDLQI"}
    rs = adeff[adeff["SRCDOM"] == "RS"]
    assert rs["SRCSEQ"].notna().all() and set(rs["SRCVAR"]) == {"RSSTRESN"}
    assert list(adsl.columns)[:3] == ["STUDYID", "USUBJID", "SUBJID"]


def test_rerun_is_byte_identical(adam, reference_run_copy):
    out = reference_run_copy  # derive again in a copy of the run: the session tree stays as it is
    first = {f: (out / "adam" / f).read_bytes() for f in ("adsl.parquet", "adeff.parquet")}
    assert cli.main(["derive", "--out", str(out), "--quiet"]) == EXIT_OK
    for f, data in first.items():
        assert (out / "adam" / f).read_bytes() == data
    log = (out / "adamforge.log").read_text()
    assert "The data set ADAM.ADSL has 1249 observations" in log
    assert "NOTE: Spec " in log and "adam_methods.yaml" in log
