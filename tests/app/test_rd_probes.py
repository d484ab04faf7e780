"""A bitrate search's probe crosses on the RD plot: the right-hand plot's crosses show its metric."""

from __future__ import annotations

import pytest

from app.core.codecs import SideSettings
from app.core.rd_store import RDStore
from app.core.results import RDPoint
from app.core.state import SideName
from app.widgets.rd_plot import RDPlot
from app.widgets.rd_probes import ProbeMarks

_PROBES = [
    RDPoint(SideSettings("jpeg", 0.5), 0.8, 31.0, 14.0, 62.0, 0.08),
    RDPoint(SideSettings("jpeg", 0.3), 0.5, 29.0, 12.0, 48.0, 0.12),
    RDPoint(SideSettings("jpeg", 0.4), 0.6, 30.0, 13.0, None, None, perceptual_pending=True),
]


@pytest.fixture
def plot(qtbot) -> RDPlot:
    widget = RDPlot(RDStore())
    qtbot.addWidget(widget)
    return widget


def test_the_right_hand_crosses_follow_the_selected_metric(plot) -> None:
    marks = ProbeMarks(plot)
    marks.show(SideName.A, 0.6, _PROBES)
    assert marks.probes(SideName.A) == [(0.8, 31.0), (0.5, 29.0), (0.6, 30.0)]
    assert marks.right_probes(SideName.A) == [(0.8, 14.0), (0.5, 12.0), (0.6, 13.0)]  # MS-SSIM (dB) by default
    plot.set_metric("ssimulacra2")  # the probes already shown are redrawn in the new metric
    assert marks.right_probes(SideName.A) == [(0.8, 62.0), (0.5, 48.0)]  # the pending one has none yet
    marks.show(SideName.B, 0.7, _PROBES[:1])  # a new search draws in the selected metric
    assert marks.right_probes(SideName.B) == [(0.8, 62.0)]
    plot.set_metric("flip")
    assert marks.right_probes(SideName.A) == [(0.8, 0.08), (0.5, 0.12)]
    assert marks.right_probes(SideName.B) == [(0.8, 0.08)]
    assert marks.probes(SideName.A) == [(0.8, 31.0), (0.5, 29.0), (0.6, 30.0)]  # the PSNR plot is unchanged
    marks.show(SideName.A, None, _PROBES)  # the search's end clears its marks, whatever the metric
    plot.set_metric("ms-ssim")
    assert marks.right_probes(SideName.A) == [] and marks.right_probes(SideName.B) == [(0.8, 14.0)]
