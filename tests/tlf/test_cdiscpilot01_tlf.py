"""The CDISC pilot's key outputs from its derived ADaM (`adamforge tlf --study cdiscpilot01`).

Published values: CDISC Pilot 01 CSR, Table 14-3.01 (ADAS-Cog(11) change from baseline to Week 24,
LOCF, ANCOVA), as reproduced by the R Consortium's R Submission Pilot 1 (rtables) from the same
ADaM: baseline 24.1 (12.19) / 24.4 (12.92) / 21.3 (11.74); dose-response p = 0.245; Xan Low -
Placebo p = 0.569, diff -0.5 (0.82), 95% CI (-2.1;1.1); Xan High - Placebo p = 0.233, diff -1.0
(0.84), 95% CI (-2.7;0.7); Xan High - Xan Low p = 0.520, diff -0.5 (0.84), 95% CI (-2.2;1.1).
Table 14-2.01: age mean (SD) 75.2 (8.59) / 75.7 (8.29) / 74.4 (7.89) / 75.1 (8.25).
"""

from __future__ import annotations

import re
import shutil
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

from adamforge import cli
from adamforge.errors import EXIT_OK

ROOT = Path(__file__).resolve().parents[2]
OUTPUTS = ["table_14_2_01", "table_14_3_01", "table_14_5_01", "figure_14_1"]


@pytest.fixture(scope="module")
def pilot_out(tmp_path_factory):
    from adamforge.adam.spec import load_spec
    from adamforge.adam.step import derive_adam
    from adamforge.sdtm_io import read_sdtm

    out = tmp_path_factory.mktemp("pilot") / "out"
    (out / "adam").mkdir(parents=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = derive_adam(read_sdtm(ROOT / "sdtm_sample" / "cdiscpilot01"), load_spec(ROOT / "specs" / "cdiscpilot01"))
    for name, df in res.datasets.items():
        df.to_parquet(out / "adam" / f"{name.lower()}.parquet")
    import os

    os.environ["ADAMFORGE_TIMESTAMP"] = "2026-02-03T04:05:06"
    try:
        assert cli.main(["tlf", "--study", "cdiscpilot01", "--out", str(out), "--quiet"]) == EXIT_OK
    finally:
        del os.environ["ADAMFORGE_TIMESTAMP"]
    return out


def _rows(out: Path, stem: str) -> dict[str, list[list[str]]]:
    from docx import Document

    rows: dict[str, list[list[str]]] = {}
    for t in Document(str(out / "tlf" / f"{stem}.docx")).tables:
        for r in t.rows:
            cells = [c.text for c in r.cells]
            rows.setdefault(cells[0].strip(), []).append(cells[1:])
    return rows


def test_files(pilot_out):
    names = {p.name for p in (pilot_out / "tlf").iterdir()}
    for stem in OUTPUTS:
        assert {f"{stem}.docx", f"{stem}.rtf"} <= names
    assert "figure_14_1.png" in names and "ard.json" in names
    assert "WARNING" not in (pilot_out / "adamforge.log").read_text()


def test_table_14_3_01_matches_the_published_csr(pilot_out):
    rows = _rows(pilot_out, "table_14_3_01")
    assert rows["Mean (SD)"][0] == ["24.1 (12.19)", "24.4 (12.92)", "21.3 (11.74)"]  # baseline
    assert rows["n"][0] == ["79", "81", "74"]
    assert rows["p-value (Dose Response) [1][2]"] == [["", "", "0.245"]]
    assert rows["p-value (Xan - Placebo) [1][3]"] == [["", "0.569", "0.233"]]
    assert rows["p-value (Xan High - Xan Low) [1][3]"] == [["", "", "0.520"]]
    assert rows["Diff of LS Means (SE)"] == [["", "-0.5 (0.82)", "-1.0 (0.84)"], ["", "", "-0.5 (0.84)"]]
    assert rows["95% CI"] == [["", "(-2.1;1.1)", "(-2.7;0.7)"], ["", "", "(-2.2;1.1)"]]


def test_table_14_2_01_and_ae_table(pilot_out):
    rows = _rows(pilot_out, "table_14_2_01")
    assert rows["Mean (SD)"][0] == ["75.2 (8.59)", "75.7 (8.29)", "74.4 (7.89)", "75.1 (8.25)"]
    ae = _rows(pilot_out, "table_14_5_01")
    adae = pd.read_parquet(pilot_out / "adam" / "adae.parquet")
    te = adae[(adae["SAFFL"] == "Y") & (adae["TRTEMFL"] == "Y")]
    n_any = te.groupby("TRTAN")["USUBJID"].nunique()
    assert [c.split(" ")[0] for c in ae["Subjects with any treatment-emergent adverse event"][0]] == [
        str(n_any[0]),
        str(n_any[54]),
        str(n_any[81]),
    ]
    # SOCs by decreasing frequency over all arms
    socs = te.groupby("AEBODSYS")["USUBJID"].nunique().sort_values(ascending=False)
    assert list(ae)[2] == socs.index[0]


def test_every_number_shown_comes_from_an_ard_record(pilot_out):
    """Each number of every cell of the pilot's tables equals the ARD value of the record the cell names."""
    from adamforge.tlf import fmt
    from adamforge.tlf.layers import table_display
    from adamforge.tlf.spec import load_tlf_spec
    from adamforge.tlf.tables import ArdIndex

    spec = load_tlf_spec(ROOT / "specs" / "cdiscpilot01" / "tlf.yaml")
    ard = pd.read_json(pilot_out / "tlf" / "ard.json", dtype={"value_char": str})
    ard["value_char"] = ard["value_char"].fillna("")
    ix = ArdIndex(ard)
    checked = 0
    for o in spec.outputs:
        if o.kind != "table":
            continue
        t = table_display(o, ix, spec)
        for row, srcs in zip(t.rows, t.sources):
            for cell, keys in zip(row.cells, srcs):
                nums = re.findall(r"NE|<?-?\d+(?:\.\d+)?", cell)
                assert len(nums) == len(keys), (o.id, row.label, cell)
                for text, key in zip(nums, keys):
                    v = ix.num(*key)
                    if text == "NE":
                        assert v is None, key  # not estimable: the ARD value is missing
                    elif text.startswith("<"):
                        assert v < float(text[1:])
                    else:
                        nd = len(text.split(".")[1]) if "." in text else 0
                        assert fmt.fmt_num(v, nd) == text, (key, v, text)
                    checked += 1
    assert checked > 500


@pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftotext")),
    reason="LibreOffice (soffice) and pdftotext are not installed (CI): the open-clean check needs them",
)
def test_docx_and_rtf_open_clean_in_libreoffice(pilot_out, tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from check_tlf_office import to_pdf_text

    for stem in OUTPUTS:
        for ext in ("docx", "rtf"):
            text, pages = to_pdf_text(pilot_out / "tlf" / f"{stem}.{ext}", tmp_path)
            assert "Page 1 of" in text and pages >= 1
            if stem == "table_14_3_01":
                assert "0.245" in text and "-0.5 (0.82)" in text and "(-2.7;0.7)" in text
