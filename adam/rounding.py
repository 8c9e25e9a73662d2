"""SAS rounding: half away from zero, with SAS's tolerance for binary representation error."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .merge import assert_vars

__all__ = ["compute_round_sas", "derive_var_round"]

#: relative tolerance: 2.675 is 2.67499999999999982236431605997495353221893310546875 in binary,
#: which SAS ``ROUND(2.675, 0.01)`` still rounds to 2.68 (Python's ``round`` gives 2.67)
_FUZZ = 1e-12


def compute_round_sas(x: Any, digits: int = 0) -> pd.Series | np.ndarray:
    """Round ``x`` to ``digits`` decimals as SAS ``ROUND(x, 10**-digits)`` does.

    Halves go away from zero (R's ``round`` and numpy round halves to even), and a value within
    a relative 1e-12 of a half counts as the half. ``digits`` may be negative (tens, hundreds).
    Missing stays missing. Accepts a scalar, array or Series; returns the same kind (float).

    Examples
    --------
    >>> compute_round_sas(pd.Series([2.5, -2.5, 2.675, 0.125, None]), 2).tolist()
    [2.5, -2.5, 2.68, 0.13, nan]
    >>> compute_round_sas([0.5, 1.5, 2.5, -0.5], 0).tolist()
    [1.0, 2.0, 3.0, -1.0]
    >>> float(compute_round_sas(1234.0, -2))
    1200.0
    """
    digits = int(digits)
    is_series = isinstance(x, pd.Series)
    a = pd.to_numeric(x, errors="coerce").astype("float64").to_numpy() if is_series else np.asarray(x, dtype="float64")
    scale = 10.0**digits
    s = a * scale
    mag = np.abs(s)
    r = np.sign(s) * np.floor(mag + 0.5 + _FUZZ * np.maximum(mag, 1.0))
    out = r / scale if digits >= 0 else r * (10.0**-digits)
    out = out + 0.0  # no negative zero
    if is_series:
        return pd.Series(out, index=x.index, name=x.name)
    return out


def derive_var_round(dataset: pd.DataFrame, *, new_var: str, source_var: str, digits: int = 0) -> pd.DataFrame:
    """Add ``new_var`` = ``source_var`` rounded to ``digits`` decimals, SAS style (:func:`compute_round_sas`).

    Examples
    --------
    >>> derive_var_round(pd.DataFrame({"X": [1.005, 2.5]}), new_var="XR", source_var="X", digits=2)["XR"].tolist()
    [1.01, 2.5]
    """
    assert_vars(dataset, [source_var], dataset="dataset", fn="derive_var_round")
    out = dataset.copy(deep=False)  # copy-on-write: the input is never modified
    out[new_var] = compute_round_sas(out[source_var], digits)
    return out
