"""Extending the lambda grid upward: the old levels keep their gains, new ones continue the curve."""

import math

import pytest
import torch

from codec.errors import WeightsError
from codec.models.msp_codec import ModelConfig, MSPCodecModel
from codec.models.rate_range import extend_lambda_grid, extended_gains
from codec.zoo import export_weights, load_weights_into

TINY = ModelConfig(transform_width=16, latent_channels=8, msp_features=16, msp_depth=1)
OLD = TINY.lambdas
NEW = (*OLD, 0.0932, 0.18)


def _trained_like_model() -> MSPCodecModel:
    """A tiny model whose gains differ per channel and per level, as trained ones do."""
    torch.manual_seed(3)
    model = MSPCodecModel(TINY)
    with torch.no_grad():
        model.log_gain.add_(0.3 * torch.randn_like(model.log_gain))
        model.log_inv_gain.add_(0.3 * torch.randn_like(model.log_inv_gain))
    return model


def test_added_levels_continue_each_channels_gain_line_in_log_lambda():
    log_gain = _trained_like_model().log_gain.detach()
    out = extended_gains(log_gain, OLD, NEW)
    assert out.shape == (len(NEW), log_gain.shape[1])
    assert torch.equal(out[: len(OLD)], log_gain)
    slope = (log_gain[-1] - log_gain[-2]) / math.log(OLD[-1] / OLD[-2])
    for level in (len(OLD), len(OLD) + 1):
        torch.testing.assert_close(out[level], log_gain[-1] + slope * math.log(NEW[level] / OLD[-1]))
    assert (out[-1] - out[-2]).abs().max() > 0  # each channel's own slope, not a copy of the top


@pytest.mark.parametrize(
    "bad",
    [OLD, OLD[:-1], (0.001, *OLD[1:], 0.1), (*OLD, 0.04), (*OLD, 0.1, 0.1)],
    ids=["same", "shorter", "other-start", "not-above-the-top", "not-increasing"],
)
def test_a_grid_that_does_not_extend_the_old_one_is_refused(bad):
    with pytest.raises(ValueError, match="lambda grid"):
        extended_gains(torch.zeros(len(OLD), 4), OLD, bad)


def test_weights_load_into_a_model_with_a_longer_grid_and_keep_every_old_quality(tmp_path):
    """Old level i sits at quality i / (n - 1) of either grid: its gains, inverse gains and lambda are the
    trained ones, so the extended model codes the old qualities exactly as before."""
    base = _trained_like_model()
    path = tmp_path / "w.pt"
    export_weights(base, path)
    base = MSPCodecModel(TINY)
    load_weights_into(base, path)  # the exported (fp16-rounded) weights, for an exact comparison
    longer = MSPCodecModel(ModelConfig(**{**TINY.to_dict(), "lambdas": NEW}))
    load_weights_into(longer, path)
    for level in range(len(OLD)):
        old = base.rate_point(level / (len(OLD) - 1))
        new = longer.rate_point(level / (len(NEW) - 1))
        torch.testing.assert_close(new[0], old[0], rtol=1e-6, atol=0)
        torch.testing.assert_close(new[1], old[1], rtol=1e-6, atol=0)
        assert new[2] == pytest.approx(old[2])
    assert longer.rate_point(1.0)[2] == pytest.approx(NEW[-1])
    for name, value in base.state_dict().items():
        if name not in ("log_gain", "log_inv_gain"):
            assert torch.equal(longer.state_dict()[name], value), name
    # the top level quantises more finely than the old top: more bits for more quality
    assert (longer.rate_point(1.0)[0] > base.rate_point(1.0)[0]).float().mean() > 0.5


def test_weights_that_cannot_start_the_model_are_refused_with_our_error(tmp_path):
    path = tmp_path / "w.pt"
    export_weights(MSPCodecModel(ModelConfig(**{**TINY.to_dict(), "lambdas": NEW})), path)
    with pytest.raises(WeightsError, match="cannot start this model"):
        load_weights_into(MSPCodecModel(TINY), path)  # a shorter grid cannot drop trained levels


def test_extend_lambda_grid_changes_only_the_gains():
    state = _trained_like_model().state_dict()
    out = extend_lambda_grid(state, OLD, NEW)
    assert set(out) == set(state)
    assert all(out[k] is state[k] for k in state if k not in ("log_gain", "log_inv_gain"))
