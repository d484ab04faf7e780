"""ComparisonCanvas: what it paints where, and how the mouse drives the shared view."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent

from app.core.view_state import ViewMode, ViewState
from app.widgets.canvas import ComparisonCanvas


def solid(colour: tuple[int, int, int], size: int = 100) -> np.ndarray:
    return np.tile(np.array(colour, np.uint8), (size, size, 1))


def make_canvas(qtbot) -> ComparisonCanvas:
    view = ViewState()
    view.set_image_size(100, 100)
    canvas = ComparisonCanvas(view)
    qtbot.addWidget(canvas)
    canvas.resize(400, 300)
    canvas.set_side("A", solid((255, 0, 0)), "red")
    canvas.set_side("B", solid((0, 0, 255)), "blue")
    canvas.show()
    qtbot.waitExposed(canvas)
    return canvas


def pixel(canvas: ComparisonCanvas, x: int, y: int) -> tuple[int, int, int]:
    image = canvas.grab().toImage()
    ratio = image.devicePixelRatio()
    colour = image.pixelColor(int(x * ratio), int(y * ratio))
    return colour.red(), colour.green(), colour.blue()


def test_split_view_shows_a_left_b_right_and_the_divider_drags(qtbot) -> None:
    canvas = make_canvas(qtbot)
    assert pixel(canvas, 120, 250) == (255, 0, 0)
    assert pixel(canvas, 280, 250) == (0, 0, 255)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(200, 150))
    qtbot.mouseMove(canvas, QPoint(300, 150))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(300, 150))
    assert canvas.view.divider == 0.75
    assert pixel(canvas, 280, 250) == (255, 0, 0)


def test_hold_to_flip_swaps_the_sides(qtbot) -> None:
    canvas = make_canvas(qtbot)
    canvas.view.set_mode(ViewMode.FLIP)
    assert pixel(canvas, 200, 250) == (255, 0, 0)
    canvas.view.set_flipped(True)
    assert pixel(canvas, 200, 250) == (0, 0, 255)


def test_side_by_side_and_difference(qtbot) -> None:
    canvas = make_canvas(qtbot)
    canvas.view.set_mode(ViewMode.SIDE_BY_SIDE)
    assert pixel(canvas, 100, 150) == (255, 0, 0)
    assert pixel(canvas, 300, 150) == (0, 0, 255)
    canvas.set_side("B", solid((250, 0, 0)), "almost red")
    canvas.view.set_mode(ViewMode.DIFFERENCE)
    canvas.view.set_diff_gain(10)
    assert pixel(canvas, 200, 150) == (50, 0, 0)  # |255 - 250| x 10


def test_wheel_zooms_about_the_cursor_and_is_nearest_neighbour(qtbot) -> None:
    view = ViewState()
    view.set_image_size(4, 4)
    canvas = ComparisonCanvas(view)
    qtbot.addWidget(canvas)
    canvas.resize(400, 300)
    checker = (np.indices((4, 4)).sum(axis=0) % 2 * 255).astype(np.uint8)
    canvas.set_side("A", np.repeat(checker[..., None], 3, axis=2), "checker")
    canvas.set_side("B", np.repeat(checker[..., None], 3, axis=2), "checker")
    view.set_mode(ViewMode.FLIP)
    canvas.show()
    qtbot.waitExposed(canvas)
    anchor = QPointF(230, 140)
    before = canvas.pane_at(anchor).to_image(anchor.x(), anchor.y())
    event = QWheelEvent(anchor, canvas.mapToGlobal(anchor), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    canvas.wheelEvent(event)
    after = canvas.pane_at(anchor).to_image(anchor.x(), anchor.y())
    assert np.allclose(before, after)
    view.set_zoom(8.0)  # 800 %: each image pixel is an 8x8 block of one exact colour
    pane = canvas.pane_at(QPointF(200, 150))
    x0, y0 = (round(v) for v in pane.to_screen(1, 1))
    colours = {pixel(canvas, x0 + dx, y0 + dy) for dx in range(1, 7) for dy in range(1, 7)}
    assert colours == {(0, 0, 0)}
    assert pixel(canvas, x0 + 8 + 3, y0 + 3) == (255, 255, 255)
