"""The derive step: a failed run writes nothing and removes stale outputs; errors list every problem."""

from __future__ import annotations

import importlib.util

import pandas as pd

from adamforge import cli
from adamforge.errors import EXIT_FAILED, EXIT_OK

_spec = importlib.util.spec_from_file_location("_tiny", __file__.replace("test_step.py", "test_inputs.py"))
_tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tiny)




def test_failed_run_removes_stale_outputs_and_names_every_problem(tmp_path, monkeypatch):
    sdtm = _tiny._sdtm()
    sdtm["DM"].loc[1, "SEX"] = "U"
    sdtm["QS"].loc[0, "USUBJID"] = "S-999-9"
    monkeypatch.setattr("adamforge.sdtm_io.read_sdtm", lambda folder: sdtm)
    out = tmp_path / "out"
    (out / "adam").mkdir(parents=True)
    (out / "adam" / "adsl.parquet").write_bytes(b"stale")
    (out / "sdtm").mkdir()
    code = cli.main(["derive", "--out", str(out), "--quiet"])
    assert code == EXIT_FAILED
    assert not (out / "adam" / "adsl.parquet").exists() and not (out / "adam" / "adeff.parquet").exists()
    log = (out / "adamforge.log").read_text()
    assert "DM.SEX: value outside codelist SEX" in log and "QS.USUBJID: subject not in DM" in log
    assert "Removed stale" in log


def test_successful_run_writes_both_datasets(tmp_path, monkeypatch):
    monkeypatch.setattr("adamforge.sdtm_io.read_sdtm", lambda folder: _tiny._sdtm())
    out = tmp_path / "out"
    (out / "sdtm").mkdir(parents=True)
    assert cli.main(["derive", "--out", str(out), "--quiet"]) == EXIT_OK
    adsl = pd.read_parquet(out / "adam" / "adsl.parquet")
    assert adsl["USUBJID"].tolist() == ["S-101-1", "S-101-2"]
    assert "The data set ADAM.ADEFF has" in (out / "adamforge.log").read_text()
