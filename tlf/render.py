"""Word rendering through a Jinja template (docxtpl over python-docx).

The template (``tlf/templates/tlf.docx`` by default, see :mod:`adamforge.tlf.templates_build`)
holds page set-up, styles, header and footer; this module fills it with the outputs' views
(title, subtitles, table or figure, footnotes) with autoescaping on, then sets the column widths
of each table from the spec (python-docx needs them on every cell) and writes the .docx with
fixed zip time stamps and core properties, so the same inputs give the same bytes. A table of
many rows (the listing) is rendered by chunks of rows spliced into the document, with the same
bytes (:func:`render_docx`).

The template is untrusted input: it renders in the sandbox of :mod:`adamforge.templating`
(only the context variables below, a few text filters, no globals, no ``_`` attributes), and a
template reaching for anything else is refused with
:class:`~adamforge.templating.TemplateRefused` naming the file, part and expression, before
anything is written. The file is bounded (:data:`MAX_TEMPLATE_BYTES`, :data:`MAX_TEMPLATE_UNPACKED`).
"""

from __future__ import annotations

import dataclasses
import functools
import io
from importlib import resources
from pathlib import Path
from typing import Any

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
    """The grid and every cell's ``w:tcW`` from the relative widths ``rel``.

    Per cell this does what python-docx's ``tc.width = Twips(w)`` does (``w:type`` then ``w:w``
    set on the existing ``w:tcW``), on lxml directly: python-docx's proxies cost ~20 us a cell.
    A cell without ``w:tcPr/w:tcW`` goes through python-docx, which adds them in schema order.
    """
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
    tw_text = [str(w) for w in tw]
    q_tr, q_tc, q_tcpr, q_tcw, q_type, q_w = (qn(x) for x in ("w:tr", "w:tc", "w:tcPr", "w:tcW", "w:type", "w:w"))
    for tr in tbl.iterchildren(q_tr):
        for i, tc in enumerate(tr.iterchildren(q_tc)):
            tc_pr = tc.find(q_tcpr)
            tc_w = tc_pr.find(q_tcw) if tc_pr is not None else None
            if tc_w is None:
                tc.width = Twips(tw[i] if i < len(tw) else tw[-1])
                continue
            tc_w.set(q_type, "dxa")
            tc_w.set(q_w, tw_text[i] if i < len(tw) else tw_text[-1])


#: tables of at least this many rows are rendered in chunks of :data:`SPLICE_CHUNK` rows and their
#: rows spliced into the document (same bytes as one rendering; see :func:`render_docx`)
SPLICE_MIN_ROWS = 500
SPLICE_CHUNK = 4000
_SENTINEL = "\ue000adamforge rows {}\ue000"


def render_docx(
    views: list[OutputView],
    meta: DocMeta,
    *,
    toc: bool = False,
    header_right: str = "",
    template: str | Path | None = None,
    created=None,
    row_cache: dict | None = None,
    splice: bool = True,
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
    splice : render big tables by chunks (below); ``False`` renders the document in one piece.
    row_cache : a dict shared between calls with the same template: the rendered rows of big
        tables are kept there and reused (the combined document repeats every output).

    A table of :data:`SPLICE_MIN_ROWS` rows or more (the listing) is not rendered in one piece
    when the template's row loop (``{%tr for r in o.table.rows %}``) depends on nothing but its
    row (no ``loop``, no other variable: checked on the template's Jinja syntax tree) and each row
    renders as one ``w:tr`` (checked on the output; else, or with ``splice=False``, the
    document is rendered in one piece): the
    document is rendered with one placeholder row, the rows in chunks of :data:`SPLICE_CHUNK`
    through the same template, and their XML replaces the placeholder in ``word/document.xml``.
    The bytes are those of rendering the whole document at once (docxtpl's clean-up passes,
    table fix-up and python-docx's tree cost minutes and gigabytes at 100,000 rows, and work
    row by row). Any other template renders in one piece.
    """
    import jinja2
    from docx.shared import Inches
    from docxtpl import InlineImage

    from adamforge.templating import refusal, sandboxed_environment

    template_path = Path(template) if template else default_template()
    _check_template_file(template_path)
    tpl = _template_class()(str(template_path))
    big = [v.table for v in views if v.table is not None and len(v.table.rows) >= SPLICE_MIN_ROWS]
    outputs: list[dict[str, Any]] = []
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
    spliced: dict[str, bytes] = {}
    if splice and big and _rows_independent(tpl, env):
        for k, (v, o) in enumerate(zip(views, outputs)):
            if v.table is None or len(v.table.rows) < SPLICE_MIN_ROWS:
                continue
            key = (str(template_path), id(v.table))
            if row_cache is not None and key in row_cache:
                rows_xml = row_cache[key][1]
            else:
                rows_xml = _render_rows(template_path, context, o, v.table, env)
                if row_cache is not None:
                    row_cache[key] = (v.table, rows_xml)  # the table is kept so that its id stays its own
            sentinel = _SENTINEL.format(k)
            o["table"] = dict(o["table"], rows=[_sentinel_row(sentinel, v.table)])
            spliced[sentinel] = rows_xml
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
    if not spliced:
        return reproducible_zip(buf.getvalue())
    return _reproducible_zip_spliced(buf.getvalue(), spliced)


@functools.cache
def _template_class():
    """docxtpl's ``DocxTemplate`` with its paragraph clean-up pass (``resolve_listing``) run only
    on the paragraphs it can change, those holding a tab, line break, ``\\a`` or ``\\f``: it
    returns the others as they are, after a few regular expressions per paragraph. Same output."""
    import re

    from docxtpl import DocxTemplate

    paragraph = re.compile(r"<w:p(?: [^>]*)?>.*?</w:p>", flags=re.DOTALL)
    special = re.compile("[\t\n\a\f]")

    class FastDocxTemplate(DocxTemplate):
        def resolve_listing(self, xml):
            parent = super().resolve_listing

            def one(m):
                text = m.group(0)
                return parent(text) if special.search(text) else text

            return paragraph.sub(one, xml)

    return FastDocxTemplate


def _sentinel_row(sentinel: str, t: DisplayTable) -> dict:
    return {"label": sentinel, "indent": 0, "cells": [""] * len(t.header)}


def _rows_independent(tpl, env) -> bool:
    """True when every loop of the body over ``<x>.table.rows`` depends on its row alone: no
    ``loop`` variable, no name but the loop's own (and inner loops' own), no ``else`` / filter."""
    from jinja2 import nodes

    tpl.init_docx()
    try:
        ast = env.parse(tpl.patch_xml(tpl.get_xml()))
    except Exception:  # a syntax error is reported by the full rendering
        return False
    loops = [
        f
        for f in ast.find_all(nodes.For)
        if isinstance(f.iter, nodes.Getattr)
        and f.iter.attr == "rows"
        and isinstance(f.iter.node, nodes.Getattr)
        and f.iter.node.attr == "table"
    ]
    if len(loops) != 1:
        return False
    f = loops[0]
    if f.else_ or f.test is not None or f.recursive:
        return False
    body = nodes.Template(f.body)
    stored = (
        {n.name for n in f.target.find_all(nodes.Name)} if not isinstance(f.target, nodes.Name) else {f.target.name}
    )
    stored |= {n.name for n in body.find_all(nodes.Name) if n.ctx in ("store", "param")}
    loaded = {n.name for n in body.find_all(nodes.Name) if n.ctx == "load"}
    if "loop" in loaded or "loop" in stored:
        return False
    if any(True for _ in body.find_all((nodes.Macro, nodes.CallBlock, nodes.Include, nodes.Import, nodes.FromImport))):
        return False
    return loaded <= stored


def _render_rows(template_path: Path, context: dict, o: dict, t: DisplayTable, env) -> bytes:
    """The XML of table ``t``'s rows (UTF-8, as in ``word/document.xml``), rendered in chunks."""
    from docx.opc.oxml import serialize_part_xml

    rows = o["table"]["rows"]
    a, b = _SENTINEL.format("a"), _SENTINEL.format("b")
    ea, eb = a.encode("utf-8"), b.encode("utf-8")
    parts = []
    for lo in range(0, len(rows), SPLICE_CHUNK):
        chunk = rows[lo : lo + SPLICE_CHUNK]
        mini = _template_class()(str(template_path))
        mini_o = dict(o, table=dict(o["table"], rows=[_sentinel_row(a, t), *chunk, _sentinel_row(b, t)]))
        mini.render(dict(context, outputs=[mini_o]), jinja_env=env, autoescape=True)
        tables = mini.docx.tables
        if len(tables) != 1:
            raise _NotSpliceable
        _set_widths(tables[0]._tbl, t.widths, 1 + len(t.header))
        xml = serialize_part_xml(tables[0]._tbl)
        if xml.count(ea) != 1 or xml.count(eb) != 1:
            raise _NotSpliceable
        start = xml.index(b"</w:tr>", xml.index(ea)) + len(b"</w:tr>")
        end = max(xml.rfind(b"<w:tr>", 0, xml.index(eb)), xml.rfind(b"<w:tr ", 0, xml.index(eb)))
        body = xml[start:end]
        if _count_tr(body) != (len(chunk), len(chunk)):
            raise _NotSpliceable
        parts.append(body)
    return b"".join(parts)


class _NotSpliceable(Exception):
    """The rows did not render as one ``w:tr`` each: the document is rendered in one piece."""


def _reproducible_zip_spliced(data: bytes, spliced: dict[str, bytes]) -> bytes:
    """:func:`adamforge.io.reproducible_zip` of the .docx ``data``, its ``word/document.xml`` spliced."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            zi = zipfile.ZipInfo(item.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            member = src.read(item.filename)
            if item.filename == "word/document.xml":
                member = _splice(member, spliced)
            dst.writestr(zi, member)
            del member
    return out.getvalue()


def _count_tr(xml: bytes) -> tuple[int, int]:
    return xml.count(b"<w:tr>") + xml.count(b"<w:tr "), xml.count(b"</w:tr>")


def _splice(xml: bytes, spliced: dict[str, bytes]) -> bytes:
    """``word/document.xml`` with each placeholder row replaced by the rendered rows."""
    for sentinel, rows_xml in spliced.items():
        mark = sentinel.encode("utf-8")
        if xml.count(mark) != 1:
            raise _NotSpliceable
        at = xml.index(mark)
        start = max(xml.rfind(b"<w:tr>", 0, at), xml.rfind(b"<w:tr ", 0, at))
        end = xml.index(b"</w:tr>", at) + len(b"</w:tr>")
        if start < 0 or _count_tr(xml[start:end]) != (1, 1):
            raise _NotSpliceable
        xml = b"".join((xml[:start], rows_xml, xml[end:]))
    return xml


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
