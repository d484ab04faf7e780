"""The range coder's fixed-point Gaussian models, and the code length of each symbol under them.

The range coder (:mod:`codec.entropy_models.coder`) does not code with the ideal probabilities
of :func:`~codec.entropy_models.gaussian.symbol_bits`: every distribution becomes integer
frequencies out of ``2**PRECISION``, each symbol of the alphabet getting at least one ("leaky"
quantisation). A far-tail symbol the ideal model gives 1e-9 (30 bits) therefore costs 24 bits in
the file, and the sum of these lengths is what the file holds, up to the coder's final words.

The Gaussians' frequencies are defined here, one table per scale of the scale table
(:func:`gaussian_frequencies`: the quantisation of constriction's ``LeakyQuantizer``, which the
format used first), and handed to the coder as categorical models; the factorised tables go
through ``Categorical(perfect=False)``'s fast quantisation, which
:func:`categorical_code_lengths` follows. Tests check both against the coder's output.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.special import ndtr

from codec.entropy_models.gaussian import SCALE_LEVELS, SYMBOL_LIMIT, scale_table

__all__ = ["PRECISION", "gaussian_frequencies", "gaussian_code_lengths", "categorical_code_lengths"]

PRECISION = 24
"""Bits of constriction's default fixed-point probabilities (the range coder's models)."""
_TOTAL = float(1 << PRECISION)


@functools.cache
def gaussian_frequencies() -> np.ndarray:
    """(SCALE_LEVELS, 2 * SYMBOL_LIMIT + 1) integer frequencies (float64) summing to
    ``2**PRECISION`` per row: the zero-mean Gaussian of each table scale over the symbols
    -SYMBOL_LIMIT..SYMBOL_LIMIT. Each cumulative is rounded down independently after reserving
    one unit per symbol, and the end symbols take the tails. Read-only (shared)."""
    s = np.arange(-SYMBOL_LIMIT, SYMBOL_LIMIT + 1, dtype=np.float64)
    std = scale_table()[:, None]
    free_weight = _TOTAL - (2 * SYMBOL_LIMIT + 1)
    slack = s + SYMBOL_LIMIT
    left = np.where(s <= -SYMBOL_LIMIT, 0.0, np.floor(free_weight * ndtr((s - 0.5) / std)) + slack)
    right = np.where(s >= SYMBOL_LIMIT, _TOTAL, np.floor(free_weight * ndtr((s + 0.5) / std)) + slack + 1.0)
    widths = right - left
    assert widths.shape == (SCALE_LEVELS, s.size) and widths.min() >= 1.0
    widths.setflags(write=False)
    return widths


@functools.cache
def _gaussian_lengths() -> np.ndarray:
    return PRECISION - np.log2(gaussian_frequencies())


def gaussian_code_lengths(symbols: np.ndarray, scale_indices: np.ndarray) -> np.ndarray:
    """Bits of each symbol (in [-SYMBOL_LIMIT, SYMBOL_LIMIT]) under the coder's Gaussian of its
    table scale."""
    return _gaussian_lengths()[np.asarray(scale_indices, dtype=np.int64), np.asarray(symbols, dtype=np.int64) + SYMBOL_LIMIT]


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
