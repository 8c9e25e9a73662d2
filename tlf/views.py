"""Views of the reference study's output kinds: the ARD (and, for the listing, the data) turned
into what a document shows. Looked up through :data:`adamforge.tlf.registry.OUTPUT_KINDS`.

A view function is ``view(o, ix, spec, data, files) -> OutputView``: ``ix`` the ARD index,
``data`` the :class:`adamforge.tlf.ard.TlfData`, ``files`` the step's files (a figure adds its PNG).
"""

from __future__ import annotations

from .render import OutputView
from .tables import baseline_table, fallback_footnotes, response_table

__all__ = ["baseline_view", "response_view", "bar_figure_view", "listing_view"]


def baseline_view(o, ix, spec, data, files) -> OutputView:
    return OutputView(o, table=baseline_table(o, ix), footnotes=o.footnotes)


def response_view(o, ix, spec, data, files) -> OutputView:
    dt = response_table(o, ix, spec)
    return OutputView(o, table=dt, footnotes=o.footnotes + dt.extra_footnotes)


def bar_figure_view(o, ix, spec, data, files) -> OutputView:
    from .figures import figure_png

    src = spec.output(o.source)
    label = next(e.label for e in src.endpoints if e.paramcd == o.paramcd)
    png = figure_png(o, ix, spec, label=label)
    files[f"{o.file_stem}.png"] = png
    extra = fallback_footnotes(o.id, [(o.paramcd, label)], ix, spec)
    return OutputView(o, png=png, footnotes=o.footnotes + extra)


def listing_view(o, ix, spec, data, files) -> OutputView:
    from .listing import create_listing_frame, listing_table

    frame = create_listing_frame(data.adsl, data.adeff, o, spec)
    return OutputView(o, table=listing_table(o, frame), footnotes=o.footnotes)
