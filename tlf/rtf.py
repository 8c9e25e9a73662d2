"""RTF output, written by hand from the same views the Word documents are rendered from.

RTF 1.x is plain text: no dependency is needed (``rtflite`` would bring polars, pydantic,
narwhals and pillow for the same result; see docs/tlf.md). Each output is one section with its
own page header (study, output id, title and subtitles: repeated on every page), the table's
column header row marked ``\\trhdr`` (repeated on every page by Word and LibreOffice), rows that
do not break across pages (``\\trkeep``), footnotes after the table, and a footer with the
program, data cut, run time stamp, ``Page x of y`` (``PAGE`` / ``NUMPAGES`` fields) and the data
notice. Figures are embedded PNGs (``\\pngblip``). Text is escaped (``\\``, braces) and non-ASCII
characters are written as ``\\uN?``. The bytes depend only on the views and the meta data.
"""

from __future__ import annotations

import struct

from .render import DocMeta, OutputView

__all__ = ["render_rtf", "rtf_escape", "PAGE_W", "PAGE_H", "MARGIN"]

PAGE_W, PAGE_H, MARGIN = 15840, 12240, 1440  # landscape letter, 1 inch margins (twips)
USABLE = PAGE_W - 2 * MARGIN
FONT_HALF_POINTS = 18  # 9 pt
INDENT_TWIPS = 200


def rtf_escape(text: str) -> str:
    """``text`` as RTF: control characters escaped, line breaks as ``\\line``, non-ASCII as ``\\uN?``."""
    out = []
    for ch in str(text):
        o = ord(ch)
        if ch in "\\{}":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\line ")
        elif ch == "\t":
            out.append("\\tab ")
        elif o < 32:
            continue
        elif o < 128:
            out.append(ch)
        else:
            for unit in _utf16_units(ch):
                out.append(f"\\u{unit if unit < 32768 else unit - 65536}?")
    return "".join(out)


def _utf16_units(ch: str) -> list[int]:
    b = ch.encode("utf-16-be")
    return [int.from_bytes(b[i : i + 2], "big") for i in range(0, len(b), 2)]


def _par(
    text: str,
    *,
    align: str = "ql",
    bold: bool = False,
    size: int = FONT_HALF_POINTS,
    space_after: int = 0,
    keep: bool = False,
) -> str:
    b = "\\b " if bold else ""
    k = "\\keepn" if keep else ""
    return f"\\pard\\plain\\{align}\\sa{space_after}{k}\\f0\\fs{size} {b}{rtf_escape(text)}\\par\n"


def _widths(rel: tuple[float, ...], ncols: int) -> list[int]:
    if len(rel) != ncols or sum(rel) <= 0:
        rel = tuple([1.0] * ncols)
    return [int(USABLE * w / sum(rel)) for w in rel]


def _row(cells: list[str], widths: list[int], *, header: bool, top: bool, bottom: bool, indent: int = 0) -> str:
    props = ["\\trowd" + ("\\trhdr" if header else "") + "\\trgaph72\\trleft0\\trkeep"]
    x = 0
    for _w in widths:
        x += _w
        brd = ""
        if top:
            brd += "\\clbrdrt\\brdrs\\brdrw10"
        if bottom:
            brd += "\\clbrdrb\\brdrs\\brdrw10"
        props.append(f"{brd}\\clvertalb\\cellx{x}")
    s = props + ["\n"]
    for i, text in enumerate(cells):
        align = "ql" if i == 0 else "qc"
        li = f"\\li{INDENT_TWIPS * indent}" if i == 0 and indent else ""
        b = "\\b " if header else ""
        s.append(f"\\pard\\plain\\intbl\\{align}{li}\\f0\\fs{FONT_HALF_POINTS} {b}{rtf_escape(text)}\\cell\n")
    s.append("\\row\n")
    return "".join(s)


def _png_size(png: bytes) -> tuple[int, int]:
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG image")
    return struct.unpack(">II", png[16:24])


def _picture(png: bytes) -> str:
    w, h = _png_size(png)
    goal_w = 10800  # 7.5 inches
    goal_h = int(goal_w * h / w)
    hexdata = png.hex()
    lines = "\n".join(hexdata[i : i + 128] for i in range(0, len(hexdata), 128))
    return (
        f"\\pard\\plain\\qc{{\\pict\\pngblip\\picw{w}\\pich{h}\\picwgoal{goal_w}\\pichgoal{goal_h}\n{lines}\n}}\\par\n"
    )


def _header_footer(v: OutputView, meta: DocMeta, header_right: str) -> str:
    hdr = [
        f"{{\\header \\pard\\plain\\ql\\tqr\\tx{USABLE}\\f0\\fs16 {rtf_escape(meta.study)}\\tab "
        f"{rtf_escape(header_right)}\\par\n"
    ]
    hdr.append(_par(v.heading, align="qc", bold=True, size=20, keep=True))
    for s in v.output.subtitles:
        hdr.append(_par(s, align="qc", size=FONT_HALF_POINTS, keep=True))
    hdr.append("\\pard\\plain\\f0\\fs8\\par}\n")
    foot = (
        f"{{\\footer \\pard\\plain\\ql\\tqr\\tx{USABLE}\\brdrt\\brdrs\\brdrw10\\f0\\fs14 "
        f"{rtf_escape(meta.program)} | Data cut: {rtf_escape(meta.data_cut)} | Run: {rtf_escape(meta.run_timestamp)}"
        f"\\tab Page {{\\field{{\\*\\fldinst PAGE}}{{\\fldrslt 1}}}} of "
        f"{{\\field{{\\*\\fldinst NUMPAGES}}{{\\fldrslt 1}}}}\\par\n"
    )
    if meta.notice:
        foot += f"\\pard\\plain\\ql\\f0\\fs14 {rtf_escape(meta.notice)}\\par\n"
    foot += "}\n"
    return "".join(hdr) + foot


def _body(v: OutputView) -> str:
    parts = []
    t = v.table
    if t is not None:
        widths = _widths(t.widths, 1 + len(t.header))
        parts.append(_row([t.stub, *t.header], widths, header=True, top=True, bottom=True))
        for i, r in enumerate(t.rows):
            parts.append(
                _row([r.label, *r.cells], widths, header=False, top=False, bottom=i == len(t.rows) - 1, indent=r.indent)
            )
    if v.png is not None:
        parts.append(_picture(v.png))
    parts.append("\\pard\\plain\\f0\\fs8\\par\n")
    for f in v.footnotes:
        parts.append(_par(f, size=16))
    return "".join(parts)


def render_rtf(views: list[OutputView], meta: DocMeta, *, header_right: str = "") -> bytes:
    """The outputs ``views`` as one RTF document (one section per output); returns the bytes
    (ASCII: every non-ASCII character is escaped)."""
    doc = [
        "{\\rtf1\\ansi\\ansicpg1252\\uc1\\deff0\n",
        "{\\fonttbl{\\f0\\fswiss\\fcharset0 Arial;}}\n",
        "{\\colortbl;\\red0\\green0\\blue0;}\n",
        f"{{\\info{{\\title {rtf_escape(views[0].heading if len(views) == 1 else meta.study)}}}"
        f"{{\\author {rtf_escape(meta.program)}}}}}\n",
        f"\\paperw{PAGE_W}\\paperh{PAGE_H}\\landscape\\margl{MARGIN}\\margr{MARGIN}\\margt{MARGIN}"
        f"\\margb{MARGIN}\\widowctrl\n",
    ]
    for i, v in enumerate(views):
        if i:
            doc.append("\\sect")
        doc.append(f"\\sectd\\lndscpsxn\\pgwsxn{PAGE_W}\\pghsxn{PAGE_H}\\headery720\\footery720\n")
        doc.append(_header_footer(v, meta, header_right if len(views) == 1 else v.output.id))
        doc.append(_body(v))
    doc.append("}\n")
    return "".join(doc).encode("ascii")
