"""Checks of the SDTM input the ADaM programs read: every problem in one pass.

Each problem names the domain, variable, subject(s) and rule. :func:`check_sdtm` returns them
all; the ``derive`` step raises one :class:`~adamforge.errors.DataError` listing them, before
anything is written.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from .dates import invalid_dtc
from ..keys import combine_codes, duplicated_rows, factorize_column, isin
from .spec import Spec

__all__ = ["REQUIRED", "check_sdtm", "slim_sdtm"]

#: Domains and variables the ADSL and ADEFF programs read.
REQUIRED: dict[str, tuple[str, ...]] = {
    "DM": ("STUDYID", "USUBJID", "SUBJID", "SITEID", "COUNTRY", "AGE", "AGEU", "SEX", "RACE", "ARMCD", "ARM",
           "ACTARMCD", "ACTARM", "RFXSTDTC", "RFXENDTC"),
    "DS": ("USUBJID", "DSCAT", "EPOCH", "DSDECOD", "DSSTDTC"),
    "MH": ("USUBJID", "MHCAT", "MHSTDTC"),
    "SC": ("USUBJID", "SCTESTCD", "SCSTRESC", "SCSTRESN"),
    "RS": ("USUBJID", "RSSEQ", "RSTESTCD", "RSSTRESN", "RSDTC"),
    "QS": ("USUBJID", "QSSEQ", "QSCAT", "QSTESTCD", "QSSTRESN", "VISITNUM", "QSDTC"),
}

#: Record keys that must be unique (domain -> (filter column, filter values or None), keys).
KEYS: dict[str, tuple[tuple[str, tuple] | None, tuple[str, ...]]] = {
    "DM": (None, ("USUBJID",)),
    "RS": (None, ("USUBJID", "RSTESTCD", "RSDTC")),
    "QS_ITCH": (("QSCAT", ("ITCH NRS",)), ("USUBJID", "QSTESTCD", "QSDTC")),
    "QS_ITEMS": (("QSCAT", ("DLQI", "CDLQI")), ("USUBJID", "QSTESTCD", "VISITNUM")),
    "SC": (None, ("USUBJID", "SCTESTCD")),
    "MH": (("MHCAT", ("PRIMARY DIAGNOSIS",)), ("USUBJID",)),
}

DATES: dict[str, tuple[tuple[str, bool], ...]] = {  # domain -> (variable, partial allowed)
    "DM": (("RFXSTDTC", False), ("RFXENDTC", False)),
    "DS": (("DSSTDTC", False),),
    "MH": (("MHSTDTC", True),),
    "RS": (("RSDTC", False),),
    "QS": (("QSDTC", False),),
}

_N_EX = 3

#: SDTM's arm codes of subjects without an arm or without treatment (never an error)
NULL_ARMCDS = ("SCRNFAIL", "NOTASSGN", "NOTTRT", "UNPLAN", "")


def slim_sdtm(sdtm: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Only the domains and variables of :data:`REQUIRED` (those present): less memory at scale."""
    return {d: df[[c for c in REQUIRED[d] if c in df.columns]] for d, df in sdtm.items() if d in REQUIRED}


def _subjects(df: pd.DataFrame, mask) -> str:
    subj = pd.unique(df.loc[mask, "USUBJID"]) if "USUBJID" in df.columns else []
    n = int(np.asarray(mask).sum())
    ex = ", ".join(map(str, subj[:_N_EX]))
    more = f" and {len(subj) - _N_EX} more subject(s)" if len(subj) > _N_EX else ""
    return f"{n} record(s); subject(s) {ex}{more}"


def check_sdtm(sdtm: Mapping[str, pd.DataFrame], spec: Spec) -> list[str]:
    """Every problem of the SDTM input for deriving ADSL and ADEFF.

    Rules: domain present; required variables present; unique record keys; ISO 8601 dates
    (partial only where imputation is defined: MH.MHSTDTC); DM.RFXSTDTC present for treated
    subjects; values inside the spec's codelists (DM.SEX, DM.RACE, DM.ARMCD arm codes, RS IGA
    scores); questionnaire items 0-3 and itch scores 0-10; subjects of DS/MH/SC/RS/QS present in DM.

    Returns
    -------
    list[str] : one line per problem (empty: the input is fit to derive from).
    """
    p: list[str] = []
    present = {}
    for dom, vars_ in REQUIRED.items():
        df = sdtm.get(dom)
        if df is None:
            p.append(f"{dom}: domain missing (rule: required domain)")
            continue
        miss = [v for v in vars_ if v not in df.columns]
        for v in miss:
            p.append(f"{dom}.{v}: required variable missing (rule: required variable)")
        present[dom] = not miss
    ok = {d for d, good in present.items() if good}

    factorized: dict[tuple[str, str], tuple[np.ndarray, int]] = {}  # each key column factorized once

    def codes_of(dom: str, var: str) -> tuple[np.ndarray, int]:
        if (dom, var) not in factorized:
            factorized[dom, var] = factorize_column(sdtm[dom][var])
        return factorized[dom, var]

    for name, (flt, keys) in KEYS.items():
        dom = name.split("_")[0]
        if dom not in ok:
            continue
        df = sdtm[dom]
        # integer codes of the key columns (one factorize each), filtered as numbers: far cheaper
        # than DataFrame.duplicated on millions of text keys
        codes = combine_codes([codes_of(dom, k) for k in keys])
        if flt is not None:
            rows = np.flatnonzero(isin(df[flt[0]], flt[1]))
            codes = codes[rows]
        else:
            rows = np.arange(len(df))
        dup = np.zeros(len(df), dtype=bool)
        dup[rows[duplicated_rows(codes)]] = True
        if dup.any():
            p.append(f"{dom} ({', '.join(keys)}): duplicate keys (rule: unique keys): {_subjects(df, dup)}")

    for dom, vars_ in DATES.items():
        if dom not in ok:
            continue
        df = sdtm[dom]
        for var, partial in vars_:
            bad = invalid_dtc(df[var], allow_partial=partial).to_numpy()
            if bad.any():
                vals = ", ".join(map(repr, pd.unique(df.loc[bad, var])[:_N_EX]))
                rule = "ISO 8601 date, partial allowed" if partial else "complete ISO 8601 date"
                p.append(f"{dom}.{var}: unparseable or partial date (rule: {rule}): values {vals}; {_subjects(df, bad)}")

    if "DM" in ok:
        dm = sdtm["DM"]
        blank = (dm["RFXSTDTC"].isna() | (dm["RFXSTDTC"].astype(str).str.strip() == "")).to_numpy()
        treated = ~dm["ACTARMCD" if "ACTARMCD" in dm.columns else "ARMCD"].astype(str).isin(
            ["SCRNFAIL", "NOTASSGN", "NOTTRT", ""]).to_numpy()
        if (blank & treated).any():
            p.append(f"DM.RFXSTDTC: missing for randomized subjects (rule: first dose date required): {_subjects(dm, blank & treated)}")
        for var, cl in (("SEX", "SEX"), ("RACE", "RACE"), ("AGEU", "AGEU")):
            if cl in spec.codelists:
                allowed = {str(t.coded) for t in spec.codelists[cl].terms}
                col = dm[var].astype(str)
                bad = (~col.isin(allowed) & dm[var].notna() & (col != "")).to_numpy()
                if bad.any():
                    vals = ", ".join(map(repr, pd.unique(dm.loc[bad, var])[:_N_EX]))
                    p.append(f"DM.{var}: value outside codelist {cl} (rule: codelist): values {vals}; {_subjects(dm, bad)}")
        arms = set(spec.parameters.get("arms", {}))
        if arms:
            for var in ("ARMCD", "ACTARMCD"):
                codes, uniq = pd.factorize(dm[var], use_na_sentinel=False)  # a few distinct codes
                segs = pd.Series(np.asarray(uniq, dtype=object)).astype(str).str.split("-")
                n = segs.str.len()
                null_code = segs.str.join("-").isin(NULL_ARMCDS)  # SDTM's codes for no arm / no treatment
                bad = ~((segs.str.get(0).isin(arms) & ((n == 1) | segs.str.get(1).isin(arms)) & (n <= 2))
                        | null_code).to_numpy()[codes]
                if bad.any():
                    vals = ", ".join(map(repr, pd.unique(dm.loc[bad, var])[:_N_EX]))
                    p.append(f"DM.{var}: arm code not in parameter 'arms' ({', '.join(sorted(arms))}) (rule: codelist): values {vals}; {_subjects(dm, bad)}")
        subjects = dm["USUBJID"]
        for dom in ("DS", "MH", "SC", "RS", "QS"):
            if dom not in ok:
                continue
            df = sdtm[dom]
            bad = ~isin(df["USUBJID"], subjects)
            if bad.any():
                p.append(f"{dom}.USUBJID: subject not in DM (rule: subject in DM): {_subjects(df, bad)}")

    if "RS" in ok and "IGA" in spec.codelists:
        rs = sdtm["RS"]
        iga = rs["RSTESTCD"] == "IGA"
        allowed = [float(t.coded) for t in spec.codelists["IGA"].terms]
        v = pd.to_numeric(rs["RSSTRESN"], errors="coerce")
        bad = (iga & v.notna() & ~v.isin(allowed)).to_numpy()
        if bad.any():
            p.append(f"RS.RSSTRESN: IGA score outside codelist IGA (rule: codelist): values {[float(x) for x in sorted(v[bad].unique())[:_N_EX]]}; {_subjects(rs, bad)}")
    for dom, dtc in (("RS", "RSDTC"), ("QS", "QSDTC")):
        if dom in ok:  # a result without a date can be put in no analysis window: it would vanish
            df = sdtm[dom]
            res = pd.to_numeric(df[f"{dom}STRESN"], errors="coerce").notna()
            blank = df[dtc].isna() | (df[dtc].astype(str).str.strip() == "")
            bad = (res & blank).to_numpy()
            if bad.any():
                seqs = ", ".join(str(int(x)) for x in df.loc[bad, f"{dom}SEQ"].head(_N_EX)) if f"{dom}SEQ" in df else ""
                p.append(f"{dom}.{dtc}: result without a date (rule: dated results){f'; {dom}SEQ {seqs}' if seqs else ''}; "
                         f"{_subjects(df, bad)}")
    if "QS" in ok:
        qs = sdtm["QS"]
        items = qs["QSCAT"].isin(["DLQI", "CDLQI"])
        expected = qs["QSCAT"].astype(str) + qs["QSTESTCD"].astype(str).str.slice(-2)
        known = qs["QSTESTCD"].astype(str).str.fullmatch(r"C?DLQI(0[1-9]|10)") & (expected == qs["QSTESTCD"].astype(str))
        bad = (items & ~known).to_numpy()
        if bad.any():
            vals = ", ".join(map(repr, pd.unique(qs.loc[bad, "QSTESTCD"])[:_N_EX]))
            p.append(f"QS.QSTESTCD: not an item of its questionnaire (rule: DLQI01-DLQI10 / CDLQI01-CDLQI10 only; "
                     f"totals are derived, not collected): values {vals}; {_subjects(qs, bad)}")
        v = pd.to_numeric(qs["QSSTRESN"], errors="coerce")
        for cats, hi, label in ((("DLQI", "CDLQI"), 3, "items 0-3"), (("ITCH NRS",), 10, "itch NRS 0-10")):
            m = qs["QSCAT"].isin(cats) & v.notna() & ((v < 0) | (v > hi))
            if m.any():
                p.append(f"QS.QSSTRESN: value outside range (rule: {label}): values {[float(x) for x in sorted(v[m].unique())[:_N_EX]]}; {_subjects(qs, m.to_numpy())}")
    return p
