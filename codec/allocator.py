"""Keep freed memory for the next tensor: glibc allocator settings for a process that codes images.

A decode or an LOF iteration allocates and frees the same few large tensors over and over (a Kodak
image's synthesis: 12.6 MB per full-resolution layer). glibc's malloc hands blocks that large to
``mmap`` and, when they are freed, gives the pages back to the kernel (directly, or by trimming the
top of its heap), so each new tensor is fresh pages: a page fault and a page of zeros for every
4 KiB, before any arithmetic. Measured on this project's machine (2 cores, trainer paused): the bf16
synthesis of a Kodak image took 52-55 ms this way and 32.5 ms with freed blocks kept; an encode and ten decodes of
kodim23 made 206k minor page faults against 76k, three 2048x1365 decodes 509k against 191k, with the
same peak memory (within 3 %).

:func:`retain_freed_memory` raises glibc's mmap threshold to its maximum (32 MiB on 64-bit systems)
and keeps up to 256 MiB of freed memory at the top of the heap instead of returning it. Blocks above
32 MiB are still mapped and unmapped as before, so a huge image's peak is returned as it was.

Settings are per process, so the library never changes them on import: the programs that own their
process (``msp``, ``msp-studio``) call this at start-up. It does nothing where the C library is not
glibc, when the user set glibc's malloc options in the environment, or when
``MSP_RETAIN_FREED_MEMORY=0``.
"""

from __future__ import annotations

import ctypes
import os
import platform
from dataclasses import dataclass

__all__ = ["AllocatorSettings", "retain_freed_memory", "MMAP_THRESHOLD_BYTES", "TRIM_THRESHOLD_BYTES"]

# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
"""The largest mmap threshold glibc accepts on 64-bit systems (HEAP_MAX_SIZE / 2)."""

TRIM_THRESHOLD_BYTES = 256 * 1024 * 1024
"""At most this much freed memory stays at the top of the heap (a 2048x1365 decode made as few page
faults with 256 MiB as with 4 GiB)."""

# The environment through which a user already tunes glibc's malloc: theirs wins.
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_")


@dataclass(frozen=True)
class AllocatorSettings:
    """What :func:`retain_freed_memory` did: ``applied``, or why not in ``reason``."""

    applied: bool
    reason: str


def _user_tunes_malloc(environ: dict[str, str]) -> bool:
    return any(name in environ for name in _USER_SETTINGS) or "glibc.malloc" in environ.get("GLIBC_TUNABLES", "")


def retain_freed_memory(environ: dict[str, str] | None = None) -> AllocatorSettings:
    """Ask glibc to keep freed blocks of up to 32 MiB for reuse (see the module docstring)."""
    env = dict(os.environ if environ is None else environ)
    if env.get("MSP_RETAIN_FREED_MEMORY", "1") == "0":
        return AllocatorSettings(False, "MSP_RETAIN_FREED_MEMORY=0")
    if _user_tunes_malloc(env):
        return AllocatorSettings(False, "glibc's malloc options are set in the environment")
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return AllocatorSettings(False, "the C library is not glibc")
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # the process' own symbols: glibc's
    if mallopt is None:
        return AllocatorSettings(False, "the C library has no mallopt")
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success; setting either ends glibc's own adjustment of both thresholds.
    if mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) != 1 or mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) != 1:
        return AllocatorSettings(False, "mallopt refused the settings")
    return AllocatorSettings(True, "freed blocks up to 32 MiB are kept for reuse")
