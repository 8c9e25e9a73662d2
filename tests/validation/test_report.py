"""The report: summary by rule and severity, autoescaped HTML, JSON, staged write, terminal summary."""

from __future__ import annotations

import json

import pytest

from adamforge import SYNTHETIC_DATA_NOTICE, clock
from adamforge.findings import Finding
from adamforge.validation.report import render_html, summarize, terminal_summary, write_report
from adamforge.validation.sdtm_checks import RULES

F = [
    Finding("SDTM-STUDY-001", "WARNING", "MH", "MHSTDTC", "duration 1.5 < 2", {"USUBJID": "S-2", "MHSEQ": 1}, "1.50"),
    Finding(
        "SDTM-RANGE-001",
        "ERROR",
        "RS",
        "RSSTRESN",
        "IGA <script>alert(1)</script> & 7 > 4",
        {"USUBJID": "S-1", "RSSEQ": 4},
        "7",
    ),
    Finding("SDTM-RANGE-001", "ERROR", "QS", "QSSTRESN", "item 4 > 3", {"USUBJID": "S-3", "QSSEQ": 9}, "4"),
]


@pytest.fixture(autouse=True)
def _fixed_time(monkeypatch):
    monkeypatch.setenv("ADAMFORGE_TIMESTAMP", "2026-01-01T00:00:00")
    clock._reset_for_tests()
    yield
    clock._reset_for_tests()


def test_summary_counts_by_rule_and_severity_errors_first():
    s = summarize(F, RULES)
    assert [(r.severity, r.rule_id, r.count, r.datasets) for r in s] == [
        ("ERROR", "SDTM-RANGE-001", 2, "QS, RS"),
        ("WARNING", "SDTM-STUDY-001", 1, "MH"),
    ]
    assert s[0].description == RULES["SDTM-RANGE-001"].description


def test_html_is_autoescaped_and_carries_counts_keys_and_notice():
    assert "Synthetic data" not in render_html(F, rules=RULES)  # a sponsor's data: no notice
    html = render_html(F, rules=RULES, inputs=[("SDTM.RS", 10, 5)], notice=SYNTHETIC_DATA_NOTICE)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 7 &gt; 4" in html
    assert "2 error(s)" in html and "1 warning(s)" in html and "USUBJID=S-1, RSSEQ=4" in html
    assert SYNTHETIC_DATA_NOTICE.replace("'", "&#39;") in html and "2026-01-01T00:00:00" in html and "SDTM.RS" in html
    assert html.index("SDTM-RANGE-001") < html.index("SDTM-STUDY-001")


def test_html_without_findings_says_so():
    html = render_html([])
    assert "No findings." in html and "no errors" in html


def test_write_report_is_reproducible_and_json_keeps_keys(tmp_path):
    p1 = write_report(F, tmp_path / "v", rules=RULES)
    b1 = p1["findings"].read_bytes(), p1["report"].read_bytes()
    p2 = write_report(list(reversed(F)), tmp_path / "v", rules=RULES)
    assert (p2["findings"].read_bytes(), p2["report"].read_bytes()) == b1
    data = json.loads(b1[0])
    assert data[0]["keys"] == {"USUBJID": "S-3", "QSSEQ": 9} and data[-1]["severity"] == "WARNING"
    assert sorted(x.name for x in (tmp_path / "v").iterdir()) == ["findings.json", "report.html"]


def test_failed_write_keeps_previous_report(tmp_path, monkeypatch):
    write_report(F, tmp_path / "v")
    before = (tmp_path / "v" / "findings.json").read_bytes()
    import adamforge.validation.report as rep

    def boom(*a, **k):
        raise RuntimeError("render failed")

    monkeypatch.setattr(rep, "render_html", boom)
    with pytest.raises(RuntimeError):
        write_report(F[:1], tmp_path / "v")
    assert (tmp_path / "v" / "findings.json").read_bytes() == before


def test_terminal_summary_lines():
    out = terminal_summary(F, rules=RULES, max_lines=1)
    lines = out.splitlines()
    assert lines[0] == "Validation: 2 error(s), 1 warning(s), 0 note(s)."
    assert "SDTM-RANGE-001" in lines[1] and "2" in lines[1]
    assert lines[-1] == "  ... 2 more in the report."
