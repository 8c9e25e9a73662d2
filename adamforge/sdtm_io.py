"""Reading and writing an SDTM folder.

A folder of SDTM holds one file per domain: SAS XPORT (``dm.xpt``, ``rs.xpt``, ...), as sponsors
deliver them, or Parquet, Dataset-JSON or CSV (read by :mod:`adamforge.readers`; XPT first when a
domain has several). adamforge's own simulator also writes a Parquet copy of each domain and a
``manifest.json`` with the SHA-256 and record count of each file; :func:`read_sdtm` checks every
file the manifest lists against it (a truncated or edited file is an error), and reads the
Parquet copy of an XPT file only when both match the manifest.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

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
        elif s.dtype == "str":  # already Arrow text: missing values to "" without a Python object per value
            out[c] = s.fillna("") if s.hasnans else s
        else:
            out[c] = s.astype(object).where(s.notna(), "").astype(str)
    return pd.DataFrame(out, index=df.index)


def write_sdtm(
    domains: Mapping[str, pd.DataFrame] | Iterable[tuple[str, pd.DataFrame]],
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
    XPT v5 rule (every problem listed). ``domains`` may also be an iterable of ``(name, frame)``
    pairs (e.g. :func:`adamforge.sdtm_sample.simulate.iter_study`): each frame is written and
    released before the next is taken, so one domain is held at a time.
    """
    from .export.xpt import write_xpt

    folder = Path(folder)
    manifest: dict[str, dict] = {}
    problems: list[str] = []
    items = domains.items() if isinstance(domains, Mapping) else domains
    for name, df in items:
        xpt = folder / f"{name.lower()}.xpt"
        try:
            write_xpt(
                df,
                xpt,
                dataset=name,
                dataset_label=dataset_labels[name],
                labels=dict(labels[name]),
                keys=list((keys or {}).get(name, ())),
            )
        except DataError as exc:
            problems += [str(exc), *exc.problems]
            continue
        entry = {"xpt": xpt.name, "xpt_sha256": sha256_file(xpt), "observations": len(df), "variables": df.shape[1]}
        if parquet:
            pq = folder / f"{name.lower()}.parquet"
            _normalise(df).to_parquet(pq, index=False)
            entry.update(parquet=pq.name, parquet_sha256=sha256_file(pq))
        manifest[name] = entry
        del df  # not held while the next domain is made
    if problems:
        raise DataError("SDTM could not be written as XPT v5", problems)
    write_text_atomic(folder / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def read_manifest(folder: str | os.PathLike) -> dict[str, dict]:
    """The ``manifest.json`` of an SDTM folder (``{}`` when there is none).

    Raises :class:`~adamforge.errors.DataError` when it exists but is not a JSON object of
    domain entries (a truncated manifest is an error, never ignored).
    """
    path = Path(folder) / MANIFEST
    if not path.exists():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: truncated or malformed manifest: {exc}") from None
    if not isinstance(doc, dict) or not all(isinstance(v, dict) for v in doc.values()):
        raise DataError(f"{path}: malformed manifest: expected an object of domain entries")
    return doc


def check_against_manifest(
    path: Path, domain: str, entry: Mapping, *, observations: int | None = None, digest: str | None = None
) -> None:
    """Check a domain file against its ``manifest.json`` entry: SHA-256 and observations.

    The manifest names the XPT file (``xpt``, ``xpt_sha256``) and the Parquet copy (``parquet``,
    ``parquet_sha256``) with the domain's ``observations``. A file the manifest lists whose
    checksum or record count differs raises :class:`DataError` naming the file and the expected
    and actual values; a file it does not list is not checked.
    """
    kind = next((k for k in ("xpt", "parquet") if entry.get(k) == path.name), None)
    if kind is None:
        return
    problems = []
    want = entry.get(f"{kind}_sha256")
    if want is not None:
        got = digest or sha256_file(path)
        if got != want:
            problems.append(f"SHA-256 is {got}, the manifest says {want}")
    if observations is not None and entry.get("observations") is not None and observations != entry["observations"]:
        problems.append(f"{observations} records, the manifest says {entry['observations']}")
    if problems:
        raise DataError(
            f"SDTM {domain}: {path} does not match {MANIFEST} (changed or truncated after it was "
            "written; re-create the folder or remove the manifest)",
            problems,
        )


def read_sdtm(
    folder: str | os.PathLike,
    domains: Iterable[str] | None = None,
    *,
    log=None,
    encoding: str | None = None,
    columns: Iterable[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Read the SDTM domains of ``folder`` into DataFrames keyed by upper-case domain name.

    Parameters
    ----------
    folder : a folder with one file per domain (any case): ``<domain>.xpt``, ``.parquet``,
        ``.json`` (Dataset-JSON) or ``.csv``. When a domain has several, the first of
        :data:`adamforge.readers.SDTM_PRECEDENCE` is read: XPT (the submission format), then
        Parquet, Dataset-JSON, CSV; the run log names the file read for each domain.
    domains : only these domains (default: every domain with a file in the folder). A requested
        domain that is absent raises :class:`~adamforge.errors.DataError` naming it.
    log : an optional :class:`~adamforge.runlog.RunLog`; each input is logged with its SHA-256.
    encoding : text encoding of XPT and CSV files (default UTF-8; e.g. ``"cp1252"``).
    columns : keep only these variables (those present, in this order); a Parquet copy is then
        read with only them (less memory on big domains).

    When ``manifest.json`` is present (the simulator writes one), every file it lists is checked
    against it: SHA-256 and record count; a mismatch is an error naming the file. An XPT file
    whose Parquet copy the manifest ties to it (same checksums) is read through the copy (faster,
    same data).

    Returns
    -------
    dict
        ``{"DM": DataFrame, ...}``; text variables as ``str`` with ``""`` for missing, numeric
        variables as float64 (SAS has one numeric type).
    """
    from .readers import domain_files, manifest_entry, read_dataset_file

    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"SDTM folder {str(folder)!r} does not exist")
    files = domain_files(folder)
    manifest = read_manifest(folder)
    wanted = [d.upper() for d in domains] if domains is not None else sorted(files)
    missing = [d for d in wanted if d not in files]
    if missing:
        raise DataError(
            f"SDTM folder {folder}: domain(s) missing: {', '.join(missing)} "
            f"(expected {', '.join(m.lower() + '.xpt' for m in missing)}, or .parquet, .json, .csv)"
        )
    out: dict[str, pd.DataFrame] = {}
    for d in wanted:
        path, others = files[d][0], files[d][1:]
        digest = sha256_file(path)
        entry = manifest_entry(manifest, d)
        if log is not None:
            log.lines.append(f"NOTE: Input {path}  sha256={digest}")
            log.lines.append(
                f"NOTE: SDTM {d} read from {path.name}"
                + (f" (also present, not read: {', '.join(p.name for p in others)})" if others else "")
            )
        check_against_manifest(path, d, entry, digest=digest)
        pq = folder / str(entry.get("parquet", "-"))
        if (
            path.suffix.lower() == ".xpt"
            and entry.get("xpt") == path.name
            and entry.get("xpt_sha256") == digest
            and pq.is_file()
            and sha256_file(pq) == entry.get("parquet_sha256")
        ):
            if columns is None:
                out[d] = pd.read_parquet(pq)  # the verified copy of this very XPT file
                nvars = out[d].shape[1]
            else:
                import pyarrow.parquet as pq_

                names = pq_.read_schema(pq).names
                nvars = len(names)
                sel = [c for c in columns if c in set(names)]
                out[d] = pd.read_parquet(pq, columns=sel) if sel else pd.read_parquet(pq)[[]]
        else:
            out[d] = _normalise(read_dataset_file(path, encoding=encoding, what=f"SDTM {d} file").data)
            nvars = out[d].shape[1]
            if columns is not None:
                out[d] = out[d][[c for c in columns if c in out[d].columns]]
        check_against_manifest(path, d, entry, observations=len(out[d]), digest=digest)
        if log is not None:
            log.dataset("SDTM", d, len(out[d]), nvars)  # the file's variables, all read or not
    return out
