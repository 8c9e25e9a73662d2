"""Relative study days (admiral's ``derive_vars_dy``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from .checks import assert_vars
from .dates import compute_dy

__all__ = ["derive_vars_dy"]


def _dy_name(var: str) -> str:
    for suffix in ("DTM", "DT"):
        if var.endswith(suffix):
            return var[: -len(suffix)] + "DY"
    raise ValueError(
        f"derive_vars_dy: cannot name the study day of {var!r} (not a --DT/--DTM variable); "
        f"give source_vars as a mapping {{NEWVAR: {var}}}"
    )


def derive_vars_dy(
    dataset: pd.DataFrame,
    *,
    reference_date: str,
    source_vars: Sequence[str] | Mapping[str, str],
) -> pd.DataFrame:
    """Study days of date variables relative to ``reference_date`` (Day 1 = the reference; no Day 0).

    ``date - reference + 1`` on or after the reference, ``date - reference`` before it; missing
    if either date is missing (SDTMIG 4.4.4; admiral's ``derive_vars_dy``).

    Parameters
    ----------
    dataset : the input (not modified).
    reference_date : the reference date variable, e.g. ``"TRTSDT"``.
    source_vars : date variables (``["ADT", "ASTDT"]`` gives ADY, ASTDY: the ``DT``/``DTM`` suffix
        becomes ``DY``), or a mapping ``{new variable: date variable}``.

    Examples
    --------
    >>> df = pd.DataFrame({"TRTSDT": pd.to_datetime(["2020-01-10"] * 3),
    ...                    "ADT": pd.to_datetime(["2020-01-10", "2020-01-09", None])})
    >>> derive_vars_dy(df, reference_date="TRTSDT", source_vars=["ADT"])["ADY"].tolist()
    [1, -1, <NA>]
    """
    pairs = dict(source_vars) if isinstance(source_vars, Mapping) else {_dy_name(v): v for v in source_vars}
    assert_vars(dataset, [reference_date, *pairs.values()], dataset="input", fn="derive_vars_dy")
    out = dataset.copy(deep=False)
    for new, src in pairs.items():
        out[new] = compute_dy(dataset[src], dataset[reference_date])
    return out
