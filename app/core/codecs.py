"""The codec catalogue the app offers, and the frozen settings of one side.

Keys are stable strings (saved in QSettings, used in cache keys): ``original``, ``msp:<profile>``
and the classic codec names. What is actually installed is discovered at run time by the
backends; the catalogue only says what exists and how to label it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CodecSpec", "SideSettings", "CATALOGUE", "MSP_PREFIX", "ORIGINAL", "CLASSIC_KEYS",
    "DEFAULT_MSP_PROFILES", "spec_for", "msp_key", "profile_of", "is_msp", "is_classic",
    "normalize_quality", "QUALITY_DECIMALS",
]

Family = Literal["original", "msp", "classic"]
Kind = Literal["none", "learned", "hybrid"]

MSP_PREFIX = "msp:"
ORIGINAL = "original"
QUALITY_DECIMALS = 3
DEFAULT_MSP_PROFILES = ("fast", "balanced", "best")


@dataclass(frozen=True)
class CodecSpec:
    """How one entry of the codec menus is named, grouped and saved."""

    key: str
    label: str
    family: Family
    kind: Kind
    extension: str
    """File extension used when saving this codec's bitstream."""
    description: str = ""


_CLASSIC = (
    CodecSpec("jpeg", "JPEG", "classic", "hybrid", ".jpg", "Pillow / libjpeg, 4:2:0"),
    CodecSpec("webp", "WebP", "classic", "hybrid", ".webp", "Pillow / libwebp"),
    CodecSpec("avif", "AVIF", "classic", "hybrid", ".avif", "Pillow / libavif (AV1 intra)"),
    CodecSpec("jpeg2000", "JPEG 2000", "classic", "hybrid", ".jp2", "Pillow / OpenJPEG, colour transform on"),
    CodecSpec("jxl", "JPEG XL", "classic", "hybrid", ".jxl", "libjxl"),
    CodecSpec("hevc", "HEVC", "classic", "hybrid", ".265", "x265 intra via FFmpeg"),
    CodecSpec("vvc", "VVC", "classic", "hybrid", ".266", "VVenC intra via FFmpeg (4:2:0)"),
)
CLASSIC_KEYS = tuple(spec.key for spec in _CLASSIC)


def msp_key(profile: str) -> str:
    return f"{MSP_PREFIX}{profile}"


def _msp_spec(profile: str, description: str = "") -> CodecSpec:
    return CodecSpec(msp_key(profile), f"MSP {profile}", "msp", "learned", ".msp", description)


CATALOGUE: tuple[CodecSpec, ...] = (
    CodecSpec(ORIGINAL, "Original", "original", "none", ".png", "the uncompressed reference"),
    *(_msp_spec(profile) for profile in DEFAULT_MSP_PROFILES),
    *_CLASSIC,
)
_BY_KEY = {spec.key: spec for spec in CATALOGUE}


def spec_for(key: str) -> CodecSpec:
    """The catalogue entry for ``key``; unknown MSP profiles get a generated entry."""
    if key in _BY_KEY:
        return _BY_KEY[key]
    if key.startswith(MSP_PREFIX):
        return _msp_spec(key[len(MSP_PREFIX):])
    raise KeyError(f"unknown codec {key!r}")


def is_msp(key: str) -> bool:
    return key.startswith(MSP_PREFIX)


def is_classic(key: str) -> bool:
    return key in CLASSIC_KEYS


def profile_of(key: str) -> str:
    if not is_msp(key):
        raise ValueError(f"{key!r} is not an MSP profile")
    return key[len(MSP_PREFIX):]


def normalize_quality(quality: float) -> float:
    """Clamp to 0..1 and round, so equal slider positions give equal cache keys."""
    return round(min(1.0, max(0.0, float(quality))), QUALITY_DECIMALS)


@dataclass(frozen=True)
class SideSettings:
    """Everything that determines one side's result for a given image."""

    codec: str
    quality: float = 0.5
    device: str = "cpu"

    def __post_init__(self) -> None:
        object.__setattr__(self, "quality", normalize_quality(self.quality))
        if not is_msp(self.codec):
            # Only the MSP worker uses a device; classic codecs always run on the CPU.
            object.__setattr__(self, "device", "cpu")

    @property
    def spec(self) -> CodecSpec:
        return spec_for(self.codec)

    @property
    def is_original(self) -> bool:
        return self.codec == ORIGINAL

    def with_(self, *, codec: str | None = None, quality: float | None = None, device: str | None = None) -> SideSettings:
        """A copy with the given fields changed (normalised like a new one)."""
        return SideSettings(
            self.codec if codec is None else codec,
            self.quality if quality is None else quality,
            self.device if device is None else device,
        )

    def label(self) -> str:
        if self.is_original:
            return "Original"
        device = f", {self.device}" if is_msp(self.codec) else ""
        return f"{self.spec.label} q={self.quality:.2f}{device}"
