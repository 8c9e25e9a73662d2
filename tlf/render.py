"""Word rendering through a Jinja template (docxtpl over python-docx).

The template (``tlf/templates/tlf.docx`` by default, see :mod:`adamforge.tlf.templates_build`)
holds page set-up, styles, header and footer; this module fills it with the outputs' views
(title, subtitles, table or figure, footnotes) with autoescaping on, then sets the column widths
of each table from the spec (python-docx needs them on every cell) and writes the .docx with
fixed zip time stamps and core properties, so the same inputs give the same bytes.
"""

from __future__ import annotations

import dataclasses
import io
from importlib import resources
from pathlib import Path

from ..io import reproducible_zip
from .spec import Output
from .tables import DisplayTable

__all__ = ["OutputView", "DocMeta", "render_docx", "default_template", "USABLE_WIDTH_TWIPS"]

USABLE_WIDTH_TWIPS = 9 * 1440  # landscape letter, 1 inch margins


@dataclasses.dataclass(frozen=True)
class OutputView:
    """One output ready to render: its spec entry, a display table or a PNG, its footnotes."""

    output: Output
    table: DisplayTable | None = None
    png: bytes | None = None
    footnotes: tuple[str, ...] = ()

    @property
    def heading(self) -> str:
        return f"{self.output.id}: {self.output.title}"


@dataclasses.dataclass(frozen=True)
class DocMeta:
    """Header/footer texts: study, program, data cut, run time stamp, synthetic-data notice."""

    study: str
    program: str
    data_cut: str
    run_timestamp: str
    notice: str


def default_template() -> Path:
    """The template shipped with the package."""
    return Path(str(resources.files("adamforge.tlf") / "templates" / "tlf.docx"))


def _table_ctx(t: DisplayTable) -> dict:
    return {
        "stub": t.stub,
        "header": list(t.header),
        "rows": [{"label": r.label, "indent": r.indent, "cells": list(r.cells)} for r in t.rows],
    }


def _set_widths(tbl, rel: tuple[float, ...], ncols: int) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Twips

    if len(rel) != ncols or sum(rel) <= 0:
        rel = tuple([1.0] * ncols)
    tw = [int(USABLE_WIDTH_TWIPS * w / sum(rel)) for w in rel]
    grid = tbl.tblGrid
    for gc in list(grid):
        grid.remove(gc)
    for w in tw:
        gc = OxmlElement("w:gridCol")
        gc.set(qn("w:w"), str(w))
        grid.append(gc)
    for tr in tbl.tr_lst:
        for i, tc in enumerate(tr.tc_lst):
            tc.width = Twips(tw[i] if i < len(tw) else tw[-1])


def render_docx(views: list[OutputView], meta: DocMeta, *, toc: bool = False, header_right: str = "",
                template: str | Path | None = None, created=None) -> bytes:
    """Render ``views`` into one Word document; returns the .docx bytes.

    Parameters
    ----------
    views : the outputs, in document order.
    meta : header/footer texts.
    toc : start with a table of contents (a TOC field Word refreshes on opening, pre-filled
        with the titles).
    header_right : text at the right of the page header (e.g. the output id).
    template : a docxtpl template; default :func:`default_template`.
    created : ``datetime`` for the core properties (default: none written beyond the template's).
    """
    from docx.shared import Inches
    from docxtpl import DocxTemplate, InlineImage

    tpl = DocxTemplate(str(template or default_template()))
    outputs = []
    for v in views:
        img = None
        if v.png is not None:
            img = InlineImage(tpl, io.BytesIO(v.png), width=Inches(7.5))
        outputs.append({
            "heading": v.heading,
            "subtitles": list(v.output.subtitles),
            "footnotes": list(v.footnotes),
            "table": _table_ctx(v.table) if v.table is not None else None,
            "image": img,
        })
    context = {
        "outputs": outputs, "toc": toc, "study": meta.study, "program": meta.program, "data_cut": meta.data_cut,
        "run_timestamp": meta.run_timestamp, "notice": meta.notice, "header_right": header_right,
    }
    tpl.render(context, autoescape=True)
    doc = tpl.docx
    tables = [v.table for v in views if v.table is not None]
    rendered = doc.tables
    if len(rendered) != len(tables):
        raise RuntimeError(f"template produced {len(rendered)} tables for {len(tables)} table outputs: "
                           "check the template's {%p if o.table %} block")
    for t, dt in zip(rendered, tables):
        _set_widths(t._tbl, dt.widths, 1 + len(dt.header))
    if toc:
        _update_fields_on_open(doc)
    cp = doc.core_properties
    cp.title = views[0].heading if len(views) == 1 else meta.study
    cp.author = meta.program
    cp.last_modified_by = meta.program
    cp.comments = meta.notice
    cp.revision = 1
    if created is not None:
        naive = created.replace(tzinfo=None)
        cp.created = naive
        cp.modified = naive
        cp.last_printed = naive
    buf = io.BytesIO()
    tpl.save(buf)
    return reproducible_zip(buf.getvalue())


def _update_fields_on_open(doc) -> None:
    """Ask Word to refresh fields (the TOC's page numbers) when the document opens."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    settings = doc.settings.element
    if settings.find(qn("w:updateFields")) is None:
        el = OxmlElement("w:updateFields")
        el.set(qn("w:val"), "true")
        settings.append(el)
