"""Real entropy coding with constriction's range coder (FIFO: decode order = encode order).

constriction decodes corrupt data without complaint and panics (a BaseException) on
impossible parameters, so everything is validated here and the container adds lengths and
checksums around each segment.
"""

from __future__ import annotations

import constriction
import numpy as np

from codec.entropy_models.factorized import FACTORIZED_LIMIT
from codec.entropy_models.gaussian import SYMBOL_LIMIT, scale_table
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


class SegmentDecoder:
    def __init__(self, data: bytes) -> None:
        words = bytes_to_words(data)
        self._decoder = _guarded(lambda: constriction.stream.queue.RangeDecoder(words))

    def decode_gaussian(self, scale_indices: np.ndarray) -> np.ndarray:
        if scale_indices.size == 0:
            return np.zeros(0, dtype=np.int32)
        stds = _SCALES[scale_indices]
        return _guarded(lambda: self._decoder.decode(_GAUSSIAN, np.zeros(scale_indices.size), stds))

    def decode_categorical(self, probabilities: np.ndarray) -> np.ndarray:
        if probabilities.shape[0] == 0:
            return np.zeros(0, dtype=np.int32)
        return _guarded(lambda: self._decoder.decode(_CATEGORICAL, probabilities)).astype(np.int32) - FACTORIZED_LIMIT

    def finish(self) -> None:
        """A valid segment is used up exactly; data left over means it is not what we wrote."""
        if not _guarded(self._decoder.maybe_exhausted):
            raise BitstreamError("corrupt bitstream: entropy-coded segment has data left over")
