"""The derive step's input check: a thin wrapper of the one SDTM input-check layer.

The checks live in :mod:`adamforge.validation.sdtm_checks` (``validate`` and the SDTM gate of
``adamforge run`` run the same ones), driven by the spec: what the programs read
(:func:`adamforge.adam.program.input_readers`) and the spec's ``inputs`` section
(:mod:`adamforge.adam.input_rules`). Nothing here knows a study.

:func:`check_sdtm` runs them with ``scope="programs"`` (the frames hold what the programs read)
and returns the ERROR-level findings as lines; the ``derive`` step raises one
:class:`~adamforge.errors.DataError` listing them, before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .spec import Spec

__all__ = ["check_sdtm", "input_findings", "slim_sdtm"]


def input_findings(sdtm: Mapping[str, pd.DataFrame], spec: Spec, *, scope: str = "programs"):
    """Every finding of the SDTM input checks (:class:`adamforge.findings.Finding`, all severities)."""
    from adamforge.validation.sdtm_checks import SdtmCheckOptions
    from adamforge.validation.sdtm_checks import check_sdtm as _check

    return _check(sdtm, spec, options=SdtmCheckOptions(scope=scope)).findings


def check_sdtm(sdtm: Mapping[str, pd.DataFrame], spec: Spec) -> list[str]:
    """The ERROR-level problems of the SDTM input for deriving the spec's datasets, one line each.

    Each line is :meth:`adamforge.findings.Finding.line`: rule, domain, variable, record keys and
    a message (a missing domain or variable names the program step that reads it).

    Returns
    -------
    list[str] : empty when the input is fit to derive from.
    """
    return [f.line() for f in input_findings(sdtm, spec) if f.severity == "ERROR"]


def slim_sdtm(sdtm: Mapping[str, pd.DataFrame], spec: Spec) -> dict[str, pd.DataFrame]:
    """Only the domains and variables the spec's programs read (those present): less memory at scale."""
    from .program import required_inputs

    out = {}
    for dom, variables in required_inputs(spec).items():
        df = sdtm.get(dom)
        if df is not None:
            out[dom] = df if variables is None else df[[c for c in variables if c in df.columns]]
    return out
