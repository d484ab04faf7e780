import pytest
import torch
import torch.nn.functional as F

from codec.entropy_models import fixed_point
from codec.entropy_models.fixed_point import ACT_LIMIT, exact_conv, exact_float32_conv, exact_float64_conv


def _integer_conv(a: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """The reference: a 3x3 'same' convolution in int64 arithmetic, no floating point at all."""
    ai, wi = F.pad(a, (1, 1, 1, 1)).long(), w.long()
    h, wd = a.shape[-2:]
    out = torch.zeros(1, w.shape[0], h, wd, dtype=torch.long)
    for dy in range(3):
        for dx in range(3):
            out += torch.einsum("bchw,oc->bohw", ai[..., dy : dy + h, dx : dx + wd], wi[:, :, dy, dx])
    return out.double()


@pytest.mark.parametrize("conv", [exact_float32_conv, exact_conv], ids=["float32 split", "float64"])
def test_integer_conv_is_exact_at_the_bounds(conv):
    torch.manual_seed(0)
    # Worst case magnitudes: full-range activations and weights, wide fan-in.
    a = torch.randint(-int(ACT_LIMIT), int(ACT_LIMIT) + 1, (1, 160, 9, 11)).double()
    w = torch.randint(-127, 128, (24, 160, 3, 3)).double()
    w[0] = 127.0
    a[0, :, 4, 5] = ACT_LIMIT
    exact = _integer_conv(a, w)
    assert torch.equal(conv(a, w, padding=1), exact)


@pytest.mark.parametrize("conv", [exact_float32_conv, exact_conv], ids=["float32 split", "float64"])
def test_integer_conv_ignores_thread_count(conv):
    torch.manual_seed(1)
    a = torch.randint(-30000, 30000, (1, 64, 32, 48)).double()
    w = torch.randint(-127, 128, (64, 64, 3, 3)).double()
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = conv(a, w, padding=1)
        torch.set_num_threads(2)
        two = conv(a, w, padding=1)
    finally:
        torch.set_num_threads(before)
    assert torch.equal(one, two)


def test_a_large_grid_runs_in_bands_with_the_same_exact_sums(monkeypatch):
    """A grid above the band size runs in row bands (uneven last band included) whose halo rows
    come from the neighbours: the very integers of the int64 reference, and of one whole call."""
    torch.manual_seed(2)
    monkeypatch.setattr(fixed_point, "CONV_BAND_POSITIONS", 40)  # 13 x 10 grid: bands of 4 rows
    a = torch.randint(-int(ACT_LIMIT), int(ACT_LIMIT) + 1, (1, 24, 13, 10)).double()
    w = torch.randint(-127, 128, (16, 24, 3, 3)).double()
    calls = []
    real_conv = F.conv2d
    monkeypatch.setattr(fixed_point.F, "conv2d", lambda *args, **kw: calls.append(1) or real_conv(*args, **kw))
    banded = exact_float64_conv(a, w, padding=1)
    assert len(calls) == 4
    assert torch.equal(banded, _integer_conv(a, w))
    assert torch.equal(banded, real_conv(a, w, padding=1))
