"""Side panel, readout, message bar, header panel, view toolbar, batch queue list."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit, QSlider, QStyle, QStyleOptionSlider

from app.controller import StudioController
from app.core.backends.msp import MspInfo
from app.core.batch import BatchQueue
from app.core.codecs import SideSettings
from app.core.image_io import image_from_array
from app.core.jobs import Priority
from app.core.pipeline import original_outcome
from app.core.state import JobProgress, SideName, SideState, SideStatus
from app.core.view_state import ViewMode, ViewState
from app.widgets.batch_list import BatchQueueModel, BatchQueueView
from app.widgets.header_panel import HeaderPanel
from app.widgets.message_bar import MessageBar
from app.widgets.readout import ReadoutView
from app.widgets.side_panel import SidePanel
from app.widgets.view_toolbar import ViewToolbar

from tests.app.helpers import outcome
from tests.app.test_controller_parts import FakeService


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


# -- the quality slider, driven by real mouse and key events --------------------------------------
def _inner_slider(panel: SidePanel) -> QSlider:
    """The slider inside the labelled one: the widget that receives the mouse and the keys."""
    inner = panel.quality.findChild(QSlider)
    assert inner is not None
    return inner


def _knob(inner: QSlider) -> QPoint:
    option = QStyleOptionSlider()
    inner.initStyleOption(option)
    return inner.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                        QStyle.SubControl.SC_SliderHandle, inner).center()


def _drag_knob(inner: QSlider, to_x: int, label: QLineEdit) -> str:
    """Press on the knob, move to ``to_x`` in steps, release; returns the label's text before the release."""
    start = _knob(inner)
    QTest.mousePress(inner, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    step = 1 if to_x > start.x() else -1
    for x in range(start.x(), to_x + step, step * 10):
        QTest.mouseMove(inner, QPoint(x, start.y()))
    QTest.mouseMove(inner, QPoint(to_x, start.y()))
    while_dragging = label.text()
    QTest.mouseRelease(inner, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(to_x, start.y()))
    return while_dragging


def _shown_panel(qtbot, side: SideState) -> tuple[SidePanel, list[SideSettings]]:
    panel = SidePanel(side)
    qtbot.addWidget(panel)
    panel.resize(320, 600)
    panel.show()
    qtbot.waitExposed(panel)
    requested: list[SideSettings] = []
    panel.settingsRequested.connect(requested.append)
    panel.settingsRequested.connect(side.set_settings)  # as the controller applies them
    return panel, requested


def test_a_drag_of_the_quality_knob_encodes_where_it_is_released(qtbot) -> None:
    """Issue #18: after a drag the encode used the value from the press (0.56 -> 0.2 encoded 0.56)."""
    side = SideState(SideName.A, SideSettings("jpeg", 0.56))
    panel, requested = _shown_panel(qtbot, side)
    inner = _inner_slider(panel)
    label = panel.quality.findChild(QLineEdit)

    QTest.mouseClick(inner, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, _knob(inner))
    assert requested == [] and panel.quality.value() == 0.56  # grabbing the knob is no change

    for to_x, expected in ((inner.width() // 5, lambda q: q < 0.3), (inner.width() * 4 // 5, lambda q: q > 0.7)):
        before = len(requested)
        while_dragging = _drag_knob(inner, to_x, label)
        assert len(requested) == before + 1  # one encode per drag, at the release
        quality = requested[-1].quality
        assert expected(quality)
        assert quality == inner.sliderPosition() == panel.quality.value() == float(label.text())
        assert while_dragging == label.text()  # the label followed the knob
        assert side.settings.quality == quality


def test_quality_keys_and_typed_values_encode_once(qtbot) -> None:
    side = SideState(SideName.A, SideSettings("jpeg", 0.5))
    panel, requested = _shown_panel(qtbot, side)
    inner = _inner_slider(panel)
    label = panel.quality.findChild(QLineEdit)

    QTest.keyClick(inner, Qt.Key.Key_Right)
    assert [s.quality for s in requested] == [0.51] and float(label.text()) == 0.51
    QTest.keyClick(inner, Qt.Key.Key_PageDown)
    assert [s.quality for s in requested] == [0.51, 0.41] and float(label.text()) == 0.41

    label.setFocus()
    label.selectAll()
    QTest.keyClicks(label, "0.25")
    QTest.keyClick(label, Qt.Key.Key_Return)
    assert [s.quality for s in requested] == [0.51, 0.41, 0.25]
    assert inner.sliderPosition() == panel.quality.value() == float(label.text()) == 0.25


# -- the panel says what is on show ---------------------------------------------------------------
MSP_UP = MspInfo(available=True, profiles=("fast", "balanced", "best"), devices=("cpu",))


def _controller_with_panels(qtbot, a: SideSettings, b: SideSettings) -> tuple[StudioController, FakeService,
                                                                                 dict[SideName, SidePanel]]:
    """A real controller on a fake service, with both panels wired to it as the main window wires them."""
    service = FakeService()
    service.runner.msp_info = MSP_UP
    c = StudioController(a, b, service=service, sweep_enabled=False, auto_match=False)
    panels = {}
    for name in SideName:
        panel = SidePanel(c.state.side(name))
        qtbot.addWidget(panel)
        panel.show()
        panel.set_msp_info(MSP_UP)
        panel.settingsRequested.connect(lambda s, n=name: c.set_side_settings(n, s))
        panel.cancelRequested.connect(lambda n=name: c.cancel_side(n))
        panels[name] = panel
    return c, service, panels


def _codec_shown(panel: SidePanel) -> str:
    return panel.codec.currentData(Qt.ItemDataRole.UserRole + 1)


def test_a_decoded_msp_file_sets_b_controls_without_encoding(qtbot, image64) -> None:
    """Issue #18 item 6: after a .msp was decoded onto B, B's controls still said VVC."""
    c, service, panels = _controller_with_panels(qtbot, SideSettings("jpeg", 0.5), SideSettings("vvc", 0.5))
    c.set_image(image64)
    jobs_before = dict(service.runner.jobs)
    decoded = replace(outcome(image64.key, SideSettings("msp-best", 0.37)), source_name="photo.msp",
                      label="photo.msp", header_text="profile : best")
    service.bitstreamOpened.emit(1000, decoded, decoded.reconstruction)  # as the worker answers an open

    b = panels[SideName.B]
    assert c.state.b.result is decoded
    assert _codec_shown(b) == "msp-best" and b.quality.value() == 0.37
    assert service.runner.jobs == jobs_before  # nothing was encoded to get there
    assert c.state.b.status is SideStatus.DONE and b.readout.text("Codec") == "photo.msp"
    assert b.readout.isEnabled() and b.readout_note.isHidden()


def test_cancel_takes_the_controls_back_to_the_result_on_show(qtbot, image64) -> None:
    """Issue #18 item 6: after a cancel, A's codec box said MSP best while the readout showed MSP balanced."""
    balanced = SideSettings("msp-balanced", 0.5)
    c, service, panels = _controller_with_panels(qtbot, balanced, SideSettings("original"))
    a = panels[SideName.A]
    c.set_image(image64)
    service.jobFinished.emit(c.side_job(SideName.A), outcome(image64.key, balanced))

    a.codec.setCurrentIndex(a.codec.findData("msp-best", Qt.ItemDataRole.UserRole + 1))  # the user's choice
    job = c.side_job(SideName.A)
    assert service.runner.settings(job).codec == "msp-best"
    service.jobStarted.emit(job)
    assert not a.readout.isEnabled()  # the balanced numbers are about to go: dimmed ...
    assert a.readout_note.isVisible() and "MSP balanced" in a.readout_note.text()  # ... and named

    submitted = len(service.runner.jobs)
    a.cancel_button.click()
    assert job in service.runner.cancelled
    assert _codec_shown(a) == "msp-balanced" and c.state.a.settings == balanced  # what is on show
    assert a.readout.text("Codec").startswith("MSP balanced") and a.readout.isEnabled()
    assert a.readout_note.isHidden() and "back to MSP balanced" in a.status.text()
    assert len(service.runner.jobs) == submitted  # going back encoded nothing

    a.codec.setCurrentIndex(a.codec.findData("msp-best", Qt.ItemDataRole.UserRole + 1))  # and again: it runs
    assert service.runner.settings(c.side_job(SideName.A)).codec == "msp-best"


def test_a_side_being_re_encoded_marks_its_readout_as_the_earlier_result(qtbot, image64) -> None:
    side = SideState(SideName.A, SideSettings("jpeg", 0.5))
    panel = SidePanel(side)
    qtbot.addWidget(panel)
    panel.show()
    panel.set_image(image64)
    side.set_result(outcome(image64.key, SideSettings("jpeg", 0.5)))
    side.set_status(SideStatus.DONE)
    assert panel.readout.isEnabled() and panel.readout_note.isHidden()

    side.set_settings(SideSettings("jpeg", 0.8))
    for status in (SideStatus.QUEUED, SideStatus.RUNNING):
        side.set_status(status)
        assert not panel.readout.isEnabled()
        assert panel.readout_note.isVisible() and "JPEG q=0.50" in panel.readout_note.text()
    side.set_status(SideStatus.FAILED, "cjpeg crashed")
    assert panel.readout.isEnabled() and "JPEG q=0.50" in panel.readout_note.text()  # not the 0.8 above it

    side.set_result(outcome(image64.key, SideSettings("jpeg", 0.8)))
    side.set_status(SideStatus.DONE)
    assert panel.readout.isEnabled() and panel.readout_note.isHidden()


def test_cancel_while_a_preview_is_on_show_keeps_the_choice_it_previews(qtbot, image64) -> None:
    """The preview is the cancelled setting itself (without LOF): there is no earlier result to go back to."""
    best = SideSettings("msp-best", 0.5)
    c, service, panels = _controller_with_panels(qtbot, SideSettings("jpeg", 0.5), SideSettings("original"))
    a = panels[SideName.A]
    c.set_image(image64)
    service.jobFinished.emit(c.side_job(SideName.A), outcome(image64.key, SideSettings("jpeg", 0.5)))
    a.codec.setCurrentIndex(a.codec.findData("msp-best", Qt.ItemDataRole.UserRole + 1))
    preview, real = service.runner.live(Priority.INTERACTIVE)[-2:]
    assert service.runner.settings(preview).codec != "msp-best" and service.runner.settings(real) == best
    service.jobFinished.emit(preview, outcome(image64.key, service.runner.settings(preview)))
    assert "preview" in a.readout_note.text()

    a.cancel_button.click()
    assert _codec_shown(a) == "msp-best" and c.state.a.settings == best
    assert c.state.a.status is SideStatus.CANCELLED and "preview" in a.readout.text("Codec")
    assert "preview" in a.readout_note.text()  # still saying what is shown: not the settings above


def test_a_side_being_matched_says_so_in_its_panel(qtbot) -> None:
    """Issue #18 item 2: while B's bitrate is matched to A's, B's panel says so (B is about to change)."""
    side = SideState(SideName.B, SideSettings("vvc", 0.5))
    panel = SidePanel(side)
    qtbot.addWidget(panel)
    side.set_activity("Matching A's bitrate (0.400 bpp): trying q=0.500")
    assert panel.status.text().startswith("Matching A's bitrate")
    side.set_activity("")
    assert panel.status.text() == ""
