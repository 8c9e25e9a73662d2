"""The ``adamforge`` command line.

Each subcommand is a *step* implemented in its own module, imported only when it runs (so
``adamforge --help`` stays fast and heavy libraries load only in the step that needs them).
A step module provides::

    HELP: str                                  # one line for --help
    def add_arguments(parser) -> None          # its own options (must not clash across steps)
    def run(args, ctx: RunContext) -> int      # an exit code (see adamforge.errors)

``adamforge run`` chains the available steps in order. A step listed with ``module=None`` is
not available yet: alone it says so and exits 3; ``run`` names it in one line and goes on.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import sys
from pathlib import Path

from . import __version__
from .errors import EXIT_DIFFERENCES, EXIT_FAILED, EXIT_NOT_AVAILABLE, EXIT_OK, EXIT_USAGE, AdamforgeError, UsageError


@dataclasses.dataclass(frozen=True)
class StepDef:
    name: str
    help: str
    module: str | None  # None: not available yet
    in_run: bool = True  # chained by `adamforge run`
    issue: str = ""  # where the missing step is tracked
    #: what the step writes under --out (glob patterns); removed when they would be stale
    outputs: tuple[str, ...] = ()
    #: a failed step's own output explains the failure (findings, QC evidence): keep it
    keep_on_failure: bool = False


STEPS: tuple[StepDef, ...] = (
    StepDef("simulate", "write the simulated reference study's SDTM (XPT v5 + Parquet)", "adamforge.sdtm_sample.step",
            outputs=("sdtm",), keep_on_failure=True),  # staged: a failed simulation keeps the previous complete SDTM
    StepDef("derive", "derive ADaM datasets (ADSL, ADEFF) from SDTM, driven by the spec", "adamforge.adam.step",
            outputs=("adam/adsl.parquet", "adam/adeff.parquet")),
    StepDef("validate", "check SDTM input and ADaM output against the spec; findings report", "adamforge.validation.step",
            outputs=("validation",), keep_on_failure=True),
    StepDef("export", "write submission files: XPT v5, define.xml 2.1, Dataset-JSON", "adamforge.export.step",
            outputs=("adam/*.xpt", "adam/*.json", "adam/define.xml")),
    StepDef("tlf", "compute analysis results data and render tables, listings, figures to Word", "adamforge.tlf.step",
            outputs=("tlf",)),
    StepDef("compare", "compare two datasets, PROC COMPARE style", "adamforge.validation.compare_step", in_run=False),
    StepDef("qc", "run the study's double-programming QC and write the evidence pack", "adamforge.validation.qc_step",
            outputs=("qc",), keep_on_failure=True),
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one clear line, exit 2
        self.print_usage(sys.stderr)
        print(f"adamforge: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _add_common(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("common options")
    g.add_argument("--out", default="out", metavar="DIR", help="output tree (default: out)")
    g.add_argument("--sdtm", default=None, metavar="DIR",
                   help="SDTM input folder of XPT (or Parquet) files (default: <out>/sdtm)")
    g.add_argument("--spec", default=None, metavar="DIR", help="spec folder (default: the reference study's specs)")
    g.add_argument("--quiet", "-q", action="store_true", help="print only errors")


def _load(step: StepDef):
    return importlib.import_module(step.module) if step.module else None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one subcommand per step plus ``run``."""
    parser = _Parser(
        prog="adamforge",
        description="Spec-driven ADaM, validation, TLFs, submission files and QC. "
        "`adamforge run` runs the whole reference study into out/.",
    )
    parser.add_argument("--version", action="version", version=f"adamforge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    run_p = sub.add_parser("run", help="run every available step in order (the whole reference study)")
    _add_common(run_p)
    for step in STEPS:
        sp = sub.add_parser(step.name, help=step.help + ("" if step.module else " [not available yet]"))
        _add_common(sp)
        mod = _load(step)
        if mod is not None:
            mod.add_arguments(sp)
            if step.in_run:
                mod.add_arguments(run_p)
    return parser


def _context(args):
    from .context import RunContext, default_spec_dir
    from .io import ensure_writable_dir
    from .runlog import RunLog

    out = ensure_writable_dir(args.out)
    sdtm = Path(args.sdtm) if args.sdtm else out / "sdtm"
    spec = Path(args.spec) if args.spec else default_spec_dir()
    if args.spec and not spec.is_dir():
        raise UsageError(f"spec folder {str(spec)!r} does not exist")
    if args.sdtm and not sdtm.is_dir():
        raise UsageError(f"SDTM folder {str(sdtm)!r} does not exist")
    log = RunLog(out / "adamforge.log", quiet=args.quiet)
    return RunContext(out=out, sdtm=sdtm, spec=spec, log=log, quiet=args.quiet)


def _run_step(step: StepDef, args, ctx, *, call=None, label: str | None = None) -> int:
    name = label or step.name
    ctx.log.step_start(name)
    ok = False
    code = EXIT_FAILED
    try:
        code = call() if call is not None else _load(step).run(args, ctx)
        ok = code == EXIT_OK
        return code
    except AdamforgeError as exc:
        ctx.log.error(f"{name}: {exc}")
        return exc.exit_code
    except Exception as exc:  # an unexpected failure: one line on the terminal, traceback in the log
        import traceback

        ctx.log.error(f"{name}: unexpected {type(exc).__name__}: {exc} (traceback in {ctx.log.path})")
        ctx.log.lines.extend("       " + ln for ln in traceback.format_exc().splitlines())
        return EXIT_FAILED
    finally:
        ctx.log.step_end(name, ok=ok, status="found differences" if code == EXIT_DIFFERENCES else None)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``adamforge`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    try:
        ctx = _context(args)
    except UsageError as exc:
        print(f"adamforge: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "run":
            return _run_all(args, ctx)
        step = next(s for s in STEPS if s.name == args.command)
        if step.module is None:
            msg = f"'adamforge {step.name}' is not available yet in adamforge {__version__} (tracked by {step.issue})."
            ctx.log.error(msg)
            return EXIT_NOT_AVAILABLE
        code = _run_step(step, args, ctx)
        if code == EXIT_FAILED and not step.keep_on_failure:
            _remove_outputs(step, ctx, "the step failed")
        return code
    except KeyboardInterrupt:
        ctx.log.error("interrupted")
        return EXIT_FAILED
    finally:
        ctx.log.close()


def _remove_outputs(step: StepDef, ctx, why: str) -> None:
    """Remove what ``step`` wrote earlier under --out, so nothing stale looks valid."""
    from .io import remove_stale

    removed = [p for pattern in step.outputs for p in sorted(ctx.out.glob(pattern)) if remove_stale(p)]
    if removed:
        ctx.log.note(f"Removed {len(removed)} earlier output(s) of step {step.name} ({why}): "
                     + ", ".join(str(p.relative_to(ctx.out)) for p in removed))


def _stop(chain: list[StepDef], i: int, ctx, code: int, *, keep: frozenset[str] = frozenset()) -> int:
    """A run stops at chain[i]: its own outputs (unless they explain the failure) and every later
    step's outputs (but those named in ``keep``) are removed: they no longer match this run's inputs."""
    if not chain[i].keep_on_failure:
        _remove_outputs(chain[i], ctx, "the step failed or was not run")
    for later in chain[i + 1:]:
        if later.name not in keep:
            _remove_outputs(later, ctx, f"stale: the run stopped before it, at {chain[i].name}")
    return code


def _run_all(args, ctx) -> int:
    chain = [s for s in STEPS if s.in_run]
    for i, step in enumerate(chain):
        if step.module is None:
            ctx.log.note(f"Step {step.name}: not available yet in this version; skipped.")
            continue
        if step.name == "simulate" and args.sdtm:
            ctx.log.note(f"Step simulate skipped: SDTM input taken from {args.sdtm}.")
            continue
        if step.name == "derive" and any(s.name == "validate" and s.module for s in chain):
            # check the SDTM input before deriving (the ADaM is checked by the validate step)
            from .validation.step import validate_sdtm_gate

            code = _run_step(step, args, ctx, label="validate-sdtm",
                             call=lambda: validate_sdtm_gate(ctx, policy=getattr(args, "policy", "submission")))
            if code != EXIT_OK:
                ctx.log.error(f"Run stopped at the SDTM input check (findings in {ctx.out / 'validation'}); nothing "
                              "derived. --policy dev reports errors as warnings to push a spec in progress through.")
                return _stop(chain, i, ctx, code, keep=frozenset({"validate"}))
        code = _run_step(step, args, ctx)
        if code != EXIT_OK:
            ctx.log.error(f"Run stopped at step {step.name} (exit code {code}); later steps not run.")
            return _stop(chain, i, ctx, code)
    ctx.log.info(f"Run complete: outputs in {ctx.out}/, log in {ctx.out / 'adamforge.log'}")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
