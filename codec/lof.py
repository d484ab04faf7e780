"""Latent representation overfitting (LOF): tune one image's latent at encode time.

Starting from y = g_a(x), the latent itself is optimised for R + lambda * D of this image with
the decoder and the probability model frozen (Adam on y, optionally with a cosine-decaying
step). The profile picks the quantisation proxy: ``noise`` (additive uniform noise for the
rate, straight-through rounding for the distortion, as in training) or ``rounding`` (the MSP
unroll rounds each element relative to its predicted mean, straight-through, exactly as the
coder does: on Kodak the noisy rate overestimates the real bits by about 40 %, the rounded
one is within 2 %). Because no proxy is the real thing, the search decides on the *true*
cost: at checkpoints the iterate is really quantised and entropy-coded (integer MSP model,
real bits) and really reconstructed, and the best iterate wins. Two further searches are
profile switches: ``lof_step_search`` searches the step size too (a second run at half the
step size from the best iterate, kept only if it lowers the true cost); ``lof_snap_symbols``
is a discrete refinement that tries snapping symbols that sit just above a quantisation
boundary to the next smaller magnitude (less rate, little distortion), in rounds of decreasing
aggressiveness, each kept only if the real bits and real reconstruction say the cost went
down. The decoder never knows LOF happened.

The model is never changed: LOF needs gradients for the latent only, so parameters that require
gradients are switched off for the search and switched back after it (the API's inference models
have none to switch, so concurrent encodes on one shared model do not touch its state).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from codec.entropy_models.msp import msp_rate, straight_through_round
from codec.errors import EncodeCancelled
from codec.models.msp_codec import LatentCode, MSPCodecModel
from codec.models.precision import run_transform, transform_precision
from codec.models.tiling import tiled_squared_error_gradient
from codec.models.transforms import DOWNSAMPLING
from codec.profiles import Profile
from codec.stage_timing import stage
from codec.types import Progress

__all__ = [
    "LOFResult", "TrueCost", "overfit_latent", "true_cost", "LOF_TILE_PIXELS", "LOF_TILE_MARGIN_PIXELS", "LOF_MAX_PIXELS",
    "lof_skip_reason",
]

# Above this side (pixels), LOF backpropagates through the synthesis tile by tile: the untiled
# backward pass holds the synthesis' activations for the whole image (about 1.9 GB at 1 Mpx, over
# 50 GB at 8K). A Kodak image (768 px) still takes the untiled path.
LOF_TILE_PIXELS = 768

# The tiles' overlap for that backward pass. The forward pass is exact with the transforms' 64-px
# overlap (the synthesis reaches 7 latent positions), but its gradient was not: on a 180x250 image
# in 80-px tiles, 1227 latent elements differed from the untiled gradient by up to 9e-4 of its
# largest 0.48 (the session-10 weights) with 8 latent positions of overlap, none beyond float noise
# (4e-7) with 9 or more. 12 leaves room.
LOF_TILE_MARGIN_PIXELS = 96

# Above this many pixels an encode skips LOF, and says so. With the synthesis on tiles, LOF's memory
# is the MSP unroll's autograd graph over the whole latent, about 0.5 GB per Mpx (measured: 390 MB
# at 0.79 Mpx on the balanced schedule), plus the tiles and the model: about 5 GB at 8 Mpx, within
# the 6 GB an encode may take. Its time grows the same way (minutes per Mpx on a CPU).
LOF_MAX_PIXELS = 8_000_000


def lof_skip_reason(height: int, width: int, iterations: int) -> str | None:
    """Why an encode of this size will not run its profile's LOF iterations, or None if it will."""
    if iterations > 0 and height * width > LOF_MAX_PIXELS:
        return (
            f"latent overfitting skipped: the image has {height * width / 1e6:.1f} Mpx, over LOF's limit of "
            f"{LOF_MAX_PIXELS / 1e6:.0f} Mpx (its memory grows with the image, about 0.5 GB per Mpx)"
        )
    return None


@dataclass(frozen=True)
class TrueCost:
    bits: float
    mse: float  # on the 8-bit scale, unpadded image
    cost: float  # bits / pixel + lambda * MSE
    code: LatentCode | None = field(default=None, compare=False, repr=False)
    """The coded latent this cost was measured on: the encoder writes the winner's, instead of
    coding it again (one coding and one synthesis less per encode)."""
    reconstruction: torch.Tensor | None = field(default=None, compare=False, repr=False)
    """Its decoded picture, (1, 3, height, width) uint8."""


@dataclass(frozen=True)
class LOFResult:
    latent: torch.Tensor
    iterations: int
    initial: TrueCost
    final: TrueCost
    trajectory: tuple[tuple[int, float, float], ...]  # (iteration, estimated bpp, PSNR)


@torch.no_grad()
def true_cost(
    model: MSPCodecModel, x: torch.Tensor, y: torch.Tensor, quality: float, profile: Profile, height: int, width: int
) -> TrueCost:
    """Real RD cost of latent ``y``: real rounding, real entropy coding, real reconstruction."""
    _, _, lam = model.rate_point(quality)
    code = model.compress_latent(y, profile.schedule)
    bits = 8.0 * sum(len(s) for s in code.segments)
    x_hat = model.synthesise(code.y_hat, quality)[..., :height, :width].clamp(0, 1)
    x_hat = torch.round(x_hat * 255.0)
    mse = float(F.mse_loss(x_hat, torch.round(x[..., :height, :width] * 255.0)))
    return TrueCost(bits, mse, bits / (height * width) + lam * mse, code, x_hat.to(torch.uint8))


@dataclass(frozen=True)
class _Target:
    """What LOF fits and how it is judged, fixed for the whole search."""

    model: MSPCodecModel
    x: torch.Tensor
    quality: float
    profile: Profile
    height: int
    width: int

    def true_cost(self, y: torch.Tensor) -> TrueCost:
        with stage("lof true cost"):
            return true_cost(self.model, self.x, y, self.quality, self.profile, self.height, self.width)


@dataclass(frozen=True)
class _RunSettings:
    """One Adam run: its length and step size (cosine-decayed to ``final_learning_rate`` when
    set), the iterations at which its true cost is judged, and where its iterations count from."""

    iterations: int
    learning_rate: float
    final_learning_rate: float | None
    checkpoints: frozenset[int]
    first_iteration: int = 0


@dataclass
class _Reporter:
    """Progress of the whole search (all runs together), cancellation, and the trajectory."""

    progress: Callable[[Progress], None]
    cancel: Callable[[], bool] | None
    total: int
    trajectory: list[tuple[int, float, float]]

    def check(self, what: str) -> None:
        if self.cancel is not None and self.cancel():
            raise EncodeCancelled(f"encode cancelled during {what}")


def _run(target: _Target, y_start: torch.Tensor, run: _RunSettings, reporter: _Reporter) -> list[tuple[TrueCost, torch.Tensor]]:
    model, profile, height, width = target.model, target.profile, target.height, target.width
    _, inv_gain, lam = model.rate_point(target.quality)
    inv = inv_gain.detach().view(1, -1, 1, 1)
    proxy_schedule = profile.lof_proxy_schedule
    a = proxy_schedule.alignment
    _, _, hv, wv = y_start.shape
    pad = (0, -(-wv // a) * a - wv, 0, -(-hv // a) * a - hv)
    image = target.x[..., :height, :width]
    y = y_start.detach().clone().requires_grad_(True)
    optimizer = torch.optim.Adam([y], lr=run.learning_rate)
    decay = (
        None
        if run.final_learning_rate is None
        else torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=run.iterations, eta_min=run.final_learning_rate)
    )
    found = []
    gen = torch.Generator(device=y.device).manual_seed(1234)
    precision = transform_precision(y.device)  # the gradient's synthesis: the coder's own
    for it in range(1, run.iterations + 1):
        reporter.check("latent overfitting")
        with stage("lof iterations"), torch.enable_grad():
            with stage("rate (MSP unroll)"):
                if profile.lof_proxy == "rounding":
                    rate = msp_rate(
                        model.backbone, model.factorized.likelihood, F.pad(y, pad), proxy_schedule, quantized=True
                    )
                    assert rate.y_hat is not None  # quantized: the decoder's latent
                    y_hat = rate.y_hat[..., :hv, :wv]
                else:
                    noise = torch.rand(y.shape, generator=gen, device=y.device) - 0.5
                    rate = msp_rate(model.backbone, model.factorized.likelihood, F.pad(y + noise, pad), proxy_schedule)
                    y_hat = straight_through_round(y)
                bpp = rate.total_bits.sum() / (height * width)
            optimizer.zero_grad(set_to_none=True)
            if max(height, width) <= LOF_TILE_PIXELS:
                x_hat = run_transform(model.g_s, y_hat * inv, precision)[..., :height, :width]
                mse = F.mse_loss(x_hat, image)
                (bpp + lam * 255.0**2 * mse).backward()
            else:  # the synthesis' backward pass tile by tile: memory bounded by the tile, not the image
                sse, grad_y_hat = tiled_squared_error_gradient(
                    lambda t: run_transform(model.g_s, t * inv, precision), y_hat, image, DOWNSAMPLING,
                    LOF_TILE_PIXELS // DOWNSAMPLING, model.tile_margin(LOF_TILE_MARGIN_PIXELS) // DOWNSAMPLING,
                )
                mse = torch.tensor(sse / image.numel())
                torch.autograd.backward((bpp, y_hat), (torch.ones_like(bpp), grad_y_hat * (lam * 255.0**2 / image.numel())))
            optimizer.step()
            if decay is not None:
                decay.step()
        psnr = 10 * math.log10(1.0 / max(float(mse.detach()), 1e-12))
        iteration = it + run.first_iteration
        reporter.trajectory.append((iteration, float(bpp.detach()), psnr))
        reporter.progress(Progress("lof", iteration, reporter.total, estimated_bpp=float(bpp.detach()), psnr=psnr))
        if it in run.checkpoints:
            yd = y.detach().clone()
            found.append((target.true_cost(yd), yd))
    return found


def _halved(rate: float | None) -> float | None:
    return None if rate is None else rate / 2


SNAP_THRESHOLDS = (0.2, 0.1, 0.05)


def _snap_symbols(
    target: _Target, y: torch.Tensor, cost: TrueCost, reporter: _Reporter
) -> tuple[TrueCost, torch.Tensor]:
    """Discrete refinement on the true RD cost (``lof_snap_symbols``, see the module docstring)."""
    with stage("greedy search"):
        code = target.model.compress_latent(y, target.profile.schedule, with_means=True)
    assert code.means is not None  # with_means
    means = code.means.to(y.device, torch.float64)
    residual = y.double() - means
    symbol = torch.round(residual)
    slack = residual.abs() - (symbol.abs() - 0.5)  # distance above the lower decision boundary
    snapped = (means + torch.sign(residual) * (symbol.abs() - 0.52)).float()
    best_cost, best_y = cost, y
    for i, threshold in enumerate(SNAP_THRESHOLDS, start=1):
        reporter.check("the greedy search")
        candidates = (symbol != 0) & (slack < threshold)
        if candidates.any():
            trial = torch.where(candidates, snapped, best_y)
            trial_cost = target.true_cost(trial)
            if trial_cost.cost < best_cost.cost:
                best_cost, best_y = trial_cost, trial
        reporter.progress(Progress("greedy", i, len(SNAP_THRESHOLDS)))
    return best_cost, best_y


def overfit_latent(
    model: MSPCodecModel,
    x: torch.Tensor,
    y0: torch.Tensor,
    quality: float,
    profile: Profile,
    height: int,
    width: int,
    progress: Callable[[Progress], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> LOFResult:
    """Return the latent with the lowest true RD cost found (never worse than ``y0``).

    Cancellation raises :class:`EncodeCancelled` within one iteration (no partial result:
    the caller simply has no bitstream). Deterministic: fixed noise seed.
    """
    n = profile.lof_iterations
    every = profile.lof_checkpoint_every
    checkpoints = (set(range(every, n + 1, every)) | {n}) if every > 0 else ({n // 2, n} - {0})
    total = n + (n // 2 if profile.lof_step_search else 0)
    target = _Target(model, x, quality, profile, height, width)
    reporter = _Reporter(progress or (lambda _p: None), cancel, total, [])
    frozen = [p for p in model.parameters() if p.requires_grad]  # restored as found, whatever happens
    for p in frozen:
        p.requires_grad_(False)
    try:
        initial = target.true_cost(y0)
        candidates = [(initial, y0)]
        candidates += _run(
            target, y0, _RunSettings(n, profile.lof_learning_rate, profile.lof_final_learning_rate, frozenset(checkpoints)),
            reporter,
        )
        best_cost, best_y = min(candidates, key=lambda cy: cy[0].cost)
        if profile.lof_step_search and best_y is not y0:
            # Step-size search: refine the best iterate with half the step; keep it only if better.
            m = n // 2
            half = _RunSettings(
                m, profile.lof_learning_rate / 2, _halved(profile.lof_final_learning_rate), frozenset({max(1, m // 2), m}), n
            )
            best_cost, best_y = min([(best_cost, best_y), *_run(target, best_y, half, reporter)], key=lambda cy: cy[0].cost)
        if profile.lof_snap_symbols:
            best_cost, best_y = _snap_symbols(target, best_y, best_cost, reporter)
    finally:
        for p in frozen:
            p.requires_grad_(True)
    trajectory = tuple(reporter.trajectory)
    return LOFResult(latent=best_y, iterations=len(trajectory), initial=initial, final=best_cost, trajectory=trajectory)
