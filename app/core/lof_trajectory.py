"""Each side's LOF trajectory: where latent overfitting takes its encode, iteration by iteration.

A balanced or best MSP encode first shows its preview (the same profile without LOF, a true
point: a real file, decoded), then overfits the latent for seconds. Each LOF iteration reports
its *estimated* rate (from the entropy model's likelihoods under the training proxy) and the PSNR
of that iteration's reconstruction; the :class:`~app.workers.msp_worker.MspWorker` throttles
those reports to 20 Hz, so a side gets a sample of the iterations, not all of them. The real
result then lands with its *true* rate (the file's length) and PSNR. The estimate and the truth
differ (the proxy is not the coder), so both are kept apart: the path of estimates starts at the
preview's true point, and the final true point is a field of its own.

Plain Python, fed by the side's own events (which the controller's job events drive through
:class:`~app.core.side_jobs.SideJobs`; a preview's or another job's progress never reaches a
side). A trajectory starts afresh with each preview and is cleared when the side's settings or
the image change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from app.core.events import Event
from app.core.results import EncodeOutcome
from app.core.state import ComparisonState, JobProgress, SideName, SideState

__all__ = ["TrajectoryPoint", "LofTrajectory", "LofTrajectories", "EMPTY_TRAJECTORY"]

LOF_STAGE = "lof"  # the codec's progress stage of an overfitting iteration (codec/lof.py)


@dataclass(frozen=True)
class TrajectoryPoint:
    bpp: float
    psnr: float
    iteration: int | None = None
    """The LOF iteration of an estimate; None for a true point (measured on a file)."""


@dataclass(frozen=True)
class LofTrajectory:
    """One side's trajectory so far; ``codec`` names whose colour it is drawn in."""

    codec: str = ""
    start: TrajectoryPoint | None = None
    """The preview's true point (no LOF), where the path begins."""
    estimates: tuple[TrajectoryPoint, ...] = ()
    """Estimated (bpp, PSNR) of the LOF iterations reported, in order."""
    final: TrajectoryPoint | None = None
    """The real result's true point, once it has landed."""

    @property
    def path(self) -> tuple[TrajectoryPoint, ...]:
        """What is drawn as one line: the preview's true point, then the estimates."""
        return ((self.start,) if self.start is not None else ()) + self.estimates

    @property
    def empty(self) -> bool:
        return self.start is None and not self.estimates and self.final is None


EMPTY_TRAJECTORY = LofTrajectory()


def _true_point(outcome: EncodeOutcome) -> TrajectoryPoint | None:
    psnr = outcome.metrics.psnr
    if psnr is None or not math.isfinite(psnr) or not math.isfinite(outcome.bpp):
        return None  # lossless: no PSNR to draw
    return TrajectoryPoint(outcome.bpp, psnr)


class LofTrajectories:
    """The LOF trajectories of sides A and B, kept up to date from the sides' own events."""

    def __init__(self, state: ComparisonState) -> None:
        self.state = state
        self.changed = Event()  # (SideName): that side's trajectory is new (grew, ended or cleared)
        self._trajectories: dict[SideName, LofTrajectory] = dict.fromkeys(SideName, EMPTY_TRAJECTORY)
        for side in state.sides.values():
            side.settings_changed.connect(lambda s: self.clear(s.name))
            side.progress_changed.connect(self._on_progress)
            side.result_changed.connect(self._on_result)
        state.image_changed.connect(lambda _image: self.clear_all())

    def trajectory(self, name: SideName) -> LofTrajectory:
        return self._trajectories[name]

    def clear(self, name: SideName) -> None:
        self._set(name, EMPTY_TRAJECTORY)

    def clear_all(self) -> None:
        for name in SideName:
            self.clear(name)

    def _set(self, name: SideName, trajectory: LofTrajectory) -> None:
        if trajectory != self._trajectories[name]:
            self._trajectories[name] = trajectory
            self.changed.emit(name)

    def _on_progress(self, side: SideState) -> None:
        progress = side.progress
        point = _estimate(progress) if progress is not None else None
        if point is None:
            return
        current = self._trajectories[side.name]
        if current.final is not None:  # a new encode of the same side: a fresh path
            current = EMPTY_TRAJECTORY
        self._set(side.name, replace(current, codec=side.settings.codec, estimates=(*current.estimates, point)))

    def _on_result(self, side: SideState) -> None:
        outcome = side.result
        if outcome is None:
            self.clear(side.name)
            return
        point = _true_point(outcome)
        if outcome.preview:  # the path starts here, afresh
            self._set(side.name, LofTrajectory(codec=side.settings.codec, start=point))
            return
        current = self._trajectories[side.name]
        if current.path and current.final is None and point is not None:
            self._set(side.name, replace(current, final=point))


def _estimate(progress: JobProgress) -> TrajectoryPoint | None:
    """An LOF iteration's estimate, if the report carries both coordinates."""
    bpp, psnr = progress.estimated_bpp, progress.psnr
    if progress.stage != LOF_STAGE or bpp is None or psnr is None:
        return None
    if not (math.isfinite(bpp) and math.isfinite(psnr)):
        return None
    return TrajectoryPoint(bpp, psnr, progress.iteration)
