import pytest
import torch

from codec.models.msp_codec import ModelConfig, MSPCodecModel

from tests.conftest import smooth_image


@pytest.fixture
def make_image():
    return smooth_image


def trained_like(config: ModelConfig, seed: int = 5) -> MSPCodecModel:
    """Random weights with PReLU slopes and biases that differ per channel, as trained ones do
    (fresh ones share one value per layer, which would hide a channel mix-up)."""
    torch.manual_seed(seed)
    model = MSPCodecModel(config)
    with torch.no_grad():
        for name, tensor in model.named_parameters():
            if name.startswith(("g_a.", "g_s.")) and tensor.dim() == 1:
                tensor.add_(0.1 * torch.randn_like(tensor))
    return model.eval()


def assert_same_transforms(original: MSPCodecModel, grown: MSPCodecModel, atol: float) -> None:
    """A grown (widened or deepened) model's analysis and synthesis compute what the original's did."""
    x = torch.rand(2, 3, 64, 96, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        y = original.g_a(x)
        assert y.abs().max() > 0.01  # a real signal, not a degenerate zero
        torch.testing.assert_close(grown.g_a(x), y, rtol=0, atol=atol)
        torch.testing.assert_close(grown.g_s(y), original.g_s(y), rtol=0, atol=atol)
