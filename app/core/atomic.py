"""Saving exports without ever clobbering the user's original image.

The write itself is :func:`codec.atomic.write_bytes_atomic` (temporary file in the target folder,
flushed, then renamed over the target), so a crash or a full disk leaves either the old file or
the new one. This module adds the app's rule on top: the image the user opened is never a target.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from codec.atomic import write_bytes_atomic
from codec.image_io import png_bytes

__all__ = ["atomic_write_bytes", "export_png", "OverwriteOriginalError"]


class OverwriteOriginalError(OSError):
    """The chosen target is the image the user opened; we refuse to replace it."""


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def atomic_write_bytes(target: str | os.PathLike[str], data: bytes, protect: tuple[Path, ...] = ()) -> Path:
    """Write ``data`` to ``target`` atomically; refuse if ``target`` is one of ``protect``."""
    path = Path(target)
    for original in protect:
        if _same_file(path, Path(original)) or path.resolve() == Path(original).resolve():
            raise OverwriteOriginalError(f"refusing to overwrite the original image {path.name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    # The user already confirmed replacing an existing export in the Save dialog: overwrite=True.
    return write_bytes_atomic(path, data, overwrite=True)


def export_png(target: str | os.PathLike[str], pixels: np.ndarray, protect: tuple[Path, ...] = ()) -> Path:
    """Save an H x W x 3 uint8 array as PNG, atomically, never over a protected path."""
    return atomic_write_bytes(target, png_bytes(np.ascontiguousarray(pixels)), protect=protect)
