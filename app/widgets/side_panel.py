"""One side's controls: codec, quality (encodes on release), device, target size, copy, cancel,
progress, and its readout. Talks to the controller only; mirrors the side's state through its events."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.core.backends.msp import MspInfo
from app.core.codecs import ORIGINAL, ORIGINAL_TITLE, SideSettings, has_devices, menu_codecs, on_model_thread, reports_progress
from app.core.formatting import readout_rows
from app.core.image_io import LoadedImage
from app.core.state import SideName, SideState, SideStatus
from app.widgets.quality_slider import QualitySlider
from app.widgets.readout import ReadoutView
from app.widgets.target_size_box import TargetSizeBox

__all__ = ["SidePanel"]

_KEY_ROLE = Qt.ItemDataRole.UserRole + 1


class SidePanel(QGroupBox):
    """Controls for side A or B. Emits ``settingsRequested`` when the user changes something."""

    settingsRequested = Signal(object)  # SideSettings
    copyRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, side: SideState, parent: QWidget | None = None) -> None:
        super().__init__(f"Side {side.name.value}", parent)
        self.side = side
        self._image: LoadedImage | None = None
        self._msp = MspInfo(available=False, reason="MSP codec is loading")
        self._updating = False
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.setMinimumWidth(280)

        self.codec = QComboBox()
        self.codec.setToolTip("Codec for this side: an MSP profile, a classic codec, or the original")
        self._codec_model = QStandardItemModel(self.codec)
        self.codec.setModel(self._codec_model)
        self.quality = QualitySlider()
        self.quality.setRange(0.0, 1.0)
        # superqt annotates these int for every labeled slider; the double slider's take a float.
        self.quality.setSingleStep(0.01)  # type: ignore[arg-type]
        self.quality.setPageStep(0.1)  # type: ignore[arg-type]
        self.quality.setTracking(False)  # encode on release, not on every pixel of the drag
        self.quality.setToolTip("Normalised quality, 0 (smallest) .. 1 (best); encodes when released")
        self.device = QComboBox()
        self.device.setToolTip("Where the MSP model runs; classic codecs always run on the CPU")
        self.target = TargetSizeBox()
        arrow = "→ B" if side.name is SideName.A else "→ A"
        self.copy_button = QPushButton(f"Copy settings {arrow}")
        self.copy_button.setToolTip("Give the other side this side's codec, quality and device")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop this side's encode (Esc stops both)")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout = ReadoutView()
        self.readout_note = QLabel("")
        self.readout_note.setWordWrap(True)
        self.readout_note.setStyleSheet("color: palette(mid); font-style: italic;")
        self.readout_note.hide()

        form = QVBoxLayout(self)
        # Each control with its caption beside it: at 1280x720 the readout stays unscrolled.
        controls = QFormLayout()
        controls.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        controls.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for caption, widget, buddy in (("Codec", self.codec, self.codec), ("Quality", self.quality, self.quality),
                                       ("Device", self.device, self.device), ("Target", self.target, self.target.edit)):
            label = QLabel(caption)
            label.setBuddy(buddy)
            controls.addRow(label, widget)
        form.addLayout(controls)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.cancel_button)
        form.addLayout(buttons)
        form.addWidget(self.progress)
        form.addWidget(self.status)
        form.addSpacing(6)
        form.addWidget(self.readout_note)
        form.addWidget(self.readout)
        form.addStretch(1)

        self._fill_codecs()
        self._fill_devices(("cpu",))
        self.codec.currentIndexChanged.connect(self._emit_settings)
        self.quality.valueChanged.connect(self._emit_settings)
        self.device.currentIndexChanged.connect(self._emit_settings)
        self.copy_button.clicked.connect(self.copyRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)
        side.settings_changed.connect(lambda _s: self._sync_settings())
        side.status_changed.connect(lambda _s: self._sync_status())
        side.progress_changed.connect(lambda _s: self._sync_progress())
        side.result_changed.connect(lambda _s: self._sync_result())
        side.metrics_changed.connect(lambda _s: self._sync_result())
        side.activity_changed.connect(lambda _s: self._sync_status())
        self._sync_settings()
        self._sync_status()

    # -- population ----------------------------------------------------------------------------
    def _fill_codecs(self) -> None:
        model = self._codec_model
        self._updating = True
        model.clear()
        rows = [(ORIGINAL, ORIGINAL_TITLE, "the uncompressed reference")]
        rows += [(entry.key, entry.title, entry.summary) for entry in menu_codecs()]
        for key, label, tip in rows:
            item = QStandardItem(label)
            item.setData(key, _KEY_ROLE)
            item.setToolTip(tip)
            if on_model_thread(key) and not self._msp.available:
                item.setEnabled(self._msp.reason == "MSP codec is loading")
                item.setToolTip(self._msp.reason)
            model.appendRow(item)
        self._updating = False
        self._sync_settings()

    def _fill_devices(self, devices: tuple[str, ...]) -> None:
        self._updating = True
        self.device.clear()
        for name in devices:
            self.device.addItem(name.upper() if name == "cpu" else name.upper() + " (GPU)", name)
        self._updating = False

    def set_msp_info(self, info: MspInfo) -> None:
        self._msp = info
        self._fill_devices(info.devices)
        self._fill_codecs()

    def set_image(self, image: LoadedImage | None) -> None:
        self._image = image
        self._sync_result()

    # -- user -> controller ---------------------------------------------------------------------
    def current_settings(self) -> SideSettings:
        key = self.codec.currentData(_KEY_ROLE) or self.side.settings.codec
        return SideSettings(key, self.quality.value(), self.device.currentData() or "cpu")

    def _emit_settings(self, *_args: object) -> None:
        if self._updating:
            return
        settings = self.current_settings()
        if settings != self.side.settings:
            self.settingsRequested.emit(settings)

    # -- state -> widgets -----------------------------------------------------------------------
    def _sync_settings(self) -> None:
        settings = self.side.settings
        self._updating = True
        index = self.codec.findData(settings.codec, _KEY_ROLE)
        if index < 0:
            index = 0
        self.codec.setCurrentIndex(index)
        self.quality.setValue(settings.quality)
        self.quality.setEnabled(not settings.is_original)
        self.target.setEnabled(not settings.is_original)
        device_index = self.device.findData(settings.device)
        self.device.setCurrentIndex(max(0, device_index))
        self.device.setEnabled(has_devices(settings.codec) and self.device.count() > 1)
        self._updating = False
        self._sync_readout_state()

    def _sync_status(self) -> None:
        status = self.side.status
        busy = status in (SideStatus.QUEUED, SideStatus.RUNNING)
        self.cancel_button.setEnabled(busy)
        if status is SideStatus.RUNNING and not reports_progress(self.side.settings.codec):
            self.progress.setRange(0, 0)  # a codec that reports no progress: indeterminate
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(1000 if status is SideStatus.DONE else 0)
        running = self.side.message if status is SideStatus.RUNNING and self.side.message else "encoding…"
        self.progress.setFormat({SideStatus.QUEUED: "queued", SideStatus.RUNNING: running,
                                 SideStatus.DONE: "done", SideStatus.FAILED: "failed",
                                 SideStatus.CANCELLED: "cancelled"}.get(status, ""))
        # A failure or cancel is the side's news; otherwise background work about it (a bitrate match).
        text = self.side.message if status in (SideStatus.FAILED, SideStatus.CANCELLED) else self.side.activity
        self.status.setText(text)
        self.status.setStyleSheet("color: #c0392b;" if status is SideStatus.FAILED else "")
        self._sync_readout_state()

    def _sync_progress(self) -> None:
        progress = self.side.progress
        if progress is None:
            return
        if progress.fraction is None:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * progress.fraction))
        self.progress.setFormat(progress.text)

    def _sync_result(self) -> None:
        self.readout.show_outcome(self.side.result, self._image)
        self._sync_readout_state()

    def _sync_readout_state(self) -> None:
        """Mark a readout that is not the controls' result: dimmed while the side encodes (its
        numbers are about to be replaced), and named whenever the result on show was made with
        other settings than the controls say (during an encode, or after one failed)."""
        side = self.side
        busy = side.status in (SideStatus.QUEUED, SideStatus.RUNNING)
        self.readout.setEnabled(not busy)
        result = side.result
        if result is None or side.result_matches_settings:
            self.readout_note.hide()
            return
        shown = readout_rows(result, self._image)["Codec"]
        self.readout_note.setText(f"Shown until the encode is done: {shown}" if busy else
                                  f"Shown: an earlier result, {shown}")
        self.readout_note.show()
