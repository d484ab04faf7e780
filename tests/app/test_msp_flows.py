"""Flows through the real MSP codec (``codec.api``) on the long-lived worker thread."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QElapsedTimer, QTimer

from codec import api
from codec.bitstream import Container, pack, unpack

from app.core.codecs import SideSettings
from app.core.results import EncodeOutcome
from app.core.state import SideName, SideStatus

from tests.app.helpers import drop_paths, make_window, wait_done

# On a 200 px image the cheapest profile still runs for seconds on a busy 2-core CPU, reporting
# (and polling cancel) at every sequential coding step: long enough to interfere with, short
# enough to stop at once. Small images keep the suite fast.
SLOW_MSP = SideSettings("msp-fast", 0.5)
FAST_MSP = SideSettings("msp-fast", 0.5)


def wait_running_with_progress(qtbot, window, name: SideName = SideName.A, timeout: int = 60000) -> None:
    side = window.controller.state.side(name)
    qtbot.waitUntil(lambda: side.status is SideStatus.RUNNING and side.progress is not None
                    and side.progress.stage == "coding", timeout=timeout)


def test_cancel_an_msp_encode_and_change_setting_mid_encode(qtbot, app_settings, png200: Path) -> None:
    window = make_window(qtbot, app_settings, SLOW_MSP, SideSettings("original"), image=png200)
    c = window.controller
    shown: list[SideSettings] = []
    c.state.a.result_changed.connect(lambda side: side.result and shown.append(side.result.settings))
    wait_running_with_progress(qtbot, window)
    assert "coding" in window.panels[SideName.A].progress.format()

    started = time.monotonic()
    window.cancel_all()  # Esc
    assert c.state.a.status is SideStatus.CANCELLED
    qtbot.waitUntil(lambda: not c.service.is_busy(), timeout=30000)  # the worker really stopped
    print(f"\nMSP cancel: worker idle {time.monotonic() - started:.2f} s after Esc")
    assert c.state.a.result is None

    # Mid-encode change: the MSP job is superseded; its result must never show.
    c.set_side_settings(SideName.A, SLOW_MSP.with_(quality=0.4))
    wait_running_with_progress(qtbot, window)
    c.set_side_settings(SideName.A, SideSettings("jpeg", 0.3))
    wait_done(qtbot, window, SideName.A, timeout=60000)
    qtbot.waitUntil(lambda: not c.service.is_busy(), timeout=30000)
    assert shown == [SideSettings("jpeg", 0.3)]


def test_save_and_open_msp_and_a_corrupt_file(qtbot, app_settings, png64: Path, tmp_path: Path) -> None:
    window = make_window(qtbot, app_settings, FAST_MSP, SideSettings("original"), image=png64)
    wait_done(qtbot, window, timeout=60000)
    c = window.controller
    a = c.state.a.result
    assert a.header_text and "profile" in a.header_text and a.estimated_bpp is not None
    target = tmp_path / "out" / "photo.msp"
    with qtbot.waitSignal(c.files.written, timeout=5000):
        assert c.save_bitstream(SideName.A, target)
    assert target.read_bytes() == a.data

    with qtbot.waitSignal(c.headerOpened, timeout=30000) as blocker:
        c.open_path(target)
    assert blocker.args[0] == "photo.msp" and "model id" in blocker.args[1]
    assert not window.header_dock.isHidden()
    assert "model id" in window.header_panel.text.toPlainText()
    qtbot.waitUntil(lambda: c.state.b.result is not None and c.state.b.result.source_name == "photo.msp")
    assert (c.state.b.result.reconstruction == a.reconstruction).all()
    assert c.state.b.result.metrics.psnr == a.metrics.psnr

    # Forged files with valid checksums: nothing to decode behind a large declared size (over the
    # app's 8K limit, and under it), the error reported within a second, and the app still usable.
    real = unpack(a.data)
    empty = tuple(b"" for _ in real.segments)
    forged = {
        f"forged-{h}x{w}.msp": pack(Container(real.model_id, real.profile, real.quality_code, h, w, empty))
        for h, w in ((16384, 4050), (4096, 4096))
    }
    bad = {"garbage.msp": b"not a bitstream at all", "cut.msp": a.data[: len(a.data) // 2], **forged}
    for name, data in bad.items():
        (tmp_path / name).write_bytes(data)
        window.messages.dismiss()
        started = time.monotonic()
        c.open_path(tmp_path / name)
        qtbot.waitUntil(lambda: window.messages.level == "error", timeout=30000)
        assert time.monotonic() - started < 1.0, name
        assert f"cannot open {name}" in window.messages.text()
        if name == "forged-16384x4050.msp":
            assert "33.2 Mpx" in window.messages.text()  # refused by its declared size: the app's limit
        if name == "forged-4096x4096.msp":
            assert "more information than it holds" in window.messages.text()
    assert c.state.b.result.source_name == "photo.msp"  # nothing replaced by the bad files
    c.open_path(target)  # and the app still opens a good one
    qtbot.waitUntil(lambda: window.messages.level != "error" and not c.service.is_busy(), timeout=30000)


def test_event_loop_never_stalls_during_an_msp_encode(qtbot, app_settings, png200: Path) -> None:
    """The longest gap between 5 ms timer ticks while MSP encodes run on the CPU (3 s of them)."""
    window = make_window(qtbot, app_settings, SLOW_MSP, SideSettings("webp", 0.5), image=png200)
    wait_running_with_progress(qtbot, window)
    c = window.controller
    side = c.state.a
    clock = QElapsedTimer()
    clock.start()
    gaps: list[int] = []
    last = [clock.elapsed()]
    updates = [0]
    qualities = iter([round(0.05 + 0.01 * i, 2) for i in range(91) if round(0.05 + 0.01 * i, 2) != 0.5])

    def tick() -> None:
        now = clock.elapsed()
        if side.status is SideStatus.RUNNING:  # only what happens while the encoder works counts
            gaps.append(now - last[0])
        elif side.status is SideStatus.DONE:
            c.set_side_settings(SideName.A, SLOW_MSP.with_(quality=next(qualities)))  # a new, uncached encode
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    timer.start()
    side.progress_changed.connect(lambda _s: updates.__setitem__(0, updates[0] + 1))
    qtbot.waitUntil(lambda: sum(gaps) >= 3000 or clock.elapsed() > 60000, timeout=70000)
    timer.stop()
    window.cancel_all()
    measured = sum(gaps) / 1000
    worst = max(gaps)
    print(f"\nEvent-loop responsiveness during MSP encodes: {len(gaps)} ticks in {measured:.1f} s of encoding, "
          f"max stall {worst} ms, median {sorted(gaps)[len(gaps) // 2]} ms, "
          f"{updates[0]} progress updates ({updates[0] / measured:.1f}/s)")
    assert measured >= 3.0
    assert updates[0] / measured <= 30  # throttled to at most ~20 Hz
    # 31-39 ms here (17 ms of it the RD plot repainting the last result). A worker hogging the GIL
    # stalls every tick, a GC pass every few encodes (90 ms before gc_pauses froze the start-up
    # objects); one isolated hiccup of a shared CI machine is neither.
    assert sorted(gaps)[-2] < 100
    assert worst < 250


def test_a_new_image_is_on_screen_at_once_then_a_preview_then_the_result(qtbot, app_settings, png200: Path) -> None:
    """The original stands in on both panes the moment the image opens (the difference view
    waits for real results); a balanced side shows its no-LOF preview before its LOF result.
    The preview is the encoder's own picture (no timed decode), and it is the decoder's, exactly."""
    window = make_window(qtbot, app_settings, SideSettings("msp-balanced", 0.5), SideSettings("jpeg", 0.5))
    results: list[EncodeOutcome] = []
    window.controller.state.a.result_changed.connect(
        lambda side: results.append(side.result) if side.result is not None else None)
    drop_paths(window, [png200])
    qtbot.waitUntil(lambda: window.controller.state.image is not None, timeout=10000)
    original = window.controller.state.image.pixels
    assert window.canvas.image("A") is not None and window.canvas._arrays["A"] is original
    assert window.canvas._diff_image() is None  # no difference of the original with itself
    wait_done(qtbot, window, timeout=180000)  # balanced runs LOF: slow on a busy 2-core machine
    labels = [r.label for r in results if r.settings.codec != "original"]
    assert labels[0].endswith("preview without LOF") and not labels[-1].endswith("preview without LOF")
    preview, final = next(r for r in results if r.preview), results[-1]
    assert preview.decode_seconds is None and not final.preview and final.decode_seconds is not None
    assert np.array_equal(api.decode(preview.data).image, preview.reconstruction)
    assert window.canvas._arrays["A"] is window.controller.state.a.result.reconstruction
    assert window.canvas._diff_image() is not None
