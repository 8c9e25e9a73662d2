"""Build the default Word template ``tlf/templates/tlf.docx`` (run once; the result is committed).

The template is an ordinary Word document with Jinja tags (docxtpl). A user restyles it in Word:
page set-up, the paragraph styles ``TLF Title`` (Heading 1, in the table of contents),
``TLF Subtitle``, ``TLF Table Header``, ``TLF Row Label``, ``TLF Row Label Indent``, ``TLF Cell``,
``TLF Footnote``, ``TLF Figure``, ``TLF Footer``, the table's borders, and the header/footer text.
The tags must stay (they are listed in docs/tlf.md). Regenerate with::

    python -m adamforge.tlf.templates_build            # writes tlf/templates/tlf.docx
"""

from __future__ import annotations

import sys
from pathlib import Path
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.shared import Inches, Pt

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
PAGE_WIDTH_IN, PAGE_HEIGHT_IN, MARGIN_IN = 11.0, 8.5, 1.0
USABLE_WIDTH_TWIPS = int((PAGE_WIDTH_IN - 2 * MARGIN_IN) * 1440)


def _p(text: str, style: str | None = None, extra_ppr: str = "", runs: str | None = None) -> str:
    ppr = (f'<w:pStyle w:val="{style}"/>' if style else "") + extra_ppr
    body = runs if runs is not None else f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r>'
    return f"<w:p><w:pPr>{ppr}</w:pPr>{body}</w:p>"


def _field(instr: str, shown: str) -> str:
    return (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve"> {instr} </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        f'<w:r><w:t>{shown}</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def _t(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


_RULE = '<w:{side} w:val="single" w:sz="8" w:space="0" w:color="000000"/>'


def _tc(paragraphs: str, *, width: int = 2000, bottom_rule: bool = False) -> str:
    borders = f"<w:tcBorders>{_RULE.format(side='bottom')}</w:tcBorders>" if bottom_rule else ""
    return f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{borders}</w:tcPr>{paragraphs}</w:tc>'


def _style(
    doc,
    name: str,
    *,
    base: str = "Normal",
    size: float = 9,
    bold: bool = False,
    align=None,
    indent_in: float = 0.0,
    space_after: float = 0.0,
    keep_next: bool = False,
):
    st = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    st.base_style = doc.styles[base]
    st.font.size = Pt(size)
    st.font.bold = bold
    pf = st.paragraph_format
    pf.space_after = Pt(space_after)
    pf.space_before = Pt(0)
    if align is not None:
        pf.alignment = align
    if indent_in:
        pf.left_indent = Inches(indent_in)
    if keep_next:
        pf.keep_with_next = True
    return st


def build_template(dest: str | Path) -> Path:
    """Write the default TLF template to ``dest`` and return the path."""
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(9)
    normal.paragraph_format.space_after = Pt(0)

    h1 = doc.styles["Heading 1"]  # the output title: Heading 1 so that the TOC lists it
    h1.font.size = Pt(11)
    h1.font.bold = True
    h1.font.name = "Arial"
    h1.font.color.rgb = None
    h1.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    h1.paragraph_format.page_break_before = True
    h1.paragraph_format.space_before = Pt(0)
    h1.paragraph_format.space_after = Pt(2)
    h1.paragraph_format.keep_with_next = True
    sub = _style(doc, "TLF Subtitle", size=10, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=2, keep_next=True)
    hdr = _style(doc, "TLF Table Header", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    lab = _style(doc, "TLF Row Label")
    lab2 = _style(doc, "TLF Row Label Indent", indent_in=0.2)
    cell = _style(doc, "TLF Cell", align=WD_ALIGN_PARAGRAPH.CENTER)
    foot = _style(doc, "TLF Footnote", size=8)
    fig = _style(doc, "TLF Figure", align=WD_ALIGN_PARAGRAPH.CENTER, space_after=4)
    ftr = _style(doc, "TLF Footer", size=7.5)
    tochead = _style(doc, "TLF Contents Heading", size=12, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=8)
    toc1 = _style(doc, "toc 1", size=10, space_after=3)
    ids = {
        k: s.style_id
        for k, s in {
            "sub": sub,
            "hdr": hdr,
            "lab": lab,
            "lab2": lab2,
            "cell": cell,
            "foot": foot,
            "fig": fig,
            "ftr": ftr,
            "tochead": tochead,
            "toc1": toc1,
            "h1": h1,
        }.items()
    }

    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = Inches(PAGE_WIDTH_IN), Inches(PAGE_HEIGHT_IN)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Inches(MARGIN_IN))
    sec.header_distance = sec.footer_distance = Inches(0.5)

    # ---- header and footer ---------------------------------------------------------------
    tab = f'<w:tabs><w:tab w:val="right" w:pos="{USABLE_WIDTH_TWIPS}"/></w:tabs>'
    header = sec.header
    header.is_linked_to_previous = False
    hx = header._element
    for p in list(hx):
        hx.remove(p)
    hx.append(
        parse_xml(
            f'<w:p {W}><w:pPr><w:pStyle w:val="{ids["ftr"]}"/>{tab}</w:pPr>'
            f"{_t('{{ study }}')}<w:r><w:tab/></w:r>{_t('{{ header_right }}')}</w:p>"
        )
    )
    footer = sec.footer
    footer.is_linked_to_previous = False
    fx = footer._element
    for p in list(fx):
        fx.remove(p)
    fx.append(
        parse_xml(
            f'<w:p {W}><w:pPr><w:pStyle w:val="{ids["ftr"]}"/>{tab}</w:pPr>'
            f"{_t('Program: {{ program }}   Data cut: {{ data_cut }}   Run: {{ run_timestamp }}')}<w:r><w:tab/></w:r>"
            f"{_t('Page ')}{_field('PAGE', '1')}{_t(' of ')}{_field('NUMPAGES', '1')}</w:p>"
        )
    )
    fx.append(parse_xml(f'<w:p {W}><w:pPr><w:pStyle w:val="{ids["ftr"]}"/></w:pPr>{_t("{{ notice }}")}</w:p>'))

    # ---- body ------------------------------------------------------------------------------
    ncol_w = (USABLE_WIDTH_TWIPS - 3000) // 3
    header_row = (
        "<w:tr><w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>"
        + _tc(_p("{{ o.table.stub }}", ids["hdr"], '<w:jc w:val="left"/>'), width=3000, bottom_rule=True)
        + _tc(_p("{%tc for h in o.table.header %}"), width=ncol_w)
        + _tc(_p("{{ h }}", ids["hdr"]), width=ncol_w, bottom_rule=True)
        + _tc(_p("{%tc endfor %}"), width=ncol_w)
        + "</w:tr>"
    )

    def ctl_row(tag: str) -> str:
        return "<w:tr>" + _tc(_p(tag), width=3000) + "".join(_tc(_p(""), width=ncol_w) for _ in range(3)) + "</w:tr>"

    label_cell = _tc(
        _p("{%p if r.indent == 0 %}")
        + _p("{{ r.label }}", ids["lab"])
        + _p("{%p else %}")
        + _p("{{ r.label }}", ids["lab2"])
        + _p("{%p endif %}"),
        width=3000,
    )
    body_row = (
        "<w:tr><w:trPr><w:cantSplit/></w:trPr>"
        + label_cell
        + _tc(_p("{%tc for v in r.cells %}"), width=ncol_w)
        + _tc(_p("{{ v }}", ids["cell"]), width=ncol_w)
        + _tc(_p("{%tc endfor %}"), width=ncol_w)
        + "</w:tr>"
    )
    borders = _RULE.format(side="top") + _RULE.format(side="bottom")
    grid = f'<w:gridCol w:w="{ncol_w}"/>' * 3
    rows = header_row + ctl_row("{%tr for r in o.table.rows %}") + body_row + ctl_row("{%tr endfor %}")
    tbl = (
        f'<w:tbl><w:tblPr><w:tblW w:w="{USABLE_WIDTH_TWIPS:d}" w:type="dxa"/><w:jc w:val="center"/>'
        f'<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/>'
        '<w:tblCellMar><w:left w:w="60" w:type="dxa"/><w:right w:w="60" w:type="dxa"/></w:tblCellMar>'
        f'<w:tblLook w:val="0000"/></w:tblPr><w:tblGrid><w:gridCol w:w="3000"/>{grid}</w:tblGrid>{rows}</w:tbl>'
    )

    body = "".join(
        [
            _p("{%p if toc %}"),
            _p("Table of contents", ids["tochead"]),
            _p(
                "",
                None,
                runs='<w:r><w:fldChar w:fldCharType="begin" w:dirty="true"/></w:r>'
                '<w:r><w:instrText xml:space="preserve"> TOC \\o "1-1" \\h \\z \\u </w:instrText></w:r>'
                '<w:r><w:fldChar w:fldCharType="separate"/></w:r>',
            ),
            _p("{%p for o in outputs %}"),
            _p("{{ o.heading }}", ids["toc1"]),
            _p("{%p endfor %}"),
            _p("", None, runs='<w:r><w:fldChar w:fldCharType="end"/></w:r>'),
            _p("{%p endif %}"),
            _p("{%p for o in outputs %}"),
            _p("{{ o.heading }}", ids["h1"]),
            _p("{%p for s in o.subtitles %}"),
            _p("{{ s }}", ids["sub"]),
            _p("{%p endfor %}"),
            _p("{%p if o.table %}"),
            tbl,
            _p("{%p endif %}"),
            _p("{%p if o.image %}"),
            _p("{{ o.image }}", ids["fig"]),
            _p("{%p endif %}"),
            _p("{%p for f in o.footnotes %}"),
            _p("{{ f }}", ids["foot"]),
            _p("{%p endfor %}"),
            _p("{%p endfor %}"),
        ]
    )
    body_el = doc.element.body
    sect = body_el[-1]  # the section properties stay last
    for el in list(body_el)[:-1]:
        body_el.remove(el)
    frag = parse_xml(f"<w:body {W}>{body}</w:body>")
    for el in list(frag):
        sect.addprevious(el)
    cp = doc.core_properties
    cp.author = "adamforge"
    cp.title = "adamforge TLF template"
    cp.comments = "Jinja tags are rendered by adamforge tlf (docxtpl); restyle freely, keep the tags."
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(dest))  # python-docx types the target as str | IO[bytes]
    return dest


if __name__ == "__main__":  # pragma: no cover
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "templates" / "tlf.docx"
    print(build_template(target))
