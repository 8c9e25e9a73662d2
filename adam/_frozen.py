"""Read-only spec data: :func:`freeze` YAML-shaped values for the immutable spec objects, :func:`thaw` them back.

One pair for every spec table that keeps plain data (method arguments, study parameters, program
step arguments and filters, input-rule filters), so that frozen values compare, hash and print
the same wherever they come from.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

__all__ = ["freeze", "thaw"]


def freeze(obj: Any) -> Any:
    """Deep-freeze YAML data: dicts become read-only mappings, lists tuples."""
    if isinstance(obj, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in obj.items()})
    if isinstance(obj, (list, tuple)):
        return tuple(freeze(v) for v in obj)
    return obj


def thaw(obj: Any) -> Any:
    """The inverse of :func:`freeze`: plain dicts and lists (for YAML/JSON output)."""
    if isinstance(obj, Mapping):
        return {k: thaw(v) for k, v in obj.items()}
    if isinstance(obj, tuple):
        return [thaw(v) for v in obj]
    return obj
