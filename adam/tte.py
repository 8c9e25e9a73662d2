"""Generic time-to-event vocabulary: one parameter of ADTTE from event and censoring sources.

How the sources are named
-------------------------
The engine passes a step's ``inputs`` positionally: ``derive_param_tte(ADSL, ADAE, ...)``.
A condition names its source by **position in that list**: ``source: 0`` is the first input
(``dataset_adsl`` itself, e.g. a censoring date such as the end-of-study date held in ADSL),
``source: 1`` the second input, and so on. So in a spec step::

    - derive: derive_param_tte
      inputs: [ADSL, ADAE]          # source 0 = ADSL, source 1 = ADAE
      args:
        event_conditions:
          - {source: 1, filter: {AOCC01FL: Y}, date: ASTDT, ...}
        censor_conditions:
          - {source: 0, date: RFENDT, ...}

An index rather than a dataset name keeps the function independent of how the engine names its
inputs, never duplicates the ``inputs`` list in the arguments, and is checked when called (an
index beyond the inputs is an error naming the condition). Write the dataset's name in a YAML
comment, as above.

A condition is a mapping:

=================  ==========================================================================
``source``         index of the input (0 = ``dataset_adsl``); default 0
``date``           the date variable of the source (datetime64 or numeric days)
``filter``         the records that count (filter language); default all
``censor``         CNSR of the outcome; default 0 for events, 1 for censorings
``set_values_to``  constants of the outcome, e.g. ``{EVNTDESC: ..., SRCDOM: ADAE, SRCVAR: ASTDT}``
``copy_vars``      ``{new variable: source variable}``, e.g. ``{SRCSEQ: AESEQ}``
``order``          tie-break among records of equal date (notation of :mod:`adamforge.adam.bds`)
=================  ==========================================================================

The rule (admiral's ``derive_param_tte``): per subject of ``dataset_adsl``, the earliest event
date over every event condition (equal dates: the condition listed first, then ``order``,
then input order); a subject without an event is censored at the **latest** date over every
censoring condition (equal dates: the condition listed first). A subject with neither gets no
record. Records with a missing date never count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from adamforge.keys import match_last

from ._common import check_filter, constants_frame, first_in_group, order_vars, require, sorted_positions

__all__ = ["derive_param_tte", "TIME_UNITS"]

#: days per unit of AVAL
TIME_UNITS = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12, "years": 365.25}
_COND_KEYS = {"source", "date", "filter", "censor", "set_values_to", "copy_vars", "order"}


def _check_condition(c: Any, kind: str, i: int, n_frames: int, fn: str) -> None:
    where = f"{kind}[{i}]"
    if not isinstance(c, Mapping) or "date" not in c:
        raise ValueError(f"{fn}: {where} must be a mapping with at least 'date', got {c!r}")
    unknown = set(c) - _COND_KEYS
    if unknown:
        raise ValueError(f"{fn}: {where} has unknown key(s) {sorted(unknown)} (accepted: {sorted(_COND_KEYS)})")
    src = c.get("source", 0)
    if isinstance(src, bool) or not isinstance(src, int) or not 0 <= src < n_frames:
        raise ValueError(
            f"{fn}: {where} names source {src!r}, but the step has {n_frames} input(s) "
            f"(0 = dataset_adsl .. {n_frames - 1})"
        )
    for key in ("set_values_to", "copy_vars"):
        if c.get(key) is not None and not isinstance(c[key], Mapping):
            raise ValueError(f"{fn}: {where}.{key} must be a mapping")


def _date_values(col: pd.Series) -> tuple[np.ndarray, bool]:
    """``(float days, is_datetime)``; NaN where missing."""
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        v = col.to_numpy(dtype="datetime64[s]")
        out = v.astype("int64").astype("float64") / 86400.0
        out[np.isnat(v)] = np.nan
        return out, True
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype="float64", na_value=np.nan), False


def derive_param_tte(
    dataset_adsl: pd.DataFrame,
    /,
    *sources: pd.DataFrame,
    start_date: str = "TRTSDT",
    event_conditions: Sequence[Mapping[str, Any]],
    censor_conditions: Sequence[Mapping[str, Any]],
    set_values_to: Mapping[str, Any],
    subject_keys: Sequence[str] = ("STUDYID", "USUBJID"),
    unit: str = "days",
    add_one: bool = True,
    startdt_var: str = "STARTDT",
) -> pd.DataFrame:
    """Create one time-to-event parameter: one record per subject with an event or a censoring.

    See the module docstring for the conditions and how they name their source.

    Parameters
    ----------
    dataset_adsl : the subject-level dataset (``subject_keys``, ``start_date``); input 0.
    *sources : further inputs (events, censoring records), numbered 1, 2, ... by the conditions.
    start_date : the time origin in ``dataset_adsl`` (copied to ``startdt_var``).
    event_conditions, censor_conditions : lists of conditions (mappings).
    set_values_to : constants of every record, e.g. ``{PARAMCD: TTDE, PARAM: ...}``.
    subject_keys : the variables identifying a subject in every input.
    unit : AVAL's unit, ``days`` (default), ``weeks``, ``months`` (365.25/12 days) or ``years``
        (365.25 days).
    add_one : AVAL = ADT - STARTDT + 1 (days) as the CDISC pilot and many SAPs define it;
        ``false``: ADT - STARTDT. The result is then divided by the unit's days.
    startdt_var : the name of the origin variable in the output.

    Returns
    -------
    DataFrame : ``subject_keys``, the ``set_values_to`` constants, ``startdt_var``, ADT, AVAL,
        CNSR, then the conditions' ``set_values_to`` and ``copy_vars`` variables (missing where
        the chosen condition does not set them); subjects in ``dataset_adsl`` order.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["A", "B"], "TRTSDT": [10, 10], "EOSDT": [100, 90]})
    >>> ae = pd.DataFrame({"USUBJID": ["A", "A"], "ASTDT": [30, 20], "AESEQ": [1, 2]})
    >>> out = derive_param_tte(adsl, ae, subject_keys=["USUBJID"], set_values_to={"PARAMCD": "TTAE"},
    ...     event_conditions=[{"source": 1, "date": "ASTDT", "copy_vars": {"SRCSEQ": "AESEQ"}}],
    ...     censor_conditions=[{"source": 0, "date": "EOSDT"}])
    >>> out[["USUBJID", "ADT", "AVAL", "CNSR", "SRCSEQ"]].values.tolist()
    [['A', 20.0, 11.0, 0, 2.0], ['B', 90.0, 81.0, 1, nan]]
    """
    fn = "derive_param_tte"
    if unit not in TIME_UNITS:
        raise ValueError(f"{fn}: unit must be one of {', '.join(TIME_UNITS)}, got {unit!r}")
    if not isinstance(set_values_to, Mapping):
        raise ValueError(f"{fn}: set_values_to must be a mapping of constants (e.g. {{PARAMCD: TTDE}})")
    frames = (dataset_adsl, *sources)
    conds: list[tuple[str, int, Mapping]] = []
    for kind, lst in (("event_conditions", event_conditions), ("censor_conditions", censor_conditions)):
        if lst is None or isinstance(lst, (str, Mapping)):
            raise ValueError(f"{fn}: {kind} must be a list of conditions")
        for i, c in enumerate(lst, 1):
            _check_condition(c, kind, i, len(frames), fn)
            conds.append((kind, i, c))
    if not event_conditions and not censor_conditions:
        raise ValueError(f"{fn}: give at least one event or censoring condition")
    keys = list(subject_keys)
    require(dataset_adsl, fn, "dataset_adsl", subject_keys=keys, start_date=[start_date])
    start, start_is_dt = _date_values(dataset_adsl[start_date])

    parts = []  # one frame of candidate outcomes per condition (a loop over conditions, not records)
    extra_cols: list[str] = []
    for rank, (kind, i, c) in enumerate(conds):
        src = frames[c.get("source", 0)]
        label = f"input {c.get('source', 0)} ({kind}[{i}])"
        copy_vars = dict(c.get("copy_vars") or {})
        require(
            src,
            fn,
            label,
            subject_keys=keys,
            date=[c["date"]],
            order=order_vars(c.get("order"), fn),
            copy_vars=list(copy_vars.values()),
        )
        rows = check_filter(src, c.get("filter"), fn, arg=f"{kind}[{i}].filter", dataset=label)
        days, is_dt = _date_values(src[c["date"]])
        if is_dt != start_is_dt and np.isfinite(days).any():
            raise ValueError(
                f"{fn}: {kind}[{i}] date {c['date']} and start_date {start_date} are not of one kind "
                "(both dates or both numeric days)"
            )
        rows &= ~np.isnan(days)
        subj = match_last([src[k] for k in keys], [dataset_adsl[k] for k in keys])
        rows &= subj >= 0
        # order within the condition: date (asc for events, desc for censorings), then `order`, then input
        desc = kind == "censor_conditions"
        pos, _ = sorted_positions(src, [], c.get("order"), rows, extra_keys=[-days if desc else days])
        part = pd.DataFrame(
            {
                "_subj": subj[pos],
                "_days": days[pos],
                "_rank": rank,
                "_event": kind == "event_conditions",
                "_seq": np.arange(len(pos)),
                "CNSR": int(c.get("censor", 0 if kind == "event_conditions" else 1)),
            }
        )
        for k, v in constants_frame(c.get("set_values_to"), len(pos)).items():
            part[k] = v
        for new, old in copy_vars.items():
            part[new] = src[old].to_numpy()[pos]
        for col in part.columns:
            if not col.startswith("_") and col != "CNSR" and col not in extra_cols:
                extra_cols.append(col)
        parts.append(part)
    cand = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    # events win; among events the earliest date; among censorings the latest; then condition order
    ev = cand["_event"].to_numpy(dtype=bool)
    d = cand["_days"].to_numpy(dtype="float64")
    key_date = np.where(ev, d, -d)
    idx = np.lexsort([cand["_seq"].to_numpy(), cand["_rank"].to_numpy(), key_date, ~ev, cand["_subj"].to_numpy()])
    best = idx[first_in_group(cand["_subj"].to_numpy()[idx])]
    best = best[np.argsort(cand["_subj"].to_numpy()[best], kind="stable")]  # dataset_adsl order
    chosen = cand.iloc[best].reset_index(drop=True)
    subj = chosen["_subj"].to_numpy()

    out = dataset_adsl.iloc[subj][keys].reset_index(drop=True)
    for k, v in constants_frame(set_values_to, len(out)).items():
        out[k] = v
    out[startdt_var] = dataset_adsl[start_date].to_numpy()[subj]
    adt_days = chosen["_days"].to_numpy(dtype="float64")
    if start_is_dt:
        out["ADT"] = (
            (adt_days * 86400).astype("int64").astype("datetime64[s]")
            if len(out)
            else pd.Series([], dtype="datetime64[s]")
        )
    else:
        out["ADT"] = adt_days
    aval = adt_days - start[subj] + (1.0 if add_one else 0.0)
    out["AVAL"] = aval / TIME_UNITS[unit]
    out["CNSR"] = chosen["CNSR"].to_numpy(dtype="int64")
    for col in extra_cols:
        if col not in out.columns:
            out[col] = chosen[col].to_numpy()
    return out
