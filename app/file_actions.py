"""Opening and saving for the controller (Qt, no widgets): images, folders and .msp files in,
bitstreams and PNGs out.

Loads and writes run on :class:`~app.workers.io_jobs.FileJobs`. Every open starts a new load
generation and only the newest one's answer counts, so a slow load that a later open superseded
never replaces the image. A .msp file is decoded on the MSP worker: when it has the current
image's size it lands on side B, measured against it; otherwise it becomes the reference.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from codec.image_io import IMAGE_SUFFIXES

from app.core.batch import BatchQueue, images_in_folder
from app.core.image_io import FLATTENED_ONTO, ImageLoadError, LoadedImage, image_from_array
from app.core.results import EncodeOutcome
from app.core.side_jobs import SideJobs
from app.core.state import ComparisonState, SideName
from app.workers.io_jobs import FileJobs
from app.workers.service import EncodeService

__all__ = ["FileActions", "BITSTREAM_SUFFIXES"]

BITSTREAM_SUFFIXES = (".msp",)


class FileActions(QObject):
    message = Signal(str, str)  # level ("info" | "warning" | "error"), text
    headerOpened = Signal(str, str)  # title, header dump
    imageLoading = Signal(str)  # file name
    imageOpened = Signal(object, str)  # LoadedImage that becomes the reference, what to tell the user
    fileShownOnB = Signal()  # a decoded .msp is on side B now: B is the user's choice

    def __init__(self, state: ComparisonState, batch: BatchQueue, service: EncodeService, files: FileJobs,
                 side_jobs: SideJobs, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.batch = batch
        self.service = service
        self.files = files
        self.side_jobs = side_jobs
        self._load_generation = 0
        self._bitstream_jobs: set[int] = set()
        files.imageLoaded.connect(self._on_image_loaded)
        files.imageFailed.connect(self._on_image_failed)
        files.bytesRead.connect(self._on_bytes_read)
        files.written.connect(lambda path: self.message.emit("info", f"Saved {path}"))
        files.writeFailed.connect(lambda text: self.message.emit("error", text))
        service.bitstreamOpened.connect(self._on_bitstream_opened)
        service.jobFailed.connect(self._on_failed)

    # -- opening --------------------------------------------------------------------------------
    def open_paths(self, paths: list[Path]) -> None:
        """Dropped or chosen paths: the first image opens, folders and further images queue up."""
        opened = False
        to_queue: list[Path] = []
        for path in paths:
            if path.is_dir():
                found = images_in_folder(path)
                to_queue.extend(found)
                if not found:
                    self.message.emit("warning", f"No images found in folder {path.name}")
                continue
            if not opened:
                self.open_path(path)
                opened = True
            elif path.suffix.lower() in IMAGE_SUFFIXES:
                to_queue.append(path)
        # One add for the whole drop: thousands of files cost one model reset, not thousands.
        queued = self.batch.add(to_queue)
        if queued:
            self.message.emit("info", f"Added {queued} image(s) to the batch queue")

    def open_path(self, path: Path) -> None:
        """Start loading ``path`` (an image, or a .msp file to decode); a folder goes to the batch queue."""
        path = Path(path)
        if path.is_dir():
            self.open_paths([path])
            return
        if path.suffix.lower() in BITSTREAM_SUFFIXES:
            self._load_generation = self.files.read_bytes(path)
        else:
            self._load_generation = self.files.load_image(path)
        self.imageLoading.emit(path.name)

    def _on_image_loaded(self, generation: int, image: LoadedImage) -> None:
        if generation != self._load_generation:
            return  # a newer open superseded this one
        self.imageOpened.emit(image, f"Opened {image.describe()}")
        if image.flattened:  # what is compared is not quite the file: say so, and stay until read
            self.message.emit("warning", f"Opened {image.describe()}. It has transparency: MSP Studio compares "
                                         f"it flattened onto {FLATTENED_ONTO}, as every codec here encodes it.")

    def _on_image_failed(self, generation: int, text: str) -> None:
        if generation == self._load_generation:
            self.message.emit("error", text)

    def _on_bytes_read(self, generation: int, path: str, data: bytes) -> None:
        if generation != self._load_generation:
            return
        device = self.state.b.settings.device  # the CPU unless B's codec has a choice of devices
        self._bitstream_jobs.add(self.service.open_bitstream(data, device, self.state.image, Path(path).name))

    def _on_bitstream_opened(self, job_id: int, outcome: EncodeOutcome, pixels: np.ndarray) -> None:
        self._bitstream_jobs.discard(job_id)
        self.headerOpened.emit(outcome.source_name, outcome.header_text)
        image = self.state.image
        if image is not None and outcome.image_key == image.key:
            # Same size as the current image: show the file on side B, measured against it.
            self.side_jobs.show(SideName.B, outcome, f"decoded {outcome.source_name}")
            self.fileShownOnB.emit()
            self.message.emit("info", f"Decoded {outcome.source_name} onto side B")
            return
        try:
            decoded = image_from_array(pixels, name=f"{outcome.source_name} (decoded)", fmt="MSP",
                                       file_bytes=outcome.num_bytes)
        except ImageLoadError as exc:
            self.message.emit("error", str(exc))
            return
        self.imageOpened.emit(decoded, f"Decoded {outcome.source_name}: it is now the reference image")

    def _on_failed(self, job_id: int, text: str) -> None:
        if job_id in self._bitstream_jobs:
            self._bitstream_jobs.discard(job_id)
            self.message.emit("error", text)

    # -- saving -------------------------------------------------------------------------------
    def _protected(self) -> tuple[Path, ...]:
        """The opened original: never a save target."""
        image = self.state.image
        return (image.path,) if image is not None and image.path is not None else ()

    def save_bitstream(self, name: SideName, path: Path) -> bool:
        """Write the side's compressed file (atomically); False, with a warning, when it has none."""
        result = self.state.side(name).result
        if result is None or not result.data:
            self.message.emit("warning", f"Side {name.value} has no bitstream to save")
            return False
        self.files.write_bytes(Path(path), result.data, protect=self._protected())
        return True

    def export_png(self, name: SideName, path: Path) -> bool:
        """Write the side's reconstruction as PNG (atomically); False, with a warning, when it has none."""
        result = self.state.side(name).result
        if result is None:
            self.message.emit("warning", f"Side {name.value} has no reconstruction to export")
            return False
        self.files.write_png(Path(path), result.reconstruction, protect=self._protected())
        return True
