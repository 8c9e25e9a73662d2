"""The command line: subcommands, help, bad options, steps not available yet."""

from __future__ import annotations

import subprocess
import sys

import pytest

from adamforge import cli
from adamforge.errors import EXIT_NOT_AVAILABLE, EXIT_USAGE


def _run(*argv, cwd=None):
    return subprocess.run([sys.executable, "-m", "adamforge.cli", *argv], capture_output=True, text=True, cwd=cwd)


def test_every_step_has_help(tmp_path):
    for step in [s.name for s in cli.STEPS] + ["run"]:
        r = _run(step, "--help")
        assert r.returncode == 0, (step, r.stderr)
        assert "--out" in r.stdout and "--quiet" in r.stdout


def test_unknown_subcommand_is_one_clear_line_and_exit_2(tmp_path):
    r = _run("frobnicate", "--out", str(tmp_path / "o"))
    assert r.returncode == EXIT_USAGE
    assert "invalid choice: 'frobnicate'" in r.stderr
    assert not (tmp_path / "o").exists()


def test_unwritable_output_folder_is_a_usage_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = _run("run", "--out", str(blocker / "sub"))
    assert r.returncode == EXIT_USAGE
    assert "not writable" in r.stderr


@pytest.mark.parametrize("step", [s.name for s in cli.STEPS if s.module is None])
def test_step_not_available_says_so_and_exits_3(step, tmp_path):
    args = [step, "--out", str(tmp_path)]
    if step == "compare":
        args = [step, "--out", str(tmp_path)]
    r = cli.main(args)
    assert r == EXIT_NOT_AVAILABLE
    log = (tmp_path / "adamforge.log").read_text()
    assert "not available yet" in log
