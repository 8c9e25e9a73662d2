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

import argparse
import os
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..errors import EXIT_OK, DataError, UsageError
from ..io import check_sas_name, remove_stale, safe_child, sha256_file

HELP = "write submission files: XPT v5, define.xml 2.1, Dataset-JSON"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the export step (prefixed: they are also options of ``adamforge run``)."""
    g = parser.add_argument_group("export options")
    g.add_argument(
        "--export-datasets",
        default=None,
        metavar="NAMES",
        help="comma-separated datasets to export (default: every spec dataset with a <out>/adam/<name>.parquet file)",
    )
    g.add_argument("--export-no-json", action="store_true", help="do not write Dataset-JSON files")
    g.add_argument(
        "--export-standard",
        default="ADaMIG:1.3",
        metavar="NAME:VERSION",
        help="the define.xml standard of the datasets (default ADaMIG:1.3)",
    )


def run(args, ctx) -> int:
    """Run the export step; returns an exit code (raises DataError with every problem)."""
    from ..adam.spec import load_spec

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
        frames[n] = pd.read_parquet(p)
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

    Returns
    -------
    list of Path
        The files written, in ``dest``.

    Raises
    ------
    adamforge.errors.DataError
        listing every problem of every dataset; nothing is written.
    """
    from .datasetjson import write_dataset_json
    from .define import build_define, define_variables, study_oid_from_spec
    from .metadata import check_frame_against_meta, conform_frame, dataset_meta_from_spec
    from .xpt import check_xpt, read_xpt, write_xpt

    dest = Path(dest)
    problems = []
    metas, data = {}, {}
    for name, df in frames.items():
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
        data[name] = conform_frame(df, meta)
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
    standard = tuple(standard)
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
                keys=list(meta.keys),
            )
            if json:
                write_dataset_json(
                    df,
                    safe_child(stage, f"{name.lower()}.json", what=f"dataset {name}"),
                    meta,
                    study_oid=study_oid,
                    metadata_version_oid=mdv_oid,
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
            standard=standard,
            notice=notice,
            results=results,
        )
        (stage / "define.xml").write_bytes(define)

        # verify before anything is moved into place
        problems = []
        listed = define_variables(define)
        for name, df in data.items():
            back, meta_x = read_xpt(stage / files[name])
            problems.extend(_round_trip_problems(name, df, back, meta_x, metas[name]))
            if listed.get(name) != list(back.columns):
                problems.append(
                    f"{name}: define.xml lists {listed.get(name)} but the XPT file holds {list(back.columns)}"
                )
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


def _round_trip_problems(name, df, back, meta_x, meta) -> list[str]:
    """Differences between the data and its XPT file as read back."""
    p = []
    if meta_x.table_name != name:
        p.append(f"{name}: XPT member name is {meta_x.table_name!r}")
    if meta_x.file_label != meta.label:
        p.append(f"{name}: XPT dataset label is {meta_x.file_label!r}, spec says {meta.label!r}")
    if list(back.columns) != list(df.columns):
        p.append(f"{name}: XPT variables {list(back.columns)} differ from {list(df.columns)}")
        return p
    for c in meta.columns:
        if meta_x.column_names_to_labels.get(c.name) != c.label:
            p.append(f"{name}.{c.name}: XPT label {meta_x.column_names_to_labels.get(c.name)!r} differs from the spec")
        if c.type == "text" and c.length and meta_x.variable_storage_width.get(c.name) != c.length:
            p.append(
                f"{name}.{c.name}: XPT length {meta_x.variable_storage_width.get(c.name)} differs from spec length {c.length}"
            )
        a, b = df[c.name], back[c.name]
        if c.type == "text":
            expected = a.astype(object).where(a.notna(), "").astype(str).str.rstrip()
            same = expected.tolist() == b.astype(object).tolist()
        elif c.type in ("integer", "float"):
            av = pd.to_numeric(a).astype("float64")
            bv = pd.to_numeric(b).astype("float64")
            same = bool(((av == bv) | (av.isna() & bv.isna())).all())
        else:
            same = bool(((a == b) | (a.isna() & b.isna())).all())
        if not same:
            p.append(f"{name}.{c.name}: values read back from the XPT file differ from the data")
    return p
