"""Findings as data: validation, conformance and QC results share one record shape.

A finding is one problem on one record (or one dataset / variable). Collect them all, then
render (terminal summary, JSON, HTML) and turn them into an exit code. Never stop at the first.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

SEVERITIES = ("ERROR", "WARNING", "NOTE")


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem.

    Parameters
    ----------
    rule_id : a stable identifier of the rule, e.g. ``"SDTM-KEY-001"``.
    severity : ``"ERROR"``, ``"WARNING"`` or ``"NOTE"``.
    dataset, variable : where (empty string when not applicable).
    keys : the record's key variables and values, e.g. ``{"USUBJID": "X-1", "QSSEQ": 3}``.
    value : the offending value, as text.
    message : a sentence a programmer can act on.
    """

    rule_id: str
    severity: str
    dataset: str
    variable: str
    message: str
    keys: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    value: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")

    def where(self) -> str:
        """``DATASET.VARIABLE [KEY=VALUE, ...]`` for one-line messages."""
        loc = ".".join(x for x in (self.dataset, self.variable) if x)
        if self.keys:
            loc += " [" + ", ".join(f"{k}={v}" for k, v in self.keys.items()) + "]"
        return loc

    def line(self) -> str:
        """One log line, SAS style: ``ERROR: [RULE] where: message (value)``."""
        val = f" (value: {self.value})" if self.value != "" else ""
        return f"{self.severity}: [{self.rule_id}] {self.where()}: {self.message}{val}"


COLUMNS = ["rule_id", "severity", "dataset", "variable", "keys", "value", "message"]


def to_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """Findings as a DataFrame with :data:`COLUMNS` (``keys`` rendered as ``K=V; ...``)."""
    rows = [
        {
            "rule_id": f.rule_id,
            "severity": f.severity,
            "dataset": f.dataset,
            "variable": f.variable,
            "keys": "; ".join(f"{k}={v}" for k, v in f.keys.items()),
            "value": f.value,
            "message": f.message,
        }
        for f in findings
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def to_json(findings: Iterable[Finding]) -> str:
    """Findings as a JSON array (keys kept as an object), sorted for reproducibility."""
    recs = [{**dataclasses.asdict(f), "keys": {k: _plain(v) for k, v in f.keys.items()}} for f in findings]
    recs.sort(
        key=lambda r: (
            r["severity"] != "ERROR",
            r["rule_id"],
            r["dataset"],
            r["variable"],
            json.dumps(r["keys"], sort_keys=True),
        )
    )
    return json.dumps(recs, indent=2, ensure_ascii=False) + "\n"


def count_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    """``{"ERROR": n, "WARNING": n, "NOTE": n}``."""
    out = dict.fromkeys(SEVERITIES, 0)
    for f in findings:
        out[f.severity] += 1
    return out


def _plain(v: Any) -> Any:
    if hasattr(v, "item"):
        return v.item()
    return v
