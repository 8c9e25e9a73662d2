"""Number formatting for TLFs, with SAS rounding (half away from zero).

Python's :func:`round` and numpy round half to even (``round(2.5) == 2``) and act on the binary
value (``round(0.125, 2)`` happens to work, ``round(2.675, 2) == 2.67``). SAS ``ROUND`` rounds half
away from zero and forgives binary noise. Every number a TLF shows goes through
:func:`round_half_away`, which works on the decimal text of the float (its ``repr``) after
trimming the noise of binary arithmetic at 15 significant digits, and percentages go through
:func:`percent`, which is exact (integer arithmetic in :mod:`decimal`).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal

__all__ = [
    "round_half_away",
    "percent",
    "fmt_num",
    "fmt_trim",
    "fmt_n_pct",
    "fmt_n_over_n_pct",
    "fmt_mean_sd",
    "fmt_median_range",
    "fmt_or_ci",
    "fmt_pvalue",
    "sig_mark",
    "SIG_MARKS",
]

# Marks for p-values (plan section 3): the first threshold that p is below wins.
SIG_MARKS: tuple[tuple[float, str], ...] = ((0.0001, "****"), (0.001, "***"), (0.01, "**"), (0.05, "*"))

_CTX15 = Context(prec=15, rounding=ROUND_HALF_EVEN)
_CTX50 = Context(prec=50, rounding=ROUND_HALF_EVEN)


def _to_decimal(x: float | int | Decimal) -> Decimal:
    if isinstance(x, Decimal):
        return x
    if isinstance(x, int):
        return Decimal(x)
    # the shortest decimal text that reads back as this float, then binary noise trimmed:
    # 100 * 29 / 200 == 14.499999999999998 becomes 14.5 as a person (and SAS) expects.
    return _CTX15.plus(Decimal(repr(float(x))))


def round_half_away(x: float | int | Decimal, ndigits: int = 0) -> Decimal:
    """Round ``x`` to ``ndigits`` decimals, halves away from zero (SAS ``ROUND``).

    Parameters
    ----------
    x : the number (float, int or Decimal); must be finite.
    ndigits : decimals to keep (>= 0).

    Returns
    -------
    Decimal with exactly ``ndigits`` decimals.

    Examples
    --------
    >>> str(round_half_away(0.125, 2)), str(round_half_away(2.5)), str(round_half_away(-2.5))
    ('0.13', '3', '-3')
    """
    if isinstance(x, float) and not math.isfinite(x):
        raise ValueError(f"cannot round a non-finite number: {x!r}")
    q = Decimal(1).scaleb(-ndigits)
    return _to_decimal(x).quantize(q, rounding=ROUND_HALF_UP)


def percent(n: int, denom: int) -> Decimal:
    """``100 * n / denom`` computed exactly (no binary floating point)."""
    if denom <= 0:
        raise ValueError("a percentage needs a positive denominator")
    return _CTX50.divide(Decimal(int(n)) * 100, Decimal(int(denom)))


def fmt_num(x: float | int | Decimal | None, ndigits: int) -> str:
    """``x`` rounded half away from zero with ``ndigits`` decimals; ``""`` for missing."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    s = str(round_half_away(x, ndigits))
    if s.startswith("-") and Decimal(s) == 0:  # -0.04 -> "0.0", not "-0.0"
        s = s[1:]
    return s


def fmt_trim(x: float | int | Decimal | None, ndigits: int) -> str:
    """Like :func:`fmt_num`, then trailing zeros (and a bare point) removed: ``12.0 -> "12"``."""
    s = fmt_num(x, ndigits)
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def fmt_n_pct(n: int, denom: int, ndigits: int = 1) -> str:
    """``"113 (64.9)"``; ``"0"`` alone when n is 0 (the usual CSR convention is kept optional)."""
    return f"{int(n)} ({fmt_num(percent(n, denom), ndigits)})"


def fmt_n_over_n_pct(n: int, denom: int, ndigits: int = 1) -> str:
    """``"110/174 (63.2)"``."""
    return f"{int(n)}/{int(denom)} ({fmt_num(percent(n, denom), ndigits)})"


def fmt_mean_sd(mean: float | None, sd: float | None, ndigits: int = 1) -> str:
    """``"9.3 (5.3)"``; SD missing (n = 1) shows as ``"-"``."""
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return ""
    sd_s = fmt_num(sd, ndigits) or "-"
    return f"{fmt_num(mean, ndigits)} ({sd_s})"


def fmt_median_range(
    median: float | None,
    lo: float | None,
    hi: float | None,
    ndigits: int = 1,
    range_digits: int = 1,
    trim_range: bool = True,
) -> str:
    """``"34.5 (12-82)"``: median with ``ndigits`` decimals, range with up to ``range_digits``."""
    if median is None or (isinstance(median, float) and math.isnan(median)):
        return ""
    f = fmt_trim if trim_range else fmt_num
    return f"{fmt_num(median, ndigits)} ({f(lo, range_digits)}-{f(hi, range_digits)})"


def fmt_or_ci(or_: float | None, lcl: float | None, ucl: float | None, ndigits: int = 2) -> str:
    """``"3.41 (2.05, 5.67)"``; ``""`` when not estimable."""
    vals = (or_, lcl, ucl)
    if any(v is None or not math.isfinite(float(v)) for v in vals):
        return ""
    return f"{fmt_num(or_, ndigits)} ({fmt_num(lcl, ndigits)}, {fmt_num(ucl, ndigits)})"


def fmt_pvalue(p: float | None, ndigits: int = 4) -> str:
    """``"<0.0001"`` below ``10**-ndigits``, else ``p`` with ``ndigits`` decimals (``">0.9999"`` at the top)."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    floor = Decimal(1).scaleb(-ndigits)
    if p < float(floor):
        return f"<{floor:.{ndigits}f}"
    r = round_half_away(p, ndigits)
    if r >= 1 and p < 1:
        return f">{1 - floor:.{ndigits}f}"
    return str(r)


def sig_mark(p: float | None, marks: tuple[tuple[float, str], ...] = SIG_MARKS) -> str:
    """The significance mark of ``p``: ``"****"`` below 0.0001 ... ``"*"`` below 0.05, else ``""``."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    for thr, mark in sorted(marks):
        if p < thr:
            return mark
    return ""
