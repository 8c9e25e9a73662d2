"""The state of an output tree: one writer at a time, and complete or plainly marked incomplete.

Every command that writes into ``--out`` goes through three stages (see docs/cli.md,
"Interrupted runs, the lock"):

1. :func:`acquire_lock`: an exclusive ``fcntl.flock`` on ``<out>/.adamforge.lock`` (the file
   holds the holder's pid, host, start time and command). A second command on the same tree
   is refused (exit 2) naming the holder. The kernel releases the lock when the holder exits,
   however it exits (``kill -9`` included), so a dead holder never blocks.
2. :meth:`TreeState.begin`: write ``<out>/RUN-INCOMPLETE`` (command, pid, host, start time,
   steps) *before anything else is touched*, remove ``<out>/RUN-COMPLETE``, then remove the
   leftovers of interrupted writes (``.*.part`` files, ``.*.staging-*``, ``.*.old-*`` and
   ``.export-staging-*`` folders, ``.adamforge-probe-*``), each removal logged.
3. :meth:`TreeState.finish`: when the tree is consistent again, ``RUN-COMPLETE`` is written
   (the summary and a manifest of every output file with its SHA-256) and ``RUN-INCOMPLETE``
   removed; otherwise ``RUN-INCOMPLETE`` stays, rewritten with the reason.

A command killed at any point leaves ``RUN-INCOMPLETE`` naming it: the tree is then either
untouched, or plainly marked incomplete; the next command cleans the leftovers.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import socket
import sys
from pathlib import Path

from .errors import EXIT_USAGE, UsageError
from .io import remove_stale, sha256_file, write_text_atomic
from .runlog import RunLog

__all__ = ["LOCK_NAME", "MARK_INCOMPLETE", "MARK_COMPLETE", "OutputLock", "acquire_lock", "leftovers", "TreeState"]

LOCK_NAME = ".adamforge.lock"
MARK_INCOMPLETE = "RUN-INCOMPLETE"
MARK_COMPLETE = "RUN-COMPLETE"
#: names of the files adamforge keeps at the top of --out about the tree itself
STATE_FILES = frozenset({LOCK_NAME, MARK_INCOMPLETE, MARK_COMPLETE, "adamforge.log"})


def _now() -> str:
    """Wall-clock time (not the reproducible run time stamp: this is about the process)."""
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


def _command() -> str:
    return " ".join(["adamforge", *sys.argv[1:]])


class OutputLock:
    """An exclusive lock on an output tree, held while the process lives (see :func:`acquire_lock`)."""

    def __init__(self, path: Path, fd: int):
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        """Release the lock (the kernel does it anyway when the process ends)."""
        import fcntl

        if self._fd is None:
            return
        with contextlib.suppress(OSError):  # unlink while still holding it: a waiting acquirer sees the inode change
            os.unlink(self.path)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = None


def acquire_lock(out: Path) -> OutputLock:
    """Lock ``out`` for this process; :class:`UsageError` (exit 2) naming the holder if another has it.

    The lock file is removed when the lock is released normally; a killed holder leaves it, and
    the kernel has released its lock: the next command simply locks it again.
    """
    path = Path(out) / LOCK_NAME
    for _attempt in range(20):
        fd = _lock_once(path, out)
        try:  # the file may have been removed by a holder releasing it meanwhile: lock the current one
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except OSError:
            same = False
        if same:
            break
        os.close(fd)
    else:  # pragma: no cover - only under heavy contention
        raise UsageError(f"cannot lock {str(path)!r}: it keeps changing (another command starting?)")
    info = {"pid": os.getpid(), "host": socket.gethostname(), "started": _now(), "command": _command()}
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(info) + "\n").encode("utf-8"), 0)
    return OutputLock(path, fd)


def _lock_once(path: Path, out: Path) -> int:
    import fcntl

    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise UsageError(f"cannot create the lock file {str(path)!r}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        try:
            holder = json.loads(os.pread(fd, 65536, 0).decode("utf-8") or "{}")
        except (OSError, ValueError):
            holder = {}
        os.close(fd)
        who = (
            (
                f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}, started {holder.get('started', '?')}, "
                f"command: {holder.get('command', '?')}"
            )
            if holder
            else "another process (details not yet written)"
        )
        raise UsageError(
            f"output folder {str(out)!r} is in use by {who}; wait for it to end or use another --out (lock: {path})"
        ) from None
    except OSError as exc:
        os.close(fd)
        raise UsageError(f"cannot lock {str(path)!r}: {exc.strerror or exc}") from None
    return fd


def _is_leftover(name: str, is_dir: bool) -> bool:
    if not name.startswith("."):
        return False
    if is_dir:
        return ".staging-" in name or ".old-" in name or name.startswith(".export-staging-")
    return name.endswith(".part") or name.startswith(".adamforge-probe-")


def leftovers(out: Path) -> list[Path]:
    """Temporary files and folders of interrupted writes under ``out`` (not descending into them)."""
    found = []
    for root, dirs, files in os.walk(out):
        for d in list(dirs):
            if _is_leftover(d, True):
                found.append(Path(root) / d)
                dirs.remove(d)
            elif os.path.islink(os.path.join(root, d)):
                dirs.remove(d)
        found += [Path(root) / f for f in files if _is_leftover(f, False)]
    return sorted(found)


def _read_marker(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"note": "unreadable marker"}


def describe(marker: dict) -> str:
    """One line about the (earlier) command a marker names."""
    status = str(marker.get("status") or "")
    if status.startswith("in progress"):  # read under the lock: that process is gone, it never finished
        status = "interrupted, it never finished"
    return (
        f"{marker.get('command', '?')} (pid {marker.get('pid', '?')} on {marker.get('host', '?')}, "
        f"started {marker.get('started', '?')})" + (f": {status}" if status else "")
    )


def manifest(out: Path) -> list[dict]:
    """Every output file under ``out`` (but the tree's own state files) with size and SHA-256."""
    rows = []
    for p in sorted(out.rglob("*")):
        rel = p.relative_to(out)
        if p.is_file() and not p.is_symlink() and str(rel) not in STATE_FILES:
            rows.append({"path": str(rel), "bytes": p.stat().st_size, "sha256": sha256_file(p)})
    return rows


class TreeState:
    """The marker files of one command on ``out`` (see the module docstring)."""

    def __init__(self, out: Path, *, command: str, steps: list[str], log: RunLog):
        self.out = Path(out)
        self.command = command
        self.steps = steps
        self.log = log
        self.prior_complete: dict | None = None
        self.prior_incomplete: dict | None = None
        self.info: dict = {}

    @property
    def incomplete_path(self) -> Path:
        return self.out / MARK_INCOMPLETE

    @property
    def complete_path(self) -> Path:
        return self.out / MARK_COMPLETE

    def begin(self) -> None:
        """Mark the tree incomplete, invalidate the previous RUN-COMPLETE, clean leftovers (in that order).

        Raises :class:`~adamforge.io.CleanupError` when a leftover cannot be removed.
        """
        self.prior_incomplete = _read_marker(self.incomplete_path)
        self.prior_complete = None if self.prior_incomplete else _read_marker(self.complete_path)
        self.info = {
            "state": "incomplete",
            "command": _command(),
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": _now(),
            "steps": self.steps,
            "status": "in progress: if this process is gone, it was interrupted and the outputs may be a mix of runs",
        }
        if self.prior_incomplete:
            self.info["earlier"] = describe(self.prior_incomplete)
        write_text_atomic(self.incomplete_path, json.dumps(self.info, indent=2) + "\n")
        if self.complete_path.exists():
            remove_stale(self.complete_path)
        for p in leftovers(self.out):
            remove_stale(p)  # CleanupError names the path
            self.log.note(f"Removed the leftover {p.relative_to(self.out)} of an interrupted earlier run.")
        if self.prior_incomplete:
            msg = f"The output tree {self.out} was left incomplete by {describe(self.prior_incomplete)}."
            if self.command == "run":
                self.log.note(msg + " This run rebuilds it.")
            else:
                self.log.warning(
                    msg + f" Inputs this step reads from it may come from different runs; "
                    f"'adamforge run' rebuilds the whole tree. It stays marked {MARK_INCOMPLETE}."
                )

    def finish(self, code: int, *, later_outputs: list[str]) -> None:
        """Write ``RUN-COMPLETE`` if the tree is consistent again, else keep ``RUN-INCOMPLETE`` with the reason.

        ``later_outputs``: steps after this single step (in ``run``'s order) whose outputs exist and
        were made from earlier inputs.
        """
        why = None
        if code == EXIT_USAGE and self.command != "run" and self.prior_complete:
            # a usage error is found before the step touches anything: the tree is as it was
            write_text_atomic(self.complete_path, json.dumps(self.prior_complete, indent=2) + "\n")
            remove_stale(self.incomplete_path)
            return
        if code != 0:
            why = f"ended with exit code {code}: outputs removed or not written as logged in adamforge.log"
        elif self.command != "run":
            if not self.prior_complete:
                why = (
                    f"'adamforge {self.command}' ran alone on a tree that was not complete "
                    f"({'incomplete' if self.prior_incomplete else 'no ' + MARK_COMPLETE})"
                )
            elif later_outputs:
                why = (
                    f"'adamforge {self.command}' ran alone: the outputs of {', '.join(later_outputs)} were made "
                    "from its earlier output"
                )
        if why is None:
            summary = {
                "state": "complete",
                "command": self.info["command"],
                "pid": self.info["pid"],
                "host": self.info["host"],
                "started": self.info["started"],
                "finished": _now(),
                "steps": self.steps,
                "exit_code": code,
            }
            if self.command != "run" and self.prior_complete:  # a single step on a complete tree
                summary["history"] = self.prior_complete.get("history", []) + [describe(self.prior_complete)]
            summary["files"] = manifest(self.out)
            write_text_atomic(self.complete_path, json.dumps(summary, indent=2) + "\n")
            remove_stale(self.incomplete_path)
            return
        self.info["status"] = why + f"; run 'adamforge run' for a complete tree (finished {_now()})"
        write_text_atomic(self.incomplete_path, json.dumps(self.info, indent=2) + "\n")
        self.log.note(f"The output tree is marked {MARK_INCOMPLETE}: {why}.")
