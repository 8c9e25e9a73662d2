"""The fast paths of the export's read-back comparison and the derive's record takes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from adamforge.adam.finalize import take_rows_releasing
from adamforge.export.step import _same_text


def _field(values: list[bytes], width: int) -> np.ndarray:
    return np.frombuffer(b"".join(v.ljust(width, b" ") for v in values), dtype=np.uint8).reshape(len(values), width)


def test_same_text_matches_the_value_by_value_reading():
    a = pd.Series(["ab", None, "c  "], dtype="str")
    assert _same_text(_field([b"ab", b"", b"c"], 4), a, 4)
    assert not _same_text(_field([b"ab", b"", b"d"], 4), a, 4)
    # trailing whitespace other than blanks: the reader keeps the tab, the data lose it
    assert not _same_text(_field([b"a\t"], 4), pd.Series(["a\t"], dtype="str"), 4)


def test_take_rows_releasing_equals_take_and_empties_the_source():
    df = pd.DataFrame(
        {
            "A": pd.Series(["x", None, "z"], dtype="str"),
            "N": [1.0, np.nan, 3.0],
            "I": pd.array([1, None, 3], dtype="Int64"),
            "D": pd.to_datetime(["2024-01-01", None, "2024-01-03"]).astype("datetime64[s]"),
        }
    )
    expected = df.take([2, 0]).reset_index(drop=True)
    got = take_rows_releasing(df, np.array([2, 0]))
    pd.testing.assert_frame_equal(got, expected)
    assert list(df.columns) == []
