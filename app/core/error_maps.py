"""Where a side loses: per-pixel error maps against the original, and the scale they are shown on.

Two maps per side, each reduced to one number per pixel so that a perceptual colour map can
show it:

- absolute error: the largest of the three channels' ``|original - side|`` (an integer 0..255,
  so a 256-level map holds it exactly, and an error in one channel is not diluted by the others);
- SSIM: scikit-image's ``structural_similarity(..., full=True, channel_axis=2, data_range=255)``
  map, averaged over the channels and shown as ``1 - SSIM`` (0 = the same structure).

Both are stored as 8-bit *levels* (level i stands for i/255 of the map's full range) and the gain
lives in the colour table alone (level i -> ``colormap(min(1, i * gain / 255))``): a gain
change recolours 256 entries instead of every pixel, so it costs nothing on the GUI thread.

A map of a large image takes seconds (SSIM filters five planes per channel), so the app computes
it in a child process (:mod:`app.workers.error_map_jobs`: a thread of the GUI's process, however
short its hold on the interpreter at a time, stalled the window when the loaded machine preempted
it while it held it). It is done in strips of rows, so that cancellation is checked between
strips (a whole-image SSIM call also held the interpreter for up to 48 ms at 6 MP, strips of
64 K pixels for 12 ms). A strip is computed with the filter's half window of extra rows on each side, which makes
the result the same as a whole-image call (up to float rounding), and it runs faster, the strips
staying in the CPU's cache: 1.2 s at 2.6 MP against 3.0 s in strips of 256 K pixels, and 10.8 s
for one whole-image call at 6 MP against 2.0 s in strips (a busy 2-core machine).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum

import numpy as np

__all__ = [
    "ErrorMapKind",
    "ERROR_MAP_LABELS",
    "ErrorMapScale",
    "SSIM_WINDOW",
    "absolute_error",
    "ssim_map",
    "error_levels",
    "error_map_scale",
    "colour_table",
    "colormap_rgb",
]

SSIM_WINDOW = 7
"""scikit-image's default window (7 x 7, uniform): also the smallest image side an SSIM map needs."""
_HALF = SSIM_WINDOW // 2
_STRIP_PIXELS = 1 << 16  # 64 K pixels a strip (see the module docstring)
_STRIP_ROWS = 32  # at least: the window's 6 extra rows stay a small share of a strip


class ErrorMapKind(str, Enum):
    """What each side's pane shows: its picture, or one of its error maps."""

    PICTURE = "picture"
    ABS_ERROR = "abserror"
    SSIM = "ssim"


ERROR_MAP_LABELS = {
    ErrorMapKind.PICTURE: "Picture",
    ErrorMapKind.ABS_ERROR: "Absolute error",
    ErrorMapKind.SSIM: "SSIM map",
}


def _strips(height: int, width: int) -> Iterator[tuple[int, int]]:
    """Row ranges [y0, y1) covering the image, each about ``_STRIP_PIXELS`` and at least a window tall."""
    rows = max(_STRIP_ROWS, _STRIP_PIXELS // max(1, width))
    y0 = 0
    while y0 < height:
        y1 = min(height, y0 + rows)
        if height - y1 < SSIM_WINDOW:  # no strip shorter than the window: the last one takes the rest
            y1 = height
        yield y0, y1
        y0 = y1


def _check_pair(original: np.ndarray, reconstruction: np.ndarray) -> None:
    if original.shape[:2] != reconstruction.shape[:2]:
        raise ValueError(f"the side is {reconstruction.shape[1]}x{reconstruction.shape[0]}, "
                         f"the original {original.shape[1]}x{original.shape[0]}")


def absolute_error(original: np.ndarray, reconstruction: np.ndarray,
                   cancel: Callable[[], bool] | None = None) -> np.ndarray | None:
    """H x W uint8: ``max over R, G, B of |original - reconstruction|``; None if cancelled."""
    _check_pair(original, reconstruction)
    height, width = original.shape[:2]
    out = np.empty((height, width), np.uint8)
    for y0, y1 in _strips(height, width):
        if cancel is not None and cancel():
            return None
        diff = np.abs(original[y0:y1, :, :3].astype(np.int16) - reconstruction[y0:y1, :, :3].astype(np.int16))
        out[y0:y1] = diff.max(axis=2)
    return out


def ssim_map(original: np.ndarray, reconstruction: np.ndarray,
             cancel: Callable[[], bool] | None = None) -> np.ndarray | None:
    """H x W float32: scikit-image's full SSIM map (7 x 7 uniform window, data range 255), the
    mean of the three channels' maps; None if cancelled. Raises ValueError below 7 x 7 pixels."""
    from skimage.metrics import structural_similarity  # scikit-image loads lazily: only when a map is asked for

    _check_pair(original, reconstruction)
    height, width = original.shape[:2]
    if min(height, width) < SSIM_WINDOW:
        raise ValueError(f"an SSIM map needs at least {SSIM_WINDOW} x {SSIM_WINDOW} pixels")
    out = np.empty((height, width), np.float32)
    for y0, y1 in _strips(height, width):
        if cancel is not None and cancel():
            return None
        lo, hi = max(0, y0 - _HALF), min(height, y1 + _HALF)
        _, full = structural_similarity(original[lo:hi, :, :3], reconstruction[lo:hi, :, :3], full=True,
                                        channel_axis=2, data_range=255)
        out[y0:y1] = full[y0 - lo:y1 - lo].mean(axis=2)
    return out


def error_levels(kind: ErrorMapKind, original: np.ndarray, reconstruction: np.ndarray,
                 cancel: Callable[[], bool] | None = None) -> np.ndarray | None:
    """H x W uint8 levels of ``kind``'s map (level i = i/255 of its full range: 255 of error,
    or 1 - SSIM = 1), ready for an 8-bit indexed image; None if cancelled."""
    if kind is ErrorMapKind.ABS_ERROR:
        return absolute_error(original, reconstruction, cancel)
    if kind is ErrorMapKind.SSIM:
        ssim = ssim_map(original, reconstruction, cancel)
        if ssim is None:
            return None
        return np.rint(np.clip(1.0 - ssim, 0.0, 1.0) * 255.0).astype(np.uint8)
    raise ValueError(f"{kind} is not an error map")


@dataclass(frozen=True)
class ErrorMapScale:
    """The scale an error map is shown on: what the colour bar says."""

    kind: ErrorMapKind
    gain: float
    top: float
    """The map's value at the top of the colour map (higher values saturate)."""
    quantity: str
    """"|error|" or "1 − SSIM"."""
    text: str
    """The stated scale, e.g. "|error| ×4, 0..64 of 255" or "1 − SSIM, 0..1"."""
    ticks: tuple[tuple[float, str], ...]
    """(fraction of the bar, label) from the bottom (0) to the top (1)."""


def _number(value: float, integer: bool) -> str:
    """An error in levels of 255 is an integer (0..64 rather than 0..63.75); 1 - SSIM to 3 digits."""
    return f"{value:.0f}" if integer else f"{value:.3g}"


def error_map_scale(kind: ErrorMapKind, gain: float) -> ErrorMapScale:
    """The scale of ``kind``'s map at display ``gain`` (the difference view's gain, 1..64)."""
    if kind is ErrorMapKind.PICTURE:
        raise ValueError("a picture has no error scale")
    gain = float(gain)
    full, quantity, unit = (255.0, "|error|", " of 255") if kind is ErrorMapKind.ABS_ERROR else (1.0, "1 − SSIM", "")
    top = full / gain
    integer = kind is ErrorMapKind.ABS_ERROR
    amplified = f" ×{gain:g}" if gain != 1.0 else ""
    text = f"{quantity}{amplified}, 0..{_number(top, integer)}{unit}"
    ticks = tuple((f, _number(top * f, integer)) for f in (0.0, 0.25, 0.5, 0.75, 1.0))
    return ErrorMapScale(kind, gain, top, quantity, text, ticks)


@functools.lru_cache(maxsize=4)
def colormap_rgb(name: str = "magma") -> np.ndarray:
    """256 x 3 uint8 of matplotlib's perceptually uniform colour map ``name`` (magma: black = no
    error, as in the difference view, then up through red to pale yellow)."""
    import matplotlib  # only the colour-map registry (no pyplot, no backend)

    rgba = matplotlib.colormaps[name](np.linspace(0.0, 1.0, 256))
    table = np.rint(rgba[:, :3] * 255.0).astype(np.uint8)
    table.setflags(write=False)
    return table


def colour_table(gain: float, name: str = "magma") -> tuple[int, ...]:
    """256 opaque 0xAARRGGBB colours: level i -> ``colormap(min(1, i * gain / 255))``."""
    rgb = colormap_rgb(name).astype(np.uint32)
    index = np.minimum(255, np.rint(np.arange(256) * float(gain))).astype(np.intp)
    picked = rgb[index]
    argb = (0xFF << 24) | (picked[:, 0] << 16) | (picked[:, 1] << 8) | picked[:, 2]
    return tuple(int(v) for v in argb)
