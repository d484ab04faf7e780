"""The pixel loupe's reading: the original's, A's and B's values at one image pixel, and the
pixels around it.

Pure numpy, no Qt: the canvas turns the cursor into an image position (every pane shares one
transform, so it is the same pixel in every view mode) and only draws what this returns. Keeping
the lookup here lets tests compare it with the arrays directly, whatever the view does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["LoupeSample", "LoupeReading", "LOUPE_RADIUS", "read_loupe"]

LOUPE_RADIUS = 4
"""Pixels on each side of the centre: a 9 x 9 crop, enough context to see a ringing edge or a block."""


@dataclass(frozen=True)
class LoupeSample:
    """One picture at the loupe's pixel."""

    name: str
    """"Original", "A" or "B"."""
    rgb: tuple[int, int, int] | None
    """The pixel's value; None where this picture is missing (no result yet, or another size)."""
    crop: np.ndarray | None = field(repr=False, compare=False)
    """(2r+1) x (2r+1) x 3 uint8 centred on the pixel; zero outside the image (see ``inside``)."""


@dataclass(frozen=True)
class LoupeReading:
    """What the loupe shows at image pixel (x, y)."""

    x: int
    y: int
    radius: int
    samples: tuple[LoupeSample, ...]
    inside: np.ndarray = field(repr=False, compare=False)
    """(2r+1) x (2r+1) bool: which crop pixels lie inside the image (the loupe greys out the rest)."""

    def sample(self, name: str) -> LoupeSample:
        return next(s for s in self.samples if s.name == name)


def _crop(pixels: np.ndarray, x: int, y: int, radius: int) -> np.ndarray:
    """The (2r+1)^2 window around (x, y), zero where it leaves the image."""
    height, width = pixels.shape[:2]
    size = 2 * radius + 1
    out = np.zeros((size, size, 3), np.uint8)
    x0, y0 = max(0, x - radius), max(0, y - radius)
    x1, y1 = min(width, x + radius + 1), min(height, y + radius + 1)
    out[y0 - (y - radius):y1 - (y - radius), x0 - (x - radius):x1 - (x - radius)] = pixels[y0:y1, x0:x1, :3]
    return out


def read_loupe(position: tuple[float, float], original: np.ndarray | None, a: np.ndarray | None,
               b: np.ndarray | None, radius: int = LOUPE_RADIUS) -> LoupeReading | None:
    """The loupe at image ``position`` (continuous coordinates: pixel (x, y) covers [x, x+1) x [y, y+1)).

    The image's size is the original's (or, before it is known, the first picture given); a
    side of another size reads as missing rather than as a wrong pixel. None when the position is
    outside the image or there is no picture at all.
    """
    pictures = {"Original": original, "A": a, "B": b}
    reference = next((p for p in pictures.values() if p is not None), None)
    if reference is None or not all(math.isfinite(v) for v in position):
        return None
    height, width = reference.shape[:2]
    x, y = math.floor(position[0]), math.floor(position[1])
    if not (0 <= x < width and 0 <= y < height):
        return None
    samples = []
    for name, pixels in pictures.items():
        if pixels is None or pixels.shape[:2] != (height, width):
            samples.append(LoupeSample(name, None, None))
            continue
        r, g, b_ = (int(v) for v in pixels[y, x, :3])
        samples.append(LoupeSample(name, (r, g, b_), _crop(pixels, x, y, radius)))
    ys, xs = np.mgrid[y - radius:y + radius + 1, x - radius:x + radius + 1]
    inside = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
    return LoupeReading(x, y, radius, tuple(samples), inside)
