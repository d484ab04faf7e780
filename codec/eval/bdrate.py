"""Bjontegaard delta rate: how much more (or less) rate a codec needs for the same quality.

Method (EVALUATION.md, as in the JVET common test conditions and the ``bjontegaard`` package
with ``method="pchip"``): interpolate log10(rate) as a function of quality with a monotone
piecewise cubic (scipy's PCHIP) for each curve, integrate both over the quality interval the
curves share, and turn the mean log-rate difference into a percentage. PCHIP, unlike the
original cubic polynomial fit, never overshoots between points.

Quality is PSNR or MS-SSIM in dB, SSIMULACRA2, or FLIP negated (any axis that rises with
quality: :meth:`codec.eval.curves.RDCurve.bd_points`); rate is bpp. Each curve needs at least 4
points whose quality strictly increases with rate. The overlap is reported, in the metric's
units and as a fraction of the narrower of the two quality ranges (1.0 when one curve lies
within the other; the ``bjontegaard`` package divides by the union instead, which flags every
short curve against a long anchor), and a small one is flagged: a BD-rate over a narrow interval
says little.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from codec.errors import CodecError

__all__ = ["BDRate", "bd_rate", "quality_at_rate", "load_interpolation", "MIN_POINTS", "MIN_OVERLAP"]

MIN_POINTS = 4
#: Overlap fraction below which a result carries a warning.
MIN_OVERLAP = 0.5


@dataclass(frozen=True)
class BDRate:
    """A BD-rate of a test curve against an anchor (negative: the test saves rate)."""

    percent: float
    overlap_low: float  # quality interval integrated over
    overlap_high: float
    overlap_fraction: float  # overlap / (the narrower of the two quality ranges)
    anchor_points: int
    test_points: int
    warning: str | None = None

    def text(self) -> str:
        return f"{self.percent:+.2f} %"


def _curve(rate: Sequence[float], quality: Sequence[float], which: str) -> tuple[np.ndarray, np.ndarray]:
    r = np.asarray(rate, dtype=np.float64)
    q = np.asarray(quality, dtype=np.float64)
    if r.ndim != 1 or r.shape != q.shape:
        raise CodecError(f"{which}: rate and quality must be 1-D and of the same length")
    if len(r) < MIN_POINTS:
        raise CodecError(f"{which}: BD-rate needs at least {MIN_POINTS} points, got {len(r)}")
    if not (np.all(np.isfinite(r)) and np.all(np.isfinite(q)) and np.all(r > 0)):
        raise CodecError(f"{which}: rates must be positive and qualities finite")
    order = np.argsort(r, kind="stable")
    r, q = r[order], q[order]
    if np.any(np.diff(q) <= 0):
        raise CodecError(f"{which}: quality must increase strictly with rate")
    return np.log10(r), q


def bd_rate(
    anchor_rate: Sequence[float],
    anchor_quality: Sequence[float],
    test_rate: Sequence[float],
    test_quality: Sequence[float],
    *,
    min_overlap: float = MIN_OVERLAP,
) -> BDRate:
    """BD-rate in percent of the test curve against the anchor (PCHIP, overlapping interval).

    Raises CodecError when a curve is unusable (too few points, quality not strictly
    increasing with rate) or the two quality ranges do not overlap.
    """
    log_ra, qa = _curve(anchor_rate, anchor_quality, "anchor")
    log_rt, qt = _curve(test_rate, test_quality, "test")
    low, high = max(qa[0], qt[0]), min(qa[-1], qt[-1])
    if high <= low:
        raise CodecError(
            f"quality ranges do not overlap (anchor {qa[0]:.2f}..{qa[-1]:.2f}, test {qt[0]:.2f}..{qt[-1]:.2f})"
        )
    fraction = (high - low) / min(qa[-1] - qa[0], qt[-1] - qt[0])
    pchip = _pchip()
    anchor = pchip(qa, log_ra)
    test = pchip(qt, log_rt)
    mean_diff = (test.integrate(low, high) - anchor.integrate(low, high)) / (high - low)
    warning = None
    if fraction < min_overlap:
        warning = (
            f"curves share only {fraction:.0%} of the narrower quality range ({low:.3g}..{high:.3g})"
        )
    return BDRate(
        percent=(math.pow(10.0, float(mean_diff)) - 1.0) * 100.0,
        overlap_low=float(low),
        overlap_high=float(high),
        overlap_fraction=float(fraction),
        anchor_points=len(qa),
        test_points=len(qt),
        warning=warning,
    )


def quality_at_rate(rate: Sequence[float], quality: Sequence[float], at_bpp: float) -> float | None:
    """The curve's quality at ``at_bpp``: PCHIP of quality over log10(rate), the same monotone
    interpolation the BD-rate uses (in the other direction), so "PSNR at 0.5 bpp" and the BD-rate
    tell one story. ``None`` outside the measured rates: never extrapolated."""
    log_r, q = _curve(rate, quality, "curve")
    if not log_r[0] <= math.log10(at_bpp) <= log_r[-1]:
        return None
    return float(_pchip()(log_r, q)(math.log10(at_bpp)))


def load_interpolation() -> None:
    """Import what the first interpolation needs, now: an app calls this on a thread of its own
    before it needs a BD-rate, so the import (180 ms of the GUI thread's time when it came with a
    batch's first BD-rate table) never runs on its GUI thread."""
    _pchip()


def _pchip() -> type:
    """scipy's PCHIP, imported when a curve is first interpolated: scipy.interpolate takes 0.3-0.9 s
    to import, and the app imports this module (its batch's BD-rate table) while it starts."""
    from scipy.interpolate import PchipInterpolator

    return PchipInterpolator
