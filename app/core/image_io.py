"""Loading the user's image: validated, EXIF-oriented, 8-bit RGB, with a content hash.

Pixels come from the codec's own loader (``codec.image_io``, EXIF transpose included) so the app
and the CLI see the same pixels; this module adds the format, file size, a size limit and the
content hash the cache keys on. Every failure a user can cause (not an
image, truncated, enormous, a folder) becomes an :class:`ImageLoadError` with a one-line message.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from codec.errors import ImageInputError
from codec.image_io import load_image as codec_load_image

from app.core.load_failures import explain_unreadable, pillow_cause

__all__ = ["LoadedImage", "ImageLoadError", "load_image", "image_from_array", "MAX_PIXELS", "FLATTENED_ONTO"]

MAX_PIXELS = 7680 * 4320
"""The app's pixel limit (8K UHD, 33 Mpx), below the codec's (twice that): each side keeps several
full-size copies in memory, and an encode of the largest size takes minutes. It applies to images
opened and to the sizes that dropped .msp files declare."""

MIN_SIDE = 8

FLATTENED_ONTO = "white"
"""What ``codec.image_io`` composites transparent pixels onto (its alpha_composite background)."""

# The modes whose transparency codec.image_io composites away (others, e.g. an RGB PNG's tRNS
# colour key, it converts to RGB as they are).
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


class ImageLoadError(ImageInputError):
    """A file that cannot be used as the reference image (the message says why)."""


@dataclass(frozen=True)
class LoadedImage:
    """The reference image every codec result is compared against."""

    pixels: np.ndarray = field(repr=False, compare=False)
    key: str
    """Content hash of the pixels (and shape): the image part of every cache key."""
    name: str
    path: Path | None = None
    format: str = "raw"
    file_bytes: int | None = None
    """Size of the file on disk: the "original" in "% of original"."""
    flattened: bool = False
    """The file had pixels that are not fully opaque: they were composited onto
    :data:`FLATTENED_ONTO` (the codecs compare and code RGB), which the user is told."""

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def num_pixels(self) -> int:
        return self.height * self.width

    @property
    def reference_bytes(self) -> int:
        """Bytes the "% of original" figure divides by: the file, or raw 24-bit RGB."""
        return self.file_bytes if self.file_bytes else 3 * self.num_pixels

    def describe(self) -> str:
        size = f"{self.width} x {self.height}"
        extra = f", {self.file_bytes:,} bytes" if self.file_bytes else ""
        return f"{self.name} ({self.format}, {size}{extra})"


def _content_key(pixels: np.ndarray) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr(pixels.shape).encode())
    digest.update(np.ascontiguousarray(pixels).data)
    return digest.hexdigest()


def image_from_array(pixels: np.ndarray, name: str = "image", path: Path | None = None,
                     fmt: str = "raw", file_bytes: int | None = None, flattened: bool = False) -> LoadedImage:
    """Wrap an H x W x 3 uint8 array (validated, made read-only) as a :class:`LoadedImage`."""
    array = np.ascontiguousarray(pixels)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
        raise ImageLoadError(f"{name}: expected an H x W x 3 uint8 image, got {array.dtype} {array.shape}")
    if min(array.shape[:2]) < MIN_SIDE:
        raise ImageLoadError(f"{name}: image is too small ({array.shape[1]} x {array.shape[0]}, minimum {MIN_SIDE} px)")
    array.setflags(write=False)
    return LoadedImage(pixels=array, key=_content_key(array), name=name, path=path, format=fmt, file_bytes=file_bytes,
                       flattened=flattened)


def load_image(path: str | os.PathLike[str]) -> LoadedImage:
    """Read ``path`` as the reference image, or raise :class:`ImageLoadError` saying why."""
    file_path = Path(path)
    name = file_path.name
    if file_path.is_dir():
        raise ImageLoadError(f"{name} is a folder, not an image")
    try:
        file_bytes = file_path.stat().st_size
    except OSError as exc:
        raise ImageLoadError(f"cannot read {name}: {exc.strerror or exc}") from exc
    if file_bytes == 0:
        raise ImageLoadError(f"{name} is empty")

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # we check the size below
            with Image.open(file_path) as header:  # reads the header only: cheap format and size check
                fmt = header.format or file_path.suffix.lstrip(".").upper()
                width, height = header.size
                frames = int(getattr(header, "n_frames", 1) or 1)
                may_be_transparent = header.mode in _ALPHA_MODES or (header.mode == "P" and "transparency" in header.info)
            if frames > 1:  # the codecs compress still images: say which one is the reference
                fmt = f"{fmt}, frame 1 of {frames}"
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:  # UnidentifiedImageError too
        raise ImageLoadError(explain_unreadable(file_path, exc)) from exc
    if width * height > MAX_PIXELS:
        raise ImageLoadError(f"{name} is too large ({width} x {height} = {width * height / 1e6:.0f} MP; "
                             f"the limit is {MAX_PIXELS / 1e6:.0f} MP)")
    try:
        pixels = codec_load_image(file_path, MAX_PIXELS)  # EXIF orientation, alpha, 16-bit handled there
    except ImageInputError as exc:
        if pillow_cause(exc) is not exc:  # the reader failed (cut short, damaged): say what that means
            raise ImageLoadError(explain_unreadable(file_path, exc)) from exc
        text = str(exc).replace(str(file_path), name)  # the codec's own refusal, already in plain words
        raise ImageLoadError(text if name in text else f"{name}: {text}") from exc
    return image_from_array(pixels, name=name, path=file_path, fmt=fmt, file_bytes=file_bytes,
                            flattened=may_be_transparent and _has_transparent_pixels(file_path))


def _has_transparent_pixels(path: Path) -> bool:
    """Whether any pixel of the (first frame of the) file is less than fully opaque.

    A second decode, only for files with an alpha channel: the codec's loader returns the pixels
    already flattened, and an alpha channel alone says nothing (most RGBA screenshots are opaque).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                alpha = np.asarray(im.convert("RGBA").getchannel("A"))
                return bool(alpha.min(initial=255) < 255)
    except (OSError, ValueError, SyntaxError):  # it decoded a moment ago; failing now only loses the note
        return False
