"""Run mypy on the installed ``adamforge`` package as it is laid out in the repository.

The repository's top folders (``adam/``, ``tlf/``, ``validation/``, ...) are installed as
sub-packages of ``adamforge`` (``[tool.setuptools] package-dir`` in pyproject.toml), and the
editable install maps them with an import hook that mypy cannot follow. So this script lays a
tree of symbolic links, ``build/typecheck/adamforge/``, with the same mapping, runs
``mypy -p adamforge`` on it (configuration: ``[tool.mypy]`` in pyproject.toml) and prints each
message with the repository path of the file (``adam/spec.py``, not ``adamforge/adam/spec.py``).
The link tree is rebuilt on every run, so new files are always checked.

Usage: ``python .ci/typecheck.py [mypy options]``; exit code: mypy's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "build" / "typecheck"


def package_dirs() -> dict[str, str]:
    """``{"adamforge": "adamforge", "adamforge.adam": "adam", ...}`` from pyproject.toml."""
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return dict(tomllib.load(fh)["tool"]["setuptools"]["package-dir"])


def lay_tree() -> dict[str, str]:
    """Build the link tree; returns ``{tree path prefix: repository path prefix}`` for the messages."""
    if TREE.exists():
        shutil.rmtree(TREE)
    pkg = TREE / "adamforge"
    pkg.mkdir(parents=True)
    dirs = package_dirs()
    subs = {name.split(".", 1)[1]: src for name, src in dirs.items() if name.count(".") == 1}
    for entry in sorted((ROOT / dirs["adamforge"]).iterdir()):
        if entry.name not in subs and entry.name != "__pycache__":
            os.symlink(entry, pkg / entry.name)
    prefixes = {}
    for sub, src in subs.items():
        os.symlink(ROOT / src, pkg / sub)
        prefixes[f"adamforge/{sub}/"] = f"{src}/"
    prefixes["adamforge/"] = f"{dirs['adamforge']}/"
    return prefixes


def main(argv: list[str]) -> int:
    prefixes = lay_tree()
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "-p", "adamforge", *argv]
    env = dict(os.environ, MYPY_CACHE_DIR=str(ROOT / ".mypy_cache"))
    proc = subprocess.run(cmd, cwd=TREE, env=env, capture_output=True, text=True)
    pattern = re.compile("^(" + "|".join(re.escape(p) for p in prefixes) + ")", re.MULTILINE)
    for stream, text in ((sys.stdout, proc.stdout), (sys.stderr, proc.stderr)):
        stream.write(pattern.sub(lambda m: prefixes[m.group(1)], text))
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
