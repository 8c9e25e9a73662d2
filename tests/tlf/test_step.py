"""The `adamforge tlf` step: reads out/adam, writes out/tlf as a whole or not at all."""

import yaml

from adamforge import cli
from adamforge.errors import EXIT_FAILED, EXIT_OK


def _setup(tmp_path, adsl, adeff, spec_raw):
    adam = tmp_path / "out" / "adam"
    adam.mkdir(parents=True)
    adsl.to_parquet(adam / "adsl.parquet")
    adeff.to_parquet(adam / "adeff.parquet")
    spec = tmp_path / "tlf.yaml"
    spec.write_text(yaml.safe_dump(spec_raw, sort_keys=False))
    return tmp_path / "out", spec


def test_step_writes_every_output(tmp_path, adsl, adeff, tiny_spec_raw, monkeypatch):
    monkeypatch.setenv("ADAMFORGE_TIMESTAMP", "2026-02-03T04:05:06")
    out, spec = _setup(tmp_path, adsl, adeff, tiny_spec_raw)
    code = cli.main(["tlf", "--out", str(out), "--tlf-spec", str(spec), "--quiet"])
    assert code == EXIT_OK
    names = sorted(p.name for p in (out / "tlf").iterdir())
    assert names == [
        "ard.csv",
        "ard.json",
        "figure_2.docx",
        "figure_2.png",
        "figure_2.rtf",
        "listing_1.docx",
        "listing_1.rtf",
        "table_1.docx",
        "table_1.rtf",
        "table_2.docx",
        "table_2.rtf",
        "table_3.docx",
        "table_3.rtf",
        "tlf_all.docx",
        "tlf_all.rtf",
    ]
    log = (out / "adamforge.log").read_text()
    assert "comparison(s) with separation: Firth estimates shown" in log
    assert "NOTE: Step TLF ended" in log


def test_bad_input_fails_cleanly_and_leaves_nothing_stale(tmp_path, adsl, adeff, tiny_spec_raw):
    """A failed tlf names the problem, writes nothing, and removes the earlier output that no
    longer matches the ADaM (the run's rule: nothing stale looks valid)."""
    out, spec = _setup(tmp_path, adsl, adeff, tiny_spec_raw)
    prev = out / "tlf"
    prev.mkdir()
    (prev / "table_1.docx").write_bytes(b"previous complete output")
    adeff[adeff["PARAMCD"] != "EASI50"].to_parquet(out / "adam" / "adeff.parquet")
    code = cli.main(["tlf", "--out", str(out), "--tlf-spec", str(spec), "--quiet"])
    assert code == EXIT_FAILED
    log = (out / "adamforge.log").read_text()
    assert "ADEFF.PARAMCD: EASI50 not found at AVISIT='Week 8' (needed by Table 2)" in log
    assert not prev.exists()
    assert "Removed 1 earlier output(s) of step tlf (the step failed)" in log
    assert not [p for p in out.iterdir() if "staging" in p.name]


def test_missing_adam_is_a_clear_error(tmp_path, tiny_spec_raw):
    spec = tmp_path / "tlf.yaml"
    spec.write_text(yaml.safe_dump(tiny_spec_raw))
    code = cli.main(["tlf", "--out", str(tmp_path / "o"), "--tlf-spec", str(spec), "--quiet"])
    assert code == EXIT_FAILED
    assert "adsl.parquet not found (run `adamforge derive` first)" in (tmp_path / "o" / "adamforge.log").read_text()


def test_reference_spec_loads():
    from adamforge.context import default_spec_dir
    from adamforge.tlf.spec import load_tlf_spec

    spec = load_tlf_spec(default_spec_dir() / "tlf.yaml")
    assert [o.id for o in spec.outputs] == [
        "Table 1",
        "Table 2",
        "Table 3",
        "Figure 2",
        "Figure 3",
        "Figure 4",
        "Figure 5",
        "Figure 6",
        "Figure 7",
        "Listing 1",
    ]
    assert spec.covariates == ("STUDYID",) and spec.reference == 1


def test_datasets_default_to_the_adam_spec_classes(tiny_spec_raw):
    """A TLF spec without `datasets` reads the ADaM spec's ADSL-class dataset and its one BDS dataset."""
    import types

    import pytest

    from adamforge.errors import DataError
    from adamforge.tlf.spec import parse_tlf_spec
    from adamforge.tlf.step import resolve_datasets

    raw = {k: v for k, v in tiny_spec_raw.items() if k != "datasets"}
    ds = lambda cls: types.SimpleNamespace(class_=cls)  # noqa: E731
    adam = types.SimpleNamespace(
        programs={}, datasets={"ADSUBJ": ds("SUBJECT LEVEL ANALYSIS DATASET"), "ADRESP": ds("BASIC DATA STRUCTURE")}
    )
    spec = resolve_datasets(parse_tlf_spec(raw), adam)
    assert (spec.subject_dataset, spec.analysis_dataset) == ("ADSUBJ", "ADRESP")
    adam.datasets["ADLB"] = ds("BASIC DATA STRUCTURE")
    with pytest.raises(DataError) as exc:
        resolve_datasets(parse_tlf_spec(raw), adam)
    assert "2 BDS datasets (ADRESP, ADLB): name one" in str(exc.value.problems)
    named = parse_tlf_spec({**raw, "datasets": {"subject": "adsubj", "analysis": "ADLB"}})
    assert resolve_datasets(named, None).analysis_dataset == "ADLB"


def test_response_outputs_need_the_analysis_visit(tmp_path):
    """No study's visit is assumed: a response output without analysis_visit is a TLF spec problem."""
    import pytest
    import yaml

    from adamforge.context import default_spec_dir
    from adamforge.errors import DataError
    from adamforge.tlf.spec import load_tlf_spec

    raw = yaml.safe_load((default_spec_dir() / "tlf.yaml").read_text(encoding="utf-8"))
    del raw["analysis_visit"]
    (tmp_path / "tlf.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(DataError) as ei:
        load_tlf_spec(tmp_path / "tlf.yaml")
    assert any("give analysis_visit" in p for p in ei.value.problems)
