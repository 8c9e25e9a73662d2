"""``adamforge export``: XPT v5, Dataset-JSON v1.1 and define.xml 2.1 from the ADaM datasets.

Reads ``<out>/adam/<name>.parquet`` (written by ``adamforge derive``) for each spec dataset,
applies the spec's attributes (variable order, types, labels, lengths, formats, dataset label),
checks everything first (data against spec, XPT v5 rules) and reports every problem at once,
then writes into a staging folder:

* ``<name>.xpt`` (SAS XPORT v5) and ``<name>.json`` (Dataset-JSON v1.1) per dataset,
* ``define.xml`` (Define-XML 2.1) with leaf links to the XPT files and, when the study has a
  TLF spec (``tlf.yaml``), the analysis results metadata (ARM 1.0) of its tables and figures,

verifies them (each XPT read back equals the data; define.xml lists exactly the datasets and
variables of the XPT files) and only then moves them into ``<out>/adam/``. If anything fails,
nothing is moved and the previous export files are removed, so no stale file looks current.
The run log gets record counts and SHA-256 checksums.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EXIT_OK, DataError, UsageError
from ..io import check_sas_name, remove_stale, safe_child, sha256_file

HELP = "write submission files: XPT v5, define.xml 2.1, Dataset-JSON"


def run(args, ctx) -> int:
    """Run the export step; returns an exit code (raises DataError with every problem)."""
    from ..adam.spec import load_spec
    from ..readers import read_dataset_file

    adam_dir = Path(ctx.out) / "adam"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        spec = load_spec(ctx.spec)
    for w in caught:
        ctx.log.warning(f"spec: {w.message}")
    for f in getattr(spec, "files", ()):
        ctx.log.input_file(f, role="Spec")
    names = _dataset_names(getattr(args, "export_datasets", None), spec, adam_dir)
    std = getattr(args, "export_standard", "ADaMIG:1.3") or "ADaMIG:1.3"
    if ":" not in std:
        raise UsageError(f"--export-standard must be NAME:VERSION, e.g. ADaMIG:1.3 (got {std!r})")
    standard = tuple(std.split(":", 1))
    frames = {}
    for n in names:
        p = safe_child(adam_dir, f"{n.lower()}.parquet", what=f"dataset {n}")
        ctx.log.input_file(p)
        # the one reader: a malformed file is an error naming it, and no pyarrow.dataset import
        frames[n] = read_dataset_file(p, what=f"ADaM dataset {n}").data
    results = None  # the TLF spec: analysis results metadata (ARM) of its tables and figures
    tlf_yaml = Path(getattr(ctx, "spec_dir", ctx.spec)) / "tlf.yaml"
    if tlf_yaml.is_file():
        from ..yamlsafe import load_yaml

        ctx.log.input_file(tlf_yaml, role="TLF spec")
        results = load_yaml(tlf_yaml)
    else:
        ctx.log.note(f"export: no TLF spec ({tlf_yaml}); define.xml has no analysis results metadata.")
    try:
        written = export_datasets(
            frames,
            spec,
            adam_dir,
            json=not getattr(args, "export_no_json", False),
            standard=standard,
            log=ctx.log,
            notice=ctx.data_notice,
            results=results,
            release=True,
        )
    except Exception:
        for n in names:
            for suffix in (".xpt", ".json"):
                if remove_stale(safe_child(adam_dir, f"{n.lower()}{suffix}", what=f"dataset {n}")):
                    ctx.log.note(f"Removed stale {n.lower()}{suffix} of an earlier export.")
        if remove_stale(adam_dir / "define.xml"):
            ctx.log.note("Removed stale define.xml of an earlier export.")
        raise
    for path in written:
        ctx.log.note(f"Wrote {path}  sha256={sha256_file(path)}")
    return EXIT_OK


def _dataset_names(option: str | None, spec, adam_dir: Path) -> list[str]:
    # a name becomes a file name: a valid SAS name under every policy (never a path)
    bad = []
    for n in spec.datasets:
        try:
            check_sas_name(n, what="spec dataset name")
        except DataError as exc:
            bad.append(str(exc))
    if bad:
        raise DataError(f"export: {len(bad)} spec dataset name(s) cannot name an XPT file; nothing written", bad)
    if option:
        names = [x.strip().upper() for x in option.split(",") if x.strip()]
        unknown = [n for n in names if n not in spec.datasets]
        if unknown:
            raise UsageError(
                f"--export-datasets: {', '.join(unknown)} not in the spec (spec datasets: {', '.join(spec.datasets)})"
            )
        missing = [n for n in names if not (adam_dir / f"{n.lower()}.parquet").is_file()]
        if missing:
            raise DataError(f"no ADaM data for {', '.join(missing)} in {adam_dir} (run `adamforge derive` first)")
        return names
    names = [n for n in spec.datasets if (adam_dir / f"{n.lower()}.parquet").is_file()]
    if not names:
        raise DataError(
            f"no ADaM datasets of the spec ({', '.join(spec.datasets)}) found as Parquet in "
            f"{adam_dir} (run `adamforge derive` first)"
        )
    return names


def export_datasets(
    frames: dict[str, pd.DataFrame],
    spec,
    dest: str | os.PathLike,
    *,
    json: bool = True,
    standard: Sequence[str] = ("ADaMIG", "1.3"),
    log=None,
    notice: str = "",
    results: dict | None = None,
    release: bool = False,
) -> list[Path]:
    """Check, write and verify the submission files of ``frames`` into ``dest``.

    Parameters
    ----------
    frames : dataset name -> data (names as in the spec, e.g. ``"ADSL"``).
    spec : the :class:`adamforge.adam.spec.Spec` describing them.
    dest : the folder the files go to (``<out>/adam``).
    json : also write Dataset-JSON files.
    standard : (name, version) of the datasets' standard for define.xml.
    log : a :class:`adamforge.runlog.RunLog` for counts (optional).
    results : the TLF spec as plain data: define.xml then carries its analysis results
        metadata (ARM 1.0).
    release : remove each frame from ``frames`` once its conformed copy is made (the caller's
        dict is emptied), so the data are not held twice while the files are written.

    Returns
    -------
    list of Path
        The files written, in ``dest``.

    Raises
    ------
    adamforge.errors.DataError
        listing every problem of every dataset; nothing is written.
    """
    from .datasetjson import _write_checked as write_dataset_json
    from .define import build_define, define_variables, study_oid_from_spec
    from .metadata import check_frame_against_meta, dataset_meta_from_spec
    from .xpt import _write_checked as write_xpt
    from .xpt import check_xpt

    dest = Path(dest)
    problems = []
    metas, data = {}, {}
    for name in list(frames):
        df = frames[name]
        try:
            check_sas_name(name, what="dataset name")
        except DataError as exc:
            problems.append(str(exc))
            continue
        if name not in spec.datasets:
            problems.append(f"{name}: dataset is not in the spec")
            continue
        meta = dataset_meta_from_spec(spec.datasets[name])
        metas[name] = meta
        found = check_frame_against_meta(df, meta)
        if found:
            problems.extend(f.line() for f in found)
            continue
        data[name] = _conform_compact(df, meta)
        if release:
            frames[name] = None
            del df
        found = check_xpt(
            data[name],
            dataset=name,
            dataset_label=meta.label,
            labels=meta.labels,
            lengths=meta.lengths,
            formats=meta.formats,
            keys=list(meta.keys),
        )
        problems.extend(f.line() for f in found if f.severity == "ERROR")
    if problems:
        raise DataError(f"export: {len(problems)} problem(s); no submission file written", problems)

    study_oid = study_oid_from_spec(spec)
    std_pair = (standard[0], standard[1])
    mdv_oid = f"MDV.{study_oid}.{standard[0]}.{standard[1]}"
    dest.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=dest, prefix=".export-staging-"))
    try:
        files: dict[str, str] = {}
        for name, df in data.items():
            meta = metas[name]
            xpt = f"{name.lower()}.xpt"
            files[name] = xpt
            write_xpt(
                df,
                safe_child(stage, xpt, what=f"dataset {name}"),
                dataset=name,
                dataset_label=meta.label,
                labels=meta.labels,
                lengths=meta.lengths,
                formats=meta.formats,
            )
            if json:
                write_dataset_json(
                    df,
                    safe_child(stage, f"{name.lower()}.json", what=f"dataset {name}"),
                    meta,
                    study_oid=study_oid,
                    metadata_version_oid=mdv_oid,
                    conformed=True,
                )
            if log is not None:
                log.dataset("ADAM", name, len(df), len(df.columns))
        define = build_define(
            spec,
            datasets=list(data),
            metas=metas,
            files=files,
            study_oid=study_oid,
            metadata_version_oid=mdv_oid,
            standard=std_pair,
            notice=notice,
            results=results,
        )
        (stage / "define.xml").write_bytes(define)

        # verify before anything is moved into place
        problems = []
        listed = define_variables(define)
        for name, df in data.items():
            held = _xpt_round_trip(stage / files[name], name, df, metas[name], problems)
            if listed.get(name) != held:
                problems.append(f"{name}: define.xml lists {listed.get(name)} but the XPT file holds {held}")
        extra = sorted(set(listed) - set(data))
        if extra:
            problems.append(f"define.xml lists datasets without an XPT file: {', '.join(extra)}")
        if problems:
            raise DataError("export: verification of the written files failed; nothing moved into place", problems)

        out = []
        for f in sorted(stage.iterdir()):
            os.replace(f, safe_child(dest, f.name))
            out.append(dest / f.name)
        return out
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _conform_compact(df: pd.DataFrame, meta) -> pd.DataFrame:
    """:func:`~adamforge.export.metadata.conform_frame`, with text kept in Arrow (pandas ``str``
    dtype, missing as NA) instead of one Python object per value: the same values, a fraction
    of the memory. Call after ``check_frame_against_meta`` found nothing."""
    from .metadata import conform_frame

    out = {}
    for c in meta.columns:
        s = df[c.name]
        if c.type == "text":
            if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
                out[c.name] = s
            else:
                out[c.name] = pd.Series(s.astype(object).where(s.notna(), None), index=df.index, dtype="str")
        elif c.type in ("date", "datetime") and pd.api.types.is_datetime64_dtype(s.dtype):
            # conform_frame's result without a Timestamp object per value (tz-naive dates: the
            # same instants, NaT kept)
            out[c.name] = (s.dt.normalize() if c.type == "date" else s).astype("datetime64[s]")
        else:
            out[c.name] = conform_frame(df[[c.name]], dataclasses.replace(meta, columns=(c,)))[c.name]
    return pd.DataFrame(out, index=df.index)


def _xpt_round_trip(path: Path, name: str, df: pd.DataFrame, meta, problems: list[str], *, chunk: int = 250_000):
    """Read the written XPT file back and compare it with the data; returns the variables it holds.

    The headers are read by pyreadstat (member name, dataset label, variable names, labels,
    lengths, formats); the records are read from the file's bytes in batches, at the positions
    and lengths its NAMESTR records declare, numbers decoded from IBM floats and text with
    trailing blanks removed, and compared value for value with the data, so memory holds one
    batch whatever the size. The record structure is checked first, as any XPT read is."""
    import pyreadstat

    from ..readers import check_xpt_structure

    members = check_xpt_structure(path)
    _, meta_x = pyreadstat.read_xport(os.fspath(path), metadataonly=True)
    names = list(meta_x.column_names)
    if meta_x.table_name != name:
        problems.append(f"{name}: XPT member name is {meta_x.table_name!r}")
    if meta_x.file_label != meta.label:
        problems.append(f"{name}: XPT dataset label is {meta_x.file_label!r}, spec says {meta.label!r}")
    if len(members) != 1 or members[0].observations != len(df):
        obs = [m.observations for m in members]
        problems.append(f"{name}: the XPT file holds {obs} observation(s) in {len(members)} member(s), not {len(df)}")
        return names
    if names != list(df.columns):
        problems.append(f"{name}: XPT variables {names} differ from {list(df.columns)}")
        return names
    labels = dict(zip(meta_x.column_names, meta_x.column_labels))
    for c in meta.columns:
        if labels.get(c.name) != c.label:
            problems.append(f"{name}.{c.name}: XPT label {labels.get(c.name)!r} differs from the spec")
        if c.type == "text" and c.length and meta_x.variable_storage_width.get(c.name) != c.length:
            problems.append(
                f"{name}.{c.name}: XPT length {meta_x.variable_storage_width.get(c.name)} differs from spec length {c.length}"
            )
    layout, start, reclen = members[0].fields, members[0].data_start, members[0].record_length
    if [x[0] for x in layout] != names:
        problems.append(f"{name}: XPT NAMESTR records name {[x[0] for x in layout]}, the header {names}")
        return names
    fmts = meta_x.original_variable_types or {}
    differ: set[str] = set()
    # plain reads, not a memory map: the pages of a map would count as the process's memory
    fh = open(path, "rb")  # noqa: SIM115 - closed below
    fh.seek(start)
    for lo in range(0, len(df), chunk):
        part = df.iloc[lo : lo + chunk]
        block = np.frombuffer(fh.read(len(part) * reclen), dtype=np.uint8)
        if block.size != len(part) * reclen:
            problems.append(f"{name}: the XPT file ends before record {lo + block.size // reclen + 1}")
            break
        block = block.reshape(len(part), reclen)
        for (col, is_num, pos, width), c in zip(layout, meta.columns):
            if col in differ:
                continue
            field = block[:, pos : pos + width]  # a strided view: no copy
            a = part[col]
            if c.type == "text" or not is_num:
                if is_num or c.type != "text":
                    differ.add(col)
                    continue
                same = _same_text(field, a, width)
            else:
                got = _ibm_to_ieee(np.ascontiguousarray(field).view(">u8").ravel())
                exp = _sas_numbers(a, c.type, fmts.get(col) or "")
                same = bool(((got == exp) | (np.isnan(got) & np.isnan(exp))).all())
            if not same:
                differ.add(col)
    for c in meta.columns:
        if c.name in differ:
            problems.append(f"{name}.{c.name}: values read back from the XPT file differ from the data")
    fh.close()
    return names


def _ibm_to_ieee(u: np.ndarray) -> np.ndarray:
    """8-byte IBM System/360 floats (as unsigned integers) to IEEE doubles; SAS missing values
    (a first byte of ``.``, ``_`` or ``A``-``Z`` and zeros after it) to NaN."""
    u = u.astype(np.uint64)
    first = (u >> np.uint64(56)).astype(np.int64)
    frac = u & np.uint64((1 << 56) - 1)
    exp = (first & 0x7F) - 64
    val = np.ldexp(frac.astype(np.float64), (4 * exp - 56).astype(np.int64))
    val = np.where(first & 0x80, -val, val)
    missing = (frac == 0) & ((first == 0x2E) | (first == 0x5F) | ((first >= 0x41) & (first <= 0x5A)))
    return np.where(missing, np.nan, val)


def _same_text(field: np.ndarray, a: pd.Series, width: int) -> bool:
    """Whether the (n, width) text field of the records read back holds ``a`` (the test of
    :func:`_text_bytes`: trailing blanks of the file and trailing whitespace of the data ignored).

    The data, trailing whitespace removed, are padded with blanks by Arrow and compared with the
    field byte for byte; equal bytes mean equal values. Records whose bytes differ (or a column
    that does not pad to the width) are compared value by value as :func:`_text_bytes` reads them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .xpt import _arrow_text

    arr = pc.fill_null(pc.utf8_rtrim_whitespace(_arrow_text(a)), "")
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks else pa.array([], type=pa.large_string())
    arr = pc.utf8_rpad(arr, width=width, padding=" ").cast(pa.large_string())
    rows = np.arange(len(a))
    if len(arr) and pc.min(pc.binary_length(arr)).as_py() == width == pc.max(pc.binary_length(arr)).as_py():
        offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
        exp = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]].reshape(len(arr), width)
        rows = np.flatnonzero((field != exp).any(axis=1))
    if not len(rows):
        return True
    got = np.strings.rstrip(np.ascontiguousarray(field[rows]).view(f"S{width}").ravel(), b" ")
    return bool(np.array_equal(got, _text_bytes(a.iloc[rows])))


def _text_bytes(s: pd.Series) -> np.ndarray:
    """Text as the reader gives it back: missing as empty, trailing whitespace removed, UTF-8."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .xpt import _arrow_text

    arr = pc.fill_null(pc.utf8_rtrim_whitespace(_arrow_text(s)), "")
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.large_binary()).to_numpy(zero_copy_only=False).astype("S")


def _sas_numbers(a: pd.Series, typ: str, fmt: str) -> np.ndarray:
    """The data as SAS stores them: numbers as doubles, dates as days and date-times as seconds
    since 1960-01-01 (by the file's format, as a reader converts them back)."""
    from .xpt import DATE_FORMATS, DATETIME_FORMATS, _format_name, _to_sas_datetime, to_sas_date

    if typ in ("integer", "float"):
        return pd.to_numeric(a).astype("float64").to_numpy(na_value=np.nan)
    fname = _format_name(fmt + ("" if fmt.endswith(".") else "."))
    if fname in DATETIME_FORMATS:
        return _to_sas_datetime(a).to_numpy(dtype=np.float64, na_value=np.nan)
    if fname in DATE_FORMATS:
        return to_sas_date(a).to_numpy(dtype=np.float64, na_value=np.nan)
    return np.full(len(a), np.inf)  # a date variable without a date format: never equal
