"""Results-level QC on rendered tables: the cell text of two .docx files."""

from __future__ import annotations

import docx

from adamforge.validation.compare_docx import compare_docx_tables, render_docx_text


def _doc(path, tables):
    d = docx.Document()
    for rows in tables:
        t = d.add_table(rows=len(rows), cols=len(rows[0]))
        for i, r in enumerate(rows):
            for j, v in enumerate(r):
                t.cell(i, j).text = v
    d.save(str(path))
    return path


T1 = [["Endpoint", "Vehicle", "RUX 1.5%"], ["CPR, n/N (%)", "110/174 (63.2)", "168/197 (85.3)"]]


def test_same_tables_are_equal(tmp_path):
    res = compare_docx_tables(_doc(tmp_path / "a.docx", [T1]), _doc(tmp_path / "b.docx", [T1]))
    assert res.equal
    assert render_docx_text(res).endswith("Cells with different text: 0.\nResult: NO DIFFERENCES\n")


def test_one_cell_and_whitespace(tmp_path):
    t2 = [list(r) for r in T1]
    t2[1][2] = "168/197 (85.2)"
    t2[0][1] = "Vehicle  "  # trailing and repeated blanks do not count
    res = compare_docx_tables(_doc(tmp_path / "a.docx", [T1]), _doc(tmp_path / "b.docx", [t2]))
    assert res.differences.to_dict("records") == [
        {"table": 1, "row": 2, "column": 3, "base": "168/197 (85.3)", "compare": "168/197 (85.2)"}
    ]
    assert not res.equal


def test_table_and_row_counts(tmp_path):
    res = compare_docx_tables(_doc(tmp_path / "a.docx", [T1, T1]), _doc(tmp_path / "b.docx", [T1[:1]]))
    assert res.shape == ("BASE has 2 table(s), COMPARE 1", "table 1: BASE has 2 rows, COMPARE 1")
    assert len(res.differences) == 0 and not res.equal
