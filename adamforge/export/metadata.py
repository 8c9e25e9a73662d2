"""Dataset metadata shared by the three submission formats (XPT, Dataset-JSON, define.xml).

One :class:`DatasetMeta` per dataset, built from the spec (:func:`dataset_meta_from_spec`) or,
for datasets without a spec such as the simulated SDTM, from labels and the data
(:func:`dataset_meta_from_frame`). The XPT attributes, the Dataset-JSON columns and the
define.xml ItemDefs are all read from it, so the three files cannot disagree.

OIDs follow the usual define.xml conventions: ``IG.<DATASET>`` for a dataset,
``IT.<DATASET>.<VARIABLE>`` for a variable, ``CL.<CODELIST>``, ``MT.<METHOD>``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..findings import Finding

__all__ = [
    "ColumnMeta",
    "DatasetMeta",
    "dataset_meta_from_spec",
    "dataset_meta_from_frame",
    "check_frame_against_meta",
    "conform_frame",
    "TYPES",
]

#: Variable types (the spec's vocabulary plus ``datetime``).
TYPES = ("text", "integer", "float", "date", "datetime")


@dataclasses.dataclass(frozen=True)
class ColumnMeta:
    """One variable: name, label, type (:data:`TYPES`), length, display format, key sequence,
    and the define.xml attributes (origin, predecessor, method and codelist ids, comment).

    The export view of a variable. Its source is the spec's
    :class:`adamforge.adam.spec.VariableSpec` (:meth:`from_variable`, the one place the two
    meet); a dataset without a spec gets it from its data (:func:`dataset_meta_from_frame`).
    What a file carries back when read is :class:`adamforge.readers.VariableMeta` (label,
    length, format: the attributes checked against this one).
    """

    name: str
    label: str
    type: str = "text"
    length: int | None = None
    display_format: str = ""
    key_sequence: int | None = None
    origin: str = ""
    predecessor: str = ""
    method: str = ""
    codelist: str = ""
    mandatory: bool = False
    comment: str = ""

    @classmethod
    def from_variable(cls, v, *, key_sequence: int | None = None) -> ColumnMeta:
        """The export view of a spec variable (:class:`adamforge.adam.spec.VariableSpec`).

        Numeric variables are 8 bytes long; a date without a display format gets ``DATE9.``.
        """
        return cls(
            name=v.name,
            label=v.label,
            type=v.type,
            length=v.length if v.type == "text" else 8,
            display_format=v.display_format or ("DATE9." if v.type == "date" else ""),
            key_sequence=key_sequence,
            origin=v.origin,
            predecessor=getattr(v, "predecessor", ""),
            method=v.method,
            codelist=v.codelist,
            mandatory=bool(getattr(v, "mandatory", False)),
        )


@dataclasses.dataclass(frozen=True)
class DatasetMeta:
    """One dataset's metadata, variables in file order."""

    name: str
    label: str
    columns: tuple[ColumnMeta, ...]
    structure: str = ""
    class_: str = ""
    keys: tuple[str, ...] = ()
    comment: str = ""

    @property
    def item_group_oid(self) -> str:
        """``IG.<NAME>``."""
        return f"IG.{self.name}"

    def item_oid(self, variable: str) -> str:
        """``IT.<DATASET>.<VARIABLE>``."""
        return f"IT.{self.name}.{variable}"

    @property
    def names(self) -> tuple[str, ...]:
        """Variable names in order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> ColumnMeta:
        """The variable ``name`` (KeyError if absent)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    # attributes in write_xpt's shape --------------------------------------------------
    @property
    def labels(self) -> dict[str, str]:
        """``{variable: label}``."""
        return {c.name: c.label for c in self.columns}

    @property
    def lengths(self) -> dict[str, int]:
        """Declared lengths of character variables (numerics are always 8 in XPT)."""
        return {c.name: int(c.length) for c in self.columns if c.type == "text" and c.length}

    @property
    def formats(self) -> dict[str, str]:
        """Display formats; dates without one get ``DATE9.``, date-times ``DATETIME20.``."""
        out = {}
        for c in self.columns:
            if c.display_format:
                out[c.name] = c.display_format
            elif c.type == "date":
                out[c.name] = "DATE9."
            elif c.type == "datetime":
                out[c.name] = "DATETIME20."
        return out


def dataset_meta_from_spec(ds) -> DatasetMeta:
    """A :class:`DatasetMeta` from a spec dataset (``adamforge.adam.spec.DatasetSpec``).

    Key sequence comes from the dataset's ``keys``; variable order from the spec.
    """
    keyseq = {k: i for i, k in enumerate(ds.keys, start=1)}
    cols = [ColumnMeta.from_variable(v, key_sequence=keyseq.get(v.name)) for v in ds.variables.values()]
    return DatasetMeta(
        name=ds.name,
        label=ds.label,
        columns=tuple(cols),
        structure=ds.structure,
        class_=getattr(ds, "class_", ""),
        keys=tuple(ds.keys),
    )


def dataset_meta_from_frame(
    df: pd.DataFrame,
    *,
    name: str,
    label: str,
    labels: Mapping[str, str],
    keys: Sequence[str] = (),
    origin: str = "Collected",
) -> DatasetMeta:
    """Metadata for a dataset without a spec (e.g. simulated SDTM): types and lengths from data.

    Character lengths are the longest value in bytes (at least 1).
    """
    from .xpt import xpt_column_kinds

    kinds = xpt_column_kinds(df)
    keyseq = {k: i for i, k in enumerate(keys, start=1)}
    cols = []
    for col in df.columns:
        kind = kinds[col]
        if kind == "char":
            vals = df[col].dropna().astype(str)
            length = max([1] + [len(v.encode("utf-8")) for v in vals])
            cols.append(
                ColumnMeta(str(col), labels.get(col, ""), "text", length, key_sequence=keyseq.get(col), origin=origin)
            )
        elif kind == "num":
            s = pd.to_numeric(df[col], errors="coerce").dropna()
            typ = (
                "integer"
                if len(s) and bool((s == np.floor(s)).all()) and pd.api.types.is_integer_dtype(df[col].dtype)
                else "float"
            )
            cols.append(ColumnMeta(str(col), labels.get(col, ""), typ, 8, key_sequence=keyseq.get(col), origin=origin))
        elif kind in ("date", "datetime"):
            cols.append(
                ColumnMeta(
                    str(col),
                    labels.get(col, ""),
                    kind,
                    8,
                    "DATE9." if kind == "date" else "DATETIME20.",
                    keyseq.get(col),
                    origin=origin,
                )
            )
        else:
            cols.append(
                ColumnMeta(str(col), labels.get(col, ""), "text", None, key_sequence=keyseq.get(col), origin=origin)
            )
    return DatasetMeta(name=name, label=label, columns=tuple(cols), keys=tuple(keys))


_KIND_OK = {
    "text": {"char"},
    "integer": {"num"},
    "float": {"num"},
    "date": {"date"},
    "datetime": {"datetime", "date"},
}


def check_frame_against_meta(df: pd.DataFrame, meta: DatasetMeta) -> list[Finding]:
    """Data versus metadata: every variable in both, types agree, integers are whole numbers.

    Returns findings (``ERROR``); an empty list means the data can be written with ``meta``.
    """
    from .xpt import xpt_column_kinds

    f: list[Finding] = []
    ds = meta.name
    for c in meta.columns:
        if c.name not in df.columns:
            f.append(Finding("EXP-VAR-MISSING", "ERROR", ds, c.name, "variable is in the spec but not in the data"))
        if c.type not in TYPES:
            f.append(Finding("EXP-TYPE", "ERROR", ds, c.name, f"spec type {c.type!r} is not one of {TYPES}"))
    for col in df.columns:
        if col not in meta.names:
            f.append(Finding("EXP-VAR-EXTRA", "ERROR", ds, str(col), "variable is in the data but not in the spec"))
    kinds = xpt_column_kinds(df[[c for c in df.columns if c in meta.names]])
    keys = [k for k in meta.keys if k in df.columns]
    for c in meta.columns:
        if c.name not in df.columns or c.type not in TYPES:
            continue
        kind = kinds[c.name]
        s = df[c.name]
        if s.isna().all():
            continue  # an all-missing column of any dtype: conform_frame gives it the spec's type
        if kind not in _KIND_OK[c.type]:
            first = int(np.flatnonzero(s.notna().to_numpy(dtype=bool))[0])
            k = {"OBS": first + 1, **{kk: _plain(df[kk].iat[first]) for kk in keys}}
            f.append(
                Finding(
                    "EXP-TYPE",
                    "ERROR",
                    ds,
                    c.name,
                    f"spec type is {c.type} but the data holds {_kind_words(kind)}"
                    + (f" (dtype {s.dtype})" if kind == "other" else "")
                    + f" ({int(s.notna().sum())} non-missing value(s); first shown)",
                    k,
                    str(s.iat[first]),
                )
            )
            continue
        if c.type == "integer":
            num = pd.to_numeric(s, errors="coerce").astype("float64")
            bad = np.flatnonzero((num.notna() & (num != np.floor(num))).to_numpy())
            for i in bad[:20]:
                k = {"OBS": int(i) + 1, **{kk: _plain(df[kk].iat[int(i)]) for kk in keys}}
                f.append(
                    Finding(
                        "EXP-INTEGER",
                        "ERROR",
                        ds,
                        c.name,
                        "spec type is integer but the value is not a whole number",
                        k,
                        str(num.iat[int(i)]),
                    )
                )
            if bad.size > 20:
                f.append(
                    Finding("EXP-INTEGER", "ERROR", ds, c.name, f"... and {bad.size - 20} more non-integer values")
                )
    return f


def _kind_words(kind: str) -> str:
    return {
        "char": "text",
        "num": "numbers",
        "date": "dates",
        "datetime": "date-times",
        "other": "values of another type",
    }[kind]


def _plain(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    return v.item() if hasattr(v, "item") else v


def conform_frame(df: pd.DataFrame, meta: DatasetMeta) -> pd.DataFrame:
    """The data in the spec's variable order and types (integers as nullable ``Int64``,
    floats ``float64``, text ``object``, dates ``datetime64[s]``). Call after
    :func:`check_frame_against_meta` found nothing; the input is not modified."""
    out = {}
    for c in meta.columns:
        s = df[c.name]
        if c.type == "text":
            out[c.name] = s.astype(object).where(s.notna(), None)
        elif c.type == "integer":
            out[c.name] = pd.to_numeric(s).astype("Int64")
        elif c.type == "float":
            out[c.name] = pd.to_numeric(s).astype("float64")
        else:
            ts = pd.to_datetime(s.astype(object).where(s.notna(), None))
            if c.type == "date":
                ts = ts.dt.normalize()
            out[c.name] = ts.astype("datetime64[s]")
    return pd.DataFrame(out, index=df.index)
