"""The run log: what a SAS programmer expects to find after a batch run.

One log per run, ``<out>/adamforge.log``: the command, run time stamp, Python and package
versions, the spec files and every input with its SHA-256, and per step NOTE/WARNING/ERROR lines
and record counts ("The data set ADAM.ADSL has 1208 observations and 54 variables."). The log is
written atomically when the run ends, whether it succeeded or failed.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import platform
import sys
import time
from pathlib import Path
from typing import TextIO

from . import __version__
from .clock import run_timestamp_iso
from .io import sha256_file, write_text_atomic

PACKAGES = (
    "pandas",
    "numpy",
    "pyarrow",
    "pyreadstat",
    "statsmodels",
    "scipy",
    "jinja2",
    "python-docx",
    "docxtpl",
    "great-expectations",
    "matplotlib",
    "PyYAML",
    "openpyxl",
    "lxml",
)


def package_versions() -> dict[str, str]:
    """Installed versions of the packages adamforge depends on (``"not installed"`` if absent)."""
    out = {"adamforge": __version__, "python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


class RunLog:
    """Collects the run's log lines; echoes warnings and errors to the terminal.

    Parameters
    ----------
    path : where the log is written by :meth:`close`.
    quiet : when true only errors reach the terminal.
    stream : the terminal stream (stderr by default).
    """

    def __init__(self, path: str | os.PathLike | None, *, quiet: bool = False, stream: TextIO | None = None):
        self.path = Path(path) if path is not None else None
        self.quiet = quiet
        self.stream = stream if stream is not None else sys.stderr
        self.lines: list[str] = []
        self.counts = {"ERROR": 0, "WARNING": 0, "NOTE": 0}
        self._step_start: dict[str, float] = {}
        self._header()

    # -- header --------------------------------------------------------------------------
    def _header(self) -> None:
        self.lines.append(f"adamforge {__version__} run log")
        self.lines.append(f"Run time stamp (UTC): {run_timestamp_iso()}")
        self.lines.append("Command: " + " ".join(["adamforge", *sys.argv[1:]]))
        self.lines.append(f"Platform: {platform.platform()}")
        vers = package_versions()
        self.lines.append("Versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()))
        self.lines.append("")

    # -- messages ------------------------------------------------------------------------
    def note(self, msg: str) -> None:
        """A NOTE: line (terminal only when not quiet)."""
        self._emit("NOTE", msg, echo=not self.quiet)

    def warning(self, msg: str) -> None:
        """A WARNING: line (terminal unless quiet)."""
        self._emit("WARNING", msg, echo=not self.quiet)

    def error(self, msg: str) -> None:
        """An ERROR: line (always on the terminal)."""
        self._emit("ERROR", msg, echo=True)

    def _emit(self, level: str, msg: str, *, echo: bool) -> None:
        self.counts[level] += 1
        first, *rest = str(msg).splitlines() or [""]
        self.lines.append(f"{level}: {first}")
        self.lines.extend(f"       {r}" for r in rest)
        if echo:
            print(f"{level}: {msg}", file=self.stream)

    def info(self, msg: str) -> None:
        """A plain line for the terminal (not quiet) and the log, without a level."""
        self.lines.append(msg)
        if not self.quiet:
            print(msg, file=self.stream)

    # -- structured entries --------------------------------------------------------------
    def input_file(self, path: str | os.PathLike, role: str = "Input") -> str:
        """Record an input (or spec) file with its SHA-256; returns the digest."""
        digest = sha256_file(path)
        self.lines.append(f"NOTE: {role} {path}  sha256={digest}")
        return digest

    def dataset(self, libname: str, name: str, nobs: int, nvars: int) -> None:
        """SAS-style record count: ``The data set ADAM.ADSL has N observations and M variables.``"""
        self.note(f"The data set {libname.upper()}.{name.upper()} has {nobs} observations and {nvars} variables.")

    def step_start(self, step: str) -> None:
        """Mark the start of a step."""
        self._step_start[step] = time.perf_counter()
        self.lines.append("")
        self.lines.append(f"NOTE: Step {step.upper()} started.")
        if not self.quiet:
            print(f"[{step}] started", file=self.stream)
        self.checkpoint()

    def checkpoint(self) -> None:
        """Write the log so far (atomically), ending with an "in progress" line, so a run killed
        mid-step leaves a log of how far it got instead of the previous run's log."""
        if self.path is None or not self.path.parent.is_dir():
            return
        trailer = [
            f"NOTE: Run in progress (pid {os.getpid()}): the log is complete only when it ends with "
            "the 'Run ended' line; otherwise the run was interrupted here."
        ]
        write_text_atomic(self.path, "\n".join(self.lines + [""] + trailer) + "\n")

    def step_end(self, step: str, *, ok: bool, status: str | None = None) -> float:
        """Mark the end of a step; returns its real time in seconds."""
        secs = time.perf_counter() - self._step_start.pop(step, time.perf_counter())
        status = status or ("ended" if ok else "FAILED")
        self.lines.append(f"NOTE: Step {step.upper()} {status}: real time {secs:.2f} seconds.")
        if not self.quiet or not ok:
            print(f"[{step}] {status} in {secs:.1f} s", file=self.stream)
        return secs

    def close(self) -> Path | None:
        """Write the log file atomically (summary counts at the end)."""
        self.lines.append("")
        self.lines.append(f"NOTE: Run ended with {self.counts['ERROR']} error(s), {self.counts['WARNING']} warning(s).")
        if self.path is None:
            return None
        write_text_atomic(self.path, "\n".join(self.lines) + "\n")
        return self.path
