"""RD points kept on disk between sessions, so a relaunch does not sweep the same image again.

One small JSON file per image, named by the image's content hash: a broken file costs only that
image's points, and writing a new point rewrites a few kilobytes, not the whole cache. Each point
carries the id of what measured it (:func:`app.core.codec_versions.codec_version`): points of
other weights or library versions stay in the file (switching back finds them) but the caller
shows only the current ones. Only numbers are kept, never pixels or bitstreams.

Schema 2 added SSIMULACRA2 and FLIP to each point. A file of schema 1 is discarded like any file
not of this schema: its points lack them, and a restored point is never measured again (the
sweep plans only what the store lacks), so they would stay without them for good.

Bounded by total size and by image count: the least recently used images go first, their files'
modification times serving as the clock (set explicitly, so the order never depends on the file
system's timestamp resolution).

Everything here is a cache: a file that is unreadable, too big, not ours or forged is discarded
and a point that does not check out is skipped, and a failed write is silently dropped; nothing
raises to the caller. Writes are atomic (:func:`app.core.atomic.atomic_write_bytes`).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from codec.errors import CodecError

from app.core.atomic import atomic_write_bytes
from app.core.codecs import SideSettings
from app.core.results import RDPoint

__all__ = ["RDDiskCache", "StoredPoint", "SCHEMA", "MAX_FILE_BYTES", "MAX_POINTS_PER_IMAGE"]

SCHEMA = "msp-studio/rd-points/2"
MAX_FILE_BYTES = 1 << 20
"""One image's file: a real one stays far below (about 200 bytes a point); a bigger one is not ours."""
MAX_POINTS_PER_IMAGE = 2000
"""Every bitrate-search probe is a point too: the oldest go first beyond this."""

_IMAGE_KEY = re.compile(r"[0-9a-f]{16,128}")  # LoadedImage.key: a hex digest, safe as a file name
_OUR_FILE = re.compile(r"(?P<key>[0-9a-f]{16,128})\.json|\.[0-9a-f]{16,128}\.json\..+\.part")
_MAX_TEXT = 128  # longest codec key, device or version id a point may carry


@dataclass(frozen=True)
class StoredPoint:
    """An RD point and the id of the codec version that measured it."""

    point: RDPoint
    codec_version: str


class RDDiskCache:
    """The RD points of past sessions, per image, under ``folder`` (created on the first write)."""

    def __init__(self, folder: Path, max_bytes: int = 5 << 20, max_images: int = 500) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.max_images = max_images
        self._clock = 0  # the last LRU time handed out (ns), so that every touch is strictly later

    def load(self, image_key: str) -> tuple[StoredPoint, ...]:
        """The saved points of ``image_key`` (none if nothing usable is saved); marks it as just used."""
        path = self._path(image_key)
        if path is None:
            return ()
        points = self._read(path, image_key)
        if points:
            self._touch(path)
        return points

    def put(self, image_key: str, stored: StoredPoint) -> bool:
        """Save one point (replacing the same settings of the same version); True if the file changed."""
        path = self._path(image_key)
        if path is None or _point_json(stored) is None:
            return False
        points = self._read(path, image_key)
        if stored in points:
            return False  # a result answered again from the service's memory: nothing new
        kept = [p for p in points if (p.point.settings, p.codec_version) != (stored.point.settings, stored.codec_version)]
        kept = [*kept, stored][-MAX_POINTS_PER_IMAGE:]
        if not self._write(path, image_key, kept):
            return False
        self._touch(path)
        self._evict(keep=path)
        return True

    def clear(self) -> int:
        """Forget every saved point; returns how many files were removed."""
        removed = 0
        for path, _ in self._files():
            removed += _remove(path)
        return removed

    def disk_usage(self) -> tuple[int, int]:
        """(images, bytes) on disk now, temporary files included in the bytes."""
        files = self._files()
        return sum(1 for path, _ in files if _is_image_file(path)), sum(st.st_size for _, st in files)

    # -- files ----------------------------------------------------------------------------------
    def _path(self, image_key: str) -> Path | None:
        return self.folder / f"{image_key}.json" if _IMAGE_KEY.fullmatch(image_key) else None

    def _read(self, path: Path, image_key: str) -> tuple[StoredPoint, ...]:
        """The valid points of an image's file; a file that is not a valid one of ours is discarded."""
        data = _read_regular_file(path)
        if data is None:
            return ()
        try:
            document = json.loads(data.decode("utf-8"))
        except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested beyond reason
            document = None
        if (not isinstance(document, dict) or document.get("schema") != SCHEMA
                or document.get("image") != image_key or not isinstance(document.get("points"), list)):
            _remove(path)  # not ours, another image's (renamed) or from an unknown future: start afresh
            return ()
        points = (_parse_point(item) for item in document["points"])
        return tuple(p for p in points if p is not None)

    def _write(self, path: Path, image_key: str, points: list[StoredPoint]) -> bool:
        items = [item for item in map(_point_json, points) if item is not None]
        document = {"schema": SCHEMA, "image": image_key, "points": items}
        data = json.dumps(document, allow_nan=False, separators=(",", ":")).encode()
        try:
            atomic_write_bytes(path, data)
        except (CodecError, OSError):  # a full disk or a read-only home: the points stay in memory only
            return False
        return True

    def _touch(self, path: Path) -> None:
        self._clock = max(time.time_ns(), self._clock + 1)
        with contextlib.suppress(OSError):  # an untouched file is only evicted a little early
            os.utime(path, ns=(self._clock, self._clock))

    def _files(self) -> list[tuple[Path, os.stat_result]]:
        """Our files in the folder (images and leftover temporary files), with their status."""
        found: list[tuple[Path, os.stat_result]] = []
        try:
            with os.scandir(self.folder) as entries:
                for entry in entries:
                    if _OUR_FILE.fullmatch(entry.name):
                        try:
                            found.append((Path(entry.path), entry.stat(follow_symlinks=False)))
                        except OSError:
                            continue
        except OSError:  # no folder yet, or not readable
            return []
        return found

    def _evict(self, keep: Path) -> None:
        """Remove the least recently used files until both limits hold (never ``keep``, just written)."""
        files = sorted(self._files(), key=lambda item: item[1].st_mtime_ns)
        total = sum(st.st_size for _, st in files)
        images = sum(1 for path, _ in files if _is_image_file(path))
        for path, st in files:
            if total <= self.max_bytes and images <= self.max_images:
                return
            if path == keep or not _remove(path):
                continue
            total -= st.st_size
            images -= _is_image_file(path)


def _is_image_file(path: Path) -> bool:
    return not path.name.startswith(".")


def _remove(path: Path) -> int:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        return 0
    return 1


def _read_regular_file(path: Path) -> bytes | None:
    """At most MAX_FILE_BYTES of a regular file; None (and the entry discarded) for anything else.

    Opened without following links and without blocking, then checked: a link, a FIFO or a
    device under our name (or a file grown past reason) is never read, only removed."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    except OSError:  # a link (ELOOP), no permission...
        _remove(path)
        return None
    with os.fdopen(fd, "rb") as handle:
        try:
            regular = stat.S_ISREG(os.fstat(fd).st_mode)
            data = handle.read(MAX_FILE_BYTES + 1) if regular else b""
        except OSError:
            regular, data = False, b""
    if not regular or len(data) > MAX_FILE_BYTES:
        _remove(path)
        return None
    return data


# -- one point <-> JSON ------------------------------------------------------------------------
def _point_json(stored: StoredPoint) -> dict[str, object] | None:
    """The JSON object of a point, or None for one that would not read back (NaN, odd text)."""
    point = stored.point
    item: dict[str, object] = {
        "codec": point.settings.codec, "quality": point.settings.quality, "device": point.settings.device,
        "codec_version": stored.codec_version, "bpp": point.bpp, "psnr": point.psnr, "msssim_db": point.msssim_db,
        "ssimulacra2": point.ssimulacra2, "flip": point.flip,
    }
    return item if _parse_point(item) == stored else None


def _parse_point(item: object) -> StoredPoint | None:
    """A point from its JSON object; None for anything malformed or out of range."""
    if not isinstance(item, dict):
        return None
    codec, device, version = item.get("codec"), item.get("device"), item.get("codec_version")
    if not all(isinstance(text, str) and 0 < len(text) <= _MAX_TEXT for text in (codec, device, version)):
        return None
    quality, bpp = _number(item.get("quality")), _number(item.get("bpp"))
    values = [item.get(name) for name in ("psnr", "msssim_db", "ssimulacra2", "flip")]
    if quality is None or not 0.0 <= quality <= 1.0 or bpp is None or bpp <= 0.0:
        return None
    if any(v is not None and _number(v) is None for v in values):
        return None
    try:
        settings = SideSettings(str(codec), quality, str(device))
    except (CodecError, ValueError):
        return None
    if settings.is_original:
        return None
    psnr, msssim_db, ssimulacra2, flip = (_number(v) for v in values)
    point = RDPoint(settings, bpp, psnr, msssim_db, ssimulacra2, flip)
    return StoredPoint(point, str(version))


def _number(value: object) -> float | None:
    """A finite JSON number as a float (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None
