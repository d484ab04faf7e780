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


def _float32_case(seed: int, channels: int, side: int, limit: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    a = torch.randint(-limit, limit + 1, (1, channels, side, side), generator=gen).double()
    w = torch.randint(-127, 128, (channels, channels, 3, 3), generator=gen).double()
    return a, w


@pytest.mark.parametrize("groups", fixed_point.FLOAT32_GROUPS)
def test_the_float32_route_is_exact_up_to_its_bound(groups):
    """Activations scaled so that one output channel's bound for the chosen grouping sits just
    below 2**24, on a grid large enough for oneDNN: the int64 reference's integers, to the last."""
    a, w = _float32_case(groups, 16, 40, 4000)
    abs_sums = w.abs().sum((2, 3))
    per_group = (abs_sums * a.abs().amax(dim=(0, 2, 3))).view(16, groups, -1).sum(2).max()
    a = torch.round(a * ((2**24 - 2**16) / float(per_group)))  # the bound, just under 2**24
    chosen = fixed_point.float32_groups_needed(abs_sums, a)
    assert chosen is not None and chosen <= groups
    routed = fixed_point.exact_float32_grouped_conv(a, fixed_point.float32_grouped_weight(w, chosen), chosen, 1)
    assert torch.equal(routed, _integer_conv(a, w))


def test_no_float32_grouping_bounds_full_range_activations():
    a, w = _float32_case(5, 16, 12, int(ACT_LIMIT))
    assert fixed_point.float32_groups_needed(w.abs().sum((2, 3)), a) is None


def _quantized_conv(channels: int, seed: int) -> fixed_point.QuantizedConv:
    torch.manual_seed(seed)
    return fixed_point.QuantizedConv(torch.nn.Conv2d(channels, channels, 3, padding=1))


@pytest.mark.parametrize("limit, route", [(600, "float32"), (int(ACT_LIMIT), "float64")])
def test_a_spatial_layer_takes_the_float32_route_only_where_it_is_exact(monkeypatch, limit, route):
    layer = _quantized_conv(32, 6)
    a, _ = _float32_case(6, 32, 30, limit)
    fixed_point.float32_route_is_exact()  # its check convolutions, once per process: not counted below
    grouped = []
    real_conv = F.conv2d
    monkeypatch.setattr(fixed_point.F, "conv2d", lambda *args, **kw: grouped.append(args[0].dtype) or real_conv(*args, **kw))
    out = layer(a)
    assert grouped == [torch.float32 if route == "float32" else torch.float64]
    reference = torch.clamp(torch.round(_integer_conv(a, layer.weight_int) * layer.scale + layer.bias_int), -ACT_LIMIT, ACT_LIMIT)
    assert torch.equal(out, reference)


def _float32_conv_is_exact_here() -> bool:
    """An independent look at what the route's check judges: a float32 3x3 convolution of
    integers with more significant bits than bf16 keeps (here 2**9 + 1), against float64. It must
    be large enough for PyTorch to hand it to oneDNN (over 20480 input elements): a smaller one
    never reaches the reduced-precision kernels, so the test below would always skip."""
    a = torch.full((1, 64, 32, 32), 2.0**9 + 1)
    w = torch.ones(64, 64, 3, 3)
    return torch.equal(F.conv2d(a, w, padding=1).double(), F.conv2d(a.double(), w.double(), padding=1))


def test_float32_in_reduced_precision_is_noticed_and_avoided(monkeypatch):
    """Told to compute float32 convolutions in bf16, oneDNN rounds the activations: the route's
    check sees it, and the layer falls back to float64 with the same integers as before."""
    layer = _quantized_conv(32, 7)
    a, _ = _float32_case(7, 32, 30, 600)
    expected = layer(a)
    assert fixed_point.float32_route_is_exact()
    before = torch.backends.mkldnn.conv.fp32_precision
    torch.backends.mkldnn.conv.fp32_precision = "bf16"
    try:
        if _float32_conv_is_exact_here():
            pytest.skip("oneDNN keeps float32 convolutions in float32 on this CPU even when told bf16 (no bf16 kernels)")
        assert not fixed_point.float32_route_is_exact()
        dtypes = []
        real_conv = F.conv2d
        monkeypatch.setattr(fixed_point.F, "conv2d", lambda *args, **kw: dtypes.append(args[0].dtype) or real_conv(*args, **kw))
        assert torch.equal(layer(a), expected)
        assert dtypes == [torch.float64]
    finally:
        torch.backends.mkldnn.conv.fp32_precision = before
