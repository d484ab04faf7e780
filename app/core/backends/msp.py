"""Access to the MSP codec through its public API, ``codec.api`` only.

Imported lazily, from the worker thread that owns torch and the model: importing ``codec.api``
pulls in torch (about a second), which must never happen on the GUI thread.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from codec.types import BitstreamHeader, DecodeResult, EncodeResult, Progress

from app.core.codecs import DEFAULT_MSP_PROFILES

__all__ = ["MspInfo", "load_msp", "encode", "decode", "read_header", "describe_header"]


@dataclass(frozen=True)
class MspInfo:
    """What the worker learns about the MSP codec when it starts."""

    available: bool
    profiles: tuple[str, ...] = DEFAULT_MSP_PROFILES
    profile_descriptions: tuple[str, ...] = ()
    default_profile: str = "balanced"
    devices: tuple[str, ...] = ("cpu",)
    model_id: str = ""
    model_source: str = ""
    """Where the weights came from (e.g. a checkpoint name, or "untrained")."""
    reason: str = ""
    """Why the codec is unavailable (shown in the status bar and tooltips)."""


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


def _model_id(api: ModuleType) -> str:
    for name in ("model_info", "MODEL_ID", "model_id", "get_model_id"):
        value = getattr(api, name, None)
        if callable(value):
            try:
                value = value()
            except Exception:  # noqa: BLE001
                value = None
        if isinstance(value, dict):
            value = value.get("model_id")
        if isinstance(value, str) and value:
            return value
    return ""


def _model_source(api: ModuleType) -> str:
    info = getattr(api, "model_info", None)
    try:
        value = info() if callable(info) else None
    except Exception:  # noqa: BLE001
        return ""
    return str(value.get("source", "")) if isinstance(value, dict) else ""


def load_msp() -> MspInfo:
    """Import ``codec.api`` and describe it; never raises (unavailability is a state)."""
    try:
        api = _module()
    except ImportError as exc:
        return MspInfo(available=False, reason=f"MSP codec not installed (codec.api: {exc})", devices=_torch_devices())
    except Exception as exc:  # noqa: BLE001 - a broken install must not kill the app
        return MspInfo(available=False, reason=f"MSP codec failed to load: {exc}", devices=_torch_devices())
    names: list[str] = []
    descriptions: list[str] = []
    try:
        for item in api.list_profiles():
            name = item if isinstance(item, str) else getattr(item, "name", str(item))
            names.append(name)
            descriptions.append("" if isinstance(item, str) else str(getattr(item, "description", "")))
    except Exception as exc:  # noqa: BLE001
        return MspInfo(available=False, reason=f"MSP profiles unavailable: {exc}", devices=_torch_devices())
    try:
        devices = tuple(str(d) for d in api.available_devices()) or ("cpu",)
    except Exception:  # noqa: BLE001
        devices = _torch_devices()
    default = str(getattr(api, "DEFAULT_PROFILE", names[0] if names else "balanced"))
    return MspInfo(
        available=True,
        profiles=tuple(names) or DEFAULT_MSP_PROFILES,
        profile_descriptions=tuple(descriptions),
        default_profile=default,
        devices=devices,
        model_id=_model_id(api),
        model_source=_model_source(api),
    )


def encode(pixels: Any, profile: str, quality: float, device: str,
           progress: Callable[[Progress], None] | None, cancel: Callable[[], bool] | None) -> EncodeResult:
    # The API turns the array into a tensor in place of copying; hand it a writable copy of our
    # read-only reference so torch never aliases (or warns about) shared memory.
    pixels = np.array(pixels, dtype=np.uint8, copy=True)
    return _module().encode(pixels, profile=profile, quality=quality, device=device, progress=progress, cancel=cancel)


def decode(data: bytes, device: str = "cpu") -> DecodeResult:
    return _module().decode(data, device=device)


def read_header(data: bytes) -> BitstreamHeader:
    return _module().read_header(data)


def describe_header(header: Any) -> str:
    describe = getattr(header, "describe", None)
    return describe() if callable(describe) else str(header)
