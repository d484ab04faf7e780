"""SSIMULACRA2 and FLIP of finished outcomes, in one background process (see :mod:`app.core.perceptual`).

The GUI thread keeps the queue: the user's own results (a side's encode, a bitrate match) go
ahead of the sweep's points, one pair at a time goes to the process, and a request for a new
image drops what was still queued for the old one (a result of it met again in the cache asks
again). The process (a :class:`~app.workers.child_process.ChildProcess` started on the first
request, with FLIP's OpenMP on one thread) runs below the encoders' priority; its caller
thread hands it each pair and waits for the answer, which comes back through a queued signal, so
the GUI thread never blocks on the process. A measurement that does not answer in a generous time
is given up and the process replaced; one that died is restarted for the next request, at most
:data:`MAX_RESTARTS` times in a row. Closing the window ends the process: nothing waits for a
measurement at exit.
"""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from app.core import perceptual
from app.core.results import EncodeOutcome
from app.workers.child_process import ChildFailedError, ChildProcess, ChildStoppedError
from app.workers.priority import BACKGROUND_NICE

__all__ = ["PerceptualJobs", "MAX_RESTARTS"]

MAX_RESTARTS = 3
"""Starts in a row that ended without an answer before the metrics are given up for the session."""

METRICS_NICE = min(19, BACKGROUND_NICE + 5)
"""Below the encoders (the sides' results come first), far below the GUI."""


@dataclass(eq=False)
class _Request:
    outcome: EncodeOutcome
    reference: np.ndarray
    urgent: bool
    token: int = 0


class _Stopped(str):
    """An answer that never came: the process ended (counts towards :data:`MAX_RESTARTS`)."""


class PerceptualJobs(QObject):
    measured = Signal(object)  # EncodeOutcome: with SSIMULACRA2 and FLIP, or why it has none
    _answered = Signal(int, object)  # token, (SSIMULACRA2, FLIP) or why not

    def __init__(self, parent: QObject | None = None, seconds_per_megapixel: float = 120.0) -> None:
        super().__init__(parent)
        self.seconds_per_megapixel = seconds_per_megapixel
        """How long a measurement may take (at least a minute) before it is given up."""
        self.computed = 0
        """Measurements answered by the process (for tests)."""
        self._queue: list[_Request] = []
        self._running: _Request | None = None
        self._process = ChildProcess(METRICS_NICE)
        self._failures = 0  # starts in a row that ended without an answer
        self._last_failure = ""
        self._tokens = itertools.count(1)
        self._closed = False
        self._answered.connect(self._on_answered)

    def request(self, outcome: EncodeOutcome, reference: np.ndarray, urgent: bool) -> EncodeOutcome:
        """Measure ``outcome`` (unless it needs no measuring: :func:`perceptual.plan`); returns it
        as it is to be shown meanwhile. Asking again for one queued or running changes nothing,
        except that an urgent request moves a queued one ahead of the sweep's."""
        outcome = perceptual.plan(outcome)
        if not outcome.metrics.perceptual_pending or self._closed:
            return outcome
        if self._running is not None and self._running.outcome.reconstruction is outcome.reconstruction:
            return outcome
        queued = next((r for r in self._queue if r.outcome.reconstruction is outcome.reconstruction), None)
        if queued is not None:
            if urgent and not queued.urgent:
                self._queue.remove(queued)
                self._enqueue(_Request(queued.outcome, queued.reference, True))
            return outcome
        self._queue = [r for r in self._queue if r.outcome.image_key == outcome.image_key]
        self._enqueue(_Request(outcome, reference, urgent))
        self._dispatch()
        return outcome

    def pending(self) -> int:
        """Outcomes queued or being measured."""
        return len(self._queue) + (self._running is not None)

    def shutdown(self) -> None:
        """Forget the queue and end the process now (a measurement under way is abandoned)."""
        self._closed = True
        self._queue.clear()
        self._running = None
        self._process.stop()

    # -- internals --------------------------------------------------------------------------------
    def _enqueue(self, request: _Request) -> None:
        """Urgent requests after the urgent ones already queued, the others at the end."""
        at = sum(1 for r in self._queue if r.urgent) if request.urgent else len(self._queue)
        self._queue.insert(at, request)

    def _dispatch(self) -> None:
        if self._running is not None or not self._queue or self._closed:
            return
        request = self._running = self._queue.pop(0)
        request.token = token = next(self._tokens)
        if self._failures >= MAX_RESTARTS:  # it cannot run here: say so, and do not start it again
            QTimer.singleShot(0, self, lambda: self._on_answered(token, self._last_failure))
            return
        try:
            self._process.start()
        except OSError as exc:
            self._failures = MAX_RESTARTS
            self._last_failure = f"the metrics process cannot start ({exc})"
            QTimer.singleShot(0, self, lambda: self._on_answered(token, self._last_failure))
            return
        self._process.submit(token, "perceptual_metrics", (request.reference, request.outcome.reconstruction),
                             self._exchanged)
        megapixels = request.outcome.height * request.outcome.width / 1e6
        timeout_ms = int(1000 * max(60.0, self.seconds_per_megapixel * megapixels))
        QTimer.singleShot(timeout_ms, self, lambda: self._give_up(token))

    def _exchanged(self, token: int, answer: object) -> None:
        """On the process's caller thread: hand the answer to the GUI thread."""
        if isinstance(answer, ChildStoppedError):
            answer = _Stopped(f"the metrics {answer}")  # "the metrics process stopped (EOFError)"
        elif isinstance(answer, ChildFailedError):
            answer = str(answer)
        with contextlib.suppress(RuntimeError):  # this object is gone (the window closed as it answered)
            self._answered.emit(token, answer)

    def _on_answered(self, token: int, answer: object) -> None:
        request = self._running
        if request is None or request.token != token:
            return  # given up on already, or shut down
        self._running = None
        if isinstance(answer, tuple):
            self.computed += 1
            self._failures = 0
            ssimulacra2, flip = answer
            self.measured.emit(perceptual.measured(request.outcome, ssimulacra2, flip))
        else:
            if isinstance(answer, _Stopped):
                self._failures += 1
                self._last_failure = str(answer)
            self.measured.emit(perceptual.failed(request.outcome, str(answer)))
        self._dispatch()

    def _give_up(self, token: int) -> None:
        request = self._running
        if request is None or request.token != token:
            return
        self._running = None
        self._process.stop()  # a new process for the next request
        self.measured.emit(perceptual.failed(request.outcome, "took too long"))
        self._dispatch()
