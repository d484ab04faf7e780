"""Find the quality at which a codec's size is closest to a target bpp.

A small bisection on the normalised quality (bpp grows with quality for every codec we offer),
written as a state machine so the Qt side can run each probe as a background job: ask
:meth:`next_quality`, encode, :meth:`report` the bpp, repeat until it returns None.
"""

from __future__ import annotations

import math

from app.core.codecs import normalize_quality

__all__ = ["BitrateSearch"]


class BitrateSearch:
    def __init__(self, target_bpp: float, max_probes: int = 7, tolerance: float = 0.02,
                 lo: float = 0.0, hi: float = 1.0) -> None:
        if target_bpp <= 0:
            raise ValueError("target bpp must be positive")
        self.target = target_bpp
        self.max_probes = max_probes
        self.tolerance = tolerance
        self.lo, self.hi = lo, hi
        self.probes: dict[float, float] = {}

    def _error(self, bpp: float) -> float:
        return abs(math.log(max(bpp, 1e-9) / self.target))

    def best(self) -> tuple[float, float] | None:
        """(quality, bpp) of the probe closest to the target (in log-rate), if any."""
        if not self.probes:
            return None
        quality = min(self.probes, key=lambda q: (self._error(self.probes[q]), q))
        return quality, self.probes[quality]

    def done(self) -> bool:
        best = self.best()
        if best is not None and self._error(best[1]) <= self.tolerance:
            return True
        return len(self.probes) >= self.max_probes or self.hi - self.lo < 2e-3

    def next_quality(self) -> float | None:
        if self.done():
            return None
        quality = normalize_quality((self.lo + self.hi) / 2)
        if quality in self.probes:
            return None
        return quality

    def report(self, quality: float, bpp: float) -> None:
        quality = normalize_quality(quality)
        self.probes[quality] = bpp
        if bpp < self.target:
            self.lo = quality
        else:
            self.hi = quality
