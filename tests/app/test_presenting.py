"""Issue #19 item 8: view bookmarks, presentation mode and the comparison snapshot."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFont
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDockWidget, QToolBar

from app.core.bitrate_matcher import SearchReport
from app.core.codecs import SideSettings
from app.core.size_target import parse_size_target
from app.core.snapshot import (
    BACKGROUND,
    FONT_SIZE,
    GAP,
    LINE_SPACING,
    MARGIN,
    CropBox,
    compose_snapshot,
    visible_box,
)
from app.core.state import SideName
from app.core.view_bookmarks import ViewBookmark, ViewBookmarks
from app.core.view_state import ViewMode, ViewState
from app.screenshot import Screenshotter, standard_set
from app.widgets.shortcut_help import shortcut_rows
from app.widgets.snapshot_export import comparison_snapshot

from tests.app.helpers import make_window, wait_done

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier


# -- bookmarks ---------------------------------------------------------------------------------------
def test_a_bookmark_is_the_view_on_screen_and_survives_json() -> None:
    view = ViewState()
    view.set_image_size(300, 200)
    view.set_mode(ViewMode.SIDE_BY_SIDE)
    view.set_diff_pane(True)
    view.set_zoom(4.0)
    view.center = (120.5, 64.0)
    view.set_divider(0.3)
    mark = ViewBookmark.of(view)
    slots = ViewBookmarks()
    slots.store(7, mark)
    again = ViewBookmarks.from_json(slots.to_json())
    assert again.get(7) == mark and again.filled() == [7]
    view.fit()
    view.set_mode(ViewMode.FLIP)
    changes: list[None] = []
    view.changed.connect(lambda: changes.append(None))
    again.get(7).apply(view)
    assert (view.mode, view.zoom, view.center, view.divider, view.diff_pane) == (
        ViewMode.SIDE_BY_SIDE, 4.0, (120.5, 64.0), 0.3, True)
    assert len(changes) == 1  # one repaint
    assert mark.describe() == "side by side, 400 % at (120, 64)"
    with pytest.raises(ValueError):
        slots.store(10, mark)


def test_damaged_saved_bookmarks_are_skipped() -> None:
    good = ViewBookmark(ViewMode.SPLIT, None, None, 0.5, False).to_dict()
    damaged = {"2": {"mode": "sideways"}, "x": 1,
               "3": {"mode": "split", "zoom": "NaN", "center": None, "divider": 0.5, "diff_pane": False}}
    text = json.dumps({"1": good, **damaged})
    assert ViewBookmarks.from_json(text).filled() == [1]
    assert ViewBookmarks.from_json("not json").filled() == [] == ViewBookmarks.from_json("[1]").filled()


def test_bookmarks_store_and_recall_with_keys_per_image(qtbot, app_settings, png64: Path, png200: Path) -> None:
    window = make_window(qtbot, app_settings, SideSettings("jpeg", 0.5), SideSettings("original"), image=png200)
    qtbot.waitUntil(lambda: window.controller.image is not None, timeout=10000)
    view = window.controller.view
    view.set_mode(ViewMode.SIDE_BY_SIDE)
    view.set_zoom(2.0)
    view.center = (50.0, 150.0)
    qtbot.keyClick(window.canvas, Qt.Key.Key_3, CTRL_SHIFT)
    stored = ViewBookmark.of(view)
    assert window.bookmarks.bookmarks.get(3) == stored
    view.set_mode(ViewMode.DIFFERENCE)
    view.fit()
    qtbot.keyClick(window.canvas, Qt.Key.Key_3, ALT)
    assert ViewBookmark.of(view) == stored
    qtbot.keyClick(window.canvas, Qt.Key.Key_5, ALT)  # an empty slot: the view stays, the status bar says so
    assert ViewBookmark.of(view) == stored and "bookmark 5 is empty" in window.statusBar().currentMessage()
    # Another image has slots of its own; coming back to this one brings its slots back.
    window.controller.open_path(png64)
    qtbot.waitUntil(lambda: window.controller.image is not None and window.controller.image.width == 64, timeout=10000)
    assert window.bookmarks.bookmarks.filled() == []
    window.close()
    again = make_window(qtbot, app_settings, SideSettings("jpeg", 0.5), SideSettings("original"), image=png200)
    qtbot.waitUntil(lambda: again.controller.image is not None, timeout=10000)
    qtbot.keyClick(again.canvas, Qt.Key.Key_3, ALT)
    assert ViewBookmark.of(again.controller.view) == stored
    rows = {keys: what for _section, keys, what in shortcut_rows(again)}  # the F1 table lists them
    assert rows["Alt+3"].startswith("Recall view bookmark 3 (side by side, 200 %")
    assert rows["Ctrl+Shift+3"] == "Store view as bookmark 3"
    again.close()


# -- presentation mode -------------------------------------------------------------------------------------
def _layout(window) -> dict[str, object]:
    chrome = [window.menuBar(), window.statusBar(), *window.findChildren(QToolBar), *window.findChildren(QDockWidget),
              *window.panel_scrolls.values()]
    return {"visible": [w.isVisible() for w in chrome], "geometry": window.geometry(),
            "docks": [d.geometry() for d in window.findChildren(QDockWidget)],
            "splitter": window.findChild(type(window.canvas.parentWidget()), "mainSplitter").sizes(),
            "canvas": window.canvas.size()}


def test_presentation_mode_shows_the_canvas_alone_and_gives_the_layout_back(qtbot, app_settings) -> None:
    window = make_window(qtbot, app_settings, SideSettings("jpeg", 0.5), SideSettings("original"))
    window.batch_dock.show()  # a layout of the user's own: a side dock open too
    qtbot.wait(50)
    before = _layout(window)
    qtbot.keyClick(window.canvas, Qt.Key.Key_F11)
    qtbot.waitUntil(window.isFullScreen, timeout=3000)
    assert window.presentation.presenting() and window.canvas.isVisible()
    assert not any(w.isVisible() for w in window.presentation.chrome())
    qtbot.waitUntil(lambda: window.canvas.size() == window.size(), timeout=3000)  # all of it, no frame
    qtbot.keyClick(window.canvas, Qt.Key.Key_2)  # the window's shortcuts still work, menus hidden or not
    assert window.controller.view.mode is ViewMode.SIDE_BY_SIDE
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=3000)
    qtbot.wait(50)
    assert not window.presentation.presenting()
    assert _layout(window) == before
    # Esc is the cancel key again, F11 enters and leaves.
    keys = {what: keys for _section, keys, what in shortcut_rows(window)}
    assert keys["Cancel encodes"] == "Esc" and keys["Presentation mode (full screen)"] == "F11"
    qtbot.keyClick(window.canvas, Qt.Key.Key_F11)
    qtbot.waitUntil(window.isFullScreen, timeout=3000)
    qtbot.keyClick(window.canvas, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=3000)
    qtbot.wait(50)
    assert _layout(window) == before


# -- the comparison snapshot ------------------------------------------------------------------------------
def test_visible_box_is_the_image_part_of_the_pane() -> None:
    view = ViewState()
    view.set_image_size(200, 100)
    assert visible_box(view.panes(400, 300)[0], 200, 100) == CropBox(0, 0, 200, 100)  # fit: all of it
    view.set_zoom(4.0)
    view.center = (50.0, 40.0)
    # 100 x 75 image px in view, from y = 2.5: rows 2 and 77 are half in view, and in the box.
    assert visible_box(view.panes(400, 300)[0], 200, 100) == CropBox(0, 2, 100, 78)
    view.center = (1000.0, 40.0)
    with pytest.raises(ValueError):
        visible_box(view.panes(400, 300)[0], 200, 100)


def test_the_snapshot_is_both_crops_side_by_side_with_captions(qtbot, app_settings, png200: Path,
                                                                tmp_path: Path) -> None:
    window = make_window(qtbot, app_settings, SideSettings("jpeg", 0.2), SideSettings("webp", 0.3), image=png200)
    wait_done(qtbot, window)
    state, view = window.controller.state, window.controller.view
    view.set_mode(ViewMode.SIDE_BY_SIDE)
    view.set_zoom(2.0)
    view.center = (70.0, 90.0)
    qtbot.wait(20)
    pane = view.panes(window.canvas.width(), window.canvas.height(), window.canvas.devicePixelRatioF())[0]
    box = visible_box(pane, 200, 200)
    assert 0 < box.width < 200 or 0 < box.height < 200  # a crop, not the whole image
    target = tmp_path / "shots" / "compare.png"
    with qtbot.waitSignal(window.controller.files.written, timeout=10000):
        assert window.snapshot_export.export(target)
    saved = np.asarray(Image.open(target).convert("RGB"))

    font = ImageFont.load_default(size=FONT_SIZE)
    ascent, descent = font.getmetrics()
    line_height = ascent + descent + LINE_SPACING
    captions = comparison_snapshot(window.canvas, state).lines  # what the export wrote under the crops
    crops, widths = [], []
    for side, caption in zip((state.a, state.b), captions, strict=True):
        result = side.result
        assert caption[0] == f"{side.name.value}: {result.label}"
        assert f"{result.num_bytes:,} B" in caption[1] and f"{result.bpp:.3f} bpp" in caption[1]
        assert f"PSNR {result.metrics.psnr:.2f} dB" in caption[2]
        assert f"MS-SSIM {result.metrics.msssim:.5f}" in caption[2]
        crop = np.repeat(np.repeat(box.crop(result.reconstruction), 2, axis=0), 2, axis=1)  # 200 %: 2 x 2 blocks
        crops.append(crop)
        widths.append(max(crop.shape[1], *(math.ceil(font.getlength(text)) for text in caption)))
    assert saved.shape == (2 * MARGIN + crops[0].shape[0] + GAP + 3 * line_height,
                           2 * MARGIN + widths[0] + GAP + widths[1], 3)
    lefts = (MARGIN, MARGIN + widths[0] + GAP)
    top = MARGIN + crops[0].shape[0] + GAP
    for left, width, crop, caption in zip(lefts, widths, crops, captions, strict=True):
        assert np.array_equal(saved[MARGIN:MARGIN + crop.shape[0], left:left + crop.shape[1]], crop)
        # Under the crop, its caption's lines, each inked as far as the font makes it reach.
        for i, text in enumerate(caption):
            band = saved[top + i * line_height: top + (i + 1) * line_height, left:left + width]
            ink = np.any(band != np.array(BACKGROUND, np.uint8), axis=2)
            columns = np.nonzero(ink.any(axis=0))[0]
            assert columns.size and abs(columns[-1] + 1 - font.getlength(text)) <= 2, text
            assert ink.any(axis=1).sum() >= FONT_SIZE // 2


def test_nothing_to_snapshot_is_a_warning_not_a_file(qtbot, app_settings, tmp_path: Path) -> None:
    window = make_window(qtbot, app_settings, SideSettings("jpeg", 0.5), SideSettings("original"))
    assert not window.snapshot_export.export(tmp_path / "none.png")
    assert window.messages.level == "warning" and "No image" in window.messages.text()
    assert not (tmp_path / "none.png").exists()


def test_compose_keeps_every_crop_pixel_at_any_scale() -> None:
    rng = np.random.default_rng(1)
    a, b = (rng.integers(0, 256, (9, 14, 3), dtype=np.uint8) for _ in range(2))
    for scale in (1, 3):
        shot = compose_snapshot([(a, ("A: x",)), (b, ("B: y",))], scale)
        for crop, (x, y) in zip((a, b), shot.crops, strict=True):
            big = np.repeat(np.repeat(crop, scale, axis=0), scale, axis=1)
            assert np.array_equal(shot.pixels[y:y + big.shape[0], x:x + big.shape[1]], big)


# -- the screenshots of these features ---------------------------------------------------------------------
def test_the_screenshot_set_grabs_presentation_a_target_search_and_the_snapshot(qtbot, app_settings,
                                                                                 png200: Path, tmp_path: Path) -> None:
    window = make_window(qtbot, app_settings, SideSettings("jpeg", 0.5), SideSettings("webp", 0.5), image=png200)
    names = ("presentation", "target-size", "comparison-snapshot")
    shots = [shot for shot in standard_set(tmp_path) if shot.path.stem in names]
    assert [shot.path.stem for shot in shots] == list(names)
    ended: list[SearchReport] = []
    window.controller.searchEnded.connect(ended.append)
    Screenshotter(window, [replace(shot, target=(SideName.B, "2 KiB")) if shot.target else shot
                           for shot in shots]).start()
    qtbot.waitUntil(lambda: all(shot.path.exists() for shot in shots) and not window.isVisible(), timeout=60000)
    presenting, screen = QImage(str(shots[0].path)), window.screen().geometry()
    dpr = window.devicePixelRatioF()
    assert (presenting.width(), presenting.height()) == (round(screen.width() * dpr), round(screen.height() * dpr))
    (report,) = ended  # the target shot waited for its search
    assert report.side is SideName.B and report.target == parse_size_target("2 KiB")
    assert window.panels[SideName.B].target.result.text()  # and said what it found
    snapshot = np.asarray(Image.open(shots[2].path).convert("RGB"))  # the export's own picture of the view
    assert np.array_equal(snapshot, comparison_snapshot(window.canvas, window.controller.state).pixels)
    assert not window.presentation.presenting()
