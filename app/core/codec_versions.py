"""What produced a codec's RD points, as a short id, so saved points are only shown when the same
codec would measure them again.

The disk cache (:mod:`app.core.rd_disk_cache`) keeps each point with this id: new weights, a new
library or a changed quality map give a new id, and the old points are then never shown.

- Classic codecs: a digest of the codec's own description (library and version, settings,
  quality map), the record the catalogue keeps so that every curve says what produced it.
- Learned codecs: the model id of the weights the MSP worker loaded and the bitstream format
  version (the profile is in the key already). Their description is not used: building it imports ``codec.api`` and torch, which
  must never happen on the GUI thread.
- None where the producer is unknown (MSP still loading or unavailable, the original, a key that
  is no longer in the catalogue): such points are neither saved nor restored.
"""

from __future__ import annotations

import functools
import hashlib

from codec.bitstream import FORMAT_VERSION
from codec.errors import CodecError

from app.core.backends.msp import MspInfo
from app.core.codecs import codec_entry

__all__ = ["codec_version"]


def codec_version(key: str, msp: MspInfo) -> str | None:
    """The id of what measures ``key``'s points now; None when it is not known."""
    try:
        entry = codec_entry(key)
    except CodecError:
        return None
    if entry is None:
        return None
    if entry.kind == "learned":
        known = msp.available and bool(msp.model_id) and key.partition(":")[0] in msp.codecs
        return _digest(f"{key}; model {msp.model_id}; format {FORMAT_VERSION}") if known else None
    return _classic_version(key)


@functools.cache
def _classic_version(key: str) -> str | None:
    """Computed once per run: the library versions cannot change while the app runs. The first
    call for an FFmpeg codec runs the FFmpeg binary a few times (a fraction of a second)."""
    try:
        entry = codec_entry(key)
        description = entry.make().describe() if entry is not None else None
    except Exception:  # noqa: BLE001 - a codec that cannot even describe itself keeps no points
        return None
    if description is None:
        return None
    return _digest(f"{key}; {description.text()}")


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
