"""The window's layout at a projector's 1280x720 and at the minimum size (issue #18, item 5).

Each test shows the real main window, resizes it, lets Qt lay it out, and checks geometry: rows
and fields do not overlap, text fits its label (by QFontMetrics), the RD dock gets its height back
after the window shrinks and grows, and a message never moves the canvas.
"""

from __future__ import annotations

from itertools import combinations

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from app.core.codecs import SideSettings
from app.core.image_io import image_from_array
from app.core.state import SideName
from app.core.view_state import ViewMode
from app.widgets.main_window import MINIMUM_SIZE, RD_SHARE, MainWindow

from tests.app.conftest import make_pixels
from tests.app.helpers import make_window, outcome

SIZES = [pytest.param((1280, 720), id="1280x720"), pytest.param(MINIMUM_SIZE, id="minimum")]
LONG_NAME = "kodim23-a-rather-long-file-name-from-the-projector-laptop.png"


@pytest.fixture
def window(qtbot, app_settings) -> MainWindow:
    return make_window(qtbot, app_settings, SideSettings("msp-balanced", 0.5), SideSettings("vvc", 0.56))


def settle(qtbot, window: MainWindow, size: tuple[int, int]) -> None:
    window.resize(*size)
    qtbot.waitUntil(lambda: window.size().toTuple() == size, timeout=2000)
    for _ in range(3):  # resize, then the layout requests it posts, then the docks they move
        QApplication.processEvents()
        qtbot.wait(10)


def in_window(widget: QWidget, window: MainWindow) -> QRect:
    return QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())


def fill_readouts(window: MainWindow) -> None:
    """Numbers as long as real ones (two-line sizes, estimated rates, MS-SSIM with dB)."""
    image = image_from_array(make_pixels(200), name=LONG_NAME)
    results = {SideName.A: outcome("img", SideSettings("msp-balanced", 0.5), bpp=0.2516, psnr=33.65, size=200),
               SideName.B: outcome("img", SideSettings("vvc", 0.56), bpp=0.2598, psnr=37.07, size=200)}
    for name, panel in window.panels.items():
        panel.readout.show_outcome(results[name], image)


def text_fits(label: QLabel) -> bool:
    """The label's whole text is drawn inside it: one line as wide as the text, or, wrapped, as
    tall as the wrapped text."""
    metrics = label.fontMetrics()
    inner = label.contentsRect()
    if label.wordWrap():
        return inner.height() >= label.heightForWidth(label.width()) - 1 and inner.height() >= metrics.height()
    return inner.width() >= metrics.horizontalAdvance(label.text()) and inner.height() >= metrics.height()


def check_side_panels(window: MainWindow, where: str) -> None:
    for name, panel in window.panels.items():
        labels = [w for w in panel.readout.findChildren(QLabel) if w.isVisible()]
        assert len(labels) >= 18  # captions and values
        rects = [in_window(label, window) for label in labels]
        for (a, ra), (b, rb) in combinations(zip(labels, rects, strict=True), 2):
            assert not ra.intersects(rb), f"{where}, side {name.value}: {a.text()!r} overlaps {b.text()!r}"
        for label in labels:
            assert text_fits(label), f"{where}, side {name.value}: {label.text()!r} does not fit {label.size().toTuple()}"
        # the panel's own rows (codec, quality, device, buttons, progress) do not overlap either
        rows = [w for w in (panel.codec, panel.quality, panel.device, panel.copy_button, panel.progress,
                            panel.readout) if w.isVisible()]
        for a, b in combinations(rows, 2):
            assert not in_window(a, window).intersects(in_window(b, window)), where


@pytest.fixture
def desktop_font(request):
    """The application font at ``request.param`` points (None: Qt's default here, 9 pt); 11 pt is a
    GNOME desktop's default, which makes every row taller."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    saved = app.font()
    if request.param is not None:
        font = app.font()
        font.setPointSizeF(request.param)
        app.setFont(font)
    yield request.param
    app.setFont(saved)


@pytest.mark.parametrize("desktop_font", [None, 11], ids=["default-font", "11pt-font"], indirect=True)
@pytest.mark.parametrize("size", SIZES)
def test_readout_rows_never_overlap_and_their_text_fits(qtbot, desktop_font, app_settings, size) -> None:
    window = make_window(qtbot, app_settings, SideSettings("msp-balanced", 0.5), SideSettings("vvc", 0.56))
    fill_readouts(window)
    settle(qtbot, window, size)
    check_side_panels(window, f"{size}")
    if size == (1280, 720) and desktop_font is None:  # on the projector the readout is all there, unscrolled
        for name, scroll in window.panel_scrolls.items():
            viewport = in_window(scroll.viewport(), window)
            readout = in_window(window.panels[name].readout, window)
            assert viewport.contains(readout), f"side {name.value}'s readout is cut off at 1280x720"
    # a user who gives the RD plot more room squeezes the panels further: they scroll, rows stay apart
    window.set_rd_height(int(size[1] * 0.45))
    settle(qtbot, window, size)
    check_side_panels(window, f"{size} with a tall RD dock")


def test_canvas_captions_fit_their_panes_in_every_view(qtbot, window) -> None:
    c = window.controller
    pixels = make_pixels(120)
    window.canvas.set_side("A", pixels, "MSP balanced q=0.50, cpu")
    window.canvas.set_side("B", make_pixels(120, seed=4), "VVC q=0.56 (matched to A's size)")
    c.view.set_image_size(120, 120)
    for size in (MINIMUM_SIZE, (1280, 720)):
        settle(qtbot, window, size)
        for mode, diff_pane in ((ViewMode.SPLIT, False), (ViewMode.SIDE_BY_SIDE, False), (ViewMode.SIDE_BY_SIDE, True),
                                (ViewMode.FLIP, False), (ViewMode.DIFFERENCE, False)):
            c.view.set_mode(mode)
            c.view.set_diff_pane(diff_pane)
            captions = window.canvas.captions()
            assert captions, f"{mode} at {size}: no captions"
            panes = window.canvas._panes()
            for caption in captions:
                inside = [p for p in panes if p.x <= caption.box.left() and caption.box.right() <= p.x + p.width]
                assert inside, f"{mode} at {size}: {caption.text!r} leaves its pane"
                bold = QFontMetricsF(window.canvas.caption_font())
                assert bold.horizontalAdvance(caption.text) <= caption.box.width(), caption.text
                assert caption.box.height() >= bold.height()
            for a, b in combinations(captions, 2):
                assert not a.box.intersects(b.box), f"{mode} at {size}: {a.text!r} collides with {b.text!r}"


@pytest.mark.parametrize("size", SIZES)
def test_status_bar_fields_and_message_fit(qtbot, window, size) -> None:
    window.image_label.setText(f"{LONG_NAME} (PNG, 768 x 512, 548,799 bytes)")
    window._on_sweep_progress(48, 50)
    window.device_label.setText("Device: CPU + CUDA:0")
    window.model_label.setText("Model: 76b777fdf333661f (msp.pt)")
    settle(qtbot, window, size)
    message = "Matched B to A: VVC q=0.56 gives 12.5 KiB against A's 12.1 KiB (within 3 %, 7 encodes)"
    window.show_status(message, 60000)
    QApplication.processEvents()
    bar = window.statusBar()
    fields = [w for w in (window.image_label, window.sweep_label, window.device_label, window.model_label)
              if w.isVisible()]
    assert len(fields) == 4
    for field in fields:
        assert bar.rect().contains(QRect(field.mapTo(bar, field.rect().topLeft()), field.size()))
        shown = field.displayed_text()
        assert field.fontMetrics().horizontalAdvance(shown) <= field.contentsRect().width(), shown
        assert shown == field.text() or shown.endswith("…")
    for a, b in combinations(fields, 2):
        assert not a.geometry().intersects(b.geometry())
    # the temporary message ends before the first field, with a gap, instead of being cut off by it
    first = min(f.x() for f in fields)
    current = bar.currentMessage()
    assert current
    assert 6 + bar.fontMetrics().horizontalAdvance(current) <= first - 8, current


def test_the_rd_dock_starts_at_its_share_of_the_height(qtbot, app_settings) -> None:
    settings = SideSettings("jpeg", 0.5)
    app_settings.set_side(SideName.A, settings)
    app_settings.set_side(SideName.B, settings)
    window = MainWindow(app_settings, open_demo=False, sweep=False, pool_threads=1)
    qtbot.addWidget(window)
    window.resize(1280, 720)  # before it is shown, as msp-studio --size does
    window.show()
    qtbot.waitExposed(window)
    settle(qtbot, window, (1280, 720))
    span = window.centralWidget().height() + window.rd_dock.height()
    assert abs(window.rd_dock.height() - RD_SHARE * span) <= 3, (window.rd_dock.height(), span)


def test_the_rd_dock_keeps_its_share_when_the_window_opens_on_a_smaller_screen(qtbot, app_settings) -> None:
    """Closed on a 1920x1080 desk with a tall plot, opened on a 1280x720 projector: the plot keeps
    its proportion of the height (the saved window state alone holds absolute pixels)."""
    first = make_window(qtbot, app_settings, SideSettings("jpeg", 0.5), SideSettings("webp", 0.5))
    settle(qtbot, first, (1920, 1080))
    first.set_rd_height(460)
    settle(qtbot, first, (1920, 1080))
    span = first.centralWidget().height() + first.rd_dock.height()
    share = first.rd_dock.height() / span
    first.save_settings()
    second = MainWindow(app_settings, open_demo=False, sweep=False, pool_threads=1)
    qtbot.addWidget(second)
    second.resize(1280, 720)
    second.show()
    qtbot.waitExposed(second)
    settle(qtbot, second, (1280, 720))
    span = second.centralWidget().height() + second.rd_dock.height()
    assert abs(second.rd_dock.height() - share * span) <= 3, (second.rd_dock.height(), share, span)


@pytest.mark.parametrize("size", SIZES)
def test_the_rd_dock_gets_its_height_back_after_the_window_shrinks(qtbot, window, size) -> None:
    settle(qtbot, window, (1920, 1080))
    window.set_rd_height(420)
    settle(qtbot, window, (1920, 1080))
    big = window.rd_dock.height()
    assert abs(big - 420) <= 3
    settle(qtbot, window, size)
    small = window.rd_dock.height()
    assert small < big
    assert window.rd_plot.height() >= window.rd_plot.minimumSizeHint().height()
    settle(qtbot, window, MINIMUM_SIZE)
    settle(qtbot, window, (1920, 1080))
    assert abs(window.rd_dock.height() - big) <= 3, (window.rd_dock.height(), big)
    settle(qtbot, window, size)
    assert abs(window.rd_dock.height() - small) <= 3


@pytest.mark.parametrize("size", SIZES)
def test_a_message_does_not_move_the_canvas_or_change_the_zoom(qtbot, window, size) -> None:
    window.canvas.set_side("A", make_pixels(200), "A")
    window.controller.view.set_image_size(200, 200)
    settle(qtbot, window, size)
    before = (in_window(window.canvas, window), window.canvas.effective_zoom())
    window.show_message("error", "cannot open broken.jpg: the file ends before the image data does "
                                 "(truncated JPEG?). " * 3)
    settle(qtbot, window, size)
    bar = window.messages
    assert bar.isVisible()
    assert (in_window(window.canvas, window), window.canvas.effective_zoom()) == before
    assert in_window(window.canvas, window).contains(in_window(bar, window))
    assert text_fits(bar.label)
    bar.dismiss()
    settle(qtbot, window, size)
    assert (in_window(window.canvas, window), window.canvas.effective_zoom()) == before
