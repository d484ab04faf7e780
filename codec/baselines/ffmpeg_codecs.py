"""HEVC and VVC in all-intra mode, through the FFmpeg binary of imageio-ffmpeg.

* HEVC: libx265 (the core of BPG), 4:4:4 8-bit by default, like the published BPG 4:4:4 curve.
* VVC / H.266: libvvenc, decoded by FFmpeg's native VVC decoder. FFmpeg feeds VVenC only YUV
  4:2:0 10-bit, while the published VTM anchors are 4:4:4, and VVenC is a fast encoder, not the
  reference software: the label says which preset and format a curve is.

Colour: RGB -> Y'CbCr with the BT.601 matrix, full range (the JPEG / BPG convention), through
the zimg library (FFmpeg's ``zscale``), which round-trips 8-bit RGB at ~53 dB where FFmpeg's
default swscale path loses ~4 dB; chroma is resampled with spline36, sited "left" (MPEG-2).
Decoding converts back with the same explicit settings, so nothing depends on stream metadata.

Size: the encoders refuse pictures under 16 px, and 4:2:0 needs even sizes (the bitstream's
conformance window can only crop whole chroma samples). Such images are edge-padded, and the
file starts with one byte holding the padding (high nibble: rows, low nibble: columns) so the
decoder returns exactly the input's size. That byte counts in the bpp like the rest of the file.
"""

from __future__ import annotations

import io
from abc import abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from PIL import Image

from codec.baselines.base import CatalogueEntry, ImageCodec, Kind, NativeScale
from codec.baselines.ffmpeg import ffmpeg_info, run_ffmpeg
from codec.baselines.palette import PALETTE
from codec.errors import CodecError

__all__ = ["HevcCodec", "VvcCodec", "MIN_SIDE", "ENTRIES"]

#: Smallest picture side libx265 and libvvenc accept.
MIN_SIDE = 16
_MATRIX = "470bg"  # BT.601
_TO_YUV = "zscale=min=gbr:rin=full:m={m}:r=full:c=left:f=spline36:d=none,format={fmt}"
_TO_RGB = "zscale=min={m}:rin=full:cin=left:m=gbr:r=full:f=spline36:d=none,format=gbrp,format=rgb24"


def _padding(height: int, width: int, even: bool) -> tuple[int, int]:
    def pad(n: int) -> int:
        target = max(n, MIN_SIDE)
        if even and target % 2:
            target += 1
        return target - n

    return pad(height), pad(width)


class FFmpegIntraCodec(ImageCodec):
    """One picture through an FFmpeg encoder as an Annex-B elementary stream, and back."""

    encoder: ClassVar[str]
    decoder: ClassVar[str]
    stream_format: ClassVar[str]

    @property
    @abstractmethod
    def pixel_format(self) -> str: ...

    @abstractmethod
    def _encoder_args(self, native: int) -> list[str]: ...

    def unavailable_reason(self) -> str | None:
        return ffmpeg_info().missing(
            encoders=[self.encoder], decoders=[self.decoder], filters=["zscale"]
        )

    def _library(self) -> tuple[str, str]:
        info = ffmpeg_info()
        return f"FFmpeg (imageio-ffmpeg) {self.encoder}", info.version or "missing"

    def _details(self) -> dict[str, str]:
        return {
            "pixel format": self.pixel_format,
            "colour": "BT.601 full range via zimg / spline36 chroma",
            "file": f"1-byte padding header + {self.stream_format.upper()} Annex-B stream",
        }

    def _encode(self, image: np.ndarray, quality: float) -> bytes:
        height, width = image.shape[:2]
        pad_h, pad_w = _padding(height, width, even=self.pixel_format.startswith("yuv420"))
        if pad_h or pad_w:
            image = np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
        args = [
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width + pad_w}x{height + pad_h}",
            "-i", "pipe:0",
            "-vf", _TO_YUV.format(m=_MATRIX, fmt=self.pixel_format),
            "-frames:v", "1",
            "-color_range", "pc", "-colorspace", "bt470bg",
            *self._encoder_args(int(self.scale.to_native(quality))),
            "-f", self.stream_format, "pipe:1",
        ]
        stream = run_ffmpeg(args, image.tobytes(), f"{self.label} encoder")
        return bytes([(pad_h << 4) | pad_w]) + stream

    def _decode(self, data: bytes) -> np.ndarray:
        pad_h, pad_w = data[0] >> 4, data[0] & 0x0F
        args = [
            "-f", self.stream_format, "-c:v", self.decoder, "-i", "pipe:0",
            "-frames:v", "1",
            "-vf", _TO_RGB.format(m=_MATRIX),
            "-f", "image2pipe", "-c:v", "ppm", "pipe:1",
        ]
        ppm = run_ffmpeg(args, data[1:], f"{self.label} decoder")
        try:
            with Image.open(io.BytesIO(ppm), formats=["PPM"]) as im:
                image = np.asarray(im.convert("RGB"))
        except (OSError, ValueError) as exc:
            raise CodecError(f"{self.label} decoder: unreadable output ({exc})") from exc
        height, width = image.shape[0] - pad_h, image.shape[1] - pad_w
        if height < 1 or width < 1:
            raise CodecError(f"{self.label} decoder: padding header does not fit the picture")
        return np.ascontiguousarray(image[:height, :width])


_X265_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
                 "slower", "veryslow", "placebo")


@dataclass(frozen=True)
class HevcCodec(FFmpegIntraCodec):
    """HEVC intra with libx265 at a fixed QP (51 at q=0 .. 0 at q=1).

    ``tune=psnr`` switches off x265's psycho-visual tuning, which trades PSNR for texture;
    the SEI message in which x265 writes its whole command line (~2 kB) is switched off.
    """

    name: ClassVar[str] = "hevc"
    kind: ClassVar[Kind] = "hybrid"
    scale: ClassVar[NativeScale] = NativeScale("QP", 51, 0)
    encoder: ClassVar[str] = "libx265"
    decoder: ClassVar[str] = "hevc"
    stream_format: ClassVar[str] = "hevc"

    preset: str = "veryslow"
    chroma: str = "444"
    tune: str = "psnr"
    threads: int = 1

    def __post_init__(self) -> None:
        if self.preset not in _X265_PRESETS:
            raise CodecError(f"hevc: preset must be one of {', '.join(_X265_PRESETS)}, not {self.preset!r}")
        if self.chroma not in ("444", "420"):
            raise CodecError(f"hevc: chroma must be 444 or 420, not {self.chroma!r}")
        if self.tune not in ("psnr", "ssim", "none"):
            raise CodecError(f"hevc: tune must be psnr, ssim or none, not {self.tune!r}")
        if self.threads < 1:
            raise CodecError("hevc: threads must be >= 1")

    @property
    def label(self) -> str:
        return f"HEVC x265 {self.preset} {self.chroma[0]}:{self.chroma[1]}:{self.chroma[2]}"

    @property
    def pixel_format(self) -> str:
        return "yuv444p" if self.chroma == "444" else "yuv420p"

    def _encoder_args(self, native: int) -> list[str]:
        params = f"qp={native}:info=0:log-level=error:pools={self.threads}:frame-threads=1"
        tune = [] if self.tune == "none" else ["-tune", self.tune]
        return ["-c:v", "libx265", "-preset", self.preset, *tune, "-x265-params", params]


VVENC_PRESETS = ("faster", "fast", "medium", "slow", "slower")


@dataclass(frozen=True)
class VvcCodec(FFmpegIntraCodec):
    """VVC intra with VVenC at a fixed QP (63 at q=0 .. 8 at q=1), YUV 4:2:0 10-bit.

    FFmpeg's libvvenc wrapper gives the encoder an output buffer of W*H bytes, so a picture
    over 8 bpp cannot be written (the encode fails). The scale stops at QP 8, which keeps
    detailed photos (Kodak's kodim13 is 7.8 bpp at QP 5) under that limit; lower QPs would
    only buy the last ~1 dB that 4:2:0 chroma allows anyway. Noise-like images at the top
    qualities may still hit it: the error says so.

    ``qpa`` (VVenC's perceptual QP adaptation, on by default in VVenC) is off: it lowers PSNR.
    Presets trade time for rate: on a 768x512 picture, single-threaded, ``faster`` ~0.2 s,
    ``fast`` ~0.8 s, ``medium`` ~3 s, ``slower`` ~13 s (mid rates, idle machine).
    """

    name: ClassVar[str] = "vvc"
    kind: ClassVar[Kind] = "hybrid"
    scale: ClassVar[NativeScale] = NativeScale("QP", 63, 8)
    encoder: ClassVar[str] = "libvvenc"
    decoder: ClassVar[str] = "vvc"
    stream_format: ClassVar[str] = "vvc"

    preset: str = "medium"
    qpa: bool = False
    threads: int = 1

    def __post_init__(self) -> None:
        if self.preset not in VVENC_PRESETS:
            raise CodecError(f"vvc: preset must be one of {', '.join(VVENC_PRESETS)}, not {self.preset!r}")
        if self.threads < 1:
            raise CodecError("vvc: threads must be >= 1")

    @property
    def label(self) -> str:
        return f"VVenC {self.preset} 4:2:0" + (" QPA" if self.qpa else "")

    @property
    def pixel_format(self) -> str:
        return "yuv420p10le"

    def _encode(self, image: np.ndarray, quality: float) -> bytes:
        try:
            return super()._encode(image, quality)
        except CodecError as exc:
            if self.scale.to_native(quality) > 20:  # far from 8 bpp: something else went wrong
                raise
            raise CodecError(
                f"{exc} (FFmpeg's libvvenc wrapper cannot write a picture over 8 bpp: "
                f"try a lower quality than {quality:g})"
            ) from exc

    def _encoder_args(self, native: int) -> list[str]:
        return [
            "-c:v", "libvvenc", "-preset", self.preset, "-qp", str(native),
            "-qpa", "1" if self.qpa else "0", "-threads", str(self.threads),
        ]


#: Their catalogue entries (:mod:`codec.baselines.registry`). The files are the elementary stream
#: after a one-byte padding header (see the module docstring), named by the stream's usual extension.
ENTRIES = (
    CatalogueEntry("hevc", HevcCodec, "HEVC", ".265", PALETTE["rose"], "x265 intra via FFmpeg"),
    CatalogueEntry("vvc", VvcCodec, "VVC", ".266", PALETTE["wine"], "VVenC intra via FFmpeg (4:2:0)"),
)
