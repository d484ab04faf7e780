"""A non-blocking message strip over the canvas (instead of modal message boxes).

Errors stay until dismissed (or replaced); information fades after a few seconds. Work never
waits for the user to click OK.

The bar floats over the bottom edge of its host widget (:meth:`MessageBar.attach`) rather than
taking a row of the window's layout: a message appearing or going away must not move or resize
the canvas, or the fitted zoom would jump under the user's eyes. Its captions (the A/B badges)
sit at the top of the canvas, so the bottom is where it hides the least.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from app.widgets.overlay import HostFollower

__all__ = ["MessageBar"]

_STYLES = {
    "info": "background:#e8f4fd; color:#0b3d61; border:1px solid #9ccbee;",
    "warning": "background:#fff4e5; color:#663c00; border:1px solid #f5c27a;",
    "error": "background:#fdecea; color:#611a15; border:1px solid #f1a7a0;",
}
_MARGIN = 8  # px between the bar and its host's edges
_MAX_SHARE = 0.6  # the bar never covers more than this fraction of its host's height


class MessageBar(QFrame):
    def __init__(self, parent: QWidget | None = None, info_timeout_ms: int = 5000) -> None:
        super().__init__(parent)
        self.level = ""
        self._follower = HostFollower(self, self._place)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 4, 3)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.dismiss)
        self._info_timeout_ms = info_timeout_ms
        self.hide()

    # -- overlay --------------------------------------------------------------------------------
    def attach(self, host: QWidget) -> None:
        """Float over the bottom of ``host`` (a child of it, outside any layout), following its size."""
        self._follower.attach(host)

    def overlay_rect(self, host_width: int, host_height: int) -> QRect:
        """Where the bar goes in a host of this size: full width less margins, as tall as its
        wrapped text needs (at most ``_MAX_SHARE`` of the host), on the bottom edge."""
        width = max(1, host_width - 2 * _MARGIN)
        wanted = self.heightForWidth(width) if self.hasHeightForWidth() else self.sizeHint().height()
        height = max(1, min(max(wanted, self.minimumSizeHint().height()), int(host_height * _MAX_SHARE)))
        return QRect(_MARGIN, max(0, host_height - _MARGIN - height), width, height)

    def _place(self) -> None:
        host = self._follower.host
        if host is None:
            return
        self.setGeometry(self.overlay_rect(host.width(), host.height()))
        self.raise_()

    # -- messages -------------------------------------------------------------------------------
    def show_message(self, level: str, text: str) -> None:
        self.level = level
        self.label.setText(text)
        self.setStyleSheet(f"MessageBar {{ {_STYLES.get(level, _STYLES['info'])} border-radius:3px; }}")
        self._place()  # the text's height decides the bar's
        self.show()
        if level == "info":
            self._timer.start(self._info_timeout_ms)
        else:
            self._timer.stop()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""

    def dismiss(self) -> None:
        self._timer.stop()
        self.level = ""
        self.hide()
