"""Side panel, readout, message bar, header panel, view toolbar, batch queue list."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt

from app.core.backends.msp import MspInfo
from app.core.batch import BatchQueue
from app.core.codecs import SideSettings
from app.core.image_io import image_from_array
from app.core.pipeline import original_outcome
from app.core.state import JobProgress, SideName, SideState, SideStatus
from app.core.view_state import ViewMode, ViewState
from app.widgets.batch_list import BatchQueueModel, BatchQueueView
from app.widgets.header_panel import HeaderPanel
from app.widgets.message_bar import MessageBar
from app.widgets.readout import ReadoutView
from app.widgets.side_panel import SidePanel
from app.widgets.view_toolbar import ViewToolbar


def test_side_panel_emits_settings_and_mirrors_state(qtbot) -> None:
    side = SideState(SideName.A, SideSettings("jpeg", 0.5))
    panel = SidePanel(side)
    qtbot.addWidget(panel)
    panel.set_msp_info(MspInfo(available=True, profiles=("fast", "balanced", "best"), devices=("cpu", "cuda")))
    assert not panel.device.isEnabled()  # classic codecs run on the CPU
    with qtbot.waitSignal(panel.settingsRequested) as blocker:
        panel.codec.setCurrentIndex(panel.codec.findData("msp-fast", Qt.ItemDataRole.UserRole + 1))
    assert blocker.args[0] == SideSettings("msp-fast", 0.5, "cpu")
    side.set_settings(blocker.args[0])
    assert panel.device.isEnabled() and panel.device.count() == 2
    with qtbot.waitSignal(panel.settingsRequested) as blocker:
        panel.quality.setValue(0.8)  # a release / keyboard step: tracking is off, so one request
    assert blocker.args[0].quality == 0.8
    side.set_status(SideStatus.RUNNING)
    assert panel.cancel_button.isEnabled()
    side.set_progress(JobProgress("lof", 0.25, "lof 10/40  0.412 bpp (estimated)"))
    assert panel.progress.value() == 250 and "estimated" in panel.progress.format()
    side.set_status(SideStatus.FAILED, "boom")
    assert not panel.cancel_button.isEnabled() and panel.status.text() == "boom"
    with qtbot.waitSignal(panel.copyRequested):
        panel.copy_button.click()


def test_side_panel_disables_msp_when_unavailable(qtbot) -> None:
    panel = SidePanel(SideState(SideName.B, SideSettings("vvc")))
    qtbot.addWidget(panel)
    panel.set_msp_info(MspInfo(available=False, reason="no model"))
    item = panel.codec.model().item(panel.codec.findData("msp-balanced", Qt.ItemDataRole.UserRole + 1))
    assert not item.isEnabled() and item.toolTip() == "no model"


def test_readout_shows_every_field(qtbot, image200) -> None:
    readout = ReadoutView()
    qtbot.addWidget(readout)
    readout.show_outcome(original_outcome(image200), image200)
    assert readout.text("PSNR") == "lossless"
    assert readout.text("bpp") == "24.0000"
    readout.show_outcome(None, image200)
    assert readout.text("PSNR") == "—"


def test_message_bar_is_non_blocking_and_dismissable(qtbot) -> None:
    bar = MessageBar(info_timeout_ms=50)
    qtbot.addWidget(bar)
    bar.show_message("error", "bad file")
    assert bar.isVisible() and bar.text() == "bad file"
    bar.dismiss()
    assert not bar.isVisible()
    bar.show_message("info", "saved")
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=2000)


def test_header_panel_shows_the_dump(qtbot) -> None:
    panel = HeaderPanel()
    qtbot.addWidget(panel)
    panel.show_header("x.msp", "format version : 1")
    assert panel.text.toPlainText() == "format version : 1" and "x.msp" in panel.title.text()


def test_view_toolbar_drives_the_view(qtbot) -> None:
    view = ViewState()
    toolbar = ViewToolbar(view)
    qtbot.addWidget(toolbar)
    toolbar.mode_actions[ViewMode.DIFFERENCE].trigger()
    assert view.mode is ViewMode.DIFFERENCE and toolbar.gain.isEnabled()
    toolbar.gain.setValue(16)
    assert view.diff_gain == 16
    toolbar.zoom.setCurrentIndex(2)
    toolbar.zoom.activated.emit(2)
    assert view.zoom == 2.0
    view.set_mode(ViewMode.SPLIT)
    assert toolbar.mode_actions[ViewMode.SPLIT].isChecked()


def test_batch_queue_model_and_view(qtbot, qtmodeltester, tmp_path: Path) -> None:
    for name in ("a.png", "b.jpg"):
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / name)
    (tmp_path / "notes.txt").write_text("not an image")
    queue = BatchQueue()
    view = BatchQueueView(queue)
    qtbot.addWidget(view)
    assert queue.add_folder(tmp_path) == 2
    model: BatchQueueModel = view.model
    qtmodeltester.check(model)
    assert model.rowCount() == 2 and model.index(0).data() == "a.png"
    with qtbot.waitSignal(view.openRequested) as blocker:
        view.list.doubleClicked.emit(model.index(1))
    assert blocker.args[0] == tmp_path / "b.jpg"
    view.clear_button.click()
    assert model.rowCount() == 0


def test_image_from_array_validates(qtbot) -> None:
    image = image_from_array(np.zeros((16, 16, 3), np.uint8))
    assert not image.pixels.flags.writeable
