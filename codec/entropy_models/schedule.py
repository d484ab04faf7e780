"""The MSP decoding schedule: which latent elements become known at each sequential step.

A schedule is plain data, so profiles can pick cheaper or richer schedules for the same
weights. Latent positions are grouped in 2x2 blocks whose (1, 1) element belongs to the next
coarser scale; the other three sub-positions are coded in ``spatial_order``, each optionally
split by the parity of the block column (the "2x4" order of the reference's largest
profile), and each spatial step is split into channel groups at ``channel_splits``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

__all__ = ["MSPSchedule", "SPATIAL_ORDERS", "MASK_CHUNK", "SUBPOSITIONS"]

MASK_CHUNK = 8  # channel granularity of the known-mask (and of channel_splits)
# Sub-position index p -> (row, column) inside the 2x2 block; matches F.pixel_unshuffle.
SUBPOSITIONS = ((0, 0), (0, 1), (1, 0), (1, 1))
KNOWN_SUBPOSITION = 3

SPATIAL_ORDERS: dict[str, tuple[tuple[int, str], ...]] = {
    "2x2": ((0, "all"), (1, "all"), (2, "all")),
    "2x4": ((0, "even"), (0, "odd"), (1, "even"), (1, "odd"), (2, "even"), (2, "odd")),
}


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

    @property
    def alignment(self) -> int:
        """Latent height/width are padded to a multiple of this."""
        return 2**self.scales
