"""The transforms' precision: bf16 where the CPU has it, fp32 on demand; the bitstream is the same
integer-coded latent either way, and the pictures differ by float rounding only."""

import numpy as np
import pytest
import torch

from codec.api import decode, encode
from codec.models.precision import PRECISION_ENV, run_transform, transform_precision
from codec.zoo import default_model


def test_the_environment_forces_a_precision_and_a_gpu_keeps_fp32(monkeypatch):
    monkeypatch.setenv(PRECISION_ENV, "fp32")
    assert transform_precision(torch.device("cpu")) == "fp32"
    monkeypatch.setenv(PRECISION_ENV, "bf16")
    assert transform_precision(torch.device("cpu")) == "bf16"
    assert transform_precision(torch.device("cuda")) == "fp32"
    monkeypatch.setenv(PRECISION_ENV, "fp16")
    with pytest.raises(ValueError, match="MSP_TRANSFORM_PRECISION='fp16'"):
        transform_precision(torch.device("cpu"))


@pytest.mark.parametrize("transform", ["g_a", "g_s"])
def test_bf16_runs_the_body_in_bf16_and_the_last_layer_in_fp32_or_centred(transform):
    """The analysis' last layer stays fp32; the synthesis' runs in bf16 relative to the middle
    of the image range, so its values near black and white are as fine as those near grey."""
    model = default_model().model
    net = getattr(model, transform)
    image = torch.linspace(0, 1, 96).view(1, 1, 1, 96).expand(1, 3, 64, 96) * 0.9 + torch.rand(1, 3, 64, 96) * 0.1
    with torch.no_grad():
        x = run_transform(model.g_a, image, "fp32") if transform == "g_s" else image  # a latent of black to white
    seen: dict[str, torch.dtype] = {}

    def note(name):
        def hook(module, inputs, output) -> None:
            seen.setdefault(name, output.dtype)
        return hook

    hooks = [net.net[0].register_forward_hook(note("first")), net.net[-1].register_forward_hook(note("last"))]
    try:
        with torch.no_grad():
            fast = run_transform(net, x, "bf16")
            exact = run_transform(net, x, "fp32")
    finally:
        for hook in hooks:
            hook.remove()
    last = torch.bfloat16 if transform == "g_s" else torch.float32
    assert seen == {"first": torch.bfloat16, "last": last}
    assert fast.dtype == torch.float32 and fast.shape == exact.shape
    assert 1e-5 < float((fast - exact).abs().max()) < 0.05 * max(1.0, float(exact.abs().max()))  # rounding only
    if transform == "g_s":  # the centre comes back: bright pixels are as close as the rest
        bright = exact.abs() > 0.75
        assert float((fast - exact)[bright].abs().max()) < 0.02


@pytest.mark.parametrize("encoder", ["bf16", "fp32"])
def test_a_bitstream_decodes_alike_in_either_precision(encoder, make_image, monkeypatch):
    """Measured on kodim23 (fast, q = 0.9): at most 2 levels apart, 10 % of the values differ,
    58 dB between the two pictures."""
    image = make_image(96, 128, seed=15)
    monkeypatch.setenv(PRECISION_ENV, encoder)
    result = encode(image, profile="balanced", quality=0.8, lof_iterations=0)
    assert np.array_equal(decode(result.data).image, result.reconstruction)  # same precision: exact
    monkeypatch.setenv(PRECISION_ENV, "fp32" if encoder == "bf16" else "bf16")
    other = decode(result.data).image.astype(np.int64)
    difference = np.abs(other - result.reconstruction.astype(np.int64))
    assert 0 < difference.max() <= 3
    assert 10 * np.log10(255.0**2 / np.mean(difference**2.0)) > 50
