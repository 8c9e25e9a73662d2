"""Bounded YAML: every spec file adamforge reads goes through :func:`load_yaml`.

Specs are untrusted input. YAML is read with PyYAML's *safe* loader (no Python objects, no
code) and with two bounds, so a hostile or broken file fails fast with a message naming it
instead of hanging the run or dying of an unnamed ``MemoryError``:

* the file size: at most :data:`MAX_YAML_BYTES` (10 MB; a study's specs are a few hundred kB);
* the document's size *with aliases expanded*: at most :data:`MAX_YAML_NODES` nodes. An alias
  (``*name``) costs nothing to parse but every consumer that walks the data pays for each
  expansion: nine nested levels of nine aliases ("billion laughs") are a 1 kB file and
  387 million values. The expanded size is counted on the composed node graph (each node once,
  memoised), before any Python object is built. A self-referencing anchor (a cycle) is refused.

Syntax errors, size and alias bombs are all raised as :class:`YamlFileError`, a
:class:`~adamforge.errors.DataError` (exit 1) that is also a ``yaml.YAMLError`` so callers that
collect "not valid YAML" problems keep doing so.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from .errors import DataError

__all__ = ["MAX_YAML_BYTES", "MAX_YAML_NODES", "YamlFileError", "load_yaml", "load_yaml_text"]

#: largest spec (YAML) file read, in bytes
MAX_YAML_BYTES = 10 * 1024 * 1024
#: largest document, counted in nodes (scalars, sequences, mappings) with every alias expanded
MAX_YAML_NODES = 2_000_000

_Loader: type[yaml.SafeLoader] | type[yaml.CSafeLoader]
try:  # the C loader when PyYAML was built with libyaml: same rules, faster
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader


class YamlFileError(DataError, yaml.YAMLError):
    """A YAML file that cannot be read: syntax, size or alias expansion; the message names it."""


def load_yaml(path: str | os.PathLike, *, max_bytes: int = MAX_YAML_BYTES, max_nodes: int = MAX_YAML_NODES) -> Any:
    """Read one YAML document from ``path`` safely and within bounds.

    Returns the data (``None`` for an empty file). Raises :class:`YamlFileError` naming the file
    when it is larger than ``max_bytes``, is not valid UTF-8 YAML, or expands to more than
    ``max_nodes`` nodes.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise YamlFileError(
                f"YAML file {str(p)!r} is {size:,} bytes, more than the limit of {max_bytes:,} "
                "bytes (adamforge.yamlsafe.MAX_YAML_BYTES)"
            )
        with open(p, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise YamlFileError(f"YAML file {str(p)!r} cannot be read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:  # grew while we looked
        raise YamlFileError(f"YAML file {str(p)!r} is more than the limit of {max_bytes:,} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlFileError(f"YAML file {str(p)!r} is not UTF-8: byte {exc.start}") from None
    return load_yaml_text(text, source=str(p), max_nodes=max_nodes)


def load_yaml_text(text: str, *, source: str = "<string>", max_nodes: int = MAX_YAML_NODES) -> Any:
    """:func:`load_yaml` for text already in memory; ``source`` names it in errors."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expanded_size(node, source, max_nodes)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        if isinstance(exc, YamlFileError):
            raise
        raise YamlFileError(f"YAML file {source!r} is not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def _check_expanded_size(root: yaml.Node, source: str, max_nodes: int) -> None:
    """Count the nodes of ``root`` as if every alias were expanded; refuse cycles and excess.

    Iterative (no recursion limit on deep documents), each distinct node visited once.
    """
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            on_path.discard(key)
            total = 1 + sum(size[id(c)] for c in children)
            if total > max_nodes:
                mark = node.start_mark
                where = f" (the node at line {mark.line + 1}, column {mark.column + 1})" if mark else ""
                raise YamlFileError(
                    f"YAML file {source!r} expands to more than {max_nodes:,} values through its aliases "
                    f"(*name){where}: refused (adamforge.yamlsafe.MAX_YAML_NODES; an alias bomb?)"
                )
            size[key] = total
            continue
        if key in size:
            continue
        if key in on_path:
            mark = node.start_mark
            raise YamlFileError(
                f"YAML file {source!r}: an alias refers to its own anchor (a cycle) at line "
                f"{mark.line + 1 if mark else '?'}: refused"
            )
        on_path.add(key)
        stack.append((node, True))
        for c in children:
            cid = id(c)
            if cid in on_path:
                mark = c.start_mark
                raise YamlFileError(
                    f"YAML file {source!r}: an alias refers to its own anchor (a cycle) at line "
                    f"{mark.line + 1 if mark else '?'}: refused"
                )
            if cid not in size:
                stack.append((c, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [x for pair in node.value for x in pair]
    return []
