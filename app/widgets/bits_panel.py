"""Where MSP spends its bits: the dock with each side's table, and the presenter that puts the bits
maps on the canvas.

The panel has a tab per side: the side's file, its bits per scale and per step of the profile's
schedule (then the coder's final words and the container, adding up to the file), and the other
side's file beside it for reference. Its "Show bits on A / B" boxes (also ``Ctrl+B`` /
``Ctrl+Shift+B`` in the View menu) switch a side's pane from its picture to its bits map.

:class:`BitsPresenter` follows :class:`~app.core.bits_jobs.BitsJobs` (the reports, made on the
model thread) and the view: it hands the canvas each shown side's map as an 8-bit indexed image
coloured on the common scale, and the scale to the canvas's bits colour bar, on the left edge
(the error maps' bar is on the right).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QImage
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QTabWidget, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app.core.bits_jobs import BitsJobs
from app.core.bits_view import BitsReport, BitsScale, bits_scale, reference_text
from app.core.error_maps import colour_table
from app.core.formatting import format_bytes
from app.core.state import ComparisonState, SideName
from app.core.view_state import ViewState
from app.widgets.canvas import ComparisonCanvas
from app.workers.error_map_jobs import levels_image

__all__ = ["BitsPanel", "BitsPresenter", "BITS_COLUMNS"]

BITS_COLUMNS = ("Part", "Bits", "bpp", "Share", "Elements")
_SHORTCUTS = {SideName.A: "Ctrl+B", SideName.B: "Ctrl+Shift+B"}


def _same(new: tuple, old: tuple | None) -> bool:
    """What was last pushed: its objects the same ones (images and reports compare by identity:
    comparing their pixels would cost more than pushing them again), the rest equal."""
    return old is not None and new[0] is old[0] and new[1:] == old[1:]


class _SideTab(QWidget):
    """One side's report: its file, the table, and the other side's file for reference."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.table = QTreeWidget()
        self.table.setColumnCount(len(BITS_COLUMNS))
        self.table.setHeaderLabels(list(BITS_COLUMNS))
        self.table.setRootIsDecorated(True)
        self.table.setUniformRowHeights(True)
        self.table.setToolTip("Each symbol's code length under the probabilities the coder used: the rows add up "
                              "to the file. A scale's steps are the sequential decoding steps of the profile.")
        self.reference = QLabel()
        self.reference.setWordWrap(True)
        self.reference.setToolTip("The other side's file, for reference (compare at similar quality: see PSNR)")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.reference)

    def show_report(self, report: BitsReport | None, note: str, reference: str) -> None:
        self.table.clear()
        if report is None:
            self.title.setText(note or "Switch “Show bits” on for this side")
            self.reference.setText("")
            return
        self.title.setText(f"<b>MSP {report.profile}</b>: {format_bytes(report.total_bytes)}, "
                           f"{report.bpp:.3f} bpp; map scale 0..{report.top:g} bpp")
        pixels = report.width * report.height
        parent: QTreeWidgetItem | None = None
        for row in report.rows:
            cells = [row.label, f"{row.bits:,.0f}", f"{row.bits / pixels:.4f}", f"{100 * row.share:.1f} %",
                     f"{row.elements:,}" if row.elements is not None else ""]
            if row.depth and parent is not None:
                item = QTreeWidgetItem(parent, cells)
            else:
                item = QTreeWidgetItem(self.table, cells)
                parent = item
            item.setToolTip(0, row.tip)
            for column in range(1, len(BITS_COLUMNS)):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.table.expandAll()
        for column in range(len(BITS_COLUMNS)):
            self.table.resizeColumnToContents(column)
        self.reference.setText(reference)

    def rows(self) -> list[list[str]]:
        """The table's text, top-level rows and their steps in order (for tests)."""
        out: list[list[str]] = []
        for i in range(self.table.topLevelItemCount()):
            item = self.table.topLevelItem(i)
            assert item is not None  # i < count
            out.append([item.text(c) for c in range(len(BITS_COLUMNS))])
            children = (item.child(j) for j in range(item.childCount()))
            out += [[child.text(c) for c in range(len(BITS_COLUMNS))] for child in children if child is not None]
        return out


class BitsPanel(QWidget):
    """The "Where the bits go" dock: which sides show their bits, and each side's table."""

    def __init__(self, view: ViewState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.boxes: dict[SideName, QCheckBox] = {}
        self.toggles: dict[SideName, QAction] = {}
        self.tabs = QTabWidget()
        self.side_tabs: dict[SideName, _SideTab] = {}
        boxes = QHBoxLayout()
        boxes.addWidget(QLabel("Show bits on"))
        for name in SideName:
            box = QCheckBox(name.value)
            box.setToolTip(f"Side {name.value}'s pane shows where its bits go (MSP sides) ({_SHORTCUTS[name]})")
            box.toggled.connect(lambda on, n=name: view.set_bits_shown(n.value, on))
            boxes.addWidget(box)
            self.boxes[name] = box
            action = QAction(f"Bits map on {name.value}", self)
            action.setCheckable(True)
            action.setShortcut(_SHORTCUTS[name])
            action.setStatusTip(f"Show where side {name.value}'s bits go instead of its picture (MSP sides)")
            action.toggled.connect(lambda on, n=name: view.set_bits_shown(n.value, on))
            self.toggles[name] = action
            tab = _SideTab()
            self.side_tabs[name] = tab
            self.tabs.addTab(tab, name.value)
        boxes.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(boxes)
        layout.addWidget(self.tabs, 1)
        view.changed.connect(self.sync)
        self.sync()

    def sync(self) -> None:
        """Mirror which sides show their bits."""
        for name in SideName:
            shown = name.value in self.view.bits_sides
            for widget in (self.boxes[name], self.toggles[name]):
                widget.blockSignals(True)
                widget.setChecked(shown)
                widget.blockSignals(False)

    def show_side(self, name: SideName, report: BitsReport | None, note: str, reference: str) -> None:
        self.side_tabs[name].show_report(report, note, reference)


class BitsPresenter(QObject):
    """Keeps the canvas's bits maps, its bits colour bar and the panel in step with the reports."""

    def __init__(self, jobs: BitsJobs, state: ComparisonState, view: ViewState, canvas: ComparisonCanvas,
                 panel: BitsPanel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.state = state
        self.view = view
        self.canvas = canvas
        self.panel = panel
        self._images: dict[SideName, tuple[BitsReport, QImage] | None] = dict.fromkeys(SideName)
        self._coloured: dict[SideName, float | None] = dict.fromkeys(SideName)
        self._pushed_scale: BitsScale | None = None
        self._pushed_maps: dict[SideName, tuple[QImage | None, float | None, str] | None] = dict.fromkeys(SideName)
        self._pushed_tables: dict[SideName, tuple[BitsReport | None, str, str] | None] = dict.fromkeys(SideName)
        jobs.changed.connect(lambda _name: self.refresh())
        view.changed.connect(self.refresh)
        for side in state.sides.values():
            side.result_changed.connect(lambda _side: self.refresh())
        self.refresh()

    def scale(self) -> BitsScale | None:
        """The common scale of the maps on screen (None when no pane shows one)."""
        return bits_scale([report.top for name in SideName
                           if self.view.bits_shown(name.value) and (report := self.jobs.report(name)) is not None])

    def _image(self, name: SideName, report: BitsReport, scale: BitsScale) -> QImage:
        """The report's levels as an indexed image, coloured for the common scale (made once per
        report; recoloured, 256 entries, when the scale changes)."""
        held = self._images[name]
        if held is None or held[0] is not report:
            held = (report, levels_image(report.levels))
            self._images[name] = held
            self._coloured[name] = None
        gain = report.top / scale.top
        if self._coloured[name] != gain:
            held[1].setColorTable(list(colour_table(gain)))
            self._coloured[name] = gain
        return held[1]

    def refresh(self) -> None:
        """Push what changed (the view changes on every pan and zoom step: nothing to do then)."""
        scale = self.scale()
        shown = " + ".join(n.value for n in SideName if self.view.bits_shown(n.value) and self.jobs.report(n))
        labelled = BitsScale(scale.top, f"{shown} · {scale.text}", scale.ticks) if scale is not None else None
        if labelled != self._pushed_scale:
            self.canvas.bits_bar.set_scale(labelled)
            self._pushed_scale = labelled
        for name in SideName:
            report = self.jobs.report(name)
            if report is None:
                self._images[name] = None
            image = self._image(name, report, scale) if report is not None and scale is not None else None
            note = self.jobs.note(name)
            pushed = (image, self._coloured[name] if image is not None else None, note)
            if not _same(pushed, self._pushed_maps[name]):
                self.canvas.set_side_bits(name.value, image, note)
                self._pushed_maps[name] = pushed
            this, other = self.state.side(name).result, self.state.side(name.other).result
            reference = reference_text(name.other.value, other, this) if report is not None and this is not None else ""
            table = (report, note, reference)
            if not _same(table, self._pushed_tables[name]):
                self.panel.show_side(name, report, note, reference)
                self._pushed_tables[name] = table
