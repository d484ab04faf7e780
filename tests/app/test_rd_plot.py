"""RDPlot: curves fill in from the store, A/B rings, clicking a point asks to load it; each codec in its
catalogue colour, a legend that fits, a rate axis that follows our codec, an optional log scale."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QRect, Qt

from codec.baselines import catalogue, colour_of

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
        assert "VTM (Kodak average)" in plot.legend.labels()
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
    assert list(plot._marks["A"][0].xData) == [0.5]

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


# -- issue #18, item 7: readable RD plots --------------------------------------------------------

MSP_RATES = (0.12, 0.25, 0.45, 0.74)  # our codec ends at 0.74 bpp ...
CLASSIC_RATES = (0.2, 0.6, 1.4, 3.5)  # ... the classic codecs run on to 3.5


def filled_store() -> RDStore:
    store = RDStore()
    store.reset("img")
    for codec in ("msp-fast", "msp-balanced", "msp-best"):
        for q, bpp in zip((0.2, 0.4, 0.6, 0.8), MSP_RATES, strict=True):
            store.add(outcome("img", SideSettings(codec, q), bpp=bpp, psnr=28 + 8 * bpp))
    for codec in ("jpeg", "webp", "jpeg2000", "avif", "jxl", "hevc", "vvc"):
        for q, bpp in zip((0.2, 0.4, 0.6, 0.8), CLASSIC_RATES, strict=True):
            store.add(outcome("img", SideSettings(codec, q), bpp=bpp, psnr=26 + 5 * bpp))
    return store


def shown_plot(qtbot, size: tuple[int, int] = (1280, 240)) -> RDPlot:
    plot = RDPlot(filled_store())
    qtbot.addWidget(plot)
    plot.set_reference(load_vtm_kodak())
    plot.resize(*size)
    plot.show()
    qtbot.waitExposed(plot)
    qtbot.wait(20)
    return plot


def test_each_codec_keeps_its_catalogue_colour_learned_solid_classic_dashed(qtbot) -> None:
    plot = shown_plot(qtbot)
    drawn = {}
    for entry in catalogue():
        items = plot.curve_items(entry.key)
        assert items is not None, entry.key
        for item in items:  # both plots
            pen = item.opts["pen"]
            assert pen.color().name().lower() == entry.colour.lower(), entry.key
            wanted = Qt.PenStyle.SolidLine if entry.kind == "learned" else Qt.PenStyle.DashLine
            assert pen.style() == wanted, entry.key
        drawn[entry.key] = entry.colour.lower()
    assert len(set(drawn.values())) == len(drawn)  # one colour per codec, none shared
    # the published VTM curve is VVC's (its reference encoder), dash-dotted with hollow markers
    references = plot.reference_items()
    assert references
    for item in references:
        assert item.opts["pen"].color().name().lower() == colour_of("vvc").lower()
        assert item.opts["pen"].style() == Qt.PenStyle.DashDotLine
    # the legend shows each curve as drawn: learned first, the reference last
    entries = [row.entry for row in plot.legend.rows]
    assert [e.key for e in entries[:3]] == ["msp-fast", "msp-balanced", "msp-best"]
    assert entries[-1].label == "VTM (Kodak average)" and not entries[-1].filled
    for e in entries[:-1]:
        assert e.colour.lower() == drawn[e.key]


def legend_geometry(plot: RDPlot) -> list[tuple[str, QRect, QRect, QRect]]:
    """Per legend row, in the plot's coordinates: its label, its marker's rect, its text's rect
    (as wide as the text, by QFontMetrics) and the text label's own rect."""
    rows = []
    for row in plot.legend.rows:
        swatch = QRect(row.swatch.mapTo(plot, QPoint(0, 0)), row.swatch.size())
        label = QRect(row.label.mapTo(plot, QPoint(0, 0)), row.label.size())
        metrics = row.label.fontMetrics()
        text = QRect(label.left(), label.center().y() - metrics.height() // 2,
                     metrics.horizontalAdvance(row.label.text()), metrics.height())
        rows.append((row.entry.label, swatch, text, label))
    return rows


@pytest.mark.parametrize("size", [(1280, 240), (1000, 160), (1920, 380)], ids=["1280x720-dock", "minimum-dock",
                                                                            "1920x1080-dock"])
def test_the_legend_fits_and_its_markers_sit_level_with_their_labels(qtbot, size) -> None:
    plot = shown_plot(qtbot, size)
    rows = legend_geometry(plot)
    assert len(rows) == 11  # ten codecs and the reference
    inside = plot.rect()
    for name, swatch, text, label in rows:
        assert inside.contains(swatch) and inside.contains(text), f"{name} is cut off at {size}"
        assert label.contains(text) or label.width() >= text.width(), f"{name}'s text does not fit its label"
        assert abs(swatch.center().y() - text.center().y()) <= 1, f"{name}'s marker is not level with its text"
    boxes = [swatch.united(text) for _, swatch, text, _ in rows]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.intersects(b)
    # the legend never covers the plots
    graphics = QRect(plot.graphics.mapTo(plot, QPoint(0, 0)), plot.graphics.size())
    assert not any(graphics.intersects(box) for box in boxes)


def test_the_rate_axis_follows_our_codec_and_clips_the_others(qtbot) -> None:
    plot = shown_plot(qtbot)
    low, high = plot.psnr_plot.vb.viewRange()[0]
    assert low <= 0.0 + 1e-9
    assert max(MSP_RATES) < high <= max(MSP_RATES) * 1.3, high  # our last point, with a margin
    reference = load_vtm_kodak()
    if reference is not None:
        assert max(reference.bpp) > high  # the reference is clipped, it does not stretch the axis
    assert max(CLASSIC_RATES) > high
    # the two plots share the axis; the A/B points widen it when they lie further out
    assert plot.msssim_plot.vb.viewRange()[0] == pytest.approx([low, high])
    plot.highlight("B", outcome("img", SideSettings("vvc", 0.6), bpp=1.4, psnr=33.0))
    assert 1.4 < plot.psnr_plot.vb.viewRange()[0][1] <= 1.4 * 1.3


def test_a_log_rate_axis_on_both_plots(qtbot) -> None:
    plot = shown_plot(qtbot)
    plot.highlight("A", outcome("img", SideSettings("msp-balanced", 0.4), bpp=0.25, psnr=30.0))
    plot.log_rate.setChecked(True)
    for p in (plot.psnr_plot, plot.msssim_plot):
        assert p.getAxis("bottom").logMode
    low, high = plot.visible_rate_range()
    assert low < min(MSP_RATES) and max(MSP_RATES) < high <= max(MSP_RATES) * 1.5
    assert high / low < 20  # fitted to our curve, not to 3.5 bpp
    # the A ring and its letter move with the axis
    ring = plot._marks["A"][0]
    shown_x, _ = ring.getData()  # as displayed: log10 of the rate
    assert ring.isVisible() and shown_x is not None and shown_x[0] == pytest.approx(math.log10(0.25))
    assert plot._marks["A"][2].pos().x() == pytest.approx(math.log10(0.25))
    plot.log_rate.setChecked(False)
    assert not plot.psnr_plot.getAxis("bottom").logMode
    assert plot.psnr_plot.vb.viewRange()[0][1] == pytest.approx(max(MSP_RATES) * 1.12, rel=0.1)


def test_clicking_a_legend_row_hides_its_curve(qtbot) -> None:
    plot = shown_plot(qtbot)
    row = next(r for r in plot.legend.rows if r.entry.key == "jpeg")
    qtbot.mouseClick(row, Qt.MouseButton.LeftButton)
    items = plot.curve_items("jpeg")
    assert items is not None and not any(item.isVisible() for item in items)
    qtbot.mouseClick(row, Qt.MouseButton.LeftButton)
    assert all(item.isVisible() for item in items)
    # hidden stays hidden when the curves are drawn again for a new image
    qtbot.mouseClick(row, Qt.MouseButton.LeftButton)
    plot.store.reset("next")
    plot.store.add(outcome("next", SideSettings("jpeg", 0.5), bpp=0.5, psnr=30.0))
    items = plot.curve_items("jpeg")
    assert items is not None and not any(item.isVisible() for item in items)
    assert not next(r for r in plot.legend.rows if r.entry.key == "jpeg").shown
