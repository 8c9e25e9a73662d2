"""The closed vocabulary a spec may name: derivation functions and responder criteria.

A spec never carries Python code. A method names a derivation function of :data:`REGISTRY`
with keyword arguments; an endpoint names criteria of :data:`CRITERIA`. Both are checked
against the function signatures when the spec loads (:func:`check_arguments`,
:func:`check_criterion`).

Criteria are written in the spec as one-key mappings, ``{name: args}``; ``args`` is a mapping of
keyword arguments or, shorthand, the value of the criterion's single argument::

    {chg_le: -2}                               # CHG <= -2
    {aval_in: [0, 1]}                          # AVAL in (0, 1)
    {all_of: [{aval_in: [0, 1]}, {chg_le: -2}]}

A criterion maps a frame with AVAL, BASE, CHG, PCHG to a float Series: 1.0 met, 0.0 not met,
NaN when the values it needs are missing.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["REGISTRY", "CRITERIA", "check_arguments", "check_criterion", "evaluate_criterion", "get"]


# ---------------------------------------------------------------------------------------
# criteria
# ---------------------------------------------------------------------------------------

#: tolerance of threshold comparisons: a change of 55/7 - 27/7 is -3.9999999999999996 in binary
#: floating point and an EASI of 2.8 -> 0.7 is -74.99999999999999 %; both meet ">= 4 points" and
#: ">= 75 %" as a programmer (and SAS with FUZZ) reads them.
FUZZ = 1e-9


def _compare(x: pd.Series, op: str, value: float) -> pd.Series:
    x = pd.to_numeric(x, errors="coerce").astype("float64")
    tol = FUZZ * max(1.0, abs(float(value)))
    res = {"le": x <= value + tol, "lt": x < value - tol, "ge": x >= value - tol, "gt": x > value + tol}[op]
    return res.astype("float64").where(x.notna(), np.nan)


def aval_in(df: pd.DataFrame, *, values: list) -> pd.Series:
    """AVAL is one of ``values``."""
    x = pd.to_numeric(df["AVAL"], errors="coerce")
    return x.isin(list(values)).astype("float64").where(x.notna(), np.nan)


def aval_le(df: pd.DataFrame, *, value: float) -> pd.Series:
    """AVAL <= value."""
    return _compare(df["AVAL"], "le", value)


def aval_ge(df: pd.DataFrame, *, value: float) -> pd.Series:
    """AVAL >= value."""
    return _compare(df["AVAL"], "ge", value)


def chg_le(df: pd.DataFrame, *, value: float) -> pd.Series:
    """CHG <= value (a reduction of at least -value)."""
    return _compare(df["CHG"], "le", value)


def chg_ge(df: pd.DataFrame, *, value: float) -> pd.Series:
    """CHG >= value."""
    return _compare(df["CHG"], "ge", value)


def pchg_le(df: pd.DataFrame, *, value: float) -> pd.Series:
    """PCHG <= value (e.g. -50: at least 50% improvement); missing when BASE is 0."""
    return _compare(df["PCHG"], "le", value)


def pchg_ge(df: pd.DataFrame, *, value: float) -> pd.Series:
    """PCHG >= value."""
    return _compare(df["PCHG"], "ge", value)


def base_ge(df: pd.DataFrame, *, value: float) -> pd.Series:
    """BASE >= value (baseline eligibility, e.g. itch NRS >= 4 for NRS4)."""
    return _compare(df["BASE"], "ge", value)


def base_gt(df: pd.DataFrame, *, value: float) -> pd.Series:
    """BASE > value (e.g. EASI baseline > 0 so that a percent change exists)."""
    return _compare(df["BASE"], "gt", value)


def all_of(df: pd.DataFrame, *, criteria: list) -> pd.Series:
    """Every criterion met: 0 if any is 0, 1 if all are 1, else missing."""
    parts = np.column_stack([evaluate_criterion(df, c).to_numpy() for c in criteria])
    out = np.where((parts == 0).any(axis=1), 0.0, np.where((parts == 1).all(axis=1), 1.0, np.nan))
    return pd.Series(out, index=df.index)


def any_of(df: pd.DataFrame, *, criteria: list) -> pd.Series:
    """At least one criterion met: 1 if any is 1, 0 if all are 0, else missing."""
    parts = np.column_stack([evaluate_criterion(df, c).to_numpy() for c in criteria])
    out = np.where((parts == 1).any(axis=1), 1.0, np.where((parts == 0).all(axis=1), 0.0, np.nan))
    return pd.Series(out, index=df.index)


CRITERIA: dict[str, Callable[..., pd.Series]] = {
    f.__name__: f
    for f in (aval_in, aval_le, aval_ge, chg_le, chg_ge, pchg_le, pchg_ge, base_ge, base_gt, all_of, any_of)
}


def _criterion_call(criterion: Mapping[str, Any]) -> tuple[str, Callable, dict]:
    if not isinstance(criterion, Mapping) or len(criterion) != 1:
        raise ValueError(
            f"a criterion must be a one-key mapping {{name: args}}, got {dict(criterion) if isinstance(criterion, Mapping) else criterion!r}"
        )
    ((name, args),) = criterion.items()
    fn = CRITERIA.get(name)
    if fn is None:
        raise ValueError(f"criterion {name!r} is not in the criteria registry ({', '.join(sorted(CRITERIA))})")
    if not isinstance(args, Mapping):
        kw = [p.name for p in inspect.signature(fn).parameters.values() if p.kind is p.KEYWORD_ONLY]
        args = {kw[0]: args}
    return name, fn, dict(args)


def evaluate_criterion(df: pd.DataFrame, criterion: Mapping[str, Any]) -> pd.Series:
    """Evaluate a spec criterion on ``df`` (columns AVAL, BASE, CHG, PCHG as needed)."""
    _, fn, args = _criterion_call(criterion)
    if "criteria" in args:
        args["criteria"] = list(args["criteria"])
    elif "values" in args:
        args["values"] = list(args["values"])
    return fn(df, **args)


def check_criterion(criterion: Any) -> list[str]:
    """Problems with a spec criterion (unknown name, arguments not matching), recursively."""
    try:
        name, fn, args = _criterion_call(criterion)
    except ValueError as exc:
        return [str(exc)]
    msgs = [f"criterion {name}: {m}" for m in check_arguments(fn, args, complete=True)]
    if name in ("all_of", "any_of") and "criteria" in args:
        subs = args["criteria"]
        if isinstance(subs, (str, bytes)) or not hasattr(subs, "__iter__") or not list(subs):
            msgs.append(f"criterion {name}: 'criteria' must be a non-empty list of criteria")
        else:
            for c in subs:
                msgs.extend(check_criterion(c))
    return msgs


# ---------------------------------------------------------------------------------------
# derivation functions (resolved lazily so that loading a spec does not import everything)
# ---------------------------------------------------------------------------------------

_DERIVATIONS: dict[str, str] = {
    # ADSL
    "derive_vars_trtp": "adamforge.adam.derive_adsl:derive_vars_trtp",
    "derive_var_efffl": "adamforge.adam.derive_adsl:derive_var_efffl",
    "derive_var_disdur": "adamforge.adam.derive_adsl:derive_var_disdur",
    "derive_var_disposition": "adamforge.adam.derive_adsl:derive_var_disposition",
    # dates
    "derive_vars_dt": "adamforge.adam.dates:derive_vars_dt",
    "derive_vars_dy": "adamforge.adam.days:derive_vars_dy",
    # BDS
    "derive_vars_avisit": "adamforge.adam.derive_bds:derive_vars_avisit",
    "derive_var_ablfl": "adamforge.adam.derive_bds:derive_var_ablfl",
    "derive_var_base": "adamforge.adam.derive_bds:derive_var_base",
    "derive_var_chg": "adamforge.adam.derive_bds:derive_var_chg",
    "derive_var_pchg": "adamforge.adam.derive_bds:derive_var_pchg",
    "derive_var_anl01fl": "adamforge.adam.derive_bds:derive_var_anl01fl",
    "derive_param_window_mean": "adamforge.adam.derive_params:derive_param_window_mean",
    "derive_param_item_total": "adamforge.adam.derive_params:derive_param_item_total",
    "derive_param_responders": "adamforge.adam.responders:derive_param_responders",
    # ---- generic vocabulary A: merges, flags, summaries, dates, durations, categories ----
    "derive_vars_merged": "adamforge.adam.merge:derive_vars_merged",
    "derive_var_merged_exist_flag": "adamforge.adam.merge:derive_var_merged_exist_flag",
    "derive_var_merged_summary": "adamforge.adam.summaries:derive_var_merged_summary",
    "derive_vars_dt_imputed": "adamforge.adam.dates:derive_vars_dt_imputed",
    "derive_vars_dtm": "adamforge.adam.dates:derive_vars_dtm",
    "derive_vars_duration": "adamforge.adam.durations:derive_vars_duration",
    "derive_var_round": "adamforge.adam.rounding:derive_var_round",
    "derive_var_cat_by_range": "adamforge.adam.categories:derive_var_cat_by_range",
    "derive_var_cat_by_map": "adamforge.adam.categories:derive_var_cat_by_map",
    "derive_var_flag_if": "adamforge.adam.categories:derive_var_flag_if",
    "derive_var_assign": "adamforge.adam.categories:derive_var_assign",
    "derive_var_copy": "adamforge.adam.categories:derive_var_copy",
    "derive_var_coalesce": "adamforge.adam.categories:derive_var_coalesce",
    "derive_var_compute": "adamforge.adam.categories:derive_var_compute",
    # ---- generic vocabulary B: BDS records, windows, LOCF, computed parameters, OCCDS, TTE ----
    "derive_var_extreme_flag": "adamforge.adam.bds:derive_var_extreme_flag",
    "derive_vars_analysis_window": "adamforge.adam.bds:derive_vars_analysis_window",
    "derive_var_analysis_flag_closest": "adamforge.adam.bds:derive_var_analysis_flag_closest",
    "derive_locf_records": "adamforge.adam.bds:derive_locf_records",
    "derive_param_computed": "adamforge.adam.bds:derive_param_computed",
    "derive_param_sum_items": "adamforge.adam.bds:derive_param_sum_items",
    "derive_var_trtemfl": "adamforge.adam.occds:derive_var_trtemfl",
    "derive_var_occurrence_flags": "adamforge.adam.occds:derive_var_occurrence_flags",
    "derive_vars_query": "adamforge.adam.occds:derive_vars_query",
    "derive_param_tte": "adamforge.adam.tte:derive_param_tte",
}


class _Registry(Mapping):
    """Name -> derivation function, imported on first use."""

    def __init__(self, table: Mapping[str, str]):
        self._table = dict(table)
        self._cache: dict[str, Callable] = {}

    def __getitem__(self, name: str) -> Callable:
        if name not in self._cache:
            mod, attr = self._table[name].split(":")
            self._cache[name] = getattr(importlib.import_module(mod), attr)
        return self._cache[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)


REGISTRY: Mapping[str, Callable] = _Registry(_DERIVATIONS)


def get(name: str, *, plugins: tuple = ()) -> Callable:
    """The derivation ``name``: a built-in of :data:`REGISTRY`, else one of the spec's ``plugins``.

    ``plugins`` are :class:`adamforge.adam.plugins.LoadedPlugin` (``spec.plugins``). KeyError
    naming the vocabulary if unknown.
    """
    if name in REGISTRY:
        return REGISTRY[name]
    for plug in plugins:
        if name in plug.functions:
            return plug.functions[name]
    raise KeyError(f"{name!r} is not a registered derivation ({', '.join(sorted(REGISTRY))})")


def check_arguments(fn: Callable, args: Mapping[str, Any], *, complete: bool = False) -> list[str]:
    """Problems binding spec ``args`` to ``fn``'s keyword-only parameters.

    Positional parameters (the datasets) are supplied by the dataset program, never by the spec.
    With ``complete=True`` every keyword-only parameter without a default must be given.
    """
    sig = inspect.signature(fn)
    kwonly = {n: p for n, p in sig.parameters.items() if p.kind is p.KEYWORD_ONLY}
    msgs = []
    hints = _hints(fn)
    for k, v in args.items():
        if k not in kwonly:
            msgs.append(f"argument {k!r} is not a keyword argument of {fn.__name__} (accepted: {', '.join(kwonly)})")
        elif k in hints and not (isinstance(v, str) and v.startswith("@")) and not _conforms(v, hints[k]):
            msgs.append(
                f"argument {k!r} of {fn.__name__} must be {_describe_type(hints[k])}, got {_yaml_kind(v)} {v!r}"
            )
    if complete:
        for n, p in kwonly.items():
            if p.default is p.empty and n not in args:
                msgs.append(f"required argument {n!r} of {fn.__name__} is missing")
    return msgs


# ---------------------------------------------------------------------------------------
# argument types: a spec value checked against the function's annotation
# ---------------------------------------------------------------------------------------


def _hints(fn: Callable) -> dict[str, Any]:
    import typing

    try:
        return typing.get_type_hints(fn)
    except Exception:  # noqa: BLE001 - an annotation we cannot resolve is not checked
        return {}


def _yaml_kind(v: Any) -> str:
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "text"
    if isinstance(v, Mapping):
        return "a mapping"
    if isinstance(v, (list, tuple)):
        return "a list"
    return "null" if v is None else type(v).__name__


def _conforms(v: Any, hint: Any) -> bool:
    """Whether a YAML value fits a simple annotation (unknown annotations always fit)."""
    import collections.abc as cabc
    import types
    import typing

    if hint is Any or hint is object:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(v, h) for h in typing.get_args(hint))
    if origin is typing.Literal:
        return v in typing.get_args(hint)
    if hint is type(None):
        return v is None
    if hint is bool:
        return isinstance(v, bool)
    if hint is int:
        return isinstance(v, int) and not isinstance(v, bool)
    if hint is float:
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if hint is str:
        return isinstance(v, str)
    target = origin or hint
    if target in (list, tuple, cabc.Sequence, cabc.Iterable, cabc.Collection):
        return isinstance(v, (list, tuple))
    if target in (dict, cabc.Mapping):
        return isinstance(v, Mapping)
    return True


def _describe_type(hint: Any) -> str:
    import collections.abc as cabc
    import types
    import typing

    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(dict.fromkeys(_describe_type(h) for h in typing.get_args(hint)))
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(hint))
    names = {bool: "true/false", int: "a whole number", float: "a number", str: "text", type(None): "null"}
    if hint in names:
        return names[hint]
    target = origin or hint
    if target in (list, tuple, cabc.Sequence, cabc.Iterable, cabc.Collection):
        return "a list"
    if target in (dict, cabc.Mapping):
        return "a mapping"
    return getattr(hint, "__name__", str(hint))
