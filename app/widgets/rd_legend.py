"""The RD plot's legend: one row per curve, in as many columns as the height needs.

A Qt widget beside the plots rather than a pyqtgraph item inside them: it never covers data,
its rows are real labels (sized by the font, so a marker sits level with its text), and it
reflows into more columns when the dock is short (at 1280x720, or the window at its minimum),
instead of running off the bottom. Each row draws its curve's line style and marker in the
codec's colour; clicking a row hides or shows that curve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF, QResizeEvent
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QLayout, QSizePolicy, QWidget

__all__ = ["LegendEntry", "LegendRow", "RDLegend"]

_SWATCH = QSize(30, 14)
_ROW_SPACING = 2
_COLUMN_SPACING = 12
_MAX_COLUMNS = 4


@dataclass(frozen=True)
class LegendEntry:
    """How one curve looks: its line (colour, Qt pen style) and marker ("o", "s", "t"; hollow
    for published data), and what it is called."""

    key: str
    label: str
    colour: str
    style: Qt.PenStyle
    symbol: str
    filled: bool = True
    width: float = 1.8
    tip: str = ""


class _Swatch(QWidget):
    """A short piece of the curve's line with its marker in the middle."""

    def __init__(self, entry: LegendEntry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = entry
        self.setFixedSize(_SWATCH)

    def paintEvent(self, event: QPaintEvent) -> None:
        entry = self.entry
        colour = QColor(entry.colour)
        if not self.isEnabled():
            colour.setAlpha(70)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        cy = self.height() / 2
        painter.setPen(QPen(colour, entry.width, entry.style))
        painter.drawLine(QPointF(1, cy), QPointF(self.width() - 1, cy))
        painter.setPen(QPen(colour, 1.2))
        painter.setBrush(colour if entry.filled else QColor(255, 255, 255))
        cx, r = self.width() / 2, 3.5
        if entry.symbol == "s":
            painter.drawRect(QRectF(cx - r, cy - r, 2 * r, 2 * r))
        elif entry.symbol == "t":
            painter.drawPolygon(QPolygonF([QPointF(cx, cy - r - 0.5), QPointF(cx - r, cy + r - 0.5),
                                           QPointF(cx + r, cy + r - 0.5)]))
        else:
            painter.drawEllipse(QPointF(cx, cy), r, r)


class LegendRow(QWidget):
    """One entry: swatch and label, vertically centred on each other; a click toggles the curve."""

    toggled = Signal(str, bool)  # key, shown

    def __init__(self, entry: LegendEntry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = entry
        self.shown = True
        self.swatch = _Swatch(entry)
        self.label = QLabel(entry.label)
        self.label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(5)
        layout.addWidget(self.swatch, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.label, 1, Qt.AlignmentFlag.AlignVCenter)
        tip = (entry.tip + "\n" if entry.tip else "") + "Click: hide or show this curve"
        self.setToolTip(tip)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def set_shown(self, shown: bool) -> None:
        self.shown = shown
        self.swatch.setEnabled(shown)
        self.label.setEnabled(shown)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.set_shown(not self.shown)
            self.toggled.emit(self.entry.key, self.shown)
        super().mouseReleaseEvent(event)


class RDLegend(QWidget):
    """Rows of :class:`LegendEntry`, top to bottom, then in further columns when the height runs out."""

    toggled = Signal(str, bool)  # key, shown

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[LegendRow] = []
        self._hidden: set[str] = set()  # keys the user hid; kept when the rows are rebuilt (a new image)
        self._columns = 1
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(4, 4, 4, 4)
        self._grid.setHorizontalSpacing(_COLUMN_SPACING)
        self._grid.setVerticalSpacing(_ROW_SPACING)
        self._grid.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)  # the columns, not the layout, make it fit
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)

    # -- entries --------------------------------------------------------------------------------
    def set_entries(self, entries: list[LegendEntry]) -> None:
        """Show exactly ``entries``, in this order; a curve the user hid stays hidden."""
        if [row.entry for row in self.rows] == entries:
            return
        for row in self.rows:
            self._grid.removeWidget(row)
            row.deleteLater()
        self.rows = []
        for entry in entries:
            row = LegendRow(entry, self)
            row.set_shown(entry.key not in self._hidden)
            row.toggled.connect(self._on_row_toggled)
            self.rows.append(row)
        self._columns = 0  # place them all
        self._reflow()

    def _on_row_toggled(self, key: str, shown: bool) -> None:
        if shown:
            self._hidden.discard(key)
        else:
            self._hidden.add(key)
        self.toggled.emit(key, shown)

    def labels(self) -> list[str]:
        return [row.entry.label for row in self.rows]

    def is_shown(self, key: str) -> bool:
        return key not in self._hidden

    # -- layout ---------------------------------------------------------------------------------
    def row_height(self) -> int:
        return max(_SWATCH.height(), self.fontMetrics().height())

    def rows_that_fit(self, height: int) -> int:
        margins = self._grid.contentsMargins()
        room = height - margins.top() - margins.bottom()
        return max(1, (room + _ROW_SPACING) // (self.row_height() + _ROW_SPACING))

    def columns(self) -> int:
        return max(1, self._columns)

    def _reflow(self) -> None:
        count = len(self.rows)
        per_column = self.rows_that_fit(self.height())
        columns = min(_MAX_COLUMNS, max(1, math.ceil(count / per_column))) if count else 1
        if columns == self._columns:
            return
        self._columns = columns
        per_column = math.ceil(count / columns) if count else 1
        for row in self.rows:
            self._grid.removeWidget(row)
        for i, row in enumerate(self.rows):
            self._grid.addWidget(row, i % per_column, i // per_column, Qt.AlignmentFlag.AlignTop)
        for r in range(self._grid.rowCount()):
            self._grid.setRowStretch(r, 0)
        self._grid.setRowStretch(per_column, 1)  # rows packed at the top
        self.updateGeometry()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._reflow()

    def minimumSizeHint(self) -> QSize:
        """As wide as its columns need, and not a pixel taller than one row: the dock decides the height."""
        hint = self._grid.sizeHint()
        margins = self._grid.contentsMargins()
        return QSize(hint.width(), self.row_height() + margins.top() + margins.bottom())

    def sizeHint(self) -> QSize:
        return QSize(self._grid.sizeHint().width(), self.minimumSizeHint().height())
