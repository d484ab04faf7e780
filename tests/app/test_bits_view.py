"""Where MSP spends its bits: the report, its jobs on the model thread, the panel and the canvas."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from codec.bitstream import MAGIC
from codec.types import BitAllocation, BitstreamHeader, SegmentBits, StepBits

from app.core import bits_jobs as bits_jobs_module
from app.core.bits_jobs import MEASURING, NOT_MSP, WAITING_FOR_FINAL, BitsJobs
from app.core.bits_view import BitsReport, bits_report, bits_scale, nice_top, reference_text
from app.core.codecs import SideSettings
from app.core.jobs import Priority
from app.core.state import ComparisonState, SideName
from app.core.view_state import ViewMode, ViewState
from app.widgets.bits_panel import BitsPanel
from app.workers.service import EncodeService

from tests.app.helpers import make_window, outcome, wait_done


def allocation(height: int = 20, width: int = 30) -> BitAllocation:
    """A made-up two-scale file: the coarsest scale (one step), then two steps of scale 0."""
    lh, lw = -(-height // 8), -(-width // 8)
    latent = np.zeros((lh, lw))
    latent[1, 2] = 300.0  # one expensive position
    latent[0, 0] = 60.0
    steps = (StepBits(0, 1, None, "", (0, 96), 96, 100.0), StepBits(1, 0, 0, "all", (0, 16), 32, 160.0),
             StepBits(2, 0, 0, "all", (16, 96), 64, 100.0))
    segments = (SegmentBits(1, 100.0, 16), SegmentBits(0, 260.0, 36))
    header = BitstreamHeader(1, "0" * 16, "fast", 0.5, height, width, (16, 36), 52 + 65, 2)
    return BitAllocation(header, latent, 8, steps, segments)


# -- the report (plain Python) ----------------------------------------------------------------------
def test_nice_top_is_a_round_number_above_nearly_all_of_the_map() -> None:
    rng = np.random.default_rng(0)
    bpp = rng.gamma(2.0, 0.2, size=(100, 100))
    top = nice_top(bpp)
    assert np.mean(bpp <= top) >= 0.995
    mantissa = top / 10 ** np.floor(np.log10(top))
    assert min(abs(mantissa - m) for m in (1, 1.5, 2, 3, 4, 5, 6, 8)) < 1e-9
    assert nice_top(np.zeros((4, 4))) > 0
    assert nice_top(np.full((4, 4), 2.0)) == pytest.approx(2.0)


def test_report_rows_add_up_to_the_file_and_the_map_keeps_its_positions() -> None:
    bits = allocation()
    report = bits_report(bits)
    file_bits = 8 * bits.header.total_bytes
    parts = [r for r in report.rows if r.depth == 0 and not r.label.startswith("total")]
    assert sum(r.bits for r in parts) == pytest.approx(file_bits)
    assert report.rows[-1].bits == file_bits and report.rows[-1].share == 1.0
    assert report.rows[-1].elements == 192
    assert "factorised" in report.rows[0].label and report.rows[0].depth == 0
    steps = [r for r in report.rows if r.depth == 1]
    assert [r.bits for r in steps] == [160.0, 100.0]  # the coarsest scale's one step is its own row
    assert report.map_bits == pytest.approx(360.0)
    assert report.levels.shape == (20, 30)
    # Position (1, 2) covers pixels 8..15 x 16..23: 300 bits over 64 pixels, 4.69 bpp, under a top of 5.
    assert report.top == 5.0
    assert report.levels[8:16, 16:24].min() == report.levels.max() == round(300 / 64 / 5 * 255)
    assert (report.levels[:8, :8] == round(60 / 64 / 5 * 255)).all()
    assert report.levels[16:, :].max() == 0 and report.levels[:, 24:].max() == 0
    assert report.bpp == pytest.approx(8 * 117 / 600)


def test_the_common_scale_is_the_highest_top_and_states_bpp() -> None:
    assert bits_scale([]) is None
    scale = bits_scale([0.5, 2.0])
    assert scale is not None and scale.top == 2.0
    assert scale.text == "bits per pixel, 0..2 bpp"
    assert [label for _, label in scale.ticks] == ["0", "0.5", "1", "1.5", "2"]


def test_reference_is_the_other_sides_file() -> None:
    msp = outcome("k", SideSettings("msp-fast", 0.5), bpp=0.5, psnr=30.5, size=64)
    vvc = outcome("k", SideSettings("vvc", 0.5), bpp=1.0, psnr=31.25, size=64)
    text = reference_text("B", vvc, msp)
    assert text.startswith("B · VVC") and "512 B (2.00 × this file)" in text
    assert "31.25 dB (this side: 30.50 dB)" in text
    assert reference_text("B", None, msp) == "B: no result yet"


# -- the jobs (a fake model thread) ------------------------------------------------------------------
class FakeModelThread:
    def __init__(self) -> None:
        self.calls: dict[int, Callable[[], object]] = {}
        self.cancelled: list[int] = []
        self._ids = itertools.count(1)

    def run_on_model_thread(self, call: Callable[[], object], priority: Priority = Priority.INTERACTIVE) -> int:
        job_id = next(self._ids)
        self.calls[job_id] = call
        return job_id

    def cancel(self, request_id: int) -> None:
        self.cancelled.append(request_id)


def msp_result(quality: float, preview: bool = False):
    result = outcome("k", SideSettings("msp-fast", quality), size=32)
    return replace(result, data=MAGIC + bytes([int(quality * 100)]) * 40, preview=preview)


def test_a_side_gets_its_bits_report_once_per_bitstream() -> None:
    state = ComparisonState(SideSettings("msp-fast", 0.5), SideSettings("jpeg", 0.5))
    view = ViewState()
    runner = FakeModelThread()
    jobs = BitsJobs(state, view, runner)
    changed: list[SideName] = []
    jobs.changed.connect(changed.append)

    first = msp_result(0.5)
    state.a.set_result(first)
    assert runner.calls == {}  # nothing asked while no side shows its bits
    view.set_bits_shown("A", True)
    assert list(runner.calls) == [1] and jobs.note(SideName.A) == MEASURING and jobs.report(SideName.A) is None
    view.set_zoom(2.0)  # an unrelated view change asks nothing more
    assert list(runner.calls) == [1]

    report = bits_report(allocation())
    jobs.on_finished(1, report)
    assert jobs.report(SideName.A) is report and jobs.note(SideName.A) == "" and SideName.A in changed

    second = msp_result(0.7)
    state.a.set_result(second)  # a new result: measured again
    assert list(runner.calls) == [1, 2] and jobs.report(SideName.A) is None
    state.a.set_result(msp_result(0.9))  # superseded before it ended: cancelled, its report dropped
    assert runner.cancelled == [2]
    jobs.on_finished(2, bits_report(allocation()))
    assert jobs.report(SideName.A) is None and jobs.note(SideName.A) == MEASURING

    state.a.set_result(first)  # back to the first bitstream: kept, not measured again
    assert jobs.report(SideName.A) is report and len(runner.calls) == 3
    view.set_bits_shown("A", False)
    assert jobs.report(SideName.A) is None and jobs.note(SideName.A) == ""
    view.set_bits_shown("A", True)
    assert jobs.report(SideName.A) is report and jobs.computed == 1

    view.set_bits_shown("B", True)
    state.b.set_result(outcome("k", SideSettings("jpeg", 0.5)))
    assert jobs.note(SideName.B) == NOT_MSP and len(runner.calls) == 3
    state.b.set_result(msp_result(0.3, preview=True))
    assert jobs.note(SideName.B) == WAITING_FOR_FINAL and len(runner.calls) == 3


def test_a_failed_report_says_why_and_is_not_retried_for_the_same_bitstream() -> None:
    state = ComparisonState(SideSettings("msp-fast", 0.5), SideSettings("jpeg", 0.5))
    view = ViewState()
    runner = FakeModelThread()
    jobs = BitsJobs(state, view, runner)
    view.set_bits_shown("A", True)
    state.a.set_result(msp_result(0.5))
    jobs.on_failed(1, "corrupt bitstream")
    assert jobs.note(SideName.A) == "bits map failed: corrupt bitstream"
    view.set_mode(ViewMode.FLIP)
    assert len(runner.calls) == 1
    state.a.set_result(msp_result(0.6))
    assert len(runner.calls) == 2 and jobs.note(SideName.A) == MEASURING


def test_model_thread_calls_run_in_turn_off_the_gui_thread_and_a_queued_one_can_be_cancelled(qtbot) -> None:
    service = EncodeService(pool_threads=1)
    try:
        qtbot.waitUntil(lambda: not service.msp_loading, timeout=60000)
        ran: list[str] = []
        finished: dict[int, object] = {}
        service.callFinished.connect(lambda job_id, value: finished.__setitem__(job_id, value))

        def slow() -> threading.Thread:
            time.sleep(0.3)
            ran.append("first")
            return threading.current_thread()

        first = service.run_on_model_thread(slow)
        second = service.run_on_model_thread(lambda: ran.append("second"))
        assert service.user_busy()  # the sweep holds back meanwhile
        with qtbot.waitSignal(service.userIdle, timeout=10000):
            service.cancel(second)
        assert ran == ["first"] and list(finished) == [first]
        assert finished[first] is not threading.main_thread()
        assert not service.user_busy()
    finally:
        service.shutdown()


# -- the panel ------------------------------------------------------------------------------------
def test_panel_mirrors_the_view_and_shows_the_table(qtbot) -> None:
    view = ViewState()
    panel = BitsPanel(view)
    qtbot.addWidget(panel)
    panel.boxes[SideName.B].setChecked(True)
    assert view.bits_sides == {"B"} and panel.toggles[SideName.B].isChecked()
    panel.toggles[SideName.B].trigger()
    assert view.bits_sides == frozenset() and not panel.boxes[SideName.B].isChecked()
    view.set_bits_shown("A", True)
    assert panel.boxes[SideName.A].isChecked() and panel.toggles[SideName.A].isChecked()

    report = bits_report(allocation())
    panel.show_side(SideName.A, report, "", "B · VVC: 512 B")
    tab = panel.side_tabs[SideName.A]
    rows = tab.rows()
    assert len(rows) == len(report.rows)
    assert rows[-1] == ["total: the file", "936", f"{936 / 600:.4f}", "100.0 %", "192"]
    assert [r[0] for r in rows[:2]] == ["scale 1 · factorised prior", "scale 0 · 2 steps"]
    assert rows[2][0] == "step 1 · top left · ch 0-15"
    assert "MSP fast" in tab.title.text() and tab.reference.text() == "B · VVC: 512 B"
    panel.show_side(SideName.A, None, MEASURING, "")
    assert tab.rows() == [] and tab.title.text() == MEASURING


# -- the window, with the real codec on the model thread -------------------------------------------
def test_bits_view_on_a_real_msp_side(qtbot, app_settings, png64: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[threading.Thread] = []
    real = bits_jobs_module.compute_bits_report

    def recorded(data: bytes, device: str) -> BitsReport:
        threads.append(threading.current_thread())
        return real(data, device)

    monkeypatch.setattr(bits_jobs_module, "compute_bits_report", recorded)
    window = make_window(qtbot, app_settings, SideSettings("msp-fast", 0.5), SideSettings("jpeg", 0.5), image=png64)
    wait_done(qtbot, window, timeout=60000)
    c = window.controller
    window.bits_panel.toggles[SideName.A].trigger()  # Ctrl+B
    assert not window.bits_dock.isHidden()
    qtbot.waitUntil(lambda: window.canvas.bits_image("A") is not None, timeout=60000)
    assert threads and threads[0] is not threading.main_thread()  # torch work stays on the model thread

    report = c.bits.report(SideName.A)
    assert report is not None
    data = c.state.a.result.data
    assert report.rows[-1].bits == 8 * len(data)
    image = window.canvas.bits_image("A")
    assert (image.width(), image.height()) == (64, 64)
    bar = window.canvas.bits_bar
    assert bar.isVisible() and bar.text().startswith("A · bits per pixel") and bar.text().endswith(" bpp")
    assert any("A · bits" in caption.text for caption in window.canvas.captions())
    tab = window.bits_panel.side_tabs[SideName.A]
    assert tab.rows()[-1][0] == "total: the file"
    assert tab.reference.text().startswith("B · ") and "JPEG" in tab.reference.text()

    window.bits_panel.boxes[SideName.B].setChecked(True)  # a classic side has no bits map
    assert c.bits.note(SideName.B) == NOT_MSP and window.canvas.bits_image("B") is None
    c.view.set_mode(ViewMode.DIFFERENCE)  # the difference view shows no bits
    assert not bar.isVisible()
    c.view.set_mode(ViewMode.SPLIT)
    assert bar.isVisible()
    window.bits_panel.toggles[SideName.A].trigger()
    assert not bar.isVisible()
    assert len(threads) == 1
