"""Every codec the app compares, behind one interface (:class:`ImageCodec`).

Classic codecs are the real libraries run on the user's image (Pillow: JPEG, WebP, JPEG 2000,
AVIF, JPEG XL; imageio-ffmpeg's FFmpeg: HEVC/x265 and VVC/VVenC); ``msp-<profile>`` is our
codec through :mod:`codec.api`, loaded lazily. All take a normalized quality 0..1.
"""

from codec.baselines.base import CodecDescription, ImageCodec, NativeScale
from codec.baselines.registry import (
    all_codecs,
    available_codecs,
    codec_names,
    get_codec,
    parse_codec_spec,
)

__all__ = [
    "ImageCodec",
    "NativeScale",
    "CodecDescription",
    "all_codecs",
    "available_codecs",
    "codec_names",
    "get_codec",
    "parse_codec_spec",
]
