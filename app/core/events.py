"""A minimal synchronous observer (the core's stand-in for Qt signals).

The core must not import Qt, yet widgets need to hear about state changes. State objects are
only mutated on the GUI thread (workers hand results back through queued Qt signals first), so
plain synchronous callbacks are enough and keep the core testable without a QApplication.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

__all__ = ["Event"]


class Event:
    """A list of callbacks called in connection order with the emitted arguments."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[..., Any]] = []

    def connect(self, callback: Callable[..., Any]) -> None:
        if callback not in self._callbacks:
            self._callbacks.append(callback)

    def disconnect(self, callback: Callable[..., Any]) -> None:
        with contextlib.suppress(ValueError):
            self._callbacks.remove(callback)

    def emit(self, *args: Any) -> None:
        for callback in list(self._callbacks):
            callback(*args)

    def __len__(self) -> int:
        return len(self._callbacks)
