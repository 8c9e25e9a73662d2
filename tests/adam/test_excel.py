"""Excel (P21-style) spec workbook: round trip and malformed workbooks."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from adamforge.adam.excel import SHEETS, read_spec_xlsx, write_spec_xlsx
from adamforge.adam.spec import load_spec
from adamforge.context import default_spec_dir
from adamforge.errors import DataError


def test_yaml_to_xlsx_to_model_round_trip_is_equal(tmp_path):
    spec = load_spec(default_spec_dir(), policy="submission")
    path = write_spec_xlsx(spec, tmp_path / "spec.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == [*SHEETS, "Programs"]  # the optional Plugins sheet is left out: no plugins
    assert [c.value for c in wb["Variables"][1]][:4] == ["Order", "Dataset", "Variable", "Label"]
    back = read_spec_xlsx(path, policy="submission")
    assert back == spec
    assert back.datasets["ADEFF"].variables["AVISITN"] == spec.datasets["ADEFF"].variables["AVISITN"]
    assert back.endpoint("QOLR") == spec.endpoint("QOLR")
    assert back.programs["ADEFFOBS"] == spec.programs["ADEFFOBS"]  # the dataset programs survive too
    assert back.method_args("MT.AGEGR1") == {
        "source_var": "AGE",
        "new_var": "AGEGR1",
        "ranges": [[12, 18, "12-17"], [18, 65, "18-64"], [65, None, ">=65"]],
    }


def test_edited_workbook_is_cross_checked(tmp_path):
    spec = load_spec(default_spec_dir())
    path = write_spec_xlsx(spec, tmp_path / "spec.xlsx")
    wb = load_workbook(path)
    ws = wb["Variables"]
    ws.cell(row=2, column=4, value="A label that is far too long for SAS XPT v5 files")
    wb.save(path)
    with pytest.raises(DataError) as ei:
        read_spec_xlsx(path, policy="submission")
    assert ei.value.problems == [
        "ADSL.STUDYID: label longer than 40 characters (49): 'A label that is far too long for SAS XPT v5 files'"
    ]


def test_missing_sheet_is_a_clear_error(tmp_path):
    spec = load_spec(default_spec_dir())
    path = write_spec_xlsx(spec, tmp_path / "spec.xlsx")
    wb = load_workbook(path)
    del wb["Windows"]
    wb.save(path)
    with pytest.raises(DataError) as ei:
        read_spec_xlsx(path)
    assert ei.value.problems == ["sheet 'Windows' is missing"]


def test_load_spec_and_the_cli_accept_a_workbook_file(tmp_path):
    """``--spec spec.xlsx``: load_spec reads a workbook path like a YAML folder."""
    from adamforge import cli

    spec = load_spec(default_spec_dir(), policy="dev")
    path = write_spec_xlsx(spec, tmp_path / "spec.xlsx")
    assert load_spec(path, policy="dev").datasets == spec.datasets
    with pytest.raises(DataError, match="does not exist"):
        load_spec(tmp_path / "nope.xlsx")
    args = cli.build_parser().parse_args(["export", "--out", str(tmp_path / "o"), "--spec", str(path)])
    ctx = cli._context(args)
    assert load_spec(ctx.spec).datasets.keys() == spec.datasets.keys()
