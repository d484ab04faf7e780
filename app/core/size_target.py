"""A target size as the user types it: "20 KiB", "15000 B", "0.25 bpp".

The side panel's target box hands the text to :func:`parse_size_target`; the bitrate search
works in bits per pixel, so a target in bytes becomes a rate only against an image's size
(:meth:`SizeTarget.bpp`). Plain Python so the rules (which units, what is refused and why) are
tested without a window. Units follow IEC and SI: KiB and MiB are powers of 1024, kB and MB
powers of 1000 (a file manager may say either, so both are accepted and kept apart).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["SizeTarget", "SizeTargetError", "parse_size_target", "UNITS"]

UNITS: dict[str, tuple[str, float]] = {
    "b": ("B", 1.0),
    "byte": ("B", 1.0),
    "bytes": ("B", 1.0),
    "kb": ("kB", 1000.0),
    "kib": ("KiB", 1024.0),
    "mb": ("MB", 1000.0**2),
    "mib": ("MiB", 1024.0**2),
    "bpp": ("bpp", 0.0),
}
"""Lower-case spelling -> (canonical spelling, bytes per unit); bpp is a rate, not a size."""

_NUMBER = r"(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+)(?:[eE](?P<exp>[-+]?\d+))?"
_PATTERN = re.compile(rf"^\s*{_NUMBER}\s*(?P<unit>[A-Za-z]*)\s*$")
_HINT = "e.g. 20 KiB, 15000 B or 0.25 bpp"


class SizeTargetError(ValueError):
    """The text is not a size or a rate; the message says what is wrong, for the user."""


@dataclass(frozen=True)
class SizeTarget:
    """A file size (``unit`` B, kB, KiB, MB or MiB) or a rate (``unit`` bpp)."""

    value: float
    unit: str

    @property
    def is_rate(self) -> bool:
        return self.unit == "bpp"

    def bpp(self, width: int, height: int) -> float:
        """The target as bits per pixel of a ``width`` x ``height`` image."""
        if self.is_rate:
            return self.value
        return self.num_bytes() * 8.0 / (width * height)

    def num_bytes(self) -> float:
        """The target size in bytes (a rate has none without an image)."""
        if self.is_rate:
            raise ValueError("a rate in bpp has a size only for a given image")
        return self.value * _bytes_per(self.unit)

    def describe(self) -> str:
        """How the user would write it: "20 KiB", "15000 B", "0.25 bpp"."""
        return f"{self.value:g} {self.unit}"


def _bytes_per(unit: str) -> float:
    return next(size for canonical, size in UNITS.values() if canonical == unit)


def parse_size_target(text: str) -> SizeTarget:
    """Read a target; :class:`SizeTargetError` (a one-line reason) for anything else.

    The unit is required (a bare number could be bytes or bpp), case does not matter, thousands
    may be grouped with commas ("15,000 B"); a decimal comma ("0,25") is refused, not misread."""
    match = _PATTERN.match(text)
    if not match:
        raise SizeTargetError(f"Not a size: {text.strip()!r} ({_HINT})")
    unit_text = match["unit"].lower()
    if not unit_text:
        raise SizeTargetError(f"Add a unit to {match['number']}: B, kB, KiB, MB, MiB or bpp")
    if unit_text not in UNITS:
        raise SizeTargetError(f"Unknown unit {match['unit']!r}: use B, kB, KiB, MB, MiB or bpp")
    value = float(match["number"].replace(",", "") + (f"e{match['exp']}" if match["exp"] else ""))
    if not (math.isfinite(value) and value > 0):
        raise SizeTargetError(f"The target must be above zero ({_HINT})")
    unit = UNITS[unit_text][0]
    if unit == "B" and value < 1:
        raise SizeTargetError("A file has at least one byte")
    return SizeTarget(value, unit)
