"""Reading and writing an SDTM folder (adamforge.sdtm_io) with a tiny hand-made DM and RS."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from adamforge.errors import DataError, UsageError
from adamforge.io import sha256_file
from adamforge.sdtm_io import MANIFEST, read_manifest, read_sdtm, write_sdtm

LABELS = {
    "DM": {"USUBJID": "Unique Subject Identifier", "AGE": "Age", "SEX": "Sex"},
    "RS": {"USUBJID": "Unique Subject Identifier", "RSSEQ": "Sequence Number", "RSSTRESN": "Numeric Result"},
}
DS_LABELS = {"DM": "Demographics", "RS": "Disease Response"}


def _domains():
    dm = pd.DataFrame({"USUBJID": ["S-1", "S-2"], "AGE": [30, 41], "SEX": ["F", None]})
    rs = pd.DataFrame({"USUBJID": ["S-1", "S-1", "S-2"], "RSSEQ": [1, 2, 1], "RSSTRESN": [3.0, np.nan, 2.0]})
    return {"DM": dm, "RS": rs}


@pytest.fixture
def folder(tmp_path):
    f = tmp_path / "sdtm"
    f.mkdir()
    write_sdtm(_domains(), f, labels=LABELS, dataset_labels=DS_LABELS)
    return f


def test_write_gives_xpt_parquet_and_a_manifest_of_both(folder):
    assert sorted(p.name for p in folder.iterdir()) == [
        "dm.parquet",
        "dm.xpt",
        MANIFEST,
        "rs.parquet",
        "rs.xpt",
    ]
    m = read_manifest(folder)
    assert m["DM"] == {
        "xpt": "dm.xpt",
        "xpt_sha256": sha256_file(folder / "dm.xpt"),
        "parquet": "dm.parquet",
        "parquet_sha256": sha256_file(folder / "dm.parquet"),
        "observations": 2,
        "variables": 3,
    }


def test_read_normalises_types_whatever_the_file(folder, tmp_path):
    got = read_sdtm(folder)
    assert sorted(got) == ["DM", "RS"]
    dm = got["DM"]
    assert dm["AGE"].dtype == "float64" and dm["AGE"].tolist() == [30.0, 41.0]
    assert dm["SEX"].tolist() == ["F", ""]  # missing text is ""
    assert np.isnan(got["RS"]["RSSTRESN"].iloc[1])
    # the same data from the XPT alone (no Parquet copy, no manifest)
    only = tmp_path / "only"
    only.mkdir()
    (only / "dm.xpt").write_bytes((folder / "dm.xpt").read_bytes())
    pd.testing.assert_frame_equal(read_sdtm(only, ["dm"])["DM"], dm)


def test_xpt_replaced_by_hand_is_read_not_its_stale_parquet_copy(folder, tmp_path):
    """A sponsor's XPT dropped over the simulator's: the manifest no longer matches it, so the
    read fails naming the file (never the old Parquet copy's data silently)."""
    other = tmp_path / "other"
    other.mkdir()
    changed = _domains()
    changed["DM"].loc[0, "AGE"] = 99
    write_sdtm(changed, other, labels=LABELS, dataset_labels=DS_LABELS)
    (folder / "dm.xpt").write_bytes((other / "dm.xpt").read_bytes())
    with pytest.raises(DataError, match=r"dm\.xpt does not match manifest\.json") as exc:
        read_sdtm(folder, ["DM"])
    assert any("SHA-256 is" in p for p in exc.value.problems)
    (folder / MANIFEST).unlink()  # no manifest: the XPT is the data, the Parquet copy is not read
    assert read_sdtm(folder, ["DM"])["DM"]["AGE"].tolist() == [99.0, 41.0]


def test_parquet_copy_is_read_only_for_the_very_xpt_it_copies(folder, monkeypatch):
    calls = []
    real = pd.read_parquet
    monkeypatch.setattr(pd, "read_parquet", lambda p, *a, **k: calls.append(p.name) or real(p, *a, **k))
    via_copy = read_sdtm(folder, ["DM"])["DM"]
    assert calls == ["dm.parquet"]  # the verified copy, faster
    (folder / "dm.parquet").write_bytes(b"not the copy")  # copy changed: its checksum fails
    calls.clear()
    pd.testing.assert_frame_equal(read_sdtm(folder, ["DM"])["DM"], via_copy)
    assert calls == []  # the XPT itself was read


def test_missing_domain_and_folder_are_named(folder, tmp_path):
    with pytest.raises(DataError, match=r"domain\(s\) missing: QS \(expected qs\.xpt"):
        read_sdtm(folder, ["DM", "QS"])
    with pytest.raises(UsageError, match="does not exist"):
        read_sdtm(tmp_path / "nowhere")


def test_truncated_or_malformed_manifest_is_an_error(folder):
    (folder / MANIFEST).write_text('{"DM": {"xpt": "dm.xpt"')
    with pytest.raises(DataError, match="truncated or malformed manifest"):
        read_manifest(folder)
    (folder / MANIFEST).write_text(json.dumps({"DM": "dm.xpt"}))
    with pytest.raises(DataError, match="expected an object of domain entries"):
        read_sdtm(folder)
    assert read_manifest(folder.parent) == {}


def test_record_count_differing_from_the_manifest_is_an_error(folder):
    m = json.loads((folder / MANIFEST).read_text())
    m["RS"]["observations"] = 4
    m["RS"].pop("xpt_sha256")
    m["RS"].pop("parquet_sha256")
    (folder / MANIFEST).write_text(json.dumps(m))
    with pytest.raises(DataError) as exc:
        read_sdtm(folder, ["RS"])
    assert exc.value.problems == ["3 records, the manifest says 4"]


def test_a_domain_breaking_an_xpt_rule_is_reported_and_no_manifest_written(tmp_path):
    bad = _domains()
    bad["DM"] = bad["DM"].rename(columns={"SEX": "SEX_OF_SUBJECT"})  # 14 characters > 8
    labels = {**LABELS, "DM": {**LABELS["DM"], "SEX_OF_SUBJECT": "Sex"}}
    with pytest.raises(DataError, match="could not be written as XPT v5") as exc:
        write_sdtm(bad, tmp_path, labels=labels, dataset_labels=DS_LABELS)
    assert any("SEX_OF_SUBJECT" in p for p in exc.value.problems)
    assert not (tmp_path / MANIFEST).exists()


def test_log_names_each_input_with_its_checksum(folder):
    class Log:
        def __init__(self):
            self.lines = []

        def dataset(self, lib, name, n, k):
            self.lines.append(f"{lib}.{name} {n}x{k}")

    log = Log()
    read_sdtm(folder, ["DM"], log=log)
    assert log.lines == [
        f"NOTE: Input {folder / 'dm.xpt'}  sha256={sha256_file(folder / 'dm.xpt')}",
        "NOTE: SDTM DM read from dm.xpt (also present, not read: dm.parquet)",
        "SDTM.DM 2x3",
    ]
