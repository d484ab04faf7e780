"""A one-line label that shrinks by eliding its text, for the status bar's fields.

A plain QLabel asks for its whole text as its minimum width; in a status bar at 1280x720 or at
the window's minimum size the fields (image, sweep, device, model) then no longer fit, and Qt
squeezes them anyway, cutting words in half and leaving the temporary message no room. This
label asks for its full width but accepts less: it draws as much of the text as fits, ending
in "…", and shows the full text as its tooltip while it is cut. ``text()`` stays the full text.
With a separator (:meth:`ElidedLabel.set_separator`) it draws a thin line on its left, so that
neighbouring fields, and the status bar's message before them, never read as one run of text.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

__all__ = ["ElidedLabel"]

_MIN_CHARS = "Mmmm…"  # the least a field shrinks to: enough to recognise it


class ElidedLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._tip = ""
        self._separator = False
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setWordWrap(False)

    def set_separator(self, on: bool) -> None:
        """Draw a thin line on the left, with room around it."""
        self._separator = on
        self.setContentsMargins(10 if on else 0, 0, 2 if on else 0, 0)
        self.updateGeometry()
        self.update()

    def setToolTip(self, tip: str) -> None:
        """The tooltip shown while the text fits (the full text is shown while it does not)."""
        self._tip = tip
        super().setToolTip(tip)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        margins = self.contentsMargins()
        narrow = self.fontMetrics().horizontalAdvance(_MIN_CHARS) + margins.left() + margins.right()
        return QSize(min(hint.width(), narrow), hint.height())

    def displayed_text(self) -> str:
        """The text as drawn at the label's current width."""
        width = self.contentsRect().width()
        text = self.text()
        if self.fontMetrics().horizontalAdvance(text) <= width:
            return text
        return self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, width)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._sync_tip()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._sync_tip()

    def _sync_tip(self) -> None:
        cut = self.displayed_text() != self.text()
        tip = f"{self.text()}\n{self._tip}".strip() if cut else self._tip
        super().setToolTip(tip)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        if self._separator:
            painter.setPen(self.palette().color(QPalette.ColorRole.Mid))
            painter.drawLine(QPointF(2.5, 3), QPointF(2.5, self.height() - 3))
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(self.contentsRect(), int(self.alignment() | Qt.AlignmentFlag.AlignVCenter),
                         self.displayed_text())
