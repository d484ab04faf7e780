"""Our own MSP codec behind the same interface as the classic codecs.

It goes through the public API :mod:`codec.api` only, imported on first use: listing or
running the classic codecs must not pay for loading torch and the model weights.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import ClassVar

import numpy as np

from codec.baselines.base import ImageCodec, Kind, NativeScale
from codec.errors import CodecError, CodecUnavailableError

__all__ = ["MSPCodec", "MSP_PROFILES"]

try:  # the profile table is plain data (no torch): read the real names when it is there
    from codec.profiles import PROFILE_NAMES as _NAMES
except ImportError:  # pragma: no cover - the API contract's names
    _NAMES = ("fast", "balanced", "best")

#: Profile names of the public API (``codec.api.list_profiles()``), known without importing it.
MSP_PROFILES: tuple[str, ...] = tuple(_NAMES)


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
        return f"msp-{self.profile}" + ("" if self.lof_iterations is None else f"-lof{self.lof_iterations}")

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
        result = _api().encode(
            image, profile=self.profile, quality=quality, device=self.device, lof_iterations=self.lof_iterations
        )
        return bytes(result.data)

    def _decode(self, data: bytes) -> np.ndarray:
        return np.asarray(_api().decode(data, device=self.device).image)
