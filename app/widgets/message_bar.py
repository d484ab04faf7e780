"""A non-blocking message strip above the canvas (instead of modal message boxes).

Errors stay until dismissed (or replaced); information fades after a few seconds. Work never
waits for the user to click OK.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

__all__ = ["MessageBar"]

_STYLES = {
    "info": "background:#e8f4fd; color:#0b3d61; border:1px solid #9ccbee;",
    "warning": "background:#fff4e5; color:#663c00; border:1px solid #f5c27a;",
    "error": "background:#fdecea; color:#611a15; border:1px solid #f1a7a0;",
}


class MessageBar(QFrame):
    def __init__(self, parent: QWidget | None = None, info_timeout_ms: int = 5000) -> None:
        super().__init__(parent)
        self.level = ""
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

    def show_message(self, level: str, text: str) -> None:
        self.level = level
        self.label.setText(text)
        self.setStyleSheet(f"MessageBar {{ {_STYLES.get(level, _STYLES['info'])} border-radius:3px; }}")
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
