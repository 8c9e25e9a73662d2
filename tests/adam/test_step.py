"""The derive step: a failed run writes nothing and removes stale outputs; errors list every problem."""

from __future__ import annotations

import pandas as pd

from adamforge import cli
from adamforge.errors import EXIT_FAILED, EXIT_OK


def _fake_reader(monkeypatch, sdtm, folder):
    folder.mkdir(parents=True, exist_ok=True)
    for d in sdtm:
        (folder / f"{d.lower()}.xpt").write_bytes(b"")
    monkeypatch.setattr(
        "adamforge.sdtm_io.read_sdtm", lambda f, domains=None, *, log=None, **kw: {d: sdtm[d] for d in domains}
    )


def test_failed_run_removes_stale_outputs_and_names_every_problem(tmp_path, monkeypatch, tiny_sdtm):
    sdtm = tiny_sdtm
    sdtm["DM"].loc[1, "SEX"] = "U"
    sdtm["QS"].loc[0, "USUBJID"] = "S-999-9"
    out = tmp_path / "out"
    _fake_reader(monkeypatch, sdtm, out / "sdtm")
    (out / "adam").mkdir(parents=True)
    (out / "adam" / "adsl.parquet").write_bytes(b"stale")
    code = cli.main(["derive", "--out", str(out), "--quiet"])
    assert code == EXIT_FAILED
    assert not (out / "adam" / "adsl.parquet").exists() and not (out / "adam" / "adeff.parquet").exists()
    log = (out / "adamforge.log").read_text()
    assert "[SDTM-CT-001] DM.SEX [USUBJID=S-101-2]" in log and "[SDTM-SUBJ-001] QS.USUBJID [USUBJID=S-999-9]" in log
    assert "Removed stale" in log


def test_missing_domain_is_reported_with_the_other_problems(tmp_path, monkeypatch, tiny_sdtm):
    sdtm = tiny_sdtm
    del sdtm["MH"]
    sdtm["DM"].loc[1, "SEX"] = "U"
    out = tmp_path / "out"
    _fake_reader(monkeypatch, sdtm, out / "sdtm")
    assert cli.main(["derive", "--out", str(out), "--quiet"]) == EXIT_FAILED
    log = (out / "adamforge.log").read_text()
    assert "[SDTM-REQ-001] MH: Domain MH is missing" in log and "[SDTM-CT-001] DM.SEX" in log


def test_successful_run_writes_both_datasets(tmp_path, monkeypatch, tiny_sdtm):
    out = tmp_path / "out"
    _fake_reader(monkeypatch, tiny_sdtm, out / "sdtm")
    assert cli.main(["derive", "--out", str(out), "--quiet"]) == EXIT_OK
    adsl = pd.read_parquet(out / "adam" / "adsl.parquet")
    assert adsl["USUBJID"].tolist() == ["S-101-1", "S-101-2"]
    assert "The data set ADAM.ADEFF has" in (out / "adamforge.log").read_text()
