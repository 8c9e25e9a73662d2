"""A small progress display for long steps (stderr, only on a terminal, silent with --quiet)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``with Progress("derive", total=5) as p: p.advance("ADSL")``.

    Draws ``[derive] 3/5 ADSL (2.1 s)`` in place on an interactive terminal; prints nothing
    when quiet or when stderr is not a terminal (CI logs stay clean).
    """

    def __init__(self, step: str, total: int, *, quiet: bool = False, stream: TextIO | None = None):
        self.step = step
        self.total = max(int(total), 1)
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = not quiet and getattr(self.stream, "isatty", lambda: False)()
        self._t0 = time.perf_counter()

    def advance(self, label: str = "", n: int = 1) -> None:
        """Count ``n`` units of work done, ``label`` naming the one just finished."""
        self.done = min(self.done + n, self.total)
        if self.enabled:
            secs = time.perf_counter() - self._t0
            self.stream.write(f"\r[{self.step}] {self.done}/{self.total} {label[:40]:<40} ({secs:.1f} s)")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 72 + "\r")
            self.stream.flush()
