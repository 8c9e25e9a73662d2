"""Results-level QC on rendered tables: compare the cell text of the tables of two .docx files.

Each document's tables are read with python-docx into grids of cell text (whitespace runs
collapsed to one blank, ends trimmed; a merged cell repeats its text in every grid position it
spans, on both sides alike). Table *i* of BASE is compared with table *i* of COMPARE: a different
number of tables, of rows or of columns is reported, then every cell whose text differs.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pandas as pd

from adamforge.errors import DataError, UsageError

__all__ = ["DocxTableComparison", "read_docx_tables", "compare_docx_tables", "render_docx_text"]

_WS = re.compile(r"\s+")


def read_docx_tables(path: str | Path) -> list[list[list[str]]]:
    """The tables of a .docx as lists of rows of normalised cell text."""
    import docx

    p = Path(path)
    if not p.is_file():
        raise UsageError(f".docx file {str(p)!r} does not exist")
    try:
        d = docx.Document(str(p))
    except Exception as exc:
        raise DataError(f"{str(p)!r} could not be read as .docx: {exc}") from exc
    return [[[_WS.sub(" ", cell.text).strip() for cell in row.cells] for row in t.rows] for t in d.tables]


@dataclasses.dataclass(frozen=True, eq=False)
class DocxTableComparison:
    """Outcome of :func:`compare_docx_tables`. ``differences`` columns: table, row, column, base,
    compare (1-based positions); ``shape`` lists table-level differences as sentences."""

    n_tables_base: int
    n_tables_compare: int
    shape: tuple[str, ...]
    differences: pd.DataFrame

    @property
    def equal(self) -> bool:
        """True when every table and cell matches."""
        return not self.shape and len(self.differences) == 0


def compare_docx_tables(base: str | Path, compare: str | Path) -> DocxTableComparison:
    """Compare the cell text of the tables of two .docx files (see the module docstring)."""
    tb, tc = read_docx_tables(base), read_docx_tables(compare)
    shape = []
    if len(tb) != len(tc):
        shape.append(f"BASE has {len(tb)} table(s), COMPARE {len(tc)}")
    rows = []
    for i, (a, b) in enumerate(zip(tb, tc), start=1):
        if len(a) != len(b):
            shape.append(f"table {i}: BASE has {len(a)} rows, COMPARE {len(b)}")
        for r, (ra, rb) in enumerate(zip(a, b), start=1):
            if len(ra) != len(rb):
                shape.append(f"table {i} row {r}: BASE has {len(ra)} cells, COMPARE {len(rb)}")
            for c, (ca, cb) in enumerate(zip(ra, rb), start=1):
                if ca != cb:
                    rows.append({"table": i, "row": r, "column": c, "base": ca, "compare": cb})
    diffs = pd.DataFrame(rows, columns=["table", "row", "column", "base", "compare"])
    return DocxTableComparison(len(tb), len(tc), tuple(shape), diffs)


def render_docx_text(res: DocxTableComparison, *, title: str = "Table cell comparison", max_rows: int = 200) -> str:
    """The comparison as plain text."""
    from .compare_report import text_table

    L = [title, "", f"Tables: {res.n_tables_base} in BASE, {res.n_tables_compare} in COMPARE."]
    L += [f"  {s}." for s in res.shape]
    L.append(f"Cells with different text: {len(res.differences)}.")
    if len(res.differences):
        L.append("")
        L += text_table(
            ["Table", "Row", "Column", "Base", "Compare"],
            [
                [str(r["table"]), str(r["row"]), str(r["column"]), r["base"], r["compare"]]
                for r in res.differences.head(max_rows).to_dict("records")
            ],
        )
        if len(res.differences) > max_rows:
            L.append(f"  ({len(res.differences) - max_rows} more not shown)")
    L.append("Result: " + ("NO DIFFERENCES" if res.equal else "DIFFERENCES FOUND"))
    return "\n".join(L) + "\n"
