"""The PROC COMPARE engine: pairs of tiny datasets with known differences."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from adamforge import cli
from adamforge.errors import EXIT_DIFFERENCES, EXIT_FAILED, EXIT_OK, EXIT_USAGE, DataError
from adamforge.validation.compare import (
    compare_datasets,
    compare_frames,
    describe_return_code,
    read_dataset,
    values_equal,
)
from adamforge.validation.compare_report import render_html, render_text, write_outputs


def _base():
    return pd.DataFrame({"USUBJID": ["S-1", "S-2", "S-3"], "AGE": [30.0, 40.0, 50.0], "SEX": ["F", "M", "F"]})


def _xpt(path, df, *, labels=None, file_label="Subject Level", formats=None, widths=None):
    pyreadstat.write_xport(
        df,
        str(path),
        file_format_version=5,
        table_name="ADSL",
        file_label=file_label,
        column_labels=labels or ["Unique Subject Identifier", "Age", "Sex"],
        variable_format=formats or {},
        **({"variable_display_width": widths} if widths else {}),
    )
    return path


# -- identical ------------------------------------------------------------------------------
def test_identical_frames_return_code_0():
    res = compare_frames(_base(), _base(), id_vars=["USUBJID"])
    assert res.return_code == 0 and res.equal
    assert res.n_unequal_values == 0
    assert len(res.differences) == 0
    assert list(res.differences.columns) == ["USUBJID", "VARIABLE", "BASE", "COMPARE", "DIFF", "PCTDIFF"]
    assert render_text(res).endswith("Return code: 0\nResult: NO DIFFERENCES\n")


# -- one value: the exact report ------------------------------------------------------------
def test_one_value_differs_exact_report():
    c = _base()
    c.loc[1, "AGE"] = 44.0
    res = compare_frames(_base(), c, id_vars=["USUBJID"])
    assert res.return_code == 4096
    assert [(v.variable, v.n_unequal, v.max_abs_diff) for v in res.values] == [("AGE", 1, 4.0), ("SEX", 0, None)]
    d = res.differences
    assert d.to_dict("records") == [
        {"USUBJID": "S-2", "VARIABLE": "AGE", "BASE": "40", "COMPARE": "44", "DIFF": 4.0, "PCTDIFF": 10.0}
    ]
    text = render_text(res)
    expected_tail = """Values comparison summary

  Number of variables compared with all observations equal: 1.
  Number of variables compared with some observations unequal: 1.
  Total number of values which compare unequal: 1.
  Maximum difference: 4.

  Variables with unequal values

  Variable  Type     Ndif  MaxDif
  --------  -------  ----  ------
  AGE       numeric  1     4

Value comparison results

  USUBJID  Variable  Base  Compare  Diff.  % Diff
  -------  --------  ----  -------  -----  ------
  S-2      AGE       40    44       4      10

Return code: 4096
   4096  A value comparison was unequal
Result: DIFFERENCES FOUND
"""
    assert text.endswith(expected_tail)
    assert "  Number of observations with some compared variables unequal: 1.\n" in text
    assert "  Number of observations with all compared variables equal: 2.\n" in text


def test_character_trailing_blanks_and_missing_equal_blank():
    b = pd.DataFrame({"ID": [1, 2, 3], "C": ["A", None, "B"]})
    c = pd.DataFrame({"ID": [1, 2, 3], "C": ["A  ", "", "b"]})
    res = compare_frames(b, c, id_vars=["ID"])
    assert res.return_code == 4096
    assert res.differences[["ID", "BASE", "COMPARE"]].to_dict("records") == [{"ID": 3, "BASE": "B", "COMPARE": "b"}]


# -- label / length / format / dataset label from XPT ---------------------------------------
def test_label_length_format_and_dataset_label_from_xpt(tmp_path):
    b = _xpt(tmp_path / "b.xpt", _base(), formats={"AGE": "8."})
    c_df = _base()
    c_df.loc[0, "SEX"] = "FF"  # SEX length 2 instead of 1 (and one value differs)
    c = _xpt(
        tmp_path / "c.xpt",
        c_df,
        labels=["Unique Subject Identifier", "Age (years)", "Sex"],
        file_label="ADSL",
        formats={"AGE": "5.1"},
    )
    res = compare_datasets(b, c, id_vars=["USUBJID"])
    diffs = [(d.variable, d.attribute, d.base, d.compare) for d in res.variables.differences]
    assert diffs == [
        ("AGE", "label", "Age", "Age (years)"),
        ("AGE", "format", "8.", "5.1"),
        ("SEX", "length", "1", "2"),
    ]
    assert res.return_code == 1 + 8 + 16 + 32 + 4096
    assert [m for _, m in res.reasons] == [
        "Data set labels differ",
        "Variable has different format",
        "Variable has different length",
        "Variable has different label",
        "A value comparison was unequal",
    ]
    text = render_text(res)
    assert (
        """  Variable  Attribute  Base  Compare
  --------  ---------  ----  -----------
  AGE       label      Age   Age (years)
  AGE       format     8.    5.1
  SEX       length     1     2
"""
        in text
    )
    assert "  BASE      ADSL  XPT     3    3     Subject Level\n" in text


def test_only_a_label_differs(tmp_path):
    b = _xpt(tmp_path / "b.xpt", _base())
    c = _xpt(tmp_path / "c.xpt", _base(), labels=["Unique Subject Identifier", "Age", "Sex of Subject"])
    res = compare_datasets(b, c, id_vars=["USUBJID"])
    assert res.return_code == 32
    assert res.n_unequal_values == 0


# -- variables and observations -------------------------------------------------------------
def test_missing_variable_and_extra_observation():
    c = pd.concat([_base(), pd.DataFrame({"USUBJID": ["S-4"], "AGE": [60.0], "SEX": ["M"]})], ignore_index=True)
    c = c.drop(columns="SEX").assign(RACE="WHITE")
    res = compare_frames(_base(), c, id_vars=["USUBJID"])
    assert res.variables.base_only == ("SEX",)
    assert res.variables.compare_only == ("RACE",)
    assert res.observations.compare_only["USUBJID"].tolist() == ["S-4"]
    assert res.observations.n_base_only == 0 and res.observations.n_common == 3
    assert res.return_code == 128 + 1024 + 2048
    text = render_text(res)
    assert "  Number of variables in BASE but not in COMPARE: 1. (SEX)\n" in text
    assert "  Number of variables in COMPARE but not in BASE: 1. (RACE)\n" in text
    assert "  Observations in COMPARE but not in BASE\n\n  USUBJID\n  -------\n  S-4\n" in text


def test_type_conflict_is_reported_and_not_value_compared():
    c = _base().assign(AGE=["30", "40", "50"])
    res = compare_frames(_base(), c, id_vars=["USUBJID"])
    assert res.return_code == 8192
    assert [(d.variable, d.attribute, d.base, d.compare) for d in res.variables.differences] == [
        ("AGE", "type", "numeric", "character")
    ]


def test_duplicate_ids_are_a_clear_error_naming_them():
    b = pd.DataFrame({"USUBJID": ["S-1", "S-1", "S-2"], "P": ["A", "A", "A"], "X": [1, 2, 3]})
    c = pd.DataFrame({"USUBJID": ["S-1", "S-2", "S-2", "S-2"], "P": ["A", "A", "A", "A"], "X": [1, 2, 3, 4]})
    with pytest.raises(DataError) as e:
        compare_frames(b, c, id_vars=["USUBJID", "P"])
    assert e.value.problems == [
        "BASE: duplicate ID USUBJID=S-1, P=A (2 observations)",
        "COMPARE: duplicate ID USUBJID=S-2, P=A (3 observations)",
    ]
    assert "duplicate ID values for ID variables USUBJID, P" in str(e.value)


def test_missing_id_variable_is_named():
    with pytest.raises(DataError) as e:
        compare_frames(_base(), _base().drop(columns="USUBJID"), id_vars=["USUBJID"])
    assert e.value.problems == ["COMPARE: ID variable(s) not found: USUBJID"]


def test_without_id_matches_by_position():
    c = pd.concat([_base(), _base().iloc[:1]], ignore_index=True)
    c.loc[2, "SEX"] = "M"
    res = compare_frames(_base(), c)
    assert res.observations.compare_only["OBS"].tolist() == [4]
    assert res.differences[["OBS", "VARIABLE"]].to_dict("records") == [{"OBS": 3, "VARIABLE": "SEX"}]
    assert res.return_code == 128 + 4096


# -- numeric noise and the methods ----------------------------------------------------------
@pytest.mark.parametrize(
    "method,criterion,noise,equal",
    [
        ("exact", None, 1e-12, False),
        ("absolute", 1e-6, 5e-7, True),
        ("absolute", 1e-6, 2e-6, False),
        ("relative", 1e-6, 50 * 5e-7, True),  # 100 vs 100.000025: relative 2.5e-7
        ("relative", 1e-6, 50 * 5e-6, False),  # relative 2.5e-6
        ("percent", 0.01, 0.005, True),  # 0.005 % of 100
        ("percent", 0.01, 0.02, False),
    ],
)
def test_noise_below_and_above_the_criterion(method, criterion, noise, equal):
    b = pd.DataFrame({"ID": [1, 2], "X": [100.0, 0.0]})
    c = pd.DataFrame({"ID": [1, 2], "X": [100.0 + noise, 0.0]})
    res = compare_frames(b, c, id_vars=["ID"], method=method, criterion=criterion)
    assert res.return_code == (0 if equal else 4096)
    assert res.method == method


def test_criterion_alone_selects_relative_as_in_sas():
    res = compare_frames(_base(), _base(), id_vars=["USUBJID"], criterion=1e-3)
    assert (res.method, res.criterion) == ("relative", 1e-3)
    assert compare_frames(_base(), _base(), id_vars=["USUBJID"]).method == "exact"


def test_values_equal_rules():
    x = np.array([0.0, 0.0, 1.0, np.nan, np.nan, 2.0])
    y = np.array([0.0, 1e-9, 1.0, np.nan, 1.0, np.nan])
    assert values_equal(x, y, method="relative").tolist() == [True, False, True, True, False, False]
    assert values_equal(x, y, method="percent", criterion=1).tolist() == [True, False, True, True, False, False]
    assert values_equal(x, y, method="absolute", criterion=1e-8).tolist() == [True, True, True, True, False, False]
    # negative criterion: |c| machine epsilons
    eps = np.finfo(float).eps
    assert values_equal(np.array([1.0]), np.array([1.0 + 4 * eps]), method="absolute", criterion=-1000).tolist() == [
        True
    ]
    assert values_equal(np.array([1.0]), np.array([1.0 + 4 * eps]), method="absolute", criterion=-1).tolist() == [False]


def test_describe_return_code_lists_every_bit():
    assert describe_return_code(0) == []
    assert describe_return_code(32768 + 2) == [
        (2, "Data set types differ"),
        (32768, "Fatal error: comparison not done"),
    ]


# -- readers --------------------------------------------------------------------------------
def test_readers_agree_across_formats(tmp_path):
    df = pd.DataFrame(
        {
            "USUBJID": ["S-1", "S-2"],
            "AGE": [30.0, np.nan],
            "SITEID": ["007", "010"],
            "ADT": pd.to_datetime(["2020-01-05", None]),
        }
    )
    df.to_parquet(tmp_path / "d.parquet")
    df.to_csv(tmp_path / "d.csv", index=False)
    sas = df.assign(ADT=(df["ADT"] - pd.Timestamp("1960-01-01")).dt.days.astype("float64"))
    pyreadstat.write_xport(
        sas, str(tmp_path / "d.xpt"), file_format_version=5, table_name="D", variable_format={"ADT": "DATE9."}
    )
    dsjson = {
        "datasetJSONVersion": "1.1.0",
        "name": "D",
        "label": "Dates",
        "records": 2,
        "columns": [
            {"itemOID": "IT.USUBJID", "name": "USUBJID", "dataType": "string", "length": 3},
            {"itemOID": "IT.AGE", "name": "AGE", "dataType": "double"},
            {"itemOID": "IT.SITEID", "name": "SITEID", "dataType": "string"},
            {"itemOID": "IT.ADT", "name": "ADT", "dataType": "date"},
        ],
        "rows": [["S-1", 30, "007", "2020-01-05"], ["S-2", None, "010", None]],
    }
    (tmp_path / "d.json").write_text(json.dumps(dsjson))
    for ext in ("csv", "xpt", "json"):
        res = compare_datasets(tmp_path / "d.parquet", tmp_path / f"d.{ext}", id_vars=["USUBJID"])
        bits = res.return_code & ~(1 | 16 | 8 | 32)  # metadata may differ by format; values must not
        assert bits == 0, (ext, res.reasons, res.variables.differences)
        assert {v.variable for v in res.values} >= {"AGE", "SITEID", "ADT"}  # the CSV dates compared as dates
    _, info = read_dataset(tmp_path / "d.csv")
    assert [v.kind for v in info.variables] == ["character", "numeric", "character", "character"]
    _, info = read_dataset(tmp_path / "d.xpt")
    assert info.var("ADT").kind == "datetime" and info.var("ADT").format == "DATE9."
    _, info = read_dataset(tmp_path / "d.json")
    assert info.label == "Dates" and info.var("USUBJID").length == 3


def test_dataset_json_1_0(tmp_path):
    doc = {
        "clinicalData": {
            "itemGroupData": {
                "IG.DM": {
                    "records": 1,
                    "name": "DM",
                    "label": "Demographics",
                    "items": [
                        {"OID": "ITEMGROUPDATASEQ", "name": "ITEMGROUPDATASEQ", "type": "integer"},
                        {
                            "OID": "IT.USUBJID",
                            "name": "USUBJID",
                            "label": "Unique Subject Identifier",
                            "type": "string",
                            "length": 3,
                        },
                        {"OID": "IT.AGE", "name": "AGE", "label": "Age", "type": "integer"},
                    ],
                    "itemData": [[1, "S-1", 30]],
                }
            }
        }
    }
    (tmp_path / "dm.json").write_text(json.dumps(doc))
    df, info = read_dataset(tmp_path / "dm.json")
    assert list(df.columns) == ["USUBJID", "AGE"] and df["AGE"].tolist() == [30.0]
    assert info.name == "DM" and info.var("AGE").label == "Age"


# -- outputs and the command line -----------------------------------------------------------
def test_outputs_are_written_and_reproducible(tmp_path):
    c = _base()
    c.loc[0, "AGE"] = 31.0
    res = compare_frames(_base(), c, id_vars=["USUBJID"])
    write_outputs(res, tmp_path / "a", html=True, docx=True)
    write_outputs(res, tmp_path / "b", html=True, docx=True)
    for name in ("report.txt", "summary.json", "differences.csv", "differences.parquet", "report.html", "report.docx"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert pd.read_parquet(tmp_path / "a" / "differences.parquet")["DIFF"].tolist() == [1.0]
    html = render_html(res)
    assert "<td>S-1</td><td>AGE</td><td>30</td><td>31</td>" in html and "Return code: 4096" in html


def test_listing_is_capped_but_data_file_is_complete(tmp_path):
    n = 120
    b = pd.DataFrame({"ID": np.arange(n), "X": np.zeros(n)})
    c = pd.DataFrame({"ID": np.arange(n), "X": np.ones(n)})
    res = compare_frames(b, c, id_vars=["ID"])
    text = render_text(res)
    assert "  (70 more unequal values of X not shown; all are in differences.csv)\n" in text
    assert len(res.differences) == n


def test_cli_exit_codes(tmp_path, capsys):
    b = tmp_path / "b.csv"
    _base().to_csv(b, index=False)
    same = tmp_path / "same.csv"
    _base().to_csv(same, index=False)
    diff = tmp_path / "diff.csv"
    _base().assign(AGE=[30.0, 41.0, 50.0]).to_csv(diff, index=False)
    dup = tmp_path / "dup.csv"
    pd.concat([_base(), _base().iloc[:1]]).to_csv(dup, index=False)
    out = str(tmp_path / "out")
    assert cli.main(["compare", str(b), str(same), "--id", "USUBJID", "--out", out]) == EXIT_OK
    assert "Result: NO DIFFERENCES" in capsys.readouterr().out
    assert cli.main(["compare", str(b), str(diff), "--id", "USUBJID", "--out", out, "--name", "d"]) == EXIT_DIFFERENCES
    assert "Return code: 4096" in capsys.readouterr().out
    assert pd.read_csv(tmp_path / "out" / "compare" / "d" / "differences.csv")["USUBJID"].tolist() == ["S-2"]
    assert cli.main(["compare", str(b), str(dup), "--id", "USUBJID", "--out", out, "-q"]) == EXIT_FAILED
    log = (tmp_path / "out" / "adamforge.log").read_text()
    assert "COMPARE: duplicate ID USUBJID=S-1 (2 observations)" in log
    assert cli.main(["compare", str(b), str(tmp_path / "nope.csv"), "--out", out, "-q"]) == EXIT_USAGE


# -- hardening: report names, per-side encodings, CSV against XPT (issue 13) ---------------------
@pytest.mark.parametrize("name", ["../adam", "../../x", "/abs"])
def test_compare_name_cannot_leave_the_compare_folder(tmp_path, capsys, name):
    out = tmp_path / "out"
    (out / "adam").mkdir(parents=True)
    (out / "adam" / "keep.txt").write_text("production")
    outside = tmp_path / "x"
    outside.mkdir()
    (outside / "keep.txt").write_text("not ours")
    b = tmp_path / "b.csv"
    b.write_text("USUBJID,AGE\nS-1,30\n")
    argv = ["compare", str(b), str(b), "--out", str(out), "--name", name if name != "/abs" else str(outside), "-q"]
    assert cli.main(argv) == EXIT_USAGE
    assert "would write outside" in capsys.readouterr().err
    assert (out / "adam" / "keep.txt").read_text() == "production"
    assert (outside / "keep.txt").read_text() == "not ours"


def _text_xpt(path, value: str, encoding: str):
    df = pd.DataFrame({"USUBJID": ["S-1"], "NAME": ["X" * 10]})  # same length both sides, blank-padded
    pyreadstat.write_xport(df, str(path), table_name="T", file_format_version=5)
    data = path.read_bytes().replace(b"X" * 10, value.encode(encoding).ljust(10))
    path.write_bytes(data)
    return path


def test_per_side_encodings(tmp_path, capsys):
    base = _text_xpt(tmp_path / "utf8.xpt", "Müller", "utf-8")
    comp = _text_xpt(tmp_path / "win.xpt", "Müller", "cp1252")
    res = compare_datasets(base, comp, id_vars=["USUBJID"], compare_encoding="cp1252")
    assert res.n_unequal_values == 0
    # one encoding for both: the UTF-8 side is misread, a false difference
    res = compare_datasets(base, comp, id_vars=["USUBJID"], encoding="cp1252")
    assert res.n_unequal_values == 1
    out = str(tmp_path / "o")
    assert (
        cli.main(
            ["compare", str(base), str(comp), "--id", "USUBJID", "--out", out, "-q", "--compare-encoding", "cp1252"]
        )
        == EXIT_OK
    )
    assert (
        cli.main(["compare", str(comp), str(base), "--id", "USUBJID", "--out", out, "-q", "--base-encoding", "cp1252"])
        == EXIT_OK
    )
    assert cli.main(["compare", str(base), str(comp), "--id", "USUBJID", "--out", out, "-q"]) == EXIT_FAILED
    assert "--encoding cp1252" in capsys.readouterr().err
    assert cli.main(["compare", str(base), str(comp), "--out", out, "--base-encoding", "nope"]) == EXIT_USAGE


def test_xpt_against_csv_compares_values_where_the_text_parses(tmp_path):
    df = pd.DataFrame(
        {"USUBJID": ["S-1", "S-2"], "AGE": [30.0, 41.0], "SITEID": ["7", "10"], "ADT": [21919.0, np.nan]}
    )  # 2020-01-05 as a SAS date
    pyreadstat.write_xport(
        df, str(tmp_path / "d.xpt"), table_name="D", file_format_version=5, variable_format={"ADT": "DATE9."}
    )
    # SITEID is text in the XPT but looks numeric in the CSV; AGE differs in one record
    (tmp_path / "d.csv").write_text("USUBJID,AGE,SITEID,ADT\nS-1,30,7,2020-01-05\nS-2,42,10,\n")
    res = compare_datasets(tmp_path / "d.xpt", tmp_path / "d.csv", id_vars=["USUBJID"])
    assert not [d for d in res.variables.differences if d.attribute == "type"]
    compared = {v.variable: v.n_unequal for v in res.values}
    assert compared == {"AGE": 1, "SITEID": 0, "ADT": 0}
    # text that does not parse keeps the type conflict (and is not compared)
    (tmp_path / "e.csv").write_text("USUBJID,AGE,SITEID,ADT\nS-1,thirty,7,2020-01-05\nS-2,41,10,\n")
    res = compare_datasets(tmp_path / "d.xpt", tmp_path / "e.csv", id_vars=["USUBJID"])
    assert [d.variable for d in res.variables.differences if d.attribute == "type"] == ["AGE"]


# -- Parquet read into Arrow: the same result as the frames the common reader gives ----------------
def _parquet_pair(tmp_path):
    """Two Parquet files with every kind of column the Arrow path meets (and some it leaves to the
    reader): text with blanks and nulls, integers with nulls, float32, booleans, categories, dates,
    timestamps, field metadata, several row groups, a stored pandas index."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 400
    rng = np.random.default_rng(5)
    b = pd.DataFrame(
        {
            "USUBJID": [f"S-{i:04d}" + (" " if i % 9 == 0 else "") for i in range(n)],
            "AVAL": rng.normal(size=n),
            "F32": rng.normal(size=n).astype("float32"),
            "N": pd.array([None if i % 7 == 0 else i for i in range(n)], dtype="Int64"),
            "I16": (np.arange(n) % 300).astype("int16"),
            "FL": np.arange(n) % 2 == 0,
            "TXT": pd.array([None if i % 5 == 0 else ["a", "b ", "", "é"][i % 4] for i in range(n)], dtype="str"),
            "CAT": pd.Categorical([["X", "Y"][i % 2] for i in range(n)]),
            "ADT": pd.to_datetime("2021-01-01") + pd.to_timedelta(np.arange(n) % 90, unit="D"),
            "D32": [(pd.Timestamp("2020-01-01") + pd.Timedelta(days=i % 30)).date() for i in range(n)],
            "NONE": pd.array([None] * n, dtype="str"),
        }
    )
    c = b.copy()
    c.loc[3:6, "AVAL"] += 0.5
    c.loc[10:12, "F32"] = np.float32(3.5)
    c.loc[20:22, "N"] = None
    c.loc[30:31, "I16"] = 1
    c.loc[40:41, "FL"] = ~c.loc[40:41, "FL"]
    c.loc[50:54, "TXT"] = ["a  ", None, "x", "", "é "]
    c.loc[60:61, "CAT"] = "Y"
    c.loc[70:71, "ADT"] = pd.NaT
    c.loc[80:81, "NONE"] = ["q", " "]
    c = c.iloc[5:].sample(frac=1.0, random_state=2)  # 5 only in BASE, shuffled
    b = b.iloc[:-3]  # 3 only in COMPARE
    table = pa.Table.from_pandas(b, preserve_index=False)
    fields = [f.with_metadata({"label": f"Label of {f.name}", "length": "8"}) for f in table.schema]
    table = pa.table(table.columns, schema=pa.schema(fields, metadata=table.schema.metadata))
    pq.write_table(table, tmp_path / "base.parquet", row_group_size=150)
    c.to_parquet(tmp_path / "comp.parquet")  # with its (shuffled) index stored
    return tmp_path / "base.parquet", tmp_path / "comp.parquet"


@pytest.mark.parametrize("ids", [["USUBJID"], ["USUBJID", "I16"], ["ADT", "USUBJID"], None])
def test_parquet_from_arrow_equals_the_frames_of_the_reader(tmp_path, ids):
    bp, cp = _parquet_pair(tmp_path)
    res = compare_datasets(bp, cp, id_vars=ids, method="absolute", criterion=1e-12)
    bdf, bi = read_dataset(bp)
    cdf, ci = read_dataset(cp, role="COMPARE")
    ref = compare_frames(bdf, cdf, id_vars=ids, method="absolute", criterion=1e-12, base_info=bi, compare_info=ci)
    assert res.base == ref.base and res.compare == ref.compare
    assert res.return_code == ref.return_code and res.values == ref.values
    assert render_text(res) == render_text(ref)
    pd.testing.assert_frame_equal(res.differences, ref.differences)
    pd.testing.assert_frame_equal(res.observations.base_only, ref.observations.base_only)
    pd.testing.assert_frame_equal(res.observations.compare_only, ref.observations.compare_only)
    assert res.n_unequal_values > 0 and res.base.var("AVAL").label == "Label of AVAL"
    if ids == ["USUBJID"]:  # every kind of column found its differences
        assert {v.variable for v in res.values if v.n_unequal} >= {"AVAL", "F32", "N", "I16", "FL", "TXT", "CAT"}
        assert {v.variable for v in res.values if v.n_unequal} >= {"ADT", "NONE"}


def test_no_observation_in_common(tmp_path):
    b = _base()
    c = _base().assign(USUBJID=["T-1", "T-2", "T-3"])
    b.to_parquet(tmp_path / "b.parquet")
    c.to_parquet(tmp_path / "c.parquet")
    for res in (
        compare_datasets(tmp_path / "b.parquet", tmp_path / "c.parquet", id_vars=["USUBJID"]),
        compare_frames(b, c, id_vars=["USUBJID"]),
    ):
        o = res.observations
        assert (o.n_common, o.n_base_only, o.n_compare_only, o.n_with_unequal) == (0, 3, 3, 0)
        assert res.n_unequal_values == 0 and res.return_code == 64 | 128


def test_values_equal_matches_the_rules_with_missing_and_infinite_values():
    rng = np.random.default_rng(3)
    pool = np.array([0.0, -0.0, 1.0, 1.0 + 1e-9, -2.5, 100.0, 100.1, np.nan, np.inf, -np.inf])
    x, y = rng.choice(pool, 5000), rng.choice(pool, 5000)
    for method in ("exact", "absolute", "relative", "percent"):
        got = values_equal(x, y, method=method, criterion=1e-5)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            d = np.abs(y - x)
            rule = {
                "exact": x == y,
                "absolute": d <= 1e-5,
                "relative": (d <= 1e-5 * (np.abs(x) + np.abs(y)) / 2) | ((x == 0) & (y == 0)),
                "percent": np.where(x == 0, y == 0, 100 * d <= 1e-5 * np.abs(x)),
            }[method]
        nx, ny = np.isnan(x), np.isnan(y)
        np.testing.assert_array_equal(got, (rule & ~nx & ~ny) | (nx & ny), err_msg=method)


def test_compare_command_does_not_read_the_study(tmp_path, capsys, monkeypatch):
    """`adamforge compare` starts without the study's spec (its study.sdtm is for the pipeline)."""
    from adamforge import context

    def boom(spec):
        raise AssertionError("compare read the study spec")

    monkeypatch.setattr(context, "study_sdtm", boom)
    _base().to_parquet(tmp_path / "b.parquet")
    code = cli.main(["compare", str(tmp_path / "b.parquet"), str(tmp_path / "b.parquet"), "--out", str(tmp_path / "o")])
    assert code == EXIT_OK


@pytest.mark.parametrize("case", ["shuffled", "dup_matched", "dup_only_compare", "blanks", "disjoint", "unsorted"])
def test_sorted_base_id_coding_equals_the_general_coding(monkeypatch, case):
    """A BASE sorted by its one text ID is matched by one hash of BASE; results (and the messages
    naming duplicates) are those of the general coding."""
    from adamforge.validation import compare as cmp

    rng = np.random.default_rng(11)
    ids = [f"S-{i:03d}" for i in range(0, 300, 2)]
    b = pd.DataFrame({"USUBJID": ids, "AVAL": rng.normal(size=len(ids))})
    c = pd.DataFrame({"USUBJID": ids[10:] + [f"S-{i:03d}" for i in (1, 77, 299, 5)], "AVAL": 0.0})
    c = c.sample(frac=1.0, random_state=4).reset_index(drop=True)
    if case == "dup_matched":
        c.loc[3, "USUBJID"] = c.loc[4, "USUBJID"]
    elif case == "dup_only_compare":
        c.loc[len(c)] = ["S-077", 1.0]
    elif case == "blanks":
        b["USUBJID"] = b["USUBJID"] + np.where(np.arange(len(b)) % 3 == 0, "  ", "")
        c.loc[0, "USUBJID"] = None
    elif case == "disjoint":
        c["USUBJID"] = "T" + c["USUBJID"]
    elif case == "unsorted":
        b = b.iloc[::-1].reset_index(drop=True)

    def run():
        try:
            res = compare_frames(b, c, id_vars=["USUBJID"])
        except DataError as exc:
            return str(exc), tuple(getattr(exc, "problems", ()) or ())
        return render_text(res), res.differences.to_csv(), res.observations.compare_only.to_csv()

    fast = run()
    monkeypatch.setattr(cmp, "_sorted_text_codes", lambda a, b: None)
    assert fast == run()
