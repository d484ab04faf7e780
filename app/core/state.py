"""The comparison's state: the reference image and the two sides A and B.

Plain objects with :class:`~app.core.events.Event` notifications, written on the GUI thread by the
controller (the image, a side's settings) and its parts (:class:`~app.core.side_jobs.SideJobs`: a
side's result and status; the bitrate matcher: side B's quality); widgets read them and listen.
Stale results are dropped before they get here, by job id (in ``SideJobs``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from app.core.codecs import SideSettings
from app.core.events import Event
from app.core.image_io import LoadedImage
from app.core.results import EncodeOutcome

__all__ = ["SideName", "SideStatus", "JobProgress", "SideState", "ComparisonState"]


class SideName(str, Enum):
    A = "A"
    B = "B"

    @property
    def other(self) -> SideName:
        return SideName.B if self is SideName.A else SideName.A


class SideStatus(str, Enum):
    IDLE = "idle"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class JobProgress:
    """What a side shows while its job runs (throttled reports from the worker)."""

    stage: str
    fraction: float | None
    """0..1, or None for an indeterminate stage."""
    text: str
    iteration: int | None = None
    """The codec's iteration of that stage (an LOF iteration), where it counts them."""
    estimated_bpp: float | None = None
    """The running rate estimate (LOF: from the likelihoods, not a file)."""
    psnr: float | None = None
    """PSNR of the current iterate's reconstruction, where the codec reports it."""


class SideState:
    """One side: its settings, status, progress and the result on show."""

    def __init__(self, name: SideName, settings: SideSettings) -> None:
        self.name = name
        self._settings = settings
        self.status = SideStatus.IDLE
        self.message = ""
        self.progress: JobProgress | None = None
        self.result: EncodeOutcome | None = None
        self.settings_changed = Event()  # (SideState)
        self.status_changed = Event()  # (SideState)
        self.progress_changed = Event()  # (SideState)
        self.result_changed = Event()  # (SideState)
        self.metrics_changed = Event()  # (SideState): the result on show got its SSIMULACRA2 and FLIP
        self.activity = ""
        """Background work about this side that is not its own encode (a bitrate match's probes)."""
        self.activity_changed = Event()  # (SideState)

    @property
    def settings(self) -> SideSettings:
        return self._settings

    @property
    def result_matches_settings(self) -> bool:
        """The result on show was made with exactly the side's settings. False while an earlier
        result stays on show: a new encode is under way, failed, or there is no result."""
        return self.result is not None and self.result.settings == self._settings

    def set_settings(self, settings: SideSettings) -> bool:
        """Replace the settings; returns False (and does nothing) if they are unchanged."""
        if settings == self._settings:
            return False
        self._settings = settings
        self.settings_changed.emit(self)
        return True

    def set_status(self, status: SideStatus, message: str = "") -> None:
        self.status = status
        self.message = message
        if status is not SideStatus.RUNNING:
            self.progress = None
        self.status_changed.emit(self)

    def set_progress(self, progress: JobProgress | None) -> None:
        self.progress = progress
        self.progress_changed.emit(self)

    def set_activity(self, text: str) -> None:
        if text != self.activity:
            self.activity = text
            self.activity_changed.emit(self)

    def set_result(self, result: EncodeOutcome | None) -> None:
        self.result = result
        self.result_changed.emit(self)

    def update_metrics(self, result: EncodeOutcome) -> None:
        """The result on show, again, with metrics that came later (same pixels, same file): no
        new result, so only ``metrics_changed`` fires."""
        self.result = result
        self.metrics_changed.emit(self)


class ComparisonState:
    """The reference image and the two sides."""

    def __init__(self, settings_a: SideSettings, settings_b: SideSettings) -> None:
        self.image: LoadedImage | None = None
        self.sides = {SideName.A: SideState(SideName.A, settings_a), SideName.B: SideState(SideName.B, settings_b)}
        self.image_changed = Event()  # (LoadedImage)

    def side(self, name: SideName | str) -> SideState:
        return self.sides[SideName(name)]

    @property
    def a(self) -> SideState:
        return self.sides[SideName.A]

    @property
    def b(self) -> SideState:
        return self.sides[SideName.B]

    def set_image(self, image: LoadedImage) -> None:
        self.image = image
        for side in self.sides.values():
            side.set_result(None)
        self.image_changed.emit(image)
