"""The MSP decoding schedule: which latent elements become known at each sequential step.

A schedule is plain data, so profiles can pick cheaper or richer schedules for the same
weights. Latent positions are grouped in 2x2 blocks whose (1, 1) element belongs to the next
coarser scale; the other three sub-positions are coded in ``spatial_order``, each optionally
split by the parity of the block column (the "2x4" order of the reference's largest
profile), and each spatial step is split into channel groups at ``channel_splits``.

:meth:`MSPSchedule.walk` is the one definition of that order: the training rate (``msp_rate``)
and the coder (``run_progressive``) both consume its :class:`MSPStep` descriptors, so they cannot
disagree about which elements a step makes known or which mask rows it sets.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["MSPSchedule", "MSPStep", "SPATIAL_ORDERS", "MASK_CHUNK", "SUBPOSITIONS", "KNOWN_SUBPOSITION"]

MASK_CHUNK = 8  # channel granularity of the known-mask (and of channel_splits)
# Sub-position index p -> (row, column) inside the 2x2 block; matches F.pixel_unshuffle.
SUBPOSITIONS = ((0, 0), (0, 1), (1, 0), (1, 1))
KNOWN_SUBPOSITION = 3

SPATIAL_ORDERS: dict[str, tuple[tuple[int, str], ...]] = {
    "2x2": ((0, "all"), (1, "all"), (2, "all")),
    "2x4": ((0, "even"), (0, "odd"), (1, "even"), (1, "odd"), (2, "even"), (2, "odd")),
}


@dataclass(frozen=True)
class MSPStep:
    """One sequential step: in scale ``scale``, the elements of channel group ``c0``..``c1`` at
    sub-position ``subposition`` of the block columns ``parity`` selects ("all", "even", "odd")."""

    number: int
    """1-based position in the whole walk (the coder's progress count)."""
    scale: int
    subposition: int
    parity: str
    c0: int
    c1: int

    @property
    def channels(self) -> tuple[int, ...]:
        """Space-to-depth channel indices (``c * 4 + p``) of the step's elements."""
        return tuple(c * 4 + self.subposition for c in range(self.c0, self.c1))

    @property
    def mask_rows(self) -> tuple[int, ...]:
        """Rows of the known-mask (one per ``MASK_CHUNK`` channels and sub-position) the step sets."""
        first, end = self.c0 // MASK_CHUNK, (self.c1 + MASK_CHUNK - 1) // MASK_CHUNK
        return tuple(k * 4 + self.subposition for k in range(first, end))


@dataclass(frozen=True)
class MSPSchedule:
    """``scales`` progressive scales (the coarsest, factorised one comes on top of them)."""

    scales: int
    spatial: str
    channel_splits: tuple[int, ...]

    def __post_init__(self) -> None:
        if not 1 <= self.scales <= 6:
            raise ValueError(f"scales must be 1..6, not {self.scales}")
        if self.spatial not in SPATIAL_ORDERS:
            raise ValueError(f"unknown spatial order {self.spatial!r}; known: {sorted(SPATIAL_ORDERS)}")
        splits = self.channel_splits
        if any(s % MASK_CHUNK for s in splits) or list(splits) != sorted(set(splits)) or (splits and splits[0] <= 0):
            raise ValueError(f"channel_splits must be increasing multiples of {MASK_CHUNK}: {splits}")

    @property
    def spatial_steps(self) -> tuple[tuple[int, str], ...]:
        return SPATIAL_ORDERS[self.spatial]

    def channel_groups(self, channels: int) -> tuple[tuple[int, int], ...]:
        bounds = [0, *[s for s in self.channel_splits if s < channels], channels]
        return tuple(itertools.pairwise(bounds))

    def steps(self, channels: int) -> int:
        """Sequential decoding steps (network evaluations): independent of the image size."""
        return self.scales * len(self.spatial_steps) * len(self.channel_groups(channels))

    def walk(self, channels: int) -> Iterator[tuple[int, tuple[MSPStep, ...]]]:
        """``(scale, steps)`` in coding order: scales from coarse to fine; within a scale,
        sub-positions (and column parities) in ``spatial`` order, each split into channel groups.
        A consumer sets a scale up before its steps and completes it after them."""
        groups = self.channel_groups(channels)
        number = 0
        for scale in range(self.scales - 1, -1, -1):
            steps = []
            for (p, parity), (c0, c1) in itertools.product(self.spatial_steps, groups):
                number += 1
                steps.append(MSPStep(number, scale, p, parity, c0, c1))
            yield scale, tuple(steps)

    @property
    def alignment(self) -> int:
        """Latent height/width are padded to a multiple of this."""
        return 2**self.scales
