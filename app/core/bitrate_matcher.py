"""Runs a bitrate match: one side's quality searched until its bpp is closest to the other side's.

Each probe of the :class:`~app.core.bitrate_search.BitrateSearch` is a background job at
``Priority.MATCH`` (above the sweep, below the user's own requests); the best quality found is
then set on the side like any other settings change, so the side's normal encode shows it
(usually a cache hit: the probe already ran it). A probe pushed aside by a user request is
submitted again. While it searches, the side's ``activity`` says so (its panel shows it: the
picture on that side is about to change). Plain Python: the controller feeds it the service's job events.
"""

from __future__ import annotations

from app.core.bitrate_search import BitrateSearch
from app.core.codecs import SideSettings, title_of
from app.core.events import Event
from app.core.jobs import JobRunner, Priority
from app.core.results import EncodeOutcome
from app.core.state import ComparisonState, SideName

__all__ = ["BitrateMatcher"]


def _last_probe(search: BitrateSearch) -> str:
    if not search.probes:
        return ""
    quality, bpp = list(search.probes.items())[-1]
    return f" (q={quality:.3f} gave {bpp:.3f} bpp)"


class BitrateMatcher:
    """At most one search at a time; starting another, or cancelling, abandons the current one."""

    def __init__(self, state: ComparisonState, runner: JobRunner) -> None:
        self.state = state
        self.runner = runner
        self.status = Event()  # (text): for the status bar
        self._search: BitrateSearch | None = None
        self._job: int | None = None
        self._settings: SideSettings | None = None
        self._side = SideName.B

    def active(self) -> bool:
        """A search is under way."""
        return self._search is not None

    def start(self, target: SideName = SideName.B) -> None:
        """Search ``target``'s quality so that its bpp is closest to the other side's result.

        Nothing to match without a result on the other side, an image, or a codec on the target.
        """
        self.cancel()
        reference = self.state.side(target.other).result
        side = self.state.side(target)
        if reference is None or self.state.image is None or side.settings.is_original:
            return
        self._search = BitrateSearch(reference.bpp)
        self._side = target
        self.status.emit(f"Matching {title_of(side.settings.codec)} to {reference.bpp:.3f} bpp …")
        self._next_probe()

    def cancel(self) -> None:
        if self._job is not None:
            self.runner.cancel(self._job)
        self._end()

    def _end(self) -> None:
        if self._search is not None:
            self.state.side(self._side).set_activity("")
        self._search = None
        self._job = None
        self._settings = None

    # -- job events -------------------------------------------------------------------------------
    def on_finished(self, job_id: int, outcome: EncodeOutcome) -> None:
        if job_id != self._job or self._search is None:
            return
        self._search.report(outcome.settings.quality, outcome.bpp)
        self._next_probe()

    def on_failed(self, job_id: int, text: str) -> None:
        if job_id == self._job:
            self.status.emit(f"Bitrate match failed: {text}")
            self.cancel()

    def on_cancelled(self, job_id: int, preempted: bool) -> None:
        image = self.state.image
        if job_id == self._job and preempted and self._settings is not None and image is not None:
            self._job = self.runner.submit(image, self._settings, Priority.MATCH)

    def _next_probe(self) -> None:
        search = self._search
        image = self.state.image
        if search is None or image is None:
            return
        quality = search.next_quality()
        if quality is None:
            best = search.best()
            self._end()
            if best is not None:
                side = self.state.side(self._side)
                side.set_settings(side.settings.with_(quality=best[0]))
                self.status.emit(f"{title_of(side.settings.codec)} matched at q={best[0]:.3f} ({best[1]:.3f} bpp)")
            return
        side = self.state.side(self._side)
        self._settings = side.settings.with_(quality=quality)
        self._job = self.runner.submit(image, self._settings, Priority.MATCH)
        other = self._side.other.value
        side.set_activity(f"Matching {other}'s bitrate ({search.target:.3f} bpp): trying q={quality:.3f}"
                          + _last_probe(search))
