"""ADaM dataset classes: which of a spec's datasets is the subject-level one, which are BDS, ...

The steps after derive (validate, tlf, export) know no dataset by name: they ask the spec. A
dataset's class is its program's ``class`` (``ADSL``, ``BDS``, ``OCCDS``, ``TTE``, ``OTHER``)
or, without a program, the define.xml class of its metadata (``SUBJECT LEVEL ANALYSIS
DATASET``, ``BASIC DATA STRUCTURE``, ``OCCURRENCE DATA STRUCTURE``, ...), normalised to the
short names.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CLASS_NAMES", "normalise_class", "dataset_class", "datasets_of_class", "subject_level_dataset"]

#: define.xml class names (ADaM-IG) and their short names
CLASS_NAMES = {
    "ADSL": "ADSL",
    "SUBJECT LEVEL ANALYSIS DATASET": "ADSL",
    "BDS": "BDS",
    "BASIC DATA STRUCTURE": "BDS",
    "OCCDS": "OCCDS",
    "OCCURRENCE DATA STRUCTURE": "OCCDS",
    "TTE": "TTE",
    "TIME-TO-EVENT": "TTE",
    "TIME TO EVENT": "TTE",
    "OTHER": "OTHER",
    "ADAM OTHER": "OTHER",
}


def normalise_class(text: str | None) -> str:
    """``"BASIC DATA STRUCTURE"`` -> ``"BDS"``; an unknown or empty class -> ``""``."""
    return CLASS_NAMES.get(str(text or "").strip().upper(), "")


def dataset_class(spec: Any, name: str) -> str:
    """The short class of dataset ``name`` of ``spec``: its program's, else its metadata's, else ``""``."""
    progs = getattr(spec, "programs", None) or {}
    if name in progs:
        cls = normalise_class(getattr(progs[name], "class_", ""))
        if cls:
            return cls
    dsets = getattr(spec, "datasets", None) or {}
    if name in dsets:
        return normalise_class(getattr(dsets[name], "class_", ""))
    return ""


def datasets_of_class(spec: Any, cls: str) -> list[str]:
    """The output datasets of ``spec`` (its ``datasets``, in spec order) of class ``cls``."""
    return [n for n in (getattr(spec, "datasets", None) or {}) if dataset_class(spec, n) == cls]


def subject_level_dataset(spec: Any) -> str | None:
    """The spec's subject-level dataset (class ADSL), ``None`` when it has none."""
    found = datasets_of_class(spec, "ADSL")
    return found[0] if found else None
