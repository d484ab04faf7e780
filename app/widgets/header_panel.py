"""The bitstream header dump of an opened .msp file (a dock panel, never modal)."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

__all__ = ["HeaderPanel"]


class HeaderPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("No bitstream opened")
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setToolTip("What the .msp container says about itself")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.text)

    def show_header(self, title: str, dump: str) -> None:
        self.title.setText(f"<b>{title}</b>")
        self.text.setPlainText(dump)
