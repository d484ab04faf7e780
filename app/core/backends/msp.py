"""What the model thread learns about the MSP codec, opening .msp files and where their bits go,
through ``codec.api``.

Encoding goes through the catalogue like every codec (``codec.baselines``' MSP entries); this
module loads the model when the worker starts (so the window can say what it found), reads
bitstream files and measures where their bits go (the bits view). Imported lazily, from the
worker thread that owns torch and the model: importing ``codec.api`` pulls in torch (about a
second), which must never happen on the GUI thread.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from codec.baselines.msp import MSP_OVERFITTING_PROFILES, MSP_PREFIX, MSP_PROFILES, msp_key
from codec.types import BitAllocation, BitstreamHeader, DecodeResult

__all__ = ["MspInfo", "load_msp", "decode", "read_header", "bit_allocation"]


@dataclass(frozen=True)
class MspInfo:
    """What the worker learns about the MSP codec when it starts."""

    available: bool
    profiles: tuple[str, ...] = MSP_PROFILES
    profile_descriptions: tuple[str, ...] = ()
    default_profile: str = "balanced"
    devices: tuple[str, ...] = ("cpu",)
    model_id: str = ""
    model_source: str = ""
    """Where the weights came from (e.g. a checkpoint name, or "untrained")."""
    reason: str = ""
    """Why the codec is unavailable (shown in the status bar and tooltips)."""
    overfitting_profiles: tuple[str, ...] = MSP_OVERFITTING_PROFILES
    """The profiles whose encoder overfits the latent (LOF): seconds where the others take a
    fraction of one, so a side shows their result without LOF first (:meth:`preview_of`)."""

    def preview_of(self, key: str) -> str | None:
        """The quick stand-in for codec ``key`` while it encodes: the same profile with LOF off
        (the same decoder, so the same kind of picture, in ~0.4 s instead of seconds); None
        for a codec that needs none."""
        profile = key.removeprefix(MSP_PREFIX) if key.startswith(MSP_PREFIX) else None
        if profile is None or profile not in self.overfitting_profiles:
            return None  # not MSP, an explicit LOF setting, or a profile without LOF
        return f"{key}:lof_iterations=0"

    @property
    def codecs(self) -> tuple[str, ...]:
        """The catalogue keys of the profiles, cheapest first."""
        return tuple(msp_key(p) for p in self.profiles)

    @property
    def default_codec(self) -> str:
        return msp_key(self.default_profile)


_api: ModuleType | None = None


def _module() -> ModuleType:
    global _api
    if _api is None:
        _api = importlib.import_module("codec.api")
    return _api


def _torch_devices() -> tuple[str, ...]:
    try:
        import torch

        return ("cpu", "cuda") if torch.cuda.is_available() else ("cpu",)
    except Exception:  # noqa: BLE001 - torch missing or broken: CPU only
        return ("cpu",)


def load_msp() -> MspInfo:
    """Import ``codec.api``, load the weights and describe them; never raises (unavailability is a
    state the window shows, with the reason)."""
    try:
        api = _module()
        profiles = api.list_profiles()
        model = api.model_info()
        devices = tuple(api.available_devices()) or ("cpu",)
    except ImportError as exc:
        return MspInfo(available=False, reason=f"MSP codec not installed (codec.api: {exc})", devices=_torch_devices())
    except Exception as exc:  # noqa: BLE001 - missing or broken weights must not kill the app
        return MspInfo(available=False, reason=f"MSP codec failed to load: {exc}", devices=_torch_devices())
    return MspInfo(
        available=True,
        profiles=tuple(p.name for p in profiles) or MSP_PROFILES,
        profile_descriptions=tuple(p.description for p in profiles),
        default_profile=api.DEFAULT_PROFILE,
        devices=devices,
        model_id=model.model_id,
        model_source=model.source,
        overfitting_profiles=tuple(p.name for p in profiles if p.lof_iterations > 0 or p.greedy),
    )


def decode(data: bytes, device: str = "cpu", max_pixels: int | None = None) -> DecodeResult:
    return _module().decode(data, device=device, max_pixels=max_pixels)


def read_header(data: bytes) -> BitstreamHeader:
    return _module().read_header(data)


def bit_allocation(data: bytes, device: str = "cpu") -> BitAllocation:
    return _module().bit_allocation(data, device=device)
