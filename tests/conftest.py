"""Session fixtures shared by the test modules: the reference study, simulated once."""

from __future__ import annotations

import os

import pytest

# Fixed run time stamp: documents and files are reproducible under test.
os.environ.setdefault("ADAMFORGE_TIMESTAMP", "2026-01-01T00:00:00")


@pytest.fixture(scope="session")
def reference_study_dir(tmp_path_factory):
    """An output tree holding the simulated reference study (``<dir>/sdtm``), default seed."""
    from adamforge.cli import main

    out = tmp_path_factory.mktemp("reference")
    assert main(["simulate", "--out", str(out), "--quiet"]) == 0
    return out


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
