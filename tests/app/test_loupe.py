"""The pixel loupe: real mouse moves over the canvas read the original's, A's and B's pixel under
the cursor, the same image pixel in every view mode, and draw it magnified nearest-neighbour."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF

from app.core.loupe import LOUPE_RADIUS, read_loupe
from app.core.view_state import ViewMode, ViewState
from app.widgets.canvas import ComparisonCanvas
from app.widgets.loupe import LOUPE_ZOOM, value_text
from app.widgets.view_toolbar import ViewToolbar

from tests.app.helpers import comparison_canvas

SIZE = 60


def pictures() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    return {name: rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8) for name in ("Original", "A", "B")}


def make_canvas(qtbot, arrays: dict[str, np.ndarray]) -> ComparisonCanvas:
    canvas = comparison_canvas(qtbot, arrays["Original"], arrays["A"], arrays["B"], (640, 400))
    canvas.view.set_zoom(3.0)  # 3 screen pixels per image pixel (offscreen: device pixel ratio 1)
    canvas.view.set_loupe(True)
    return canvas


def grabbed(canvas: ComparisonCanvas, x: float, y: float) -> tuple[int, int, int]:
    image = canvas.grab().toImage()
    ratio = image.devicePixelRatio()
    colour = image.pixelColor(int(x * ratio), int(y * ratio))
    return colour.red(), colour.green(), colour.blue()


def expected_pixel(canvas: ComparisonCanvas, pos: QPoint) -> tuple[int, int]:
    """The image pixel under ``pos``, from the view's geometry: pane centre = image point
    (30, 30), 3 screen pixels per image pixel."""
    pane = next(p for p in canvas.view.panes(canvas.width(), canvas.height()) if p.x <= pos.x() <= p.x + p.width)
    return (math.floor(30 + (pos.x() - (pane.x + pane.width / 2)) / 3),
            math.floor(30 + (pos.y() - (pane.y + pane.height / 2)) / 3))


def check_loupe_at(qtbot, canvas: ComparisonCanvas, arrays: dict[str, np.ndarray], pos: QPoint) -> tuple[int, int]:
    qtbot.mouseMove(canvas, pos)
    reading = canvas.loupe_reading()
    x, y = expected_pixel(canvas, pos)
    assert reading is not None and (reading.x, reading.y) == (x, y)
    layout = canvas.loupe_layout()
    assert layout is not None
    for index, sample in enumerate(reading.samples):
        value = tuple(int(v) for v in arrays[sample.name][y, x])
        assert sample.rgb == value
        assert value_text(sample) == ", ".join(str(v) for v in value)
        crop = layout.crops[index]
        centre = crop.x() + LOUPE_RADIUS * LOUPE_ZOOM + LOUPE_ZOOM / 2, crop.y() + LOUPE_RADIUS * LOUPE_ZOOM + LOUPE_ZOOM / 2
        assert grabbed(canvas, *centre) == value, sample.name  # the centre pixel, magnified
        # The pixel right of it: one whole LOUPE_ZOOM cell of one colour (nearest-neighbour).
        right = tuple(int(v) for v in arrays[sample.name][y, x + 1])
        for dx in (2, 5, 8):
            assert grabbed(canvas, centre[0] - LOUPE_ZOOM / 2 + LOUPE_ZOOM + dx, centre[1]) == right
    return x, y


@pytest.mark.parametrize("mode", [ViewMode.SPLIT, ViewMode.FLIP, ViewMode.DIFFERENCE])
def test_the_loupe_reads_the_pixel_under_the_cursor_in_one_pane_views(qtbot, mode: ViewMode) -> None:
    arrays = pictures()
    canvas = make_canvas(qtbot, arrays)
    canvas.view.set_mode(mode)
    for pos in (QPoint(320, 200), QPoint(391, 217), QPoint(250, 121)):  # both sides of the split divider
        check_loupe_at(qtbot, canvas, arrays, pos)


def test_side_by_side_reads_the_same_pixel_in_every_pane_and_marks_it_in_each(qtbot) -> None:
    arrays = pictures()
    canvas = make_canvas(qtbot, arrays)
    canvas.view.set_mode(ViewMode.SIDE_BY_SIDE)
    canvas.view.set_diff_pane(True)
    panes = canvas.view.panes(canvas.width(), canvas.height())
    assert len(panes) == 3
    seen = []
    for pane in panes:  # the same offset from each pane's centre: the same image pixel
        pos = QPoint(round(pane.x + pane.width / 2 + 13), 171)
        seen.append(check_loupe_at(qtbot, canvas, arrays, pos))
        markers = canvas.loupe_markers()
        assert len(markers) == 3
        # Each marker outlines that pixel in its pane: 3 x 3 screen pixels at this zoom.
        for marker, other in zip(markers, panes, strict=True):
            left, top = other.to_screen(*seen[-1])
            assert (marker.x(), marker.y()) == pytest.approx((left + 1.5 - 4.5, top + 1.5 - 4.5))
    assert seen[0] == seen[1] == seen[2]


def test_the_loupe_follows_the_cursor_and_goes_with_it(qtbot) -> None:
    arrays = pictures()
    canvas = make_canvas(qtbot, arrays)
    qtbot.mouseMove(canvas, QPoint(250, 150))
    first = canvas.loupe_reading()
    qtbot.mouseMove(canvas, QPoint(280, 150))  # 30 screen pixels = 10 image pixels right
    second = canvas.loupe_reading()
    assert first is not None and second is not None and second.x == first.x + 10 and second.y == first.y
    layout = canvas.loupe_layout()
    assert layout is not None and layout.box.left() > 280 and layout.box.top() > 150  # below-right of the cursor
    qtbot.mouseMove(canvas, QPoint(405, 285))  # near the bottom-right corner: the box goes above-left
    layout = canvas.loupe_layout()
    assert layout is not None and layout.box.right() < 405 and layout.box.bottom() < 285
    assert canvas.rect().contains(layout.box.toAlignedRect())
    qtbot.mouseMove(canvas, QPoint(20, 20))  # off the image: no loupe
    assert canvas.loupe_reading() is None and canvas.loupe_layout() is None
    qtbot.mouseMove(canvas, QPoint(250, 150))
    canvas.view.set_loupe(False)
    assert canvas.loupe_reading() is None and canvas.loupe_markers() == []


def test_the_loupe_toggles_from_the_toolbar_and_with_l(qtbot) -> None:
    view = ViewState()
    toolbar = ViewToolbar(view)
    qtbot.addWidget(toolbar)
    assert toolbar.loupe.shortcut().toString() == "L" and not toolbar.loupe.isChecked()
    toolbar.loupe.trigger()
    assert view.loupe
    view.set_loupe(False)
    assert not toolbar.loupe.isChecked()


def test_reading_at_the_edge_and_with_a_missing_side() -> None:
    arrays = pictures()
    reading = read_loupe((0.2, SIZE - 0.5), arrays["Original"], arrays["A"], None)
    assert reading is not None and (reading.x, reading.y) == (0, SIZE - 1)
    assert reading.sample("B").rgb is None and reading.sample("B").crop is None
    a = reading.sample("A")
    assert a.crop is not None
    r = LOUPE_RADIUS
    assert (a.crop[r, r] == arrays["A"][SIZE - 1, 0]).all()
    assert (a.crop[r - 2, r + 3] == arrays["A"][SIZE - 3, 3]).all()
    # Outside the image: left of x = 0 and below the last row.
    assert not reading.inside[:, :r].any() and not reading.inside[r + 1:, :].any() and reading.inside[:r + 1, r:].all()
    assert read_loupe((-0.01, 3), arrays["Original"], None, None) is None
    assert read_loupe((3, SIZE), arrays["Original"], None, None) is None
    # A side of another size (an old result of another image) is missing, not misread.
    assert read_loupe((3, 3), arrays["Original"], arrays["A"][:10], None).sample("A").rgb is None  # type: ignore[union-attr]


def test_loupe_repaints_only_around_itself(qtbot) -> None:
    """A mouse move repaints the old and new loupe and markers, not the whole canvas."""
    arrays = pictures()
    canvas = make_canvas(qtbot, arrays)
    canvas.set_loupe_cursor(QPointF(300, 180))
    before = canvas._loupe_region()
    canvas.set_loupe_cursor(QPointF(304, 180))
    region = before + canvas._loupe_region()
    area = sum(r.width() * r.height() for r in region)
    assert 0 < area < 0.5 * canvas.width() * canvas.height()
