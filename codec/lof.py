"""Latent representation overfitting (LOF): tune one image's latent at encode time.

Starting from y = g_a(x), the latent itself is optimised for R + lambda * D of this image with
the decoder and the probability model frozen (Adam on y, optionally with a cosine-decaying
step). The profile picks the quantisation proxy: ``noise`` (additive uniform noise for the
rate, straight-through rounding for the distortion, as in training) or ``rounding`` (the MSP
unroll rounds each element relative to its predicted mean, straight-through, exactly as the
coder does: on Kodak the noisy rate overestimates the real bits by about 40 %, the rounded
one is within 2 %). Because no proxy is the real thing, the search decides on the *true*
cost: at checkpoints the iterate is really quantised and entropy-coded (integer MSP model,
real bits) and really reconstructed, and the best iterate wins; with ``greedy`` the step
size is searched too (a second run at half the step size from the best iterate, kept only if
it lowers the true cost), then a discrete refinement tries snapping symbols that sit just
above a quantisation boundary to the next smaller magnitude (less rate, little distortion),
in rounds of decreasing aggressiveness, each kept only if the real bits and real
reconstruction say the cost went down. The decoder never knows LOF happened.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from codec.entropy_models.msp import msp_rate, straight_through_round
from codec.errors import EncodeCancelled
from codec.models.msp_codec import TILE_MARGIN_PIXELS, MSPCodecModel
from codec.models.tiling import tiled_squared_error_gradient
from codec.models.transforms import DOWNSAMPLING
from codec.profiles import Profile
from codec.types import Progress

__all__ = ["LOFResult", "TrueCost", "overfit_latent", "true_cost", "LOF_TILE_PIXELS", "LOF_MAX_PIXELS", "lof_skip_reason"]

# Above this side (pixels), LOF backpropagates through the synthesis tile by tile: the untiled
# backward pass holds the synthesis' activations for the whole image (about 1.9 GB at 1 Mpx, over
# 50 GB at 8K). A Kodak image (768 px) still takes the untiled path.
LOF_TILE_PIXELS = 768

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
    return TrueCost(bits=bits, mse=mse, cost=bits / (height * width) + lam * mse)


def _run(
    model: MSPCodecModel,
    x: torch.Tensor,
    y_start: torch.Tensor,
    quality: float,
    profile: Profile,
    height: int,
    width: int,
    iterations: int,
    learning_rate: float,
    final_learning_rate: float | None,
    checkpoints: set[int],
    progress: Callable[[Progress], None],
    cancel: Callable[[], bool] | None,
    it_offset: int,
    total: int,
    trajectory: list,
) -> list[tuple[TrueCost, torch.Tensor]]:
    _, inv_gain, lam = model.rate_point(quality)
    inv = inv_gain.detach().view(1, -1, 1, 1)
    a = profile.schedule.alignment
    _, _, hv, wv = y_start.shape
    pad = (0, -(-wv // a) * a - wv, 0, -(-hv // a) * a - hv)
    target = x[..., :height, :width]
    y = y_start.detach().clone().requires_grad_(True)
    optimizer = torch.optim.Adam([y], lr=learning_rate)
    decay = (
        None
        if final_learning_rate is None
        else torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=iterations, eta_min=final_learning_rate)
    )
    found = []
    gen = torch.Generator(device=y.device).manual_seed(1234)
    for it in range(1, iterations + 1):
        if cancel is not None and cancel():
            raise EncodeCancelled("encode cancelled during latent overfitting")
        with torch.enable_grad():
            if profile.lof_proxy == "rounding":
                rate = msp_rate(model.backbone, model.factorized.likelihood, F.pad(y, pad), profile.schedule, quantized=True)
                assert rate.y_hat is not None  # quantized: the decoder's latent
                y_hat = rate.y_hat[..., :hv, :wv]
            else:
                noise = torch.rand(y.shape, generator=gen, device=y.device) - 0.5
                rate = msp_rate(model.backbone, model.factorized.likelihood, F.pad(y + noise, pad), profile.schedule)
                y_hat = straight_through_round(y)
            bpp = rate.total_bits.sum() / (height * width)
            optimizer.zero_grad(set_to_none=True)
            if max(height, width) <= LOF_TILE_PIXELS:
                x_hat = model.g_s(y_hat * inv)[..., :height, :width]
                mse = F.mse_loss(x_hat, target)
                (bpp + lam * 255.0**2 * mse).backward()
            else:  # the synthesis' backward pass tile by tile: memory bounded by the tile, not the image
                sse, grad_y_hat = tiled_squared_error_gradient(
                    lambda t: model.g_s(t * inv), y_hat, target, DOWNSAMPLING,
                    LOF_TILE_PIXELS // DOWNSAMPLING, TILE_MARGIN_PIXELS // DOWNSAMPLING,
                )
                mse = torch.tensor(sse / target.numel())
                torch.autograd.backward((bpp, y_hat), (torch.ones_like(bpp), grad_y_hat * (lam * 255.0**2 / target.numel())))
            optimizer.step()
            if decay is not None:
                decay.step()
        psnr = 10 * math.log10(1.0 / max(float(mse.detach()), 1e-12))
        trajectory.append((it + it_offset, float(bpp.detach()), psnr))
        progress(Progress("lof", it + it_offset, total, estimated_bpp=float(bpp.detach()), psnr=psnr))
        if it in checkpoints:
            yd = y.detach().clone()
            found.append((true_cost(model, x, yd, quality, profile, height, width), yd))
    return found


def _halved(rate: float | None) -> float | None:
    return None if rate is None else rate / 2


SNAP_THRESHOLDS = (0.2, 0.1, 0.05)


def _snap_symbols(
    model: MSPCodecModel,
    x: torch.Tensor,
    y: torch.Tensor,
    cost: TrueCost,
    quality: float,
    profile: Profile,
    height: int,
    width: int,
    report: Callable[[Progress], None],
    cancel: Callable[[], bool] | None,
) -> tuple[TrueCost, torch.Tensor]:
    """Greedy discrete refinement on the true RD cost (see the module docstring)."""
    code = model.compress_latent(y, profile.schedule, with_means=True)
    assert code.means is not None  # with_means
    means = code.means.to(y.device, torch.float64)
    residual = y.double() - means
    symbol = torch.round(residual)
    slack = residual.abs() - (symbol.abs() - 0.5)  # distance above the lower decision boundary
    target = (means + torch.sign(residual) * (symbol.abs() - 0.52)).float()
    best_cost, best_y = cost, y
    for i, threshold in enumerate(SNAP_THRESHOLDS, start=1):
        if cancel is not None and cancel():
            raise EncodeCancelled("encode cancelled during the greedy search")
        candidates = (symbol != 0) & (slack < threshold)
        if candidates.any():
            trial = torch.where(candidates, target, best_y)
            trial_cost = true_cost(model, x, trial, quality, profile, height, width)
            if trial_cost.cost < best_cost.cost:
                best_cost, best_y = trial_cost, trial
        report(Progress("greedy", i, len(SNAP_THRESHOLDS)))
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
    report = progress or (lambda _p: None)
    n = profile.lof_iterations
    for p in model.parameters():
        p.requires_grad_(False)
    try:
        every = profile.lof_checkpoint_every
        checkpoints = (set(range(every, n + 1, every)) | {n}) if every > 0 else ({n // 2, n} - {0})
        total = n + (n // 2 if profile.greedy else 0)
        initial = true_cost(model, x, y0, quality, profile, height, width)
        candidates = [(initial, y0)]
        trajectory: list[tuple[int, float, float]] = []
        candidates += _run(
            model, x, y0, quality, profile, height, width, n, profile.lof_learning_rate, profile.lof_final_learning_rate,
            checkpoints, report, cancel, 0, total, trajectory,
        )
        best_cost, best_y = min(candidates, key=lambda cy: cy[0].cost)
        if profile.greedy and best_y is not y0:
            # Step-size search: refine the best iterate with half the step; keep it only if better.
            m = n // 2
            refine = _run(
                model, x, best_y, quality, profile, height, width, m, profile.lof_learning_rate / 2,
                _halved(profile.lof_final_learning_rate), {max(1, m // 2), m}, report, cancel, n, total, trajectory,
            )
            best_cost, best_y = min([(best_cost, best_y), *refine], key=lambda cy: cy[0].cost)
        if profile.greedy:
            best_cost, best_y = _snap_symbols(model, x, best_y, best_cost, quality, profile, height, width, report, cancel)
        iterations = len(trajectory)
    finally:
        for p in model.parameters():
            p.requires_grad_(True)
    return LOFResult(latent=best_y, iterations=iterations, initial=initial, final=best_cost, trajectory=tuple(trajectory))
