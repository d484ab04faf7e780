"""The bits view's jobs: a side that shows its bits gets its bitstream's report from the model thread.

While a side's bits are shown (:attr:`ViewState.bits_sides`) and its result on show is an MSP
bitstream, the report of that bitstream (:func:`app.core.bits_view.compute_bits_report`: a decode
of the latent, seconds on a large image) is asked of the model thread, which owns torch. A new
result supersedes the job for the old one (cancelled if still queued, its report dropped if it
arrives); reports are kept per bitstream, least recently used out, so switching the view off and
on, or back to an earlier setting, does not measure a file twice. A preview (MSP without LOF, on
show while LOF runs) is not measured: the final bitstream follows within seconds.

Plain Python: the controller feeds it the service's call events; tests feed it a fake runner.
"""

from __future__ import annotations

import functools
from collections import OrderedDict

from codec.bitstream import MAGIC

from app.core.bits_view import BitsReport, compute_bits_report
from app.core.events import Event
from app.core.jobs import ModelThreadRunner
from app.core.results import EncodeOutcome
from app.core.state import ComparisonState, SideName, SideState
from app.core.view_state import ViewState

__all__ = ["BitsJobs", "MEASURING", "NOT_MSP", "WAITING_FOR_FINAL"]

MEASURING = "measuring where the bits go…"
NOT_MSP = "no bits map: not an MSP bitstream"
WAITING_FOR_FINAL = "bits map: waiting for the final encode"
_NO_RESULT = "bits map: waiting for its result"


class BitsJobs:
    """Each side's bits report (or why there is none), kept in step with its result and the view."""

    def __init__(self, state: ComparisonState, view: ViewState, runner: ModelThreadRunner, capacity: int = 4) -> None:
        self.state = state
        self.view = view
        self.runner = runner
        self.capacity = capacity
        self.changed = Event()  # (SideName): its report or note changed
        self.computed = 0
        """How many reports were computed (for tests: a kept report is not computed again)."""
        self._reports: OrderedDict[bytes, BitsReport] = OrderedDict()
        self._jobs: dict[SideName, int | None] = dict.fromkeys(SideName)
        self._asked: dict[SideName, bytes | None] = dict.fromkeys(SideName)
        """The bitstream each side's report, job or failure is about."""
        self._notes: dict[SideName, str] = dict.fromkeys(SideName, "")
        self._failures: dict[SideName, str] = dict.fromkeys(SideName, "")
        self._shown: dict[SideName, BitsReport | None] = dict.fromkeys(SideName)
        for side in state.sides.values():
            side.result_changed.connect(self._on_result)
        view.changed.connect(self.refresh)

    def report(self, name: SideName) -> BitsReport | None:
        """The report of the side's result on show, while its bits are shown; None otherwise."""
        return self._shown[name]

    def note(self, name: SideName) -> str:
        """Why the side shows no bits map yet ("" when it has one, or its bits are not shown)."""
        return self._notes[name]

    def job(self, name: SideName) -> int | None:
        return self._jobs[name]

    # -- keeping in step ------------------------------------------------------------------------
    def refresh(self) -> None:
        for name in SideName:
            self._update(name)

    def _on_result(self, side: SideState) -> None:
        self._update(side.name)

    def _wanted(self, name: SideName) -> tuple[EncodeOutcome | None, str]:
        """The result whose bitstream to report on, or why there is none."""
        if name.value not in self.view.bits_sides:
            return None, ""
        result = self.state.side(name).result
        if result is None:
            return None, _NO_RESULT
        if not result.data.startswith(MAGIC):
            return None, NOT_MSP
        if result.preview:
            return None, WAITING_FOR_FINAL
        return result, ""

    def _update(self, name: SideName) -> None:
        result, note = self._wanted(name)
        data = result.data if result is not None else None
        if data != self._asked[name]:
            self._drop_job(name)
            self._asked[name] = data
        report = self._reports.get(data) if data is not None else None
        if report is not None:
            self._reports.move_to_end(data)  # type: ignore[arg-type]  # a report's key is not None
        elif result is not None:
            if self._jobs[name] is None and not self._failures[name]:
                self._jobs[name] = self.runner.run_on_model_thread(
                    functools.partial(compute_bits_report, result.data, result.device))
            note = self._failures[name] or MEASURING
        self._set(name, report, note)

    def _drop_job(self, name: SideName) -> None:
        job = self._jobs[name]
        if job is not None:
            self.runner.cancel(job)
        self._jobs[name] = None
        self._failures[name] = ""

    def _set(self, name: SideName, report: BitsReport | None, note: str) -> None:
        if report is not self._shown[name] or note != self._notes[name]:
            self._shown[name] = report
            self._notes[name] = note
            self.changed.emit(name)

    # -- job events -----------------------------------------------------------------------------
    def _owner(self, job_id: int) -> SideName | None:
        return next((name for name, job in self._jobs.items() if job == job_id), None)

    def on_finished(self, job_id: int, report: object) -> None:
        name = self._owner(job_id)
        data = self._asked[name] if name is not None else None
        if name is None or data is None or not isinstance(report, BitsReport):
            return  # another part's call
        self._jobs[name] = None
        self.computed += 1
        self._reports[data] = report
        while len(self._reports) > self.capacity:
            self._reports.popitem(last=False)
        self._update(name)

    def on_failed(self, job_id: int, text: str) -> None:
        name = self._owner(job_id)
        if name is None:
            return
        self._jobs[name] = None
        self._failures[name] = f"bits map failed: {text}"
        self._update(name)
