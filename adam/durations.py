"""Durations between two dates (admiral's ``compute_duration`` / ``derive_vars_duration``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .merge import assert_vars
from .rounding import compute_round_sas

__all__ = ["UNIT_SECONDS", "compute_duration", "derive_vars_duration"]

_DAY = 86400.0
#: seconds per unit; a year is 365.25 days and a month a twelfth of it (30.4375 days), as
#: lubridate's ``dyears``/``dmonths`` that admiral uses (its default ``type = "duration"``)
UNIT_SECONDS = {
    "years": 365.25 * _DAY,
    "months": 365.25 * _DAY / 12,
    "weeks": 7 * _DAY,
    "days": _DAY,
    "hours": 3600.0,
    "minutes": 60.0,
    "seconds": 1.0,
}
_FLOOR = {"days": "D", "hours": "h", "minutes": "min", "seconds": "s"}


def _as_datetime(x: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(x.dtype):
        return x.astype("datetime64[s]") if x.dt.tz is None else x.dt.tz_localize(None).astype("datetime64[s]")
    return pd.to_datetime(x, errors="coerce").astype("datetime64[s]")


def compute_duration(
    start_date: pd.Series,
    end_date: pd.Series,
    *,
    in_unit: str = "days",
    out_unit: str = "days",
    floor_in: bool = True,
    add_one: bool = True,
    trunc_out: bool = False,
    round_digits: int | None = None,
) -> pd.Series:
    """Duration from ``start_date`` to ``end_date`` in ``out_unit`` (negative if end is before start).

    As admiral's ``compute_duration`` (``type = "duration"``):

    1. ``floor_in``: both dates are truncated to ``in_unit`` (for days, the time is ignored);
    2. the difference is taken in ``in_unit``; ``add_one`` adds one ``in_unit`` when the
       difference is non-negative (end on or after start), so that a same-day duration is
       1 day and a duration can never be 0; a negative difference is left as it is (no day 0,
       as study days);
    3. the result is converted to ``out_unit``: weeks = days / 7, months = days / 30.4375,
       years = days / 365.25;
    4. ``trunc_out`` keeps the integer part; ``round_digits`` rounds SAS style
       (:func:`adamforge.adam.rounding.compute_round_sas`), after ``trunc_out`` if both.

    Missing when either date is missing.

    Examples
    --------
    >>> s = pd.Series(pd.to_datetime(["2020-01-01", "2020-01-01", "2020-01-10"]))
    >>> e = pd.Series(pd.to_datetime(["2020-01-01", "2020-01-10", "2020-01-01"]))
    >>> compute_duration(s, e).tolist()
    [1.0, 10.0, -9.0]
    """
    if in_unit not in _FLOOR:
        raise ValueError(f"compute_duration: in_unit must be one of {', '.join(_FLOOR)}, got {in_unit!r}")
    if out_unit not in UNIT_SECONDS:
        raise ValueError(f"compute_duration: out_unit must be one of {', '.join(UNIT_SECONDS)}, got {out_unit!r}")
    s, e = _as_datetime(pd.Series(start_date)), _as_datetime(pd.Series(end_date))
    if floor_in:
        s, e = s.dt.floor(_FLOOR[in_unit]), e.dt.floor(_FLOOR[in_unit])
    secs = (e.to_numpy() - s.to_numpy()).astype("timedelta64[s]").astype("float64")
    secs[pd.isna(s.to_numpy()) | pd.isna(e.to_numpy())] = np.nan
    if add_one:
        with np.errstate(invalid="ignore"):
            secs = np.where(secs >= 0, secs + UNIT_SECONDS[in_unit], secs)
    out = secs / UNIT_SECONDS[out_unit]
    if trunc_out:
        out = np.trunc(out)
    res = pd.Series(out + 0.0, index=pd.Series(end_date).index, dtype="float64")
    if round_digits is not None:
        res = compute_round_sas(res, round_digits)
    return res


def derive_vars_duration(
    dataset: pd.DataFrame,
    *,
    new_var: str,
    start_date: str,
    end_date: str,
    in_unit: str = "days",
    out_unit: str = "days",
    add_one: bool = True,
    floor_in: bool = True,
    trunc_out: bool = False,
    round_digits: int | None = None,
    new_var_unit: str | None = None,
) -> pd.DataFrame:
    """Add the duration between two date variables (admiral's ``derive_vars_duration``).

    See :func:`compute_duration` for the rules (``add_one`` adds one ``in_unit`` only when the
    end is on or after the start, as admiral does; months are days / 30.4375, years days /
    365.25). ``new_var_unit`` names a unit variable set to the upper-case ``out_unit``
    (``"DAYS"``, ``"YEARS"``) where the duration is present, blank where it is missing
    (admiral: ``NA``).

    Parameters
    ----------
    dataset : the input (not modified).
    new_var : the duration variable to add (e.g. ``ADURN``, ``TRTDURD``, ``AAGE``).
    start_date, end_date : date or datetime variables (ISO text is parsed).
    in_unit : ``days`` (default), ``hours``, ``minutes``, ``seconds``.
    out_unit : ``years``, ``months``, ``weeks``, ``days``, ``hours``, ``minutes``, ``seconds``.
    add_one, floor_in, trunc_out, round_digits : see :func:`compute_duration`.
    new_var_unit : the unit variable to add (e.g. ``ADURU``, ``AAGEU``); none if ``None``.

    Examples
    --------
    >>> adsl = pd.DataFrame({"BRTHDT": pd.to_datetime(["1950-06-15", "1980-01-01"]),
    ...                      "RANDDT": pd.to_datetime(["2020-06-14", "2020-01-01"])})
    >>> out = derive_vars_duration(adsl, new_var="AAGE", new_var_unit="AAGEU", start_date="BRTHDT",
    ...                            end_date="RANDDT", out_unit="years", add_one=False, trunc_out=True)
    >>> out["AAGE"].tolist(), out["AAGEU"].tolist()
    ([69.0, 40.0], ['YEARS', 'YEARS'])
    """
    fn = "derive_vars_duration"
    assert_vars(dataset, [start_date, end_date], dataset="dataset", fn=fn)
    try:
        dur = compute_duration(
            dataset[start_date],
            dataset[end_date],
            in_unit=in_unit,
            out_unit=out_unit,
            floor_in=floor_in,
            add_one=add_one,
            trunc_out=trunc_out,
            round_digits=round_digits,
        )
    except ValueError as exc:
        raise ValueError(str(exc).replace("compute_duration", fn)) from exc
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    out[new_var] = dur
    if new_var_unit:
        out[new_var_unit] = np.where(dur.notna().to_numpy(), out_unit.upper(), "").astype(object)
    return out
