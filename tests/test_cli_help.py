"""``adamforge --help`` and ``adamforge <step> --help`` import no pandas; the one ``--policy`` flag.

The speed itself is a benchmark figure (benchmarks/bench_cli_help.py), not a timed test: here the
cause of a slow ``--help``, importing pandas (and numpy) to build the parser, is what fails.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from adamforge import cli
from adamforge.options import DEFAULT_POLICY, POLICIES, resolve_policy

_PROBE = """
import json, sys
from adamforge import cli
seen = {}
for argv in (["--help"], *([name, "--help"] for name in sys.argv[1:])):
    try:
        cli.main(argv)
    except SystemExit:
        pass
    seen[" ".join(argv)] = sorted(m for m in ("pandas", "numpy", "pyarrow", "scipy") if m in sys.modules)
print(json.dumps(seen))
"""


def test_help_of_every_command_imports_no_pandas():
    names = ["run", *(s.name for s in cli.STEPS)]
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *names], capture_output=True, text=True, timeout=120, check=True
    )
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(seen) == {"--help", *(f"{n} --help" for n in names)}
    assert {argv: mods for argv, mods in seen.items() if mods} == {}


def test_help_lists_policy_once_with_its_default(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    out = capsys.readouterr().out
    assert sum(line.lstrip().startswith("--policy") for line in out.splitlines()) == 1  # one option
    assert "submission (default)" in out
    assert "--spec-policy" not in out  # the deprecated alias works but is not advertised


@pytest.mark.parametrize("command", ["run", "derive", "validate"])
def test_one_policy_flag_and_one_default(command):
    args = cli.build_parser().parse_args([command])
    assert resolve_policy(args) == (DEFAULT_POLICY, None)
    assert DEFAULT_POLICY == "submission" and DEFAULT_POLICY in POLICIES
    args = cli.build_parser().parse_args([command, "--policy", "dev"])
    assert resolve_policy(args) == ("dev", None)


def test_spec_policy_is_a_deprecated_alias():
    args = cli.build_parser().parse_args(["derive", "--spec-policy", "dev"])
    policy, warning = resolve_policy(args)
    assert policy == "dev" and "--spec-policy is deprecated" in warning and "--policy dev" in warning
    args = cli.build_parser().parse_args(["run", "--spec-policy", "dev", "--policy", "submission"])
    with pytest.raises(ValueError, match="disagree"):
        resolve_policy(args)


def test_spec_policy_warns_once_and_conflict_is_a_usage_error(tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(["derive", "--out", str(out), "--policy", "dev", "--spec-policy", "submission"])
    assert code == 2 and not out.exists()  # a usage error creates nothing
    assert "disagree" in capsys.readouterr().err
    # alone: warns once (terminal and log), then runs as --policy dev
    (tmp_path / "sdtm").mkdir()
    argv = ["validate", "--out", str(out), "--sdtm", str(tmp_path / "sdtm"), "--validate-scope", "sdtm"]
    cli.main([*argv, "--spec-policy", "dev"])
    assert (out / "adamforge.log").read_text().count("--spec-policy is deprecated") == 1
    assert capsys.readouterr().err.count("--spec-policy is deprecated") == 1
