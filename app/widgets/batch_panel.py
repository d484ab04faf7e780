"""The "Batch run" dock: run the batch queue's images with chosen codecs and qualities, and read
the result as ``msp eval`` and ``msp plot`` would give it.

Codec check boxes (the catalogue's, as on a side's menu), the qualities, Run / Pause / Cancel, a
progress bar, the aggregate RD curves (dataset means of PSNR-RGB against bpp) drawn here with
the RD plot's colours and line styles, the BD-rate table against a chosen codec (VVC when it is in
the batch) and Export JSON / CSV. Everything shown comes from
:func:`~app.core.batch_run.batch_results`, the object ``msp eval`` writes; the view is redrawn
at most every :data:`REFRESH_MS` while points arrive, so a fast batch never floods the window.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from codec.baselines.registry import colour_of
from codec.errors import CodecError
from codec.eval.bdtable import DEFAULT_METRICS
from codec.eval.csv_export import write_csv
from codec.eval.results import EvaluationResults, save_results

from app.core.batch import BatchQueue
from app.core.batch_run import BatchPlan, BatchRun, batch_bd_table, batch_results
from app.core.codecs import menu_codecs

__all__ = ["BatchPanel", "parse_qualities", "REFRESH_MS", "DEFAULT_CODECS", "DEFAULT_QUALITIES"]

REFRESH_MS = 500
DEFAULT_CODECS = ("jpeg", "webp")
DEFAULT_QUALITIES = "0.2, 0.4, 0.6, 0.8"
ANCHOR = "vvc"  # the BD-rate anchor when the batch has it (msp plot's default is VVC's reference, VTM)


def parse_qualities(text: str) -> tuple[float, ...]:
    """Comma- or space-separated qualities in 0..1, in order, without repeats; a CodecError otherwise."""
    try:
        values = [float(v) for v in text.replace(",", " ").split()]
    except ValueError:
        raise CodecError(f"qualities must be numbers from 0 to 1, got {text!r}") from None
    if not values or any(not 0.0 <= v <= 1.0 for v in values):
        raise CodecError(f"qualities must be numbers from 0 to 1, got {text!r}")
    return tuple(sorted(set(values)))


class BatchPanel(QWidget):
    message = Signal(str, str)  # level, text

    def __init__(self, run: BatchRun, queue: BatchQueue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run = run
        self.queue = queue
        self.results: EvaluationResults | None = None

        self.codec_boxes: dict[str, QCheckBox] = {}
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        for i, entry in enumerate(menu_codecs()):
            box = QCheckBox(entry.title)
            box.setChecked(entry.key in DEFAULT_CODECS)
            self.codec_boxes[entry.key] = box
            grid.addWidget(box, i // 3, i % 3)
        self.qualities = QLineEdit(DEFAULT_QUALITIES)
        self.qualities.setToolTip("Qualities 0..1, comma-separated; BD-rates need at least 4")
        self.run_button = QPushButton("Run")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.cancel_button = QPushButton("Cancel")
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m points")
        self.status = QLabel("")
        self.status.setWordWrap(True)

        pg.setConfigOptions(antialias=True, background="w", foreground="k")
        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", "mean rate (bpp)")
        self.plot.setLabel("left", "mean PSNR-RGB (dB)")
        self.plot.addLegend(offset=(-4, 4))
        self.plot.setMinimumHeight(160)
        self.anchor = QComboBox()
        self.table = QTableWidget(0, 1 + len(DEFAULT_METRICS))
        self.table.setHorizontalHeaderLabels(["codec", "BD-rate PSNR", "BD-rate MS-SSIM"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMinimumHeight(90)
        self.json_button = QPushButton("Export JSON…")
        self.csv_button = QPushButton("Export CSV…")

        buttons = QHBoxLayout()
        for button in (self.run_button, self.pause_button, self.cancel_button):
            buttons.addWidget(button)
        qualities = QHBoxLayout()
        qualities.addWidget(QLabel("Qualities"))
        qualities.addWidget(self.qualities, 1)
        anchor = QHBoxLayout()
        anchor.addWidget(QLabel("BD-rate vs"))
        anchor.addWidget(self.anchor, 1)
        exports = QHBoxLayout()
        exports.addWidget(self.json_button)
        exports.addWidget(self.csv_button)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addLayout(qualities)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.plot, 2)
        layout.addLayout(anchor)
        layout.addWidget(self.table, 1)
        layout.addLayout(exports)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self._failures: list[str] = []
        self._curves: dict[str, pg.PlotDataItem] = {}  # codec key -> its aggregate curve
        self._chosen_anchor: str | None = None  # the user's pick; else VVC when measured, else the first
        self.run_button.clicked.connect(self.start)
        self.pause_button.toggled.connect(self._set_paused)
        self.cancel_button.clicked.connect(run.cancel)
        self.anchor.currentIndexChanged.connect(self._anchor_chosen)
        self.json_button.clicked.connect(lambda: self._export("JSON", "JSON (*.json)", self.export_json))
        self.csv_button.clicked.connect(lambda: self._export("CSV", "CSV (*.csv)", self.export_csv))
        run.progress.connect(self._on_progress)
        run.ended.connect(self._on_ended)
        run.failure.connect(self._failures.append)
        queue.changed.connect(self._update_buttons)
        self._update_buttons()

    def chosen_codecs(self) -> tuple[str, ...]:
        return tuple(key for key, box in self.codec_boxes.items() if box.isChecked())

    def set_codecs(self, keys: tuple[str, ...]) -> None:
        for key, box in self.codec_boxes.items():
            box.setChecked(key in keys)

    def start(self) -> None:
        """Run the queue's images with the chosen codecs and qualities."""
        try:
            qualities = parse_qualities(self.qualities.text())
        except CodecError as exc:
            self.message.emit("warning", str(exc))
            return
        codecs = self.chosen_codecs()
        if not codecs or not len(self.queue):
            self.message.emit("warning", "Choose a codec and drop images or a folder first")
            return
        self._failures.clear()
        self.pause_button.setChecked(False)
        self.run.start(BatchPlan(tuple(self.queue.paths()), codecs, qualities))
        self._update_buttons()

    def _set_paused(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        if paused:
            self.run.pause()
        else:
            self.run.resume()

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _on_ended(self) -> None:
        self._refresh_timer.stop()
        self.pause_button.setChecked(False)
        self.refresh()
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.run.running()
        self.run_button.setEnabled(not running and len(self.queue) > 0)
        self.run_button.setToolTip("" if len(self.queue) else "Drop images or a folder on the window first")
        self.pause_button.setEnabled(running)
        self.cancel_button.setEnabled(running)
        self.json_button.setEnabled(self.results is not None and bool(self.results.codecs))
        self.csv_button.setEnabled(self.json_button.isEnabled())

    # -- what was measured ----------------------------------------------------------------------
    def refresh(self) -> None:
        """Aggregate what is in, and draw the curves and the table."""
        done, total = self.run.counts()
        self.results = batch_results(self.run.points, self.run.plan) if self.run.points else None
        failed = f"; {len(self._failures)} failed ({self._failures[-1]})" if self._failures else ""
        state = "paused" if self.run.paused and self.run.running() else "running" if self.run.running() else "done"
        self.status.setText(f"{done} of {total} points, {state}{failed}" if total else "")
        self.status.setToolTip("\n".join(self._failures))
        codecs = self.results.codecs if self.results else ()
        for name in [n for n in self._curves if n not in {c.name for c in codecs}]:
            self.plot.removeItem(self._curves.pop(name))
        for codec in codecs:  # new data into the curves drawn already: a redraw costs ~1 ms, a new item ~60
            if codec.name not in self._curves:
                style = Qt.PenStyle.SolidLine if codec.kind == "learned" else Qt.PenStyle.DashLine
                colour = colour_of(codec.name, codec.kind)
                self._curves[codec.name] = self.plot.plot(
                    [], [], name=codec.label, pen=pg.mkPen(colour, width=2, style=style), symbol="o",
                    symbolSize=6, symbolBrush=colour, symbolPen=pg.mkPen(colour))
            curve = self._curves[codec.name]
            if curve.getData()[0] is None or list(curve.getData()[0]) != list(codec.bpp) \
                    or list(curve.getData()[1]) != list(codec.psnr_rgb):
                curve.setData(list(codec.bpp), list(codec.psnr_rgb))  # ~10 ms: only when a mean moved
        names = [c.name for c in codecs]
        if names != [self.anchor.itemData(i) for i in range(self.anchor.count())]:
            current = self._chosen_anchor or ANCHOR
            self.anchor.blockSignals(True)
            self.anchor.clear()
            for codec in codecs:
                self.anchor.addItem(codec.label, codec.name)
            if names:
                self.anchor.setCurrentIndex(names.index(current) if current in names else
                                            names.index(ANCHOR) if ANCHOR in names else 0)
            self.anchor.blockSignals(False)
        if self.run.running():  # the table on the next turn of the event loop: two short stalls, not one
            QTimer.singleShot(0, self, self._fill_table)
        else:
            self._fill_table()
        self._update_buttons()

    def _anchor_chosen(self) -> None:
        self._chosen_anchor = self.anchor.currentData()
        self._fill_table()

    def _fill_table(self) -> None:
        anchor = self.anchor.currentData()
        rows = batch_bd_table(self.results, anchor) if self.results is not None and anchor else ()
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            self.table.setItem(r, 0, QTableWidgetItem(row.curve.label))
            for m, metric in enumerate(DEFAULT_METRICS):
                entry = row.entries[metric]
                item = QTableWidgetItem(entry.text().strip())
                item.setToolTip(entry.reason or (entry.result.warning if entry.result else None) or "")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, 1 + m, item)
        self.table.resizeColumnsToContents()

    # -- exports --------------------------------------------------------------------------------
    def export_json(self, path: Path) -> Path:
        """The batch as ``msp eval`` results (CompressAI's schema), written atomically."""
        self.refresh()
        if self.results is None:
            raise CodecError("the batch has no results yet")
        return save_results(self.results, path)

    def export_csv(self, path: Path) -> Path:
        """Every point, one row each (``msp eval --csv``'s columns), written atomically."""
        self.refresh()
        if self.results is None:
            raise CodecError("the batch has no results yet")
        return write_csv(self.results, path)

    def _export(self, what: str, pattern: str, write: Callable[[Path], Path]) -> None:
        name, _ = QFileDialog.getSaveFileName(self, f"Export the batch as {what}", f"batch.{what.lower()}", pattern)
        if not name:
            return
        try:
            path = write(Path(name))
        except (CodecError, OSError) as exc:
            self.message.emit("error", f"Could not export: {exc}")
            return
        self.message.emit("info", f"Saved {path.name}")
