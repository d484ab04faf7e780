"""Argument types shared by the commands: a bad value is argparse's one-line usage error,
never a traceback from deep inside the work."""

from __future__ import annotations

import argparse
from pathlib import Path

from codec.errors import CodecError

__all__ = ["positive_int", "positive_float", "pixel_count", "image_folder", "KODAK_DEFAULT", "KODAK_SOURCE"]


def positive_int(text: str) -> int:
    """An integer of at least 1 (counts of threads, repeats, points, workers, steps)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """A finite number above 0 (factors, rates)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text}")
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


#: Where the evaluation set is in a development checkout (the shared data folder beside the repository).
KODAK_DEFAULT = "../shared/data/kodak"
KODAK_SOURCE = (
    "the Kodak Lossless True Color Image Suite (kodim01.png .. kodim24.png, free to redistribute): "
    "download the 24 PNGs from https://r0k.us/graphics/kodak/ into a folder and give that folder"
)


def image_folder(path: str | Path, option: str, default: str | None = None) -> Path:
    """``path`` if it is a folder (of any images: the command lists what is in it), else a
    :class:`CodecError` that says what ``option`` takes and, where its default is Kodak's place
    in a checkout, where Kodak comes from."""
    folder = Path(path)
    if folder.is_dir():
        return folder
    message = f"{option} {path}: no such folder. {option} takes any folder of images"
    if default is not None:
        where = "the default is where a development checkout keeps Kodak" if str(path) == default else "for Kodak"
        message += f"; {where}, {KODAK_SOURCE}"
    raise CodecError(message)
