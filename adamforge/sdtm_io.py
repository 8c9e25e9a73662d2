"""Reading and writing an SDTM folder.

A folder of SDTM holds one SAS XPORT file per domain (``dm.xpt``, ``rs.xpt``, ...), as sponsors
deliver them. adamforge's own simulator also writes a Parquet copy of each domain and a
``manifest.json`` tying each copy to the SHA-256 of its XPT file; :func:`read_sdtm` reads the
Parquet copy only when the XPT file beside it is byte for byte the one the copy was made from,
and the XPT file otherwise (so replacing ``dm.xpt`` by hand is always honoured).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable, Mapping

import pandas as pd

from .errors import DataError, UsageError
from .io import sha256_file, write_text_atomic

MANIFEST = "manifest.json"


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    """Same dtypes whatever the source: text as ``str`` ("" for missing), numbers as float64."""
    out = {}
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            out[c] = s.astype("float64")
        else:
            out[c] = s.astype(object).where(s.notna(), "").astype(str)
    return pd.DataFrame(out, index=df.index)


def write_sdtm(
    domains: Mapping[str, pd.DataFrame],
    folder: str | os.PathLike,
    *,
    labels: Mapping[str, Mapping[str, str]],
    dataset_labels: Mapping[str, str],
    keys: Mapping[str, Iterable[str]] | None = None,
    parquet: bool = True,
) -> dict[str, dict]:
    """Write each domain as ``<domain>.xpt`` (XPORT v5, rules checked) and ``<domain>.parquet``.

    Returns the manifest written to ``manifest.json``: per domain the file names, their SHA-256,
    observations and variables. Raises :class:`~adamforge.errors.DataError` if a domain breaks an
    XPT v5 rule (every problem listed).
    """
    from .export.xpt import write_xpt

    folder = Path(folder)
    manifest: dict[str, dict] = {}
    problems: list[str] = []
    for name, df in domains.items():
        xpt = folder / f"{name.lower()}.xpt"
        try:
            write_xpt(df, xpt, dataset=name, dataset_label=dataset_labels[name],
                      labels=dict(labels[name]), keys=list((keys or {}).get(name, ())))
        except DataError as exc:
            problems += [str(exc), *exc.problems]
            continue
        entry = {"xpt": xpt.name, "xpt_sha256": sha256_file(xpt), "observations": len(df), "variables": df.shape[1]}
        if parquet:
            pq = folder / f"{name.lower()}.parquet"
            _normalise(df).to_parquet(pq, index=False)
            entry.update(parquet=pq.name, parquet_sha256=sha256_file(pq))
        manifest[name] = entry
    if problems:
        raise DataError("SDTM could not be written as XPT v5", problems)
    write_text_atomic(folder / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def read_sdtm(folder: str | os.PathLike, domains: Iterable[str] | None = None, *, log=None) -> dict[str, pd.DataFrame]:
    """Read the SDTM domains of ``folder`` into DataFrames keyed by upper-case domain name.

    Parameters
    ----------
    folder : a folder of ``<domain>.xpt`` files (any case), optionally with adamforge's Parquet
        copies and ``manifest.json``.
    domains : only these domains (default: every ``.xpt`` in the folder). A requested domain
        that is absent raises :class:`~adamforge.errors.DataError` naming it.
    log : an optional :class:`~adamforge.runlog.RunLog`; each input is logged with its SHA-256.

    Returns
    -------
    dict
        ``{"DM": DataFrame, ...}``; text variables as ``str`` with ``""`` for missing, numeric
        variables as float64 (SAS has one numeric type).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"SDTM folder {str(folder)!r} does not exist")
    files = {p.stem.upper(): p for p in sorted(folder.iterdir()) if p.suffix.lower() == ".xpt"}
    manifest = {}
    if (folder / MANIFEST).exists():
        manifest = json.loads((folder / MANIFEST).read_text())
    wanted = [d.upper() for d in domains] if domains is not None else sorted(files)
    missing = [d for d in wanted if d not in files]
    if missing:
        raise DataError(f"SDTM folder {folder}: domain(s) missing: {', '.join(missing)} "
                        f"(expected {', '.join(m.lower() + '.xpt' for m in missing)})")
    out: dict[str, pd.DataFrame] = {}
    for d in wanted:
        xpt = files[d]
        digest = sha256_file(xpt)
        if log is not None:
            log.lines.append(f"NOTE: Input {xpt}  sha256={digest}")
        entry = manifest.get(d, {})
        pq = folder / entry.get("parquet", "-")
        if entry.get("xpt_sha256") == digest and pq.exists() and sha256_file(pq) == entry.get("parquet_sha256"):
            out[d] = pd.read_parquet(pq)
        else:
            out[d] = _normalise(_read_xpt_any(xpt, log))
        if log is not None:
            log.dataset("SDTM", d, len(out[d]), out[d].shape[1])
    return out


def _read_xpt_any(path: Path, log=None) -> pd.DataFrame:
    import pyreadstat

    try:
        df, _ = pyreadstat.read_xport(os.fspath(path))
    except Exception as first:  # noqa: BLE001 - pyreadstat raises its own ReadstatError
        try:
            df, _ = pyreadstat.read_xport(os.fspath(path), encoding="cp1252")
        except Exception:
            raise DataError(f"{path.name}: cannot be read as SAS XPORT: {first}") from None
        if log is not None:
            log.warning(f"{path.name} is not UTF-8; read as Windows-1252 (cp1252).")
    return df
