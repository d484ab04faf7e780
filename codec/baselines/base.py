"""The one interface every codec offered for comparison implements.

The app and the evaluation code must treat JPEG, VVC and our own MSP codec alike: give an
RGB image and a quality, get bytes; give the bytes, get the image back at exactly the input's
size. Every codec takes the same *normalized* quality, 0.0 (smallest file) .. 1.0 (best), so a
single slider drives all of them; :class:`NativeScale` says how it maps to the codec's own knob
(JPEG quality, x265 QP, a JPEG 2000 rate, ...), and :meth:`ImageCodec.describe` records that
mapping with the library version so every curve can be labelled with what it really is.

Codecs are frozen dataclasses (their fields are their settings), so they are hashable,
picklable for worker processes, and safe to share between threads.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import ClassVar, Literal

import numpy as np

from codec.errors import CodecError, CodecUnavailableError, ImageInputError
from codec.types import Progress

__all__ = [
    "Kind",
    "NativeScale",
    "CodecDescription",
    "Encoded",
    "ImageCodec",
    "Capabilities",
    "CatalogueEntry",
    "coerce_setting",
    "check_image",
    "check_quality",
]

Kind = Literal["hybrid", "learned"]
"""``learned`` (drawn solid) or ``hybrid``: a classic transform codec (drawn dashed, CompressAI's convention)."""


@dataclass(frozen=True)
class NativeScale:
    """Maps the normalized quality ``q`` in [0, 1] to the codec's own parameter.

    ``at_lowest`` is the native value at ``q = 0`` (smallest file), ``at_best`` at ``q = 1``;
    the map is linear, or geometric when ``geometric`` (for rates spanning decades). Integer
    parameters (QPs, JPEG quality) are rounded, so only :meth:`steps` are distinct settings.
    """

    parameter: str
    at_lowest: float
    at_best: float
    integer: bool = True
    geometric: bool = False

    def to_native(self, quality: float) -> float:
        """The native parameter value used for normalized ``quality``."""
        q = min(max(float(quality), 0.0), 1.0)
        if self.geometric:
            lo, hi = math.log(self.at_lowest), math.log(self.at_best)
            value = math.exp(lo + q * (hi - lo))
        else:
            value = self.at_lowest + q * (self.at_best - self.at_lowest)
        return float(round(value)) if self.integer else value

    def to_quality(self, native: float) -> float:
        """The normalized quality that gives exactly ``native`` (inverse of :meth:`to_native`)."""
        if self.geometric:
            lo, hi = math.log(self.at_lowest), math.log(self.at_best)
            q = (math.log(native) - lo) / (hi - lo)
        else:
            q = (native - self.at_lowest) / (self.at_best - self.at_lowest)
        return min(max(q, 0.0), 1.0)

    def steps(self) -> tuple[float, ...] | None:
        """All normalized qualities giving distinct settings, ascending; ``None`` if continuous."""
        if not self.integer:
            return None
        lo, hi = sorted((int(self.at_lowest), int(self.at_best)))
        return tuple(sorted(self.to_quality(v) for v in range(lo, hi + 1)))

    def snap(self, quality: float) -> float:
        """The normalized quality of the native setting ``quality`` falls on."""
        return self.to_quality(self.to_native(quality)) if self.integer else float(quality)

    def describe(self) -> str:
        kind = "geometric" if self.geometric else "linear"
        return f"{self.parameter} {self.at_lowest:g} (q=0) .. {self.at_best:g} (q=1), {kind}"


@dataclass(frozen=True)
class CodecDescription:
    """What a curve was made with: enough to label it and to reproduce it."""

    name: str
    label: str
    kind: str
    library: str
    version: str
    settings: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        """One line, e.g. for the ``description`` field of a results file."""
        settings = ", ".join(f"{k}={v}" for k, v in self.settings.items())
        return f"{self.label}: {self.library} {self.version}; {settings}"


@dataclass(frozen=True)
class Encoded:
    """What :meth:`ImageCodec.encode_with_progress` gives: the file, and what the encoder knows of it."""

    data: bytes
    estimated_bpp: float | None = None
    """The encoder's own estimate of the rate (MSP's model), for display next to the real one."""
    notes: tuple[str, ...] = ()
    reconstruction: np.ndarray | None = field(default=None, repr=False, compare=False)
    """The decoder's exact output for ``data``, where the encoder has it anyway (MSP synthesises
    what its decoder will): a caller that needs the picture but not a decode timing, such as a
    quick preview, can skip the decode. None: decode ``data`` to see it."""


def check_image(image: np.ndarray) -> np.ndarray:
    """Return ``image`` as a C-contiguous H x W x 3 uint8 array, or raise ImageInputError."""
    if not isinstance(image, np.ndarray):
        raise ImageInputError(f"expected a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ImageInputError(
            f"expected an H x W x 3 uint8 RGB image, got shape {image.shape} dtype {image.dtype}"
        )
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ImageInputError(f"empty image of shape {image.shape}")
    return np.ascontiguousarray(image)


def check_quality(quality: float) -> float:
    """Return ``quality`` as a float in [0, 1], or raise CodecError."""
    try:
        q = float(quality)
    except (TypeError, ValueError):
        raise CodecError(f"quality must be a number in [0, 1], got {quality!r}") from None
    if not (0.0 <= q <= 1.0):
        raise CodecError(f"quality must be in [0, 1] (0 = smallest file, 1 = best), got {q}")
    return q


class ImageCodec(ABC):
    """Base of every codec: validation, availability and the public encode/decode.

    Subclasses are frozen dataclasses whose fields are their settings; they set the class
    attributes ``name`` (short id), ``kind`` and ``scale`` and implement ``_encode``,
    ``_decode``, ``label``, ``_library`` and ``unavailable_reason``.
    """

    name: ClassVar[str]
    kind: ClassVar[Kind]
    scale: ClassVar[NativeScale]
    #: Every codec uses the same normalized scale; this is it.
    quality_range: ClassVar[tuple[float, float]] = (0.0, 1.0)

    # --- what subclasses provide ------------------------------------------------------------
    @property
    @abstractmethod
    def label(self) -> str:
        """Human-readable name with the settings that matter, shown in plots and the app."""

    @abstractmethod
    def unavailable_reason(self) -> str | None:
        """``None`` if this codec can run here, else a one-line reason (what is missing)."""

    @abstractmethod
    def _library(self) -> tuple[str, str]:
        """(library, version) actually used, e.g. ("Pillow/libwebp", "13.0.0/1.6.0")."""

    def _details(self) -> dict[str, str]:
        """Fixed choices worth recording next to the settings (pixel format, container...)."""
        return {}

    @abstractmethod
    def _encode(self, image: np.ndarray, quality: float) -> bytes: ...

    @abstractmethod
    def _decode(self, data: bytes) -> np.ndarray: ...

    # --- public interface ----------------------------------------------------------------------
    def available(self) -> bool:
        """Whether :meth:`encode` / :meth:`decode` can run here."""
        return self.unavailable_reason() is None

    def native_parameter(self, quality: float) -> float:
        """The codec's own parameter for normalized ``quality``."""
        return self.scale.to_native(check_quality(quality))

    def encode(self, image: np.ndarray, quality: float) -> bytes:
        """Compress an H x W x 3 uint8 RGB image; the bytes are the whole file (for bpp)."""
        image = check_image(image)
        quality = check_quality(quality)
        self._require()
        return self._encode(image, quality)

    def encode_with_progress(
        self, image: np.ndarray, quality: float, progress: Callable[[Progress], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> Encoded:
        """:meth:`encode`, reporting progress and polling ``cancel`` where the codec can (those
        whose catalogue entry says ``reports_progress``); the others encode in one go."""
        return Encoded(self.encode(image, quality))

    def describe_bitstream(self, data: bytes) -> str:
        """A readable dump of the file's header, where the codec has one to show ("" otherwise)."""
        return ""

    def decode(self, data: bytes) -> np.ndarray:
        """Decompress bytes written by :meth:`encode` into an H x W x 3 uint8 RGB image."""
        if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) == 0:
            raise CodecError(f"{self.name}: nothing to decode")
        self._require()
        image = self._decode(bytes(data))
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise CodecError(f"{self.name}: decoder returned shape {image.shape} {image.dtype}")
        return image

    def describe(self) -> CodecDescription:
        """Library, version and settings, so a curve says exactly what produced it."""
        try:
            library, version = self._library()
        except (ImportError, OSError) as exc:  # describing must work where the codec cannot run
            library, version = "unavailable", str(exc)
        assert is_dataclass(self), "ImageCodec subclasses are dataclasses (see the class docstring)"
        settings = {f.name: str(getattr(self, f.name)) for f in fields(self)}
        settings.update(self._details())
        settings["quality map"] = self.scale.describe()
        reason = self.unavailable_reason()
        if reason is not None:
            settings["unavailable"] = reason
        return CodecDescription(self.name, self.label, self.kind, library, version, settings)

    def _require(self) -> None:
        reason = self.unavailable_reason()
        if reason is not None:
            raise CodecUnavailableError(f"{self.label} is not available here: {reason}")


@dataclass(frozen=True)
class Capabilities:
    """What a codec can do, so that callers route by capability rather than by name."""

    devices: tuple[str, ...] = ("cpu",)
    """Devices it can run on (the first is the default); a codec with one runs on that one only."""
    reports_progress: bool = False
    """It reports progress and polls for cancellation inside an encode (``encode_with_progress``)."""
    model_thread: bool = False
    """It needs the long-lived thread that owns torch and the model (the app runs such codecs there,
    one job at a time); the others are short jobs any thread can run."""


@dataclass(frozen=True)
class CatalogueEntry:
    """One codec of the catalogue (see the module docstring)."""

    key: str
    codec: type[ImageCodec]
    title: str
    """Short name for menus and legends: "JPEG", "MSP balanced"."""
    extension: str
    """File extension of its bitstreams, with the dot."""
    colour: str
    """Its colour in every plot, one of :data:`codec.baselines.palette.PALETTE`."""
    summary: str = ""
    """One line on what runs, for tooltips: "Pillow / libjpeg-turbo, 4:2:0"."""
    capabilities: Capabilities = Capabilities()
    fixed: Mapping[str, object] = field(default_factory=dict)
    """Settings the key fixes (``msp-fast``: profile="fast"); a spec cannot change them."""

    @property
    def kind(self) -> Kind:
        return self.codec.kind

    @property
    def line_style(self) -> str:
        """"solid" for learned codecs, "dashed" for classic (hybrid) ones: CompressAI's convention."""
        return "solid" if self.kind == "learned" else "dashed"

    def make(self, **settings: object) -> ImageCodec:
        """The codec with ``settings`` (text is converted to each field's type)."""
        values = {k: coerce_setting(self.codec, k, v) for k, v in settings.items()}
        if set(values) & set(self.fixed):
            raise CodecError(f"{self.key}: {', '.join(sorted(set(values) & set(self.fixed)))} is part of the name")
        return self.codec(**self.fixed, **values)


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
        if typing.get_origin(target) is tuple:  # a tuple of ints, written "8+16" (commas separate settings)
            return tuple(int(part) for part in value.split("+"))
        if target is bool:
            lowered = value.lower()
            if lowered not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError(value)
            return lowered in ("1", "true", "yes", "on")
        return target(value)
    except ValueError:
        raise CodecError(f"setting {key}={value!r} is not a valid {getattr(target, '__name__', target)}") from None
