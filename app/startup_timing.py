"""``msp-studio --startup-timing``: how long a user waits at first contact, measured on the real
window, then the app quits and prints one JSON line.

The moments are the ones a user sees, each taken when the canvas paints it:

- ``window``: the window's first paint (the user sees the app);
- ``original``: the first paint with the image on show (the original stands in while it encodes);
- ``first_msp``: the first paint of an MSP result on a side (a balanced or best side's preview);
- ``final``: both sides show their own final results.

Each is in seconds since ``main()`` began; ``*_after_window`` gives the same from the window's first
paint, the figure the app's targets are set in (original within 1 s, first MSP result within 2 s).
"""

from __future__ import annotations

import json
import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer

from app.core.codecs import on_model_thread
from app.core.state import SideStatus
from app.widgets.main_window import MainWindow

__all__ = ["StartupTiming", "MOMENTS"]

MOMENTS = ("window", "original", "first_msp", "final")


class StartupTiming(QObject):
    """Watches the canvas paint; prints the moments and closes the window once all are seen (or
    at ``timeout_s``, with the missing ones null)."""

    def __init__(self, window: MainWindow, started: float, timeout_s: float = 300.0) -> None:
        super().__init__(window)
        self.window = window
        self.started = started
        self.seen: dict[str, float] = {}
        self.report: dict[str, float | None] | None = None
        window.canvas.installEventFilter(self)
        QTimer.singleShot(int(timeout_s * 1000), self._finish)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint and self.report is None:
            # The paint is about to happen: stamp it once it has (the next event-loop turn).
            QTimer.singleShot(0, self._after_paint)
        return False

    def _after_paint(self) -> None:
        now = time.perf_counter() - self.started
        canvas, c = self.window.canvas, self.window.controller
        self.seen.setdefault("window", now)
        if canvas.image("A") is not None or canvas.image("B") is not None:
            self.seen.setdefault("original", now)
        sides = c.state.sides.values()
        if any(s.result is not None and on_model_thread(s.result.settings.codec) for s in sides):
            self.seen.setdefault("first_msp", now)
        if all(s.status is SideStatus.DONE and s.result is not None for s in sides) and not c.matching():
            self.seen.setdefault("final", now)
            self._finish()

    def _finish(self) -> None:
        if self.report is not None:
            return
        window_at = self.seen.get("window")
        report: dict[str, float | None] = {m: _round(self.seen.get(m)) for m in MOMENTS}
        for moment in MOMENTS[1:]:
            at = self.seen.get(moment)
            report[f"{moment}_after_window"] = _round(at - window_at if at is not None and window_at is not None else None)
        self.report = report
        print(json.dumps(report), file=sys.stdout, flush=True)
        self.window.close()


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
