"""One rate-distortion curve, whatever its origin: measured here or published elsewhere.

Plots and BD-rate tables take these, so a results file, a CompressAI JSON and a paper's
points are drawn and compared the same way.

Each quality axis is described by a :class:`MetricAxis`. Three rise with quality (PSNR, MS-SSIM
in dB, SSIMULACRA2); FLIP is an error and falls. A BD-rate needs quality that increases with rate,
so :meth:`RDCurve.bd_points` hands FLIP over negated: negation is linear, so the BD-rate is the
same mean log-rate difference over the same FLIP interval, only walked the other way (a codec
that reaches each FLIP level with fewer bits still gets a negative BD-rate).
"""

from __future__ import annotations

from dataclasses import dataclass

from codec.eval.metrics import LOSSLESS_DB, SSIMULACRA2_IDENTICAL, ms_ssim_db

__all__ = ["RDCurve", "METRICS", "MetricAxis", "METRIC_AXES"]


@dataclass(frozen=True)
class MetricAxis:
    """One quality axis: its name, its label, and which way is better."""

    key: str
    name: str
    label: str
    higher_is_better: bool
    identical: float
    """The value of a perfect reconstruction: off the scale of any plot."""

    def lossy(self, value: float) -> bool:
        """Whether ``value`` is a real (imperfect) measurement rather than the perfect one."""
        return value < self.identical if self.higher_is_better else value > self.identical

    def rising(self, value: float) -> float:
        """``value`` on an axis that rises with quality (FLIP negated), as BD-rate needs."""
        return value if self.higher_is_better else -value


METRIC_AXES: dict[str, MetricAxis] = {
    "psnr": MetricAxis("psnr", "PSNR-RGB", "PSNR-RGB (dB)", True, LOSSLESS_DB),
    "ms-ssim": MetricAxis("ms-ssim", "MS-SSIM dB", "MS-SSIM-RGB (dB)  = -10 log10(1 - MS-SSIM)", True, LOSSLESS_DB),
    "ssimulacra2": MetricAxis("ssimulacra2", "SSIMULACRA2", "SSIMULACRA2 (100 = identical; higher is better)",
                              True, SSIMULACRA2_IDENTICAL),
    "flip": MetricAxis("flip", "FLIP", "FLIP mean error (0 = identical; lower is better)", False, 0.0),
}
#: Quality axes a curve can be compared on, by key.
METRICS = tuple(METRIC_AXES)


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
    ssimulacra2: tuple[float | None, ...] | None = None
    flip: tuple[float | None, ...] | None = None

    def quality(self, metric: str) -> tuple[float | None, ...] | None:
        """Values on ``metric`` (a key of :data:`METRIC_AXES`; MS-SSIM in dB), aligned with ``bpp``."""
        if metric == "psnr":
            return self.psnr_rgb
        if metric == "ms-ssim":
            if self.ms_ssim_rgb is None:
                return None
            return tuple(ms_ssim_db(v) for v in self.ms_ssim_rgb)
        if metric == "ssimulacra2":
            return self.ssimulacra2
        if metric == "flip":
            return self.flip
        raise ValueError(f"unknown metric {metric!r}; use one of {METRICS}")

    def has(self, metric: str) -> bool:
        """Whether any point has a value on ``metric``."""
        return any(v is not None for v in self.quality(metric) or ())

    def points(self, metric: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """(bpp, quality) sorted by bpp, leaving out points without a value on ``metric``."""
        values = self.quality(metric)
        if values is None:
            return (), ()
        pairs = sorted((r, q) for r, q in zip(self.bpp, values, strict=True) if q is not None)
        return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)

    def bd_points(self, metric: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """:meth:`points` with the quality rising with rate (FLIP negated): what BD-rate takes."""
        rates, values = self.points(metric)
        axis = METRIC_AXES[metric]
        return rates, tuple(axis.rising(v) for v in values)
