"""A comparison snapshot: the part of both sides on screen, side by side, captioned, as one PNG.

For a slide or a report: the same crop of A and B at the zoom the viewer chose, each with what
it is (codec and quality, size, bpp, PSNR, MS-SSIM) written under it, so the picture carries its
own numbers. The crops are the reconstructions' own pixels, never the screen's: the visible
region of the canvas in image pixels (:func:`visible_box`), enlarged by a whole number when the
view is zoomed in (nearest neighbour, as the canvas draws pixels above 100 %). The captions are
drawn with Pillow; the file is written atomically, never over the opened original
(:func:`app.core.atomic.export_png`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from app.core.atomic import export_png
from app.core.formatting import readout_rows
from app.core.results import EncodeOutcome
from app.core.view_state import Viewport

__all__ = ["CropBox", "Snapshot", "visible_box", "caption_lines", "compose_snapshot", "save_snapshot",
           "BACKGROUND", "MARGIN", "GAP", "FONT_SIZE", "LINE_SPACING"]

BACKGROUND = (255, 255, 255)
TEXT = (32, 33, 36)
MARGIN = 12
"""Pixels of background around everything."""
GAP = 16
"""Pixels between the two columns, and between a crop and its caption."""
FONT_SIZE = 15
LINE_SPACING = 5


@dataclass(frozen=True)
class CropBox:
    """A region of the image in pixels: columns x0..x1-1, rows y0..y1-1."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def crop(self, pixels: np.ndarray) -> np.ndarray:
        return pixels[self.y0:self.y1, self.x0:self.x1]


@dataclass(frozen=True)
class Snapshot:
    pixels: np.ndarray = field(repr=False)
    """H x W x 3 uint8."""
    crops: tuple[tuple[int, int], ...]
    """(x, y) of each column's crop in ``pixels``."""
    captions: tuple[tuple[int, int], ...]
    """(x, y) of each column's caption (its first line's top left)."""
    lines: tuple[tuple[str, ...], ...]
    """Each column's caption lines."""
    scale: int
    """Screen pixels per image pixel in the crops (1: the reconstructions' own pixels)."""


def visible_box(pane: Viewport, width: int, height: int) -> CropBox:
    """The image pixels (of a ``width`` x ``height`` image) any part of which ``pane`` shows.

    ValueError when the pane shows none (the image panned out of view)."""
    left, top = pane.to_image(pane.x, pane.y)
    right, bottom = pane.to_image(pane.x + pane.width, pane.y + pane.height)
    box = CropBox(max(0, math.floor(left + 1e-6)), max(0, math.floor(top + 1e-6)),
                  min(width, math.ceil(right - 1e-6)), min(height, math.ceil(bottom - 1e-6)))
    if box.width <= 0 or box.height <= 0:
        raise ValueError("no part of the image is in view")
    return box


def caption_lines(name: str, outcome: EncodeOutcome) -> tuple[str, ...]:
    """The caption of one side, in the readout's words: codec, size, bpp, PSNR, MS-SSIM."""
    rows = readout_rows(outcome, None)
    return (f"{name}: {rows['Codec']}",
            f"{rows['Size']}, {outcome.bpp:.3f} bpp",
            f"PSNR {rows['PSNR']}, MS-SSIM {rows['MS-SSIM']}")


def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=FONT_SIZE)


def compose_snapshot(columns: Sequence[tuple[np.ndarray, Sequence[str]]], scale: int = 1) -> Snapshot:
    """Lay ``columns`` (crop, caption lines) out left to right on a white sheet: each crop at the
    top of its column, enlarged ``scale`` times, its caption under it. A column is as wide as its
    crop or its longest caption line, whichever is wider; the crop is at its left edge."""
    if scale < 1:
        raise ValueError("scale must be a whole number >= 1")
    font = _font()
    ascent, descent = font.getmetrics() if isinstance(font, ImageFont.FreeTypeFont) else (FONT_SIZE, 0)
    line_height = ascent + descent + LINE_SPACING
    crops = [np.repeat(np.repeat(np.asarray(crop, np.uint8), scale, axis=0), scale, axis=1) for crop, _ in columns]
    widths = [max(crop.shape[1], *(math.ceil(font.getlength(line)) for line in lines))
              for crop, (_, lines) in zip(crops, columns, strict=True)]
    crop_height = max(crop.shape[0] for crop in crops)
    caption_rows = max(len(lines) for _, lines in columns)
    width = 2 * MARGIN + sum(widths) + GAP * (len(columns) - 1)
    height = 2 * MARGIN + crop_height + GAP + caption_rows * line_height
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    crop_at, caption_at = [], []
    x = MARGIN
    for crop, (_, lines), column_width in zip(crops, columns, widths, strict=True):
        sheet.paste(Image.fromarray(np.ascontiguousarray(crop)), (x, MARGIN))
        crop_at.append((x, MARGIN))
        y = MARGIN + crop_height + GAP
        caption_at.append((x, y))
        for line in lines:
            draw.text((x, y), line, fill=TEXT, font=font)
            y += line_height
        x += column_width + GAP
    return Snapshot(np.asarray(sheet), tuple(crop_at), tuple(caption_at),
                    tuple(tuple(lines) for _, lines in columns), scale)


def save_snapshot(target: str | os.PathLike[str], snapshot: Snapshot, protect: tuple[Path, ...] = ()) -> Path:
    """Write the snapshot as PNG, atomically, never over a protected path (the opened original)."""
    return export_png(target, snapshot.pixels, protect=protect)
