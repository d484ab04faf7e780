"""Error maps: the absolute-error and SSIM maps equal numpy's and scikit-image's, the panes show
them through the colour map at the view's gain, the colour bar states that scale, and the switch
never stalls the window."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from skimage.metrics import structural_similarity

from app.core.codecs import SideSettings
from app.core.error_maps import (
    ErrorMapKind,
    absolute_error,
    colormap_rgb,
    error_levels,
    error_map_scale,
    ssim_map,
)
from app.core.view_state import ViewMode, ViewState
from app.widgets.canvas import ComparisonCanvas
from app.widgets.colour_bar import ColourBar
from app.widgets.view_toolbar import ViewToolbar

from tests.app.conftest import make_pixels
from tests.app.helpers import comparison_canvas, make_window, wait_done

SIZE = 48


def pictures() -> dict[str, np.ndarray]:
    """An original and two sides with different errors (B noisier, and blurred on its left)."""
    original = make_pixels(SIZE, seed=4)
    rng = np.random.default_rng(5)
    a = np.clip(original.astype(np.int16) + rng.integers(-6, 7, original.shape), 0, 255).astype(np.uint8)
    b = np.clip(original.astype(np.int16) + rng.integers(-40, 41, original.shape), 0, 255).astype(np.uint8)
    b[:, : SIZE // 2] = original[:, : SIZE // 2] // 2 + 60
    return {"Original": original, "A": a, "B": b}


def skimage_ssim(original: np.ndarray, side: np.ndarray) -> np.ndarray:
    _, full = structural_similarity(original, side, full=True, channel_axis=2, data_range=255)
    return full.mean(axis=2)


def magma(level: float, gain: float) -> tuple[int, int, int]:
    """The colour a map value of ``level``/255 of its full range gets at ``gain``."""
    r, g, b = colormap_rgb("magma")[min(255, round(level * gain))]
    return int(r), int(g), int(b)


def make_canvas(qtbot, arrays: dict[str, np.ndarray]) -> ComparisonCanvas:
    canvas = comparison_canvas(qtbot, arrays["Original"], arrays["A"], arrays["B"], (600, 300))
    canvas.view.set_mode(ViewMode.SIDE_BY_SIDE)
    canvas.view.set_zoom(5.0)  # 5 screen pixels per image pixel, nearest-neighbour
    return canvas


def shown(canvas: ComparisonCanvas, pane_index: int, x: int, y: int) -> tuple[int, int, int]:
    """The colour the canvas paints at the centre of image pixel (x, y) in pane ``pane_index``."""
    pane = canvas.view.panes(canvas.width(), canvas.height())[pane_index]
    sx, sy = pane.to_screen(x + 0.5, y + 0.5)
    image = canvas.grab().toImage()
    colour = image.pixelColor(int(sx * image.devicePixelRatio()), int(sy * image.devicePixelRatio()))
    return colour.red(), colour.green(), colour.blue()


def wait_maps(qtbot, canvas: ComparisonCanvas) -> None:
    canvas.grab()  # a paint asks for the maps
    qtbot.waitUntil(lambda: canvas.error_maps.pending() == 0 and all(
        canvas.side_map(n).image is not None for n in ("A", "B")), timeout=20000)


# -- the core: equal to numpy's and scikit-image's ----------------------------------------------------
def test_the_maps_equal_a_direct_numpy_and_skimage_computation() -> None:
    arrays = pictures()
    original = arrays["Original"]
    for name in ("A", "B"):
        side = arrays[name]
        direct = np.abs(original.astype(int) - side.astype(int)).max(axis=2)
        assert np.array_equal(absolute_error(original, side), direct)
        assert np.array_equal(error_levels(ErrorMapKind.ABS_ERROR, original, side), direct)
        ssim = ssim_map(original, side)
        assert ssim is not None
        np.testing.assert_allclose(ssim, skimage_ssim(original, side), atol=1e-6)
        levels = error_levels(ErrorMapKind.SSIM, original, side)
        assert levels is not None
        assert np.abs(levels.astype(int) - np.clip(1 - skimage_ssim(original, side), 0, 1) * 255).max() <= 0.5 + 1e-3


def test_a_large_image_in_strips_equals_one_whole_call_and_stops_when_cancelled() -> None:
    """Strips of rows (short calls: the GUI thread keeps the interpreter) change nothing."""
    rng = np.random.default_rng(9)
    original = rng.integers(0, 256, (700, 900, 3), dtype=np.uint8)  # 10 strips of 72 rows
    side = np.clip(original.astype(np.int16) + rng.integers(-25, 26, original.shape), 0, 255).astype(np.uint8)
    np.testing.assert_allclose(ssim_map(original, side), skimage_ssim(original, side), atol=1e-6)
    calls = []
    assert ssim_map(original, side, cancel=lambda: calls.append(1) or len(calls) > 1) is None
    assert len(calls) == 2  # checked before each strip: stopped before the second
    with pytest.raises(ValueError, match="7 x 7"):
        ssim_map(original[:6], side[:6])


# -- the scale: what the colour bar says --------------------------------------------------------------
def test_the_stated_scale_follows_the_gain() -> None:
    assert error_map_scale(ErrorMapKind.ABS_ERROR, 4).text == "|error| ×4, 0..64 of 255"
    assert error_map_scale(ErrorMapKind.ABS_ERROR, 1).text == "|error|, 0..255 of 255"
    assert error_map_scale(ErrorMapKind.SSIM, 1).text == "1 − SSIM, 0..1"
    assert error_map_scale(ErrorMapKind.SSIM, 8).text == "1 − SSIM ×8, 0..0.125"
    assert [label for _, label in error_map_scale(ErrorMapKind.ABS_ERROR, 2).ticks] == ["0", "32", "64", "96", "128"]


def test_the_colour_bar_states_the_scale_of_the_current_gain(qtbot) -> None:
    arrays = pictures()
    canvas = make_canvas(qtbot, arrays)
    bar = canvas.colour_bar
    assert isinstance(bar, ColourBar) and not bar.isVisible() and bar.text() == ""
    canvas.view.set_error_map(ErrorMapKind.ABS_ERROR)
    canvas.view.set_diff_gain(4)
    assert bar.isVisible() and bar.text() == "|error| ×4, 0..64 of 255"
    assert bar.title_lines() == ["|error| ×4", "0..64 of 255"]
    assert bar.tick_labels() == ["0", "16", "32", "48", "64"]
    canvas.view.set_diff_gain(16)
    assert bar.text() == "|error| ×16, 0..16 of 255" and bar.tick_labels()[-1] == "16"
    canvas.view.set_error_map(ErrorMapKind.SSIM)
    assert bar.text() == "1 − SSIM ×16, 0..0.0625"
    # Over the canvas's right edge, inside it, letting the mouse through to the loupe.
    assert canvas.rect().contains(bar.geometry()) and bar.geometry().right() > canvas.width() - 20
    assert bar.testAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
    # The bar's colours are the colour map, bottom (0) to top (the scale's top).
    image = canvas.grab().toImage()
    rect = bar.bar_rect().translated(bar.pos().toPointF())
    bottom = image.pixelColor(int(rect.center().x()), int(rect.bottom() - 2))
    top = image.pixelColor(int(rect.center().x()), int(rect.top() + 2))
    assert sum(abs(a - b) for a, b in zip((bottom.red(), bottom.green(), bottom.blue()), magma(1, 1), strict=True)) < 30
    assert sum(abs(a - b) for a, b in zip((top.red(), top.green(), top.blue()), magma(254, 1), strict=True)) < 30
    canvas.view.set_mode(ViewMode.DIFFERENCE)  # the difference view has its own map and no bar
    assert not bar.isVisible()
    canvas.view.set_error_map(ErrorMapKind.PICTURE)
    canvas.view.set_mode(ViewMode.SPLIT)
    assert not bar.isVisible()


# -- the canvas: each side's pane shows its map -------------------------------------------------------
def test_side_by_side_shows_each_sides_maps_through_the_colour_map_at_the_gain(qtbot) -> None:
    arrays = pictures()
    canvas = make_canvas(qtbot, arrays)
    view = canvas.view
    view.set_diff_gain(4)
    view.set_error_map(ErrorMapKind.ABS_ERROR)
    wait_maps(qtbot, canvas)
    original = arrays["Original"]
    points = [(3, 4), (20, 30), (30, 10), (12, 40), (24, 24)]  # B: left of the colour bar
    for pane, name in enumerate(("A", "B")):
        error = np.abs(original.astype(int) - arrays[name].astype(int)).max(axis=2)
        for x, y in points:
            assert shown(canvas, pane, x, y) == magma(error[y, x], 4), (name, x, y)
    assert "|error|" in canvas.captions()[0].full and canvas.captions()[0].full.startswith("A")

    # The gain recolours the same map (nothing computed again).
    computed = canvas.error_maps.computed
    view.set_diff_gain(16)
    error_b = np.abs(original.astype(int) - arrays["B"].astype(int)).max(axis=2)
    for x, y in points:
        assert shown(canvas, 1, x, y) == magma(error_b[y, x], 16)
    assert canvas.error_maps.computed == computed

    view.set_diff_gain(2)
    view.set_error_map(ErrorMapKind.SSIM)
    wait_maps(qtbot, canvas)
    for pane, name in enumerate(("A", "B")):
        level = np.clip(1 - skimage_ssim(original, arrays[name]), 0, 1) * 255
        for x, y in points:
            if abs(level[y, x] % 1 - 0.5) > 0.01:  # not on a rounding edge between two levels
                assert shown(canvas, pane, x, y) == magma(round(level[y, x]), 2), (name, x, y)
    # Back to the absolute error, and to the SSIM map: both cached per outcome.
    computed = canvas.error_maps.computed
    view.set_error_map(ErrorMapKind.ABS_ERROR)
    canvas.grab()
    view.set_error_map(ErrorMapKind.SSIM)
    canvas.grab()
    assert canvas.error_maps.pending() == 0 and canvas.error_maps.computed == computed


def test_split_view_shows_a_s_map_left_and_b_s_right_and_the_picture_again(qtbot) -> None:
    arrays = pictures()
    canvas = make_canvas(qtbot, arrays)
    view = canvas.view
    view.set_mode(ViewMode.SPLIT)
    view.set_error_map(ErrorMapKind.ABS_ERROR)
    wait_maps(qtbot, canvas)
    error = {n: np.abs(arrays["Original"].astype(int) - arrays[n].astype(int)).max(axis=2) for n in ("A", "B")}
    assert shown(canvas, 0, 10, 20) == magma(error["A"][20, 10], view.diff_gain)  # left of the divider
    assert shown(canvas, 0, 40, 20) == magma(error["B"][20, 40], view.diff_gain)  # right of it
    view.set_error_map(ErrorMapKind.PICTURE)
    assert shown(canvas, 0, 10, 20) == tuple(int(v) for v in arrays["A"][20, 10])


def test_a_stand_in_has_no_map_and_a_superseded_map_is_dropped(qtbot) -> None:
    arrays = pictures()
    canvas = make_canvas(qtbot, arrays)
    canvas.set_side("B", arrays["Original"], "b", pending="encoding…", stand_in=True)
    canvas.view.set_error_map(ErrorMapKind.SSIM)
    canvas.grab()
    assert canvas.side_map("B").image is None and canvas.side_map("B").note == "waiting for its result"
    newer = arrays["B"].copy()
    canvas.set_side("B", newer, "b")
    canvas.grab()
    qtbot.waitUntil(lambda: canvas.side_map("B").image is not None, timeout=20000)
    assert canvas.error_maps.pending() == 0


def test_the_toolbar_chooses_the_map_and_e_cycles(qtbot) -> None:
    view = ViewState()
    toolbar = ViewToolbar(view)
    qtbot.addWidget(toolbar)
    assert [toolbar.error_map.itemText(i) for i in range(toolbar.error_map.count())] == [
        "Picture", "Absolute error", "SSIM map"]
    assert not toolbar.gain.isEnabled()  # split, pictures: no gain to set
    toolbar.error_map.setCurrentIndex(2)
    toolbar.error_map.activated.emit(2)
    assert view.error_map is ErrorMapKind.SSIM and toolbar.gain.isEnabled()
    assert toolbar.next_error_map.shortcut().toString() == "E"
    toolbar.next_error_map.trigger()
    assert view.error_map is ErrorMapKind.PICTURE and toolbar.error_map.currentText() == "Picture"
    toolbar.next_error_map.trigger()
    assert view.error_map is ErrorMapKind.ABS_ERROR and toolbar.error_map.currentText() == "Absolute error"
    view.set_mode(ViewMode.DIFFERENCE)
    assert not toolbar.error_map.isEnabled()


# -- the window: never stalls while a map is made -------------------------------------------------------
def test_switching_to_the_error_maps_of_a_large_image_never_stalls_the_window(qtbot, app_settings, tmp_path) -> None:
    """The longest gap between 5 ms timer ticks from the switch to an SSIM map of a 2.6 MP image
    (both sides), through the absolute error and gain changes, until every map is on screen."""
    path = tmp_path / "large.png"
    base = make_pixels(256, seed=6)
    Image.fromarray(np.tile(base, (6, 8, 1))[:1536, :1700]).save(path)  # 1700 x 1536
    window = make_window(qtbot, app_settings, SideSettings("jpeg", 0.3), SideSettings("webp", 0.3), image=path)
    wait_done(qtbot, window, timeout=120000)
    service = window.controller.service
    # Encodes and the SSIMULACRA2 / FLIP process done: what is measured is this switch alone.
    qtbot.waitUntil(lambda: not service.is_busy() and not service.perceptual.pending(), timeout=300000)
    canvas = window.canvas
    view = window.controller.view
    view.set_mode(ViewMode.SIDE_BY_SIDE)
    qtbot.wait(200)

    clock = QElapsedTimer()
    clock.start()
    gaps: list[int] = []
    last = [clock.elapsed()]

    def tick() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    timer.start()
    started = clock.elapsed()
    view.set_error_map(ErrorMapKind.SSIM)
    qtbot.waitUntil(lambda: canvas.error_maps.pending() == 0 and canvas.side_map("B").image is not None, timeout=120000)
    ssim_s = (clock.elapsed() - started) / 1000
    view.set_error_map(ErrorMapKind.ABS_ERROR)
    qtbot.waitUntil(lambda: canvas.error_maps.pending() == 0 and canvas.side_map("B").image is not None, timeout=60000)
    for gain in (8, 16, 2, 4):
        view.set_diff_gain(gain)
        qtbot.wait(30)
    view.set_error_map(ErrorMapKind.SSIM)  # cached: at once
    qtbot.wait(100)
    timer.stop()
    assert canvas.side_map("A").image is not None
    worst = max(gaps)
    print(f"\nError maps of a 1700x1536 image: both SSIM maps in {ssim_s:.1f} s; {len(gaps)} ticks, "
          f"max stall {worst} ms, median {sorted(gaps)[len(gaps) // 2]} ms; the 8 longest: {sorted(gaps)[-8:]}")
    assert sum(gaps) >= 1000 * ssim_s * 0.9
    # 28-45 ms on the 2-core machine under its usual load (a training run beside the tests); with
    # nothing computing, 10 ms. Under a load of 9 on its 2 cores the worker, niced and preempted
    # while it holds the interpreter, made gaps of 70-90 ms (the MSP stall test: 190-300 ms). One
    # isolated hiccup of a shared machine is not a stall of ours (the same allowance as that test).
    assert sorted(gaps)[-2] < 50
    assert worst < 250
