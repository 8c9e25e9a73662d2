"""The closed vocabulary: registry lookups and signature checks."""

from __future__ import annotations

import pytest

from adamforge.adam import registry


def test_every_registry_entry_imports_and_is_documented():
    for name in registry.REGISTRY:
        fn = registry.REGISTRY[name]
        assert fn.__name__ == name and fn.__doc__


def test_check_arguments_names_unknown_and_missing_arguments():
    fn = registry.REGISTRY["derive_var_efffl"]
    assert registry.check_arguments(fn, {"excluded_sites": [], "new_var": "X"}) == []
    assert registry.check_arguments(fn, {"sites": []}) == [
        "argument 'sites' is not a keyword argument of derive_var_efffl "
        "(accepted: excluded_sites, pop_var, site_var, new_var)"]
    assert registry.check_arguments(fn, {}, complete=True) == ["required argument 'excluded_sites' of derive_var_efffl is missing"]


def test_criteria_are_data_never_code():
    assert registry.check_criterion("AVAL <= 1") == ["a criterion must be a one-key mapping {name: args}, got 'AVAL <= 1'"]
    assert registry.check_criterion({"__import__": "os"})[0].startswith("criterion '__import__' is not in the criteria registry")
    assert registry.check_criterion({"any_of": []}) == ["criterion any_of: 'criteria' must be a non-empty list of criteria"]
    assert registry.check_criterion({"all_of": [{"chg_le": -2}, {"aval_in": {"value": 1}}]}) == [
        "criterion aval_in: argument 'value' is not a keyword argument of aval_in (accepted: values)",
        "criterion aval_in: required argument 'values' of aval_in is missing"]
    with pytest.raises(KeyError, match="not a registered derivation"):
        registry.get("eval")
