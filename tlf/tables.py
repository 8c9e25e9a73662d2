"""Display tables: the ARD formatted into rows and cells (no statistics computed here).

A :class:`DisplayTable` is what the Word template renders: a stub header, column headers, rows
of a label (with an indent level) and one text cell per column, plus the footnotes the data
call for (a Firth fallback after separation).
"""

from __future__ import annotations

import dataclasses
import functools
import math

import pandas as pd

from . import fmt
from .spec import Output, TlfSpec

__all__ = ["DisplayRow", "DisplayTable", "ArdIndex", "baseline_table", "response_table", "fallback_footnotes"]

FIRTH_MARK = "\u2020"  # dagger on estimates from the Firth fallback


@dataclasses.dataclass(frozen=True)
class DisplayRow:
    label: str
    cells: tuple[str, ...]
    indent: int = 0


@dataclasses.dataclass(frozen=True)
class DisplayTable:
    stub: str
    header: tuple[str, ...]
    rows: tuple[DisplayRow, ...]
    widths: tuple[float, ...] = ()
    extra_footnotes: tuple[str, ...] = ()
    #: per row, per cell: the ARD keys ``(output_id, group, parameter, statistic)`` of the numbers
    #: the cell shows, in order (``table`` outputs; empty for the other kinds)
    sources: tuple[tuple[tuple[tuple, ...], ...], ...] = ()


class ArdIndex:
    """Fast look-up of ARD values by (output, group, parameter, statistic)."""

    def __init__(self, ard: pd.DataFrame):
        self._num: dict[tuple, float | None] = {}
        self._chr: dict[tuple, str] = {}
        self._keys: list[tuple] = []
        for r in ard.itertuples(index=False):
            key = (r.output_id, r.group, r.parameter, r.statistic)
            self._keys.append(key)
            v = r.value
            self._num[key] = None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
            self._chr[key] = r.value_char

    def num(self, output_id: str, group: str, parameter: str, statistic: str) -> float | None:
        """Numeric value; KeyError when the ARD has no such record."""
        return self._num[(output_id, group, parameter, statistic)]

    def text(self, output_id: str, group: str, parameter: str, statistic: str, default: str = "") -> str:
        """Text value (``default`` when absent)."""
        return self._chr.get((output_id, group, parameter, statistic), default)

    def keys(self) -> list[tuple]:
        """Every key, in ARD order."""
        return self._keys

    def has(self, output_id: str, group: str, parameter: str, statistic: str) -> bool:
        return (output_id, group, parameter, statistic) in self._num


def _int(x: float | None) -> int:
    return 0 if x is None else int(round(x))


def baseline_table(o: Output, ix: ArdIndex) -> DisplayTable:
    """Table 1 style: one column per spec column, ``(N=...)`` in the header; each row's cell from
    its statistic's cell function (:data:`adamforge.tlf.registry.BASELINE_ROWS`)."""
    from .registry import BASELINE_ROWS

    header = tuple(f"{c.label}\n(N={_int(ix.num(o.id, c.id, 'BIGN', 'N'))})" for c in o.columns)
    rows = []
    for r in o.rows:
        cell = BASELINE_ROWS[r.stat].cell
        if cell is None:
            rows.append(DisplayRow(r.label, tuple("" for _ in o.columns), r.indent))
            continue
        cells = []
        for c in o.columns:
            cells.append(cell(functools.partial(ix.num, o.id, c.id, r.id), r))
        rows.append(DisplayRow(r.label, tuple(cells), r.indent))
    return DisplayTable("Characteristic", header, tuple(rows), o.widths)


def _pval_cell(p: float | None, mark: str) -> str:
    s = fmt.fmt_pvalue(p)
    return f"{s} {mark}".strip() if s else ""


def response_table(o: Output, ix: ArdIndex, spec: TlfSpec) -> DisplayTable:
    """Response table: per endpoint n/N (%), OR (95% CI), p-value and CMH p-value by arm."""
    arms = [lab for _v, lab in spec.arms]
    ref = arms[0]
    header = tuple(f"{lab}\n(N={_int(ix.num(o.id, lab, 'BIGN', 'N'))})" for lab in arms)
    rows = []
    for e in o.endpoints:
        rows.append(DisplayRow(e.label, tuple("" for _ in arms), 0))
        cells = []
        for lab in arms:
            n, den = _int(ix.num(o.id, lab, e.paramcd, "n")), _int(ix.num(o.id, lab, e.paramcd, "N"))
            cells.append(fmt.fmt_n_over_n_pct(n, den, 1) if den else "0/0")
        rows.append(DisplayRow("n/N (%)", tuple(cells), 1))
        or_cells, p_cells, cmh_cells = [""], [""], [""]
        for lab in arms[1:]:
            g = (o.id, lab, e.paramcd)
            s = fmt.fmt_or_ci(ix.num(*g, "or"), ix.num(*g, "or_lcl"), ix.num(*g, "or_ucl"))
            if ix.text(*g, "method") == "firth" and s:
                s += FIRTH_MARK
            or_cells.append(s)
            p_cells.append(_pval_cell(ix.num(*g, "p_value"), ix.text(*g, "sig_mark")))
            cmh_cells.append(fmt.fmt_pvalue(ix.num(*g, "cmh_p")) or "NE")
        rows.append(DisplayRow(f"OR (95% CI) vs {ref}", tuple(or_cells), 1))
        rows.append(DisplayRow("p-value", tuple(p_cells), 1))
        rows.append(DisplayRow("CMH p-value (stratified by study)", tuple(cmh_cells), 1))
    notes = fallback_footnotes(o.id, [(e.paramcd, e.label) for e in o.endpoints], ix, spec)
    return DisplayTable("Endpoint", header, tuple(rows), o.widths, notes)


def fallback_footnotes(
    output_id: str, endpoints: list[tuple[str, str]], ix: ArdIndex, spec: TlfSpec
) -> tuple[str, ...]:
    """One footnote per comparison estimated with the Firth fallback, saying why.

    ``endpoints`` are (PARAMCD, label) pairs of the output ``output_id``.
    """
    notes = []
    ref = spec.arms[0][1]
    for paramcd, label in endpoints:
        for _v, lab in spec.arms[1:]:
            if ix.text(output_id, lab, paramcd, "method") == "firth":
                reason = ix.text(output_id, lab, paramcd, "fallback_reason")
                notes.append(
                    f"{FIRTH_MARK} {label}, {lab} vs {ref}: separation ({reason}); the maximum "
                    "likelihood odds ratio does not exist. Firth penalized-likelihood logistic regression "
                    "is shown instead (Wald 95% CI, penalized likelihood-ratio p-value)."
                )
    return tuple(notes)
