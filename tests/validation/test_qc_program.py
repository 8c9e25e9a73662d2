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
    dm = _dm([["A", "101", 30, "RUX15", F], ["B", "114", 40, "VEH-RUX075", F], ["C", "102", 14, "RUX075", F],
              ["D", "103", 50, "VEH", F]])
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
    add("A", "IGA", -20, 3); add("A", "IGA", 1, 3); add("A", "IGA", 50, 2); add("A", "IGA", 64, 1)
    add("A", "EASI", 1, 10.0); add("A", "EASI", 57, 4.0)
    # B: site 114 excluded; has a Week 8 IGA
    add("B", "IGA", 1, 2); add("B", "IGA", 57, 2)
    # C: IGA 3 -> 2 (not TS, -1 grade): non-achiever; Week 8 EASI missing (day 80 is outside the window)
    add("C", "IGA", 1, 3); add("C", "IGA", 20, 1); add("C", "IGA", 56, 2); add("C", "EASI", 1, 8.0); add("C", "EASI", 80, 1.0)
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
        qs.append({"USUBJID": "A", "QSCAT": "DLQI", "QSTESTCD": f"DLQI{i:02d}", "QSDTC": _day(F, 57),
                   "QSSTRESN": np.nan if i == 3 else 1.0})
    # C (14 y): CDLQI baseline 2 each (=20); Week 8: two items missing -> total missing -> NRI
    for i in range(1, 11):
        qs.append({"USUBJID": "C", "QSCAT": "CDLQI", "QSTESTCD": f"CDLQI{i:02d}", "QSDTC": _day(F, 1), "QSSTRESN": 2.0})
        qs.append({"USUBJID": "C", "QSCAT": "CDLQI", "QSTESTCD": f"CDLQI{i:02d}", "QSDTC": _day(F, 57),
                   "QSSTRESN": np.nan if i in (1, 2) else 0.0})
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
    got = {(u, p): (None if np.isnan(a) else a, c, t)
           for u, p, a, c, t in r[["USUBJID", "PARAMCD", "AVAL", "AVALC", "DTYPE"]].itertuples(index=False)}
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
def study():
    from adamforge.sdtm_sample.simulate import simulate_study

    return simulate_study()


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
