"""Training crops: random crops with random downscaling of the training photos.

The photos (mostly JPEGs with a short side around 330 px) are decoded once into memory; each
crop picks an image, a downscale factor (which also removes JPEG artefacts and gives sharper
content per pixel) and a position. A fixed, name-hashed part of the set is held out for
validation so that runs are comparable without ever touching Kodak.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from codec.errors import ImageInputError
from codec.image_io import IMAGE_SUFFIXES, load_image

__all__ = ["TrainingImages", "split_paths", "image_paths", "IMAGE_SUFFIXES"]



def image_paths(folder: str | Path) -> list[Path]:
    """The image files of ``folder``, sorted by name."""
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def split_paths(root: Path, validation_fraction: float = 0.03) -> tuple[list[Path], list[Path]]:
    """(train, validation) by a stable hash of each file name."""
    paths = image_paths(root)
    train: list[Path] = []
    val: list[Path] = []
    for p in paths:
        h = int.from_bytes(hashlib.sha256(p.name.encode()).digest()[:4], "little") / 2**32
        (val if h < validation_fraction else train).append(p)
    return train, val


@dataclass
class TrainingImages:
    """Decoded images kept in memory as uint8 HxWx3 arrays."""

    arrays: list[np.ndarray]

    @classmethod
    def load(cls, paths: list[Path], min_side: int) -> TrainingImages:
        """The images whose short side is at least ``min_side`` (a crop must fit), read as the codec
        reads its inputs (EXIF orientation, 16-bit scaled, alpha dropped). Unreadable files are
        skipped; if nothing is left, ImageInputError says why, before any training starts."""
        arrays = []
        small = unreadable = 0
        for p in paths:
            try:
                arr = load_image(p)
            except ImageInputError:
                unreadable += 1
                continue
            if min(arr.shape[:2]) >= min_side:
                arrays.append(arr)
            else:
                small += 1
        if not arrays:
            folders = ", ".join(sorted({str(p.parent) for p in paths})) or "(no image files)"
            raise ImageInputError(
                f"no training image in {folders} has a short side of at least {min_side} px "
                f"({small} smaller, {unreadable} unreadable); use a smaller --crop-size or larger images"
            )
        return cls(arrays)

    def random_batch(self, rng: np.random.Generator, batch: int, size: int, max_downscale: float = 2.0) -> torch.Tensor:
        """(B, 3, size, size) float in [0, 1]."""
        crops = []
        for _ in range(batch):
            arr = self.arrays[rng.integers(len(self.arrays))]
            h, w = arr.shape[:2]
            limit = min(max_downscale, min(h, w) / size)
            factor = float(np.exp(rng.uniform(0.0, np.log(limit)))) if limit > 1 else 1.0
            src = max(size, round(size * factor))
            top = int(rng.integers(0, h - src + 1))
            left = int(rng.integers(0, w - src + 1))
            crop = arr[top : top + src, left : left + src]
            if src != size:
                crop = np.asarray(Image.fromarray(crop).resize((size, size), Image.Resampling.LANCZOS))
            if rng.random() < 0.5:
                crop = crop[:, ::-1]
            crops.append(np.ascontiguousarray(crop))
        batch_arr = np.stack(crops).astype(np.float32) / 255.0
        return torch.from_numpy(batch_arr).permute(0, 3, 1, 2).contiguous()

    def center_crops(self, size: int) -> torch.Tensor:
        out = []
        for arr in self.arrays:
            h, w = arr.shape[:2]
            top, left = (h - size) // 2, (w - size) // 2
            out.append(arr[top : top + size, left : left + size])
        return torch.from_numpy(np.stack(out).astype(np.float32) / 255.0).permute(0, 3, 1, 2).contiguous()
