import numpy as np
import pytest

from codec.api import decode, encode, read_header
from codec.bitstream import Container, pack, unpack
from codec.errors import BitstreamError, ModelMismatchError


@pytest.fixture(scope="module")
def bitstream():
    from tests.conftest import smooth_image

    return encode(smooth_image(40, 56, seed=2), profile="fast", quality=0.5).data


def test_every_truncation_is_refused(bitstream):
    for cut in range(len(bitstream)):
        with pytest.raises(BitstreamError):
            decode(bitstream[:cut])


def test_every_single_bit_flip_is_detected(bitstream):
    rng = np.random.default_rng(0)
    positions = range(len(bitstream)) if len(bitstream) <= 400 else rng.choice(len(bitstream), 400, replace=False)
    for pos in positions:
        for bit in (0, 3, 7):
            corrupt = bytearray(bitstream)
            corrupt[pos] ^= 1 << bit
            with pytest.raises(BitstreamError):
                decode(bytes(corrupt))


def test_trailing_bytes_refused(bitstream):
    with pytest.raises(BitstreamError, match="unexpected bytes"):
        decode(bitstream + b"\0")


def test_wrong_model_is_named(bitstream):
    c = unpack(bitstream)
    other = pack(Container("00" * 8, c.profile, c.quality_code, c.height, c.width, c.segments))
    with pytest.raises(ModelMismatchError, match="written by model 0000000000000000"):
        decode(other)


def test_not_a_bitstream():
    for junk in (b"", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, b"MSPc", bytes(range(256))):
        with pytest.raises(BitstreamError):
            read_header(junk)


@pytest.mark.parametrize("height,width", [(16384, 4050), (1024, 1024)])
def test_forged_empty_segments_are_refused_at_once(bitstream, height, width):
    """Valid CRCs, the right model, nothing to decode: refused at the first step, not after minutes."""
    import time

    c = unpack(bitstream)
    forged = pack(Container(c.model_id, c.profile, c.quality_code, height, width, tuple(b"" for _ in c.segments)))
    start = time.perf_counter()
    with pytest.raises(BitstreamError, match="more information than it holds"):
        decode(forged)
    assert time.perf_counter() - start < 1.0


def test_a_segment_swapped_for_a_shorter_one_is_caught_during_decoding(bitstream):
    c = unpack(bitstream)
    longest = max(range(len(c.segments)), key=lambda i: len(c.segments[i]))
    segments = list(c.segments)
    segments[longest] = segments[longest][: len(segments[longest]) // 8 // 4 * 4]
    with pytest.raises(BitstreamError):
        decode(pack(Container(c.model_id, c.profile, c.quality_code, c.height, c.width, tuple(segments))))


@pytest.mark.parametrize("word", [b"\0\0\0\0", b"\xff\xff\xff\xff", b"\x01\x00\x00\x80"])
def test_a_segment_with_one_word_appended_is_refused(bitstream, word):
    """Valid CRCs around a segment with one extra 32-bit word: the range decoder alone lets
    some of these through; re-encoding the decoded symbols catches every one."""
    c = unpack(bitstream)
    for i in range(len(c.segments)):
        segments = list(c.segments)
        segments[i] = segments[i] + word
        with pytest.raises(BitstreamError):
            decode(pack(Container(c.model_id, c.profile, c.quality_code, c.height, c.width, tuple(segments))))
