"""A data pack: the training set squeezed into a size budget, to travel where ``../shared`` does not.

A lent GPU machine gets only the working tree (64 MiB in all), so a burst of GPU training needs the
training photos in a folder of at most ~50 MiB. The pack favours what a GPU burst learns most
from: the large, clean photographs come first, downscaled so their short side is
``large_short_side`` (which also removes their remaining compression noise), then the smaller
images in a fixed pseudo-random order, as their original bytes where they are JPEGs already,
until the budget is spent. Validation images (``split_paths``) never enter the training part:
they go, as their original bytes, into ``validation/``, so the burst reports held-out figures
comparable with ``runs/*/validation.jsonl``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from codec.training.data import split_paths

__all__ = ["PackReport", "build_pack", "MANIFEST_NAME", "VALIDATION_DIR"]

MANIFEST_NAME = "manifest.json"
VALIDATION_DIR = "validation"
_REENCODE_QUALITY = 94


@dataclass(frozen=True)
class PackReport:
    out_dir: str
    images: int
    skipped: int  # training images left out for the budget
    total_bytes: int
    megapixels: float


def _order_key(path: Path) -> bytes:
    return hashlib.sha256(path.name.encode()).digest()


def _encode(path: Path, large_short_side: int) -> tuple[bytes, tuple[int, int], bool]:
    """(file bytes, (width, height), downscaled?) of one image as it goes into the pack."""
    with Image.open(path) as im:
        fmt = im.format
        size = im.size
        short = min(size)
        if short <= large_short_side and fmt == "JPEG" and im.mode == "RGB":
            return path.read_bytes(), size, False  # original bytes: no second generation of loss
        rgb = im.convert("RGB")
    downscaled = short > large_short_side
    if downscaled:
        scale = large_short_side / short
        size = (max(1, round(size[0] * scale)), max(1, round(size[1] * scale)))
        rgb = rgb.resize(size, Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    rgb.save(buf, format="JPEG", quality=_REENCODE_QUALITY, subsampling=0)
    return buf.getvalue(), size, downscaled


def build_pack(
    sources: list[str | Path], out_dir: str | Path, max_bytes: int = 50 * 2**20, large_short_side: int = 640,
    min_side: int = 256,
) -> PackReport:
    """Write the pack into ``out_dir`` (emptied of earlier pack files first) with a manifest."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    val_dir = out / VALIDATION_DIR
    val_dir.mkdir(exist_ok=True)
    for old in [*out.glob("*.jpg"), *val_dir.iterdir()]:
        old.unlink()
    candidates: list[Path] = []
    total = 0
    for src in sources:
        train, validation = split_paths(Path(src))
        candidates.extend(train)
        for p in validation:
            data = p.read_bytes()
            (val_dir / f"{p.parent.name}__{p.name}").write_bytes(data)
            total += len(data)
    sizes = {}
    for p in candidates:
        with Image.open(p) as im:
            sizes[p] = im.size
    usable = [p for p in candidates if min(sizes[p]) >= min_side]
    # Large images first (they are the clean ones), then the rest in a stable shuffled order.
    usable.sort(key=lambda p: (min(sizes[p]) <= large_short_side, _order_key(p)))
    entries, skipped, pixels = [], 0, 0
    budget = max_bytes - 64 * 1024  # room for the manifest
    for p in usable:
        data, size, downscaled = _encode(p, large_short_side)
        if total + len(data) > budget:
            skipped += 1
            continue
        name = f"{p.parent.name}__{p.stem}.jpg"
        tmp = out / (name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, out / name)
        total += len(data)
        pixels += size[0] * size[1]
        entries.append({"file": name, "source": f"{p.parent.name}/{p.name}", "size": list(size), "downscaled": downscaled})
    manifest = {
        "sources": [str(s) for s in sources],
        "large_short_side": large_short_side,
        "max_bytes": max_bytes,
        "images": entries,
        "skipped_for_budget": skipped,
    }
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1))
    total += (out / MANIFEST_NAME).stat().st_size
    return PackReport(str(out), len(entries), skipped, total, pixels / 1e6)
