"""Every codec the app offers, by short name, with its settings parsed from text.

``get_codec("vvc", preset="fast")`` or ``parse_codec_spec("vvc:preset=fast")`` (the form the
command line uses) both give a ready codec; unknown names or settings are a CodecError that
lists what is accepted.
"""

from __future__ import annotations

import dataclasses
import typing

from codec.baselines.base import ImageCodec
from codec.baselines.ffmpeg_codecs import HevcCodec, VvcCodec
from codec.baselines.msp import MSP_PROFILES, MSPCodec
from codec.baselines.pillow_codecs import AvifCodec, Jpeg2000Codec, JpegCodec, JpegXLCodec, WebPCodec
from codec.errors import CodecError

__all__ = ["codec_names", "get_codec", "parse_codec_spec", "available_codecs", "all_codecs", "coerce_setting"]

_CLASSIC: dict[str, type[ImageCodec]] = {
    cls.name: cls
    for cls in (JpegCodec, WebPCodec, Jpeg2000Codec, AvifCodec, JpegXLCodec, HevcCodec, VvcCodec)
}
_ALIASES = {
    "jpg": "jpeg", "j2k": "jpeg2000", "jp2": "jpeg2000", "jpegxl": "jxl", "av1": "avif",
    "x265": "hevc", "h265": "hevc", "vvenc": "vvc", "h266": "vvc", "msp": "msp-balanced",
}


def codec_names() -> tuple[str, ...]:
    """Short names of all codecs, classic first, then one per MSP profile."""
    return (*_CLASSIC, *(f"msp-{p}" for p in MSP_PROFILES))


def _resolve(name: str) -> tuple[type[ImageCodec], dict[str, object]]:
    key = _ALIASES.get(name.strip().lower(), name.strip().lower())
    if key in _CLASSIC:
        return _CLASSIC[key], {}
    if key.startswith("msp-"):
        return MSPCodec, {"profile": key[len("msp-"):]}
    raise CodecError(f"unknown codec {name!r}; known: {', '.join(codec_names())}")


def coerce_setting(cls: type, key: str, value: object) -> object:
    """``value`` for field ``key`` of dataclass ``cls``, converted from text to the field's type
    (``none`` for optional fields, true/false for booleans); a bad key or value is a CodecError."""
    hints = typing.get_type_hints(cls)
    settable = [f.name for f in dataclasses.fields(cls)]
    if key not in settable:
        raise CodecError(
            f"{getattr(cls, 'name', cls.__name__)}: unknown setting {key!r}; "
            f"settings: {', '.join(settable) or 'none'}"
        )
    target = hints[key]
    members = [t for t in typing.get_args(target) if t is not type(None)]
    if members:  # an optional setting (e.g. ``int | None``): "none" clears it
        if isinstance(value, str) and value.lower() == "none":
            return None
        target = members[0]
    if not isinstance(value, str) or target is str:
        return value
    try:
        if target is bool:
            lowered = value.lower()
            if lowered not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError(value)
            return lowered in ("1", "true", "yes", "on")
        return target(value)
    except ValueError:
        raise CodecError(f"setting {key}={value!r} is not a valid {target.__name__}") from None


def get_codec(name: str, **settings: object) -> ImageCodec:
    """The codec called ``name`` (or an alias) with ``settings`` (strings are converted).

    Raises CodecError for an unknown name, setting or value. The codec may still be
    unavailable here (check :meth:`ImageCodec.available`); using it then raises
    CodecUnavailableError.
    """
    cls, fixed = _resolve(name)
    values = {k: coerce_setting(cls, k, v) for k, v in settings.items()}
    if set(values) & set(fixed):
        raise CodecError(f"{name}: the profile is part of the name (msp-<profile>)")
    return cls(**fixed, **values)


def parse_codec_spec(spec: str) -> ImageCodec:
    """Parse ``"name[:key=value[:key=value...]]"``, e.g. ``"vvc:preset=fast"``."""
    name, *pairs = spec.strip().split(":")
    settings: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CodecError(f"bad codec setting {pair!r} in {spec!r}; expected key=value")
        settings[key.strip()] = value.strip()
    return get_codec(name, **settings)


def all_codecs() -> tuple[ImageCodec, ...]:
    """Every codec with its default settings, available here or not."""
    return tuple(get_codec(name) for name in codec_names())


def available_codecs() -> tuple[ImageCodec, ...]:
    """The codecs (default settings) that can run here; cheap: loads no model."""
    return tuple(codec for codec in all_codecs() if codec.available())
