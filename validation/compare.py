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
    vars_ = tuple(_variable_info(col, _kind(df[col]), attributes.get(col, {})) for col in df.columns)
    return DatasetInfo(role, source, file_format, name, label, len(df), vars_)


def _variable_info(col, kind: str, a: Mapping[str, object]) -> VariableInfo:
    return VariableInfo(
        str(col),
        kind,
        _opt_int(a.get("length")),
        _opt_str(a.get("label")),
        _norm_format(a.get("format")),
        _norm_format(a.get("informat")),
    )


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
    df = _as_read(f.data)
    attrs = f.attributes()
    if f.file_format == "XPT":
        attrs = {c: {**a, "label": a["label"] or ""} for c, a in attrs.items()}
    info = info_from_frame(
        df, role=role, source=str(f.path), name=f.name, label=f.label, file_format=f.file_format, attributes=attrs
    )
    return df, info, f.text


def _as_read(df: pd.DataFrame) -> pd.DataFrame:
    """A frame from the reader as compared: integers as numbers (SAS has one numeric type), object
    columns of dates as datetime64. Column by column, so a part of a table converts as the whole."""
    for c in df.columns:
        if isinstance(df[c].dtype, pd.Int64Dtype) or str(df[c].dtype) == "Int64":
            df[c] = df[c].astype("float64")
    return _normalise_frame(df)


def _open_side(path, *, role: str, encoding: str | None, ids: Sequence[str] = ()):
    """(side, info, CSV text or None): a Parquet file straight into Arrow, any other through the reader."""
    got = _parquet_side(path, role=role, encoding=encoding, ids=ids)
    if got is not None:
        return got[0], got[1], None
    df, info, text = _read_side(path, role=role, encoding=encoding)
    return _FrameSide(df), info, text


def _fast_kind(t) -> str | None:
    """The kind of an Arrow type compared straight from Arrow; None: converted as the reader does."""
    import pyarrow as pa

    if pa.types.is_integer(t) or pa.types.is_float32(t) or pa.types.is_float64(t):
        return "numeric"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "character"
    return None


def _parquet_side(path, *, role: str, encoding: str | None, ids: Sequence[str] = ()):
    """(side, info) of a Parquet file read into Arrow, or None to read it with the common reader.

    The same data and metadata as :func:`adamforge.readers.read_dataset_file` gives (field metadata
    ``label``, ``length``, ``format``, ``informat``; schema keys ``name``, ``label``), without making
    a pandas frame of the whole table: numbers and text are compared from Arrow; only ID variables
    and columns of other types (dates, booleans, categories) are converted, column by column as
    the reader converts them. Text columns other than the ``ids`` are read as Arrow dictionaries
    (as most Parquet writers store them): less to decode, and values compare by their codes. Files
    the reader must read (not found, another format, unreadable, duplicated or non-text column names)
    return None: the reader reads them, or says why it cannot.
    """
    import pyarrow.parquet as pq

    from adamforge.readers import check_encoding, file_format, parquet_metadata

    p = Path(path)
    if file_format(p) != "Parquet" or not p.is_file():
        return None
    check_encoding(encoding)
    try:
        schema = pq.read_schema(p)
        pmd = schema.pandas_metadata or {}
        index_cols = {c for c in pmd.get("index_columns", []) if isinstance(c, str)}
        if len(set(schema.names)) != len(schema.names) or any(
            c.get("name") != c.get("field_name")
            for c in pmd.get("columns", [])
            if c.get("field_name") not in index_cols
        ):
            return None
        names = [n for n in schema.names if n not in index_cols]  # a stored index is not data (pandas' index)
        fast = {n: k for n in names if (k := _fast_kind(schema.field(n).type)) is not None}  # the file's types
        slow = [n for n in names if n not in fast]
        text = [n for n, k in fast.items() if k == "character" and n not in ids]
        # the file's own reader: what pq.read_table reads, without starting the datasets machinery
        with pq.ParquetFile(p, read_dictionary=text) as pf:
            table = pf.read()
        if text and any(table.column(c).num_chunks > 1 for c in text):
            table = table.unify_dictionaries()  # one dictionary per column, whatever the row groups
        other = _as_read(table.select(slow).to_pandas()).reset_index(drop=True) if slow else None
    except Exception:  # noqa: BLE001 - a file pyarrow cannot read: the reader says why, in its words
        return None
    meta, name, label = parquet_metadata(schema, p)
    attrs = {
        n: {"label": m.label, "length": m.length, "format": m.format, "informat": m.informat} for n, m in meta.items()
    }
    kinds = {n: fast[n] if n in fast else _kind(other[n]) for n in names}  # type: ignore[index]
    info = DatasetInfo(
        role,
        str(p),
        "Parquet",
        name,
        label,
        table.num_rows,
        tuple(_variable_info(n, kinds[n], attrs[n]) for n in names),
    )
    return _TableSide(table.select(names), other), info


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
    g = _gamma(criterion)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if method == "exact":
            eq = x == y
        elif method == "absolute":
            d = y - x
            eq = np.abs(d, out=d) <= g
        elif method == "relative":
            eq = (np.abs(y - x) <= g * ((np.abs(x) + np.abs(y)) / 2 + delta)) | ((x == 0) & (y == 0))
        elif method == "percent":
            eq = np.where(x == 0, y == 0, 100 * np.abs(y - x) <= g * np.abs(x))
        else:
            raise UsageError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    # every rule above is False when x or y is missing; of the values found unequal, those
    # missing on both sides are equal
    bad = np.flatnonzero(~eq)
    if len(bad):
        eq[bad] = np.isnan(x[bad]) & np.isnan(y[bad])
    return eq


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
class _FrameSide:
    """One side held as a pandas frame (:func:`compare_frames`; files the common reader reads)."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self.nrows = len(df)
        self.columns = [str(c) for c in df.columns]

    def floats(self, col: str) -> np.ndarray:
        return _as_float(self.df[col])

    def ns(self, col: str) -> np.ndarray:
        return _as_ns(self.df[col])

    def text(self, col: str):
        return _arrow_text(self.df[col])

    def frame(self, cols: Sequence[str]) -> pd.DataFrame:
        """The columns as a frame (index 0..n-1), as the reader gave them."""
        return self.df[list(cols)].reset_index(drop=True)


class _TableSide:
    """One Parquet side held as an Arrow table (see :func:`_parquet_side`): numbers and text are
    read from Arrow; ``other`` holds the columns of other types converted as the reader converts them."""

    def __init__(self, table, other: pd.DataFrame | None) -> None:
        self.table = table
        self.other = other if other is not None else pd.DataFrame(index=pd.RangeIndex(table.num_rows))
        self.nrows = table.num_rows
        self.columns = list(table.column_names)

    def floats(self, col: str) -> np.ndarray:
        import pyarrow as pa

        if col in self.other.columns:
            return _as_float(self.other[col])
        col_ = self.table.column(col)
        if not self.nrows:
            return np.empty(0, dtype="float64")
        if col_.num_chunks == 1 and col_.null_count == 0 and pa.types.is_float64(col_.type):
            return col_.chunk(0).to_numpy(zero_copy_only=True)  # read-only, not copied
        return np.asarray(col_.to_numpy(), dtype="float64")  # nulls as NaN, as pandas converts them

    def ns(self, col: str) -> np.ndarray:
        return _as_ns(self.other[col])

    def text(self, col: str):
        import pyarrow as pa

        if col in self.other.columns:
            return _arrow_text(self.other[col])
        c = self.table.column(col)
        a = c.chunk(0) if c.num_chunks == 1 else c.combine_chunks()
        if pa.types.is_dictionary(a.type):  # read as a dictionary (see _parquet_side): kept
            return a
        return a if pa.types.is_large_string(a.type) else a.cast(pa.large_string())

    def frame(self, cols: Sequence[str]) -> pd.DataFrame:
        """The columns as a pandas frame (index 0..n-1), converted as the reader converts the whole table."""
        arrow = [c for c in cols if c not in self.other.columns]
        conv = _as_read(self.table.select(arrow).to_pandas()).reset_index(drop=True) if arrow else None
        out = pd.DataFrame(index=pd.RangeIndex(self.nrows))
        for c in cols:
            out[c] = conv[c] if conv is not None and c in conv.columns else self.other[c]
        return out


def _pick(a, sel: slice | np.ndarray):
    """The elements ``sel`` (a slice or positions) of an Arrow array."""
    if isinstance(sel, slice):
        start, stop, _ = sel.indices(len(a))
        return a if (start, stop) == (0, len(a)) else a.slice(start, stop - start)
    return a.take(sel)


def _text_equal(xa, ya) -> np.ndarray:
    """Element-wise equality of two text arrays, SAS semantics (see :func:`_text_norm`). Two
    dictionary arrays compare by codes: their dictionaries' normalised values are coded once."""
    import pyarrow as pa
    import pyarrow.compute as pac

    if pa.types.is_dictionary(xa.type) and pa.types.is_dictionary(ya.type):
        nx = _text_norm(xa.dictionary.cast(pa.large_string()))
        ny = _text_norm(ya.dictionary.cast(pa.large_string()))
        enc = pa.concat_arrays([nx, ny, pa.array([""], pa.large_string())]).dictionary_encode().indices.to_numpy()
        blank = enc[-1]
        return _dict_codes(xa, enc[: len(nx)], blank) == _dict_codes(ya, enc[len(nx) : -1], blank)
    return np.array(pac.equal(_text_norm(_plain_text(xa)), _text_norm(_plain_text(ya))), dtype=bool)


def _dict_codes(a, mapping: np.ndarray, blank) -> np.ndarray:
    """A dictionary array's values as the codes ``mapping`` gives its dictionary; missing is ``blank``."""
    import pyarrow.compute as pac

    if a.indices.null_count == 0:
        return mapping[a.indices.to_numpy()]
    if not len(mapping):
        return np.full(len(a), blank)
    i = pac.fill_null(a.indices, -1).to_numpy()
    return np.where(i >= 0, mapping[np.maximum(i, 0)], blank)


def _plain_text(a):
    """A text array as large_string (a dictionary array decoded)."""
    import pyarrow as pa

    if pa.types.is_dictionary(a.type):
        return a.dictionary_decode().cast(pa.large_string())
    return a


def _text_codes(a, b) -> tuple[np.ndarray, int]:
    """Integer codes of the text of two Arrow arrays (one after the other), increasing in sort order:
    what ``pd.factorize(..., sort=True)`` gives, by a hash in Arrow and a sort of the distinct values."""
    import pyarrow as pa
    import pyarrow.compute as pac

    parts = [_text_norm(x) if x.null_count or pac.any(pac.ends_with(x, " ")).as_py() else x for x in (a, b)]
    chunks = [c for x in parts for c in (x.chunks if isinstance(x, pa.ChunkedArray) else [x])]
    enc = pa.chunked_array(chunks, type=pa.large_string()).dictionary_encode()  # one dictionary for all chunks
    if not enc.num_chunks:
        return np.empty(0, dtype="int64"), 0
    uniq = enc.chunks[-1].dictionary
    if any(len(c.dictionary) != len(uniq) for c in enc.chunks):  # not expected: code them as one array
        enc = pa.chunked_array([pa.chunked_array(chunks, type=pa.large_string()).combine_chunks().dictionary_encode()])
        uniq = enc.chunks[0].dictionary
    rank = np.empty(len(uniq), dtype="int64")
    rank[pac.sort_indices(uniq).to_numpy()] = np.arange(len(uniq), dtype="int64")
    return np.concatenate([rank[c.indices.to_numpy()] for c in enc.chunks]), len(uniq)


def _sorted_text_codes(a, b) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Codes of one text ID when BASE is sorted by it without duplicates (as ADaM data sets are),
    else None: BASE's codes are its positions, a COMPARE value found in BASE takes its position
    (one hash of BASE), the others come after, in their sort order. Any COMPARE duplicate: None (the
    general coding names every duplicate)."""
    import pyarrow.compute as pac

    x, y = (_text_norm(v) if v.null_count or pac.any(pac.ends_with(v, " ")).as_py() else v for v in (a, b))
    n = len(x)
    if n > 1 and not pac.all(pac.less(x.slice(0, n - 1), x.slice(1))).as_py():
        return None
    pos = pac.fill_null(pac.index_in(y, value_set=x), -1).to_numpy().astype("int64")
    found = pos >= 0
    if found.any() and np.bincount(pos[found], minlength=n).max() > 1:
        return None
    rest = np.flatnonzero(~found)
    cc, k = pos, n
    if len(rest):
        only, nuniq = _text_codes(y.take(rest), y.take(rest[:0]))
        if nuniq < len(rest):
            return None
        cc[rest] = n + only
        k = n + nuniq
    return np.arange(n, dtype="int64"), cc, k


def _key_codes(bs, cs, ids: Sequence[str], kinds: Mapping[str, str]) -> tuple[np.ndarray, np.ndarray, int]:
    """Integer codes of the ID values, shared by both sides: equal IDs, equal codes. BASE's codes
    increase in ID sort order, and so do those of COMPARE values not in BASE among themselves (all
    that ordering needs; the general coding orders every code, :func:`_sorted_text_codes` puts the
    COMPARE-only values after BASE's)."""
    if len(ids) == 1 and kinds[ids[0]] == "character":
        got = _sorted_text_codes(bs.text(ids[0]), cs.text(ids[0]))
        if got is not None:
            return got
    nb = bs.nrows
    code = None
    k = 0
    for v in ids:
        if kinds[v] == "character":
            c, n = _text_codes(bs.text(v), cs.text(v))
        else:
            if kinds[v] == "datetime":
                both = np.concatenate([bs.ns(v), cs.ns(v)])
            else:
                both = np.concatenate([bs.floats(v), cs.floats(v)])
            c, u = pd.factorize(both, sort=True, use_na_sentinel=False)
            c, n = c.astype("int64"), len(u)
        if code is None:
            code, k = c, n
        else:
            code, uniq = pd.factorize(code * n + c, sort=True)
            code, k = code.astype("int64"), len(uniq)
    assert code is not None
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
    base = _normalise_frame(base)
    compare = _normalise_frame(compare)
    bi = base_info or info_from_frame(base, role="BASE")
    ci = compare_info or info_from_frame(compare, role="COMPARE")
    return _compare(
        _FrameSide(base),
        _FrameSide(compare),
        bi,
        ci,
        id_vars=id_vars,
        method=method,
        criterion=criterion,
        delta=delta,
        variables=variables,
    )


def _compare(
    bs: _FrameSide | _TableSide,
    cs: _FrameSide | _TableSide,
    bi: DatasetInfo,
    ci: DatasetInfo,
    *,
    id_vars: Sequence[str] | None,
    method: str | None,
    criterion: float | None,
    delta: float,
    variables: Sequence[str] | None,
) -> CompareResult:
    """:func:`compare_frames` on two sides (pandas frames or Arrow tables)."""
    method, criterion = _resolve_method(method, criterion)
    ids = tuple(id_vars or ())
    bcols = bs.columns
    ccols = cs.columns

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
        bids, cids = bs.frame(ids), cs.frame(ids)
        cb, cc, k = _key_codes(bs, cs, ids, kinds)
        dups = _duplicate_problems(bids, cb, k, ids, "BASE") + _duplicate_problems(cids, cc, k, ids, "COMPARE")
        if dups:
            raise DataError(
                f"duplicate ID values for ID variables {', '.join(ids)}: PROC COMPARE requires unique IDs", dups
            )
        # values are compared in BASE order (BASE rows not gathered when all match); what is
        # listed is put in ID order by the codes, which increase with the ID values
        pos_c = np.full(k, -1, dtype="int64")
        pos_c[cc] = np.arange(len(cc))
        in_b = np.zeros(k, dtype=bool)
        in_b[cb] = True
        cmap = pos_c[cb]  # each BASE observation's COMPARE observation, -1 for none
        matched = cmap >= 0
        n_common = int(matched.sum())
        b_only_pos = np.flatnonzero(~matched)
        xsel: slice | np.ndarray
        ysel: slice | np.ndarray
        if n_common:  # every BASE observation, those without a match set equal (no BASE gather)
            xsel, ysel = slice(0, bs.nrows), np.where(matched, cmap, cmap[np.argmax(matched)])
            unmatched = b_only_pos
        else:
            xsel = ysel = unmatched = np.arange(0, dtype="int64")
        order: np.ndarray | None = cb
        c_only_pos = np.flatnonzero(~in_b[cc])
        b_only_pos = b_only_pos[np.argsort(cb[b_only_pos], kind="stable")]
        c_only_pos = c_only_pos[np.argsort(cc[c_only_pos], kind="stable")]
        base_only_obs = bids.iloc[b_only_pos].reset_index(drop=True)
        compare_only_obs = cids.iloc[c_only_pos].reset_index(drop=True)
    else:
        n_common = min(bs.nrows, cs.nrows)
        xsel = ysel = slice(0, n_common)
        unmatched = np.arange(0, dtype="int64")
        order = None
        base_only_obs = pd.DataFrame({"OBS": np.arange(n_common, bs.nrows) + 1})
        compare_only_obs = pd.DataFrame({"OBS": np.arange(n_common, cs.nrows) + 1})

    def base_rows(idx: np.ndarray) -> np.ndarray:
        """BASE observations of the matched observations ``idx`` (positions in ``xsel``)."""
        return idx + xsel.start if isinstance(xsel, slice) else xsel[idx]

    def key_rows(rows: np.ndarray) -> pd.DataFrame:
        """The ID values (or OBS) of BASE observations ``rows``."""
        if ids:
            return bids.iloc[rows].reset_index(drop=True)
        return pd.DataFrame({"OBS": rows + 1})

    if len(base_only_obs):
        rc |= _BIT["BASEOBS"]
    if len(compare_only_obs):
        rc |= _BIT["COMPOBS"]

    # -- values ------------------------------------------------------------------------------
    values: list[VariableValues] = []
    pieces: list[pd.DataFrame] = []
    any_uneq = np.zeros(xsel.stop - xsel.start if isinstance(xsel, slice) else len(xsel), dtype=bool)
    type_conflicts = {d.variable for d in diffs if d.attribute == "type"}
    for v in common:
        if v in ids or v in type_conflicts:
            continue
        kind = bi.var(v).kind
        diff = pct = None
        if kind == "numeric":
            x, y = bs.floats(v)[xsel], cs.floats(v)[ysel]
            eq = values_equal(x, y, method=method, criterion=criterion, delta=delta)
        elif kind == "datetime":
            x, y = bs.ns(v)[xsel], cs.ns(v)[ysel]
            eq = x == y  # NaT == NaT here (same int64 sentinel): both missing is equal
        else:
            xa = _pick(bs.text(v), xsel)
            ya = _pick(cs.text(v), ysel)
            eq = _text_equal(xa, ya)
        eq[unmatched] = True  # not compared
        uneq = ~eq
        n_uneq = int(uneq.sum())
        maxdiff = None
        if n_uneq:
            any_uneq |= uneq
            idx = np.flatnonzero(uneq)
            rows = base_rows(idx)
            if order is not None:  # ID order
                o = np.argsort(order[rows], kind="stable")
                idx, rows = idx[o], rows[o]
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
            piece = key_rows(rows)
            piece["VARIABLE"] = v
            piece["BASE"] = _fmt_values(xs, kind)
            piece["COMPARE"] = _fmt_values(ys, kind)
            piece["DIFF"] = diff.astype("float64")
            piece["PCTDIFF"] = pct.astype("float64")
            pieces.append(piece)
        values.append(VariableValues(v, kind, n_common, n_uneq, maxdiff))
    if any(v.n_unequal for v in values):
        rc |= _BIT["VALUE"]
    if pieces:
        differences = pd.concat(pieces, ignore_index=True)
    else:
        none = key_rows(np.arange(0, dtype="int64"))
        differences = pd.DataFrame({c: none[c] for c in none.columns})
        for col in DIFF_COLUMNS:
            differences[col] = pd.Series([], dtype="float64" if col in ("DIFF", "PCTDIFF") else object)
    differences["VARIABLE"] = differences["VARIABLE"].astype(object)
    return CompareResult(
        base=bi,
        compare=ci,
        id_vars=ids,
        method=method,
        criterion=criterion,
        variables=VariablesSummary(common, base_only, compare_only, tuple(diffs), tuple(sorted(not_compared))),
        observations=ObservationsSummary(
            bs.nrows, cs.nrows, n_common, int(any_uneq.sum()), base_only_obs, compare_only_obs
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
    ids = tuple(id_vars or ())
    bs, bi, btext = _open_side(base_path, role="BASE", encoding=base_encoding or encoding, ids=ids)
    cs, ci, ctext = _open_side(compare_path, role="COMPARE", encoding=compare_encoding or encoding, ids=ids)
    if btext is not None and ctext is None:
        bdf, bi = _retype_csv(bs.df, bi, btext, ci)
        bs = _FrameSide(bdf)
    elif ctext is not None and btext is None:
        cdf, ci = _retype_csv(cs.df, ci, ctext, bi)
        cs = _FrameSide(cdf)
    for side in (bs, cs):  # as compare_frames takes a frame
        if isinstance(side, _FrameSide):
            side.df = _normalise_frame(side.df)
    return _compare(
        bs,
        cs,
        bi,
        ci,
        id_vars=id_vars,
        method=method,
        criterion=criterion,
        delta=delta,
        variables=variables,
    )


def split_id_option(values: Iterable[str] | None) -> list[str]:
    """``["USUBJID,PARAMCD", "AVISIT"]`` -> ``["USUBJID", "PARAMCD", "AVISIT"]`` (CLI helper)."""
    out: list[str] = []
    for v in values or ():
        out.extend(x for x in re.split(r"[,\s]+", v) if x)
    return out
