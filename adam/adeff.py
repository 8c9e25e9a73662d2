"""The ADEFF program (BDS): observed parameters, then responder parameters from the spec.

1. :func:`create_observed` - IGA, EASI, BSA (RS), the weekly itch NRS mean and the DLQI/CDLQI
   totals (QS) for every subject, with ADT, ADY, ABLFL, AVISIT, ANL01FL, BASE, CHG, PCHG;
2. :func:`create_adeff` - the responder parameters of the spec's endpoints for the
   efficacy-evaluable subjects, and the subject-level variables from ADSL.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from .adsl import apply_method
from .dates import compute_dt, compute_dy
from ..keys import as_category, as_text, isin, lookup
from .spec import Spec

__all__ = ["create_observed", "create_adeff", "add_nachfl", "ADSL_VARS"]

#: ADSL variables carried onto every ADEFF record.
ADSL_VARS = ("STUDYID", "SITEID", "TRT01P", "TRT01PN", "EFFFL", "AGE")


def _rs_records(rs: pd.DataFrame) -> pd.DataFrame:
    keep = rs["RSTESTCD"].isin(["IGA", "EASI", "BSA"])
    r = rs.loc[keep, ["USUBJID", "RSTESTCD", "RSSTRESN", "RSDTC", "RSSEQ"]]
    return pd.DataFrame({
        "USUBJID": r["USUBJID"].array,  # .array: no round trip of the text through Python objects
        "PARAMCD": r["RSTESTCD"].array,
        "AVAL": pd.to_numeric(r["RSSTRESN"], errors="coerce").to_numpy(),
        "ADT": compute_dt(r["RSDTC"])[0].to_numpy(),
        "SRCDOM": "RS",
        "SRCVAR": "RSSTRESN",
        "SRCSEQ": pd.to_numeric(r["RSSEQ"], errors="coerce").to_numpy(),
    })


def create_observed(sdtm: Mapping[str, pd.DataFrame], adsl: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """Observed BDS records of every subject in ``adsl`` (which needs USUBJID and TRTSDT).

    Parameters
    ----------
    sdtm : domains RS and QS.
    adsl : ADSL from :func:`adamforge.adam.adsl.create_adsl_core`.
    spec : the spec: windows, the MT.ITCHWK / MT.QOLTOT / MT.ABLFL / MT.ANL01FL arguments, PARAMN.
    """
    rs, qs = sdtm["RS"], sdtm["QS"]
    trtsdt = adsl[["USUBJID", "TRTSDT"]].drop_duplicates("USUBJID")

    # ---- RS: IGA, EASI, BSA ------------------------------------------------------------------
    obs_rs = _rs_records(rs)

    # ---- QS: subject (categorical) and date of every record, once for the millions of records
    qs_subj = as_category(qs["USUBJID"])
    qs_adt = compute_dt(qs["QSDTC"])[0].to_numpy()
    qs_val = pd.to_numeric(qs["QSSTRESN"], errors="coerce").to_numpy()

    # ---- QS: weekly itch NRS mean ------------------------------------------------------------
    ref = trtsdt.set_index("USUBJID")["TRTSDT"].reindex(qs_subj.cat.categories).to_numpy(dtype="datetime64[s]")
    qs_ref = ref[qs_subj.cat.codes.to_numpy()]
    # subjects not in ADSL (or untreated) are dropped; the input check reports unknown subjects
    rows = np.flatnonzero((qs["QSTESTCD"] == "ITCHNRS").to_numpy() & ~np.isnat(qs_ref))
    daily = pd.DataFrame({"USUBJID": qs_subj.take(rows).reset_index(drop=True), "AVAL": qs_val[rows],
                          "ADT": qs_adt[rows], "TRTSDT": qs_ref[rows]})
    targets = [1, *(w.target for w in spec.windows)]
    obs_itch = apply_method(daily, spec, "MT.ITCHWK", targets=targets, paramcd="ITCHNRS").drop(columns=["NDAYS"])
    del daily

    # ---- QS: DLQI / CDLQI totals -------------------------------------------------------------
    rows = np.flatnonzero(isin(qs["QSCAT"], ["DLQI", "CDLQI"]))
    items = pd.DataFrame({"USUBJID": qs_subj.take(rows).reset_index(drop=True),
                          "QSCAT": as_category(qs["QSCAT"].take(rows).reset_index(drop=True)),
                          "VISITNUM": qs["VISITNUM"].to_numpy()[rows], "QSSTRESN": qs_val[rows], "ADT": qs_adt[rows]})
    obs_qol = apply_method(items, spec, "MT.QOLTOT").drop(columns=["QSCAT", "VISITNUM", "NMISS"])
    obs_qol = obs_qol.assign(USUBJID=as_text(obs_qol["USUBJID"]), PARAMCD=as_text(obs_qol["PARAMCD"]))
    del items, qs_subj, qs_adt, qs_val, qs_ref

    # ---- stack, analysis day (subjects of ADSL only, as an inner join would keep them) -----------
    bds = pd.concat([obs_rs, obs_itch, obs_qol], ignore_index=True)
    pos = lookup(bds["USUBJID"], trtsdt["USUBJID"])
    keep = np.flatnonzero(pos >= 0)
    bds = bds.take(keep).reset_index(drop=True)
    bds["TRTSDT"] = trtsdt["TRTSDT"].to_numpy()[pos[keep]]
    bds["ADY"] = compute_dy(bds["ADT"], bds["TRTSDT"])
    last_day = max((w.hi for w in spec.windows), default=1)
    bds = bds[(bds["ADY"] <= last_day).fillna(False)].reset_index(drop=True)

    # ---- baseline, visits, analysis flag, change ---------------------------------------------
    # (subject and parameter as sorted categoricals meanwhile: the sorts, groups and the BASE
    # merge then work on integer codes, in the same order as on the text)
    bds = bds.assign(USUBJID=as_category(bds["USUBJID"]), PARAMCD=as_category(bds["PARAMCD"]))
    bds = apply_method(bds, spec, "MT.ABLFL")
    bds = apply_method(bds, spec, "MT.AVISIT", windows=spec.windows)
    bds = apply_method(bds, spec, "MT.ANL01FL", windows=spec.windows)
    bds = apply_method(bds, spec, "MT.BASE")
    bds = apply_method(bds, spec, "MT.CHG")
    bds = apply_method(bds, spec, "MT.PCHG")
    bds = bds.assign(USUBJID=as_text(bds["USUBJID"]), PARAMCD=as_text(bds["PARAMCD"]))

    # ---- parameter attributes (looked up once per parameter, then spread by code) --------------
    vl = {v.paramcd: v.param for v in spec.value_level_for("ADEFF")}
    paramn = dict(spec.parameters.get("paramn", {}))
    codes, params = pd.factorize(bds["PARAMCD"])
    bds["PARAM"] = pd.array([vl.get(p, "") for p in params], dtype="str").take(codes, allow_fill=True)
    bds["PARAMN"] = pd.array([paramn.get(p) for p in params], dtype="Int64").take(codes, allow_fill=True)
    bds["PARCAT1"] = "OBSERVED"
    bds["AVALC"] = ""
    bds["DTYPE"] = ""
    return bds.drop(columns=["TRTSDT"])


def create_adeff(observed: pd.DataFrame, adsl: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """ADEFF: observed records and responder records of the efficacy-evaluable subjects.

    Parameters
    ----------
    observed : from :func:`create_observed`.
    adsl : ADSL with EFFFL, QOLINST and :data:`ADSL_VARS` (NACHFL is added later by the step).
    spec : the spec: endpoints and windows.
    """
    eff = adsl[adsl["EFFFL"] == "Y"]
    resp = apply_method(observed, spec, "MT.RESP", eff, endpoints=spec.endpoints, windows=spec.windows)
    obs = observed.loc[isin(observed["USUBJID"], eff["USUBJID"])]
    adeff = pd.concat([obs, resp], ignore_index=True)

    # ---- subject-level variables and the record's treatment ----------------------------------
    pos = lookup(adeff["USUBJID"], adsl["USUBJID"])
    if (pos < 0).any():  # cannot happen: observed and responder records come from ADSL subjects
        raise ValueError("create_adeff: ADEFF records for subjects not in ADSL")
    for v in ADSL_VARS:
        adeff[v] = adsl[v].array.take(pos)
    adeff["TRTP"] = adeff["TRT01P"]
    adeff["TRTPN"] = adeff["TRT01PN"]
    for v in ("SRCDOM", "SRCVAR", "CRIT1", "CRIT1FL", "ABLFL", "ANL01FL", "AVALC", "DTYPE", "AVISIT"):
        adeff[v] = _blank_missing(adeff[v])
    return adeff


def _blank_missing(col: pd.Series) -> pd.Series:
    """Missing text as "" (Arrow text stays Arrow text: no round trip through Python objects)."""
    if isinstance(col.dtype, pd.StringDtype):
        return col.fillna("")
    return col.astype(object).where(col.notna(), "")


def add_nachfl(adeff: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """Carry ADSL.NACHFL onto ADEFF."""
    out = adeff.drop(columns=["NACHFL"], errors="ignore")
    pos = lookup(out["USUBJID"], adsl["USUBJID"])
    out["NACHFL"] = _blank_missing(pd.Series(adsl["NACHFL"].array.take(pos, allow_fill=True), index=out.index))
    return out
