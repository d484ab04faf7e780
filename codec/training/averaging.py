"""An exponential moving average (EMA) of a model's weights, for ``msp train`` and ``msp burst``.

Why: Adam at a mid-schedule learning rate leaves the weights jittering around a better point than
any single step reaches; the shipped weights' Kodak BD-rate moved by tens of points with nothing
but the learning rate's phase (the model card, session 8). An average of the recent steps gives
much of what a decay to a low learning rate gives, at any step, so a long run can be measured
and shipped mid-schedule. The average is torch's :class:`~torch.optim.swa_utils.AveragedModel`
(parameters only); buffers are taken from the live model whenever the average is used.

:func:`mean_state_dict` averages across runs instead of along one: runs started from the same
weights with different crops stay in one basin at a fine-tuning learning rate, so the mean of their
weights is a model too (a "model soup", Wortsman et al. 2022): a second core can train a second run
without DDP's lockstep. On Kodak such a mean measured level with one run of the same total CPU time,
and no better than its longer half (the model card, session 17): the EMA already sits where it does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar, cast

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

__all__ = ["WeightAverage", "averaged_state_dict", "mean_state_dict"]

M = TypeVar("M", bound=nn.Module)

class WeightAverage(Generic[M]):
    """The EMA ``decay * average + (1 - decay) * weights``, updated after every optimiser step.
    Its first update copies the weights, so an average that starts on a resumed run starts at
    that run's weights."""

    def __init__(self, model: M, decay: float) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"an EMA decay is in [0, 1), not {decay}")
        self.decay = decay
        self._averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay))

    @property
    def updates(self) -> int:
        """How many steps the average has taken in (0: it has none yet)."""
        return int(self._averaged.n_averaged)

    def update(self, model: nn.Module) -> None:
        self._averaged.update_parameters(model)

    def model(self, live: M) -> M:
        """The averaged model, with ``live``'s buffers (only parameters are averaged)."""
        averaged = cast(M, self._averaged.module)  # a deep copy of the model it was made from
        with torch.no_grad():
            for b_avg, b in zip(averaged.buffers(), live.buffers(), strict=True):
                b_avg.copy_(b)
        return averaged

    def state_dict(self) -> dict[str, object]:
        """What a checkpoint keeps: the decay, the update count and the averaged parameters."""
        parameters = {name: p.detach().clone() for name, p in self._averaged.module.named_parameters()}
        return {"decay": self.decay, "updates": self.updates, "parameters": parameters}

    def load_state_dict(self, state: dict[str, object]) -> None:
        parameters = cast(dict[str, torch.Tensor], state["parameters"])
        own = dict(self._averaged.module.named_parameters())
        if own.keys() != parameters.keys():
            raise ValueError("the saved average is of another model")
        with torch.no_grad():
            for name, value in parameters.items():
                own[name].copy_(value)
            self._averaged.n_averaged.fill_(int(cast(int, state["updates"])))


def averaged_state_dict(model_state: dict[str, torch.Tensor], average_state: dict[str, object]) -> dict[str, torch.Tensor]:
    """``model_state`` with its parameters replaced by their averages (buffers stay the live
    model's): the weights to export from a checkpoint that kept an average."""
    parameters = cast(dict[str, torch.Tensor], average_state["parameters"])
    unknown = parameters.keys() - model_state.keys()
    if unknown:
        raise ValueError(f"the average has weights the model has not: {sorted(unknown)[:3]}")
    return {**model_state, **parameters}


def mean_state_dict(states: Sequence[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """The element-wise mean of several state dicts of one architecture: floating-point tensors
    are averaged (in float64, stored back in their own dtype); any other tensor (a counter, an
    integer table) must be equal in all of them, since no mean of those is a value the model knows."""
    if not states:
        raise ValueError("a mean needs at least one state dict")
    first = states[0]
    for other in states[1:]:
        if other.keys() != first.keys() or any(other[k].shape != first[k].shape for k in first):
            raise ValueError("the state dicts are of different architectures")
    mean: dict[str, torch.Tensor] = {}
    for key, tensor in first.items():
        if tensor.is_floating_point():
            stacked = torch.stack([state[key].to(torch.float64) for state in states])
            mean[key] = stacked.mean(dim=0).to(tensor.dtype)
        elif all(torch.equal(state[key], tensor) for state in states[1:]):
            mean[key] = tensor
        else:
            raise ValueError(f"{key} differs between the state dicts and cannot be averaged")
    return mean
