"""Widening trained transforms without changing what they compute (Net2Net's "wider" step).

The training issue asks whether a wider transform learns faster per CPU hour. A wider model
trained from scratch cannot answer that on this CPU: it would need the 20 CPU hours the shipped
N=64 weights took before it could even be compared. Widening those weights instead starts the
wide model exactly where the narrow one stands, so an A/B at equal CPU time measures what the
extra width buys from here.

Every added hidden channel copies an existing one (its incoming weights, bias and PReLU slope,
so it computes the same activation), and each layer that reads the pair splits the original's
outgoing weights between the two: ``w * (1/2 + e)`` and ``w * (1/2 - e)``, with ``e`` drawn per
weight. The sum is the original weight, so the output is unchanged (up to float rounding); the
unequal halves give the two copies different gradients, so they learn apart. One channel
mapping serves every hidden layer, which keeps the residual streams consistent: a residual
block's output copies the same channels as its input.

Only the transforms' hidden width changes; the latent, the entropy model and the gains are
untouched, so widened weights code exactly the same bitstreams until they are trained.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

__all__ = ["TRANSFORM_PREFIXES", "widen_transform_state", "widening_sources"]

TRANSFORM_PREFIXES = ("g_a.", "g_s.")
SPLIT_JITTER = 0.1
"""Half-width of the uniform ``e`` above: enough to separate the copies' gradients, small next to
the halves themselves."""


def widening_sources(old_width: int, new_width: int, seed: int = 0) -> torch.Tensor:
    """For each channel of the wide layers, the narrow channel it copies: ``0 .. old_width - 1``
    for the originals, then distinct random ones (as long as there are enough) for the added."""
    if not 0 < old_width <= new_width:
        raise ValueError(f"cannot widen a transform of width {old_width} to {new_width}")
    generator = torch.Generator().manual_seed(seed)
    added = new_width - old_width
    picks = torch.cat([torch.randperm(old_width, generator=generator) for _ in range(-(-added // old_width))])
    return torch.cat([torch.arange(old_width), picks[:added]])


def widen_transform_state(
    state: Mapping[str, torch.Tensor],
    wide_shapes: Mapping[str, torch.Size],
    old_width: int,
    new_width: int,
    seed: int = 0,
) -> dict[str, torch.Tensor]:
    """``state`` (weights with transforms of ``old_width``) for a model whose parameters have
    ``wide_shapes``: the transforms widened to ``new_width`` as the module docstring says.

    Which dimensions are hidden channels is read from the shapes, not from layer names: a dimension
    that grows from ``old_width`` to ``new_width`` is one, and one that grows from ``k * old_width``
    to ``k * new_width`` holds ``k`` sub-channels per channel (a sub-pixel convolution's output,
    channel-major as ``PixelShuffle`` reads it)."""
    sources = widening_sources(old_width, new_width, seed)
    copies = torch.bincount(sources, minlength=old_width)
    generator = torch.Generator().manual_seed(seed + 1)
    out = dict(state)
    for name, tensor in state.items():
        if not name.startswith(TRANSFORM_PREFIXES) or name not in wide_shapes:
            continue
        shape = tuple(wide_shapes[name])
        if tuple(tensor.shape) == shape:
            continue
        if tensor.dim() != len(shape):
            raise ValueError(f"{name}: cannot widen shape {tuple(tensor.shape)} to {shape}")
        wide = tensor.detach().clone()
        if tensor.dim() > 1 and shape[1] != tensor.shape[1]:  # a convolution reading hidden channels
            wide = _split_inputs(wide, sources, copies, _factor(name, tensor.shape[1], shape[1], old_width, new_width), generator)
        if shape[0] != tensor.shape[0]:  # the layer's own channels (weight rows, bias, PReLU slope)
            wide = _copy_outputs(wide, sources, _factor(name, tensor.shape[0], shape[0], old_width, new_width))
        out[name] = wide
    return out


def _factor(name: str, old: int, new: int, old_width: int, new_width: int) -> int:
    """How many entries of this dimension belong to one channel (1, or a sub-pixel layer's k)."""
    if old % old_width or new % new_width or old // old_width != new // new_width:
        raise ValueError(f"{name}: a dimension of {old} cannot become {new} when width {old_width} becomes {new_width}")
    return old // old_width


def _expand(sources: torch.Tensor, factor: int) -> torch.Tensor:
    """Channel sources as indices into a dimension holding ``factor`` entries per channel."""
    return (sources.view(-1, 1) * factor + torch.arange(factor)).reshape(-1)


def _copy_outputs(tensor: torch.Tensor, sources: torch.Tensor, factor: int) -> torch.Tensor:
    return tensor.index_select(0, _expand(sources, factor))


def _split_inputs(
    weight: torch.Tensor, sources: torch.Tensor, copies: torch.Tensor, factor: int, generator: torch.Generator
) -> torch.Tensor:
    """A convolution's weight over the widened inputs: each copied channel's weight shared
    unequally among the channel and its copies, in parts that add up to the original."""
    index = _expand(sources, factor)
    wide = weight.index_select(1, index)
    share = (1.0 / copies[sources].to(weight.dtype)).repeat_interleave(factor)
    jitter = (torch.rand(wide.shape, generator=generator, dtype=weight.dtype) * 2 - 1) * SPLIT_JITTER
    parts = wide * share.view(1, -1, *([1] * (weight.dim() - 2))) * (1 + jitter)
    # Each group's parts must add up to the original exactly: its last copy takes the remainder.
    last = _expand(_last_copies(sources), factor)
    total = torch.zeros_like(weight).index_add_(1, index, parts)
    parts[:, last] += weight - total
    return parts


def _last_copies(sources: torch.Tensor) -> torch.Tensor:
    """For each source channel (in order), the position of its last copy among the wide channels."""
    last: dict[int, int] = {}
    for position, source in enumerate(sources.tolist()):
        last[source] = position
    return torch.tensor([last[channel] for channel in range(len(last))])
