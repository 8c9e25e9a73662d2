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
        "(accepted: excluded_sites, pop_var, site_var, new_var)"
    ]
    assert registry.check_arguments(fn, {}, complete=True) == [
        "required argument 'excluded_sites' of derive_var_efffl is missing"
    ]


def test_criteria_are_data_never_code():
    assert registry.check_criterion("AVAL <= 1") == [
        "a criterion must be a one-key mapping {name: args}, got 'AVAL <= 1'"
    ]
    assert registry.check_criterion({"__import__": "os"})[0].startswith(
        "criterion '__import__' is not in the criteria registry"
    )
    assert registry.check_criterion({"any_of": []}) == [
        "criterion any_of: 'criteria' must be a non-empty list of criteria"
    ]
    assert registry.check_criterion({"all_of": [{"chg_le": -2}, {"aval_in": {"value": 1}}]}) == [
        "criterion aval_in: argument 'value' is not a keyword argument of aval_in (accepted: values)",
        "criterion aval_in: required argument 'values' of aval_in is missing",
    ]
    with pytest.raises(KeyError, match="not a registered derivation"):
        registry.get("eval")


def test_thresholds_hold_at_the_boundary_despite_binary_noise():
    """55/7 -> 27/7 is a 4-point reduction; 2.8 -> 0.7 is a 75% improvement (plan: '>=')."""
    import pandas as pd

    from adamforge.adam.registry import chg_le, pchg_le

    chg = pd.Series([27 / 7 - 55 / 7, -3.99, -4.0, float("nan")])
    assert chg.iloc[0] > -4  # the noise this guards against
    assert chg_le(pd.DataFrame({"CHG": chg}), value=-4).tolist()[:3] == [1.0, 0.0, 1.0]
    pchg = pd.Series([(0.7 - 2.8) / 2.8 * 100, -74.9])
    assert pchg.iloc[0] > -75
    assert pchg_le(pd.DataFrame({"PCHG": pchg}), value=-75).tolist() == [1.0, 0.0]
