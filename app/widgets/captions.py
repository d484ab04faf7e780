"""Where the canvas's caption badges go ("A · MSP balanced q=0.50, cpu"), and what of their text fits.

A pure layout function, separate from the painting so that tests can check the geometry: at
a projector's 1280x720, or with the window at its minimum size, the canvas is a few hundred pixels
wide, and two full captions side by side (split view) or one caption wider than its pane
(side by side) would run into each other. Each caption gets its share of its pane's width and
is elided to fit it; the full text is still there for a tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFontMetricsF

__all__ = ["Caption", "place_captions", "MARGIN", "PAD_X", "PAD_Y"]

MARGIN = 8.0  # between a badge and its pane's edges, and between two badges
PAD_X = 8.0  # text to badge edge, left and right
PAD_Y = 4.0  # text to badge edge, top and bottom


@dataclass(frozen=True)
class Caption:
    """One badge: its box in canvas coordinates, the text drawn in it and the text it stands for."""

    box: QRectF
    text: str
    full: str

    @property
    def elided(self) -> bool:
        return self.text != self.full


def place_captions(pane: QRectF, texts: Sequence[tuple[str, bool]], metrics: QFontMetricsF) -> list[Caption]:
    """Badges for ``texts`` (each ``(text, left)``: on the pane's top-left or top-right corner).

    A pane with one caption on each side gives each at most half its width (less the margins),
    so the two can never meet; a caption alone may use the whole width. Text that does not fit is
    elided on the right; a caption with no room for a single character is left out.
    """
    lefts = [t for t in texts if t[1]]
    rights = [t for t in texts if not t[1]]
    both = bool(lefts) and bool(rights)
    room = (pane.width() - 3 * MARGIN) / 2 if both else pane.width() - 2 * MARGIN
    height = metrics.height() + 2 * PAD_Y
    placed: list[Caption] = []
    for text, left in texts:
        width_for_text = room - 2 * PAD_X
        if width_for_text <= 0:
            continue
        shown = text
        if metrics.horizontalAdvance(text) > width_for_text:
            shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, width_for_text)
        if not shown or shown == "…":
            continue
        width = min(room, metrics.horizontalAdvance(shown) + 2 * PAD_X)
        x = pane.left() + MARGIN if left else pane.right() - MARGIN - width
        placed.append(Caption(QRectF(x, pane.top() + MARGIN, width, height), shown, text))
    return placed
