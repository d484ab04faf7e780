"""Flows through the real MSP codec (``codec.api``) on the long-lived worker thread."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QElapsedTimer, QTimer

from app.core.codecs import SideSettings
from app.core.state import SideName, SideStatus

from tests.app.conftest import requires_msp
from tests.app.helpers import make_window, wait_done

pytestmark = requires_msp

SLOW_MSP = SideSettings("msp:balanced", 0.5)  # latent overfitting: many iterations, reports progress
FAST_MSP = SideSettings("msp:fast", 0.5)


def wait_running_with_progress(qtbot, window, name: SideName = SideName.A, timeout: int = 60000) -> None:
    side = window.controller.state.side(name)
    qtbot.waitUntil(lambda: side.status is SideStatus.RUNNING and side.progress is not None
                    and side.progress.stage == "lof", timeout=timeout)


def test_cancel_an_msp_encode_and_change_setting_mid_encode(qtbot, app_settings, png64: Path) -> None:
    window = make_window(qtbot, app_settings, SLOW_MSP, SideSettings("original"), image=png64)
    c = window.controller
    shown: list[SideSettings] = []
    c.state.a.result_changed.connect(lambda side: side.result and shown.append(side.result.settings))
    wait_running_with_progress(qtbot, window)
    assert "estimated" in window.panels[SideName.A].progress.format()

    started = time.monotonic()
    window.cancel_all()  # Esc
    assert c.state.a.status is SideStatus.CANCELLED
    qtbot.waitUntil(lambda: not c.service.is_busy(), timeout=30000)  # the worker really stopped
    print(f"\nMSP cancel: worker idle {time.monotonic() - started:.2f} s after Esc")
    assert c.state.a.result is None

    # Mid-encode change: the slow job is superseded by a fast one; its result must never show.
    c.set_side_settings(SideName.A, SLOW_MSP.with_(quality=0.4))
    wait_running_with_progress(qtbot, window)
    c.set_side_settings(SideName.A, FAST_MSP)
    wait_done(qtbot, window, SideName.A, timeout=60000)
    qtbot.waitUntil(lambda: not c.service.is_busy(), timeout=30000)
    assert shown == [FAST_MSP]
    result = c.state.a.result
    assert result.settings == FAST_MSP and result.header_text and "profile" in result.header_text
    assert c.stale_dropped + 1 >= 1  # nothing stale was applied, whatever arrived late was counted


def test_save_and_open_msp_and_a_corrupt_file(qtbot, app_settings, png64: Path, tmp_path: Path) -> None:
    window = make_window(qtbot, app_settings, FAST_MSP, SideSettings("original"), image=png64)
    wait_done(qtbot, window, timeout=60000)
    c = window.controller
    a = c.state.a.result
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

    for name, data in (("garbage.msp", b"not a bitstream at all"), ("cut.msp", a.data[: len(a.data) // 2])):
        (tmp_path / name).write_bytes(data)
        window.messages.dismiss()
        c.open_path(tmp_path / name)
        qtbot.waitUntil(lambda: window.messages.level == "error", timeout=30000)
        assert f"cannot open {name}" in window.messages.text()
    assert c.state.b.result.source_name == "photo.msp"  # nothing replaced by the bad files


def test_event_loop_never_stalls_during_an_msp_encode(qtbot, app_settings, png200: Path) -> None:
    """The longest gap between 5 ms timer ticks while an MSP encode runs on the CPU."""
    window = make_window(qtbot, app_settings, SLOW_MSP, SideSettings("webp", 0.5), image=png200)
    wait_running_with_progress(qtbot, window)
    side = window.controller.state.a
    clock = QElapsedTimer()
    clock.start()
    gaps: list[int] = []
    last = [clock.elapsed()]
    updates = [0]

    def tick() -> None:
        now = clock.elapsed()
        if side.status is SideStatus.RUNNING:  # only what happens while the encoder works counts
            gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    timer.start()
    side.progress_changed.connect(lambda _s: updates.__setitem__(0, updates[0] + 1))
    qtbot.waitUntil(lambda: side.status is not SideStatus.RUNNING or clock.elapsed() > 4000, timeout=10000)
    timer.stop()
    seconds = clock.elapsed() / 1000
    window.cancel_all()
    worst = max(gaps)
    print(f"\nEvent-loop responsiveness during an MSP encode: {len(gaps)} ticks in {seconds:.1f} s, "
          f"max stall {worst} ms, median {sorted(gaps)[len(gaps) // 2]} ms, "
          f"{updates[0]} progress updates ({updates[0] / seconds:.1f}/s)")
    assert seconds >= 1.0, "the encode finished too fast to measure anything"
    assert updates[0] / seconds <= 30  # throttled to at most ~20 Hz
    assert worst < 100
