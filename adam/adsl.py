"""The ADSL program: a straight list of named steps, like admiral's ``ad_adsl.R``.

Configurable steps call the derivation the spec's method names, with the spec's arguments
(:func:`apply_method`); the rest are plain steps whose define.xml text is in the spec too.

ADSL needs a few values from the efficacy data: baselines (BLIGA ... BLQOL) from the observed
BDS records, and the Week 8 flags (W8IGAFL, NACHFL) from ADEFF. So the program has three
entry points, called in this order by :func:`adamforge.adam.step.derive_adam`:

1. :func:`create_adsl_core` (SDTM only),
2. :func:`add_baselines` (+ observed ADEFF records),
3. :func:`add_subgroup_flags` (+ ADEFF responders).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from . import registry
from .dates import compute_dt
from ..keys import isin
from .spec import Spec

__all__ = ["apply_method", "create_adsl_core", "add_baselines", "add_subgroup_flags"]


def apply_method(dataset: pd.DataFrame, spec: Spec, method_id: str, *more: pd.DataFrame, **extra) -> pd.DataFrame:
    """Call the registry function that ``spec.methods[method_id]`` names, with its spec arguments.

    ``more`` are additional datasets (e.g. DS, the BDS); ``extra`` keyword arguments that the
    program supplies (e.g. the spec's endpoints), merged with the spec's.
    """
    m = spec.methods[method_id]
    if not m.function:
        raise ValueError(f"method {method_id} names no registry function")
    fn = registry.get(m.function)
    return fn(dataset, *more, **{**spec.method_args(method_id), **extra})


def create_adsl_core(sdtm: Mapping[str, pd.DataFrame], spec: Spec) -> pd.DataFrame:
    """ADSL from SDTM alone: identifiers, demographics, treatment, dates, populations, history.

    Parameters
    ----------
    sdtm : domains (DM, DS, MH, SC at least), checked by :func:`adamforge.adam.inputs.check_sdtm`.
    spec : the spec (methods, parameters).
    """
    dm, ds, mh, sc = sdtm["DM"], sdtm["DS"], sdtm["MH"], sdtm["SC"]

    # ---- identifiers and demographics -----------------------------------------------------
    adsl = dm[["STUDYID", "USUBJID", "SUBJID", "SITEID", "COUNTRY", "AGE", "AGEU", "SEX", "RACE",
               "ARM", "ACTARM", "ARMCD", "ACTARMCD"]].reset_index(drop=True).copy()
    adsl = apply_method(adsl, spec, "MT.REGION1")
    adsl = apply_method(adsl, spec, "MT.AGEGR1")
    adsl = apply_method(adsl, spec, "MT.RACEGR1")

    # ---- treatment variables ---------------------------------------------------------------
    for mid in ("MT.TRT01P", "MT.TRT01A", "MT.TRT02P", "MT.TRT02A"):
        adsl = apply_method(adsl, spec, mid)

    # ---- treatment dates -------------------------------------------------------------------
    m = adsl[["USUBJID"]].merge(dm[["USUBJID", "RFXSTDTC", "RFXENDTC"]], on="USUBJID", how="left")
    adsl["TRTSDT"] = compute_dt(m["RFXSTDTC"])[0].to_numpy()
    adsl["TRTEDT"] = compute_dt(m["RFXENDTC"])[0].to_numpy()
    adsl["TRTDURD"] = ((adsl["TRTEDT"] - adsl["TRTSDT"]).dt.days + 1).astype("Int64")
    rand = ds.loc[(ds["DSCAT"] == "PROTOCOL MILESTONE") & (ds["DSDECOD"] == "RANDOMIZED"), ["USUBJID", "DSSTDTC"]]
    rand = rand.drop_duplicates("USUBJID")
    m = adsl[["USUBJID"]].merge(rand, on="USUBJID", how="left")
    adsl["RANDDT"] = compute_dt(m["DSSTDTC"].fillna(""))[0].to_numpy()

    # ---- population flags ------------------------------------------------------------------
    adsl["ITTFL"] = np.where(isin(adsl["USUBJID"], rand["USUBJID"]), "Y", "N").astype(object)
    adsl["SAFFL"] = np.where((adsl["ITTFL"] == "Y") & adsl["TRTSDT"].notna(), "Y", "N").astype(object)
    adsl = apply_method(adsl, spec, "MT.EFFFL")

    # ---- disposition -----------------------------------------------------------------------
    adsl = apply_method(adsl, spec, "MT.EOSSTT", ds)

    # ---- disease history and baseline findings ---------------------------------------------
    diag = mh.loc[mh["MHCAT"] == "PRIMARY DIAGNOSIS", ["USUBJID", "MHSTDTC"]].drop_duplicates("USUBJID")
    onset = apply_method(adsl[["USUBJID"]].merge(diag, on="USUBJID", how="left").fillna({"MHSTDTC": ""}), spec, "MT.DISONSDT")
    adsl["DISONSDT"] = onset["DISONSDT"].to_numpy()
    adsl["DISONSDF"] = onset["DISONSDF"].to_numpy()
    adsl = apply_method(adsl, spec, "MT.DISDURY")
    adsl = apply_method(adsl, spec, "MT.FACEFL", sc)
    adsl = apply_method(adsl, spec, "MT.NFLARE", sc)
    adsl = apply_method(adsl, spec, "MT.QOLINST")
    return adsl


def add_baselines(adsl: pd.DataFrame, bds: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """Baseline characteristics from the observed ADEFF records (BASE of the ABLFL record)."""
    for mid in ("MT.BLIGA", "MT.BLEASI", "MT.BLBSA", "MT.BLITCH", "MT.BLQOL"):
        adsl = apply_method(adsl, spec, mid, bds)
    return adsl


def add_subgroup_flags(adsl: pd.DataFrame, adeff: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """W8IGAFL (Week 8 IGA observed) and NACHFL (non-achiever subgroup) from ADEFF."""
    adsl = apply_method(adsl, spec, "MT.W8IGAFL", adeff)
    adsl = apply_method(adsl, spec, "MT.NACHFL", adeff)
    return adsl
