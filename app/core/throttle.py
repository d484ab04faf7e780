"""Rate limiting for progress reports.

An encoder may report hundreds of LOF iterations per second; repainting for each would swamp the
GUI thread. Workers pass every report through a :class:`Throttle` and only emit what it lets
through (at most ``rate_hz`` per second, plus the final report so the last state is never lost).
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Throttle", "DEFAULT_PROGRESS_HZ"]

DEFAULT_PROGRESS_HZ = 20.0


class Throttle:
    """Decides whether an event may pass, given the time of the last one that did."""

    def __init__(self, rate_hz: float = DEFAULT_PROGRESS_HZ, clock: Callable[[], float] = time.monotonic):
        if rate_hz <= 0:
            raise ValueError("rate_hz must be positive")
        self._interval = 1.0 / rate_hz
        self._clock = clock
        self._last: float | None = None

    def ready(self, force: bool = False) -> bool:
        """True (and the clock restarts) if enough time passed since the last accepted event."""
        now = self._clock()
        if force or self._last is None or now - self._last >= self._interval:
            self._last = now
            return True
        return False
