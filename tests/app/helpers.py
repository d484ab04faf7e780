"""Helpers shared by the window-level tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QElapsedTimer, QMimeData, QPoint, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent

from app.core.codecs import SideSettings
from app.core.results import EncodeOutcome, Metrics
from app.core.state import SideName, SideStatus
from app.core.view_state import ViewState
from app.settings_store import AppSettings
from app.widgets.canvas import ComparisonCanvas
from app.widgets.main_window import MainWindow

__all__ = ["make_window", "drop_paths", "wait_done", "outcome", "comparison_canvas", "FINAL", "StallMeter"]

FINAL = (SideStatus.DONE, SideStatus.FAILED, SideStatus.CANCELLED)


def make_window(qtbot, settings: AppSettings, a: SideSettings, b: SideSettings, *, sweep: bool = False,
                auto_match: bool = False, image: Path | None = None) -> MainWindow:
    settings.set_side(SideName.A, a)
    settings.set_side(SideName.B, b)
    settings.auto_match = auto_match
    window = MainWindow(settings, image=image, open_demo=False, sweep=sweep, pool_threads=2)
    qtbot.addWidget(window)
    window.show()
    return window


def comparison_canvas(qtbot, original: np.ndarray, a: np.ndarray, b: np.ndarray,
                      size: tuple[int, int]) -> ComparisonCanvas:
    """A canvas of ``size`` on screen with the original and both sides (labelled "a" and "b")."""
    view = ViewState()
    view.set_image_size(original.shape[1], original.shape[0])
    canvas = ComparisonCanvas(view)
    qtbot.addWidget(canvas)
    canvas.resize(*size)
    canvas.set_original(original)
    canvas.set_side("A", a, "a")
    canvas.set_side("B", b, "b")
    canvas.show()
    qtbot.waitExposed(canvas)
    return canvas


def drop_paths(window: MainWindow, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)


def wait_done(qtbot, window: MainWindow, *names: SideName, timeout: int = 30000) -> None:
    sides = [window.controller.state.side(n) for n in (names or list(SideName))]
    qtbot.waitUntil(lambda: all(s.status is SideStatus.DONE and s.result is not None for s in sides),
                    timeout=timeout)


def outcome(image_key: str, settings: SideSettings, bpp: float = 1.0, psnr: float | None = 30.0,
            size: int = 64) -> EncodeOutcome:
    """A made-up result (for widgets that only display numbers)."""
    pixels = np.zeros((size, size, 3), np.uint8)
    return EncodeOutcome(image_key=image_key, settings=settings, data=b"x" * int(bpp * size * size / 8),
                         reconstruction=pixels, num_bytes=int(bpp * size * size / 8), bpp=bpp,
                         metrics=Metrics(psnr=psnr, msssim=0.95, mse=1.0), encode_seconds=0.1,
                         decode_seconds=0.01, device="cpu", label=settings.label())


class StallMeter:
    """The gaps between 5 ms timer ticks on the GUI thread while ``while_`` holds: in wall time, and
    in the GUI thread's own CPU time. On 2 cores shared with a heavy load the wall time is mostly
    waiting for a core; the CPU time is the work put on the GUI thread in one go, which the
    issue's 50 ms bounds."""

    def __init__(self, while_: Callable[[], bool]) -> None:
        self.gaps: list[int] = []
        self.cpu_gaps: list[float] = []
        self._while = while_
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._clock.start()
        self._last = (self._clock.elapsed(), time.thread_time())
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now, cpu = self._clock.elapsed(), time.thread_time()
        if self._while():
            self.gaps.append(now - self._last[0])
            self.cpu_gaps.append(1000 * (cpu - self._last[1]))
        self._last = (now, cpu)

    def summary(self) -> str:
        gaps, cpu = sorted(self.gaps), sorted(self.cpu_gaps)
        return (f"{len(gaps)} ticks, max stall {gaps[-1]} ms, median {gaps[len(gaps) // 2]} ms, the 5 longest {gaps[-5:]}; "
                f"GUI-thread CPU between ticks: max {cpu[-1]:.1f} ms, the 5 longest {[round(g, 1) for g in cpu[-5:]]}")
