"""Live rate-distortion plot: PSNR-bpp and MS-SSIM(dB)-bpp with linked rate axes.

Curves of the current image fill in point by point as results arrive in the
:class:`~app.core.rd_store.RDStore`, each in its codec's colour of the catalogue (``codec.baselines``:
the same colour-blind-safe palette as ``msp plot``). Following CompressAI's convention, learned
codecs are solid and hybrid (classic) codecs dashed; the live VVenC curve is a heavier dashed line and the
published VTM curve is dash-dotted grey and labelled as the Kodak *average* it is. Clicking a
point loads that result into side A (Shift+click: side B).
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from codec.eval.metrics import LOSSLESS_DB

from app.core.backends.reference import ReferenceCurve
from app.core.codecs import SideSettings, codec_entry
from app.core.rd_store import RDStore
from app.core.results import EncodeOutcome

__all__ = ["RDPlot"]


def _finite(value: float | None) -> bool:
    """A value to draw: known and lossy (a lossless MS-SSIM is ``LOSSLESS_DB``, off the scale)."""
    return value is not None and math.isfinite(value) and value < LOSSLESS_DB


class RDPlot(QWidget):
    pointClicked = Signal(object, bool)  # SideSettings, into side B (Shift held)

    def __init__(self, store: RDStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        pg.setConfigOptions(antialias=True, background="w", foreground="k")
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumHeight(220)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        self.setToolTip("Click a point to load it into side A; Shift+click loads it into side B")

        self.psnr_plot = self.graphics.addPlot(row=0, col=0)
        self.msssim_plot = self.graphics.addPlot(row=0, col=1)
        self.msssim_plot.setXLink(self.psnr_plot)
        for plot, ylabel in ((self.psnr_plot, "PSNR-RGB (dB)"), (self.msssim_plot, "MS-SSIM-RGB (dB)")):
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setLabel("bottom", "Rate (bpp)")
            plot.setLabel("left", ylabel)
            for side in ("bottom", "left"):  # bpp stays bpp: no "(x0.001)" rescaling of the axis
                plot.getAxis(side).enableAutoSIPrefix(False)
            plot.setMenuEnabled(False)
        self.psnr_plot.setTitle("PSNR vs rate — this image (click: load into A, Shift+click: B)", size="9pt")
        self.msssim_plot.setTitle("MS-SSIM vs rate — this image", size="9pt")
        # One legend for both plots (they share colours), in its own column so it never hides data.
        self.legend = pg.LegendItem(labelTextSize="8pt", verSpacing=-8)
        self.graphics.addItem(self.legend, row=0, col=2)
        self.graphics.ci.layout.setColumnStretchFactor(0, 10)
        self.graphics.ci.layout.setColumnStretchFactor(1, 10)
        self.graphics.ci.layout.setColumnStretchFactor(2, 1)
        # The rate axis shows the interesting range (not a q=0.9 outlier at 8 bpp) until the user
        # pans or zooms; y follows what is visible.
        self._auto_x = True
        for plot in (self.psnr_plot, self.msssim_plot):
            plot.setAutoVisible(y=True)
            plot.vb.sigRangeChangedManually.connect(self._on_manual_range)
        self.psnr_plot.autoBtn.clicked.connect(self._reset_auto_x)
        self.msssim_plot.autoBtn.clicked.connect(self._reset_auto_x)
        self._highlighted: dict[str, float] = {}

        self._curves: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self._reference: list[pg.PlotDataItem] = []
        self._marks: dict[str, tuple[pg.ScatterPlotItem, pg.ScatterPlotItem, pg.TextItem, pg.TextItem]] = {}
        for name, colour in (("A", "#1b4332"), ("B", "#7b2cbf")):
            items = []
            for plot in (self.psnr_plot, self.msssim_plot):
                mark = pg.ScatterPlotItem(size=18, pen=pg.mkPen(colour, width=3), brush=None, symbol="o")
                mark.setZValue(20)
                plot.addItem(mark)
                items.append(mark)
            texts = []
            for plot in (self.psnr_plot, self.msssim_plot):
                text = pg.TextItem(name, color=colour, anchor=(-0.4, 1.1))
                text.setZValue(21)
                text.setVisible(False)
                plot.addItem(text)
                texts.append(text)
            self._marks[name] = (items[0], items[1], texts[0], texts[1])
        store.changed.connect(self._on_store_changed)

    # -- data ----------------------------------------------------------------------------------
    def set_reference(self, curve: ReferenceCurve | None) -> None:
        for item in self._reference:
            item.getViewBox() and item.getViewBox().removeItem(item)
        self._reference.clear()
        if curve is None:
            return
        pen = pg.mkPen("#555555", width=1.5, style=Qt.PenStyle.DashDotLine)
        if curve.psnr:
            item = self.psnr_plot.plot(curve.bpp, curve.psnr, pen=pen,
                                       symbol="t", symbolSize=6, symbolBrush="#555555", symbolPen=None)
            self.legend.addItem(item, curve.label)
            self._reference.append(item)
        if curve.msssim:
            db = [-10 * math.log10(1 - v) for v in curve.msssim]
            item = self.msssim_plot.plot(curve.bpp, db, pen=pen,
                                         symbol="t", symbolSize=6, symbolBrush="#555555", symbolPen=None)
            self._reference.append(item)

    def _curve(self, codec: str) -> tuple[pg.PlotDataItem, pg.PlotDataItem]:
        if codec not in self._curves:
            entry = codec_entry(codec)
            assert entry is not None  # the original is never a point of a curve
            colour = entry.colour
            hybrid = entry.line_style == "dashed"
            width = 2.5 if codec == "vvc" else 1.8
            style = Qt.PenStyle.DashLine if hybrid else Qt.PenStyle.SolidLine
            label = "VVC (VVenC, this image, 4:2:0)" if codec == "vvc" else entry.title
            items = []
            for plot in (self.psnr_plot, self.msssim_plot):
                item = plot.plot([], [], pen=pg.mkPen(colour, width=width, style=style),
                                 symbol="o" if not hybrid else "s", symbolSize=7, symbolBrush=colour,
                                 symbolPen=pg.mkPen("w", width=0.5))
                item.setCurveClickable(False)
                item.sigPointsClicked.connect(self._on_points_clicked)
                items.append(item)
            self.legend.addItem(items[0], label)
            self._curves[codec] = (items[0], items[1])
        return self._curves[codec]

    def _on_store_changed(self, codec: str | None) -> None:
        if codec is None:
            for psnr_item, msssim_item in self._curves.values():
                self.legend.removeItem(psnr_item)
                self.psnr_plot.removeItem(psnr_item)
                self.msssim_plot.removeItem(msssim_item)
            self._curves.clear()
            for codec_key in self.store.codecs():
                self._redraw(codec_key)
            return
        self._redraw(codec)

    def _redraw(self, codec: str) -> None:
        points = self.store.curve(codec)
        psnr_item, msssim_item = self._curve(codec)
        with_psnr = [p for p in points if _finite(p.psnr)]
        with_ms = [p for p in points if _finite(p.msssim_db)]
        psnr_item.setData([p.bpp for p in with_psnr], [p.psnr for p in with_psnr],
                          data=[p.settings for p in with_psnr])
        msssim_item.setData([p.bpp for p in with_ms], [p.msssim_db for p in with_ms],
                            data=[p.settings for p in with_ms])
        self._update_x_range()

    # -- rate axis ---------------------------------------------------------------------------------
    def _on_manual_range(self, *_args: object) -> None:
        self._auto_x = False

    def _reset_auto_x(self) -> None:
        self._auto_x = True
        self._update_x_range()

    def _update_x_range(self) -> None:
        """Up to 3 bpp (or 1.5x the rate of the A/B points, whichever is more), not beyond the data."""
        if not self._auto_x:
            return
        rates = [p.bpp for codec in self.store.codecs() for p in self.store.curve(codec)]
        rates += self._highlighted.values()
        if not rates:
            return
        limit = max(3.0, 1.5 * max(self._highlighted.values(), default=0.0))
        x_max = min(max(rates), limit)
        self.psnr_plot.setXRange(0.0, x_max * 1.05, padding=0)

    def point_count(self) -> int:
        return sum(len(item.xData) if item.xData is not None else 0 for item, _ in self._curves.values())

    def highlight(self, name: str, outcome: EncodeOutcome | None) -> None:
        """Ring the side's current point on both plots (nothing for the original)."""
        psnr_mark, ms_mark, psnr_text, ms_text = self._marks[name]
        psnr = outcome.metrics.psnr if outcome is not None else None
        msdb = outcome.metrics.msssim_db if outcome is not None else None
        shown = outcome if outcome is not None and not outcome.settings.is_original else None
        if shown is not None:
            self._highlighted[name] = shown.bpp
        else:
            self._highlighted.pop(name, None)
        for mark, text, value in ((psnr_mark, psnr_text, psnr), (ms_mark, ms_text, msdb)):
            if shown is not None and _finite(value):
                mark.setData([shown.bpp], [value])
                text.setPos(shown.bpp, value)
                text.setVisible(True)
            else:
                mark.setData([], [])
                text.setVisible(False)
        self._update_x_range()

    # -- interaction -----------------------------------------------------------------------------
    def _on_points_clicked(self, _item: object, points: list, event: object = None) -> None:
        if not len(points):
            return
        settings = points[0].data()
        if not isinstance(settings, SideSettings):
            return
        modifiers = event.modifiers() if event is not None and hasattr(event, "modifiers") else Qt.KeyboardModifier(0)
        self.pointClicked.emit(settings, bool(modifiers & Qt.KeyboardModifier.ShiftModifier))
