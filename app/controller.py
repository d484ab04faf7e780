"""The presenter between the state objects and the workers (Qt, but no widgets).

It turns user intents (open this, change that setting, cancel, load that RD point, match B's
bitrate to A) into calls on its parts, and routes the job service's signals back to them:

- :class:`~app.core.side_jobs.SideJobs`: each side's own encode; results of superseded jobs
  are dropped, so a slow old encode can never overwrite a newer setting;
- :class:`~app.core.sweep_scheduler.SweepScheduler`: the background RD sweep;
- :class:`~app.core.batch_run.BatchRun`: the batch queue's images x codecs x qualities, in the background;
- :class:`~app.core.bitrate_matcher.BitrateMatcher`: one side's quality searched for the other's bitrate
  or for a size the user typed;
- :class:`~app.core.bits_jobs.BitsJobs`: the bits view's reports, made on the model thread;
- :class:`~app.file_actions.FileActions`: opening and saving files.

The first four are plain Python; the service is passed in (the window passes the real one), so
tests can drive the controller with a fake.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.core.backends.msp import MspInfo
from app.core.batch import BatchQueue
from app.core.batch_run import BatchRun
from app.core.bitrate_matcher import BitrateMatcher
from app.core.bits_jobs import BitsJobs
from app.core.codecs import SideSettings, has_devices, on_model_thread
from app.core.image_io import LoadedImage, load_image
from app.core.lof_trajectory import LofTrajectories
from app.core.perceptual import show_measured
from app.core.rd_disk_cache import RDDiskCache
from app.core.rd_persistence import RDPersistence
from app.core.rd_store import RDStore
from app.core.results import EncodeOutcome
from app.core.side_jobs import SideJobs
from app.core.size_target import SizeTarget
from app.core.state import ComparisonState, JobProgress, SideName, SideState
from app.core.sweep_scheduler import SweepScheduler
from app.core.view_state import ViewState
from app.file_actions import FileActions
from app.workers.io_jobs import FileJobs
from app.workers.service import EncodeService

__all__ = ["StudioController", "FALLBACK_CODEC"]

FALLBACK_CODEC = "avif"
"""What a side shows instead of MSP while ``codec.api`` is unavailable."""


class StudioController(QObject):
    message = Signal(str, str)  # level ("info" | "warning" | "error"), text
    mspInfoChanged = Signal(object)  # MspInfo
    headerOpened = Signal(str, str)  # title, header dump
    imageLoading = Signal(str)
    sweepProgress = Signal(int, int)  # points done, points planned
    matchStatus = Signal(str)
    searchProbed = Signal(object, object, object)  # SideName, target bpp (None: no search), list[RDPoint]
    searchEnded = Signal(object)  # SearchReport

    def __init__(self, settings_a: SideSettings, settings_b: SideSettings, *, service: EncodeService | None = None,
                 sweep_enabled: bool = True, auto_match: bool = True, rd_cache: RDDiskCache | None = None,
                 parent: QObject | None = None) -> None:
        """``service``: where every encode runs; None builds a real :class:`EncodeService` of its own.
        ``rd_cache``: where RD points outlive the session (None: they are kept in memory only)."""
        super().__init__(parent)
        self.state = ComparisonState(settings_a, settings_b)
        self.view = ViewState()
        self.rd = RDStore()
        self.batch = BatchQueue()
        self.service = service if service is not None else EncodeService(parent=self)
        self.files = FileJobs(self)
        self.auto_match = auto_match
        self.side_jobs = SideJobs(self.state, self.service)
        self.sweep = SweepScheduler(self.state, self.rd, self.service, enabled=sweep_enabled)
        self.batch_run = BatchRun(self.service, load_image)
        self.matcher = BitrateMatcher(self.state, self.service)
        self.bits = BitsJobs(self.state, self.view, self.service)
        self.lof = LofTrajectories(self.state)  # each side's LOF path, for the RD plot
        self.saved_rd = RDPersistence(self.rd, rd_cache, lambda: self.service.msp_info)
        self.file_actions = FileActions(self.state, self.batch, self.service, self.files, self.side_jobs, self)

        for side in self.state.sides.values():
            side.settings_changed.connect(self.side_jobs.start)
        self.side_jobs.finished.connect(self._on_side_finished)
        self.side_jobs.message.connect(self.message.emit)
        self.sweep.progress.connect(self.sweepProgress.emit)
        self.matcher.status.connect(self.matchStatus.emit)
        self.matcher.probed.connect(self.searchProbed.emit)
        self.matcher.ended.connect(self.searchEnded.emit)
        self.file_actions.message.connect(self.message)
        self.file_actions.headerOpened.connect(self.headerOpened)
        self.file_actions.imageLoading.connect(self.imageLoading)
        self.file_actions.imageOpened.connect(self._on_image_opened)
        self.file_actions.fileShownOnB.connect(self._end_auto_match)
        self.service.jobStarted.connect(self._on_started)
        self.service.jobProgress.connect(self._on_progress)
        self.service.jobFinished.connect(self._on_finished)
        self.service.jobFailed.connect(self._on_failed)
        self.service.callFinished.connect(self.bits.on_finished)
        self.service.jobCancelled.connect(self._on_cancelled)
        self.service.mspReady.connect(self._on_msp_ready)
        self.service.userIdle.connect(self.sweep.resume)
        self.service.metricsMeasured.connect(lambda outcome: show_measured(self.state, self.rd, outcome))

    # -- properties ---------------------------------------------------------------------------
    @property
    def image(self) -> LoadedImage | None:
        return self.state.image

    @property
    def msp_info(self) -> MspInfo:
        return self.service.msp_info

    @property
    def sweep_enabled(self) -> bool:
        """Whether a new image starts the background RD sweep (saved in the settings)."""
        return self.sweep.enabled

    @sweep_enabled.setter
    def sweep_enabled(self, enabled: bool) -> None:
        self.sweep.enabled = enabled

    @property
    def stale_dropped(self) -> int:
        """How many results arrived for superseded side requests and were dropped (for tests/diagnostics)."""
        return self.side_jobs.stale_dropped

    def side_job(self, name: SideName) -> int | None:
        return self.side_jobs.job(name)

    def matching(self) -> bool:
        """A bitrate search is under way."""
        return self.matcher.active()

    def sweep_running(self) -> bool:
        return self.sweep.running()

    # -- opening and saving ---------------------------------------------------------------------
    def open_paths(self, paths: list[Path]) -> None:
        """Dropped or chosen paths: the first image opens, folders and further images queue up."""
        self.file_actions.open_paths(paths)

    def open_path(self, path: Path) -> None:
        self.file_actions.open_path(path)

    def save_bitstream(self, name: SideName, path: Path) -> bool:
        return self.file_actions.save_bitstream(name, path)

    def export_png(self, name: SideName, path: Path) -> bool:
        return self.file_actions.export_png(name, path)

    def set_image(self, image: LoadedImage) -> None:
        """Make ``image`` the reference: drop everything about the old one and start encoding."""
        self.sweep.stop()
        self.matcher.cancel()
        self.side_jobs.drop_all()
        self.rd.reset(image.key)
        self.saved_rd.restore()  # before the sweep plans: what earlier sessions measured is not measured again
        self.state.set_image(image)
        self.view.set_image_size(image.width, image.height)
        for side in self.state.sides.values():
            self.side_jobs.start(side)
        if self.sweep.enabled:
            self.sweep.start()

    def _on_image_opened(self, image: LoadedImage, text: str) -> None:
        self.set_image(image)
        self.message.emit("info", text)

    # -- sides ---------------------------------------------------------------------------------
    def set_side_settings(self, name: SideName, settings: SideSettings, user: bool = True) -> None:
        """A user's change of B ends automatic bitrate matching: B is theirs now. A user's change
        of a side whose quality is being searched (a target size) ends the search: its end would
        replace the user's choice."""
        if user and name is SideName.B:
            self._end_auto_match()
        if user and self.matcher.searching() is name:
            self.matcher.cancel()
        self.state.side(name).set_settings(settings)

    def _end_auto_match(self) -> None:
        """B is the user's now (a setting they chose, a file they opened onto it): matching its
        bitrate to A's would replace it."""
        if self.auto_match:
            self.auto_match = False
            self.matcher.cancel()

    def copy_settings(self, source: SideName) -> None:
        """"Copy settings to the other side"."""
        self.set_side_settings(source.other, self.state.side(source).settings)

    def cancel_side(self, name: SideName) -> None:
        """Stop the side's encode, and a search of its quality (its probes are its encodes too)."""
        self.side_jobs.cancel(name)
        if self.matcher.searching() is name:
            self.matcher.cancel()

    def rerun_side(self, name: SideName) -> None:
        self.side_jobs.start(self.state.side(name))

    def load_point(self, settings: SideSettings, name: SideName) -> None:
        """Load an RD point's result into a side (usually a cache hit: instant)."""
        self.set_side_settings(name, settings)

    def _on_side_finished(self, side: SideState) -> None:
        # Not while A's own quality is being searched for a target: A changes again when it ends.
        if side.name is SideName.A and self.auto_match and self.matcher.searching() is not SideName.A:
            self.matcher.start()

    # -- sweep and matching -----------------------------------------------------------------------
    def start_sweep(self) -> None:
        self.sweep.start()

    def stop_sweep(self, disable: bool = False) -> None:
        self.sweep.stop(disable)

    def clear_saved_points(self) -> int:
        """Forget the RD points saved by past sessions (this session's stay on the plot); files removed."""
        return self.saved_rd.clear()

    def start_match(self, target: SideName = SideName.B) -> None:
        """Search B's quality so that its bpp is closest to A's (background probes)."""
        self.matcher.start(target)

    def start_target(self, name: SideName, size: SizeTarget) -> None:
        """Search the side's quality so that its file is closest to ``size`` (background probes,
        shown as they run); a target for B is the user's choice for B: automatic matching ends."""
        if name is SideName.B:
            self._end_auto_match()
        self.matcher.start_size(name, size)

    # -- job events: every part sees every id and keeps to its own ---------------------------------
    def _on_started(self, job_id: int) -> None:
        self.side_jobs.on_started(job_id)

    def _on_progress(self, job_id: int, progress: JobProgress) -> None:
        self.side_jobs.on_progress(job_id, progress)

    def _on_finished(self, job_id: int, outcome: EncodeOutcome) -> None:
        if not self.side_jobs.is_preview(job_id):  # every result of this image is an RD point, previews aside
            self.rd.add(outcome)
        self.side_jobs.on_finished(job_id, outcome)
        self.sweep.on_finished(job_id)
        self.matcher.on_finished(job_id, outcome)
        self.batch_run.on_finished(job_id, outcome)

    def _on_failed(self, job_id: int, text: str) -> None:
        self.side_jobs.on_failed(job_id, text)
        self.sweep.on_failed(job_id)
        self.matcher.on_failed(job_id, text)
        self.batch_run.on_failed(job_id, text)
        self.bits.on_failed(job_id, text)

    def _on_cancelled(self, job_id: int, preempted: bool) -> None:
        self.side_jobs.on_cancelled(job_id)
        self.sweep.on_cancelled(job_id, preempted)
        self.matcher.on_cancelled(job_id, preempted)
        self.batch_run.on_cancelled(job_id, preempted)

    def _on_msp_ready(self, info: MspInfo) -> None:
        self.mspInfoChanged.emit(info)
        if not info.available:
            self.message.emit("warning", f"{info.reason}. MSP sides show {FALLBACK_CODEC.upper()} instead.")
            for side in self.state.sides.values():
                if on_model_thread(side.settings.codec):
                    self.set_side_settings(side.name, side.settings.with_(codec=FALLBACK_CODEC), user=False)
            return
        for side in self.state.sides.values():
            if has_devices(side.settings.codec) and side.settings.device not in info.devices:
                self.set_side_settings(side.name, side.settings.with_(device="cpu"), user=False)
        self.saved_rd.restore()  # the MSP points saved with these weights
        self.sweep.add_msp(info)

    # -- lifetime ----------------------------------------------------------------------------------
    def shutdown(self) -> None:
        self.sweep.stop()
        self.batch_run.cancel()
        self.matcher.cancel()
        self.service.shutdown()
        self.files.shutdown()

    def default_msp_settings(self, quality: float = 0.5) -> SideSettings:
        return SideSettings(self.service.msp_info.default_codec, quality, "cpu")
