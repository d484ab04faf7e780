"""Find the quality at which a codec's size is closest to a target bpp.

A small bisection on the normalised quality (bpp grows with quality for every codec we offer),
written as a state machine so the Qt side can run each probe as a background job: ask
:meth:`next_quality`, encode, :meth:`report` the bpp, repeat until it returns None. The target is
a rate; a target in bytes is that rate at the image's size (:mod:`app.core.size_target`).

When every probe falls on one side of the target, the search tries the end of the quality range
on that side before it gives up: only a probe there can tell "the codec cannot go this small (or
this large) on this image" from "the bisection ran out of probes", and :meth:`verdict` says which.
"""

from __future__ import annotations

import math
from enum import Enum

from app.core.codecs import normalize_quality

__all__ = ["BitrateSearch", "SearchVerdict"]


class SearchVerdict(str, Enum):
    """How a finished search relates its best probe to the target."""

    REACHED = "reached"
    """Within the tolerance."""
    CLOSEST = "closest"
    """Within reach but no probe within the tolerance: the codec's quality steps are coarser
    than that there, or the probes ran out. The best probe is the nearest."""
    BELOW_SMALLEST = "below smallest"
    """Smaller than the codec's file at the lowest quality."""
    ABOVE_LARGEST = "above largest"
    """Larger than the codec's file at the highest quality."""


class BitrateSearch:
    def __init__(self, target_bpp: float, max_probes: int = 7, tolerance: float = 0.02,
                 lo: float = 0.0, hi: float = 1.0) -> None:
        """``tolerance``: how close counts as reached, as |log(bpp / target)| (0.02: about 2 %)."""
        if not target_bpp > 0:
            raise ValueError("target bpp must be positive")
        self.target = target_bpp
        self.max_probes = max_probes
        self.tolerance = tolerance
        self.lo, self.hi = lo, hi
        self.floor, self.ceiling = normalize_quality(lo), normalize_quality(hi)
        self.probes: dict[float, float] = {}

    def _error(self, bpp: float) -> float:
        return abs(math.log(max(bpp, 1e-9) / self.target))

    def best(self) -> tuple[float, float] | None:
        """(quality, bpp) of the probe closest to the target (in log-rate), if any."""
        if not self.probes:
            return None
        quality = min(self.probes, key=lambda q: (self._error(self.probes[q]), q))
        return quality, self.probes[quality]

    def _reached(self) -> bool:
        best = self.best()
        return best is not None and self._error(best[1]) <= self.tolerance

    def _end_to_try(self) -> float | None:
        """The end of the quality range beyond which the target seems to lie (every probe on one
        side of it), while that end is untried; else None."""
        rates = list(self.probes.values())
        if not rates:
            return None
        if all(bpp > self.target for bpp in rates):
            end = self.floor
        elif all(bpp < self.target for bpp in rates):
            end = self.ceiling
        else:
            return None
        return None if end in self.probes else end

    def done(self) -> bool:
        return self.next_quality() is None

    def next_quality(self) -> float | None:
        if self._reached():
            return None
        quality = normalize_quality((self.lo + self.hi) / 2)
        if len(self.probes) >= self.max_probes or self.hi - self.lo < 2e-3 or quality in self.probes:
            return self._end_to_try()
        return quality

    def report(self, quality: float, bpp: float) -> None:
        quality = normalize_quality(quality)
        self.probes[quality] = bpp
        if bpp < self.target:
            self.lo = max(self.lo, quality)
        else:
            self.hi = min(self.hi, quality)

    def verdict(self) -> SearchVerdict | None:
        """How the search ended (None before any probe): only a probe at an end of the quality
        range can say the target is out of the codec's reach."""
        if not self.probes:
            return None
        if self._reached():
            return SearchVerdict.REACHED
        if self.floor in self.probes and self.probes[self.floor] > self.target:
            return SearchVerdict.BELOW_SMALLEST
        if self.ceiling in self.probes and self.probes[self.ceiling] < self.target:
            return SearchVerdict.ABOVE_LARGEST
        return SearchVerdict.CLOSEST
