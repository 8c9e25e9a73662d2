"""PROC COMPARE-grade comparison of two datasets: compute into frozen results, render elsewhere.

A double programmer compares a production dataset (BASE) with an independently programmed one
(COMPARE). :func:`compare_datasets` reads both files (XPT, Parquet, CSV or Dataset-JSON, with
whatever metadata the format carries) and :func:`compare_frames` compares two in-memory frames;
both return a :class:`CompareResult` that holds

* a dataset summary (observations, variables, dataset labels) for each side,
* a variables summary: variables only in one side, type conflicts, differing label, length,
  format and informat,
* an observations summary by ID (or by observation number when no ID is given),
* a values summary per variable (number unequal, maximum absolute difference),
* the full table of unequal values (ID, variable, base value, compare value, difference,
  percent difference), and
* a PROC COMPARE-style return code (the bits of SAS's ``SYSINFO``, see :data:`RC_BITS`).

Rendering (terminal text, HTML, .docx) lives in :mod:`adamforge.validation.compare_report`.

Numeric equality follows PROC COMPARE's ``METHOD=`` / ``CRITERION=`` (x base, y compare,
gamma the criterion): EXACT ``y == x``; ABSOLUTE ``|y - x| <= gamma``; RELATIVE
``|y - x| / ((|x| + |y|) / 2 + delta) <= gamma`` (equal when ``x = y = 0``); PERCENT
``100 |y - x| / |x| <= gamma`` (for ``x = 0``: equal only when ``y = 0``). A negative criterion
means ``|gamma|`` times the machine epsilon. The default criterion is 0.00001; giving a criterion
without a method selects RELATIVE, as in SAS. A missing value equals only a missing value.
Character values compare with trailing blanks ignored and a missing value equal to blank (as in
SAS, where a missing character value is blank).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from adamforge.errors import DataError, UsageError

__all__ = [
    "RC_BITS",
    "METHODS",
    "DEFAULT_CRITERION",
    "VariableInfo",
    "DatasetInfo",
    "AttributeDifference",
    "VariablesSummary",
    "ObservationsSummary",
    "VariableValues",
    "CompareResult",
    "read_dataset",
    "info_from_frame",
    "compare_frames",
    "compare_datasets",
    "describe_return_code",
    "values_equal",
]

# --------------------------------------------------------------------------------------------
# Return code: the bits of SAS's SYSINFO after PROC COMPARE
# --------------------------------------------------------------------------------------------
RC_BITS: tuple[tuple[int, str, str], ...] = (
    (1, "DSLABEL", "Data set labels differ"),
    (2, "DSTYPE", "Data set types differ"),
    (4, "INFORMAT", "Variable has different informat"),
    (8, "FORMAT", "Variable has different format"),
    (16, "LENGTH", "Variable has different length"),
    (32, "LABEL", "Variable has different label"),
    (64, "BASEOBS", "Base data set has observation not in comparison"),
    (128, "COMPOBS", "Comparison data set has observation not in base"),
    (256, "BASEBY", "Base data set has BY group not in comparison"),
    (512, "COMPBY", "Comparison data set has BY group not in base"),
    (1024, "BASEVAR", "Base data set has variable not in comparison"),
    (2048, "COMPVAR", "Comparison data set has variable not in base"),
    (4096, "VALUE", "A value comparison was unequal"),
    (8192, "TYPE", "Conflicting variable types"),
    (16384, "BYVAR", "BY variables do not match"),
    (32768, "ERROR", "Fatal error: comparison not done"),
)
_BIT = {name: bit for bit, name, _ in RC_BITS}

METHODS = ("exact", "absolute", "relative", "percent")
DEFAULT_CRITERION = 0.00001
_ATTRIBUTE_BIT = {
    "informat": _BIT["INFORMAT"],
    "format": _BIT["FORMAT"],
    "length": _BIT["LENGTH"],
    "label": _BIT["LABEL"],
}
_NS_PER_DAY = 86_400 * 10**9


def describe_return_code(rc: int) -> list[tuple[int, str]]:
    """The set bits of a return code with their meanings, lowest bit first.

    >>> describe_return_code(4096 + 64)
    [(64, 'Base data set has observation not in comparison'), (4096, 'A value comparison was unequal')]
    """
    return [(bit, meaning) for bit, _, meaning in RC_BITS if rc & bit]


# --------------------------------------------------------------------------------------------
# Metadata of the two sides
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class VariableInfo:
    """One variable's attributes. ``None`` means "this file format does not carry it".

    ``kind`` is ``"numeric"``, ``"character"`` or ``"datetime"`` (dates read from a date-formatted
    SAS numeric, a Parquet date/time stamp or a Dataset-JSON date/datetime column).
    """

    name: str
    kind: str
    length: int | None = None
    label: str | None = None
    format: str | None = None
    informat: str | None = None


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """One side of the comparison: where it came from and what it is."""

    role: str  # "BASE" or "COMPARE"
    source: str  # path, or a name for an in-memory frame
    file_format: str  # "XPT", "Parquet", "CSV", "Dataset-JSON", "DataFrame"
    name: str  # member / dataset name
    label: str | None
    nobs: int
    variables: tuple[VariableInfo, ...]

    @property
    def nvars(self) -> int:
        """Number of variables."""
        return len(self.variables)

    def var(self, name: str) -> VariableInfo:
        """The :class:`VariableInfo` of ``name``."""
        return self._by_name()[name]

    def _by_name(self) -> dict[str, VariableInfo]:
        return {v.name: v for v in self.variables}


def _kind(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "datetime"
    return "character"


def _normalise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Object columns holding dates become datetime64; nothing else changes (a copy if needed)."""
    out = None
    for col in df.columns:
        s = df[col]
        if s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) in ("date", "datetime", "datetime64"):
            out = df.copy() if out is None else out
            out[col] = pd.to_datetime(s)
    return df if out is None else out


def info_from_frame(
    df: pd.DataFrame,
    *,
    role: str,
    source: str = "(data frame)",
    name: str = "",
    label: str | None = None,
    file_format: str = "DataFrame",
    attributes: Mapping[str, Mapping[str, object]] | None = None,
) -> DatasetInfo:
    """Build a :class:`DatasetInfo` for an in-memory frame.

    Parameters
    ----------
    df : the data.
    role : ``"BASE"`` or ``"COMPARE"``.
    source, name, label, file_format : descriptive; ``label=None`` means "no dataset label known".
    attributes : optional ``{variable: {"label": ..., "length": ..., "format": ..., "informat": ...}}``;
        attributes not given are unknown (``None``) and are not compared.
    """
    attributes = attributes or {}
    vars_ = []
    for col in df.columns:
        a = attributes.get(col, {})
        vars_.append(
            VariableInfo(
                str(col),
                _kind(df[col]),
                _opt_int(a.get("length")),
                _opt_str(a.get("label")),
                _norm_format(a.get("format")),
                _norm_format(a.get("informat")),
            )
        )
    return DatasetInfo(role, source, file_format, name, label, len(df), tuple(vars_))


def _opt_int(v) -> int | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else int(v)


def _opt_str(v) -> str | None:
    return None if v is None else str(v)


def _norm_format(v) -> str | None:
    """``None`` stays unknown; SAS format names are compared upper-case with a trailing dot."""
    if v is None:
        return None
    s = str(v).strip().upper()
    if s and "." not in s:
        s += "."
    return s


# --------------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------------
def read_dataset(
    path: str | Path, *, role: str = "BASE", encoding: str | None = None
) -> tuple[pd.DataFrame, DatasetInfo]:
    """Read a dataset file with its metadata (through :func:`adamforge.readers.read_dataset_file`).

    Parameters
    ----------
    path : ``.xpt`` (SAS transport v5/v8, via pyreadstat: labels, lengths, formats, informats,
        dataset label; date-formatted numerics as dates), ``.parquet`` (labels etc. from pyarrow
        field metadata keys ``label``, ``length``, ``format``, ``informat`` and the schema key
        ``label`` when present), ``.csv`` (no metadata; a column is numeric when every non-blank
        value is a number without a leading zero) or ``.json`` (CDISC Dataset-JSON 1.0 or 1.1).
    role : ``"BASE"`` or ``"COMPARE"`` (used in messages).
    encoding : text encoding of an XPT or CSV file (e.g. ``"cp1252"``); default UTF-8.

    Returns
    -------
    (frame, info)

    Raises
    ------
    UsageError : the file does not exist or its extension is not one of the above.
    DataError : the file cannot be read (truncated, malformed, not in the encoding).
    """
    df, info, _ = _read_side(path, role=role, encoding=encoding)
    return df, info


def _read_side(path, *, role: str, encoding: str | None):
    """(frame, info, CSV text or None) of one side."""
    from adamforge.readers import read_dataset_file

    f = read_dataset_file(path, encoding=encoding, dates=True, what=f"{role} file")
    df = f.data
    for c in df.columns:  # SAS has one numeric type: compare integers as numbers
        if isinstance(df[c].dtype, pd.Int64Dtype) or str(df[c].dtype) == "Int64":
            df[c] = df[c].astype("float64")
    attrs = f.attributes()
    if f.file_format == "XPT":
        attrs = {c: {**a, "label": a["label"] or ""} for c, a in attrs.items()}
    df = _normalise_frame(df)
    info = info_from_frame(
        df, role=role, source=str(f.path), name=f.name, label=f.label, file_format=f.file_format, attributes=attrs
    )
    return df, info, f.text


def _retype_csv(
    df: pd.DataFrame, info: DatasetInfo, text: pd.DataFrame, other: DatasetInfo
) -> tuple[pd.DataFrame, DatasetInfo]:
    """A CSV side's columns typed like the other side's variables where the CSV text parses.

    CSV carries no types: a column the other side holds as text is compared as the text read; one
    the other side holds as numbers (dates) is compared as numbers (dates) when every non-blank
    value parses, so an XPT compared with a CSV of the same data compares those values instead of
    reporting a type conflict.
    """
    cols = {}
    for v in other.variables:
        if v.name not in df.columns or v.name not in text.columns:
            continue
        mine = info.var(v.name).kind
        if mine == v.kind:
            continue
        raw = text[v.name].astype(str)
        blank = raw.str.strip() == ""
        if v.kind == "character":
            cols[v.name] = raw.where(~blank)
        elif v.kind == "numeric":
            num = pd.to_numeric(raw.where(~blank), errors="coerce")
            if (num.notna() | blank).all():
                cols[v.name] = num.astype("float64")
        elif v.kind == "datetime":
            with contextlib.suppress(ValueError, TypeError):
                cols[v.name] = pd.to_datetime(raw.where(~blank), format="ISO8601").astype("datetime64[s]")
    if not cols:
        return df, info
    df = df.assign(**cols)
    vars_ = tuple(dataclasses.replace(x, kind=_kind(df[x.name])) if x.name in cols else x for x in info.variables)
    return df, dataclasses.replace(info, variables=vars_)


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class AttributeDifference:
    """A common variable whose attribute differs (``attribute``: type, length, label, format, informat)."""

    variable: str
    attribute: str
    base: str
    compare: str


@dataclasses.dataclass(frozen=True)
class VariablesSummary:
    """Variables in common, only in one side, and attribute differences of common variables.

    ``not_compared`` names attributes that could not be compared because one side's file format
    does not carry them (e.g. labels of a CSV file).
    """

    common: tuple[str, ...]
    base_only: tuple[str, ...]
    compare_only: tuple[str, ...]
    differences: tuple[AttributeDifference, ...]
    not_compared: tuple[str, ...]


@dataclasses.dataclass(frozen=True, eq=False)
class ObservationsSummary:
    """Observation matching. ``base_only`` / ``compare_only`` hold the ID values (or ``OBS``)."""

    n_base: int
    n_compare: int
    n_common: int
    n_with_unequal: int
    base_only: pd.DataFrame
    compare_only: pd.DataFrame

    @property
    def n_base_only(self) -> int:
        """Observations in BASE without a match in COMPARE."""
        return len(self.base_only)

    @property
    def n_compare_only(self) -> int:
        """Observations in COMPARE without a match in BASE."""
        return len(self.compare_only)

    @property
    def n_all_equal(self) -> int:
        """Matched observations whose compared values are all equal."""
        return self.n_common - self.n_with_unequal


@dataclasses.dataclass(frozen=True)
class VariableValues:
    """The values summary of one common variable."""

    variable: str
    kind: str
    n_compared: int
    n_unequal: int
    max_abs_diff: float | None  # numeric (and datetime, in days) variables with unequal values


DIFF_COLUMNS = ("VARIABLE", "BASE", "COMPARE", "DIFF", "PCTDIFF")


@dataclasses.dataclass(frozen=True, eq=False)
class CompareResult:
    """Everything a report shows; renderers only read it.

    ``differences`` has the ID columns (or ``OBS``) then :data:`DIFF_COLUMNS`: one row per unequal
    value, sorted by variable (BASE order) then ID. BASE/COMPARE are text (``.`` for a missing
    number, empty for a missing character value); DIFF = compare - base and
    PCTDIFF = 100 * DIFF / base (missing when base is 0 or either value is missing); for dates
    DIFF is in days.
    """

    base: DatasetInfo
    compare: DatasetInfo
    id_vars: tuple[str, ...]
    method: str
    criterion: float
    variables: VariablesSummary
    observations: ObservationsSummary
    values: tuple[VariableValues, ...]
    differences: pd.DataFrame
    return_code: int

    @property
    def equal(self) -> bool:
        """True when the return code is 0 (nothing differs that PROC COMPARE would report)."""
        return self.return_code == 0

    @property
    def reasons(self) -> list[tuple[int, str]]:
        """The return code's set bits with their meanings."""
        return describe_return_code(self.return_code)

    @property
    def n_unequal_values(self) -> int:
        """Total number of values that compare unequal."""
        return sum(v.n_unequal for v in self.values)

    def summary(self) -> dict:
        """A JSON-ready summary (counts, return code, attribute differences)."""
        obs = self.observations
        return {
            "base": {
                "source": self.base.source,
                "format": self.base.file_format,
                "name": self.base.name,
                "label": self.base.label,
                "nobs": self.base.nobs,
                "nvars": self.base.nvars,
            },
            "compare": {
                "source": self.compare.source,
                "format": self.compare.file_format,
                "name": self.compare.name,
                "label": self.compare.label,
                "nobs": self.compare.nobs,
                "nvars": self.compare.nvars,
            },
            "id_vars": list(self.id_vars),
            "method": self.method,
            "criterion": self.criterion,
            "variables_base_only": list(self.variables.base_only),
            "variables_compare_only": list(self.variables.compare_only),
            "attribute_differences": [dataclasses.asdict(d) for d in self.variables.differences],
            "observations_common": obs.n_common,
            "observations_base_only": obs.n_base_only,
            "observations_compare_only": obs.n_compare_only,
            "values_unequal": self.n_unequal_values,
            "variables_unequal": [v.variable for v in self.values if v.n_unequal],
            "return_code": self.return_code,
            "return_code_meanings": [m for _, m in self.reasons],
            "equal": self.equal,
        }


# --------------------------------------------------------------------------------------------
# Value equality (vectorised)
# --------------------------------------------------------------------------------------------
def _gamma(criterion: float) -> float:
    return abs(criterion) * np.finfo(float).eps if criterion < 0 else criterion


def values_equal(
    base: np.ndarray,
    compare: np.ndarray,
    *,
    method: str = "exact",
    criterion: float = DEFAULT_CRITERION,
    delta: float = 0.0,
) -> np.ndarray:
    """Element-wise equality of two float arrays under PROC COMPARE's METHOD= and CRITERION=.

    A missing value (NaN) equals only a missing value.

    >>> values_equal(np.array([1.0, 100.0, np.nan]), np.array([1.0 + 1e-9, 100.1, np.nan]), method="relative")
    array([ True, False,  True])
    """
    x = np.asarray(base, dtype="float64")
    y = np.asarray(compare, dtype="float64")
    nx, ny = np.isnan(x), np.isnan(y)
    g = _gamma(criterion)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if method == "exact":
            eq = x == y
        elif method == "absolute":
            eq = np.abs(y - x) <= g
        elif method == "relative":
            eq = (np.abs(y - x) <= g * ((np.abs(x) + np.abs(y)) / 2 + delta)) | ((x == 0) & (y == 0))
        elif method == "percent":
            eq = np.where(x == 0, y == 0, 100 * np.abs(y - x) <= g * np.abs(x))
        else:
            raise UsageError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    return (eq & ~nx & ~ny) | (nx & ny)


def _as_float(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(s):
        return s.astype("float64").to_numpy()
    return s.to_numpy(dtype="float64", na_value=np.nan)


def _as_ns(s: pd.Series) -> np.ndarray:
    """datetime64 of any unit -> int64 nanoseconds, NaT as the int64 minimum."""
    return s.astype("datetime64[ns]").to_numpy().view("int64")


def _arrow_text(s: pd.Series):
    """A character column as a pyarrow string array (zero-copy for pandas' Arrow-backed ``str``)."""
    import pyarrow as pa

    try:
        a = pa.array(s, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        a = pa.array(s.astype(str).where(s.notna()), from_pandas=True)
    if not pa.types.is_large_string(a.type):  # one string type, whatever the reader made
        a = a.cast(pa.large_string())
    return a


def _text_norm(a):
    """SAS semantics: missing is blank, trailing blanks do not count."""
    import pyarrow.compute as pac

    return pac.utf8_rtrim(pac.fill_null(a, ""), characters=" ")


# --------------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------------
def _key_codes(
    base: pd.DataFrame, compare: pd.DataFrame, ids: Sequence[str], kinds: Mapping[str, str]
) -> tuple[np.ndarray, np.ndarray, int]:
    """Integer codes of the ID values, shared by both sides and increasing in ID sort order."""
    import pyarrow as pa

    nb = len(base)
    code = None
    for v in ids:
        if kinds[v] == "character":
            both = pd.Series(
                pd.arrays.ArrowExtensionArray(
                    pa.chunked_array([_text_norm(_arrow_text(base[v])), _text_norm(_arrow_text(compare[v]))])
                )
            )
        elif kinds[v] == "datetime":
            both = np.concatenate([_as_ns(base[v]), _as_ns(compare[v])])
        else:
            both = np.concatenate([_as_float(base[v]), _as_float(compare[v])])
        c, u = pd.factorize(both, sort=True, use_na_sentinel=False)
        c = c.astype("int64")
        if code is None:
            code, k = c, len(u)
        else:
            code, uniq = pd.factorize(code * len(u) + c, sort=True)
            code, k = code.astype("int64"), len(uniq)
    return code[:nb], code[nb:], k


def _duplicate_problems(
    frame: pd.DataFrame, codes: np.ndarray, k: int, ids: Sequence[str], role: str, limit: int = 20
) -> list[str]:
    counts = np.bincount(codes, minlength=k)
    dup_codes = np.flatnonzero(counts > 1)
    if not len(dup_codes):
        return []
    first = np.full(k, -1, dtype="int64")
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    problems = []
    for code in dup_codes[:limit]:
        rec = frame.iloc[int(first[code])]
        problems.append(
            f"{role}: duplicate ID "
            + ", ".join(f"{v}={_fmt_key(rec[v])}" for v in ids)
            + f" ({counts[code]} observations)"
        )
    if len(dup_codes) > limit:
        problems.append(f"{role}: ... and {len(dup_codes) - limit} more duplicated ID values")
    return problems


def _fmt_key(k) -> str:
    if isinstance(k, (float, np.floating)):
        return _fmt_num(float(k))
    return str(k)


def _fmt_num(v: float) -> str:
    if np.isnan(v):
        return "."
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(float(v))


def _fmt_values(arr: np.ndarray, kind: str) -> np.ndarray:
    if kind == "numeric":
        return np.array([_fmt_num(float(v)) for v in arr], dtype=object)
    if kind == "datetime":
        out = []
        for v in arr:
            if v == np.iinfo("int64").min:
                out.append(".")
                continue
            ts = pd.Timestamp(int(v), unit="ns")
            out.append(ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.isoformat())
        return np.array(out, dtype=object)
    return np.array(
        ["" if (v is None or (isinstance(v, float) and np.isnan(v))) else str(v) for v in arr], dtype=object
    )


def _resolve_method(method: str | None, criterion: float | None) -> tuple[str, float]:
    if method is not None and method.lower() not in METHODS:
        raise UsageError(f"--method must be one of {', '.join(METHODS)}, not {method!r}")
    if method is None:
        method = "relative" if criterion is not None else "exact"
    return method.lower(), (DEFAULT_CRITERION if criterion is None else float(criterion))


def compare_frames(
    base: pd.DataFrame,
    compare: pd.DataFrame,
    *,
    id_vars: Sequence[str] | None = None,
    method: str | None = None,
    criterion: float | None = None,
    delta: float = 0.0,
    base_info: DatasetInfo | None = None,
    compare_info: DatasetInfo | None = None,
    variables: Sequence[str] | None = None,
) -> CompareResult:
    """Compare two frames, PROC COMPARE style.

    Parameters
    ----------
    base, compare : the two datasets (BASE is the reference, e.g. production).
    id_vars : variables that identify an observation (PROC COMPARE's ID statement). They must be
        in both frames, of the same type, and unique within each frame. ``None`` matches
        observations by position.
    method : ``"exact"``, ``"absolute"``, ``"relative"`` or ``"percent"``; default EXACT, or
        RELATIVE when a criterion is given (as in SAS).
    criterion : the tolerance (default 0.00001; negative means ``|criterion|`` machine epsilons).
    delta : the RELATIVE method's denominator constant (default 0).
    base_info, compare_info : metadata (labels, lengths, formats); default: from the frames,
        with attributes unknown.
    variables : compare only these variables (PROC COMPARE's VAR statement); default all.

    Returns
    -------
    CompareResult

    Raises
    ------
    DataError : ID variables missing, of conflicting types, or duplicated (every duplicated ID
        value of both sides is named).
    """
    import pyarrow.compute as pac

    method, criterion = _resolve_method(method, criterion)
    base = _normalise_frame(base)
    compare = _normalise_frame(compare)
    bi = base_info or info_from_frame(base, role="BASE")
    ci = compare_info or info_from_frame(compare, role="COMPARE")
    ids = tuple(id_vars or ())
    bcols = [str(c) for c in base.columns]
    ccols = [str(c) for c in compare.columns]

    # -- ID checks: every problem at once --------------------------------------------------
    problems = []
    for role, cols in (("BASE", bcols), ("COMPARE", ccols)):
        missing = [v for v in ids if v not in cols]
        if missing:
            problems.append(f"{role}: ID variable(s) not found: {', '.join(missing)}")
    if not problems:
        for v in ids:
            if bi.var(v).kind != ci.var(v).kind:
                problems.append(f"ID variable {v} is {bi.var(v).kind} in BASE but {ci.var(v).kind} in COMPARE")
    if problems:
        raise DataError("cannot match observations by ID", problems)
    kinds = {v: bi.var(v).kind for v in ids}

    # -- variables summary -------------------------------------------------------------------
    if variables is not None:
        wanted = [v for v in variables if v not in ids]
        absent = [v for v in wanted if v not in bcols and v not in ccols]
        if absent:
            raise UsageError(f"variable(s) to compare not found in either data set: {', '.join(absent)}")
        bvars = [v for v in bcols if v in wanted or v in ids]
        cvars = [v for v in ccols if v in wanted or v in ids]
    else:
        bvars, cvars = bcols, ccols
    cset, bset = set(cvars), set(bvars)
    common = tuple(v for v in bvars if v in cset)
    base_only = tuple(v for v in bvars if v not in cset)
    compare_only = tuple(v for v in cvars if v not in bset)
    diffs: list[AttributeDifference] = []
    not_compared: set[str] = set()
    rc = 0
    for v in common:
        b, c = bi.var(v), ci.var(v)
        if b.kind != c.kind:
            diffs.append(AttributeDifference(v, "type", b.kind, c.kind))
            rc |= _BIT["TYPE"]
        for attr in ("length", "label", "format", "informat"):
            bv, cv = getattr(b, attr), getattr(c, attr)
            if bv is None or cv is None:
                if not (bv is None and cv is None) or attr != "informat":
                    side = "BASE" if bv is None else "COMPARE"
                    fmt = bi.file_format if bv is None else ci.file_format
                    not_compared.add(f"{attr} (not carried by {side}, {fmt})")
                continue
            if attr == "length" and b.kind != c.kind:
                continue
            if bv != cv:
                diffs.append(AttributeDifference(v, attr, str(bv), str(cv)))
                rc |= _ATTRIBUTE_BIT[attr]
    if base_only:
        rc |= _BIT["BASEVAR"]
    if compare_only:
        rc |= _BIT["COMPVAR"]
    if bi.label is not None and ci.label is not None and bi.label != ci.label:
        rc |= _BIT["DSLABEL"]
    elif (bi.label is None) != (ci.label is None):
        not_compared.add(f"data set label (not carried by {'BASE' if bi.label is None else 'COMPARE'})")

    # -- observation matching ------------------------------------------------------------
    if ids:
        cb, cc, k = _key_codes(base, compare, ids, kinds)
        dups = _duplicate_problems(base, cb, k, ids, "BASE") + _duplicate_problems(compare, cc, k, ids, "COMPARE")
        if dups:
            raise DataError(
                f"duplicate ID values for ID variables {', '.join(ids)}: PROC COMPARE requires unique IDs", dups
            )
        pos_b = np.full(k, -1, dtype="int64")
        pos_b[cb] = np.arange(len(cb))
        pos_c = np.full(k, -1, dtype="int64")
        pos_c[cc] = np.arange(len(cc))
        has_b, has_c = pos_b >= 0, pos_c >= 0
        pb = pos_b[has_b & has_c]  # in ID order: codes increase with the ID values
        pc = pos_c[has_b & has_c]
        b_only_pos = pos_b[has_b & ~has_c]
        c_only_pos = pos_c[has_c & ~has_b]
        base_only_obs = base.iloc[b_only_pos][list(ids)].reset_index(drop=True)
        compare_only_obs = compare.iloc[c_only_pos][list(ids)].reset_index(drop=True)
        key_out = base.iloc[pb][list(ids)].reset_index(drop=True)
    else:
        n = min(len(base), len(compare))
        pb = pc = np.arange(n)
        base_only_obs = pd.DataFrame({"OBS": np.arange(n, len(base)) + 1})
        compare_only_obs = pd.DataFrame({"OBS": np.arange(n, len(compare)) + 1})
        key_out = pd.DataFrame({"OBS": pb + 1})
    if len(base_only_obs):
        rc |= _BIT["BASEOBS"]
    if len(compare_only_obs):
        rc |= _BIT["COMPOBS"]

    # -- values ------------------------------------------------------------------------------
    values: list[VariableValues] = []
    pieces: list[pd.DataFrame] = []
    any_uneq = np.zeros(len(pb), dtype=bool)
    type_conflicts = {d.variable for d in diffs if d.attribute == "type"}
    for v in common:
        if v in ids or v in type_conflicts:
            continue
        kind = bi.var(v).kind
        bs, cs = base[v], compare[v]
        diff = pct = None
        if kind == "numeric":
            x, y = _as_float(bs)[pb], _as_float(cs)[pc]
            eq = values_equal(x, y, method=method, criterion=criterion, delta=delta)
        elif kind == "datetime":
            x, y = _as_ns(bs)[pb], _as_ns(cs)[pc]
            eq = x == y  # NaT == NaT here (same int64 sentinel): both missing is equal
        else:
            xa = _arrow_text(bs).take(pb)
            ya = _arrow_text(cs).take(pc)
            eq = np.asarray(pac.equal(_text_norm(xa), _text_norm(ya)), dtype=bool)
        uneq = ~eq
        n_uneq = int(uneq.sum())
        maxdiff = None
        if n_uneq:
            any_uneq |= uneq
            idx = np.flatnonzero(uneq)
            if kind == "character":
                xs = np.array(xa.take(idx).to_pylist(), dtype=object)
                ys = np.array(ya.take(idx).to_pylist(), dtype=object)
            else:
                xs, ys = x[idx], y[idx]
            if kind == "numeric":
                with np.errstate(invalid="ignore", divide="ignore"):
                    diff = ys - xs
                    pct = np.where(xs == 0, np.nan, diff / xs * 100)
            elif kind == "datetime":
                nat = np.iinfo("int64").min
                ok = (xs != nat) & (ys != nat)
                diff = np.where(ok, (ys - xs) / _NS_PER_DAY, np.nan)
                pct = np.full(len(idx), np.nan)
            else:
                diff = pct = np.full(len(idx), np.nan)
            if kind != "character" and np.isfinite(diff).any():
                maxdiff = float(np.nanmax(np.abs(diff)))
            piece = key_out.iloc[idx].reset_index(drop=True)
            piece["VARIABLE"] = v
            piece["BASE"] = _fmt_values(xs, kind)
            piece["COMPARE"] = _fmt_values(ys, kind)
            piece["DIFF"] = diff.astype("float64")
            piece["PCTDIFF"] = pct.astype("float64")
            pieces.append(piece)
        values.append(VariableValues(v, kind, len(pb), n_uneq, maxdiff))
    if any(v.n_unequal for v in values):
        rc |= _BIT["VALUE"]
    key_cols = list(key_out.columns)
    if pieces:
        differences = pd.concat(pieces, ignore_index=True)
    else:
        differences = pd.DataFrame({c: key_out[c].iloc[:0] for c in key_cols})
        for c in DIFF_COLUMNS:
            differences[c] = pd.Series([], dtype="float64" if c in ("DIFF", "PCTDIFF") else object)
    differences["VARIABLE"] = differences["VARIABLE"].astype(object)
    return CompareResult(
        base=bi,
        compare=ci,
        id_vars=ids,
        method=method,
        criterion=criterion,
        variables=VariablesSummary(common, base_only, compare_only, tuple(diffs), tuple(sorted(not_compared))),
        observations=ObservationsSummary(
            len(base), len(compare), len(pb), int(any_uneq.sum()), base_only_obs, compare_only_obs
        ),
        values=tuple(values),
        differences=differences,
        return_code=rc,
    )


def compare_datasets(
    base_path: str | Path,
    compare_path: str | Path,
    *,
    id_vars: Sequence[str] | None = None,
    method: str | None = None,
    criterion: float | None = None,
    delta: float = 0.0,
    variables: Sequence[str] | None = None,
    encoding: str | None = None,
    base_encoding: str | None = None,
    compare_encoding: str | None = None,
) -> CompareResult:
    """Read two dataset files (see :func:`read_dataset`) and compare them (see :func:`compare_frames`).

    ``encoding`` applies to both files, ``base_encoding`` / ``compare_encoding`` to one side each
    (they win over ``encoding``). A CSV side's text is compared as numbers or dates where the other
    side holds numbers or dates and every value parses (CSV carries no types).

    >>> res = compare_datasets("prod/adsl.xpt", "qc/adsl.parquet", id_vars=["USUBJID"])  # doctest: +SKIP
    >>> res.return_code, res.equal                                                        # doctest: +SKIP
    (0, True)
    """
    bdf, bi, btext = _read_side(base_path, role="BASE", encoding=base_encoding or encoding)
    cdf, ci, ctext = _read_side(compare_path, role="COMPARE", encoding=compare_encoding or encoding)
    if btext is not None and ctext is None:
        bdf, bi = _retype_csv(bdf, bi, btext, ci)
    elif ctext is not None and btext is None:
        cdf, ci = _retype_csv(cdf, ci, ctext, bi)
    return compare_frames(
        bdf,
        cdf,
        id_vars=id_vars,
        method=method,
        criterion=criterion,
        delta=delta,
        base_info=bi,
        compare_info=ci,
        variables=variables,
    )


def split_id_option(values: Iterable[str] | None) -> list[str]:
    """``["USUBJID,PARAMCD", "AVISIT"]`` -> ``["USUBJID", "PARAMCD", "AVISIT"]`` (CLI helper)."""
    out: list[str] = []
    for v in values or ():
        out.extend(x for x in re.split(r"[,\s]+", v) if x)
    return out
