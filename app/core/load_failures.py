"""Why an image could not be opened, in a person's words, with Pillow's words kept as the detail.

Pillow's messages ("cannot identify image file", "image file is truncated (57 bytes not
processed)") describe its parser, not the file: a user needs to hear what is wrong with the file
(not an image, cut short, damaged) to know what to do about it. The technical text stays, in
parentheses after "details:", for whoever reports or debugs it.
"""

from __future__ import annotations

import struct
from pathlib import Path

from PIL import Image, UnidentifiedImageError

__all__ = ["explain_unreadable", "pillow_cause"]

# Pillow's words for a file that ends early (ImageFile.load, PngImagePlugin, the TIFF reader).
_CUT_SHORT = ("truncated", "unexpected end of file", "buffer is not large enough", "not enough data")


def pillow_cause(error: BaseException) -> BaseException:
    """The reader's own exception behind ``error``. ``codec.image_io`` re-raises Pillow's failures
    as ``ImageInputError(...) from None``, which hides the cause from tracebacks but keeps it as
    ``__context__`` (PEP 415): the kind of failure is read from there, not from message text."""
    context = error.__context__
    return context if context is not None and error.__suppress_context__ else error


def _detail(error: BaseException, path: Path) -> str:
    """The reader's message, with the file's name for its full path (the message bar is narrow)."""
    return str(error).replace(str(path), path.name).strip() or type(error).__name__


def explain_unreadable(path: Path, error: BaseException) -> str:
    """One line for the message bar: what is wrong with ``path``, then ``(details: …)``."""
    cause = pillow_cause(error)
    name = path.name
    detail = _detail(cause, path)
    if isinstance(cause, UnidentifiedImageError):
        plain = f"{name} is not an image MSP Studio can read"
    elif isinstance(cause, Image.DecompressionBombError):
        plain = f"{name} declares too many pixels to open safely"
    elif isinstance(cause, EOFError) or any(words in detail.lower() for words in _CUT_SHORT):
        plain = f"{name} is cut short: the file ends before the image does, as after an unfinished copy or download"
    elif isinstance(cause, (OSError, SyntaxError, ValueError, struct.error)):
        plain = f"{name} is damaged or incomplete: its image data cannot be decoded"
    else:
        plain = f"{name} cannot be read as an image"
    return f"{plain} (details: {detail})"
