"""End to end on the reference study: simulate + derive + tlf; every number of plan section 4 in Word.

The expected texts are copied from the analysis plan, section 4 (n (%) there; the response tables
print n/N (%)). The tables are read back from the .docx with python-docx.
"""

import io
import textwrap

import pytest
from docx import Document

pytestmark = pytest.mark.e2e

TABLE1 = {  # plan section 4, Table 1: vehicle, 0.75%, 1.5%, non-achiever total, overall
    "header": ["(N=174)", "(N=213)", "(N=197)", "(N=584)", "(N=1208)"],
    "Age, median (range), y": ["34.5 (12-82)", "37.0 (12-85)", "28.0 (12-84)", "33.0 (12-85)", "32.0 (12-85)"],
    "Female, n (%)": ["113 (64.9)", "117 (54.9)", "127 (64.5)", "357 (61.1)", "739 (61.2)"],
    "White": ["117 (67.2)", "138 (64.8)", "124 (62.9)", "379 (64.9)", "829 (68.6)"],
    "Black": ["43 (24.7)", "62 (29.1)", "61 (31.0)", "166 (28.4)", "292 (24.2)"],
    "Asian": ["8 (4.6)", "7 (3.3)", "10 (5.1)", "25 (4.3)", "46 (3.8)"],
    "Other": ["6 (3.4)", "6 (2.8)", "2 (1.0)", "14 (2.4)", "41 (3.4)"],
    "North America": ["121 (69.5)", "171 (80.3)", "154 (78.2)", "446 (76.4)", "855 (70.8)"],
    "Europe": ["53 (30.5)", "42 (19.7)", "43 (21.8)", "138 (23.6)", "353 (29.2)"],
    "BSA, %, mean (SD)": ["9.3 (5.3)", "9.9 (5.2)", "9.1 (5.1)", "9.5 (5.2)", "9.6 (5.2)"],
    "EASI score, mean (SD)": ["7.9 (4.9)", "7.8 (5.3)", "7.2 (4.7)", "7.6 (5.0)", "7.9 (4.9)"],
    "2 (mild)": ["55 (31.6)", "83 (39.0)", "80 (40.6)", "218 (37.3)", "312 (25.8)"],
    "3 (moderate)": ["119 (68.4)", "130 (61.0)", "117 (59.4)", "366 (62.7)", "896 (74.2)"],
    "Itch NRS score, mean (SD)": ["5.1 (2.4)", "5.1 (2.4)", "4.9 (2.4)", "5.1 (2.4)", "5.1 (2.4)"],
    "Itch NRS score >= 2, n (%)": ["148 (85.1)", "177 (83.1)", "165 (83.8)", "490 (83.9)", "1017 (84.2)"],
    "Itch NRS score >= 4, n (%)": ["112 (64.4)", "148 (69.5)", "127 (64.5)", "387 (66.3)", "778 (64.4)"],
    "Disease duration, median (range), y": [
        "15.5 (0.8-79.1)",
        "14.0 (1.8-68.6)",
        "14.9 (0.2-69.2)",
        "14.9 (0.2-79.1)",
        "15.3 (0-79.1)",
    ],
    "Facial involvement, n (%)": ["72 (41.4)", "77 (36.2)", "77 (39.1)", "226 (38.7)", "476 (39.4)"],
    "Flares in last 12 months, mean (SD)": ["5.7 (13.6)", "4.6 (4.5)", "5.5 (8.4)", "5.3 (9.3)", "5.8 (16.8)"],
}
# plan section 4, first table: n (%) over the stated denominators -> n/N (%)
TABLE3 = {
    "IGA-TS (non-responder imputation)": ["28/244 (11.5)", "216/483 (44.7)", "253/481 (52.6)"],
    "IGA >= 1-grade reduction": ["103/202 (51.0)", "369/429 (86.0)", "393/450 (87.3)"],
    "IGA-TS or composite partial response": ["138/202 (68.3)", "404/429 (94.2)", "421/450 (93.6)"],
    "IGA-TS or composite partial response including IGA": ["148/202 (73.3)", "415/429 (96.7)", "432/450 (96.0)"],
}
TABLE2_COUNTS = {
    "Composite partial response (EASI-50, itch NRS2 or DLQI/CDLQI response)": [
        "110/174 (63.2)",
        "188/213 (88.3)",
        "168/197 (85.3)",
    ],
    "Composite partial response including IGA 1-point reduction": [
        "120/174 (69.0)",
        "199/213 (93.4)",
        "179/197 (90.9)",
    ],
}
# plan section 4: significance marks vs vehicle (0.75%, 1.5%); NRS2 is "** and ***" in either order
MARKS = {
    "EASI-50": {("****", "****")},
    "Itch NRS >= 2-point reduction (baseline itch NRS >= 2)": {("**", "***"), ("***", "**")},
    "DLQI >= 4-point / CDLQI >= 6-point reduction": {("***", "****"), ("****", "***")},
    "IGA 1-point reduction (3 to 2 or 2 to 1)": {("****", "****")},
    "Composite partial response (EASI-50, itch NRS2 or DLQI/CDLQI response)": {("****", "****")},
    "Composite partial response including IGA 1-point reduction": {("****", "****")},
}


@pytest.fixture(scope="module")
def tlf_dir(reference_run_dir):
    """The tlf/ folder of the session's one ``adamforge run`` of the reference study."""
    return reference_run_dir / "tlf"


def _rows(path):
    doc = Document(io.BytesIO(path.read_bytes()))
    return [[c.text for c in r.cells] for r in doc.tables[0].rows]


def _blocks(rows):
    """Response table rows -> {endpoint: {statistic label: cells}}."""
    out, cur = {}, None
    for r in rows[1:]:
        if all(c == "" for c in r[1:]):
            cur = out.setdefault(r[0], {})
        else:
            cur[r[0]] = r[1:]
    return out


def test_table_1_matches_plan_section_4(tlf_dir):
    rows = _rows(tlf_dir / "table_1.docx")
    assert [h.split("\n")[1] for h in rows[0][1:]] == TABLE1["header"]
    body = {r[0]: r[1:] for r in rows[1:]}
    for label, expected in TABLE1.items():
        if label != "header":
            assert body[label] == expected, label


def test_whole_population_responses_match_plan_section_4(tlf_dir):
    blocks = _blocks(_rows(tlf_dir / "table_3.docx"))
    for label, expected in TABLE3.items():
        assert blocks[label]["n/N (%)"] == expected, label
        p = blocks[label]["p-value"]
        assert p[1:] == ["<0.0001 ****", "<0.0001 ****"], label


def test_non_achiever_responses_and_marks_match_plan_section_4(tlf_dir):
    blocks = _blocks(_rows(tlf_dir / "table_2.docx"))
    for label, expected in TABLE2_COUNTS.items():
        assert blocks[label]["n/N (%)"] == expected, label
    for label, allowed in MARKS.items():
        marks = tuple(c.split(" ")[-1] for c in blocks[label]["p-value"][1:])
        assert marks in allowed, (label, blocks[label]["p-value"])


def test_combined_document_and_figures_exist(tlf_dir):
    doc = Document(io.BytesIO((tlf_dir / "tlf_all.docx").read_bytes()))
    assert len(doc.tables) == 4 and len(doc.inline_shapes) == 6
    assert all((tlf_dir / f"figure_{i}.png").stat().st_size > 10_000 for i in range(2, 8))


def _drawn(o, ix, spec, label, monkeypatch):
    """Draw figure ``o`` as the tlf step does; return its PNG and what is on its axes (the
    figure is kept from ``plt.close``): bar heights, texts, tick labels, title."""
    import matplotlib.pyplot as plt

    from adamforge.tlf.figures import figure_png

    kept = []
    real_close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig=None: kept.append(fig) or real_close(fig))
    png = figure_png(o, ix, spec, label=label)
    [ax] = kept[0].axes
    return png, {
        "heights": [round(p.get_height(), 9) for p in ax.patches],
        "texts": [t.get_text() for t in ax.texts],
        "ticks": [t.get_text() for t in ax.get_xticklabels()],
        "title": ax.get_title(),
    }


def test_figures_show_the_ard_bar_for_bar(tlf_dir, monkeypatch):
    """Each figure's bars are the ARD's percentages, its labels the ARD's n/N, percentages and
    significance marks, and the PNG drawn from them is the run's file, byte for byte."""
    from adamforge.context import default_spec_dir
    from adamforge.tlf import fmt
    from adamforge.tlf.spec import load_tlf_spec
    from adamforge.tlf.tables import ArdIndex
    from adamforge.validation.compare_ard import read_ard

    spec = load_tlf_spec(default_spec_dir() / "tlf.yaml")
    ard = read_ard(tlf_dir / "ard.json")
    ix = ArdIndex(ard)
    arms = [lab for _v, lab in spec.arms]
    figures = [o for o in spec.outputs if o.kind == "figure"]
    assert len(figures) == 6
    for o in figures:
        src = spec.output(o.source)
        label = next(e.label for e in src.endpoints if e.paramcd == o.paramcd)
        png, drawn = _drawn(o, ix, spec, label, monkeypatch)
        assert png == (tlf_dir / f"{o.file_stem}.png").read_bytes(), o.id
        # the figure's numbers are its source table's numbers
        for a in arms:
            for stat in ("n", "N", "pct"):
                assert ix.num(o.id, a, o.paramcd, stat) == ix.num(src.id, a, o.paramcd, stat), (o.id, a, stat)
        pct = [ix.num(o.id, a, o.paramcd, "pct") for a in arms]
        assert drawn["heights"] == [round(p, 9) for p in pct], o.id
        assert all(0 < p < 100 for p in pct), o.id
        n_over_n = [f"{int(ix.num(o.id, a, o.paramcd, 'n'))}/{int(ix.num(o.id, a, o.paramcd, 'N'))}" for a in arms]
        marks = [ix.text(o.id, a, o.paramcd, "sig_mark") for a in arms[1:]]
        for i, a in enumerate(arms):
            assert n_over_n[i] in drawn["texts"] and f"{fmt.fmt_num(pct[i], 1)}%" in drawn["texts"], (o.id, a)
        assert [t for t in drawn["texts"] if t.startswith("*")] == [m for m in marks if m], o.id
        assert drawn["ticks"] == arms and drawn["title"] == textwrap.fill(label, 80), o.id
