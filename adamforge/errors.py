"""Exceptions and exit codes shared by every step.

Exit codes (documented in the README):

* 0  success
* 1  the step ran and failed: bad input data, error-level findings, a failed derivation
* 2  usage error: unknown subcommand, bad option value, unwritable output folder
* 3  the subcommand exists but is not available yet in this version
* 4  a comparison ran and found differences (``compare`` / ``qc``)
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_AVAILABLE = 3
EXIT_DIFFERENCES = 4


class AdamforgeError(Exception):
    """Base class: an error with a message fit to show a user as one line (or a short list)."""

    exit_code = EXIT_FAILED


class UsageError(AdamforgeError):
    """A bad command line: option value, folder, combination of options."""

    exit_code = EXIT_USAGE


class DataError(AdamforgeError):
    """Bad input data. ``problems`` holds every problem found, not only the first."""

    def __init__(self, message: str, problems: list[str] | None = None):
        self.problems = list(problems or [])
        super().__init__(message)

    def __str__(self) -> str:  # pragma: no cover - trivial
        base = super().__str__()
        if not self.problems:
            return base
        return base + "\n" + "\n".join(f"  - {p}" for p in self.problems)
