"""Atomic file output: a crash or a full disk never leaves a half-written file behind.

Data goes to a temporary file in the target's directory, is flushed to disk, and only then
takes the target's name. With ``overwrite=False`` the final step is a hard link, which fails
if the name exists, so an existing file (the user's original) is never replaced.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from codec.errors import CodecError

__all__ = ["write_bytes_atomic", "check_output_path", "OutputExistsError"]


class OutputExistsError(CodecError):
    """The output path exists and overwriting was not asked for."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_output_path(path: str | Path, overwrite: bool = False) -> Path:
    """Everything that can be known about writing ``path`` before the work that produces its
    data: callers check first, so a long encode never ends in "cannot write".

    Only a regular file is ever replaced: with ``overwrite`` a FIFO, a device node or a symbolic
    link would otherwise be swapped for a regular file (or, followed, write somewhere else)."""
    path = Path(path)
    if str(path) == "-":
        raise CodecError("writing to standard output is not supported: give the output a file name")
    if path.is_symlink():
        raise CodecError(f"{path} is a symbolic link; refusing to replace it")
    if path.is_dir():
        raise CodecError(f"{path} is a directory")
    if path.exists():
        if not overwrite:
            raise OutputExistsError(f"{path} exists; refusing to overwrite it (use --force to replace it)")
        if not path.is_file():
            raise CodecError(f"{path} is not a regular file (a pipe or a device); refusing to replace it")
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise CodecError(f"cannot write {path}: the directory {directory} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise CodecError(f"cannot write {path}: no permission to write in {directory}")
    return path


def write_bytes_atomic(path: str | Path, data: bytes, overwrite: bool = False) -> Path:
    path = check_output_path(path, overwrite)
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=directory)
    except OSError as exc:
        raise CodecError(f"cannot write to {directory}: {exc.strerror or exc}") from None
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600 files; outputs get normal permissions
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise OutputExistsError(f"{path} exists; refusing to overwrite it") from None
            except OSError:  # file systems without hard links: best effort exclusive rename
                if path.exists():
                    raise OutputExistsError(f"{path} exists; refusing to overwrite it") from None
                os.replace(tmp, path)
    except OSError as exc:
        raise CodecError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path
