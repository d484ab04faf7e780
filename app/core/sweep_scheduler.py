"""Runs the background RD sweep: feeds :func:`~app.core.sweep.sweep_plan` to the service a little at a time.

At most one classic and one MSP sweep job are in flight, at the lowest priority, and none starts
while the user waits for work of their own (:meth:`JobRunner.user_busy`): the user's request
preempts the sweep's running jobs, and the sweep resumes when the service says the user's work is
done (:meth:`resume`). Points the RD store already has are
not measured again; a sweep job pushed aside by a user request goes back to the front of the plan.
Plain Python: the controller feeds it the service's job events; tests feed it a fake service.
"""

from __future__ import annotations

from app.core.backends.msp import MspInfo
from app.core.codecs import SideSettings, on_model_thread
from app.core.events import Event
from app.core.jobs import JobRunner, Priority
from app.core.rd_store import RDStore
from app.core.state import ComparisonState
from app.core.sweep import sweep_plan

__all__ = ["SweepScheduler"]


class SweepScheduler:
    """The sweep's plan, its jobs in flight and its progress (points done of points planned)."""

    def __init__(self, state: ComparisonState, rd: RDStore, runner: JobRunner, enabled: bool = True) -> None:
        self.state = state
        self.rd = rd
        self.runner = runner
        self.enabled = enabled
        """Whether a new image starts a sweep (the user's Ctrl+R toggle, saved in the settings)."""
        self.progress = Event()  # (done, total)
        self._plan: list[SideSettings] = []
        self._jobs: dict[int, SideSettings] = {}
        self._total = 0
        self._done = 0

    def running(self) -> bool:
        """Points are still waiting or being measured."""
        return bool(self._plan or self._jobs)

    def counts(self) -> tuple[int, int]:
        """(points done, points planned), as last reported through :attr:`progress`."""
        return self._done, self._total

    def start(self) -> None:
        """Enable the sweep and plan every point of the current image the RD store lacks."""
        self.enabled = True
        if self.state.image is None:
            return
        info = self.runner.msp_info
        wanted = sweep_plan(info.codecs if info.available else ())
        have, in_flight = self._measured(), set(self._jobs.values())
        self._plan = [s for s in wanted if s not in have and s not in in_flight]
        self._total = len(wanted)
        self._done = self._total - len(self._plan) - len(self._jobs)
        self.progress.emit(self._done, self._total)
        self._pump()

    def add_msp(self, info: MspInfo) -> None:
        """The MSP codec came up after the sweep started: append its profiles' points."""
        if not self.enabled or self.state.image is None:
            return
        known = set(self._plan) | set(self._jobs.values())
        extra = [s for s in sweep_plan(info.codecs, pool=()) if s not in known]
        have = self._measured()
        self._plan.extend(s for s in extra if s not in have)
        self._total += len(extra)
        self._done += sum(s in have for s in extra)
        self.progress.emit(self._done, self._total)
        self._pump()

    def stop(self, disable: bool = False) -> None:
        """Drop the plan and cancel the jobs in flight; ``disable`` also keeps new images from sweeping."""
        if disable:
            self.enabled = False
        self._plan.clear()
        for job_id in list(self._jobs):
            self.runner.cancel(job_id)
        self._jobs.clear()
        self._total = self._done = 0
        self.progress.emit(0, 0)

    def resume(self) -> None:
        """The user's own work has ended: go on with the plan."""
        self._pump()

    def _measured(self) -> set[SideSettings]:
        """The points the RD store has: measured already, or saved by an earlier session."""
        return {p.settings for codec in self.rd.codecs() for p in self.rd.curve(codec)}

    # -- job events -------------------------------------------------------------------------------
    def on_finished(self, job_id: int) -> None:
        """A sweep point was measured (the controller put it in the RD store): on to the next."""
        if job_id in self._jobs:
            del self._jobs[job_id]
            self._done += 1
            self.progress.emit(self._done, self._total)
            self._pump()

    def on_failed(self, job_id: int) -> None:
        """A point that cannot be measured counts as done, so one broken codec cannot stall the sweep."""
        self.on_finished(job_id)

    def on_cancelled(self, job_id: int, preempted: bool) -> None:
        if job_id in self._jobs:
            settings = self._jobs.pop(job_id)
            if preempted:
                self._plan.insert(0, settings)  # pushed aside by a user request: retry later
            self._pump()

    def _pump(self) -> None:
        """Keep at most one pool and one model-thread sweep job in flight, so user requests stay snappy."""
        image = self.state.image
        if image is None or self.runner.user_busy():
            return
        busy_classic = any(not on_model_thread(s.codec) for s in self._jobs.values())
        busy_msp = any(on_model_thread(s.codec) for s in self._jobs.values())
        index = 0
        while index < len(self._plan) and not (busy_classic and busy_msp):
            settings = self._plan[index]
            msp = on_model_thread(settings.codec)
            if (msp and busy_msp) or (not msp and busy_classic):
                index += 1
                continue
            self._plan.pop(index)
            self._jobs[self.runner.submit(image, settings, Priority.SWEEP)] = settings
            busy_msp = busy_msp or msp
            busy_classic = busy_classic or not msp
