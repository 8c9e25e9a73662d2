"""``adamforge simulate``: write the simulated reference study's SDTM into ``<out>/sdtm``."""

from __future__ import annotations

import argparse

from ..errors import EXIT_OK, UsageError

HELP = "write the simulated reference study's SDTM (XPT v5 + Parquet) into <out>/sdtm"


def _scale(text: str) -> int:
    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--scale takes a whole number >= 1, not {text!r}") from None
    if k < 1:
        raise argparse.ArgumentTypeError(f"--scale takes a whole number >= 1, not {text!r}")
    return k


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--seed`` and ``--scale``."""
    from .targets import DEFAULT_SEED  # no pandas import just to build the parser

    g = parser.add_argument_group("simulation")
    g.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    g.add_argument(
        "--scale",
        type=_scale,
        default=1,
        metavar="K",
        help="K times the 1249 subjects, same distributions (default 1; calibrated exactly at 1)",
    )


def run(args, ctx) -> int:
    """Simulate and write every domain atomically (a staging folder swapped in when complete)."""
    from .. import SYNTHETIC_DATA_NOTICE
    from ..io import staged_dir
    from ..sdtm_io import write_sdtm
    from .metadata import DATASET_LABELS, DOMAIN_ORDER, KEYS, LABELS
    from .simulate import iter_study

    if getattr(args, "command", "") == "simulate" and args.sdtm:
        raise UsageError("simulate writes to <out>/sdtm; --sdtm names an input folder and is not used here")
    dest = ctx.out / "sdtm"
    ctx.log.note(SYNTHETIC_DATA_NOTICE)
    ctx.log.note(f"Simulating the reference study: seed={args.seed}, scale={args.scale}.")
    with ctx.progress("simulate", 2) as p:
        with staged_dir(dest) as stage:
            # one domain at a time: made, written, released (the diary alone is 10 M records at scale 100)
            manifest = write_sdtm(
                iter_study(seed=args.seed, scale=args.scale),
                stage,
                labels={d: dict(v) for d, v in LABELS.items()},
                dataset_labels=DATASET_LABELS,
                keys=KEYS,
            )
            p.advance("domains simulated")
        p.advance("files written")
    manifest = {d: manifest[d] for d in DOMAIN_ORDER if d in manifest}
    for name, entry in manifest.items():
        ctx.log.dataset("SDTM", name, entry["observations"], entry["variables"])
        ctx.log.lines.append(f"NOTE: Output {dest / entry['xpt']}  sha256={entry['xpt_sha256']}")
    return EXIT_OK
