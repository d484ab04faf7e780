"""The main window: assembles the widgets around one :class:`StudioController`, and gives it the
real :class:`EncodeService` to run its jobs on.

Owns no logic of its own beyond wiring, menus, drag and drop, hold-to-flip and persistence.
Nothing here blocks: file dialogs are the only modal windows, and work continues behind them.

The layout holds from a projector's 1280x720 down to the minimum size: the side panels scroll
rather than squeeze their rows together, the message bar floats over the canvas (a message never
moves it), the status bar's fields elide, and the RD dock keeps its share of the height.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeyEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from codec.image_io import IMAGE_SUFFIXES

from app.cache_location import rd_cache_dir
from app.controller import StudioController
from app.core.backends.msp import MspInfo
from app.core.backends.reference import load_vtm_kodak
from app.core.bitrate_matcher import SearchReport, report_text
from app.core.codecs import SideSettings, extension_of
from app.core.image_io import LoadedImage
from app.core.rd_disk_cache import RDDiskCache
from app.core.resources import DEMO_IMAGE
from app.core.state import SideName, SideState, SideStatus
from app.settings_store import AppSettings
from app.widgets.batch_list import BatchQueueView
from app.widgets.batch_panel import BatchPanel
from app.widgets.bits_panel import BitsPanel, BitsPresenter
from app.widgets.bookmark_menu import BookmarkMenu
from app.widgets.canvas import ComparisonCanvas
from app.widgets.dock_height import DockHeightKeeper
from app.widgets.elided_label import ElidedLabel
from app.widgets.header_panel import HeaderPanel
from app.widgets.message_bar import MessageBar
from app.widgets.presentation import PresentationMode
from app.widgets.rd_lof_path import LofPathMarks
from app.widgets.rd_plot import RDPlot
from app.widgets.rd_probes import ProbeMarks
from app.widgets.shortcut_help import show_shortcut_help
from app.widgets.side_panel import SidePanel
from app.widgets.snapshot_export import SnapshotExport
from app.widgets.view_toolbar import ViewToolbar
from app.workers.service import EncodeService

__all__ = ["MainWindow", "DEFAULT_A", "DEFAULT_B"]

DEFAULT_A = SideSettings("msp-balanced", 0.5, "cpu")
DEFAULT_B = SideSettings("vvc", 0.5, "cpu")
MINIMUM_SIZE = (1000, 680)
_STATUS_LEFT = 6  # QStatusBar draws its message from here ...
_STATUS_GAP = 12  # ... to this far left of its first field
# Most of the status bar's width each field may take (the rest is the temporary message's room).
_FIELD_SHARES = {"image": 0.28, "sweep": 0.10, "device": 0.12, "model": 0.18}
BITS_DOCK_WIDTH = 470  # the bits table's columns, with a step's longest name
RD_SHARE = 0.35  # of the height below the toolbar: at 1280x720 the side panels just fit above the plot
_IMAGE_FILTER = "Images ({});;MSP bitstreams (*.msp);;All files (*)".format(
    " ".join(f"*{s}" for s in IMAGE_SUFFIXES))


class MainWindow(QMainWindow):
    def __init__(self, settings: AppSettings, *, image: Path | None = None, open_demo: bool = True,
                 sweep: bool | None = None, pool_threads: int | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.setWindowTitle("MSP Studio")
        self.setMinimumSize(*MINIMUM_SIZE)
        self.resize(1500, 940)
        self.setAcceptDrops(True)

        first_start = not settings.has_sides()
        side_a = settings.side(SideName.A, DEFAULT_A)
        side_b = settings.side(SideName.B, DEFAULT_B)
        self.controller = StudioController(
            side_a, side_b, service=EncodeService(pool_threads=pool_threads, parent=self),
            sweep_enabled=settings.sweep_enabled if sweep is None else sweep,
            auto_match=True if first_start else settings.auto_match,
            rd_cache=RDDiskCache(rd_cache_dir(settings)), parent=self)
        c = self.controller
        view = c.view
        view.mode = settings.view_mode
        view.diff_gain = settings.diff_gain
        view.diff_pane = settings.diff_pane
        view.divider = settings.divider

        # -- central area: panel A | canvas | panel B; the message bar floats over the canvas -------
        self.canvas = ComparisonCanvas(view)
        self.messages = MessageBar()
        self.messages.attach(self.canvas)
        self.panels = {SideName.A: SidePanel(c.state.a), SideName.B: SidePanel(c.state.b)}
        self.panel_scrolls = {name: self._scrolling(panel, f"panelScroll{name.value}")
                              for name, panel in self.panels.items()}
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("mainSplitter")
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.panel_scrolls[SideName.A])
        splitter.addWidget(self.canvas)
        splitter.addWidget(self.panel_scrolls[SideName.B])
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setStretchFactor(2, 0)
        splitter.setSizes([290, 920, 290])
        self.splitter = splitter
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.setSpacing(4)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)

        self.toolbar = ViewToolbar(view, self)
        self.addToolBar(self.toolbar)
        self.rd_plot = RDPlot(c.rd)
        self.rd_plot.set_reference(load_vtm_kodak())
        self.rd_probes = ProbeMarks(self.rd_plot)
        self.rd_lof = LofPathMarks(self.rd_plot, c.lof)
        self.batch_view = BatchQueueView(c.batch)
        self.header_panel = HeaderPanel()
        self.rd_dock = self._dock("RD plot", "rdDock", self.rd_plot, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.batch_dock = self._dock("Batch queue", "batchDock", self.batch_view, Qt.DockWidgetArea.RightDockWidgetArea)
        self.header_dock = self._dock("Bitstream header", "headerDock", self.header_panel,
                                      Qt.DockWidgetArea.RightDockWidgetArea)
        self.batch_panel = BatchPanel(c.batch_run, c.batch)
        self.batch_run_dock = self._dock("Batch run", "batchRunDock", self.batch_panel,
                                         Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.batch_dock, self.batch_run_dock)
        self.tabifyDockWidget(self.batch_dock, self.header_dock)
        self.bits_panel = BitsPanel(view)
        self.bits_dock = self._dock("Where the bits go", "bitsDock", self.bits_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.header_dock, self.bits_dock)
        self.bits = BitsPresenter(c.bits, c.state, view, self.canvas, self.bits_panel, self)
        self.batch_dock.hide()
        self.batch_run_dock.hide()
        self.header_dock.hide()
        self.bits_dock.hide()
        self.rd_height = DockHeightKeeper(self, self.rd_dock, RD_SHARE)

        # -- status bar: fields that elide, so that they and the temporary message all fit ---------
        self.image_label = ElidedLabel("No image")
        self.device_label = ElidedLabel("Device: CPU")
        self.model_label = ElidedLabel("Model: loading…")
        self.sweep_label = ElidedLabel("")
        self.sweep_label.hide()  # until a sweep runs
        self._status_fields = {"image": self.image_label, "sweep": self.sweep_label, "device": self.device_label,
                               "model": self.model_label}
        for widget in self._status_fields.values():
            widget.set_separator(True)
            self.statusBar().addPermanentWidget(widget)
        self.image_label.setToolTip("The reference image: format, size in pixels and file size")
        self.device_label.setToolTip("Devices the MSP model can run on")
        self.model_label.setToolTip("Identifier of the MSP model weights in use")

        self.snapshot_export = SnapshotExport(self.canvas, c, settings, self)
        self._build_menus()
        self._connect()
        self._restore_window()
        app = QApplication.instance()
        if app is not None:  # always: a widget needs the application
            app.installEventFilter(self)
        self._flip_held = False

        if image is not None:
            c.open_path(Path(image))
        elif open_demo:
            # First start: the bundled demo image; later starts: the image last worked on.
            last = Path(settings.last_image) if settings.last_image else None
            start = last if last is not None and last.is_file() else DEMO_IMAGE
            if start.exists():
                c.open_path(start)

    # -- construction helpers ------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_status_fields()

    def _fit_status_fields(self) -> None:
        """Cap each status field at its share of the width, so that the message keeps some room."""
        width = self.width()
        for key, field in self._status_fields.items():
            field.setMaximumWidth(max(field.minimumSizeHint().width(), int(width * _FIELD_SHARES[key])))

    @staticmethod
    def _scrolling(panel: QWidget, name: str) -> QScrollArea:
        """``panel`` in a frameless vertical scroll area: where the window is too short for it, it
        scrolls instead of squeezing its rows until their text overlaps."""
        scroll = QScrollArea()
        scroll.setObjectName(name)
        scroll.setWidget(panel)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        width = max(panel.minimumWidth(), panel.minimumSizeHint().width())
        scroll.setMinimumWidth(width + scroll.verticalScrollBar().sizeHint().width())
        return scroll

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable |
                         QDockWidget.DockWidgetFeature.DockWidgetFloatable |
                         QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, menu, text: str, slot, shortcut: str | QKeySequence | QKeySequence.StandardKey | None = None, tip: str = "",
                checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        c = self.controller
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&Open image…", self.open_dialog, QKeySequence.StandardKey.Open,
                     "Open an image (or a .msp bitstream) as the reference")
        self._action(file_menu, "Open &bitstream (.msp)…", self.open_bitstream_dialog, "Ctrl+Shift+O",
                     "Decode a .msp file and show its header")
        self._action(file_menu, "Open &demo image", lambda: c.open_path(DEMO_IMAGE), None,
                     "Kodak kodim23, bundled with the app")
        file_menu.addSeparator()
        self._action(file_menu, "&Save A bitstream…", lambda: self.save_bitstream_dialog(SideName.A),
                     QKeySequence.StandardKey.Save, "Save side A's compressed file (.msp for MSP)")
        self._action(file_menu, "Save B bitstream…", lambda: self.save_bitstream_dialog(SideName.B), "Ctrl+Shift+S",
                     "Save side B's compressed file")
        self._action(file_menu, "&Export A reconstruction (PNG)…", lambda: self.export_dialog(SideName.A), "Ctrl+E",
                     "Save side A's decoded image as PNG (never over the original)")
        self._action(file_menu, "Export B reconstruction (PNG)…", lambda: self.export_dialog(SideName.B),
                     "Ctrl+Shift+E", "Save side B's decoded image as PNG")
        self._action(file_menu, "Export comparison snapshot (PNG)…", self.snapshot_export.dialog, "Ctrl+Shift+P",
                     "Both sides' crops in view, side by side, captioned with codec, size, bpp, PSNR and MS-SSIM")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        compare = bar.addMenu("&Compare")
        self._action(compare, "Copy settings A → B", lambda: c.copy_settings(SideName.A), "Ctrl+]",
                     "Give side B the codec, quality and device of side A")
        self._action(compare, "Copy settings B → A", lambda: c.copy_settings(SideName.B), "Ctrl+[",
                     "Give side A the codec, quality and device of side B")
        self._action(compare, "&Match B's bitrate to A", lambda: c.start_match(SideName.B), "Ctrl+M",
                     "Search B's quality so that its size is closest to A's")
        compare.addSeparator()
        self._action(compare, "&Cancel encodes", self.cancel_all, "Esc", "Stop both sides' encodes")
        self.sweep_action = self._action(compare, "Background RD &sweep", self.toggle_sweep, "Ctrl+R",
                                         "Measure every codec at several qualities on this image, in the background",
                                         checkable=True)
        self.sweep_action.setChecked(c.sweep_enabled)

        view_menu = bar.addMenu("&View")
        for action in self.toolbar.mode_actions.values():
            view_menu.addAction(action)
        view_menu.addAction(self.toolbar.diff_pane)
        view_menu.addAction(self.toolbar.next_error_map)
        view_menu.addAction(self.toolbar.loupe)
        view_menu.addSeparator()
        self._action(view_menu, "Zoom &in", lambda: self.canvas.zoom_step(1), QKeySequence.StandardKey.ZoomIn)
        self._action(view_menu, "Zoom &out", lambda: self.canvas.zoom_step(-1), QKeySequence.StandardKey.ZoomOut)
        self._action(view_menu, "&Fit", c.view.fit, "Ctrl+0", "Fit the image to the view")
        for zoom, key in ((1.0, "Ctrl+1"), (2.0, "Ctrl+2"), (4.0, "Ctrl+4"), (8.0, "Ctrl+8")):
            self._action(view_menu, f"{zoom * 100:.0f} %", lambda _=False, z=zoom: c.view.set_zoom(z), key)
        self._action(view_menu, "Gain up (difference, error maps)", lambda: c.view.set_diff_gain(c.view.diff_gain * 2),
                     "G")
        self._action(view_menu, "Gain down (difference, error maps)", lambda: c.view.set_diff_gain(c.view.diff_gain / 2),
                     "Shift+G")
        for action in self.bits_panel.toggles.values():
            view_menu.addAction(action)
            action.toggled.connect(self._bits_toggled)
        view_menu.addSeparator()
        for dock in (self.rd_dock, self.batch_dock, self.batch_run_dock, self.header_dock, self.bits_dock):
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addSeparator()
        self.bookmarks = BookmarkMenu(view_menu.addMenu("View &bookmarks"), c.view, self.settings, self)
        present = self._action(view_menu, "&Presentation mode (full screen)", self._set_presenting, "F11",
                               "The canvas alone, full screen; F11 or Esc leaves", checkable=True)
        self.presentation = PresentationMode(self, self.canvas, present)

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Keyboard shortcuts", self.show_shortcuts, QKeySequence.StandardKey.HelpContents)

    def _connect(self) -> None:
        c = self.controller
        c.message.connect(self.show_message)
        c.mspInfoChanged.connect(self._on_msp_info)
        c.headerOpened.connect(self._on_header)
        c.imageLoading.connect(lambda name: self.show_status(f"Opening {name}…", 3000))
        c.sweepProgress.connect(self._on_sweep_progress)
        c.matchStatus.connect(lambda text: self.show_status(text, 6000))
        c.searchProbed.connect(self.rd_probes.show)
        c.searchEnded.connect(self._on_search_ended)
        c.state.image_changed.connect(lambda image: self.bookmarks.set_image(image.key))
        self.bookmarks.status.connect(lambda text: self.show_status(text, 4000))
        self.snapshot_export.message.connect(self.show_message)
        c.state.image_changed.connect(self._on_image)
        self.canvas.zoomChanged.connect(self.toolbar.show_zoom)
        self.rd_plot.pointClicked.connect(
            lambda settings, to_b: c.load_point(settings, SideName.B if to_b else SideName.A))
        self.batch_view.openRequested.connect(c.open_path)
        c.batch.changed.connect(lambda: self.batch_dock.show() if len(c.batch) else None)
        c.batch.changed.connect(lambda: self.batch_run_dock.show() if len(c.batch) else None)
        self.batch_panel.message.connect(self.show_message)
        for name, panel in self.panels.items():
            panel.settingsRequested.connect(lambda s, n=name: c.set_side_settings(n, s))
            panel.copyRequested.connect(lambda n=name: c.copy_settings(n))
            panel.cancelRequested.connect(lambda n=name: c.cancel_side(n))
            panel.target.targetRequested.connect(lambda size, n=name: c.start_target(n, size))
            side = c.state.side(name)
            side.result_changed.connect(self._on_side_changed)
            side.metrics_changed.connect(lambda s: self.rd_plot.highlight(s.name.value, s.result))
            side.status_changed.connect(self._on_side_changed)
            side.settings_changed.connect(self._on_side_changed)

    def _restore_window(self) -> None:
        geometry = self.settings.geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.window_state()
        if state is not None and self.restoreState(state):
            share = self.settings.rd_share
            if share is not None:
                self.rd_height.share = share  # its proportion, whatever size the window opens at
            else:
                self.rd_height.restored()  # settings from before the share was saved: the restored height

    def set_rd_height(self, pixels: int) -> None:
        """Give the RD plot dock ``pixels`` of height, and that share of the window's from now on."""
        self.rd_height.set_height(pixels)

    # -- state -> widgets -------------------------------------------------------------------------
    def _on_image(self, image: LoadedImage) -> None:
        self.image_label.setText(image.describe())
        self.setWindowTitle(f"{image.name} — MSP Studio")
        for panel in self.panels.values():
            panel.set_image(image)
        self.canvas.set_original(image.pixels)
        if image.path is not None:
            self.settings.last_image = str(image.path)

    def _on_side_changed(self, side: SideState) -> None:
        result = side.result
        busy = {SideStatus.QUEUED: "queued…", SideStatus.RUNNING: "encoding…"}.get(side.status, "")
        ended = {SideStatus.FAILED: "failed", SideStatus.CANCELLED: "cancelled"}.get(side.status, "")
        # While a side re-encodes, its previous result stays visible, dimmed, under a note; before
        # its first result the original stands in, so a new image is on screen at once.
        pending = busy or (ended if result is None else "")
        if side.status is SideStatus.RUNNING and side.message:
            pending = side.message  # e.g. "refining with LOF…" over a preview
        label = result.label if result is not None else side.settings.label()
        image = self.controller.state.image
        stand_in = result is None and bool(busy) and image is not None
        pixels = result.reconstruction if result is not None else (image.pixels if stand_in and image else None)
        if stand_in:
            pending = f"{busy} (showing the original)"
        self.canvas.set_side(side.name.value, pixels, label, pending, stand_in=stand_in)
        self.rd_plot.highlight(side.name.value, result)

    def _on_search_ended(self, report: SearchReport) -> None:
        """A target size reached, or out of reach: the side's box says so, and so does the message
        bar (a warning when out of reach). A bitrate match's end is news for the status bar only."""
        if report.target is None:
            return
        self.panels[report.side].target.show_report(report)
        self.show_message("info" if report.reachable else "warning", f"Side {report.side.value}: {report_text(report)}")

    def _on_msp_info(self, info: MspInfo) -> None:
        for panel in self.panels.values():
            panel.set_msp_info(info)
        gpu = [d for d in info.devices if d != "cpu"]
        self.device_label.setText("Device: CPU" + (f" + {', '.join(d.upper() for d in gpu)}" if gpu else ""))
        if info.available:
            source = f" ({Path(info.model_source).name})" if info.model_source else ""
            self.model_label.setText(f"Model: {info.model_id or 'unknown'}{source}")
            self.model_label.setToolTip("MSP weights in use; profiles: " + ", ".join(info.profiles))
        else:
            self.model_label.setText("Model: unavailable")
            self.model_label.setToolTip(info.reason)

    def _bits_toggled(self, on: bool) -> None:
        if on:
            self.show_bits_dock()

    def show_bits_dock(self) -> None:
        """Open the bits table beside the canvas, wide enough for its columns."""
        self.bits_dock.show()
        self.bits_dock.raise_()
        self.resizeDocks([self.bits_dock], [BITS_DOCK_WIDTH], Qt.Orientation.Horizontal)

    def _on_header(self, title: str, dump: str) -> None:
        self.header_panel.show_header(title, dump)
        self.header_dock.show()
        self.header_dock.raise_()

    def _on_sweep_progress(self, done: int, total: int) -> None:
        self.sweep_label.setText(f"RD sweep {done}/{total}" if total and done < total else
                                 (f"RD sweep done ({total})" if total else ""))
        self.sweep_label.setVisible(bool(self.sweep_label.text()))

    def show_message(self, level: str, text: str) -> None:
        self.messages.show_message(level, text)
        self.show_status(text, 5000)

    def status_message_room(self) -> int:
        """The width the status bar's temporary message has: up to its first field, less a gap."""
        bar = self.statusBar()
        fields = [w for w in self._status_fields.values() if w.isVisible()]
        right = min((w.x() for w in fields), default=bar.width()) - _STATUS_GAP
        return max(0, right - _STATUS_LEFT)

    def show_status(self, text: str, timeout_ms: int) -> None:
        """A temporary status-bar message, elided to the room left of the fields (the full text is
        in the message bar or the field's tooltip): Qt would cut it off mid-word at the first field."""
        bar = self.statusBar()
        room = self.status_message_room()
        metrics = bar.fontMetrics()
        if metrics.horizontalAdvance(text) > room:
            text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, room)
        bar.showMessage(text, timeout_ms)

    # -- actions ------------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", self.settings.last_dir, _IMAGE_FILTER)
        if path:
            self.settings.last_dir = str(Path(path).parent)
            self.controller.open_path(Path(path))

    def open_bitstream_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open MSP bitstream", self.settings.last_dir,
                                              "MSP bitstreams (*.msp);;All files (*)")
        if path:
            self.settings.last_dir = str(Path(path).parent)
            self.controller.open_path(Path(path))

    def _suggested(self, name: SideName, suffix: str) -> str:
        image = self.controller.image
        side = self.controller.state.side(name)
        stem = Path(image.name).stem if image is not None else "image"
        codec = side.settings.codec.replace(":", "-")
        return str(Path(self.settings.last_dir) / f"{stem}.{codec}-q{side.settings.quality:.2f}{suffix}")

    def save_bitstream_dialog(self, name: SideName) -> None:
        side = self.controller.state.side(name)
        if side.result is None or not side.result.data:
            self.show_message("warning", f"Side {name.value} has no bitstream yet")
            return
        ext = extension_of(side.settings.codec)
        path, _ = QFileDialog.getSaveFileName(self, f"Save side {name.value} bitstream",
                                              self._suggested(name, ext), f"Bitstream (*{ext});;All files (*)")
        if path:
            self.settings.last_dir = str(Path(path).parent)
            self.controller.save_bitstream(name, Path(path))

    def export_dialog(self, name: SideName) -> None:
        if self.controller.state.side(name).result is None:
            self.show_message("warning", f"Side {name.value} has no reconstruction yet")
            return
        path, _ = QFileDialog.getSaveFileName(self, f"Export side {name.value} reconstruction",
                                              self._suggested(name, ".png"), "PNG image (*.png)")
        if path:
            if not path.lower().endswith(".png"):
                path += ".png"
            self.settings.last_dir = str(Path(path).parent)
            self.controller.export_png(name, Path(path))

    def cancel_all(self) -> None:
        for name in SideName:
            self.controller.cancel_side(name)

    def toggle_sweep(self, enabled: bool) -> None:
        if enabled:
            self.controller.start_sweep()
        else:
            self.controller.stop_sweep(disable=True)

    def _set_presenting(self, on: bool) -> None:
        self.presentation.set_presenting(on)

    def show_shortcuts(self) -> None:
        show_shortcut_help(self)

    # -- hold-to-flip, drag and drop ------------------------------------------------------------------
    def _typing(self) -> bool:
        focus = QApplication.focusWidget()
        return isinstance(focus, (QLineEdit, QAbstractSpinBox, QPlainTextEdit, QComboBox))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) and self.isActiveWindow():
            key_event = cast(QKeyEvent, event)  # the type says so
            if key_event.key() == Qt.Key.Key_Space and not self._typing():
                if not key_event.isAutoRepeat():
                    self.set_flip(event.type() == QEvent.Type.KeyPress)
                return True  # Space is ours (not a button click) while the window is active
        return super().eventFilter(watched, event)

    def set_flip(self, held: bool) -> None:
        self._flip_held = held
        self.controller.view.set_flipped(held)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.controller.open_paths(paths)

    # -- shutdown -----------------------------------------------------------------------------------
    def save_settings(self) -> None:
        self.presentation.set_presenting(False)  # the layout to keep is the window's own, not the full screen
        s = self.settings
        c = self.controller
        for name in SideName:
            s.set_side(name, c.state.side(name).settings)
        s.view_mode = c.view.mode
        s.diff_gain = c.view.diff_gain
        s.diff_pane = c.view.diff_pane
        s.divider = c.view.divider
        s.sweep_enabled = c.sweep_enabled
        s.auto_match = c.auto_match
        s.set_window(self.saveGeometry(), self.saveState())
        s.rd_share = self.rd_height.share
        s.sync()

    def shutdown(self) -> None:
        """Persist settings and stop every worker; safe to call twice."""
        if getattr(self, "_shut_down", False):
            return
        self._shut_down = True
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.save_settings()
        self.canvas.error_maps.shutdown()
        self.controller.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        self.hide()  # disappear at once; stopping the workers may take a moment
        self.shutdown()
        super().closeEvent(event)
