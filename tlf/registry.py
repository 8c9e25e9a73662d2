"""The closed vocabulary of the TLF spec: output kinds, layer types, statistics and model methods.

A TLF spec names things; it never carries code. Every name is looked up here when the spec loads
(:func:`adamforge.tlf.spec.parse_tlf_spec`), so a misspelt statistic is reported before any data
are read. Adding a statistic is one registered function:

.. code-block:: python

    from adamforge.tlf.registry import statistic

    @statistic("cv")                      # the coefficient of variation, %
    def cv(x):
        return 100 * x.std(ddof=1) / x.mean() if len(x) > 1 else None

and a layer's format can then say ``"{cv:1}"``. A model method is one function registered with
:func:`method`; it receives the analysis records of the layer (one per subject) and returns a
:class:`MethodResult` (statistics per arm, per comparison, overall).

Registries:

* :data:`STATISTICS` (descriptive statistics of a ``desc`` layer): ``fn(x: np.ndarray) -> float``
  on the non-missing values of the layer's variable in one column.
* :data:`METHODS` (``model`` layers): ``fn(df, *, group, levels, comparisons, ci_level, **args)``;
  the ``args`` a spec gives are checked against the function's signature when the spec loads.
* :data:`BASELINE_ROWS`: the row statistics of the reference study's ``baseline`` kind
  (``n_pct``, ``n_pct_ge``, ``mean_sd``, ``median_range``, ``header``).
* :data:`OUTPUT_KINDS`: output kind -> the module and functions computing its ARD records and
  its view (display table, figure, listing).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import math
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
import pandas as pd

from . import fmt

if TYPE_CHECKING:
    from .spec import Row

__all__ = [
    "STATISTICS",
    "METHODS",
    "BASELINE_ROWS",
    "OUTPUT_KINDS",
    "LAYER_TYPES",
    "Statistic",
    "Method",
    "MethodResult",
    "statistic",
    "method",
    "check_method_args",
    "output_kind",
]


# ---------------------------------------------------------------------------------------------
# descriptive statistics
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Statistic:
    name: str
    fn: Callable[[np.ndarray], float | None]
    integer: bool = False  # shown without decimals (n)
    doc: str = ""


STATISTICS: dict[str, Statistic] = {}
#: a descriptive statistic: the non-missing values (floats) -> the value (None: not defined)
StatisticFn = Callable[[np.ndarray], float | None]


def statistic(name: str, *, integer: bool = False) -> Callable[[StatisticFn], StatisticFn]:
    """Register ``fn(x) -> float`` as the descriptive statistic ``name`` (x: non-missing floats)."""

    def deco(fn: StatisticFn) -> StatisticFn:
        STATISTICS[name] = Statistic(name, fn, integer, (fn.__doc__ or "").strip())
        return fn

    return deco


def _quantile_sas5(x: np.ndarray, p: float) -> float | None:
    """SAS PROC MEANS/UNIVARIATE default percentile (QNTLDEF=5: empirical distribution, averaging)."""
    n = len(x)
    if n == 0:
        return None
    xs = np.sort(x)
    np_ = n * p
    j = int(math.floor(np_ + 1e-12))
    g = np_ - j
    if g > 1e-12:
        return float(xs[j])  # x(j+1), 0-based j
    if j == 0:
        return float(xs[0])
    return float((xs[j - 1] + xs[min(j, n - 1)]) / 2.0)


@statistic("n", integer=True)
def _n(x: np.ndarray) -> float:
    """Number of non-missing values."""
    return float(len(x))


@statistic("mean")
def _mean(x: np.ndarray) -> float | None:
    """Arithmetic mean."""
    return float(np.mean(x)) if len(x) else None


@statistic("sd")
def _sd(x: np.ndarray) -> float | None:
    """Standard deviation (n - 1 denominator, as SAS and R)."""
    return float(np.std(x, ddof=1)) if len(x) > 1 else None


@statistic("se")
def _se(x: np.ndarray) -> float | None:
    """Standard error of the mean."""
    return float(np.std(x, ddof=1) / math.sqrt(len(x))) if len(x) > 1 else None


@statistic("median")
def _median(x: np.ndarray) -> float | None:
    """Median."""
    return float(np.median(x)) if len(x) else None


@statistic("min")
def _min(x: np.ndarray) -> float | None:
    """Minimum."""
    return float(np.min(x)) if len(x) else None


@statistic("max")
def _max(x: np.ndarray) -> float | None:
    """Maximum."""
    return float(np.max(x)) if len(x) else None


@statistic("q1")
def _q1(x: np.ndarray) -> float | None:
    """First quartile, SAS default definition (QNTLDEF=5; R ``quantile(type = 2)``)."""
    return _quantile_sas5(x, 0.25)


@statistic("q3")
def _q3(x: np.ndarray) -> float | None:
    """Third quartile, SAS default definition (QNTLDEF=5; R ``quantile(type = 2)``)."""
    return _quantile_sas5(x, 0.75)


# ---------------------------------------------------------------------------------------------
# model methods
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class MethodResult:
    """What a model method returns: statistics per arm value, per (active, other) comparison, overall.

    ``notes`` are texts for the output (e.g. a Firth fallback); ``method`` labels the estimation.
    """

    group: dict = dataclasses.field(default_factory=dict)  # arm value -> {stat: value}
    comparison: dict = dataclasses.field(default_factory=dict)  # (active, other) -> {stat: value}
    overall: dict = dataclasses.field(default_factory=dict)  # {stat: value}
    notes: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Method:
    name: str
    fn: Callable[..., MethodResult]
    group_stats: tuple[str, ...] = ()
    comparison_stats: tuple[str, ...] = ()
    overall_stats: tuple[str, ...] = ()
    doc: str = ""

    @property
    def stats(self) -> tuple[str, ...]:
        return self.group_stats + self.comparison_stats + self.overall_stats

    def scope(self, stat: str) -> str:
        if stat in self.group_stats:
            return "group"
        if stat in self.comparison_stats:
            return "comparison"
        return "overall"


METHODS: dict[str, Method] = {}
#: a model method: ``fn(df, *, group, levels, comparisons, ci_level, **args) -> MethodResult``
MethodFn = Callable[..., MethodResult]
_STANDARD = {"df", "group", "levels", "comparisons", "ci_level"}


def method(
    name: str,
    *,
    group_stats: Iterable[str] = (),
    comparison_stats: Iterable[str] = (),
    overall_stats: Iterable[str] = (),
) -> Callable[[MethodFn], MethodFn]:
    """Register a model method ``fn(df, *, group, levels, comparisons, ci_level, **args) -> MethodResult``."""

    def deco(fn: MethodFn) -> MethodFn:
        METHODS[name] = Method(
            name,
            fn,
            tuple(group_stats),
            tuple(comparison_stats),
            tuple(overall_stats),
            (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else "",
        )
        return fn

    return deco


def check_method_args(name: str, args: dict) -> list[str]:
    """Problems with the ``args`` a spec gives method ``name`` (unknown or missing keywords)."""
    m = METHODS.get(name)
    if m is None:
        return [f"method {name!r} is not registered (methods: {', '.join(sorted(METHODS))})"]
    sig = inspect.signature(m.fn)
    params = {k: p for k, p in sig.parameters.items() if k not in _STANDARD}
    probs = [
        f"method {name}: unknown argument {k!r} (arguments: {', '.join(params) or 'none'})"
        for k in args
        if k not in params
    ]
    probs += [
        f"method {name}: argument {k!r} is required"
        for k, p in params.items()
        if p.default is inspect.Parameter.empty and p.kind == p.KEYWORD_ONLY and k not in args
    ]
    return probs


def _two_arm_frame(df: pd.DataFrame, group: str, active: Any, other: Any) -> pd.DataFrame:
    two = df[df[group].isin([active, other])].copy()
    two["_ARM"] = np.where(two[group] == active, 1, 0)
    return two


@method(
    "logistic",
    comparison_stats=("or", "or_lcl", "or_ucl", "p_value", "method", "separation", "fallback_reason", "fisher_p"),
)
def logistic(
    df: pd.DataFrame,
    *,
    group: str,
    levels: Sequence[Any],
    comparisons: Sequence[tuple[Any, Any]],
    ci_level: float,
    response: str,
    covariates: Sequence[str] = (),
) -> MethodResult:
    """Logistic regression per comparison (odds ratio, Wald CI, p-value; Firth under separation)."""
    from . import stats

    res = MethodResult()
    for a, b in comparisons:
        two = _two_arm_frame(df.dropna(subset=[response]), group, a, b)
        if two["_ARM"].eq(1).sum() == 0 or two["_ARM"].eq(0).sum() == 0:
            from .models import ModelError

            raise ModelError(f"no subject with a non-missing {response} in arm {a if two['_ARM'].eq(0).all() else b}")
        r = stats.compare_logistic(
            two,
            response=response,
            arm_var="_ARM",
            reference=0,
            active=1,
            covariates=list(covariates),
            ci_level=ci_level,
        )
        d = {
            "or": r.odds_ratio,
            "or_lcl": r.lcl,
            "or_ucl": r.ucl,
            "p_value": r.p_value,
            "method": r.method,
            "separation": int(r.separation),
        }
        if r.separation:
            d["fallback_reason"] = r.reason
            d["fisher_p"] = stats.compare_fisher(two, response=response, arm_var="_ARM", reference=0, active=1)
            res.notes.append(f"{a} vs {b}: separation ({r.reason}); Firth penalized-likelihood estimate shown.")
        res.comparison[(a, b)] = d
    return res


@method("cmh", comparison_stats=("cmh_stat", "cmh_p", "mh_or"))
def cmh(
    df: pd.DataFrame,
    *,
    group: str,
    levels: Sequence[Any],
    comparisons: Sequence[tuple[Any, Any]],
    ci_level: float,
    response: str,
    strata: str,
) -> MethodResult:
    """Cochran-Mantel-Haenszel test per comparison, stratified (no continuity correction)."""
    from . import stats

    res = MethodResult()
    for a, b in comparisons:
        two = _two_arm_frame(df.dropna(subset=[response]), group, a, b)
        r = stats.compare_cmh(two, response=response, arm_var="_ARM", reference=0, active=1, strata=strata)
        res.comparison[(a, b)] = {"cmh_stat": r.statistic, "cmh_p": r.p_value, "mh_or": r.odds_ratio}
    return res


@method(
    "ancova",
    group_stats=("lsmean", "lsmean_se", "nobs"),
    comparison_stats=("diff", "diff_se", "diff_lcl", "diff_ucl", "p_value", "t"),
    overall_stats=("df_resid",),
)
def ancova_method(
    df: pd.DataFrame,
    *,
    group: str,
    levels: Sequence[Any],
    comparisons: Sequence[tuple[Any, Any]],
    ci_level: float,
    response: str,
    covariates: Sequence[str] = (),
    factors: Sequence[str] = (),
) -> MethodResult:
    """ANCOVA: LS means per arm, differences of LS means with SE, CI and p-value."""
    from .models import ancova

    r = ancova(
        df,
        response=response,
        group=group,
        levels=list(levels),
        covariates=list(covariates),
        factors=list(factors),
        comparisons=list(comparisons),
        ci_level=ci_level,
    )
    res = MethodResult(overall={"df_resid": r.df_resid})
    for lev, (m, se) in r.lsmeans.items():
        res.group[lev] = {
            "lsmean": m,
            "lsmean_se": se,
            "nobs": int(df.dropna(subset=[response, *covariates, *factors])[group].eq(lev).sum()),
        }
    for key, d in r.diffs.items():
        res.comparison[key] = {
            "diff": d["diff"],
            "diff_se": d["se"],
            "diff_lcl": d["lcl"],
            "diff_ucl": d["ucl"],
            "p_value": d["p_value"],
            "t": d["t"],
        }
    return res


@method("dose_response", overall_stats=("slope", "slope_se", "slope_lcl", "slope_ucl", "p_value", "nobs"))
def dose_response_method(
    df: pd.DataFrame,
    *,
    group: str,
    levels: Sequence[Any],
    comparisons: Sequence[tuple[Any, Any]],
    ci_level: float,
    response: str,
    dose: str,
    covariates: Sequence[str] = (),
    factors: Sequence[str] = (),
) -> MethodResult:
    """Test for dose response: the ANCOVA with the dose as a continuous variable."""
    from .models import dose_response

    r = dose_response(
        df[df[group].isin(levels)],
        response=response,
        dose=dose,
        covariates=covariates,
        factors=factors,
        ci_level=ci_level,
    )
    return MethodResult(
        overall={
            "slope": r["slope"],
            "slope_se": r["se"],
            "slope_lcl": r["lcl"],
            "slope_ucl": r["ucl"],
            "p_value": r["p_value"],
            "nobs": r["nobs"],
        }
    )


@method("kaplan_meier", group_stats=("n", "events", "censored", "median", "median_lcl", "median_ucl"))
def kaplan_meier_method(
    df: pd.DataFrame,
    *,
    group: str,
    levels: Sequence[Any],
    comparisons: Sequence[tuple[Any, Any]],
    ci_level: float,
    time: str = "AVAL",
    censor: str = "CNSR",
    conf_type: str = "loglog",
) -> MethodResult:
    """Kaplan-Meier median time to event with its CI (Brookmeyer-Crowley), events and censored."""
    from .models import kaplan_meier

    res = MethodResult()
    d = df.dropna(subset=[time, censor])
    for lev in levels:
        g = d[d[group] == lev]
        if g.empty:
            continue  # the layer notes the empty arm
        km = kaplan_meier(
            g[time].to_numpy(float), 1 - g[censor].to_numpy(float), ci_level=ci_level, conf_type=conf_type
        )
        res.group[lev] = {
            "n": km.n,
            "events": km.events,
            "censored": km.n - km.events,
            "median": km.median,
            "median_lcl": km.median_lcl,
            "median_ucl": km.median_ucl,
        }
    return res


@method("logrank", overall_stats=("chisq", "df", "p_value"))
def logrank_method(
    df: pd.DataFrame,
    *,
    group: str,
    levels: Sequence[Any],
    comparisons: Sequence[tuple[Any, Any]],
    ci_level: float,
    time: str = "AVAL",
    censor: str = "CNSR",
) -> MethodResult:
    """Log-rank test across the arms (chi-square, K-1 df)."""
    from .models import logrank

    d = df.dropna(subset=[time, censor])
    d = d[d[group].isin(levels)]
    r = logrank(d[time].to_numpy(float), 1 - d[censor].to_numpy(float), d[group].to_numpy())
    return MethodResult(overall={"chisq": r["chisq"], "df": r["df"], "p_value": r["p_value"]})


# ---------------------------------------------------------------------------------------------
# the reference study's baseline rows: name -> (compute, cell)
# ---------------------------------------------------------------------------------------------


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").dropna().astype(float)


def _rows_n_pct(s: pd.Series, r: Row, n_col: int) -> list[tuple[str, Any]]:
    from .ard import _eq  # 2 == "2"; imported here: spec imports this module and ard imports spec

    n = int(_eq(s, r.level).fillna(False).sum())
    return [("n", n), ("N", n_col), ("pct", float(fmt.percent(n, n_col)) if n_col else None)]


def _rows_n_pct_ge(s: pd.Series, r: Row, n_col: int) -> list[tuple[str, Any]]:
    n = int((pd.to_numeric(s, errors="coerce") >= r.threshold).sum())
    return [("n", n), ("N", n_col), ("pct", float(fmt.percent(n, n_col)) if n_col else None)]


def _rows_mean_sd(s: pd.Series, r: Row, n_col: int) -> list[tuple[str, Any]]:
    x = _num(s)
    return [("nobs", len(x)), ("mean", x.mean() if len(x) else None), ("sd", x.std(ddof=1) if len(x) > 1 else None)]


def _rows_median_range(s: pd.Series, r: Row, n_col: int) -> list[tuple[str, Any]]:
    x = _num(s)
    return [
        ("nobs", len(x)),
        ("median", x.median() if len(x) else None),
        ("min", x.min() if len(x) else None),
        ("max", x.max() if len(x) else None),
    ]


def _int(x: float | None) -> int:
    return 0 if x is None else int(round(x))


def _cell_n_pct(get: Callable[[str], float | None], r: Row) -> str:
    n, den = _int(get("n")), _int(get("N"))
    return fmt.fmt_n_pct(n, den, 1) if den else "0"


def _cell_mean_sd(get: Callable[[str], float | None], r: Row) -> str:
    return fmt.fmt_mean_sd(get("mean"), get("sd"), r.digits)


def _cell_median_range(get: Callable[[str], float | None], r: Row) -> str:
    return fmt.fmt_median_range(get("median"), get("min"), get("max"), r.digits, r.range_digits, trim_range=True)


@dataclasses.dataclass(frozen=True)
class BaselineRow:
    compute: Callable | None  # (values, row, N of the column) -> [(statistic, value)]
    cell: Callable | None  # (get(statistic), row) -> text
    needs_var: bool = True


BASELINE_ROWS: dict[str, BaselineRow] = {
    "header": BaselineRow(None, None, needs_var=False),
    "n_pct": BaselineRow(_rows_n_pct, _cell_n_pct),
    "n_pct_ge": BaselineRow(_rows_n_pct_ge, _cell_n_pct),
    "mean_sd": BaselineRow(_rows_mean_sd, _cell_mean_sd),
    "median_range": BaselineRow(_rows_median_range, _cell_median_range),
}


# ---------------------------------------------------------------------------------------------
# output kinds and layer types
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class OutputKind:
    """Where an output kind's code lives: ``module:function`` of its ARD computation (None: the
    kind computes nothing of its own) and of its view (display table / figure)."""

    compute: str | None
    view: str


OUTPUT_KINDS: dict[str, OutputKind] = {
    "baseline": OutputKind("adamforge.tlf.ard:compute_baseline", "adamforge.tlf.views:baseline_view"),
    "response": OutputKind("adamforge.tlf.ard:compute_response", "adamforge.tlf.views:response_view"),
    "figure": OutputKind(None, "adamforge.tlf.views:bar_figure_view"),
    "listing": OutputKind(None, "adamforge.tlf.views:listing_view"),
    "table": OutputKind("adamforge.tlf.layers:compute_table", "adamforge.tlf.layers:table_view"),
    "km_plot": OutputKind("adamforge.tlf.layers:compute_km_plot", "adamforge.tlf.layers:km_plot_view"),
}

#: layer types of a ``table`` output
LAYER_TYPES = ("counts", "desc", "model")


@overload
def output_kind(kind: str, what: Literal["view"]) -> Callable: ...


@overload
def output_kind(kind: str, what: str) -> Callable | None: ...


def output_kind(kind: str, what: str) -> Callable | None:
    """The function ``what`` (``compute`` or ``view``) of output kind ``kind``."""
    path = getattr(OUTPUT_KINDS[kind], what)
    if path is None:
        return None
    mod, fn = path.split(":")
    return getattr(importlib.import_module(mod), fn)
