"""The ``adamforge tlf`` step: ADaM -> ARD -> Word tables, figures, listing.

Reads the two datasets the TLF spec names (``datasets: {subject: ..., analysis: ...}``; without
them the ADaM spec decides: its dataset of class ADSL and its one BDS dataset) from
``<out>/adam/<name>.parquet``, computes the analysis results data,
renders every output of the TLF spec to its own .docx (figures also as PNG) plus one combined
document with a table of contents, and swaps the whole ``<out>/tlf/`` folder in only when
everything succeeded.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pandas as pd

from adamforge.errors import DataError, UsageError

HELP = "compute analysis results data and render tables, listings, figures to Word"
COMBINED_NAME = "tlf_all.docx"
COMBINED_RTF = "tlf_all.rtf"


@dataclasses.dataclass
class TlfResult:
    """Files of one tlf run (name -> bytes), the ARD, and seconds spent per phase."""

    files: dict[str, bytes]
    ard: pd.DataFrame
    timings: dict[str, float]
    #: problems a ``table`` / ``km_plot`` output shows as a note (the step logs each as an ERROR line)
    notes: list[str] = dataclasses.field(default_factory=list)


def build_outputs(
    adsl: pd.DataFrame,
    adeff: pd.DataFrame,
    spec,
    *,
    meta,
    template=None,
    created=None,
    datasets: dict[str, pd.DataFrame] | None = None,
    rtf: bool = True,
) -> TlfResult:
    """Compute the ARD and render every output of ``spec``; nothing is written to disk.

    Parameters
    ----------
    adsl, adeff : the subject-level and the analysis dataset (``spec.subject_dataset``, ``spec.analysis_dataset``).
    spec : :class:`adamforge.tlf.spec.TlfSpec`.
    meta : :class:`adamforge.tlf.render.DocMeta` (footer texts).
    template : a docxtpl template path (default: the packaged one).
    created : datetime for the documents' core properties.
    datasets : every other dataset the spec's populations name (``ADAE``, ``ADTTE``, ...), by name.
    rtf : also write each output (and the combined document) as RTF.

    Returns
    -------
    TlfResult with ``files`` (``ard.json``, ``ard.csv``, ``<output>.docx``, ``<output>.rtf``,
    ``<figure>.png``, ``tlf_all.docx``, ``tlf_all.rtf``) and ``notes`` (problems shown in the outputs).
    """
    from . import ard as ard_mod
    from .registry import output_kind
    from .render import render_docx
    from .rtf import render_rtf
    from .tables import ArdIndex

    t = {}
    t0 = time.perf_counter()
    ard = ard_mod.compute_ard(adsl, adeff, spec, datasets=datasets)
    t["ard (statistics)"] = time.perf_counter() - t0
    files: dict[str, bytes] = {
        "ard.json": ard_mod.ard_to_json(ard).encode("utf-8"),
        "ard.csv": ard.to_csv(index=False, lineterminator="\n").encode("utf-8"),
    }
    ix = ArdIndex(ard)
    data = ard_mod.TlfData(adsl, adeff, dict(datasets or {}))
    views = []
    for o in spec.outputs:
        t0 = time.perf_counter()
        views.append(output_kind(o.kind, "view")(o, ix, spec, data, files))
        key = f"views: {o.kind}"
        t[key] = t.get(key, 0.0) + time.perf_counter() - t0
    t0 = time.perf_counter()
    row_cache: dict = {}  # the big tables' rendered rows, rendered once for both documents they are in
    for v in views:
        files[f"{v.output.file_stem}.docx"] = render_docx(
            [v], meta, header_right=v.output.id, template=template, created=created, row_cache=row_cache
        )
    t["word, one per output"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    files[COMBINED_NAME] = render_docx(
        views,
        meta,
        toc=True,
        header_right="Tables, figures and listings",
        template=template,
        created=created,
        row_cache=row_cache,
    )
    del row_cache
    t["word, combined"] = time.perf_counter() - t0
    if rtf:
        t0 = time.perf_counter()
        for v in views:
            files[f"{v.output.file_stem}.rtf"] = render_rtf([v], meta, header_right=v.output.id)
        files[COMBINED_RTF] = render_rtf(views, meta, header_right="Tables, figures and listings")
        t["rtf"] = time.perf_counter() - t0
    notes = ard[ard["statistic"] == "note"]
    return TlfResult(files, ard, t, [f"{r.output_id}: {r.value_char}" for r in notes.itertuples()])


def _read_adam(folder: Path, names: tuple[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    problems = []
    for name in names:
        if not (folder / f"{name.lower()}.parquet").is_file():
            problems.append(f"{folder / (name.lower() + '.parquet')} not found (run `adamforge derive` first)")
    if problems:
        raise DataError("TLF input missing", problems)
    subject, analysis = (pd.read_parquet(folder / f"{n.lower()}.parquet") for n in names)
    return subject, analysis


def resolve_datasets(spec, adam_spec=None):
    """The TLF spec with its two datasets named: as it names them, else from the ADaM spec's classes.

    ``adam_spec`` is the ADaM spec (:class:`adamforge.adam.spec.Spec`) or a callable loading it
    (called only when the TLF spec leaves a dataset unnamed). The subject-level dataset is the
    ADaM spec's dataset of class ADSL; the analysis dataset its one BDS dataset.

    Raises
    ------
    DataError : a dataset is unnamed and the ADaM spec cannot tell it.
    """
    from adamforge.adam.classes import datasets_of_class, subject_level_dataset

    subject, analysis = spec.subject_dataset, spec.analysis_dataset
    if subject and analysis:
        return spec
    adam = adam_spec() if callable(adam_spec) else adam_spec
    problems = []
    if not subject:
        subject = subject_level_dataset(adam) if adam is not None else None
        if not subject:
            problems.append(
                "datasets.subject: not named in the TLF spec, and the ADaM spec has no dataset of class ADSL"
            )
    if not analysis:
        bds = datasets_of_class(adam, "BDS") if adam is not None else []
        if len(bds) == 1:
            analysis = bds[0]
        else:
            problems.append(
                "datasets.analysis: not named in the TLF spec, and the ADaM spec has "
                + (f"{len(bds)} BDS datasets ({', '.join(bds)}): name one" if bds else "no BDS dataset")
            )
    if problems:
        raise DataError("TLF spec: the datasets to read are not known", problems)
    return dataclasses.replace(spec, subject_dataset=subject, analysis_dataset=analysis)


def _load_adam_spec(ctx):
    import warnings

    from adamforge.adam.spec import load_spec

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the derive step reports the spec's problems
        return load_spec(ctx.spec)


def run(args, ctx) -> int:
    """Run the step: read ADaM, build all outputs, write ``<out>/tlf/`` atomically."""
    import adamforge
    from adamforge.clock import run_timestamp, run_timestamp_iso
    from adamforge.io import safe_child, staged_dir

    from .render import DocMeta
    from .spec import load_tlf_spec

    spec_path = (
        Path(args.tlf_spec) if getattr(args, "tlf_spec", None) else getattr(ctx, "spec_dir", ctx.spec) / "tlf.yaml"
    )
    if not spec_path.is_file():
        if getattr(args, "tlf_spec", None):
            raise UsageError(f"TLF spec {str(spec_path)!r} does not exist")
        # a study without a TLF spec has no outputs yet: say so and skip (never another study's spec);
        # an earlier tlf/ under --out was made from other inputs and is removed
        from adamforge.io import remove_stale

        stale = ctx.out / "tlf"
        removed = stale.exists() and remove_stale(stale)
        ctx.log.note(
            f"Step tlf skipped: no TLF spec (tlf.yaml) in {getattr(ctx, 'spec_dir', ctx.spec)}; no tables, "
            "listings or figures for this study" + (f" (earlier output {stale} removed)." if removed else ".")
        )
        return 0
    template = getattr(args, "tlf_template", None)
    if template and not Path(template).is_file():
        raise UsageError(f"Word template {template!r} does not exist")
    ctx.log.input_file(spec_path, "TLF spec")
    spec = resolve_datasets(load_tlf_spec(spec_path), lambda: _load_adam_spec(ctx))
    names = (spec.subject_dataset, spec.analysis_dataset)
    ctx.log.note(f"TLF datasets: subject-level {names[0]}, analysis {names[1]}.")
    adam_dir = Path(args.tlf_adam) if getattr(args, "tlf_adam", None) else ctx.out / "adam"
    for name in dict.fromkeys(names):
        if (adam_dir / f"{name.lower()}.parquet").is_file():
            ctx.log.input_file(adam_dir / f"{name.lower()}.parquet")
    adsl, adeff = _read_adam(adam_dir, names)
    others = sorted({p.dataset for p in spec.populations.values() if p.dataset} - set(names))
    datasets = {}
    for name in others:  # the datasets of the populations of table / km_plot outputs
        path = adam_dir / f"{name.lower()}.parquet"
        if not path.is_file():
            raise DataError("TLF input missing", [f"{path} not found (run `adamforge derive` first)"])
        ctx.log.input_file(path)
        datasets[name] = pd.read_parquet(path)
    meta = DocMeta(
        study=spec.study,
        program=f"{spec.program} ({adamforge.__name__} {adamforge.__version__})",
        data_cut=getattr(args, "tlf_data_cut", None) or spec.data_cut,
        run_timestamp=run_timestamp_iso() + " UTC",
        notice=ctx.data_notice,
    )
    t0 = time.perf_counter()
    result = build_outputs(adsl, adeff, spec, meta=meta, template=template, created=run_timestamp(), datasets=datasets)
    for note in result.notes:
        ctx.log.warning(f"TLF {note} (shown as a note in the output)")
    with staged_dir(ctx.out / "tlf") as stage:
        for name, data in sorted(result.files.items()):
            safe_child(stage, name, what="TLF output file name").write_bytes(data)
    ctx.log.note(f"ARD: {len(result.ard)} results for {result.ard['output_id'].nunique()} outputs.")
    n_sep = int(
        (
            result.ard["statistic"].eq("separation")
            & result.ard["value"].eq(1)
            & ~result.ard["output_id"].str.startswith("Figure")
        ).sum()
    )
    if n_sep:
        ctx.log.warning(f"{n_sep} comparison(s) with separation: Firth estimates shown, with a footnote.")
    for phase, secs in result.timings.items():
        ctx.log.note(f"tlf {phase}: {secs:.2f} s")
    ctx.log.note(f"Wrote {len(result.files)} files to {ctx.out / 'tlf'} in {time.perf_counter() - t0:.1f} s.")
    return 0
