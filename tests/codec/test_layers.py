import pytest
import torch
import torch.nn.functional as F

from codec.entropy_models.msp import VALUE_LIMIT, MSPBackbone
from codec.layers import PReLU


def _frozen_prelu(channels: int) -> PReLU:
    layer = PReLU(channels, init=0.1)
    with torch.no_grad():
        layer.weight.uniform_(-0.6, 0.6)
    layer.weight.requires_grad_(False)
    return layer


@pytest.mark.parametrize("autocast", [False, True], ids=["fp32", "bf16 channels-last"])
def test_a_frozen_prelu_has_torchs_forward_and_input_gradient_bit_for_bit(autocast):
    torch.manual_seed(0)
    layer = _frozen_prelu(16)
    x = torch.randn(2, 16, 9, 11)
    x[0, 3, :2] = 0.0  # the kink: both give the slope's side there
    if autocast:
        x = x.contiguous(memory_format=torch.channels_last)
    grad = torch.randn(2, 16, 9, 11)
    ours, theirs = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        out_ours, out_theirs = layer(ours), F.prelu(theirs, layer.weight)
    assert out_ours.dtype == out_theirs.dtype
    assert torch.equal(out_ours, out_theirs)
    out_ours.backward(grad.to(out_ours.dtype))
    out_theirs.backward(grad.to(out_theirs.dtype))
    assert torch.equal(ours.grad, theirs.grad)
    assert out_ours.grad_fn is not None and "PReLUInputGradient" in type(out_ours.grad_fn).__name__


def test_a_learning_prelu_keeps_torchs_backward_and_its_slope_gradient():
    torch.manual_seed(1)
    layer = PReLU(8, init=0.1)
    x = torch.randn(3, 8, 5, 5, requires_grad=True)
    layer(x).square().sum().backward()
    assert layer.weight.grad is not None and layer.weight.grad.abs().sum() > 0
    reference = torch.nn.PReLU(8, init=0.1)
    x2 = x.detach().clone().requires_grad_(True)
    reference(x2).square().sum().backward()
    assert torch.equal(x.grad, x2.grad) and torch.equal(layer.weight.grad, reference.weight.grad)


def test_the_backbone_saturates_as_clamp_does():
    x = torch.tensor([-500.0, -VALUE_LIMIT, -3.0, 0.0, 2.5, VALUE_LIMIT, 1e6])
    assert torch.equal(MSPBackbone._sat(x), torch.clamp(x, -VALUE_LIMIT, VALUE_LIMIT))
    x.requires_grad_(True)
    MSPBackbone._sat(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0]  # none through the saturated ends
