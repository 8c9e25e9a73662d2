"""SDTM input checks: what must hold in the SDTM before any ADaM is derived from it.

Plain vectorised pandas rules registered by id in :data:`RULES`; each returns
:class:`adamforge.findings.Finding` records with the failing record's keys (``USUBJID`` plus
``--SEQ``, or the domain's natural keys where it has no ``--SEQ``).

=============== ======== ===========================================================
rule            severity what
=============== ======== ===========================================================
SDTM-REQ-001    ERROR    required domains and variables present (plan section 1a)
SDTM-KEY-001    ERROR    natural keys of each domain unique (e.g. one DM record per subject)
SDTM-KEY-002    ERROR    STUDYID / USUBJID / --SEQ not missing
SDTM-SEQ-001    ERROR    --SEQ unique within USUBJID
SDTM-DTC-001    ERROR    --DTC values ISO 8601 (complete or right-truncated partial)
SDTM-RANGE-001  ERROR    results in their range (IGA 0-4, EASI 0-72, BSA 0-100, itch 0-10,
                         DLQI/CDLQI items 0-3, flares >= 0)
SDTM-SUBJ-001   ERROR    subjects of every subject-level domain present in DM
SDTM-STUDY-001  WARNING  disease duration below the eligibility limit (2 years)
SDTM-STUDY-002  WARNING  age below the eligibility limit (12 years)
=============== ======== ===========================================================

The tables of keys, required variables and ranges below are data; a rule is written once per
kind and applied to every domain the table names.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Mapping

import numpy as np
import pandas as pd

from adamforge.keys import duplicated_rows, row_codes
from adamforge.findings import Finding

from .rules import MAX_PER_RULE, Rule, RuleRun, dataset_finding, findings_from_rows, record_keys, register, run_rules

RULES: dict[str, Rule] = {}

#: Natural keys: at most one record per combination (plan section 1a).
DOMAIN_KEYS: dict[str, tuple[str, ...]] = {
    "DM": ("USUBJID",),
    "SV": ("USUBJID", "VISITNUM"),
    "EX": ("USUBJID", "EXTRT", "EXSTDTC"),
    "DS": ("USUBJID", "DSCAT", "EPOCH", "DSDECOD"),
    "MH": ("USUBJID", "MHCAT", "MHDECOD", "MHSTDTC"),
    "SC": ("USUBJID", "SCTESTCD"),
    "RS": ("USUBJID", "RSTESTCD", "VISITNUM"),
    "QS": ("USUBJID", "QSCAT", "QSTESTCD", "VISITNUM", "QSDTC"),
}

#: Required domains and, for each, its required variables (contract, plan section 1a).
REQUIRED_VARIABLES: dict[str, tuple[str, ...]] = {
    "DM": ("STUDYID", "DOMAIN", "USUBJID", "SUBJID", "RFSTDTC", "RFXSTDTC", "SITEID", "AGE", "SEX",
           "RACE", "ARMCD", "ARM", "ACTARMCD", "COUNTRY"),
    "SV": ("USUBJID", "VISITNUM", "VISIT", "SVSTDTC"),
    "EX": ("USUBJID", "EXSEQ", "EXTRT", "EXDOSE", "EXSTDTC"),
    "DS": ("USUBJID", "DSSEQ", "DSTERM", "DSDECOD", "DSCAT", "DSSTDTC"),
    "MH": ("USUBJID", "MHSEQ", "MHTERM", "MHCAT", "MHSTDTC"),
    "SC": ("USUBJID", "SCSEQ", "SCTESTCD", "SCSTRESC", "SCSTRESN"),
    "RS": ("USUBJID", "RSSEQ", "RSTESTCD", "RSSTRESN", "VISITNUM", "RSDTC"),
    "QS": ("USUBJID", "QSSEQ", "QSCAT", "QSTESTCD", "QSSTRESN", "QSDTC"),
}

#: Trial design domains: not subject-level.
TRIAL_DESIGN = frozenset({"TA", "TE", "TV", "TS", "TI"})


@dataclasses.dataclass(frozen=True)
class RangeRule:
    """Results of ``testcds`` (in ``testcd_var``) must lie in ``[low, high]`` in ``value_var``."""

    domain: str
    testcd_var: str
    testcds: tuple[str, ...]
    value_var: str
    low: float | None
    high: float | None
    label: str


RANGES: tuple[RangeRule, ...] = (
    RangeRule("RS", "RSTESTCD", ("IGA",), "RSSTRESN", 0, 4, "IGA"),
    RangeRule("RS", "RSTESTCD", ("EASI",), "RSSTRESN", 0, 72, "EASI"),
    RangeRule("RS", "RSTESTCD", ("BSA",), "RSSTRESN", 0, 100, "% BSA"),
    RangeRule("QS", "QSTESTCD", ("ITCHNRS",), "QSSTRESN", 0, 10, "itch NRS"),
    RangeRule("QS", "QSTESTCD", tuple(f"{p}{i:02d}" for p in ("DLQI", "CDLQI") for i in range(1, 11)),
              "QSSTRESN", 0, 3, "DLQI/CDLQI item"),
    RangeRule("SC", "SCTESTCD", ("NFLARE12",), "SCSTRESN", 0, None, "flares in the last 12 months"),
)


@dataclasses.dataclass(frozen=True)
class SdtmCheckOptions:
    """Options of the SDTM checks.

    Parameters
    ----------
    min_disease_years : eligibility limit of disease duration (years), SDTM-STUDY-001.
    min_age : eligibility limit of age (years), SDTM-STUDY-002.
    diagnosis_mhcat : MHCAT of the atopic dermatitis diagnosis record.
    max_findings : cap of record-level findings per rule, dataset and variable.
    """

    min_disease_years: float = 2.0
    min_age: float = 12
    diagnosis_mhcat: str = "PRIMARY DIAGNOSIS"
    max_findings: int = MAX_PER_RULE


def check_sdtm(
    sdtm: Mapping[str, pd.DataFrame],
    *,
    options: SdtmCheckOptions | None = None,
    select: list[str] | None = None,
) -> RuleRun:
    """Run the SDTM input checks.

    Parameters
    ----------
    sdtm : domain name (upper case) -> DataFrame, as :func:`adamforge.sdtm_io.read_sdtm` returns.
    options : limits and the findings cap.
    select : rule ids to run (default all of :data:`RULES`).

    Returns
    -------
    RuleRun
        ``findings`` (list of Finding) and ``seconds`` per rule.

    Examples
    --------
    >>> dm = pd.DataFrame({"USUBJID": ["S-1", "S-1"], "AGE": [30, 30]})
    >>> run = check_sdtm({"DM": dm}, select=["SDTM-KEY-001"])
    >>> [(f.rule_id, f.keys) for f in run.findings]
    [('SDTM-KEY-001', {'USUBJID': 'S-1'})]
    """
    sdtm = {k.upper(): v for k, v in sdtm.items()}
    return run_rules(RULES, sdtm, options or SdtmCheckOptions(), select=select)


# -- helpers -----------------------------------------------------------------------------

def _blank(s: pd.Series) -> pd.Series:
    """True where a value is missing: NaN/None or an empty / blank string."""
    miss = s.isna()
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        miss = miss | (s.astype("str").str.strip() == "")
    return miss


def _duplicated(df: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """``df.duplicated(cols, keep=False)`` as a boolean array, on integer codes of the key columns.

    One factorize per column and a sort of the combined int64 codes: several times cheaper than
    hashing the text of every key on the 10-million-record QS.
    """
    return duplicated_rows(row_codes([df[c] for c in cols]))


def _keys(df: pd.DataFrame, domain: str) -> list[str]:
    return record_keys(df, domain, extra=DOMAIN_KEYS.get(domain, ()))


def _subject_domains(sdtm: Mapping[str, pd.DataFrame]):
    for name, df in sdtm.items():
        if name not in TRIAL_DESIGN and "USUBJID" in df.columns:
            yield name, df


_ISO = re.compile(
    r"(\d{4})(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])"
    r"(T([01]\d|2[0-3])(:[0-5]\d(:[0-5]\d(\.\d+)?)?)?)?)?)?"
)


def iso8601_valid(values: pd.Series) -> pd.Series:
    """True where a value is a valid ISO 8601 date/date-time, complete or right-truncated.

    Accepted: ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, ``YYYY-MM-DDThh``, ``...Thh:mm``,
    ``...Thh:mm:ss(.f)``; the calendar date must exist (``2021-02-30`` is invalid). Missing
    values count as valid (a required date is a different rule). Checked once per distinct value.
    """
    miss = _blank(values)
    uniq = pd.Series(values[~miss].astype("str").unique(), dtype="str")
    ok = uniq.str.fullmatch(_ISO.pattern).fillna(False).astype(bool)
    full = ok & (uniq.str.len() >= 10)
    if full.any():
        parsed = pd.to_datetime(uniq[full].str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
        ok.loc[full[full].index] = parsed.notna().to_numpy()
    good = set(uniq[ok])
    return miss | values.astype("str").isin(good)


def impute_partial_date(values: pd.Series) -> pd.Series:
    """ISO 8601 dates to datetimes, a missing day imputed as the 1st and a missing month as January.

    Values that are not valid ISO 8601 dates give ``NaT``.
    """
    s = values.astype("str").str.slice(0, 10)
    s = s.where(iso8601_valid(values) & ~_blank(values))
    s = s.mask(s.str.len() == 4, s + "-01-01").mask(s.str.len() == 7, s + "-01")
    return pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")


# -- rules -------------------------------------------------------------------------------

@register(RULES, "SDTM-REQ-001", "ERROR", "Required domains and variables are present")
def _required(sdtm, opt: SdtmCheckOptions) -> list[Finding]:
    rule = RULES["SDTM-REQ-001"]
    out = []
    for domain, variables in REQUIRED_VARIABLES.items():
        df = sdtm.get(domain)
        if df is None:
            out.append(dataset_finding(rule, domain, "", f"Required domain {domain} is missing from the SDTM input."))
            continue
        for var in variables:
            if var not in df.columns:
                out.append(dataset_finding(rule, domain, var, f"Required variable {domain}.{var} is missing."))
    return out


@register(RULES, "SDTM-KEY-001", "ERROR", "Natural keys of each domain are unique")
def _natural_keys(sdtm, opt: SdtmCheckOptions) -> list[Finding]:
    rule = RULES["SDTM-KEY-001"]
    out = []
    for domain, keys in DOMAIN_KEYS.items():
        df = sdtm.get(domain)
        if df is None:
            continue
        cols = [k for k in keys if k in df.columns]
        if not cols:
            continue
        dup = _duplicated(df, cols)
        if not dup.any():
            continue
        groups = df.loc[dup, cols].copy()
        groups["_n"] = 1
        counted = groups.groupby(cols, dropna=False, sort=True)["_n"].size().reset_index()
        out += findings_from_rows(
            counted, rule=rule, dataset=domain, variable=", ".join(cols), key_cols=cols, value_col="_n",
            message=f"{{value}} records share the key ({', '.join(cols)}); {domain} allows one.",
            max_findings=opt.max_findings,
        )
    return out


@register(RULES, "SDTM-KEY-002", "ERROR", "STUDYID, USUBJID and --SEQ are not missing")
def _keys_not_null(sdtm, opt: SdtmCheckOptions) -> list[Finding]:
    rule = RULES["SDTM-KEY-002"]
    out = []
    for domain, df in _subject_domains(sdtm):
        for var in ("STUDYID", "USUBJID", f"{domain[:2]}SEQ"):
            if var not in df.columns:
                continue
            miss = _blank(df[var])
            if not miss.any():
                continue
            keys = [k for k in _keys(df, domain) if k != var]
            bad = df.loc[miss].assign(ROW=np.flatnonzero(miss.to_numpy()) + 1)
            out += findings_from_rows(
                bad, rule=rule, dataset=domain, variable=var, key_cols=[*keys, "ROW"],
                message=f"{var} is missing (record number {{ROW}} of {domain}).", max_findings=opt.max_findings,
            )
    return out


@register(RULES, "SDTM-SEQ-001", "ERROR", "--SEQ is unique within each subject")
def _seq_unique(sdtm, opt: SdtmCheckOptions) -> list[Finding]:
    rule = RULES["SDTM-SEQ-001"]
    out = []
    for domain, df in _subject_domains(sdtm):
        seq = f"{domain[:2]}SEQ"
        if seq not in df.columns:
            continue
        dup = _duplicated(df, ["USUBJID", seq]) & ~_blank(df[seq]).to_numpy()
        if not dup.any():
            continue
        counted = df.loc[dup, ["USUBJID", seq]].groupby(["USUBJID", seq], sort=True).size().reset_index(name="_n")
        out += findings_from_rows(
            counted, rule=rule, dataset=domain, variable=seq, key_cols=["USUBJID", seq], value_col="_n",
            message=f"{{value}} records of this subject have {seq} = {{{seq}}}; --SEQ must be unique within USUBJID.",
            max_findings=opt.max_findings,
        )
    return out


@register(RULES, "SDTM-DTC-001", "ERROR", "--DTC values are ISO 8601 dates (complete or partial)")
def _iso_dates(sdtm, opt: SdtmCheckOptions) -> list[Finding]:
    rule = RULES["SDTM-DTC-001"]
    out = []
    for domain, df in sdtm.items():
        for var in [c for c in df.columns if c.endswith("DTC")]:
            ok = iso8601_valid(df[var])
            if ok.all():
                continue
            out += findings_from_rows(
                df.loc[~ok], rule=rule, dataset=domain, variable=var, key_cols=_keys(df, domain), value_col=var,
                message=f"{var} '{{value}}' is not an ISO 8601 date (YYYY, YYYY-MM, YYYY-MM-DD or a date-time).",
                max_findings=opt.max_findings,
            )
    return out


@register(RULES, "SDTM-RANGE-001", "ERROR", "Results lie in their valid range")
def _ranges(sdtm, opt: SdtmCheckOptions) -> list[Finding]:
    rule = RULES["SDTM-RANGE-001"]
    out = []
    for rr in RANGES:
        df = sdtm.get(rr.domain)
        if df is None or rr.testcd_var not in df.columns or rr.value_var not in df.columns:
            continue
        sel = df[rr.testcd_var].isin(rr.testcds)
        val = pd.to_numeric(df[rr.value_var], errors="coerce")
        bad = sel & val.notna() & (
            (val < rr.low if rr.low is not None else False) | (val > rr.high if rr.high is not None else False)
        )
        if not bad.any():
            continue
        hi = "" if rr.high is None else f" to {rr.high:g}"
        rng = f"{rr.low:g}{hi}" if rr.high is not None else f">= {rr.low:g}"
        out += findings_from_rows(
            df.loc[bad], rule=rule, dataset=rr.domain, variable=rr.value_var, key_cols=_keys(df, rr.domain),
            value_col=rr.value_var,
            message=f"{{{rr.testcd_var}}} {rr.value_var} = {{value}} is outside the {rr.label} range {rng}.",
            max_findings=opt.max_findings,
        )
    return out


@register(RULES, "SDTM-SUBJ-001", "ERROR", "Subjects of every subject-level domain are in DM")
def _subjects_in_dm(sdtm, opt: SdtmCheckOptions) -> list[Finding]:
    rule = RULES["SDTM-SUBJ-001"]
    dm = sdtm.get("DM")
    if dm is None or "USUBJID" not in dm.columns:
        return []  # SDTM-REQ-001 reports it
    known = pd.Index(dm["USUBJID"].dropna().unique())
    out = []
    for domain, df in _subject_domains(sdtm):
        if domain == "DM":
            continue
        subjects = pd.Index(df["USUBJID"].unique())
        unknown = subjects.difference(known)
        unknown = unknown[~_blank(pd.Series(unknown, dtype="str")).to_numpy()] if len(unknown) else unknown
        if not len(unknown):
            continue
        missing = df.loc[df["USUBJID"].isin(unknown), ["USUBJID"]]
        counted = missing.groupby("USUBJID", sort=True).size().reset_index(name="_n")
        out += findings_from_rows(
            counted, rule=rule, dataset=domain, variable="USUBJID", key_cols=["USUBJID"], value_col="USUBJID",
            message=f"Subject {{value}} has {{_n}} {domain} record(s) but no DM record.",
            max_findings=opt.max_findings,
        )
    return out


@register(RULES, "SDTM-STUDY-001", "WARNING", "Disease duration at first dose below the eligibility limit")
def _disease_duration(sdtm, opt: SdtmCheckOptions) -> list[Finding]:
    rule = RULES["SDTM-STUDY-001"]
    mh, dm = sdtm.get("MH"), sdtm.get("DM")
    if mh is None or dm is None or not {"USUBJID", "MHSTDTC"} <= set(mh.columns) or not {"USUBJID", "RFXSTDTC"} <= set(dm.columns):
        return []
    diag = mh.loc[mh["MHCAT"] == opt.diagnosis_mhcat] if "MHCAT" in mh.columns else mh
    first = dm.drop_duplicates("USUBJID").set_index("USUBJID")["RFXSTDTC"]
    rfx = pd.to_datetime(diag["USUBJID"].map(first).astype("str").str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    onset = impute_partial_date(diag["MHSTDTC"])
    years = (rfx.to_numpy() - onset.to_numpy()) / np.timedelta64(1, "D") / 365.25
    years = pd.Series(years, index=diag.index)
    bad = years.notna() & (years < opt.min_disease_years)
    if not bad.any():
        return []
    rows = diag.loc[bad].assign(_years=years[bad].round(2).map(lambda x: f"{x:.2f}"), _rfx=diag.loc[bad, "USUBJID"].map(first))
    return findings_from_rows(
        rows, rule=rule, dataset="MH", variable="MHSTDTC", key_cols=_keys(mh, "MH"), value_col="_years",
        message=(f"Disease duration {{value}} years (onset {{MHSTDTC}}, first dose {{_rfx}}) is below the "
                 f"{opt.min_disease_years:g}-year eligibility limit; kept as collected."),
        max_findings=opt.max_findings,
    )


@register(RULES, "SDTM-STUDY-002", "WARNING", "Age below the eligibility limit")
def _age(sdtm, opt: SdtmCheckOptions) -> list[Finding]:
    rule = RULES["SDTM-STUDY-002"]
    dm = sdtm.get("DM")
    if dm is None or "AGE" not in dm.columns:
        return []
    age = pd.to_numeric(dm["AGE"], errors="coerce")
    return findings_from_rows(
        dm.loc[age < opt.min_age], rule=rule, dataset="DM", variable="AGE", key_cols=["USUBJID"], value_col="AGE",
        message=f"AGE {{value}} is below the eligibility limit of {opt.min_age:g} years.",
        max_findings=opt.max_findings,
    )
