"""Reading and writing images: what the codec accepts, converts, or refuses.

The codec works on 8-bit RGB. Inputs are normalised here so every entry point (API, CLI,
app) behaves the same: EXIF orientation is applied, grayscale is replicated to RGB, alpha is
composited on white, 16-bit and float images are scaled to 8 bits, palette images expanded.
Sizes are checked from the header before any pixel is decoded, so an enormous or
decompression-bomb file is refused cheaply.
"""

from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from codec.atomic import write_bytes_atomic
from codec.errors import ImageInputError, SizeLimitError

__all__ = [
    "MAX_SIDE", "MAX_PIXELS", "IMAGE_SUFFIXES", "load_image", "frame_count", "to_rgb_array", "check_size", "png_bytes",
    "save_png",
]

MAX_SIDE = 16384
MAX_PIXELS = 7680 * 4320 * 2  # twice 8K UHD; larger inputs are refused before decoding

Image.MAX_IMAGE_PIXELS = MAX_PIXELS

#: File suffixes taken for images when a folder is read (``msp eval``, the app's batch and file
#: dialogs); lower case. The one list: what is in a folder is judged by the same rule everywhere.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".avif", ".jxl", ".gif")


def check_size(width: int, height: int, max_pixels: int | None = None) -> None:
    """Refuse an image by its declared size, before its pixels are decoded. ``max_pixels`` lowers
    the format's limit (a caller's policy: the app's, or ``--max-pixels``); it cannot raise it."""
    if width < 1 or height < 1:
        raise ImageInputError(f"image has no pixels ({width}x{height})")
    limit = MAX_PIXELS if max_pixels is None else min(int(max_pixels), MAX_PIXELS)
    if width > MAX_SIDE or height > MAX_SIDE or width * height > limit:
        raise SizeLimitError(
            f"image is {width}x{height} ({width * height / 1e6:.1f} Mpx); the limit is {MAX_SIDE} px per side "
            f"and {limit / 1e6:.1f} Mpx"
        )


def _convert(im: Image.Image) -> np.ndarray:
    im = ImageOps.exif_transpose(im)
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(im, dtype=np.float64)
        # A 16-bit file is 16-bit whatever its darkest content (a dim 16-bit image whose maximum is
        # under 256 once came out 257x too bright); only 32-bit "I" data, whose range the file does
        # not state, is guessed from its values.
        top = 65535.0 if mode != "I" or arr.max(initial=0) > 255 else 255.0
        gray = np.clip(np.round(arr / top * 255.0), 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    if mode == "F":
        arr = np.asarray(im, dtype=np.float64)
        scale = 255.0 if arr.max(initial=0) <= 1.0 else 1.0
        gray = np.clip(np.round(arr * scale), 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(background, rgba).convert("RGB"))
    if mode in ("RGB", "L", "P", "1", "CMYK", "YCbCr", "LAB", "HSV"):
        return np.asarray(im.convert("RGB"))
    raise ImageInputError(f"unsupported image mode {mode!r}")


def load_image(source: str | Path | bytes, max_pixels: int | None = None) -> np.ndarray:
    """Read an image file (or its bytes) as HxWx3 uint8 RGB, or raise ImageInputError (its size
    is checked against ``max_pixels`` from the header, before the pixels are decoded)."""
    name = "image data" if isinstance(source, bytes) else str(source)
    try:
        handle = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115 - `with handle` below
    except OSError as exc:
        raise ImageInputError(f"cannot open {name}: {exc.strerror or exc}") from None
    with handle, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow's warnings (corrupt EXIF, ...) are not the user's business
        try:
            with Image.open(handle) as im:
                check_size(*im.size, max_pixels=max_pixels)
                im.load()
                return np.ascontiguousarray(_convert(im))
        except ImageInputError:
            raise
        except Image.DecompressionBombError:
            raise ImageInputError(
                f"{name} is too large to decode safely; the limit is {MAX_SIDE} px per side and {MAX_PIXELS / 1e6:.0f} Mpx"
            ) from None
        except UnidentifiedImageError:
            raise ImageInputError(f"{name} is not an image file Pillow can read") from None
        except (OSError, ValueError, SyntaxError, EOFError, struct.error) as exc:
            raise ImageInputError(f"{name} is damaged or truncated ({exc})") from None
        except (MemoryError, RecursionError):
            raise
        except Exception as exc:  # noqa: BLE001 - any other reader failure (Pillow plugins raise
            # RuntimeError for a corrupt AVIF, NotImplementedError for odd DDS variants, TypeError
            # from a mistyped EXIF tag): the file cannot be read, and the caller gets our error.
            raise ImageInputError(f"{name} cannot be read ({type(exc).__name__}: {exc})") from None


def frame_count(path: str | Path) -> int:
    """Frames in an image file (animated GIF / WebP / PNG / AVIF: more than 1), read from its header.
    The codec encodes still images: callers say so when a file has more than its first frame.
    1 when the file cannot be read (reading it for real reports that)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                return max(1, int(getattr(im, "n_frames", 1)))
    except Exception:  # noqa: BLE001 - a probe: load_image gives the real error
        return 1


def to_rgb_array(image, max_pixels: int | None = None) -> np.ndarray:
    """Accept an array, a PIL image or a path; return HxWx3 uint8, validated."""
    if isinstance(image, (str, Path, bytes)):
        return load_image(image, max_pixels)
    if isinstance(image, Image.Image):
        check_size(*image.size, max_pixels=max_pixels)
        return np.ascontiguousarray(_convert(image))
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise ImageInputError(f"expected an HxWx3 RGB array, got shape {arr.shape}")
    if arr.shape[2] == 4:
        return to_rgb_array(Image.fromarray(arr.astype(np.uint8), "RGBA"), max_pixels)
    if arr.dtype != np.uint8:
        raise ImageInputError(f"expected 8-bit RGB (uint8), got {arr.dtype}")
    check_size(arr.shape[1], arr.shape[0], max_pixels=max_pixels)
    return np.ascontiguousarray(arr)


def png_bytes(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def save_png(image: np.ndarray, path: str | Path, overwrite: bool = False) -> Path:
    """Write a PNG atomically; never replaces an existing file unless asked."""
    return write_bytes_atomic(path, png_bytes(image), overwrite=overwrite)
