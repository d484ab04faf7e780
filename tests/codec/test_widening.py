"""Widening trained transforms: the wide model computes what the narrow one did, then learns apart."""

import pytest
import torch

from codec.errors import WeightsError
from codec.models.msp_codec import ModelConfig, MSPCodecModel
from codec.models.widening import widen_transform_state, widening_sources
from codec.zoo import export_weights, load_weights_into

from tests.codec.conftest import assert_same_transforms, trained_like

NARROW = ModelConfig(transform_width=16, latent_channels=8, msp_features=16, msp_depth=1)
WIDE = ModelConfig(**{**NARROW.to_dict(), "transform_width": 24})


def _widened(narrow: MSPCodecModel, config: ModelConfig = WIDE) -> MSPCodecModel:
    wide = MSPCodecModel(config)
    shapes = {k: v.shape for k, v in wide.state_dict().items()}
    wide.load_state_dict(widen_transform_state(narrow.state_dict(), shapes, NARROW.transform_width, config.transform_width))
    return wide.eval()


@pytest.mark.parametrize("width", [24, 32, 40], ids=["half-copied", "all-copied-once", "some-copied-twice"])
def test_the_widened_transforms_compute_what_the_narrow_ones_did(width):
    narrow = trained_like(NARROW)
    wide = _widened(narrow, ModelConfig(**{**NARROW.to_dict(), "transform_width": width}))
    assert wide.g_s.net[0].weight.shape[0] == width
    assert_same_transforms(narrow, wide, atol=1e-5)


def test_everything_but_the_transforms_is_untouched():
    narrow = trained_like(NARROW)
    wide_state = _widened(narrow).state_dict()
    for name, value in narrow.state_dict().items():
        if not name.startswith(("g_a.", "g_s.")):
            assert torch.equal(wide_state[name], value), name


def test_a_copy_starts_equal_but_its_outgoing_weights_differ_so_training_moves_them_apart():
    narrow = trained_like(NARROW)
    wide = _widened(narrow).train()
    sources = widening_sources(16, 24)
    original, copy = int(sources[16]), 16
    first, second = wide.g_a.net[0], wide.g_a.net[2].conv1  # the stem writes the channel, the block reads it
    assert torch.equal(first.weight[copy], first.weight[original]) and torch.equal(first.bias[copy], first.bias[original])
    assert not torch.equal(second.weight[:, copy], second.weight[:, original])
    torch.testing.assert_close(
        second.weight[:16, copy] + second.weight[:16, original], narrow.g_a.net[2].conv1.weight[:, original], rtol=0, atol=1e-6
    )
    optimizer = torch.optim.Adam(wide.parameters(), lr=1e-3)
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    wide.g_s(wide.g_a(x)).sub(x).square().mean().backward()
    optimizer.step()
    assert not torch.equal(first.weight[copy], first.weight[original])


def test_sources_keep_the_originals_and_add_distinct_copies():
    sources = widening_sources(16, 28, seed=3)
    assert torch.equal(sources[:16], torch.arange(16))
    assert len(set(sources[16:].tolist())) == 12
    counts = torch.bincount(widening_sources(4, 11)).tolist()  # 7 added to 4: every channel copied once or twice
    assert sum(counts) == 11 and min(counts) >= 2 and max(counts) - min(counts) <= 1
    with pytest.raises(ValueError, match="cannot widen"):
        widening_sources(16, 8)


def test_exported_weights_load_widened_and_narrower_ones_are_refused_with_our_error(tmp_path):
    path = tmp_path / "narrow.pt"
    export_weights(trained_like(NARROW), path)
    narrow = MSPCodecModel(NARROW)
    load_weights_into(narrow, path)
    wide = MSPCodecModel(WIDE)
    load_weights_into(wide, path)
    y = torch.randn(1, 8, 8, 8, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        torch.testing.assert_close(wide.g_s(y), narrow.g_s(y), rtol=0, atol=1e-5)
    wide_path = tmp_path / "wide.pt"
    export_weights(wide, wide_path)
    with pytest.raises(WeightsError, match="cannot start this model"):
        load_weights_into(MSPCodecModel(NARROW), wide_path)
