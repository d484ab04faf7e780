"""Fixtures shared by every test folder: photo-like synthetic images (no files needed)."""

import numpy as np
import pytest


def photo_like(height: int, width: int, seed: int = 0, *, frequencies: tuple[float, float] = (0.02, 0.12),
               stripe: int = 24) -> np.ndarray:
    """Smooth gradients, hard edges and a little noise: compresses like a photo, not like noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    img = np.empty((height, width, 3))
    for c in range(3):
        fx, fy = rng.uniform(*frequencies, size=2)
        img[..., c] = 128 + 60 * np.sin(fx * xx + c) * np.cos(fy * yy) + 30 * ((xx + 2 * yy + 17 * c) % stripe > stripe // 2)
    img += rng.normal(0, 4, size=img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def smooth_image(height: int, width: int, seed: int = 0) -> np.ndarray:
    """The codec tests' image: as :func:`photo_like`, with slower gradients and wider stripes."""
    return photo_like(height, width, seed, frequencies=(0.01, 0.08), stripe=40)


@pytest.fixture
def make_image():
    """``make_image(height, width, seed=0)``: :func:`photo_like` (:func:`smooth_image` under tests/codec)."""
    return photo_like
