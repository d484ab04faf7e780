"""The presenter between the state objects and the workers (Qt, but no widgets).

It turns user intents (open this, change that setting, cancel, load that RD point, match B's
bitrate to A) into jobs on the :class:`~app.workers.service.EncodeService`, and job results back
into state changes. Every side request gets a job id; a result whose id is no longer the side's
current one is stale and is dropped, so a slow old encode can never overwrite a newer setting.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.core.backends.msp import MspInfo
from app.core.batch import BatchQueue, images_in_folder
from app.core.bitrate_search import BitrateSearch
from app.core.cache import ResultCache
from app.core.codecs import CLASSIC_KEYS, SideSettings, is_msp, msp_key
from app.core.image_io import IMAGE_SUFFIXES, ImageLoadError, LoadedImage, image_from_array
from app.core.pipeline import original_outcome
from app.core.rd_store import RDStore
from app.core.results import EncodeOutcome
from app.core.state import ComparisonState, JobProgress, SideName, SideState, SideStatus
from app.core.sweep import sweep_plan
from app.core.view_state import ViewState
from app.workers.io_jobs import FileJobs
from app.workers.jobs import Priority
from app.workers.service import EncodeService

__all__ = ["StudioController", "FALLBACK_CODEC"]

FALLBACK_CODEC = "avif"
"""What a side shows instead of MSP while ``codec.api`` is unavailable."""

BITSTREAM_SUFFIXES = (".msp",)


class StudioController(QObject):
    message = Signal(str, str)  # level ("info" | "warning" | "error"), text
    mspInfoChanged = Signal(object)  # MspInfo
    headerOpened = Signal(str, str)  # title, header dump
    imageLoading = Signal(str)
    sweepProgress = Signal(int, int)  # points done, points planned
    matchStatus = Signal(str)

    def __init__(self, settings_a: SideSettings, settings_b: SideSettings, *, cache: ResultCache | None = None,
                 sweep_enabled: bool = True, auto_match: bool = True, pool_threads: int | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = ComparisonState(settings_a, settings_b)
        self.view = ViewState()
        self.rd = RDStore()
        self.batch = BatchQueue()
        self.service = EncodeService(cache=cache, pool_threads=pool_threads, parent=self)
        self.files = FileJobs(self)
        self.sweep_enabled = sweep_enabled
        self.auto_match = auto_match
        self.stale_dropped = 0
        """How many results arrived for superseded requests and were dropped (for tests/diagnostics)."""

        self._side_jobs: dict[SideName, int | None] = {SideName.A: None, SideName.B: None}
        self._stale_ids: set[int] = set()
        self._sweep_plan: list[SideSettings] = []
        self._sweep_jobs: dict[int, SideSettings] = {}
        self._sweep_total = 0
        self._sweep_done = 0
        self._match: BitrateSearch | None = None
        self._match_job: int | None = None
        self._match_settings: SideSettings | None = None
        self._match_side = SideName.B
        self._load_generation = 0
        self._bitstream_jobs: set[int] = set()

        for side in self.state.sides.values():
            side.settings_changed.connect(self._start_side)
        self.service.jobStarted.connect(self._on_started)
        self.service.jobProgress.connect(self._on_progress)
        self.service.jobFinished.connect(self._on_finished)
        self.service.jobFailed.connect(self._on_failed)
        self.service.jobCancelled.connect(self._on_cancelled)
        self.service.mspReady.connect(self._on_msp_ready)
        self.service.bitstreamOpened.connect(self._on_bitstream_opened)
        self.files.imageLoaded.connect(self._on_image_loaded)
        self.files.imageFailed.connect(self._on_image_failed)
        self.files.bytesRead.connect(self._on_bytes_read)
        self.files.written.connect(lambda path: self.message.emit("info", f"Saved {path}"))
        self.files.writeFailed.connect(lambda text: self.message.emit("error", text))

    # -- properties ---------------------------------------------------------------------------
    @property
    def image(self) -> LoadedImage | None:
        return self.state.image

    @property
    def msp_info(self) -> MspInfo:
        return self.service.msp_info

    def side_job(self, name: SideName) -> int | None:
        return self._side_jobs[name]

    def matching(self) -> bool:
        """A bitrate search is under way."""
        return self._match is not None

    def sweep_running(self) -> bool:
        return bool(self._sweep_plan or self._sweep_jobs)

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
        path = Path(path)
        if path.is_dir():
            self.open_paths([path])
            return
        if path.suffix.lower() in BITSTREAM_SUFFIXES:
            self._load_generation = self.files.read_bytes(path)
            self.imageLoading.emit(path.name)
            return
        self._load_generation = self.files.load_image(path)
        self.imageLoading.emit(path.name)

    def set_image(self, image: LoadedImage) -> None:
        """Make ``image`` the reference: drop everything about the old one and start encoding."""
        self.stop_sweep()
        self._cancel_match()
        for name in SideName:
            self._drop_side_job(name)
        self.rd.reset(image.key)
        self.state.set_image(image)
        self.view.set_image_size(image.width, image.height)
        for side in self.state.sides.values():
            self._start_side(side)
        if self.sweep_enabled:
            self.start_sweep()

    def _on_image_loaded(self, generation: int, image: LoadedImage) -> None:
        if generation != self._load_generation:
            return  # a newer open superseded this one
        self.set_image(image)
        self.message.emit("info", f"Opened {image.describe()}")

    def _on_image_failed(self, generation: int, text: str) -> None:
        if generation == self._load_generation:
            self.message.emit("error", text)

    def _on_bytes_read(self, generation: int, path: str, data: bytes) -> None:
        if generation != self._load_generation:
            return
        device = self.state.b.settings.device if is_msp(self.state.b.settings.codec) else "cpu"
        self._bitstream_jobs.add(self.service.open_bitstream(data, device, self.state.image, Path(path).name))

    def _on_bitstream_opened(self, job_id: int, outcome: EncodeOutcome, pixels: np.ndarray) -> None:
        self._bitstream_jobs.discard(job_id)
        self.headerOpened.emit(outcome.source_name, outcome.header_text)
        image = self.state.image
        if image is not None and outcome.image_key == image.key:
            # Same size as the current image: show the file on side B, measured against it.
            side = self.state.b
            self._drop_side_job(SideName.B)
            side.bump()
            side.set_result(outcome)
            side.set_status(SideStatus.DONE, f"decoded {outcome.source_name}")
            self.message.emit("info", f"Decoded {outcome.source_name} onto side B")
            return
        try:
            decoded = image_from_array(pixels, name=f"{outcome.source_name} (decoded)", fmt="MSP",
                                       file_bytes=outcome.num_bytes)
        except ImageLoadError as exc:
            self.message.emit("error", str(exc))
            return
        self.set_image(decoded)
        self.message.emit("info", f"Decoded {outcome.source_name}: it is now the reference image")

    # -- sides ---------------------------------------------------------------------------------
    def set_side_settings(self, name: SideName, settings: SideSettings, user: bool = True) -> None:
        if user and name is SideName.B and self.auto_match:
            self.auto_match = False
            self._cancel_match()
        self.state.side(name).set_settings(settings)

    def copy_settings(self, source: SideName) -> None:
        """"Copy settings to the other side"."""
        self.set_side_settings(source.other, self.state.side(source).settings)

    def cancel_side(self, name: SideName) -> None:
        side = self.state.side(name)
        if self._side_jobs[name] is None:
            return
        self._drop_side_job(name)
        side.bump()
        side.set_status(SideStatus.CANCELLED, "cancelled")

    def rerun_side(self, name: SideName) -> None:
        self._start_side(self.state.side(name))

    def load_point(self, settings: SideSettings, name: SideName) -> None:
        """Load an RD point's result into a side (usually a cache hit: instant)."""
        self.set_side_settings(name, settings)

    def _drop_side_job(self, name: SideName) -> None:
        job_id = self._side_jobs[name]
        if job_id is not None:
            self._stale_ids.add(job_id)
            self.service.cancel(job_id)
            self._side_jobs[name] = None

    def _start_side(self, side: SideState) -> None:
        self._drop_side_job(side.name)
        image = self.state.image
        if image is None:
            return
        settings = side.settings
        if settings.is_original:
            side.set_result(original_outcome(image))
            side.set_status(SideStatus.DONE)
            return
        info = self.service.msp_info
        if is_msp(settings.codec) and not info.available and info.reason != "MSP codec is loading":
            side.set_status(SideStatus.FAILED, info.reason)
            return
        job_id = self.service.submit(image, settings, Priority.INTERACTIVE)
        self._side_jobs[side.name] = job_id
        side.set_status(SideStatus.QUEUED, "queued")

    def _side_for(self, job_id: int) -> SideState | None:
        for name, current in self._side_jobs.items():
            if current == job_id:
                return self.state.side(name)
        return None

    # -- job events -----------------------------------------------------------------------------
    def _on_started(self, job_id: int) -> None:
        side = self._side_for(job_id)
        if side is not None:
            side.set_status(SideStatus.RUNNING, "encoding")

    def _on_progress(self, job_id: int, progress: JobProgress) -> None:
        side = self._side_for(job_id)
        if side is not None:
            side.set_progress(progress)

    def _on_finished(self, job_id: int, outcome: EncodeOutcome) -> None:
        self.rd.add(outcome)
        side = self._side_for(job_id)
        if side is not None:
            self._side_jobs[side.name] = None
            side.set_result(outcome)
            side.set_status(SideStatus.DONE)
            if side.name is SideName.A and self.auto_match:
                self.start_match()
        elif job_id in self._stale_ids:
            self._stale_ids.discard(job_id)
            self.stale_dropped += 1
        if job_id in self._sweep_jobs:
            del self._sweep_jobs[job_id]
            self._sweep_done += 1
            self.sweepProgress.emit(self._sweep_done, self._sweep_total)
            self._pump_sweep()
        if job_id == self._match_job:
            self._on_match_probe(outcome)

    def _on_failed(self, job_id: int, text: str) -> None:
        if job_id in self._bitstream_jobs:
            self._bitstream_jobs.discard(job_id)
            self.message.emit("error", text)
            return
        side = self._side_for(job_id)
        if side is not None:
            self._side_jobs[side.name] = None
            side.set_status(SideStatus.FAILED, text)
            self.message.emit("error", f"Side {side.name.value}: {text}")
        self._stale_ids.discard(job_id)
        if job_id in self._sweep_jobs:
            del self._sweep_jobs[job_id]
            self._sweep_done += 1
            self.sweepProgress.emit(self._sweep_done, self._sweep_total)
            self._pump_sweep()
        if job_id == self._match_job:
            self.matchStatus.emit(f"Bitrate match failed: {text}")
            self._cancel_match()

    def _on_cancelled(self, job_id: int, preempted: bool) -> None:
        self._stale_ids.discard(job_id)
        side = self._side_for(job_id)
        if side is not None:
            self._side_jobs[side.name] = None
            side.set_status(SideStatus.CANCELLED, "cancelled")
        if job_id in self._sweep_jobs:
            settings = self._sweep_jobs.pop(job_id)
            if preempted:
                self._sweep_plan.insert(0, settings)  # pushed aside by a user request: retry later
            self._pump_sweep()
        if job_id == self._match_job and preempted and self._match_settings is not None and self.image is not None:
            self._match_job = self.service.submit(self.image, self._match_settings, Priority.MATCH)

    def _on_msp_ready(self, info: MspInfo) -> None:
        self.mspInfoChanged.emit(info)
        if not info.available:
            self.message.emit("warning", f"{info.reason}. MSP sides show {FALLBACK_CODEC.upper()} instead.")
            for side in self.state.sides.values():
                if is_msp(side.settings.codec):
                    self.set_side_settings(side.name, side.settings.with_(codec=FALLBACK_CODEC), user=False)
            return
        for side in self.state.sides.values():
            if is_msp(side.settings.codec) and side.settings.device not in info.devices:
                self.set_side_settings(side.name, side.settings.with_(device="cpu"), user=False)
        if self.sweep_enabled and self.image is not None:
            self._extend_sweep_with_msp(info)

    # -- background RD sweep ------------------------------------------------------------------------
    def start_sweep(self) -> None:
        self.sweep_enabled = True
        if self.image is None:
            return
        info = self.service.msp_info
        profiles = info.profiles if info.available else ()
        done = [p.settings for codec in self.rd.codecs() for p in self.rd.curve(codec)]
        self._sweep_plan = sweep_plan(profiles, CLASSIC_KEYS, skip=done)
        self._sweep_total = self._sweep_done + len(self._sweep_plan) + len(self._sweep_jobs)
        self.sweepProgress.emit(self._sweep_done, self._sweep_total)
        self._pump_sweep()

    def _extend_sweep_with_msp(self, info: MspInfo) -> None:
        extra = sweep_plan(info.profiles, classic=())
        known = set(self._sweep_plan) | set(self._sweep_jobs.values())
        extra = [s for s in extra if s not in known]
        self._sweep_plan.extend(extra)
        self._sweep_total += len(extra)
        self.sweepProgress.emit(self._sweep_done, self._sweep_total)
        self._pump_sweep()

    def stop_sweep(self, disable: bool = False) -> None:
        if disable:
            self.sweep_enabled = False
        self._sweep_plan.clear()
        for job_id in list(self._sweep_jobs):
            self.service.cancel(job_id)
        self._sweep_jobs.clear()
        self._sweep_total = self._sweep_done = 0
        self.sweepProgress.emit(0, 0)

    def _pump_sweep(self) -> None:
        """Keep at most one classic and one MSP sweep job in flight, so user requests stay snappy."""
        image = self.image
        if image is None:
            return
        busy_classic = any(not is_msp(s.codec) for s in self._sweep_jobs.values())
        busy_msp = any(is_msp(s.codec) for s in self._sweep_jobs.values())
        index = 0
        while index < len(self._sweep_plan) and not (busy_classic and busy_msp):
            settings = self._sweep_plan[index]
            msp = is_msp(settings.codec)
            if (msp and busy_msp) or (not msp and busy_classic):
                index += 1
                continue
            self._sweep_plan.pop(index)
            job_id = self.service.submit(image, settings, Priority.SWEEP)
            self._sweep_jobs[job_id] = settings
            busy_msp = busy_msp or msp
            busy_classic = busy_classic or not msp

    # -- bitrate matching ------------------------------------------------------------------------
    def start_match(self, target: SideName = SideName.B) -> None:
        """Search B's quality so that its bpp is closest to A's (background probes)."""
        self._cancel_match()
        reference = self.state.side(target.other).result
        side = self.state.side(target)
        if reference is None or self.image is None or side.settings.is_original:
            return
        self._match = BitrateSearch(reference.bpp)
        self._match_side = target
        self.matchStatus.emit(f"Matching {side.settings.spec.label} to {reference.bpp:.3f} bpp …")
        self._next_match_probe()

    def _next_match_probe(self) -> None:
        search = self._match
        if search is None or self.image is None:
            return
        quality = search.next_quality()
        if quality is None:
            best = search.best()
            self._match = None
            self._match_job = None
            if best is not None:
                side = self.state.side(self._match_side)
                self.state.side(self._match_side).set_settings(side.settings.with_(quality=best[0]))
                self.matchStatus.emit(f"{side.settings.spec.label} matched at q={best[0]:.3f} ({best[1]:.3f} bpp)")
            return
        self._match_settings = self.state.side(self._match_side).settings.with_(quality=quality)
        self._match_job = self.service.submit(self.image, self._match_settings, Priority.MATCH)

    def _on_match_probe(self, outcome: EncodeOutcome) -> None:
        if self._match is None:
            return
        self._match.report(outcome.settings.quality, outcome.bpp)
        self._next_match_probe()

    def _cancel_match(self) -> None:
        if self._match_job is not None:
            self.service.cancel(self._match_job)
        self._match = None
        self._match_job = None
        self._match_settings = None

    # -- saving -------------------------------------------------------------------------------
    def _protected(self) -> tuple[Path, ...]:
        image = self.image
        return (image.path,) if image is not None and image.path is not None else ()

    def save_bitstream(self, name: SideName, path: Path) -> bool:
        result = self.state.side(name).result
        if result is None or not result.data:
            self.message.emit("warning", f"Side {name.value} has no bitstream to save")
            return False
        self.files.write_bytes(Path(path), result.data, protect=self._protected())
        return True

    def export_png(self, name: SideName, path: Path) -> bool:
        result = self.state.side(name).result
        if result is None:
            self.message.emit("warning", f"Side {name.value} has no reconstruction to export")
            return False
        self.files.write_png(Path(path), result.reconstruction, protect=self._protected())
        return True

    def shutdown(self) -> None:
        self.stop_sweep()
        self._cancel_match()
        self.service.shutdown()
        self.files.shutdown()

    def default_msp_settings(self, quality: float = 0.5) -> SideSettings:
        return SideSettings(msp_key(self.service.msp_info.default_profile), quality, "cpu")
