"""The codecs a side can show, and the frozen settings of one side.

The codecs are the catalogue of :mod:`codec.baselines` (its keys, titles, extensions, colours and
capabilities); the app adds only ``original``, the uncompressed reference. Keys are stable strings
(saved in QSettings, used in cache keys); older spellings in saved settings (``msp:balanced``)
are read through the catalogue's :func:`~codec.baselines.canonical_key`. What is installed is
discovered at run time; the catalogue only says what exists and what each codec can do.
"""

from __future__ import annotations

from dataclasses import dataclass

from codec.baselines import CatalogueEntry, canonical_key, catalogue, catalogue_entry
from codec.errors import CodecError

__all__ = [
    "SideSettings", "ORIGINAL", "ORIGINAL_TITLE", "codec_entry", "title_of", "extension_of", "on_model_thread",
    "has_devices", "reports_progress", "menu_codecs", "pool_codecs", "normalize_quality", "QUALITY_DECIMALS",
]

ORIGINAL = "original"
ORIGINAL_TITLE = "Original"
QUALITY_DECIMALS = 3


def codec_entry(key: str) -> CatalogueEntry | None:
    """The catalogue entry of ``key``; None for the original; a CodecError for an unknown key."""
    return None if key == ORIGINAL else catalogue_entry(key)


def title_of(key: str) -> str:
    entry = codec_entry(key)
    return ORIGINAL_TITLE if entry is None else entry.title


def extension_of(key: str) -> str:
    """The extension of the files a side of this codec saves (the original: PNG)."""
    entry = codec_entry(key)
    return ".png" if entry is None else entry.extension


def on_model_thread(key: str) -> bool:
    """Jobs of this codec run on the long-lived model thread, one at a time (else on the pool)."""
    entry = codec_entry(key)
    return entry is not None and entry.capabilities.model_thread


def has_devices(key: str) -> bool:
    """The codec can run on more than one device (a side then offers the choice)."""
    entry = codec_entry(key)
    return entry is not None and len(entry.capabilities.devices) > 1


def reports_progress(key: str) -> bool:
    entry = codec_entry(key)
    return entry is not None and entry.capabilities.reports_progress


def menu_codecs() -> tuple[CatalogueEntry, ...]:
    """The codecs of a side's menu, after the original: learned first, then classic."""
    entries = catalogue()
    return tuple(e for e in entries if e.kind == "learned") + tuple(e for e in entries if e.kind != "learned")


def pool_codecs() -> tuple[str, ...]:
    """Keys of the codecs that run as short jobs on the pool (not on the model thread)."""
    return tuple(e.key for e in catalogue() if not e.capabilities.model_thread)


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
        object.__setattr__(self, "codec", self.codec if self.codec == ORIGINAL else canonical_key(self.codec))
        object.__setattr__(self, "quality", normalize_quality(self.quality))
        try:
            several = has_devices(self.codec)
        except CodecError:  # an unknown key (refused where it is used): no device to choose
            several = False
        if not several:  # a codec with one device always runs there (the CPU)
            object.__setattr__(self, "device", "cpu")

    @property
    def entry(self) -> CatalogueEntry | None:
        """The codec's catalogue entry; None for the original."""
        return codec_entry(self.codec)

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
            return ORIGINAL_TITLE
        device = f", {self.device}" if has_devices(self.codec) else ""
        return f"{title_of(self.codec)} q={self.quality:.2f}{device}"
