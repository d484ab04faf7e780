"""Issue #19 item 5: a target size for either side, bisected on the codec's quality.

The parser and the search are plain Python; the matcher runs on the fake job service of the
controller-part tests; the last tests type a target into the real window and encode real JPEGs.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.controller import StudioController
from app.core.bitrate_matcher import BitrateMatcher, SearchReport
from app.core.bitrate_search import BitrateSearch, SearchVerdict
from app.core.codecs import SideSettings
from app.core.jobs import Priority
from app.core.results import RDPoint
from app.core.size_target import SizeTarget, SizeTargetError, parse_size_target
from app.core.state import SideName, SideStatus

from tests.app.helpers import make_window, outcome, wait_done
from tests.app.test_controller_parts import FakeRunner, FakeService, state_with


# -- the parser -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "value", "unit", "num_bytes"), [
    ("20 KiB", 20.0, "KiB", 20480.0),
    ("15000 B", 15000.0, "B", 15000.0),
    ("15,000 bytes", 15000.0, "B", 15000.0),
    ("  2.5kb ", 2.5, "kB", 2500.0),
    ("1 MiB", 1.0, "MiB", 1048576.0),
    ("1.5e3 B", 1500.0, "B", 1500.0),
    (".5 MB", 0.5, "MB", 500000.0),
])
def test_sizes_parse_to_bytes(text: str, value: float, unit: str, num_bytes: float) -> None:
    target = parse_size_target(text)
    assert (target.value, target.unit, target.num_bytes()) == (value, unit, num_bytes)
    assert not target.is_rate
    assert target.bpp(100, 50) == pytest.approx(num_bytes * 8 / 5000)
    assert parse_size_target(target.describe()) == target


def test_a_rate_is_a_rate_at_any_image_size() -> None:
    target = parse_size_target("0.25 BPP")
    assert target == SizeTarget(0.25, "bpp") and target.is_rate
    assert target.bpp(768, 512) == target.bpp(64, 64) == 0.25
    with pytest.raises(ValueError):
        target.num_bytes()


@pytest.mark.parametrize(("text", "says"), [
    ("", "Not a size"),
    ("twenty KiB", "Not a size"),
    ("20000", "Add a unit"),
    ("20 parsecs", "Unknown unit 'parsecs'"),
    ("0 KiB", "above zero"),
    ("0,25 bpp", "Not a size"),  # a decimal comma is refused, never read as 25
    ("0.5 B", "at least one byte"),
    ("1e999 B", "above zero"),
])
def test_what_is_not_a_target_is_explained(text: str, says: str) -> None:
    with pytest.raises(SizeTargetError, match=says):
        parse_size_target(text)


# -- the search ---------------------------------------------------------------------------------------
def bpp_of(quality: float) -> float:
    """A codec's rate: 0.2 bpp at q=0 .. 4.0 bpp at q=1, exponential like a real one."""
    return 0.2 * 20 ** quality


def run(search: BitrateSearch, codec=bpp_of) -> list[float]:
    tried = []
    while (q := search.next_quality()) is not None:
        tried.append(q)
        search.report(q, codec(q))
    return tried


def test_a_target_in_range_is_reached_within_the_tolerance() -> None:
    search = BitrateSearch(1.1)
    run(search)
    quality, bpp = search.best()
    assert search.verdict() is SearchVerdict.REACHED
    assert abs(math.log(bpp / 1.1)) <= search.tolerance and bpp == bpp_of(quality)


@pytest.mark.parametrize(("target", "verdict", "end"), [(0.05, SearchVerdict.BELOW_SMALLEST, 0.0),
                                                       (9.0, SearchVerdict.ABOVE_LARGEST, 1.0)])
def test_an_out_of_range_target_is_confirmed_by_a_probe_at_the_end(target: float, verdict: SearchVerdict,
                                                                    end: float) -> None:
    search = BitrateSearch(target)
    tried = run(search)
    assert tried[-1] == end and tried.count(end) == 1  # the end itself, once, last
    assert search.verdict() is verdict and search.best() == (end, bpp_of(end))


def test_coarse_steps_give_the_closest_not_an_out_of_range_verdict() -> None:
    search = BitrateSearch(1.0)
    run(search, codec=lambda q: 0.5 if q < 0.5 else 2.0)  # two steps: 1.0 bpp lies between them
    assert search.verdict() is SearchVerdict.CLOSEST
    assert 0.0 not in search.probes and 1.0 not in search.probes  # no end probe: both sides were seen


def test_just_inside_the_range_at_the_end_counts_as_reached() -> None:
    search = BitrateSearch(bpp_of(0.0) * 1.01)  # 1 % above the smallest file
    run(search)
    assert search.verdict() is SearchVerdict.REACHED and search.best()[0] < 0.01  # in reach: not "below"


# -- the matcher, on a fake job service -------------------------------------------------------------
def finish_probes(matcher: BitrateMatcher, runner: FakeRunner, image_key: str, codec=bpp_of) -> list[int]:
    ended: list[int] = []
    while live := runner.live(Priority.MATCH, set(ended)):
        (job,) = live  # one probe at a time
        ended.append(job)
        settings = runner.settings(job)
        matcher.on_finished(job, outcome(image_key, settings, bpp=codec(settings.quality)))
    return ended


def test_a_target_size_search_reports_each_probe_and_how_it_ended(image64) -> None:
    runner = FakeRunner()
    state = state_with(image64, SideSettings("jpeg", 0.9), SideSettings("webp", 0.5))
    matcher = BitrateMatcher(state, runner)
    probes: list[tuple[SideName, float | None, list[RDPoint]]] = []
    matcher.probed.connect(lambda side, target, points: probes.append((side, target, points)))
    reports: list[SearchReport] = []
    matcher.ended.connect(reports.append)
    activities: list[str] = []
    state.a.activity_changed.connect(lambda side: activities.append(side.activity))
    size = parse_size_target("640 B")  # 1.25 bpp on 64 x 64
    matcher.start_size(SideName.A, size)
    assert matcher.searching() is SideName.A
    ended = finish_probes(matcher, runner, image64.key)
    assert activities[0].startswith("Reaching 640 B (1.250 bpp): trying q=") and activities[-1] == ""
    assert len(ended) >= 3 and [len(points) for _, _, points in probes] == list(range(len(ended) + 1))
    assert all(side is SideName.A and target == 1.25 for side, target, _ in probes)
    assert [p.settings for p in probes[-1][2]] == [runner.settings(job) for job in ended]
    (report,) = reports
    assert report.verdict is SearchVerdict.REACHED and report.target == size and report.probes == len(ended)
    assert abs(math.log(report.bpp / 1.25)) <= 0.02 and state.a.settings.quality == report.quality
    assert report.num_bytes == outcome(image64.key, SideSettings("jpeg"), bpp=report.bpp).num_bytes
    assert state.b.settings == SideSettings("webp", 0.5)  # the other side is left alone


def test_an_unreachable_target_says_which_end_and_shows_the_nearest(image64) -> None:
    runner = FakeRunner()
    state = state_with(image64, SideSettings("jpeg", 0.9), SideSettings("webp", 0.5))
    matcher = BitrateMatcher(state, runner)
    reports: list[SearchReport] = []
    matcher.ended.connect(reports.append)
    probed: list[list[RDPoint]] = []
    matcher.probed.connect(lambda _side, _target, points: probed.append(points))
    matcher.start_size(SideName.B, parse_size_target("10 B"))  # 0.02 bpp: below 0.2 at q=0
    finish_probes(matcher, runner, image64.key)
    (report,) = reports
    assert report.verdict is SearchVerdict.BELOW_SMALLEST and not report.reachable
    assert report.quality == 0.0 and state.b.settings == SideSettings("webp", 0.0)  # the closest stays shown
    assert probed[-1]  # the probes stay on the plot: they show where the target lies
    state.set_image(image64)  # a new image: they go
    assert probed[-1] == []


# -- through the window, with real JPEG encodes -----------------------------------------------------------
def type_target(qtbot, window, name: SideName, text: str) -> None:
    edit = window.panels[name].target.edit
    edit.clear()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def test_a_typed_target_lands_within_the_tolerance_and_shows_its_probes(qtbot, app_settings, png200: Path) -> None:
    window = make_window(qtbot, app_settings, SideSettings("jpeg", 0.3), SideSettings("original"), image=png200)
    wait_done(qtbot, window)
    c = window.controller
    goal = c.state.a.result.num_bytes  # a size JPEG makes on this image
    c.set_side_settings(SideName.A, SideSettings("jpeg", 0.8))
    wait_done(qtbot, window)
    activity: list[str] = []
    c.state.a.activity_changed.connect(lambda side: activity.append(side.activity))
    drawn: list[int] = []
    c.searchProbed.connect(lambda side, _t, _p: drawn.append(len(window.rd_probes.probes(side))))
    with qtbot.waitSignal(c.searchEnded, timeout=60000) as ended:
        type_target(qtbot, window, SideName.A, f"{goal / 1024:.3f} KiB")
    report: SearchReport = ended.args[0]
    target_bpp = parse_size_target(f"{goal / 1024:.3f} KiB").bpp(200, 200)
    assert report.side is SideName.A and report.verdict is SearchVerdict.REACHED
    assert abs(math.log(report.bpp / target_bpp)) <= BitrateSearch(target_bpp).tolerance
    # The probes were shown as they ran: in A's panel, and one by one on the RD plot, where they stay.
    trying = [text for text in activity if "trying q=" in text]
    assert len(trying) == report.probes and trying[0].startswith(f"Reaching {goal / 1024:.3f} KiB")
    assert drawn[-1] == report.probes and drawn == sorted(drawn)
    assert window.rd_probes.target(SideName.A) == pytest.approx(target_bpp)
    assert "reached" in window.panels[SideName.A].target.result.text()
    wait_done(qtbot, window)
    assert c.state.a.result.settings == SideSettings("jpeg", report.quality)
    assert c.state.a.result.num_bytes == report.num_bytes


def test_an_unreachable_target_gives_the_message_and_the_nearest_size(qtbot, app_settings, png200: Path) -> None:
    window = make_window(qtbot, app_settings, SideSettings("original"), SideSettings("jpeg", 0.5), image=png200)
    wait_done(qtbot, window)
    c = window.controller
    box = window.panels[SideName.B].target
    type_target(qtbot, window, SideName.B, "20 parsecs")  # a typo: said under the box, nothing starts
    assert "Unknown unit" in box.result.text() and not c.matching()
    with qtbot.waitSignal(c.searchEnded, timeout=60000) as ended:
        type_target(qtbot, window, SideName.B, "100 B")
    report: SearchReport = ended.args[0]
    assert report.verdict is SearchVerdict.BELOW_SMALLEST and report.quality == 0.0
    text = window.messages.text()
    assert window.messages.level == "warning" and "100 B is below JPEG's smallest file on this image" in text
    assert f"{report.num_bytes:,} B" in text and box.result.text() in text  # the nearest reachable size
    wait_done(qtbot, window)
    assert c.state.b.status is SideStatus.DONE and c.state.b.result.num_bytes == report.num_bytes  # shown


def test_the_user_taking_over_a_side_ends_its_target_search(qtbot, image64) -> None:
    """Its end would set the quality the search found over the user's own choice."""
    service = FakeService()
    c = StudioController(SideSettings("jpeg", 0.6), SideSettings("webp", 0.5), service=service,
                         sweep_enabled=False, auto_match=False)
    c.set_image(image64)
    for ends_it in (lambda: c.set_side_settings(SideName.A, SideSettings("jpeg", 0.3)),
                    lambda: c.cancel_side(SideName.A)):
        c.start_target(SideName.A, parse_size_target("1 KiB"))
        (probe,) = service.runner.live(Priority.MATCH)
        c.set_side_settings(SideName.B, SideSettings("webp", 0.7))  # the other side: the search goes on
        assert c.matcher.searching() is SideName.A
        ends_it()
        assert not c.matching() and probe in service.runner.cancelled
    assert c.state.a.settings == SideSettings("jpeg", 0.3)
