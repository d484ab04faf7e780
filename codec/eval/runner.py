"""Running codecs over a set of images and collecting per-image and mean results.

Every point is a real encode to bytes and a decode of those bytes (never the encoder's own
idea of the reconstruction), timed separately, then measured with :mod:`codec.eval.metrics`.
Work runs in this process by default, so times are single-job times; ``workers > 1`` spreads
points over processes, faster on many cores but with timings taken under load (the results
file says so).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from codec.baselines.base import ImageCodec
from codec.errors import CodecError, CodecUnavailableError, ImageInputError
from codec.eval.metrics import bits_per_pixel, measure
from codec.eval.results import CodecResults, EvaluationResults, ImageResult, PointResult
from codec.eval.sweep import DEFAULT_BPP_RANGE, DEFAULT_POINTS, SweepPlan, plan_qualities, probe_images
from codec.image_io import IMAGE_SUFFIXES, load_image

__all__ = [
    "EvalOptions",
    "cores_per_worker",
    "worker_pool",
    "list_images",
    "load_images",
    "load_readable_images",
    "evaluate_point",
    "evaluate_images",
    "evaluate_dataset",
    "image_curve",
]


@dataclass(frozen=True)
class EvalOptions:
    """How to run an evaluation. ``qualities`` overrides the automatic sweep for all codecs."""

    qualities: tuple[float, ...] | None = None
    points: int = DEFAULT_POINTS
    bpp_range: tuple[float, float] = DEFAULT_BPP_RANGE
    probe: str = "mosaic"  # what the sweep encodes: "mosaic" of the set, or the "images"
    workers: int = 1
    progress: bool = True
    ms_ssim: bool = True
    perceptual: bool = True  # SSIMULACRA2 and FLIP: about 3 s a point on a 768x512 image


def list_images(directory: str | Path, limit: int | None = None) -> tuple[Path, ...]:
    """Image files directly in ``directory``, sorted by name, at most ``limit`` of them."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ImageInputError(f"{directory} is not a directory")
    files = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if limit is not None:
        if limit < 1:
            raise CodecError("--limit must be at least 1")
        files = files[:limit]
    if not files:
        raise ImageInputError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {directory}")
    return tuple(files)


def load_readable_images(paths: Sequence[Path]) -> tuple[list[tuple[str, np.ndarray]], list[str]]:
    """(name, image) of every readable file, and one line per file that could not be read: one
    broken file in a folder of good ones costs only its own results, and the results say so."""
    images, skipped = [], []
    for p in paths:
        try:
            images.append((p.name, load_image(p)))
        except ImageInputError as exc:
            skipped.append(f"skipped {p.name}: {exc}")
    return images, skipped


def load_images(paths: Sequence[Path]) -> list[tuple[str, np.ndarray]]:
    """(file name, H x W x 3 uint8 RGB) for each path."""
    return [(p.name, load_image(p)) for p in paths]


def evaluate_point(codec: ImageCodec, image: np.ndarray, quality: float, *, ms_ssim: bool = True,
                   perceptual: bool = False) -> PointResult:
    """Encode ``image`` at ``quality``, decode the bytes, and measure rate and distortion."""
    start = time.perf_counter()
    data = codec.encode(image, quality)
    encoded = time.perf_counter()
    decoded_image = codec.decode(data)
    decoded = time.perf_counter()
    if decoded_image.shape != image.shape:
        raise CodecError(f"{codec.label} decoded {decoded_image.shape}, expected {image.shape}")
    metrics = measure(image, decoded_image, with_ms_ssim=ms_ssim, with_perceptual=perceptual)
    return PointResult(
        quality=float(quality),
        native=float(codec.native_parameter(quality)),
        num_bytes=len(data),
        bpp=bits_per_pixel(len(data), *image.shape[:2]),
        psnr_rgb=metrics.psnr_rgb,
        lossless=metrics.lossless,
        ms_ssim_rgb=metrics.ms_ssim_rgb,
        encoding_time=encoded - start,
        decoding_time=decoded - encoded,
        ssimulacra2=metrics.ssimulacra2,
        flip=metrics.flip,
    )


def _plan(codec: ImageCodec, probes: Sequence[np.ndarray] | None,
          options: EvalOptions) -> tuple[tuple[float, ...], SweepPlan | None]:
    if options.qualities is not None or probes is None:
        qualities = tuple(sorted({float(q) for q in options.qualities or ()}))
        return qualities, None
    with tqdm(desc=f"sweep {codec.label}", unit="enc", leave=False, disable=not options.progress) as bar:
        plan = plan_qualities(codec, probes, bpp_range=options.bpp_range, points=options.points,
                              progress=lambda: bar.update(1))
    return plan.qualities, plan


def cores_per_worker(workers: int) -> int:
    """This process's usable cores shared out over ``workers`` processes (at least one each).

    Why: torch starts one intra-op thread per core in every process, so ``workers`` processes on
    a machine of that many cores ran ``workers`` x cores threads. On 2 cores with 2 workers,
    ``msp eval ../shared/data/kodak --limit 2 --codecs msp-balanced --qualities 0.2,0.8 --workers 2``
    took 101 s with 2 threads a worker and 16-18 s with one (an encode 38-47 s -> 5-6 s, a decode
    6-7 s -> 0.4 s): the threads of one process wait on each other's time slices.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores // max(1, workers))


def _limit_torch_threads(threads: int) -> None:
    """Worker initialiser: at most ``threads`` intra-op threads (a lower setting is kept)."""
    import torch  # here: the runner's own import stays free of torch; each worker pays it once

    torch.set_num_threads(min(torch.get_num_threads(), threads))


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """``workers`` spawned processes, each held to its share of the cores.

    spawn, not fork: the parent may hold torch / OpenMP threads that do not survive a fork.
    """
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_limit_torch_threads, initargs=(cores_per_worker(workers),))


def _run_points(codec: ImageCodec, images: Sequence[tuple[str, np.ndarray]], qualities: Sequence[float],
                options: EvalOptions, advance: Callable[[], None]) -> list[list[PointResult]]:
    jobs = [(i, j) for i in range(len(images)) for j in range(len(qualities))]
    done: dict[tuple[int, int], PointResult] = {}
    if options.workers <= 1:
        for i, j in jobs:
            done[i, j] = evaluate_point(codec, images[i][1], qualities[j], ms_ssim=options.ms_ssim,
                                        perceptual=options.perceptual)
            advance()
    else:
        with worker_pool(options.workers) as pool:
            futures = {
                pool.submit(evaluate_point, codec, images[i][1], qualities[j], ms_ssim=options.ms_ssim,
                            perceptual=options.perceptual): (i, j)
                for i, j in jobs
            }
            for future, (i, j) in futures.items():
                done[i, j] = future.result()
                advance()
    return [[done[i, j] for j in range(len(qualities))] for i in range(len(images))]


def evaluate_images(
    codecs: Sequence[ImageCodec],
    images: Sequence[tuple[str, np.ndarray]],
    *,
    dataset: str,
    options: EvalOptions = EvalOptions(),
    dataset_dir: str = "",
    notes: Sequence[str] = (),
) -> EvaluationResults:
    """Evaluate each codec on ``images`` ((name, RGB array) pairs); a tqdm bar shows progress.

    Raises CodecUnavailableError before any work if a codec cannot run here.
    """
    if not images:
        raise ImageInputError("no images to evaluate")
    missing = [f"{c.label} ({c.unavailable_reason()})" for c in codecs if not c.available()]
    if missing:
        raise CodecUnavailableError("not available here: " + "; ".join(missing))
    started = time.perf_counter()
    entries: list[CodecResults] = []
    notes = list(notes)
    if options.workers > 1:
        notes.append(f"{options.workers} worker processes: times were measured under parallel load")
    probes = None if options.qualities is not None else probe_images([img for _, img in images], options.probe)
    with tqdm(total=0, desc="eval", unit="pt", disable=not options.progress) as bar:
        for codec in codecs:
            codec_start = time.perf_counter()
            qualities, plan = _plan(codec, probes, options)
            if plan is not None and plan.note:
                notes.append(plan.note)
            bar.total += len(qualities) * len(images)
            bar.set_postfix_str(codec.label)
            grid = _run_points(codec, images, qualities, options, lambda: bar.update(1))
            description = codec.describe()
            entries.append(
                CodecResults.from_images(
                    name=codec.name, label=codec.label, kind=codec.kind, description=description.text(),
                    library=description.library, version=description.version, settings=description.settings,
                    qualities=qualities, native=[codec.native_parameter(q) for q in qualities],
                    images=[
                        ImageResult(name, img.shape[0], img.shape[1], tuple(points))
                        for (name, img), points in zip(images, grid, strict=True)
                    ],
                    wall_seconds=time.perf_counter() - codec_start,
                )
            )
    return EvaluationResults(
        dataset=dataset,
        codecs=tuple(entries),
        image_names=tuple(name for name, _ in images),
        dataset_dir=dataset_dir,
        wall_seconds=time.perf_counter() - started,
        notes=tuple(notes),
    )


def evaluate_dataset(
    codecs: Sequence[ImageCodec],
    directory: str | Path,
    *,
    limit: int | None = None,
    options: EvalOptions = EvalOptions(),
) -> EvaluationResults:
    """Evaluate codecs on the images of a directory (the first ``limit`` by name)."""
    directory = Path(directory)
    images, skipped = load_readable_images(list_images(directory, limit))
    if not images:
        raise ImageInputError(f"no readable image in {directory}: " + "; ".join(skipped))
    return evaluate_images(
        codecs, images, dataset=directory.resolve().name, options=options, dataset_dir=str(directory.resolve()),
        notes=skipped,
    )


def image_curve(
    codec: ImageCodec,
    image: np.ndarray,
    *,
    name: str = "image",
    points: int = 6,
    bpp_range: tuple[float, float] = DEFAULT_BPP_RANGE,
    progress: bool = False,
) -> CodecResults:
    """A codec's curve on one image (the sweep probes that image itself), e.g. for the app.

    Compare it with published dataset averages only as an indication, and say so.
    """
    options = EvalOptions(points=points, bpp_range=bpp_range, probe="images", progress=progress)
    return evaluate_images([codec], [(name, image)], dataset=name, options=options).codecs[0]
