"""LOF live: each side's LOF trajectory (core) and its path on the RD plot's PSNR plot (widget)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PIL import Image

from app.core.codecs import SideSettings
from app.core.image_io import LoadedImage
from app.core.lof_trajectory import LofTrajectories, TrajectoryPoint
from app.core.rd_store import RDStore
from app.core.state import ComparisonState, JobProgress, SideName, SideStatus
from app.widgets.rd_lof_path import LofPathMarks
from app.widgets.rd_plot import RDPlot

from tests.app.conftest import make_pixels
from tests.app.helpers import StallMeter, drop_paths, make_window, outcome

BALANCED = SideSettings("msp-balanced", 0.5)
# (iteration, estimated bpp, PSNR) of a made-up LOF run: the rate falls, the PSNR rises a little.
REPORTS = [(1, 0.80, 30.1), (4, 0.74, 30.3), (7, 0.69, 30.4), (12, 0.66, 30.6)]


def _lof(iteration: int, bpp: float | None, psnr: float | None, total: int = 12) -> JobProgress:
    return JobProgress("lof", iteration / total, f"LOF {iteration}/{total}", iteration=iteration,
                       estimated_bpp=bpp, psnr=psnr)


def _run(state: ComparisonState, name: SideName = SideName.A) -> None:
    """What the controller does to a side during a balanced encode: preview, LOF reports, result."""
    side = state.side(name)
    preview = outcome("img", replace(side.settings, codec="msp-fast"), bpp=0.9, psnr=29.8)
    side.set_result(replace(preview, preview=True))
    for iteration, bpp, psnr in REPORTS:
        side.set_progress(_lof(iteration, bpp, psnr))
    side.set_progress(JobProgress("coding", 0.5, "coding"))  # not LOF: no point
    side.set_result(outcome("img", side.settings, bpp=0.68, psnr=30.4))


def test_a_trajectory_runs_from_the_preview_through_the_estimates_to_the_true_point(image64: LoadedImage) -> None:
    state = ComparisonState(BALANCED, SideSettings("jpeg", 0.5))
    lof = LofTrajectories(state)
    changed: list[SideName] = []
    lof.changed.connect(changed.append)
    _run(state)
    trajectory = lof.trajectory(SideName.A)
    assert trajectory.codec == "msp-balanced"  # the side's codec (its colour), not its preview's
    assert trajectory.start == TrajectoryPoint(0.9, 29.8)
    assert [(p.iteration, p.bpp, p.psnr) for p in trajectory.estimates] == REPORTS
    assert trajectory.final == TrajectoryPoint(0.68, 30.4)
    assert [p.bpp for p in trajectory.path] == [0.9] + [r[1] for r in REPORTS]
    assert lof.trajectory(SideName.B).empty and set(changed) == {SideName.A}
    # A report without PSNR (or without a rate) is not a point: only what exists is drawn.
    state.a.set_progress(_lof(3, 0.7, None))
    assert len(lof.trajectory(SideName.A).estimates) == len(REPORTS)
    # A new setting clears the path; so does a new image (the sides' results go).
    state.a.set_settings(BALANCED.with_(quality=0.7))
    assert lof.trajectory(SideName.A).empty
    _run(state, SideName.B)
    state.set_image(image64)
    assert lof.trajectory(SideName.B).empty


def test_a_result_without_lof_draws_no_trajectory() -> None:
    state = ComparisonState(SideSettings("jpeg", 0.5), SideSettings("msp-fast", 0.5))
    lof = LofTrajectories(state)
    state.a.set_result(outcome("img", state.a.settings))
    state.b.set_result(outcome("img", state.b.settings))
    assert lof.trajectory(SideName.A).empty and lof.trajectory(SideName.B).empty


def test_the_path_is_drawn_at_the_reported_coordinates_then_the_true_point(qtbot) -> None:
    state = ComparisonState(BALANCED, SideSettings("jpeg", 0.5))
    lof = LofTrajectories(state)
    plot = RDPlot(RDStore())
    qtbot.addWidget(plot)
    marks = LofPathMarks(plot, lof)
    side = state.a
    side.set_result(replace(outcome("img", SideSettings("msp-fast", 0.5), bpp=0.9, psnr=29.8), preview=True))
    for iteration, bpp, psnr in REPORTS:
        side.set_progress(_lof(iteration, bpp, psnr))
    qtbot.waitUntil(lambda: len(marks.path_points(SideName.A)) == 1 + len(REPORTS), timeout=2000)
    assert marks.path_points(SideName.A) == [(0.9, 29.8)] + [(bpp, psnr) for _i, bpp, psnr in REPORTS]
    assert marks.start_point(SideName.A) == (0.9, 29.8) and marks.final_point(SideName.A) is None
    assert marks.redraws < len(REPORTS) + 1  # a burst of reports is one redraw, not one per point
    side.set_result(outcome("img", side.settings, bpp=0.68, psnr=30.4))
    qtbot.waitUntil(lambda: marks.final_point(SideName.A) == (0.68, 30.4), timeout=2000)
    assert len(marks.path_points(SideName.A)) == 1 + len(REPORTS)  # the estimates stay beside the truth
    assert marks.zoom_to(SideName.A)  # the PSNR plot shows just the trajectory
    low, high = plot.visible_rate_range()
    assert low < 0.66 and 0.9 < high < 1.2
    plot.set_log_rate(True)  # the path follows the log-rate axis: same data, log view
    assert marks.path_points(SideName.A)[0] == (0.9, 29.8)
    side.set_settings(BALANCED.with_(quality=0.3))
    qtbot.waitUntil(lambda: not marks.path_points(SideName.A), timeout=2000)
    assert marks.final_point(SideName.A) is None and marks.start_point(SideName.A) is None


def test_a_real_balanced_encode_draws_its_lof_path_before_its_result(qtbot, app_settings, png64: Path) -> None:
    """The real worker's LOF reports reach the plot while the encode runs: the preview's true point,
    then each reported iteration at its estimated bpp and PSNR. (The final true point is the test
    above's: a whole balanced run takes minutes on a busy 2-core machine, so this one is cancelled.)"""
    window = make_window(qtbot, app_settings, BALANCED, SideSettings("jpeg", 0.5))
    lof, marks = window.controller.lof, window.rd_lof
    side = window.controller.state.a
    drop_paths(window, [png64])
    # LOF: 5-30 s an iteration when the 2 cores run a load of 8; the preview comes first.
    qtbot.waitUntil(lambda: len(marks.path_points(SideName.A)) >= 2, timeout=240000)
    assert side.result is not None and side.result.preview  # still the preview: the result has not landed
    assert side.status is SideStatus.RUNNING
    trajectory = lof.trajectory(SideName.A)
    preview = side.result
    assert trajectory.start == TrajectoryPoint(preview.bpp, preview.metrics.psnr)
    assert marks.start_point(SideName.A) == (preview.bpp, preview.metrics.psnr)
    drawn = marks.path_points(SideName.A)
    assert drawn == [(p.bpp, p.psnr) for p in trajectory.path][:len(drawn)]
    first = trajectory.estimates[0]
    assert first.iteration is not None and 1 <= first.iteration <= 12
    # An estimate of this image's LOF iterate: near the preview it starts from, not a made-up point.
    assert 0.5 * preview.bpp < first.bpp < 2.0 * preview.bpp and abs(first.psnr - preview.metrics.psnr) < 3.0
    print(f"LOF on png64: preview {trajectory.start}, first estimate {first}")
    window.controller.cancel_side(SideName.A)
    qtbot.waitUntil(lambda: side.status is SideStatus.CANCELLED, timeout=60000)


def test_the_window_never_stalls_while_lof_draws(qtbot, app_settings, tmp_path: Path) -> None:
    """The longest gap between 5 ms timer ticks while a balanced encode's LOF path is drawn, live, on
    the RD plot: the GUI thread's own CPU time under the issue's 50 ms, and no wall-time freeze.
    A 400 px photo: LOF on a 200 px one now ends within a second of its first estimate on an idle
    machine, too soon to watch for one."""
    photo = tmp_path / "photo400.png"
    Image.fromarray(make_pixels(400, seed=2)).save(photo)
    window = make_window(qtbot, app_settings, BALANCED, SideSettings("jpeg", 0.5))
    qtbot.waitUntil(lambda: not window.controller.service.msp_loading, timeout=180000)  # its GC freeze: not LOF's
    marks, side = window.rd_lof, window.controller.state.a
    # Measured while the path is being drawn: the side runs and its path has its first estimate (the
    # preview landing just before, a new picture, readout and RD point, is the MSP-encode stall test's).
    meter = StallMeter(lambda: side.status is SideStatus.RUNNING and len(marks.path_points(SideName.A)) >= 2)
    meter.start()
    drop_paths(window, [photo])
    qtbot.waitUntil(
        lambda: (len(marks.path_points(SideName.A)) >= 3 and sum(meter.gaps) >= 1000) or side.status is SideStatus.DONE,
        timeout=300000,
    )
    meter.stop()
    assert sum(meter.gaps) >= 300  # watched long enough to mean something, even if LOF ended first
    drawn = len(marks.path_points(SideName.A))
    window.controller.cancel_side(SideName.A)
    print(f"\nwindow while LOF draws: {drawn} path points, {meter.summary()}")
    assert max(meter.cpu_gaps) < 50  # the bar, on the work LOF's drawing puts on the GUI thread
    assert sorted(meter.gaps)[-2] < 250  # and no wall-time freeze even on a loaded machine
