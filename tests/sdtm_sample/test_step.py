"""``adamforge simulate``: files, byte-identical reruns, bad options, nothing half-written."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from adamforge.io import sha256_file
from adamforge.sdtm_io import read_sdtm


def _cli(*argv, env=None):
    e = dict(os.environ, ADAMFORGE_TIMESTAMP="2026-01-01T00:00:00", **(env or {}))
    return subprocess.run([sys.executable, "-m", "adamforge.cli", *argv], capture_output=True, text=True, env=e)


def test_simulate_writes_xpt_parquet_manifest(reference_study_dir):
    sdtm = reference_study_dir / "sdtm"
    names = sorted(p.name for p in sdtm.iterdir())
    for d in ("dm", "sv", "ex", "ds", "mh", "sc", "rs", "qs", "ta", "te", "tv", "ts"):
        assert f"{d}.xpt" in names and f"{d}.parquet" in names
    manifest = json.loads((sdtm / "manifest.json").read_text())
    assert manifest["DM"]["observations"] == 1249
    assert manifest["DM"]["xpt_sha256"] == sha256_file(sdtm / "dm.xpt")
    log = (reference_study_dir / "adamforge.log").read_text()
    assert "The data set SDTM.DM has 1249 observations and 21 variables." in log
    assert "Synthetic data" in log
    assert not [p for p in reference_study_dir.iterdir() if p.name.startswith(".")]  # no staging left


def test_xpt_and_parquet_read_the_same(reference_study_dir, tmp_path):
    """The Parquet copy holds the XPT's data: read through the copy or from the XPT alone, the same."""
    import shutil

    src = reference_study_dir / "sdtm"
    via_parquet = read_sdtm(src, ["DM", "RS"])
    only_xpt = tmp_path / "sdtm"
    only_xpt.mkdir()
    for d in ("dm", "rs"):
        shutil.copy(src / f"{d}.xpt", only_xpt / f"{d}.xpt")
    via_xpt = read_sdtm(only_xpt)
    for d in ("DM", "RS"):
        pd.testing.assert_frame_equal(via_parquet[d], via_xpt[d])


def test_xpt_replaced_by_hand_is_honoured_never_its_stale_parquet_copy(reference_study_dir, tmp_path):
    """An XPT replaced by hand: with the simulator's manifest the read fails naming the file; once
    the manifest is removed (as the message says) the new XPT's values are read, not the old copy's."""
    import shutil

    import pyreadstat

    from adamforge.errors import DataError

    src, folder = reference_study_dir / "sdtm", tmp_path / "sdtm"
    shutil.copytree(src, folder)
    dm, meta = pyreadstat.read_xport(str(src / "dm.xpt"))
    subject = dm["USUBJID"].iloc[0]
    assert dm["AGE"].iloc[0] != 99
    dm.loc[0, "AGE"] = 99.0
    pyreadstat.write_xport(
        dm, str(folder / "dm.xpt"), table_name="DM", column_labels=meta.column_labels, file_format_version=5
    )
    with pytest.raises(DataError, match=r"dm\.xpt does not match manifest\.json"):
        read_sdtm(folder, ["DM"])
    (folder / "manifest.json").unlink()
    got = read_sdtm(folder, ["DM"])["DM"]
    assert got.loc[got["USUBJID"] == subject, "AGE"].tolist() == [99.0]
    stale = pd.read_parquet(folder / "dm.parquet")
    assert stale.loc[stale["USUBJID"] == subject, "AGE"].tolist() != [99.0]  # the copy is still the old data


def test_same_seed_gives_byte_identical_files(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        r = _cli("simulate", "--out", str(out), "--quiet", "--seed", "11")
        assert r.returncode == 0, r.stderr
    for f in sorted((a / "sdtm").iterdir()):
        assert sha256_file(f) == sha256_file(b / "sdtm" / f.name), f.name


def test_negative_scale_is_one_line_and_nothing_written(tmp_path):
    out = tmp_path / "o"
    r = _cli("simulate", "--out", str(out), "--scale", "-2")
    assert r.returncode == 2
    assert "--scale takes a whole number >= 1" in r.stderr
    assert not (out / "sdtm").exists()


def test_failed_write_keeps_previous_output(tmp_path, monkeypatch):
    """A failure while writing leaves the previous complete SDTM folder untouched."""
    from adamforge import cli, sdtm_io

    out = tmp_path / "o"
    (out / "sdtm").mkdir(parents=True)
    (out / "sdtm" / "dm.xpt").write_bytes(b"previous complete output")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(sdtm_io, "write_sdtm", boom)
    try:
        code = cli.main(["simulate", "--out", str(out), "--quiet"])
    except OSError:
        code = 1
    assert code != 0
    assert (out / "sdtm" / "dm.xpt").read_bytes() == b"previous complete output"
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
