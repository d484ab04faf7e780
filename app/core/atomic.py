"""Atomic file writes that never clobber the user's original image.

A crash or a full disk halfway through a save must leave either the old file or the new one,
never a truncated mix: we write a temporary file in the target folder, flush it to disk, and
``os.replace`` it over the target (atomic on POSIX and Windows).
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
    # The one atomic writer of the project (temp file + fsync + rename); the user already
    # confirmed replacing an existing export in the Save dialog, so overwrite=True here.
    return write_bytes_atomic(path, data, overwrite=True)


def export_png(target: str | os.PathLike[str], pixels: np.ndarray, protect: tuple[Path, ...] = ()) -> Path:
    """Save an H x W x 3 uint8 array as PNG, atomically, never over a protected path."""
    return atomic_write_bytes(target, png_bytes(np.ascontiguousarray(pixels)), protect=protect)
