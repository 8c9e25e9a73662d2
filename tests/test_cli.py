"""The command line: subcommands, help, bad options, steps not available yet."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
    for rel in (
        "adam/adsl.parquet",
        "adam/adsl.xpt",
        "adam/define.xml",
        "tlf/table_1.docx",
        "qc/evidence.json",
        "sdtm/dm.xpt",
    ):
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
    assert left == [
        "RUN-INCOMPLETE",
        "adam/adsl.parquet",
        "adam/adsl.xpt",
        "adam/define.xml",
        "adamforge.log",
        "sdtm/dm.xpt",
    ]
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
        write_xpt(
            df,
            folder / "ts.xpt",
            dataset="TS",
            dataset_label="Trial Summary",
            labels={"STUDYID": "Study Identifier", "TSPARMCD": "Parameter Short Name", "TSVAL": "Value"},
        )
        return folder

    assert data_notice(ts("SYNTHETIC: simulated")) == SYNTHETIC_DATA_NOTICE
    assert data_notice(ts("CLINICAL DATABASE")) == ""
    assert data_notice(tmp_path / "nowhere") == ""


# -- --study, --spec, --encoding -------------------------------------------------------------
def test_study_and_spec_together_is_a_usage_error(tmp_path, capsys):
    out = tmp_path / "o"
    assert cli.main(["derive", "--out", str(out), "--study", "reference", "--spec", str(tmp_path)]) == EXIT_USAGE
    assert "--study and --spec are exclusive" in capsys.readouterr().err
    assert not out.exists()


def test_unknown_study_lists_the_available_ones(tmp_path, capsys):
    assert cli.main(["derive", "--out", str(tmp_path / "o"), "--study", "nosuch"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "unknown study 'nosuch'; available: " in err
    assert "reference" in err.split("available: ", 1)[1].splitlines()[0].split(", ")


@pytest.mark.parametrize("name", ["../reference", "reference/..", "/etc", "..", ".hidden"])
def test_study_must_be_a_plain_folder_name(tmp_path, capsys, name):
    assert cli.main(["derive", "--out", str(tmp_path / "o"), "--study", name]) == EXIT_USAGE
    assert "--study takes the plain name of a study folder" in capsys.readouterr().err


def test_study_picks_the_packaged_spec_and_spec_takes_a_workbook(tmp_path):
    from adamforge.context import default_spec_dir

    args = cli.build_parser().parse_args(["derive", "--out", str(tmp_path / "o"), "--study", "reference"])
    assert cli._context(args).spec == default_spec_dir()
    args = cli.build_parser().parse_args(["derive", "--out", str(tmp_path / "o")])
    assert cli._context(args).spec == default_spec_dir()  # the default: `make run` unchanged
    wb = tmp_path / "spec.xlsx"
    args = cli.build_parser().parse_args(["derive", "--out", str(tmp_path / "o"), "--spec", str(wb)])
    with pytest.raises(cli.UsageError, match="spec workbook .* does not exist"):
        cli._context(args)
    wb.write_bytes(b"PK")
    ctx = cli._context(args)
    assert ctx.spec == wb and ctx.spec_dir == tmp_path


def test_bad_encoding_is_a_usage_error(tmp_path, capsys):
    assert cli.main(["validate", "--out", str(tmp_path / "o"), "--encoding", "klingon"]) == EXIT_USAGE
    assert "--encoding: unknown text encoding 'klingon'" in capsys.readouterr().err


def test_sdtm_domain_given_as_parquet_next_to_xpt_files(reference_study_dir, tmp_path):
    """The reference SDTM with RS only as Parquet (no rs.xpt, no manifest): read; the log names the file."""
    import shutil

    sdtm = tmp_path / "sdtm"
    shutil.copytree(reference_study_dir / "sdtm", sdtm)
    (sdtm / "rs.xpt").unlink()
    (sdtm / "manifest.json").unlink()
    out = tmp_path / "o"
    assert cli.main(["validate", "--out", str(out), "--sdtm", str(sdtm), "--validate-scope", "sdtm", "--quiet"]) == 0
    log = (out / "adamforge.log").read_text()
    assert (
        "SDTM RS read from rs.parquet" in log and "SDTM DM read from dm.xpt (also present, not read: dm.parquet)" in log
    )


def test_truncated_sdtm_xpt_is_an_error(reference_study_dir, tmp_path):
    """rs.xpt cut in half: exit 1 naming the file, with or without the manifest (issue 13, item 3)."""
    import shutil

    sdtm = tmp_path / "sdtm"
    shutil.copytree(reference_study_dir / "sdtm", sdtm)
    data = (sdtm / "rs.xpt").read_bytes()
    (sdtm / "rs.xpt").write_bytes(data[: len(data) // 2])
    out = tmp_path / "o"
    argv = ["validate", "--out", str(out), "--sdtm", str(sdtm), "--validate-scope", "sdtm", "--quiet"]
    assert cli.main(argv) == 1
    log = (out / "adamforge.log").read_text()
    assert "rs.xpt does not match manifest.json" in log and "the manifest says" in log
    (sdtm / "manifest.json").unlink()
    assert cli.main(argv) == 1
    log = (out / "adamforge.log").read_text()
    assert "rs.xpt: truncated" in log


# -- issue 13: clean-up failures, the SDTM gate's report, usage errors create nothing --------------


class _Ok:
    run = staticmethod(lambda args, ctx: 0)


class _Fails:
    run = staticmethod(lambda args, ctx: 1)


def _earlier_tree(out, rels=("adam/adsl.parquet", "validation/findings.json", "tlf/table_1.docx", "qc/evidence.json")):
    for rel in rels:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text("from an earlier run")


def test_failed_cleanup_is_a_named_error_and_the_other_stale_outputs_still_go(tmp_path, monkeypatch, capsys):
    """out/tlf cannot be removed (read-only; simulated: tests run as root): exit 1, an ERROR naming
    the path in the log, no traceback, and qc's stale evidence is removed all the same."""
    import shutil

    out = tmp_path / "o"
    _earlier_tree(out)
    real_rmtree = shutil.rmtree

    def rmtree(path, *a, **k):
        if Path(path).name == "tlf":
            raise PermissionError(13, "Permission denied", str(Path(path) / "table_1.docx"))
        return real_rmtree(path, *a, **k)

    monkeypatch.setattr("adamforge.io.shutil.rmtree", rmtree)
    monkeypatch.setattr(cli, "_load", lambda step: _Fails if step.name == "export" else _Ok)
    monkeypatch.setattr(cli, "build_parser", _plain_parser)
    monkeypatch.setattr("adamforge.validation.step.validate_sdtm_gate", lambda ctx, policy: 0)
    assert cli.main(["run", "--out", str(out)]) == 1
    log = (out / "adamforge.log").read_text()
    assert (
        f"ERROR: Stale output of step tlf (stale: the run stopped before it, at export) left in place: could "
        f"not remove '{out / 'tlf'}' ({out / 'tlf' / 'table_1.docx'}): Permission denied. The run stops" in log
    )
    assert "Traceback" not in capsys.readouterr().err
    assert not (out / "qc").exists()
    assert (out / "RUN-INCOMPLETE").exists() and not (out / "RUN-COMPLETE").exists()


def test_failed_cleanup_of_a_single_step_exits_1_naming_the_path(tmp_path, monkeypatch):
    from adamforge.io import CleanupError

    out = tmp_path / "o"
    _earlier_tree(out)

    def refuse(path):
        raise CleanupError(f"could not remove {str(path)!r}: Read-only file system")

    monkeypatch.setattr("adamforge.io.remove_stale", refuse)
    monkeypatch.setattr(cli, "_load", lambda step: _Fails)
    monkeypatch.setattr(cli, "build_parser", _single_step_parser("derive"))
    assert cli.main(["derive", "--out", str(out)]) == 1
    log = (out / "adamforge.log").read_text()
    assert f"left in place: could not remove '{out / 'adam' / 'adsl.parquet'}': Read-only file system" in log


def test_leftover_that_cannot_be_removed_stops_the_run_before_any_step(tmp_path, monkeypatch):
    out = tmp_path / "o"
    (out / "adam" / ".adsl.parquet.x1.part").parent.mkdir(parents=True)
    (out / "adam" / ".adsl.parquet.x1.part").write_text("half")
    ran = []

    class Records:
        run = staticmethod(lambda args, ctx: ran.append(1) or 0)

    real_unlink = Path.unlink

    def unlink(self, *a, **k):
        if self.name.endswith(".part"):
            raise PermissionError(1, "Operation not permitted", str(self))
        return real_unlink(self, *a, **k)

    monkeypatch.setattr(Path, "unlink", unlink)
    monkeypatch.setattr(cli, "_load", lambda step: Records)
    monkeypatch.setattr(cli, "build_parser", _plain_parser)
    assert cli.main(["run", "--out", str(out)]) == 1
    assert ran == []
    log = (out / "adamforge.log").read_text()
    assert "ERROR: could not remove" in log and ".adsl.parquet.x1.part" in log and "Operation not permitted" in log
    assert (out / "RUN-INCOMPLETE").exists()


def test_sdtm_check_that_cannot_complete_removes_the_earlier_report(tmp_path, monkeypatch):
    """The SDTM gate fails before writing its report (unreadable input): the previous run's report
    (0 errors) must not stay and be pointed to."""
    from adamforge.errors import DataError

    out = tmp_path / "o"
    _earlier_tree(out)

    def gate(ctx, policy):
        raise DataError("SDTM dm.xpt: not a SAS XPORT file")

    monkeypatch.setattr(cli, "_load", lambda step: _Ok)
    monkeypatch.setattr(cli, "build_parser", _plain_parser)
    monkeypatch.setattr("adamforge.validation.step.validate_sdtm_gate", gate)
    assert cli.main(["run", "--out", str(out)]) == 1
    assert not (out / "validation").exists()
    log = (out / "adamforge.log").read_text()
    assert "no findings report written, the earlier one is removed" in log
    assert "findings in" not in log


def test_sdtm_check_with_error_findings_keeps_its_new_report(tmp_path, monkeypatch):
    from adamforge.io import staged_dir

    out = tmp_path / "o"
    _earlier_tree(out)

    def gate(ctx, policy):
        with staged_dir(ctx.out / "validation") as stage:
            (stage / "findings.json").write_text("1 error")
        return 1

    monkeypatch.setattr(cli, "_load", lambda step: _Ok)
    monkeypatch.setattr(cli, "build_parser", _plain_parser)
    monkeypatch.setattr("adamforge.validation.step.validate_sdtm_gate", gate)
    assert cli.main(["run", "--out", str(out)]) == 1
    assert (out / "validation" / "findings.json").read_text() == "1 error"
    assert not (out / "tlf").exists() and not (out / "qc").exists()


def test_single_validate_failing_before_its_report_removes_the_earlier_report(tmp_path, monkeypatch):
    out = tmp_path / "o"
    _earlier_tree(out)
    monkeypatch.setattr(cli, "_load", lambda step: _Fails)
    monkeypatch.setattr(cli, "build_parser", _single_step_parser("validate"))
    assert cli.main(["validate", "--out", str(out)]) == 1
    assert not (out / "validation").exists()
    assert "the step failed before writing new output" in (out / "adamforge.log").read_text()


def test_usage_errors_create_no_output_tree(tmp_path):
    r = _run("run", "--out", str(tmp_path / "o1"), "--sdtm", str(tmp_path / "nowhere"))
    assert r.returncode == EXIT_USAGE and "nowhere" in r.stderr
    assert not (tmp_path / "o1").exists()
    r = _run("tlf", "--out", str(tmp_path / "o2"), "--tlf-template", str(tmp_path / "missing.docx"))
    assert r.returncode == EXIT_USAGE and "missing.docx" in r.stderr
    assert not (tmp_path / "o2").exists()


def _single_step_parser(name):
    def build():
        import argparse

        p = argparse.ArgumentParser()
        sub = p.add_subparsers(dest="command")
        cli._add_common(sub.add_parser(name))
        return p

    return build
