"""Real entropy coding with constriction's range coder (FIFO: decode order = encode order).

constriction decodes corrupt data without complaint and panics (a BaseException) on
impossible parameters, so everything is validated here and the container adds lengths and
checksums around each segment.
"""

from __future__ import annotations

import constriction
import numpy as np

from codec.entropy_models.factorized import FACTORIZED_LIMIT
from codec.entropy_models.gaussian import SYMBOL_LIMIT, scale_table, symbol_bits
from codec.errors import BitstreamError

__all__ = ["SegmentEncoder", "SegmentDecoder", "words_to_bytes", "bytes_to_words"]

_GAUSSIAN = constriction.stream.model.QuantizedGaussian(-SYMBOL_LIMIT, SYMBOL_LIMIT)
_CATEGORICAL = constriction.stream.model.Categorical(perfect=False)
_SCALES = scale_table()


def words_to_bytes(words: np.ndarray) -> bytes:
    return np.asarray(words, dtype="<u4").tobytes()


def bytes_to_words(data: bytes) -> np.ndarray:
    if len(data) % 4:
        raise BitstreamError("entropy-coded segment length is not a multiple of 4 bytes")
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)


class SegmentEncoder:
    """Accumulates symbols of one segment; ``finish()`` returns its bytes."""

    def __init__(self) -> None:
        self._encoder = constriction.stream.queue.RangeEncoder()

    def encode_gaussian(self, symbols: np.ndarray, scale_indices: np.ndarray) -> None:
        if symbols.size == 0:
            return
        stds = _SCALES[scale_indices]
        self._encoder.encode(symbols.astype(np.int32), _GAUSSIAN, np.zeros(symbols.size), stds)

    def encode_categorical(self, symbols: np.ndarray, probabilities: np.ndarray) -> None:
        """symbols in [-FACTORIZED_LIMIT, FACTORIZED_LIMIT], one probability row each."""
        if symbols.size == 0:
            return
        self._encoder.encode((symbols + FACTORIZED_LIMIT).astype(np.int32), _CATEGORICAL, probabilities)

    def finish(self) -> bytes:
        return words_to_bytes(self._encoder.get_compressed())


def _guarded(call):
    """Run a constriction call; anything it raises (its Rust panics derive from BaseException)
    becomes our BitstreamError, so corrupt data can never escape as a foreign error."""
    try:
        return call()
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - see docstring
        raise BitstreamError(f"corrupt entropy-coded data ({type(exc).__name__})") from None


# What a valid segment may decode beyond its own size, in bits: the coder's final state (two
# words), plus what the ideal code length of the decoded symbols may exceed their real one by
# (the coder gives every symbol in range a probability of at least 2^-24, the ideal model as
# little as 1e-9: at most ~6 bits per far-tail symbol, so a share of the data, not a constant).
_SLACK_BITS = 64 + 32
_SLACK_SHARE = 0.25


class SegmentDecoder:
    """Decodes one segment, and notices as soon as it has been made to decode more information
    than the segment holds: the range decoder itself would go on past the end of its data,
    producing symbols from nothing (a forged 65-byte file once decoded a 16384x4050 image for
    minutes this way). Each call checks the ideal code length of what it decoded against the
    segment's size, so garbage stops at its first step.

    At the end the check is exact: every decoded symbol is encoded again, with the same models,
    and the segment must be those bytes and nothing else (the range decoder's own "exhausted"
    test lets one stray word through)."""

    def __init__(self, data: bytes) -> None:
        words = bytes_to_words(data)
        self._decoder = _guarded(lambda: constriction.stream.queue.RangeDecoder(words))
        self._data = bytes(data)
        self._mirror = SegmentEncoder()
        self._size = len(data)
        self._budget_bits = 8 * self._size * (1 + _SLACK_SHARE) + _SLACK_BITS
        self._bits = 0.0

    def _spend(self, bits: float) -> None:
        self._bits += bits
        if self._bits > self._budget_bits:
            raise BitstreamError(
                f"corrupt bitstream: an entropy-coded segment of {self._size} bytes decodes to "
                f"more information than it holds ({self._bits / 8:.0f} bytes so far)"
            )

    def decode_gaussian(self, scale_indices: np.ndarray) -> np.ndarray:
        if scale_indices.size == 0:
            return np.zeros(0, dtype=np.int32)
        stds = _SCALES[scale_indices]
        symbols = _guarded(lambda: self._decoder.decode(_GAUSSIAN, np.zeros(scale_indices.size), stds))
        self._spend(symbol_bits(symbols, scale_indices))
        self._mirror.encode_gaussian(symbols, scale_indices)
        return symbols

    def decode_categorical(self, probabilities: np.ndarray) -> np.ndarray:
        if probabilities.shape[0] == 0:
            return np.zeros(0, dtype=np.int32)
        indices = _guarded(lambda: self._decoder.decode(_CATEGORICAL, probabilities)).astype(np.int64)
        chosen = probabilities[np.arange(indices.size), indices]
        self._spend(float(-np.log2(np.maximum(chosen, 1e-12)).sum()))
        symbols = indices.astype(np.int32) - FACTORIZED_LIMIT
        self._mirror.encode_categorical(symbols, probabilities)
        return symbols

    def finish(self) -> None:
        """A valid segment is exactly the encoding of what was decoded from it: anything else
        (data left over, or bytes no encoder writes) means it is not what we wrote."""
        if not _guarded(self._decoder.maybe_exhausted):
            raise BitstreamError("corrupt bitstream: entropy-coded segment has data left over")
        if self._mirror.finish() != self._data:
            raise BitstreamError("corrupt bitstream: an entropy-coded segment is not the encoding of its symbols")
