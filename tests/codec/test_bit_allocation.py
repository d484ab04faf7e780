"""Where an MSP file's bits go: the code lengths match the coder, the map matches the file."""

import numpy as np
import pytest

from codec.api import bit_allocation, encode, read_header
from codec.data import DEMO_IMAGE
from codec.entropy_models.code_lengths import (
    categorical_code_lengths,
    gaussian_code_lengths,
    gaussian_frequencies,
    truncated_gaussians,
)
from codec.entropy_models.coder import SegmentDecoder, SegmentEncoder
from codec.entropy_models.factorized import FACTORIZED_LIMIT
from codec.entropy_models.gaussian import SCALE_LEVELS, SYMBOL_LIMIT, scale_table, symbol_bits
from codec.errors import BitstreamError
from codec.image_io import load_image
from codec.profiles import get_profile

FLUSH_BITS = 96  # the range coder's final state (two 32-bit words), and its rounding over many symbols


def test_gaussian_code_lengths_are_what_the_coder_writes():
    rng = np.random.default_rng(0)
    indices = rng.integers(0, SCALE_LEVELS, 20000)
    symbols = np.clip(np.round(rng.normal(0, scale_table()[indices])), -SYMBOL_LIMIT, SYMBOL_LIMIT).astype(np.int32)
    # Far-tail symbols: the fixed-point model gives each at least 2**-24, the ideal one far less.
    symbols[:300] = rng.integers(-SYMBOL_LIMIT, SYMBOL_LIMIT + 1, 300)
    indices[:300] = 0
    encoder = SegmentEncoder()
    encoder.encode_gaussian(symbols, indices)
    written = 8 * len(encoder.finish())
    lengths = gaussian_code_lengths(symbols, indices)
    assert 0 <= written - lengths.sum() <= FLUSH_BITS
    assert symbol_bits(symbols, indices) - lengths.sum() > 10 * FLUSH_BITS  # the ideal lengths would not do
    assert lengths[:300].max() == pytest.approx(24.0)


@pytest.mark.parametrize("index", [0, 17, SCALE_LEVELS - 1])
def test_the_coder_codes_each_scale_with_constrictions_quantised_gaussian(index):
    """The frequency tables are constriction's own leaky quantisation of the Gaussian, and inside
    its cut (+-K) the truncated model keeps that table's cumulatives: symbols of one scale (whose
    order grouping keeps) give byte for byte what its QuantizedGaussian writes."""
    import constriction

    rng = np.random.default_rng(index)
    std = scale_table()[index]
    k = truncated_gaussians()[index].half_width
    symbols = np.clip(np.round(rng.normal(0, 3 * std, 5000)), -k, k).astype(np.int32)
    symbols[:2] = -k, k
    reference = constriction.stream.queue.RangeEncoder()
    gaussian = constriction.stream.model.QuantizedGaussian(-SYMBOL_LIMIT, SYMBOL_LIMIT, 0.0, std)
    reference.encode(symbols, gaussian)
    encoder = SegmentEncoder()
    encoder.encode_gaussian(symbols, np.full(symbols.size, index))
    assert encoder.finish() == reference.get_compressed().astype("<u4").tobytes()


@pytest.mark.parametrize("index", [0, 11, 40, SCALE_LEVELS - 1])
def test_symbols_beyond_the_cut_come_back_through_their_escapes(index):
    """Every symbol of the alphabet round-trips, the tails' ends included, at what the full
    Gaussian table would cost them (within the tail models' rounding) and never at the cost of
    the symbols inside the cut, which cost what they did before."""
    k = truncated_gaussians()[index].half_width
    everything = np.arange(-SYMBOL_LIMIT, SYMBOL_LIMIT + 1, dtype=np.int32)
    symbols = np.concatenate([np.zeros(500, dtype=np.int32), everything, np.zeros(500, dtype=np.int32)])
    indices = np.full(symbols.size, index)
    encoder = SegmentEncoder()
    encoder.encode_gaussian(symbols, indices)
    data = encoder.finish()
    decoder = SegmentDecoder(data)
    assert np.array_equal(decoder.decode_gaussian(indices), symbols)
    decoder.finish()
    full_table = 24 - np.log2(gaussian_frequencies()[index])
    lengths = gaussian_code_lengths(everything, np.full(everything.size, index))
    inside = np.abs(everything) <= k
    assert np.array_equal(lengths[inside], full_table[inside])
    assert np.allclose(lengths[~inside], full_table[~inside], atol=1e-3)
    assert 0 <= 8 * len(data) - gaussian_code_lengths(symbols, indices).sum() <= FLUSH_BITS


def test_categorical_code_lengths_are_what_the_coder_writes():
    rng = np.random.default_rng(1)
    tables = rng.dirichlet(np.full(2 * FACTORIZED_LIMIT + 1, 0.05), size=5)
    tables = np.maximum(tables, 1e-12)
    tables /= tables.sum(axis=1, keepdims=True)
    rows = rng.integers(0, 5, 20000)
    indices = np.array([rng.choice(tables.shape[1], p=tables[r]) for r in rows])
    indices[:300] = rng.integers(0, tables.shape[1], 300)
    encoder = SegmentEncoder()
    encoder.encode_categorical((indices - FACTORIZED_LIMIT).astype(np.int32), tables[rows])
    written = 8 * len(encoder.finish())
    lengths = categorical_code_lengths(tables)[rows, indices]
    assert 0 <= written - lengths.sum() <= FLUSH_BITS
    assert -np.log2(tables[rows, indices]).sum() - lengths.sum() > 10 * FLUSH_BITS


def test_bits_map_summed_matches_the_file():
    """The issue's check, on a real encode of a crop of the demo image: the map, summed, is the
    file's size within 2 % (the rest is the container's 65 bytes and the coder's final words)."""
    image = load_image(DEMO_IMAGE)[128:384, 192:576]
    result = encode(image, profile="fast", quality=0.9)
    bits = bit_allocation(result.data)
    file_bits = 8 * len(result.data)
    bpp = bits.bpp_map()
    assert bpp.shape == image.shape[:2]
    assert abs(float(bpp.sum(dtype=np.float64)) - file_bits) / file_bits < 0.02
    assert float(bpp.sum(dtype=np.float64)) == pytest.approx(bits.symbol_bits, rel=1e-6)
    assert bits.container_bytes == len(result.data) - sum(read_header(result.data).segment_lengths)
    for segment in bits.segments:
        assert 0 <= segment.coder_bits <= FLUSH_BITS


@pytest.mark.parametrize("profile", ["fast", "balanced"])
def test_every_latent_element_is_counted_once_by_its_step(profile, make_image):
    image = make_image(37, 61, seed=2)  # not a multiple of the stride: edge positions cover fewer pixels
    result = encode(image, profile=profile, quality=0.6, lof_iterations=0)
    bits = bit_allocation(result.data)
    schedule = get_profile(profile).schedule
    h, w = -(-37 // bits.stride), -(-61 // bits.stride)
    assert bits.stride == 8
    assert bits.latent_bits.shape == (h, w)
    assert [s.step for s in bits.steps] == list(range(bits.header.steps + 1))
    assert sum(s.elements for s in bits.steps) == 96 * h * w
    assert sum(s.bits for s in bits.steps) == pytest.approx(bits.latent_bits.sum())
    assert [s.scale for s in bits.segments] == list(range(schedule.scales, -1, -1))
    for segment in bits.segments:
        assert segment.symbol_bits == pytest.approx(sum(s.bits for s in bits.steps if s.scale == segment.scale))
    coarsest = bits.steps[0]
    assert (coarsest.scale, coarsest.subposition, coarsest.channels) == (schedule.scales, None, (0, 96))
    assert "factorised" in coarsest.describe()
    assert bits.steps[1].channels == (0, schedule.channel_splits[0])
    assert float(bits.bpp_map().sum(dtype=np.float64)) == pytest.approx(bits.symbol_bits, rel=1e-5)


def test_bits_sit_where_the_detail_is(make_image):
    """A flat grey image with one textured square: its latent positions hold most of the bits,
    so a swapped axis or a wrong stride in the layout would show."""
    image = np.full((128, 192, 3), 128, dtype=np.uint8)
    image[32:64, 128:176] = make_image(32, 48, seed=4)
    bits = bit_allocation(encode(image, profile="fast", quality=0.7).data)
    per_pixel = bits.bpp_map()
    inside = per_pixel[32:64, 128:176].mean()
    outside = np.delete(per_pixel[:, :120], np.s_[24:72], axis=0).mean()
    assert inside > 10 * outside
    row, col = np.unravel_index(np.argmax(bits.latent_bits), bits.latent_bits.shape)
    assert 3 <= row <= 8 and 15 <= col <= 22  # the square's latent positions, give or take one


def test_a_corrupt_bitstream_raises_like_decode(make_image):
    data = bytearray(encode(make_image(32, 32), profile="fast", quality=0.5).data)
    data[-1] ^= 0xFF
    with pytest.raises(BitstreamError):
        bit_allocation(bytes(data))
