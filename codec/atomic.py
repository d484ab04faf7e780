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

__all__ = ["write_bytes_atomic", "OutputExistsError"]


class OutputExistsError(CodecError):
    """The output path exists and overwriting was not asked for."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: str | Path, data: bytes, overwrite: bool = False) -> Path:
    path = Path(path)
    if path.is_dir():
        raise CodecError(f"{path} is a directory")
    if not overwrite and path.exists():
        raise OutputExistsError(f"{path} exists; refusing to overwrite it (use --force to replace it)")
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
