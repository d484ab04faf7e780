"""Extending a trained model's lambda grid upward, so its top quality can reach higher rates.

The variable-rate model learns one gain (and inverse gain) per lambda and latent channel
(``MSPCodecModel.log_gain``). A new top level has no trained gains; starting it where each
channel's learned curve points (log gain linear in log lambda through the top two levels)
starts the new level's quantiser at a sensible step, so training refines it instead of searching
for it. Everything else in the weights is independent of the grid.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

import torch

__all__ = ["GAIN_PARAMETERS", "extend_lambda_grid", "extended_gains"]

GAIN_PARAMETERS = ("log_gain", "log_inv_gain")


def extended_gains(log_gain: torch.Tensor, lambdas: Sequence[float], new_lambdas: Sequence[float]) -> torch.Tensor:
    """``log_gain`` (levels, C) of ``lambdas`` continued to the longer grid ``new_lambdas``.

    ``lambdas`` must be the start of ``new_lambdas`` (the existing levels keep their gains, so
    the old qualities' bitstreams stay reachable); each added level continues every channel's
    line through the last two trained levels in log lambda."""
    old, new = [float(v) for v in lambdas], [float(v) for v in new_lambdas]
    if len(old) < 2 or len(new) <= len(old) or new[: len(old)] != old:
        raise ValueError(f"the lambda grid {new} does not extend {old} (it must start with it and add levels)")
    if any(b <= a for a, b in itertools.pairwise(new)):
        raise ValueError(f"the lambda grid {new} is not increasing")
    rows = list(log_gain.detach().clone())
    slope = (rows[-1] - rows[-2]) / (math.log(old[-1]) - math.log(old[-2]))
    for lam in new[len(old) :]:
        rows.append(rows[len(old) - 1] + slope * (math.log(lam) - math.log(old[-1])))
    return torch.stack(rows)


def extend_lambda_grid(
    state: Mapping[str, torch.Tensor], lambdas: Sequence[float], new_lambdas: Sequence[float]
) -> dict[str, torch.Tensor]:
    """A state dict of weights trained on ``lambdas``, with gains for every level of ``new_lambdas``."""
    out = dict(state)
    for name in GAIN_PARAMETERS:
        out[name] = extended_gains(state[name], lambdas, new_lambdas)
    return out
