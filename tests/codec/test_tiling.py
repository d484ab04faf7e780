import numpy as np
import pytest
import torch

from codec.api import _model
from codec.models.tiling import run_tiled


def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    a8 = torch.round(a.clamp(0, 1) * 255)
    b8 = torch.round(b.clamp(0, 1) * 255)
    mse = float(((a8 - b8) ** 2).mean())
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


def test_tiled_transforms_match_untiled(make_image):
    model, _ = _model(torch.device("cpu"))
    image = make_image(192, 256, seed=9)
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        y_full = model.g_a(x)
        y_tiled = run_tiled(model.g_a, x, 1 / 8, model.latent_channels, tile=64, margin=64)
        assert torch.allclose(y_full, y_tiled, atol=1e-3)
        y_hat = torch.round(y_full)
        x_full = model.g_s(y_hat)
        x_tiled = run_tiled(model.g_s, y_hat, 8, 3, tile=8, margin=8)
    # Seam-free: the tiled reconstruction equals the untiled one within float noise.
    assert torch.abs(x_full - x_tiled).max() < 1e-3
    reference = x
    assert abs(_psnr(x_full, reference) - _psnr(x_tiled, reference)) < 0.05


def test_an_input_up_to_the_whole_size_runs_in_one_piece_and_a_larger_one_in_tiles():
    calls = []

    def double(t: torch.Tensor) -> torch.Tensor:
        calls.append(tuple(t.shape[-2:]))
        return torch.repeat_interleave(torch.repeat_interleave(t, 2, dim=-2), 2, dim=-1)

    x = torch.arange(12 * 20, dtype=torch.float32).view(1, 1, 12, 20)
    assert torch.equal(run_tiled(double, x, 2, 1, tile=8, margin=2, whole_up_to=20), double(x[..., :, :]))
    assert calls == [(12, 20), (12, 20)]
    calls.clear()
    assert torch.equal(run_tiled(double, x, 2, 1, tile=8, margin=2, whole_up_to=16), double(x))
    assert calls[:-1] == [(10, 10), (10, 12), (10, 6), (6, 10), (6, 12), (6, 6)]  # 2 x 3 tiles with their margins


def test_banded_backbone_gives_identical_bitstreams(make_image, monkeypatch):
    """Coding runs the MSP backbone in row bands for big images; with bands of a few rows forced
    on a small image, encoder and decoder produce exactly what the unbanded backbone does."""
    from codec import api
    from codec.entropy_models import msp

    image = make_image(160, 224, seed=4)
    whole = api.encode(image, profile="balanced", quality=0.5, lof_iterations=0).data
    monkeypatch.setattr(msp, "BAND_POSITIONS", 30)  # bands of one or two grid rows at every scale
    banded = api.encode(image, profile="balanced", quality=0.5, lof_iterations=0).data
    assert banded == whole
    assert np.array_equal(api.decode(banded).image, api.decode(whole).image)


def test_tiled_error_gradient_is_the_untiled_one(make_image):
    """The synthesis' backward pass, tile by tile, gives the whole image's squared error and its
    gradient (to float noise), including a target smaller than the padded output."""
    import copy

    from codec.models.tiling import tiled_squared_error_gradient

    # The coder's copy has channels-last weights, whose oneDNN kernels differ from the plain ones by
    # ~1e-4 of the gradient between tile shapes (measured): the tiling itself is checked on the plain ones.
    model = copy.deepcopy(_model(torch.device("cpu"))[0]).to(memory_format=torch.contiguous_format)
    image = make_image(180, 250, seed=3)  # not multiples of 8: the last latent row and column are padding
    target = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255
    x = torch.nn.functional.pad(target, (0, 6, 0, 4), mode="replicate")
    with torch.no_grad():
        y = torch.round(model.g_a(x))
    y_full = y.clone().requires_grad_(True)
    full_error = (model.g_s(y_full)[..., :180, :250] - target).square().sum()
    full_error.backward()
    from codec.lof import LOF_TILE_MARGIN_PIXELS

    error, grad = tiled_squared_error_gradient(model.g_s, y, target, 8, tile=10, margin=LOF_TILE_MARGIN_PIXELS // 8)
    full = float(full_error.detach())
    assert abs(error - full) < 1e-4 * full
    assert torch.allclose(grad, y_full.grad, rtol=1e-3, atol=1e-6 * float(y_full.grad.abs().max()))


def test_lof_on_tiles_finds_the_latent_of_untiled_lof(make_image, monkeypatch):
    import dataclasses

    import codec.lof as lof
    from codec.api import _to_tensor
    from codec.profiles import get_profile

    monkeypatch.setenv("MSP_TRANSFORM_PRECISION", "fp32")  # bf16 gradients differ between tile shapes by more
    image = make_image(72, 120, seed=5)
    model, _ = _model(torch.device("cpu"))
    x = _to_tensor(image, torch.device("cpu"))
    y0 = model.analyse(x, 0.5)
    profile = dataclasses.replace(get_profile("balanced"), lof_iterations=4, lof_step_search=False, lof_snap_symbols=False)
    untiled = lof.overfit_latent(model, x, y0, 0.5, profile, 72, 120)
    monkeypatch.setattr(lof, "LOF_TILE_PIXELS", 48)  # 6 latent rows per tile: several tiles each way
    tiled = lof.overfit_latent(model, x, y0, 0.5, profile, 72, 120)
    # Adam divides by the gradient's running RMS, so an element whose gradient is nearly zero can
    # move by a visible part of a step (0.01) on float noise alone: 1e-4 seen with 1 thread.
    assert torch.allclose(tiled.latent, untiled.latent, atol=1e-3)
    for (_, bpp_t, psnr_t), (_, bpp_u, psnr_u) in zip(tiled.trajectory, untiled.trajectory, strict=True):
        assert bpp_t == pytest.approx(bpp_u, rel=1e-5) and psnr_t == pytest.approx(psnr_u, abs=1e-4)
    assert tiled.final.cost == pytest.approx(untiled.final.cost, rel=1e-3)
