import torch
import torch.nn.functional as F

from codec.entropy_models.fixed_point import ACT_LIMIT, exact_float32_conv


def test_integer_conv_is_exact_at_the_bounds():
    torch.manual_seed(0)
    # Worst case magnitudes: full-range activations and weights, wide fan-in.
    a = torch.randint(-int(ACT_LIMIT), int(ACT_LIMIT) + 1, (1, 160, 9, 11)).double()
    w = torch.randint(-127, 128, (24, 160, 3, 3)).double()
    w[0] = 127.0
    a[0, :, 4, 5] = ACT_LIMIT
    exact = F.conv2d(a, w, padding=1)  # float64: exact for these integers
    assert torch.equal(exact_float32_conv(a, w, padding=1), exact)


def test_integer_conv_ignores_thread_count():
    torch.manual_seed(1)
    a = torch.randint(-30000, 30000, (1, 64, 32, 48)).double()
    w = torch.randint(-127, 128, (64, 64, 3, 3)).double()
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = exact_float32_conv(a, w, padding=1)
        torch.set_num_threads(2)
        two = exact_float32_conv(a, w, padding=1)
    finally:
        torch.set_num_threads(before)
    assert torch.equal(one, two)
