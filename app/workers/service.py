"""The job service: one entry point for every encode, on the GUI thread.

- Jobs are routed by the codec's capabilities (``codec.baselines``): codecs that need the model
  thread (MSP) go to the single worker thread that owns torch, one at a time, highest priority
  first (a user's request preempts a running sweep job); every other codec to a private
  ``QThreadPool``.
- Results are cached (LRU by image hash + codec + quality + device): a cache hit is answered on
  the next event-loop turn, so callers see the same asynchronous flow either way.
- Identical requests in flight are coalesced: the newcomer follows the running job.
- The user's own work comes first: a job the user waits for (a side's encode, a bitrate match, an
  opened ``.msp``) preempts the background sweep's running jobs on the model thread and the
  pool, and :meth:`user_busy` / ``userIdle`` let the sweep hold back until that work is done.
- Job ids let callers drop stale results; ``cancel`` stops work that nobody wants any more.
- SSIMULACRA2 and FLIP follow in a process of their own (:mod:`app.workers.perceptual_jobs`):
  ``jobFinished`` carries the outcome marked pending, ``metricsMeasured`` the same outcome with
  them, which also replaces it in the cache.
"""

from __future__ import annotations

import heapq
import itertools
import os
import sys
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, QThreadPool, QTimer, Signal

from app.core.backends.msp import MspInfo
from app.core.cache import CacheKey, ResultCache
from app.core.codecs import SideSettings, on_model_thread
from app.core.gc_pauses import freeze_startup_objects
from app.core.image_io import LoadedImage
from app.core.results import EncodeOutcome
from app.workers.classic_pool import ClassicRunnable, PoolSignals
from app.workers.jobs import BitstreamJob, Job, ModelCall, Priority, next_job_id
from app.workers.msp_worker import MspWorker
from app.workers.perceptual_jobs import PerceptualJobs

__all__ = ["EncodeService"]

_USER_MODEL_WORK = (BitstreamJob, ModelCall)
"""Model-thread work that is not an encode: the user asked for it (an opened file, a bits view)."""


class EncodeService(QObject):
    jobStarted = Signal(int)
    jobProgress = Signal(int, object)  # job id, JobProgress
    jobFinished = Signal(int, object)  # job id, EncodeOutcome
    jobFailed = Signal(int, str)
    jobCancelled = Signal(int, bool)  # job id, preempted
    mspReady = Signal(object)  # MspInfo
    bitstreamOpened = Signal(int, object, object)  # job id, EncodeOutcome, decoded pixels
    callFinished = Signal(int, object)  # job id, what run_on_model_thread's function returned
    userIdle = Signal()  # the last job the user waited for has ended: background work may go on
    metricsMeasured = Signal(object)  # EncodeOutcome, answered before, now with SSIMULACRA2 and FLIP

    _runMsp = Signal(object)
    _openBitstream = Signal(object)
    _callOnModel = Signal(object)

    def __init__(self, cache: ResultCache | None = None, pool_threads: int | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cache = cache if cache is not None else ResultCache()
        self.msp_info = MspInfo(available=False, reason="MSP codec is loading")
        self.msp_loading = True  # until the worker reports (mspReady), whatever it found
        self._jobs: dict[int, Job] = {}  # primary job id -> job doing the work
        self._subscribers: dict[int, list[int]] = {}  # primary job id -> request ids waiting for it
        self._inflight: dict[CacheKey, int] = {}  # identical requests share one primary job
        self._msp_queue: list[tuple[int, int, Job | BitstreamJob | ModelCall]] = []
        self._msp_running: Job | BitstreamJob | ModelCall | None = None
        self._order = itertools.count()
        self._closed = False

        self.pool = QThreadPool(self)
        cores = os.cpu_count() or 2
        self.pool.setMaxThreadCount(pool_threads or max(2, min(4, cores - 1)))
        self._pool_signals = PoolSignals(self)
        self._pool_signals.started.connect(self.jobStarted)
        self._pool_signals.finished.connect(self._on_finished)
        self._pool_signals.failed.connect(self._on_failed)
        self._pool_signals.cancelled.connect(self._on_cancelled)

        self._thread = QThread(self)
        self._thread.setObjectName("msp-worker")
        self.worker = MspWorker()
        self.worker.moveToThread(self._thread)
        self._thread.finished.connect(self.worker.deleteLater)
        self._thread.started.connect(self.worker.initialize)
        self._runMsp.connect(self.worker.run)
        self._openBitstream.connect(self.worker.open_bitstream)
        self._callOnModel.connect(self.worker.call)
        self.worker.ready.connect(self._on_msp_ready)
        self.worker.started.connect(self.jobStarted)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)
        self.worker.bitstreamDecoded.connect(self._on_bitstream)
        self.worker.called.connect(self.callFinished)
        self.worker.idle.connect(self._on_msp_idle)
        self._thread.start()

        # SSIMULACRA2 and FLIP take seconds: a result is answered without them (marked pending),
        # and again through metricsMeasured once they are in (app.core.perceptual).
        self.perceptual = PerceptualJobs(self)
        self.perceptual.measured.connect(self._on_perceptual)

    # -- public API --------------------------------------------------------------------------
    def submit(self, image: LoadedImage, settings: SideSettings, priority: Priority = Priority.INTERACTIVE,
               use_cache: bool = True, preview: bool = False) -> int:
        """Start (or answer from the cache) an encode; returns the id its signals will carry."""
        request_id = next_job_id()
        key = CacheKey.of(image.key, settings)
        cached = self.cache.get(key) if use_cache else None
        if cached is not None:
            self.perceptual.request(cached, image.pixels, urgent=priority > Priority.BATCH)  # if dropped for another image
            QTimer.singleShot(0, self, lambda: self.jobFinished.emit(request_id, cached))
            return request_id
        primary = self._inflight.get(key)
        if primary is not None and primary in self._jobs and not self._jobs[primary].cancelled():
            self._subscribers[primary].append(request_id)
            self._raise_priority(self._jobs[primary], priority)
            return request_id
        self._start(Job(request_id, image, settings, priority, preview=preview), [request_id])
        return request_id

    def cancel(self, request_id: int) -> None:
        """Nobody wants ``request_id`` any more; the work stops once no other request follows it
        (a model-thread call still queued never runs; one running finishes, unheard of)."""
        if any(isinstance(j, ModelCall) and j.job_id == request_id for _, _, j in self._msp_queue):
            self._drop_from_msp_queue(request_id)
            return
        for primary, subscribers in list(self._subscribers.items()):
            if request_id in subscribers:
                subscribers.remove(request_id)
                QTimer.singleShot(0, self, lambda: self.jobCancelled.emit(request_id, False))
                if not subscribers:
                    job = self._jobs[primary]
                    job.cancel()
                    self._drop_from_msp_queue(primary)
                    if job.priority > Priority.SWEEP:  # a cancelled job no longer holds the sweep back
                        QTimer.singleShot(0, self, self._note_user_job_ended)
                return

    def is_busy(self) -> bool:
        return bool(self._jobs) or self._msp_running is not None

    def open_bitstream(self, data: bytes, device: str, reference: LoadedImage | None, name: str) -> int:
        """Decode a .msp file on the MSP worker; answers with ``bitstreamOpened`` or ``jobFailed``."""
        job = BitstreamJob(next_job_id(), data, device, reference, name)
        heapq.heappush(self._msp_queue, (-int(Priority.INTERACTIVE), next(self._order), job))
        self._preempt_below(Priority.INTERACTIVE)
        self._dispatch_msp()
        return job.job_id

    def run_on_model_thread(self, call: Callable[[], object], priority: Priority = Priority.INTERACTIVE) -> int:
        """Run ``call`` on the MSP worker, in turn with its jobs (an interactive call preempts the
        sweep's); answers with ``callFinished`` or ``jobFailed`` under the returned id."""
        job = ModelCall(next_job_id(), call)
        heapq.heappush(self._msp_queue, (-int(priority), next(self._order), job))
        if priority > Priority.SWEEP:
            self._preempt_below(priority)
        self._dispatch_msp()
        return job.job_id

    def cached(self, image: LoadedImage, settings: SideSettings) -> bool:
        """Whether the result is in the cache (a submit answers on the next event-loop turn)."""
        return CacheKey.of(image.key, settings) in self.cache

    def user_busy(self) -> bool:
        """Whether work the user waits for is queued or running: everything above the sweep's
        priority, and opened ``.msp`` files."""
        if isinstance(self._msp_running, _USER_MODEL_WORK) or any(isinstance(j, _USER_MODEL_WORK) for _, _, j in self._msp_queue):
            return True
        return any(job.priority > Priority.SWEEP and not job.cancelled() for job in self._jobs.values())

    def shutdown(self, timeout_ms: int = 120_000) -> bool:
        """Cancel everything and stop the threads (called when the window closes).

        Cancellation is cooperative, and a worker may be inside a step that cannot be
        interrupted (importing torch, loading weights), so this waits generously: destroying a
        running QThread aborts the process. Returns False if a thread was still running.
        """
        if self._closed:
            return True
        self._closed = True
        self.perceptual.shutdown()
        for job in list(self._jobs.values()):
            job.cancel()
        self._msp_queue.clear()
        self.pool.clear()
        self._thread.quit()
        stopped = self._thread.wait(timeout_ms)
        stopped = self.pool.waitForDone(timeout_ms) and stopped
        if not stopped:
            print("msp-studio: a worker did not stop in time", file=sys.stderr)
        return stopped

    # -- scheduling ---------------------------------------------------------------------------
    def _start(self, job: Job, subscribers: list[int]) -> None:
        self._jobs[job.job_id] = job
        self._subscribers[job.job_id] = subscribers
        self._inflight[CacheKey.of(job.image.key, job.settings)] = job.job_id
        if job.priority > Priority.SWEEP:
            self._preempt_below(job.priority)
        if on_model_thread(job.settings.codec):
            heapq.heappush(self._msp_queue, (-int(job.priority), next(self._order), job))
            self._dispatch_msp()
        else:
            self.pool.start(ClassicRunnable(job, self._pool_signals), int(job.priority))

    def _preempt_below(self, priority: Priority) -> None:
        """Make room for a job of ``priority``: the model thread's running job if it is less
        urgent, and the sweep's pool jobs (each stops at its next stage; the sweep re-queues
        them). Pool jobs of a bitrate match run on: the user waits for those too."""
        running = self._msp_running
        if isinstance(running, Job) and running.priority < priority:
            running.cancel(preempted=True)
        for job in self._jobs.values():
            if (job.priority < min(priority, Priority.MATCH) and not on_model_thread(job.settings.codec)
                    and not job.cancelled()):  # the sweep's, and the batch's for the user
                job.cancel(preempted=True)

    def _raise_priority(self, job: Job, priority: Priority) -> None:
        if priority <= job.priority:
            return
        job.priority = priority
        if on_model_thread(job.settings.codec) and job is not self._msp_running:
            self._msp_queue = [(-int(j.priority) if j is job else p, order, j) for p, order, j in self._msp_queue]
            heapq.heapify(self._msp_queue)

    def _drop_from_msp_queue(self, job_id: int) -> None:
        """A cancelled job still waiting for the MSP worker leaves the queue at once."""
        before = len(self._msp_queue)
        self._msp_queue = [entry for entry in self._msp_queue if entry[2].job_id != job_id]
        if len(self._msp_queue) != before:
            heapq.heapify(self._msp_queue)
            self._finish(job_id)

    def _dispatch_msp(self) -> None:
        if self._msp_running is not None or self._closed:
            return
        while self._msp_queue:
            _, _, job = heapq.heappop(self._msp_queue)
            if isinstance(job, Job) and job.cancelled():
                self._on_cancelled(job.job_id)
                continue
            self._msp_running = job
            if isinstance(job, BitstreamJob):
                self._openBitstream.emit(job)
            elif isinstance(job, ModelCall):
                self._callOnModel.emit(job)
            else:
                self._runMsp.emit(job)
            return

    def _on_msp_idle(self) -> None:
        ended = self._msp_running
        self._msp_running = None
        self._dispatch_msp()
        if isinstance(ended, _USER_MODEL_WORK):
            self._note_user_job_ended()

    def _note_user_job_ended(self) -> None:
        if not self.user_busy() and not self._closed:
            self.userIdle.emit()

    def _on_msp_ready(self, info: MspInfo) -> None:
        # Torch and the model are loaded: keep them out of full GC passes. On this (the GUI)
        # thread: a collection on the worker finalised dead pyqtgraph items there while the GUI
        # thread painted them (a crash in QPainter::restore, about 1 test run in 5).
        freeze_startup_objects()
        self.msp_info = info
        self.msp_loading = False
        self.mspReady.emit(info)

    # -- results ------------------------------------------------------------------------------
    def _finish(self, job_id: int) -> tuple[Job | None, list[int]]:
        """Forget a primary job; returns it and the requests still waiting for it."""
        job = self._jobs.pop(job_id, None)
        subscribers = self._subscribers.pop(job_id, [])
        if job is not None:
            key = CacheKey.of(job.image.key, job.settings)
            if self._inflight.get(key) == job_id:
                del self._inflight[key]
        return job, subscribers

    def _on_progress(self, job_id: int, progress: object) -> None:
        for request_id in self._subscribers.get(job_id, ()):
            self.jobProgress.emit(request_id, progress)

    def _on_finished(self, job_id: int, outcome: EncodeOutcome) -> None:
        job, subscribers = self._finish(job_id)
        if job is None:
            return
        outcome = self.perceptual.request(outcome, job.image.pixels, urgent=job.priority > Priority.BATCH)
        self.cache.put(CacheKey.of(outcome.image_key, outcome.settings), outcome)
        for request_id in subscribers:
            self.jobFinished.emit(request_id, outcome)
        if job.priority > Priority.SWEEP:
            self._note_user_job_ended()

    def _on_perceptual(self, outcome: EncodeOutcome) -> None:
        key = CacheKey.of(outcome.image_key, outcome.settings)
        cached = self.cache.get(key)
        if cached is not None and cached.reconstruction is outcome.reconstruction:
            self.cache.put(key, outcome)
        self.metricsMeasured.emit(outcome)

    def _on_failed(self, job_id: int, message: str) -> None:
        job, subscribers = self._finish(job_id)
        for request_id in subscribers if job is not None else [job_id]:
            self.jobFailed.emit(request_id, message)
        if job is None or job.priority > Priority.SWEEP:
            self._note_user_job_ended()

    def _on_cancelled(self, job_id: int) -> None:
        job, subscribers = self._finish(job_id)
        if job is None:
            return
        for request_id in subscribers:
            self.jobCancelled.emit(request_id, job.preempted)
        if job.priority > Priority.SWEEP:
            self._note_user_job_ended()

    def _on_bitstream(self, job_id: int, outcome: EncodeOutcome, pixels: object) -> None:
        self.bitstreamOpened.emit(job_id, outcome, pixels)
