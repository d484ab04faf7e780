"""A job handle shared between the GUI thread and a worker thread.

Immutable apart from the cancel flag (a ``threading.Event``, safe to set from the GUI thread
while a worker polls it).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from app.core.codecs import SideSettings
from app.core.image_io import LoadedImage
from app.core.jobs import Priority  # defined in the core, whose state machines pick it

__all__ = ["Priority", "Job", "BitstreamJob", "ModelCall", "next_job_id"]

_ids = itertools.count(1)


def next_job_id() -> int:
    return next(_ids)


@dataclass(eq=False)
class Job:
    job_id: int
    image: LoadedImage
    settings: SideSettings
    priority: Priority
    cancel_event: threading.Event = field(default_factory=threading.Event)
    preempted: bool = False
    """Cancelled to make room for a more urgent job (the sweep re-queues it)."""
    preview: bool = False
    """A side's quick stand-in (:attr:`EncodeOutcome.preview`)."""

    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def cancel(self, preempted: bool = False) -> None:
        self.preempted = self.preempted or preempted
        self.cancel_event.set()


@dataclass(eq=False)
class BitstreamJob:
    """Decode a .msp file (on the MSP worker, which owns the model)."""

    job_id: int
    data: bytes
    device: str
    reference: LoadedImage | None
    name: str


@dataclass(eq=False)
class ModelCall:
    """Run a plain function on the MSP worker, in turn with its encodes: work that needs torch or
    the model but is not an encode (a bitstream's bits report)."""

    job_id: int
    call: Callable[[], object]
