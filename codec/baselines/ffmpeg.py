"""Running the FFmpeg binary bundled with imageio-ffmpeg, and asking what it can do.

HEVC (libx265) and VVC (libvvenc + FFmpeg's native VVC decoder) are not available as Python
libraries; imageio-ffmpeg ships one static FFmpeg build that has both. We talk to it through
pipes only (raw frames in, elementary stream out and back), so nothing touches the disk.
"""

from __future__ import annotations

import functools
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from codec.errors import CodecError

__all__ = ["FFmpegInfo", "ffmpeg_info", "run_ffmpeg"]

#: Generous: VVenC's slowest preset on a large image takes minutes.
TIMEOUT_SECONDS = 1800.0


@dataclass(frozen=True)
class FFmpegInfo:
    """An FFmpeg binary (or why there is none) and the components it was built with."""

    exe: str | None
    version: str
    encoders: frozenset[str]
    decoders: frozenset[str]
    filters: frozenset[str]
    problem: str | None = None

    def missing(self, *, encoders: Sequence[str] = (), decoders: Sequence[str] = (),
                filters: Sequence[str] = ()) -> str | None:
        """A reason string naming what is missing, or ``None`` when all is there."""
        if self.exe is None:
            return self.problem or "no FFmpeg binary"
        lacking = [f"encoder {e}" for e in encoders if e not in self.encoders]
        lacking += [f"decoder {d}" for d in decoders if d not in self.decoders]
        lacking += [f"filter {f}" for f in filters if f not in self.filters]
        if lacking:
            return f"FFmpeg {self.version} ({self.exe}) lacks " + ", ".join(lacking)
        return None


def _names(listing: str) -> frozenset[str]:
    # "-encoders"/"-decoders"/"-filters" print a legend, a line of dashes, then one component
    # per line: " V....D libx265  libx265 H.265 / HEVC"  or  " .. zscale  V->V  Apply ...".
    names: set[str] = set()
    started = False
    for line in listing.splitlines():
        if not started:
            started = bool(re.fullmatch(r"\s*-{3,}\s*", line))
            continue
        parts = line.split()
        if len(parts) >= 2:
            names.add(parts[1])
    return frozenset(names)


@functools.cache
def ffmpeg_info() -> FFmpegInfo:
    """Locate imageio-ffmpeg's binary and list its encoders, decoders and filters (cached)."""
    try:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # noqa: BLE001 - ImportError, RuntimeError when no binary is found, or a broken install
        return FFmpegInfo(None, "", frozenset(), frozenset(), frozenset(), f"imageio-ffmpeg: {exc}")

    def query(flag: str) -> str:
        done = subprocess.run([exe, "-hide_banner", flag], capture_output=True, text=True, timeout=60)
        return done.stdout

    try:
        version_line = query("-version").splitlines()[0]
        version = version_line.split()[2] if len(version_line.split()) > 2 else version_line
        return FFmpegInfo(
            exe, version, _names(query("-encoders")), _names(query("-decoders")), _names(query("-filters"))
        )
    except (OSError, subprocess.SubprocessError, IndexError) as exc:
        return FFmpegInfo(None, "", frozenset(), frozenset(), frozenset(), f"cannot run {exe}: {exc}")


def run_ffmpeg(args: Sequence[str], data: bytes, what: str) -> bytes:
    """Run FFmpeg with ``args`` (after the binary), feeding ``data`` on stdin; return stdout.

    Raises CodecError with the tail of FFmpeg's log when it fails.
    """
    info = ffmpeg_info()
    if info.exe is None:
        raise CodecError(f"{what}: {info.problem}")
    cmd = [info.exe, "-hide_banner", "-nostdin", "-loglevel", "error", *args]
    try:
        done = subprocess.run(cmd, input=data, capture_output=True, timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise CodecError(f"{what}: FFmpeg took longer than {TIMEOUT_SECONDS:.0f} s") from None
    if done.returncode != 0 or not done.stdout:
        log = done.stderr.decode(errors="replace").strip().splitlines()
        tail = " | ".join(log[-3:]) if log else f"exit code {done.returncode}"
        raise CodecError(f"{what} failed: {tail}")
    return done.stdout
