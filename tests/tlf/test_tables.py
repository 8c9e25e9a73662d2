"""Display tables (adamforge.tlf.tables): a hand-made ARD formatted into rows and cells.

Nothing is computed here but text: every expected cell is written by hand from the ARD values.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from adamforge.tlf.ard import ARD_COLUMNS
from adamforge.tlf.spec import parse_tlf_spec
from adamforge.tlf.tables import FIRTH_MARK, ArdIndex, baseline_table, fallback_footnotes, response_table

NAN = math.nan


def _ard(*records):
    """ARD records ``(output_id, group, parameter, statistic, value[, value_char])``."""
    rows = []
    for r in records:
        oid, group, param, stat, value, *char = r
        rows.append((oid, "POP", group, param, param, stat, value, char[0] if char else ""))
    return pd.DataFrame(rows, columns=ARD_COLUMNS)


@pytest.fixture
def spec(tiny_spec_raw):
    """Table 1 with two columns and four rows; Table 2 with one endpoint (three arms)."""
    t1 = tiny_spec_raw["outputs"][0]
    t1["columns"] = [{"id": "VEH", "label": "Vehicle", "arm": 1}, {"id": "TOT", "label": "Total"}]
    t1["rows"] = [
        {"id": "AGE", "label": "Age, median (range)", "var": "AGE", "stat": "median_range"},
        {"id": "RACE", "label": "Race", "stat": "header"},
        {"id": "WHITE", "label": "White", "var": "RACEGR1", "stat": "n_pct", "level": "White", "indent": 1},
        {"id": "ITCH", "label": "Itch, mean (SD)", "var": "BLITCH", "stat": "mean_sd"},
    ]
    t2 = tiny_spec_raw["outputs"][1]
    t2["endpoints"] = [{"paramcd": "EASI50", "label": "EASI-50"}]
    tiny_spec_raw["outputs"] = [t1, t2]
    return parse_tlf_spec(tiny_spec_raw)


def test_ard_index_looks_up_numbers_and_texts():
    ix = ArdIndex(_ard(("T", "A", "P", "n", 3.0), ("T", "A", "P", "or", NAN), ("T", "A", "P", "method", NAN, "firth")))
    assert ix.num("T", "A", "P", "n") == 3.0
    assert ix.num("T", "A", "P", "or") is None  # NaN is missing
    assert ix.text("T", "A", "P", "method") == "firth" and ix.text("T", "A", "P", "nope", "-") == "-"
    assert ix.has("T", "A", "P", "n") and not ix.has("T", "B", "P", "n")
    assert ix.keys() == [("T", "A", "P", "n"), ("T", "A", "P", "or"), ("T", "A", "P", "method")]
    with pytest.raises(KeyError):
        ix.num("T", "B", "P", "n")


def test_baseline_table_cells_from_the_ard(spec):
    o = spec.output("Table 1")
    ix = ArdIndex(
        _ard(
            ("Table 1", "VEH", "BIGN", "N", 4.0),
            ("Table 1", "TOT", "BIGN", "N", 10.0),
            ("Table 1", "VEH", "AGE", "median", 34.5),
            ("Table 1", "VEH", "AGE", "min", 12.0),
            ("Table 1", "VEH", "AGE", "max", 82.0),
            ("Table 1", "TOT", "AGE", "median", 33.0),
            ("Table 1", "TOT", "AGE", "min", 12.25),
            ("Table 1", "TOT", "AGE", "max", 85.0),
            ("Table 1", "VEH", "WHITE", "n", 3.0),
            ("Table 1", "VEH", "WHITE", "N", 4.0),
            ("Table 1", "TOT", "WHITE", "n", 0.0),
            ("Table 1", "TOT", "WHITE", "N", 0.0),
            ("Table 1", "VEH", "ITCH", "mean", 5.05),
            ("Table 1", "VEH", "ITCH", "sd", 2.449),
            ("Table 1", "TOT", "ITCH", "mean", 7.0),
            ("Table 1", "TOT", "ITCH", "sd", NAN),
        )
    )
    t = baseline_table(o, ix)
    assert t.stub == "Characteristic" and t.header == ("Vehicle\n(N=4)", "Total\n(N=10)")
    assert [(r.label, r.indent, r.cells) for r in t.rows] == [
        ("Age, median (range)", 0, ("34.5 (12-82)", "33.0 (12.3-85)")),  # range: trimmed, 1 decimal
        ("Race", 0, ("", "")),  # a header row has no cells
        ("White", 1, ("3 (75.0)", "0")),  # no denominator: "0" alone
        ("Itch, mean (SD)", 0, ("5.1 (2.4)", "7.0 (-)")),  # half away from zero; SD missing: "-"
    ]
    assert t.extra_footnotes == ()


def _response_ard(method="logistic", reason=""):
    arms = ("Vehicle", "RUX 0.75%", "RUX 1.5%")
    recs = []
    for arm, n, den in zip(arms, (1, 3, 0), (4, 4, 0)):
        recs += [("Table 2", arm, "BIGN", "N", den + 1), ("Table 2", arm, "EASI50", "n", n)]
        recs.append(("Table 2", arm, "EASI50", "N", den))
    recs += [
        ("Table 2", "RUX 0.75%", "EASI50", "or", 9.0),
        ("Table 2", "RUX 0.75%", "EASI50", "or_lcl", 0.444),
        ("Table 2", "RUX 0.75%", "EASI50", "or_ucl", 182.5),
        ("Table 2", "RUX 0.75%", "EASI50", "p_value", 0.00004),
        ("Table 2", "RUX 0.75%", "EASI50", "sig_mark", NAN, "****"),
        ("Table 2", "RUX 0.75%", "EASI50", "method", NAN, method),
        ("Table 2", "RUX 0.75%", "EASI50", "fallback_reason", NAN, reason),
        ("Table 2", "RUX 0.75%", "EASI50", "cmh_p", 0.12345),
        ("Table 2", "RUX 1.5%", "EASI50", "or", NAN),  # not estimable: blank cells, CMH "NE"
        ("Table 2", "RUX 1.5%", "EASI50", "or_lcl", NAN),
        ("Table 2", "RUX 1.5%", "EASI50", "or_ucl", NAN),
        ("Table 2", "RUX 1.5%", "EASI50", "p_value", NAN),
        ("Table 2", "RUX 1.5%", "EASI50", "cmh_p", NAN),
    ]
    return ArdIndex(_ard(*recs))


def test_response_table_block_per_endpoint(spec):
    t = response_table(spec.output("Table 2"), _response_ard(), spec)
    assert t.stub == "Endpoint"
    assert t.header == ("Vehicle\n(N=5)", "RUX 0.75%\n(N=5)", "RUX 1.5%\n(N=1)")
    assert [(r.label, r.indent, r.cells) for r in t.rows] == [
        ("EASI-50", 0, ("", "", "")),
        ("n/N (%)", 1, ("1/4 (25.0)", "3/4 (75.0)", "0/0")),
        ("OR (95% CI) vs Vehicle", 1, ("", "9.00 (0.44, 182.50)", "")),
        ("p-value", 1, ("", "<0.0001 ****", "")),
        ("CMH p-value (stratified by study)", 1, ("", "0.1235", "NE")),
    ]
    assert t.extra_footnotes == ()


def test_firth_estimate_is_marked_and_footnoted(spec):
    t = response_table(spec.output("Table 2"), _response_ard("firth", "no responder in Vehicle"), spec)
    assert t.rows[2].cells[1] == "9.00 (0.44, 182.50)" + FIRTH_MARK
    assert t.extra_footnotes == (
        f"{FIRTH_MARK} EASI-50, RUX 0.75% vs Vehicle: separation (no responder in Vehicle); the maximum "
        "likelihood odds ratio does not exist. Firth penalized-likelihood logistic regression is shown "
        "instead (Wald 95% CI, penalized likelihood-ratio p-value).",
    )
    assert fallback_footnotes("Table 2", [("EASI50", "EASI-50")], _response_ard(), spec) == ()
