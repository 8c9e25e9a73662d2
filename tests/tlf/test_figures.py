"""Figures: marks and n/N drawn from the ARD (not re-tested), 300 dpi, same ARD -> same bytes."""

import struct

import matplotlib.axes
import pytest

from adamforge.tlf import ard as ardm
from adamforge.tlf.figures import figure_png
from adamforge.tlf.tables import ArdIndex


@pytest.fixture(scope="module")
def ard(tiny_inputs):
    adsl, adeff, spec = tiny_inputs
    return ardm.compute_ard(adsl, adeff, spec)


def _texts(monkeypatch):
    seen = []
    orig = matplotlib.axes.Axes.text

    def spy(self, x, y, s, *a, **k):
        seen.append(s)
        return orig(self, x, y, s, *a, **k)

    monkeypatch.setattr(matplotlib.axes.Axes, "text", spy)
    return seen


def test_marks_and_counts_come_from_the_ard(ard, tiny_inputs, monkeypatch):
    spec = tiny_inputs[2]
    fake = ard.copy()
    sel = (fake["output_id"] == "Figure 2") & (fake["statistic"] == "sig_mark") & (fake["group"] == "RUX 1.5%")
    fake.loc[sel, "value_char"] = "***"  # the ARD says ***: the figure must show it, whatever the data
    seen = _texts(monkeypatch)
    figure_png(spec.output("Figure 2"), ArdIndex(fake), spec, label="EASI-50")
    assert "***" in seen
    assert {"1/2", "2/2"} <= set(seen)
    assert "\u2020" in seen  # the Firth-flagged 0.75% comparison (no significance mark)
    assert "100.0%" in seen and "50.0%" in seen


def test_png_is_300_dpi_and_reproducible(ard, tiny_inputs):
    spec = tiny_inputs[2]
    a = figure_png(spec.output("Figure 2"), ArdIndex(ard), spec)
    b = figure_png(spec.output("Figure 2"), ArdIndex(ard), spec)
    assert a == b
    assert a[:8] == b"\x89PNG\r\n\x1a\n"
    i = a.index(b"pHYs")
    ppm_x, ppm_y, unit = struct.unpack(">IIB", a[i + 4 : i + 13])
    assert unit == 1 and round(ppm_x * 0.0254) == 300
    assert b"Software" not in a
