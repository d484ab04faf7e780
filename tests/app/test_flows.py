"""End-to-end flows through the real window, real workers and real codecs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from app.core.codecs import SideSettings
from app.core.state import SideName
from app.core.view_state import ViewMode

from tests.app.helpers import drop_paths, make_window, wait_done


def test_drop_a_file_and_encode_both_sides(qtbot, app_settings, png200: Path) -> None:
    window = make_window(qtbot, app_settings, SideSettings("jpeg", 0.5), SideSettings("webp", 0.5))
    drop_paths(window, [png200])
    wait_done(qtbot, window)
    c = window.controller
    assert "PNG, 200 x 200" in window.image_label.text()
    for name in SideName:
        readout = window.panels[name].readout
        assert readout.text("PSNR").endswith(" dB")
        assert "dB)" in readout.text("MS-SSIM")  # 200 px > 160: MS-SSIM and its dB
        assert float(readout.text("bpp")) == c.state.side(name).result.bpp
        assert readout.text("% of original").endswith("%")
        assert window.canvas.image(name.value) is not None
    assert len(c.rd) == 2
    # Clicking an RD point loads it (Shift: side B) - the same result, straight from the cache.
    window.rd_plot.pointClicked.emit(SideSettings("jpeg", 0.5), True)
    wait_done(qtbot, window, SideName.B)
    assert c.state.b.result is c.state.a.result


def test_folders_queue_up_and_bad_files_give_a_message(qtbot, app_settings, tmp_path: Path, png64: Path) -> None:
    window = make_window(qtbot, app_settings, SideSettings("jpeg", 0.5), SideSettings("original"))
    folder = tmp_path / "batch"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.full((16, 16, 3), i * 40, np.uint8)).save(folder / f"img{i}.png")
    drop_paths(window, [folder])
    assert len(window.controller.batch) == 3
    assert not window.batch_dock.isHidden()
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 definitely not a jpeg")
    drop_paths(window, [bad])
    qtbot.waitUntil(lambda: window.messages.level == "error", timeout=5000)
    assert "broken.jpg" in window.messages.text()
    drop_paths(window, [png64])  # the window still works
    wait_done(qtbot, window)
    assert window.controller.state.b.result.metrics.lossless


def test_cache_makes_switching_back_instant(qtbot, app_settings, png64: Path) -> None:
    window = make_window(qtbot, app_settings, SideSettings("avif", 0.5), SideSettings("original"), image=png64)
    wait_done(qtbot, window)
    c = window.controller
    first = c.state.a.result
    c.set_side_settings(SideName.A, SideSettings("avif", 0.2))
    wait_done(qtbot, window)
    started: list[int] = []
    c.service.jobStarted.connect(started.append)
    c.set_side_settings(SideName.A, SideSettings("avif", 0.5))
    # The first encode's own picture (its outcome object may since carry SSIMULACRA2 and FLIP, measured
    # a moment after it landed: the same result, completed, so it is matched by its pixels).
    qtbot.waitUntil(lambda: c.state.a.result is not None and c.state.a.result.reconstruction is first.reconstruction,
                    timeout=500)
    assert c.state.a.result.data == first.data
    assert started == []  # no encode ran: the LRU cache answered


def test_stale_result_never_shows(qtbot, app_settings, png200: Path) -> None:
    """Change a side's setting while its encode runs: only the newest setting's result appears."""
    window = make_window(qtbot, app_settings, SideSettings("vvc", 0.9), SideSettings("original"), image=png200)
    c = window.controller
    shown: list[SideSettings] = []
    c.state.a.result_changed.connect(lambda side: side.result and shown.append(side.result.settings))
    qtbot.waitUntil(lambda: c.side_job(SideName.A) is not None and c.image is not None, timeout=5000)
    for q in (0.8, 0.7, 0.6):
        c.set_side_settings(SideName.A, SideSettings("vvc", q))
    c.set_side_settings(SideName.A, SideSettings("jpeg", 0.3))
    wait_done(qtbot, window, SideName.A)
    qtbot.waitUntil(lambda: not c.service.is_busy(), timeout=20000)  # let every superseded job end
    assert shown == [SideSettings("jpeg", 0.3)]
    assert c.state.a.result.settings == SideSettings("jpeg", 0.3)


def test_bitrate_match_picks_the_closest_vvc_quality(qtbot, app_settings, png200: Path) -> None:
    window = make_window(qtbot, app_settings, SideSettings("jpeg", 0.6), SideSettings("vvc", 0.5),
                         auto_match=True, image=png200)
    c = window.controller
    with qtbot.waitSignal(c.matchStatus, timeout=60000, check_params_cb=lambda text: "matched" in text):
        pass
    wait_done(qtbot, window)
    ratio = c.state.b.result.bpp / c.state.a.result.bpp
    assert abs(math.log(ratio)) < math.log(1.35), ratio
    c.set_side_settings(SideName.B, SideSettings("vvc", 0.1))  # the user takes over: no more matching
    assert not c.auto_match


def test_rd_plot_gains_points_from_the_sweep(qtbot, app_settings, png64: Path) -> None:
    window = make_window(qtbot, app_settings, SideSettings("jpeg", 0.5), SideSettings("original"), sweep=True,
                         image=png64)
    counts: list[int] = []
    window.controller.rd.changed.connect(lambda _codec: counts.append(window.rd_plot.point_count()))
    qtbot.waitUntil(lambda: window.rd_plot.point_count() >= 12, timeout=60000)
    assert counts == sorted(counts)  # point by point, never losing any
    assert "RD sweep" in window.sweep_label.text()
    assert {"jpeg", "webp"} <= set(window.controller.rd.codecs())


def test_export_png_is_atomic_and_protects_the_original(qtbot, app_settings, png64: Path, tmp_path: Path) -> None:
    window = make_window(qtbot, app_settings, SideSettings("webp", 0.5), SideSettings("original"), image=png64)
    wait_done(qtbot, window)
    before = png64.read_bytes()
    window.controller.export_png(SideName.A, png64)
    qtbot.waitUntil(lambda: window.messages.level == "error", timeout=5000)
    assert "original" in window.messages.text() and png64.read_bytes() == before
    target = tmp_path / "exports" / "a.png"
    with qtbot.waitSignal(window.controller.files.written, timeout=5000):
        window.controller.export_png(SideName.A, target)
    assert np.array_equal(np.asarray(Image.open(target)), window.controller.state.a.result.reconstruction)
    with qtbot.waitSignal(window.controller.files.written, timeout=5000):
        window.controller.save_bitstream(SideName.A, tmp_path / "a.webp")
    assert (tmp_path / "a.webp").read_bytes() == window.controller.state.a.result.data


def test_settings_and_layout_are_remembered(qtbot, app_settings, png64: Path) -> None:
    window = make_window(qtbot, app_settings, SideSettings("jxl", 0.7), SideSettings("hevc", 0.4), image=png64)
    window.controller.view.set_mode(ViewMode.SIDE_BY_SIDE)
    window.controller.view.set_diff_gain(8)
    window.resize(1111, 699)
    window.close()
    again = make_window(qtbot, app_settings, SideSettings("jxl", 0.7), SideSettings("hevc", 0.4))
    assert again.controller.state.a.settings == SideSettings("jxl", 0.7)
    assert again.controller.view.mode is ViewMode.SIDE_BY_SIDE and again.controller.view.diff_gain == 8
    # The offscreen screen is 800x600, so Qt fits the restored window to it; it still is not the default size.
    assert app_settings.geometry() is not None
    assert (again.width(), again.height()) != (1500, 940)
    again.close()


def test_hold_space_to_flip(qtbot, app_settings) -> None:
    window = make_window(qtbot, app_settings, SideSettings("jpeg"), SideSettings("webp"))
    window.activateWindow()
    window.canvas.setFocus()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    press = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier, " ")
    QApplication.sendEvent(window.canvas, press)
    assert window.controller.view.flipped
    release = QKeyEvent(QEvent.Type.KeyRelease, Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier, " ")
    QApplication.sendEvent(window.canvas, release)
    assert not window.controller.view.flipped


def test_open_dialog_opens_the_chosen_image(qtbot, app_settings, png200: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    window = make_window(qtbot, app_settings, SideSettings("jpeg", 0.5), SideSettings("original"))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(png200), "")))
    window.open_dialog()
    wait_done(qtbot, window)
    assert window.controller.image.path == png200
    assert app_settings.last_dir == str(png200.parent)
    assert "200 x 200" in window.image_label.text()
