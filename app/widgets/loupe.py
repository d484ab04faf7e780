"""Draws the pixel loupe: the original's, A's and B's pixels around the cursor, magnified
nearest-neighbour with the centre pixel outlined, and their values (R, G, B) underneath.

Only drawing and layout: what is shown comes from :func:`app.core.loupe.read_loupe`. The box
sits below-right of the cursor and moves to the other side of it near the canvas's edges, so it
never hides the pixel it reads. A marker outlines that pixel in every pane (side by side: both
sides and the difference), so the eye finds the same spot everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen

from app.core.loupe import LoupeReading, LoupeSample
from app.core.view_state import Viewport
from app.widgets.qimage import to_qimage

__all__ = ["LOUPE_ZOOM", "LoupeLayout", "loupe_layout", "value_text", "pixel_marker", "paint_loupe", "paint_marker"]

LOUPE_ZOOM = 10
"""Screen pixels per image pixel in the loupe's crops."""
_PAD = 8.0
_GAP = 6.0
_OFFSET = 18.0  # from the cursor to the box
_BACKGROUND = QColor(0, 0, 0, 200)
_OUTSIDE = (32, 33, 36)  # the canvas's background: crop pixels beyond the image's edge


def value_text(sample: LoupeSample) -> str:
    """The values shown under a crop: "124, 56, 200", or a dash where the picture is missing."""
    return "—" if sample.rgb is None else ", ".join(str(v) for v in sample.rgb)


@dataclass(frozen=True)
class LoupeLayout:
    """Where each part of the loupe goes, in canvas coordinates."""

    box: QRectF
    header: QRectF
    labels: tuple[QRectF, ...]
    crops: tuple[QRectF, ...]
    values: tuple[QRectF, ...]


def loupe_layout(reading: LoupeReading, cursor: QPointF, bounds: QRectF, metrics: QFontMetricsF) -> LoupeLayout:
    """The loupe for ``reading`` next to ``cursor``, kept inside ``bounds`` where it fits."""
    crop = (2 * reading.radius + 1) * LOUPE_ZOOM
    line = metrics.height()
    widest = max(metrics.horizontalAdvance("255, 255, 255"), crop)
    count = len(reading.samples)
    width = 2 * _PAD + count * widest + (count - 1) * _GAP
    height = 2 * _PAD + line + 4 + line + crop + 2 + line
    x = cursor.x() + _OFFSET
    if x + width > bounds.right() and cursor.x() - _OFFSET - width >= bounds.left():
        x = cursor.x() - _OFFSET - width
    y = cursor.y() + _OFFSET
    if y + height > bounds.bottom() and cursor.y() - _OFFSET - height >= bounds.top():
        y = cursor.y() - _OFFSET - height
    box = QRectF(x, y, width, height)
    header = QRectF(x + _PAD, y + _PAD, width - 2 * _PAD, line)
    labels, crops, values = [], [], []
    top = header.bottom() + 4
    for i in range(count):
        left = x + _PAD + i * (widest + _GAP)
        labels.append(QRectF(left, top, widest, line))
        crops.append(QRectF(left + (widest - crop) / 2, top + line, crop, crop))
        values.append(QRectF(left, top + line + crop + 2, widest, line))
    return LoupeLayout(box, header, tuple(labels), tuple(crops), tuple(values))


def pixel_marker(pane: Viewport, x: int, y: int, minimum: float = 9.0) -> QRectF:
    """The outline of image pixel (x, y) in ``pane``: the pixel itself, or a small square around
    its centre when zoomed out so far that a pixel is smaller than ``minimum``."""
    left, top = pane.to_screen(x, y)
    right, bottom = pane.to_screen(x + 1, y + 1)
    rect = QRectF(left, top, right - left, bottom - top)
    if rect.width() < minimum:
        rect = QRectF(rect.center().x() - minimum / 2, rect.center().y() - minimum / 2, minimum, minimum)
    return rect


def _outline(painter: QPainter, rect: QRectF) -> None:
    """A black and white outline: visible on any colour."""
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(QColor(0, 0, 0), 3))
    painter.drawRect(rect)
    painter.setPen(QPen(QColor(255, 255, 255), 1))
    painter.drawRect(rect)


def paint_marker(painter: QPainter, rect: QRectF) -> None:
    painter.save()
    _outline(painter, rect)
    painter.restore()


def paint_loupe(painter: QPainter, reading: LoupeReading, layout: LoupeLayout) -> None:
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)  # nearest-neighbour: see the pixels
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(_BACKGROUND)
    painter.drawRoundedRect(layout.box, 5, 5)
    painter.setPen(QColor(255, 255, 255))
    painter.drawText(layout.header, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                     f"x {reading.x}, y {reading.y}  (R, G, B)")
    centre = reading.radius * LOUPE_ZOOM
    for sample, label, crop, value in zip(reading.samples, layout.labels, layout.crops, layout.values, strict=True):
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(label, Qt.AlignmentFlag.AlignCenter, sample.name)
        painter.drawText(value, Qt.AlignmentFlag.AlignCenter, value_text(sample))
        if sample.crop is None:
            painter.fillRect(crop, QColor(*_OUTSIDE))
            continue
        pixels = np.where(reading.inside[..., None], sample.crop, np.array(_OUTSIDE, np.uint8))
        painter.drawImage(crop, to_qimage(pixels))
        _outline(painter, QRectF(crop.x() + centre, crop.y() + centre, LOUPE_ZOOM, LOUPE_ZOOM))
    painter.restore()
