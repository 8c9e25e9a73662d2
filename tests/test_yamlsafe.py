"""Bounded YAML (adamforge.yamlsafe): size, alias bombs, cycles, syntax; every spec load goes through it."""

from __future__ import annotations

import time

import pytest

from adamforge.errors import DataError
from adamforge.yamlsafe import MAX_YAML_BYTES, YamlFileError, load_yaml, load_yaml_text


def _bomb(levels=9, width=9) -> str:
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_fast_naming_the_file(tmp_path):
    f = tmp_path / "adam_bomb.yaml"
    f.write_text(_bomb())
    t0 = time.perf_counter()
    with pytest.raises(YamlFileError) as exc:
        load_yaml(f)
    assert time.perf_counter() - t0 < 5
    assert str(f) in str(exc.value) and "MAX_YAML_NODES" in str(exc.value) and "alias" in str(exc.value)
    assert isinstance(exc.value, DataError) and exc.value.exit_code == 1


def test_ordinary_aliases_still_work():
    data = load_yaml_text("base: &b {label: Age, type: num}\nAGE: *b\nAGEGR1: {<<: *b, label: Age group}\n")
    assert data["AGE"] == {"label": "Age", "type": "num"}
    assert data["AGEGR1"] == {"label": "Age group", "type": "num"}


def test_self_referencing_alias_is_refused():
    with pytest.raises(YamlFileError, match="cycle"):
        load_yaml_text("a: &x [1, *x]\n", source="cyc.yaml")


def test_node_limit_counts_expanded_aliases():
    assert load_yaml_text(_bomb(levels=3, width=3), max_nodes=100)["a2"][0][0] == ["lol"] * 3
    with pytest.raises(YamlFileError, match="more than 10 values"):
        load_yaml_text(_bomb(levels=3, width=3), max_nodes=10)


def test_file_size_is_bounded(tmp_path):
    f = tmp_path / "big.yaml"
    f.write_text("x: " + "y" * 200 + "\n")
    with pytest.raises(YamlFileError, match=r"big.yaml' is 204 bytes, more than the limit of 100"):
        load_yaml(f, max_bytes=100)
    assert MAX_YAML_BYTES == 10 * 1024 * 1024


def test_syntax_errors_and_unsafe_tags_name_the_file(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("a: [1,\n")
    with pytest.raises(YamlFileError, match="bad.yaml' is not valid YAML"):
        load_yaml(f)
    f.write_text("a: !!python/object/apply:os.system ['id']\n")
    with pytest.raises(YamlFileError, match="bad.yaml"):
        load_yaml(f)


def test_spec_loaders_go_through_the_bounded_loader(tmp_path):
    """The TLF spec and the ADaM spec refuse the bomb with the file named (no hang, no MemoryError)."""
    from adamforge.adam.spec import load_spec
    from adamforge.tlf.spec import load_tlf_spec

    (tmp_path / "tlf.yaml").write_text(_bomb())
    with pytest.raises(DataError, match="tlf.yaml"):
        load_tlf_spec(tmp_path / "tlf.yaml")
    (tmp_path / "adam_bomb.yaml").write_text(_bomb())
    with pytest.raises(DataError) as exc:
        load_spec(tmp_path)
    assert "adam_bomb.yaml" in str(exc.value) and "MAX_YAML_NODES" in str(exc.value)


def test_no_direct_yaml_load_left_in_the_package():
    """Every YAML read goes through adamforge.yamlsafe (a grep, so a new loader cannot slip in)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    hits = []
    for folder in ("adamforge", "adam", "tlf", "validation", "sdtm_sample"):
        for p in (root / folder).rglob("*.py"):
            if p.name != "yamlsafe.py" and re.search(r"yaml\.(safe_load|load|full_load|unsafe_load)\(", p.read_text()):
                hits.append(str(p.relative_to(root)))
    assert hits == []
