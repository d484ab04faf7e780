"""The codec catalogue: every codec the CLI, the plots and the app offer, by key.

A codec is registered once, beside its implementation, with a :class:`CatalogueEntry`: its key,
its class (and the settings the key fixes), the title and summary menus show, the extension of
its files, its colour in every plot (:mod:`codec.baselines.palette`), its kind (learned codecs
are drawn solid, classic ones dashed) and what it can do (devices, progress reports, whether it
needs the long-lived model thread). Nothing else lists codecs: ``msp eval``, ``msp plot`` and
the app all read this catalogue.

Keys are one scheme: the catalogue key (``jpeg``, ``msp-balanced``), optionally followed by
settings, ``key:name=value[:name=value...]`` (``vvc:preset=fast``, ``msp-balanced:lof_iterations=0``);
older spellings (the app's ``msp:balanced``, results' ``msp-balanced-lof0``) are read through
:func:`canonical_key`, the one place that knows them.

``get_codec("vvc", preset="fast")`` or ``parse_codec_spec("vvc:preset=fast")`` both give a ready
codec; unknown names or settings are a CodecError that lists what is accepted.
"""

from __future__ import annotations

import re
import zlib

from codec.baselines import ffmpeg_codecs, msp, pillow_codecs
from codec.baselines.base import CatalogueEntry, ImageCodec, coerce_setting
from codec.baselines.palette import PALETTE
from codec.errors import CodecError

__all__ = [
    "register", "unregister", "catalogue", "catalogue_entry", "canonical_key", "upgrade_key",
    "colour_of", "codec_family", "codec_names", "get_codec", "parse_codec_spec", "available_codecs", "all_codecs",
    "coerce_setting",
]


_ENTRIES: dict[str, CatalogueEntry] = {}
_ALIASES = {
    "jpg": "jpeg", "j2k": "jpeg2000", "jp2": "jpeg2000", "jpegxl": "jxl", "av1": "avif",
    "x265": "hevc", "h265": "hevc", "vvenc": "vvc", "h266": "vvc", "msp": "msp-balanced",
}
_OLD_MSP_KEY = re.compile(r"msp:(?P<profile>[\w.-]+)")  # the app's settings before the one scheme
_OLD_LOF_NAME = re.compile(r"(?P<key>msp-[\w.]+?)-lof(?P<iterations>\d+)")  # results before it


def register(entry: CatalogueEntry) -> CatalogueEntry:
    """Add ``entry`` to the catalogue (a key can be registered once); returns it."""
    if entry.key in _ENTRIES or entry.key in _ALIASES or ":" in entry.key:
        raise ValueError(f"codec key {entry.key!r} is taken or malformed")
    if entry.colour not in PALETTE.values():
        raise ValueError(f"{entry.key}: colour {entry.colour} is not in codec.baselines.palette.PALETTE")
    _ENTRIES[entry.key] = entry
    return entry


def unregister(key: str) -> None:
    """Remove a codec registered with :func:`register` (tests register codecs of their own)."""
    _ENTRIES.pop(key, None)


def upgrade_key(key: str) -> str:
    """``key`` with the older spellings of MSP keys replaced (``msp:fast`` -> ``msp-fast``,
    ``msp-balanced-lof0`` -> ``msp-balanced:lof_iterations=0``); anything else is returned as is.
    The one place that knows them: saved app settings and results files are read through it."""
    text = key.strip()
    if match := _OLD_MSP_KEY.fullmatch(text):
        return f"msp-{match['profile']}"
    if match := _OLD_LOF_NAME.fullmatch(text):
        return f"{match['key']}:lof_iterations={match['iterations']}"
    return key


def canonical_key(key: str) -> str:
    """``key`` in the one key scheme: older spellings upgraded (:func:`upgrade_key`), the name
    lower-cased and aliases resolved (``jpg`` -> ``jpeg``); settings after ``:`` are kept."""
    name, sep, settings = upgrade_key(key).strip().partition(":")
    lowered = name.lower()
    return _ALIASES.get(lowered, lowered) + sep + settings


def catalogue() -> tuple[CatalogueEntry, ...]:
    """Every registered codec: classic first (in registration order), then learned."""
    entries = list(_ENTRIES.values())
    return tuple(e for e in entries if e.kind != "learned") + tuple(e for e in entries if e.kind == "learned")


def catalogue_entry(key: str) -> CatalogueEntry:
    """The entry of a catalogue key or spec (settings after ``:`` are ignored); a CodecError if unknown."""
    name = canonical_key(key).partition(":")[0]
    entry = _ENTRIES.get(name)
    if entry is None:
        raise CodecError(f"unknown codec {key!r}; known: {', '.join(codec_names())}")
    return entry


# Curves that are not in the catalogue but belong to a codec of it (published anchors: VTM and HM
# are the reference encoders of VVC and HEVC, BPG is HEVC intra, AV1 is AVIF's codec).
_FAMILIES = {"vtm": "vvc", "vtm18": "vvc", "hm": "hevc", "bpg444": "hevc", "av1": "avif"}


def codec_family(name: str) -> str | None:
    """The catalogue key a curve belongs to: its own codec's (any spelling, with or without
    settings), or the codec a published anchor is an encoder of (``vtm`` -> ``vvc``, ``HM`` ->
    ``hevc``); None for a curve of no codec of the catalogue (a published learned codec)."""
    key = canonical_key(name).partition(":")[0]
    key = _FAMILIES.get(key, key)
    return key if key in _ENTRIES else None


def colour_of(name: str, kind: str = "learned") -> str:
    """The plot colour of a curve: its codec's (published anchors share their codec's). Any other
    curve (a published learned codec) gets a fixed colour, picked from its name among the colours
    of the catalogue's codecs of the other kind, which its line style tells apart."""
    family = codec_family(name)
    if family is not None:
        return _ENTRIES[family].colour
    colours = [e.colour for e in _ENTRIES.values() if (e.kind == "learned") != (kind == "learned")]
    colours = colours or list(PALETTE.values())
    return colours[zlib.crc32(name.encode()) % len(colours)]


def codec_names() -> tuple[str, ...]:
    """Keys of all codecs, classic first, then learned."""
    return tuple(e.key for e in catalogue())


def get_codec(name: str, **settings: object) -> ImageCodec:
    """The codec called ``name`` (a key, alias or spec) with ``settings`` (strings are converted).

    Raises CodecError for an unknown name, setting or value. The codec may still be
    unavailable here (check :meth:`ImageCodec.available`); using it then raises
    CodecUnavailableError.
    """
    if ":" in canonical_key(name):
        return parse_codec_spec(name, **settings)
    return catalogue_entry(name).make(**settings)


def parse_codec_spec(spec: str, **extra: object) -> ImageCodec:
    """Parse ``"name[:key=value[:key=value...]]"``, e.g. ``"vvc:preset=fast"``; ``extra``
    settings join the spec's (the app's device choice with a spec's LOF budget) and win."""
    name, *pairs = canonical_key(spec).split(":")
    settings: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CodecError(f"bad codec setting {pair!r} in {spec!r}; expected key=value")
        settings[key.strip()] = value.strip()
    return catalogue_entry(name).make(**{**settings, **extra})


def all_codecs() -> tuple[ImageCodec, ...]:
    """Every codec with its default settings, available here or not."""
    return tuple(entry.make() for entry in catalogue())


def available_codecs() -> tuple[ImageCodec, ...]:
    """The codecs (default settings) that can run here; cheap: loads no model."""
    return tuple(codec for codec in all_codecs() if codec.available())


for _entry in (*pillow_codecs.ENTRIES, *ffmpeg_codecs.ENTRIES, *msp.ENTRIES):  # the codecs that ship
    register(_entry)
