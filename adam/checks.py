"""Entry checks shared by the derivations (admiral's ``assert_*``)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ._common import MissingVariableError

__all__ = ["assert_vars"]


def assert_vars(df: pd.DataFrame, required: Iterable[str], *, dataset: str, fn: str) -> None:
    """Raise :class:`~adamforge.adam._common.MissingVariableError` (a ``DataError`` and a
    ``ValueError``, as every derivation of the vocabulary) naming each required variable missing
    from ``df``.

    Parameters
    ----------
    df : the input dataset.
    required : variable names the caller needs.
    dataset : the dataset's name for the message (e.g. ``"ADEFF"``, ``"DM"``).
    fn : the calling function's name, for the message.
    """
    missing = [v for v in required if v not in df.columns]
    if missing:
        raise MissingVariableError(
            f"{fn}: required variable(s) missing from {dataset}: {', '.join(missing)}",
            [f"{dataset}.{v}: required by {fn} but not in the dataset (rule: required variable)" for v in missing],
        )
