"""Inferential statistics of the response tables: logistic regression, Firth fallback, CMH.

Each active arm is compared with the reference arm (vehicle) on the subjects of those two arms:

* :func:`compare_logistic` fits ``response ~ arm + covariates`` by maximum likelihood
  (statsmodels ``Logit``) and returns the odds ratio of the active arm, its Wald 95% CI and
  p-value. Separation is detected *before* trusting the fit (statsmodels only warns, and ``GLM``
  does not even warn): a zero cell in the arm-by-response 2x2 table (an arm with 0% or 100%
  responders), or a fit that did not converge / has a standard error or coefficient out of any
  plausible range / fitted probabilities of exactly 0 or 1. Then the model is refitted with
  Firth's penalized likelihood (:func:`firth_logit`, finite estimates under separation) and the
  result is flagged (``method="firth"``, ``separation=True``) so that the table carries a footnote.
* :func:`compare_cmh` is the Cochran-Mantel-Haenszel test stratified by study (statsmodels
  ``StratifiedTable``), the sensitivity analysis, with the Mantel-Haenszel pooled odds ratio.
* :func:`compare_fisher` is Fisher's exact test (scipy) on the pooled 2x2 table, kept in the
  analysis results data for separated comparisons.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _st

__all__ = [
    "ComparisonResult",
    "CmhResult",
    "compare_logistic",
    "compare_cmh",
    "compare_fisher",
    "firth_logit",
    "design_matrix",
    "detect_zero_cell",
]

# Beyond these the ML fit is not an estimate but an artefact of (quasi-)separation.
_MAX_ABS_COEF = 15.0
_MAX_SE = 50.0


@dataclasses.dataclass(frozen=True)
class ComparisonResult:
    """Odds ratio of ``active`` vs ``reference`` with its CI and p-value.

    ``method`` is ``"logistic"`` (maximum likelihood, Wald CI and p-value) or ``"firth"``
    (penalized likelihood, Wald CI, penalized likelihood-ratio p-value). ``separation`` is true
    when separation was detected and the Firth fallback was used; ``reason`` says why.
    """

    odds_ratio: float
    lcl: float
    ucl: float
    p_value: float
    method: str
    separation: bool
    reason: str = ""
    n_obs: int = 0


@dataclasses.dataclass(frozen=True)
class CmhResult:
    """CMH test (no continuity correction) and the Mantel-Haenszel pooled odds ratio."""

    statistic: float
    p_value: float
    odds_ratio: float
    n_strata: int


def detect_zero_cell(y: np.ndarray, arm: np.ndarray) -> str:
    """A reason text when an arm has 0% or 100% responders (a zero cell of the 2x2), else ``""``."""
    reasons = []
    for a, label in ((1, "active"), (0, "reference")):
        ya = y[arm == a]
        if len(ya) == 0:
            continue
        if ya.sum() == 0:
            reasons.append(f"{label} arm has 0% responders")
        elif ya.sum() == len(ya):
            reasons.append(f"{label} arm has 100% responders")
    return "; ".join(reasons)


def design_matrix(df: pd.DataFrame, *, arm: np.ndarray, covariates: list[str]) -> tuple[np.ndarray, list[str]]:
    """Intercept, the active-arm indicator, then covariates.

    Text (or categorical) covariates become indicators of every level but the first (sorted);
    levels absent from ``df`` and covariates with one level are dropped (they would make the
    design singular). Numeric covariates enter as they are.
    """
    cols = [np.ones(len(df)), arm.astype(float)]
    names = ["Intercept", "arm"]
    for var in covariates:
        s = df[var]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            if s.nunique(dropna=True) > 1:
                cols.append(s.to_numpy(dtype=float))
                names.append(var)
            continue
        levels = sorted(s.dropna().astype(str).unique())
        for lev in levels[1:]:
            cols.append((s.astype(str) == lev).to_numpy(dtype=float))
            names.append(f"{var}[{lev}]")
    return np.column_stack(cols), names


def _loglik(X: np.ndarray, y: np.ndarray, beta: np.ndarray) -> float:
    eta = X @ beta
    # log(1 + exp(eta)) computed stably
    return float(np.sum(y * eta - np.logaddexp(0.0, eta)))


def _firth_penalized(X: np.ndarray, y: np.ndarray, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Penalized log-likelihood ``l + 0.5 log|I|``, the modified score and the information."""
    eta = X @ beta
    p = 1.0 / (1.0 + np.exp(-eta))
    w = p * (1.0 - p)
    info = X.T @ (X * w[:, None])
    sign, logdet = np.linalg.slogdet(info)
    if sign <= 0:
        return -math.inf, np.zeros_like(beta), info
    inv = np.linalg.inv(info)
    h = w * np.einsum("ij,jk,ik->i", X, inv, X)  # hat values of the weighted fit
    score = X.T @ (y - p + h * (0.5 - p))
    return _loglik(X, y, beta) + 0.5 * logdet, score, info


def firth_logit(
    X: np.ndarray, y: np.ndarray, *, fixed_zero: tuple[int, ...] = (), maxiter: int = 200, tol: float = 1e-9
) -> tuple[np.ndarray, np.ndarray, float]:
    """Firth's bias-reduced (penalized likelihood) logistic regression.

    Maximises ``l(beta) + 0.5 * log|I(beta)|`` by Newton steps on the modified score with step
    halving. Estimates stay finite under separation.

    Parameters
    ----------
    X : design matrix (n x k) including the intercept column.
    y : 0/1 responses.
    fixed_zero : indices of coefficients held at 0 (the restricted model of the penalized
        likelihood-ratio test; the penalty still uses the full design, as in R's logistf).

    Returns
    -------
    (beta, covariance, penalized log-likelihood); covariance is ``inv(I)`` at ``beta``.
    """
    k = X.shape[1]
    free = np.array([j for j in range(k) if j not in set(fixed_zero)], dtype=int)
    beta = np.zeros(k)
    lp, score, info = _firth_penalized(X, y, beta)
    for _ in range(maxiter):
        step = np.zeros(k)
        step[free] = np.linalg.solve(info[np.ix_(free, free)], score[free])
        # cap the step (as logistf's maxstep) and halve until the penalized likelihood improves
        big = np.max(np.abs(step))
        if big > 5.0:
            step *= 5.0 / big
        for _half in range(30):
            cand = beta + step
            lp_new, score_new, info_new = _firth_penalized(X, y, cand)
            if lp_new >= lp - 1e-12:
                break
            step /= 2.0
        beta, lp, score, info = cand, lp_new, score_new, info_new
        if np.max(np.abs(step)) < tol and np.max(np.abs(score[free])) < 1e-6:
            break
    cov = np.linalg.inv(info)
    return beta, cov, lp


def _ml_logit(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool, str]:
    """statsmodels maximum likelihood; returns beta, bse, ok, problem text."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = sm.Logit(y, X).fit(disp=0, maxiter=100, method="newton")
        except (np.linalg.LinAlgError, ValueError) as exc:  # singular information, perfect prediction
            return np.full(X.shape[1], np.nan), np.full(X.shape[1], np.nan), False, f"fit failed ({exc})"
    beta = np.asarray(res.params, dtype=float)
    with np.errstate(invalid="ignore"):
        bse = np.asarray(res.bse, dtype=float)
    problems = []
    if not res.mle_retvals.get("converged", True):
        problems.append("did not converge")
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        problems.append("convergence warning")
    if any("separation" in str(w.message).lower() for w in caught):
        problems.append("perfect separation warning")
    if not np.all(np.isfinite(bse)) or np.any(bse > _MAX_SE):
        problems.append("standard error out of range")
    if np.any(np.abs(beta) > _MAX_ABS_COEF):
        problems.append("coefficient out of range")
    fitted = np.asarray(res.predict(X))
    if np.any(fitted < 1e-10) or np.any(fitted > 1 - 1e-10):
        problems.append("fitted probabilities of 0 or 1")
    return beta, bse, not problems, "; ".join(problems)


def compare_logistic(
    df: pd.DataFrame,
    *,
    response: str,
    arm_var: str,
    reference: Any,
    active: Any,
    covariates: Sequence[str] = (),
    ci_level: float = 0.95,
) -> ComparisonResult:
    """Logistic regression of ``response`` (0/1) on ``active`` vs ``reference`` arm + covariates.

    Parameters
    ----------
    df : one record per subject; only the two arms' records are used.
    response : the 0/1 variable (no missing values: apply the denominator rule first).
    arm_var : the treatment variable; ``reference`` and ``active`` are two of its values.
    covariates : adjustment variables (e.g. ``["STUDYID"]``); the arm is always in the model.
    ci_level : confidence level of the interval.

    Returns
    -------
    ComparisonResult ; a Firth estimate flagged ``separation=True`` when the ML fit is degenerate.
    """
    sub = df[df[arm_var].isin([reference, active])]
    y = sub[response].to_numpy(dtype=float)
    if np.isnan(y).any():
        raise ValueError(f"{response} has missing values; apply the denominator rule before modelling")
    arm = (sub[arm_var] == active).to_numpy(dtype=int)
    X, names = design_matrix(sub, arm=arm, covariates=list(covariates))
    z = _st.norm.ppf(0.5 + ci_level / 2.0)
    reason = detect_zero_cell(y, arm)
    if not reason:
        beta, bse, ok, problem = _ml_logit(X, y)
        if ok:
            b, se = beta[1], bse[1]
            p = float(2.0 * _st.norm.sf(abs(b / se)))
            return ComparisonResult(
                math.exp(b), math.exp(b - z * se), math.exp(b + z * se), p, "logistic", False, "", len(y)
            )
        reason = f"maximum likelihood fit unreliable: {problem}"
    beta, cov, lp_full = firth_logit(X, y)
    _b0, _c0, lp_restricted = firth_logit(X, y, fixed_zero=(1,))
    b, se = beta[1], math.sqrt(cov[1, 1])
    lr = max(2.0 * (lp_full - lp_restricted), 0.0)
    p = float(_st.chi2.sf(lr, 1))
    return ComparisonResult(math.exp(b), math.exp(b - z * se), math.exp(b + z * se), p, "firth", True, reason, len(y))


def compare_cmh(
    df: pd.DataFrame, *, response: str, arm_var: str, reference: Any, active: Any, strata: str
) -> CmhResult:
    """Cochran-Mantel-Haenszel test of ``active`` vs ``reference`` stratified by ``strata``.

    Strata in which either arm has no subject carry no information and are left out. Returns
    NaN statistics when no stratum is left or the test is undefined (no responders at all).
    """
    from statsmodels.stats.contingency_tables import StratifiedTable

    sub = df[df[arm_var].isin([reference, active])]
    tables = []
    for _key, g in sorted(sub.groupby(strata, sort=True), key=lambda kv: str(kv[0])):
        act = g[g[arm_var] == active][response]
        ref = g[g[arm_var] == reference][response]
        if len(act) == 0 or len(ref) == 0:
            continue
        tables.append([[act.sum(), len(act) - act.sum()], [ref.sum(), len(ref) - ref.sum()]])
    nan = float("nan")
    if not tables:
        return CmhResult(nan, nan, nan, 0)
    arr = np.asarray(tables, dtype=float).transpose(1, 2, 0)
    resp_tot = arr[:, 0, :].sum()
    if resp_tot == 0 or resp_tot == arr.sum():
        return CmhResult(nan, nan, nan, len(tables))
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")
        st = StratifiedTable(arr)
        test = st.test_null_odds(correction=False)
        or_ = float(st.oddsratio_pooled)
    if not math.isfinite(or_) or or_ == 0:
        or_ = nan
    from scipy.stats import chi2

    # statsmodels gives 1 - cdf, which is 0.0 below about 1e-16; the survival function keeps the
    # real p-value (the ARD is what QC compares, not the "<0.0001" of the table)
    return CmhResult(float(test.statistic), float(chi2.sf(test.statistic, 1)), or_, len(tables))


def compare_fisher(df: pd.DataFrame, *, response: str, arm_var: str, reference: Any, active: Any) -> float:
    """Two-sided Fisher exact p-value of the pooled 2x2 table (active vs reference)."""
    act = df[df[arm_var] == active][response]
    ref = df[df[arm_var] == reference][response]
    table = [[int(act.sum()), int(len(act) - act.sum())], [int(ref.sum()), int(len(ref) - ref.sum())]]
    return float(_st.fisher_exact(table).pvalue)
