"""Fast key helpers: same answers as the pandas operations they replace."""

import numpy as np
import pandas as pd
import pytest

from adamforge.keys import combine_codes, duplicated_rows, factorize_column, isin, lookup, match_last, row_codes


@pytest.mark.parametrize("dtype", ["str", object])
def test_isin_matches_pandas(dtype):
    s = pd.Series(["A", "B", None, "C", "A"], dtype=dtype)
    assert isin(s, {"A", "C"}).tolist() == [True, False, False, True, True]
    assert isin(s, ["A", None]).tolist() == s.isin(["A", None]).tolist()
    assert isin(s, pd.Series(["B"], dtype="str")).tolist() == [False, True, False, False, False]
    assert isin(s, []).tolist() == [False] * 5


def test_isin_does_not_match_numbers_to_text():
    s = pd.Series(["1", "2"], dtype="str")
    assert isin(s, [1]).tolist() == s.isin([1]).tolist() == [False, False]


def test_row_codes_and_duplicates_match_dataframe_duplicated():
    df = pd.DataFrame(
        {
            "a": ["x", "x", "y", None, None, "y"],
            "b": [1.0, 1.0, 2.0, np.nan, np.nan, 3.0],
            "c": ["p", "p", "p", "q", "q", "p"],
        }
    )
    codes = row_codes([df["a"], df["b"], df["c"]])
    assert (
        duplicated_rows(codes).tolist() == df.duplicated(keep=False).tolist() == [True, True, False, True, True, False]
    )
    assert codes[0] == codes[1] and codes[0] != codes[2]


def test_combine_codes_recompresses_instead_of_overflowing():
    k = np.arange(4, dtype=np.int64)
    codes = combine_codes([(k, 2**40), (k, 2**40), (k[::-1].copy(), 2**40)])
    assert len(set(codes.tolist())) == 4
    dup = combine_codes([(np.array([0, 0, 1]), 2**40), (np.array([5, 5, 5]), 2**40)])
    assert duplicated_rows(dup).tolist() == [True, True, False]


def test_factorize_column_counts_missing_as_a_value():
    codes, n = factorize_column(pd.Series(["a", None, "a"], dtype="str"))
    assert n == 2 and codes.tolist() == [0, 1, 0]


@pytest.mark.parametrize("dtype", ["str", object])
def test_lookup_matches_get_indexer(dtype):
    index = pd.Series(["A", "B", "C"], dtype=dtype)
    keys = pd.Series(["C", "A", "Z", None, "B"], dtype=dtype)
    assert lookup(keys, index).tolist() == [2, 0, -1, -1, 1]


def test_match_last_is_a_left_merge_on_the_last_record_per_key():
    right = pd.DataFrame({"U": ["a", "a", "b", None], "P": ["X", "X", "Y", "X"], "V": [1, 2, 3, 4]})
    left = pd.DataFrame({"U": ["b", "a", "c", None, "a"], "P": ["Y", "X", "X", "X", "Y"]})
    pos = match_last([left["U"], left["P"]], [right["U"], right["P"]])
    assert pos.tolist() == [2, 1, -1, 3, -1]
    merged = left.merge(right.drop_duplicates(["U", "P"], keep="last"), on=["U", "P"], how="left")
    expected = merged["V"].tolist()
    got = [right["V"][p] if p >= 0 else np.nan for p in pos]
    assert [x if x == x else None for x in got] == [x if x == x else None for x in expected]
