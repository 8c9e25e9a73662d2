"""Word rendering through a Jinja template (docxtpl over python-docx).

The template (``tlf/templates/tlf.docx`` by default, see :mod:`adamforge.tlf.templates_build`)
holds page set-up, styles, header and footer; this module fills it with the outputs' views
(title, subtitles, table or figure, footnotes) with autoescaping on, then sets the column widths
of each table from the spec (python-docx needs them on every cell) and writes the .docx with
fixed zip time stamps and core properties, so the same inputs give the same bytes.

The template is untrusted input: it renders in the sandbox of :mod:`adamforge.templating`
(only the context variables below, a few text filters, no globals, no ``_`` attributes), and a
template reaching for anything else is refused with
:class:`~adamforge.templating.TemplateRefused` naming the file, part and expression, before
anything is written. The file is bounded (:data:`MAX_TEMPLATE_BYTES`, :data:`MAX_TEMPLATE_UNPACKED`).
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
#: the largest Word template read, and the most its parts may unpack to (a template is untrusted input)
MAX_TEMPLATE_BYTES = 20 * 1024 * 1024
MAX_TEMPLATE_UNPACKED = 100 * 1024 * 1024


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


def render_docx(
    views: list[OutputView],
    meta: DocMeta,
    *,
    toc: bool = False,
    header_right: str = "",
    template: str | Path | None = None,
    created=None,
) -> bytes:
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
    import jinja2
    from docx.shared import Inches
    from docxtpl import DocxTemplate, InlineImage

    from adamforge.templating import refusal, sandboxed_environment

    template_path = Path(template) if template else default_template()
    _check_template_file(template_path)
    tpl = DocxTemplate(str(template_path))
    outputs = []
    for v in views:
        img = None
        if v.png is not None:
            img = InlineImage(tpl, io.BytesIO(v.png), width=Inches(7.5))
        outputs.append(
            {
                "heading": v.heading,
                "subtitles": list(v.output.subtitles),
                "footnotes": list(v.footnotes),
                "table": _table_ctx(v.table) if v.table is not None else None,
                "image": img,
            }
        )
    context = {
        "outputs": outputs,
        "toc": toc,
        "study": meta.study,
        "program": meta.program,
        "data_cut": meta.data_cut,
        "run_timestamp": meta.run_timestamp,
        "notice": meta.notice,
        "header_right": header_right,
    }
    env = sandboxed_environment(source_name=str(template_path), allowed=context, part_name=lambda: _part_name(tpl))
    try:
        tpl.render(context, jinja_env=env, autoescape=True)
    except jinja2.TemplateError as exc:
        raise refusal(exc, str(template_path), _part_name(tpl)) from None
    doc = tpl.docx
    tables = [v.table for v in views if v.table is not None]
    rendered = doc.tables
    if len(rendered) != len(tables):
        raise RuntimeError(
            f"template produced {len(rendered)} tables for {len(tables)} table outputs: "
            "check the template's {%p if o.table %} block"
        )
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


def _part_name(tpl) -> str | None:
    part = getattr(tpl, "current_rendering_part", None)
    name = getattr(part, "partname", None)
    return str(name).lstrip("/") if name else None


def _check_template_file(path: Path) -> None:
    """A Word template is a bounded zip: refuse what is not one, or would unpack beyond the limits."""
    import zipfile

    from adamforge.templating import TemplateRefused

    try:
        size = path.stat().st_size
        if size > MAX_TEMPLATE_BYTES:
            raise TemplateRefused(
                f"Word template {str(path)!r} is {size:,} bytes, more than the limit of "
                f"{MAX_TEMPLATE_BYTES:,} (adamforge.tlf.render.MAX_TEMPLATE_BYTES)"
            )
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except OSError as exc:
        raise TemplateRefused(f"Word template {str(path)!r} cannot be read: {exc.strerror or exc}") from None
    except zipfile.BadZipFile:
        raise TemplateRefused(f"Word template {str(path)!r} is not a Word document (.docx is a zip file)") from None
    unpacked = sum(i.file_size for i in infos)
    if len(infos) > 10_000 or unpacked > MAX_TEMPLATE_UNPACKED:
        raise TemplateRefused(
            f"Word template {str(path)!r} unpacks to {unpacked:,} bytes in {len(infos)} parts, "
            f"more than the limit of {MAX_TEMPLATE_UNPACKED:,} bytes / 10,000 parts"
        )


def _update_fields_on_open(doc) -> None:
    """Ask Word to refresh fields (the TOC's page numbers) when the document opens."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    settings = doc.settings.element
    if settings.find(qn("w:updateFields")) is None:
        el = OxmlElement("w:updateFields")
        el.set(qn("w:val"), "true")
        settings.append(el)
