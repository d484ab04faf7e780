"""Argument types shared by the commands: a bad value is argparse's one-line usage error,
never a traceback from deep inside the work."""

from __future__ import annotations

import argparse

__all__ = ["positive_int", "pixel_count"]


def positive_int(text: str) -> int:
    """An integer of at least 1 (counts of threads, repeats, points, workers, steps)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


_PIXEL_UNITS = {"": 1, "k": 10**3, "m": 10**6}


def pixel_count(text: str) -> int:
    """A number of pixels, plain or with a k / M suffix (``24M``, ``2.5M``, ``500k``)."""
    number, unit = text.strip(), ""
    if number[-1:].lower() in ("k", "m"):
        number, unit = number[:-1], number[-1].lower()
    try:
        value = int(float(number) * _PIXEL_UNITS[unit])
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a pixel count such as 24000000 or 24M, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 pixel, got {text!r}")
    return value
