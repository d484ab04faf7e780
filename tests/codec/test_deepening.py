"""Deepening trained transforms: added residual blocks start as the identity, then learn; deeper
transforms see further, and tiled coding widens its overlap to match."""

import pytest
import torch

from codec.errors import WeightsError
from codec.models.msp_codec import TILE_MARGIN_PIXELS, ModelConfig, MSPCodecModel
from codec.models.tiling import run_tiled
from codec.models.transforms import DEFAULT_BLOCKS, DOWNSAMPLING, receptive_radius
from codec.zoo import export_weights, load_model, load_weights_into

from tests.codec.conftest import assert_same_transforms, trained_like

SHALLOW = ModelConfig(transform_width=16, latent_channels=8, msp_features=16, msp_depth=1)
DEEP = ModelConfig(**{**SHALLOW.to_dict(), "residual_blocks": (1, 2, 3)})


def _deepened(tmp_path, config: ModelConfig = DEEP) -> tuple[MSPCodecModel, MSPCodecModel]:
    export_weights(trained_like(SHALLOW), tmp_path / "shallow.pt")
    deep = MSPCodecModel(config)
    load_weights_into(deep, tmp_path / "shallow.pt")
    return load_model(tmp_path / "shallow.pt").model, deep.eval()  # both as exported (fp16-stored)


def test_the_deepened_transforms_compute_what_the_shallow_ones_did(tmp_path):
    shallow, deep = _deepened(tmp_path)
    assert len(deep.g_s.net[2]) == 3 and len(deep.g_a.net[5]) == 2  # synthesis' 1/8 stage, analysis' 1/4 stage
    assert_same_transforms(shallow, deep, atol=1e-6)
    for name, value in shallow.state_dict().items():
        if not name.startswith(("g_a.", "g_s.")):
            assert torch.equal(deep.state_dict()[name], value), name


def test_an_added_block_learns_and_then_changes_the_output(tmp_path):
    shallow, deep = _deepened(tmp_path)
    added = deep.g_s.net[2][1]
    optimizer = torch.optim.Adam(deep.parameters(), lr=1e-3)
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    deep.train()
    deep.g_s(deep.g_a(x)).sub(x).square().mean().backward()
    assert added.conv2.weight.grad is not None and added.conv2.weight.grad.abs().max() > 0
    optimizer.step()
    assert added.conv2.weight.abs().max() > 0
    with torch.no_grad():
        y = deep.g_a(x)
        assert (deep.g_s(y) - shallow.g_s(y)).abs().max() > 1e-4


def test_deepened_weights_export_and_resume_deep_and_fewer_blocks_are_refused(tmp_path):
    _, deep = _deepened(tmp_path)
    export_weights(deep, tmp_path / "deep.pt")
    loaded = load_model(tmp_path / "deep.pt").model
    assert loaded.config.residual_blocks == (1, 2, 3)
    with pytest.raises(WeightsError, match="cannot take residual blocks"):
        load_weights_into(MSPCodecModel(SHALLOW), tmp_path / "deep.pt")
    with pytest.raises(WeightsError, match="not both"):
        load_weights_into(MSPCodecModel(ModelConfig(**{**DEEP.to_dict(), "transform_width": 24})), tmp_path / "shallow.pt")


def test_configs_without_the_field_are_one_block_per_scale_and_bad_counts_are_refused():
    data = SHALLOW.to_dict()
    del data["residual_blocks"]
    assert ModelConfig.from_dict(data).residual_blocks == DEFAULT_BLOCKS
    assert ModelConfig.from_dict(DEEP.to_dict()) == DEEP
    for bad in [(1, 1), (1, 0, 1)]:
        with pytest.raises(ValueError, match="residual_blocks"):
            ModelConfig(residual_blocks=bad)  # type: ignore[arg-type]


def _synthesis_reach(model: MSPCodecModel) -> int:
    """Latent positions between a bumped latent and the farthest output block it changes."""
    y = torch.rand(1, 8, 40, 40, generator=torch.Generator().manual_seed(3))
    bumped = y.clone()
    bumped[..., 20, 20] += 1.0
    with torch.no_grad():
        rows = ((model.g_s(bumped) - model.g_s(y)).abs().amax(dim=(0, 1)) > 0).any(dim=1).nonzero().flatten()
    return max(abs(int(rows[0]) // DOWNSAMPLING - 20), abs(int(rows[-1]) // DOWNSAMPLING - 20))


def _analysis_reach(model: MSPCodecModel) -> int:
    """Latent positions between a bumped pixel's block and the farthest latent it changes (over
    the pixel's eight phases within its block)."""
    reach = 0
    for offset in range(DOWNSAMPLING):
        x = torch.rand(1, 3, 320, 320, generator=torch.Generator().manual_seed(offset))
        bumped, pixel = x.clone(), 160 + offset
        bumped[..., pixel, pixel] += 1.0
        with torch.no_grad():
            rows = ((model.g_a(bumped) - model.g_a(x)).abs().amax(dim=(0, 1)) > 0).any(dim=1).nonzero().flatten()
        reach = max(reach, abs(int(rows[0]) - pixel // DOWNSAMPLING), abs(int(rows[-1]) - pixel // DOWNSAMPLING))
    return reach


@pytest.mark.parametrize("blocks", [DEFAULT_BLOCKS, (1, 2, 2), (2, 1, 3), (2, 2, 1)])
def test_the_receptive_radius_is_what_the_transforms_reach(blocks):
    torch.manual_seed(0)
    model = MSPCodecModel(ModelConfig(**{**SHALLOW.to_dict(), "residual_blocks": blocks})).eval()
    assert max(_synthesis_reach(model), _analysis_reach(model)) == receptive_radius(blocks)


def test_tiles_of_deeper_transforms_overlap_enough_to_match_the_whole_image():
    model = MSPCodecModel(ModelConfig(**{**SHALLOW.to_dict(), "residual_blocks": (1, 2, 3)})).eval()
    margin = model.tile_margin(TILE_MARGIN_PIXELS)
    assert margin > TILE_MARGIN_PIXELS and margin % DOWNSAMPLING == 0 and margin >= receptive_radius((1, 2, 3)) * DOWNSAMPLING
    y = torch.randn(1, 8, 40, 40, generator=torch.Generator().manual_seed(6))
    with torch.no_grad():
        whole = model.g_s(y)
        tiled = run_tiled(model.g_s, y, DOWNSAMPLING, 3, 8, margin // DOWNSAMPLING, whole_up_to=8)
        short = run_tiled(model.g_s, y, DOWNSAMPLING, 3, 8, TILE_MARGIN_PIXELS // DOWNSAMPLING, whole_up_to=8)
    torch.testing.assert_close(tiled, whole, rtol=0, atol=1e-6)  # float summation order only
    assert (short - whole).abs().max() > 1e-5  # the old overlap is not enough: the test can fail
    assert MSPCodecModel(SHALLOW).tile_margin(TILE_MARGIN_PIXELS) == TILE_MARGIN_PIXELS
