"""Golden files: the texts users read, kept under ``tests/golden/`` and reviewed in diffs.

A test renders an output as text (a compare report, validation findings, the display tables of
the TLFs, a define.xml) and calls :func:`check` with the name of its golden file:

* the text equal to ``tests/golden/<name>``: the test passes;
* different: the test fails with a unified diff (golden file first, this run second);
* no golden file: the test FAILS; a golden file never writes itself;
* ``ADAMFORGE_UPDATE_GOLDEN=1`` in the environment: the golden files the selected tests produce
  are (re)written and the tests pass; review the change with ``git diff tests/golden`` before
  committing it. For example::

      ADAMFORGE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_golden.py

What varies between runs and machines is replaced before the comparison, explicitly, by
:func:`normalise` (and nothing else is):

* the run's folders (``tmp_path`` of the run, the repository) given by the caller: ``<OUT>``,
  ``<REPO>``, ... (longest path first, so a folder inside another keeps its own name);
* the run time stamp (``ADAMFORGE_TIMESTAMP``, fixed by ``tests/conftest.py``), as an ISO 8601
  date-time ``YYYY-MM-DDTHH:MM:SS`` (with or without `` UTC``): ``<TIMESTAMP>``;
* the git commit: a ``Git commit: ...`` line and a ``"git_commit"`` field, whole (the commit and
  "(with uncommitted changes)"), and any other 40-hex-digit hash: ``<GIT-COMMIT>``;
* the package versions: a ``Package versions: ...`` line (the evidence pack) and the adamforge
  version (``adamforge 0.1.0``, ``SourceSystemVersion="0.1.0"``): ``<VERSIONS>``, ``<VERSION>``;
* SHA-256 digests of input files (64 hex digits): ``<SHA256>`` (they hold paths or versions
  of the inputs, e.g. the Parquet files' pyarrow version);
* line ends: ``\\r\\n`` -> ``\\n``; trailing blanks on a line are removed;
* only with ``noise=True`` (reports of numeric comparisons whose largest differences are
  floating-point noise, which differs between CPUs and BLAS kernels): a number in exponent
  notation below 1e-9 becomes ``<1e-9``, and runs of blanks between words and runs of dashes
  (table alignment, which follows those numbers' widths) become two blanks and two dashes.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from pathlib import Path

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE_ENV = "ADAMFORGE_UPDATE_GOLDEN"

_TIMESTAMP = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}| UTC)?")
_COMMIT_FIELD = re.compile(r'("git_commit"\s*:\s*)"[^"]*"')
_COMMIT_LINE = re.compile(r"^(\s*Git commit:).*$", re.M)
_VERSIONS_LINE = re.compile(r"^(\s*Package versions:).*$", re.M)
_NOISE = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?e-\d+\b")
_COMMIT = re.compile(r"\b[0-9a-f]{40}\b")
_SHA256 = re.compile(r"\b[0-9a-f]{64}\b")


def _version() -> str:
    import adamforge

    return adamforge.__version__


def normalise(text: str, *, paths: Mapping[str, str | os.PathLike] | None = None, noise: bool = False) -> str:
    """``text`` with the run-dependent parts replaced (see the module docstring).

    ``paths`` maps a placeholder to a folder, e.g. ``{"<OUT>": tmp_path}``; every spelling of the
    folder (as given and resolved, with ``/`` and with the platform separator) is replaced.
    """
    text = text.replace("\r\n", "\n")
    spellings: list[tuple[str, str]] = []
    for name, folder in (paths or {}).items():
        for p in {str(folder), str(Path(folder).resolve()), Path(folder).as_posix(), Path(folder).resolve().as_posix()}:
            spellings.append((p, name))
    for p, name in sorted(spellings, key=lambda x: -len(x[0])):
        text = text.replace(p, name)
    text = _SHA256.sub("<SHA256>", text)
    text = _COMMIT_FIELD.sub(r'\1"<GIT-COMMIT>"', text)
    text = _COMMIT_LINE.sub(r"\1 <GIT-COMMIT>", text)
    text = _COMMIT.sub("<GIT-COMMIT>", text)
    text = _VERSIONS_LINE.sub(r"\1 <VERSIONS>", text)
    text = _TIMESTAMP.sub("<TIMESTAMP>", text)
    version = _version()
    text = text.replace(f"adamforge {version}", "adamforge <VERSION>")
    text = text.replace(f'SourceSystemVersion="{version}"', 'SourceSystemVersion="<VERSION>"')
    if noise:
        text = _NOISE.sub(lambda m: "<1e-9" if abs(float(m.group())) < 1e-9 else m.group(), text)
        text = re.sub(r"(?<=\S) {2,}(?=\S)", "  ", re.sub(r"-{2,}", "--", text))
    return "\n".join(line.rstrip() for line in text.split("\n"))


def _updating() -> bool:
    return os.environ.get(UPDATE_ENV, "") not in ("", "0")


def check(name: str, text: str, *, paths: Mapping[str, str | os.PathLike] | None = None, noise: bool = False) -> None:
    """Compare ``text`` (normalised) with the golden file ``tests/golden/<name>``.

    Fails when the file is missing or differs (with a unified diff); rewrites it instead when
    ``ADAMFORGE_UPDATE_GOLDEN=1``.
    """
    import pytest

    got = normalise(text, paths=paths, noise=noise)
    if not got.endswith("\n"):
        got += "\n"
    path = GOLDEN_DIR / name
    if _updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != got:
            path.write_text(got, encoding="utf-8", newline="\n")
        return
    if not path.exists():
        pytest.fail(
            f"golden file {path} is missing; write it with {UPDATE_ENV}=1 (then review and commit it)",
            pytrace=False,
        )
    want = path.read_text(encoding="utf-8")
    if got != want:
        diff = "".join(
            difflib.unified_diff(
                want.splitlines(keepends=True),
                got.splitlines(keepends=True),
                fromfile=f"tests/golden/{name}",
                tofile=f"{name} (this run)",
                n=2,
            )
        )
        limit = 20_000
        if len(diff) > limit:
            diff = diff[:limit] + f"\n... ({len(diff) - limit} more characters of diff)\n"
        pytest.fail(
            f"{name} differs from its golden file (if the change is intended: {UPDATE_ENV}=1, review, commit):\n{diff}",
            pytrace=False,
        )
