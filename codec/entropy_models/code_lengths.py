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

Each scale's alphabet is cut at +-K (:func:`truncated_gaussians`, format version 3): the symbols
beyond K on a side share one escape symbol there, whose frequency is theirs summed, and an escaped
symbol then codes its place in that side's tail. Inside +-K the frequencies and cumulatives are the
full table's, so the coder does exactly the same arithmetic for them; the range decoder's search
runs over 2K + 3 cumulatives instead of 2047 (on a Kodak latent, half its symbols have the smallest
scale and K = 1 there).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from codec.entropy_models.gaussian import SCALE_LEVELS, SYMBOL_LIMIT, scale_table

__all__ = [
    "PRECISION",
    "ESCAPE_FREQUENCY",
    "TruncatedGaussian",
    "gaussian_frequencies",
    "truncated_gaussians",
    "gaussian_code_lengths",
    "categorical_code_lengths",
]

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


ESCAPE_FREQUENCY = float(1 << 12)
"""A scale's alphabet ends at the smallest K >= 1 beyond which each side's frequencies sum to at
most this (an escape probability of at most 2**-12 a side)."""


@dataclass(frozen=True)
class TruncatedGaussian:
    """One scale's model as the coder uses it (format version 3).

    ``frequencies``: 2K + 3 integer frequencies (float64) summing to ``2**PRECISION``: the left
    escape (the full table's frequencies of -SYMBOL_LIMIT..-K-1 summed), those of -K..K, the right
    escape. ``left_tail`` / ``right_tail``: the full table's frequencies of the symbols each escape
    stands for, in symbol order; an escaped symbol is coded as its index there, with these as
    weights (``Categorical(perfect=False)``)."""

    half_width: int
    frequencies: np.ndarray
    left_tail: np.ndarray
    right_tail: np.ndarray


@functools.cache
def truncated_gaussians() -> tuple[TruncatedGaussian, ...]:
    """The SCALE_LEVELS truncated models of :func:`gaussian_frequencies`. Read-only (shared)."""
    models = []
    for row in gaussian_frequencies():
        left_sums = np.cumsum(row)  # left_sums[j]: symbols 0..j of the row
        right_sums = np.cumsum(row[::-1])  # the same from the right end
        k = 1
        while k < SYMBOL_LIMIT - 1 and max(left_sums[SYMBOL_LIMIT - k - 1], right_sums[SYMBOL_LIMIT - k - 1]) > ESCAPE_FREQUENCY:
            k += 1
        left_tail, right_tail = row[: SYMBOL_LIMIT - k], row[SYMBOL_LIMIT + k + 1 :]
        frequencies = np.concatenate([[left_tail.sum()], row[SYMBOL_LIMIT - k : SYMBOL_LIMIT + k + 1], [right_tail.sum()]])
        assert frequencies.sum() == _TOTAL
        for table in (frequencies, left_tail, right_tail):
            table.setflags(write=False)
        models.append(TruncatedGaussian(k, frequencies, left_tail, right_tail))
    return tuple(models)


@functools.cache
def _gaussian_lengths() -> np.ndarray:
    """(SCALE_LEVELS, 2 * SYMBOL_LIMIT + 1) bits of each symbol as the truncated models code it:
    the full table's inside +-K, the escape plus the place in its tail beyond."""
    lengths = PRECISION - np.log2(gaussian_frequencies())
    for row, model in zip(lengths, truncated_gaussians(), strict=True):
        k = model.half_width
        escapes = PRECISION - np.log2(model.frequencies[[0, -1]])
        row[: SYMBOL_LIMIT - k] = escapes[0] + categorical_code_lengths(model.left_tail)
        row[SYMBOL_LIMIT + k + 1 :] = escapes[1] + categorical_code_lengths(model.right_tail)
    lengths.setflags(write=False)
    return lengths


def gaussian_code_lengths(symbols: np.ndarray, scale_indices: np.ndarray) -> np.ndarray:
    """Bits of each symbol (in [-SYMBOL_LIMIT, SYMBOL_LIMIT]) under the coder's (truncated) Gaussian
    of its table scale."""
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
