"""Tiled evaluation of the transforms, so huge images fit in memory.

A convolutional transform's output at a point depends only on inputs within its receptive
field. Cutting the input into tiles that overlap by at least that field, running each tile,
and keeping only each tile's interior gives the untiled result (up to float summation order)
without seams, while peak memory is bounded by the tile size instead of the image size.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["run_tiled", "tiled_squared_error_gradient"]


def run_tiled(
    fn: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    scale: float,
    out_channels: int,
    tile: int,
    margin: int,
    whole_up_to: int | None = None,
) -> torch.Tensor:
    """Apply ``fn`` (which maps an (1, C, h, w) input to (1, out_channels, h*scale, w*scale))
    tile by tile; an input of at most ``whole_up_to`` (default ``tile``) on both sides runs in one
    piece. ``tile``, ``margin`` and ``whole_up_to`` are in input pixels; for a downsampling ``fn``
    they must be multiples of 1/scale so tile borders fall on output pixels.
    """
    _, _, h, w = x.shape
    whole = tile if whole_up_to is None else whole_up_to
    if h <= whole and w <= whole:
        return fn(x)
    out = None
    for top in range(0, h, tile):
        for left in range(0, w, tile):
            t0, l0 = max(0, top - margin), max(0, left - margin)
            t1, l1 = min(h, top + tile + margin), min(w, left + tile + margin)
            y = fn(x[:, :, t0:t1, l0:l1])
            if out is None:
                out = y.new_empty(1, out_channels, round(h * scale), round(w * scale))
            ot, ol = round((top - t0) * scale), round((left - l0) * scale)
            oh = round((min(h, top + tile) - top) * scale)
            ow = round((min(w, left + tile) - left) * scale)
            out[:, :, round(top * scale) : round(top * scale) + oh, round(left * scale) : round(left * scale) + ow] = y[
                :, :, ot : ot + oh, ol : ol + ow
            ]
    assert out is not None  # h or w is over tile: at least one tile ran
    return out


def tiled_squared_error_gradient(
    fn: Callable[[torch.Tensor], torch.Tensor],
    y: torch.Tensor,
    target: torch.Tensor,
    scale: int,
    tile: int,
    margin: int,
) -> tuple[float, torch.Tensor]:
    """Sum of squared errors between ``fn(y)`` and ``target``, and its gradient with respect to
    ``y``, computed tile by tile with memory bounded by the tile.

    The same argument as :func:`run_tiled`, applied to the backward pass: each output pixel
    belongs to exactly one tile's interior, and with an overlap wider than the receptive field
    that interior, and so its error and the error's gradient, is the untiled one. The gradients of
    the tiles' errors add up to the gradient of the whole image's. ``tile`` and ``margin`` are in
    latent units; ``fn`` upsamples by ``scale``; ``target`` (1, C, H, W) may be smaller than
    ``fn(y)`` (the image before padding): outputs beyond it do not count.
    """
    _, _, h, w = y.shape
    height, width = target.shape[-2:]
    grad = torch.zeros_like(y)
    total = 0.0
    for top in range(0, h, tile):
        for left in range(0, w, tile):
            t0, l0 = max(0, top - margin), max(0, left - margin)
            t1, l1 = min(h, top + tile + margin), min(w, left + tile + margin)
            rows = (top * scale, min(height, (top + tile) * scale))
            cols = (left * scale, min(width, (left + tile) * scale))
            if rows[0] >= rows[1] or cols[0] >= cols[1]:
                continue  # a tile of padding only
            piece = y[:, :, t0:t1, l0:l1].detach().requires_grad_(True)
            with torch.enable_grad():
                out = fn(piece)
                interior = out[:, :, rows[0] - t0 * scale : rows[1] - t0 * scale, cols[0] - l0 * scale : cols[1] - l0 * scale]
                error = (interior - target[:, :, rows[0] : rows[1], cols[0] : cols[1]]).square().sum()
                error.backward()
            total += float(error.detach())
            assert piece.grad is not None  # backward() filled it
            grad[:, :, t0:t1, l0:l1] += piece.grad
    return total, grad
