"""The view toolbar: mode, what the sides show (picture or error map), the loupe, zoom, gain.
Mirrors the shared ViewState."""

from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QLabel, QToolBar, QWidget

from app.core.error_maps import ERROR_MAP_LABELS, ErrorMapKind
from app.core.view_state import ZOOM_PRESETS, ViewMode, ViewState

__all__ = ["ViewToolbar", "MODE_LABELS"]

MODE_LABELS = {
    ViewMode.SPLIT: ("Split", "1", "A left of the divider, B right; drag the divider"),
    ViewMode.SIDE_BY_SIDE: ("Side by side", "2", "A and B next to each other, zoom and pan synced"),
    ViewMode.FLIP: ("Flip", "3", "One side at a time: A, or B while Space is held"),
    ViewMode.DIFFERENCE: ("Difference", "4", "|A − B| per channel, multiplied by the gain"),
}


class ViewToolbar(QToolBar):
    def __init__(self, view: ViewState, parent: QWidget | None = None) -> None:
        super().__init__("View", parent)
        self.setObjectName("viewToolbar")
        self.view = view
        self.mode_actions: dict[ViewMode, QAction] = {}
        group = QActionGroup(self)
        group.setExclusive(True)
        for mode, (label, key, tip) in MODE_LABELS.items():
            action = QAction(label, self)
            action.setCheckable(True)
            action.setShortcut(key)
            action.setToolTip(f"{tip} ({key})")
            action.triggered.connect(lambda _checked=False, m=mode: view.set_mode(m))
            group.addAction(action)
            self.addAction(action)
            self.mode_actions[mode] = action
        self.addSeparator()
        self.diff_pane = QAction("+ Difference pane", self)
        self.diff_pane.setCheckable(True)
        self.diff_pane.setShortcut("D")
        self.diff_pane.setToolTip("Side by side: add a third pane with the difference map (D)")
        self.diff_pane.toggled.connect(view.set_diff_pane)
        self.addAction(self.diff_pane)
        self.addSeparator()
        self.addWidget(QLabel(" Show "))
        self.error_map = QComboBox()
        self.error_map.setToolTip("What each side's pane shows (split, side by side, flip): its picture, its absolute "
                                  "error against the original (max over R, G, B) or its SSIM map (1 − SSIM); "
                                  "G / Shift+G set the maps' gain (E)")
        for kind, label in ERROR_MAP_LABELS.items():
            self.error_map.addItem(label, kind)
        self.error_map.activated.connect(lambda index: view.set_error_map(self.error_map.itemData(index)))
        self.addWidget(self.error_map)
        self.next_error_map = QAction("Next error map (picture, absolute error, SSIM)", self)
        self.next_error_map.setShortcut("E")
        self.next_error_map.triggered.connect(self.cycle_error_map)
        self.loupe = QAction("Loupe", self)
        self.loupe.setCheckable(True)
        self.loupe.setShortcut("L")
        self.loupe.setToolTip("A zoom box at the cursor with the original's, A's and B's pixel values (L)")
        self.loupe.toggled.connect(view.set_loupe)
        self.addAction(self.loupe)
        self.addSeparator()
        self.addWidget(QLabel(" Zoom "))
        self.zoom = QComboBox()
        self.zoom.setToolTip("Fit, or 100-800 % (pixels are nearest-neighbour above 100 %)")
        self.zoom.addItem("Fit", None)
        for z in ZOOM_PRESETS:
            self.zoom.addItem(f"{z * 100:.0f} %", z)
        self.zoom.setEditable(False)
        self.zoom.setMinimumContentsLength(11)
        self.zoom.activated.connect(self._on_zoom_chosen)
        self.addWidget(self.zoom)
        self.addWidget(QLabel(" Gain "))
        self.gain = QDoubleSpinBox()
        self.gain.setRange(1.0, 64.0)
        self.gain.setDecimals(0)
        self.gain.setSingleStep(1.0)
        self.gain.setSuffix(" ×")
        self.gain.setToolTip("Gain of the difference map (|A − B| is multiplied by it) and of the error maps "
                             "(the colour bar's top is the full scale divided by it)")
        self.gain.valueChanged.connect(view.set_diff_gain)
        self.addWidget(self.gain)
        view.changed.connect(self.sync)
        self.sync()

    def cycle_error_map(self) -> None:
        """Picture -> absolute error -> SSIM map -> picture."""
        kinds = list(ErrorMapKind)
        self.view.set_error_map(kinds[(kinds.index(self.view.error_map) + 1) % len(kinds)])

    def _on_zoom_chosen(self, index: int) -> None:
        zoom = self.zoom.itemData(index)
        if zoom is None:
            self.view.fit()
        else:
            self.view.set_zoom(float(zoom))

    def show_zoom(self, effective: float) -> None:
        """Show the current zoom (also in fit mode, and between presets)."""
        if self.view.zoom is None:
            self.zoom.setItemText(0, f"Fit ({effective * 100:.0f} %)")
            self.zoom.setCurrentIndex(0)
            return
        self.zoom.setItemText(0, "Fit")
        for i in range(1, self.zoom.count()):
            if abs(self.zoom.itemData(i) - effective) < 1e-3:
                self.zoom.setCurrentIndex(i)
                return
        self.zoom.setCurrentIndex(-1)
        self.zoom.setPlaceholderText(f"{effective * 100:.0f} %")

    def sync(self) -> None:
        self.mode_actions[self.view.mode].setChecked(True)
        self.diff_pane.blockSignals(True)
        self.diff_pane.setChecked(self.view.diff_pane)
        self.diff_pane.blockSignals(False)
        self.diff_pane.setEnabled(self.view.mode is ViewMode.SIDE_BY_SIDE)
        self.gain.blockSignals(True)
        self.gain.setValue(self.view.diff_gain)
        self.gain.blockSignals(False)
        self.gain.setEnabled(self.view.mode is ViewMode.DIFFERENCE or self.view.error_map_shown() or
                             (self.view.mode is ViewMode.SIDE_BY_SIDE and self.view.diff_pane))
        self.error_map.setCurrentIndex(self.error_map.findData(self.view.error_map))
        self.error_map.setEnabled(self.view.mode is not ViewMode.DIFFERENCE)
        self.loupe.blockSignals(True)
        self.loupe.setChecked(self.view.loupe)
        self.loupe.blockSignals(False)
