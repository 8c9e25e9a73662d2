"""Atomic output helpers (adamforge.io): nothing half-written, names checked, removal failures named."""

from __future__ import annotations

import pytest

from adamforge.errors import DataError, UsageError
from adamforge.io import (
    CleanupError,
    atomic_path,
    check_sas_name,
    ensure_writable_dir,
    remove_stale,
    reproducible_zip,
    safe_child,
    sha256_file,
    staged_dir,
    write_text_atomic,
)


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


def test_sha256_file_of_known_bytes_and_rehashed_after_a_change(tmp_path):
    f = tmp_path / "x"
    f.write_bytes(b"abc")
    assert sha256_file(f) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    f.write_bytes(b"abcd")  # other size: not the cached digest
    assert sha256_file(f) == "88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589"


def test_atomic_path_moves_into_place_only_on_success(tmp_path):
    dest = tmp_path / "sub" / "a.json"
    with atomic_path(dest) as tmp:
        assert tmp.parent == dest.parent and tmp.name.startswith(".a.json.") and not dest.exists()
        tmp.write_text("{}")
    assert dest.read_text() == "{}"
    with pytest.raises(RuntimeError), atomic_path(dest) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert dest.read_text() == "{}"  # the previous complete file
    assert sorted(p.name for p in dest.parent.iterdir()) == ["a.json"]  # no temporary left


def test_atomic_path_refuses_an_empty_file_except_text(tmp_path):
    with pytest.raises(OSError, match="nothing was written"), atomic_path(tmp_path / "a.xpt") as tmp:
        tmp.write_bytes(b"")
    assert not (tmp_path / "a.xpt").exists()
    write_text_atomic(tmp_path / "a.log", "")
    assert (tmp_path / "a.log").read_bytes() == b""
    write_text_atomic(tmp_path / "b.txt", "é\n")
    assert (tmp_path / "b.txt").read_bytes() == "é\n".encode()


def test_staged_dir_swaps_the_whole_folder_or_keeps_the_old_one(tmp_path):
    dest = tmp_path / "tlf"
    dest.mkdir()
    (dest / "old.docx").write_text("old")
    with pytest.raises(ValueError), staged_dir(dest) as stage:
        (stage / "new.docx").write_text("new")
        raise ValueError("render failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tlf"] and (dest / "old.docx").read_text() == "old"
    with staged_dir(dest) as stage:
        (stage / "new.docx").write_text("new")
    assert sorted(p.name for p in dest.iterdir()) == ["new.docx"]  # nothing carried over
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tlf"]  # no staging or old folder left


@pytest.mark.parametrize(
    "name,why",
    [
        ("", "it is empty"),
        (".", "it is empty"),
        ("a\x00b", "NUL"),
        ("/etc/x", "absolute path"),
        ("C:x", "absolute path"),
        ("../adam", "climbs out"),
        ("a/../../b", "climbs out"),
    ],
)
def test_safe_child_refuses_names_leaving_the_folder(tmp_path, name, why):
    with pytest.raises(UsageError, match=why):
        safe_child(tmp_path, name, what="--name")


def test_safe_child_accepts_plain_names_and_refuses_a_symlink_out(tmp_path):
    assert safe_child(tmp_path, "adsl") == tmp_path / "adsl"
    assert safe_child(tmp_path, "a/b.txt") == tmp_path / "a" / "b.txt"
    (tmp_path / "link").symlink_to(tmp_path.parent)
    with pytest.raises(UsageError, match="resolves outside the folder"):
        safe_child(tmp_path, "link/x")


@pytest.mark.parametrize("name", ["ADSL", "_x1", "A2345678"])
def test_check_sas_name_accepts(name):
    assert check_sas_name(name) == name


@pytest.mark.parametrize("name", ["1ADSL", "AD-SL", "A23456789", "", None, "ad sl"])
def test_check_sas_name_refuses(name):
    with pytest.raises(DataError, match="is not a valid SAS name"):
        check_sas_name(name)
    assert check_sas_name("A" * 32, max_len=32) == "A" * 32


def test_reproducible_zip_fixes_time_stamps(tmp_path):
    import io
    import zipfile

    def make(when):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr(zipfile.ZipInfo("word/document.xml", date_time=when), "<w/>")
        return buf.getvalue()

    a, b = make((2024, 1, 1, 0, 0, 0)), make((2025, 6, 7, 8, 9, 10))
    assert a != b and reproducible_zip(a) == reproducible_zip(b)
    z = zipfile.ZipFile(io.BytesIO(reproducible_zip(a)))
    assert [(i.filename, i.date_time) for i in z.infolist()] == [("word/document.xml", (1980, 1, 1, 0, 0, 0))]
    assert z.read("word/document.xml") == b"<w/>"


def test_ensure_writable_dir_creates_and_names_an_unusable_path(tmp_path):
    assert ensure_writable_dir(tmp_path / "a" / "b").is_dir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="is not writable"):
        ensure_writable_dir(tmp_path / "file" / "sub")
