"""The one family of errors the codec raises on purpose.

Everything a user can cause (a bad file, a corrupt bitstream, an impossible setting, a
cancelled job) surfaces as a :class:`CodecError` with a one-line message that can be shown
as-is in a terminal or a dialog. Anything else escaping the codec is a bug.
"""

from __future__ import annotations

__all__ = [
    "CodecError",
    "BitstreamError",
    "ImageInputError",
    "SizeLimitError",
    "ModelMismatchError",
    "ProfileError",
    "EncodeCancelled",
    "CodecUnavailableError",
    "WeightsError",
]


class CodecError(Exception):
    """Base class of every error the codec raises deliberately."""


class BitstreamError(CodecError):
    """A .msp bitstream is truncated, corrupt, or not a bitstream at all."""


class ImageInputError(CodecError):
    """An input image cannot be read, or is of a kind or size we refuse."""


class SizeLimitError(ImageInputError):
    """An image to encode, or the image a bitstream declares, has more pixels than the limit in
    force (the format's, or a lower one the caller set): refused before any work on it."""


class ModelMismatchError(BitstreamError):
    """The bitstream was written by other weights or another format version."""


class ProfileError(CodecError):
    """An unknown profile name or an invalid quality / setting."""


class EncodeCancelled(CodecError):  # noqa: N818 - a cancellation, not an error; a public name
    """The caller's cancel callback asked the encoder to stop."""


class CodecUnavailableError(CodecError):
    """A classic codec's library (or FFmpeg encoder) is not installed here."""


class WeightsError(CodecError):
    """The model weights are missing, unreadable, or not the file their checksum names: the
    codec refuses to run rather than code with other (or random) weights."""
