"""Interrupted runs and the output lock, with real processes: a run killed with SIGKILL in the
middle of a step leaves the tree plainly marked incomplete, and the next run cleans up; two runs
on one --out: the second is refused naming the first; a dead holder never blocks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adamforge.runstate import LOCK_NAME, MARK_COMPLETE, MARK_INCOMPLETE, leftovers

CHILD = str(Path(__file__).with_name("runstate_child.py"))


def _run(out, *argv, hang="none"):
    return subprocess.run(
        [sys.executable, CHILD, hang, *argv, "--out", str(out)], capture_output=True, text=True, timeout=120
    )


def _start_hanging(out, *argv, hang):
    """Start a child that hangs inside step ``hang``; returns it once the step is mid-write."""
    ready = out / "READY"
    if ready.exists():
        ready.unlink()
    proc = subprocess.Popen(
        [sys.executable, CHILD, hang, *argv, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert proc.poll() is None, "the child ended before it was killed"
        assert time.monotonic() < deadline, "the child never reached the middle of its step"
        time.sleep(0.05)
    ready.unlink()
    return proc


def _kill(proc):
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def test_complete_run_writes_run_complete_with_a_manifest(tmp_path):
    out = tmp_path / "o"
    r = _run(out, "run")
    assert r.returncode == 0, r.stderr
    assert not (out / MARK_INCOMPLETE).exists()
    done = json.loads((out / MARK_COMPLETE).read_text())
    assert done["state"] == "complete" and done["steps"] == ["simulate", "derive", "tlf"] and done["exit_code"] == 0
    files = {f["path"]: f for f in done["files"]}
    assert set(files) == {"simulate/result.txt", "derive/result.txt", "tlf/result.txt"}
    assert len(files["tlf/result.txt"]["sha256"]) == 64


def test_sigkill_mid_step_leaves_the_tree_marked_incomplete_and_the_next_run_cleans_up(tmp_path):
    out = tmp_path / "o"
    assert _run(out, "run").returncode == 0
    proc = _start_hanging(out, "run", hang="derive")
    _kill(proc)

    # the tree is plainly marked incomplete, naming the killed run; the previous "complete" is gone
    assert not (out / MARK_COMPLETE).exists()
    marker = json.loads((out / MARK_INCOMPLETE).read_text())
    assert marker["pid"] == proc.pid and marker["steps"] == ["simulate", "derive", "tlf"]
    assert "interrupted" in marker["status"]
    # the log says how far the run got, not what the previous run did
    log = (out / "adamforge.log").read_text()
    assert "NOTE: Step DERIVE started." in log and f"Run in progress (pid {proc.pid})" in log
    assert "NOTE: Run ended with" not in log
    # the leftovers of the interrupted writes are there ...
    names = sorted(p.name for p in leftovers(out))
    assert any(n.startswith(".derive.staging-") for n in names) and any(n.endswith(".part") for n in names), names

    # ... until the next run, which removes and logs each, and completes the tree
    r = _run(out, "run")
    assert r.returncode == 0, r.stderr
    assert leftovers(out) == []
    assert not (out / MARK_INCOMPLETE).exists() and (out / MARK_COMPLETE).is_file()
    log = (out / "adamforge.log").read_text()
    assert f"was left incomplete by adamforge run --out {out} (pid {proc.pid} on " in log
    assert "interrupted, it never finished. This run rebuilds it." in log
    assert log.count("Removed the leftover") == len(names)
    assert not (out / "derive.txt").exists()


def test_a_single_step_killed_then_rerun_alone_keeps_the_mark_until_a_full_run(tmp_path):
    out = tmp_path / "o"
    assert _run(out, "run").returncode == 0
    _kill(_start_hanging(out, "tlf", hang="tlf"))
    assert (out / MARK_INCOMPLETE).exists() and not (out / MARK_COMPLETE).exists()
    r = _run(out, "tlf")
    assert r.returncode == 0
    assert "WARNING: The output tree" in r.stderr and "left incomplete by adamforge tlf" in r.stderr
    assert (out / MARK_INCOMPLETE).exists() and not (out / MARK_COMPLETE).exists()  # still not a complete run
    assert _run(out, "run").returncode == 0
    assert (out / MARK_COMPLETE).exists() and not (out / MARK_INCOMPLETE).exists()


def test_single_steps_on_a_complete_tree(tmp_path):
    """The last step re-run alone keeps the tree complete; an earlier step alone makes the later
    steps' outputs stale: the tree is marked incomplete, naming them."""
    out = tmp_path / "o"
    assert _run(out, "run").returncode == 0
    assert _run(out, "tlf").returncode == 0
    done = json.loads((out / MARK_COMPLETE).read_text())
    assert done["command"].endswith("tlf --out " + str(out)) and "adamforge run" in done["history"][0]
    assert _run(out, "derive").returncode == 0
    assert not (out / MARK_COMPLETE).exists()
    assert "the outputs of tlf were made from its earlier output" in (out / MARK_INCOMPLETE).read_text()


def test_second_run_on_the_same_out_is_refused_naming_the_holder(tmp_path):
    out = tmp_path / "o"
    holder = _start_hanging(out, "run", hang="derive")
    try:
        log_before = (out / "adamforge.log").read_text()
        r = subprocess.run(
            [sys.executable, "-m", "adamforge.cli", "validate", "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 2
        assert f"is in use by pid {holder.pid} on " in r.stderr and "command: adamforge run --out" in r.stderr
        assert "command: adamforge" in r.stderr
        assert (out / "adamforge.log").read_text() == log_before  # the holder's log is untouched
        info = json.loads((out / LOCK_NAME).read_text())
        assert info["pid"] == holder.pid
    finally:
        _kill(holder)
    # the holder died: the kernel released its lock, the next run goes ahead
    r = _run(out, "run")
    assert r.returncode == 0, r.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX")
def test_lock_is_released_when_the_run_ends(tmp_path):
    out = tmp_path / "o"
    assert _run(out, "run").returncode == 0
    assert not (out / LOCK_NAME).exists()  # released: the lock file is removed
    assert _run(out, "tlf").returncode == 0
