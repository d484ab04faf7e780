"""Training crops cut on the training device itself, from images held there as uint8.

On a GPU the CPU loader of :mod:`codec.training.data` (a Lanczos resize per crop in Python)
would feed a few hundred crops a second against the GPU's thousands. Here the whole pack lives on
the device as uint8 tensors (about 370 MB for 120 MP) and each crop is a slice plus an
antialiased bilinear resize there: a random downscale of 1-2x (as the CPU loader does), a random
position and a random horizontal flip. Images are drawn in proportion to their area, so every
training pixel is equally likely to be seen whatever the size of its photo.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from codec.training.data import image_paths

__all__ = ["DeviceCrops"]


def _decode(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.array(im.convert("RGB"))  # writable: torch.from_numpy shares it


class DeviceCrops:
    """Random (B, 3, size, size) float crops in [0, 1] from images resident on ``device``."""

    def __init__(self, images: list[torch.Tensor], device: torch.device, max_downscale: float = 2.0) -> None:
        if not images:
            raise ValueError("no training image is large enough for the crop size")
        self.images = images  # (3, H, W) uint8 on device
        self.device = device
        self.max_downscale = max_downscale
        areas = np.array([im.shape[1] * im.shape[2] for im in images], dtype=np.float64)
        self._weights = areas / areas.sum()

    @classmethod
    def load(cls, folder: str | Path, min_side: int, device: torch.device, workers: int = 8) -> DeviceCrops:
        paths = image_paths(folder)
        with ThreadPoolExecutor(workers) as pool:  # Pillow releases the GIL while decoding
            arrays = list(pool.map(_decode, paths))
        images = [
            torch.from_numpy(a).permute(2, 0, 1).contiguous().to(device) for a in arrays if min(a.shape[:2]) >= min_side
        ]
        return cls(images, device)

    @property
    def megapixels(self) -> float:
        return float(sum(im.shape[1] * im.shape[2] for im in self.images)) / 1e6

    def batch(self, rng: np.random.Generator, batch: int, size: int) -> torch.Tensor:
        picks = rng.choice(len(self.images), size=batch, p=self._weights)
        crops = []
        for k in picks:
            image = self.images[k]
            h, w = image.shape[1:]
            limit = min(self.max_downscale, min(h, w) / size)
            factor = float(np.exp(rng.uniform(0.0, np.log(limit)))) if limit > 1 else 1.0
            src = max(size, round(size * factor))
            top = int(rng.integers(0, h - src + 1))
            left = int(rng.integers(0, w - src + 1))
            crop = image[:, top : top + src, left : left + src].unsqueeze(0).float()
            if src != size:
                crop = F.interpolate(crop, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
            if rng.random() < 0.5:
                crop = crop.flip(-1)
            crops.append(crop)
        return (torch.cat(crops) / 255.0).clamp_(0.0, 1.0)
