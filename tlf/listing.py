"""Subject listing of the non-achiever subgroup with each component's response status."""

from __future__ import annotations

import pandas as pd

from .ard import _eq, select_population
from .spec import Output, TlfSpec
from .tables import DisplayRow, DisplayTable

__all__ = ["create_listing_frame", "listing_table", "status_text"]


def status_text(aval, dtype) -> str:
    """``Y`` (1), ``N`` (0), ``N (NRI)`` (0 imputed for a missing Week 8), ``NE`` (not evaluable)."""
    if aval is None or pd.isna(aval):
        return "NE"
    if float(aval) == 1:
        return "Y"
    return "N (NRI)" if isinstance(dtype, str) and dtype == "NRI" else "N"


def _arm_of(value, spec: TlfSpec) -> tuple[int, str]:
    for i, (v, lab) in enumerate(spec.arms):
        if _eq(pd.Series([value]), v).iloc[0]:
            return i, lab
    return len(spec.arms), str(value)


def create_listing_frame(adsl: pd.DataFrame, adeff: pd.DataFrame, o: Output, spec: TlfSpec) -> pd.DataFrame:
    """One record per subject of the listing's population, sorted by arm and USUBJID.

    ``adsl`` is the subject-level dataset, ``adeff`` the analysis dataset. Columns: USUBJID, ARM
    (label), one column per value of the listing's ``values`` (a subject-level variable, or the
    observed AVAL of a parameter at the analysis visit: column ``<PARAMCD>@VISIT``), then one
    status column per component PARAMCD (see :func:`status_text`).
    """
    visit = spec.visit
    pop = select_population(adsl, spec.populations[o.population].where)
    subj_vars = [v.var for v in o.values if v.var and v.var in pop.columns]
    df = pop[["USUBJID", spec.arm_var] + list(dict.fromkeys(subj_vars))].copy()
    arms = {}  # one look-up per distinct arm value, not per subject
    for a in df[spec.arm_var].tolist():
        key = (type(a), a)
        if key not in arms:
            arms[key] = _arm_of(a, spec)
    found = [arms[(type(a), a)] for a in df[spec.arm_var].tolist()]
    df["_ORD"] = [i for i, _lab in found]
    df["ARM"] = [lab for _i, lab in found]
    for v in o.values:
        if not v.paramcd:
            continue
        obs = adeff[(adeff["PARAMCD"] == v.paramcd) & (adeff["AVISIT"] == visit)]
        if "ANL01FL" in obs.columns and obs["ANL01FL"].eq("Y").any():
            obs = obs[obs["ANL01FL"] == "Y"]
        obs = obs.drop_duplicates("USUBJID")[["USUBJID", "AVAL"]].rename(columns={"AVAL": v.column})
        df = df.merge(obs, on="USUBJID", how="left")
    for e in o.endpoints:
        rec = adeff[(adeff["PARAMCD"] == e.paramcd) & (adeff["AVISIT"] == visit)]
        cols = ["USUBJID", "AVAL"] + (["DTYPE"] if "DTYPE" in rec.columns else [])
        m = df[["USUBJID"]].merge(rec[cols], on="USUBJID", how="left")
        dty = m["DTYPE"] if "DTYPE" in m.columns else pd.Series([None] * len(m))
        df[e.paramcd] = [status_text(a, d) for a, d in zip(m["AVAL"].tolist(), dty.tolist())]
    df = df.sort_values(["_ORD", "USUBJID"], kind="stable").drop(columns=["_ORD", spec.arm_var])
    return df.reset_index(drop=True)


def _num(x) -> str:
    if x is None or pd.isna(x):
        return ""
    return str(int(x)) if float(x).is_integer() else str(x)


def listing_table(o: Output, frame: pd.DataFrame) -> DisplayTable:
    """The listing frame as a display table (subject id in the stub column)."""
    header = ("Treatment",) + tuple(v.label for v in o.values) + tuple(e.label for e in o.endpoints)
    n = len(frame)

    def column(name, conv):  # whole columns at once (iterrows costs ~50 us a row)
        values = frame[name].tolist() if name in frame.columns else [None] * n
        return [conv(x) for x in values]

    cols = [column("ARM", str)]
    cols += [column(v.column, _num) for v in o.values]
    cols += [[str(x) for x in frame[e.paramcd].tolist()] for e in o.endpoints]
    labels = column("USUBJID", str)
    rows = tuple(DisplayRow(label, cells) for label, cells in zip(labels, zip(*cols)))
    return DisplayTable("Subject", header, rows, o.widths)
