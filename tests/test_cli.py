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


@pytest.fixture
def future_step(monkeypatch):
    """A step registered but not available yet (module None), as each issue starts out."""
    fake = cli.StepDef("future", "a step of a later issue", None, issue="issue 99")
    monkeypatch.setattr(cli, "STEPS", (*cli.STEPS, fake))
    return fake


def test_step_not_available_says_so_and_exits_3(future_step, tmp_path, capsys):
    r = cli.main(["future", "--out", str(tmp_path)])
    assert r == EXIT_NOT_AVAILABLE
    err = capsys.readouterr().err
    assert "'adamforge future' is not available yet" in err and "issue 99" in err
    assert "not available yet" in (tmp_path / "adamforge.log").read_text()


def test_run_names_unavailable_steps_and_goes_on(future_step, tmp_path, monkeypatch):
    """`run` chains the available steps, names each missing one in one line, exits 0."""
    ran = []
    available = [s for s in cli.STEPS if s.module and s.in_run]

    class FakeModule:
        @staticmethod
        def run(args, ctx):
            ran.append(ctx.log.lines[-1])
            return 0

    monkeypatch.setattr(cli, "_load", lambda step: FakeModule if step.module else None)
    monkeypatch.setattr("adamforge.validation.step.validate_sdtm_gate", lambda ctx, policy: 0)
    monkeypatch.setattr(cli, "build_parser", _plain_parser)
    assert cli.main(["run", "--out", str(tmp_path)]) == 0
    assert len(ran) == len(available)
    log = (tmp_path / "adamforge.log").read_text()
    assert "Step future: not available yet in this version; skipped." in log


def _plain_parser():
    import argparse

    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command")
    r = sub.add_parser("run")
    cli._add_common(r)
    return p


def test_failed_run_leaves_no_stale_output(tmp_path, monkeypatch):
    """A run that stops at a step removes that step's earlier output and every later step's,
    so nothing in out/ looks valid that does not match this run's inputs."""
    out = tmp_path / "o"
    for rel in ("adam/adsl.parquet", "adam/adsl.xpt", "adam/define.xml", "tlf/table_1.docx", "qc/evidence.json",
                "sdtm/dm.xpt"):
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text("from an earlier run")

    class Ok:
        run = staticmethod(lambda args, ctx: 0)

    class Fails:
        run = staticmethod(lambda args, ctx: 1)

    monkeypatch.setattr(cli, "_load", lambda step: Fails if step.name == "tlf" else Ok)
    monkeypatch.setattr(cli, "build_parser", _plain_parser)
    monkeypatch.setattr("adamforge.validation.step.validate_sdtm_gate", lambda ctx, policy: 0)
    assert cli.main(["run", "--out", str(out)]) == 1
    left = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert left == ["adam/adsl.parquet", "adam/adsl.xpt", "adam/define.xml", "adamforge.log", "sdtm/dm.xpt"]
    log = (out / "adamforge.log").read_text()
    assert "Removed 1 earlier output(s) of step tlf (the step failed or was not run): tlf" in log
    assert "of step qc (stale: the run stopped before it, at tlf): qc" in log


def test_synthetic_notice_follows_the_data(tmp_path):
    """Simulated SDTM (TS DATASRC = SYNTHETIC...) carries the notice; a sponsor's SDTM does not."""
    import pandas as pd

    from adamforge import SYNTHETIC_DATA_NOTICE
    from adamforge.export.xpt import write_xpt
    from adamforge.provenance import data_notice

    def ts(value):
        folder = tmp_path / value[:4]
        folder.mkdir()
        df = pd.DataFrame({"STUDYID": ["S1"], "TSPARMCD": ["DATASRC"], "TSVAL": [value]})
        write_xpt(df, folder / "ts.xpt", dataset="TS", dataset_label="Trial Summary",
                  labels={"STUDYID": "Study Identifier", "TSPARMCD": "Parameter Short Name", "TSVAL": "Value"})
        return folder

    assert data_notice(ts("SYNTHETIC: simulated")) == SYNTHETIC_DATA_NOTICE
    assert data_notice(ts("CLINICAL DATABASE")) == ""
    assert data_notice(tmp_path / "nowhere") == ""
