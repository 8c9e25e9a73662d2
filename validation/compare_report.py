"""Render a :class:`~adamforge.validation.compare.CompareResult`: terminal text, HTML, .docx, data.

Renderers only read the frozen result; they never recompute. The text report follows the order
of PROC COMPARE's output (data set summary, variables summary, observation summary, values
comparison summary, value comparison results) and ends with the return code and its meanings.
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from adamforge import __version__
from adamforge.io import atomic_path, reproducible_zip, write_text_atomic

from .compare import CompareResult

MAX_PRINT_PER_VARIABLE = 50  # PROC COMPARE's MAXPRINT default per variable
MAX_PRINT_TOTAL = 500
MAX_OBS_LISTED = 50


def fmt_stat(v) -> str:
    """A difference or percent difference for display: 6 significant digits, ``.`` if missing."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "."
    v = float(v)
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.6g}"


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    """Fixed-width left-aligned columns separated by two spaces (trailing blanks removed)."""
    widths = [len(h) for h in headers]
    for r in rows:
        widths = [max(w, len(str(c))) for w, c in zip(widths, r)]
    lines = [indent + "  ".join(str(h).ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines.append(indent + "  ".join("-" * w for w in widths))
    for r in rows:
        lines.append(indent + "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    return lines


def _method_text(res: CompareResult) -> str:
    if res.method == "exact":
        return "EXACT"
    return f"{res.method.upper()}, criterion {res.criterion:g}"


def _obs_rows(frame: pd.DataFrame, limit: int) -> tuple[list[str], list[list[str]], int]:
    heads = [str(c) for c in frame.columns]
    rows = [[_cell(v) for v in rec] for rec in frame.head(limit).itertuples(index=False)]
    return heads, rows, max(len(frame) - limit, 0)


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "."
    if isinstance(v, (float, np.floating)):
        return fmt_stat(float(v))
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d") if v == v.normalize() else v.isoformat()
    return str(v)


def listing(
    res: CompareResult, *, max_per_variable: int = MAX_PRINT_PER_VARIABLE, max_total: int = MAX_PRINT_TOTAL
) -> tuple[list[str], list[list[str]], dict[str, int]]:
    """The capped difference listing: headers, rows and ``{variable: rows not shown}``."""
    d = res.differences
    keys = [c for c in d.columns if c not in ("VARIABLE", "BASE", "COMPARE", "DIFF", "PCTDIFF")]
    heads = keys + ["Variable", "Base", "Compare", "Diff.", "% Diff"]
    rows: list[list[str]] = []
    hidden: dict[str, int] = {}
    if len(d) == 0:
        return heads, rows, hidden
    counts = d.groupby("VARIABLE", sort=False).size()
    for var, n in counts.items():
        room = max(min(max_per_variable, max_total - len(rows)), 0)
        if room:
            sub = d[d["VARIABLE"] == var].head(room)
            for rec in sub.itertuples(index=False):
                vals = list(rec)
                kv = [_cell(x) for x in vals[: len(keys)]]
                rows.append(
                    kv
                    + [
                        str(var),
                        str(vals[len(keys) + 1]),
                        str(vals[len(keys) + 2]),
                        fmt_stat(vals[len(keys) + 3]),
                        fmt_stat(vals[len(keys) + 4]),
                    ]
                )
        if n > room:
            hidden[str(var)] = int(n - room)
    return heads, rows, hidden


def render_text(
    res: CompareResult,
    *,
    max_per_variable: int = MAX_PRINT_PER_VARIABLE,
    max_total: int = MAX_PRINT_TOTAL,
    data_file: str = "differences.csv",
) -> str:
    """The report as plain text (what ``adamforge compare`` prints).

    Parameters
    ----------
    res : the comparison.
    max_per_variable, max_total : caps of the difference listing (the data file is never capped).
    data_file : the name of the full difference table, quoted when the listing is capped.
    """
    b, c = res.base, res.compare
    L: list[str] = []
    L.append("adamforge COMPARE")
    L.append(f"Comparison of BASE {b.source} with COMPARE {c.source}")
    L.append(f"ID: {', '.join(res.id_vars) if res.id_vars else '(none: observations matched by position)'}")
    L.append(f"Method: {_method_text(res)}")
    L.append("")
    L.append("Data set summary")
    L.append("")
    L += text_table(
        ["Data set", "Name", "Format", "Obs", "Vars", "Label"],
        [
            [i.role, i.name, i.file_format, str(i.nobs), str(i.nvars), "(not carried)" if i.label is None else i.label]
            for i in (b, c)
        ],
    )
    L.append("")
    vs = res.variables
    L.append("Variables summary")
    L.append("")
    L.append(f"  Number of variables in common: {len(vs.common)}.")
    L.append(
        f"  Number of variables in BASE but not in COMPARE: {len(vs.base_only)}."
        + (f" ({', '.join(vs.base_only)})" if vs.base_only else "")
    )
    L.append(
        f"  Number of variables in COMPARE but not in BASE: {len(vs.compare_only)}."
        + (f" ({', '.join(vs.compare_only)})" if vs.compare_only else "")
    )
    n_type = sum(1 for d in vs.differences if d.attribute == "type")
    L.append(f"  Number of variables with conflicting types: {n_type}.")
    n_attr = len({d.variable for d in vs.differences if d.attribute != "type"})
    L.append(f"  Number of variables with differing attributes: {n_attr}.")
    if vs.differences:
        L.append("")
        L.append("  Listing of common variables with differing attributes")
        L.append("")
        L += text_table(
            ["Variable", "Attribute", "Base", "Compare"],
            [[d.variable, d.attribute, d.base, d.compare] for d in vs.differences],
        )
    if vs.not_compared:
        L.append("")
        L.append("  Not compared: " + "; ".join(vs.not_compared) + ".")
    L.append("")
    o = res.observations
    L.append("Observation summary")
    L.append("")
    L.append(f"  Number of observations in common: {o.n_common}.")
    L.append(f"  Number of observations in BASE but not in COMPARE: {o.n_base_only}.")
    L.append(f"  Number of observations in COMPARE but not in BASE: {o.n_compare_only}.")
    L.append(f"  Total number of observations read from BASE: {o.n_base}.")
    L.append(f"  Total number of observations read from COMPARE: {o.n_compare}.")
    L.append(f"  Number of observations with some compared variables unequal: {o.n_with_unequal}.")
    L.append(f"  Number of observations with all compared variables equal: {o.n_all_equal}.")
    for title, frame in (
        ("Observations in BASE but not in COMPARE", o.base_only),
        ("Observations in COMPARE but not in BASE", o.compare_only),
    ):
        if len(frame):
            L.append("")
            L.append(f"  {title}")
            L.append("")
            heads, rows, more = _obs_rows(frame, MAX_OBS_LISTED)
            L += text_table(heads, rows)
            if more:
                L.append(f"  ({more} more not shown)")
    L.append("")
    L.append("Values comparison summary")
    L.append("")
    uneq = [v for v in res.values if v.n_unequal]
    L.append(f"  Number of variables compared with all observations equal: {len(res.values) - len(uneq)}.")
    L.append(f"  Number of variables compared with some observations unequal: {len(uneq)}.")
    L.append(f"  Total number of values which compare unequal: {res.n_unequal_values}.")
    maxes = [v.max_abs_diff for v in uneq if v.max_abs_diff is not None]
    if maxes:
        L.append(f"  Maximum difference: {fmt_stat(max(maxes))}.")
    if uneq:
        L.append("")
        L.append("  Variables with unequal values")
        L.append("")
        L += text_table(
            ["Variable", "Type", "Ndif", "MaxDif"],
            [[v.variable, v.kind, str(v.n_unequal), fmt_stat(v.max_abs_diff)] for v in uneq],
        )
        L.append("")
        L.append("Value comparison results")
        L.append("")
        heads, rows, hidden = listing(res, max_per_variable=max_per_variable, max_total=max_total)
        L += text_table(heads, rows)
        for var, n in hidden.items():
            L.append(f"  ({n} more unequal values of {var} not shown; all are in {data_file})")
    L.append("")
    L.append(f"Return code: {res.return_code}")
    for bit, meaning in res.reasons:
        L.append(f"  {bit:>5}  {meaning}")
    L.append("Result: " + ("NO DIFFERENCES" if res.equal else "DIFFERENCES FOUND"))
    return "\n".join(L) + "\n"


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------
def render_html(
    res: CompareResult,
    *,
    max_per_variable: int = MAX_PRINT_PER_VARIABLE,
    max_total: int = MAX_PRINT_TOTAL,
    data_file: str = "differences.csv",
) -> str:
    """The report as a self-contained HTML page (template ``compare_report.html.j2``)."""
    import jinja2

    from adamforge.templating import sandboxed_environment

    env = sandboxed_environment(  # sandboxed, autoescaped, strict, no globals: see adamforge.templating
        source_name="compare_report.html.j2",
        loader=jinja2.FileSystemLoader(str(Path(__file__).parent)),
        keep_trailing_newline=True,
    )
    heads, rows, hidden = listing(res, max_per_variable=max_per_variable, max_total=max_total)
    o = res.observations
    obs_tables = []
    for title, frame in (
        ("Observations in BASE but not in COMPARE", o.base_only),
        ("Observations in COMPARE but not in BASE", o.compare_only),
    ):
        if len(frame):
            h, r, more = _obs_rows(frame, MAX_OBS_LISTED)
            obs_tables.append({"title": title, "heads": h, "rows": r, "more": more})
    return env.get_template("compare_report.html.j2").render(
        r=res,
        method=_method_text(res),
        listing_heads=heads,
        listing_rows=rows,
        hidden=hidden,
        obs_tables=obs_tables,
        unequal=[v for v in res.values if v.n_unequal],
        fmt=fmt_stat,
        data_file=data_file,
        version=__version__,
        notice="",
    )


# --------------------------------------------------------------------------------------------
# Word
# --------------------------------------------------------------------------------------------
def write_docx(
    res: CompareResult,
    path: str | Path,
    *,
    max_per_variable: int = MAX_PRINT_PER_VARIABLE,
    max_total: int = MAX_PRINT_TOTAL,
) -> Path:
    """Write the report as a .docx (python-docx), atomically. Same content as the text report."""
    import docx
    from docx.shared import Pt

    doc = docx.Document()
    doc.core_properties.author = "adamforge"
    from adamforge.clock import run_timestamp

    ts = run_timestamp().replace(tzinfo=None)
    doc.core_properties.created = ts
    doc.core_properties.modified = ts
    doc.core_properties.last_modified_by = "adamforge"
    style = doc.styles["Normal"]
    style.font.name = "Courier New"
    style.font.size = Pt(8)
    doc.add_heading("adamforge COMPARE", level=1)
    for line in render_text(res, max_per_variable=max_per_variable, max_total=max_total).splitlines()[1:]:
        doc.add_paragraph(line)
    buf = io.BytesIO()
    doc.save(buf)
    with atomic_path(path) as tmp:
        tmp.write_bytes(reproducible_zip(buf.getvalue()))
    return Path(path)


# --------------------------------------------------------------------------------------------
# Everything into a folder
# --------------------------------------------------------------------------------------------
def write_outputs(
    res: CompareResult,
    folder: str | Path,
    *,
    html: bool = False,
    docx: bool = False,
    parquet: bool = True,
    text: str | None = None,
) -> list[Path]:
    """Write ``report.txt``, ``summary.json``, ``differences.csv`` (+ ``.parquet``) and, on request,
    ``report.html`` / ``report.docx`` into ``folder`` (each file atomically). Returns the paths.

    ``text`` is ``render_text(res)`` when the caller has it already (default caps); else it is rendered.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = [write_text_atomic(folder / "report.txt", render_text(res) if text is None else text)]
    summary = res.summary()
    summary["base_only_observations"] = _records(res.observations.base_only)
    summary["compare_only_observations"] = _records(res.observations.compare_only)
    summary["values"] = [dataclasses.asdict(v) for v in res.values]
    written.append(write_text_atomic(folder / "summary.json", json.dumps(summary, indent=2, default=str) + "\n"))
    diffs = res.differences
    with atomic_path(folder / "differences.csv") as tmp:
        diffs.to_csv(tmp, index=False, lineterminator="\n")
    written.append(folder / "differences.csv")
    if parquet:
        with atomic_path(folder / "differences.parquet") as tmp:
            diffs.to_parquet(tmp, index=False)
        written.append(folder / "differences.parquet")
    if html:
        written.append(write_text_atomic(folder / "report.html", render_html(res)))
    if docx:
        written.append(write_docx(res, folder / "report.docx"))
    return written


def _records(frame: pd.DataFrame, limit: int = 1000) -> list[dict]:
    return [{k: _cell(v) for k, v in rec.items()} for rec in frame.head(limit).to_dict("records")]
