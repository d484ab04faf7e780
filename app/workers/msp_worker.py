"""The long-lived worker that owns torch, the model and the GPU.

One ``QObject`` moved to one ``QThread`` for the whole session: the model is loaded once and
stays warm, CUDA is only ever touched from this thread, and the GUI thread talks to it through
queued signals only. It runs one job at a time; scheduling (priorities, stale-job dropping) is
the job service's business on the GUI side.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject, Signal, Slot

from codec.errors import CodecError, EncodeCancelled
from codec.types import Progress

from app.core.backends import msp as msp_backend
from app.core.pipeline import outcome_from_bitstream, run_job
from app.core.state import JobProgress
from app.core.throttle import DEFAULT_PROGRESS_HZ, Throttle
from app.workers.jobs import BitstreamJob, Job, ModelCall
from app.workers.priority import lower_current_thread_priority

__all__ = ["MspWorker", "progress_from_report"]


def progress_from_report(report: Progress) -> JobProgress:
    """Turn the codec's progress report into what a side shows (LOF running estimate included)."""
    fraction = report.iteration / report.total if report.total else None
    head = report.stage.upper() if report.stage == "lof" else report.stage
    parts = [f"{head} {report.iteration}/{report.total}" if report.total > 1 else head]
    if report.estimated_bpp is not None:
        parts.append(f"{report.estimated_bpp:.3f} bpp estimated")
    if report.psnr is not None:
        parts.append(f"{report.psnr:.2f} dB")
    return JobProgress(stage=report.stage, fraction=fraction, text=" · ".join(parts), iteration=report.iteration,
                       estimated_bpp=report.estimated_bpp, psnr=report.psnr)


class MspWorker(QObject):
    ready = Signal(object)  # MspInfo
    started = Signal(int)
    progress = Signal(int, object)  # job id, JobProgress
    finished = Signal(int, object)  # job id, EncodeOutcome
    failed = Signal(int, str)
    cancelled = Signal(int)
    bitstreamDecoded = Signal(int, object, object)  # job id, EncodeOutcome, pixels
    called = Signal(int, object)  # job id, what the ModelCall's function returned
    idle = Signal()

    def __init__(self, progress_hz: float = DEFAULT_PROGRESS_HZ) -> None:
        super().__init__()
        self._progress_hz = progress_hz
        self.info = msp_backend.MspInfo(available=False, reason="MSP codec is loading")

    @Slot()
    def initialize(self) -> None:
        lower_current_thread_priority()  # before torch starts its thread pool, which inherits it
        self.info = msp_backend.load_msp()
        self.ready.emit(self.info)

    @Slot(object)
    def run(self, job: Job) -> None:
        with self._reporting(job.job_id):
            if job.cancelled():
                self.cancelled.emit(job.job_id)
                return
            if self._refused(job.job_id):
                return
            self.started.emit(job.job_id)
            throttle = Throttle(self._progress_hz)

            def on_progress(report: Progress) -> None:
                final = bool(report.total) and report.iteration >= report.total
                if throttle.ready(force=final):
                    self.progress.emit(job.job_id, progress_from_report(report))

            outcome = run_job(job.image, job.settings, progress=on_progress, cancel=job.cancelled,
                              preview=job.preview)
            if job.cancelled():
                self.cancelled.emit(job.job_id)
            else:
                self.finished.emit(job.job_id, outcome)

    @Slot(object)
    def open_bitstream(self, job: BitstreamJob) -> None:
        what = f"cannot open {job.name}: "
        with self._reporting(job.job_id, what):
            if self._refused(job.job_id, what):
                return
            outcome, pixels = outcome_from_bitstream(job.data, job.device, job.reference, job.name)
            self.bitstreamDecoded.emit(job.job_id, outcome, pixels)

    @Slot(object)
    def call(self, job: ModelCall) -> None:
        with self._reporting(job.job_id):
            if self._refused(job.job_id):
                return
            self.called.emit(job.job_id, job.call())

    def _refused(self, job_id: int, what: str = "") -> bool:
        """Fail the job while the codec is unavailable (it says why)."""
        if self.info.available:
            return False
        self.failed.emit(job_id, f"{what}{self.info.reason or 'MSP codec unavailable'}")
        return True

    @contextmanager
    def _reporting(self, job_id: int, what: str = "") -> Iterator[None]:
        """One job's body: a cancel is reported as one, our errors as its failure (after ``what``),
        a bug is printed and reported rather than killing the thread, and the service always
        hears that the worker is idle again."""
        try:
            yield
        except EncodeCancelled:
            self.cancelled.emit(job_id)
        except CodecError as exc:
            self.failed.emit(job_id, f"{what}{exc}")
        except Exception as exc:  # noqa: BLE001 - a bug must not kill the worker thread
            traceback.print_exc()
            self.failed.emit(job_id, f"{what}internal error: {exc!r}")
        finally:
            self.idle.emit()
