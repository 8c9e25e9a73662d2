"""XPT v5 writer: round trip, every rule checked before writing, reproducible bytes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from adamforge import clock
from adamforge.errors import DataError
from adamforge.export.xpt import check_xpt, read_xpt, write_xpt

LABELS = {
    "USUBJID": "Unique Subject Identifier",
    "AGE": "Age",
    "SEX": "Sex",
    "TRTSDT": "Date of First Exposure to Treatment",
    "RANDDT": "Date of Randomization",
}


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setenv("ADAMFORGE_TIMESTAMP", "2026-03-04T05:06:07")
    clock._reset_for_tests()
    yield
    clock._reset_for_tests()


def tiny() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "USUBJID": ["303-101-001", "303-101-002", "304-201-003"],
            "AGE": [34, 15, 71],
            "SEX": ["F", None, "M"],
            "TRTSDT": pd.to_datetime(["2024-01-05", None, "1959-12-31"]),
            "RANDDT": [dt.date(1960, 1, 1), dt.date(2024, 1, 1), None],
        }
    )


def write(df, path, **kw):
    opts = {
        "dataset": "ADSL",
        "dataset_label": "Subject-Level Analysis Dataset",
        "labels": LABELS,
        "lengths": {"USUBJID": 20, "SEX": 1},
        "keys": ["USUBJID"],
    }
    opts.update(kw)
    write_xpt(df, path, **opts)


# -- round trip --------------------------------------------------------------------------
def test_round_trip_values_types_labels_formats_and_dates(tmp_path):
    p = tmp_path / "adsl.xpt"
    write(tiny(), p)
    back, meta = read_xpt(p)
    expected = pd.DataFrame(
        {
            "USUBJID": ["303-101-001", "303-101-002", "304-201-003"],
            "AGE": [34.0, 15.0, 71.0],
            "SEX": ["F", "", "M"],  # SAS: a missing character value is blank
            "TRTSDT": pd.to_datetime(["2024-01-05", None, "1959-12-31"]).astype("datetime64[s]"),
            "RANDDT": pd.to_datetime(["1960-01-01", "2024-01-01", None]).astype("datetime64[s]"),
        }
    )
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)
    assert back["TRTSDT"].dtype == "datetime64[s]" and back["AGE"].dtype == "float64"
    assert meta.table_name == "ADSL"
    assert meta.file_label == "Subject-Level Analysis Dataset"
    assert meta.column_names_to_labels == LABELS
    assert meta.original_variable_types["TRTSDT"] == "DATE9"
    assert meta.original_variable_types["RANDDT"] == "DATE9"
    assert meta.variable_storage_width == {"USUBJID": 20, "AGE": 8, "SEX": 1, "TRTSDT": 8, "RANDDT": 8}
    assert meta.readstat_variable_types["SEX"] == "string"
    assert meta.readstat_variable_types["TRTSDT"] == "double"


def test_dates_are_sas_day_numbers_not_1970(tmp_path):
    p = tmp_path / "adsl.xpt"
    write(tiny(), p)
    raw, _ = pyreadstat.read_xport(str(p), disable_datetime_conversion=True)
    # 1960-01-01 .. 2024-01-01 = 64 * 365 + 16 leap days = 23376; + 4 days = 2024-01-05
    assert raw["TRTSDT"].tolist()[0] == 23380.0
    assert np.isnan(raw["TRTSDT"].tolist()[1])
    assert raw["TRTSDT"].tolist()[2] == -1.0
    assert raw["RANDDT"].tolist()[:2] == [0.0, 23376.0]


def test_declared_length_is_applied_and_values_not_padded_on_read(tmp_path):
    p = tmp_path / "a.xpt"
    write(tiny(), p, lengths={"USUBJID": 200, "SEX": 8})
    back, meta = read_xpt(p)
    assert meta.variable_storage_width["USUBJID"] == 200
    assert meta.variable_storage_width["SEX"] == 8
    assert back["USUBJID"].tolist()[0] == "303-101-001"


def test_no_declared_length_uses_longest_value(tmp_path):
    p = tmp_path / "a.xpt"
    write(tiny(), p, lengths={})
    _, meta = read_xpt(p)
    assert meta.variable_storage_width["USUBJID"] == 11
    assert meta.variable_storage_width["SEX"] == 1


def test_other_date_format_and_numeric_format_kept(tmp_path):
    p = tmp_path / "a.xpt"
    write(tiny(), p, formats={"TRTSDT": "YYMMDD10.", "AGE": "8.1"})
    back, meta = read_xpt(p)
    assert meta.original_variable_types["TRTSDT"] == "YYMMDD10"
    assert meta.original_variable_types["AGE"] == "8.1"
    assert back["TRTSDT"].iloc[0] == pd.Timestamp("2024-01-05")


def test_datetime_with_time_written_as_sas_datetime(tmp_path):
    df = pd.DataFrame({"ADTM": pd.to_datetime(["1960-01-01 00:01:40", "2024-01-05 10:11:12"])})
    p = tmp_path / "a.xpt"
    write_xpt(df, p, dataset="ADX", dataset_label="X", labels={"ADTM": "Analysis Datetime"})
    raw, meta = pyreadstat.read_xport(str(p), disable_datetime_conversion=True)
    assert raw["ADTM"].iloc[0] == 100.0
    assert meta.original_variable_types["ADTM"] == "DATETIME20"
    back, _ = read_xpt(p)
    assert back["ADTM"].iloc[1] == pd.Timestamp("2024-01-05 10:11:12")


# -- reproducibility ---------------------------------------------------------------------
def test_same_input_gives_byte_identical_file_with_run_timestamp_in_header(tmp_path):
    a, b = tmp_path / "a.xpt", tmp_path / "b.xpt"
    write(tiny(), a)
    write(tiny(), b)
    assert a.read_bytes() == b.read_bytes()
    head = a.read_bytes()[:560]
    assert head.count(b"04MAR26:05:06:07") == 4


def test_different_timestamp_changes_only_the_stamps(tmp_path, monkeypatch):
    a, b = tmp_path / "a.xpt", tmp_path / "b.xpt"
    write(tiny(), a)
    monkeypatch.setenv("ADAMFORGE_TIMESTAMP", "2027-12-31T23:59:58")
    clock._reset_for_tests()
    write(tiny(), b)
    ab, bb = a.read_bytes(), b.read_bytes()
    assert ab != bb
    assert ab.replace(b"04MAR26:05:06:07", b"31DEC27:23:59:58") == bb


# -- bad input: clear errors, nothing written --------------------------------------------
def _fails(tmp_path, df, **kw):
    p = tmp_path / "bad.xpt"
    with pytest.raises(DataError) as ei:
        write(df, p, **kw)
    assert not p.exists()
    assert [x.name for x in tmp_path.iterdir()] == []  # no temporary file left either
    return str(ei.value), ei.value.problems


def test_nine_character_variable_name(tmp_path):
    df = tiny().rename(columns={"AGE": "AGEGROUPX"})
    labels = {**LABELS, "AGEGROUPX": "Age Group"}
    labels.pop("AGE")
    msg, probs = _fails(tmp_path, df, labels=labels)
    assert "ADSL" in msg and "nothing written" in msg
    assert any("[XPT-VARNAME] ADSL.AGEGROUPX" in p and "9 characters" in p for p in probs)


def test_name_rules_case_and_first_letter(tmp_path):
    df = tiny().rename(columns={"AGE": "age", "SEX": "_SEX"})
    labels = {**LABELS, "age": "Age", "_SEX": "Sex"}
    del labels["AGE"], labels["SEX"]
    _, probs = _fails(tmp_path, df, labels=labels, lengths={})
    assert any("ADSL.age" in p and "not upper case" in p for p in probs)
    assert any("ADSL._SEX" in p and "does not start with a letter" in p for p in probs)


def test_dataset_name_too_long(tmp_path):
    _, probs = _fails(tmp_path, tiny(), dataset="ADEFFICACY")
    assert any("[XPT-DSNAME]" in p and "10 characters" in p for p in probs)


def test_forty_five_character_label(tmp_path):
    lab = "A" * 45
    _, probs = _fails(tmp_path, tiny(), labels={**LABELS, "SEX": lab})
    assert any("[XPT-LABEL] ADSL.SEX" in p and "45 characters" in p for p in probs)


def test_forty_five_character_dataset_label(tmp_path):
    _, probs = _fails(tmp_path, tiny(), dataset_label="B" * 45)
    assert any("[XPT-DSLABEL] ADSL" in p and "45 characters" in p for p in probs)


def test_missing_label(tmp_path):
    labels = dict(LABELS)
    del labels["SEX"]
    _, probs = _fails(tmp_path, tiny(), labels=labels)
    assert any("ADSL.SEX" in p and "no label" in p for p in probs)


def test_250_byte_value_names_record(tmp_path):
    df = tiny()
    df.loc[1, "SEX"] = "X" * 250
    _, probs = _fails(tmp_path, df, lengths={"USUBJID": 20})
    hit = [p for p in probs if "[XPT-LEN200]" in p]
    assert len(hit) == 1
    assert "ADSL.SEX [OBS=2, USUBJID=303-101-002]" in hit[0] and "250 bytes" in hit[0]


def test_200_bytes_means_bytes_not_characters(tmp_path):
    df = tiny()
    df.loc[0, "SEX"] = "é" * 101  # 101 characters, 202 bytes in UTF-8
    _, probs = _fails(tmp_path, df, lengths={"USUBJID": 20})
    assert any("[XPT-LEN200] ADSL.SEX [OBS=1" in p and "202 bytes" in p for p in probs)


def test_non_ascii_value_reported_per_record_without_transliteration(tmp_path):
    df = tiny().assign(SEX=["F", "M±", "M±"])
    _, probs = _fails(tmp_path, df, lengths={"USUBJID": 20})
    hits = [p for p in probs if "[XPT-ASCII]" in p]
    assert len(hits) == 2
    assert "ADSL.SEX [OBS=2, USUBJID=303-101-002]" in hits[0] and "'±'" in hits[0]
    assert "ADSL.SEX [OBS=3, USUBJID=304-201-003]" in hits[1]


def test_text_date_column_declared_as_date(tmp_path):
    df = tiny().assign(TRTSDT=["2024-01-05", None, "2023-12-31"])
    _, probs = _fails(tmp_path, df, formats={"TRTSDT": "DATE9."})
    hit = [p for p in probs if "[XPT-DATE]" in p]
    assert len(hit) == 1
    assert "ADSL.TRTSDT [OBS=1, USUBJID=303-101-001]" in hit[0] and "holds text" in hit[0]


def test_date_format_on_datetime_with_time_would_lose_time(tmp_path):
    df = tiny().assign(TRTSDT=pd.to_datetime(["2024-01-05 08:00", None, "2024-01-06 00:00"]))
    _, probs = _fails(tmp_path, df, formats={"TRTSDT": "DATE9."})
    assert any("[XPT-DATE] ADSL.TRTSDT [OBS=1" in p and "time of day" in p for p in probs)


def test_declared_length_shorter_than_value(tmp_path):
    _, probs = _fails(tmp_path, tiny(), lengths={"USUBJID": 8})
    hit = [p for p in probs if "[XPT-LENGTH]" in p]
    assert len(hit) == 1 and "ADSL.USUBJID [OBS=1" in hit[0] and "longest value (11 bytes; 3 record(s)" in hit[0]


def test_boolean_column_refused(tmp_path):
    df = tiny().assign(SEX=[True, False, True])
    _, probs = _fails(tmp_path, df, lengths={"USUBJID": 20})
    assert any("[XPT-TYPE] ADSL.SEX" in p for p in probs)


def test_every_problem_reported_at_once(tmp_path):
    df = (
        tiny().rename(columns={"AGE": "AGEGROUPX"}).assign(SEX=["F", "X" * 250, "±"], TRTSDT=["2024-01-05", None, None])
    )
    labels = {**LABELS, "AGEGROUPX": "A" * 45}
    del labels["AGE"]
    _, probs = _fails(tmp_path, df, labels=labels, lengths={"USUBJID": 20}, formats={"TRTSDT": "DATE9."})
    rules = sorted({p.split("]")[0].split("[")[1] for p in probs})
    assert rules == ["XPT-ASCII", "XPT-DATE", "XPT-LABEL", "XPT-LEN200", "XPT-VARNAME"]


def test_failed_write_keeps_existing_file(tmp_path):
    p = tmp_path / "adsl.xpt"
    write(tiny(), p)
    before = p.read_bytes()
    with pytest.raises(DataError):
        write(tiny().assign(SEX=["±", None, None]), p)
    assert p.read_bytes() == before


def test_review_limit_refused_with_clear_message(tmp_path):
    _, probs = _fails(tmp_path, tiny(), max_bytes=1000)
    hit = [p for p in probs if "[XPT-SIZE]" in p]
    assert len(hit) == 1 and "over the review limit" in hit[0] and "split the dataset" in hit[0]


def test_default_review_limit_is_5_gb():
    from adamforge.export.xpt import REVIEW_LIMIT_BYTES, estimate_xpt_size

    assert REVIEW_LIMIT_BYTES == 5 * 1024**3
    # 3 rows x (20 + 8 + 1 + 8 + 8) = 135 bytes -> 160; header 8*80 + 5*140 = 1340 -> 1360,
    # + 80 for the OBS header record
    assert estimate_xpt_size(tiny(), {"USUBJID": 20, "SEX": 1}) == 1360 + 80 + 160


def test_estimate_matches_real_file_size(tmp_path):
    p = tmp_path / "a.xpt"
    write(tiny(), p)
    from adamforge.export.xpt import estimate_xpt_size

    assert p.stat().st_size == estimate_xpt_size(tiny(), {"USUBJID": 20, "SEX": 1})


def test_check_clean_frame_has_no_findings():
    assert (
        check_xpt(
            tiny(),
            dataset="ADSL",
            dataset_label="Subject-Level Analysis Dataset",
            labels=LABELS,
            lengths={"USUBJID": 20, "SEX": 1},
        )
        == []
    )


def test_records_encoded_byte_for_byte_as_pyreadstat_writes_them(tmp_path):
    """The vectorised record encoding equals pyreadstat's own writer on a varied frame."""
    import numpy as np
    import pandas as pd
    import pyreadstat

    from adamforge.export.xpt import _patch_stamps, _prepare, write_xpt

    rng = np.random.default_rng(3)
    n = 3000
    df = pd.DataFrame(
        {
            "USUBJID": [f"S-{i:05d}" for i in range(n)],
            "AVAL": np.where(rng.random(n) < 0.1, np.nan, rng.normal(0, 50, n)),
            "TINY": np.r_[[0.0, -0.0, 1e-80, 5.4e-79, -1.5, 1e74, 2.0**249], rng.normal(0, 1e-6, n - 7)],
            "AVALC": np.where(rng.random(n) < 0.2, "", rng.choice(["Y", "N", "NOT EVALUABLE"], n)),
            "ADT": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D"),
        }
    )
    labels = {c: f"Label of {c}" for c in df.columns}
    fast = tmp_path / "fast.xpt"
    write_xpt(df, fast, dataset="ADX", dataset_label="Test", labels=labels, lengths={"AVALC": 20})
    out, fmts = _prepare(df, lengths={"AVALC": 20}, formats={})
    ref = tmp_path / "ref.xpt"
    pyreadstat.write_xport(
        out,
        str(ref),
        file_label="Test",
        column_labels=labels,
        table_name="ADX",
        file_format_version=5,
        variable_format=fmts,
    )
    from adamforge.clock import run_timestamp
    from adamforge.export.xpt import _sas_stamp

    _patch_stamps(ref, _sas_stamp(run_timestamp()))
    assert fast.read_bytes() == ref.read_bytes()


def test_records_written_in_chunks_give_the_same_file(tmp_path, monkeypatch):
    import numpy as np
    import pandas as pd

    import adamforge.export.xpt as X

    rng = np.random.default_rng(1)
    n = 1001
    df = pd.DataFrame(
        {"A": [f"s{i}" for i in range(n)], "B": rng.normal(size=n), "C": np.where(rng.random(n) < 0.3, "", "xx")}
    )
    labels = {c: c for c in df.columns}
    X.write_xpt(df, tmp_path / "whole.xpt", dataset="T", dataset_label="t", labels=labels)
    whole = X._replace_records
    monkeypatch.setattr(X, "_replace_records", lambda p, o: whole(p, o, chunk=7))
    X.write_xpt(df, tmp_path / "chunks.xpt", dataset="T", dataset_label="t", labels=labels)
    assert (tmp_path / "whole.xpt").read_bytes() == (tmp_path / "chunks.xpt").read_bytes()


def test_empty_dataset_keeps_declared_lengths(tmp_path):
    """An ADAE with no events still carries its declared lengths, labels and formats."""
    import pandas as pd

    from adamforge.export.xpt import read_xpt, write_xpt

    df = pd.DataFrame({"USUBJID": pd.Series([], dtype=object), "AVAL": pd.Series([], dtype=float)})
    write_xpt(
        df,
        tmp_path / "e.xpt",
        dataset="ADAE",
        dataset_label="Adverse Events",
        labels={"USUBJID": "Unique Subject Identifier", "AVAL": "Analysis Value"},
        lengths={"USUBJID": 20},
    )
    back, meta = read_xpt(tmp_path / "e.xpt")
    assert len(back) == 0 and list(back.columns) == ["USUBJID", "AVAL"]
    assert meta.variable_storage_width["USUBJID"] == 20
    assert meta.column_names_to_labels["AVAL"] == "Analysis Value"
