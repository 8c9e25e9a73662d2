"""QC against a reference dataset: a production dataset compared with a dataset the study already
trusts (a validated ADaM dataset shipped with the study), and the differences the QC spec explains.

A ``compare`` entry of the QC spec with ``against`` names the reference file instead of a QC
program's dataset (``docs/qc.md``)::

    compare:
      - dataset: ADQSADAS
        id: [USUBJID, PARAMCD, AVISITN, ADT, DTYPE, QSSEQ]
        production: xpt                        # out/adam/adqsadas.xpt (default: parquet)
        against: {file: validated/adqsadas.parquet, name: validated ADQSADAS}
        explained:                             # expected differences, each with its reason
          - kind: against_only_records
            reason: "ACTOT LOCF records of the pilot: docs/cdiscpilot01.md"
            records:
              - {USUBJID: 01-701-1015, PARAMCD: ACTOT, AVISITN: 8, ADT: 2014-03-05, DTYPE: LOCF, QSSEQ: 5}

``file`` is resolved inside the study's data folder (the SDTM folder the study ships with,
``study: {sdtm: NAME}``; else the spec folder) and may not leave it.

The kinds of explained difference (BASE = production, COMPARE = the ``against`` file):

| kind | matches | names |
|---|---|---|
| ``dataset_label`` | the data set labels differ (return code bit 1) | |
| ``attribute`` | a variable's ``attribute`` (label, length, format, informat, type) differs | ``variables``, ``attribute`` |
| ``production_only_variables`` / ``against_only_variables`` | variables in one side only | ``variables`` |
| ``production_only_records`` / ``against_only_records`` | records (by the ID variables) in one side only | ``records`` |
| ``values`` | unequal values of ``variables`` on the listed records | ``variables``, ``records`` |

Every difference must be explained by an entry, and every entry must explain a difference that
occurred (a stale explanation fails as an unexplained difference would): the comparison is PASS
when nothing differs, PASS WITH EXPLAINED DIFFERENCES when everything that differs is explained,
FAIL otherwise.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from adamforge.errors import DataError, UsageError

__all__ = ["KINDS", "PASS", "PASS_EXPLAINED", "FAIL", "Explained", "resolve_against", "explain", "key_text"]

PASS = "PASS"
PASS_EXPLAINED = "PASS WITH EXPLAINED DIFFERENCES"
FAIL = "FAIL"

KINDS = (
    "dataset_label",
    "attribute",
    "production_only_variables",
    "against_only_variables",
    "production_only_records",
    "against_only_records",
    "values",
)
_NEEDS = {
    "attribute": ("variables", "attribute"),
    "production_only_variables": ("variables",),
    "against_only_variables": ("variables",),
    "production_only_records": ("records",),
    "against_only_records": ("records",),
    "values": ("variables", "records"),
    "dataset_label": (),
}
_ATTRIBUTES = ("label", "length", "format", "informat", "type")
PRODUCTION_FORMATS = {"parquet": ".parquet", "xpt": ".xpt", "json": ".json"}


@dataclasses.dataclass
class Explained:
    """What the explanation of one comparison found."""

    result: str
    explained: list[dict]  # {kind, what, count, reason, records?}
    unexplained: list[str]  # one line per difference not explained (or explanation that explained nothing)
    n_unexplained: int


def resolve_against(entry: Mapping[str, Any], data_dir: Path, *, spec_path: Path) -> Path:
    """The ``against`` file of a compare entry, inside ``data_dir`` (DataError otherwise)."""
    from adamforge.io import safe_child

    against = entry.get("against")
    if isinstance(against, Mapping) and set(map(str, against)) - {"file", "name", "encoding"}:
        raise DataError(
            f"QC spec {spec_path}: compare {entry.get('dataset')}: against takes file, name and encoding, "
            f"not {', '.join(sorted(set(map(str, against)) - {'file', 'name', 'encoding'}))}"
        )
    name = against.get("file") if isinstance(against, Mapping) else against
    if not isinstance(name, str) or not name.strip():
        raise DataError(
            f"QC spec {spec_path}: compare {entry.get('dataset')}: against needs a file "
            "(against: {file: validated/adsl.xpt})"
        )
    try:
        path = safe_child(data_dir, name, what="QC spec against.file")
    except UsageError as exc:
        raise DataError(
            f"QC spec {spec_path}: compare {entry.get('dataset')}: against file {name!r} is not inside "
            f"the study's data folder {data_dir} ({exc})"
        ) from None
    if not path.is_file():
        raise DataError(
            f"QC spec {spec_path}: compare {entry.get('dataset')}: against file {name!r} not found in "
            f"the study's data folder {data_dir}"
        )
    return path


def check_explained(entry: Mapping[str, Any], spec_path: Path) -> list[dict]:
    """The ``explained`` list of an entry, checked (DataError naming every problem)."""
    items = entry.get("explained") or []
    ids = [str(v) for v in entry.get("id") or []]
    problems = []
    if not isinstance(items, list):
        raise DataError(f"QC spec {spec_path}: compare {entry.get('dataset')}: explained must be a list")
    out = []
    for i, it in enumerate(items, 1):
        where = f"compare {entry.get('dataset')}: explained #{i}"
        if not isinstance(it, Mapping):
            problems.append(f"{where}: must be a mapping with kind and reason")
            continue
        kind = it.get("kind")
        if kind not in KINDS:
            problems.append(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
            continue
        if not str(it.get("reason") or "").strip():
            problems.append(f"{where}: a reason is required (say why, and where it is documented)")
        for need in _NEEDS[kind]:
            if it.get(need) in (None, "", []):
                problems.append(f"{where}: kind {kind} needs {need}")
        if kind == "attribute" and it.get("attribute") not in _ATTRIBUTES:
            problems.append(f"{where}: attribute must be one of {', '.join(_ATTRIBUTES)}")
        unknown = set(it) - {"kind", "reason", *_NEEDS[kind]}
        if unknown:
            problems.append(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        recs = it.get("records") or []
        for j, r in enumerate(recs if isinstance(recs, list) else [None], 1):
            if not isinstance(r, Mapping) or sorted(map(str, r)) != sorted(ids):
                problems.append(f"{where}: record #{j} must give exactly the ID variables {', '.join(ids)}")
                break
        vs = it.get("variables")
        if vs is not None and not isinstance(vs, (list, str)):
            problems.append(f"{where}: variables must be a name or a list of names")
        out.append(dict(it))
    if problems:
        raise DataError(f"QC spec {spec_path}: explained differences not readable", problems)
    return out


def key_text(v) -> str:
    """An ID value as text for matching: numbers without a trailing .0, dates as YYYY-MM-DD,
    text without trailing blanks, missing as blank."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return ""
    if isinstance(v, (pd.Timestamp, _dt.datetime)):
        ts = pd.Timestamp(v)
        return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.isoformat()
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, (bool, np.bool_)):
        return str(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        f = float(v)
        return str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)
    try:
        if pd.isna(v):
            return ""
    except (TypeError, ValueError):
        pass
    return str(v).rstrip()


def _keys(frame: pd.DataFrame, ids: Sequence[str]) -> list[tuple[str, ...]]:
    if not len(frame):
        return []
    cols = [frame[c].tolist() for c in ids]
    return [tuple(key_text(x) for x in row) for row in zip(*cols)]


def _rec_key(rec: Mapping, ids: Sequence[str]) -> tuple[str, ...]:
    return tuple(key_text(rec.get(v)) for v in ids)


def _names(v) -> list[str]:
    return [v] if isinstance(v, str) else [str(x) for x in v]


def _fmt(key: tuple[str, ...], ids: Sequence[str]) -> str:
    return ", ".join(f"{v}={k}" for v, k in zip(ids, key))


def explain(res, items: Sequence[Mapping[str, Any]]) -> Explained:
    """Match every difference of ``res`` (a :class:`~adamforge.validation.compare.CompareResult`,
    BASE = production, COMPARE = the ``against`` file) with the explained differences ``items``."""
    ids = list(res.id_vars)
    unexplained: list[str] = []
    done: list[dict] = []
    used = [0] * len(items)

    def take(kind, pred):
        for i, it in enumerate(items):
            if it["kind"] == kind and pred(it):
                used[i] += 1
                return it
        return None

    # dataset label
    if res.return_code & 1:
        what = f"data set label: BASE {res.base.label!r}, COMPARE {res.compare.label!r}"
        it = take("dataset_label", lambda it: True)
        (
            done.append({"kind": "dataset_label", "what": what, "count": 1, "reason": it["reason"]})
            if it
            else unexplained.append(what)
        )
    # attributes
    for d in res.variables.differences:
        what = f"variable {d.variable}: {d.attribute} BASE {d.base!r}, COMPARE {d.compare!r}"
        it = take("attribute", lambda it, d=d: it["attribute"] == d.attribute and d.variable in _names(it["variables"]))
        (
            done.append({"kind": "attribute", "what": what, "count": 1, "reason": it["reason"]})
            if it
            else unexplained.append(what)
        )
    # variables in one side only
    for kind, names, side in (
        ("production_only_variables", res.variables.base_only, "BASE"),
        ("against_only_variables", res.variables.compare_only, "COMPARE"),
    ):
        for v in names:
            what = f"variable {v} only in {side}"
            it = take(kind, lambda it, v=v: v in _names(it["variables"]))
            (
                done.append({"kind": kind, "what": what, "count": 1, "reason": it["reason"]})
                if it
                else unexplained.append(what)
            )
    # records in one side only
    for kind, frame, side in (
        ("production_only_records", res.observations.base_only, "BASE"),
        ("against_only_records", res.observations.compare_only, "COMPARE"),
    ):
        listed: dict[tuple[str, ...], int] = {}
        for i, it in enumerate(items):
            if it["kind"] == kind:
                for rec in it["records"]:
                    listed.setdefault(_rec_key(rec, ids), i)
        actual = _keys(frame, ids) if ids else []
        hit: dict[int, list[str]] = {}
        for key in actual:
            at = listed.pop(key, None)
            if at is None:
                unexplained.append(f"record only in {side}: {_fmt(key, ids) if ids else key}")
            else:
                used[at] += 1
                hit.setdefault(at, []).append(_fmt(key, ids))
        if not ids and len(frame):
            unexplained.extend(f"observation {o} only in {side}" for o in frame.iloc[:, 0].tolist())
        for key, i in listed.items():  # listed but not a difference: the explanation is stale
            unexplained.append(
                f"explained #{i + 1} ({kind}) lists a record that is not only in {side}: {_fmt(key, ids)}"
            )
        for i, recs in sorted(hit.items()):
            done.append(
                {
                    "kind": kind,
                    "what": f"{len(recs)} record(s) only in {side}",
                    "count": len(recs),
                    "reason": items[i]["reason"],
                    "records": recs,
                }
            )
    # unequal values
    diffs = res.differences
    if len(diffs):
        keys = _keys(diffs, ids) if ids else [(str(o),) for o in diffs["OBS"].tolist()]
        per: dict[int, int] = {}
        for key, var, b, c in zip(keys, diffs["VARIABLE"].tolist(), diffs["BASE"].tolist(), diffs["COMPARE"].tolist()):
            found = None
            for i, it in enumerate(items):
                if (
                    it["kind"] == "values"
                    and var in _names(it["variables"])
                    and key in {_rec_key(r, ids) for r in it["records"]}
                ):
                    found = i
                    break
            if found is None:
                unexplained.append(
                    f"value of {var} unequal at {_fmt(key, ids) if ids else key}: BASE {b!r}, COMPARE {c!r}"
                )
            else:
                used[found] += 1
                per[found] = per.get(found, 0) + 1
        for i, n in sorted(per.items()):
            done.append(
                {
                    "kind": "values",
                    "what": f"{n} unequal value(s) of {', '.join(_names(items[i]['variables']))}",
                    "count": n,
                    "reason": items[i]["reason"],
                }
            )
    for i, it in enumerate(items):
        if not used[i] and it["kind"] not in ("production_only_records", "against_only_records"):
            unexplained.append(
                f"explained #{i + 1} ({it['kind']}) explains no difference that occurred: remove it "
                "from the QC spec or find out why the difference went away"
            )
        elif not used[i]:
            pass  # its records are already named above as stale
    result = FAIL if unexplained else (PASS_EXPLAINED if done else PASS)
    return Explained(result=result, explained=done, unexplained=unexplained, n_unexplained=len(unexplained))
