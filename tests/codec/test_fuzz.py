"""Hostile bitstreams: only our BitstreamError may escape, never a hang or another exception.

Silent corruption: every payload byte is covered by a CRC32, so any single flipped bit in a
real file is *detected* (CRC32 catches all 1-, 2- and 3-bit errors and all bursts up to 32
bits); test_corruption.py flips bits of a real file and asserts that. Payloads forged with
valid CRCs (below) either decode to some image of the declared size or raise BitstreamError.
"""

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codec.api import decode, encode
from codec.bitstream import Container, pack, unpack
from codec.errors import BitstreamError

# derandomize: CI tries the same 150 inputs every run, so a red run can be reproduced
FUZZ_SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                         suppress_health_check=[HealthCheck.too_slow])
MAX_SECONDS_PER_INPUT = 30.0  # generous: CI machines are shared; a hang would be unbounded


def setup_module(module):
    from codec.api import model_info

    model_info()  # load the weights once, outside the timed decodes


def _decode_bounded(data: bytes) -> None:
    start = time.perf_counter()
    try:
        result = decode(data)
        header = unpack(data)
        assert result.image.shape == (header.height, header.width, 3)
    except BitstreamError:
        pass
    assert time.perf_counter() - start < MAX_SECONDS_PER_INPUT


@FUZZ_SETTINGS
@given(st.binary(max_size=512))
def test_random_bytes(data):
    _decode_bounded(data)


@FUZZ_SETTINGS
@given(st.binary(max_size=400))
def test_random_bytes_behind_a_valid_magic(tail):
    _decode_bounded(b"MSPc\x01" + tail)


def _real_container():
    from tests.conftest import smooth_image

    return unpack(encode(smooth_image(24, 40, seed=1), profile="fast", quality=0.5).data)


REAL = None


@FUZZ_SETTINGS
@given(
    st.integers(1, 64), st.integers(1, 64), st.integers(0, 65535),
    st.lists(st.binary(max_size=64).map(lambda b: b[: len(b) // 4 * 4]), min_size=4, max_size=4),
)
def test_valid_header_random_payloads(height, width, quality, payloads):
    global REAL
    REAL = REAL or _real_container()
    data = pack(Container(REAL.model_id, "fast", quality, height, width, tuple(payloads)))
    _decode_bounded(data)


def test_truncations_and_flips_of_real_files_count():
    """Every truncation point and 8 single-bit flips per byte of a real file are refused."""
    from tests.conftest import smooth_image

    data = encode(smooth_image(16, 24, seed=3), profile="fast", quality=0.2).data
    tried = 0
    for cut in range(len(data)):
        try:
            decode(data[:cut])
            raise AssertionError("a truncated file decoded")
        except BitstreamError:
            tried += 1
    for pos in range(len(data)):
        for bit in range(8):
            corrupt = bytearray(data)
            corrupt[pos] ^= 1 << bit
            try:
                decode(bytes(corrupt))
                raise AssertionError(f"flip at byte {pos} bit {bit} went unnoticed")
            except BitstreamError:
                tried += 1
    assert tried == len(data) * 9
