"""Analysis g_a (image -> 1/8 latent) and synthesis g_s (latent -> image).

Residual blocks with PReLU and three stride-2 stages, as in MSP.md; the synthesis mirrors the
analysis with sub-pixel upsampling. Widths are parameters so the model fits the training compute.
"""

from __future__ import annotations

import torch
from torch import nn

from codec.layers import PReLU, ResidualBlock, SubpixelUpsample, conv

__all__ = ["AnalysisTransform", "SynthesisTransform", "DOWNSAMPLING"]

DOWNSAMPLING = 8  # image pixels per latent position along each axis


class AnalysisTransform(nn.Module):
    def __init__(self, width: int, latent_channels: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            conv(3, width, 5, stride=2),
            PReLU(width, init=0.1),
            ResidualBlock(width),
            conv(width, width, 3, stride=2),
            PReLU(width, init=0.1),
            ResidualBlock(width),
            conv(width, width, 3, stride=2),
            PReLU(width, init=0.1),
            ResidualBlock(width),
            conv(width, latent_channels, 3),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 3, H, W) in [0, 1], H and W multiples of 8."""
        return self.net(x)


class SynthesisTransform(nn.Module):
    output_centre = 0.5
    """The middle of the image range [0, 1]: where a bf16 output is finest (codec.models.precision)."""

    def __init__(self, width: int, latent_channels: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            conv(latent_channels, width, 3),
            PReLU(width, init=0.1),
            ResidualBlock(width),
            SubpixelUpsample(width, width),
            PReLU(width, init=0.1),
            ResidualBlock(width),
            SubpixelUpsample(width, width),
            PReLU(width, init=0.1),
            ResidualBlock(width),
            SubpixelUpsample(width, 3),
        )

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        """Returns (B, 3, 8h, 8w), not clamped (clamping is the caller's job)."""
        return self.net(y)
