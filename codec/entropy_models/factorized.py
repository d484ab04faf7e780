"""Per-channel learned non-parametric density (Balle et al. 2018's factorised prior).

It codes the coarsest MSP scale, which has no coarser context to condition on. For coding,
the density is tabulated once (``update_tables``) into float64 probability tables that are
stored with the weights, so encoder and decoder never evaluate the network at coding time.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["FactorizedDensity", "FACTORIZED_LIMIT"]

FACTORIZED_LIMIT = 64  # coded symbols live in [-FACTORIZED_LIMIT, FACTORIZED_LIMIT]


class FactorizedDensity(nn.Module):
    pmf_table: torch.Tensor  # buffer (declared: nn.Module's __getattr__ is untyped)

    def __init__(self, channels: int, filters: tuple[int, ...] = (3, 3, 3), init_scale: float = 10.0) -> None:
        super().__init__()
        self.channels = channels
        dims = (1, *filters, 1)
        scale = init_scale ** (1 / (len(dims) - 1))
        self.matrices = nn.ParameterList()
        self.biases = nn.ParameterList()
        self.factors = nn.ParameterList()
        for i in range(len(dims) - 1):
            init = math.log(math.expm1(1 / scale / dims[i + 1]))
            self.matrices.append(nn.Parameter(torch.full((channels, dims[i + 1], dims[i]), init)))
            self.biases.append(nn.Parameter(torch.rand(channels, dims[i + 1], 1) - 0.5))
            if i < len(dims) - 2:
                self.factors.append(nn.Parameter(torch.zeros(channels, dims[i + 1], 1)))
        n = 2 * FACTORIZED_LIMIT + 1
        self.register_buffer("pmf_table", torch.full((channels, n), 1.0 / n, dtype=torch.float64))

    def _logits_cdf(self, x: torch.Tensor) -> torch.Tensor:
        """x: (C, 1, N) -> logits of the CDF at x, (C, 1, N)."""
        for i, (matrix, bias) in enumerate(zip(self.matrices, self.biases, strict=True)):
            x = torch.matmul(F.softplus(matrix.to(x.dtype)), x) + bias.to(x.dtype)
            if i < len(self.factors):
                x = x + torch.tanh(self.factors[i].to(x.dtype)) * torch.tanh(x)
        return x

    def likelihood(self, y: torch.Tensor) -> torch.Tensor:
        """P(y) of unit bins around y (B, C, H, W), differentiable in y and the density."""
        b, c, h, w = y.shape
        v = y.permute(1, 0, 2, 3).reshape(c, 1, -1)
        lower = self._logits_cdf(v - 0.5)
        upper = self._logits_cdf(v + 0.5)
        sign = -torch.sign(lower + upper).detach()
        lik = (torch.sigmoid(sign * upper) - torch.sigmoid(sign * lower)).abs()
        return lik.clamp_min(1e-9).reshape(c, b, h, w).permute(1, 0, 2, 3)

    @torch.no_grad()
    def update_tables(self) -> None:
        """Tabulate the density (float64, on the CPU) for coding; tails go to the end bins."""
        grid = torch.arange(-FACTORIZED_LIMIT, FACTORIZED_LIMIT + 1, dtype=torch.float64)
        points = torch.cat([grid - 0.5, grid[-1:] + 0.5]).expand(self.channels, 1, -1).contiguous()
        cdf = torch.sigmoid(self._logits_cdf_cpu64(points)).squeeze(1)  # (C, N+1)
        cdf[:, 0] = 0.0
        cdf[:, -1] = 1.0
        pmf = (cdf[:, 1:] - cdf[:, :-1]).clamp_min(1e-9)
        self.pmf_table.copy_((pmf / pmf.sum(dim=1, keepdim=True)).to(self.pmf_table.device))

    def _logits_cdf_cpu64(self, x: torch.Tensor) -> torch.Tensor:
        for i, (matrix, bias) in enumerate(zip(self.matrices, self.biases, strict=True)):
            x = torch.matmul(F.softplus(matrix.detach().cpu().double()), x) + bias.detach().cpu().double()
            if i < len(self.factors):
                x = x + torch.tanh(self.factors[i].detach().cpu().double()) * torch.tanh(x)
        return x

    def tables(self) -> np.ndarray:
        """(C, 2*FACTORIZED_LIMIT+1) float64 probabilities, identical wherever the weights are."""
        return self.pmf_table.detach().cpu().numpy()
