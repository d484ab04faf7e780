"""The code length of each symbol under the coder's own fixed-point models, in bits.

The range coder (:mod:`codec.entropy_models.coder`) does not code with the ideal probabilities
of :func:`~codec.entropy_models.gaussian.symbol_bits`: constriction first turns each
distribution into integer frequencies out of ``2**PRECISION``, giving every symbol of the
alphabet at least one ("leaky" quantisation). A far-tail symbol the ideal model gives 1e-9
(30 bits) therefore costs 24 bits in the file, and the sum of these lengths is what the file
holds, up to the coder's final words. The two quantisations here follow constriction's
(``LeakyQuantizer`` for the Gaussians, ``Categorical(perfect=False)``'s fast quantisation for
the factorised tables); a test checks them against the coder's output.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from codec.entropy_models.gaussian import SYMBOL_LIMIT, scale_table

__all__ = ["PRECISION", "gaussian_code_lengths", "categorical_code_lengths"]

PRECISION = 24
"""Bits of constriction's default fixed-point probabilities (the range coder's models)."""
_TOTAL = float(1 << PRECISION)
_SCALES = scale_table()


def gaussian_code_lengths(symbols: np.ndarray, scale_indices: np.ndarray) -> np.ndarray:
    """Bits of each symbol (in [-SYMBOL_LIMIT, SYMBOL_LIMIT]) under the coder's zero-mean
    quantised Gaussian of its table scale: each cumulative is rounded down independently after
    reserving one unit per symbol, and the end symbols take the tails."""
    s = np.asarray(symbols, dtype=np.float64)
    std = _SCALES[np.asarray(scale_indices, dtype=np.int64)]
    free_weight = _TOTAL - (2 * SYMBOL_LIMIT + 1)
    slack = s + SYMBOL_LIMIT
    left = np.where(s <= -SYMBOL_LIMIT, 0.0, np.floor(free_weight * ndtr((s - 0.5) / std)) + slack)
    right = np.where(s >= SYMBOL_LIMIT, _TOTAL, np.floor(free_weight * ndtr((s + 0.5) / std)) + slack + 1.0)
    return PRECISION - np.log2(right - left)


def categorical_code_lengths(probabilities: np.ndarray) -> np.ndarray:
    """Bits of every symbol of each row of ``probabilities`` (..., N): the left cumulatives are
    the running sums scaled to ``2**PRECISION - N`` and rounded down, plus one unit per symbol
    before it; the last symbol takes what is left up to ``2**PRECISION``."""
    p = np.asarray(probabilities, dtype=np.float64)
    n = p.shape[-1]
    running = np.cumsum(p, axis=-1)  # left to right, as constriction accumulates
    scale = (_TOTAL - n) / running[..., -1:]
    before = np.concatenate([np.zeros_like(p[..., :1]), running[..., :-1]], axis=-1)
    left = np.floor(before * scale) + np.arange(n)
    right = np.concatenate([left[..., 1:], np.full_like(p[..., :1], _TOTAL)], axis=-1)
    return PRECISION - np.log2(right - left)
