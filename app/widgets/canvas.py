"""The comparison canvas: split / side-by-side / flip / difference views of sides A and B.

One widget paints every mode from one shared :class:`~app.core.view_state.ViewState`, so zoom
and pan are synced by construction. Only the visible part of the image is drawn; above 100 %
pixels are drawn nearest-neighbour (the point of zooming in is to see them), below it smoothly.
Caption badges are laid out by :mod:`app.widgets.captions`, so they fit their panes at any size.

Each side's pane can show an error map against the original instead of its picture (computed
and cached off the GUI thread by :class:`~app.workers.error_map_jobs.ErrorMapJobs`, with a
:class:`~app.widgets.colour_bar.ColourBar` floating over the right edge) or, for an MSP side, where
its bits go (:mod:`app.widgets.bits_panel`, with its own bar on the left edge), and the pixel loupe
(:mod:`app.widgets.loupe`) reads the same image pixel under the cursor in every view mode.
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QRegion,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from app.core.error_maps import error_map_scale
from app.core.loupe import LoupeReading, read_loupe
from app.core.view_state import ViewMode, Viewport, ViewState
from app.widgets.captions import Caption, place_captions
from app.widgets.colour_bar import ColourBar
from app.widgets.loupe import LoupeLayout, loupe_layout, paint_loupe, paint_marker, pixel_marker
from app.widgets.qimage import difference_map, to_qimage
from app.workers.error_map_jobs import ErrorMapJobs, MapLookup

__all__ = ["ComparisonCanvas"]

_BACKGROUND = QColor(32, 33, 36)
_DIVIDER = QColor(255, 255, 255)
_BADGE = QColor(0, 0, 0, 170)
_GRAB_PX = 6


class ComparisonCanvas(QWidget):
    """Paints the two sides; wheel zooms about the cursor, drag pans or moves the divider."""

    zoomChanged = Signal(float)  # effective zoom, 1.0 = 100 %

    def __init__(self, view: ViewState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self._images: dict[str, QImage | None] = {"A": None, "B": None}
        self._arrays: dict[str, np.ndarray | None] = {"A": None, "B": None}
        self._labels: dict[str, str] = {"A": "A", "B": "B"}
        self._pending: dict[str, str] = {"A": "", "B": ""}
        self._stand_in: dict[str, bool] = {"A": False, "B": False}
        self._diff: QImage | None = None
        self._diff_key: tuple[int, int, float] | None = None
        self._drag: str | None = None
        self._last: QPointF | None = None
        self._original: np.ndarray | None = None
        self._cursor: QPointF | None = None
        """Where the mouse is over the canvas (the loupe reads there); None when it is elsewhere."""
        self.error_maps = ErrorMapJobs(self)
        self.error_maps.ready.connect(self.update)
        self.colour_bar = ColourBar()
        self.colour_bar.attach(self)
        self._bits: dict[str, tuple[QImage | None, str]] = {"A": (None, ""), "B": (None, "")}
        self.bits_bar = ColourBar()
        """The bits maps' scale (:mod:`app.widgets.bits_panel` sets it), on the left edge."""
        self.bits_bar.attach(self, left=True)
        self.placeholder = "Drop an image here, or press Ctrl+O"
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setToolTip("Wheel: zoom about the cursor · drag: pan (or move the divider) · "
                        "double-click: fit · hold Space: flip A/B")
        view.changed.connect(self._on_view_changed)

    # -- content ------------------------------------------------------------------------------
    def set_side(self, name: str, pixels: np.ndarray | None, label: str, pending: str = "",
                 stand_in: bool = False) -> None:
        """Show ``pixels`` for side ``name`` ("A" or "B"), dimmed under ``pending`` if given.

        ``stand_in``: the pixels are not the side's result (the original, shown while its first
        encode runs), so the difference view waits for the real one instead of showing zeros.
        """
        if pixels is not self._arrays[name] or stand_in != self._stand_in[name]:
            self._arrays[name] = pixels
            self._images[name] = to_qimage(pixels) if pixels is not None else None
            self._stand_in[name] = stand_in
            self._diff_key = None
            self._retain_maps()
        self._labels[name] = label
        self._pending[name] = pending
        self.update()

    def set_original(self, pixels: np.ndarray | None) -> None:
        """The reference the error maps and the loupe compare with."""
        if pixels is not self._original:
            self._original = pixels
            self._retain_maps()
            self.update()

    def _retain_maps(self) -> None:
        """Maps still being made for pictures that left the screen are stopped."""
        self.error_maps.retain([p for p in (self._original, *self._arrays.values()) if p is not None])

    def image(self, name: str) -> QImage | None:
        return self._images[name]

    def set_side_bits(self, name: str, image: QImage | None, note: str = "") -> None:
        """Side ``name``'s bits map (an MSP side's, coloured on the shown scale), or why it has none;
        drawn instead of its picture while :meth:`ViewState.bits_shown` says so."""
        self._bits[name] = (image, note)
        if self.view.bits_shown(name):
            self.update()

    def bits_image(self, name: str) -> QImage | None:
        return self._bits[name][0]

    def side_map(self, name: str) -> MapLookup:
        """Side ``name``'s error map of the current kind and gain (started if not made yet)."""
        pixels = self._arrays[name]
        if self._original is None or pixels is None or self._stand_in[name]:
            return MapLookup(None, "waiting for its result")
        return self.error_maps.lookup(self.view.error_map, self._original, pixels, self.view.diff_gain)

    def _diff_image(self) -> QImage | None:
        a, b = self._arrays["A"], self._arrays["B"]
        if a is None or b is None or a.shape != b.shape or self._stand_in["A"] or self._stand_in["B"]:
            return None
        key = (id(a), id(b), self.view.diff_gain)
        if key != self._diff_key:
            self._diff = to_qimage(difference_map(a, b, self.view.diff_gain))
            self._diff_key = key
        return self._diff

    def _on_view_changed(self) -> None:
        view = self.view
        self.colour_bar.set_scale(error_map_scale(view.error_map, view.diff_gain) if view.error_map_shown() else None)
        self.update()
        self.zoomChanged.emit(self.effective_zoom())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.zoomChanged.emit(self.effective_zoom())  # "Fit" means a different percentage now

    def effective_zoom(self) -> float:
        panes = self._panes()
        return panes[0].scale * self.devicePixelRatioF() if panes else 1.0

    def _panes(self) -> list[Viewport]:
        return self.view.panes(self.width(), self.height(), self.devicePixelRatioF())

    def pane_at(self, pos: QPointF) -> Viewport:
        for pane in self._panes():
            if pane.x <= pos.x() <= pane.x + pane.width:
                return pane
        return self._panes()[0]

    # -- painting -----------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), _BACKGROUND)
        if self._images["A"] is None and self._images["B"] is None and not any(self._pending.values()):
            painter.setPen(QColor(200, 200, 200))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.placeholder)
            return
        panes = self._panes()
        smooth = panes[0].scale * self.devicePixelRatioF() < 0.999
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        first, second = self._order()
        mode = self.view.mode
        if mode is ViewMode.SPLIT:
            pane = panes[0]
            split_x = pane.x + pane.width * self.view.divider
            self._draw_side(painter, pane, first, QRectF(pane.x, pane.y, split_x - pane.x, pane.height))
            self._draw_side(painter, pane, second, QRectF(split_x, pane.y, pane.x + pane.width - split_x, pane.height))
            self._draw_divider(painter, split_x, pane)
        elif mode is ViewMode.SIDE_BY_SIDE:
            for pane, name in zip(panes[:2], (first, second), strict=True):  # a third pane is the difference
                self._draw_side(painter, pane, name, self._rect(pane))
            if len(panes) > 2:
                self._draw_diff(painter, panes[2])
        elif mode is ViewMode.FLIP:
            self._draw_side(painter, panes[0], first, self._rect(panes[0]))
        else:
            self._draw_diff(painter, panes[0])
        self._draw_captions(painter)
        self._draw_loupe(painter)

    def _order(self) -> tuple[str, str]:
        return ("B", "A") if self.view.flipped else ("A", "B")

    def caption_font(self) -> QFont:
        font = QFont(self.font())
        font.setBold(True)
        return font

    def captions(self) -> list[Caption]:
        """The caption badges of the current view and size, as painted: each inside its pane,
        none overlapping another, the text elided to fit."""
        panes = self._panes()
        first, second = self._order()
        metrics = QFontMetricsF(self.caption_font())
        mode = self.view.mode
        diff_text = f"|A − B| × {self.view.diff_gain:g}"
        if mode is ViewMode.SPLIT:
            return place_captions(self._rect(panes[0]), [(self._caption(first), True), (self._caption(second), False)],
                                  metrics)
        if mode is ViewMode.SIDE_BY_SIDE:
            placed: list[Caption] = []
            for pane, name in zip(panes[:2], (first, second), strict=True):
                placed += place_captions(self._rect(pane), [(self._caption(name), True)], metrics)
            if len(panes) > 2 and self._diff_image() is not None:
                placed += place_captions(self._rect(panes[2]), [(diff_text, True)], metrics)
            return placed
        if mode is ViewMode.FLIP:
            return place_captions(self._rect(panes[0]), [(self._caption(first), True)], metrics)
        if self._diff_image() is None:
            return []
        return place_captions(self._rect(panes[0]), [(diff_text, True)], metrics)

    def _caption(self, name: str) -> str:
        if self.view.bits_shown(name):
            return f"{name} · bits · {self._labels[name]}"
        if self.view.error_map_shown():
            return f"{name} · {error_map_scale(self.view.error_map, self.view.diff_gain).quantity} · {self._labels[name]}"
        return f"{name} · {self._labels[name]}"

    @staticmethod
    def _rect(pane: Viewport) -> QRectF:
        return QRectF(pane.x, pane.y, pane.width, pane.height)

    def _draw_image(self, painter: QPainter, pane: Viewport, image: QImage, clip: QRectF) -> None:
        """Draw only the source pixels that land inside ``clip`` (fast at 800 %)."""
        if clip.width() <= 0 or clip.height() <= 0:
            return
        x0, y0 = pane.to_image(clip.left(), clip.top())
        x1, y1 = pane.to_image(clip.right(), clip.bottom())
        sx0, sy0 = max(0, math.floor(x0)), max(0, math.floor(y0))
        sx1, sy1 = min(image.width(), math.ceil(x1)), min(image.height(), math.ceil(y1))
        if sx1 <= sx0 or sy1 <= sy0:
            return
        tx0, ty0 = pane.to_screen(sx0, sy0)
        tx1, ty1 = pane.to_screen(sx1, sy1)
        painter.save()
        painter.setClipRect(clip)
        painter.drawImage(QRectF(tx0, ty0, tx1 - tx0, ty1 - ty0), image, QRectF(sx0, sy0, sx1 - sx0, sy1 - sy0))
        painter.restore()

    def _draw_side(self, painter: QPainter, pane: Viewport, name: str, clip: QRectF) -> None:
        image = self._images[name]
        note = ""
        if self.view.bits_shown(name):
            image, note = self._bits[name]
        elif self.view.error_map_shown():
            lookup = self.side_map(name)
            image, note = lookup.image, lookup.note
        if image is not None:
            self._draw_image(painter, pane, image, clip)
        if note and not self._pending[name] and clip.width() > 0:
            painter.save()
            painter.setClipRect(clip)
            painter.setPen(QColor(200, 200, 200))
            painter.drawText(clip, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, f"{name}: {note}")
            painter.restore()
        if self._pending[name] and clip.width() > 0:
            painter.save()
            painter.setClipRect(clip)
            if image is not None:
                painter.fillRect(clip, QColor(0, 0, 0, 90))
            painter.setPen(QColor(230, 230, 230))
            painter.drawText(clip, Qt.AlignmentFlag.AlignCenter, f"{name}: {self._pending[name]}")
            painter.restore()

    def _draw_diff(self, painter: QPainter, pane: Viewport) -> None:
        diff = self._diff_image()
        rect = self._rect(pane)
        if diff is None:
            painter.setPen(QColor(200, 200, 200))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "Difference: waiting for both sides")
            return
        self._draw_image(painter, pane, diff, rect)

    def _draw_captions(self, painter: QPainter) -> None:
        painter.save()
        painter.setFont(self.caption_font())
        for caption in self.captions():
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(_BADGE)
            painter.drawRoundedRect(caption.box, 4, 4)
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(caption.box, Qt.AlignmentFlag.AlignCenter, caption.text)
        painter.restore()

    def _draw_divider(self, painter: QPainter, x: float, pane: Viewport) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(_DIVIDER, 2))
        painter.drawLine(QPointF(x, pane.y), QPointF(x, pane.y + pane.height))
        cy = pane.y + pane.height / 2
        painter.setBrush(QColor(255, 255, 255, 220))
        painter.setPen(QPen(QColor(60, 60, 60), 1))
        painter.drawEllipse(QPointF(x, cy), 11, 11)
        painter.setPen(QPen(QColor(60, 60, 60), 2))
        painter.drawLine(QPointF(x - 5, cy), QPointF(x - 2, cy - 3))
        painter.drawLine(QPointF(x - 5, cy), QPointF(x - 2, cy + 3))
        painter.drawLine(QPointF(x + 5, cy), QPointF(x + 2, cy - 3))
        painter.drawLine(QPointF(x + 5, cy), QPointF(x + 2, cy + 3))
        painter.restore()

    # -- the loupe ------------------------------------------------------------------------------
    def loupe_reading(self) -> LoupeReading | None:
        """What the loupe shows now: the pixel under the cursor, in whichever pane it is."""
        if not self.view.loupe or self._cursor is None:
            return None
        pos = self._cursor
        pane = next((p for p in self._panes() if p.x <= pos.x() <= p.x + p.width), None)
        if pane is None:
            return None  # between two panes
        return read_loupe(pane.to_image(pos.x(), pos.y()), self._original, self._arrays["A"], self._arrays["B"])

    def loupe_layout(self) -> LoupeLayout | None:
        reading = self.loupe_reading()
        if reading is None or self._cursor is None:
            return None
        return loupe_layout(reading, self._cursor, QRectF(self.rect()), QFontMetricsF(self.font()))

    def loupe_markers(self) -> list[QRectF]:
        """The outline of the loupe's pixel in each pane."""
        reading = self.loupe_reading()
        if reading is None:
            return []
        return [pixel_marker(pane, reading.x, reading.y) for pane in self._panes()]

    def _loupe_region(self) -> QRegion:
        region = QRegion()
        layout = self.loupe_layout()
        if layout is not None:
            region += layout.box.toAlignedRect().adjusted(-2, -2, 2, 2)
        for marker in self.loupe_markers():
            region += marker.toAlignedRect().adjusted(-3, -3, 3, 3)
        return region

    def set_loupe_cursor(self, pos: QPointF | None) -> None:
        """Move the loupe to ``pos`` (canvas coordinates; None: the cursor left). Repaints only
        where the loupe was and where it goes: a mouse move must not repaint the whole canvas."""
        before = self._loupe_region()
        self._cursor = pos
        self.update(before + self._loupe_region())

    def _draw_loupe(self, painter: QPainter) -> None:
        reading = self.loupe_reading()
        layout = self.loupe_layout()
        if reading is None or layout is None:
            return
        painter.save()
        for marker in self.loupe_markers():
            paint_marker(painter, marker)
        paint_loupe(painter, reading, layout)
        painter.restore()

    def leaveEvent(self, event: QEvent) -> None:
        self.set_loupe_cursor(None)
        super().leaveEvent(event)

    # -- interaction ----------------------------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:  # an elided caption shows its full text
            pos = cast(QHelpEvent, event).pos()
            for caption in self.captions():
                if caption.elided and caption.box.contains(QPointF(pos)):
                    QToolTip.showText(cast(QHelpEvent, event).globalPos(), caption.full, self)
                    return True
        return super().event(event)

    def _near_divider(self, pos: QPointF) -> bool:
        if self.view.mode is not ViewMode.SPLIT:
            return False
        pane = self._panes()[0]
        return abs(pos.x() - (pane.x + pane.width * self.view.divider)) <= _GRAB_PX

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton):
            pos = event.position()
            self._drag = "divider" if event.button() == Qt.MouseButton.LeftButton and self._near_divider(pos) else "pan"
            self._last = pos
            self.setCursor(Qt.CursorShape.SplitHCursor if self._drag == "divider" else Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._drag == "divider":
            pane = self._panes()[0]
            self.view.set_divider((pos.x() - pane.x) / max(1.0, pane.width))
        elif self._drag == "pan" and self._last is not None:
            delta = pos - self._last
            self._last = pos
            self.view.pan_by(delta.x(), delta.y(), self.pane_at(pos), self.devicePixelRatioF())
        else:
            idle = Qt.CursorShape.CrossCursor if self.view.loupe else Qt.CursorShape.OpenHandCursor
            self.setCursor(Qt.CursorShape.SplitHCursor if self._near_divider(pos) else idle)
        if self.view.loupe:
            self.set_loupe_cursor(pos)
        else:
            self._cursor = pos  # where the loupe opens when it is switched on
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag = None
        self._last = None
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.view.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            pos = event.position()
            self.view.zoom_by(steps, self.pane_at(pos), (pos.x(), pos.y()), self.devicePixelRatioF())
        event.accept()

    def zoom_step(self, steps: float) -> None:
        """Keyboard zoom about the centre of the first pane."""
        self.view.zoom_by(steps, self._panes()[0], None, self.devicePixelRatioF())
