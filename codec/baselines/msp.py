"""Our own MSP codec behind the same interface as the classic codecs.

It goes through the public API :mod:`codec.api` only, imported on first use: listing or
running the classic codecs must not pay for loading torch and the model weights.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import ClassVar

import numpy as np

from codec.baselines.base import Capabilities, CatalogueEntry, Encoded, ImageCodec, Kind, NativeScale
from codec.baselines.palette import PALETTE
from codec.errors import CodecError, CodecUnavailableError
from codec.types import Progress

__all__ = ["MSPCodec", "MSP_PROFILES", "MSP_OVERFITTING_PROFILES", "MSP_PREFIX", "msp_key", "MSP_CAPABILITIES", "ENTRIES"]

try:  # the profile table is plain data (no torch): read the real names when it is there
    from codec.profiles import load_profiles as _load_profiles

    _TABLE = _load_profiles()
    _OVERFITTING = tuple(n for n, p in _TABLE.items() if p.lof_iterations > 0 or p.lof_step_search or p.lof_snap_symbols)
    _NAMES: tuple[str, ...] = tuple(_TABLE)
except ImportError:  # pragma: no cover - the API contract's names
    _NAMES, _OVERFITTING = ("fast", "balanced", "best"), ("balanced", "best")

#: Profile names of the public API (``codec.api.list_profiles()``), known without importing it.
MSP_PROFILES: tuple[str, ...] = _NAMES

#: The profiles whose encoder overfits its latent (LOF or its searches): seconds per encode.
MSP_OVERFITTING_PROFILES: tuple[str, ...] = _OVERFITTING

#: Catalogue keys of the MSP codec are ``msp-<profile>``.
MSP_PREFIX = "msp-"


def msp_key(profile: str) -> str:
    """The catalogue key of the MSP codec at ``profile``."""
    return MSP_PREFIX + profile


def _api() -> ModuleType:
    try:
        return importlib.import_module("codec.api")
    except ImportError as exc:
        raise CodecUnavailableError(f"the MSP codec API cannot be imported: {exc}") from exc


@dataclass(frozen=True)
class MSPCodec(ImageCodec):
    """MSP learned codec at one profile; the normalized quality is the API's own ``quality``."""

    kind: ClassVar[Kind] = "learned"
    scale: ClassVar[NativeScale] = NativeScale("quality", 0.0, 1.0, integer=False)

    profile: str = "balanced"
    device: str = "cpu"
    lof_iterations: int | None = None  # None: the profile's own LOF budget; 0: LOF off (ablation)

    def __post_init__(self) -> None:
        if self.profile not in MSP_PROFILES:
            raise CodecError(f"msp: profile must be one of {', '.join(MSP_PROFILES)}, not {self.profile!r}")

    @property
    def name(self) -> str:  # type: ignore[override]  # per instance (profile, LOF budget); read on instances only
        """The catalogue key, with a LOF override in the spec form that parses back to this codec."""
        return msp_key(self.profile) + ("" if self.lof_iterations is None else f":lof_iterations={self.lof_iterations}")

    @property
    def label(self) -> str:
        return f"MSP {self.profile}" + ("" if self.lof_iterations is None else f" (LOF {self.lof_iterations})")

    def unavailable_reason(self) -> str | None:
        if importlib.util.find_spec("codec.api") is None:
            return "the MSP codec API (codec.api) is not installed"
        return None

    def _library(self) -> tuple[str, str]:
        try:
            version = metadata.version("msp-studio")
        except metadata.PackageNotFoundError:
            version = "unknown"
        return "MSP (codec.api)", version

    def _details(self) -> dict[str, str]:
        """The weights: a curve is only reproducible with the model that made it."""
        if self.unavailable_reason() is not None:
            return {}
        try:
            info = _api().model_info()
        except (CodecError, OSError) as exc:
            return {"model": f"unavailable ({exc})"}
        return {"model": f"{info.model_id} ({Path(info.source).name})"}  # the file, not this machine's path

    def _encode(self, image: np.ndarray, quality: float) -> bytes:
        return self._run(image, quality, None, None).data

    def encode_with_progress(
        self, image: np.ndarray, quality: float, progress: Callable[[Progress], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> Encoded:
        self._require()
        return self._run(image, quality, progress, cancel)

    def _run(self, image: np.ndarray, quality: float, progress: Callable[[Progress], None] | None,
             cancel: Callable[[], bool] | None) -> Encoded:
        # The API makes a tensor of the array without copying: hand it a writable array of its own
        # (the caller's may be read-only, e.g. the app's shared reference image).
        pixels = np.array(image, dtype=np.uint8, copy=True)
        result = _api().encode(
            pixels, profile=self.profile, quality=quality, device=self.device, lof_iterations=self.lof_iterations,
            progress=progress, cancel=cancel,
        )
        return Encoded(bytes(result.data), estimated_bpp=float(result.estimated_bpp), notes=tuple(result.notes),
                       reconstruction=np.asarray(result.reconstruction))

    def describe_bitstream(self, data: bytes) -> str:
        return str(_api().read_header(data).describe())

    def _decode(self, data: bytes) -> np.ndarray:
        return np.asarray(_api().decode(data, device=self.device).image)


#: MSP runs on the GPU too, reports progress (LOF, coding) and needs the model's thread.
MSP_CAPABILITIES = Capabilities(devices=("cpu", "cuda"), reports_progress=True, model_thread=True)
_COLOURS = {"fast": PALETTE["cyan"], "balanced": PALETTE["indigo"], "best": PALETTE["black"]}

#: One catalogue entry per profile (:mod:`codec.baselines.registry`), ``msp-<profile>``.
ENTRIES = tuple(
    CatalogueEntry(
        msp_key(profile), MSPCodec, f"MSP {profile}", ".msp", _COLOURS.get(profile, PALETTE["indigo"]),
        f"learned (MSP), profile {profile}", MSP_CAPABILITIES, {"profile": profile},
    )
    for profile in MSP_PROFILES
)
