"""The multi-scale progressive (MSP) probability model.

The latent is decimated into scales (``y[s+1] = y[s][..., 1::2, 1::2]``); the coarsest is coded
with a factorised prior, every finer one progressively in a fixed number of steps. Each step
runs one shared backbone over the whole scale, in space-to-depth layout (one position per
2x2 block, the four sub-positions stacked as channels), on

* the known values (not yet known ones hold the nearest coarser value),
* the known-mask (per sub-position and per group of ``MASK_CHUNK`` channels),
* context features carried from the previous step (upsampled from the coarser scale at the
  start of a scale),

and predicts a Gaussian (mean, log-scale) for every element; only the elements that become
known in that step are coded with it. The number of steps depends on the schedule only.

Training runs the float backbone with teacher forcing (true noisy values of known elements).
Coding runs its exact integer twin (:mod:`codec.entropy_models.fixed_point`) so that encoder
and decoder see bit-identical parameters on any device and thread count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from codec.entropy_models.fixed_point import ACT_SCALE, QuantizedConv, exact_conv, int_prelu, quantize_activation
from codec.entropy_models.gaussian import discretized_gaussian_likelihood, log_scale_to_index
from codec.entropy_models.schedule import KNOWN_SUBPOSITION, MASK_CHUNK, MSPSchedule, MSPStep
from codec.stage_timing import stage

__all__ = [
    "MSPBackbone", "IntegerBackbone", "ScaleInput", "MSPRate", "msp_rate", "StepRequest", "ProgressiveResult", "run_progressive",
    "VALUE_LIMIT", "straight_through_round",
]

VALUE_LIMIT = 127.0  # |values| fed to the backbone saturate here (fixed-point range)

BAND_POSITIONS = 32768
"""Coding runs the backbone on bands of about this many grid positions (plus a margin of its
receptive field): the transient activations of a whole 8K grid would need about 2 GB, a band
needs a quarter of that, and the integer arithmetic makes the banded result identical."""


class MSPBackbone(nn.Module):
    """The shared per-step network (float, for training)."""

    def __init__(self, latent_channels: int, features: int, depth: int) -> None:
        super().__init__()
        if latent_channels % MASK_CHUNK:
            raise ValueError(f"latent channels must be a multiple of {MASK_CHUNK}")
        self.latent_channels = latent_channels
        self.features = features
        self.mask_channels = 4 * (latent_channels // MASK_CHUNK)
        in_ch = 4 * latent_channels + self.mask_channels + features
        self.in_proj = nn.Conv2d(in_ch, features, 1)
        self.in_act = nn.PReLU(features, init=0.1)
        self.convs1 = nn.ModuleList(nn.Conv2d(features, features, 3, padding=1) for _ in range(depth))
        self.acts = nn.ModuleList(nn.PReLU(features, init=0.1) for _ in range(depth))
        self.convs2 = nn.ModuleList(nn.Conv2d(features, features, 3, padding=1) for _ in range(depth))
        self.ctx_head = nn.Conv2d(features, features, 1)
        self.param_head = nn.Conv2d(features, 8 * latent_channels, 1)
        nn.init.zeros_(self.param_head.weight)
        with torch.no_grad():
            self.head_bias.zero_()
            self.head_bias[4 * latent_channels :] = 1.0  # start with scale e^1

    @property
    def head_bias(self) -> torch.Tensor:
        """The parameter head's bias: the means' and log-scales' starting point."""
        bias = self.param_head.bias
        assert bias is not None  # Conv2d(bias=True)
        return bias

    @staticmethod
    def _sat(x: torch.Tensor) -> torch.Tensor:
        """Saturate at the fixed-point range, as the integer twin does. ``hardtanh`` is ``clamp``
        with a backward pass of one fused kernel (clamp's is four passes: on a Kodak image's
        balanced LOF the clamps' backward took 285 of 2800 ms, ``hardtanh``'s about 70).
        The gradient differs only for inputs exactly at the limit."""
        return F.hardtanh(x, -VALUE_LIMIT, VALUE_LIMIT)

    def forward(
        self, values: torch.Tensor, mask: torch.Tensor, ctx: torch.Tensor, channels: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns (context, mean, log-scale) for all 4C space-to-depth channels, or only for
        ``channels`` (a step's): the parameter head is the widest layer, and a training unroll
        needs each step's channels only."""
        h = self._sat(self.in_act(self._sat(self.in_proj(torch.cat([self._sat(values), mask, ctx], dim=1)))))
        for c1, act, c2 in zip(self.convs1, self.acts, self.convs2, strict=True):
            h = self._sat(h + self._sat(c2(self._sat(act(self._sat(c1(h)))))))
        ctx_out = self._sat(self.ctx_head(h))
        c4 = 4 * self.latent_channels
        if channels is None:
            params = self._sat(self.param_head(h))
            return ctx_out, params[:, :c4], params[:, c4:]
        rows = _param_rows(channels, self.latent_channels)
        params = self._sat(F.conv2d(h, self.param_head.weight[rows], self.head_bias[rows]))
        k = channels.numel()
        return ctx_out, params[:, :k], params[:, k:]


def _prelu_slope(act: nn.PReLU) -> torch.Tensor:
    return act.weight.detach().double().cpu().view(1, -1, 1, 1)


class IntegerBackbone(nn.Module):
    """Exact fixed-point twin of :class:`MSPBackbone` (inputs and outputs are integers in float64).

    Its input layer is split by input: the value and mask channels' sums live in a
    :class:`ScaleInput`, kept up to date as steps make elements known, and each step adds only the
    context's (see :class:`ScaleInput` for why)."""

    in_slope: torch.Tensor  # buffers (declared: nn.Module's __getattr__ is untyped)
    in_values: torch.Tensor
    in_mask: torch.Tensor
    in_context: torch.Tensor

    def __init__(self, backbone: MSPBackbone) -> None:
        super().__init__()
        self.latent_channels = backbone.latent_channels
        self.mask_channels = backbone.mask_channels
        self.in_proj = QuantizedConv(backbone.in_proj)
        c4, m = 4 * self.latent_channels, self.mask_channels
        weight = self.in_proj.weight_int  # input channels: [values | mask | context], as MSPBackbone concatenates
        parts = {"in_values": weight[:, :c4], "in_mask": weight[:, c4 : c4 + m], "in_context": weight[:, c4 + m :]}
        for name, part in parts.items():
            self.register_buffer(name, part.contiguous(), persistent=False)
        self.register_buffer("in_slope", _prelu_slope(backbone.in_act))
        # The backbone's ModuleLists hold Conv2d and PReLU layers (nn.ModuleList is untyped).
        self.convs1 = nn.ModuleList(QuantizedConv(cast(nn.Conv2d, c)) for c in backbone.convs1)
        self.convs2 = nn.ModuleList(QuantizedConv(cast(nn.Conv2d, c)) for c in backbone.convs2)
        for i, act in enumerate(backbone.acts):
            self.register_buffer(f"slope{i}", _prelu_slope(cast(nn.PReLU, act)))
        self.ctx_head = QuantizedConv(backbone.ctx_head)
        self.param_head = QuantizedConv(backbone.param_head)
        self.receptive_radius = 2 * len(self.convs1)  # two 3x3 convolutions per residual block

    def forward_banded(
        self, inputs: ScaleInput, ctx: torch.Tensor, channels: torch.Tensor, band_positions: int | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """:meth:`forward` computed in row bands with a receptive-field margin, so peak memory is
        bounded by the band, not the image; exact, like :meth:`forward`."""
        sums = inputs.sums
        hc, wc = sums.shape[-2:]
        rows = max(1, (band_positions or BAND_POSITIONS) // max(wc, 1))
        if rows >= hc:
            return self(sums, ctx, channels)
        margin = self.receptive_radius
        outputs: list[torch.Tensor] | None = None
        for r0 in range(0, hc, rows):
            r1 = min(hc, r0 + rows)
            a, b = max(0, r0 - margin), min(hc, r1 + margin)
            parts = self(sums[..., a:b, :], ctx[..., a:b, :], channels)
            if outputs is None:
                outputs = [part.new_empty(*part.shape[:2], hc, wc) for part in parts]
            for out, part in zip(outputs, parts, strict=True):
                out[..., r0:r1, :] = part[..., r0 - a : r1 - a, :]
        assert outputs is not None  # rows < hc: at least one band ran
        ctx_out, mean, log_scale = outputs
        return ctx_out, mean, log_scale

    def forward(
        self, input_sums: torch.Tensor, ctx: torch.Tensor, channels: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns (context, mean, log-scale) from the input layer's sums over values and mask
        (:attr:`ScaleInput.sums`) and the context; the parameters only for the space-to-depth
        ``channels`` being coded in this step, so the largest layer computes no unused output."""
        with stage("exact convolutions"):
            acc = input_sums + exact_conv(ctx, self.in_context, 0)
        h = int_prelu(self.in_proj.requantize(acc), self.in_slope)
        for i, (c1, c2) in enumerate(zip(self.convs1, self.convs2, strict=True)):
            r = c2(int_prelu(c1(h), getattr(self, f"slope{i}")))
            h = r.add_(h).clamp_(-32767.0, 32767.0)  # r: c2's fresh output
        ctx_out = self.ctx_head(h)
        params = self.param_head(h, _param_rows(channels, self.latent_channels))
        k = channels.numel()
        return ctx_out, params[:, :k], params[:, k:]


class ScaleInput:
    """What the integer backbone reads at one scale besides the context: the values (elements not
    yet known hold the nearest coarser value), the known-mask, and the input layer's exact integer
    sums over both, kept up to date as each step writes its elements.

    Why the sums: the input layer is a 1x1 convolution over 4C value, mask and context channels
    (496 on the shipped model), and recomputing it from the whole input at every step (quantise
    the values, concatenate, convolve) was 47 of a 2K image's ~60 ms per finest-scale step. A step
    changes only its own channels at its own positions, and integer sums are exact in any order,
    so adding the layer's response to the change gives the very integers a full recomputation
    gives (:meth:`fresh_sums`, which the tests compare against): the bitstream does not change.
    """

    def __init__(self, backbone: IntegerBackbone, values: torch.Tensor, mask: torch.Tensor) -> None:
        self.backbone = backbone
        self.values = values
        self.mask = mask
        self.sums = self.fresh_sums()

    def fresh_sums(self) -> torch.Tensor:
        """The sums recomputed from the values and mask as they are, in row bands of about
        ``BAND_POSITIONS`` positions (the quantised values of a whole 8K grid would take 400 MB)."""
        b = self.backbone
        hc, wc = self.values.shape[-2:]
        sums = self.values.new_empty(self.values.shape[0], b.in_values.shape[0], hc, wc)
        rows = max(1, BAND_POSITIONS // max(wc, 1))
        with stage("exact convolutions"):
            for r0 in range(0, hc, rows):
                band = slice(r0, min(hc, r0 + rows))
                sums[..., band, :] = exact_conv(quantize_activation(self.values[..., band, :]), b.in_values, 0) + exact_conv(
                    self.mask[..., band, :], b.in_mask, 0
                )
        return sums

    def write_values(self, channels: torch.Tensor, flat: torch.Tensor, step_flat: torch.Tensor, new: torch.Tensor) -> None:
        """Set the elements ``flat`` (row-major in the values) of the space-to-depth ``channels``
        to ``new`` and add the input layer's response to the change; ``step_flat`` addresses the
        same elements in a tensor of just those channels (``StepRequest.flat`` and its local twin)."""
        batch, _, height, width = self.values.shape
        change = quantize_activation(new) - quantize_activation(self.values.take(flat))
        self.values.put_(flat, new)
        delta = self.values.new_zeros(batch, channels.numel(), height, width)
        delta.put_(step_flat, change)
        with stage("exact convolutions"):
            self.sums += exact_conv(delta, self.backbone.in_values[:, channels], 0)

    def mark_known(self, rows: list[int], where: torch.Tensor) -> None:
        """Set the known-mask ``rows`` at the positions ``where`` (1, 1, Hc, Wc) and add the input
        layer's response to the change."""
        before = self.mask[:, rows]
        after = torch.where(where.expand_as(before), ACT_SCALE, before)
        self.mask[:, rows] = after
        with stage("exact convolutions"):
            self.sums += exact_conv(after - before, self.backbone.in_mask[:, rows], 0)


# ----------------------------------------------------------------------------- layout helpers


def _param_rows(channels: torch.Tensor, latent_channels: int) -> torch.Tensor:
    """Parameter-head output rows of space-to-depth ``channels``: their means, then log-scales."""
    return torch.cat([channels, channels + 4 * latent_channels])


def _column_parity(parity: str, hc: int, wc: int, device: torch.device) -> torch.Tensor:
    cols = torch.arange(wc, device=device).view(1, 1, 1, wc).expand(1, 1, hc, wc)
    if parity == "all":
        return torch.ones(1, 1, hc, wc, dtype=torch.bool, device=device)
    return (cols % 2 == 0) if parity == "even" else (cols % 2 == 1)


def _scale_context(
    ctx: torch.Tensor | None, batch: int, features: int, hc: int, wc: int, like: torch.Tensor
) -> torch.Tensor:
    """The context a scale starts from: zeros at the coarsest, else the coarser scale's, upsampled."""
    if ctx is None:
        return like.new_zeros(batch, features, hc, wc)
    return F.interpolate(ctx, scale_factor=2.0, mode="nearest")


def decimate(y: torch.Tensor, scales: int) -> list[torch.Tensor]:
    """[y0, y1, ..., yS] with y[s+1] = y[s][..., 1::2, 1::2]."""
    out = [y]
    for _ in range(scales):
        out.append(out[-1][..., 1::2, 1::2])
    return out


# ----------------------------------------------------------------------------- training


@dataclass(frozen=True)
class MSPRate:
    """Bits per image (B,) of the progressive scales and of the coarsest (factorised) scale."""

    progressive_bits: torch.Tensor
    coarsest_bits: torch.Tensor
    y_hat: torch.Tensor | None = None
    """With ``quantized``: the latent as the decoder rebuilds it (rounded relative to each
    predicted mean), with straight-through gradients; None for the noisy training rate."""

    @property
    def total_bits(self) -> torch.Tensor:
        return self.progressive_bits + self.coarsest_bits


def msp_rate(
    backbone: MSPBackbone,
    coarsest_likelihood: Callable[[torch.Tensor], torch.Tensor],
    y: torch.Tensor,
    schedule: MSPSchedule,
    quantized: bool = False,
    clean: torch.Tensor | None = None,
) -> MSPRate:
    """Rate of a latent under the MSP model, unrolled over the schedule's steps.

    By default ``y`` is a noisy latent and every step is teacher-forced with its true values
    (training). With ``quantized`` the unroll mirrors the coder instead: each step rounds its
    elements relative to the predicted mean (straight-through) and later steps see those
    values, so the rate is the real coding probability and ``y_hat`` what the decoder gets:
    the faithful proxy for optimising one image's latent (LOF). ``y`` has height and width
    divisible by ``schedule.alignment``.

    ``clean`` (teacher-forced only) is the latent before the training noise: ``y_hat`` is then the
    decoder's form of it, each element rounded relative to the mean its step predicts, with
    straight-through gradients. The coder hands the synthesis ``mean + round(y - mean)``, not
    ``round(y)``; training it on the latter leaves a mismatch between training and coding.
    """
    if clean is not None and quantized:
        raise ValueError("clean is for the teacher-forced unroll; the quantized one already returns y_hat")
    b, c = y.shape[:2]
    scales = decimate(y, schedule.scales)
    known = straight_through_round(scales[-1]) if quantized else scales[-1]
    clean_scales = decimate(clean, schedule.scales) if clean is not None else None
    decoded = straight_through_round(clean_scales[-1]) if clean_scales is not None else None
    coarsest_bits = -torch.log2(coarsest_likelihood(known)).flatten(1).sum(1)
    bits = y.new_zeros(b)
    ctx = None
    for s, steps in schedule.walk(c):
        target = F.pixel_unshuffle(scales[s], 2)  # (B, 4C, Hc, Wc)
        coarse = known if quantized else scales[s + 1]
        hc, wc = coarse.shape[-2:]
        values = coarse.repeat_interleave(4, dim=1)
        # With clean (and only then): the teacher-forced target and the decoder's values of this scale.
        clean_target = F.pixel_unshuffle(clean_scales[s], 2) if clean_scales is not None else None
        decoded_values = decoded.repeat_interleave(4, dim=1) if decoded is not None else None
        mask = y.new_zeros(b, backbone.mask_channels, hc, wc)
        mask[:, KNOWN_SUBPOSITION::4] = 1.0
        ctx = _scale_context(ctx, b, backbone.features, hc, wc, y)
        for step in steps:
            spatial = _column_parity(step.parity, hc, wc, y.device).to(y.dtype)
            chans = torch.tensor(step.channels, device=y.device)
            ctx, mean, log_scale = backbone(values, mask, ctx, chans)
            step_target = target[:, chans]
            if quantized:
                step_target = mean + straight_through_round(step_target - mean)
            lik = discretized_gaussian_likelihood(step_target, mean, torch.exp(log_scale))
            bits = bits + (-torch.log2(lik) * spatial).flatten(1).sum(1)
            # The step's channels take their new values at its positions; only they are blended
            # (a blend of all 4C channels cost four passes over the whole scale, forwards and back).
            values = _blend_channels(values, chans, step_target if quantized else target[:, chans], spatial)
            if clean_target is not None and decoded_values is not None:
                step_decoded = mean + straight_through_round(clean_target[:, chans] - mean)
                decoded_values = _blend_channels(decoded_values, chans, step_decoded, spatial)
            msel = y.new_zeros(1, backbone.mask_channels, 1, 1)
            msel[:, list(step.mask_rows)] = 1.0
            mask = torch.maximum(mask, msel * spatial)
        if quantized:
            known = F.pixel_shuffle(values, 2)
        if decoded_values is not None:
            decoded = F.pixel_shuffle(decoded_values, 2)
    y_hat = known if quantized else decoded
    return MSPRate(progressive_bits=bits, coarsest_bits=coarsest_bits, y_hat=y_hat)


def _blend_channels(values: torch.Tensor, channels: torch.Tensor, new: torch.Tensor, where: torch.Tensor) -> torch.Tensor:
    """``values`` with its ``channels`` set to ``new`` where ``where`` (0/1, broadcast over
    channels) is 1, as the 0/1 blend ``v * (1 - where) + new * where`` (differentiable in both)."""
    return values.index_copy(1, channels, values[:, channels] * (1 - where) + new * where)


def straight_through_round(x: torch.Tensor) -> torch.Tensor:
    """round(x) forwards, identity backwards: the quantiser every training and LOF proxy uses."""
    return x + (torch.round(x) - x).detach()


# ----------------------------------------------------------------------------- coding


@dataclass(frozen=True)
class StepRequest:
    """One coding step: the elements that become known, with their distribution parameters.

    ``means`` are exact dyadic float64 values and ``scale_indices`` table indices, identical on
    encoder and decoder; ``flat`` addresses the elements in the scale's space-to-depth grid
    (1, 4C, Hc, Wc) of ``grid`` = (4C, Hc, Wc), row-major (``Tensor.take`` / ``put_``): one 1-D
    index instead of four, the coding loop's cheapest way to move a step's elements.
    """

    scale: int
    means: np.ndarray
    scale_indices: np.ndarray
    flat: torch.Tensor
    grid: tuple[int, int, int]
    step: MSPStep

    @property
    def index(self) -> tuple[torch.Tensor, ...]:
        """The elements as (batch, space-to-depth channel, row, column of the 2x2 blocks)."""
        _, hc, wc = self.grid
        channel, plane = torch.div(self.flat, hc * wc, rounding_mode="floor"), self.flat % (hc * wc)
        return (torch.zeros_like(channel), channel, torch.div(plane, wc, rounding_mode="floor"), plane % wc)


@dataclass(frozen=True)
class ProgressiveResult:
    y_hat: torch.Tensor  # (1, C, H, W) float64, padded layout
    means: torch.Tensor | None  # predicted means, same layout, when collected


def run_progressive(
    backbone: IntegerBackbone,
    coarsest: torch.Tensor,
    latent_shape: tuple[int, int, int],
    valid: tuple[int, int],
    schedule: MSPSchedule,
    code_step: Callable[[StepRequest], torch.Tensor],
    device: torch.device,
    on_step: Callable[[int], None] | None = None,
    collect_means: bool = False,
) -> ProgressiveResult:
    """Run the progressive steps shared by encoder and decoder; returns the full y_hat.

    With ``collect_means`` the predicted mean of every element (zero for the coarsest scale)
    comes back too: the encoder's greedy search snaps symbols relative to it.

    ``coarsest`` is the decoded coarsest scale (1, C, H/2^S, W/2^S); ``latent_shape`` (C, H, W)
    is padded to the schedule's alignment and ``valid`` gives the unpadded latent size: padded
    elements are known zeros and never coded. ``code_step`` receives each step's request and
    returns the y_hat values of the requested elements (encoder: quantise + encode; decoder:
    decode), in the request's element order.
    """
    c, h, w = latent_shape
    hv, wv = valid
    feats = backbone.in_proj.weight_int.shape[0]
    current = coarsest.to(device=device, dtype=torch.float64)
    current_means = torch.zeros_like(current)
    ctx = None
    for s, steps in schedule.walk(c):
        stride = 2**s
        hs, ws = h // stride, w // stride
        hc, wc = hs // 2, ws // 2
        # Validity of each fine position of this scale (in space-to-depth layout).
        rows = torch.arange(hs, device=device) * stride + stride - 1
        cols = torch.arange(ws, device=device) * stride + stride - 1
        valid_fine = ((rows < hv).view(-1, 1) & (cols < wv).view(1, -1)).to(torch.float64)
        valid_s2d = F.pixel_unshuffle(valid_fine.view(1, 1, hs, ws), 2) > 0.5  # (1, 4, Hc, Wc)

        values = current.repeat_interleave(4, dim=1)  # unknown elements hold the coarser value
        values = torch.where(valid_s2d.repeat(1, c, 1, 1), values, torch.zeros_like(values))
        means_s2d = current_means.repeat_interleave(4, dim=1) if collect_means else None
        mask = torch.zeros(1, backbone.mask_channels, hc, wc, dtype=torch.float64, device=device)
        mask[:, KNOWN_SUBPOSITION::4] = ACT_SCALE
        invalid = ~valid_s2d  # (1, 4, Hc, Wc)
        mask = torch.where(invalid.repeat(1, c // MASK_CHUNK, 1, 1), torch.full_like(mask, ACT_SCALE), mask)
        ctx = _scale_context(ctx, 1, feats, hc, wc, mask)
        with stage(f"backbone input, scale {s}"):
            inputs = ScaleInput(backbone, values, mask)
        for step in steps:
            p = step.subposition
            spatial = _column_parity(step.parity, hc, wc, device) & valid_s2d[:, p : p + 1]
            chans = torch.tensor(step.channels, device=device)
            with stage(f"backbone, scale {s}"):
                ctx, mean_int, log_scale_int = backbone.forward_banded(inputs, ctx, chans)
            # The step's elements, channel-major then raster: flat indices into its own channels'
            # parameters and into the scale's grid (batch 1).
            plane = spatial[0, 0].flatten().nonzero().squeeze(1)
            local_flat = (torch.arange(len(chans), device=device).view(-1, 1) * (hc * wc) + plane).reshape(-1)
            flat = (chans.view(-1, 1) * (hc * wc) + plane).reshape(-1)
            means = (mean_int.take(local_flat) / ACT_SCALE).cpu().numpy()
            scale_idx = log_scale_to_index(log_scale_int.take(local_flat) / ACT_SCALE).cpu().numpy()
            request = StepRequest(scale=s, means=means, scale_indices=scale_idx, flat=flat, grid=(4 * c, hc, wc), step=step)
            y_hat = code_step(request)
            with stage(f"backbone input, scale {s}"):
                inputs.write_values(chans, flat, local_flat, y_hat.to(device=device, dtype=torch.float64))
                inputs.mark_known(list(step.mask_rows), spatial)
            if means_s2d is not None:
                means_s2d.put_(flat, torch.from_numpy(means).to(device))
            if on_step is not None:
                on_step(step.number)
        current = F.pixel_shuffle(values, 2)
        if means_s2d is not None:
            current_means = F.pixel_shuffle(means_s2d, 2)
    return ProgressiveResult(y_hat=current, means=current_means if collect_means else None)

