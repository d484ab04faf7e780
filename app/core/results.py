"""Frozen values a finished job produces: metrics and the full outcome of one encode."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from codec.eval.metrics import ms_ssim_db

from app.core.codecs import SideSettings

__all__ = ["Metrics", "EncodeOutcome", "RDPoint", "PERCEPTUAL_PENDING"]

PERCEPTUAL_PENDING = "computing…"
""":attr:`Metrics.perceptual_note` while SSIMULACRA2 and FLIP are being measured."""


@dataclass(frozen=True)
class Metrics:
    """Quality of a reconstruction against the reference (CompressAI conventions)."""

    psnr: float | None
    """PSNR-RGB in dB; None when the reconstruction is lossless (MSE = 0)."""
    msssim: float | None
    """MS-SSIM-RGB; None when either side is 160 px or less (MS-SSIM needs five scales)."""
    mse: float
    ssimulacra2: float | None = None
    """SSIMULACRA2 (100 = identical, higher is better); None until measured or where it does not
    apply (:attr:`perceptual_note` says which). Measured after the rest, in another process
    (:mod:`app.core.perceptual`)."""
    flip: float | None = None
    """Mean LDR-FLIP error (0 = identical, lower is better); None as :attr:`ssimulacra2`."""
    perceptual_note: str = ""
    """Why SSIMULACRA2 and FLIP have no values: :data:`PERCEPTUAL_PENDING` while they are
    measured, else the reason they are not ("" when never asked for)."""

    @property
    def lossless(self) -> bool:
        return self.mse == 0.0

    @property
    def perceptual_pending(self) -> bool:
        return self.perceptual_note == PERCEPTUAL_PENDING

    @property
    def msssim_db(self) -> float | None:
        """-10 log10(1 - MS-SSIM); ``LOSSLESS_DB`` when identical (codec.eval.metrics' convention)."""
        return ms_ssim_db(self.msssim)


@dataclass(frozen=True)
class EncodeOutcome:
    """One side's result: the bitstream, its reconstruction, sizes, timings and metrics."""

    image_key: str
    settings: SideSettings
    data: bytes = field(repr=False)
    reconstruction: np.ndarray = field(repr=False, compare=False)
    num_bytes: int
    bpp: float
    metrics: Metrics
    encode_seconds: float | None
    decode_seconds: float | None
    device: str
    label: str
    estimated_bpp: float | None = None
    header_text: str = ""
    source_name: str = ""
    """Set when the result came from a file (an opened .msp) rather than from an encode."""
    preview: bool = False
    """A stand-in shown while the side's real job runs (MSP without LOF): no decode timing, and
    never the side's result for anything else (bitrate matching, the RD plot)."""

    @property
    def height(self) -> int:
        return int(self.reconstruction.shape[0])

    @property
    def width(self) -> int:
        return int(self.reconstruction.shape[1])

    @property
    def nbytes_in_memory(self) -> int:
        return int(self.reconstruction.nbytes) + len(self.data)


@dataclass(frozen=True)
class RDPoint:
    """One point of a rate-distortion curve of the current image."""

    settings: SideSettings
    bpp: float
    psnr: float | None
    msssim_db: float | None
    ssimulacra2: float | None = None
    flip: float | None = None
    perceptual_pending: bool = False
    """SSIMULACRA2 and FLIP are still being measured (the point is replaced when they arrive)."""

    @classmethod
    def of(cls, outcome: EncodeOutcome) -> RDPoint:
        m = outcome.metrics
        return cls(outcome.settings, outcome.bpp, m.psnr, m.msssim_db, m.ssimulacra2, m.flip, m.perceptual_pending)
