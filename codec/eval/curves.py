"""One rate-distortion curve, whatever its origin: measured here or published elsewhere.

Plots and BD-rate tables take these, so a results file, a CompressAI JSON and a paper's
points are drawn and compared the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from codec.eval.metrics import ms_ssim_db

__all__ = ["RDCurve", "METRICS"]

#: Quality axes a curve can be compared on: "psnr" (PSNR-RGB dB), "ms-ssim" (MS-SSIM-RGB dB).
METRICS = ("psnr", "ms-ssim")


@dataclass(frozen=True)
class RDCurve:
    """Points of one codec on one dataset (dataset means of per-image values).

    ``origin`` is "measured" (by us, on this machine) or "published" (copied data);
    ``kind`` is "hybrid" (classic transform codecs) or "learned".
    """

    name: str
    label: str
    kind: str
    origin: str
    bpp: tuple[float, ...]
    psnr_rgb: tuple[float | None, ...] | None = None
    ms_ssim_rgb: tuple[float | None, ...] | None = None
    description: str = ""
    encoding_time: tuple[float, ...] | None = None
    decoding_time: tuple[float, ...] | None = None
    images: int | None = None  # how many images the means are over, when known

    def quality(self, metric: str) -> tuple[float | None, ...] | None:
        """Quality values on ``metric`` ("psnr" or "ms-ssim" in dB), aligned with ``bpp``."""
        if metric == "psnr":
            return self.psnr_rgb
        if metric == "ms-ssim":
            if self.ms_ssim_rgb is None:
                return None
            return tuple(ms_ssim_db(v) for v in self.ms_ssim_rgb)
        raise ValueError(f"unknown metric {metric!r}; use one of {METRICS}")

    def points(self, metric: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """(bpp, quality) sorted by bpp, leaving out points without a value on ``metric``."""
        values = self.quality(metric)
        if values is None:
            return (), ()
        pairs = sorted((r, q) for r, q in zip(self.bpp, values, strict=True) if q is not None)
        return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)
