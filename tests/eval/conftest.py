import numpy as np
import pytest


def photo_like(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Smooth gradients, hard edges and a little noise: compresses like a photo, not like noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    img = np.empty((height, width, 3))
    for c in range(3):
        fx, fy = rng.uniform(0.02, 0.12, size=2)
        img[..., c] = 128 + 60 * np.sin(fx * xx + c) * np.cos(fy * yy) + 30 * ((xx + 2 * yy + 17 * c) % 24 > 12)
    img += rng.normal(0, 4, size=img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


@pytest.fixture
def make_image():
    return photo_like
