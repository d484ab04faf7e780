"""Choosing the quality settings of a curve so it spans the rates that matter.

A fixed list of qualities serves codecs badly: JPEG quality 10 is ~0.3 bpp, x265 QP 10 is
~5 bpp. Instead, for each codec we probe the dataset (a mosaic of tiles from every image, as
cheap as one image; on Kodak it predicts the dataset's mean bpp within ~2 %) and bisect the
normalized quality for the two ends of the target range (default 0.1 and 1.5 bpp, where
learned and classic codecs are usually compared); the points in between are placed at
log-spaced rates by inverting the probed rate curve. Settings are snapped to the codec's own
steps (an integer QP has only so many), and the same qualities are then used on every image,
so dataset means are taken at one setting as the published results are.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from codec.baselines.base import ImageCodec
from codec.errors import CodecError, CodecUnavailableError
from codec.eval.metrics import bits_per_pixel

__all__ = ["SweepPlan", "plan_qualities", "probe_images", "probe_mosaic", "DEFAULT_BPP_RANGE", "DEFAULT_POINTS"]

DEFAULT_BPP_RANGE = (0.1, 1.5)
DEFAULT_POINTS = 8
#: Resolution of the bisection for codecs with a continuous quality.
_CONTINUOUS_STEPS = 256


@dataclass(frozen=True)
class SweepPlan:
    """The qualities chosen for a codec, and the probe measurements that led to them."""

    codec: str
    qualities: tuple[float, ...]  # ascending
    expected_bpp: tuple[float, ...]  # mean probe bpp at each quality
    probe_qualities: tuple[float, ...]  # every quality probed, ascending
    probe_bpp: tuple[float, ...]
    target_bpp: tuple[float, float]
    note: str | None = None  # e.g. when the codec cannot reach the low end


def probe_mosaic(images: Sequence[np.ndarray], *, tile: int = 128, min_tiles: int = 24,
                 max_tiles: int = 96, seed: int = 0) -> np.ndarray:
    """One picture made of ``tile``-px squares cut at random places from every image in turn.

    Probing a few whole images biases the sweep towards their content (Kodak's first and
    middle images are its most detailed: the curves then stop well short of the target rate);
    a mosaic samples the whole set for the price of one image. Tiles are 128 px, a multiple of
    every codec's block grid, so the seams cost little. Images smaller than a tile are skipped.
    """
    usable = [im for im in images if im.shape[0] >= tile and im.shape[1] >= tile]
    if not usable:
        raise CodecError(f"no image is {tile} px on both sides")
    count = min(max(min_tiles, len(usable)), max_tiles)
    cols = 6
    rows = -(-count // cols)
    rng = np.random.default_rng(seed)
    mosaic = np.empty((rows * tile, cols * tile, 3), np.uint8)
    for k in range(rows * cols):
        image = usable[k % len(usable)]
        top = int(rng.integers(0, image.shape[0] - tile + 1))
        left = int(rng.integers(0, image.shape[1] - tile + 1))
        r, c = divmod(k, cols)
        mosaic[r * tile:(r + 1) * tile, c * tile:(c + 1) * tile] = image[top:top + tile, left:left + tile]
    return mosaic


def probe_images(images: Sequence[np.ndarray], how: str = "mosaic") -> list[np.ndarray]:
    """What the sweep encodes: a mosaic of the set ("mosaic"), or the images themselves
    ("images": exact, and the right choice for a single image's curve)."""
    if not images:
        raise CodecError("no images to probe")
    if how == "images":
        return list(images)
    if how != "mosaic":
        raise CodecError(f"unknown probe {how!r}; use 'mosaic' or 'images'")
    small = [im for im in images if min(im.shape[:2]) < 128]
    if len(small) == len(images):
        return list(images)  # all tiny: encoding them all is cheap anyway
    return [probe_mosaic(images), *small]


def _candidates(codec: ImageCodec) -> list[float]:
    steps = codec.scale.steps()
    if steps is None:
        return [i / _CONTINUOUS_STEPS for i in range(_CONTINUOUS_STEPS + 1)]
    return list(steps)


def plan_qualities(
    codec: ImageCodec,
    probe_images: Sequence[np.ndarray],
    *,
    bpp_range: tuple[float, float] = DEFAULT_BPP_RANGE,
    points: int = DEFAULT_POINTS,
    progress: Callable[[], None] | None = None,
) -> SweepPlan:
    """Pick ``points`` qualities whose mean bpp on ``probe_images`` spans ``bpp_range``.

    The lowest point is the best quality still at or under the low target (or q = 0 when
    the codec cannot go that low), the highest the cheapest at or over the high target (or
    q = 1); ``progress`` is called after every probe encode.
    """
    low_target, high_target = bpp_range
    if not (0 < low_target < high_target):
        raise CodecError(f"bad bpp range {bpp_range}")
    if points < 2:
        raise CodecError("a curve needs at least 2 points")
    candidates = _candidates(codec)
    cache: dict[int, float] = {}

    def rate(index: int) -> float:
        """Mean probe bpp at candidate ``index``; infinite where the encoder gives up."""
        if index not in cache:
            values = []
            for image in probe_images:
                try:
                    data = codec.encode(image, candidates[index])
                except CodecUnavailableError:
                    raise
                except CodecError:  # e.g. a picture over an encoder's size limit: "too high"
                    values.append(math.inf)
                else:
                    values.append(bits_per_pixel(len(data), *image.shape[:2]))
                if progress is not None:
                    progress()
            cache[index] = float(np.mean(values))
        return cache[index]

    last = len(candidates) - 1
    # Lowest index: the last one whose rate is <= low target (rates grow with quality).
    if rate(0) > low_target:
        lo_index = 0
    else:
        a, b = 0, last  # invariant: rate(a) <= low_target; answer in [a, b]
        if rate(b) <= low_target:
            a = b
        while b - a > 1:
            mid = (a + b) // 2
            if rate(mid) <= low_target:
                a = mid
            else:
                b = mid
        lo_index = a
    # Highest index: the first one whose rate is >= high target.
    if rate(last) < high_target:
        hi_index = last
    else:
        a, b = lo_index, last  # invariant: rate(b) >= high_target
        while b - a > 1:
            mid = (a + b) // 2
            if rate(mid) >= high_target:
                b = mid
            else:
                a = mid
        hi_index = b
    while hi_index > lo_index and math.isinf(rate(hi_index)):
        hi_index -= 1  # the encoder failed there: end at the best quality that works
    if math.isinf(rate(lo_index)):
        raise CodecError(f"{codec.label} fails on the probe images even at its lowest quality")

    probed = sorted(i for i in cache if math.isfinite(cache[i]))
    # Rates should grow with quality; a running maximum irons out the odd codec hiccup.
    log_rates = np.maximum.accumulate([math.log(cache[i]) for i in probed])
    lo_rate, hi_rate = cache[lo_index], cache[hi_index]
    chosen: set[int] = {lo_index, hi_index}
    if hi_index > lo_index:
        for target in np.geomspace(lo_rate, hi_rate, points)[1:-1]:
            index = float(np.interp(math.log(target), log_rates, probed))
            chosen.add(round(min(max(index, lo_index), hi_index)))
        # Discrete steps can collide; fill up with evenly spread unused steps.
        if len(chosen) < points:
            for index in np.linspace(lo_index, hi_index, 4 * points).round().astype(int):
                if len(chosen) >= points:
                    break
                chosen.add(int(index))
    indices = sorted(chosen)
    note = None
    if lo_rate > low_target * 1.5:
        note = f"{codec.label} cannot go below {lo_rate:.3f} bpp here"
    elif hi_rate < high_target / 1.5:
        note = f"{codec.label} cannot go above {hi_rate:.3f} bpp here"

    def expected(index: int) -> float:
        if index in cache:
            return cache[index]
        return math.exp(float(np.interp(index, probed, log_rates)))

    return SweepPlan(
        codec=codec.name,
        qualities=tuple(candidates[i] for i in indices),
        expected_bpp=tuple(expected(i) for i in indices),
        probe_qualities=tuple(candidates[i] for i in probed),
        probe_bpp=tuple(cache[i] for i in probed),  # failed probes left out
        target_bpp=(low_target, high_target),
        note=note,
    )

