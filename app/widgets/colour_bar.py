"""The colour bar of the error maps: the colour map, its ticks and the stated scale, floating over
the right edge of the canvas.

It floats (a child outside any layout, like the message bar) rather than taking a column of the
window: switching an error map on must not resize the canvas, or the fitted zoom would jump. It
lets the mouse through, so the loupe and panning work under it. The scale (what the top of the
bar means at the current gain) comes from :func:`app.core.error_maps.error_map_scale`; this only
draws it.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from app.core.error_maps import colormap_rgb
from app.widgets.overlay import HostFollower

__all__ = ["ColourBar", "ColourScale"]

_MARGIN = 8  # between the box and the host's edge
_PAD = 8  # inside the box
_BAR_WIDTH = 14
_BAR_HEIGHT = 150
_TICK = 4
_BACKGROUND = QColor(0, 0, 0, 170)  # the caption badges' colour


class ColourScale(Protocol):
    """What a bar shows: an error map's scale (:class:`app.core.error_maps.ErrorMapScale`) or the
    bits view's (:class:`app.core.bits_view.BitsScale`)."""

    @property
    def text(self) -> str: ...

    @property
    def ticks(self) -> tuple[tuple[float, str], ...]: ...


class ColourBar(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scale: ColourScale | None = None
        self._follower = HostFollower(self, self._place)
        self._left = False
        self._gradient = self._gradient_image()
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
        self.setFont(font)
        self.hide()

    @staticmethod
    def _gradient_image() -> QImage:
        """1 x 256: the colour map from the bottom (level 0) to the top."""
        rgb = colormap_rgb()[::-1].copy()
        image = QImage(rgb.data, 1, 256, 3, QImage.Format.Format_RGB888)
        return image.copy()

    # -- content --------------------------------------------------------------------------------
    def set_scale(self, scale: ColourScale | None) -> None:
        """Show ``scale`` (None hides the bar)."""
        self.scale = scale
        self.setVisible(scale is not None and self._follower.host is not None)
        self._place()
        self.update()

    def text(self) -> str:
        """The stated scale, as the bar says it ("" while hidden)."""
        return self.scale.text if self.scale is not None and self.isVisible() else ""

    def title_lines(self) -> list[str]:
        """The stated scale in two lines: the quantity and gain, then the range."""
        if self.scale is None:
            return []
        quantity, _, span = self.scale.text.partition(", ")
        return [quantity, span]

    def tick_labels(self) -> list[str]:
        """The values at the ticks, bottom to top."""
        return [label for _, label in self.scale.ticks] if self.scale is not None else []

    # -- overlay --------------------------------------------------------------------------------
    def attach(self, host: QWidget, left: bool = False) -> None:
        """Float over the right (or ``left``) edge of ``host``, vertically centred, following its size."""
        self._left = left
        self._follower.attach(host)

    def sizeHint(self) -> QSize:
        metrics = QFontMetrics(self.font())
        widest_tick = max((metrics.horizontalAdvance(t) for t in self.tick_labels()), default=0)
        widest_title = max((metrics.horizontalAdvance(t) for t in self.title_lines()), default=0)
        width = max(widest_title, _BAR_WIDTH + _TICK + 4 + widest_tick) + 2 * _PAD
        height = 2 * metrics.height() + 6 + _BAR_HEIGHT + metrics.height() + 2 * _PAD
        return QSize(width, height)

    def _place(self) -> None:
        host = self._follower.host
        if host is None:
            return
        size = self.sizeHint()
        x = _MARGIN if self._left else max(0, host.width() - _MARGIN - size.width())
        y = max(0, (host.height() - size.height()) // 2)
        self.setGeometry(x, y, size.width(), size.height())
        self.raise_()

    def bar_rect(self) -> QRectF:
        """Where the colour map is drawn, in this widget's coordinates (bottom = 0, top = the scale's top)."""
        line = QFontMetrics(self.font()).height()
        return QRectF(_PAD, _PAD + 2 * line + 6 + line / 2, _BAR_WIDTH, _BAR_HEIGHT)

    # -- painting -------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        if self.scale is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_BACKGROUND)
        painter.drawRoundedRect(QRectF(self.rect()), 4, 4)
        metrics = QFontMetrics(self.font())
        line = metrics.height()
        painter.setPen(QColor(255, 255, 255))
        for i, text in enumerate(self.title_lines()):
            painter.drawText(QRectF(_PAD, _PAD + i * line, self.width() - 2 * _PAD, line),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
        bar = self.bar_rect()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawImage(bar, self._gradient)
        painter.setPen(QColor(200, 200, 200))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(bar)
        for fraction, label in self.scale.ticks:
            y = bar.bottom() - fraction * bar.height()
            painter.drawLine(int(bar.right()), int(y), int(bar.right() + _TICK), int(y))
            painter.drawText(QRectF(bar.right() + _TICK + 4, y - line / 2, self.width(), line),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)
