"""Classic codecs through the project's registry, ``codec.baselines``.

The catalogue keys are the registry's short names, so this is a thin, thread-safe cache of codec
objects (created once, shared by the pool threads; encoding holds no per-call state).
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

__all__ = ["get_classic", "classic_description"]

_lock = threading.Lock()
_instances: dict[str, Any] = {}


def get_classic(key: str) -> Any:
    """The registry codec (a ``codec.baselines.ImageCodec``) for a catalogue key, with its
    default (EVALUATION.md) settings. Imported lazily, on a worker thread."""
    with _lock:
        codec = _instances.get(key)
        if codec is None:
            registry = importlib.import_module("codec.baselines")
            codec = _instances[key] = registry.get_codec(key)
        return codec


def classic_description(key: str) -> str:
    """"label: library version; settings", for tooltips (works where the codec cannot run)."""
    try:
        return get_classic(key).describe().text()
    except Exception as exc:  # noqa: BLE001 - a tooltip must never fail
        return f"{key}: {exc}"
