"""A study's own derivations: plugin modules named by its spec.

Most of a study is data; a rule that is truly the study's own (a site pooling, a cumulative-dose
rule) is a Python function in a module of the spec folder, or in an installed package, marked
with the public decorator :func:`derivation`::

    # specs/mystudy/derivations.py
    from adamforge.adam import derivation

    @derivation
    def derive_var_sitegr1(dataset, *, min_subjects: int, pooled_value: str, new_var: str = "SITEGR1"):
        '''Sites with fewer than `min_subjects` subjects are pooled into `pooled_value`.'''
        ...

and named in the spec (any ``adam*.yaml`` file)::

    plugins:
      - derivations.py                  # a module file inside the spec folder
      - entry_point: mystudy_rules      # or an installed package's entry point
                                        # (group "adamforge.derivations")

Loading a plugin runs its code: only what the spec names is loaded, a module file must lie inside
the spec folder, and the run log records each plugin's path and SHA-256. A plugin's functions are
checked against the spec like the built-in ones (argument names, datasets taken); a plugin may not
replace a built-in derivation (a name clash is a spec problem).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import importlib.util
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["derivation", "LoadedPlugin", "load_plugins", "ENTRY_POINT_GROUP"]

#: the entry-point group an installed package registers its plugin modules under
ENTRY_POINT_GROUP = "adamforge.derivations"
_MARK = "__adamforge_derivation__"
_MAX_PLUGIN_BYTES = 1_000_000


def derivation(fn: Callable | None = None, *, name: str | None = None) -> Callable:
    """Mark a function of a plugin module as a derivation a spec may name.

    ``@derivation`` registers it under its own name, ``@derivation(name="...")`` under another.
    The function follows the vocabulary's convention: the dataset first, further datasets
    positional, options keyword-only; it returns a new DataFrame.
    """

    def mark(f: Callable) -> Callable:
        setattr(f, _MARK, name or f.__name__)
        return f

    return mark(fn) if fn is not None else mark


@dataclasses.dataclass(frozen=True)
class LoadedPlugin:
    """A loaded plugin: where it came from, its SHA-256 (files) and its derivations by name."""

    source: str
    path: str
    sha256: str
    functions: Mapping[str, Callable]


def _functions(module: ModuleType) -> dict[str, Callable]:
    out: dict[str, Callable] = {}
    for obj in vars(module).values():
        nm = getattr(obj, _MARK, None)
        if callable(obj) and isinstance(nm, str):
            out[nm] = obj
    return out


def _load_file(entry: str, base: Path) -> LoadedPlugin:
    root = base.resolve()
    path = (root / entry).resolve()
    if root not in path.parents:
        raise ValueError(f"plugin {entry!r} is not inside the spec folder {str(root)!r}")
    if path.suffix != ".py" or not path.is_file():
        raise ValueError(f"plugin {entry!r}: no Python module file {str(path)!r}")
    data = path.read_bytes()
    if len(data) > _MAX_PLUGIN_BYTES:
        raise ValueError(f"plugin {entry!r}: larger than {_MAX_PLUGIN_BYTES} bytes")
    digest = hashlib.sha256(data).hexdigest()
    modname = "adamforge_plugin_" + re.sub(r"\W", "_", f"{root.name}_{path.stem}") + "_" + digest[:12]
    if modname in sys.modules:
        module = sys.modules[modname]
    else:
        spec = importlib.util.spec_from_file_location(modname, path)
        if spec is None or spec.loader is None:
            raise ValueError(f"plugin {entry!r}: cannot be loaded as a module")
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # noqa: BLE001 - any failure of a user's module is reported, named
            raise ValueError(f"plugin {entry!r} failed to import: {type(exc).__name__}: {exc}") from exc
        sys.modules[modname] = module
    return LoadedPlugin(source=entry, path=str(path), sha256=digest, functions=_functions(module))


def _load_entry_point(name: str) -> LoadedPlugin:
    from importlib.metadata import entry_points

    eps = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    if not eps:
        raise ValueError(f"plugin entry point {name!r} is not installed (group {ENTRY_POINT_GROUP!r})")
    try:
        obj = eps[0].load()
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"plugin entry point {name!r} failed to import: {type(exc).__name__}: {exc}") from exc
    module = sys.modules.get(getattr(obj, "__module__", ""), obj) if callable(obj) else obj
    fns = _functions(module) if not callable(obj) or getattr(obj, _MARK, None) is None else {getattr(obj, _MARK): obj}
    path = getattr(module, "__file__", "") or ""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest() if path and Path(path).is_file() else ""
    return LoadedPlugin(source=f"entry_point:{name}", path=path, sha256=digest, functions=fns)


def load_plugins(raw: Any, *, base: str | Path | None) -> tuple[list[LoadedPlugin], list[str]]:
    """Load the plugins a spec's ``plugins`` section names; (plugins, problems).

    Problems (one line each, naming the plugin): a module outside the spec folder, a module that
    fails to import, an entry point not installed, a derivation name defined twice or clashing
    with a built-in derivation, a plugin naming no derivation.
    """
    from .registry import REGISTRY

    if not raw:
        return [], []
    if not isinstance(raw, (list, tuple)):
        return [], [f"plugins: must be a list of module files or {{entry_point: NAME}}, got {raw!r}"]
    loaded: list[LoadedPlugin] = []
    problems: list[str] = []
    names: dict[str, str] = {}  # derivation name: source of the plugin defining it
    for item in raw:
        try:
            if isinstance(item, str):
                if base is None:
                    raise ValueError(
                        f"plugin {item!r}: a module file needs the spec folder (load the spec with load_spec)"
                    )
                plug = _load_file(item, Path(base))
            elif isinstance(item, Mapping) and set(item) == {"entry_point"}:
                plug = _load_entry_point(str(item["entry_point"]))
            else:
                raise ValueError(f"plugin entry {item!r}: a module file name or {{entry_point: NAME}}")
        except ValueError as exc:
            problems.append(f"plugins: {exc}")
            continue
        if not plug.functions:
            problems.append(f"plugins: {plug.source} marks no function with @derivation")
        for nm in plug.functions:
            if nm in REGISTRY:
                problems.append(f"plugins: {plug.source}: derivation {nm!r} clashes with a built-in derivation")
            elif nm in names:
                problems.append(f"plugins: derivation {nm!r} defined by both {names[nm]} and {plug.source}")
            names[nm] = plug.source
        loaded.append(plug)
    return loaded, problems
