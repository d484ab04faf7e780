"""The backbone input layer's sums, kept up to date step by step, are the integers a full
recomputation gives: the incremental form changes no bitstream."""

import torch

from codec import api
from codec.entropy_models.fixed_point import ACT_SCALE
from codec.entropy_models.msp import ScaleInput


def test_updates_equal_a_fresh_computation():
    """Random writes (including values beyond the fixed-point range, which saturate) and mask
    rows marked known: after each, the sums are exactly the recomputed ones."""
    model, _ = api._model(torch.device("cpu"))
    backbone = model.integer_backbone()
    torch.manual_seed(0)
    c4, hc, wc = 4 * backbone.latent_channels, 5, 7
    values = torch.randn(1, c4, hc, wc, dtype=torch.float64) * 40
    mask = torch.zeros(1, backbone.mask_channels, hc, wc, dtype=torch.float64)
    inputs = ScaleInput(backbone, values, mask)
    for _ in range(4):
        channels = torch.randperm(c4)[:9]
        where = torch.rand(hc, wc) < 0.5
        rows, cols = where.nonzero(as_tuple=True)
        plane = rows * wc + cols
        step_flat = (torch.arange(9).view(-1, 1) * (hc * wc) + plane).reshape(-1)
        flat = (channels.view(-1, 1) * (hc * wc) + plane).reshape(-1)
        inputs.write_values(channels, flat, step_flat, torch.randn(flat.numel(), dtype=torch.float64) * 300)
        inputs.mark_known(torch.randperm(backbone.mask_channels)[:3].tolist(), where.view(1, 1, hc, wc))
        assert torch.equal(inputs.sums, inputs.fresh_sums())
    assert set(mask.unique().tolist()) == {0.0, ACT_SCALE}


def test_a_real_coding_keeps_the_sums_exact(make_image, monkeypatch):
    """Through an encode and a decode of an image with padding (odd size), every update leaves
    the sums equal to a fresh computation, and the decode reproduces the encoder's picture."""
    checks = []
    for name in ("write_values", "mark_known"):
        method = getattr(ScaleInput, name)

        def checked(self, *args, _method=method):
            _method(self, *args)
            checks.append(torch.equal(self.sums, self.fresh_sums()))

        monkeypatch.setattr(ScaleInput, name, checked)
    image = make_image(70, 90, seed=5)
    result = api.encode(image, profile="fast", quality=0.6)
    decoded = api.decode(result.data)
    assert (decoded.image == result.reconstruction).all()
    assert len(checks) == 2 * 2 * result.steps  # both updates of every step, encoder and decoder
    assert all(checks)
