"""Atomic output: nothing half-written ever looks valid.

Files are written to a temporary name in the destination folder and moved into place with
``os.replace`` only when complete. A step that writes several files writes them into a staging
folder and swaps the whole folder in at the end (:func:`staged_dir`); if the step fails, the
staging folder is removed and any previous output of that step is left untouched.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import AdamforgeError, UsageError


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, read in chunks.

    Several steps of one run log the same inputs; a file whose inode, size and modification
    time are unchanged is not read again within the process.
    """
    st = os.stat(path)
    return _sha256_cached(os.fspath(path), st.st_ino, st.st_size, st.st_mtime_ns, chunk)


@functools.lru_cache(maxsize=512)
def _sha256_cached(path: str, _ino: int, _size: int, _mtime_ns: int, chunk: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while True:
            block = fh.read(chunk)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


def ensure_writable_dir(path: str | os.PathLike) -> Path:
    """Create ``path`` if needed and check that files can be created in it.

    Raises :class:`UsageError` with one clear line when it cannot.
    """
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=p, prefix=".adamforge-probe-", delete=True):
            pass
    except OSError as exc:
        raise UsageError(f"output folder {str(p)!r} is not writable: {exc.strerror or exc}") from None
    return p


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``dest``; move it onto ``dest`` only if the block succeeds.

    >>> with atomic_path("out/x.txt") as tmp:       # doctest: +SKIP
    ...     tmp.write_text("complete")
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if not tmp.exists() or (tmp.stat().st_size == 0 and not _allow_empty(dest)):
            raise OSError(f"nothing was written for {dest}")
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file ordinary permissions
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _allow_empty(dest: Path) -> bool:
    return dest.suffix in {".log", ".txt", ".csv"}


def write_bytes_atomic(dest: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``dest`` atomically."""
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)
    return Path(dest)


def write_text_atomic(dest: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 ``text`` to ``dest`` atomically (LF line ends, whatever the platform)."""
    return write_bytes_atomic(dest, text.encode("utf-8"))


@contextlib.contextmanager
def staged_dir(dest: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty staging folder; on success it replaces ``dest`` as a whole.

    On failure the staging folder is deleted and ``dest`` (a previous complete output) is kept.
    Files in ``dest`` that the new run does not write are not carried over: the folder after a
    successful run holds exactly what that run wrote.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.staging-"))
    os.chmod(stage, 0o777 & ~_umask())
    old = None
    try:
        yield stage
        if dest.exists():
            old = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.old-"))
            old.rmdir()
            os.replace(dest, old)
        os.replace(stage, dest)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
        if old is not None and old.exists():
            shutil.rmtree(old, ignore_errors=True)


def reproducible_zip(data: bytes) -> bytes:
    """A zip container (.docx, .xlsx) rewritten with fixed member time stamps and attributes,
    so the same content gives the same bytes (zip members otherwise carry the wall-clock time)."""
    import io
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            zi = zipfile.ZipInfo(item.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, src.read(item.filename))
    return out.getvalue()


class CleanupError(AdamforgeError):
    """An earlier output or leftover that must go could not be removed (exit 1); names the path."""


def remove_stale(path: str | os.PathLike) -> bool:
    """Remove a previous output (file or folder) that a failed run made stale. True if removed.

    A removal that fails (read-only folder, immutable file...) raises :class:`CleanupError`
    naming the path: a stale output that stays must never pass silently.
    """
    p = Path(path)
    try:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
            return True
        if p.exists() or p.is_symlink():
            p.unlink()
            return True
    except OSError as exc:
        where = exc.filename if getattr(exc, "filename", None) else p
        raise CleanupError(
            f"could not remove {str(p)!r}"
            + (f" ({where})" if str(where) != str(p) else "")
            + f": {exc.strerror or exc}"
        ) from None
    return False


def safe_child(root: str | os.PathLike, name: str, *, what: str = "name") -> Path:
    """``root / name``, checked to stay inside ``root``; the path every output built from a
    user-given name (an option value, a spec dataset name, a file name from the input) goes through.

    ``name`` must be a relative path without ``..`` parts whose resolved location (symbolic links
    followed) is inside ``root``. Raises :class:`UsageError` naming ``what`` and the value.

    >>> safe_child("out/compare", "adsl")                      # doctest: +SKIP
    PosixPath('out/compare/adsl')
    >>> safe_child("out/compare", "../adam")                   # doctest: +SKIP
    Traceback (most recent call last):
    adamforge.errors.UsageError: name '../adam' would write outside out/compare ...
    """
    text = os.fspath(name) if isinstance(name, os.PathLike) else str(name)
    why = ""
    if not text or text.strip() in (".", ""):
        why = "it is empty"
    elif "\x00" in text:
        why = "it holds a NUL character"
    elif os.path.isabs(text) or text.startswith(("/", "\\")) or (len(text) > 1 and text[1] == ":"):
        why = "it is an absolute path"
    elif any(part == ".." for part in text.replace("\\", "/").split("/")):
        why = "it climbs out with '..'"
    base = Path(root)
    dest = base / text
    if not why:
        real_root = os.path.realpath(base)
        real = os.path.realpath(dest)
        if os.path.commonpath([real_root, real]) != real_root or real == real_root:
            why = "it resolves outside the folder (symbolic link?)"
    if why:
        raise UsageError(f"{what} {text!r} would write outside {base}: {why}; give a plain name")
    return dest


_SAS_NAME = __import__("re").compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_sas_name(name: object, *, what: str = "dataset name", max_len: int = 8) -> str:
    """``name`` if it is a valid SAS name (letters, digits, underscore, starting with a letter or
    underscore, at most ``max_len`` characters: 8 for an XPT v5 dataset); else
    :class:`~adamforge.errors.DataError` naming ``what``, the value and the rule. Checked under
    every policy, before a file name is made from it."""
    from .errors import DataError

    text = str(name) if name is not None else ""
    if not _SAS_NAME.match(text) or len(text) > max_len:
        raise DataError(
            f"{what} {text!r} is not a valid SAS name (rule: letters, digits and underscore, starting "
            f"with a letter or underscore, at most {max_len} characters); no file is made from it"
        )
    return text
