"""Gathering where a bitstream's bits go, while it is decoded (for :func:`codec.api.bit_allocation`).

The decoder hands each step's :class:`~codec.models.msp_codec.CodedSymbols` (positions and code
lengths) to a :class:`BitsRecorder`, which sums them per latent position and per step; the
segments' sizes come from the container. Plain numpy: no model, no torch.
"""

from __future__ import annotations

import numpy as np

from codec.models.msp_codec import CodedSymbols
from codec.types import BitAllocation, BitstreamHeader, SegmentBits, StepBits

__all__ = ["BitsRecorder"]


class BitsRecorder:
    """Collects a decode's :class:`CodedSymbols`; :meth:`allocation` gives the totals."""

    def __init__(self, latent_size: tuple[int, int], channels: int) -> None:
        self._size = latent_size
        self._channels = channels
        self._map = np.zeros(latent_size[0] * latent_size[1], dtype=np.float64)
        self._steps: list[StepBits] = []

    def add(self, coded: CodedSymbols) -> None:
        """One step's symbols (the decoder's ``observe`` callback)."""
        flat = coded.rows * self._size[1] + coded.cols
        self._map += np.bincount(flat, weights=coded.bits, minlength=self._map.size)
        step = coded.step
        self._steps.append(StepBits(
            step=step.number if step is not None else 0,
            scale=coded.scale,
            subposition=step.subposition if step is not None else None,
            parity=step.parity if step is not None else "",
            channels=(step.c0, step.c1) if step is not None else (0, self._channels),
            elements=int(coded.bits.size),
            bits=float(coded.bits.sum()),
        ))

    def allocation(self, header: BitstreamHeader, stride: int) -> BitAllocation:
        """The totals, with the segments of ``header`` (the coarsest scale's first, then one per
        finer scale, coarse to fine: the order the decoder read them in)."""
        scales = [s.scale for s in self._steps]
        segment_scales = list(dict.fromkeys(scales))  # coding order: coarse to fine, as in the file
        if len(segment_scales) != len(header.segment_lengths):
            raise ValueError(f"{len(segment_scales)} scales decoded, but the file has {len(header.segment_lengths)} segments")
        segments = tuple(
            SegmentBits(scale, sum(s.bits for s in self._steps if s.scale == scale), num_bytes)
            for scale, num_bytes in zip(segment_scales, header.segment_lengths, strict=True)
        )
        return BitAllocation(
            header=header,
            latent_bits=self._map.reshape(self._size),
            stride=stride,
            steps=tuple(self._steps),
            segments=segments,
        )
