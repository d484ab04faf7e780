"""Building blocks of the analysis and synthesis transforms."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["conv", "PReLU", "ResidualBlock", "SubpixelUpsample"]


def conv(in_ch: int, out_ch: int, kernel_size: int = 3, stride: int = 1) -> nn.Conv2d:
    """A 'same'-padded convolution (stride 2 halves the size exactly for even inputs)."""
    return nn.Conv2d(in_ch, out_ch, kernel_size, stride=stride, padding=kernel_size // 2)


class _PReLUInputGradient(torch.autograd.Function):
    """PReLU whose backward pass computes the input's gradient only, in three fused passes:
    ``g`` where x > 0 (``leaky_relu_backward`` with slope 0), then ``that + (g - that) * slope``,
    which is ``g`` or ``g * slope`` exactly as PyTorch's own backward gives them."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, slope: torch.Tensor) -> torch.Tensor:
        out = torch.prelu(x, slope)  # under autocast: in its precision, which the gradient keeps
        ctx.save_for_backward(x.to(out.dtype), slope)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        x, slope = ctx.saved_tensors
        positive = torch.ops.aten.leaky_relu_backward(grad, x, 0.0, False)
        per_channel = slope.to(grad.dtype).view(1, -1, *([1] * (x.dim() - 2)))
        return torch.addcmul(positive, grad - positive, per_channel), None


class PReLU(nn.PReLU):
    """``nn.PReLU`` (same parameter, same forward) with a quicker backward pass when its slope
    is frozen, as in latent overfitting, where only the latent has a gradient. PyTorch's backward
    computes the slope's gradient too, always, and in a layout-generic loop: on a Kodak image's
    full-resolution synthesis layer (64 x 256 x 384, bf16, channels-last) it took 22 ms, these
    three passes about 3.5 ms. Training, where the slope learns, keeps PyTorch's."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.weight.requires_grad or not (torch.is_grad_enabled() and x.requires_grad):
            return super().forward(x)
        return _PReLUInputGradient.apply(x, self.weight)


class ResidualBlock(nn.Module):
    """conv3x3 - PReLU - conv3x3 plus identity: cheap depth without changing the scale."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = conv(channels, channels)
        self.act = PReLU(channels, init=0.1)
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
