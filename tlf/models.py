"""Model-based statistics of the layered tables: ANCOVA with least-squares means, dose response,
Kaplan-Meier and the log-rank test (numpy and scipy; no formula language).

Each function raises :class:`ModelError` with a reason a reader understands (an arm without
subjects, a singular design, no events) when the model cannot be fitted; the layer then shows a
note instead of numbers (see :mod:`adamforge.tlf.layers`).

* :func:`ancova`: ordinary least squares of ``response`` on the treatment (a class variable),
  class ``factors`` and numeric ``covariates``. Least-squares means as SAS ``LSMEANS`` and R
  ``emmeans`` give them: the model's prediction for each arm at the covariates' means, the class
  factors averaged with equal weights over their levels. Differences of LS means (active - other)
  with their standard error, t-test p-value (residual degrees of freedom) and confidence interval.
* :func:`dose_response`: the same model with the dose as a continuous variable instead of the arm
  (the CDISC pilot's "test for dose response"): slope, its SE and p-value.
* :func:`kaplan_meier`: product-limit estimate with Greenwood variance, median survival and its
  confidence interval by the Brookmeyer-Crowley method on the log-log scale (SAS ``PROC LIFETEST``
  default ``CONFTYPE=LOGLOG``; R ``survfit(conf.type = "log-log")``).
* :func:`logrank`: the log-rank test of K groups (chi-square with K-1 df; SAS ``STRATA`` /
  R ``survdiff``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as _st

__all__ = ["ModelError", "AncovaResult", "ancova", "dose_response", "KmResult", "kaplan_meier", "logrank"]


class ModelError(ValueError):
    """The model cannot be fitted on these data (the message says why)."""


def _class_dummies(s: pd.Series, levels: list) -> np.ndarray:
    return np.column_stack([(s == lev).to_numpy(dtype=float) for lev in levels]) if levels else np.zeros((len(s), 0))


@dataclasses.dataclass(frozen=True)
class AncovaResult:
    """LS means per arm, differences per comparison, residual df and the number of subjects used."""

    lsmeans: dict  # arm value -> (lsmean, se)
    diffs: dict  # (active, other) -> dict(diff, se, lcl, ucl, p_value, t)
    df_resid: int
    n_obs: int


def _prepare(
    df: pd.DataFrame, response: str, covariates: list[str], factors: list[str], extra: list[str]
) -> pd.DataFrame:
    need = [response, *covariates, *factors, *extra]
    sub = df.dropna(subset=need)
    for f in factors:
        sub = sub[sub[f].astype(str).str.strip() != ""]
    return sub


def _fit(X: np.ndarray, y: np.ndarray, names: list[str]) -> tuple[np.ndarray, np.ndarray, int]:
    n, k = X.shape
    rank = np.linalg.matrix_rank(X)
    if rank < k:
        # name a column that is a combination of the others
        dep = []
        for j in range(k):
            if np.linalg.matrix_rank(np.delete(X, j, axis=1)) == rank:
                dep.append(names[j])
        raise ModelError(
            f"singular design: {k} model terms but rank {rank} (terms confounded with others: {', '.join(dep[:4])})"
        )
    df_resid = n - k
    if df_resid <= 0:
        raise ModelError(f"no residual degrees of freedom ({n} subjects for {k} model terms)")
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    sigma2 = float(resid @ resid) / df_resid
    cov = sigma2 * np.linalg.inv(X.T @ X)
    return beta, cov, df_resid


def ancova(
    df: pd.DataFrame,
    *,
    response: str,
    group: str,
    levels: list,
    covariates: Sequence[str] = (),
    factors: Sequence[str] = (),
    comparisons: Sequence[tuple] = (),
    ci_level: float = 0.95,
) -> AncovaResult:
    """ANCOVA ``response ~ group + factors + covariates`` with LS means and their differences.

    Parameters
    ----------
    df : one record per subject.
    group : the treatment variable; ``levels`` its values in column order (the first is the
        reference of the coding; LS means do not depend on the coding).
    covariates : numeric covariates (e.g. ``["BASE"]``), held at their mean for the LS means.
    factors : class variables (e.g. ``["SITEGR1"]``), averaged with equal weights (SAS OM not set).
    comparisons : ``(active, other)`` pairs of ``levels``; the difference is active - other.

    Raises
    ------
    ModelError : an arm without subjects, a singular design, no residual degrees of freedom.
    """
    covariates, factors = list(covariates), list(factors)
    sub = _prepare(df, response, covariates, factors, [group])
    g = sub[group]
    empty = [lev for lev in levels if not (g == lev).any()]
    if empty:
        raise ModelError(f"no subject with a non-missing {response} in arm(s) {', '.join(map(str, empty))}")
    sub = sub[g.isin(levels)]
    y = sub[response].to_numpy(dtype=float)
    blocks = [np.ones((len(sub), 1)), _class_dummies(sub[group], list(levels[1:]))]
    names = ["Intercept"] + [f"{group}={lev}" for lev in levels[1:]]
    flevels = {}
    for f in factors:
        lv = sorted(sub[f].astype(str).unique())
        flevels[f] = lv
        blocks.append(_class_dummies(sub[f].astype(str), lv[1:]))
        names += [f"{f}={lev}" for lev in lv[1:]]
    for c in covariates:
        blocks.append(sub[[c]].to_numpy(dtype=float))
        names.append(c)
    X = np.column_stack(blocks)
    beta, cov, df_resid = _fit(X, y, names)
    # the L vector of each arm: intercept, its arm indicator, factor levels at equal weights, covariate means
    base = [1.0]
    tail = []
    for f in factors:
        nlev = len(flevels[f])
        tail += [1.0 / nlev] * (nlev - 1)
    tail += [float(sub[c].mean()) for c in covariates]
    L = {}
    for lev in levels:
        arm = [1.0 if lev == other else 0.0 for other in levels[1:]]
        L[lev] = np.array(base + arm + tail)
    lsm = {lev: (float(L[lev] @ beta), math.sqrt(float(L[lev] @ cov @ L[lev]))) for lev in levels}
    diffs = {}
    for a, b in comparisons:
        c = L[a] - L[b]
        d, se = float(c @ beta), math.sqrt(float(c @ cov @ c))
        diffs[(a, b)] = {"diff": d, **_t_inference(d, se, df_resid, ci_level)}
    return AncovaResult(lsm, diffs, df_resid, len(y))


def _t_inference(est: float, se: float, df_resid: int, ci_level: float) -> dict:
    """``se``, ``lcl``, ``ucl``, ``t`` and the two-sided ``p_value`` of an estimate (t with ``df_resid`` df);
    ``t`` and ``p_value`` NaN when ``se`` is 0 (a perfect fit)."""
    tq = float(_st.t.ppf(0.5 + ci_level / 2.0, df_resid))
    t = est / se if se > 0 else math.nan
    return {
        "se": se,
        "lcl": est - tq * se,
        "ucl": est + tq * se,
        "t": t,
        "p_value": float(2.0 * _st.t.sf(abs(t), df_resid)) if math.isfinite(t) else math.nan,
    }


def dose_response(
    df: pd.DataFrame,
    *,
    response: str,
    dose: str,
    covariates: Sequence[str] = (),
    factors: Sequence[str] = (),
    ci_level: float = 0.95,
) -> dict:
    """Test for dose response: the ANCOVA with ``dose`` (numeric) in place of the arm.

    Returns ``slope``, ``se``, ``lcl``, ``ucl``, ``t``, ``p_value`` (two-sided), ``df``, ``nobs``.
    """
    covariates, factors = list(covariates), list(factors)
    sub = _prepare(df, response, covariates, factors, [dose])
    x = pd.to_numeric(sub[dose], errors="coerce")
    if x.nunique() < 2:
        raise ModelError(f"dose {dose} takes fewer than two values: no dose response can be estimated")
    y = sub[response].to_numpy(dtype=float)
    blocks = [np.ones((len(sub), 1)), x.to_numpy(dtype=float)[:, None]]
    names = ["Intercept", dose]
    for f in factors:
        lv = sorted(sub[f].astype(str).unique())
        blocks.append(_class_dummies(sub[f].astype(str), lv[1:]))
        names += [f"{f}={lev}" for lev in lv[1:]]
    for c in covariates:
        blocks.append(sub[[c]].to_numpy(dtype=float))
        names.append(c)
    beta, cov, df_resid = _fit(np.column_stack(blocks), y, names)
    b, se = float(beta[1]), math.sqrt(float(cov[1, 1]))
    return {"slope": b, **_t_inference(b, se, df_resid, ci_level), "df": df_resid, "nobs": len(y)}


@dataclasses.dataclass(frozen=True)
class KmResult:
    """Product-limit curve (one row per distinct time) and the median with its CI."""

    curve: pd.DataFrame  # time, n_risk, n_event, n_censor, surv, lcl, ucl
    n: int
    events: int
    median: float
    median_lcl: float
    median_ucl: float


def kaplan_meier(time: np.ndarray, event: np.ndarray, *, ci_level: float = 0.95, conf_type: str = "loglog") -> KmResult:
    """Kaplan-Meier estimate of ``time`` with ``event`` (1 event, 0 censored).

    The median is the smallest time with S(t) <= 0.5 (the midpoint to the next event time when
    S(t) is exactly 0.5, as SAS and R do); its lower (upper) CI limit is the smallest time at which
    the lower (upper) pointwise confidence band of S(t) is <= 0.5; a limit never reached is NaN
    (not estimable).
    ``conf_type``: ``loglog`` (SAS default), ``log`` (R default) or ``linear``.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    if len(time) == 0:
        raise ModelError("no subject")
    z = float(_st.norm.ppf(0.5 + ci_level / 2.0))
    rows = []
    s, v = 1.0, 0.0
    for t in np.unique(time):
        at = time == t
        n = int((time >= t).sum())
        d = int(event[at].sum())
        c = int(at.sum()) - d
        if d:
            s *= 1.0 - d / n
            v = v + (d / (n * (n - d)) if n > d else math.inf)
        lo, hi = _ci(s, v, z, conf_type)
        rows.append((t, n, d, c, s, lo, hi))
    curve = pd.DataFrame(rows, columns=["time", "n_risk", "n_event", "n_censor", "surv", "lcl", "ucl"])
    ev = curve[curve["n_event"] > 0]
    med = math.nan
    below = ev[ev["surv"] <= 0.5 + 1e-12]
    if len(below):
        first = below.iloc[0]
        med = float(first["time"])
        if abs(first["surv"] - 0.5) < 1e-12:
            later = ev[ev["time"] > first["time"]]
            if len(later):
                med = (med + float(later.iloc[0]["time"])) / 2.0
    lcl = ev.loc[ev["lcl"] <= 0.5 + 1e-12, "time"]  # the lower band reaches 0.5 first
    ucl = ev.loc[ev["ucl"] <= 0.5 + 1e-12, "time"]
    return KmResult(
        curve,
        len(time),
        int(event.sum()),
        med,
        float(lcl.iloc[0]) if len(lcl) else math.nan,
        float(ucl.iloc[0]) if len(ucl) else math.nan,
    )


def _ci(s: float, v: float, z: float, conf_type: str) -> tuple[float, float]:
    if s <= 0:
        return 0.0, 0.0
    if s >= 1 or v == 0:
        return 1.0, 1.0
    if not math.isfinite(v):
        return 0.0, 1.0
    if conf_type == "linear":
        se = s * math.sqrt(v)
        return max(0.0, s - z * se), min(1.0, s + z * se)
    if conf_type == "log":
        se = math.sqrt(v)
        return max(0.0, s * math.exp(-z * se)), min(1.0, s * math.exp(z * se))
    # log-log: log(-log S) +- z * sqrt(v) / |log S|
    ls = math.log(s)
    w = z * math.sqrt(v) / abs(ls)
    return s ** math.exp(w), s ** math.exp(-w)


def logrank(time: np.ndarray, event: np.ndarray, group: np.ndarray) -> dict:
    """Log-rank test of equal survival across the groups of ``group``.

    Returns ``chisq``, ``df`` (groups - 1), ``p_value``, and per group ``observed`` / ``expected``
    (dicts by group value).
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    group = np.asarray(group)
    gs = list(dict.fromkeys(group.tolist()))
    if len(gs) < 2:
        raise ModelError("the log-rank test needs at least two groups with subjects")
    k = len(gs)
    obs, E = np.zeros(k), np.zeros(k)
    V = np.zeros((k, k))
    for t in np.unique(time[event == 1]):
        risk = time >= t
        n = risk.sum()
        d = ((time == t) & (event == 1)).sum()
        nk = np.array([(risk & (group == g)).sum() for g in gs], dtype=float)
        dk = np.array([((time == t) & (event == 1) & (group == g)).sum() for g in gs], dtype=float)
        obs += dk
        E += d * nk / n
        if n > 1:
            f = d * (n - d) / (n - 1) / n
            V += f * (np.diag(nk) - np.outer(nk, nk) / n)
    if obs.sum() == 0:
        raise ModelError("no event in any group: the log-rank test is not defined")
    diff = (obs - E)[:-1]
    Vr = V[:-1, :-1]
    try:
        chisq = float(diff @ np.linalg.solve(Vr, diff))
    except np.linalg.LinAlgError:
        raise ModelError("the log-rank variance matrix is singular (a group without subjects at risk)") from None
    return {
        "chisq": chisq,
        "df": k - 1,
        "p_value": float(_st.chi2.sf(chisq, k - 1)),
        "observed": dict(zip(gs, obs.tolist())),
        "expected": dict(zip(gs, E.tolist())),
    }
