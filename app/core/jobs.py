"""What the app's state machines need from the job service: submit, cancel, priorities.

The side jobs, the RD sweep and the bitrate matcher only start encodes and cancel them; they
hear about results from the controller, which routes the service's Qt signals to them. Naming
that slice here, without Qt, keeps them in the core and lets tests drive them with a plain fake
instead of real codecs and threads.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Protocol

from app.core.backends.msp import MspInfo
from app.core.codecs import SideSettings
from app.core.image_io import LoadedImage

__all__ = ["Priority", "JobRunner", "ModelThreadRunner"]


class Priority(IntEnum):
    """Higher runs first. A user's own request always beats background work."""

    SWEEP = 10
    BATCH = 15  # a batch run (app.core.batch_run): above the sweep, below anything the user waits for
    MATCH = 20
    INTERACTIVE = 30


class JobRunner(Protocol):
    """The part of :class:`~app.workers.service.EncodeService` the core's state machines use."""

    @property
    def msp_info(self) -> MspInfo:
        """What is known about the MSP codec so far (unavailable while it loads); read only here."""
        ...

    def submit(self, image: LoadedImage, settings: SideSettings, priority: Priority = Priority.INTERACTIVE,
               use_cache: bool = True, preview: bool = False) -> int:
        """Start an encode; its result, failure or cancellation arrives later under the returned id.
        A ``preview`` is a side's quick stand-in (:attr:`EncodeOutcome.preview`)."""
        ...

    def cancel(self, request_id: int) -> None:
        """Nobody wants ``request_id`` any more (a cancellation event follows for running work)."""
        ...

    def cached(self, image: LoadedImage, settings: SideSettings) -> bool:
        """Whether ``settings``' result for ``image`` is at hand (a submit answers at once)."""
        ...

    def user_busy(self) -> bool:
        """Work the user waits for (anything above the sweep's priority) is queued or running."""
        ...


class ModelThreadRunner(Protocol):
    """The part of :class:`~app.workers.service.EncodeService` that runs other work needing torch
    (the bits view's reports) on the model thread, in turn with its encodes."""

    def run_on_model_thread(self, call: Callable[[], object], priority: Priority = Priority.INTERACTIVE) -> int:
        """Run ``call`` there; its return value (``callFinished``) or its failure arrives later
        under the returned id."""
        ...

    def cancel(self, request_id: int) -> None:
        """Nobody wants ``request_id`` any more: a call still queued never runs."""
        ...
