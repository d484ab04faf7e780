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
* on CUDA, where float64 is slow on most cards, float32 convolutions, exact while every partial
  sum stays below 2**24: activations are split into a high and a low byte and the input channels
  into chunks small enough to guarantee that bound. cuDNN (Winograd or FFT algorithms would
  break exactness) and TF32 are switched off for these calls.

Either way the sum is the same integer, so a bitstream decodes identically on both. It is
requantised with single IEEE operations, which are correctly rounded on every device.
"""

from __future__ import annotations

import contextlib
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


def quantize_activation(x: torch.Tensor) -> torch.Tensor:
    """Real values -> fixed-point integers (stored in float64), saturating."""
    return torch.clamp(torch.round(x.double() * ACT_SCALE), -ACT_LIMIT, ACT_LIMIT)


def int_prelu(a: torch.Tensor, slope: torch.Tensor) -> torch.Tensor:
    """PReLU on fixed-point integers; ``slope`` is float64 per channel (1, C, 1, 1)."""
    return torch.where(a >= 0, a, torch.round(a * slope))


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

    def forward(self, a: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
        """``rows`` selects output channels: only those are computed (saves time and memory)."""
        w = self.weight_int if rows is None else self.weight_int[rows]
        with stage("exact convolutions"):
            acc = exact_conv(a, w, self.padding)
        return self.requantize(acc, rows)

    def requantize(self, acc: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
        """Exact integer sums of products (all ``rows``, or the selected ones) -> this layer's
        fixed-point output: scaled, biased, rounded and saturated by single IEEE operations."""
        scale, bias = self.scale, self.bias_int
        if rows is not None:
            scale, bias = scale[:, rows], bias[:, rows]
        return torch.clamp(torch.round(acc * scale + bias), -ACT_LIMIT, ACT_LIMIT)


def _check_bounds() -> None:
    # |high| <= 128, |low| <= 255: each chunk's partial sums stay below 2**24.
    assert WEIGHT_LIMIT * (_LOW_BASE - 1) * 9 < _EXACT_LIMIT
    assert math.log2(ACT_LIMIT) < 16


_check_bounds()
