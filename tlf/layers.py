"""Layered tables (``kind: table``) and the Kaplan-Meier plot (``kind: km_plot``), declared in the
TLF spec as Tplyr / rtables users think of them.

A table has a population (a dataset and a filter of :mod:`adamforge.adam.filters`), column groups
(the arms of ``arms``, read from the output's ``columns.variable``, and an optional total) and
layers:

* ``counts``: subjects (distinct ``USUBJID``) per level of ``var``, or of nested ``vars`` (system
  organ class, then preferred term), n (%) over the column's N, levels in the order given, or
  sorted by ``frequency`` (descending, ties alphabetical) or ``alpha``; an optional ``any_label`` row.
* ``desc``: descriptive statistics of ``var`` (:data:`~adamforge.tlf.registry.STATISTICS`), one
  display row per ``rows`` entry, formatted as written: ``"{mean:+1} ({sd:+2})"``: decimals
  relative to the data's precision (the most decimals of the variable's values in the population,
  at most 3) as SAS programmers set them, or absolute (``{mean:1}``); ``{p:p}`` a p-value.
* ``model``: a registered method (:data:`~adamforge.tlf.registry.METHODS`: ``ancova``,
  ``dose_response``, ``logistic``, ``cmh``, ``kaplan_meier``, ``logrank``) with its ``args``;
  statistics per arm in the arm's column, per comparison in the active arm's column, overall ones
  in the column ``column`` of the row (default the last arm).

Every cell is made from ARD records only; :attr:`DisplayTable.sources` names them. Problems never
crash the step: a variable the dataset lacks, an unregistered statistic, an empty population, a
model that cannot be fitted give an ARD record ``statistic = note`` (the message in
``value_char``), a row of ``NE`` cells and a footnote ``Note: ...``; the step logs a WARNING.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import fmt
from .ard import TlfData, _eq, _Rows, select_population
from .render import OutputView
from .spec import Layer, Output, TlfSpec, format_tokens
from .tables import ArdIndex, DisplayRow, DisplayTable

__all__ = [
    "compute_table",
    "table_view",
    "compute_km_plot",
    "km_plot_view",
    "render_format",
    "data_precision",
    "INTEGER_STATS",
    "NE",
]

NE = "NE"
#: statistics shown without decimals by default
INTEGER_STATS = {"n", "N", "nobs", "events", "censored", "df", "df_resid"}
MAX_PRECISION = 3
_TOK = re.compile(r"\{(\w+)(?::([^{}]*))?\}")


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def data_precision(values: pd.Series, cap: int = MAX_PRECISION) -> int:
    """Decimals of the data: the most decimals among the values (``12.25`` -> 2), at most ``cap``."""
    x = pd.to_numeric(values, errors="coerce").dropna()
    best = 0
    for v in np.unique(x.to_numpy(dtype=float))[:5000]:
        e = fmt._to_decimal(float(v)).normalize().as_tuple().exponent  # "n", "N" or "F" when not finite
        exp = -e if isinstance(e, int) else 0
        best = max(best, exp)
        if best >= cap:
            return cap
    return best


def _integer(name: str) -> bool:
    """Whether statistic ``name`` shows without decimals by default (a registered statistic's ``integer``)."""
    from .registry import STATISTICS

    return name in INTEGER_STATS or (name in STATISTICS and STATISTICS[name].integer)


def render_format(
    text: str, get: Callable[[str], Any], precision: int, key: Callable[[str], tuple]
) -> tuple[str, tuple]:
    """Fill the ``{stat:spec}`` tokens of ``text`` from ``get(stat)``; returns (text, ARD keys used).

    Spec: ``""`` (integers for :data:`INTEGER_STATS` and statistics registered ``integer=True``, ``pct`` 1 decimal, else the data precision),
    ``N`` decimals, ``+N`` data precision + N, ``p``/``pN`` p-value with 4/N decimals (``<0.0001``),
    ``d`` integer. A missing value shows as ``NE``.
    """
    used = []

    def one(m: re.Match[str]) -> str:
        name, spec = m.group(1), m.group(2) or ""
        used.append(key(name))
        v = get(name)
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            return NE
        if isinstance(v, str):
            return v
        if spec.startswith("p"):
            nd = int(spec[1:]) if len(spec) > 1 else 4
            return fmt.fmt_pvalue(float(v), nd)
        if spec == "d" or (spec == "" and _integer(name)):
            return str(int(fmt.round_half_away(v, 0)))
        if spec == "":
            nd = 1 if name == "pct" else precision
        elif spec.startswith("+"):
            nd = precision + int(spec[1:])
        else:
            nd = int(spec)
        return fmt.fmt_num(v, nd)

    return _TOK.sub(one, text), tuple(used)


def _population(data: TlfData, spec: TlfSpec, pid: str) -> tuple[pd.DataFrame | None, str, str]:
    """(records, dataset name, problem) of population ``pid``."""
    from adamforge.adam import filters

    pop = spec.populations[pid]
    name = pop.dataset or spec.subject_dataset or "ADSL"
    df = data.datasets.get(name)
    if df is None:
        return None, name, f"dataset {name} of population {pid} was not read"
    try:
        # with a dataset, ``where`` is a filter of adam.filters; without, equality conditions on ADSL
        reads = filters.variables(pop.where) if pop.dataset else set(pop.where)
        missing = sorted(reads - set(df.columns))
        if missing:
            return None, name, f"population {pid}: {name} lacks {', '.join(missing)} (read by its filter)"
        return (df[filters.evaluate(df, pop.where)] if pop.dataset else select_population(df, pop.where)), name, ""
    except (ValueError, KeyError) as exc:
        return None, name, f"population {pid}: filter cannot be applied to {name} ({exc})"


def _note(out: _Rows, o: Output, pid: str, lay: Layer, text: str) -> None:
    """The ARD record of a layer that cannot be computed: ``statistic = note``, the reason in ``value_char``."""
    out.add(o.id, pid, "", lay.id, lay.label, "note", None, text)


def _columns(o: Output, spec: TlfSpec) -> list[tuple[Any, str]]:
    """(arm value or None for the total, label) of the output's columns."""
    cols = list(spec.arms)
    if o.total:
        cols.append((None, o.total))
    return cols


def _arm_mask(df: pd.DataFrame, var: str, value: Any, spec: TlfSpec) -> pd.Series:
    if value is None:
        m = pd.Series(False, index=df.index)
        for v, _lab in spec.arms:
            m |= _eq(df[var], v).fillna(False).astype(bool)
        return m
    return _eq(df[var], value).fillna(False).astype(bool)


def _arm_values(df: pd.DataFrame, var: str, spec: TlfSpec) -> pd.Series:
    """The spec's arm value of each record (NaN outside the arms)."""
    out = pd.Series([None] * len(df), index=df.index, dtype=object)
    for v, _lab in spec.arms:
        out[_eq(df[var], v).fillna(False).astype(bool).to_numpy()] = v
    return out


def _text_levels(s: pd.Series) -> pd.Series:
    return s.astype(object).where(s.notna(), "Missing").astype(str).str.strip().replace("", "Missing")


# ---------------------------------------------------------------------------------------------
# ARD
# ---------------------------------------------------------------------------------------------


def compute_table(out: _Rows, o: Output, data: TlfData, spec: TlfSpec) -> None:
    """ARD records of a ``table`` output (see the module's documentation)."""
    gv = o.group_var or spec.arm_var
    cols = _columns(o, spec)
    df, dname, problem = _population(data, spec, o.population)
    # column N from the big-N population (default: the table's own, subjects counted once)
    bpid = o.big_n or o.population
    bdf, bname, bproblem = (df, dname, problem) if bpid == o.population else _population(data, spec, bpid)
    bvar = o.big_n_var or (gv if bpid == o.population else spec.arm_var)
    bign: dict[str, int] = {}
    for v, lab in cols:
        n = 0
        if bdf is not None and bvar in bdf.columns:
            sub = bdf[_arm_mask(bdf, bvar, v, spec)]
            n = int(sub["USUBJID"].nunique()) if "USUBJID" in sub.columns else len(sub)
        bign[lab] = n
        out.add(o.id, bpid, lab, "BIGN", lab, "N", n)
    table_problem = problem or bproblem
    if not table_problem and bdf is not None and bvar not in bdf.columns:
        table_problem = f"{bname} lacks the arm variable {bvar}"
    # below, df is None only with a problem (_population), so `df is None` tests are for mypy
    if not table_problem and df is not None and gv not in df.columns:
        table_problem = f"{dname} lacks the arm variable {gv} (columns.variable)"
    if not table_problem and not _arm_mask(df, gv, None, spec).any():
        table_problem = (
            f"population {o.population} ({spec.populations[o.population].label}) has no record "
            f"in {dname} for the arms of the table"
        )
    if table_problem or df is None:
        out.add(o.id, o.population, "", "TABLE", o.title, "note", None, table_problem)
        return
    df = df[_arm_mask(df, gv, None, spec)]
    for lay in o.layers:
        if lay.problem:
            _note(out, o, o.population, lay, lay.problem)
            continue
        ldf, pid, lname = df, o.population, dname
        if lay.population and lay.population != o.population:
            ldf, lname, lprob = _population(data, spec, lay.population)
            pid = lay.population
            if lprob or ldf is None or gv not in ldf.columns:  # ldf is None only with lprob
                _note(out, o, pid, lay, lprob or f"{lname} lacks {gv}")
                continue
            ldf = ldf[_arm_mask(ldf, gv, None, spec)]
        need = list(lay.vars) + ([lay.distinct] if lay.type == "counts" else [])
        if lay.type == "model":
            a = lay.arg_dict
            need += [a[k] for k in ("response", "dose", "time", "censor", "strata") if isinstance(a.get(k), str)]
            need += [v for k in ("covariates", "factors") for v in (a.get(k) or [])]
        missing = [v for v in dict.fromkeys(need) if v not in ldf.columns]
        if missing:
            _note(out, o, pid, lay, f"{', '.join(missing)} not in {lname}: the layer cannot be computed")
            continue
        {"counts": _counts, "desc": _desc, "model": _model}[lay.type](out, o, lay, ldf, pid, gv, cols, bign, spec)


def _counts(
    out: _Rows,
    o: Output,
    lay: Layer,
    df: pd.DataFrame,
    pid: str,
    gv: str,
    cols: list[tuple[Any, str]],
    bign: dict[str, int],
    spec: TlfSpec,
) -> None:
    lv = [_text_levels(df[v]) for v in lay.vars]
    key = df[lay.distinct]
    paths = _count_paths(lay, lv, key)
    for v, lab in cols:
        m = _arm_mask(df, gv, v, spec).to_numpy()
        N = bign[lab]
        rows = []
        if lay.any_label:
            rows.append((f"{lay.id}|ANY", lay.any_label, key[m].nunique()))
        for path in paths:
            sel = m.copy()
            for s, level in zip(lv, path):
                sel &= (s == level).to_numpy()
            rows.append((f"{lay.id}|" + "|".join(path), path[-1], key[sel].nunique()))
        for param, label, n in rows:
            out.add(o.id, pid, lab, param, label, "n", n)
            out.add(o.id, pid, lab, param, label, "N", N)
            out.add(o.id, pid, lab, param, label, "pct", float(fmt.percent(n, N)) if N else None)


def _count_paths(lay: Layer, lv: list[pd.Series], key: pd.Series) -> list[tuple[str, ...]]:
    """Level paths in display order: (level1,), (level1, level2), ... nested under their parent."""

    def order(levels: list[str], counts: dict[str, int], given: tuple) -> list[str]:
        if lay.sort == "frequency":
            return sorted(levels, key=lambda x: (-counts.get(x, 0), x))
        if lay.sort == "levels" and given:
            g = [str(x) for x in given]
            return g + sorted(x for x in levels if x not in g)
        return sorted(levels)

    paths: list[tuple[str, ...]] = []
    first = lv[0]
    c1 = {k: key[first == k].nunique() for k in first.unique()}
    for l1 in order(list(c1), c1, lay.levels):
        paths.append((l1,))
        if len(lv) > 1:
            m = first == l1
            sec = lv[1][m]
            c2 = {k: key[m][sec == k].nunique() for k in sec.unique()}
            for l2 in order(list(c2), c2, ()):
                paths.append((l1, l2))
    return paths


def _desc(
    out: _Rows,
    o: Output,
    lay: Layer,
    df: pd.DataFrame,
    pid: str,
    gv: str,
    cols: list[tuple[Any, str]],
    bign: dict[str, int],
    spec: TlfSpec,
) -> None:
    from .registry import STATISTICS

    x_all = df[lay.var]
    if not (pd.api.types.is_numeric_dtype(x_all) and not pd.api.types.is_bool_dtype(x_all)):
        conv = pd.to_numeric(x_all, errors="coerce")
        if conv.notna().sum() < x_all.notna().sum():
            _note(
                out, o, pid, lay, f"{lay.var} is not numeric: descriptive statistics need numbers (use a counts layer)"
            )
            return
    prec = lay.precision if lay.precision is not None else data_precision(x_all)
    out.add(o.id, pid, "", lay.id, lay.label, "precision", prec)
    names = list(dict.fromkeys(n for r in lay.rows for n, _s in format_tokens(r.format)))
    for v, lab in cols:
        x = pd.to_numeric(df.loc[_arm_mask(df, gv, v, spec), lay.var], errors="coerce").dropna().to_numpy(float)
        for name in names:
            out.add(o.id, pid, lab, lay.id, lay.label, name, STATISTICS[name].fn(x))


def _comparisons(lay: Layer, spec: TlfSpec) -> list[tuple]:
    comps = list(lay.comparisons) or [(v, spec.reference) for v, _lab in spec.arms[1:]]
    for r in lay.rows:
        for c in r.comparisons or ():
            if c not in comps:
                comps.append(c)
    return comps


def _model(
    out: _Rows,
    o: Output,
    lay: Layer,
    df: pd.DataFrame,
    pid: str,
    gv: str,
    cols: list[tuple[Any, str]],
    bign: dict[str, int],
    spec: TlfSpec,
) -> None:
    from .models import ModelError
    from .registry import METHODS

    m = METHODS[lay.method]
    d = df.copy()
    d["_ARM"] = _arm_values(d, gv, spec)
    if d["USUBJID"].duplicated().any():
        u = d.loc[d["USUBJID"].duplicated(), "USUBJID"].iloc[0]
        _note(
            out,
            o,
            pid,
            lay,
            f"model {lay.method}: more than one record per subject in population {pid} (e.g. USUBJID={u}); "
            "narrow the population's filter to one record per subject",
        )
        return
    comps = _comparisons(lay, spec)
    levels = [v for v, _lab in spec.arms]
    ci = o.ci_level or spec.ci_level
    try:
        res = m.fn(d, group="_ARM", levels=levels, comparisons=comps, ci_level=ci, **lay.arg_dict)
    except (ModelError, np.linalg.LinAlgError, ValueError, KeyError, ZeroDivisionError) as exc:
        _note(out, o, pid, lay, f"model {lay.method} cannot be fitted: {exc}")
        return
    labels = dict(spec.arms)
    resp = lay.arg_dict.get("response") or lay.arg_dict.get("time")
    prec = lay.precision if lay.precision is not None else (data_precision(d[resp]) if resp in d.columns else 0)
    out.add(o.id, pid, "", lay.id, lay.label, "precision", prec)

    def put(group: str, param: str, stats: Mapping[str, Any]) -> None:
        for k, v in stats.items():
            if isinstance(v, str):
                out.add(o.id, pid, group, param, lay.label, k, None, v)
            else:
                out.add(o.id, pid, group, param, lay.label, k, v)

    for lev in levels:
        if lev in res.group:
            put(labels[lev], lay.id, res.group[lev])
        elif m.group_stats:
            note = f"no subject in arm {labels[lev]} for {lay.method}"
            out.add(o.id, pid, labels[lev], lay.id, lay.label, "note", None, note)
    for (a, b), stats in res.comparison.items():
        put(labels[a], _cmp_param(lay, a, b, labels), stats)
    if res.overall:
        put("", lay.id, res.overall)
    for n in res.notes:
        out.add(o.id, pid, "", lay.id, lay.label, "footnote", None, f"{lay.label or lay.method}: {n}")


def _cmp_param(lay: Layer, a: Any, b: Any, labels: Mapping[Any, str]) -> str:
    return f"{lay.id}|{labels[a]} vs {labels[b]}"


# ---------------------------------------------------------------------------------------------
# display
# ---------------------------------------------------------------------------------------------


def table_view(o: Output, ix: ArdIndex, spec: TlfSpec, data: TlfData, files: dict[str, bytes]) -> OutputView:
    dt = table_display(o, ix, spec)
    return OutputView(o, table=dt, footnotes=o.footnotes + dt.extra_footnotes)


def table_display(o: Output, ix: ArdIndex, spec: TlfSpec) -> DisplayTable:
    """The display table of a ``table`` output, every number from the ARD (see ``sources``)."""
    from .registry import METHODS

    cols = _columns(o, spec)
    ncol = len(cols)
    bpid_n = [ix.num(o.id, lab, "BIGN", "N") for _v, lab in cols]
    header = tuple(f"{lab}\n(N={int(n or 0)})" for (_v, lab), n in zip(cols, bpid_n))
    rows: list[DisplayRow] = []
    sources: list[tuple] = []
    notes: list[str] = []
    blank = tuple("" for _ in cols)
    nosrc: tuple[tuple, ...] = tuple(() for _ in cols)

    def add(label: str, cells: Sequence[str], src: Sequence[tuple], indent: int) -> None:
        rows.append(DisplayRow(label, tuple(cells), indent))
        sources.append(tuple(src))

    tnote = ix.text(o.id, "", "TABLE", "note")
    if tnote:
        add("No results", [NE] * ncol, [((o.id, "", "TABLE", "note"),)] * ncol, 0)
        return DisplayTable("", header, tuple(rows), o.widths, (f"Note: {tnote}",), tuple(sources))
    for lay in o.layers:
        base = 1 if lay.label else 0
        note = ix.text(o.id, "", lay.id, "note")
        if note:
            add(lay.label or lay.id, [NE] * ncol, [((o.id, "", lay.id, "note"),)] * ncol, 0)
            notes.append(f"Note: {lay.label or lay.id}: {note}")
            continue
        if lay.label:
            add(lay.label, blank, nosrc, 0)
        prec = int(ix.num(o.id, "", lay.id, "precision") or 0) if ix.has(o.id, "", lay.id, "precision") else 0
        if lay.type == "counts":
            params = _count_params(o, lay, ix, cols[0][1])
            for param, label, depth in params:
                add(label, *_row_cells(lay.format, ix, o.id, cols, param, 1), base + depth + lay.indent)
        elif lay.type == "desc":
            for r in lay.rows:
                add(r.label, *_row_cells(r.format, ix, o.id, cols, lay.id, prec), base + lay.indent)
        else:
            m = METHODS[lay.method]
            labels = dict(spec.arms)
            for r in lay.rows:
                toks = [n for n, _s in format_tokens(r.format)]
                scope = m.scope(toks[0]) if toks else "overall"
                cells, src = list(blank), list(nosrc)
                if scope == "group":
                    for i, (v, lab) in enumerate(cols):
                        if v is None:
                            continue
                        if ix.text(o.id, lab, lay.id, "note"):
                            cells[i], src[i] = NE, ((o.id, lab, lay.id, "note"),)
                            continue
                        cells[i], src[i] = _cell(r.format, ix, o.id, lab, lay.id, prec)
                elif scope == "comparison":
                    for a, b in r.comparisons or _comparisons(lay, spec):
                        i = [v for v, _l in cols].index(a)
                        p = _cmp_param(lay, a, b, labels)
                        cells[i], src[i] = _cell(r.format, ix, o.id, labels[a], p, prec)
                else:
                    col = r.column if r.column is not None else spec.arms[-1][0]
                    i = [v for v, _l in cols].index(col) if col in [v for v, _l in cols] else ncol - 1
                    cells[i], src[i] = _cell(r.format, ix, o.id, "", lay.id, prec)
                add(r.label, cells, src, base + lay.indent)
            foot = ix.text(o.id, "", lay.id, "footnote")
            if foot:
                notes.append(foot)
    return DisplayTable("", header, tuple(rows), o.widths, tuple(notes), tuple(sources))


def _row_cells(
    text: str, ix: ArdIndex, oid: str, cols: list[tuple[Any, str]], param: str, prec: int
) -> tuple[list[str], list[tuple]]:
    """The cells of one display row, one per column, and the ARD keys each cell reads."""
    cells, src = [], []
    for _v, lab in cols:
        cell, keys = _cell(text, ix, oid, lab, param, prec)
        cells.append(cell)
        src.append(keys)
    return cells, src


def _cell(text: str, ix: ArdIndex, oid: str, group: str, param: str, prec: int) -> tuple[str, tuple]:
    return render_format(
        text,
        lambda s: (
            ix.num(oid, group, param, s) if ix.has(oid, group, param, s) else (ix.text(oid, group, param, s) or None)
        ),
        prec,
        lambda s: (oid, group, param, s),
    )


def _count_params(o: Output, lay: Layer, ix: ArdIndex, first_group: str) -> list[tuple[str, str, int]]:
    """(parameter, label, depth) of a counts layer's rows, in ARD (display) order."""
    out = []
    prefix = f"{lay.id}|"
    for oid, group, param, stat in ix.keys():  # noqa: SIM118 - an ArdIndex, not a dict: its keys in ARD order
        if oid == o.id and group == first_group and stat == "n" and param.startswith(prefix):
            parts = param[len(prefix) :].split("|")
            if parts == ["ANY"]:
                out.append((param, lay.any_label, 0))
            else:
                out.append((param, parts[-1], len(parts) - 1))
    return out


# ---------------------------------------------------------------------------------------------
# Kaplan-Meier plot
# ---------------------------------------------------------------------------------------------


def compute_km_plot(out: _Rows, o: Output, data: TlfData, spec: TlfSpec) -> None:
    """ARD of a ``km_plot``: per arm the product-limit steps (parameter ``KM|<i>``: ``time``,
    ``surv``, ``n_risk``, ``n_event``, ``n_censor``), numbers at risk (``RISK|<t>``: ``n_risk``),
    the median and its CI (``MEDIAN``), and the log-rank test (group ``""``, ``LOGRANK``)."""
    from .models import ModelError, kaplan_meier, logrank

    gv = o.group_var or spec.arm_var
    df, dname, problem = _population(data, spec, o.population)
    # below, df is None only with a problem (_population), so `df is None` tests are for mypy
    if not problem and df is not None:
        miss = [v for v in (gv, o.time, o.censor) if v not in df.columns]
        if miss:
            problem = f"{', '.join(miss)} not in {dname}"
    if not problem and df is not None:
        df = df[_arm_mask(df, gv, None, spec)].dropna(subset=[o.time, o.censor])
        if df.empty:
            problem = f"population {o.population} has no record with {o.time} and {o.censor} in the arms"
    if problem or df is None:
        out.add(o.id, o.population, "", "TABLE", o.title, "note", None, problem)
        return
    ci = o.ci_level or spec.ci_level
    for v, lab in spec.arms:
        g = df[_arm_mask(df, gv, v, spec)]
        out.add(o.id, o.population, lab, "BIGN", lab, "N", len(g))
        if g.empty:
            out.add(o.id, o.population, lab, "MEDIAN", lab, "note", None, f"no subject in arm {lab}")
            continue
        t = g[o.time].to_numpy(float)
        km = kaplan_meier(t, 1 - g[o.censor].to_numpy(float), ci_level=ci)
        for i, r in enumerate(km.curve.itertuples(index=False)):
            p = f"KM|{i:04d}"
            for k in ("time", "surv", "n_risk", "n_event", "n_censor"):
                out.add(o.id, o.population, lab, p, lab, k, getattr(r, k))
        for rt in o.risk_times:
            out.add(o.id, o.population, lab, f"RISK|{rt:g}", lab, "n_risk", int((t >= rt).sum()))
        for k in ("median", "median_lcl", "median_ucl"):
            out.add(o.id, o.population, lab, "MEDIAN", lab, k, getattr(km, k))
        out.add(o.id, o.population, lab, "MEDIAN", lab, "events", km.events)
    try:
        arm = _arm_values(df, gv, spec).to_numpy()
        lr = logrank(df[o.time].to_numpy(float), 1 - df[o.censor].to_numpy(float), arm)
        out.add(o.id, o.population, "", "LOGRANK", "Log-rank test", "chisq", lr["chisq"])
        out.add(o.id, o.population, "", "LOGRANK", "Log-rank test", "df", lr["df"])
        out.add(o.id, o.population, "", "LOGRANK", "Log-rank test", "p_value", lr["p_value"])
    except ModelError as exc:
        out.add(o.id, o.population, "", "LOGRANK", "Log-rank test", "note", None, f"log-rank test: {exc}")


def km_plot_view(o: Output, ix: ArdIndex, spec: TlfSpec, data: TlfData, files: dict[str, bytes]) -> OutputView:
    from .figures import km_png

    note = ix.text(o.id, "", "TABLE", "note")
    if note:
        return OutputView(
            o,
            table=DisplayTable("", ("",), (DisplayRow("No figure", (NE,)),), (), (f"Note: {note}",)),
            footnotes=o.footnotes + (f"Note: {note}",),
        )
    png = km_png(o, ix, spec)
    files[f"{o.file_stem}.png"] = png
    notes = [ix.text(o.id, "", "LOGRANK", "note")] + [ix.text(o.id, lab, "MEDIAN", "note") for _v, lab in spec.arms]
    extra = [f"Note: {t}" for t in notes if t]
    return OutputView(o, png=png, footnotes=o.footnotes + tuple(extra))
