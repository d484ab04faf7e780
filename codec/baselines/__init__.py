"""Every codec the app compares, behind one interface (:class:`ImageCodec`).

Classic codecs are the real libraries run on the user's image (Pillow: JPEG, WebP, JPEG 2000,
AVIF, JPEG XL; imageio-ffmpeg's FFmpeg: HEVC/x265 and VVC/VVenC); ``msp-<profile>`` is our
codec through :mod:`codec.api`, loaded lazily. All take a normalized quality 0..1. The catalogue
(:mod:`codec.baselines.registry`) is the one list of them: a codec registers its key, title,
extension, colour, kind and capabilities beside its implementation.
"""

from codec.baselines.base import Capabilities, CatalogueEntry, CodecDescription, Encoded, ImageCodec, NativeScale
from codec.baselines.registry import (
    all_codecs,
    available_codecs,
    canonical_key,
    catalogue,
    catalogue_entry,
    codec_names,
    colour_of,
    get_codec,
    parse_codec_spec,
    register,
    unregister,
)

__all__ = [
    "ImageCodec",
    "NativeScale",
    "CodecDescription",
    "Encoded",
    "Capabilities",
    "CatalogueEntry",
    "catalogue",
    "catalogue_entry",
    "canonical_key",
    "colour_of",
    "register",
    "unregister",
    "all_codecs",
    "available_codecs",
    "codec_names",
    "get_codec",
    "parse_codec_spec",
]
