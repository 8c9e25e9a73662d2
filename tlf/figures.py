"""Figures 2-7: bars of the proportion of responders by arm, n/N above the bars, marks from the ARD.

Nothing is re-tested here: the significance marks are the ARD's ``sig_mark`` of the source table.
PNG at 300 dpi, byte-identical for the same ARD (no software/date metadata written).
"""

from __future__ import annotations

import io
import textwrap

from . import fmt
from .spec import Output, TlfSpec
from .tables import FIRTH_MARK, ArdIndex

__all__ = ["figure_png", "FIGURE_DPI", "FIGURE_SIZE_IN"]

FIGURE_DPI = 300
FIGURE_SIZE_IN = (7.5, 4.2)
_COLORS = ("#9e9e9e", "#5b9bd5", "#1f4e79", "#70ad47", "#c55a11")


def figure_png(o: Output, ix: ArdIndex, spec: TlfSpec, *, label: str = "") -> bytes:
    """Render figure ``o`` from the ARD; returns the PNG bytes.

    Parameters
    ----------
    o : the figure output of the spec (its ARD records carry ``o.id``).
    ix : the ARD index.
    spec : the TLF spec (arms and their order).
    label : the endpoint text for the y axis (default: the PARAMCD).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arms = [lab for _v, lab in spec.arms]
    pct = [ix.num(o.id, a, o.paramcd, "pct") or 0.0 for a in arms]
    n = [int(ix.num(o.id, a, o.paramcd, "n") or 0) for a in arms]
    den = [int(ix.num(o.id, a, o.paramcd, "N") or 0) for a in arms]
    marks = [""] + [ix.text(o.id, a, o.paramcd, "sig_mark") for a in arms[1:]]
    firth = [False] + [ix.text(o.id, a, o.paramcd, "method") == "firth" for a in arms[1:]]

    with plt.rc_context(
        {"font.family": "DejaVu Sans", "font.size": 9, "svg.hashsalt": "adamforge", "path.simplify": True}
    ):
        fig, ax = plt.subplots(figsize=FIGURE_SIZE_IN)
        xs = range(len(arms))
        bars = ax.bar(
            xs, pct, width=0.6, color=[_COLORS[i % len(_COLORS)] for i in xs], edgecolor="black", linewidth=0.6
        )
        for i, b in enumerate(bars):
            top = b.get_height()
            ax.text(b.get_x() + b.get_width() / 2, top + 1.5, f"{n[i]}/{den[i]}", ha="center", va="bottom", fontsize=8)
            ax.text(
                b.get_x() + b.get_width() / 2,
                top / 2 if top > 8 else top + 7,
                f"{fmt.fmt_num(pct[i], 1)}%",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if top > 8 and i > 0 else "black",
            )
            if marks[i] or firth[i]:
                ax.text(
                    b.get_x() + b.get_width() / 2,
                    top + 7.5,
                    marks[i] + (FIRTH_MARK if firth[i] else ""),
                    ha="center",
                    va="bottom",
                    fontsize=11,
                    fontweight="bold",
                )
        ax.set_xticks(list(xs), arms)
        ax.set_ylim(0, 115)
        ax.set_yticks(range(0, 101, 20))
        ax.set_ylabel("Patients achieving the endpoint, %")
        ax.set_title(textwrap.fill(label or o.paramcd, 80), fontsize=9)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=FIGURE_DPI, metadata={"Software": None})
        plt.close(fig)
    return buf.getvalue()


def _step_num(ix: ArdIndex, output_id: str, group: str, parameter: str, statistic: str) -> float:
    """A product-limit step's ``time`` or ``surv``: always a number (the steps are computed from
    records with a time and a censoring flag), a ValueError if the ARD says otherwise."""
    v = ix.num(output_id, group, parameter, statistic)
    if v is None:
        raise ValueError(f"{output_id}: step {parameter} of {group!r} has no {statistic} in the ARD")
    return v


def km_png(o: Output, ix: ArdIndex, spec: TlfSpec) -> bytes:
    """Kaplan-Meier curves by arm from the ARD (steps, censoring marks), the numbers at risk under
    the axis, and the log-rank p-value; returns PNG bytes (byte-identical for the same ARD)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arms = [lab for _v, lab in spec.arms]
    keys = ix.keys()
    with plt.rc_context(
        {"font.family": "DejaVu Sans", "font.size": 9, "svg.hashsalt": "adamforge", "path.simplify": True}
    ):
        fig, ax = plt.subplots(figsize=(FIGURE_SIZE_IN[0], 5.0))
        styles = ("-", "--", ":", "-.")
        tmax = 0.0
        for i, lab in enumerate(arms):
            steps = sorted({p for (oid, g, p, s) in keys if oid == o.id and g == lab and p.startswith("KM|")})
            if not steps:
                continue
            t = [_step_num(ix, o.id, lab, p, "time") for p in steps]
            s = [_step_num(ix, o.id, lab, p, "surv") for p in steps]
            c = [ix.num(o.id, lab, p, "n_censor") for p in steps]
            tmax = max(tmax, max(t))
            color = _COLORS[(i + 1) % len(_COLORS)] if i else "#404040"
            ax.step(
                [0.0] + t,
                [1.0] + s,
                where="post",
                color=color,
                linestyle=styles[i % len(styles)],
                linewidth=1.2,
                label=lab,
            )
            ct = [tt for tt, cc in zip(t, c) if cc]
            cs = [ss for ss, cc in zip(s, c) if cc]
            ax.plot(ct, cs, linestyle="none", marker="|", markersize=7, color=color)
        ax.set_ylim(0, 1.05)
        ax.set_xlim(0, max(o.risk_times + (tmax,)) * 1.02 if tmax else 1)
        ax.set_xlabel(o.xlabel or "Time")
        ax.set_ylabel(o.ylabel or "Probability of no event")
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(loc="upper right", bbox_to_anchor=(1.0, 0.92), frameon=False, fontsize=8)
        p = ix.num(o.id, "", "LOGRANK", "p_value") if ix.has(o.id, "", "LOGRANK", "p_value") else None
        if p is not None:
            ax.text(
                0.98,
                0.97,
                f"Log-rank p = {fmt.fmt_pvalue(p)}".replace("= <", "< "),
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=8,
            )
        if o.risk_times:
            ax.set_xticks(list(o.risk_times))
            ax.text(
                -0.06,
                -0.17,
                "Number at risk",
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=8,
                fontweight="bold",
            )
            for i, lab in enumerate(arms):
                y = -0.24 - 0.07 * i
                ax.text(-0.06, y, lab, transform=ax.transAxes, ha="right", va="top", fontsize=8)
                for rt in o.risk_times:
                    key = (o.id, lab, f"RISK|{rt:g}", "n_risk")
                    if ix.has(*key):
                        ax.text(
                            rt,
                            y,
                            str(int(ix.num(*key) or 0)),
                            transform=ax.get_xaxis_transform(),
                            ha="center",
                            va="top",
                            fontsize=8,
                        )
        fig.subplots_adjust(left=0.25, right=0.97, top=0.95, bottom=0.12 + 0.07 * (len(arms) + 2))
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=FIGURE_DPI, metadata={"Software": None})
        plt.close(fig)
    return buf.getvalue()
