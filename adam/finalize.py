"""Finalising a dataset from the spec, xportr style: one attribute per small step, chained.

Each ``check_*`` step returns problems (strings naming dataset, variable and rule); each
``apply_*`` step returns a new frame. :func:`finalize_dataset` chains them and applies the
strictness policy: ``"dev"`` returns the problems for the caller to log as warnings,
``"submission"`` raises :class:`~adamforge.errors.DataError` listing all of them.

Labels are not hidden in ``DataFrame.attrs``: :func:`write_parquet` puts the dataset label and
the variable labels into the Parquet schema metadata, from the spec.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from adamforge.errors import DataError

from ..keys import duplicated_rows, row_codes
from .spec import DatasetSpec, Spec

__all__ = [
    "check_variables",
    "apply_keep_order",
    "apply_types",
    "check_lengths",
    "check_codelists",
    "check_keys",
    "sort_by_keys",
    "apply_sequence",
    "finalize_dataset",
    "write_parquet",
]

_MAX_EXAMPLES = 5


def check_variables(df: pd.DataFrame, ds: DatasetSpec) -> list[str]:
    """Spec variables missing from the data, and data variables not in the spec (dropped by keep)."""
    p = [
        f"{ds.name}.{v}: in the spec but not derived (rule: spec variable missing)"
        for v in ds.variables
        if v not in df.columns
    ]
    p += [
        f"{ds.name}.{c}: derived but not in the spec; dropped (rule: variable not in spec)"
        for c in df.columns
        if c not in ds.variables and not c.startswith("_")
    ]
    return p


def apply_keep_order(df: pd.DataFrame, ds: DatasetSpec) -> pd.DataFrame:
    """Keep the spec's variables, in spec order (variables missing from the data are skipped)."""
    return df[[v for v in ds.variables if v in df.columns]]


def apply_types(df: pd.DataFrame, ds: DatasetSpec) -> pd.DataFrame:
    """Set each variable's storage type from the spec.

    text -> object strings with "" for missing; integer -> nullable ``Int64``; float ->
    ``float64``; date -> ``datetime64[s]``.
    """
    out = df.copy(deep=False)  # copy-on-write: the input is never modified
    for name, v in ds.variables.items():
        if name not in out.columns:
            continue
        col = out[name]
        if v.type == "text":
            if col.dtype == "str" and not col.isna().any():
                continue
            out[name] = col.where(col.notna(), "").astype("str")
        elif v.type == "integer":
            num = pd.to_numeric(col, errors="coerce")
            out[name] = num.round().astype("Int64")
        elif v.type == "float":
            out[name] = pd.to_numeric(col, errors="coerce").astype("float64")
        elif v.type == "date":
            out[name] = pd.to_datetime(col).astype("datetime64[s]")
    return out


def _examples(df: pd.DataFrame, mask: np.ndarray, ds: DatasetSpec, var: str) -> str:
    keys = [k for k in ("USUBJID", "PARAMCD", "AVISIT") if k in df.columns]
    cols = keys + ([var] if var not in keys else [])
    rows = df.loc[mask, cols].head(_MAX_EXAMPLES)
    txt = "; ".join(", ".join(f"{k}={r[k]}" for k in cols) for _, r in rows.iterrows())
    n = int(mask.sum())
    return f"{n} record(s), e.g. {txt}" + (" ..." if n > _MAX_EXAMPLES else "")


def _utf8_lengths(col: pd.Series) -> np.ndarray:
    """UTF-8 byte length of each value as text (Arrow's kernel for Arrow text, else per distinct value)."""
    if isinstance(col.dtype, pd.StringDtype) and col.dtype.storage == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        lens = pc.binary_length(pa.array(col)).fill_null(0)  # text is never missing after apply_types
        return np.asarray(lens, dtype=np.int64)
    codes, uniques = pd.factorize(col.astype("str"), use_na_sentinel=False)
    ulens = np.fromiter((len(str(u).encode("utf-8")) for u in uniques), dtype=np.int64, count=len(uniques))
    return ulens[codes]


def check_lengths(df: pd.DataFrame, ds: DatasetSpec) -> list[str]:
    """Text values longer than the spec length (in UTF-8 bytes, as XPT counts them)."""
    p = []
    for name, v in ds.variables.items():
        if v.type != "text" or v.length is None or name not in df.columns:
            continue
        bad = _utf8_lengths(df[name]) > v.length
        if bad.any():
            p.append(
                f"{ds.name}.{name}: value longer than spec length {v.length} (rule: length): {_examples(df, bad, ds, name)}"
            )
    return p


def check_codelists(df: pd.DataFrame, ds: DatasetSpec, spec: Spec) -> list[str]:
    """Non-missing values outside the variable's codelist."""
    p = []
    for name, v in ds.variables.items():
        if not v.codelist or name not in df.columns or v.codelist not in spec.codelists:
            continue
        cl = spec.codelists[v.codelist]
        allowed = {str(t.coded) for t in cl.terms} | {
            str(float(t.coded)) for t in cl.terms if isinstance(t.coded, (int, float))
        }
        codes, uniques = pd.factorize(df[name], use_na_sentinel=True)
        ok_u = np.fromiter((str(u) in allowed or str(u) == "" for u in uniques), dtype=bool, count=len(uniques))
        bad = (codes >= 0) & ~ok_u[np.clip(codes, 0, None)]
        if bad.any():
            p.append(
                f"{ds.name}.{name}: value outside codelist {cl.id} (rule: codelist): {_examples(df, bad, ds, name)}"
            )
    return p


def check_keys(df: pd.DataFrame, ds: DatasetSpec) -> list[str]:
    """Records sharing the same key values."""
    keys = [k for k in ds.keys if k in df.columns]
    if not keys:
        return []
    dup = duplicated_rows(row_codes([df[k] for k in keys]))
    if dup.any():
        return [
            f"{ds.name}: duplicate keys ({', '.join(keys)}) (rule: unique keys): {_examples(df, dup, ds, keys[-1])}"
        ]
    return []


def sort_by_keys(df: pd.DataFrame, ds: DatasetSpec) -> pd.DataFrame:
    """Sort by the spec keys (missing values first, as SAS sorts them); a fresh 0..n-1 index."""
    keys = [k for k in ds.keys if k in df.columns]
    return df.sort_values(keys, kind="stable", na_position="first").reset_index(drop=True)


def _key_order(df: pd.DataFrame, ds: DatasetSpec) -> np.ndarray | None:
    """The row positions of :func:`sort_by_keys`' order (None: already in that order)."""
    keys = [k for k in ds.keys if k in df.columns]
    if not keys or len(df) < 2:
        return None
    # the same stable sort as sort_by_keys, on the key variables alone
    order = df[keys].reset_index(drop=True).sort_values(keys, kind="stable", na_position="first").index.to_numpy()
    return None if bool((order == np.arange(len(order))).all()) else order


def take_rows_releasing(df: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """The records of ``df`` at ``positions`` (a fresh 0..n-1 index), built one variable at a time.

    Each variable is removed from ``df`` once taken, so a frame nobody else holds is never held
    twice at once (its copy grows as it shrinks): ``df`` is left empty. Values and types are
    those of ``df.take(positions)``. A frame with duplicate variable names is copied whole."""
    if not df.columns.is_unique:
        return df.take(positions).reset_index(drop=True)
    cols: dict = {}
    for c in list(df.columns):
        cols[c] = df[c].array.take(positions)
        del df[c]
    return pd.DataFrame(cols, index=pd.RangeIndex(len(positions)), copy=False)


#: the classes whose records are numbered per subject (``ASEQ``) when the program did not number them
SEQUENCED_CLASSES = ("BDS", "OCCDS", "BASIC DATA STRUCTURE", "OCCURRENCE DATA STRUCTURE")


def apply_sequence(df: pd.DataFrame, ds: DatasetSpec, class_: str = "", *, seq_var: str = "ASEQ") -> pd.DataFrame:
    """Number the records of each subject 1, 2, ... in key order (``ASEQ``), the class's finishing.

    Applies when the dataset is of a sequenced class (BDS, OCCDS: the program's class or the
    spec's), its spec has ``seq_var`` and the program did not derive it; otherwise returns ``df``.
    """
    cls = (class_ or ds.class_).upper()
    if (
        seq_var not in ds.variables
        or seq_var in df.columns
        or cls not in SEQUENCED_CLASSES
        or "USUBJID" not in df.columns
    ):
        return df
    keys = [k for k in ds.keys if k in df.columns and k != seq_var]
    out = df.sort_values(keys or ["USUBJID"], kind="stable", na_position="first").reset_index(drop=True)
    out[seq_var] = out.groupby("USUBJID", sort=False).cumcount().to_numpy() + 1
    return out


def finalize_dataset(df: pd.DataFrame, spec: Spec, name: str, *, policy: str = "dev") -> tuple[pd.DataFrame, list[str]]:
    """Keep, order, type, check lengths/codelists/keys and sort a dataset by its spec.

    Parameters
    ----------
    df : the derived dataset.
    spec : the spec; ``spec.datasets[name]`` describes the dataset.
    policy : ``"dev"`` returns problems (the caller logs them as warnings); ``"submission"``
        raises :class:`DataError` with every problem.

    Returns
    -------
    (DataFrame, list[str]) : the final dataset and the problems found.
    """
    if policy not in ("dev", "submission"):
        raise ValueError("policy must be 'dev' or 'submission'")
    ds = spec.datasets[name]
    prog = spec.programs.get(name) if getattr(spec, "programs", None) else None
    df = apply_sequence(df, ds, prog.class_ if prog is not None else "")
    problems = check_variables(df, ds)
    out = apply_keep_order(df, ds)
    del df  # ``out`` is a frame of our own from here (the caller's frame is never modified)
    out = apply_types(out, ds)
    problems += check_lengths(out, ds)
    problems += check_codelists(out, ds, spec)
    problems += check_keys(out, ds)
    # sort_by_keys, variable by variable: the records are not held twice while sorted
    order = _key_order(out, ds)
    out = out.reset_index(drop=True) if order is None else take_rows_releasing(out, order)
    if problems and policy == "submission":
        raise DataError(f"{name}: finalisation found {len(problems)} problem(s) (policy=submission)", problems)
    return out, problems


def write_parquet(df: pd.DataFrame, path, ds: DatasetSpec) -> None:
    """Write ``df`` to Parquet with the dataset label and variable labels in the schema metadata.

    Deterministic: the same frame gives the same bytes (no time stamps are written).
    """
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    fields = []
    for f in table.schema:
        v = ds.variables.get(f.name)
        meta = {b"label": (v.label if v else "").encode("utf-8")}
        fields.append(f.with_metadata(meta))
    schema_meta = dict(table.schema.metadata or {})
    schema_meta[b"adamforge"] = json.dumps({"dataset": ds.name, "label": ds.label, "keys": list(ds.keys)}).encode(
        "utf-8"
    )
    table = table.cast(pa.schema(fields, metadata=schema_meta))
    pq.write_table(table, str(path))
