"""Error maps off the GUI thread, cached per outcome.

The canvas asks :meth:`ErrorMapJobs.lookup` for a side's map each time it paints. A map not
made yet is started on a private one-thread ``QThreadPool`` (one map at a time leaves the other
core to the GUI and the encoders; the thread runs at the workers' lower priority) and the pane
says so until ``ready`` fires. Finished maps are kept, least recently used first out, keyed by
the identity of the arrays they were made from (an outcome's reconstruction is never mutated, and
the cache holds the arrays, so an id cannot be reused while its entry lives): flipping between
views, sides or map kinds, or changing the gain, never computes a map twice.

A map is an 8-bit indexed ``QImage`` (levels from :func:`app.core.error_maps.error_levels`) made
on the worker; the gain is its colour table, set here when it changes (256 entries, no pixel
touched), so the G / Shift+G keys are instant even on a 33 MP image.

scikit-image (and the part of SciPy it filters with) takes half a second to import, holding the
interpreter for much of it; imported by the first map, that stalled the window for 134 ms at the
very moment the user asked for a map. So the pool imports it a few seconds after start-up, when
nothing waits for it.
"""

from __future__ import annotations

import threading
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtGui import QImage

from app.core.error_maps import ErrorMapKind, colour_table, error_levels
from app.workers.priority import lower_current_thread_priority

__all__ = ["ErrorMapJobs", "MapLookup", "levels_image"]

_Key = tuple[ErrorMapKind, int, int]  # kind, id(original), id(reconstruction)


@dataclass(frozen=True)
class MapLookup:
    """A side's map as it stands: the image to draw, or a note for the pane (computing, failed)."""

    image: QImage | None
    note: str = ""


@dataclass(eq=False)
class _Entry:
    original: np.ndarray
    reconstruction: np.ndarray
    cancel: threading.Event = field(default_factory=threading.Event)
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


class _WarmUp(QRunnable):
    def run(self) -> None:
        lower_current_thread_priority()
        import skimage.metrics  # noqa: F401 - imported for its side effect: the first map need not wait


class _Signals(QObject):
    """Lives on the GUI thread; the runnables emit through it (queued to the receiver)."""

    finished = Signal(object, object, object, str)  # key, its entry, QImage | None, error


class _MapRunnable(QRunnable):
    def __init__(self, key: _Key, entry: _Entry, signals: _Signals) -> None:
        super().__init__()
        self.key = key
        self.entry = entry
        self.signals = signals
        self.setAutoDelete(True)

    def run(self) -> None:
        lower_current_thread_priority()
        entry = self.entry
        try:
            levels = error_levels(self.key[0], entry.original, entry.reconstruction, cancel=entry.cancel.is_set)
            image = levels_image(levels) if levels is not None else None
        except ValueError as exc:  # a picture too small for an SSIM window, or of another size
            self.signals.finished.emit(self.key, entry, None, str(exc))
        except Exception as exc:  # noqa: BLE001 - report, never crash the pool thread
            traceback.print_exc()
            self.signals.finished.emit(self.key, entry, None, f"internal error: {exc!r}")
        else:
            self.signals.finished.emit(self.key, entry, image, "")


class ErrorMapJobs(QObject):
    """Computes and caches error maps; ``ready`` tells the canvas to repaint."""

    ready = Signal()

    def __init__(self, parent: QObject | None = None, capacity: int = 8, warm_up_ms: int | None = 5000) -> None:
        """``warm_up_ms``: import scikit-image on the pool this long after start (None: at the first map)."""
        super().__init__(parent)
        self.capacity = capacity
        self.computed = 0
        """How many maps were computed (for tests: a cached map is not computed again)."""
        self._entries: OrderedDict[_Key, _Entry] = OrderedDict()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._signals = _Signals(self)
        self._signals.finished.connect(self._on_finished)
        if warm_up_ms is not None:
            QTimer.singleShot(warm_up_ms, self, lambda: self.pool.start(_WarmUp()))

    def lookup(self, kind: ErrorMapKind, original: np.ndarray, reconstruction: np.ndarray, gain: float) -> MapLookup:
        """The map of ``reconstruction`` against ``original``, coloured for ``gain``; starts it if new."""
        key = (kind, id(original), id(reconstruction))
        entry = self._entries.get(key)
        if entry is None:
            entry = _Entry(original, reconstruction)
            self._entries[key] = entry
            self.pool.start(_MapRunnable(key, entry, self._signals))
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
                entry.cancel.set()
                del self._entries[key]

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        for entry in self._entries.values():
            entry.cancel.set()
        self.pool.clear()
        self.pool.waitForDone(timeout_ms)

    def _on_finished(self, key: _Key, entry: _Entry, image: QImage | None, error: str) -> None:
        if self._entries.get(key) is not entry or entry.cancel.is_set():
            return  # retained away while it ran (the same pictures asked again have a new entry)
        if image is None and not error:
            del self._entries[key]  # cancelled: computed again if asked again
            return
        entry.image, entry.error = image, error
        self.computed += 1
        done = [k for k, e in self._entries.items() if e.done]
        for stale in done[:max(0, len(done) - self.capacity)]:
            del self._entries[stale]
        self.ready.emit()
