"""Generic BDS vocabulary: extreme flags, analysis windows, LOCF records, computed parameters.

Every function is study-agnostic: parameter codes, visits, windows and item lists come as
arguments (YAML data in the spec). admiral's conventions hold: dataset first, added datasets
positional-only, options keyword-only, the input is never modified nor re-sorted (added records
are appended at the end), required variables are checked on entry and named in the error.
Everything is vectorised on integer codes (one ``factorize`` per key column, ``np.lexsort``).

The ``order`` notation (shared with :mod:`adamforge.adam.occds` and :mod:`adamforge.adam.tte`)
----------------------------------------------------------------------------------------------
``order`` is a list whose items are one of

* ``"ADT"`` - ascending;
* ``"-ADT"`` - descending (a leading minus, as in SQL-ish sort keys);
* ``{var: ADT, desc: true, na: first}`` - the long form; ``desc`` defaults to ``false``,
  ``na`` (where missing values sort) to ``last``.

Missing values sort last whatever the direction (as ``dplyr::arrange`` and admiral do; SAS
sorts a missing value first: write ``{var: ADT, na: first}`` to get that). Records equal on every
``order`` variable keep their input order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._common import (
    MissingVariableError,
    as_list,
    by_group_codes,
    check_filter,
    constants_frame,
    first_in_group,
    flag_extreme,
    order_vars,
    require,
    sorted_positions,
)
from ._common import (
    parse_order as parse_order,  # the order notation of the docstring, importable from here
)

__all__ = [
    "MissingVariableError",
    "derive_var_extreme_flag",
    "derive_vars_analysis_window",
    "derive_var_analysis_flag_closest",
    "derive_locf_records",
    "derive_param_computed",
    "derive_param_sum_items",
    "COMPUTED_OPS",
    "WINDOW_VARS",
]


# ---------------------------------------------------------------------------------------
# helpers of this module (the ones occds.py, tte.py and merge.py share are in _common.py)
# ---------------------------------------------------------------------------------------


def _to_float(col: pd.Series) -> np.ndarray:
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _append(dataset: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """``dataset`` with ``new`` appended (input rows first, index renumbered as concat does)."""
    if new.empty:
        return dataset.copy(deep=False)
    new = new.reindex(columns=list(dict.fromkeys([*dataset.columns, *new.columns])))
    return pd.concat([dataset, new], ignore_index=True)


# ---------------------------------------------------------------------------------------
# 1. extreme flag
# ---------------------------------------------------------------------------------------


def derive_var_extreme_flag(
    dataset: pd.DataFrame,
    *,
    by_vars: Sequence[str],
    order: Sequence[Any],
    new_var: str,
    mode: str = "last",
    filter: Mapping | None = None,
    true_value: str = "Y",
    false_value: str = "",
) -> pd.DataFrame:
    """Flag the first or last record of each by-group in ``order`` among the records meeting ``filter``.

    As admiral's ``derive_var_extreme_flag`` (with ``restrict_derivation``'s filter built in):
    records not meeting ``filter`` get ``false_value``.

    Parameters
    ----------
    dataset : input (not modified).
    by_vars : the groups, e.g. ``["USUBJID", "PARAMCD"]`` (an empty list: the whole dataset).
    order : sort keys within a group, ``"ADT"``, ``"-ADT"`` (descending) or
        ``{var: ADT, desc: true, na: first}``; see the module docstring. Ties keep input order.
    new_var : the flag to add.
    mode : ``"first"`` or ``"last"``.
    filter : the records that compete (filter language); ``None``: all.
    true_value, false_value : the flag's values.

    Returns
    -------
    DataFrame : a copy with ``new_var``.

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": ["A", "A", "B"], "ADY": [3, 1, 5]})
    >>> derive_var_extreme_flag(df, by_vars=["USUBJID"], order=["ADY"], new_var="LSTFL")["LSTFL"].tolist()
    ['Y', '', 'Y']
    >>> derive_var_extreme_flag(df, by_vars=["USUBJID"], order=["-ADY"], new_var="LSTFL")["LSTFL"].tolist()
    ['', 'Y', 'Y']
    """
    return flag_extreme(
        dataset,
        "derive_var_extreme_flag",
        by_vars=by_vars,
        order=order,
        new_var=new_var,
        mode=mode,
        filter=filter,
        true_value=true_value,
        false_value=false_value,
    )


# ---------------------------------------------------------------------------------------
# 2. analysis windows and the closest-record flag
# ---------------------------------------------------------------------------------------

#: window variables (ADaM IG names) :func:`derive_vars_analysis_window` can add
WINDOW_VARS = ("AWLO", "AWHI", "AWTARGET", "AWTDIFF", "AWRANGE", "AWU")
_WINDOW_KEYS = {"avisit", "avisitn", "lo", "hi", "target", "range"}


def _window_table(windows: Sequence[Mapping], fn: str) -> pd.DataFrame:
    if not windows:
        raise ValueError(f"{fn}: windows must be a non-empty list of mappings {{avisit, avisitn, lo, hi, target}}")
    rows = []
    for i, w in enumerate(windows):
        if not isinstance(w, Mapping) or "avisit" not in w or "avisitn" not in w:
            raise ValueError(f"{fn}: window {i + 1} must be a mapping with avisit and avisitn, got {w!r}")
        unknown = set(w) - _WINDOW_KEYS
        if unknown:
            raise ValueError(
                f"{fn}: window {w['avisit']!r} has unknown key(s) {sorted(unknown)} (accepted: {sorted(_WINDOW_KEYS)})"
            )
        lo = -np.inf if w.get("lo") is None else float(w["lo"])
        hi = np.inf if w.get("hi") is None else float(w["hi"])
        if lo > hi:
            raise ValueError(f"{fn}: window {w['avisit']!r} has lo {lo:g} > hi {hi:g}")
        target = np.nan if w.get("target") is None else float(w["target"])
        if w.get("range") is not None:
            rng = str(w["range"])
        elif np.isinf(lo) and np.isinf(hi):
            rng = ""
        elif np.isinf(lo):
            rng = f"<={hi:g}"
        elif np.isinf(hi):
            rng = f">={lo:g}"
        else:
            rng = f"{lo:g}-{hi:g}"
        rows.append((str(w["avisit"]), float(w["avisitn"]), lo, hi, target, rng))
    t = pd.DataFrame(rows, columns=["AVISIT", "AVISITN", "LO", "HI", "TARGET", "RANGE"])
    t = t.sort_values(["LO", "HI"], kind="stable").reset_index(drop=True)
    lo, hi = t["LO"].to_numpy(), t["HI"].to_numpy()
    for i in range(len(t) - 1):  # a loop over windows (a handful), not records
        if lo[i + 1] <= hi[i]:
            raise ValueError(
                f"{fn}: windows {t['AVISIT'][i]!r} and {t['AVISIT'][i + 1]!r} overlap (bounds are inclusive)"
            )
    return t


def derive_vars_analysis_window(
    dataset: pd.DataFrame,
    *,
    windows: Sequence[Mapping],
    day_var: str = "ADY",
    avisit_var: str = "AVISIT",
    avisitn_var: str = "AVISITN",
    window_vars: Sequence[str] | None = None,
    filter: Mapping | None = None,
) -> pd.DataFrame:
    """Assign each record the analysis visit whose window (inclusive bounds) holds its day.

    Parameters
    ----------
    dataset : input with ``day_var`` (not modified).
    windows : a list of mappings ``{avisit, avisitn, lo, hi, target, range}``: the visit text
        and number, the first and last day of the window (``null``: open ended), the target day
        (optional) and the text of AWRANGE (optional; default ``"lo-hi"``, ``"<=hi"``,
        ``">=lo"``). Overlapping windows are an error at call time naming both.
    day_var : the analysis day.
    avisit_var, avisitn_var : the variables to set (blank / missing outside every window).
    window_vars : ADaM IG window variables to add too, any of ``AWLO``, ``AWHI``, ``AWTARGET``,
        ``AWTDIFF`` (``|day - target|``), ``AWRANGE``, ``AWU`` (``"DAYS"``); missing outside
        every window and for an open bound.
    filter : only these records are windowed; the others keep the values they had (blank if
        the variables are new).

    Returns
    -------
    DataFrame : a copy with ``avisit_var``, ``avisitn_var`` and ``window_vars``.

    Examples
    --------
    >>> df = pd.DataFrame({"ADY": [-3, 1, 40, 90, 200]})
    >>> w = [{"avisit": "Baseline", "avisitn": 0, "hi": 1, "target": 1},
    ...      {"avisit": "Week 8", "avisitn": 8, "lo": 2, "hi": 84, "target": 56}]
    >>> out = derive_vars_analysis_window(df, windows=w, window_vars=["AWTDIFF"])
    >>> out["AVISIT"].tolist(), out["AWTDIFF"].tolist()
    (['Baseline', 'Baseline', 'Week 8', '', ''], [4.0, 0.0, 16.0, nan, nan])
    """
    fn = "derive_vars_analysis_window"
    wv = as_list(window_vars)
    bad = [v for v in wv if v not in WINDOW_VARS]
    if bad:
        raise ValueError(f"{fn}: window_vars {bad} are not window variables ({', '.join(WINDOW_VARS)})")
    t = _window_table(windows, fn)
    require(dataset, fn, day_var=[day_var])
    rows = check_filter(dataset, filter, fn)
    day = _to_float(dataset[day_var])
    lo, hi = t["LO"].to_numpy(), t["HI"].to_numpy()
    pos = np.searchsorted(lo, day, side="right") - 1
    pc = np.clip(pos, 0, None)
    inwin = (pos >= 0) & ~np.isnan(day) & (day <= hi[pc]) & rows
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified

    n = len(out)

    def put(var: str, values: np.ndarray, text: bool, per_record: bool = False) -> None:
        # values: one per window (indexed by the record's window), or one per record
        if text:
            base = out[var].to_numpy(dtype=object, copy=True) if var in out.columns else np.full(n, "", dtype=object)
            base[rows] = ""
        else:
            base = _to_float(out[var]).copy() if var in out.columns else np.full(n, np.nan)
            base[rows] = np.nan
        base[inwin] = values[inwin] if per_record else values[pc[inwin]]
        out[var] = base

    target = t["TARGET"].to_numpy(dtype="float64")
    put(avisit_var, t["AVISIT"].to_numpy(dtype=object), True)
    put(avisitn_var, t["AVISITN"].to_numpy(dtype="float64"), False)
    fin = lambda a: np.where(np.isinf(a), np.nan, a)  # noqa: E731 - an open bound is missing
    for v in wv:
        if v == "AWLO":
            put(v, fin(lo), False)
        elif v == "AWHI":
            put(v, fin(hi), False)
        elif v == "AWTARGET":
            put(v, target, False)
        elif v == "AWRANGE":
            put(v, t["RANGE"].to_numpy(dtype=object), True)
        elif v == "AWU":
            put(v, np.full(len(t), "DAYS", dtype=object), True)
        else:  # AWTDIFF
            put(v, np.abs(day - target[pc]), False, per_record=True)
    return out


def derive_var_analysis_flag_closest(
    dataset: pd.DataFrame,
    *,
    by_vars: Sequence[str],
    day_var: str = "ADY",
    target_var: str = "AWTARGET",
    new_var: str = "ANL01FL",
    tie: str = "later",
    filter: Mapping | None = None,
    true_value: str = "Y",
    false_value: str = "",
) -> pd.DataFrame:
    """Flag, per by-group (e.g. subject, parameter, visit), the record closest to the target day.

    Records meeting ``filter`` with non-missing ``day_var`` and ``target_var`` compete; the
    smallest ``|day - target|`` wins; at equal distance ``tie="later"`` takes the later day,
    ``"earlier"`` the earlier one; records on the same day keep input order (the first wins).
    Write ``filter: {AVAL: {missing: false}}`` to let only records with a value compete.

    Parameters
    ----------
    dataset : input with ``by_vars``, ``day_var``, ``target_var`` (e.g. from
        :func:`derive_vars_analysis_window` with ``window_vars: [AWTARGET]``).
    by_vars : one flagged record per group, e.g. ``["USUBJID", "PARAMCD", "AVISITN"]``.
    new_var : the flag to add.

    Returns
    -------
    DataFrame : a copy with ``new_var``.

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": ["A"] * 3, "AVISITN": [8] * 3, "ADY": [50, 62, 55], "AWTARGET": [56] * 3})
    >>> derive_var_analysis_flag_closest(df, by_vars=["USUBJID", "AVISITN"])["ANL01FL"].tolist()
    ['', '', 'Y']
    """
    fn = "derive_var_analysis_flag_closest"
    if tie not in ("later", "earlier"):
        raise ValueError(f"{fn}: tie must be 'later' or 'earlier', got {tie!r}")
    by_vars = as_list(by_vars)
    require(dataset, fn, by_vars=by_vars, day_var=[day_var], target_var=[target_var])
    day = _to_float(dataset[day_var])
    target = _to_float(dataset[target_var])
    rows = check_filter(dataset, filter, fn) & ~np.isnan(day) & ~np.isnan(target)
    dist = np.abs(day - target)
    tiekey = -day if tie == "later" else day
    pos, g = sorted_positions(dataset, by_vars, None, rows, extra_keys=[dist, tiekey])
    hit = pos[first_in_group(g)]
    flag = np.full(len(dataset), false_value, dtype=object)
    flag[hit] = true_value
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    out[new_var] = flag
    return out


# ---------------------------------------------------------------------------------------
# 3. LOCF records
# ---------------------------------------------------------------------------------------


def derive_locf_records(
    dataset: pd.DataFrame,
    dataset_expected: pd.DataFrame | None = None,
    /,
    *,
    by_vars: Sequence[str],
    order: Sequence[Any],
    expected: Sequence[Mapping] | None = None,
    id_vars: Sequence[str] | None = None,
    analysis_var: str = "AVAL",
    keep_vars: Sequence[str] | None = None,
    filter: Mapping | None = None,
    dtype_var: str = "DTYPE",
    dtype_value: str = "LOCF",
) -> pd.DataFrame:
    """Add a record carrying the last observation forward for every expected visit without a value.

    admiral's ``derive_locf_records`` (``imputation = "add"``). The grid of expected records is
    ``dataset_expected`` or, written in the spec, ``expected`` (a list of mappings, e.g.
    ``[{PARAMCD: ACTOT, AVISIT: Week 8, AVISITN: 8}, ...]``). Its columns shared with
    ``by_vars`` (e.g. PARAMCD) say which groups each expected row applies to (no shared
    column: every group); ``id_vars`` (default: the grid's other columns that ``dataset`` also
    has; best written, e.g. ``[AVISITN]``) identify a visit. For every by-group present in ``dataset`` and every
    applicable expected row with no record meeting ``filter`` with a non-missing
    ``analysis_var``, a record is added with

    * the ``by_vars`` of the group and every column of the expected row (so window variables
      such as AWLO or AWTARGET written in the grid land on the new record),
    * ``analysis_var`` and ``keep_vars`` from the source record: the last record (by
      ``order``) meeting ``filter`` with a non-missing ``analysis_var`` that sorts before the
      expected row. ``order`` variables must be in the grid or sort after it: an expected row
      sorts after every real record equal to it on the grid's ``order`` variables,
    * ``dtype_var = dtype_value``.

    No earlier value: no record. New records are appended after the input records.

    Parameters
    ----------
    dataset : BDS input (not modified).
    dataset_expected : the expected grid as a frame (positional), or ``None`` with ``expected``.
    by_vars : the groups, e.g. ``["STUDYID", "USUBJID", "PARAMCD"]``.
    order : the order of observations within a group, e.g. ``["AVISITN", "ADT"]`` (notation of
        the module docstring).
    expected : the grid as a list of mappings (when no ``dataset_expected``).
    id_vars : grid columns identifying a visit (default: the grid columns not in ``by_vars``
        that ``dataset`` has).
    analysis_var : the value carried forward.
    keep_vars : variables copied from the source record, e.g. ``["ADT", "ADY", "VISIT"]``.
    filter : the records that count as observations (e.g. ``{ANL01FL: Y}``).
    dtype_var, dtype_value : the derivation type to set on the new records.

    Returns
    -------
    DataFrame : the input records followed by the new ones.

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": ["A", "A"], "PARAMCD": ["T", "T"], "AVISITN": [0, 8], "AVAL": [10.0, 12.0]})
    >>> grid = [{"PARAMCD": "T", "AVISITN": 8}, {"PARAMCD": "T", "AVISITN": 16}]
    >>> out = derive_locf_records(df, by_vars=["USUBJID", "PARAMCD"], order=["AVISITN"], expected=grid)
    >>> out[["AVISITN", "AVAL", "DTYPE"]].values.tolist()
    [[0, 10.0, nan], [8, 12.0, nan], [16, 12.0, 'LOCF']]
    """
    fn = "derive_locf_records"
    if dataset_expected is not None and expected is not None:
        raise ValueError(f"{fn}: give the expected grid either as a dataset or as 'expected', not both")
    if dataset_expected is None:
        if not expected:
            raise ValueError(f"{fn}: the expected grid is missing (a dataset_expected frame or an 'expected' list)")
        if not all(isinstance(e, Mapping) for e in expected):
            raise ValueError(f"{fn}: 'expected' must be a list of mappings {{VARIABLE: value}}")
        grid = pd.DataFrame([dict(e) for e in expected])
    else:
        grid = dataset_expected.reset_index(drop=True)
    by_vars = as_list(by_vars)
    keep_vars = [v for v in as_list(keep_vars) if v not in by_vars]
    ovars = order_vars(order, fn)
    if not ovars:
        raise ValueError(f"{fn}: order must name at least one variable")
    require(dataset, fn, by_vars=by_vars, order=ovars, analysis_var=[analysis_var], keep_vars=keep_vars)
    join = [v for v in by_vars if v in grid.columns]
    if id_vars is None:
        id_vars = [c for c in grid.columns if c not in by_vars and c in dataset.columns]
    id_vars = as_list(id_vars)
    require(grid, fn, "the expected grid", id_vars=id_vars)
    require(dataset, fn, id_vars=id_vars)
    if not id_vars:
        raise ValueError(f"{fn}: the expected grid has no visit variable in common with the dataset")
    if grid.duplicated(join + id_vars).any():
        raise ValueError(f"{fn}: the expected grid repeats a row of {', '.join(join + id_vars)}")
    if not any(v in grid.columns for v in ovars):
        raise ValueError(f"{fn}: no order variable ({', '.join(ovars)}) is in the expected grid")

    obs = check_filter(dataset, filter, fn) & dataset[analysis_var].notna().to_numpy()
    # every (group x applicable expected row)
    groups = dataset[by_vars].drop_duplicates().reset_index(drop=True)
    if join:
        cand = groups.merge(grid, on=join, how="inner", sort=False)
    else:
        cand = groups.merge(grid, how="cross")
    if cand.empty:
        return dataset.copy(deep=False)
    # drop the expected rows already observed
    seen = dataset.loc[obs, by_vars + id_vars].drop_duplicates()
    seen["_seen"] = True
    cand = cand.merge(seen, on=by_vars + id_vars, how="left", sort=False)
    cand = cand[cand["_seen"].isna()].drop(columns="_seen").reset_index(drop=True)
    if cand.empty:
        return dataset.copy(deep=False)
    # sort observations and expected rows together; an expected row picks the last observation before it
    real = dataset.loc[obs, list(dict.fromkeys(by_vars + ovars))].reset_index(drop=True)
    real_pos = np.flatnonzero(obs)
    both = pd.concat([real, cand.reindex(columns=real.columns)], ignore_index=True)
    is_new = np.r_[np.zeros(len(real), dtype=np.int64), np.ones(len(cand), dtype=np.int64)]
    pos, g = sorted_positions(both, by_vars, order, extra_keys=[is_new])
    src = np.where(pos < len(real), np.arange(len(pos)), -1)
    last = np.maximum.accumulate(src) if len(src) else src
    ok = last >= 0
    ok[ok] &= g[last[ok]] == g[ok]
    take = (pos >= len(real)) & ok
    new_idx = pos[take] - len(real)
    src_real = pos[last[take]]  # positions in `real`
    src_rows = real_pos[src_real]  # positions in `dataset`
    order_back = np.argsort(new_idx, kind="stable")  # new records in grid order
    new = cand.iloc[new_idx[order_back]].reset_index(drop=True)
    src_rows = src_rows[order_back]
    src = dataset.iloc[src_rows].reset_index(drop=True)
    new[analysis_var] = src[analysis_var].to_numpy()
    for v in keep_vars:
        if v not in id_vars and v not in grid.columns:
            new[v] = src[v].to_numpy()
    new[dtype_var] = dtype_value
    return _append(dataset, new)


# ---------------------------------------------------------------------------------------
# 4. computed parameters
# ---------------------------------------------------------------------------------------

#: operations of :func:`derive_param_computed` and how many parameters each takes (None: any)
COMPUTED_OPS = {"sum": None, "mean": None, "min": None, "max": None, "difference": 2, "ratio": 2, "bmi": 2}


def _wide(
    dataset: pd.DataFrame,
    rows: np.ndarray,
    by_vars: list[str],
    param_var: str,
    analysis_var: str,
    params: list[str],
    fn: str,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """``(by_vars of each group, values[group, parameter], present[group, parameter])``; a repeat is an error."""
    sel = rows & dataset[param_var].isin(params).to_numpy()
    sub = dataset.loc[sel].reset_index(drop=True)
    g, _ = pd.factorize(by_group_codes(sub, by_vars))
    p = pd.Index(params).get_indexer(sub[param_var])
    key = g.astype(np.int64) * len(params) + p
    if len(key) and (np.bincount(key).max() > 1):
        dup = sub.iloc[np.flatnonzero(pd.Series(key).duplicated(keep=False).to_numpy())[:1]]
        raise ValueError(
            f"{fn}: more than one {param_var} = {dup[param_var].iloc[0]!r} record in the by-group "
            + ", ".join(f"{v}={dup[v].iloc[0]!r}" for v in by_vars)
            + " (add variables to by_vars or filter the records)"
        )
    ngroups = int(g.max()) + 1 if len(g) else 0
    vals = np.full(ngroups * len(params), np.nan)
    present = np.zeros(ngroups * len(params), dtype=bool)
    vals[key] = _to_float(sub[analysis_var])
    present[key] = True
    first = np.unique(g, return_index=True)[1]
    head = sub.iloc[first][by_vars].reset_index(drop=True)
    return head, vals.reshape(ngroups, len(params)), present.reshape(ngroups, len(params))


def derive_param_computed(
    dataset: pd.DataFrame,
    *,
    by_vars: Sequence[str],
    parameters: Sequence[str],
    set_values_to: Mapping[str, Any],
    op: str,
    args: Mapping[str, Any] | None = None,
    keep_nas: bool = False,
    constant_parameters: Sequence[str] | None = None,
    constant_by_vars: Sequence[str] | None = None,
    filter: Mapping | None = None,
    param_var: str = "PARAMCD",
    analysis_var: str = "AVAL",
) -> pd.DataFrame:
    """Add a parameter computed per by-group from the ``analysis_var`` of other parameters.

    Operations (closed list): ``sum``, ``mean``, ``min``, ``max`` of the listed parameters;
    ``difference`` (first - second); ``ratio`` (first / second, missing when the second is 0);
    ``bmi`` (``parameters: [WEIGHT, HEIGHT]``: kg / m^2, the height in cm unless
    ``args: {height_unit: m}``).

    A by-group lacking a parameter or its value gives no record, unless ``keep_nas`` (then a
    record with a missing value). ``constant_parameters`` (e.g. ``[HEIGHT]``) are measured once:
    they are taken per ``constant_by_vars`` (e.g. ``[USUBJID]``) and joined to every by-group.

    Parameters
    ----------
    dataset : BDS input (not modified).
    by_vars : one new record per group, e.g. ``["USUBJID", "AVISIT", "AVISITN", "ADT"]``;
        put every variable that should be on the new record here.
    parameters : the ``param_var`` values read, in the order ``op`` uses them.
    set_values_to : constants of the new records, e.g. ``{PARAMCD: BMI, PARAM: "BMI (kg/m2)"}``.
    op : the operation, one of :data:`COMPUTED_OPS`.
    args : options of ``op`` (``bmi``: ``height_unit``).
    keep_nas : keep by-groups with a missing input as a record with a missing value.
    filter : the records read (e.g. ``{ANL01FL: Y}``).

    Returns
    -------
    DataFrame : the input followed by the new records.

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": ["A", "A"], "PARAMCD": ["WEIGHT", "HEIGHT"], "AVAL": [80.0, 200.0]})
    >>> out = derive_param_computed(df, by_vars=["USUBJID"], parameters=["WEIGHT", "HEIGHT"], op="bmi",
    ...                             set_values_to={"PARAMCD": "BMI"})
    >>> out["AVAL"].tolist()
    [80.0, 200.0, 20.0]
    """
    fn = "derive_param_computed"
    if op not in COMPUTED_OPS:
        raise ValueError(f"{fn}: op must be one of {', '.join(COMPUTED_OPS)}, got {op!r}")
    params = as_list(parameters)
    if not params or len(set(params)) != len(params):
        raise ValueError(f"{fn}: parameters must be a non-empty list without repeats, got {params!r}")
    if COMPUTED_OPS[op] is not None and len(params) != COMPUTED_OPS[op]:
        raise ValueError(f"{fn}: op {op!r} takes {COMPUTED_OPS[op]} parameters, got {len(params)}")
    args = dict(args or {})
    allowed = {"bmi": {"height_unit"}}.get(op, set())
    if set(args) - allowed:
        raise ValueError(f"{fn}: op {op!r} takes no argument(s) {sorted(set(args) - allowed)}")
    if not isinstance(set_values_to, Mapping) or param_var not in set_values_to:
        raise ValueError(f"{fn}: set_values_to must be a mapping that sets {param_var}")
    by_vars = as_list(by_vars)
    const = as_list(constant_parameters)
    if set(const) - set(params):
        raise ValueError(f"{fn}: constant_parameters {sorted(set(const) - set(params))} are not in parameters")
    cby = as_list(constant_by_vars)
    if const and not cby:
        raise ValueError(f"{fn}: constant_parameters need constant_by_vars (e.g. [USUBJID])")
    if set(cby) - set(by_vars):
        raise ValueError(f"{fn}: constant_by_vars must be a subset of by_vars")
    require(dataset, fn, by_vars=by_vars, param_var=[param_var], analysis_var=[analysis_var])
    rows = check_filter(dataset, filter, fn)
    varying = [p for p in params if p not in const]
    head, vals, present = _wide(dataset, rows, by_vars, param_var, analysis_var, varying, fn)
    cols = {p: vals[:, i] for i, p in enumerate(varying)}
    if const:
        chead, cvals, _ = _wide(dataset, rows, cby, param_var, analysis_var, const, fn)
        at = chead.assign(_k=np.arange(len(chead)))
        k = head[cby].merge(at, on=cby, how="left", sort=False)["_k"].to_numpy(dtype="float64", na_value=np.nan)
        for i, p in enumerate(const):
            cols[p] = np.where(
                np.isnan(k), np.nan, cvals[np.nan_to_num(k).astype(np.int64), i] if len(cvals) else np.nan
            )
    x = np.column_stack([cols[p] for p in params]) if len(head) else np.empty((0, len(params)))
    complete = ~np.isnan(x).any(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if op == "sum":
            val = x.sum(axis=1)
        elif op == "mean":
            val = x.mean(axis=1)
        elif op == "min":
            val = x.min(axis=1) if len(x) else np.empty(0)
        elif op == "max":
            val = x.max(axis=1) if len(x) else np.empty(0)
        elif op == "difference":
            val = x[:, 0] - x[:, 1]
        elif op == "ratio":
            val = np.where(x[:, 1] == 0, np.nan, x[:, 0] / x[:, 1])
        else:  # bmi
            unit = args.get("height_unit", "cm")
            if unit not in ("cm", "m"):
                raise ValueError(f"{fn}: height_unit must be 'cm' or 'm', got {unit!r}")
            h = x[:, 1] / (100.0 if unit == "cm" else 1.0)
            val = np.where(h > 0, x[:, 0] / (h * h), np.nan)
    val = np.where(complete, val, np.nan)
    keep = np.ones(len(val), dtype=bool) if keep_nas else ~np.isnan(val)
    new = head[keep].reset_index(drop=True)
    for k, v in constants_frame(set_values_to, len(new)).items():
        new[k] = v
    new[analysis_var] = val[keep]
    return _append(dataset, new)


def derive_param_sum_items(
    dataset: pd.DataFrame,
    *,
    by_vars: Sequence[str],
    items_filter: Mapping,
    set_values_to: Mapping[str, Any],
    min_items: int | None = None,
    prorate: bool = False,
    items: Sequence[str] | None = None,
    item_max: Mapping[str, float] | None = None,
    item_var: str = "PARAMCD",
    analysis_var: str = "AVAL",
) -> pd.DataFrame:
    """Add a total score per by-group from item records, prorating for missing items if asked.

    The expected items are ``items`` (else the keys of ``item_max``, else every ``item_var``
    value the item records have). Per group: ``n`` items with a value, ``S`` their sum.

    * ``n < min_items`` (default: every item required): the total is missing;
    * otherwise, without ``prorate``: ``S``;
    * with ``prorate`` and no ``item_max``: ``S * n_items / n``;
    * with ``prorate`` and ``item_max`` (the highest score of each item):
      ``S * sum(max of all items) / sum(max of the items with a value)`` - a missing item is
      replaced by the mean score, as a fraction of the maximum, of the items present.

    One record per group that has an item record (missing values too).

    Parameters
    ----------
    dataset : BDS with item records (not modified).
    by_vars : one total per group, e.g. ``["USUBJID", "AVISIT", "AVISITN", "ADT", "ADY"]``.
    items_filter : the item records (filter language), e.g. ``{PARAMCD: {in: [I1, I2]}}``.
    set_values_to : constants of the new records, e.g. ``{PARAMCD: TOTAL, PARAM: Total}``.
    min_items : the fewest items with a value for a total (default: all of them).
    prorate : scale the sum up for missing items (see above).
    items : the expected item codes; item records with other codes are ignored.
    item_max : ``{item code: highest score}`` for proration by maximum scores.
    item_var : the variable holding the item code.

    Returns
    -------
    DataFrame : the input followed by the totals.

    Examples
    --------
    >>> df = pd.DataFrame({"USUBJID": ["A"] * 3, "PARAMCD": ["I1", "I2", "I3"], "AVAL": [1.0, 2.0, None]})
    >>> out = derive_param_sum_items(df, by_vars=["USUBJID"], items_filter={"PARAMCD": {"in": ["I1", "I2", "I3"]}},
    ...                              set_values_to={"PARAMCD": "TOT"}, min_items=2, prorate=True)
    >>> out["AVAL"].tolist()[-1]
    4.5
    """
    fn = "derive_param_sum_items"
    if not isinstance(set_values_to, Mapping) or not set_values_to:
        raise ValueError(f"{fn}: set_values_to must be a mapping of constants (e.g. {{PARAMCD: TOTAL}})")
    by_vars = as_list(by_vars)
    require(dataset, fn, by_vars=by_vars, item_var=[item_var], analysis_var=[analysis_var])
    rows = check_filter(dataset, items_filter, fn, arg="items_filter")
    if items is not None:
        codes = as_list(items)
    elif item_max is not None:
        codes = list(dict(item_max))
    else:
        codes = sorted(pd.unique(dataset.loc[rows, item_var].dropna()).tolist())
    if not codes:
        return dataset.copy(deep=False)
    if item_max is not None:
        missing_max = [c for c in codes if c not in item_max]
        if missing_max:
            raise ValueError(f"{fn}: item_max has no maximum for item(s) {missing_max}")
    n_items = len(codes)
    if min_items is None:
        min_items = n_items
    if not 1 <= int(min_items) <= n_items:
        raise ValueError(f"{fn}: min_items must be between 1 and the number of items ({n_items}), got {min_items}")
    head, vals, _ = _wide(dataset, rows, by_vars, item_var, analysis_var, codes, fn)
    has = ~np.isnan(vals)
    n = has.sum(axis=1)
    s = np.where(has, vals, 0.0).sum(axis=1)
    if prorate:
        if item_max is not None:
            mx = np.array([float(item_max[c]) for c in codes])
            present_max = (has * mx).sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                total = np.where(present_max > 0, s * mx.sum() / present_max, np.nan)
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                total = s * n_items / n
    else:
        total = s
    total = np.where(n >= int(min_items), total, np.nan)
    new = head.copy()
    for k, v in constants_frame(set_values_to, len(new)).items():
        new[k] = v
    new[analysis_var] = total
    return _append(dataset, new)
