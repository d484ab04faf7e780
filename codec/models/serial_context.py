"""A serial context-model decoder of the kind the MSP paper compares against (timing only).

Minnen et al. 2018: a masked 5x5 spatial context over a 1/16-resolution latent (M = 192),
combined with hyperprior features by a 1x1 "entropy parameters" network, decoded position by
position because every position depends on the ones decoded before it. The weights are
random: only the structure, and so the decode time, matters. It uses the same entropy coder
and scale table as the MSP codec, so the comparison isolates the probability model's
sequential structure: O(H*W) steps here against MSP's constant step count.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from codec.entropy_models.coder import SegmentDecoder, SegmentEncoder
from codec.entropy_models.gaussian import SYMBOL_LIMIT, scale_to_index

__all__ = ["SerialContextModel", "SerialTiming"]


@dataclass(frozen=True)
class SerialTiming:
    positions: int
    sequential_steps: int
    encode_seconds: float
    decode_seconds: float
    exact: bool  # the decoder reproduced the encoder's symbols


class SerialContextModel(nn.Module):
    mask: torch.Tensor  # buffer (declared: nn.Module's __getattr__ is untyped)

    def __init__(self, channels: int = 192, seed: int = 0) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.channels = channels
        self.context = nn.Conv2d(channels, 2 * channels, 5, padding=2)
        mask = torch.ones(5, 5)
        mask[2, 2:] = 0
        mask[3:] = 0
        self.register_buffer("mask", mask.view(1, 1, 5, 5))
        self.entropy_parameters = nn.Sequential(
            nn.Conv2d(4 * channels, 640, 1), nn.LeakyReLU(),
            nn.Conv2d(640, 512, 1), nn.LeakyReLU(),
            nn.Conv2d(512, 2 * channels, 1),
        )
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.02)

    def _params(self, patch: torch.Tensor, hyper: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        ctx = F.conv2d(patch, self.context.weight * self.mask, self.context.bias)  # (1, 2C, 1, 1)
        out = self.entropy_parameters(torch.cat([ctx, hyper], dim=1))
        mean, scale = out.chunk(2, dim=1)
        return mean.double().flatten().cpu(), F.softplus(scale).double().flatten().cpu() + 0.5

    @torch.no_grad()
    def time_roundtrip(self, height: int, width: int, seed: int = 0, device: str = "cpu") -> SerialTiming:
        """Encode and decode a random latent for an image of ``height`` x ``width`` pixels.

        On a GPU the networks run there and every position's parameters come back to the host
        for the entropy coder, as a real serial decoder must: that round trip per position is
        the cost the MSP model's constant step count avoids."""
        h, w = -(-height // 16), -(-width // 16)
        c = self.channels
        gen = torch.Generator().manual_seed(seed)
        y = torch.randn(1, c, h, w, generator=gen) * 3
        hyper = (torch.randn(1, 2 * c, h, w, generator=gen) * 0.1).to(device)
        self.to(device)

        def run(coder: SegmentEncoder | SegmentDecoder) -> torch.Tensor:
            y_hat = torch.zeros(1, c, h + 4, w + 4, device=device)
            for i in range(h):
                for j in range(w):
                    mean, scale = self._params(y_hat[:, :, i : i + 5, j : j + 5], hyper[:, :, i : i + 1, j : j + 1])
                    idx = scale_to_index(scale).numpy()
                    if isinstance(coder, SegmentEncoder):
                        residual = np.round(y[0, :, i, j].double().numpy() - mean.numpy())
                        sym = np.clip(residual, -SYMBOL_LIMIT, SYMBOL_LIMIT).astype(np.int32)
                        coder.encode_gaussian(sym, idx)
                    else:
                        sym = coder.decode_gaussian(idx)
                    y_hat[0, :, i + 2, j + 2] = torch.from_numpy(sym + mean.numpy()).float().to(device)
            return y_hat.cpu()

        t = time.perf_counter()
        enc = SegmentEncoder()
        ref = run(enc)
        data = enc.finish()
        t_enc = time.perf_counter() - t
        t = time.perf_counter()
        out = run(SegmentDecoder(data))
        t_dec = time.perf_counter() - t
        return SerialTiming(h * w, h * w, t_enc, t_dec, bool(torch.equal(ref, out)))
