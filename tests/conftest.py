"""Session fixtures shared by the test modules: the reference study, simulated once."""

from __future__ import annotations

import os

import pytest

# Fixed run time stamp: documents and files are reproducible under test.
os.environ.setdefault("ADAMFORGE_TIMESTAMP", "2026-01-01T00:00:00")


@pytest.fixture(scope="session")
def reference_study_dir(reference_run_dir):
    """An output tree holding the simulated reference study (``<dir>/sdtm``), default seed: the
    tree of the session's one ``adamforge run`` (read only; copy what a test changes)."""
    return reference_run_dir


@pytest.fixture(scope="session")
def reference_sdtm(reference_study_dir):
    """The simulated reference study's SDTM domains, read back from the files."""
    from adamforge.sdtm_io import read_sdtm

    return read_sdtm(reference_study_dir / "sdtm")


@pytest.fixture(scope="session")
def reference_run_dir(tmp_path_factory):
    """An output tree from ``adamforge run`` on the reference study (every available step)."""
    from adamforge.cli import main

    out = tmp_path_factory.mktemp("run")
    code = main(["run", "--out", str(out), "--quiet"])
    assert code == 0, (out / "adamforge.log").read_text()
    return out


def _load_golden_helper():
    """tests/golden.py, loaded by path (the test folder is not a package under --import-mode=importlib)."""
    import importlib.util
    import sys
    from pathlib import Path

    name = "adamforge_tests_golden"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("golden.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def golden():
    """The golden-file helper (tests/golden.py): ``golden.check(name, text, paths={...})``
    compares with ``tests/golden/<name>``; ``golden.normalise`` shows what is replaced."""
    return _load_golden_helper()


@pytest.fixture
def reference_run_copy(reference_run_dir, tmp_path):
    """A private copy of the reference run's tree, for a test that writes into it or breaks it
    (the session tree itself is shared and must stay as the run left it)."""
    import shutil

    dest = tmp_path / "run"
    shutil.copytree(reference_run_dir, dest)
    return dest
