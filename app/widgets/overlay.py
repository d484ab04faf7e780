"""Floating over another widget: a child outside any layout that follows its host's size.

The message bar and the colour bars float over the canvas instead of taking a row or a column of
the window, so that showing or hiding them never resizes the canvas (its fitted zoom would jump).
Each decides where it goes in a host of a given size; :class:`HostFollower` makes it the host's
child and places it again whenever the host is resized.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

__all__ = ["HostFollower"]


class HostFollower(QObject):
    """Keeps ``overlay`` a child of its host, calling ``place`` when attached and on each resize of the host."""

    def __init__(self, overlay: QWidget, place: Callable[[], None]) -> None:
        super().__init__(overlay)
        self._overlay = overlay
        self._place = place
        self.host: QWidget | None = None

    def attach(self, host: QWidget) -> None:
        if self.host is not None:
            self.host.removeEventFilter(self)
        self.host = host
        self._overlay.setParent(host)
        host.installEventFilter(self)
        self._place()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.host and event.type() == QEvent.Type.Resize:
            self._place()
        return super().eventFilter(watched, event)
