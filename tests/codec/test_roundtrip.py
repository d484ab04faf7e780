import numpy as np
import pytest
import torch

from codec.api import decode, encode, list_profiles, read_header
from codec.data import DEMO_IMAGE
from codec.profiles import PROFILE_NAMES, get_profile


@pytest.mark.parametrize("profile", PROFILE_NAMES)
@pytest.mark.parametrize("size", [(1, 1), (7, 13), (37, 29), (64, 80)])
def test_decode_reproduces_encoder_reconstruction(profile, size, make_image):
    image = make_image(*size, seed=size[0])
    # Two LOF iterations exercise the overfitting path; the full budgets are in test_lof.py.
    result = encode(image, profile=profile, quality=0.6, lof_iterations=min(2, get_profile(profile).lof_iterations))
    decoded = decode(result.data)
    assert decoded.image.shape == (*size, 3)
    assert np.array_equal(decoded.image, result.reconstruction)
    assert result.bpp == pytest.approx(8 * len(result.data) / (size[0] * size[1]))
    assert decoded.header.profile == profile
    assert decoded.header.steps == result.steps == get_profile(profile).steps(96)


def test_quality_orders_the_rate(make_image):
    image = make_image(64, 64, seed=3)
    sizes = [len(encode(image, profile="fast", quality=q).data) for q in (0.0, 0.5, 1.0)]
    assert sizes[0] <= sizes[1] <= sizes[2] and sizes[0] < sizes[2]


def test_file_size_matches_estimated_rate(make_image):
    # Entropy coding overhead: payload within 1 % of -sum log2 p, even for a small file.
    image = make_image(256, 384, seed=5)
    result = encode(image, profile="fast", quality=0.5)
    payload_bits = 8 * sum(read_header(result.data).segment_lengths)
    estimated_bits = result.estimated_bpp * image.shape[0] * image.shape[1]
    assert abs(payload_bits - estimated_bits) / estimated_bits < 0.01


def test_whole_file_matches_estimated_rate_on_a_real_image():
    from codec.image_io import load_image

    image = load_image(DEMO_IMAGE)  # Kodak kodim23, 768x512
    result = encode(image, profile="fast", quality=0.5)
    assert abs(result.bpp - result.estimated_bpp) / result.estimated_bpp < 0.01


def test_steps_do_not_depend_on_image_size(make_image):
    counts = {}
    for size in [(64, 64), (320, 448)]:
        seen = []
        encode(make_image(*size), profile="fast", quality=0.5, progress=seen.append)
        counts[size] = max(p.iteration for p in seen if p.stage == "coding")
    assert counts[(64, 64)] == counts[(320, 448)] == get_profile("fast").steps(96)


def test_profiles_listed_with_steps():
    names = [p.name for p in list_profiles()]
    assert names[:3] == ["fast", "balanced", "best"]
    steps = [p.steps for p in list_profiles()]
    assert steps == sorted(steps)


def _assert_same_decode(decoded: np.ndarray, reference: np.ndarray) -> None:
    # The synthesis transform is float (may differ in the last ulp between back-ends); the
    # probability model is exact, and one wrong mean or scale would derail every later symbol.
    assert np.abs(decoded.astype(int) - reference.astype(int)).max() <= 1
    assert np.mean(decoded != reference) < 1e-3


@pytest.mark.parametrize("enc_threads,dec_threads", [(1, 2), (2, 1)])
def test_bit_exact_across_thread_counts(enc_threads, dec_threads, make_image):
    image = make_image(96, 128, seed=11)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(enc_threads)
        result = encode(image, profile="fast", quality=0.7)
        torch.set_num_threads(dec_threads)
        decoded = decode(result.data)
    finally:
        torch.set_num_threads(before)
    _assert_same_decode(decoded.image, result.reconstruction)


@pytest.mark.parametrize("encode_onednn", [True, False])
def test_bit_exact_across_convolution_backends(encode_onednn, make_image, monkeypatch):
    """oneDNN and PyTorch's own im2col + GEMM convolutions sum in different orders, like another
    device would: a bitstream from either decodes identically with the other. In fp32: bf16
    transforms differ between back-ends as they differ from fp32 (tests/codec/test_precision.py)."""
    monkeypatch.setenv("MSP_TRANSFORM_PRECISION", "fp32")
    image = make_image(96, 128, seed=12)
    with torch.backends.mkldnn.flags(enabled=encode_onednn):
        result = encode(image, profile="balanced", quality=0.6, lof_iterations=0)
    with torch.backends.mkldnn.flags(enabled=not encode_onednn):
        decoded = decode(result.data)
    _assert_same_decode(decoded.image, result.reconstruction)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("encode_device,decode_device", [("cuda", "cpu"), ("cpu", "cuda")])
def test_bit_exact_across_devices(encode_device, decode_device, make_image):
    image = make_image(256, 384, seed=13)
    result = encode(image, profile="balanced", quality=0.6, device=encode_device, lof_iterations=0)
    decoded = decode(result.data, device=decode_device)
    _assert_same_decode(decoded.image, result.reconstruction)


@pytest.mark.parametrize("encode_split", [True, False], ids=["float32 split encodes", "float64 encodes"])
def test_bit_exact_across_exact_convolution_routes(encode_split, make_image, monkeypatch):
    """A CPU sums the probability model's integer products in float64, a GPU in split float32:
    both routes give the same bytes, and a bitstream from either decodes with the other."""
    from codec.entropy_models import fixed_point

    image = make_image(96, 128, seed=14)
    split = lambda a, w, padding: fixed_point.exact_float32_conv(a, w, padding)  # noqa: E731
    float64 = fixed_point.exact_conv
    monkeypatch.setattr(fixed_point, "exact_conv", split if encode_split else float64)
    result = encode(image, profile="balanced", quality=0.6, lof_iterations=0)
    monkeypatch.setattr(fixed_point, "exact_conv", float64 if encode_split else split)
    again = encode(image, profile="balanced", quality=0.6, lof_iterations=0)
    decoded = decode(result.data)
    assert again.data == result.data
    assert np.array_equal(decoded.image, result.reconstruction)


def test_a_runs_bits_are_the_ideal_code_length_of_its_symbols():
    """The coder's per-run lookup (encoder's estimate, decoder's information budget) is
    ``symbol_bits`` of the same symbols, run by run."""
    from codec.entropy_models.coder import SegmentEncoder
    from codec.entropy_models.gaussian import SYMBOL_LIMIT, run_bits, symbol_bits

    rng = np.random.default_rng(3)
    indices = rng.integers(0, 64, 5000)
    symbols = np.clip(np.round(rng.normal(0, 3, 5000)), -SYMBOL_LIMIT, SYMBOL_LIMIT).astype(np.int32)
    symbols[:3] = (-SYMBOL_LIMIT, SYMBOL_LIMIT, 0)
    assert SegmentEncoder().encode_gaussian(symbols, indices) == pytest.approx(symbol_bits(symbols, indices), rel=1e-12)
    one = indices == indices[0]
    assert run_bits(symbols[one] + SYMBOL_LIMIT, int(indices[0])) == pytest.approx(symbol_bits(symbols[one], indices[one]))
