"""Each side's own encode: one current job per side, results of superseded jobs dropped.

A settings change (or a re-run) submits a new job and forgets the side's previous one, which is
cancelled and marked stale. A result reaches a side only while its job id is still that side's
current one, so a slow old encode can never overwrite a newer setting. Plain Python: the
controller feeds it the service's job events; tests feed it a fake service.

An MSP profile that overfits its latent (LOF) takes seconds where the same profile without LOF
takes a fraction of one, and a user waits for that after every slider release. So such a side
first runs a preview (:meth:`MspInfo.preview_of`: the same profile, LOF off) just ahead of the
real job, shows it marked as a preview while LOF refines it, and then shows the real result. A
preview never counts as the side's result for anything else (bitrate matching, the RD plot).
"""

from __future__ import annotations

from dataclasses import replace

from app.core.codecs import SideSettings, on_model_thread
from app.core.events import Event
from app.core.jobs import JobRunner, Priority
from app.core.pipeline import original_outcome
from app.core.results import EncodeOutcome
from app.core.state import ComparisonState, JobProgress, SideName, SideState, SideStatus

__all__ = ["SideJobs"]

# The reason EncodeService gives until the MSP worker has reported: MSP jobs queue up meanwhile
# (the worker runs them once the model is up) instead of failing.
_MSP_LOADING = "MSP codec is loading"
PREVIEW_NOTE = "preview without LOF"
REFINING = "refining with LOF…"


class SideJobs:
    """The job-id registry of sides A and B, and what each job event does to its side."""

    def __init__(self, state: ComparisonState, runner: JobRunner) -> None:
        self.state = state
        self.runner = runner
        self.stale_dropped = 0
        """How many results arrived for superseded requests and were dropped (for tests/diagnostics)."""
        self.finished = Event()  # (SideState): a side's own result is now on show
        self.message = Event()  # (level, text): for the message bar
        self._jobs: dict[SideName, int | None] = dict.fromkeys(SideName)
        self._previews: dict[SideName, int | None] = dict.fromkeys(SideName)
        self._waiting: set[SideName] = set()  # classic sides held until the other side's preview is on show
        self._stale: set[int] = set()
        self._preview_ids: set[int] = set()

    def job(self, name: SideName) -> int | None:
        """The id of the side's current job, None when it has nothing running."""
        return self._jobs[name]

    def owner(self, job_id: int) -> SideState | None:
        """The side whose current job ``job_id`` is; None for stale or foreign ids."""
        return self._side_of(job_id, self._jobs)

    def preview_owner(self, job_id: int) -> SideState | None:
        """The side whose current preview ``job_id`` is; None otherwise."""
        return self._side_of(job_id, self._previews)

    def _side_of(self, job_id: int, registry: dict[SideName, int | None]) -> SideState | None:
        name = next((n for n, current in registry.items() if current == job_id), None)
        return None if name is None else self.state.side(name)

    def is_preview(self, job_id: int) -> bool:
        """Whether ``job_id`` is a side's preview whose end has not been reported yet (asked
        before :meth:`on_finished`): its result is not a point of the RD plot."""
        return job_id in self._preview_ids

    # -- requests ---------------------------------------------------------------------------------
    def start(self, side: SideState) -> None:
        """Encode ``side``'s settings on the current image, superseding whatever it ran before.

        A side whose result on show already is of these settings needs no job, nor does the
        original; a side whose codec needs the model thread fails at once if the model is known
        to be unavailable (but waits in the queue while it is still loading).
        """
        self.drop(side.name)
        image = self.state.image
        if image is None:
            return
        if self._shows_own_settings(side):
            # Already on show (a decoded file, the result a cancel goes back to, a setting changed
            # and changed back): nothing to encode, and whatever it superseded is over.
            if side.status is not SideStatus.DONE:
                side.set_status(SideStatus.DONE)
            return
        settings = side.settings
        if settings.is_original:
            side.set_result(original_outcome(image))
            side.set_status(SideStatus.DONE)
            return
        info = self.runner.msp_info
        if on_model_thread(settings.codec) and not info.available and info.reason != _MSP_LOADING:
            side.set_status(SideStatus.FAILED, info.reason)
            return
        if not on_model_thread(settings.codec) and self._previews[side.name.other] is not None:
            # The cores go to the other side's preview first: a classic encode beside it (VVenC's
            # takes seconds) delayed the first MSP picture by 1.7 s of 4.7 s at start-up.
            self._waiting.add(side.name)
            side.set_status(SideStatus.QUEUED, f"waiting for {side.name.other.value}'s preview")
            return
        preview = self._preview_settings(settings)
        if preview is not None and not self.runner.cached(image, settings):
            # Submitted first: the model thread runs jobs of equal priority in order.
            job_id = self.runner.submit(image, preview, Priority.INTERACTIVE, preview=True)
            self._previews[side.name] = job_id
            self._preview_ids.add(job_id)
        self._jobs[side.name] = self.runner.submit(image, settings, Priority.INTERACTIVE)
        side.set_status(SideStatus.QUEUED, "queued")

    def _preview_settings(self, settings: SideSettings) -> SideSettings | None:
        key = self.runner.msp_info.preview_of(settings.codec)
        return None if key is None else settings.with_(codec=key)

    def drop(self, name: SideName) -> None:
        """Forget the side's current job: cancel it and mark its id stale. The side keeps its status."""
        self._waiting.discard(name)
        self._drop_preview(name)
        job_id = self._jobs[name]
        if job_id is not None:
            self._stale.add(job_id)
            self.runner.cancel(job_id)
            self._jobs[name] = None

    def _drop_preview(self, name: SideName) -> None:
        job_id = self._previews[name]
        if job_id is not None:
            self.runner.cancel(job_id)
            self._preview_ended(name)

    def _preview_ended(self, name: SideName) -> None:
        """The side's preview is on show, failed or was dropped: a side held for it goes ahead."""
        self._previews[name] = None
        waiting = name.other
        if waiting in self._waiting:
            self._waiting.discard(waiting)
            self.start(self.state.side(waiting))

    def drop_all(self) -> None:
        self._waiting.clear()  # nothing held goes ahead: every side is being dropped
        for name in SideName:
            self.drop(name)

    def cancel(self, name: SideName) -> None:
        """The user's cancel: drop the side's job and say so; a side with nothing running is left alone.

        The side's settings go back to those of the result it still shows. Cancel means "not this
        after all", and a user expects what they see to be what the side says: with the cancelled
        choice left in the codec box, the panel would name an encode that does not exist while
        the picture, the readout and "Save bitstream" are all the previous result. Going back
        encodes nothing (that result is on show); choosing the cancelled setting again re-runs it.
        """
        if self._jobs[name] is None and name not in self._waiting:
            return
        self.drop(name)
        side = self.state.side(name)
        shown = side.result
        if shown is None or shown.preview or not self._of_current_image(shown) or shown.settings == side.settings:
            # Nothing earlier to go back to (a preview is of the cancelled settings themselves).
            side.set_status(SideStatus.CANCELLED, "cancelled")
            return
        side.set_settings(shown.settings)  # start() finds it on show: no job
        side.set_status(SideStatus.CANCELLED, f"cancelled: back to {shown.settings.label()}")

    def show(self, name: SideName, outcome: EncodeOutcome, note: str) -> None:
        """Put a result that no job of this side produced (a decoded .msp file) on the side.

        The side's own job is dropped first, so that it cannot replace the result when it ends.
        The side then takes the settings the result was made with (a .msp header's profile and
        quality), so that its controls describe what is on show; that encodes nothing.
        """
        self.drop(name)
        side = self.state.side(name)
        side.set_result(outcome)
        side.set_status(SideStatus.DONE, note)
        side.set_settings(outcome.settings)  # start() finds it on show: no job

    def _shows_own_settings(self, side: SideState) -> bool:
        return side.result_matches_settings and side.result is not None and self._of_current_image(side.result)

    def _of_current_image(self, result: EncodeOutcome) -> bool:
        image = self.state.image
        return image is not None and result.image_key == image.key

    # -- job events -------------------------------------------------------------------------------
    def on_started(self, job_id: int) -> None:
        side = self.owner(job_id)
        if side is not None:
            has_preview = side.result is not None and side.result.preview
            side.set_status(SideStatus.RUNNING, REFINING if has_preview else "encoding")
        elif (side := self.preview_owner(job_id)) is not None:
            side.set_status(SideStatus.RUNNING, "encoding a preview")

    def on_progress(self, job_id: int, progress: JobProgress) -> None:
        side = self.owner(job_id)
        if side is not None:
            side.set_progress(progress)

    def on_finished(self, job_id: int, outcome: EncodeOutcome) -> None:
        self._preview_ids.discard(job_id)
        if (preview_side := self.preview_owner(job_id)) is not None:
            preview_side.set_result(replace(outcome, label=f"{outcome.label} · {PREVIEW_NOTE}", preview=True))
            preview_side.set_status(SideStatus.RUNNING, REFINING)
            self._preview_ended(preview_side.name)
            return
        side = self.owner(job_id)
        if side is not None:
            self._drop_preview(side.name)  # a cached real result can arrive before its preview
            self._jobs[side.name] = None
            side.set_result(outcome)
            side.set_status(SideStatus.DONE)
            self.finished.emit(side)
        elif job_id in self._stale:
            self._stale.discard(job_id)
            self.stale_dropped += 1

    def on_failed(self, job_id: int, text: str) -> None:
        self._preview_ids.discard(job_id)
        if (preview_side := self.preview_owner(job_id)) is not None:
            self._preview_ended(preview_side.name)  # the real job reports for itself
            return
        side = self.owner(job_id)
        if side is not None:
            self._jobs[side.name] = None
            side.set_status(SideStatus.FAILED, text)
            self.message.emit("error", f"Side {side.name.value}: {text}")
        self._stale.discard(job_id)

    def on_cancelled(self, job_id: int) -> None:
        self._stale.discard(job_id)
        self._preview_ids.discard(job_id)
        if (preview_side := self.preview_owner(job_id)) is not None:
            self._preview_ended(preview_side.name)
            return
        side = self.owner(job_id)
        if side is not None:
            self._jobs[side.name] = None
            side.set_status(SideStatus.CANCELLED, "cancelled")

