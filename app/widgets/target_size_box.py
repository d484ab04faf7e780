"""A side's target size: type "20 KiB", "15000 B" or "0.25 bpp", press Enter (or "Reach").

The text is read by :func:`~app.core.size_target.parse_size_target`; a typo is answered here, in
red under the box, and nothing starts. A valid target goes to the controller, which searches the
side's quality in the background (the panel's activity line shows each probe); when the search
ends, :meth:`TargetSizeBox.show_report` says what it reached, or why the target is out of reach
and what the nearest reachable size is.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.core.bitrate_matcher import SearchReport, report_text
from app.core.size_target import SizeTargetError, parse_size_target

__all__ = ["TargetSizeBox"]

_WARNING = "color: #c0392b;"


class TargetSizeBox(QWidget):
    targetRequested = Signal(object)  # SizeTarget

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("e.g. 20 KiB, 15000 B, 0.25 bpp")
        self.edit.setClearButtonEnabled(True)
        self.edit.setToolTip("A file size (B, kB, KiB, MB, MiB) or a rate (bpp) for this side: Enter searches "
                             "the codec's quality for it")
        self.button = QPushButton("Reach")
        self.button.setToolTip("Search this side's quality for the size typed on the left")
        self.result = QLabel("")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.result)
        self.edit.returnPressed.connect(self.submit)
        self.button.clicked.connect(self.submit)

    def submit(self) -> None:
        """Read the box; a valid target is requested, a typo is explained."""
        try:
            target = parse_size_target(self.edit.text())
        except SizeTargetError as exc:
            self._say(str(exc), warning=True)
            return
        self._say("", warning=False)
        self.targetRequested.emit(target)

    def show_report(self, report: SearchReport) -> None:
        """What the side's search for the typed target found (in red when out of reach)."""
        self._say(report_text(report), warning=not report.reachable)

    def _say(self, text: str, warning: bool) -> None:
        self.result.setText(text)
        self.result.setStyleSheet(_WARNING if warning else "")
        self.result.setVisible(bool(text))
