"""Deepening trained transforms without changing what they compute (residual blocks that start
as the identity).

The training issue asks whether a bigger transform learns faster per CPU hour than the N=64 one,
and widening was level at equal CPU time while costing 1.3-1.6x a step here. Depth is cheaper where
the image is small: a residual block at 1/8 resolution costs 1/16 of the one at 1/2, so two more
blocks at 1/4 and 1/8 in each transform add about 16 % to the transforms' arithmetic and half that
to a training step (whose other half is the MSP unroll). Like widening, deepening starts from the
trained weights: the existing blocks keep their weights and the added ones follow them with their
last convolution zeroed, so each added block adds nothing until it has learned something
(ReZero / Fixup's start), and a deepened model codes the same bitstreams until it is trained.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from codec.models.transforms import ANALYSIS_STAGES, SYNTHESIS_STAGES

__all__ = ["deepen_transform_state"]

_STAGES = {"g_a": ANALYSIS_STAGES, "g_s": SYNTHESIS_STAGES}
_ZEROED = "conv2."
"""The added block's last convolution (:class:`codec.layers.ResidualBlock`): zero weight and bias
make the block the identity."""


def deepen_transform_state(
    state: Mapping[str, torch.Tensor],
    fresh: Mapping[str, torch.Tensor],
    old_blocks: tuple[int, int, int],
    new_blocks: tuple[int, int, int],
) -> dict[str, torch.Tensor]:
    """``state`` (transforms with ``old_blocks`` residual blocks at 1/2, 1/4, 1/8 resolution) for
    a model with ``new_blocks`` whose freshly initialised parameters are ``fresh``: each stage's
    existing blocks first, then the added ones from ``fresh`` with their last convolution zeroed."""
    if any(new < old for old, new in zip(old_blocks, new_blocks, strict=True)):
        raise ValueError(f"cannot take residual blocks {tuple(old_blocks)} down to {tuple(new_blocks)}")
    out = dict(state)
    for transform, positions in _STAGES.items():
        for scale, position in enumerate(positions):
            old, new = old_blocks[scale], new_blocks[scale]
            if old == new:
                continue
            prefix = f"{transform}.net.{position}."
            for key in [k for k in out if k.startswith(prefix)]:
                del out[key]
            for key, value in fresh.items():
                if not key.startswith(prefix):
                    continue
                index, rest = key[len(prefix):].split(".", 1)  # new >= 2: the stage is a Sequential of blocks
                block = int(index)
                if block < old:
                    out[key] = state[prefix + rest if old == 1 else f"{prefix}{block}.{rest}"]
                else:
                    out[key] = torch.zeros_like(value) if rest.startswith(_ZEROED) else value.detach().clone()
    return out
