"""Exact integer-domain convolutions for the probability model.

An entropy decoder reproduces the encoder's symbols only if it sees bit-identical
distribution parameters; float convolutions change in the last bits with the thread count,
the BLAS and the device. So at coding time every convolution of the probability model runs on
integers: activations are fixed point with ``ACT_FRAC_BITS`` fractional bits, weights are
8-bit integers with one float scale per output channel.

The products are summed by ordinary floating-point convolutions, which are exact as long as
every partial sum is an integer the format holds exactly, whatever order the library sums in:

* on a CPU, float64 convolutions: a product is below 2**22 in magnitude, a sum of them below
  2**53 for any fan-in up to 2**31 (measured on the Kodak-size grid: 2x faster than the float32
  split for a 3x3 layer, 10x for the 496-channel 1x1 input layer). A 3x3 layer over a large grid
  runs in row bands of about ``CONV_BAND_POSITIONS`` positions: float64 convolutions go through
  an im2col buffer of 9 x channels x positions doubles, 52 MB on a 2K image's finest scale, and
  in bands that buffer stays in cache (88x128 grid: 23 -> 10 ms a layer);
* on a CPU, a 3x3 layer first tries float32 (oneDNN's direct convolutions, 2-6x quicker than
  float64): exact whenever every partial sum is below 2**24, which the input's largest magnitude
  per channel and the weights' magnitudes bound before the call. A layer whose bound is higher is
  split into up to ``FLOAT32_GROUPS`` groups of input channels (one grouped convolution; the
  groups' exact sums are added in float64), and one that no such split bounds runs in float64.
  On the shipped model a Kodak-size decode takes the float32 route for most 3x3 layers (1 group
  at the bottom quality, mostly 2 in the middle; at the top mostly 2 or 4, a fifth in float64);
* on CUDA, where float64 is slow on most cards, float32 convolutions, exact while every partial
  sum stays below 2**24: activations are split into a high and a low byte and the input channels
  into chunks small enough to guarantee that bound. cuDNN (Winograd or FFT algorithms would
  break exactness) and TF32 are switched off for these calls.

Either way the sum is the same integer, so a bitstream decodes identically on both. It is
requantised with single IEEE operations, which are correctly rounded on every device.
"""

from __future__ import annotations

import contextlib
import functools
import math

import torch
import torch.nn.functional as F
from torch import nn

from codec.stage_timing import stage

__all__ = [
    "ACT_FRAC_BITS",
    "ACT_LIMIT",
    "QuantizedConv",
    "quantize_activation",
    "int_prelu",
    "exact_conv",
    "exact_float32_conv",
    "exact_float64_conv",
    "CONV_BAND_POSITIONS",
    "FLOAT32_GROUPS",
    "float32_groups_needed",
    "float32_grouped_weight",
    "exact_float32_grouped_conv",
    "float32_route_is_exact",
]

ACT_FRAC_BITS = 8
ACT_SCALE = float(1 << ACT_FRAC_BITS)
ACT_LIMIT = float((1 << 15) - 1)  # activations are 16-bit signed fixed point (range +-128)
WEIGHT_LIMIT = 127.0
_LOW_BITS = 8
_LOW_BASE = float(1 << _LOW_BITS)
_EXACT_LIMIT = float(1 << 24)
CONV_BAND_POSITIONS = 4096
"""Grid positions per row band of a CPU 3x3 convolution (2-4k measured best on 2 cores; a grid
below 1.5x this runs whole)."""
FLOAT32_GROUPS = (1, 2, 4)
"""Input-channel groups the float32 route may split a 3x3 layer into. On 2 cores a 64-channel
layer over a 32x48 grid takes 0.50 / 0.67 / 0.80 ms in 1 / 2 / 4 groups, 1.25 ms in 8 and
1.03 ms in float64: more groups than 4 would not pay."""


def quantize_activation(x: torch.Tensor) -> torch.Tensor:
    """Real values -> fixed-point integers (stored in float64), saturating."""
    return (x.double() * ACT_SCALE).round_().clamp_(-ACT_LIMIT, ACT_LIMIT)


def int_prelu(a: torch.Tensor, slope: torch.Tensor) -> torch.Tensor:
    """PReLU on fixed-point integers; ``slope`` is float64 per channel (1, C, 1, 1)."""
    return torch.where(a >= 0, a, (a * slope).round_())


@contextlib.contextmanager
def _exact_backend(device: torch.device):
    if device.type == "cuda":
        prev = torch.backends.cuda.matmul.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = False
        try:
            with torch.backends.cudnn.flags(enabled=False):
                yield
        finally:
            torch.backends.cuda.matmul.allow_tf32 = prev
    else:
        yield


def exact_float32_conv(a: torch.Tensor, w: torch.Tensor, padding: int) -> torch.Tensor:
    """Exact sum of integer products: a (|a| <= 2**15, float64 ints), w (|w| <= 127 ints).

    Returns float64 integers equal to the mathematically exact convolution.
    """
    kh, kw = w.shape[-2:]
    max_term = WEIGHT_LIMIT * (_LOW_BASE - 1)
    chunk = max(1, int((_EXACT_LIMIT - 1) // (max_term * kh * kw)))
    high = torch.floor(a / _LOW_BASE)
    low = a - high * _LOW_BASE  # in [0, 255]
    w32 = w.float()
    total = None
    with _exact_backend(a.device):
        for start in range(0, a.shape[1], chunk):
            stop = start + chunk
            wc = w32[:, start:stop]
            part_low = F.conv2d(low[:, start:stop].float(), wc, padding=padding).double()
            part_high = F.conv2d(high[:, start:stop].float(), wc, padding=padding).double()
            part = part_high * _LOW_BASE + part_low
            total = part if total is None else total + part
    assert total is not None  # a has channels: at least one chunk
    return total


def exact_float64_conv(a: torch.Tensor, w: torch.Tensor, padding: int) -> torch.Tensor:
    """Exact sum of integer products in float64, a large grid of a spatial kernel in row bands
    (each band reads ``padding`` rows of its neighbours; integer sums are exact in any order, so
    the bands give the very same numbers as one call)."""
    height, width = a.shape[-2:]
    rows = max(1, CONV_BAND_POSITIONS // max(1, width))
    if padding == 0 or height * width < 1.5 * CONV_BAND_POSITIONS:
        return F.conv2d(a, w, padding=padding)
    padded = F.pad(a, (0, 0, padding, padding))
    out = a.new_empty(a.shape[0], w.shape[0], height, width)
    for r0 in range(0, height, rows):
        r1 = min(height, r0 + rows)
        out[..., r0:r1, :] = F.conv2d(padded[..., r0 : r1 + 2 * padding, :], w, padding=(0, padding))
    return out


def float32_grouped_weight(w: torch.Tensor, groups: int) -> torch.Tensor:
    """Integer weights (C_out, C_in, k, k) as float32 for ``conv2d(..., groups=groups)`` over the
    whole input: group g's C_out filters are every output channel's weights on input channels
    [g * C_in / groups, (g + 1) * C_in / groups)."""
    c_out, c_in = w.shape[:2]
    grouped = w.reshape(c_out, groups, c_in // groups, *w.shape[2:]).transpose(0, 1)
    return grouped.reshape(groups * c_out, c_in // groups, *w.shape[2:]).float().contiguous()


def float32_groups_needed(abs_sums: torch.Tensor, a: torch.Tensor) -> int | None:
    """The fewest ``FLOAT32_GROUPS`` in which every partial sum of the convolution of ``a`` stays
    below 2**24 in magnitude, whatever order the library sums in, or None if even the most do not.

    ``abs_sums`` (C_out, C_in) holds sum |w| over each filter's taps: a partial sum of output
    channel o within a group is at most sum over the group's channels c of
    max |a[c]| * abs_sums[o, c] (padding adds zeros)."""
    terms = abs_sums * a.abs().amax(dim=(0, 2, 3))
    c_out, c_in = terms.shape
    for groups in FLOAT32_GROUPS:
        if c_in % groups == 0 and float(terms.view(c_out, groups, c_in // groups).sum(2).max()) < _EXACT_LIMIT:
            return groups
    return None


def exact_float32_grouped_conv(a: torch.Tensor, grouped_weight: torch.Tensor, groups: int, padding: int) -> torch.Tensor:
    """The exact convolution of ``a`` (float64 integers) in float32, ``groups`` groups of input
    channels (:func:`float32_grouped_weight`), their sums added in float64. Exact only where
    :func:`float32_groups_needed` chose ``groups`` for this ``a``, and the route
    :func:`float32_route_is_exact`."""
    out = F.conv2d(a.float(), grouped_weight, padding=padding, groups=groups)
    parts = out.view(out.shape[0], groups, -1, *out.shape[2:]).unbind(1)
    total = parts[0].double()
    for part in parts[1:]:  # in place, float32 into float64 (2.5x quicker than torch.sum with a dtype)
        total += part
    return total


def _route_matches_float64(channels: int, limit: int, side: int) -> bool:
    gen = torch.Generator().manual_seed(channels)
    a = torch.randint(-limit, limit + 1, (1, channels, side, side), generator=gen).double()
    w = torch.randint(-127, 128, (channels, channels, 3, 3), generator=gen).double()
    groups = float32_groups_needed(w.abs().sum((2, 3)), a)
    assert groups is not None  # the shapes below: at most 2**23 in a group
    routed = exact_float32_grouped_conv(a, float32_grouped_weight(w, groups), groups, 1)
    return torch.equal(routed, F.conv2d(a, w, padding=1))


@functools.cache
def _float32_route_check(settings: tuple[str, ...]) -> bool:
    """Convolutions through the float32 route against float64, large enough for PyTorch to hand
    them to oneDNN (over 20480 input elements), with activations of 10-12 significant bits (bf16
    keeps 8) and partial sums of over 2**22: one in a single group, one in four."""
    return _route_matches_float64(8, 700, 60) and _route_matches_float64(16, 2048, 40)


def float32_route_is_exact() -> bool:
    """Whether float32 convolutions on this CPU and these settings sum integers exactly: false
    where oneDNN is told to compute float32 in bf16 or tf32 (``torch.backends.mkldnn``'s
    ``fp32_precision``, or ``ONEDNN_DEFAULT_FPMATH_MODE``), as check convolutions with activations
    of more significant bits than bf16 keeps show. Checked once per process and setting."""
    mkldnn = torch.backends.mkldnn
    conv = getattr(mkldnn, "conv", None)  # per-operation settings (not in the type stubs)
    settings = (str(mkldnn.enabled), str(mkldnn.fp32_precision), str(getattr(conv, "fp32_precision", None)))
    return _float32_route_check(settings)


def exact_conv(a: torch.Tensor, w: torch.Tensor, padding: int) -> torch.Tensor:
    """The exact convolution of integer activations ``a`` (float64) with integer weights ``w``
    (float64), by the quickest exact route on ``a``'s device (see the module docstring)."""
    if a.device.type == "cpu":
        return exact_float64_conv(a, w, padding)
    return exact_float32_conv(a, w, padding)


class QuantizedConv(nn.Module):
    """Integer twin of an ``nn.Conv2d`` (stride 1, 'same' padding), built from its weights."""

    weight_int: torch.Tensor  # buffers (declared: nn.Module's __getattr__ is untyped)
    scale: torch.Tensor
    bias_int: torch.Tensor
    abs_sums: torch.Tensor  # spatial layers only: sum |weight_int| over each filter's taps (C_out, C_in)

    def __init__(self, conv: nn.Conv2d) -> None:
        super().__init__()
        w = conv.weight.detach().double().cpu()
        max_abs = w.abs().flatten(1).amax(dim=1).clamp_min(1e-12)
        scale = max_abs / WEIGHT_LIMIT
        self.register_buffer("weight_int", torch.round(w / scale[:, None, None, None]))
        self.register_buffer("scale", scale.view(1, -1, 1, 1))
        bias = conv.bias.detach().double().cpu() if conv.bias is not None else torch.zeros(w.shape[0], dtype=torch.float64)
        self.register_buffer("bias_int", torch.round(bias * ACT_SCALE).view(1, -1, 1, 1))
        self.padding = conv.kernel_size[0] // 2
        assert conv.stride == (1, 1) and conv.kernel_size[0] == conv.kernel_size[1]
        self.float32_groups: tuple[int, ...] = ()
        if self.padding:  # spatial layers: the float32 route (1x1 layers are as quick in float64)
            weight = self.weight_int
            self.register_buffer("abs_sums", weight.abs().sum((2, 3)), persistent=False)
            self.float32_groups = tuple(g for g in FLOAT32_GROUPS if weight.shape[1] % g == 0)
            for groups in self.float32_groups:
                self.register_buffer(f"weight_f32_g{groups}", float32_grouped_weight(weight, groups), persistent=False)

    def forward(self, a: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
        """``rows`` selects output channels: only those are computed (saves time and memory)."""
        w = self.weight_int if rows is None else self.weight_int[rows]
        with stage("exact convolutions"):
            acc = self._float32_sums(a) if rows is None and self.float32_groups and a.device.type == "cpu" else None
            if acc is None:
                acc = exact_conv(a, w, self.padding)
        return self.requantize(acc, rows)

    def _float32_sums(self, a: torch.Tensor) -> torch.Tensor | None:
        """The exact sums by the float32 route, or None where it cannot guarantee them."""
        if not float32_route_is_exact():
            return None
        groups = float32_groups_needed(self.abs_sums, a)
        if groups is None:
            return None
        return exact_float32_grouped_conv(a, getattr(self, f"weight_f32_g{groups}"), groups, self.padding)

    def requantize(self, acc: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
        """Exact integer sums of products (all ``rows``, or the selected ones) -> this layer's
        fixed-point output: scaled, biased, rounded and saturated by single IEEE operations.
        Overwrites ``acc`` (a fresh temporary at every call site: no copy of a grid per layer)."""
        scale, bias = self.scale, self.bias_int
        if rows is not None:
            scale, bias = scale[:, rows], bias[:, rows]
        # In place on ``acc``, the caller's fresh sums (each op rounds once, as written out).
        return acc.mul_(scale).add_(bias).round_().clamp_(-ACT_LIMIT, ACT_LIMIT)


def _check_bounds() -> None:
    # |high| <= 128, |low| <= 255: each chunk's partial sums stay below 2**24.
    assert WEIGHT_LIMIT * (_LOW_BASE - 1) * 9 < _EXACT_LIMIT
    assert math.log2(ACT_LIMIT) < 16


_check_bounds()
