"""Each side's LOF trajectory on the RD plot's PSNR plot, drawn live.

The path runs from the preview's true point (a hollow diamond: a real file without LOF) through
the small dots of LOF's *estimated* (bpp, PSNR), one per iteration reported, in the side's codec
colour and labelled "A · LOF (estimated)"; when the real result lands, its *true* point is a star
joined to the last estimate by a dotted line, so the gap between the estimate and the file shows.
Only the PSNR plot gets it: LOF reports no MS-SSIM, SSIMULACRA2 or FLIP.

Progress arrives at up to 20 Hz per side; the marks are set at most every
:data:`REDRAW_INTERVAL_MS`, only the items of the side that changed (``setData`` on a few small
items, never a redraw of the plot's curves). The items are ``PlotDataItem`` so they follow the
log-rate axis; the label is placed by hand.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer

from app.core.codecs import codec_entry
from app.core.lof_trajectory import LofTrajectories, LofTrajectory, TrajectoryPoint
from app.core.state import SideName
from app.widgets.rd_plot import RDPlot

__all__ = ["LofPathMarks", "REDRAW_INTERVAL_MS"]

REDRAW_INTERVAL_MS = 100
_FALLBACK_COLOUR = "#1b1b1b"


class _SideMarks:
    """The items of one side: the path, the preview's and the result's true points, the gap, a label."""

    def __init__(self, plot: pg.PlotItem, name: SideName) -> None:
        self.path = pg.PlotDataItem([], [])
        self.start = pg.PlotDataItem([], [], pen=None, symbol="d", symbolSize=10)
        self.gap = pg.PlotDataItem([], [])
        self.final = pg.PlotDataItem([], [], pen=None, symbol="star", symbolSize=15)
        # Right-aligned to the last estimate: the path ends near the side's point, at the axis's right end.
        self.label = pg.TextItem(f"{name.value} · LOF (estimated)", anchor=(1.0, 1.2))
        self.label.setVisible(False)
        for z, item in enumerate((self.gap, self.path, self.start, self.final, self.label)):
            item.setZValue(15 + z)  # over the curves, under the A/B rings (20)
            plot.addItem(item)

    def show(self, trajectory: LofTrajectory) -> None:
        colour = _colour(trajectory.codec)
        path = trajectory.path
        self.path.setData([p.bpp for p in path], [p.psnr for p in path], pen=pg.mkPen(colour, width=1.2),
                          symbol="o", symbolSize=4, symbolBrush=colour, symbolPen=None)
        start = [trajectory.start] if trajectory.start is not None else []
        self.start.setData([p.bpp for p in start], [p.psnr for p in start], symbolBrush="w",
                           symbolPen=pg.mkPen(colour, width=2))
        final = [trajectory.final] if trajectory.final is not None else []
        self.final.setData([p.bpp for p in final], [p.psnr for p in final], symbolBrush=colour,
                           symbolPen=pg.mkPen("k", width=1))
        gap = [path[-1], trajectory.final] if trajectory.final is not None and path else []
        self.gap.setData([p.bpp for p in gap], [p.psnr for p in gap],
                         pen=pg.mkPen(colour, width=1.2, style=Qt.PenStyle.DotLine))
        self.label.setColor(colour)

    def place_label(self, last: TrajectoryPoint | None, log: bool) -> None:
        if last is None or last.bpp <= 0:
            self.label.setVisible(False)
            return
        self.label.setPos(math.log10(last.bpp) if log else last.bpp, last.psnr)  # view coordinates
        self.label.setVisible(True)


def _colour(codec: str) -> str:
    entry = codec_entry(codec) if codec else None
    return entry.colour if entry is not None else _FALLBACK_COLOUR


class LofPathMarks:
    def __init__(self, plot: RDPlot, trajectories: LofTrajectories) -> None:
        self.plot = plot
        self.trajectories = trajectories
        self._marks = {name: _SideMarks(plot.psnr_plot, name) for name in SideName}
        self._dirty: set[SideName] = set()
        self.redraws = 0
        """How many times the marks were set (for tests: fewer than the progress reports)."""
        self._timer = QTimer(plot)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REDRAW_INTERVAL_MS)
        self._timer.timeout.connect(self._redraw)
        trajectories.changed.connect(self._on_changed)
        plot.log_rate.toggled.connect(lambda _on: self._place_labels())

    def _on_changed(self, name: SideName) -> None:
        self._dirty.add(name)
        if not self._timer.isActive():
            self._timer.start()

    def _redraw(self) -> None:
        dirty, self._dirty = self._dirty, set()
        for name in dirty:
            self._marks[name].show(self.trajectories.trajectory(name))
        self.redraws += 1
        self._place_labels()

    def _place_labels(self) -> None:
        log = self.plot.log_rate.isChecked()
        for name, marks in self._marks.items():
            estimates = self.trajectories.trajectory(name).estimates
            marks.place_label(estimates[-1] if estimates else None, log)

    def zoom_to(self, name: SideName, margin: float = 0.6) -> bool:
        """Show just the side's trajectory on the PSNR plot (its extent plus ``margin`` of it on each
        side; the rate axis is shared); False when it has no points."""
        trajectory = self.trajectories.trajectory(name)
        points = list(trajectory.path) + ([trajectory.final] if trajectory.final is not None else [])
        if not points:
            return False
        log = self.plot.log_rate.isChecked()
        xs = [math.log10(p.bpp) if log else p.bpp for p in points if p.bpp > 0 or not log]
        ys = [p.psnr for p in points]
        dx = max(max(xs) - min(xs), 0.01)
        dy = max(max(ys) - min(ys), 0.1)
        self.plot.psnr_plot.setRange(xRange=(min(xs) - margin * dx, max(xs) + margin * dx),
                                     yRange=(min(ys) - margin * dy, max(ys) + margin * dy), padding=0)
        return True

    # -- what is drawn (for tests) ----------------------------------------------------------------
    def path_points(self, name: SideName) -> list[tuple[float, float]]:
        """(bpp, PSNR) of each point of the side's drawn path: the preview's, then the estimates."""
        return _points(self._marks[name].path)

    def final_point(self, name: SideName) -> tuple[float, float] | None:
        """The side's drawn true point of the final result, if any."""
        points = _points(self._marks[name].final)
        return points[0] if points else None

    def start_point(self, name: SideName) -> tuple[float, float] | None:
        points = _points(self._marks[name].start)
        return points[0] if points else None


def _points(item: pg.PlotDataItem) -> list[tuple[float, float]]:
    if item.xData is None:
        return []
    return [(float(x), float(y)) for x, y in zip(item.xData, item.yData, strict=True)]
