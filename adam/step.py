"""The ``derive`` step: SDTM -> ADSL and ADEFF, driven by the spec.

``adamforge derive`` reads SDTM (``--sdtm``, default ``<out>/sdtm``), loads the spec
(``--spec``), checks the input (every problem in one error), derives and finalises both datasets
and writes ``<out>/adam/adsl.parquet`` and ``<out>/adam/adeff.parquet`` atomically. A failed run
writes nothing and removes the previous Parquet files of these datasets, so no stale file looks
valid.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

import pandas as pd

from adamforge.errors import EXIT_OK, DataError

from . import adeff as _adeff
from . import adsl as _adsl
from .finalize import finalize_dataset, write_parquet
from .inputs import REQUIRED, check_sdtm, slim_sdtm
from .spec import Spec, load_spec

HELP = "derive ADaM datasets (ADSL, ADEFF) from SDTM, driven by the spec"

OUTPUTS = {"ADSL": "adsl.parquet", "ADEFF": "adeff.parquet"}


@dataclasses.dataclass(frozen=True)
class AdamResult:
    """The derived datasets and the problems finalisation found (``policy="dev"``)."""

    datasets: Mapping[str, pd.DataFrame]
    problems: tuple[str, ...]


def _week8_records(observed: pd.DataFrame, adeff: pd.DataFrame) -> pd.DataFrame:
    """The analysis records the subgroup flags read: observed ANL01FL records and the responders."""
    obs = observed.loc[(observed["ANL01FL"] == "Y").to_numpy(), ["USUBJID", "PARAMCD", "AVISIT", "ANL01FL", "AVAL"]]
    resp = adeff.loc[(adeff["PARCAT1"] == "RESPONDER").to_numpy(), ["USUBJID", "PARAMCD", "AVISIT", "ANL01FL", "AVAL"]]
    return pd.concat([obs, resp], ignore_index=True)


def derive_adam(sdtm: Mapping[str, pd.DataFrame], spec: Spec, *, policy: str = "dev") -> AdamResult:
    """Derive and finalise ADSL and ADEFF from SDTM frames.

    Parameters
    ----------
    sdtm : upper-case domain name -> DataFrame (``adamforge.sdtm_io.read_sdtm``).
    spec : from :func:`adamforge.adam.spec.load_spec`.
    policy : ``"dev"`` (finalisation problems are returned) or ``"submission"`` (they raise).

    Raises
    ------
    DataError : the SDTM input has problems (all of them listed), or a finalisation problem
        under ``policy="submission"``.
    """
    problems = check_sdtm(sdtm, spec)
    if problems:
        raise DataError(f"SDTM input is not fit to derive ADSL/ADEFF ({len(problems)} problem(s))", problems)
    # ---- ADSL from SDTM ----------------------------------------------------------------
    adsl = _adsl.create_adsl_core(sdtm, spec)
    # ---- observed efficacy records, baselines into ADSL ----------------------------------
    observed = _adeff.create_observed(sdtm, adsl, spec)
    adsl = _adsl.add_baselines(adsl, observed, spec)
    # ---- ADEFF with responders, subgroup flags -------------------------------------------
    adeff = _adeff.create_adeff(observed, adsl, spec)
    adsl = _adsl.add_subgroup_flags(adsl, _week8_records(observed, adeff), spec)
    adeff = _adeff.add_nachfl(adeff, adsl)
    # ---- finalise from the spec -----------------------------------------------------------
    out, found = {}, []
    for name, df in (("ADSL", adsl), ("ADEFF", adeff)):
        final, probs = finalize_dataset(df, spec, name, policy=policy)
        out[name] = final
        found += probs
    return AdamResult(datasets=out, problems=tuple(found))


def _read_slim(folder, log) -> dict[str, pd.DataFrame]:
    """Read the domains the programs need one at a time, keeping only the needed variables.

    A required domain that is absent is left out here and reported by the input check with
    every other problem.
    """
    from pathlib import Path

    from adamforge.sdtm_io import read_sdtm

    present = {p.stem.upper() for p in Path(folder).iterdir() if p.suffix.lower() == ".xpt"} if Path(folder).is_dir() else set()
    out: dict[str, pd.DataFrame] = {}
    for dom in REQUIRED:
        if dom in present:
            out.update(slim_sdtm(read_sdtm(folder, [dom], log=log)))
    return out


def add_arguments(parser) -> None:
    """Options of ``adamforge derive``."""
    parser.add_argument("--spec-policy", choices=("dev", "submission"), default="dev",
                        help="spec and finalisation problems: warn (dev, default) or stop (submission)")


def run(args, ctx) -> int:
    """Run the derive step (see the module docstring)."""
    from adamforge.io import atomic_path, remove_stale

    policy = getattr(args, "spec_policy", "dev")
    adam_dir = ctx.out / "adam"
    try:
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            spec = load_spec(ctx.spec, policy=policy)
        for f in spec.files:
            ctx.log.input_file(f, "Spec")
        for p in spec.problems:
            ctx.log.warning(f"spec: {p}")
        del caught
        sdtm = _read_slim(ctx.sdtm, ctx.log)
        result = derive_adam(sdtm, spec, policy=policy)
    except DataError:
        for name in OUTPUTS.values():
            if remove_stale(adam_dir / name):
                ctx.log.note(f"Removed stale {adam_dir / name} (this run failed).")
        raise
    for p in result.problems:
        ctx.log.warning(p)
    for name, fname in OUTPUTS.items():
        df = result.datasets[name]
        with atomic_path(adam_dir / fname) as tmp:
            write_parquet(df, tmp, spec.datasets[name])
        ctx.log.dataset("ADAM", name, len(df), df.shape[1])
    return EXIT_OK
