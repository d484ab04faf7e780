"""Codecs that need no model thread (the classic ones), and their metrics, as short jobs on a
``QThreadPool``.

They hold no model and no GPU, so several can run at once; each runnable checks the job's
cancel flag before and between stages, so a stale job costs at most one encode.
"""

from __future__ import annotations

import traceback

from PySide6.QtCore import QObject, QRunnable, Signal

from codec.errors import CodecError, EncodeCancelled

from app.core.pipeline import run_job
from app.workers.jobs import Job
from app.workers.priority import lower_current_thread_priority

__all__ = ["PoolSignals", "ClassicRunnable"]


class PoolSignals(QObject):
    """Lives on the GUI thread; runnables emit through it (queued to the receivers)."""

    started = Signal(int)
    finished = Signal(int, object)
    failed = Signal(int, str)
    cancelled = Signal(int)


class ClassicRunnable(QRunnable):
    def __init__(self, job: Job, signals: PoolSignals) -> None:
        super().__init__()
        self.job = job
        self.signals = signals
        self.setAutoDelete(True)

    def run(self) -> None:
        job = self.job
        lower_current_thread_priority()  # FFmpeg processes started from here inherit it
        try:
            if job.cancelled():
                self.signals.cancelled.emit(job.job_id)
                return
            self.signals.started.emit(job.job_id)
            outcome = run_job(job.image, job.settings, cancel=job.cancelled, preview=job.preview)
            self.signals.finished.emit(job.job_id, outcome)
        except EncodeCancelled:
            self.signals.cancelled.emit(job.job_id)
        except CodecError as exc:
            self.signals.failed.emit(job.job_id, str(exc))
        except Exception as exc:  # noqa: BLE001 - report, never crash the pool thread
            traceback.print_exc()
            self.signals.failed.emit(job.job_id, f"internal error: {exc!r}")
