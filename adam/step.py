"""The ``derive`` step: SDTM -> the spec's ADaM datasets, by the spec's programs.

``adamforge derive`` reads SDTM (``--sdtm``, default ``<out>/sdtm``), loads the spec
(``--spec`` / ``--study``), checks the input (every problem in one error), runs the dataset
programs (:mod:`adamforge.adam.program`), finalises every output dataset by its spec and writes
``<out>/adam/<dataset>.parquet`` atomically. A failed run writes nothing and removes the
previous Parquet files of the spec's datasets, so no stale file looks valid.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pandas as pd

from adamforge.errors import EXIT_OK, DataError
from adamforge.options import DEFAULT_POLICY

from .finalize import finalize_dataset, write_parquet
from .inputs import check_sdtm
from .program import required_inputs, run_programs
from .spec import Spec, load_spec

HELP = "derive the spec's ADaM datasets from SDTM, driven by the spec's programs"


def output_files(spec: Spec) -> dict[str, str]:
    """Dataset name -> Parquet file name of every output dataset of the spec (``adsl.parquet``)."""
    return {name: f"{name.lower()}.parquet" for name in spec.datasets}


@dataclasses.dataclass(frozen=True)
class AdamResult:
    """The derived datasets, the problems finalisation found (``policy="dev"``), the step log."""

    datasets: Mapping[str, pd.DataFrame]
    problems: tuple[str, ...]
    steps: tuple[str, ...] = ()


def derive_adam(
    sdtm: Mapping[str, pd.DataFrame], spec: Spec, *, policy: str = "dev", log=None, consume: bool = False
) -> AdamResult:
    """Run the spec's programs on SDTM frames and finalise every output dataset.

    Parameters
    ----------
    sdtm : upper-case domain name -> DataFrame (``adamforge.sdtm_io.read_sdtm``).
    spec : from :func:`adamforge.adam.spec.load_spec`, with programs.
    policy : ``"dev"`` (finalisation problems are returned) or ``"submission"`` (they raise).
    log : called with one line per program step (record counts).
    consume : ``sdtm`` is a dict handed over: domains are removed from it once no program reads
        them (lower peak memory on big studies).

    Raises
    ------
    DataError : the SDTM input has problems (all of them listed), a step fails (named by spec
        file, program and step), or a finalisation problem under ``policy="submission"``.
    """
    problems = check_sdtm(sdtm, spec)
    if problems:
        raise DataError(f"SDTM input is not fit to derive the ADaM datasets ({len(problems)} problem(s))", problems)
    run = run_programs(sdtm, spec, log=log, consume=consume)
    del sdtm
    out, found = {}, []
    for name, prog in spec.programs.items():
        if not prog.output:
            continue
        final, probs = finalize_dataset(run.datasets.pop(name), spec, name, policy=policy)
        out[name] = final
        found += probs
    return AdamResult(datasets=out, problems=tuple(found), steps=tuple(run.log))


def _read_slim(folder, log, spec: Spec, encoding: str | None = None) -> dict[str, pd.DataFrame]:
    """Read the domains the programs read, one at a time, keeping only the variables they name.

    The domains and variables follow from the spec's programs
    (:func:`adamforge.adam.program.required_inputs`). A domain that is absent is left out here
    and reported by the input check with every other problem.
    """
    from pathlib import Path

    from adamforge.readers import domain_files
    from adamforge.sdtm_io import read_sdtm

    present = set(domain_files(folder)) if Path(folder).is_dir() else set()  # XPT, Parquet, JSON or CSV
    out: dict[str, pd.DataFrame] = {}
    kw = {"encoding": encoding} if encoding else {}
    for dom, variables in required_inputs(spec).items():
        if dom in present:
            # only the variables the programs read (a Parquet copy is read with only them)
            out[dom] = read_sdtm(folder, [dom], log=log, columns=variables, **kw)[dom]
    return out


def _remove_previous(adam_dir, spec: Spec | None, log) -> None:
    """A failed derive removes the previous outputs (the spec's datasets; every Parquet file without a spec)."""
    from adamforge.io import remove_stale

    names = output_files(spec).values() if spec is not None else sorted(p.name for p in adam_dir.glob("*.parquet"))
    for name in names:
        if remove_stale(adam_dir / name):
            log.note(f"Removed stale {adam_dir / name} (this run failed).")


def run(args, ctx) -> int:
    """Run the derive step (see the module docstring)."""
    from adamforge.io import atomic_path

    policy = getattr(ctx, "policy", DEFAULT_POLICY)  # --policy: spec check and finalisation
    adam_dir = ctx.out / "adam"
    spec = None
    try:
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            spec = load_spec(ctx.spec, policy=policy)
        for f in spec.files:
            ctx.log.input_file(f, "Spec")
        for plug in spec.plugins:
            ctx.log.note(
                f"Plugin {plug.source} loaded from {plug.path}  sha256={plug.sha256} "
                f"(derivations: {', '.join(sorted(plug.functions))})"
            )
        for p in spec.problems:
            ctx.log.warning(f"spec: {p}")
        del caught
        result = derive_adam(
            _read_slim(ctx.sdtm, ctx.log, spec, getattr(ctx, "encoding", None)),
            spec,
            policy=policy,
            log=ctx.log.note,
            consume=True,
        )
    except DataError:
        _remove_previous(adam_dir, spec, ctx.log)
        raise
    for p in result.problems:
        ctx.log.warning(p)
    for name, fname in output_files(spec).items():
        df = result.datasets[name]
        with atomic_path(adam_dir / fname) as tmp:
            write_parquet(df, tmp, spec.datasets[name])
        ctx.log.dataset("ADAM", name, len(df), df.shape[1])
    return EXIT_OK
