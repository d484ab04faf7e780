"""numpy <-> QImage conversion and the difference map, shared by the canvas and screenshots."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

__all__ = ["to_qimage", "difference_map"]


def to_qimage(pixels: np.ndarray) -> QImage:
    """A QImage that owns a copy of an H x W x 3 uint8 array (no dangling numpy buffer)."""
    array = np.ascontiguousarray(pixels, dtype=np.uint8)
    height, width = array.shape[:2]
    image = QImage(array.data, width, height, array.strides[0], QImage.Format.Format_RGB888)
    return image.copy()


def difference_map(a: np.ndarray, b: np.ndarray, gain: float) -> np.ndarray:
    """|A - B| per channel, amplified by ``gain`` and clipped: black means identical."""
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16)).astype(np.float32)
    return np.clip(diff * gain, 0, 255).astype(np.uint8)
