"""Runs a batch: every queued image x chosen codec x quality, through the job service, in the background.

The batch sits between the RD sweep and the user (:attr:`Priority.BATCH`): its jobs push the
sweep's aside, and a user's own encode pushes the batch's aside (the service cancels them as
*preempted*; they go back to the front of the plan, as the sweep's do). Like the sweep it keeps
at most one pool and one model-thread job in flight, so a user's request never waits long.
It can be paused (nothing new starts; jobs in flight finish), resumed and cancelled.

What it measures becomes :class:`~codec.eval.results.EvaluationResults`, the very object
``msp eval`` writes: the aggregate curves (dataset means per quality), the JSON
(:func:`~codec.eval.results.save_results`), the CSV (:mod:`codec.eval.csv_export`) and the
BD-rate table (:func:`~codec.eval.bdtable.bd_table`, what ``msp plot`` prints) all come from
there, so the batch and the command line cannot disagree. Plain Python: the controller feeds it
the service's job events; tests feed it a fake service.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from codec.baselines import catalogue_entry
from codec.errors import CodecError
from codec.eval.bdrate import load_interpolation
from codec.eval.bdtable import BDRow, bd_table
from codec.eval.metrics import LOSSLESS_DB
from codec.eval.results import CodecResults, EvaluationResults, ImageResult, PointResult

from app.core.codecs import SideSettings, on_model_thread
from app.core.events import Event
from app.core.image_io import ImageInputError, LoadedImage
from app.core.jobs import JobRunner, Priority
from app.core.results import EncodeOutcome

__all__ = ["BatchPlan", "BatchPoint", "BatchRun", "batch_results", "batch_bd_table"]


@dataclass(frozen=True)
class BatchPlan:
    """What a batch measures: every image with every codec at every quality."""

    images: tuple[Path, ...]
    codecs: tuple[str, ...]
    qualities: tuple[float, ...]

    def jobs(self) -> list[tuple[int, SideSettings]]:
        """(image index, settings), image by image, so each image is loaded once."""
        return [(i, SideSettings(codec, quality)) for i in range(len(self.images))
                for codec in self.codecs for quality in self.qualities]

    @property
    def total(self) -> int:
        return len(self.images) * len(self.codecs) * len(self.qualities)


@dataclass(frozen=True)
class BatchPoint:
    """One measured image x codec x quality."""

    image: str
    height: int
    width: int
    settings: SideSettings
    num_bytes: int
    bpp: float
    psnr: float  # LOSSLESS_DB when lossless, as in ``msp eval``
    ms_ssim: float | None
    encode_seconds: float
    decode_seconds: float
    lossless: bool

    @classmethod
    def of(cls, image: LoadedImage, outcome: EncodeOutcome) -> BatchPoint:
        metrics = outcome.metrics
        return cls(image=image.name, height=image.height, width=image.width, settings=outcome.settings,
                   num_bytes=outcome.num_bytes, bpp=outcome.bpp,
                   psnr=LOSSLESS_DB if metrics.psnr is None else metrics.psnr, ms_ssim=metrics.msssim,
                   encode_seconds=outcome.encode_seconds or 0.0, decode_seconds=outcome.decode_seconds or 0.0,
                   lossless=metrics.lossless)


class BatchRun:
    """A batch's plan, its jobs in flight, its progress (done, total) and what it measured."""

    def __init__(self, runner: JobRunner, load: Callable[[Path], LoadedImage]) -> None:
        self.runner = runner
        self.load = load
        self.progress = Event()  # (done, total)
        self.ended = Event()  # (): the last point is in, or the batch was cancelled
        self.failure = Event()  # (text): an image or a point that could not be measured
        self.plan = BatchPlan((), (), ())
        self.points: list[BatchPoint] = []
        self.paused = False
        self._todo: list[tuple[int, SideSettings]] = []
        self._jobs: dict[int, tuple[int, SideSettings]] = {}
        self._images: dict[int, LoadedImage] = {}  # loaded images still needed by the plan or a job
        self._done = 0

    def running(self) -> bool:
        return bool(self._todo or self._jobs)

    def counts(self) -> tuple[int, int]:
        return self._done, self.plan.total

    def start(self, plan: BatchPlan) -> None:
        """Start ``plan`` (a batch already running is cancelled first)."""
        _load_interpolation_aside()
        self.cancel()
        self.plan, self.points, self.paused = plan, [], False
        self._todo, self._done = plan.jobs(), 0
        self.progress.emit(0, plan.total)
        self._pump()
        self._end_if_done()

    def pause(self) -> None:
        """Start nothing new; the jobs in flight finish."""
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        self._pump()
        self._end_if_done()

    def cancel(self) -> None:
        """Drop the rest of the plan and the jobs in flight (what was measured stays)."""
        was_running = self.running()
        self._todo.clear()
        for job_id in list(self._jobs):
            self.runner.cancel(job_id)
        self._jobs.clear()
        self._images.clear()
        if was_running:
            self.ended.emit()

    # -- job events -------------------------------------------------------------------------------
    def on_finished(self, job_id: int, outcome: EncodeOutcome) -> None:
        job = self._jobs.pop(job_id, None)
        if job is None:
            return
        self.points.append(BatchPoint.of(self._images[job[0]], outcome))
        self._count_done()

    def on_failed(self, job_id: int, text: str) -> None:
        """A point that cannot be measured counts as done, so one broken codec cannot stall the batch."""
        job = self._jobs.pop(job_id, None)
        if job is not None:
            self.failure.emit(f"{job[1].label()} on {self.plan.images[job[0]].name}: {text}")
            self._count_done()

    def on_cancelled(self, job_id: int, preempted: bool) -> None:
        job = self._jobs.pop(job_id, None)
        if job is not None:
            if preempted:  # pushed aside by the user's own work: measured later
                self._todo.insert(0, job)
            else:
                self._count_done()
            self._pump()

    def _count_done(self) -> None:
        self._done += 1
        self.progress.emit(self._done, self.plan.total)
        self._pump()
        self._end_if_done()

    def _end_if_done(self) -> None:
        if not self.running() and self.plan.total:
            self._images.clear()
            self.ended.emit()

    def _image(self, index: int) -> LoadedImage | None:
        if index not in self._images:
            path = self.plan.images[index]
            try:
                self._images[index] = self.load(path)
            except (ImageInputError, OSError) as exc:
                skipped = [job for job in self._todo if job[0] == index]
                self._todo = [job for job in self._todo if job[0] != index]
                self.failure.emit(f"{path.name}: {exc}")
                self._done += len(skipped)
                self.progress.emit(self._done, self.plan.total)
                return None
        return self._images[index]

    def _pump(self) -> None:
        """Keep at most one pool and one model-thread job in flight (the sweep's rule)."""
        if self.paused:
            return
        busy_classic = any(not on_model_thread(s.codec) for _, s in self._jobs.values())
        busy_msp = any(on_model_thread(s.codec) for _, s in self._jobs.values())
        index = 0
        while index < len(self._todo) and not (busy_classic and busy_msp):
            image_index, settings = self._todo[index]
            msp = on_model_thread(settings.codec)
            if (msp and busy_msp) or (not msp and busy_classic):
                index += 1
                continue
            image = self._image(image_index)
            if image is None:
                continue  # its jobs left the plan
            self._todo.pop(index)
            self._jobs[self.runner.submit(image, settings, Priority.BATCH)] = (image_index, settings)
            busy_msp = busy_msp or msp
            busy_classic = busy_classic or not msp
        needed = {i for i, _ in self._todo} | {i for i, _ in self._jobs.values()}
        for index in [i for i in self._images if i not in needed]:
            del self._images[index]


def _native(codec: str, quality: float) -> float:
    """The codec's own parameter for ``quality``, as ``msp eval`` records it. Learned codecs keep the
    normalised quality: building them imports torch, never done on the GUI thread."""
    if on_model_thread(codec):
        return quality
    try:
        return float(catalogue_entry(codec).make().native_parameter(quality))
    except CodecError:
        return quality


def _load_interpolation_aside() -> None:
    """The BD-rate table's interpolation (scipy.interpolate) imported on a thread of its own while
    the batch's first points encode, once: imported by the table itself, on the GUI thread, it held
    that thread for 180 ms (tests/app/test_batch_panel.py's stall test, run on its own)."""
    if "scipy.interpolate" not in sys.modules:
        threading.Thread(target=load_interpolation, name="load scipy.interpolate", daemon=True).start()


def batch_results(points: Sequence[BatchPoint], plan: BatchPlan, dataset: str = "batch") -> EvaluationResults:
    """The batch as ``msp eval``'s results: for each codec, the images measured at every quality of
    the plan (an image missing a point is left out of that codec's means, as a mean over fewer
    qualities would not be a curve); codecs with no such image are left out."""
    by_key = {(p.image, p.settings.codec, p.settings.quality): p for p in points}
    qualities = tuple(SideSettings("jpeg", q).quality for q in plan.qualities)
    names = list(dict.fromkeys(p.image for p in points))
    entries = []
    for codec in plan.codecs:
        key = SideSettings(codec).codec
        images = []
        for name in names:
            found = [by_key.get((name, key, q)) for q in qualities]
            if all(found):
                measured = [p for p in found if p is not None]
                images.append(ImageResult(name, measured[0].height, measured[0].width, tuple(
                    PointResult(quality=q, native=_native(key, q), num_bytes=p.num_bytes, bpp=p.bpp,
                                psnr_rgb=p.psnr, lossless=p.lossless, ms_ssim_rgb=p.ms_ssim,
                                encoding_time=p.encode_seconds, decoding_time=p.decode_seconds)
                    for q, p in zip(qualities, measured, strict=True))))
        if images:
            entry = catalogue_entry(key)
            entries.append(CodecResults.from_images(
                name=key, label=entry.title, kind=entry.kind, description=entry.summary, library="", version="",
                settings={}, qualities=qualities, native=[_native(key, q) for q in qualities], images=images))
    used = sorted({img.image for c in entries for img in c.images})
    return EvaluationResults(dataset=dataset, codecs=tuple(entries), image_names=tuple(used),
                             notes=("measured by MSP Studio's batch",))


def batch_bd_table(results: EvaluationResults, anchor: str) -> tuple[BDRow, ...]:
    """BD-rates of every codec of ``results`` against the codec ``anchor`` (what ``msp plot
    --anchor`` prints for the same file); () when the anchor is not among them."""
    curves = results.curves()
    chosen = [c for c in curves if c.name == anchor]
    if not chosen:
        return ()
    return bd_table(curves, chosen[0])
