"""Word rendering: cell texts read back with python-docx, autoescaping, layout, reproducible bytes."""

import datetime as dt
import io
import zipfile

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT

from adamforge.errors import DataError
from adamforge.tlf.render import DocMeta
from adamforge.tlf.spec import parse_tlf_spec
from adamforge.tlf.step import build_outputs

META = DocMeta("Tiny study", "test program", "cut <1> & final", "2026-01-02T03:04:05 UTC", "Synthetic data.")
CREATED = dt.datetime(2026, 1, 2, 3, 4, 5)


@pytest.fixture(scope="module")
def result(tiny_inputs):
    adsl, adeff, spec = tiny_inputs
    return build_outputs(adsl, adeff, spec, meta=META, created=CREATED)


def _doc(result, name):
    return Document(io.BytesIO(result.files[name]))


def _cells(table):
    return [[c.text for c in row.cells] for row in table.rows]


def test_files_written(result):
    docs = {"table_1", "table_2", "table_3", "figure_2", "listing_1", "tlf_all"}
    assert set(result.files) == (
        {"ard.json", "ard.csv", "figure_2.png"} | {f"{d}.docx" for d in docs} | {f"{d}.rtf" for d in docs}
    )


def test_table_1_cells(result):
    rows = _cells(_doc(result, "table_1.docx").tables[0])
    assert rows[0] == [
        "Characteristic",
        "Vehicle\n(N=2)",
        "RUX 0.75%\n(N=3)",
        "RUX 1.5%\n(N=2)",
        "Total\n(N=7)",
        "Overall\n(N=11)",
    ]
    body = {r[0]: r[1:] for r in rows[1:]}
    assert body["Age, median (range)"] == [
        "35.0 (30-40)",
        "33.0 (19-47)",
        "49.0 (28-70)",
        "33.0 (19-70)",
        "35.0 (19-70)",
    ]
    assert body["Female, n (%)"] == ["1 (50.0)", "2 (66.7)", "1 (50.0)", "4 (57.1)", "7 (63.6)"]
    assert body["Race"] == ["", "", "", "", ""]
    # mean 3.25 -> 3.3 (SAS; Python's round gives 3.2); SD 2.4749 -> 2.5
    assert body["Itch, mean (SD)"][:3] == ["3.3 (2.5)", "3.7 (2.1)", "4.8 (6.0)"]
    assert body["Itch >= 2"][:3] == ["1 (50.0)", "3 (100.0)", "1 (50.0)"]


def test_response_table_cells_and_separation_footnote(result):
    doc = _doc(result, "table_2.docx")
    rows = _cells(doc.tables[0])
    assert rows[0] == ["Endpoint", "Vehicle\n(N=2)", "RUX 0.75%\n(N=3)", "RUX 1.5%\n(N=2)"]
    assert rows[1][0] == "EASI-50"
    assert rows[2] == ["n/N (%)", "1/2 (50.0)", "2/2 (100.0)", "1/2 (50.0)"]
    assert rows[3][0] == "OR (95% CI) vs Vehicle"
    assert rows[3][2].startswith("5.00 (") and rows[3][2].endswith(")\u2020")  # Firth, flagged
    assert rows[3][3] == "1.00 (0.02, 50.40)"  # 1/2 vs 1/2: OR 1, CI exp(+-1.959964*sqrt(1+1+1+1))
    assert rows[4][3] == "1.0000"
    cpr = rows[6:]
    assert cpr[1] == ["n/N (%)", "1/2 (50.0)", "1/3 (33.3)", "2/2 (100.0)"]
    text = [p.text for p in doc.paragraphs]
    assert any(
        t.startswith("\u2020 EASI-50, RUX 0.75% vs Vehicle: separation (active arm has 100% responders)") for t in text
    )
    assert any(t.startswith("\u2020 CPR, RUX 1.5% vs Vehicle: separation") for t in text)
    assert "Firth & co." in text


def test_special_characters_survive_autoescape(result):
    doc = _doc(result, "table_1.docx")
    assert "p<0.05 & n>=2: kept as typed" in [p.text for p in doc.paragraphs]
    footer = "\n".join(p.text for p in doc.sections[0].footer.paragraphs)
    assert "Data cut: cut <1> & final" in footer


def test_layout_landscape_repeated_header_page_fields_footer(result):
    doc = _doc(result, "listing_1.docx")
    sec = doc.sections[0]
    assert sec.orientation == WD_ORIENT.LANDSCAPE and sec.page_width > sec.page_height
    tbl = doc.tables[0]
    assert tbl.rows[0]._tr.trPr.xml.count("tblHeader") == 1
    footer_xml = sec.footer._element.xml
    assert " PAGE " in footer_xml and " NUMPAGES " in footer_xml
    footer = "\n".join(p.text for p in sec.footer.paragraphs)
    assert "Program: test program" in footer and "Run: 2026-01-02T03:04:05 UTC" in footer
    assert "Synthetic data." in footer
    assert "Tiny study" in sec.header.paragraphs[0].text
    assert (
        doc.core_properties.created == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
        or doc.core_properties.created.replace(tzinfo=None) == CREATED
    )
    # widths set on every cell, from the spec (equal here)
    assert all(c.width is not None for row in tbl.rows for c in row.cells)


def test_listing_statuses(result):
    rows = _cells(_doc(result, "listing_1.docx").tables[0])
    assert rows[0] == ["Subject", "Treatment", "Baseline IGA", "Week 8 IGA", "EASI-50", "CPR"]
    body = {r[0]: r[1:] for r in rows[1:]}
    assert list(body) == ["S01", "S02", "S05", "S06", "S08", "S09", "S10"]
    assert body["S08"] == ["RUX 0.75%", "2", "1", "NE", "NE"]
    assert body["S01"] == ["Vehicle", "3", "2", "Y", "Y"]


def test_combined_document_has_toc_and_every_output(result):
    doc = _doc(result, "tlf_all.docx")
    body = doc.element.body.xml
    assert 'TOC \\o "1-1"' in body
    heads = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert heads == [
        "Table 1: Baseline",
        "Table 2: Response, non-achievers",
        "Table 3: IGA-TS",
        "Figure 2: EASI-50 bars",
        "Listing 1: Listing",
    ]
    assert len(doc.tables) == 4 and len(doc.inline_shapes) == 1
    assert "updateFields" in doc.settings.element.xml


def test_same_inputs_same_bytes(adsl, adeff, tiny_spec, result):
    again = build_outputs(adsl, adeff, tiny_spec, meta=META, created=CREATED)
    for name, data in result.files.items():
        assert again.files[name] == data, name
    with zipfile.ZipFile(io.BytesIO(result.files["table_1.docx"])) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_title_too_long_and_control_characters_are_refused(tiny_spec_raw):
    tiny_spec_raw["outputs"][0]["title"] = "x" * 200
    tiny_spec_raw["outputs"][1]["footnotes"] = ["bad \x07 bell"]
    with pytest.raises(DataError) as exc:
        parse_tlf_spec(tiny_spec_raw)
    problems = exc.value.problems
    assert any("output 'Table 1': title is 209 characters" in p and "max_title_chars" in p for p in problems)
    assert any(
        "output 'Table 2': footnote 'bad \\x07 bell' contains the control character U+0007" in p for p in problems
    )


# -- the template is untrusted input: sandboxed rendering (issue 13, item 1) ----------------------

EXPLOIT = "{{ cycler.__init__.__globals__.os.system('id > x') }}"


def _restyled(tmp_path, footer_text=None, body_text=None, name="evil.docx"):
    """The packaged template "restyled": one paragraph added to its footer or body."""
    from adamforge.tlf.render import default_template

    doc = Document(str(default_template()))
    if footer_text is not None:
        doc.sections[0].footer.add_paragraph(footer_text)
    if body_text is not None:
        doc.add_paragraph(body_text)
    path = tmp_path / name
    doc.save(str(path))
    return path


@pytest.mark.parametrize(
    "text, expect",
    [
        (EXPLOIT, "'cycler'"),
        ("{{ outputs.__class__.__mro__ }}", "internal attribute '__"),
        ("{{ notice['__class__'] }}", "internal attribute '__class__'"),
        ("{{ range(10) | join }}", "'range'"),
        ("{{ lipsum() }}", "'lipsum'"),
    ],
)
def test_template_reaching_beyond_its_context_is_refused_before_rendering(
    tiny_inputs, tmp_path, monkeypatch, text, expect
):
    from adamforge.templating import TemplateRefused

    adsl, adeff, spec = tiny_inputs
    evil = _restyled(tmp_path, footer_text=text)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TemplateRefused) as exc:
        build_outputs(adsl, adeff, spec, meta=META, template=evil, created=CREATED)
    msg = str(exc.value)
    assert str(evil) in msg and "word/footer" in msg and expect in msg, msg
    assert not (tmp_path / "x").exists()


def test_exploit_message_quotes_the_offending_expression(tiny_inputs, tmp_path):
    from adamforge.templating import TemplateRefused

    adsl, adeff, spec = tiny_inputs
    with pytest.raises(TemplateRefused) as exc:
        build_outputs(adsl, adeff, spec, meta=META, template=_restyled(tmp_path, footer_text=EXPLOIT), created=CREATED)
    assert "the expression \"{{ cycler.__init__.__globals__.os.system('id > x') }}\"" in str(exc.value)


@pytest.mark.parametrize(
    "text, expect",
    [
        ("{{ outputs.append(1) }}", "refused by the sandbox"),  # mutating what it was handed
        ("{{ study * 100000000 }}", "limit 1,000,000"),  # memory bomb
        ("{{ study | attr('upper') }}", "the filter 'attr'"),  # filters are an allowlist
        ("{{ notice | safe }}", "the filter 'safe'"),  # autoescape cannot be turned off
    ],
)
def test_sandbox_refuses_at_render_time(tiny_inputs, tmp_path, text, expect):
    from adamforge.templating import TemplateRefused

    adsl, adeff, spec = tiny_inputs
    with pytest.raises(TemplateRefused) as exc:
        build_outputs(adsl, adeff, spec, meta=META, template=_restyled(tmp_path, body_text=text), created=CREATED)
    assert expect in str(exc.value) and "evil.docx" in str(exc.value)


def test_template_filters_and_context_still_work(tiny_inputs, tmp_path):
    adsl, adeff, spec = tiny_inputs
    tpl = _restyled(tmp_path, footer_text="Study {{ study | upper }} / {{ outputs | length }} output(s)")
    res = build_outputs(adsl, adeff, spec, meta=META, template=tpl, created=CREATED)
    footer = "\n".join(p.text for p in _doc(res, "table_1.docx").sections[0].footer.paragraphs)
    assert "Study TINY STUDY / 1 output(s)" in footer


def test_not_a_word_file_is_refused_with_its_name(tiny_inputs, tmp_path):
    from adamforge.templating import TemplateRefused

    adsl, adeff, spec = tiny_inputs
    bad = tmp_path / "plain.docx"
    bad.write_text("not a zip")
    with pytest.raises(TemplateRefused, match="plain.docx' is not a Word document"):
        build_outputs(adsl, adeff, spec, meta=META, template=bad, created=CREATED)


def test_tlf_command_with_exploit_template_exits_1_and_writes_nothing(tiny_inputs, tmp_path):
    """End to end: `adamforge tlf --tlf-template` with the exploit in a footer: exit 1, the template
    and expression named, the command not run, no tlf/ output."""
    import subprocess
    import sys

    import yaml

    from .conftest import TINY_SPEC

    adsl, adeff, _ = tiny_inputs
    adam = tmp_path / "adam"
    adam.mkdir()
    adsl.to_parquet(adam / "adsl.parquet")
    adeff.to_parquet(adam / "adeff.parquet")
    (tmp_path / "tlf.yaml").write_text(yaml.safe_dump(TINY_SPEC))
    evil = _restyled(tmp_path, footer_text=EXPLOIT)
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "adamforge.cli",
            "tlf",
            "--out",
            str(tmp_path / "o"),
            "--tlf-spec",
            str(tmp_path / "tlf.yaml"),
            "--tlf-adam",
            str(adam),
            "--tlf-template",
            str(evil),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert r.returncode == 1, r.stderr
    assert "evil.docx" in r.stderr and "cycler" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x").exists()
    assert not (tmp_path / "o" / "tlf").exists()


# -- big tables: rendered by row chunks and spliced, with the bytes of one rendering (issue 14) ----


def _big_views(spec):
    from adamforge.tlf.render import OutputView
    from adamforge.tlf.tables import DisplayRow, DisplayTable

    o = spec.output("Listing 1")
    rows = tuple(
        DisplayRow(
            f"S{i:02d} <&> \"q\" 'a'" + ("\nsecond line" if i % 3 == 0 else ""),
            (f"c{i}\ttab", "\u00dc\u20ac \U0001f600", "", "x & y > z", "N (NRI)"),
            indent=i % 2,
        )
        for i in range(11)
    )
    big = DisplayTable("Subject", ("A\n(N=1)", "B", "C", "D", "E"), rows, o.widths)
    small = DisplayTable("Subject", ("A", "B", "C", "D", "E"), rows[:2], ())
    return [OutputView(o, table=big, footnotes=("f & g",)), OutputView(o, table=small)]


def _template_with(tmp_path, old: bytes, new: bytes):
    from adamforge.tlf.render import default_template

    src = zipfile.ZipFile(default_template())
    path = tmp_path / "variant.docx"
    with zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                assert old in data
                data = data.replace(old, new)
            dst.writestr(item, data)
    return path


@pytest.mark.parametrize("variant", ["default", "loop"])
def test_big_tables_spliced_give_the_bytes_of_one_rendering(tiny_inputs, tmp_path, monkeypatch, variant):
    from adamforge.tlf import render

    _adsl, _adeff, spec = tiny_inputs
    views = _big_views(spec)
    template = None
    if variant == "loop":  # a row depending on its position: rendered in one piece
        template = _template_with(tmp_path, b"{{ r.label }}", b"{{ loop.index }} {{ r.label }}")
    calls = []
    real = render._render_rows
    monkeypatch.setattr(render, "_render_rows", lambda *a: calls.append(len(a[3].rows)) or real(*a))
    monkeypatch.setattr(render, "SPLICE_MIN_ROWS", 5)
    monkeypatch.setattr(render, "SPLICE_CHUNK", 4)
    cache: dict = {}
    for kw in ({}, {"toc": True, "header_right": "All"}):
        whole = render.render_docx(views, META, template=template, created=CREATED, splice=False, **kw)
        spliced = render.render_docx(views, META, template=template, created=CREATED, row_cache=cache, **kw)
        assert spliced == whole
    assert calls == ([11] if variant == "default" else [])  # rendered once, reused by the second document
    rows = _cells(Document(io.BytesIO(spliced)).tables[0])
    assert len(rows) == 12 and rows[1][0].endswith("S00 <&> \"q\" 'a'\nsecond line") and rows[2][1] == "c1\ttab"
