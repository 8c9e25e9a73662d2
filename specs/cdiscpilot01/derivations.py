"""CDISC Pilot 01's own derivations (a study plugin, named by ``plugins:`` in adam_datasets.yaml).

Two rules of the pilot's SAP that the generic vocabulary does not express:

* ``derive_var_site_pool`` - SAP section 7.1: a site with fewer than ``min_per_group`` subjects
  in any treatment group is pooled into one pseudo-site (``900``); other sites keep SITEID.
* ``derive_vars_titrated_dose`` - the cumulative dose of the pilot's forced-titration arm
  (Xanomeline High Dose: 54 mg/day until Week 2 (visit 4), 81 mg/day until Week 24 (visit 12),
  54 mg/day after), and a fixed daily dose for the other arms.

Both take their numbers from the spec (arguments), never from the validated data.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from adamforge.adam import derivation


def _text(col: pd.Series) -> pd.Series:
    return col.astype("object").where(col.notna(), "").astype(str).str.strip()


@derivation
def derive_var_site_pool(dataset: pd.DataFrame, *, group_var: str, min_per_group: int, pooled_value: str,
                         site_var: str = "SITEID", new_var: str = "SITEGR1") -> pd.DataFrame:
    """``new_var`` = ``site_var``, or ``pooled_value`` for a site with fewer than ``min_per_group``
    subjects (records) in any of the groups of ``group_var`` present in the dataset."""
    for v in (group_var, site_var):
        if v not in dataset.columns:
            raise ValueError(f"derive_var_site_pool: dataset lacks {v}")
    site, grp = _text(dataset[site_var]), _text(dataset[group_var])
    groups = sorted(set(grp[grp != ""]))
    counts = pd.crosstab(site, grp).reindex(columns=groups, fill_value=0)
    small = counts.index[(counts < int(min_per_group)).any(axis=1)]
    out = dataset.copy(deep=False)
    out[new_var] = np.where(site.isin(list(small)), pooled_value, site).astype(object)
    return out


@derivation
def derive_vars_titrated_dose(dataset: pd.DataFrame, visits: pd.DataFrame, *, dose_var: str,
                              titrated_dose: float, schedule: Sequence[Mapping[str, Any]],
                              start_date: str = "TRTSDT", end_date: str = "TRTEDT",
                              visit_var: str = "VISITNUM", visit_date: str = "SVSTDTC",
                              new_var: str = "CUMDOSE") -> pd.DataFrame:
    """Cumulative planned dose from the treatment dates and, for the titrated arm, the visit dates.

    A subject whose ``dose_var`` is not ``titrated_dose`` gets ``dose_var * (end - start + 1)``.
    A subject of the titrated arm gets the sum over the ``schedule`` intervals
    (``[{until_visit: 4, dose: 54}, {until_visit: 12, dose: 81}, {dose: 54}]``): the first
    interval runs from ``start_date`` to the date of ``until_visit`` (both days counted), each
    later one from the previous visit date (excluded) to its own visit date, the last to
    ``end_date``; every interval is cut at ``end_date``, and an interval whose visit has no date
    (the subject left before it) ends at ``end_date``.
    """
    for v in (dose_var, start_date, end_date, "USUBJID"):
        if v not in dataset.columns:
            raise ValueError(f"derive_vars_titrated_dose: dataset lacks {v}")
    start = pd.to_datetime(dataset[start_date])
    end = pd.to_datetime(dataset[end_date])
    dose = pd.to_numeric(dataset[dose_var], errors="coerce")
    days = (end - start).dt.days + 1
    total = dose * days
    titr = (dose == float(titrated_dose)).to_numpy()
    if titr.any():
        vd = visits.assign(_D=pd.to_datetime(visits[visit_date], errors="coerce"))
        acc = pd.Series(0.0, index=dataset.index)
        prev = start - pd.Timedelta(days=1)  # the first interval counts its first day
        for item in schedule:
            until = item.get("until_visit")
            if until is None:
                bound = end
            else:
                first = vd.loc[vd[visit_var] == float(until)].drop_duplicates("USUBJID").set_index("USUBJID")["_D"]
                bound = dataset["USUBJID"].map(first)
                bound = pd.to_datetime(bound).where(pd.to_datetime(bound).notna(), end)
            bound = bound.where(bound <= end, end)
            n = (bound - prev).dt.days.clip(lower=0)
            acc = acc + float(item["dose"]) * n.fillna(0)
            prev = bound.where(bound > prev, prev)
        total = total.where(~titr, acc.where(start.notna() & end.notna()))
    out = dataset.copy(deep=False)
    out[new_var] = total.astype("float64")
    return out
