"""Error maps off the GUI process, cached per outcome.

The canvas asks :meth:`ErrorMapJobs.lookup` for a side's map each time it paints. A map not
made yet is queued for a child process of its own (:class:`~app.workers.child_process.ChildProcess`,
one map at a time, at the workers' lower priority) and the pane says so until ``ready`` fires.
A child process rather than a thread: the SSIM map's scipy filters hold Python's interpreter
lock a strip at a time for seconds, and a thread holding it, however low its priority, made the
GUI thread wait 53-171 ms for it on the loaded 2-core machine. The process's caller thread
sends each pair and waits for its levels (through shared memory: the GUI thread does none of
it), makes the image, and hands it to the GUI thread through a queued signal. Pictures no
longer on screen are dropped from the queue, and the one being made is cancelled in the process
(:meth:`retain`).

Finished maps are kept, least recently used first out, keyed by the identity of the arrays they
were made from (an outcome's reconstruction is never mutated, and the cache holds the arrays, so
an id cannot be reused while its entry lives): flipping between views, sides or map kinds, or
changing the gain, never computes a map twice.

A map is an 8-bit indexed ``QImage`` (levels from :func:`app.core.error_maps.error_levels`) made
off the GUI thread; the gain is its colour table, set here when it changes (256 entries, no pixel
touched), so the G / Shift+G keys are instant even on a 33 MP image.

The process starts a few seconds after the window, importing scikit-image (half a second) as it
starts, so that the first map waits for neither.
"""

from __future__ import annotations

import contextlib
import itertools
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QImage

from app.core.error_maps import ErrorMapKind, colour_table
from app.workers.child_process import ChildFailedError, ChildProcess, ChildStoppedError
from app.workers.priority import BACKGROUND_NICE

__all__ = ["ErrorMapJobs", "MapLookup", "levels_image"]

_Key = tuple[ErrorMapKind, int, int]  # kind, id(original), id(reconstruction)


@dataclass(frozen=True)
class MapLookup:
    """A side's map as it stands: the image to draw, or a note for the pane (computing, failed)."""

    image: QImage | None
    note: str = ""


@dataclass(eq=False)
class _Entry:
    key: _Key
    original: np.ndarray
    reconstruction: np.ndarray
    token: int = 0
    """Its request to the process, once sent."""
    image: QImage | None = None
    error: str = ""
    gain: float | None = None
    """The gain the image's colour table was made for."""

    @property
    def done(self) -> bool:
        return self.image is not None or bool(self.error)


def levels_image(levels: np.ndarray) -> QImage:
    """An 8-bit indexed QImage owning a copy of H x W uint8 ``levels`` (grey until a colour table is set)."""
    array = np.ascontiguousarray(levels, dtype=np.uint8)
    height, width = array.shape
    image = QImage(array.data, width, height, array.strides[0], QImage.Format.Format_Indexed8).copy()
    image.setColorTable([0xFF000000 | (i * 0x010101) for i in range(256)])
    return image


class ErrorMapJobs(QObject):
    """Computes and caches error maps; ``ready`` tells the canvas to repaint."""

    ready = Signal()
    _finished = Signal(int, object, str)  # token, QImage | None (cancelled), error

    def __init__(self, parent: QObject | None = None, capacity: int = 8, warm_up_ms: int | None = 5000) -> None:
        """``warm_up_ms``: start the process this long after start-up (None: at the first map)."""
        super().__init__(parent)
        self.capacity = capacity
        self.computed = 0
        """How many maps were computed (for tests: a cached map is not computed again)."""
        self._entries: OrderedDict[_Key, _Entry] = OrderedDict()
        self._queue: list[_Entry] = []
        self._running: _Entry | None = None
        self._tokens = itertools.count(1)
        self._process = ChildProcess(BACKGROUND_NICE, preload=("skimage.metrics",))
        self._finished.connect(self._on_finished)
        if warm_up_ms is not None:
            QTimer.singleShot(warm_up_ms, self, self._warm_up)

    def lookup(self, kind: ErrorMapKind, original: np.ndarray, reconstruction: np.ndarray, gain: float) -> MapLookup:
        """The map of ``reconstruction`` against ``original``, coloured for ``gain``; starts it if new."""
        key = (kind, id(original), id(reconstruction))
        entry = self._entries.get(key)
        if entry is None:
            entry = _Entry(key, original, reconstruction)
            self._entries[key] = entry
            self._queue.append(entry)
            self._dispatch()
        self._entries.move_to_end(key)
        if entry.error:
            return MapLookup(None, entry.error)
        if entry.image is None:
            return MapLookup(None, "computing the SSIM map…" if kind is ErrorMapKind.SSIM else "computing the error map…")
        if entry.gain != gain:
            entry.image.setColorTable(list(colour_table(gain)))
            entry.gain = gain
        return MapLookup(entry.image)

    def pending(self) -> int:
        """Maps still being computed."""
        return sum(not entry.done for entry in self._entries.values())

    def retain(self, arrays: list[np.ndarray]) -> None:
        """Stop and forget maps being computed for pictures no longer on screen (a newer result or
        image replaced them); finished maps stay cached for when they come back."""
        alive = {id(a) for a in arrays}
        for key, entry in list(self._entries.items()):
            if not entry.done and not (key[1] in alive and key[2] in alive):
                del self._entries[key]
                if entry in self._queue:
                    self._queue.remove(entry)
                elif entry is self._running:
                    self._process.cancel(entry.token)  # it answers None soon; the next starts then

    def shutdown(self) -> None:
        """Forget the queue and end the process now (a map under way is abandoned)."""
        self._queue.clear()
        self._running = None
        self._entries.clear()
        self._process.stop()

    # -- internals --------------------------------------------------------------------------------
    def _warm_up(self) -> None:
        with contextlib.suppress(OSError):  # the first map says why
            self._process.start()

    def _dispatch(self) -> None:
        if self._running is not None or not self._queue:
            return
        entry = self._running = self._queue.pop(0)
        entry.token = next(self._tokens)
        try:
            self._process.start()
        except OSError as exc:
            token, why = entry.token, f"the error-map process cannot start ({exc})"
            QTimer.singleShot(0, self, lambda: self._on_finished(token, None, why))
            return
        self._process.submit(entry.token, "error_levels", (entry.key[0], entry.original, entry.reconstruction),
                             self._answered)

    def _answered(self, token: int, levels: object) -> None:
        """On the process's caller thread: make the image, hand it to the GUI thread."""
        image: QImage | None = None
        error = ""
        if isinstance(levels, ChildFailedError):  # ValueError: a picture too small for an SSIM window, or of another size
            error = levels.message if levels.kind == "ValueError" else f"internal error: {levels}"
        elif isinstance(levels, ChildStoppedError):
            error = f"the error-map {levels}"
        elif isinstance(levels, np.ndarray):
            image = levels_image(levels)
        with contextlib.suppress(RuntimeError):  # this object is gone (the window closed as it answered)
            self._finished.emit(token, image, error)

    def _on_finished(self, token: int, image: QImage | None, error: str) -> None:
        entry = self._running
        if entry is None or entry.token != token:
            return  # shut down
        self._running = None
        if self._entries.get(entry.key) is entry:  # else retained away as it ran (asked again: a new entry)
            if image is None and not error:
                del self._entries[entry.key]  # cancelled: computed again if asked again
            else:
                entry.image, entry.error = image, error
                self.computed += 1
                done = [k for k, e in self._entries.items() if e.done]
                for stale in done[:max(0, len(done) - self.capacity)]:
                    del self._entries[stale]
                self.ready.emit()
        self._dispatch()
