"""A fixed, perfectly invertible analysis / synthesis pair: colour transform + CDF 9/7 wavelet packet.

The learned transforms cap the codec's PSNR until they are trained far longer than this
project's CPU allows (about 30 dB on Kodak unquantised). A fixed transform has no such ceiling:
its round trip is exact to float rounding from step 0, and a learned entropy model over its
coefficients is known to beat JPEG 2000 (Sahin & Kamisli 2023; Li, Naman & Taubman 2024).

* Colour: JPEG 2000's irreversible colour transform (YCbCr), on pixels centred at 0.
* Space: three levels of a full 2-D wavelet *packet* (every band split again, not just LL), with
  the CDF 9/7 lifting steps of JPEG 2000 and whole-sample symmetric extension at the borders
  (``boundary="periodic"`` gives the periodic variant that pywavelets' "periodization" mode
  computes, used as the test oracle). Each of the 64 bands per colour channel lands in one
  channel of the 1/8-resolution latent slot: 192 channels.
* Order: channels go from low to high frequency (Y before Cb, Cr at equal frequency), so the
  MSP's first channel steps carry the coarse content as context for the rest.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["WaveletAnalysis", "WaveletSynthesis", "LEVELS", "wavelet_channels", "dwt2", "idwt2"]

LEVELS = 3
# CDF 9/7 lifting constants (JPEG 2000 Part 1, irreversible filter).
ALPHA = -1.586134342059924
BETA = -0.052980118572961
GAMMA = 0.882911075530934
DELTA = 0.443506852043971
KAPPA = 1.230174104914001
# Band scaling of pywavelets' "bior4.4" (low-pass DC gain sqrt(2)): close to orthonormal, so a
# coefficient error costs about the same squared error in pixels whatever its band.
LOW_SCALE = 2**0.5 / KAPPA
HIGH_SCALE = KAPPA / 2**0.5

_ICT = torch.tensor(
    [[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]], dtype=torch.float64
)


def wavelet_channels(colour_channels: int = 3) -> int:
    return colour_channels * 4**LEVELS


def _next(v: torch.Tensor, dim: int, periodic: bool) -> torch.Tensor:
    """v[n + 1] along ``dim``; past the end: the first sample (periodic) or the last (symmetric)."""
    if periodic:
        return torch.roll(v, -1, dims=dim)
    return torch.cat([v.narrow(dim, 1, v.shape[dim] - 1), v.narrow(dim, v.shape[dim] - 1, 1)], dim=dim)


def _prev(v: torch.Tensor, dim: int, periodic: bool) -> torch.Tensor:
    """v[n - 1] along ``dim``; before the start: the last sample (periodic) or the first (symmetric)."""
    if periodic:
        return torch.roll(v, 1, dims=dim)
    return torch.cat([v.narrow(dim, 0, 1), v.narrow(dim, 0, v.shape[dim] - 1)], dim=dim)


def _lift(x: torch.Tensor, dim: int, periodic: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """One level of the 1-D CDF 9/7 along ``dim`` (even length): (low, high), each half as long.

    With symmetric extension of the signal about its end samples, the even and odd polyphase
    parts extend by repeating their edge sample, which is what :func:`_next` / :func:`_prev` do."""
    s = x.narrow(dim, 0, x.shape[dim] // 2 * 2)
    even = s.unflatten(dim, (-1, 2)).select(dim + 1, 0)
    odd = s.unflatten(dim, (-1, 2)).select(dim + 1, 1)
    odd = odd + ALPHA * (even + _next(even, dim, periodic))
    even = even + BETA * (_prev(odd, dim, periodic) + odd)
    odd = odd + GAMMA * (even + _next(even, dim, periodic))
    even = even + DELTA * (_prev(odd, dim, periodic) + odd)
    return even * LOW_SCALE, odd * HIGH_SCALE


def _unlift(low: torch.Tensor, high: torch.Tensor, dim: int, periodic: bool) -> torch.Tensor:
    even, odd = low / LOW_SCALE, high / HIGH_SCALE
    even = even - DELTA * (_prev(odd, dim, periodic) + odd)
    odd = odd - GAMMA * (even + _next(even, dim, periodic))
    even = even - BETA * (_prev(odd, dim, periodic) + odd)
    odd = odd - ALPHA * (even + _next(even, dim, periodic))
    return torch.stack([even, odd], dim=dim + 1).flatten(dim, dim + 1)


def dwt2(x: torch.Tensor, periodic: bool = False) -> torch.Tensor:
    """(B, C, H, W) -> (B, 4C, H/2, W/2): per input channel the bands LL, HL, LH, HH (H = high
    horizontal frequency first), so a packet tree is this function applied again to every band."""
    b, c, h, w = x.shape
    lo, hi = _lift(x, 3, periodic)  # along width
    ll, lh = _lift(lo, 2, periodic)  # along height
    hl, hh = _lift(hi, 2, periodic)
    return torch.stack([ll, hl, lh, hh], dim=2).reshape(b, 4 * c, h // 2, w // 2)


def idwt2(y: torch.Tensor, periodic: bool = False) -> torch.Tensor:
    b, c4, h, w = y.shape
    bands = y.reshape(b, c4 // 4, 4, h, w)
    ll, hl, lh, hh = bands.unbind(2)
    lo = _unlift(ll, lh, 2, periodic)
    hi = _unlift(hl, hh, 2, periodic)
    return _unlift(lo, hi, 3, periodic)


def _frequency_order(colour_channels: int) -> torch.Tensor:
    """Permutation of the packet's channels (colour-major, then level-1 band, level-2, level-3)
    into low-to-high frequency order. A packet path's natural frequency index along one axis is
    the Gray-code decoding of its high-pass bits (the high band of a split is spectrally reversed)."""
    keys = []
    for channel in range(colour_channels * 4**LEVELS):
        colour, path = divmod(channel, 4**LEVELS)
        bands = [(path >> (2 * (LEVELS - 1 - k))) & 3 for k in range(LEVELS)]  # level 1 first
        fx = fy = 0
        gx = gy = 0
        for band in bands:
            gx ^= band & 1  # HL, HH: high horizontal frequency
            gy ^= band >> 1  # LH, HH: high vertical frequency
            fx, fy = 2 * fx + gx, 2 * fy + gy
        keys.append((fx + fy, max(fx, fy), colour, fy, fx, channel))
    return torch.tensor([k[-1] for k in sorted(keys)])


class WaveletAnalysis(nn.Module):
    """Image in [0, 1] (B, 3, H, W), H and W multiples of 8 -> (B, 192, H/8, W/8)."""

    colour: torch.Tensor  # buffers (declared: nn.Module's __getattr__ is untyped)
    order: torch.Tensor

    def __init__(self, boundary: str = "symmetric") -> None:
        super().__init__()
        if boundary not in ("symmetric", "periodic"):
            raise ValueError(f"unknown boundary {boundary!r}")
        self.periodic = boundary == "periodic"
        self.register_buffer("colour", _ICT.float(), persistent=False)
        self.register_buffer("order", _frequency_order(3), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(x.device.type, enabled=False):  # bf16 would cap the round trip near 50 dB
            x = torch.einsum("oc,bchw->bohw", self.colour, x.float() - 0.5)
            for _ in range(LEVELS):
                x = dwt2(x, self.periodic)
            return x[:, self.order]


class WaveletSynthesis(nn.Module):
    """Exact inverse of :class:`WaveletAnalysis` (up to float rounding); output not clamped."""

    colour_inverse: torch.Tensor  # buffers
    inverse_order: torch.Tensor

    def __init__(self, boundary: str = "symmetric") -> None:
        super().__init__()
        self.periodic = boundary == "periodic"
        self.register_buffer("colour_inverse", torch.linalg.inv(_ICT).float(), persistent=False)
        self.register_buffer("inverse_order", torch.argsort(_frequency_order(3)), persistent=False)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        with torch.autocast(y.device.type, enabled=False):
            y = y.float()[:, self.inverse_order]
            for _ in range(LEVELS):
                y = idwt2(y, self.periodic)
            return torch.einsum("oc,bchw->bohw", self.colour_inverse, y) + 0.5
