"""ADaM conformance rules that data expectations do not express: plain, tested pandas functions.

Each rule is registered by id in :data:`RULES` and returns
:class:`adamforge.findings.Finding` records keyed by the failing record (USUBJID, PARAMCD,
AVISIT, ...). The rules apply by the dataset's ADaM class, not its name: the class the spec gives
(its program's ``class``, else its metadata's define.xml class, see
:mod:`adamforge.adam.classes`); without a spec, a dataset with PARAMCD is BDS and the dataset
named ADSL is the subject-level one. "ADSL" in the rules below means the subject-level dataset.

=============== ======== ==================================================================
rule            severity what
=============== ======== ==================================================================
ADAM-DS-001     ERROR    every dataset of the spec is present (when asked for)
ADAM-ADSL-001   ERROR    ADSL has one record per subject
ADAM-SUBJ-001   ERROR    every subject of a BDS dataset is in ADSL
ADAM-BASE-001   ERROR    at most one baseline record (ABLFL = Y) per subject and parameter
ADAM-BASE-002   ERROR    BASE equals AVAL on the baseline record
ADAM-BASE-003   ERROR    BASE on the other records equals the baseline record's AVAL
ADAM-CHG-001    ERROR    CHG = AVAL - BASE (missing when either is; may be missing up to baseline)
ADAM-PCHG-001   ERROR    PCHG = 100 * (AVAL - BASE) / BASE (missing when BASE is 0 or missing)
ADAM-CRIT-001   ERROR    each CRITy is constant within PARAMCD
ADAM-CRIT-002   ERROR    CRITyFL is Y, N or blank, and blank where CRITy is blank
ADAM-RESP-001   ERROR    responder parameters: AVAL 1/0/missing with AVALC Y/N/blank
ADAM-FLAG-001   ERROR    population flags (ITTFL, SAFFL, EFFFL, ...) are only Y or N
ADAM-TRT-001    ERROR    TRT01P is present for every randomized subject
ADAM-ATTR-001   ERROR    variable types match the spec (text / integer / float / date)
ADAM-ATTR-002   ERROR    text values fit the spec length (bytes, UTF-8)
ADAM-ATTR-003   ERROR    variable labels match the spec (when the data carry labels)
ADAM-ATTR-004   WARNING  variables in the data that the spec does not define
=============== ======== ==================================================================
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from adamforge.findings import Finding
from adamforge.keys import row_codes

from .expectations import adam_record_keys
from .rules import (
    MAX_PER_RULE,
    Rule,
    RuleRun,
    blank,
    count_findings,
    dataset_finding,
    findings_from_rows,
    register,
    run_rules,
    subjects_not_in,
)

RULES: dict[str, Rule] = {}

#: Responder PARAMCDs when neither ``responders`` nor a spec with endpoints is given: none named (the
#: engine knows no study); ADAM-RESP-001 then checks the parameters whose AVALC is only Y/N/blank.
DEFAULT_RESPONDERS: tuple[str, ...] = ()
#: ADaMIG population flags: only Y or N.
POPULATION_FLAGS = ("ITTFL", "SAFFL", "EFFFL", "FASFL", "PPROTFL", "RANDFL", "ENRLFL", "COMPLFL")
_CRIT = re.compile(r"^CRIT\d+$")


@dataclasses.dataclass(frozen=True)
class ConformanceOptions:
    """Options of the conformance rules.

    Parameters
    ----------
    spec : the spec model (attributes, keys, responder endpoints); ``None`` skips the ADAM-ATTR
        and ADAM-DS rules.
    labels : dataset -> {variable: label} as carried by the data files (ADAM-ATTR-003 needs it).
    responders : responder PARAMCDs (default: the spec's endpoints, else the parameters whose
        AVALC holds only Y/N/blank).
    population_flags : flag variables that must be Y or N.
    require_all_datasets : report spec datasets absent from the data (ADAM-DS-001).
    tolerance : absolute tolerance of the CHG/PCHG/BASE arithmetic checks.
    max_findings : cap of record-level findings per rule, dataset and variable.
    """

    spec: Any = None
    labels: Mapping[str, Mapping[str, str]] | None = None
    responders: tuple[str, ...] | None = None
    population_flags: tuple[str, ...] = POPULATION_FLAGS
    require_all_datasets: bool = False
    tolerance: float = 1e-6
    max_findings: int = MAX_PER_RULE

    def responder_codes(self) -> tuple[str, ...]:
        """The responder PARAMCDs in force."""
        if self.responders is not None:
            return tuple(self.responders)
        eps = getattr(self.spec, "endpoints", None) if self.spec is not None else None
        return tuple(e.paramcd for e in eps) if eps else DEFAULT_RESPONDERS


def check_conformance(
    adam: Mapping[str, pd.DataFrame],
    *,
    options: ConformanceOptions | None = None,
    select: list[str] | None = None,
) -> RuleRun:
    """Run the ADaM conformance rules on ``adam`` (dataset name -> DataFrame).

    Returns
    -------
    RuleRun
        ``findings`` and ``seconds`` per rule.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["S-1", "S-2"], "TRT01P": ["Vehicle", ""], "ITTFL": ["Y", "Y"]})
    >>> [(f.rule_id, f.keys) for f in check_conformance({"ADSL": adsl}).findings]
    [('ADAM-TRT-001', {'USUBJID': 'S-2'})]
    """
    adam = _Data({k.upper(): v for k, v in adam.items()})
    return run_rules(RULES, adam, options or ConformanceOptions(), select=select)


class _Data(dict):
    """The datasets, plus a memo of what several rules compute on them (baseline flags, groups)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.memo: dict[tuple, Any] = {}


def _memo(adam, key: tuple, compute):
    """``compute()`` once per run of :func:`check_conformance` (every time when a rule is called alone)."""
    memo = getattr(adam, "memo", None)
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


# -- helpers -----------------------------------------------------------------------------


def _txt(s: pd.Series) -> pd.Series:
    """Text with missing values as empty strings."""
    return s.astype("str").where(~blank(s), "")


def _num(df: pd.DataFrame, col: str) -> pd.Series:
    return pd.to_numeric(df[col], errors="coerce").astype("float64")


def _class_of(name: str, df: pd.DataFrame, opt: ConformanceOptions | None) -> str:
    """The dataset's ADaM class: the spec's (program or metadata), else guessed from the data.

    Without a spec (or for a dataset the spec does not know) a dataset with PARAMCD is BDS and the
    dataset named ADSL (the ADaM-IG's fixed name) is the subject-level one.
    """
    spec = getattr(opt, "spec", None) if opt is not None else None
    if spec is not None:
        from adamforge.adam.classes import dataset_class

        cls = dataset_class(spec, name)
        if cls:
            return cls
    if name == "ADSL":
        return "ADSL"
    return "BDS" if "PARAMCD" in df.columns else ""


def _bds(adam: Mapping[str, pd.DataFrame], opt: ConformanceOptions | None = None):
    """The BDS datasets (class BDS or TTE, a BDS subclass) with USUBJID and PARAMCD."""
    for name, df in adam.items():
        if "PARAMCD" in df.columns and "USUBJID" in df.columns and _class_of(name, df, opt) in ("BDS", "TTE"):
            yield name, df


def _subject_level(adam: Mapping[str, pd.DataFrame], opt: ConformanceOptions | None = None):
    """``(name, data)`` of the subject-level dataset (class ADSL), ``(None, None)`` when absent."""
    for name, df in adam.items():
        if _class_of(name, df, opt) == "ADSL":
            return name, df
    return None, None


def _rkeys(df: pd.DataFrame, name: str, opt: ConformanceOptions) -> list[str]:
    spec_keys = ()
    if opt.spec is not None and name in getattr(opt.spec, "datasets", {}):
        spec_keys = opt.spec.datasets[name].keys
    return adam_record_keys(df, spec_keys)


def _rows(rule_id, bad, name, variable, df, opt, message, value_col=None):
    return findings_from_rows(
        bad,
        rule=RULES[rule_id],
        dataset=name,
        variable=variable,
        key_cols=_rkeys(df, name, opt),
        message=message,
        value_col=value_col,
        max_findings=opt.max_findings,
    )


def _differs(a: pd.Series, b: pd.Series, tol: float) -> pd.Series:
    """True where a and b differ: one missing and not the other, or both present and |a-b| > tol."""
    am, bm = a.isna(), b.isna()
    return (am != bm) | (~am & ~bm & ((a - b).abs() > tol))


# -- rules -------------------------------------------------------------------------------


@register(RULES, "ADAM-DS-001", "ERROR", "Every dataset of the spec is present")
def _datasets_present(adam, opt: ConformanceOptions) -> list[Finding]:
    if not opt.require_all_datasets or opt.spec is None:
        return []
    return [
        dataset_finding(RULES["ADAM-DS-001"], name, "", f"Dataset {name} of the spec was not produced.")
        for name in opt.spec.datasets
        if name not in adam
    ]


@register(RULES, "ADAM-ADSL-001", "ERROR", "ADSL has one record per subject")
def _adsl_one_per_subject(adam, opt: ConformanceOptions) -> list[Finding]:
    sl, adsl = _subject_level(adam, opt)
    if adsl is None or "USUBJID" not in adsl.columns:
        return []
    dup = adsl.duplicated("USUBJID", keep=False)
    if not dup.any():
        return []
    return count_findings(
        adsl.loc[dup],
        ["USUBJID"],
        rule=RULES["ADAM-ADSL-001"],
        dataset=sl,
        variable="USUBJID",
        max_findings=opt.max_findings,
        message=f"{sl} has {{value}} records for this subject; it must have one.",
    )


@register(RULES, "ADAM-SUBJ-001", "ERROR", "Every subject of a BDS dataset is in ADSL")
def _subjects_in_adsl(adam, opt: ConformanceOptions) -> list[Finding]:
    sl, adsl = _subject_level(adam, opt)
    if adsl is None or "USUBJID" not in adsl.columns:
        return []
    return subjects_not_in(
        ((name, df) for name, df in adam.items() if name != sl and "USUBJID" in df.columns),
        adsl,
        rule=RULES["ADAM-SUBJ-001"],
        parent_name=sl,
        max_findings=opt.max_findings,
    )


def _baseline_mask(df: pd.DataFrame, adam=None, name: str = "") -> pd.Series:
    def compute():
        return _txt(df["ABLFL"]) == "Y" if "ABLFL" in df.columns else pd.Series(False, index=df.index)

    return _memo(adam, (name, "baseline"), compute)


def _groups(df: pd.DataFrame, adam=None, name: str = "") -> tuple[np.ndarray, int]:
    """Dense integer id of each record's (USUBJID, PARAMCD) and the number of ids (missing is a value)."""

    def compute():
        ids = row_codes([df["USUBJID"], df["PARAMCD"]])
        uniq, inv = np.unique(ids, return_inverse=True)
        return inv.astype(np.int64, copy=False).reshape(-1), len(uniq)

    return _memo(adam, (name, "groups"), compute)


def _up_to_baseline(df: pd.DataFrame, adam=None, name: str = "") -> pd.Series:
    return _memo(adam, (name, "up_to_baseline"), lambda: _compute_up_to_baseline(df, adam, name))


def _compute_up_to_baseline(df: pd.DataFrame, adam=None, name: str = "") -> pd.Series:
    """True on the baseline record and on records dated on or before it (same subject and parameter).

    CHG and PCHG may be left missing there (ADaMIG: change from baseline is for post-baseline
    records); where populated they must still be right. Dates: ADT, else ADY.
    """
    bl = _baseline_mask(df, adam, name)
    date = next((c for c in ("ADT", "ADY") if c in df.columns), None)
    if date is None or not bl.any():
        return bl
    t = pd.to_datetime(df[date]) if date == "ADT" else pd.to_numeric(df[date], errors="coerce")
    if date == "ADT":
        tv = t.to_numpy().view("i8").astype("float64")
        tv[t.isna().to_numpy()] = np.nan
    else:
        tv = t.to_numpy(dtype="float64", na_value=np.nan)
    ids, k = _groups(df, adam, name)
    b = bl.to_numpy()
    ref = np.full(k, -np.inf)
    np.fmax.at(ref, ids[b], tv[b])  # the latest baseline date of the group (several: ADAM-BASE-001)
    with np.errstate(invalid="ignore"):
        before = tv <= ref[ids]  # a missing date is never on or before
    return bl | pd.Series(before, index=df.index)


@register(RULES, "ADAM-BASE-001", "ERROR", "At most one baseline record per subject and parameter")
def _one_baseline(adam, opt: ConformanceOptions) -> list[Finding]:
    out = []
    for name, df in _bds(adam, opt):
        out += count_findings(
            df.loc[_baseline_mask(df, adam, name)],
            ["USUBJID", "PARAMCD"],
            rule=RULES["ADAM-BASE-001"],
            dataset=name,
            variable="ABLFL",
            more_than=1,
            max_findings=opt.max_findings,
            message="{value} records have ABLFL = Y for this subject and parameter; one is allowed.",
        )
    return out


@register(RULES, "ADAM-BASE-002", "ERROR", "BASE equals AVAL on the baseline record")
def _base_equals_aval(adam, opt: ConformanceOptions) -> list[Finding]:
    out = []
    for name, df in _bds(adam, opt):
        if not {"BASE", "AVAL"} <= set(df.columns):
            continue
        bl = _baseline_mask(df, adam, name)
        bad = bl & _differs(_num(df, "BASE"), _num(df, "AVAL"), opt.tolerance)
        out += _rows(
            "ADAM-BASE-002",
            df.loc[bad],
            name,
            "BASE",
            df,
            opt,
            "BASE = {value} differs from AVAL = {AVAL} on the baseline record.",
            "BASE",
        )
    return out


@register(RULES, "ADAM-BASE-003", "ERROR", "BASE equals the baseline record's AVAL on every record")
def _base_carried(adam, opt: ConformanceOptions) -> list[Finding]:
    out = []
    for name, df in _bds(adam, opt):
        if not {"BASE", "AVAL"} <= set(df.columns):
            continue
        bl = _baseline_mask(df, adam, name)
        b = bl.to_numpy()
        ids, k = _groups(df, adam, name)
        n_bl = np.bincount(ids[b], minlength=k)
        if not (n_bl == 1).any():  # several baseline records: ADAM-BASE-001
            continue
        blaval = np.full(k, np.nan)
        blaval[ids[b]] = _num(df, "AVAL").to_numpy()[b]
        one = n_bl[ids] == 1
        expected = pd.Series(np.where(one, blaval[ids], np.nan), index=df.index)
        has_bl = pd.Series(one, index=df.index)
        bad = has_bl & ~bl & _differs(_num(df, "BASE"), expected, opt.tolerance)
        rows = df.loc[bad].assign(_exp=expected[bad])
        out += _rows(
            "ADAM-BASE-003",
            rows,
            name,
            "BASE",
            df,
            opt,
            "BASE = {value} differs from the baseline record's AVAL = {_exp}.",
            "BASE",
        )
    return out


@register(RULES, "ADAM-CHG-001", "ERROR", "CHG = AVAL - BASE")
def _chg(adam, opt: ConformanceOptions) -> list[Finding]:
    out = []
    for name, df in _bds(adam, opt):
        if not {"CHG", "AVAL", "BASE"} <= set(df.columns):
            continue
        chg, expected = _num(df, "CHG"), _num(df, "AVAL") - _num(df, "BASE")
        bl_ok = _up_to_baseline(df, adam, name) & (chg.isna() | ((chg - expected).abs() <= opt.tolerance))
        bad = _differs(chg, expected, opt.tolerance) & ~bl_ok
        rows = df.loc[bad].assign(_exp=expected[bad])
        out += _rows(
            "ADAM-CHG-001",
            rows,
            name,
            "CHG",
            df,
            opt,
            "CHG = {value} but AVAL - BASE = {AVAL} - {BASE} = {_exp}.",
            "CHG",
        )
    return out


@register(RULES, "ADAM-PCHG-001", "ERROR", "PCHG = 100 * (AVAL - BASE) / BASE")
def _pchg(adam, opt: ConformanceOptions) -> list[Finding]:
    out = []
    for name, df in _bds(adam, opt):
        if not {"PCHG", "AVAL", "BASE"} <= set(df.columns):
            continue
        base = _num(df, "BASE")
        pchg = _num(df, "PCHG")
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = ((_num(df, "AVAL") - base) / base * 100).where(base != 0)
        bl_ok = _up_to_baseline(df, adam, name) & (pchg.isna() | ((pchg - expected).abs() <= opt.tolerance))
        tol = opt.tolerance * np.maximum(1.0, expected.abs().fillna(0))
        am, bm = pchg.isna(), expected.isna()
        bad = ((am != bm) | (~am & ~bm & ((pchg - expected).abs() > tol))) & ~bl_ok
        rows = df.loc[bad].assign(_exp=expected[bad].round(6))
        out += _rows(
            "ADAM-PCHG-001",
            rows,
            name,
            "PCHG",
            df,
            opt,
            "PCHG = {value} but 100 * (AVAL - BASE) / BASE = {_exp} (AVAL {AVAL}, BASE {BASE}).",
            "PCHG",
        )
    return out


@register(RULES, "ADAM-CRIT-001", "ERROR", "CRITy is constant within PARAMCD")
def _crit_constant(adam, opt: ConformanceOptions) -> list[Finding]:
    out = []
    for name, df in _bds(adam, opt):
        for crit in [c for c in df.columns if _CRIT.match(c)]:
            t = pd.DataFrame({"PARAMCD": df["PARAMCD"], "_c": _txt(df[crit])})
            t = t.loc[t["_c"] != ""].drop_duplicates()
            n = t.groupby("PARAMCD", sort=True)["_c"].agg(["size", lambda s: " | ".join(sorted(s))]).reset_index()
            n.columns = ["PARAMCD", "_n", "_texts"]
            n = n.loc[n["_n"] > 1]
            out += findings_from_rows(
                n,
                rule=RULES["ADAM-CRIT-001"],
                dataset=name,
                variable=crit,
                key_cols=["PARAMCD"],
                value_col="_texts",
                max_findings=opt.max_findings,
                message=f"{crit} has {{_n}} different texts within PARAMCD {{PARAMCD}}: {{value}}.",
            )
    return out


@register(RULES, "ADAM-CRIT-002", "ERROR", "CRITyFL is Y, N or blank, and blank where CRITy is blank")
def _crit_flag(adam, opt: ConformanceOptions) -> list[Finding]:
    out = []
    for name, df in _bds(adam, opt):
        for crit in [c for c in df.columns if _CRIT.match(c)]:
            fl = f"{crit}FL"
            if fl not in df.columns:
                continue
            flag, text = _txt(df[fl]), _txt(df[crit])
            bad_value = ~flag.isin(["Y", "N", ""])
            orphan = flag.isin(["Y", "N"]) & (text == "")
            out += _rows(
                "ADAM-CRIT-002", df.loc[bad_value], name, fl, df, opt, f"{fl} = '{{value}}' must be Y, N or blank.", fl
            )
            out += _rows(
                "ADAM-CRIT-002",
                df.loc[orphan],
                name,
                fl,
                df,
                opt,
                f"{fl} = {{value}} on a record where {crit} is blank.",
                fl,
            )
    return out


def _yn_parameters(df: pd.DataFrame) -> list:
    """Responder parameters guessed from the data (no responders given, no spec endpoints): the
    PARAMCDs whose AVALC holds only Y, N or blank, with at least one Y or N."""
    if "AVALC" not in df.columns:
        return []
    t = pd.DataFrame({"P": df["PARAMCD"], "C": _txt(df["AVALC"])})
    t = t.loc[t["C"] != ""]
    ok = t.assign(yn=t["C"].isin(["Y", "N"])).groupby("P", sort=True)["yn"].all()
    return ok.index[ok].tolist()


@register(RULES, "ADAM-RESP-001", "ERROR", "Responder AVAL and AVALC agree: 1/Y, 0/N, missing/blank")
def _responder(adam, opt: ConformanceOptions) -> list[Finding]:
    codes = opt.responder_codes()
    out = []
    for name, df in _bds(adam, opt):
        if "AVAL" not in df.columns:
            continue
        sel = df["PARAMCD"].isin(codes or _yn_parameters(df))
        if not sel.any():
            continue
        aval = _num(df, "AVAL")
        avalc = _txt(df["AVALC"]) if "AVALC" in df.columns else pd.Series("", index=df.index)
        expected = pd.Series(
            np.where(aval == 1, "Y", np.where(aval == 0, "N", np.where(aval.isna(), "", "?"))), index=df.index
        )
        bad = sel & ((expected == "?") | (avalc != expected))
        rows = df.loc[bad].assign(
            _avalc=avalc[bad], _aval=aval[bad].map(lambda x: "missing" if pd.isna(x) else f"{x:g}")
        )
        out += _rows(
            "ADAM-RESP-001",
            rows,
            name,
            "AVAL, AVALC",
            df,
            opt,
            "Responder parameter {PARAMCD}: AVAL {_aval} with AVALC '{_avalc}' (expected 1/Y, 0/N or missing/blank).",
            "_aval",
        )
    return out


@register(RULES, "ADAM-FLAG-001", "ERROR", "Population flags are only Y or N")
def _population_flags(adam, opt: ConformanceOptions) -> list[Finding]:
    out = []
    for name, df in adam.items():
        for fl in [f for f in opt.population_flags if f in df.columns]:
            v = _txt(df[fl])
            bad = ~v.isin(["Y", "N"])
            out += _rows(
                "ADAM-FLAG-001",
                df.loc[bad].assign(_v=v[bad]),
                name,
                fl,
                df,
                opt,
                f"Population flag {fl} is '{{value}}'; it must be Y or N.",
                "_v",
            )
    return out


@register(RULES, "ADAM-TRT-001", "ERROR", "TRT01P is present for every randomized subject")
def _trt01p(adam, opt: ConformanceOptions) -> list[Finding]:
    sl, adsl = _subject_level(adam, opt)
    if adsl is None:
        return []
    if "TRT01P" not in adsl.columns:
        return [dataset_finding(RULES["ADAM-TRT-001"], sl, "TRT01P", f"{sl} has no TRT01P.")]
    if "RANDFL" in adsl.columns:
        rand, why = _txt(adsl["RANDFL"]) == "Y", "RANDFL = Y"
    elif "ITTFL" in adsl.columns:
        rand, why = _txt(adsl["ITTFL"]) == "Y", "ITTFL = Y"
    elif "RANDDT" in adsl.columns:
        rand, why = adsl["RANDDT"].notna(), "RANDDT present"
    else:
        rand, why = pd.Series(True, index=adsl.index), f"{sl} holds randomized subjects"
    bad = rand & blank(adsl["TRT01P"])
    return findings_from_rows(
        adsl.loc[bad],
        rule=RULES["ADAM-TRT-001"],
        dataset=sl,
        variable="TRT01P",
        key_cols=["USUBJID"],
        max_findings=opt.max_findings,
        message=f"TRT01P is missing for a randomized subject ({why}).",
    )


# -- attributes against the spec ---------------------------------------------------------


def _kind(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "date"
    if pd.api.types.is_numeric_dtype(s):
        return "numeric"
    if s.dtype == object:
        inner = s.dropna()
        if len(inner) and inner.map(lambda x: isinstance(x, (int, float, np.number)) and not isinstance(x, bool)).all():
            return "numeric"
        if len(inner) and inner.map(lambda x: hasattr(x, "year")).all():
            return "date"
    return "text"


def _spec_vars(adam, opt):
    if opt.spec is None:
        return
    for name, df in adam.items():
        ds = opt.spec.datasets.get(name)
        if ds is not None:
            yield name, df, ds


@register(RULES, "ADAM-ATTR-001", "ERROR", "Variable types match the spec")
def _types(adam, opt: ConformanceOptions) -> list[Finding]:
    rule = RULES["ADAM-ATTR-001"]
    out = []
    for name, df, ds in _spec_vars(adam, opt):
        for v in ds.variables.values():
            if v.name not in df.columns:
                continue
            s = df[v.name]
            kind = _kind(s)
            ok = {
                "text": kind == "text",
                "integer": kind == "numeric",
                "float": kind == "numeric",
                "date": kind in ("date", "numeric"),
            }.get(v.type, True)
            if s.isna().all():
                ok = True  # an all-missing column has no type to speak of
            if not ok:
                out.append(
                    dataset_finding(
                        rule,
                        name,
                        v.name,
                        f"{v.name} is {kind} ({s.dtype}) but the spec says {v.type}.",
                        value=str(s.dtype),
                    )
                )
            elif v.type == "integer" and kind == "numeric" and pd.api.types.is_float_dtype(s):
                x = pd.to_numeric(s, errors="coerce")
                bad = x.notna() & (x != np.floor(x))
                out += _rows(
                    "ADAM-ATTR-001",
                    df.loc[bad],
                    name,
                    v.name,
                    df,
                    opt,
                    f"{v.name} = {{value}} is not a whole number; the spec says integer.",
                    v.name,
                )
    return out


@register(RULES, "ADAM-ATTR-002", "ERROR", "Text values fit the spec length")
def _lengths(adam, opt: ConformanceOptions) -> list[Finding]:
    out = []
    for name, df, ds in _spec_vars(adam, opt):
        for v in ds.variables.values():
            if v.type != "text" or not v.length or v.name not in df.columns or _kind(df[v.name]) != "text":
                continue
            raw = df[v.name]
            uniq = pd.Series(raw.dropna().unique(), dtype="str")  # distinct values only: fast on millions
            nbytes = uniq.map(lambda x: len(x.encode("utf-8")))
            too_long = set(uniq[nbytes > v.length])
            if not too_long:
                continue
            s = _txt(raw)
            bad = s.isin(too_long)
            rows = df.loc[bad].assign(_len=s[bad].map(lambda x: len(x.encode("utf-8"))))
            out += _rows(
                "ADAM-ATTR-002",
                rows,
                name,
                v.name,
                df,
                opt,
                f"{v.name} is {{_len}} bytes long, over the spec length {v.length}: '{{value}}'.",
                v.name,
            )
    return out


@register(RULES, "ADAM-ATTR-003", "ERROR", "Variable labels match the spec")
def _labels(adam, opt: ConformanceOptions) -> list[Finding]:
    rule = RULES["ADAM-ATTR-003"]
    out = []
    labels = opt.labels or {}
    for name, df, ds in _spec_vars(adam, opt):
        have = labels.get(name)
        if not have:
            continue
        for v in ds.variables.values():
            if v.name in df.columns and have.get(v.name, "") != v.label:
                out.append(
                    dataset_finding(
                        rule,
                        name,
                        v.name,
                        f"Label of {v.name} is '{have.get(v.name, '')}' but the spec says '{v.label}'.",
                        value=have.get(v.name, ""),
                    )
                )
    return out


@register(RULES, "ADAM-ATTR-004", "WARNING", "Every variable in the data is defined in the spec")
def _undefined(adam, opt: ConformanceOptions) -> list[Finding]:
    rule = RULES["ADAM-ATTR-004"]
    return [
        dataset_finding(rule, name, col, f"{name}.{col} is not defined in the spec.")
        for name, df, ds in _spec_vars(adam, opt)
        for col in df.columns
        if col not in ds.variables
    ]
