"""The .msp container: a validated header and CRC-protected, length-prefixed segments.

Layout (all integers little-endian)::

    magic "MSPc" | u8 format version | 8-byte model id | u8 profile-name length | profile name
    | u16 quality (x 65535) | u32 height | u32 width | u8 segment count
    | u32 header CRC32 (over everything before it)
    then per segment: u32 length | u32 CRC32 | payload

The entropy coder cannot tell corrupt data from valid data, so this container must: every
field is range-checked before anything is allocated, every payload is checksummed, and the
file must end exactly where the last segment ends.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from codec.errors import BitstreamError, ModelMismatchError
from codec.image_io import MAX_PIXELS, MAX_SIDE

__all__ = ["MAGIC", "FORMAT_VERSION", "Container", "pack", "unpack", "quality_to_code", "code_to_quality"]

MAGIC = b"MSPc"
# 3: truncated alphabets with escapes; 2: a step's symbols grouped by scale index (coder.py); 1: raster order
FORMAT_VERSION = 3
MAX_PROFILE_NAME = 32
MAX_SEGMENTS = 16
MODEL_ID_LEN = 8
_FIXED = struct.Struct("<4sB8sB")
_TAIL = struct.Struct("<HIIB")
_U32 = struct.Struct("<I")
_SEG = struct.Struct("<II")


@dataclass(frozen=True)
class Container:
    model_id: str  # 16 hex digits
    profile: str
    quality_code: int  # quality * 65535, rounded
    height: int
    width: int
    segments: tuple[bytes, ...]

    @property
    def quality(self) -> float:
        return code_to_quality(self.quality_code)


def quality_to_code(quality: float) -> int:
    return round(min(max(float(quality), 0.0), 1.0) * 65535)


def code_to_quality(code: int) -> float:
    return code / 65535


def pack(container: Container) -> bytes:
    name = container.profile.encode("ascii")
    if not 0 < len(name) <= MAX_PROFILE_NAME:
        raise BitstreamError(f"profile name must be 1..{MAX_PROFILE_NAME} ASCII characters")
    if len(container.segments) > MAX_SEGMENTS:
        raise BitstreamError("too many segments")
    header = (
        _FIXED.pack(MAGIC, FORMAT_VERSION, bytes.fromhex(container.model_id), len(name))
        + name
        + _TAIL.pack(container.quality_code, container.height, container.width, len(container.segments))
    )
    parts = [header, _U32.pack(zlib.crc32(header))]
    for seg in container.segments:
        parts.append(_SEG.pack(len(seg), zlib.crc32(seg)))
        parts.append(seg)
    return b"".join(parts)


def unpack(data: bytes, expected_model_id: str | None = None) -> Container:
    """Parse and validate; raises BitstreamError (ModelMismatchError for other weights)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise BitstreamError("bitstream must be bytes")
    data = bytes(data)
    if len(data) < _FIXED.size:
        if not MAGIC.startswith(data[:4]) or not data:
            raise BitstreamError("not an MSP bitstream (bad magic)" if data else "empty bitstream")
        raise BitstreamError(f"truncated bitstream: {len(data)} bytes is shorter than the header")
    magic, version, model_id, name_len = _FIXED.unpack_from(data, 0)
    if magic != MAGIC:
        raise BitstreamError("not an MSP bitstream (bad magic)")
    if version != FORMAT_VERSION:
        raise ModelMismatchError(
            f"bitstream format version {version} is not supported (this codec reads version {FORMAT_VERSION})"
        )
    if not 0 < name_len <= MAX_PROFILE_NAME:
        raise BitstreamError(f"corrupt header: profile name length {name_len}")
    pos = _FIXED.size
    header_end = pos + name_len + _TAIL.size
    if len(data) < header_end + _U32.size:
        raise BitstreamError("truncated bitstream: header incomplete")
    (stored_crc,) = _U32.unpack_from(data, header_end)
    if zlib.crc32(data[:header_end]) != stored_crc:
        raise BitstreamError("corrupt header: checksum mismatch")
    try:
        profile = data[pos : pos + name_len].decode("ascii")
    except UnicodeDecodeError:
        raise BitstreamError("corrupt header: profile name is not ASCII") from None
    quality_code, height, width, n_segments = _TAIL.unpack_from(data, pos + name_len)
    if not (1 <= height <= MAX_SIDE and 1 <= width <= MAX_SIDE and height * width <= MAX_PIXELS):
        raise BitstreamError(f"corrupt header: image size {width}x{height} out of range")
    if not 1 <= n_segments <= MAX_SEGMENTS:
        raise BitstreamError(f"corrupt header: {n_segments} segments")
    model_hex = model_id.hex()
    if expected_model_id is not None and model_hex != expected_model_id:
        raise ModelMismatchError(
            f"bitstream was written by model {model_hex}, but the loaded weights are {expected_model_id}"
        )
    pos = header_end + _U32.size
    segments = []
    for i in range(n_segments):
        if len(data) < pos + _SEG.size:
            raise BitstreamError(f"truncated bitstream: segment {i} header missing")
        length, crc = _SEG.unpack_from(data, pos)
        pos += _SEG.size
        if length > len(data) - pos:
            raise BitstreamError(f"truncated bitstream: segment {i} needs {length} bytes, {len(data) - pos} left")
        payload = data[pos : pos + length]
        if zlib.crc32(payload) != crc:
            raise BitstreamError(f"corrupt bitstream: checksum mismatch in segment {i}")
        segments.append(payload)
        pos += length
    if pos != len(data):
        raise BitstreamError(f"corrupt bitstream: {len(data) - pos} unexpected bytes after the last segment")
    return Container(model_hex, profile, quality_code, height, width, tuple(segments))
