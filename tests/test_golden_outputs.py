"""Golden outputs of the reference study: what users read, compared as text with tests/golden/.

Every test reads the one ``adamforge run`` of the session (``reference_run_dir``); nothing is
simulated again. A change to a report, the findings, a table cell or define.xml fails here with a
unified diff; when it is intended, regenerate and review (see tests/golden.py)::

    ADAMFORGE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_golden_outputs.py
    git diff tests/golden
"""

from __future__ import annotations

import pandas as pd
import pytest

from adamforge.context import studies_dir

pytestmark = pytest.mark.e2e


def _paths(run_dir, **more):
    return {"<RUN>": run_dir, "<SPECS>": studies_dir(), **more}


# -- TLF display tables ------------------------------------------------------------------------
def display_text(views) -> str:
    """The outputs' views as text: each table's stub, header and rows (indent, label, every cell)
    as the Word and RTF renderers receive them, and the footnotes; a figure by its footnotes."""
    lines = []
    for v in views:
        lines.append(f"=== {v.heading}  [{v.output.kind}]")
        if v.table is not None:
            t = v.table
            lines.append(" | ".join([t.stub, *(h.replace("\n", " / ") for h in t.header)]))
            for r in t.rows:
                lines.append(" | ".join(["  " * r.indent + r.label, *r.cells]))
        if v.png is not None:
            lines.append(f"(figure: PNG, {'empty' if not v.png else 'rendered'})")
        for f in v.footnotes:
            lines.append(f"  note: {f}")
        lines.append("")
    return "\n".join(lines)


def reference_views(run_dir):
    """The views the tlf step renders, built from the run's own ARD (``tlf/ard.json``) and ADaM:
    the same view functions as :func:`adamforge.tlf.step.build_outputs`, no statistic recomputed."""
    from adamforge.tlf.ard import TlfData
    from adamforge.tlf.registry import output_kind
    from adamforge.tlf.spec import load_tlf_spec
    from adamforge.tlf.step import _load_adam_spec, resolve_datasets
    from adamforge.tlf.tables import ArdIndex
    from adamforge.validation.compare_ard import read_ard

    spec_dir = studies_dir() / "reference"
    ctx = type("Ctx", (), {"spec": spec_dir})()
    spec = resolve_datasets(load_tlf_spec(spec_dir / "tlf.yaml"), lambda: _load_adam_spec(ctx))
    subject, analysis = (
        pd.read_parquet(run_dir / "adam" / f"{n.lower()}.parquet")
        for n in (spec.subject_dataset, spec.analysis_dataset)
    )
    ix = ArdIndex(read_ard(run_dir / "tlf" / "ard.json"))
    data = TlfData(subject, analysis, {})
    files: dict[str, bytes] = {}
    return [output_kind(o.kind, "view")(o, ix, spec, data, files) for o in spec.outputs], files


def test_tlf_display_tables(reference_run_dir, golden):
    views, files = reference_views(reference_run_dir)
    golden.check("reference/tlf_display_tables.txt", display_text(views), paths=_paths(reference_run_dir))
    # the views are those of the run: the figures drawn from them are the run's PNG files, byte for byte
    for name, png in files.items():
        assert png == (reference_run_dir / "tlf" / name).read_bytes(), name


def test_word_tables_show_the_display_tables(reference_run_dir):
    """The golden display tables are what Word shows: every cell of every table in the .docx files."""
    from adamforge.validation.compare_docx import read_docx_tables

    views, _ = reference_views(reference_run_dir)
    for v in views:
        if v.table is None:
            continue
        [table] = read_docx_tables(reference_run_dir / "tlf" / f"{v.output.file_stem}.docx")
        want = [[v.table.stub, *v.table.header], *([r.label, *r.cells] for r in v.table.rows)]

        def words(rows):
            return [[" ".join(c.split()) for c in row] for row in rows]  # a line break in a cell reads as a blank

        assert words(table) == words(want), v.heading


# -- validation findings ------------------------------------------------------------------------
def test_validation_findings(reference_run_dir, golden):
    text = (reference_run_dir / "validation" / "findings.json").read_text(encoding="utf-8")
    golden.check("reference/validation_findings.json", text, paths=_paths(reference_run_dir))


# -- define.xml ---------------------------------------------------------------------------------
def test_define_xml(reference_run_dir, golden):
    text = (reference_run_dir / "adam" / "define.xml").read_text(encoding="utf-8")
    assert 'CreationDateTime="' in text  # the run time stamp: fixed by conftest, normalised by golden
    golden.check("reference/define.xml", text, paths=_paths(reference_run_dir))


# -- compare reports and the QC evidence ----------------------------------------------------------
@pytest.mark.parametrize("name", ["adsl", "adeff", "ard"])
def test_qc_compare_reports(reference_run_dir, golden, name):
    text = (reference_run_dir / "qc" / name / "report.txt").read_text(encoding="utf-8")
    golden.check(f"reference/qc_{name}_report.txt", text, paths=_paths(reference_run_dir), noise=name == "ard")


def test_qc_evidence(reference_run_dir, golden):
    text = (reference_run_dir / "qc" / "evidence.txt").read_text(encoding="utf-8")
    golden.check("reference/qc_evidence.txt", text, paths=_paths(reference_run_dir), noise=True)


def test_compare_report_with_differences(reference_run_dir, golden, tmp_path):
    """``adamforge compare``'s text report on the reference ADSL (XPT, with its labels and formats)
    against a hand-edited copy: every section of the report has something to say."""
    from adamforge.validation.compare import compare_datasets
    from adamforge.validation.compare_report import render_text

    base = reference_run_dir / "adam" / "adsl.xpt"
    df = pd.read_parquet(reference_run_dir / "adam" / "adsl.parquet")
    first, second, third = df["USUBJID"].iloc[[0, 1, 2]]
    df.loc[df["USUBJID"] == first, "AGE"] += 1
    df.loc[df["USUBJID"] == second, "SEX"] = "U"
    df = df[df["USUBJID"] != third].drop(columns=["RACE"]).assign(EXTRA=1.0)
    path = tmp_path / "adsl_qc.parquet"
    df.to_parquet(path, index=False)
    res = compare_datasets(base, path, id_vars=["USUBJID"])
    assert res.return_code != 0
    golden.check(
        "reference/compare_adsl_edited_report.txt",
        render_text(res),
        paths=_paths(reference_run_dir, **{"<TMP>": tmp_path}),
    )
