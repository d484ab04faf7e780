"""Small file jobs off the GUI thread: loading the reference image, reading a bitstream file,
writing exports atomically. Each load carries a generation so a slow, superseded load is dropped.
"""

from __future__ import annotations

import traceback
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from codec.errors import CodecError

from app.core.atomic import OverwriteOriginalError, atomic_write_bytes, export_png
from app.core.image_io import ImageLoadError, load_image

__all__ = ["FileJobs"]


class _Task(QRunnable):
    def __init__(self, fn) -> None:
        super().__init__()
        self._fn = fn
        self.setAutoDelete(True)

    def run(self) -> None:
        self._fn()


class FileJobs(QObject):
    imageLoaded = Signal(int, object)  # generation, LoadedImage
    imageFailed = Signal(int, str)
    bytesRead = Signal(int, str, bytes)  # generation, path, data
    written = Signal(str)  # path
    writeFailed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.generation = 0

    def load_image(self, path: Path) -> int:
        """Load ``path`` in the background; only the newest generation's answer matters."""
        self.generation += 1
        generation = self.generation

        def task() -> None:
            try:
                image = load_image(path)
            except ImageLoadError as exc:
                self.imageFailed.emit(generation, str(exc))
            except CodecError as exc:
                self.imageFailed.emit(generation, f"{path.name}: {exc}")
            except MemoryError:
                self.imageFailed.emit(generation, f"{path.name} is too large for the available memory")
            except Exception as exc:  # noqa: BLE001 - a bug must not kill the pool thread
                traceback.print_exc()
                self.imageFailed.emit(generation, f"{path.name}: unexpected error {exc!r}")
            else:
                self.imageLoaded.emit(generation, image)

        self.pool.start(_Task(task))
        return generation

    def read_bytes(self, path: Path, limit: int = 256 * 1024 * 1024) -> int:
        self.generation += 1
        generation = self.generation

        def task() -> None:
            try:
                size = path.stat().st_size
                if size > limit:
                    raise OSError(f"{path.name} is too large to be a bitstream ({size:,} bytes)")
                data = path.read_bytes()
            except OSError as exc:
                self.imageFailed.emit(generation, f"cannot read {path.name}: {exc.strerror or exc}")
            else:
                self.bytesRead.emit(generation, str(path), data)

        self.pool.start(_Task(task))
        return generation

    def write_bytes(self, path: Path, data: bytes, protect: tuple[Path, ...] = ()) -> None:
        self._write(path, lambda: atomic_write_bytes(path, data, protect=protect))

    def write_png(self, path: Path, pixels: np.ndarray, protect: tuple[Path, ...] = ()) -> None:
        self._write(path, lambda: export_png(path, pixels, protect=protect))

    def _write(self, path: Path, action) -> None:
        def task() -> None:
            try:
                action()
            except OverwriteOriginalError as exc:
                self.writeFailed.emit(str(exc))
            except OSError as exc:
                self.writeFailed.emit(f"cannot write {path.name}: {exc.strerror or exc}")
            except CodecError as exc:  # codec.atomic reports write failures as CodecError
                self.writeFailed.emit(str(exc))
            else:
                self.written.emit(str(path))

        self.pool.start(_Task(task))

    def shutdown(self, timeout_ms: int = 5000) -> None:
        self.pool.clear()
        self.pool.waitForDone(timeout_ms)
