"""Classic codecs that Pillow runs in-process: JPEG, WebP, JPEG 2000, AVIF and JPEG XL.

Each is the real library on the user's image (libjpeg-turbo, libwebp, OpenJPEG, libavif and
libjxl), called through Pillow with the settings recorded in :meth:`describe`. Only the
single-threaded paths are used, as in the published CompressAI benchmarks, so encode and
decode times are comparable with theirs.
"""

from __future__ import annotations

import functools
import importlib
import io
import math
from dataclasses import dataclass
from importlib import metadata
from typing import Any, ClassVar

import numpy as np
import PIL
from PIL import Image, features

from codec.baselines.base import CatalogueEntry, ImageCodec, Kind, NativeScale
from codec.baselines.palette import PALETTE
from codec.errors import CodecError

__all__ = ["JpegCodec", "WebPCodec", "Jpeg2000Codec", "AvifCodec", "JpegXLCodec", "ENTRIES"]


def _pillow_version() -> str:
    return PIL.__version__


def _save(image: np.ndarray, fmt: str, **params: Any) -> bytes:
    buffer = io.BytesIO()
    try:
        Image.fromarray(image).save(buffer, format=fmt, **params)
    except (OSError, ValueError, RuntimeError) as exc:
        raise CodecError(f"{fmt} encoder failed: {exc}") from exc
    return buffer.getvalue()


def _load(data: bytes, fmt: str) -> np.ndarray:
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as im:
            im.load()
            return np.asarray(im.convert("RGB"))
    except (OSError, ValueError, RuntimeError, SyntaxError) as exc:
        raise CodecError(f"{fmt} decoder failed: {exc}") from exc


def _feature_reason(feature: str, what: str) -> str | None:
    return None if features.check(feature) else f"this Pillow build has no {what} support"


@dataclass(frozen=True)
class JpegCodec(ImageCodec):
    """Baseline JPEG (libjpeg-turbo via Pillow).

    Pillow's defaults (4:2:0, standard Huffman tables) are kept so our curve is comparable with
    the published CompressAI ``jpeg.json`` (Pillow 7.1.2); ``optimize`` switches on optimized
    Huffman tables (a few % smaller, what a careful user would do).
    """

    name: ClassVar[str] = "jpeg"
    kind: ClassVar[Kind] = "hybrid"
    scale: ClassVar[NativeScale] = NativeScale("quality", 1, 100)

    subsampling: str = "4:2:0"
    optimize: bool = False

    def __post_init__(self) -> None:
        if self.subsampling not in ("4:4:4", "4:2:2", "4:2:0"):
            raise CodecError(f"jpeg: subsampling must be 4:4:4, 4:2:2 or 4:2:0, not {self.subsampling!r}")

    @property
    def label(self) -> str:
        return f"JPEG {self.subsampling}" + (" optimized" if self.optimize else "")

    def unavailable_reason(self) -> str | None:
        return _feature_reason("jpg", "JPEG")

    def _library(self) -> tuple[str, str]:
        libjpeg = features.version("libjpeg_turbo") or features.version("jpg")
        return "Pillow/libjpeg-turbo", f"{_pillow_version()}/{libjpeg}"

    def _encode(self, image: np.ndarray, quality: float) -> bytes:
        return _save(
            image, "JPEG",
            quality=int(self.scale.to_native(quality)),
            subsampling=self.subsampling,
            optimize=self.optimize,
        )

    def _decode(self, data: bytes) -> np.ndarray:
        return _load(data, "JPEG")


@dataclass(frozen=True)
class WebPCodec(ImageCodec):
    """Lossy WebP (libwebp via Pillow), ``method`` 6 = slowest, best compression."""

    name: ClassVar[str] = "webp"
    kind: ClassVar[Kind] = "hybrid"
    scale: ClassVar[NativeScale] = NativeScale("quality", 0, 100)

    method: int = 6

    def __post_init__(self) -> None:
        if not 0 <= self.method <= 6:
            raise CodecError(f"webp: method must be 0..6, not {self.method}")

    @property
    def label(self) -> str:
        return f"WebP m{self.method}"

    def unavailable_reason(self) -> str | None:
        return _feature_reason("webp", "WebP")

    def _library(self) -> tuple[str, str]:
        return "Pillow/libwebp", f"{_pillow_version()}/{features.version('webp')}"

    def _encode(self, image: np.ndarray, quality: float) -> bytes:
        return _save(
            image, "WEBP", quality=int(self.scale.to_native(quality)), method=self.method, lossless=False
        )

    def _decode(self, data: bytes) -> np.ndarray:
        return _load(data, "WEBP")


@dataclass(frozen=True)
class Jpeg2000Codec(ImageCodec):
    """JPEG 2000 (OpenJPEG via Pillow): 9/7 wavelet, colour transform on (``mct=1``).

    The quality maps geometrically to a target rate (one quality layer), from 0.02 to 12 bpp;
    the file is a raw J2K codestream (no JP2 boxes). Without ``mct`` it is ~2.3 dB worse.
    """

    name: ClassVar[str] = "jpeg2000"
    kind: ClassVar[Kind] = "hybrid"
    scale: ClassVar[NativeScale] = NativeScale("target bpp", 0.02, 12.0, integer=False, geometric=True)

    mct: bool = True

    @property
    def label(self) -> str:
        return "JPEG 2000" + ("" if self.mct else " (no MCT)")

    def unavailable_reason(self) -> str | None:
        return _feature_reason("jpg_2000", "JPEG 2000 (OpenJPEG)")

    def _library(self) -> tuple[str, str]:
        return "Pillow/OpenJPEG", f"{_pillow_version()}/{features.version('jpg_2000')}"

    def _details(self) -> dict[str, str]:
        return {"file": "J2K codestream, irreversible 9/7 wavelet, one quality layer"}

    def _encode(self, image: np.ndarray, quality: float) -> bytes:
        target_bpp = self.scale.to_native(quality)
        # Each resolution level halves the image; OpenJPEG refuses more levels than fit.
        levels = max(1, min(6, int(math.log2(min(image.shape[:2]))) + 1))
        return _save(
            image, "JPEG2000",
            irreversible=True,
            mct=1 if self.mct else 0,
            quality_mode="rates",
            quality_layers=[24.0 / target_bpp],  # compression ratio vs 24-bit RGB
            num_resolutions=levels,
            no_jp2=True,
        )

    def _decode(self, data: bytes) -> np.ndarray:
        return _load(data, "JPEG2000")


@dataclass(frozen=True)
class AvifCodec(ImageCodec):
    """AVIF, i.e. AV1 intra (libavif + its AV1 encoder, Pillow's built-in plugin)."""

    name: ClassVar[str] = "avif"
    kind: ClassVar[Kind] = "hybrid"
    scale: ClassVar[NativeScale] = NativeScale("quality", 0, 100)

    speed: int = 6
    subsampling: str = "4:2:0"

    def __post_init__(self) -> None:
        if not 0 <= self.speed <= 10:
            raise CodecError(f"avif: speed must be 0..10, not {self.speed}")
        if self.subsampling not in ("4:4:4", "4:2:2", "4:2:0"):
            raise CodecError(f"avif: subsampling must be 4:4:4, 4:2:2 or 4:2:0, not {self.subsampling!r}")

    @property
    def label(self) -> str:
        return f"AVIF s{self.speed} {self.subsampling}"

    def unavailable_reason(self) -> str | None:
        return _feature_reason("avif", "AVIF (Pillow >= 11.3 built with libavif)")

    def _library(self) -> tuple[str, str]:
        return "Pillow/libavif", f"{_pillow_version()}/{features.version('avif')}"

    def _encode(self, image: np.ndarray, quality: float) -> bytes:
        return _save(
            image, "AVIF",
            quality=int(self.scale.to_native(quality)),
            speed=self.speed,
            subsampling=self.subsampling,
            max_threads=1,
        )

    def _decode(self, data: bytes) -> np.ndarray:
        return _load(data, "AVIF")


@functools.cache
def _jxl_plugin() -> str | None:
    """Import pillow-jxl-plugin (registers the JXL format); return a reason on failure."""
    try:
        importlib.import_module("pillow_jxl")
    except ImportError as exc:
        return f"pillow-jxl-plugin is not installed ({exc})"
    return None


@dataclass(frozen=True)
class JpegXLCodec(ImageCodec):
    """JPEG XL (libjxl via pillow-jxl-plugin), VarDCT; quality 100 means mathematically lossless."""

    name: ClassVar[str] = "jxl"
    kind: ClassVar[Kind] = "hybrid"
    scale: ClassVar[NativeScale] = NativeScale("quality", 0, 100)

    effort: int = 7

    def __post_init__(self) -> None:
        if not 1 <= self.effort <= 10:
            raise CodecError(f"jxl: effort must be 1..10, not {self.effort}")

    @property
    def label(self) -> str:
        return f"JPEG XL e{self.effort}"

    def unavailable_reason(self) -> str | None:
        return _jxl_plugin()

    def _library(self) -> tuple[str, str]:
        return "pillow-jxl-plugin/libjxl", metadata.version("pillow-jxl-plugin")

    def _encode(self, image: np.ndarray, quality: float) -> bytes:
        native = int(self.scale.to_native(quality))
        # libjxl's lossy mode rejects distance 0; quality 100 is its lossless mode.
        params: dict[str, Any] = {"lossless": True} if native >= 100 else {"quality": native}
        return _save(image, "JXL", effort=self.effort, num_threads=1, **params)

    def _decode(self, data: bytes) -> np.ndarray:
        return _load(data, "JXL")


#: Their catalogue entries (:mod:`codec.baselines.registry`), in the order menus list them.
ENTRIES = (
    CatalogueEntry("jpeg", JpegCodec, "JPEG", ".jpg", PALETTE["olive"], "Pillow / libjpeg-turbo, 4:2:0"),
    CatalogueEntry("webp", WebPCodec, "WebP", ".webp", PALETTE["purple"], "Pillow / libwebp"),
    CatalogueEntry("jpeg2000", Jpeg2000Codec, "JPEG 2000", ".j2k", PALETTE["sand"],
                   "Pillow / OpenJPEG, colour transform on (a raw J2K codestream)"),
    CatalogueEntry("avif", AvifCodec, "AVIF", ".avif", PALETTE["teal"], "Pillow / libavif (AV1 intra)"),
    CatalogueEntry("jxl", JpegXLCodec, "JPEG XL", ".jxl", PALETTE["green"], "libjxl"),
)
