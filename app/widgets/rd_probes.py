"""A bitrate search's probes on the RD plot: a cross at each probe and a dotted line at the target.

While a side's quality is searched (a target size, or matching the other side's bitrate) each
probe lands on the plot as it is measured, so the viewer sees the bisection close in on the
target rate; the line marks the target, labelled with the side. A match's marks go when it ends;
a target search's stay until the side's next search or a new image (the
:class:`~app.core.bitrate_matcher.BitrateMatcher` says when, through the controller).
The crosses are ``PlotDataItem`` so they follow the log-rate axis; the line is placed by hand.
On the right-hand plot they show the metric it shows (MS-SSIM, SSIMULACRA2 or FLIP), redrawn
when the user picks another.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt

from app.core.results import RDPoint
from app.core.state import SideName
from app.widgets.rd_plot import RDPlot

__all__ = ["ProbeMarks"]

_COLOUR = "#1b1b1b"  # neutral, like the A/B rings: a probe is no codec's own point


class ProbeMarks:
    def __init__(self, plot: RDPlot) -> None:
        self.plot = plot
        self._targets: dict[SideName, float | None] = dict.fromkeys(SideName)
        self._points: dict[SideName, list[RDPoint]] = {name: [] for name in SideName}
        self._crosses: dict[SideName, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self._lines: dict[SideName, tuple[pg.InfiniteLine, pg.InfiniteLine]] = {}
        for name in SideName:
            crosses, lines = [], []
            for view in (plot.psnr_plot, plot.msssim_plot):
                cross = pg.PlotDataItem([], [], pen=None, symbol="x", symbolSize=11, symbolBrush=_COLOUR,
                                        symbolPen=pg.mkPen(_COLOUR, width=1.5))
                cross.setZValue(19)
                view.addItem(cross)
                crosses.append(cross)
                line = pg.InfiniteLine(angle=90, pen=pg.mkPen(_COLOUR, width=1, style=Qt.PenStyle.DotLine),
                                       label=f"target {name.value}",
                                       labelOpts={"position": 0.08, "color": _COLOUR, "anchors": [(0, 0), (0, 0)]})
                line.setVisible(False)
                view.addItem(line, ignoreBounds=True)  # a vertical line has no y range to show
                lines.append(line)
            self._crosses[name] = (crosses[0], crosses[1])
            self._lines[name] = (lines[0], lines[1])
        plot.log_rate.toggled.connect(lambda _on: self._place_lines())
        plot.metricChanged.connect(lambda _key: self._draw_right_crosses())

    def show(self, side: SideName, target_bpp: float | None, points: list[RDPoint]) -> None:
        """The probes of ``side``'s search so far; ``target_bpp`` None clears them."""
        self._targets[side] = target_bpp
        shown = self._points[side] = list(points) if target_bpp is not None else []
        with_psnr = [p for p in shown if p.psnr is not None and math.isfinite(p.psnr)]
        self._crosses[side][0].setData([p.bpp for p in with_psnr], [p.psnr for p in with_psnr])
        self._draw_right_crosses(side)
        self._place_lines()

    def probes(self, side: SideName) -> list[tuple[float, float]]:
        """(bpp, PSNR) of each probe shown for ``side`` on the PSNR plot."""
        return _drawn(self._crosses[side][0])

    def right_probes(self, side: SideName) -> list[tuple[float, float]]:
        """(bpp, the right-hand plot's metric) of each probe shown for ``side`` there."""
        return _drawn(self._crosses[side][1])

    def target(self, side: SideName) -> float | None:
        """The target rate marked for ``side`` (None: no line)."""
        return self._targets[side]

    def _draw_right_crosses(self, side: SideName | None = None) -> None:
        """The right-hand plot's crosses of ``side`` (None: both sides) in its current metric."""
        metric = self.plot.right_metric
        for name in (side,) if side is not None else tuple(SideName):
            drawn = [(p.bpp, value) for p in self._points[name] if (value := metric.of_point(p)) is not None]
            self._crosses[name][1].setData([bpp for bpp, _ in drawn], [value for _, value in drawn])

    def _place_lines(self) -> None:
        log = self.plot.log_rate.isChecked()
        for name, lines in self._lines.items():
            bpp = self._targets[name]
            for line in lines:
                if bpp is None or bpp <= 0:
                    line.setVisible(False)
                    continue
                line.setPos(math.log10(bpp) if log else bpp)  # the view's x is log10(bpp) in log mode
                line.setVisible(True)


def _drawn(item: pg.PlotDataItem) -> list[tuple[float, float]]:
    if item.xData is None:
        return []
    return [(float(x), float(y)) for x, y in zip(item.xData, item.yData, strict=True)]
