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

    with plt.rc_context({"font.family": "DejaVu Sans", "font.size": 9, "svg.hashsalt": "adamforge",
                         "path.simplify": True}):
        fig, ax = plt.subplots(figsize=FIGURE_SIZE_IN)
        xs = range(len(arms))
        bars = ax.bar(xs, pct, width=0.6, color=[_COLORS[i % len(_COLORS)] for i in xs], edgecolor="black",
                      linewidth=0.6)
        for i, b in enumerate(bars):
            top = b.get_height()
            ax.text(b.get_x() + b.get_width() / 2, top + 1.5, f"{n[i]}/{den[i]}", ha="center", va="bottom", fontsize=8)
            ax.text(b.get_x() + b.get_width() / 2, top / 2 if top > 8 else top + 7,
                    f"{fmt.fmt_num(pct[i], 1)}%", ha="center", va="center", fontsize=8,
                    color="white" if top > 8 and i > 0 else "black")
            if marks[i] or firth[i]:
                ax.text(b.get_x() + b.get_width() / 2, top + 7.5, marks[i] + (FIRTH_MARK if firth[i] else ""),
                        ha="center", va="bottom", fontsize=11, fontweight="bold")
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
