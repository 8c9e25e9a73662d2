"""The ``adamforge`` command line.

Each subcommand is a *step* implemented in its own module, imported only when it runs (so
``adamforge --help`` and ``adamforge <step> --help`` stay fast: building the parser imports no
pandas, tested in tests/test_cli_help.py; benchmarks/bench_cli_help.py prints the time).
A step module provides::

    HELP: str                                  # one line for --help
    def run(args, ctx: RunContext) -> int      # an exit code (see adamforge.errors)

and its options (which must not clash across steps) are added by the function ``StepDef.options``
names, in a module that imports no pandas: the step module's ``add_arguments`` when the module
is light, else one in :mod:`adamforge.options`. ``--policy`` (one strictness policy for the spec
check, the SDTM input check, finalisation and validation) is an option of ``run`` and of the
steps with ``StepDef.policy``.

``adamforge run`` chains the available steps in order. A step listed with ``module=None`` is
not available yet: alone it says so and exits 3; ``run`` names it in one line and goes on.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from . import __version__
from .errors import EXIT_DIFFERENCES, EXIT_FAILED, EXIT_NOT_AVAILABLE, EXIT_OK, EXIT_USAGE, AdamforgeError, UsageError
from .options import add_policy, resolve_policy


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
    #: ``module:function`` adding the step's options; imports no pandas (default: ``module:add_arguments``)
    options: str | None = None
    #: the step takes ``--policy`` (its checks stop or warn by the policy)
    policy: bool = False
    #: the step uses the study (its spec's ``study.sdtm``, the SDTM folder); ``compare`` does not,
    #: so it starts without reading the spec
    study: bool = True


STEPS: tuple[StepDef, ...] = (
    StepDef(
        "simulate",
        "write the simulated reference study's SDTM (XPT v5 + Parquet)",
        "adamforge.sdtm_sample.step",
        outputs=("sdtm",),
        keep_on_failure=True,
    ),  # staged: a failed simulation keeps the previous complete SDTM
    StepDef(
        "derive",
        "derive the spec's ADaM datasets from SDTM, by the spec's programs",
        "adamforge.adam.step",
        outputs=("adam/*.parquet",),
        options="adamforge.options:add_derive_arguments",
        policy=True,
    ),
    StepDef(
        "validate",
        "check SDTM input and ADaM output against the spec; findings report",
        "adamforge.validation.step",
        outputs=("validation",),
        keep_on_failure=True,
        options="adamforge.options:add_validate_arguments",
        policy=True,
    ),
    StepDef(
        "export",
        "write submission files: XPT v5, define.xml 2.1, Dataset-JSON",
        "adamforge.export.step",
        outputs=("adam/*.xpt", "adam/*.json", "adam/define.xml"),
        options="adamforge.options:add_export_arguments",
    ),
    StepDef(
        "tlf",
        "compute analysis results data and render tables, listings, figures to Word",
        "adamforge.tlf.step",
        outputs=("tlf",),
        options="adamforge.options:add_tlf_arguments",
    ),
    StepDef(
        "compare",
        "compare two datasets, PROC COMPARE style",
        "adamforge.validation.compare_step",
        in_run=False,
        study=False,
    ),
    StepDef(
        "qc",
        "run the study's double-programming QC and write the evidence pack",
        "adamforge.validation.qc_step",
        outputs=("qc",),
        keep_on_failure=True,
    ),
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one clear line, exit 2
        self.print_usage(sys.stderr)
        print(f"adamforge: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _add_common(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("common options")
    g.add_argument("--out", default="out", metavar="DIR", help="output tree (default: out)")
    g.add_argument(
        "--sdtm",
        default=None,
        metavar="DIR",
        help="SDTM input folder: one XPT, Parquet, Dataset-JSON or CSV file per domain, XPT first "
        "when a domain has several (default: <out>/sdtm)",
    )
    g.add_argument(
        "--spec",
        default=None,
        metavar="DIR|XLSX",
        help="spec folder of YAML files, or a Pinnacle 21-style .xlsx spec workbook (default: the --study's specs)",
    )
    g.add_argument(
        "--study",
        default=None,
        metavar="NAME",
        help="a study shipped with the package: its specs/<NAME>/ folder (default: reference); not with --spec",
    )
    g.add_argument(
        "--encoding",
        default=None,
        metavar="ENC",
        help="text encoding of XPT and CSV input (default UTF-8), e.g. cp1252 for files from Windows SAS",
    )
    g.add_argument("--quiet", "-q", action="store_true", help="print only errors")


def _load(step: StepDef):
    return importlib.import_module(step.module) if step.module else None


def _options(step: StepDef) -> Callable[[argparse.ArgumentParser], None]:
    """The function adding ``step``'s options (imported without importing the step module if heavy)."""
    assert step.module is not None
    module, _, name = (step.options or f"{step.module}:add_arguments").partition(":")
    fn: Callable[[argparse.ArgumentParser], None] = getattr(importlib.import_module(module), name)
    return fn


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
    add_policy(run_p)
    for step in STEPS:
        sp = sub.add_parser(step.name, help=step.help + ("" if step.module else " [not available yet]"))
        _add_common(sp)
        if step.module is None:
            continue
        if step.policy:
            add_policy(sp)
        add_options = _options(step)
        add_options(sp)
        if step.in_run:
            add_options(run_p)
    return parser


def _context(args):
    from .context import RunContext, StudySdtm, study_sdtm
    from .io import ensure_writable_dir
    from .runlog import RunLog

    spec = _spec_path(getattr(args, "spec", None), getattr(args, "study", None))
    encoding = getattr(args, "encoding", None)
    if encoding is not None:  # the reader (and pandas) is imported only when there is something to check
        from .readers import check_encoding

        encoding = check_encoding(encoding)
    if args.sdtm and not Path(args.sdtm).is_dir():  # checked before --out is made: a usage error creates nothing
        raise UsageError(f"SDTM folder {args.sdtm!r} does not exist")
    step = next((s for s in STEPS if s.name == getattr(args, "command", None)), None)
    # the study's own word on its SDTM: simulated, or shipped with the package (not read by a step without a study)
    source = study_sdtm(spec) if step is None or step.study else StudySdtm()
    if getattr(args, "command", None) == "simulate" and not source.simulated:
        raise UsageError(
            f"the study's SDTM is not simulated: it is shipped with the package ({source.folder}); "
            "run `adamforge run` or `derive` with the same --study"
        )
    try:
        policy, deprecated = resolve_policy(args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    out = ensure_writable_dir(args.out)
    sdtm = Path(args.sdtm) if args.sdtm else source.folder if source.folder is not None else out / "sdtm"
    log = RunLog(out / "adamforge.log", quiet=args.quiet)
    if deprecated:
        log.warning(deprecated)  # once per command, on the terminal and in the log
    return RunContext(
        out=out, sdtm=sdtm, spec=spec, log=log, quiet=args.quiet, encoding=encoding, study_sdtm=source, policy=policy
    )


def _spec_path(spec_opt: str | None, study: str | None) -> Path:
    """The spec from ``--spec`` (a folder or an ``.xlsx`` workbook) or ``--study`` (default: reference)."""
    from .context import DEFAULT_STUDY, shipped_folders, studies_dir

    if spec_opt and study:
        raise UsageError(
            "--study and --spec are exclusive: --study picks a spec shipped with the package, --spec names your own"
        )
    if spec_opt:
        spec = Path(spec_opt)
        if spec.suffix.lower() == ".xlsx":
            if not spec.is_file():
                raise UsageError(f"spec workbook {str(spec)!r} does not exist")
        elif not spec.is_dir():
            raise UsageError(
                f"spec folder {str(spec)!r} does not exist (--spec takes a folder of YAML files or an .xlsx workbook)"
            )
        return spec
    name = study or DEFAULT_STUDY
    if name in ("", ".", "..") or "/" in name or "\\" in name or "\x00" in name or name.startswith("."):
        raise UsageError(f"--study takes the plain name of a study folder (no path), not {name!r}")
    available = shipped_folders(studies_dir())
    if name not in available:
        raise UsageError(f"unknown study {name!r}; available: {', '.join(available) or '(none)'}")
    return studies_dir() / name


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
    from .runstate import TreeState, acquire_lock

    out_existed = Path(args.out).exists()
    try:
        ctx = _context(args)
        lock = acquire_lock(ctx.out)  # one writer per output tree; a second run exits 2 naming the holder
    except UsageError as exc:
        print(f"adamforge: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    code = EXIT_FAILED
    state = None
    step = next((s for s in STEPS if s.name == args.command), None)
    try:
        if args.command == "run" or (step is not None and step.module is not None):
            steps = [s.name for s in STEPS if s.in_run and s.module] if step is None else [step.name]
            state = TreeState(ctx.out, command=args.command, steps=steps, log=ctx.log)
            state.begin()  # cleans leftovers of interrupted runs, writes RUN-INCOMPLETE before anything else
        code = _dispatch(args, ctx, step)
        return code
    except AdamforgeError as exc:  # a leftover that cannot be removed: named, the run stops
        ctx.log.error(str(exc))
        code = exc.exit_code
        return code
    except KeyboardInterrupt:
        ctx.log.error("interrupted")
        code = EXIT_FAILED
        return code
    finally:
        if state is not None and state.info:
            try:
                state.finish(code, later_outputs=_later_outputs(step, ctx) if args.command != "run" else [])
            except AdamforgeError as exc:
                ctx.log.error(str(exc))
        ctx.log.close()
        lock.release()
        if code == EXIT_USAGE and not out_existed:
            _forget_out(ctx.out)


def _dispatch(args, ctx, step: StepDef | None) -> int:
    if args.command == "run" or step is None:  # argparse admits only run and the steps
        return _run_all(args, ctx)
    if step.module is None:
        msg = f"'adamforge {step.name}' is not available yet in adamforge {__version__} (tracked by {step.issue})."
        ctx.log.error(msg)
        return EXIT_NOT_AVAILABLE
    before = _snapshot(step, ctx)
    code = _run_step(step, args, ctx)
    if (
        code == EXIT_FAILED
        and (not step.keep_on_failure or _not_rewritten(step, ctx, before))
        and not _remove_outputs(
            step,
            ctx,
            "the step failed"
            if not step.keep_on_failure
            else "the step failed before writing new output: the earlier one does not describe this run",
        )
    ):
        return EXIT_FAILED
    return code


def _later_outputs(step: StepDef | None, ctx) -> list[str]:
    """Steps after ``step`` in run's order whose outputs exist (made from ``step``'s earlier output)."""
    chain = [s for s in STEPS if s.in_run]
    if step is None or step not in chain:
        return []
    return [
        s.name
        for s in chain[chain.index(step) + 1 :]
        if any(next(ctx.out.glob(p), None) is not None for p in s.outputs)
    ]


def _forget_out(out: Path) -> None:
    """A usage error creates no --out tree: remove the one this command made if it holds only its own files."""
    import shutil

    from .runstate import STATE_FILES

    try:
        if all(p.name in STATE_FILES for p in out.iterdir()):
            shutil.rmtree(out)
    except OSError:
        pass


#: steps whose earlier output is kept when they fail even if they wrote nothing new (the SDTM of
#: simulate is input, kept whole by its staging folder); validate's findings and qc's evidence are
#: kept only when the failed run rewrote them (they then explain the failure)
_KEEP_PREVIOUS = frozenset({"simulate"})


def _snapshot(step: StepDef, ctx) -> dict:
    out = {}
    for pattern in step.outputs:
        for p in ctx.out.glob(pattern):
            try:
                st = p.stat()
                out[str(p)] = (st.st_ino, st.st_mtime_ns)
            except OSError:
                pass
    return out


def _not_rewritten(step: StepDef, ctx, before: dict) -> bool:
    """True when a failed keep-on-failure step left its previous output untouched (it would mislead)."""
    return step.name not in _KEEP_PREVIOUS and bool(before) and _snapshot(step, ctx) == before


def _remove_outputs(step: StepDef, ctx, why: str) -> bool:
    """Remove what ``step`` wrote earlier under --out, so nothing stale looks valid.

    Returns False when a removal failed: each failure is an ERROR naming the path (the run stops).
    """
    from .io import CleanupError, remove_stale

    removed, ok = [], True
    for p in (p for pattern in step.outputs for p in sorted(ctx.out.glob(pattern))):
        try:
            if remove_stale(p):
                removed.append(p)
        except CleanupError as exc:
            ok = False
            ctx.log.error(
                f"Stale output of step {step.name} ({why}) left in place: {exc}. The run stops; "
                "make the folder writable (or remove the file) and run again."
            )
    if removed:
        ctx.log.note(
            f"Removed {len(removed)} earlier output(s) of step {step.name} ({why}): "
            + ", ".join(str(p.relative_to(ctx.out)) for p in removed)
        )
    return ok


def _stop(chain: list[StepDef], i: int, ctx, code: int, *, keep: frozenset[str] = frozenset()) -> int:
    """A run stops at chain[i]: its own outputs (unless they explain the failure) and every later
    step's outputs (but those named in ``keep``) are removed: they no longer match this run's inputs."""
    ok = True
    if not chain[i].keep_on_failure:
        ok = _remove_outputs(chain[i], ctx, "the step failed or was not run")
    for later in chain[i + 1 :]:
        if later.name not in keep:
            ok = _remove_outputs(later, ctx, f"stale: the run stopped before it, at {chain[i].name}") and ok
    return code if ok or code not in (EXIT_OK, EXIT_DIFFERENCES) else EXIT_FAILED  # a failed clean-up is a failure


def _run_all(args, ctx) -> int:
    chain = [s for s in STEPS if s.in_run]
    for i, step in enumerate(chain):
        if step.module is None:
            ctx.log.note(f"Step {step.name}: not available yet in this version; skipped.")
            continue
        if step.name == "simulate" and args.sdtm:
            ctx.log.note(f"Step simulate skipped: SDTM input taken from {args.sdtm}.")
            continue
        if step.name == "simulate" and not ctx.study_sdtm.simulated:  # the spec's study.sdtm says so
            ctx.log.note(
                f"Step simulate skipped: the study's SDTM is not simulated; input taken from "
                f"{ctx.study_sdtm.describe()}."
            )
            continue
        if step.name == "derive" and any(s.name == "validate" and s.module for s in chain):
            # check the SDTM input before deriving (the ADaM is checked by the validate step)
            from .validation.step import validate_sdtm_gate

            validate = next(s for s in chain if s.name == "validate")
            before = _snapshot(validate, ctx)
            code = _run_step(
                step,
                args,
                ctx,
                label="validate-sdtm",
                call=lambda: validate_sdtm_gate(ctx, policy=ctx.policy),
            )
            if code != EXIT_OK:
                if _snapshot(validate, ctx) == before:  # no new report: the earlier one describes other input
                    ctx.log.error(
                        "Run stopped at the SDTM input check, which could not complete (see the error "
                        "above); no findings report written, the earlier one is removed; nothing derived."
                    )
                    return _stop(chain, i, ctx, code)
                ctx.log.error(
                    f"Run stopped at the SDTM input check (findings in {ctx.out / 'validation'}); nothing "
                    "derived. --policy dev reports errors as warnings to push a spec in progress through."
                )
                return _stop(chain, i, ctx, code, keep=frozenset({"validate"}))
        before = _snapshot(step, ctx)
        code = _run_step(step, args, ctx)
        if code != EXIT_OK:
            ctx.log.error(f"Run stopped at step {step.name} (exit code {code}); later steps not run.")
            if code == EXIT_FAILED and step.keep_on_failure and _not_rewritten(step, ctx, before):
                _remove_outputs(
                    step, ctx, "the step failed before writing new output: the earlier one does not describe this run"
                )  # a failure is logged; the exit code is 1 anyway
            return _stop(chain, i, ctx, code)
    ctx.log.info(f"Run complete: outputs in {ctx.out}/, log in {ctx.out / 'adamforge.log'}")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
