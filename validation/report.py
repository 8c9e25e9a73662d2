"""The validation report: findings as JSON, a readable HTML page and a terminal summary.

Compute first, render second: :func:`summarize` turns findings into a summary table (one row per
rule and severity), :func:`render_html` renders the summary and the findings table through a
Jinja template (autoescaped), and :func:`write_report` writes ``findings.json`` and
``report.html`` into one folder atomically (both or neither).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path

from adamforge import __version__
from adamforge.clock import run_timestamp_iso
from adamforge.findings import SEVERITIES, Finding, count_by_severity, to_json

from .rules import Rule, plain

TEMPLATE = "report.html.j2"
_ORDER = {s: i for i, s in enumerate(SEVERITIES)}


@dataclasses.dataclass(frozen=True)
class RuleSummary:
    """One row of the summary: a rule, its severity, where it fired and how often."""

    rule_id: str
    severity: str
    description: str
    datasets: str
    count: int


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in report order: severity (ERROR first), rule, dataset, variable, keys."""
    return sorted(
        findings,
        key=lambda f: (
            _ORDER[f.severity],
            f.rule_id,
            f.dataset,
            f.variable,
            json.dumps({k: plain(v) for k, v in f.keys.items()}, sort_keys=True, default=str),
        ),
    )


def summarize(findings: Iterable[Finding], rules: Mapping[str, Rule] | None = None) -> list[RuleSummary]:
    """Count findings per rule and severity, ERRORs first.

    Parameters
    ----------
    findings : the findings.
    rules : rule id -> :class:`Rule`, for the descriptions (rules not in it get an empty one).
    """
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.severity, f.rule_id), []).append(f)
    out = []
    for (sev, rid), fs in sorted(groups.items(), key=lambda kv: (_ORDER[kv[0][0]], kv[0][1])):
        desc = rules[rid].description if rules and rid in rules else ""
        out.append(RuleSummary(rid, sev, desc, ", ".join(sorted({f.dataset for f in fs if f.dataset})), len(fs)))
    return out


def render_html(
    findings: Sequence[Finding],
    *,
    rules: Mapping[str, Rule] | None = None,
    title: str = "adamforge validation report",
    inputs: Sequence[tuple[str, int, int]] = (),
    policy: str = "submission",
    notice: str = "",
) -> str:
    """The HTML report (Jinja, autoescaped): header, counts, summary by rule, findings table.

    ``inputs`` lists the datasets validated as ``(name, observations, variables)``.
    """
    import jinja2

    from adamforge.templating import sandboxed_environment

    env = sandboxed_environment(  # sandboxed, autoescaped, strict, no globals: see adamforge.templating
        source_name=TEMPLATE,
        loader=jinja2.FunctionLoader(
            lambda name: resources.files("adamforge.validation").joinpath(name).read_text("utf-8")
        ),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    rows = [
        {
            "severity": f.severity,
            "rule_id": f.rule_id,
            "dataset": f.dataset,
            "variable": f.variable,
            "record_keys": ", ".join(f"{k}={plain(v)}" for k, v in f.keys.items()),
            "value": f.value,
            "message": f.message,
        }
        for f in sort_findings(findings)
    ]
    return env.get_template(TEMPLATE).render(
        title=title,
        timestamp=run_timestamp_iso(),
        version=__version__,
        notice=notice,
        counts=count_by_severity(findings),
        summary=summarize(findings, rules),
        rows=rows,
        inputs=list(inputs),
        policy=policy,
    )


def terminal_summary(
    findings: Sequence[Finding], *, rules: Mapping[str, Rule] | None = None, max_lines: int = 15
) -> str:
    """A few lines for the terminal: counts, one line per rule, the first findings of the worst severity."""
    counts = count_by_severity(findings)
    lines = [f"Validation: {counts['ERROR']} error(s), {counts['WARNING']} warning(s), {counts['NOTE']} note(s)."]
    for s in summarize(findings, rules):
        lines.append(f"  {s.severity:<7} {s.rule_id:<15} {s.count:>6}  {s.datasets:<12} {s.description}")
    worst = sort_findings(findings)[:max_lines]
    if worst:
        lines.append("First findings:")
        lines += [f"  {f.line()}" for f in worst]
        if len(findings) > len(worst):
            lines.append(f"  ... {len(findings) - len(worst)} more in the report.")
    return "\n".join(lines)


def write_report(
    findings: Sequence[Finding],
    folder: str | Path,
    *,
    rules: Mapping[str, Rule] | None = None,
    inputs: Sequence[tuple[str, int, int]] = (),
    policy: str = "submission",
    notice: str = "",
) -> dict[str, Path]:
    """Write ``findings.json`` and ``report.html`` into ``folder``, swapped in together.

    Returns the paths written. Same findings (and time stamp) give byte-identical files.
    """
    from adamforge.io import staged_dir

    folder = Path(folder)
    html = render_html(findings, rules=rules, inputs=inputs, policy=policy, notice=notice)
    data = to_json(sort_findings(findings))
    with staged_dir(folder) as stage:
        (stage / "findings.json").write_text(data, encoding="utf-8")
        (stage / "report.html").write_text(html, encoding="utf-8")
    return {"findings": folder / "findings.json", "report": folder / "report.html"}
