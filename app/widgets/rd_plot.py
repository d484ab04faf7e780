"""Live rate-distortion plot: PSNR-bpp and a second metric chosen by the user (MS-SSIM in dB,
SSIMULACRA2 or FLIP: :mod:`app.core.rd_metrics`) against bpp, with linked rate axes.

Curves of the current image fill in point by point as results arrive in the
:class:`~app.core.rd_store.RDStore`. Each codec has its one colour of the catalogue
(``codec.baselines``, Paul Tol's colour-blind-safe palette), the same as in ``msp plot``; the
published VTM curve takes VVC's colour, hollow markers saying "published" as in ``msp plot``.
Following CompressAI's convention, learned codecs are solid and hybrid (classic) codecs dashed;
the live VVenC curve is a heavier dashed line and the VTM curve dash-dotted and labelled as the
Kodak *average* it is.

The rate axis follows our codec: it spans the MSP curves and the A/B points with a margin, and the
classic and reference curves, which run to several bpp, are clipped at its edge rather than
stretching it (before any MSP point: all of this image's curves). A checkbox puts it on a log
scale. The legend (:mod:`app.widgets.rd_legend`) sits beside the plots and reflows into columns.
Clicking a point loads that result into side A (Shift+click: side B).

The right-hand plot's metric is picked in the box beside the legend. SSIMULACRA2 and FLIP of a
point arrive seconds after the point itself (they are measured in another process), so its mark
appears on those plots a little later; FLIP, an error, is drawn on an inverted axis (better is up,
as on every other plot). The published VTM curve has MS-SSIM only, so it shows on that plot alone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from codec.baselines import colour_of
from codec.eval.metrics import LOSSLESS_DB

from app.core.backends.reference import ReferenceCurve
from app.core.codecs import SideSettings, codec_entry, menu_codecs
from app.core.rd_metrics import DEFAULT_PLOT_METRIC, PLOT_METRICS
from app.core.rd_store import RDStore
from app.core.results import EncodeOutcome
from app.widgets.rd_legend import LegendEntry, RDLegend

__all__ = ["RDPlot", "REFERENCE_KEY", "X_MARGIN"]

REFERENCE_KEY = "reference"  # the legend key of the published curve
X_MARGIN = 0.12  # the rate axis runs this fraction past the last focused point (a factor in log scale)
_MARK_COLOURS = {"A": "#1b1b1b", "B": "#1b1b1b"}  # the A/B rings: neutral, labelled, no codec's colour


def _finite(value: float | None) -> bool:
    """A value to draw: known and lossy (a lossless MS-SSIM is ``LOSSLESS_DB``, off the scale)."""
    return value is not None and math.isfinite(value) and value < LOSSLESS_DB


class RDPlot(QWidget):
    pointClicked = Signal(object, bool)  # SideSettings, into side B (Shift held)
    metricChanged = Signal(str)  # the right-hand plot's metric key (app.core.rd_metrics.PLOT_METRICS)

    def __init__(self, store: RDStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        pg.setConfigOptions(antialias=True, background="w", foreground="k")
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumHeight(150)
        self.legend = RDLegend()
        self.legend.toggled.connect(self._on_legend_toggled)
        self.log_rate = QCheckBox("Log rate axis")
        self.log_rate.setToolTip("Show the rate (bpp) on a logarithmic axis: low rates get more room")
        self.log_rate.toggled.connect(self.set_log_rate)
        self.metric_box = QComboBox()
        for key, choice in PLOT_METRICS.items():
            self.metric_box.addItem(choice.menu_text, key)
        self.metric_box.setToolTip("What the right-hand plot shows against the rate. SSIMULACRA2: higher is "
                                   "better; FLIP: an error, lower is better (drawn upside down). Both arrive a "
                                   "few seconds after each point")
        self.metric_box.currentIndexChanged.connect(lambda _i: self.set_metric(self.metric_box.currentData()))
        metric_row = QHBoxLayout()
        metric_row.setSpacing(4)
        metric_label = QLabel("Right plot:")
        metric_label.setBuddy(self.metric_box)
        metric_row.addWidget(metric_label)
        metric_row.addWidget(self.metric_box, 1)
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 4, 4)
        side.setSpacing(2)
        side.addWidget(self.legend, 1)
        side.addLayout(metric_row)
        side.addWidget(self.log_rate)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.graphics, 1)
        layout.addLayout(side)
        self.setToolTip("Click a point to load it into side A; Shift+click loads it into side B")

        self.right_metric = PLOT_METRICS[DEFAULT_PLOT_METRIC]
        self.psnr_plot = self.graphics.addPlot(row=0, col=0)
        self.metric_plot = self.graphics.addPlot(row=0, col=1)
        self.msssim_plot = self.metric_plot  # its name before it could show other metrics
        self.metric_plot.setXLink(self.psnr_plot)
        for plot, ylabel in ((self.psnr_plot, "PSNR-RGB (dB)"), (self.metric_plot, self.right_metric.axis_label)):
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setLabel("bottom", "Rate (bpp)")
            plot.setLabel("left", ylabel)
            for axis in ("bottom", "left"):  # bpp stays bpp: no "(x0.001)" rescaling of the axis
                plot.getAxis(axis).enableAutoSIPrefix(False)
            plot.setMenuEnabled(False)
        self.psnr_plot.setTitle("PSNR vs rate — this image (click: load into A, Shift+click: B)", size="9pt")
        self.metric_plot.setTitle(f"{self.right_metric.menu_text} vs rate — this image", size="9pt")
        # The rate axis follows the focused curves until the user pans or zooms; y follows what is visible.
        self._auto_x = True
        for plot in (self.psnr_plot, self.msssim_plot):
            plot.setAutoVisible(y=True)
            plot.vb.sigRangeChangedManually.connect(self._on_manual_range)
        self.psnr_plot.autoBtn.clicked.connect(self._reset_auto_x)
        self.msssim_plot.autoBtn.clicked.connect(self._reset_auto_x)
        self._highlighted: dict[str, float] = {}

        self._curves: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self._entries: dict[str, LegendEntry] = {}
        self._reference: list[pg.PlotDataItem] = []
        self._reference_msssim: pg.PlotDataItem | None = None  # the published curve on the right-hand plot
        self._reference_entry: LegendEntry | None = None
        self._outcomes: dict[str, EncodeOutcome | None] = {}  # what each A/B ring marks
        self._drawn: dict[int, list[tuple[float, float | None, SideSettings | None]]] = {}  # id(item) -> its points
        self._marks: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem, pg.TextItem, pg.TextItem]] = {}
        for name, colour in _MARK_COLOURS.items():
            rings = []
            for plot in (self.psnr_plot, self.msssim_plot):
                # A PlotDataItem (not a bare scatter) so that it follows the log-rate axis.
                ring = pg.PlotDataItem([], [], pen=None, symbol="o", symbolSize=18, symbolBrush=None,
                                       symbolPen=pg.mkPen(colour, width=2.5))
                ring.setZValue(20)
                plot.addItem(ring)
                rings.append(ring)
            texts = []
            for plot in (self.psnr_plot, self.msssim_plot):
                text = pg.TextItem(name, color=colour, anchor=(-0.4, 1.1))
                text.setZValue(21)
                text.setVisible(False)
                plot.addItem(text)
                texts.append(text)
            self._marks[name] = (rings[0], rings[1], texts[0], texts[1])
        store.changed.connect(self._on_store_changed)
        if store.codecs():  # a store that is filled already (points restored before the plot existed)
            self._on_store_changed(None)

    # -- data ----------------------------------------------------------------------------------
    def set_reference(self, curve: ReferenceCurve | None) -> None:
        for item in self._reference:
            view = item.getViewBox()
            if view is not None:
                view.removeItem(item)
        self._reference.clear()
        self._reference_msssim = None
        self._reference_entry = None
        if curve is not None:
            colour = colour_of(curve.name, "hybrid")  # VTM: VVC's colour, as in msp plot
            pen = pg.mkPen(colour, width=1.5, style=Qt.PenStyle.DashDotLine)
            style = {"pen": pen, "symbol": "t", "symbolSize": 7, "symbolBrush": "w", "symbolPen": pg.mkPen(colour)}
            if curve.psnr:
                self._reference.append(self.psnr_plot.plot(curve.bpp, curve.psnr, **style))
            if curve.msssim:
                db = [-10 * math.log10(1 - v) for v in curve.msssim]
                self._reference_msssim = self.metric_plot.plot(curve.bpp, db, **style)
                self._reference.append(self._reference_msssim)
            for item in self._reference:
                item.setZValue(-1)  # under this image's curves
            self._show_reference()
            self._reference_entry = LegendEntry(
                REFERENCE_KEY, curve.label, colour, Qt.PenStyle.DashDotLine, "t", filled=False, width=1.5,
                tip="Published average over the Kodak set, not this image" + (f" ({curve.source})" if curve.source else ""))
        self._sync_legend()
        self._update_x_range()

    def _curve(self, codec: str) -> tuple[pg.PlotDataItem, pg.PlotDataItem]:
        if codec not in self._curves:
            entry = codec_entry(codec)
            assert entry is not None  # the original is never a point of a curve
            colour = entry.colour
            hybrid = entry.line_style == "dashed"
            width = 2.5 if codec == "vvc" else 1.8
            style = Qt.PenStyle.DashLine if hybrid else Qt.PenStyle.SolidLine
            symbol = "s" if hybrid else "o"
            label = "VVC (VVenC, this image)" if codec == "vvc" else entry.title
            items = []
            for plot in (self.psnr_plot, self.msssim_plot):
                item = plot.plot([], [], pen=pg.mkPen(colour, width=width, style=style),
                                 symbol=symbol, symbolSize=7, symbolBrush=colour,
                                 symbolPen=pg.mkPen("w", width=0.5))
                item.setCurveClickable(False)
                item.sigPointsClicked.connect(self._on_points_clicked)
                item.setVisible(self.legend.is_shown(codec))  # hidden in the legend: stays hidden on a new image
                items.append(item)
            self._curves[codec] = (items[0], items[1])
            self._entries[codec] = LegendEntry(codec, label, colour, style, symbol, width=width,
                                               tip=f"{entry.summary}; this image, measured here")
            self._sync_legend()
        return self._curves[codec]

    def _sync_legend(self) -> None:
        """In the order of the codec menus (learned first: ours; then the classic codecs, VVC last),
        then the reference, so that a row never moves as the sweep adds curves."""
        order = {entry.key: i for i, entry in enumerate(menu_codecs())}
        keys = sorted(self._entries, key=lambda key: order.get(key, len(order)))
        entries = [self._entries[key] for key in keys]
        if self._reference_entry is not None:
            entries.append(self._reference_entry)
        self.legend.set_entries(entries)

    @staticmethod
    def _is_learned(codec: str) -> bool:
        entry = codec_entry(codec)
        return entry is not None and entry.kind == "learned"

    def _on_store_changed(self, codec: str | None) -> None:
        if codec is None:
            for psnr_item, msssim_item in self._curves.values():
                self.psnr_plot.removeItem(psnr_item)
                self.msssim_plot.removeItem(msssim_item)
            self._curves.clear()
            self._drawn.clear()  # the items are gone (their ids may be reused)
            self._entries.clear()
            self._sync_legend()
            for codec_key in self.store.codecs():
                self._redraw(codec_key)
            self._update_x_range()
            return
        self._redraw(codec)

    def _redraw(self, codec: str) -> None:
        points = self.store.curve(codec)
        psnr_item, msssim_item = self._curve(codec)
        with_psnr = [p for p in points if _finite(p.psnr)]
        with_metric = [(p, value) for p in points if (value := self.right_metric.of_point(p)) is not None]
        changed = self._set_points(psnr_item, [(p.bpp, p.psnr, p.settings) for p in with_psnr])
        changed |= self._set_points(msssim_item, [(p.bpp, value, p.settings) for p, value in with_metric])
        if changed:
            self._update_x_range()

    def _set_points(self, item: pg.PlotDataItem, points: list[tuple[float, float | None, SideSettings | None]]) -> bool:
        """Give ``item`` these (bpp, value, settings) points unless it has them already: a point that
        comes back with SSIMULACRA2 and FLIP added changes nothing on the PSNR and MS-SSIM plots, and
        an unchanged item is not repainted (a repaint of the plots costs tens of ms of the GUI thread)."""
        if self._drawn.get(id(item)) == points:
            return False
        self._drawn[id(item)] = points
        settings = [point[2] for point in points]
        item.setData([point[0] for point in points], [point[1] for point in points],
                     **({"data": settings} if any(settings) else {}))
        return True

    def _on_legend_toggled(self, key: str, shown: bool) -> None:
        if key == REFERENCE_KEY:
            self._show_reference()
        else:
            items: Iterable[pg.PlotDataItem] = self._curves.get(key, ())
            for item in items:
                item.setVisible(shown)
        self._update_x_range()

    def _show_reference(self) -> None:
        """The published curve as its legend row says, on the right-hand plot only for MS-SSIM (all it has)."""
        shown = self.legend.is_shown(REFERENCE_KEY)
        for item in self._reference:
            item.setVisible(shown and (item is not self._reference_msssim or self.right_metric.key == "ms-ssim"))

    # -- the right-hand plot's metric ----------------------------------------------------------------
    def set_metric(self, key: str) -> None:
        """Show ``key`` (a key of :data:`PLOT_METRICS`) on the right-hand plot."""
        if key == self.right_metric.key:
            return
        self.right_metric = PLOT_METRICS[key]
        if self.metric_box.currentData() != key:
            self.metric_box.setCurrentIndex(self.metric_box.findData(key))  # comes back here, unchanged
        self.metric_plot.setLabel("left", self.right_metric.axis_label)
        self.metric_plot.setTitle(f"{self.right_metric.menu_text} vs rate — this image", size="9pt")
        self.metric_plot.invertY(self.right_metric.inverted)
        for codec in self._curves:
            self._redraw(codec)
        for name, outcome in self._outcomes.items():
            self.highlight(name, outcome)
        self._show_reference()
        self.metric_plot.enableAutoRange(axis="y")
        self.metricChanged.emit(key)

    # -- rate axis ---------------------------------------------------------------------------------
    def _on_manual_range(self, *_args: object) -> None:
        self._auto_x = False

    def _reset_auto_x(self) -> None:
        self._auto_x = True
        self._update_x_range()

    def focus_rates(self) -> list[float]:
        """The rates the axis spans: our (learned) curves and the A/B points; before any of
        those, every curve of this image. Never the published reference."""
        ours = [p.bpp for codec in self.store.codecs() if self._is_learned(codec) and self.legend.is_shown(codec)
                for p in self.store.curve(codec)]
        rates = ours + list(self._highlighted.values())
        if not rates:
            rates = [p.bpp for codec in self.store.codecs() if self.legend.is_shown(codec)
                     for p in self.store.curve(codec)]
        return [r for r in rates if r > 0 and math.isfinite(r)]

    def rate_range(self) -> tuple[float, float] | None:
        """The rate axis's (low, high) in bpp for the focused rates; None when there are none."""
        rates = self.focus_rates()
        if not rates:
            return None
        high = max(rates)
        if self.log_rate.isChecked():
            factor = 1.0 + 2 * X_MARGIN
            return min(rates) / factor, high * factor
        return 0.0, high * (1.0 + X_MARGIN)

    def visible_rate_range(self) -> tuple[float, float]:
        """The rate axis as shown, in bpp (whatever the scale)."""
        low, high = self.psnr_plot.vb.viewRange()[0]
        if self.log_rate.isChecked():
            return 10.0**low, 10.0**high
        return low, high

    def _update_x_range(self) -> None:
        if not self._auto_x:
            return
        span = self.rate_range()
        if span is None:
            return
        low, high = span
        if self.log_rate.isChecked():
            low, high = math.log10(low), math.log10(high)
        self.psnr_plot.setXRange(low, high, padding=0)

    def set_log_rate(self, on: bool) -> None:
        """Logarithmic rate axis on both plots (they share it)."""
        if self.log_rate.isChecked() != on:
            self.log_rate.setChecked(on)  # comes back here through the signal
            return
        for plot in (self.psnr_plot, self.msssim_plot):
            plot.setLogMode(x=on, y=False)
        for name in self._marks:
            self._place_text(name)
        self._auto_x = True
        self._update_x_range()

    def point_count(self) -> int:
        return sum(len(item.xData) if item.xData is not None else 0 for item, _ in self._curves.values())

    def curve_items(self, codec: str) -> tuple[pg.PlotDataItem, pg.PlotDataItem] | None:
        """The (PSNR, right-hand metric) items of ``codec``'s curve, if it has one."""
        return self._curves.get(codec)

    def reference_items(self) -> list[pg.PlotDataItem]:
        return list(self._reference)

    # -- A/B points -------------------------------------------------------------------------------
    def highlight(self, name: str, outcome: EncodeOutcome | None) -> None:
        """Ring the side's current point on both plots (nothing for the original; on the right-hand
        plot, nothing until the result has a value on its metric)."""
        psnr_mark, ms_mark, _psnr_text, _ms_text = self._marks[name]
        self._outcomes[name] = outcome
        psnr = outcome.metrics.psnr if outcome is not None else None
        msdb = self.right_metric.of_outcome(outcome) if outcome is not None else None
        shown = outcome if outcome is not None and not outcome.settings.is_original else None
        if shown is not None:
            self._highlighted[name] = shown.bpp
        else:
            self._highlighted.pop(name, None)
        changed = False
        for mark, value in ((psnr_mark, psnr), (ms_mark, msdb)):
            changed |= self._set_points(mark, [(shown.bpp, value, None)] if shown is not None and _finite(value) else [])
        if changed:
            self._place_text(name)
            self._update_x_range()

    def _place_text(self, name: str) -> None:
        """The A/B letters sit by their rings; a TextItem is placed in view coordinates (log10 in log mode)."""
        psnr_mark, ms_mark, psnr_text, ms_text = self._marks[name]
        for mark, text in ((psnr_mark, psnr_text), (ms_mark, ms_text)):
            x, y = mark.xData, mark.yData
            if x is None or not len(x):
                text.setVisible(False)
                continue
            bpp = float(x[0])
            text.setPos(math.log10(bpp) if self.log_rate.isChecked() and bpp > 0 else bpp, float(y[0]))
            text.setVisible(True)

    # -- interaction -----------------------------------------------------------------------------
    def _on_points_clicked(self, _item: object, points: list, event: object = None) -> None:
        if not len(points):
            return
        settings = points[0].data()
        if not isinstance(settings, SideSettings):
            return
        modifiers = event.modifiers() if event is not None and hasattr(event, "modifiers") else Qt.KeyboardModifier(0)
        self.pointClicked.emit(settings, bool(modifiers & Qt.KeyboardModifier.ShiftModifier))
