"""CDISC Dataset-JSON v1.1: the successor of XPT being piloted by the FDA and PMDA.

One JSON object per dataset: file-level attributes (``datasetJSONCreationDateTime``,
``datasetJSONVersion`` "1.1.0", ``fileOID``, ``originator``, ``sourceSystem``, ``studyOID``,
``metaDataVersionOID``, ``metaDataRef``, ``itemGroupOID``, ``isReferenceData``, ``records``,
``name``, ``label``), the ``columns`` (``itemOID``, ``name``, ``label``, ``dataType``,
``targetDataType``, ``length``, ``displayFormat``, ``keySequence``) and the ``rows`` (one array
of values per record).

Types follow the specification: text is ``"string"``; integers ``"integer"``; other numbers
``"double"``; dates are ISO 8601 strings with ``dataType`` ``"date"`` and ``targetDataType``
``"integer"`` (SAS stores them as day numbers) and the spec's display format (``DATE9.``);
date-times likewise with ``"datetime"``. Missing values are ``null``. OIDs are those of the
define.xml written from the same :class:`~adamforge.export.metadata.DatasetMeta`.

The creation stamp comes from :func:`adamforge.clock.run_timestamp_iso`, so the same input
gives a byte-identical file. The JSON schema used in tests ships as package data
(``schemas/dataset-json-1-1.schema.json``, source noted inside).
"""

from __future__ import annotations

import json
import os
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..clock import run_timestamp_iso
from ..errors import DataError
from ..io import atomic_path
from .metadata import DatasetMeta, check_frame_against_meta, conform_frame

__all__ = [
    "DATASET_JSON_VERSION",
    "to_dataset_json",
    "dumps_dataset_json",
    "write_dataset_json",
    "read_dataset_json",
    "load_schema",
    "validate_dataset_json",
]

DATASET_JSON_VERSION = "1.1.0"
_DATA_TYPES = {"text": "string", "integer": "integer", "float": "double", "date": "date", "datetime": "datetime"}


def _column(meta: DatasetMeta, c) -> dict[str, Any]:
    col: dict[str, Any] = {
        "itemOID": meta.item_oid(c.name),
        "name": c.name,
        "label": c.label,
        "dataType": _DATA_TYPES[c.type],
    }
    if c.type in ("date", "datetime"):
        col["targetDataType"] = "integer"
    if c.type == "text" and c.length:
        col["length"] = int(c.length)
    fmt = c.display_format or {"date": "DATE9.", "datetime": "DATETIME20."}.get(c.type, "")
    if fmt:
        col["displayFormat"] = fmt
    if c.key_sequence:
        col["keySequence"] = int(c.key_sequence)
    return col


def _values(s: pd.Series, typ: str) -> list:
    """A column (already conformed to its spec type) as JSON-ready values, None for missing."""
    missing = s.isna().to_numpy(dtype=bool)
    if typ == "text":
        out = s.astype(object).to_numpy(copy=True)
    elif typ == "integer":
        arr = pd.to_numeric(s).astype("float64").to_numpy(na_value=np.nan)
        out = np.where(missing, 0, arr).astype("int64").astype(object)  # Python ints
    elif typ == "float":
        out = pd.to_numeric(s).astype("float64").to_numpy(na_value=np.nan).astype(object)
    else:
        fmt = "%Y-%m-%d" if typ == "date" else "%Y-%m-%dT%H:%M:%S"
        out = pd.to_datetime(s).dt.strftime(fmt).astype(object).to_numpy(copy=True)
    out[missing] = None
    return out.tolist()


def to_dataset_json(
    df: pd.DataFrame,
    meta: DatasetMeta,
    *,
    study_oid: str,
    metadata_version_oid: str,
    file_oid: str | None = None,
    originator: str = "adamforge",
    metadata_ref: str = "define.xml",
    is_reference_data: bool = False,
) -> dict[str, Any]:
    """Build the Dataset-JSON v1.1 object for ``df`` described by ``meta``.

    Parameters
    ----------
    df : the dataset; must hold exactly ``meta``'s variables with compatible types.
    meta : the dataset's metadata (from the spec).
    study_oid, metadata_version_oid : the define.xml ``Study/@OID`` and ``MetaDataVersion/@OID``.
    file_oid : unique file identifier (default ``<study_oid>.<DATASET>``).
    originator : the organisation that generated the file.
    metadata_ref : the define.xml the file refers to (relative path).
    is_reference_data : true for non-subject data (e.g. trial design domains).

    Raises
    ------
    adamforge.errors.DataError
        listing every mismatch between data and metadata.
    """
    problems = check_frame_against_meta(df, meta)
    if problems:
        raise DataError(
            f"{meta.name}: the data do not match the spec; no Dataset-JSON written", [p.line() for p in problems]
        )
    data = conform_frame(df, meta)
    cols = [_values(data[c.name], c.type) for c in meta.columns]
    rows = [list(r) for r in zip(*cols)] if cols else []
    return {
        "datasetJSONCreationDateTime": run_timestamp_iso(),
        "datasetJSONVersion": DATASET_JSON_VERSION,
        "fileOID": file_oid or f"{study_oid}.{meta.name}",
        "originator": originator,
        "sourceSystem": {"name": "adamforge", "version": __version__},
        "studyOID": study_oid,
        "metaDataVersionOID": metadata_version_oid,
        "metaDataRef": metadata_ref,
        "itemGroupOID": meta.item_group_oid,
        "isReferenceData": bool(is_reference_data),
        "records": len(rows),
        "name": meta.name,
        "label": meta.label,
        "columns": [_column(meta, c) for c in meta.columns],
        "rows": rows,
    }


def dumps_dataset_json(obj: dict[str, Any]) -> str:
    """Serialise deterministically: attributes and columns indented, one line per row."""
    head = {k: v for k, v in obj.items() if k not in ("columns", "rows")}
    lines = ["{"]
    for k, v in head.items():
        lines.append(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False, allow_nan=False)},")
    lines.append('  "columns": [')
    cols = obj.get("columns", [])
    for i, c in enumerate(cols):
        lines.append("    " + json.dumps(c, ensure_ascii=False, allow_nan=False) + ("," if i < len(cols) - 1 else ""))
    lines.append("  ],")
    rows = obj.get("rows", [])
    lines.append('  "rows": [')
    for i, r in enumerate(rows):
        lines.append("    " + json.dumps(r, ensure_ascii=False, allow_nan=False) + ("," if i < len(rows) - 1 else ""))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_dataset_json(df: pd.DataFrame, path: str | os.PathLike, meta: DatasetMeta, **kwargs) -> dict[str, Any]:
    """Write ``df`` as Dataset-JSON v1.1 to ``path`` (atomically); returns the object written
    without its ``rows`` (the file holds them).

    Keyword arguments are those of :func:`to_dataset_json`. On a data/spec mismatch nothing is
    written (:class:`~adamforge.errors.DataError` lists every problem). The rows are made and
    written in record batches, byte for byte as :func:`dumps_dataset_json` serialises
    :func:`to_dataset_json`'s object, so memory holds one batch whatever the size.
    """
    problems = check_frame_against_meta(df, meta)
    if problems:
        raise DataError(
            f"{meta.name}: the data do not match the spec; no Dataset-JSON written", [p.line() for p in problems]
        )
    return _write_checked(df, path, meta, **kwargs)


def _write_checked(
    df: pd.DataFrame,
    path: str | os.PathLike,
    meta: DatasetMeta,
    *,
    study_oid: str,
    metadata_version_oid: str,
    file_oid: str | None = None,
    originator: str = "adamforge",
    metadata_ref: str = "define.xml",
    is_reference_data: bool = False,
    chunk: int = 100_000,
    conformed: bool = False,
) -> dict[str, Any]:
    """:func:`write_dataset_json` for data already checked against ``meta`` (and, with
    ``conformed``, already in the spec's order and types, text possibly in Arrow)."""
    obj = to_dataset_json(
        df.iloc[:0],
        meta,
        study_oid=study_oid,
        metadata_version_oid=metadata_version_oid,
        file_oid=file_oid,
        originator=originator,
        metadata_ref=metadata_ref,
        is_reference_data=is_reference_data,
    )
    obj["records"] = len(df)
    del obj["rows"]
    head = dumps_dataset_json({**obj, "rows": []})
    head = head[: head.rindex('  "rows": [')] + '  "rows": [\n'
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(head.encode("utf-8"))
        n = len(df)
        for start in range(0, n, chunk):
            part = df.iloc[start : start + chunk]
            if not conformed:
                part = conform_frame(part, meta)
            fh.write(_rows_text(part, meta).encode("utf-8"))
            fh.write(b",\n" if start + chunk < n else b"\n")
        fh.write(b"  ]\n}\n")
    return obj


def _token_array(s: pd.Series, typ: str):
    """Each value of a (conformed) column as its JSON text, as ``json.dumps`` writes it inside a
    row, as an Arrow text array: distinct values are serialised once, then spread by Arrow's
    ``take`` on their codes (no Python object per record)."""
    import pyarrow as pa

    if typ in ("integer", "float"):
        arr = pd.to_numeric(s).astype("float64").to_numpy(na_value=np.nan)
        missing = np.isnan(arr)
        # by bit pattern: -0.0 and 0.0 are one value to a hash table but two to repr()
        codes, uniques = pd.factorize(np.where(missing, 0, arr.view(np.int64)))
        codes[missing] = -1
        u = pd.Series(uniques.view(np.float64) if len(uniques) else np.zeros(0))
    else:
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        u = pd.Series(uniques, dtype=s.dtype) if len(uniques) else s.iloc[:0]
    toks = [json.dumps(v, ensure_ascii=False, allow_nan=False) for v in _values(u, typ)] + ["null"]
    codes = np.where(codes < 0, len(toks) - 1, codes)  # missing takes the last entry, "null"
    return pa.array(toks, type=pa.large_string()).take(pa.array(codes, type=pa.int64()))


def _rows_text(part: pd.DataFrame, meta: DatasetMeta) -> str:
    """The rows of ``part`` as ``dumps_dataset_json`` writes them: 4 blanks and the JSON array
    per row, rows separated by a comma and a new line (none after the last)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(part):
        return ""
    if not meta.columns:
        return ",\n".join(["    []"] * len(part))
    cols = [_token_array(part[c.name], c.type) for c in meta.columns]
    t = pa.large_string()
    joined = pc.binary_join_element_wise(*cols, pa.scalar(", ", t))
    lines = pc.binary_join_element_wise(pa.scalar("    [", t), joined, pa.scalar("]", t), pa.scalar("", t))
    listed = pa.LargeListArray.from_arrays(pa.array([0, len(lines)], type=pa.int64()), lines)
    return pc.binary_join(listed, pa.scalar(",\n", t))[0].as_py()


def read_dataset_json(path: str | os.PathLike) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a Dataset-JSON file: (DataFrame, the object without ``rows``).

    Dates (``dataType`` date/datetime) come back as ``datetime64[s]``, integers as ``Int64``,
    other numbers as ``float64``, text as ``object`` with ``None`` for missing. Read through
    :func:`adamforge.readers.read_dataset_file` (``records`` must equal the rows: a truncated file
    is a :class:`~adamforge.errors.DataError`).
    """
    from ..readers import read_dataset_file

    f = read_dataset_file(path)
    return f.data, f.raw


def load_schema() -> dict[str, Any]:
    """The Dataset-JSON v1.1 JSON schema shipped with the package."""
    text = resources.files("adamforge.export").joinpath("schemas/dataset-json-1-1.schema.json").read_text("utf-8")
    return json.loads(text)


def validate_dataset_json(obj: dict[str, Any]) -> list[str]:
    """Schema errors of a Dataset-JSON object (empty list: valid). Needs ``jsonschema``.

    Besides the JSON schema, checks that ``records`` equals the number of rows, that every row
    has one value per column and that variable names are unique.
    """
    import jsonschema

    validator = jsonschema.Draft201909Validator(load_schema())
    errs = [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))
    ]
    # rules of the specification that a JSON schema cannot express
    rows, cols = obj.get("rows", []), obj.get("columns", [])
    if isinstance(rows, list) and isinstance(obj.get("records"), int) and obj["records"] != len(rows):
        errs.append(f"records: {obj['records']} but {len(rows)} rows")
    for i, r in enumerate(rows if isinstance(rows, list) else []):
        if isinstance(r, list) and len(r) != len(cols):
            errs.append(f"rows/{i}: {len(r)} values for {len(cols)} columns")
    names = [c.get("name") for c in cols if isinstance(c, dict)]
    if len(set(names)) != len(names):
        errs.append("columns: duplicate variable names")
    return errs
