"""The golden-file helper (tests/golden.py): a missing golden fails, a changed one shows a diff,
only ADAMFORGE_UPDATE_GOLDEN=1 writes, and the normalisation replaces exactly what it says."""

from __future__ import annotations

import pytest


@pytest.fixture
def helper(golden, tmp_path, monkeypatch):
    monkeypatch.setattr(golden, "GOLDEN_DIR", tmp_path / "golden")
    monkeypatch.delenv(golden.UPDATE_ENV, raising=False)
    return golden


def test_missing_golden_fails_and_writes_nothing(helper, tmp_path):
    with pytest.raises(
        pytest.fail.Exception, match="golden file .*x.txt is missing; write it with ADAMFORGE_UPDATE_GOLDEN=1"
    ):
        helper.check("x.txt", "a\n")
    assert not (tmp_path / "golden").exists()


def test_update_writes_then_an_equal_text_passes(helper, tmp_path, monkeypatch):
    monkeypatch.setenv(helper.UPDATE_ENV, "1")
    helper.check("sub/x.txt", "a\nb")
    assert (tmp_path / "golden" / "sub" / "x.txt").read_text() == "a\nb\n"
    monkeypatch.delenv(helper.UPDATE_ENV)
    helper.check("sub/x.txt", "a\r\nb  \n")  # line ends and trailing blanks do not count


def test_changed_text_fails_with_a_unified_diff(helper, tmp_path):
    (tmp_path / "golden").mkdir()
    (tmp_path / "golden" / "r.txt").write_text("one\ntwo\nthree\n")
    with pytest.raises(pytest.fail.Exception) as exc:
        helper.check("r.txt", "one\n2\nthree\n")
    msg = str(exc.value)
    assert "--- tests/golden/r.txt\n+++ r.txt (this run)\n" in msg
    assert "\n-two\n+2\n" in msg and "ADAMFORGE_UPDATE_GOLDEN=1" in msg
    assert (tmp_path / "golden" / "r.txt").read_text() == "one\ntwo\nthree\n"  # never rewritten on failure


def test_normalise_replaces_paths_time_stamps_commits_versions_and_digests(helper, tmp_path):
    import adamforge

    out = tmp_path / "run"
    text = "\n".join(
        [
            f"BASE {out}/adam/adsl.xpt and {tmp_path}/x",
            "Time stamp (UTC): 2026-01-01T00:00:00 and 2026-03-04T05:06:07 UTC",
            "Git commit: 6a7a575ae0c4e92a7edb4598f03becd2d8bc4d8c (with uncommitted changes)",
            '"git_commit": "unknown",',
            "Package versions: adamforge 0.1.0, pandas 3.1.1",
            f'program (adamforge {adamforge.__version__}) SourceSystemVersion="{adamforge.__version__}"',
            "  " + "ab" * 32 + "  SDTM: dm.xpt",
            "visit 2020-01-10 stays",
        ]
    )
    got = helper.normalise(text, paths={"<RUN>": out, "<TMP>": tmp_path})
    assert got.split("\n") == [
        "BASE <RUN>/adam/adsl.xpt and <TMP>/x",
        "Time stamp (UTC): <TIMESTAMP> and <TIMESTAMP>",
        "Git commit: <GIT-COMMIT>",
        '"git_commit": "<GIT-COMMIT>",',
        "Package versions: <VERSIONS>",
        'program (adamforge <VERSION>) SourceSystemVersion="<VERSION>"',
        "  <SHA256>  SDTM: dm.xpt",
        "visit 2020-01-10 stays",  # a date alone is data, not a time stamp
    ]


def test_float_noise_is_normalised_only_when_asked(helper):
    text = "  estimate    relative 1e-06    1.6982e-12   1.5e-03\n  -----------  ------\n"
    assert helper.normalise(text) == text
    assert helper.normalise(text, noise=True) == "  estimate  relative 1e-06  <1e-9  1.5e-03\n  --  --\n"
