"""Responder parameters from the spec's endpoint definitions (no endpoint is written in code).

For each :class:`~adamforge.adam.spec.Endpoint`, one record per subject of ``adsl``:

* a *criterion* endpoint reads the source parameter's analysis record (ANL01FL = Y) at the
  endpoint's visit and its baseline (ABLFL = Y). A subject is *evaluable* when a case applies
  to it (``when`` on ADSL variables, e.g. the QoL instrument by age), its baseline is present
  and every ``eligible`` criterion holds (e.g. ``base_ge: 2``). Not evaluable: AVAL missing,
  AVALC blank. Evaluable with the visit value missing: AVAL 0, AVALC N, DTYPE NRI (when
  ``missing: NRI``). Otherwise AVAL 1/0 from the criterion.
* a *composite* is 1 when any component is 1, else 0 (a missing or non-evaluable component
  counts as not achieved).

CRIT1 holds the endpoint's criterion text and CRIT1FL its result (Y/N, blank when AVAL is).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..keys import match_last
from .checks import assert_vars
from .registry import evaluate_criterion

__all__ = ["derive_param_responders"]

_OUT_VARS = [
    "USUBJID",
    "PARAMCD",
    "PARAM",
    "PARAMN",
    "PARCAT1",
    "AVISIT",
    "AVISITN",
    "ADT",
    "ADY",
    "AVAL",
    "AVALC",
    "DTYPE",
    "CRIT1",
    "CRIT1FL",
    "ANL01FL",
]


def _criterion_values(
    bds: pd.DataFrame, bds_by_param: dict, subjects: pd.DataFrame, ep, avisitn: float
) -> pd.DataFrame:
    """AVAL/ADT/ADY/DTYPE of one criterion endpoint for ``subjects`` (a USUBJID + ADSL frame)."""
    n = len(subjects)
    aval = np.full(n, np.nan)
    dtype = np.full(n, "", dtype=object)
    adt = pd.Series(pd.NaT, index=range(n), dtype="datetime64[s]")
    ady = pd.Series(pd.NA, index=range(n), dtype="Int64")
    decided = np.zeros(n, dtype=bool)
    for case in ep.cases:
        applies = np.ones(n, dtype=bool)
        for var, val in case.when.items():
            applies &= (subjects[var] == val).to_numpy()
        applies &= ~decided
        if not applies.any():
            continue
        decided |= applies
        src = bds_by_param.get(case.source, bds.iloc[:0])
        base = src.loc[src["ABLFL"] == "Y", ["USUBJID", "AVAL"]]
        visit = src.loc[(src["ANL01FL"] == "Y") & (src["AVISITN"] == avisitn), ["USUBJID", "AVAL", "ADT", "ADY"]]
        # each subject's (last) baseline and visit record: a left merge done on integer codes
        pb = match_last([subjects["USUBJID"]], [base["USUBJID"]])
        pv = match_last([subjects["USUBJID"]], [visit["USUBJID"]])
        frame = pd.DataFrame(
            {"USUBJID": subjects["USUBJID"].array, "BASE": base["AVAL"].array.take(pb, allow_fill=True)}
            | {v: visit[v].array.take(pv, allow_fill=True) for v in ("AVAL", "ADT", "ADY")}
        )
        frame["CHG"] = frame["AVAL"] - frame["BASE"]
        frame["PCHG"] = frame["CHG"] / frame["BASE"].where(frame["BASE"] != 0) * 100.0
        eligible = frame["BASE"].notna().to_numpy().copy()
        for el in case.eligible:
            eligible &= evaluate_criterion(frame, el).to_numpy() == 1
        present = frame["AVAL"].notna().to_numpy()
        met = evaluate_criterion(frame, case.criterion).to_numpy()
        if ep.missing == "NRI":
            val = np.where(present, met, 0.0)
        else:
            val = np.where(present, met, np.nan)
        val = np.where(eligible, val, np.nan)
        nri = eligible & ~present & (ep.missing == "NRI")
        aval[applies] = val[applies]
        dtype[applies & nri] = "NRI"
        take = applies & present
        adt[take] = frame["ADT"].to_numpy()[take]
        ady[take] = frame["ADY"].to_numpy()[take]
    return pd.DataFrame({"AVAL": aval, "DTYPE": dtype, "ADT": adt.to_numpy(), "ADY": ady.to_numpy()})


def derive_param_responders(
    bds: pd.DataFrame,
    adsl: pd.DataFrame,
    *,
    endpoints: Sequence,
    windows: Sequence = (),
) -> pd.DataFrame:
    """Responder records for every endpoint, for every subject of ``adsl``.

    Parameters
    ----------
    bds : observed BDS records with USUBJID, PARAMCD, AVAL, ABLFL, ANL01FL, AVISITN, ADT, ADY.
    adsl : one record per subject to evaluate (e.g. the efficacy-evaluable ones), with any
        variable an endpoint case's ``when`` refers to.
    endpoints : the spec's :class:`~adamforge.adam.spec.Endpoint` list, components first.
    windows : the spec's visit windows (AVISITN of the endpoint's visit).

    Returns
    -------
    DataFrame : one record per subject and endpoint with the variables of the module docstring
        (USUBJID, PARAMCD, PARAM, PARAMN, PARCAT1, AVISIT, AVISITN, ADT, ADY, AVAL, AVALC,
        DTYPE, CRIT1, CRIT1FL, ANL01FL).
    """
    assert_vars(
        bds,
        ["USUBJID", "PARAMCD", "AVAL", "ABLFL", "ANL01FL", "AVISITN", "ADT", "ADY"],
        dataset="BDS",
        fn="derive_param_responders",
    )
    when_vars = sorted({v for ep in endpoints for c in ep.cases for v in c.when})
    assert_vars(adsl, ["USUBJID", *when_vars], dataset="ADSL", fn="derive_param_responders")
    subjects = adsl[["USUBJID", *when_vars]].drop_duplicates("USUBJID").reset_index(drop=True)
    sources = {c.source for ep in endpoints for c in ep.cases}
    keep = (bds["ABLFL"] == "Y") | (bds["ANL01FL"] == "Y")
    slim = bds.loc[
        keep.to_numpy() & bds["PARAMCD"].isin(sources).to_numpy(),
        ["USUBJID", "PARAMCD", "AVAL", "ABLFL", "ANL01FL", "AVISITN", "ADT", "ADY"],
    ]
    # not dict(groupby): dict() calls the GroupBy's .keys, which is the grouping key, not a method
    bds_by_param = {k: g for k, g in slim.groupby("PARAMCD", sort=False, observed=True)}  # noqa: C416
    visitn = {w.avisit: float(w.avisitn) for w in windows}
    visitn.setdefault("Baseline", 0.0)
    done: dict[str, np.ndarray] = {}
    parts = []
    for ep in endpoints:
        avisitn = visitn.get(ep.avisit)
        if avisitn is None:
            raise KeyError(f"endpoint {ep.paramcd}: visit {ep.avisit!r} has no window")
        if ep.is_composite:
            missing = [c for c in ep.components if c not in done]
            if missing:
                raise KeyError(f"endpoint {ep.paramcd}: component(s) {', '.join(missing)} not derived before it")
            comp = np.column_stack([done[c] for c in ep.components])
            aval = np.where((comp == 1).any(axis=1), 1.0, 0.0)
            part = pd.DataFrame(
                {
                    "AVAL": aval,
                    "DTYPE": "",
                    "ADT": pd.Series(pd.NaT, index=range(len(aval)), dtype="datetime64[s]"),
                    "ADY": pd.array([pd.NA] * len(aval), dtype="Int64"),
                }
            )
        else:
            part = _criterion_values(bds, bds_by_param, subjects, ep, avisitn)
        done[ep.paramcd] = part["AVAL"].to_numpy()
        part.insert(0, "USUBJID", subjects["USUBJID"].to_numpy())
        part["PARAMCD"] = ep.paramcd
        part["PARAM"] = ep.param
        part["PARAMN"] = ep.paramn
        part["PARCAT1"] = ep.parcat1
        part["AVISIT"] = ep.avisit
        part["AVISITN"] = avisitn
        yn = np.where(part["AVAL"] == 1, "Y", np.where(part["AVAL"] == 0, "N", "")).astype(object)
        part["AVALC"] = yn
        part["CRIT1"] = ep.crit1
        part["CRIT1FL"] = yn
        part["ANL01FL"] = "Y"
        parts.append(part[_OUT_VARS])
    if not parts:
        return pd.DataFrame(columns=_OUT_VARS)
    return pd.concat(parts, ignore_index=True)
