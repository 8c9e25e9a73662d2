"""Responder parameters from the spec's endpoints, on tiny hand-written BDS frames."""

from __future__ import annotations

import numpy as np
import pandas as pd

from adamforge.adam.registry import evaluate_criterion
from adamforge.adam.responders import derive_param_responders
from adamforge.adam.spec import Endpoint, EndpointCase, load_spec
from adamforge.context import default_spec_dir

SPEC = load_spec(default_spec_dir())


def _rec(subj, param, avisitn, aval, ablfl=""):
    return {
        "USUBJID": subj,
        "PARAMCD": param,
        "AVISITN": avisitn,
        "AVAL": aval,
        "ABLFL": ablfl,
        "ANL01FL": "Y",
        "ADT": pd.Timestamp("2020-01-01"),
        "ADY": 1 if avisitn == 0 else 57,
    }


def _bl(subj, param, aval):
    return _rec(subj, param, 0.0, aval, "Y")


def _run(rows, adsl, endpoints=None, spec=SPEC):
    bds = pd.DataFrame(rows)
    out = derive_param_responders(bds, adsl, endpoints=endpoints or spec.endpoints, windows=spec.windows)
    return {(r.USUBJID, r.PARAMCD): (r.AVAL, r.AVALC, r.DTYPE) for r in out.itertuples()}


def _adsl(*rows):
    return pd.DataFrame(rows, columns=["USUBJID", "QOLINST"])


def test_iga_2_to_1_is_one_grade_not_success_3_to_1_is_success():
    rows = [
        _bl("A", "IGA", 2),
        _rec("A", "IGA", 8, 1),
        _bl("B", "IGA", 3),
        _rec("B", "IGA", 8, 1),
        _bl("C", "IGA", 3),
        _rec("C", "IGA", 8, 3),
    ]
    r = _run(rows, _adsl(("A", "DLQI"), ("B", "DLQI"), ("C", "DLQI")))
    assert r[("A", "IGATS")][:2] == (0.0, "N") and r[("A", "IGAR1")][:2] == (1.0, "Y")
    assert r[("B", "IGATS")][:2] == (1.0, "Y") and r[("B", "IGAR1")][:2] == (1.0, "Y")
    assert r[("C", "IGATS")][:2] == (0.0, "N") and r[("C", "IGAR1")][:2] == (0.0, "N")
    # composites: A has IGAR1 -> CPRIGA 1; no EASI/itch/QoL data -> CPR 0; TSCPR = IGATS or CPR
    assert r[("A", "CPR")][0] == 0 and r[("A", "CPRIGA")][0] == 1 and r[("A", "TSCPR")][0] == 0
    assert r[("B", "TSCPR")][0] == 1 and r[("B", "TSCPRIGA")][0] == 1


def test_week8_missing_is_nri_baseline_missing_is_not_evaluable():
    rows = [_bl("A", "IGA", 3), _bl("A", "ITCHNRS", 6.0), _rec("B", "IGA", 8, 1)]
    r = _run(rows, _adsl(("A", "DLQI"), ("B", "DLQI")))
    assert r[("A", "IGATS")] == (0.0, "N", "NRI")
    assert r[("A", "NRS2")] == (0.0, "N", "NRI")
    b = r[("B", "IGATS")]
    assert np.isnan(b[0]) and b[1:] == ("", "")
    assert r[("B", "CPR")] == (0.0, "N", "")  # composites: non-evaluable components count as not achieved


def test_itch_baseline_below_threshold_is_not_evaluable():
    rows = [
        _bl("A", "ITCHNRS", 1.5),
        _rec("A", "ITCHNRS", 8, 0.0),
        _bl("B", "ITCHNRS", 3.0),
        _rec("B", "ITCHNRS", 8, 1.0),
    ]
    r = _run(rows, _adsl(("A", "DLQI"), ("B", "DLQI")))
    assert np.isnan(r[("A", "NRS2")][0]) and np.isnan(r[("A", "NRS4")][0])
    assert r[("B", "NRS2")][:2] == (1.0, "Y") and np.isnan(r[("B", "NRS4")][0])


def test_easi_baseline_zero_is_not_evaluable_even_when_week8_missing():
    rows = [
        _bl("A", "EASI", 0.0),
        _rec("A", "EASI", 8, 0.0),
        _bl("B", "EASI", 0.0),
        _bl("C", "EASI", 10.0),
        _rec("C", "EASI", 8, 5.0),
    ]
    r = _run(rows, _adsl(("A", "DLQI"), ("B", "DLQI"), ("C", "DLQI")))
    assert np.isnan(r[("A", "EASI50")][0]) and np.isnan(r[("B", "EASI50")][0]) and r[("B", "EASI50")][2] == ""
    assert r[("C", "EASI50")][:2] == (1.0, "Y") and r[("C", "EASI75")][:2] == (0.0, "N")


def test_qol_instrument_by_age_15_cdlqi_needs_6_points_16_dlqi_needs_4():
    rows = [
        _bl("A15", "CDLQI", 10),
        _rec("A15", "CDLQI", 8, 5),  # -5: not a CDLQI response
        _bl("B15", "CDLQI", 10),
        _rec("B15", "CDLQI", 8, 4),  # -6: response
        _bl("C16", "DLQI", 10),
        _rec("C16", "DLQI", 8, 6),  # -4: response
        _bl("D16", "CDLQI", 10),
        _rec("D16", "CDLQI", 8, 0),
    ]  # DLQI patient with CDLQI data: not evaluable
    r = _run(rows, _adsl(("A15", "CDLQI"), ("B15", "CDLQI"), ("C16", "DLQI"), ("D16", "DLQI")))
    assert r[("A15", "QOLR")][:2] == (0.0, "N")
    assert r[("B15", "QOLR")][:2] == (1.0, "Y")
    assert r[("C16", "QOLR")][:2] == (1.0, "Y")
    assert np.isnan(r[("D16", "QOLR")][0])


def test_new_endpoint_from_a_copy_of_the_spec_needs_no_code_change():
    """EASI-75 at Week 4 and a >= 3-point itch reduction, added as spec data only."""
    ep_easi = Endpoint(
        paramcd="EASI75W4",
        param="EASI-75 at Week 4",
        paramn=201,
        avisit="Week 4",
        crit1=">= 75% EASI improvement at Week 4",
        cases=(EndpointCase(source="EASI", criterion={"pchg_le": -75}, eligible=({"base_gt": 0},)),),
    )
    ep_nrs3 = Endpoint(
        paramcd="NRS3",
        param="Itch NRS Reduction >= 3 at Week 8",
        paramn=202,
        avisit="Week 8",
        crit1=">= 3-point itch reduction",
        cases=(EndpointCase(source="ITCHNRS", criterion={"chg_le": -3}, eligible=({"base_ge": 3},)),),
    )
    from adamforge.adam.spec import ValueLevel

    spec = SPEC.replace(
        endpoints=SPEC.endpoints + (ep_easi, ep_nrs3),
        value_level=SPEC.value_level
        + (
            ValueLevel("ADEFF", "AVAL", "EASI75W4", "EASI-75 at Week 4", "integer", method="MT.RESP"),
            ValueLevel("ADEFF", "AVAL", "NRS3", "Itch NRS >= 3", "integer", method="MT.RESP"),
        ),
    )
    assert spec.problems == ()
    rows = [
        _bl("A", "EASI", 8.0),
        _rec("A", "EASI", 4, 2.0),
        _rec("A", "EASI", 8, 6.0),
        _bl("A", "ITCHNRS", 7.0),
        _rec("A", "ITCHNRS", 8, 4.0),
        _bl("B", "ITCHNRS", 2.5),
        _rec("B", "ITCHNRS", 8, 0.0),
    ]
    r = _run(rows, _adsl(("A", "DLQI"), ("B", "DLQI")), spec=spec)
    assert r[("A", "EASI75W4")][:2] == (1.0, "Y")  # -75% at Week 4
    assert r[("A", "EASI75")][:2] == (0.0, "N")  # only -25% at Week 8
    assert r[("A", "NRS3")][:2] == (1.0, "Y")
    assert np.isnan(r[("B", "NRS3")][0])  # baseline 2.5 < 3


def test_new_endpoint_added_in_yaml_copy(tmp_path):
    import shutil

    import yaml

    for f in default_spec_dir().glob("adam_*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    p = tmp_path / "adam_analysis.yaml"
    d = yaml.safe_load(p.read_text())
    d["endpoints"].append(
        {
            "paramcd": "NRS3",
            "param": "Itch NRS Reduction >= 3",
            "paramn": 150,
            "avisit": "Week 8",
            "crit1": ">= 3-point reduction",
            "source": "ITCHNRS",
            "criterion": {"chg_le": -3},
            "eligible": [{"base_ge": 3}],
        }
    )
    d["value_level"].append(
        {
            "dataset": "ADEFF",
            "paramcd": "NRS3",
            "param": "Itch NRS Reduction >= 3",
            "type": "integer",
            "method": "MT.RESP",
        }
    )
    p.write_text(yaml.safe_dump(d, sort_keys=False))
    spec = load_spec(tmp_path, policy="submission")
    r = _run([_bl("A", "ITCHNRS", 5.0), _rec("A", "ITCHNRS", 8, 2.0)], _adsl(("A", "DLQI")), spec=spec)
    assert r[("A", "NRS3")][:2] == (1.0, "Y")


def test_criteria_missing_inputs_give_missing_not_zero():
    df = pd.DataFrame({"AVAL": [1, np.nan, 0], "CHG": [-2, np.nan, -1], "BASE": [3, 3, 1], "PCHG": [np.nan, 1, 2]})
    assert evaluate_criterion(df, {"all_of": [{"aval_in": [0, 1]}, {"chg_le": -2}]}).tolist()[0] == 1.0
    res = evaluate_criterion(df, {"all_of": [{"aval_in": [0, 1]}, {"chg_le": -2}]}).tolist()
    assert res[0] == 1.0 and np.isnan(res[1]) and res[2] == 0.0
    res = evaluate_criterion(df, {"any_of": [{"pchg_le": -50}, {"chg_le": -2}]}).tolist()
    assert res[0] == 1.0 and np.isnan(res[1]) and res[2] == 0.0
