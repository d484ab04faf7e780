"""Building blocks of the analysis and synthesis transforms."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["conv", "ResidualBlock", "SubpixelUpsample"]


def conv(in_ch: int, out_ch: int, kernel_size: int = 3, stride: int = 1) -> nn.Conv2d:
    """A 'same'-padded convolution (stride 2 halves the size exactly for even inputs)."""
    return nn.Conv2d(in_ch, out_ch, kernel_size, stride=stride, padding=kernel_size // 2)


class ResidualBlock(nn.Module):
    """conv3x3 - PReLU - conv3x3 plus identity: cheap depth without changing the scale."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = conv(channels, channels)
        self.act = nn.PReLU(channels, init=0.1)
        self.conv2 = conv(channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # In place on the fresh convolution output (its backward does not need it): a 2K image's
        # synthesis adds 90 MB tensors, and a new one for each sum cost 2.4x the addition.
        return self.conv2(self.act(self.conv1(x))).add_(x)


class SubpixelUpsample(nn.Module):
    """Sub-pixel convolution (conv + PixelShuffle): upsampling without checkerboard artefacts."""

    def __init__(self, in_ch: int, out_ch: int, factor: int = 2) -> None:
        super().__init__()
        self.conv = conv(in_ch, out_ch * factor * factor)
        self.shuffle = nn.PixelShuffle(factor)

    def forward(self, x: torch.Tensor, centre: float = 0.0) -> torch.Tensor:
        """``centre`` is taken out inside the convolution's bias: the output comes back relative
        to it, computed and stored in whatever precision the convolution runs in (see
        :func:`codec.models.precision.run_transform`)."""
        if not centre:
            return self.shuffle(self.conv(x))
        conv = self.conv
        bias = conv.bias - centre if conv.bias is not None else None
        return self.shuffle(F.conv2d(x, conv.weight, bias, conv.stride, conv.padding, conv.dilation, conv.groups))
