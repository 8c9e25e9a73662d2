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
from .spec import Spec

__all__ = ["create_observed", "create_adeff", "add_nachfl", "ADSL_VARS"]

#: ADSL variables carried onto every ADEFF record.
ADSL_VARS = ("STUDYID", "SITEID", "TRT01P", "TRT01PN", "EFFFL", "AGE")


def _rs_records(rs: pd.DataFrame) -> pd.DataFrame:
    keep = rs["RSTESTCD"].isin(["IGA", "EASI", "BSA"])
    r = rs.loc[keep, ["USUBJID", "RSTESTCD", "RSSTRESN", "RSDTC", "RSSEQ"]]
    return pd.DataFrame({
        "USUBJID": r["USUBJID"].to_numpy(),
        "PARAMCD": r["RSTESTCD"].to_numpy(),
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
    trtsdt = adsl[["USUBJID", "TRTSDT"]]

    # ---- RS: IGA, EASI, BSA ------------------------------------------------------------------
    obs_rs = _rs_records(rs)

    # ---- QS: weekly itch NRS mean ------------------------------------------------------------
    itch = qs.loc[qs["QSTESTCD"] == "ITCHNRS", ["USUBJID", "QSSTRESN", "QSDTC"]]
    codes, subjects = pd.factorize(itch["USUBJID"])
    ref = trtsdt.drop_duplicates("USUBJID").set_index("USUBJID")["TRTSDT"].reindex(subjects).to_numpy(dtype="datetime64[s]")
    known = ~np.isnat(ref[codes])  # subjects not in ADSL are dropped (the input check reports them)
    daily = pd.DataFrame({"USUBJID": itch["USUBJID"].to_numpy()[known],
                          "AVAL": pd.to_numeric(itch["QSSTRESN"], errors="coerce").to_numpy()[known],
                          "ADT": compute_dt(itch["QSDTC"])[0].to_numpy()[known], "TRTSDT": ref[codes][known]})
    targets = [1, *(w.target for w in spec.windows)]
    obs_itch = apply_method(daily, spec, "MT.ITCHWK", targets=targets, paramcd="ITCHNRS").drop(columns=["NDAYS"])

    # ---- QS: DLQI / CDLQI totals -------------------------------------------------------------
    items = qs.loc[qs["QSCAT"].isin(["DLQI", "CDLQI"]), ["USUBJID", "QSCAT", "VISITNUM", "QSSTRESN", "QSDTC"]].copy()
    items["ADT"] = compute_dt(items["QSDTC"])[0].to_numpy()
    obs_qol = apply_method(items, spec, "MT.QOLTOT").drop(columns=["QSCAT", "VISITNUM", "NMISS"])

    # ---- stack, analysis day -----------------------------------------------------------------
    bds = pd.concat([obs_rs, obs_itch, obs_qol], ignore_index=True)
    bds = bds.merge(trtsdt, on="USUBJID", how="inner")
    bds["ADY"] = compute_dy(bds["ADT"], bds["TRTSDT"])
    last_day = max((w.hi for w in spec.windows), default=1)
    bds = bds[(bds["ADY"] <= last_day).fillna(False)].reset_index(drop=True)

    # ---- baseline, visits, analysis flag, change ---------------------------------------------
    bds = apply_method(bds, spec, "MT.ABLFL")
    bds = apply_method(bds, spec, "MT.AVISIT", windows=spec.windows)
    bds = apply_method(bds, spec, "MT.ANL01FL", windows=spec.windows)
    bds = apply_method(bds, spec, "MT.BASE")
    bds = apply_method(bds, spec, "MT.CHG")
    bds = apply_method(bds, spec, "MT.PCHG")

    # ---- parameter attributes ----------------------------------------------------------------
    vl = {v.paramcd: v.param for v in spec.value_level_for("ADEFF")}
    paramn = dict(spec.parameters.get("paramn", {}))
    bds["PARAM"] = bds["PARAMCD"].map(vl).fillna("").astype(object)
    bds["PARAMN"] = bds["PARAMCD"].map(paramn).astype("Int64")
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
    obs = observed[observed["USUBJID"].isin(eff["USUBJID"])]
    adeff = pd.concat([obs, resp], ignore_index=True)

    # ---- subject-level variables and the record's treatment ----------------------------------
    pos = pd.Index(adsl["USUBJID"]).get_indexer(adeff["USUBJID"])
    if (pos < 0).any():  # cannot happen: observed and responder records come from ADSL subjects
        raise ValueError("create_adeff: ADEFF records for subjects not in ADSL")
    for v in ADSL_VARS:
        adeff[v] = adsl[v].take(pos).to_numpy()
    adeff["TRTP"] = adeff["TRT01P"]
    adeff["TRTPN"] = adeff["TRT01PN"]
    for v in ("SRCDOM", "SRCVAR", "CRIT1", "CRIT1FL", "ABLFL", "ANL01FL", "AVALC", "DTYPE", "AVISIT"):
        adeff[v] = adeff[v].astype(object).where(adeff[v].notna(), "")
    return adeff


def add_nachfl(adeff: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """Carry ADSL.NACHFL onto ADEFF."""
    out = adeff.drop(columns=["NACHFL"], errors="ignore")
    pos = pd.Index(adsl["USUBJID"]).get_indexer(out["USUBJID"])
    out["NACHFL"] = np.where(pos >= 0, adsl["NACHFL"].to_numpy()[np.clip(pos, 0, None)], "").astype(object)
    return out
