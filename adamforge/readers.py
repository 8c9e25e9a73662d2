"""One reader for every dataset file adamforge takes in: XPT, Parquet, CSV, Dataset-JSON.

:func:`read_dataset_file` picks the reader from the file's extension and returns a
:class:`DatasetFile`: the data plus what the format carries about it (variable labels, formats,
informats, lengths, the dataset name and label, the text encoding used). Every step that reads
a dataset goes through it: ``derive``, ``validate`` and ``qc`` (SDTM through
:func:`adamforge.sdtm_io.read_sdtm`), ``compare``, and the read-back checks of ``export``.

========================  ===============  ==================================================
extension                 format           metadata
========================  ===============  ==================================================
``.xpt``                  SAS XPORT v5/v8  labels, formats, informats, lengths, member name,
                                           dataset label (pyreadstat)
``.parquet``, ``.pq``     Parquet          field metadata keys ``label``, ``length``,
                                           ``format``, ``informat``; schema key ``label``
``.csv``                  CSV              none (a column is numeric when every non-blank value
                                           is a number without a leading zero)
``.json``, ``.ndjson``    Dataset-JSON     labels, lengths, display formats, name, label
                                           (v1.1 as :mod:`adamforge.export.datasetjson`
                                           writes it; v1.0 ``clinicalData`` also read)
========================  ===============  ==================================================

Nothing is read partially without an error: an XPT file is checked record by record before
pyreadstat reads it (:func:`check_xpt_structure`: 80-byte records, header records present, a
member's data a whole number of observations, v8 observation counts), a Dataset-JSON file's
``records`` must equal its rows, a CSV file must not end inside a record, and a Parquet file
pyarrow cannot read is an error naming the file.

Text encoding (XPT and CSV): UTF-8 unless ``encoding`` is given. A file that is not valid
UTF-8 is an error naming the file and suggesting ``--encoding cp1252`` (files from Windows SAS
sessions, such as the CDISC pilot study's, are Windows-1252); nothing is guessed silently.
"""

from __future__ import annotations

import codecs
import dataclasses
import json
import mmap
import os
import re
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import DataError, UsageError

__all__ = [
    "DatasetFile",
    "VariableMeta",
    "FORMATS",
    "SDTM_PRECEDENCE",
    "read_dataset_file",
    "check_xpt_structure",
    "check_encoding",
    "XptMember",
]

#: extension -> format name
FORMATS: dict[str, str] = {
    ".xpt": "XPT",
    ".parquet": "Parquet",
    ".pq": "Parquet",
    ".csv": "CSV",
    ".json": "Dataset-JSON",
    ".ndjson": "Dataset-JSON",
}

#: which file of a domain an SDTM folder read takes when several are present: the submission
#: format (XPT) first, then Parquet, Dataset-JSON, CSV
SDTM_PRECEDENCE: tuple[str, ...] = (".xpt", ".parquet", ".pq", ".json", ".ndjson", ".csv")

ENCODING_HINT = "--encoding cp1252"


@dataclasses.dataclass(frozen=True)
class VariableMeta:
    """A variable's attributes as the file carries them (``None``: the format does not carry it).

    The read side of :class:`adamforge.export.metadata.ColumnMeta` (which the writers take from
    the spec's :class:`adamforge.adam.spec.VariableSpec`): only what a file can hold, so that a
    file read back can be checked against the spec.
    """

    name: str
    label: str | None = None
    length: int | None = None
    format: str | None = None
    informat: str | None = None


@dataclasses.dataclass
class DatasetFile:
    """A dataset read from a file, with its metadata.

    Attributes
    ----------
    data : the data.
    path : the file read.
    file_format : ``"XPT"``, ``"Parquet"``, ``"CSV"`` or ``"Dataset-JSON"``.
    name : member / dataset name (the file stem upper-cased when the format has none).
    label : the dataset label, ``None`` when the format does not carry one.
    variables : variable name -> :class:`VariableMeta`, in column order.
    encoding : the text encoding used (XPT, CSV), ``None`` for binary/UTF-8-only formats.
    raw : format-specific metadata: pyreadstat's metadata object (XPT), the Dataset-JSON object
        without its rows, the Parquet schema.
    text : CSV only: every column as read, as text (before numbers were recognised).
    """

    data: pd.DataFrame
    path: Path
    file_format: str
    name: str
    label: str | None
    variables: dict[str, VariableMeta]
    encoding: str | None = None
    raw: Any = None
    text: pd.DataFrame | None = None

    def attributes(self) -> dict[str, dict[str, object]]:
        """``{variable: {"label", "length", "format", "informat"}}`` (None where unknown)."""
        return {
            n: {"label": v.label, "length": v.length, "format": v.format, "informat": v.informat}
            for n, v in self.variables.items()
        }


def check_encoding(encoding: str | None, option: str = "--encoding") -> str | None:
    """``encoding`` if Python knows it (``None`` passes); else :class:`UsageError` naming ``option``."""
    if encoding is None:
        return None
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise UsageError(f"{option}: unknown text encoding {encoding!r} (e.g. utf-8, cp1252, latin-1)") from None
    return encoding


def file_format(path: str | os.PathLike) -> str | None:
    """The format name of ``path`` from its extension, ``None`` when not a dataset file."""
    return FORMATS.get(Path(path).suffix.lower())


def read_dataset_file(
    path: str | os.PathLike, *, encoding: str | None = None, dates: bool = False, what: str = ""
) -> DatasetFile:
    """Read one dataset file, the reader chosen by extension (see the module docstring).

    Parameters
    ----------
    path : the file.
    encoding : text encoding of an XPT or CSV file (default UTF-8).
    dates : XPT: numeric variables with a SAS date or date-time format come back as
        ``datetime64[s]`` (default: the stored numbers).
    what : how to name the file in messages (e.g. ``"BASE file"``); default ``"file"``.

    Raises
    ------
    UsageError : the file does not exist, its extension is unknown, or ``encoding`` is unknown.
    DataError : the file is truncated, malformed, not in the encoding, or cannot be read.
    """
    p = Path(path)
    what = what or "file"
    check_encoding(encoding)
    if not p.is_file():
        raise UsageError(f"{what} {str(p)!r} does not exist")
    fmt = file_format(p)
    if fmt is None:
        raise UsageError(
            f"{what} {str(p)!r}: unknown format {p.suffix!r} (expected .xpt, .parquet, .csv or .json Dataset-JSON)"
        )
    try:
        if fmt == "XPT":
            return _read_xpt(p, encoding, dates)
        if fmt == "Parquet":
            return _read_parquet(p)
        if fmt == "CSV":
            return _read_csv(p, encoding)
        return _read_dsjson(p)
    except (DataError, UsageError):
        raise
    except Exception as exc:  # a library's own exception: one clear line naming the file
        raise DataError(f"{what} {str(p)!r} could not be read as {fmt}: {type(exc).__name__}: {exc}") from exc


# --------------------------------------------------------------------------------------------
# XPT
# --------------------------------------------------------------------------------------------
_HDR = b"HEADER RECORD*******"
_LIB = (b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!", b"HEADER RECORD*******LIBV8   HEADER RECORD!!!!!!!")
_MEMBER = (b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!", b"HEADER RECORD*******MEMBV8  HEADER RECORD!!!!!!!")
_DSCRPTR = (b"HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!", b"HEADER RECORD*******DSCPTV8 HEADER RECORD!!!!!!!")
_NAMESTR = (b"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!", b"HEADER RECORD*******NAMSTV8 HEADER RECORD!!!!!!!")
_OBS = (b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!", b"HEADER RECORD*******OBSV8   HEADER RECORD!!!!!!!")


@dataclasses.dataclass(frozen=True)
class XptMember:
    """One member (dataset) of an XPT file as its header records describe it."""

    name: str
    nvars: int
    record_length: int
    observations: int  # whole observations the data section holds
    declared_observations: int | None  # v8 OBS header count (None in v5)
    #: byte offset of the first observation
    data_start: int = 0
    #: (short name, numeric?, position, length) of each variable, from its NAMESTR record
    fields: tuple[tuple[str, bool, int, int], ...] = ()


#: bytes of a memory-mapped file searched at a time (their pages are then released)
_SCAN_WINDOW = 64 << 20


def _find_aligned(buf, needle: bytes, start: int) -> int:
    """Offset of ``needle`` at an 80-byte boundary from ``start`` (relative to the file), or -1.

    A memory-mapped file is searched window by window, each window's pages released once
    searched: a scan of a big file's data does not make the whole file resident in the process."""
    size = len(buf)
    window = _SCAN_WINDOW if isinstance(buf, mmap.mmap) else max(size, 1)
    lo = start
    while lo < size:
        hi = min(size, lo + window + len(needle) - 1)  # a match starting in the window is whole
        i = buf.find(needle, lo, hi)
        while i >= 0 and (i - start) % 80:
            i = buf.find(needle, i + 1, hi)
        if isinstance(buf, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
            page = lo - lo % mmap.PAGESIZE
            buf.madvise(mmap.MADV_DONTNEED, page, hi - page)  # file pages: read again if needed
        if i >= 0:
            return i
        lo += window
    return -1


def check_xpt_structure(path: str | os.PathLike) -> list[XptMember]:
    """Check an XPT (v5 or v8) file's record structure; return its members.

    pyreadstat reads a file cut short without complaint (the observations that are there), so
    this check runs first: the file must be a whole number of 80-byte records, start with the
    library header, and each member must have its member, descriptor, namestr and observation
    header records, its variable descriptions (namestr records) in full, and a data section
    holding whole observations (what follows the last one must be blank padding shorter than
    a record). A v8 member's declared observation count must fit its data.

    Raises
    ------
    DataError : naming the file, the member and what is wrong.
    """
    p = Path(path)
    size = p.stat().st_size
    where = f"{p.name}"
    if size == 0:
        raise DataError(f"{where}: empty file, not a SAS transport (XPT) file")
    with open(p, "rb") as fh:
        head = fh.read(80)
        if not head.startswith(_LIB):
            raise DataError(f"{where}: not a SAS transport (XPT) file (no library header record at the start)")
        if size % 80:
            raise DataError(
                f"{where}: truncated or malformed XPT file: {size} bytes is not a whole number of "
                f"80-byte records (the file ends mid-record)"
            )
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            return _xpt_members(buf, size, where)


def _xpt_members(buf, size: int, where: str) -> list[XptMember]:
    members: list[XptMember] = []
    v8 = buf[:80].startswith(_LIB[1])
    k = 1 if v8 else 0
    pos = 240  # library header + two real header records
    if size < pos + 80:
        raise DataError(f"{where}: truncated XPT file: no member header record after the library header")

    def rec(off: int, what: str, member: str) -> bytes:
        if off + 80 > size:
            raise DataError(f"{where}: truncated XPT file: member {member or '?'} ends before its {what}")
        return bytes(buf[off : off + 80])

    while pos < size:
        r = rec(pos, "member header record", "")
        if not r.startswith(_MEMBER[k]):
            raise DataError(
                f"{where}: malformed XPT file: expected a member header record at byte {pos}, found {r[:48]!r}"
            )
        try:
            nsize = int(r[74:78])
        except ValueError:
            nsize = 140
        if nsize not in (136, 140):
            raise DataError(f"{where}: malformed XPT file: namestr length {nsize} at byte {pos} (expected 140)")
        if not rec(pos + 80, "descriptor header record", "").startswith(_DSCRPTR[k]):
            raise DataError(f"{where}: malformed XPT file: no descriptor header record at byte {pos + 80}")
        d1 = rec(pos + 160, "member header data", "")
        rec(pos + 240, "member header data", "")
        name = d1[8 : 16 if not v8 else 40].decode("ascii", "replace").strip()
        nr = rec(pos + 320, "namestr header record", name)
        if not nr.startswith(_NAMESTR[k]):
            raise DataError(f"{where}: malformed XPT file: member {name}: no namestr header record at byte {pos + 320}")
        try:
            nvars = int(nr[48:58])
        except ValueError:
            raise DataError(
                f"{where}: malformed XPT file: member {name}: unreadable variable count {nr[48:58]!r}"
            ) from None
        ns_start = pos + 400
        ns_end = ns_start + nvars * nsize
        if ns_end > size:
            raise DataError(
                f"{where}: truncated XPT file: member {name}: {nvars} variable descriptions declared "
                f"but the file ends after {max(0, (size - ns_start) // nsize)}"
            )
        reclen = 0
        fields = []
        for i in range(nvars):
            o = ns_start + i * nsize
            ntype, nlng = struct.unpack(">hxxh", buf[o : o + 6])
            npos = struct.unpack(">i", buf[o + 84 : o + 88])[0]
            if nlng <= 0 or npos < 0:
                raise DataError(
                    f"{where}: malformed XPT file: member {name}: variable {i + 1} has length {nlng} at position {npos}"
                )
            reclen = max(reclen, npos + nlng)
            fields.append((bytes(buf[o + 8 : o + 16]).decode("ascii", "replace").rstrip(), ntype == 1, npos, nlng))
        after = ns_start + -(-(nvars * nsize) // 80) * 80
        obs = _find_aligned(buf, _OBS[k], after)
        nxt_member = _find_aligned(buf, _MEMBER[k], after)
        if obs < 0 or (0 <= nxt_member < obs):
            raise DataError(
                f"{where}: truncated XPT file: member {name} has no observation header record "
                "(the file ends in the variable descriptions)"
            )
        declared = None
        if v8:
            txt = bytes(buf[obs + 48 : obs + 63]).strip()
            declared = int(txt) if txt.isdigit() else None
        data_start = obs + 80
        data_end = _find_aligned(buf, _MEMBER[k], data_start) if data_start < size else -1
        data_end = size if data_end < 0 else data_end
        n_bytes = data_end - data_start
        nobs = n_bytes // reclen if reclen else 0
        if not declared:  # v5: blank records inside the final padding (< 80 bytes) are not observations
            while (
                nobs
                and n_bytes - (nobs - 1) * reclen < 80
                and not bytes(buf[data_start + (nobs - 1) * reclen : data_start + nobs * reclen]).strip(b" ")
            ):
                nobs -= 1
        if declared:
            if declared * reclen > n_bytes:
                raise DataError(
                    f"{where}: truncated XPT file: member {name} declares {declared} observations of "
                    f"{reclen} bytes but its data holds {nobs}"
                )
            nobs = declared
        tail = bytes(buf[data_start + nobs * reclen : data_end])
        if tail.strip(b" "):
            raise DataError(
                f"{where}: truncated or malformed XPT file: member {name} ends mid-record "
                f"({len(tail)} bytes after observation {nobs}, observations are {reclen} bytes)"
            )
        if len(tail) >= 80:
            raise DataError(
                f"{where}: malformed XPT file: member {name}: {len(tail)} bytes of padding after "
                f"observation {nobs} (padding is shorter than one 80-byte record)"
            )
        members.append(XptMember(name, nvars, reclen, nobs, declared, data_start, tuple(fields)))
        pos = data_end
    if not members:
        raise DataError(f"{where}: XPT file holds no member")
    return members


_NOT_UTF8 = re.compile(r"codec can't decode|invalid byte|Unable to convert string", re.I)


def _read_xpt(p: Path, encoding: str | None, dates: bool) -> DatasetFile:
    import pyreadstat

    members = check_xpt_structure(p)
    try:
        df, meta = pyreadstat.read_xport(os.fspath(p), encoding=encoding)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{p}: text is not UTF-8 ({exc.reason} at byte 0x{exc.object[exc.start]:02x}); "
            f"give the file's encoding, e.g. {ENCODING_HINT} (Windows-1252, as Windows SAS sessions "
            "write)"
        ) from None
    except Exception as exc:  # noqa: BLE001 - pyreadstat raises its own ReadstatError
        msg = str(exc)
        if "character set" in msg or "encoding" in msg.lower():
            raise DataError(f"{p}: encoding {encoding!r} is not supported by the XPT reader: {msg}") from None
        if _NOT_UTF8.search(msg):
            raise DataError(
                f"{p}: text is not {encoding or 'UTF-8'}; give the file's encoding, e.g. {ENCODING_HINT}"
            ) from None
        raise DataError(f"{p}: cannot be read as SAS XPORT: {msg}") from None
    if len(members) == 1 and len(df) != members[0].observations and members[0].declared_observations is not None:
        raise DataError(
            f"{p}: {len(df)} observations read but member {members[0].name} holds {members[0].observations}"
        )
    if dates:
        df = _xpt_dates(df, meta)
    informats = getattr(meta, "original_variable_informats", None) or {}
    labels = dict(zip(meta.column_names, meta.column_labels))
    variables = {
        c: VariableMeta(
            c,
            labels.get(c) if labels.get(c) is not None else "",
            meta.variable_storage_width.get(c),
            (meta.original_variable_types or {}).get(c) or "",
            informats.get(c) or "",
        )
        for c in meta.column_names
    }
    return DatasetFile(
        df,
        p,
        "XPT",
        meta.table_name or p.stem.upper(),
        meta.file_label or "",
        variables,
        encoding=encoding or "utf-8",
        raw=meta,
    )


def _xpt_dates(df: pd.DataFrame, meta) -> pd.DataFrame:
    """Numeric variables with a SAS date / date-time format as ``datetime64[s]``."""
    from .export.xpt import _SAS_EPOCH_NS, DATE_FORMATS, DATETIME_FORMATS, _format_name

    for col, fmt in (meta.original_variable_types or {}).items():
        fname = _format_name((fmt or "") + ("" if (fmt or "").endswith(".") else "."))
        if col in df.columns and fname in DATE_FORMATS | DATETIME_FORMATS:
            s = df[col]
            if pd.api.types.is_numeric_dtype(s.dtype):
                unit = "D" if fname in DATE_FORMATS else "s"
                s = pd.Series(_SAS_EPOCH_NS + pd.to_timedelta(s, unit=unit).to_numpy(), index=s.index)
            df[col] = pd.to_datetime(s.astype(object).where(s.notna(), None)).astype("datetime64[s]")
    return df


# --------------------------------------------------------------------------------------------
# Parquet
# --------------------------------------------------------------------------------------------
def _read_parquet(p: Path) -> DatasetFile:
    import pyarrow.parquet as pq

    try:
        # the file's own reader gives the same Table (schema and pandas metadata included)
        # without importing pyarrow.dataset, which pq.read_table costs each process
        with pq.ParquetFile(p) as pf:
            table = pf.read()
    except Exception as exc:  # noqa: BLE001 - ArrowInvalid and friends
        raise DataError(f"{p}: truncated or malformed Parquet file: {exc}") from None
    schema = table.schema
    df = table.to_pandas()
    variables, name, label = parquet_metadata(schema, p)
    return DatasetFile(df, p, "Parquet", name, label, variables, raw=schema)


def parquet_metadata(schema: Any, path: Path) -> tuple[dict[str, VariableMeta], str, str | None]:
    """The variable metadata, dataset name and label a Parquet schema carries (as adamforge writes them).

    Field metadata ``label``, ``length``, ``format``, ``informat``; schema metadata ``name`` (default:
    the file's stem in upper case) and ``label`` (or ``dataset_label``).
    """
    variables = {}
    for field in schema:
        md = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
        length = md.get("length")
        variables[field.name] = VariableMeta(
            field.name,
            md.get("label"),
            int(length) if length and str(length).isdigit() else None,
            md.get("format"),
            md.get("informat"),
        )
    smd = {k.decode(): v.decode() for k, v in (schema.metadata or {}).items() if k != b"pandas"}
    return variables, smd.get("name", path.stem.upper()), smd.get("label", smd.get("dataset_label"))


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------
_LEADING_ZERO = re.compile(r"^\s*[+-]?0\d")


def _read_csv(p: Path, encoding: str | None) -> DatasetFile:
    import csv
    import io

    enc = encoding or "utf-8"
    data = p.read_bytes()
    try:
        text = data.decode(enc)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{p}: text is not {enc} ({exc.reason} at byte {exc.start}); give the file's encoding, e.g. {ENCODING_HINT}"
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise DataError(f"{p}: empty CSV file (no header row)")
    header, body = rows[0], rows[1:]
    if len(set(header)) != len(header):
        raise DataError(f"{p}: duplicate column names in the header row")
    for i, r in enumerate(body, start=2):
        if len(r) != len(header) and r:
            last = i == len(rows) and not text.endswith(("\n", "\r"))
            why = "the file ends mid-record (truncated?)" if last else "malformed record"
            raise DataError(f"{p}: record {i}: {len(r)} fields for {len(header)} columns: {why}")
    body = [r for r in body if r]
    raw = pd.DataFrame(body, columns=header, dtype=object) if body else pd.DataFrame(columns=header, dtype=object)
    out = {}
    for col in header:
        s = raw[col].astype(object)
        out[col] = csv_column(s)
    df = pd.DataFrame(out, index=raw.index)
    variables = {c: VariableMeta(c) for c in header}
    return DatasetFile(df, p, "CSV", p.stem.upper(), None, variables, encoding=enc, text=raw)


def csv_column(s: pd.Series) -> pd.Series:
    """A CSV column: float64 when every non-blank value is a number without a leading zero, else
    text with missing for blanks."""
    s = s.astype("str")
    blank = s.str.strip() == ""
    num = pd.to_numeric(s.where(~blank), errors="coerce")
    if (num.notna() | blank).all() and not s[~blank].str.match(_LEADING_ZERO).any() and (~blank).any():
        return num.astype("float64")
    return s.where(~blank)


# --------------------------------------------------------------------------------------------
# Dataset-JSON
# --------------------------------------------------------------------------------------------
def _read_dsjson(p: Path) -> DatasetFile:
    text = p.read_bytes()
    try:
        s = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{p}: Dataset-JSON must be UTF-8 ({exc.reason} at byte {exc.start})") from None
    if p.suffix.lower() == ".ndjson":
        lines = [ln for ln in s.splitlines() if ln.strip()]
        try:
            doc = json.loads(lines[0]) if lines else None
            rows = [json.loads(ln) for ln in lines[1:]]
        except json.JSONDecodeError as exc:
            raise DataError(f"{p}: truncated or malformed Dataset-JSON (NDJSON): {exc}") from None
        if not isinstance(doc, dict):
            raise DataError(f"{p}: not Dataset-JSON (NDJSON): the first line must be the metadata object")
        doc = {**doc, "rows": rows}
    else:
        try:
            doc = json.loads(s)
        except json.JSONDecodeError as exc:
            raise DataError(f"{p}: truncated or malformed Dataset-JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise DataError(f"{p}: not Dataset-JSON (the top level is not an object)")
    if "columns" in doc:  # Dataset-JSON 1.1
        cols, rows = doc["columns"], doc.get("rows", [])
        name, label = doc.get("name", p.stem.upper()), doc.get("label")
        types = [c.get("dataType", "string") for c in cols]
        declared = doc.get("records")
    else:  # Dataset-JSON 1.0
        body = doc.get("clinicalData") or doc.get("referenceData")
        if not body or "itemGroupData" not in body:
            raise DataError(f"{p}: not Dataset-JSON (no 'columns'/'rows' and no clinicalData.itemGroupData)")
        ((_oid, ig),) = body["itemGroupData"].items()
        cols, rows = ig["items"], ig.get("itemData", [])
        name, label = ig.get("name", p.stem.upper()), ig.get("label")
        types = [c.get("type", "string") for c in cols]
        declared = ig.get("records")
    names = [c["name"] for c in cols]
    if isinstance(declared, int) and declared != len(rows):
        raise DataError(f"{p}: Dataset-JSON declares {declared} records but holds {len(rows)} rows (truncated?)")
    bad = [i for i, r in enumerate(rows) if not isinstance(r, list) or len(r) != len(names)]
    if bad:
        raise DataError(f"{p}: Dataset-JSON row {bad[0] + 1} does not have one value per column ({len(names)})")
    df = pd.DataFrame(rows, columns=names)
    variables = {}
    for c, t in zip(cols, types):
        n = c["name"]
        s = df[n]
        if t in ("date", "datetime"):
            df[n] = pd.to_datetime(s.astype(object).where(s.notna(), None)).astype("datetime64[s]")
        elif t == "integer":
            df[n] = pd.to_numeric(s).astype("Int64")
        elif t in ("double", "float", "decimal", "boolean"):
            df[n] = pd.to_numeric(s).astype("float64")
        else:
            df[n] = s.astype(object).where(s.notna(), None)
        variables[n] = VariableMeta(n, c.get("label"), c.get("length"), c.get("displayFormat"))
    if "ITEMGROUPDATASEQ" in df.columns:  # Dataset-JSON 1.0's record sequence is not data
        df = df.drop(columns="ITEMGROUPDATASEQ")
        variables.pop("ITEMGROUPDATASEQ", None)
    meta = {k: v for k, v in doc.items() if k != "rows"}
    return DatasetFile(df, p, "Dataset-JSON", name, label, variables, raw=meta)


def domain_files(folder: str | os.PathLike) -> dict[str, list[Path]]:
    """The dataset files of ``folder`` by upper-case domain name, in :data:`SDTM_PRECEDENCE` order."""
    rank = {ext: i for i, ext in enumerate(SDTM_PRECEDENCE)}
    found: dict[str, list[Path]] = {}
    for p in sorted(Path(folder).iterdir()):
        ext = p.suffix.lower()
        if ext in rank and p.is_file() and p.name != "manifest.json" and not p.name.startswith("."):
            found.setdefault(p.stem.upper(), []).append(p)
    return {d: sorted(ps, key=lambda q: rank[q.suffix.lower()]) for d, ps in found.items()}


def manifest_entry(manifest: Mapping[str, Any], domain: str) -> Mapping[str, Any]:
    """The manifest entry of ``domain`` (``{}`` when it has none)."""
    e = manifest.get(domain, {})
    return e if isinstance(e, Mapping) else {}
