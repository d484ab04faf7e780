"""The quality metrics the RD plot's right-hand plot can show, and each point's value on them.

PSNR keeps the left plot; the right one shows MS-SSIM (dB), SSIMULACRA2 or FLIP, as the user
picks. Labels, directions and the value of a perfect reconstruction come from
:data:`codec.eval.curves.METRIC_AXES`, so the app and ``msp plot`` describe a metric the same way;
FLIP, where lower is better, is drawn on an inverted axis so that better is up on every plot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from codec.eval.curves import METRIC_AXES, MetricAxis

from app.core.results import EncodeOutcome, Metrics, RDPoint

__all__ = ["PlotMetric", "PLOT_METRICS", "DEFAULT_PLOT_METRIC"]


@dataclass(frozen=True)
class PlotMetric:
    """One choice of the right-hand plot."""

    key: str
    menu_text: str
    axis_label: str

    @property
    def axis(self) -> MetricAxis:
        return METRIC_AXES[self.key]

    @property
    def inverted(self) -> bool:
        return not self.axis.higher_is_better

    def of_point(self, point: RDPoint) -> float | None:
        """``point``'s value, None if it has none to draw (not measured, or perfect: off the scale)."""
        return self._drawable({"ms-ssim": point.msssim_db, "ssimulacra2": point.ssimulacra2, "flip": point.flip}[self.key])

    def of_outcome(self, outcome: EncodeOutcome) -> float | None:
        """The value of a side's result, as :meth:`of_point`."""
        m: Metrics = outcome.metrics
        return self._drawable({"ms-ssim": m.msssim_db, "ssimulacra2": m.ssimulacra2, "flip": m.flip}[self.key])

    def _drawable(self, value: float | None) -> float | None:
        return value if value is not None and math.isfinite(value) and self.axis.lossy(value) else None


PLOT_METRICS: dict[str, PlotMetric] = {
    "ms-ssim": PlotMetric("ms-ssim", "MS-SSIM (dB)", "MS-SSIM-RGB (dB)"),
    "ssimulacra2": PlotMetric("ssimulacra2", "SSIMULACRA2", "SSIMULACRA2 (higher is better)"),
    "flip": PlotMetric("flip", "FLIP", "FLIP error (lower is better, axis inverted)"),
}
DEFAULT_PLOT_METRIC = "ms-ssim"
