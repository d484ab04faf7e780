"""Keeps a bottom dock's share of the window's height as the window is resized.

QMainWindow gives every pixel a window gains to its central widget and takes the pixels it loses
from the docks first: shrink the window to its minimum and back, and the RD plot stays squashed
at its minimum height for good, and a dock sized before the window is shown keeps whatever it
was given. The keeper remembers the share of the height (central area + dock) the dock should
have, the user's choice once they drag the separator, and restores it after every resize.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow

__all__ = ["DockHeightKeeper"]


class DockHeightKeeper(QObject):
    def __init__(self, window: QMainWindow, dock: QDockWidget, share: float) -> None:
        super().__init__(window)
        self.window = window
        self.dock = dock
        self.share = share
        self._restored = False
        self._pressed_at: int | None = None  # the dock's height when a mouse button went down on the window
        window.installEventFilter(self)

    def _docked(self) -> bool:
        # isHidden, not isVisible: at the window's first resize (as it is shown) the dock is not visible yet
        return not self.dock.isHidden() and not self.dock.isFloating() and self.window.centralWidget() is not None

    def span(self) -> int:
        """The height shared by the central area and the dock (what a separator drag moves between them)."""
        central = self.window.centralWidget()
        return (central.height() if central is not None else 0) + self.dock.height()

    def target(self) -> int:
        """The dock height the share asks for at the window's current size."""
        return round(self.share * self.span())

    def set_height(self, pixels: int) -> None:
        """Give the dock ``pixels`` now and keep that share of the height from now on."""
        if self._docked() and self.span() > 0:
            self.share = min(0.9, max(0.05, pixels / self.span()))
        self.apply()

    def remember(self) -> None:
        """Take the dock's current height as the share to keep (after a drag or a restored layout)."""
        if self._docked() and self.span() > 0:
            self.share = min(0.9, max(0.05, self.dock.height() / self.span()))

    def restored(self) -> None:
        """The layout was restored from saved settings: keep its dock height, once it is applied."""
        self._restored = True

    def apply(self) -> None:
        if self._docked():
            self.window.resizeDocks([self.dock], [self.target()], Qt.Orientation.Vertical)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window:
            kind = event.type()
            if kind == QEvent.Type.Resize:  # the layout has already placed the docks at this point
                if self._restored:
                    self._restored = False
                    self.remember()
                else:
                    self.apply()
            elif kind == QEvent.Type.MouseButtonPress:  # perhaps the start of a separator drag
                self._pressed_at = self.dock.height()
            elif kind == QEvent.Type.MouseButtonRelease:  # its end, if the dock's height changed
                if self._pressed_at is not None and self._pressed_at != self.dock.height():
                    QTimer.singleShot(0, self.remember)
                self._pressed_at = None
        return super().eventFilter(watched, event)
