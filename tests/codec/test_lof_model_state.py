"""LOF optimises the latent only: the model it is handed leaves it exactly as it came."""

import copy
import dataclasses

import pytest
import torch

from codec.api import _model, _to_tensor, encode
from codec.errors import EncodeCancelled
from codec.lof import overfit_latent
from codec.profiles import get_profile


def _flags(model: torch.nn.Module) -> list[bool]:
    return [p.requires_grad for p in model.parameters()]


def test_lof_restores_the_models_gradient_flags_as_it_found_them(make_image):
    shared, _ = _model(torch.device("cpu"))
    model = copy.deepcopy(shared)
    params = list(model.parameters())
    for i, p in enumerate(params):
        p.requires_grad_(i % 3 != 0)  # a mix, as a model half-frozen for fine-tuning would have
    before = _flags(model)
    image = make_image(32, 48, seed=1)
    x = _to_tensor(image, torch.device("cpu"))
    with torch.no_grad():
        y0 = model.analyse(x, 0.5)
    profile = dataclasses.replace(get_profile("best"), lof_iterations=2)  # step search and snapping too
    overfit_latent(model, x, y0, 0.5, profile, *image.shape[:2])
    assert _flags(model) == before
    assert all(p.grad is None for p in params)  # and no gradient was left on a weight

    with pytest.raises(EncodeCancelled):
        overfit_latent(model, x, y0, 0.5, profile, *image.shape[:2], cancel=lambda: True)
    assert _flags(model) == before  # restored when the search ends early too


def test_an_encode_with_lof_leaves_the_apis_shared_model_untouched(make_image):
    shared, _ = _model(torch.device("cpu"))
    assert not any(_flags(shared))  # the API's models are for inference: nothing for LOF to switch
    encode(make_image(32, 40, seed=2), profile="balanced", quality=0.5, lof_iterations=2)
    assert not any(_flags(shared))
    assert all(p.grad is None for p in shared.parameters())
