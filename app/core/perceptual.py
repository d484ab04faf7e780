"""SSIMULACRA2 and FLIP of an outcome: when they are measured, and what a side shows meanwhile.

They cost seconds where PSNR and MS-SSIM cost milliseconds (measured on this project's 2-core
machine under load, 768x512 kodim23: SSIMULACRA2 1.2-2.0 s, FLIP 1.3-1.6 s; at 1536x1024 10.6 s
and 5.7 s), and FLIP's compiled code holds the interpreter lock for its whole run (a thread
computing it froze every other Python thread for 1.6 s). So an outcome is shown as soon as its
PSNR and MS-SSIM are known, marked :data:`~app.core.results.PERCEPTUAL_PENDING`, and a separate
process (:mod:`app.workers.perceptual_jobs`) measures the two; the outcome is then replaced
wherever it is shown (:func:`show_measured`): the side's readout, its RD point, the cache.

No process is needed for a lossless result (identical: 100 and 0), and none is started for a
preview (replaced within seconds) or an image over :data:`MAX_PIXELS` (Full HD): those say why
they have no values.
"""

from __future__ import annotations

import math
from dataclasses import replace

from codec.eval.metrics import SSIMULACRA2_IDENTICAL, SSIMULACRA2_MIN_SIDE

from app.core.rd_store import RDStore
from app.core.results import PERCEPTUAL_PENDING, EncodeOutcome
from app.core.state import ComparisonState

__all__ = ["MAX_PIXELS", "plan", "measured", "failed", "show_measured"]

MAX_PIXELS = 2_100_000
"""Largest image (H x W) whose results get SSIMULACRA2 and FLIP in the app: Full HD (1920x1080)
passes; above it one result would cost a core for half a minute or more, and the sweep's dozens
of points most of an hour."""


def plan(outcome: EncodeOutcome) -> EncodeOutcome:
    """``outcome`` with SSIMULACRA2 and FLIP settled where that needs no measuring (lossless, too
    large, a preview), else marked pending; one that is pending or settled already is returned as is."""
    metrics = outcome.metrics
    if metrics.perceptual_note or metrics.ssimulacra2 is not None or metrics.flip is not None:
        return outcome
    if math.isnan(metrics.mse):  # an opened file without a same-size original: nothing to compare
        return outcome
    if metrics.lossless:
        small = min(outcome.height, outcome.width) < SSIMULACRA2_MIN_SIDE
        return measured(outcome, None if small else SSIMULACRA2_IDENTICAL, 0.0)
    if outcome.preview:
        return _noted(outcome, "n/a (preview)")
    if outcome.height * outcome.width > MAX_PIXELS:
        return _noted(outcome, f"n/a (over {MAX_PIXELS / 1e6:g} MP)")
    return _noted(outcome, PERCEPTUAL_PENDING)


def measured(outcome: EncodeOutcome, ssimulacra2: float | None, flip: float | None) -> EncodeOutcome:
    """``outcome`` with its measured values (SSIMULACRA2 is None under 8 px a side)."""
    note = "" if ssimulacra2 is not None else f"n/a (needs {SSIMULACRA2_MIN_SIDE} px a side)"
    return replace(outcome, metrics=replace(outcome.metrics, ssimulacra2=ssimulacra2, flip=flip, perceptual_note=note))


def failed(outcome: EncodeOutcome, reason: str) -> EncodeOutcome:
    """``outcome`` whose measurement failed: no values, and why."""
    return _noted(outcome, f"failed: {reason}")


def _noted(outcome: EncodeOutcome, note: str) -> EncodeOutcome:
    return replace(outcome, metrics=replace(outcome.metrics, ssimulacra2=None, flip=None, perceptual_note=note))


def show_measured(state: ComparisonState, rd: RDStore, outcome: EncodeOutcome) -> None:
    """Put a measured ``outcome`` where its pending self is shown: the RD point of its settings
    (if it is one of the current image, and not a preview) and any side whose result it is."""
    if not outcome.preview:
        rd.add(outcome)
    for side in state.sides.values():
        if side.result is not None and side.result.reconstruction is outcome.reconstruction:
            side.update_metrics(outcome)
