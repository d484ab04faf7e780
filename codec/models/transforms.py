"""Analysis g_a (image -> 1/8 latent) and synthesis g_s (latent -> image).

Residual blocks with PReLU and three stride-2 stages, as in MSP.md; the synthesis mirrors the
analysis with sub-pixel upsampling. Widths and the number of residual blocks at each scale are
parameters so the model fits the training compute: a block at 1/8 resolution costs 1/16 of one at
1/2, so depth is cheapest where the image is smallest.
"""

from __future__ import annotations

import torch
from torch import nn

from codec.layers import PReLU, ResidualBlock, SubpixelUpsample, conv

__all__ = [
    "AnalysisTransform", "SynthesisTransform", "DOWNSAMPLING", "DEFAULT_BLOCKS", "ANALYSIS_STAGES", "SYNTHESIS_STAGES",
    "receptive_radius",
]

DOWNSAMPLING = 8  # image pixels per latent position along each axis
DEFAULT_BLOCKS = (1, 1, 1)
"""Residual blocks at 1/2, 1/4 and 1/8 resolution, in each transform (finest first)."""
ANALYSIS_STAGES = (2, 5, 8)
SYNTHESIS_STAGES = (8, 5, 2)
"""Where in each transform's ``net`` the residual stages at 1/2, 1/4 and 1/8 resolution sit."""


def _stage(width: int, blocks: int) -> nn.Module:
    """``blocks`` residual blocks at one scale. A single block is the block itself, so weights
    trained with one block per scale keep their parameter names (``net.2.conv1.weight``)."""
    if blocks < 1:
        raise ValueError(f"a transform stage needs at least one residual block, not {blocks}")
    return ResidualBlock(width) if blocks == 1 else nn.Sequential(*(ResidualBlock(width) for _ in range(blocks)))


def receptive_radius(blocks: tuple[int, int, int] = DEFAULT_BLOCKS) -> int:
    """Latent positions that either transform reaches on each side: an output in latent block r
    depends on inputs in blocks r - radius ... r + radius. Tiled evaluation
    (:mod:`codec.models.tiling`) needs at least this overlap. Counted in quarters of a latent
    position: each 3x3 convolution at scale 1/s reaches s/8 of one, the synthesis' sub-pixel
    layers one position of their input scale each, the analysis' 5x5 stem two pixels; the
    measured reach (tests/codec/test_deepening.py) is this count rounded up."""
    half, quarter, eighth = blocks
    synthesis = 4 * (2 + 2 * eighth) + 2 * (1 + 2 * quarter) + (1 + 2 * half)
    analysis = 4 * (1 + 2 * eighth) + 2 * (1 + 2 * quarter) + (1 + 2 * half) + 1
    return -(-max(synthesis, analysis) // 4)


class AnalysisTransform(nn.Module):
    def __init__(self, width: int, latent_channels: int, blocks: tuple[int, int, int] = DEFAULT_BLOCKS) -> None:
        super().__init__()
        half, quarter, eighth = blocks
        self.net = nn.Sequential(
            conv(3, width, 5, stride=2),
            PReLU(width, init=0.1),
            _stage(width, half),
            conv(width, width, 3, stride=2),
            PReLU(width, init=0.1),
            _stage(width, quarter),
            conv(width, width, 3, stride=2),
            PReLU(width, init=0.1),
            _stage(width, eighth),
            conv(width, latent_channels, 3),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 3, H, W) in [0, 1], H and W multiples of 8."""
        return self.net(x)


class SynthesisTransform(nn.Module):
    output_centre = 0.5
    """The middle of the image range [0, 1]: where a bf16 output is finest (codec.models.precision)."""

    def __init__(self, width: int, latent_channels: int, blocks: tuple[int, int, int] = DEFAULT_BLOCKS) -> None:
        super().__init__()
        half, quarter, eighth = blocks
        self.net = nn.Sequential(
            conv(latent_channels, width, 3),
            PReLU(width, init=0.1),
            _stage(width, eighth),
            SubpixelUpsample(width, width),
            PReLU(width, init=0.1),
            _stage(width, quarter),
            SubpixelUpsample(width, width),
            PReLU(width, init=0.1),
            _stage(width, half),
            SubpixelUpsample(width, 3),
        )

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        """Returns (B, 3, 8h, 8w), not clamped (clamping is the caller's job)."""
        return self.net(y)
