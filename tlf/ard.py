"""Analysis results data (ARD): every number any output shows, unformatted, in one tidy table.

Computed from two datasets only, driven by the TLF spec: the subject-level dataset (ADSL class:
populations, arms, baseline rows) and the analysis dataset of the endpoints' records (a BDS
dataset: PARAMCD, AVISIT, AVAL at the spec's ``analysis_visit``); which datasets these are is the
TLF spec's ``datasets`` (or the ADaM spec's classes, see :mod:`adamforge.tlf.step`). Rendering reads the
ARD, never the ADaM data, so QC can compare the numbers and not only the text.

Columns (:data:`ARD_COLUMNS`): ``output_id``, ``population`` (population id of the spec),
``group`` (arm label or column id), ``parameter`` (row id or PARAMCD), ``label`` (its text),
``statistic`` and ``value`` (a float, unformatted) or ``value_char`` (text: a significance mark,
the estimation method, the reason for a fallback).

Statistics: baseline tables ``N``, ``n``, ``pct``, ``mean``, ``sd``, ``median``, ``min``, ``max``,
``nobs``; response tables per arm ``n``, ``N``, ``pct`` and, for each active arm vs the reference,
``or``, ``or_lcl``, ``or_ucl``, ``p_value``, ``sig_mark``, ``method`` (``logistic``/``firth``),
``separation`` (1/0), ``fallback_reason``, ``cmh_stat``, ``cmh_p``, ``mh_or`` and, for separated
comparisons, ``fisher_p``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import numpy as np
import pandas as pd

from adamforge.errors import DataError

from . import fmt
from .spec import Endpoint, Output, TlfSpec

__all__ = [
    "ARD_COLUMNS",
    "compute_ard",
    "check_inputs",
    "select_population",
    "response_frame",
    "ard_to_json",
    "ard_value",
    "ard_char",
]

ARD_COLUMNS = ["output_id", "population", "group", "parameter", "label", "statistic", "value", "value_char"]


def _names(spec: TlfSpec) -> tuple[str, str]:
    """Names of the subject-level and analysis datasets for messages."""
    return (getattr(spec, "subject_dataset", "") or "ADSL", getattr(spec, "analysis_dataset", "") or "analysis dataset")


def _visit(spec: TlfSpec) -> str:
    return spec.visit


def _eq(s: pd.Series, value: Any) -> pd.Series:
    """Equality that does not care whether a code is stored as number or text (2 == "2")."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and pd.api.types.is_numeric_dtype(s):
        return s == value
    return s.astype("string").fillna("\x00") == str(value)


def select_population(adsl: pd.DataFrame, where: dict[str, Any]) -> pd.DataFrame:
    """The ADSL records meeting every ``VAR: value`` condition of ``where``."""
    mask = pd.Series(True, index=adsl.index)
    for var, val in where.items():
        mask &= _eq(adsl[var], val).fillna(False).astype(bool)
    return adsl[mask]


#: output kinds whose inputs :func:`check_inputs` checks up front (the reference study's kinds: one
#: DataError listing every problem); ``table`` and ``km_plot`` note their problems in the output.
CHECKED_KINDS = ("baseline", "response", "figure", "listing")


def _required_adsl_vars(spec: TlfSpec) -> set[str]:
    need = {"USUBJID", spec.arm_var, *spec.covariates, spec.cmh_strata}
    for p in spec.populations.values():
        if not p.dataset:
            need |= set(p.where)
    for o in spec.outputs:
        need |= {r.var for r in o.rows if r.var}
    return need


def _checked(spec: TlfSpec) -> bool:
    """Whether the spec has outputs of the reference kinds (which need the analysis dataset's contract)."""
    return any(o.kind in CHECKED_KINDS for o in spec.outputs)


def check_inputs(adsl: pd.DataFrame, adeff: pd.DataFrame, spec: TlfSpec) -> None:
    """Check the subject-level (``adsl``) and analysis (``adeff``) datasets against what the spec
    needs; raise one DataError listing every problem.

    Checked: variables present; every endpoint PARAMCD present at the analysis visit; no arm of an
    output's population (or of a column) empty; model covariates and CMH strata present for every
    analysed subject; AVAL of responder parameters 0/1/missing.
    """
    problems: list[str] = []
    sl, an = _names(spec)
    visit = _visit(spec)
    if not _checked(spec):
        return
    for var in sorted(_required_adsl_vars(spec) - set(adsl.columns)):
        problems.append(f"{sl}.{var}: variable required by the TLF spec is missing")
    for var in sorted({"USUBJID", "PARAMCD", "AVISIT", "AVAL"} - set(adeff.columns)):
        problems.append(f"{an}.{var}: variable required by the TLF spec is missing")
    if problems:
        raise DataError(f"TLF input: {len(problems)} problem(s)", problems)
    if adsl["USUBJID"].duplicated().any():
        dups = adsl.loc[adsl["USUBJID"].duplicated(), "USUBJID"].unique()[:5]
        problems.append(f"{sl}.USUBJID: not one record per subject (e.g. USUBJID={', '.join(map(str, dups))})")
    wk8 = adeff[adeff["AVISIT"] == visit]
    present = set(wk8["PARAMCD"].dropna().astype(str))
    for o in spec.outputs:
        if o.kind not in CHECKED_KINDS:
            continue
        if o.kind in ("response", "listing"):
            missing = [e.paramcd for e in o.endpoints if e.paramcd not in present]
            if missing:
                problems.append(f"{an}.PARAMCD: {', '.join(missing)} not found at AVISIT={visit!r} (needed by {o.id})")
        pops = {o.population} if o.population else set()
        pops |= {e.population for e in o.endpoints if e.population}
        for pid in sorted(pops):
            sub = select_population(adsl, spec.populations[pid].where)
            for var in dict.fromkeys([*spec.covariates, spec.cmh_strata]):  # models need them on every subject
                blank = sub[var].isna() | (sub[var].astype(str).str.strip() == "")
                if blank.any():
                    problems.append(
                        f"{sl}.{var}: missing for {int(blank.sum())} subject(s) of population {pid} "
                        f"(e.g. USUBJID={sub.loc[blank, 'USUBJID'].iloc[0]}): a model covariate or "
                        f"CMH stratum must be present for every analysed subject"
                    )
            for val, lab in spec.arms:
                if not _eq(sub[spec.arm_var], val).any():
                    problems.append(
                        f"{sl}.{spec.arm_var}={val} ({lab}): no subject in population {pid} "
                        f"({spec.populations[pid].label}) of {o.id}: an empty arm cannot be summarised"
                    )
    for pc in sorted(present & {e.paramcd for o in spec.outputs for e in o.endpoints}):
        aval = wk8.loc[wk8["PARAMCD"] == pc, "AVAL"]
        bad = aval.dropna()[~aval.dropna().isin([0, 1])]
        if len(bad):
            problems.append(
                f"{an}.AVAL [PARAMCD={pc}]: responder values must be 0, 1 or missing "
                f"(found {sorted(set(bad.tolist()))[:5]})"
            )
        dup = wk8.loc[wk8["PARAMCD"] == pc, "USUBJID"]
        if dup.duplicated().any():
            problems.append(
                f"{an} [PARAMCD={pc}, AVISIT={visit}]: more than one record for USUBJID={dup[dup.duplicated()].iloc[0]}"
            )
    if problems:
        raise DataError(f"TLF input: {len(problems)} problem(s)", problems)


def response_frame(adsl_pop: pd.DataFrame, adeff: pd.DataFrame, endpoint: Endpoint, visit: str) -> pd.DataFrame:
    """One record per subject of ``adsl_pop`` with ``AVAL`` of ``endpoint`` at ``visit`` (plus ``DTYPE``).

    ``denominator: evaluable`` keeps subjects with a non-missing AVAL; ``all`` keeps every
    subject and counts a missing AVAL as 0 (not achieved).
    """
    rec = adeff[(adeff["PARAMCD"] == endpoint.paramcd) & (adeff["AVISIT"] == visit)]
    cols = ["USUBJID", "AVAL"] + (["DTYPE"] if "DTYPE" in rec.columns else [])
    df = adsl_pop.merge(rec[cols], on="USUBJID", how="left", validate="one_to_one")
    if endpoint.denominator == "all":
        df["AVAL"] = df["AVAL"].fillna(0)
    else:
        df = df[df["AVAL"].notna()]
    df["AVAL"] = df["AVAL"].astype(float)
    return df


class _Rows:
    def __init__(self):
        self.rows: list[dict] = []

    def add(self, output_id, population, group, parameter, label, statistic, value=None, value_char=""):
        if value is not None:
            value = float(value)
            if not math.isfinite(value):
                value = None
        self.rows.append(
            {
                "output_id": output_id,
                "population": population,
                "group": group,
                "parameter": parameter,
                "label": label,
                "statistic": statistic,
                "value": value,
                "value_char": value_char,
            }
        )


@dataclasses.dataclass
class TlfData:
    """The datasets an ARD is computed from: the subject-level and analysis datasets of the
    reference kinds (trimmed to what they use) and every dataset by name (for ``table`` and
    ``km_plot`` outputs, whose populations name their dataset)."""

    adsl: pd.DataFrame
    adeff: pd.DataFrame
    datasets: dict[str, pd.DataFrame] = dataclasses.field(default_factory=dict)


def compute_baseline(out: _Rows, o: Output, data: TlfData, spec: TlfSpec) -> None:
    """ARD records of a ``baseline`` output: N per column, then each row's statistics
    (:data:`adamforge.tlf.registry.BASELINE_ROWS`)."""
    from .registry import BASELINE_ROWS

    adsl = data.adsl
    for c in o.columns:
        sub = select_population(adsl, spec.populations[c.population].where)
        if c.arm is not None:
            sub = sub[_eq(sub[spec.arm_var], c.arm)]
        n_col = len(sub)
        out.add(o.id, c.population, c.id, "BIGN", c.label, "N", n_col)
        for r in o.rows:
            compute = BASELINE_ROWS[r.stat].compute
            if compute is None:
                continue
            for stat, value in compute(sub[r.var], r, n_col):
                out.add(o.id, c.population, c.id, r.id, r.label, stat, value)


def compute_response(out: _Rows, o: Output, data: TlfData, spec: TlfSpec) -> None:
    """ARD records of a ``response`` output: n, N, % per arm, logistic regression and CMH per active arm."""
    from . import stats

    adsl, adeff = data.adsl, data.adeff

    ref_val, ref_label = spec.arms[0]
    opop = select_population(adsl, spec.populations[o.population].where)
    for val, lab in spec.arms:
        out.add(o.id, o.population, lab, "BIGN", lab, "N", int(_eq(opop[spec.arm_var], val).sum()))
    for e in o.endpoints:
        pid = e.population or o.population
        pop = select_population(adsl, spec.populations[pid].where)
        df = response_frame(pop, adeff, e, _visit(spec))
        for val, lab in spec.arms:
            y = df.loc[_eq(df[spec.arm_var], val), "AVAL"]
            n, n_den = int(y.sum()), len(y)
            out.add(o.id, pid, lab, e.paramcd, e.label, "n", n)
            out.add(o.id, pid, lab, e.paramcd, e.label, "N", n_den)
            out.add(o.id, pid, lab, e.paramcd, e.label, "pct", float(fmt.percent(n, n_den)) if n_den else None)
        for val, lab in spec.arms[1:]:
            two = df[_eq(df[spec.arm_var], val) | _eq(df[spec.arm_var], ref_val)].copy()
            two["_ARM"] = np.where(_eq(two[spec.arm_var], val), 1, 0)
            if two.loc[two["_ARM"] == 1].empty or two.loc[two["_ARM"] == 0].empty:
                raise DataError(
                    f"{o.id}, {e.paramcd}: no evaluable subject in {lab if two['_ARM'].eq(0).all() else ref_label} "
                    f"(population {pid}): the comparison cannot be made"
                )
            res = stats.compare_logistic(
                two,
                response="AVAL",
                arm_var="_ARM",
                reference=0,
                active=1,
                covariates=list(spec.covariates),
                ci_level=spec.ci_level,
            )
            out.add(o.id, pid, lab, e.paramcd, e.label, "or", res.odds_ratio)
            out.add(o.id, pid, lab, e.paramcd, e.label, "or_lcl", res.lcl)
            out.add(o.id, pid, lab, e.paramcd, e.label, "or_ucl", res.ucl)
            out.add(o.id, pid, lab, e.paramcd, e.label, "p_value", res.p_value)
            out.add(o.id, pid, lab, e.paramcd, e.label, "sig_mark", None, fmt.sig_mark(res.p_value, spec.significance))
            out.add(o.id, pid, lab, e.paramcd, e.label, "method", None, res.method)
            out.add(o.id, pid, lab, e.paramcd, e.label, "separation", int(res.separation))
            if res.separation:
                out.add(o.id, pid, lab, e.paramcd, e.label, "fallback_reason", None, res.reason)
                out.add(
                    o.id,
                    pid,
                    lab,
                    e.paramcd,
                    e.label,
                    "fisher_p",
                    stats.compare_fisher(two, response="AVAL", arm_var="_ARM", reference=0, active=1),
                )
            cmh = stats.compare_cmh(two, response="AVAL", arm_var="_ARM", reference=0, active=1, strata=spec.cmh_strata)
            out.add(o.id, pid, lab, e.paramcd, e.label, "cmh_stat", cmh.statistic)
            out.add(o.id, pid, lab, e.paramcd, e.label, "cmh_p", cmh.p_value)
            out.add(o.id, pid, lab, e.paramcd, e.label, "mh_or", cmh.odds_ratio)


def compute_ard(
    adsl: pd.DataFrame, adeff: pd.DataFrame, spec: TlfSpec, datasets: dict[str, pd.DataFrame] | None = None
) -> pd.DataFrame:
    """Compute the analysis results data of every output of ``spec``.

    Parameters
    ----------
    adsl : the subject-level dataset (one record per subject).
    adeff : the analysis dataset (BDS; the endpoint parameters at the spec's analysis visit are used).
    spec : the TLF spec.
    datasets : every dataset by name (``ADAE``, ``ADTTE``, ...) for the outputs whose populations
        name their dataset; ``adsl`` and ``adeff`` are added under the spec's names.

    Returns
    -------
    DataFrame with :data:`ARD_COLUMNS`, in output, group and parameter order of the spec.

    Raises
    ------
    DataError listing every input problem (missing variable or endpoint, empty arm, ...).
    """
    from .registry import output_kind

    check_inputs(adsl, adeff, spec)
    full = dict(datasets or {})
    full.setdefault(getattr(spec, "subject_dataset", "") or "ADSL", adsl)
    if getattr(spec, "analysis_dataset", ""):
        full.setdefault(spec.analysis_dataset, adeff)
    if _checked(spec):
        # only what the outputs use: every later subset copies fewer columns
        adsl = adsl[sorted(_required_adsl_vars(spec))]
        keep = [c for c in ("USUBJID", "PARAMCD", "AVISIT", "AVAL", "DTYPE") if c in adeff.columns]
        adeff = adeff.loc[
            (adeff["AVISIT"] == _visit(spec))
            & adeff["PARAMCD"].isin({e.paramcd for o in spec.outputs for e in o.endpoints}),
            keep,
        ]
    data = TlfData(adsl, adeff, full)
    out = _Rows()
    for o in spec.outputs:
        compute = output_kind(o.kind, "compute")
        if compute is not None:
            compute(out, o, data, spec)
    ard = pd.DataFrame(out.rows, columns=ARD_COLUMNS)
    # figures show numbers of their source table: the same numbers, under the figure's id
    figs = []
    for o in spec.outputs:
        if o.kind == "figure":
            src = ard[
                (ard["output_id"] == o.source)
                & (ard["parameter"] == o.paramcd)
                & ard["statistic"].isin(
                    ["n", "N", "pct", "p_value", "sig_mark", "method", "separation", "fallback_reason"]
                )
            ]
            figs.append(src.assign(output_id=o.id))
    if figs:
        ard = pd.concat([ard, *figs], ignore_index=True)
    ard["value"] = ard["value"].astype(float)
    ard["value_char"] = ard["value_char"].astype(str)
    return ard


def ard_to_json(ard: pd.DataFrame) -> str:
    """The ARD as a JSON array of records (NaN as null), stable text for the same numbers."""
    recs = []
    for r in ard.itertuples(index=False):
        d = r._asdict()
        v = d["value"]
        d["value"] = None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
        recs.append(d)
    return json.dumps(recs, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def _pick(ard: pd.DataFrame, output_id: str, group: str, parameter: str, statistic: str) -> pd.Series:
    sel = ard[
        (ard["output_id"] == output_id)
        & (ard["group"] == group)
        & (ard["parameter"] == parameter)
        & (ard["statistic"] == statistic)
    ]
    if len(sel) != 1:
        raise KeyError(f"ARD has {len(sel)} records for {output_id} / {group} / {parameter} / {statistic}")
    return sel.iloc[0]


def ard_value(ard: pd.DataFrame, output_id: str, group: str, parameter: str, statistic: str) -> float | None:
    """The one numeric value of the ARD at these keys (None when missing); KeyError if absent."""
    v = _pick(ard, output_id, group, parameter, statistic)["value"]
    return None if pd.isna(v) else float(v)


def ard_char(ard: pd.DataFrame, output_id: str, group: str, parameter: str, statistic: str) -> str:
    """The one text value of the ARD at these keys."""
    return str(_pick(ard, output_id, group, parameter, statistic)["value_char"])
