"""ARD on tiny hand-written ADSL/ADEFF (see conftest.py); every expected value computed by hand."""

import json
import math

import pytest

from adamforge.errors import DataError
from adamforge.tlf import ard as ardm
from adamforge.tlf.spec import parse_tlf_spec


@pytest.fixture
def ard(adsl, adeff, tiny_spec):
    return ardm.compute_ard(adsl, adeff, tiny_spec)


def v(ard, *key):
    return ardm.ard_value(ard, *key)


def test_ard_columns_and_big_n(ard):
    assert list(ard.columns) == ardm.ARD_COLUMNS
    # non-achievers: vehicle S01 S02, 0.75% S05 S06 S08, 1.5% S09 S10; overall EFFFL=Y: S01-S11
    assert [v(ard, "Table 1", g, "BIGN", "N") for g in ("VEH", "R075", "R15", "TOT", "ALL")] == [2, 3, 2, 7, 11]


def test_baseline_counts_percentages_and_summaries(ard):
    assert v(ard, "Table 1", "R075", "FEMALE", "n") == 2  # S06, S08
    assert v(ard, "Table 1", "R075", "FEMALE", "pct") == pytest.approx(200 / 3)
    assert v(ard, "Table 1", "ALL", "FEMALE", "n") == 7  # S01 S03 S04 S06 S08 S09 S11
    assert v(ard, "Table 1", "TOT", "AGE", "median") == 33  # 19 28 30 33 40 47 70
    assert (v(ard, "Table 1", "TOT", "AGE", "min"), v(ard, "Table 1", "TOT", "AGE", "max")) == (19, 70)
    assert v(ard, "Table 1", "VEH", "ITCH", "mean") == pytest.approx(3.25)
    assert v(ard, "Table 1", "VEH", "ITCH", "sd") == pytest.approx(3.5 / math.sqrt(2))
    assert v(ard, "Table 1", "R075", "ITCH2", "n") == 3  # 2.0 counts as >= 2
    assert v(ard, "Table 1", "VEH", "ITCH2", "n") == 1  # 1.5 does not
    assert v(ard, "Table 1", "R15", "IGA3", "n") == 2  # numeric level 3
    assert not ((ard["output_id"] == "Table 1") & (ard["parameter"] == "RACE")).any()  # header rows: no numbers


def test_response_denominators(ard):
    # EASI50 (evaluable): S08 missing is left out of 0.75% -> 2/2; CPR (all): S08 counts as 0 -> 1/3
    assert (v(ard, "Table 2", "RUX 0.75%", "EASI50", "n"), v(ard, "Table 2", "RUX 0.75%", "EASI50", "N")) == (2, 2)
    assert (v(ard, "Table 2", "RUX 0.75%", "CPR", "n"), v(ard, "Table 2", "RUX 0.75%", "CPR", "N")) == (1, 3)
    assert v(ard, "Table 2", "RUX 0.75%", "CPR", "pct") == pytest.approx(100 / 3)
    assert (v(ard, "Table 2", "Vehicle", "EASI50", "n"), v(ard, "Table 2", "Vehicle", "EASI50", "N")) == (1, 2)
    assert v(ard, "Table 2", "RUX 0.75%", "BIGN", "N") == 3
    # IGA-TS over all efficacy-evaluable, NRI zeros included: vehicle S03 of S01-S04; 1.5% none of S09-S11
    assert (v(ard, "Table 3", "Vehicle", "IGATS", "n"), v(ard, "Table 3", "Vehicle", "IGATS", "N")) == (1, 4)
    assert (v(ard, "Table 3", "RUX 1.5%", "IGATS", "n"), v(ard, "Table 3", "RUX 1.5%", "IGATS", "N")) == (0, 3)


def test_separation_gives_firth_estimate_flag_and_reason(ard):
    # EASI50 0.75% 2/2 vs vehicle 1/2, no covariates: Firth = Haldane = (2.5/0.5)/(1.5/1.5) = 5
    key = ("Table 2", "RUX 0.75%", "EASI50")
    assert ardm.ard_char(ard, *key, "method") == "firth"
    assert v(ard, *key, "separation") == 1
    assert ardm.ard_char(ard, *key, "fallback_reason") == "active arm has 100% responders"
    assert v(ard, *key, "or") == pytest.approx(5.0, rel=1e-6)
    assert math.isfinite(v(ard, *key, "or_ucl"))
    assert v(ard, *key, "fisher_p") == pytest.approx(1.0)
    # no separation: 1.5% EASI50 1/2 vs 1/2 -> plain logistic, OR 1, p 1
    key = ("Table 2", "RUX 1.5%", "EASI50")
    assert ardm.ard_char(ard, *key, "method") == "logistic"
    assert v(ard, *key, "or") == pytest.approx(1.0)
    assert v(ard, *key, "p_value") == pytest.approx(1.0)
    assert ardm.ard_char(ard, *key, "sig_mark") == ""


def test_figure_carries_its_source_numbers(ard):
    for stat in ("n", "N", "pct"):
        assert v(ard, "Figure 2", "RUX 0.75%", "EASI50", stat) == v(ard, "Table 2", "RUX 0.75%", "EASI50", stat)
    assert ardm.ard_char(ard, "Figure 2", "RUX 0.75%", "EASI50", "method") == "firth"


def test_ard_is_reproducible_json(adsl, adeff, tiny_spec, ard):
    again = ardm.compute_ard(adsl, adeff, tiny_spec)
    assert ardm.ard_to_json(again) == ardm.ard_to_json(ard)
    recs = json.loads(ardm.ard_to_json(ard))
    assert set(recs[0]) == set(ardm.ARD_COLUMNS)


def test_study_covariate_is_used(adsl, adeff, tiny_spec_raw):
    tiny_spec_raw["model"]["covariates"] = ["STUDYID"]
    a = ardm.compute_ard(adsl, adeff, parse_tlf_spec(tiny_spec_raw))
    # with study in the model the Firth estimate changes from the 2x2 Haldane value
    assert v(a, "Table 2", "RUX 0.75%", "EASI50", "or") != pytest.approx(5.0, rel=1e-6)


def test_bad_input_reports_every_problem_at_once(adsl, adeff, tiny_spec):
    adeff = adeff[adeff["PARAMCD"] != "CPR"]
    adsl = adsl.copy()
    adsl.loc[adsl["USUBJID"].isin(["S09", "S10"]), "TRT01PN"] = 2  # 1.5% arm empty among non-achievers
    with pytest.raises(DataError) as exc:
        ardm.compute_ard(adsl, adeff, tiny_spec)
    text = str(exc.value)
    assert "ADEFF.PARAMCD: CPR not found at AVISIT='Week 8' (needed by Table 2)" in text
    assert "ADSL.TRT01PN=3 (RUX 1.5%): no subject in population NACH" in text
    assert "(needed by Listing 1)" in text


def test_missing_variables_are_named(adsl, adeff, tiny_spec):
    with pytest.raises(DataError) as exc:
        ardm.compute_ard(adsl.drop(columns=["BLITCH", "NACHFL"]), adeff.drop(columns=["AVAL"]), tiny_spec)
    assert {"ADSL.BLITCH", "ADSL.NACHFL", "ADEFF.AVAL"} <= {p.split(":")[0] for p in exc.value.problems}


def test_non_binary_responder_value_is_an_error(adsl, adeff, tiny_spec):
    adeff = adeff.copy()
    adeff.loc[(adeff["PARAMCD"] == "EASI50") & (adeff["USUBJID"] == "S01"), "AVAL"] = 2.0
    with pytest.raises(DataError, match=r"ADEFF.AVAL \[PARAMCD=EASI50\]"):
        ardm.compute_ard(adsl, adeff, tiny_spec)


def test_missing_covariate_is_named_not_miscoded(adsl, adeff, tiny_spec_raw):
    """A subject without STUDYID would otherwise enter the model as the reference study."""
    tiny_spec_raw["model"]["covariates"] = ["STUDYID"]
    adsl = adsl.copy()
    adsl.loc[adsl["USUBJID"] == "S01", "STUDYID"] = None
    with pytest.raises(DataError) as exc:
        ardm.compute_ard(adsl, adeff, parse_tlf_spec(tiny_spec_raw))
    assert any(
        p.startswith("ADSL.STUDYID: missing for 1 subject(s)") and "USUBJID=S01" in p for p in exc.value.problems
    )
