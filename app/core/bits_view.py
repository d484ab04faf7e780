"""Where an MSP side spends its bits, as the app shows it: a heat map, its scale, and a table.

Made from the codec's :class:`~codec.types.BitAllocation` (``codec.api.bit_allocation``: every
latent element's code length under the coder's own probabilities), on the model thread:

- the map: bits per pixel at image resolution (each latent position's bits spread over the 8 x 8
  pixels it stands for), kept as 8-bit levels of the map's own *top*, a round number at or above
  its 99.5th percentile, so that a few expensive positions (the coarsest scale's, coded without
  context) do not wash out the rest. Two sides shown together share the higher top; the other
  side's map is recoloured (level i -> colour of ``i * its top / common top``), not recomputed;
- the table: bits per scale and per step of the profile's schedule, then the range coder's final
  words and the container, adding up to the file (the last row);
- beside it, the other side's file size (a classic codec's, usually) for reference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from codec.types import BitAllocation

from app.core.backends import msp as msp_backend
from app.core.formatting import format_psnr
from app.core.results import EncodeOutcome

__all__ = ["BitsRow", "BitsReport", "BitsScale", "bits_report", "compute_bits_report", "bits_scale", "nice_top",
           "reference_text", "TOP_PERCENTILE"]

TOP_PERCENTILE = 99.5
_MANTISSAS = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


@dataclass(frozen=True)
class BitsRow:
    """One row of the table: a part of the file, or (``depth`` 1) one step of its scale."""

    label: str
    bits: float
    elements: int | None
    """Latent elements coded (None for the coder's words and the container)."""
    share: float
    """Of the whole file, 0..1."""
    depth: int = 0
    tip: str = ""
    """What the part is, in a sentence (the row's tooltip)."""


@dataclass(frozen=True)
class BitsReport:
    """What the bits view of one MSP bitstream shows (plain values: made on the model thread)."""

    profile: str
    width: int
    height: int
    total_bytes: int
    levels: np.ndarray = field(repr=False, compare=False)
    """H x W uint8: level i is ``i / 255 * top`` bits per pixel (the top and above: 255)."""
    top: float
    """Bits per pixel at level 255."""
    map_bits: float
    """The map summed: every latent element's code length (the file less coder words and container)."""
    rows: tuple[BitsRow, ...]

    @property
    def bpp(self) -> float:
        return 8 * self.total_bytes / (self.width * self.height)


@dataclass(frozen=True)
class BitsScale:
    """The colour bar's scale: what its top means, and its ticks (the colour bar's interface)."""

    top: float
    text: str
    """E.g. "bits per pixel, 0..2 bpp" (the bar shows the part before the comma over the rest)."""
    ticks: tuple[tuple[float, str], ...]
    """(fraction of the bar from the bottom, label)."""


def nice_top(bpp_map: np.ndarray) -> float:
    """The smallest round number (1, 1.5, 2, 3, 4, 5, 6 or 8 times a power of ten) at or above
    the map's :data:`TOP_PERCENTILE`-th percentile (a tiny positive number for an all-zero map)."""
    high = float(np.percentile(bpp_map, TOP_PERCENTILE)) if bpp_map.size else 0.0
    if not high > 0.0:
        return 1e-3
    decade = 10.0 ** math.floor(math.log10(high))
    return next(m * decade for m in _MANTISSAS if m * decade >= high * (1 - 1e-9))


def _levels(bpp_map: np.ndarray, top: float) -> np.ndarray:
    return np.rint(np.clip(bpp_map * (255.0 / top), 0.0, 255.0)).astype(np.uint8)


def _rows(allocation: BitAllocation) -> tuple[BitsRow, ...]:
    file_bits = 8.0 * allocation.header.total_bytes
    total_steps = allocation.header.steps
    rows: list[BitsRow] = []
    for segment in allocation.segments:
        steps = [s for s in allocation.steps if s.scale == segment.scale]
        elements = sum(s.elements for s in steps)
        share = segment.symbol_bits / file_bits
        if steps and steps[0].subposition is None:
            rows.append(BitsRow(f"scale {segment.scale} · factorised prior", segment.symbol_bits, elements, share,
                                tip="The coarsest scale, coded first with a learned per-channel prior and no "
                                    "context: MSP's only side information"))
            continue
        rows.append(BitsRow(f"scale {segment.scale} · {len(steps)} steps", segment.symbol_bits, elements, share,
                            tip=f"1/{2 ** segment.scale} of the latent's resolution, coded in {len(steps)} "
                                "sequential steps, each predicted from all that is known before it"))
        rows += [BitsRow(f"step {s.step} · {s.part()}", s.bits, s.elements, s.bits / file_bits, depth=1,
                         tip=f"Decoding step {s.step} of {total_steps}: {s.describe()}") for s in steps]
    rows.append(BitsRow("coder's final words", allocation.coder_bits, None, allocation.coder_bits / file_bits,
                        tip="What the range coder writes beyond the symbols' code lengths: its final state, "
                            "up to two 32-bit words per segment"))
    container = 8.0 * allocation.container_bytes
    rows.append(BitsRow("container", container, None, container / file_bits,
                        tip="The header (model id, profile, quality, size) and each segment's length and "
                            "CRC-32 checksum"))
    rows.append(BitsRow("total: the file", file_bits, sum(s.elements for s in allocation.steps), 1.0,
                        tip="The rows above add up to the file's size"))
    return tuple(rows)


def bits_report(allocation: BitAllocation) -> BitsReport:
    """The bits view of ``allocation``: its map as levels of its own round top, and its table."""
    bpp_map = allocation.bpp_map()
    top = nice_top(bpp_map)
    header = allocation.header
    return BitsReport(
        profile=header.profile, width=header.width, height=header.height, total_bytes=header.total_bytes,
        levels=_levels(bpp_map, top), top=top, map_bits=float(allocation.latent_bits.sum()),
        rows=_rows(allocation),
    )


def compute_bits_report(data: bytes, device: str) -> BitsReport:
    """``codec.api.bit_allocation`` of ``data``, made into a report: on the model thread only (it
    decodes the latent with torch)."""
    return bits_report(msp_backend.bit_allocation(data, device))


def _tick(value: float) -> str:
    return f"{value:.3g}"


def bits_scale(tops: list[float]) -> BitsScale | None:
    """The common scale of the maps shown (the highest of their tops); None when none is."""
    if not tops:
        return None
    top = max(tops)
    return BitsScale(top, f"bits per pixel, 0..{_tick(top)} bpp",
                     tuple((f, _tick(top * f)) for f in (0.0, 0.25, 0.5, 0.75, 1.0)))


def reference_text(name: str, other: EncodeOutcome | None, this: EncodeOutcome) -> str:
    """The other side's file beside this side's, e.g. "B · VVC q=0.55: 11,381 B (1.00 × this
    file), 0.232 bpp, 36.60 dB (this side: 33.59 dB)"."""
    if other is None:
        return f"{name}: no result yet"
    ratio = f" ({other.num_bytes / this.num_bytes:.2f} × this file)" if this.num_bytes else ""
    return (f"{name} · {other.label}: {other.num_bytes:,} B{ratio}, {other.bpp:.3f} bpp, "
            f"{format_psnr(other)} (this side: {format_psnr(this)})")
