"""Where an encode or a decode spends its time: named stages, timed only while someone records.

The codec marks its stages with :func:`stage`; ``msp bench --stages`` records them with
:func:`record_stages`. Speed work starts from this table rather than from guesses (issue #22).
When nothing records, a stage costs one context-variable read.

Stages nest, and each is charged its own time only (its children are charged to themselves), so
the rows of a recording add up to the recorded total. A nested stage is named by its path, e.g.
``lof true cost / backbone, scale 0``: the entropy coding that LOF's checkpoints run is kept
apart from the final bitstream's.
"""

from __future__ import annotations

import contextlib
import functools
import statistics
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")

__all__ = ["StageTime", "StageTimes", "stage", "staged", "record_stages", "median_stage_times"]

PATH_SEPARATOR = " / "


@dataclass(frozen=True)
class StageTime:
    """One stage of a recording: its own seconds (children excluded) over ``calls`` entries."""

    name: str
    seconds: float
    calls: int


@dataclass(frozen=True)
class StageTimes:
    """A recording: the stages in the order they first ran, and the wall time of the recording."""

    stages: tuple[StageTime, ...]
    total_seconds: float

    @property
    def unstaged_seconds(self) -> float:
        """Time inside the recording but outside every stage (argument checks, conversions)."""
        return self.total_seconds - sum(s.seconds for s in self.stages)

    def seconds(self, name: str) -> float:
        """A stage's own seconds (0 when it did not run)."""
        return next((s.seconds for s in self.stages if s.name == name), 0.0)


class _Recorder:
    def __init__(self, synchronize: Callable[[], None] | None) -> None:
        self.synchronize = synchronize or (lambda: None)
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.path: list[str] = []
        self.child_seconds: list[float] = []  # per open stage: time its children took

    def enter(self, name: str) -> float:
        self.synchronize()
        self.path.append(name)
        self.child_seconds.append(0.0)
        return time.perf_counter()

    def leave(self, started: float) -> None:
        self.synchronize()
        elapsed = time.perf_counter() - started
        key = PATH_SEPARATOR.join(self.path)
        self.path.pop()
        own = elapsed - self.child_seconds.pop()
        self.seconds[key] = self.seconds.get(key, 0.0) + own
        self.calls[key] = self.calls.get(key, 0) + 1
        if self.child_seconds:
            self.child_seconds[-1] += elapsed


_active: ContextVar[_Recorder | None] = ContextVar("codec_stage_recorder", default=None)


@contextlib.contextmanager
def stage(name: str) -> Iterator[None]:
    """Charge the time of the ``with`` block to ``name`` (nested under any open stage)."""
    recorder = _active.get()
    if recorder is None:
        yield
        return
    started = recorder.enter(name)
    try:
        yield
    finally:
        recorder.leave(started)


def staged(name: str) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Decorator: every call of the function is the stage ``name``."""

    def decorate(function: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(function)
        def timed(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            with stage(name):
                return function(*args, **kwargs)

        return timed

    return decorate


@contextlib.contextmanager
def record_stages(synchronize: Callable[[], None] | None = None) -> Iterator[Callable[[], StageTimes]]:
    """Record the stages run inside the ``with`` block, in this thread (or task).

    Yields a function that returns the recording (call it after the block). ``synchronize`` is
    called at every stage boundary: a GPU's kernels run asynchronously, so without
    ``torch.cuda.synchronize`` their time would land in whichever stage waits for them first.
    """
    recorder = _Recorder(synchronize)
    token = _active.set(recorder)
    recorder.synchronize()
    started = time.perf_counter()
    finished: list[StageTimes] = []
    try:
        yield lambda: finished[0]
    finally:
        recorder.synchronize()
        total = time.perf_counter() - started
        _active.reset(token)
        stages = tuple(StageTime(name, recorder.seconds[name], recorder.calls[name]) for name in recorder.seconds)
        finished.append(StageTimes(stages, total))


def median_stage_times(recordings: list[StageTimes]) -> StageTimes:
    """Per stage, the median of its seconds over ``recordings`` (a stage missing from one counts 0
    there); the total is the median total, so the rows need not add up to it exactly."""
    if not recordings:
        raise ValueError("no recordings")
    names = list(dict.fromkeys(s.name for r in recordings for s in r.stages))
    calls = {s.name: s.calls for r in recordings for s in r.stages}
    stages = tuple(StageTime(n, statistics.median(r.seconds(n) for r in recordings), calls[n]) for n in names)
    return StageTimes(stages, statistics.median(r.total_seconds for r in recordings))
