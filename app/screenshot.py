"""Grab the real main window into a PNG once the comparison is ready (used under Xvfb).

``msp-studio --screenshot out.png --view split`` waits until both sides have a result (and, with
``--wait-sweep``, until the background RD sweep is done or its time is up), switches the view,
lets the window repaint, saves ``QWidget.grab()`` and closes the app.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from app.core.state import SideStatus
from app.core.view_state import ViewMode
from app.widgets.main_window import MainWindow

__all__ = ["Screenshotter"]

_FINAL = (SideStatus.DONE, SideStatus.FAILED, SideStatus.CANCELLED)


class Screenshotter(QObject):
    def __init__(self, window: MainWindow, path: Path, view: ViewMode, wait_sweep_s: float = 0.0,
                 timeout_s: float = 300.0, zoom: float | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.path = Path(path)
        self.view = view
        self.zoom = zoom
        self.wait_sweep_s = wait_sweep_s
        self.deadline = time.monotonic() + timeout_s
        self.ready_at: float | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(250)
        self.timer.timeout.connect(self._poll)

    def start(self) -> None:
        self.timer.start()

    def _sides_ready(self) -> bool:
        c = self.window.controller
        return c.image is not None and all(
            side.status in _FINAL and (side.result is not None or side.status is not SideStatus.DONE)
            for side in c.state.sides.values())

    def _poll(self) -> None:
        now = time.monotonic()
        if now > self.deadline:
            self._grab()
            return
        if not self._sides_ready():
            return
        if self.ready_at is None:
            self.ready_at = now
        c = self.window.controller
        if self.wait_sweep_s and c.sweep_running() and now - self.ready_at < self.wait_sweep_s:
            return
        self._grab()

    def _grab(self) -> None:
        self.timer.stop()
        c = self.window.controller
        c.view.set_mode(self.view)
        if self.view is ViewMode.SIDE_BY_SIDE:
            c.view.set_diff_pane(True)
        if self.zoom is not None:
            c.view.set_zoom(self.zoom)
        for _ in range(5):
            QApplication.processEvents()
        QTimer.singleShot(300, self._save)

    def _save(self) -> None:
        QApplication.processEvents()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        ok = self.window.grab().save(str(self.path))
        print(f"screenshot {'saved' if ok else 'FAILED'}: {self.path}", flush=True)
        self.window.close()
