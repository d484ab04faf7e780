"""RDPlot: curves fill in from the store, A/B rings, clicking a point asks to load it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt

from app.core.backends.reference import load_vtm_kodak
from app.core.codecs import SideSettings
from app.core.rd_store import RDStore
from app.widgets.rd_plot import RDPlot

from tests.app.helpers import outcome


def test_rd_plot_fills_in_and_click_loads_a_point(qtbot) -> None:
    store = RDStore()
    plot = RDPlot(store)
    qtbot.addWidget(plot)
    plot.resize(900, 320)
    reference = load_vtm_kodak()
    plot.set_reference(reference)
    if reference is not None:
        assert reference.label == "VTM (Kodak average)"
        assert "VTM (Kodak average)" in [label.text for _, label in plot.legend.items]
    plot.show()
    qtbot.waitExposed(plot)
    store.reset("img")
    for q, bpp, psnr in ((0.2, 0.3, 30.0), (0.5, 0.8, 35.0), (0.8, 2.0, 40.0)):
        store.add(outcome("img", SideSettings("vvc", q), bpp=bpp, psnr=psnr))
    store.add(outcome("img", SideSettings("msp-fast", 0.5), bpp=0.5, psnr=34.0))
    assert plot.point_count() == 4
    plot.psnr_plot.vb.setRange(xRange=(0.05, 0.3), padding=0)  # low rates: still labelled in bpp
    qtbot.wait(50)
    assert plot.psnr_plot.getAxis("bottom").labelString().count("x0.") == 0
    plot.highlight("A", outcome("img", SideSettings("msp-fast", 0.5), bpp=0.5, psnr=34.0))
    assert list(plot._marks["A"][0].data["x"]) == [0.5]

    plot.psnr_plot.vb.setRange(xRange=(0, 2.5), yRange=(25, 45), padding=0)
    qtbot.wait(50)
    scene_pos = plot.psnr_plot.vb.mapViewToScene(QPointF(0.8, 35.0))
    view_pos = plot.graphics.mapFromScene(scene_pos)
    with qtbot.waitSignal(plot.pointClicked, timeout=2000) as blocker:
        qtbot.mouseClick(plot.graphics.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier,
                         view_pos)
    settings, to_b = blocker.args
    assert settings == SideSettings("vvc", 0.5) and to_b is True
    store.reset("other")
    assert plot.point_count() == 0
    assert np.isfinite(reference.bpp).all() if reference else True
