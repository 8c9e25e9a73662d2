"""Atomic output helpers (adamforge.io): removal failures are named errors."""

from __future__ import annotations

import pytest

from adamforge.io import CleanupError, remove_stale


def test_remove_stale_removes_files_and_folders(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x").write_text("1")
    (tmp_path / "f").write_text("1")
    assert remove_stale(tmp_path / "d") and remove_stale(tmp_path / "f")
    assert not remove_stale(tmp_path / "nothing")
    assert list(tmp_path.iterdir()) == []


def test_remove_stale_failure_names_the_path(tmp_path, monkeypatch):
    (tmp_path / "adam").mkdir()
    (tmp_path / "adam" / "adsl.xpt").write_text("1")

    def rmtree(path, *a, **k):
        raise PermissionError(13, "Permission denied", str(tmp_path / "adam" / "adsl.xpt"))

    monkeypatch.setattr("adamforge.io.shutil.rmtree", rmtree)
    with pytest.raises(CleanupError) as exc:
        remove_stale(tmp_path / "adam")
    assert str(exc.value) == (
        f"could not remove '{tmp_path / 'adam'}' ({tmp_path / 'adam' / 'adsl.xpt'}): Permission denied"
    )
    assert exc.value.exit_code == 1


def test_immutable_file_is_a_named_error_when_chattr_works(tmp_path):
    """With a real immutable file (chattr +i; root ignores chmod), when the file system allows it."""
    import shutil
    import subprocess

    f = tmp_path / "adsl.parquet"
    f.write_text("1")
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(f)], capture_output=True).returncode:
        pytest.skip("chattr +i not available here")
    try:
        with pytest.raises(CleanupError, match="adsl.parquet'.*Operation not permitted"):
            remove_stale(f)
    finally:
        subprocess.run(["chattr", "-i", str(f)], capture_output=True)
