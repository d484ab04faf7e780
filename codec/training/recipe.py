"""The parts of a training step that ``msp train`` and ``msp burst`` share: which qualities a batch
trains, which decode schedule it unrolls, and when its gradient is clipped.

Why these are choices (the training issue's hypotheses 2 and 3):

* One quality per batch with a fixed clip at 1.0 scales the high-quality steps down about 20x
  against the low ones (gradient norms are ~1.4 / 6 / 30 at q = 0 / 0.5 / 1), which flattens the
  top of the rate-distortion curve. Per-sample qualities mix every lambda into each step, and a
  clip at a multiple of the running median norm only guards against spikes.
* The schedules' unrolls cost very different amounts (best ~1.6x fast) while the longest bought
  nothing measurable, so the mix can be weighted.
* Mixing the qualities inside a batch hands the step to the high lambdas unless the losses are
  normalised across them (the session-8 A/B: the top gained, the bottom lost). The ``log``
  objective averages log(R + lambda D) over the samples: each sample's gradient is divided by
  its own loss, which shrinks the spread of gradient norms from ~20x to ~3x without a constant
  to tune, and the objective is the geometric mean of the losses across qualities.
* Under DDP, one quality per batch must mean one per step, shared by every rank. When each rank
  drew its own, the all-reduced gradient was dominated by the rank with the higher lambda (the
  ~20x spread above) before the clip, so the low qualities lost their share of the steps: 4400
  steps of 2 ranks that way from the shipped weights moved Kodak from +97.5 % to +100.0 % vs VTM,
  with ~2 % more bits at every quality for the same PSNR; the shared draw gave +98.7 % at that step
  and +96.2 % at step 6400 (session 18, the model card).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

__all__ = [
    "SpikeGuard", "draw_qualities", "step_quality", "weighted_schedule_name", "step_objective",
    "EQUAL_SCHEDULES", "FAST_FIRST_SCHEDULES", "LOSS_WEIGHTINGS",
]

EQUAL_SCHEDULES: tuple[tuple[str, float], ...] = (("fast", 1.0), ("balanced", 1.0), ("best", 1.0))
FAST_FIRST_SCHEDULES: tuple[tuple[str, float], ...] = (("fast", 0.5), ("balanced", 0.3), ("best", 0.2))
LOSS_WEIGHTINGS: tuple[str, ...] = ("sum", "log")


@dataclass
class SpikeGuard:
    """Clips a gradient only when its norm exceeds ``factor`` x the median of the last ``window``
    norms; until ``warmup`` norms are known it does not clip. ``factor`` None is the old fixed
    clip at ``fixed_limit``. ``norms`` goes into checkpoints, so a resumed run clips as it would
    have without the break."""

    factor: float | None = 3.0
    fixed_limit: float = 1.0
    window: int = 200
    warmup: int = 20
    norms: list[float] = field(default_factory=list)

    def limit(self) -> float:
        if self.factor is None:
            return self.fixed_limit
        if len(self.norms) < self.warmup:
            return math.inf
        return self.factor * float(np.median(self.norms[-self.window :]))

    def clip(self, params: list[torch.nn.Parameter]) -> tuple[float, bool]:
        """Clips in place; returns the norm before clipping and whether it was clipped. A
        non-finite norm is not recorded (the caller skips that step)."""
        limit = self.limit()
        norm = float(torch.nn.utils.clip_grad_norm_(params, limit))
        if math.isfinite(norm):
            self.norms.append(norm)
            del self.norms[: -self.window]
        return norm, norm > limit


def draw_qualities(rng: np.random.Generator, batch: int) -> torch.Tensor:
    """A (batch,) tensor of qualities in [0, 1], one per sample (``--quality-per-sample``)."""
    return torch.from_numpy(rng.uniform(0.0, 1.0, batch)).float()


def step_quality(seed: int, step: int) -> float:
    """The step's one quality in [0, 1], a function of (seed, step) only, like the schedule: every
    DDP rank trains the same lambda, so a step of N ranks is the one-process step split N ways,
    and a resumed run draws the same ones."""
    return float(np.random.default_rng([seed, step, 1]).uniform(0.0, 1.0))


def weighted_schedule_name(seed: int, step: int, weights: tuple[tuple[str, float], ...]) -> str:
    """The step's schedule, drawn by weight as a function of (seed, step) only: every DDP rank
    unrolls the same one (none waits at the all-reduce for a longer unroll), and a resumed run
    draws the same ones."""
    names = [name for name, _ in weights]
    probs = np.array([w for _, w in weights], dtype=np.float64)
    return names[int(np.random.default_rng([seed, step]).choice(len(names), p=probs / probs.sum()))]


def step_objective(per_sample_loss: torch.Tensor, weighting: str) -> torch.Tensor:
    """What a step minimises, from each sample's rate-distortion loss: their mean (``sum``, the
    CompressAI objective), or the mean of their logarithms (``log``, normalised across lambdas)."""
    if weighting == "sum":
        return per_sample_loss.mean()
    if weighting == "log":
        return per_sample_loss.clamp_min(1e-6).log().mean()
    raise ValueError(f"unknown loss weighting {weighting!r}; expected one of {LOSS_WEIGHTINGS}")
