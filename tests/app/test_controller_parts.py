"""The controller's parts, each driven by a fake service: no codecs, no worker threads, no window.

The fakes only record what was submitted and cancelled; each test decides when and how every
job ends (in any order, as the real service may), and checks what the part made of it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Signal

from app.controller import FALLBACK_CODEC, StudioController
from app.core.backends.msp import MspInfo
from app.core.batch import BatchQueue
from app.core.bitrate_matcher import BitrateMatcher
from app.core.codecs import SideSettings, on_model_thread, pool_codecs
from app.core.image_io import LoadedImage
from app.core.jobs import Priority
from app.core.rd_store import RDStore
from app.core.side_jobs import SideJobs
from app.core.state import ComparisonState, JobProgress, SideName, SideStatus
from app.core.sweep import SWEEP_QUALITIES
from app.core.sweep_scheduler import SweepScheduler
from app.file_actions import FileActions
from app.workers.io_jobs import FileJobs

from tests.app.helpers import outcome

LOADING = MspInfo(available=False, reason="MSP codec is loading")


class FakeRunner:
    """A job service that runs nothing: it hands out ids and remembers what it was asked."""

    def __init__(self, msp_info: MspInfo = LOADING) -> None:
        self.msp_info = msp_info
        self.jobs: dict[int, tuple[SideSettings, Priority]] = {}
        self.cancelled: list[int] = []
        self.busy = False  # what user_busy() answers: tests set it
        self.at_hand: set[SideSettings] = set()  # what cached() says is in the cache
        self._ids = itertools.count(1)

    def submit(self, image: LoadedImage, settings: SideSettings, priority: Priority = Priority.INTERACTIVE,
               use_cache: bool = True, preview: bool = False) -> int:
        job_id = next(self._ids)
        self.jobs[job_id] = (settings, priority)
        return job_id

    def cancel(self, request_id: int) -> None:
        self.cancelled.append(request_id)

    def user_busy(self) -> bool:
        return self.busy

    def cached(self, image: LoadedImage, settings: SideSettings) -> bool:
        return settings in self.at_hand

    def live(self, priority: Priority, ended: AbstractSet[int] = frozenset()) -> list[int]:
        """Ids of ``priority`` neither cancelled nor in ``ended``, oldest first."""
        return [i for i, (_, p) in self.jobs.items() if p is priority and i not in self.cancelled and i not in ended]

    def settings(self, job_id: int) -> SideSettings:
        return self.jobs[job_id][0]


def state_with(image: LoadedImage, a: SideSettings, b: SideSettings = SideSettings("original")) -> ComparisonState:
    state = ComparisonState(a, b)
    state.set_image(image)
    return state


# -- side jobs ------------------------------------------------------------------------------------
def side_jobs_on(state: ComparisonState, runner: FakeRunner) -> SideJobs:
    jobs = SideJobs(state, runner)
    for side in state.sides.values():
        side.settings_changed.connect(jobs.start)  # as the controller wires it
    return jobs


def test_superseded_side_jobs_never_show_whatever_order_they_end_in(image64) -> None:
    runner = FakeRunner()
    state = state_with(image64, SideSettings("vvc", 0.9))
    jobs = side_jobs_on(state, runner)
    shown: list[SideSettings] = []
    state.a.result_changed.connect(lambda side: side.result and shown.append(side.result.settings))
    jobs.start(state.a)
    for q in (0.8, 0.7):
        state.a.set_settings(SideSettings("vvc", q))
    ids = list(runner.jobs)
    assert [runner.settings(i).quality for i in ids] == [0.9, 0.8, 0.7]
    assert runner.cancelled == ids[:2]  # superseded work is stopped, not just ignored
    assert jobs.job(SideName.A) == ids[2]

    jobs.on_started(ids[0])
    jobs.on_progress(ids[0], JobProgress("coding", 0.5, "old"))
    assert state.a.status is SideStatus.QUEUED and state.a.progress is None  # an old job's events are not ours
    jobs.on_finished(ids[2], outcome(image64.key, SideSettings("vvc", 0.7)))
    jobs.on_finished(ids[0], outcome(image64.key, SideSettings("vvc", 0.9)))  # the slow old one, last
    jobs.on_finished(ids[1], outcome(image64.key, SideSettings("vvc", 0.8)))
    assert shown == [SideSettings("vvc", 0.7)]
    assert state.a.status is SideStatus.DONE and jobs.job(SideName.A) is None
    assert jobs.stale_dropped == 2


def test_cancel_stops_a_side_and_its_result_never_arrives(image64) -> None:
    runner = FakeRunner()
    state = state_with(image64, SideSettings("jpeg", 0.5))
    jobs = side_jobs_on(state, runner)
    jobs.start(state.a)
    job = jobs.job(SideName.A)
    jobs.on_started(job)
    assert state.a.status is SideStatus.RUNNING
    jobs.cancel(SideName.A)
    assert state.a.status is SideStatus.CANCELLED and runner.cancelled == [job]
    jobs.on_finished(job, outcome(image64.key, SideSettings("jpeg", 0.5)))
    assert state.a.result is None and jobs.stale_dropped == 1
    # Nothing running: cancel leaves the side's status alone.
    state.a.set_status(SideStatus.DONE)
    jobs.cancel(SideName.A)
    assert state.a.status is SideStatus.DONE and runner.cancelled == [job]


def test_a_failed_side_says_so_once(image64) -> None:
    runner = FakeRunner()
    state = state_with(image64, SideSettings("jxl", 0.5))
    jobs = side_jobs_on(state, runner)
    messages: list[tuple[str, str]] = []
    jobs.message.connect(lambda level, text: messages.append((level, text)))
    jobs.start(state.a)
    job = jobs.job(SideName.A)
    jobs.on_failed(job, "cjxl crashed")
    assert state.a.status is SideStatus.FAILED and state.a.message == "cjxl crashed"
    assert messages == [("error", "Side A: cjxl crashed")]
    jobs.on_failed(job, "cjxl crashed")  # a repeat is nobody's any more
    assert len(messages) == 1


def test_original_needs_no_job_and_msp_fails_fast_only_when_known_unavailable(image64) -> None:
    runner = FakeRunner(MspInfo(available=False, reason="codec.api is not installed"))
    state = state_with(image64, SideSettings("msp-fast", 0.5), SideSettings("original"))
    jobs = side_jobs_on(state, runner)
    jobs.start(state.b)
    assert state.b.status is SideStatus.DONE and state.b.result.metrics.lossless and not runner.jobs
    jobs.start(state.a)
    assert state.a.status is SideStatus.FAILED and state.a.message == "codec.api is not installed"
    assert not runner.jobs
    runner.msp_info = LOADING  # still loading: queue the job, the worker runs it once the model is up
    jobs.start(state.a)
    assert state.a.status is SideStatus.QUEUED and jobs.job(SideName.A) in runner.jobs


def test_show_puts_a_decoded_file_on_a_side_that_its_own_job_cannot_replace(image64) -> None:
    runner = FakeRunner()
    state = state_with(image64, SideSettings("jpeg"), SideSettings("webp", 0.5))
    jobs = side_jobs_on(state, runner)
    jobs.start(state.b)
    own = jobs.job(SideName.B)
    decoded = replace(outcome(image64.key, SideSettings("msp-fast", 0.5)), source_name="photo.msp")
    jobs.show(SideName.B, decoded, "decoded photo.msp")
    jobs.on_finished(own, outcome(image64.key, SideSettings("webp", 0.5)))
    assert state.b.result is decoded and state.b.message == "decoded photo.msp"
    assert own in runner.cancelled


# -- sweep scheduler ------------------------------------------------------------------------------
def run_sweep_to_the_end(sweep: SweepScheduler, runner: FakeRunner, rd: RDStore, image: LoadedImage,
                         max_in_flight: int) -> list[SideSettings]:
    """Finish sweep jobs oldest first (into the RD store, as the controller does) until none is left."""
    measured: list[SideSettings] = []
    ended: set[int] = set()
    while live := runner.live(Priority.SWEEP, ended):
        assert len(live) <= max_in_flight
        job = live[0]
        ended.add(job)
        settings = runner.settings(job)
        rd.add(outcome(image.key, settings, bpp=0.1 + settings.quality))
        measured.append(settings)
        sweep.on_finished(job)
    return measured


def test_sweep_measures_every_missing_point_once_one_job_per_kind_at_a_time(image64) -> None:
    runner = FakeRunner(MspInfo(available=True, profiles=("fast",)))
    state = state_with(image64, SideSettings("jpeg"))
    rd = RDStore()
    rd.reset(image64.key)
    known = SideSettings("jpeg", 0.1)
    rd.add(outcome(image64.key, known))  # e.g. a side's own result
    sweep = SweepScheduler(state, rd, runner)
    progress: list[tuple[int, int]] = []
    sweep.progress.connect(lambda done, total: progress.append((done, total)))
    sweep.start()
    first = runner.live(Priority.SWEEP)
    assert sorted(on_model_thread(runner.settings(i).codec) for i in first) == [False, True]  # one classic, one MSP
    measured = run_sweep_to_the_end(sweep, runner, rd, image64, max_in_flight=2)
    planned = (len(pool_codecs()) + 1) * len(SWEEP_QUALITIES) - 1  # the classic codecs and msp-fast
    assert known not in measured and len(set(measured)) == len(measured) == planned
    assert progress[0] == (1, planned + 1) and progress[-1] == (planned + 1, planned + 1)  # the known point counts
    assert not sweep.running()
    submitted = len(runner.jobs)
    sweep.start()  # everything is known now: nothing left to do
    assert len(runner.jobs) == submitted and not sweep.running() and sweep.counts() == (planned + 1, planned + 1)


def test_a_preempted_sweep_job_is_retried_first_and_stop_cancels_the_rest(image64) -> None:
    runner = FakeRunner()
    state = state_with(image64, SideSettings("jpeg"))
    rd = RDStore()
    rd.reset(image64.key)
    sweep = SweepScheduler(state, rd, runner)
    sweep.start()
    (job,) = runner.live(Priority.SWEEP)
    settings = runner.settings(job)
    sweep.on_cancelled(job, preempted=True)  # a user request pushed it aside
    (retry,) = runner.live(Priority.SWEEP, {job})
    assert retry != job and runner.settings(retry) == settings
    sweep.on_failed(retry)  # a broken point counts as done: the sweep moves on
    (nxt,) = runner.live(Priority.SWEEP, {job, retry})
    assert runner.settings(nxt) != settings and sweep.counts()[0] == 1
    progress: list[tuple[int, int]] = []
    sweep.progress.connect(lambda done, total: progress.append((done, total)))
    sweep.stop(disable=True)
    assert nxt in runner.cancelled and not sweep.running() and not sweep.enabled and progress == [(0, 0)]
    sweep.on_finished(nxt)  # ends after the stop: counts for nothing, starts nothing
    sweep.on_cancelled(nxt, preempted=True)
    assert progress == [(0, 0)] and not runner.live(Priority.SWEEP, {job, retry, nxt})


def test_msp_points_join_a_running_sweep_when_the_codec_comes_up(image64) -> None:
    runner = FakeRunner()  # MSP still loading: classic points only
    state = state_with(image64, SideSettings("jpeg"))
    rd = RDStore()
    rd.reset(image64.key)
    sweep = SweepScheduler(state, rd, runner)
    sweep.start()
    classic_total = sweep.counts()[1]
    assert classic_total == len(pool_codecs()) * len(SWEEP_QUALITIES)
    info = MspInfo(available=True, profiles=("fast", "best"))
    runner.msp_info = info
    sweep.add_msp(info)
    assert sweep.counts()[1] == classic_total + 2 * len(SWEEP_QUALITIES)
    assert [on_model_thread(runner.settings(i).codec) for i in runner.live(Priority.SWEEP)] == [False, True]
    sweep.stop(disable=True)
    sweep.add_msp(info)  # a disabled sweep stays off
    assert sweep.counts() == (0, 0) and not sweep.running()


# -- bitrate matcher ------------------------------------------------------------------------------
def bpp_at(quality: float) -> float:
    """A made-up codec whose rate grows with quality, as every codec's does."""
    return 0.1 + 2.0 * quality ** 1.5


def test_bitrate_match_converges_on_the_reference_bpp(image64) -> None:
    runner = FakeRunner()
    state = state_with(image64, SideSettings("jpeg", 0.6), SideSettings("vvc", 0.5))
    state.a.set_result(outcome(image64.key, SideSettings("jpeg", 0.6), bpp=1.3))
    matcher = BitrateMatcher(state, runner)
    changes: list[SideSettings] = []
    state.b.settings_changed.connect(lambda side: changes.append(side.settings))
    statuses: list[str] = []
    matcher.status.connect(statuses.append)
    matcher.start(SideName.B)
    (probe,) = runner.live(Priority.MATCH)
    matcher.on_finished(probe + 100, outcome(image64.key, runner.settings(probe), bpp=9.9))  # not a probe
    assert runner.live(Priority.MATCH) == [probe]
    ended: set[int] = set()
    while live := runner.live(Priority.MATCH, ended):
        (job,) = live  # one probe at a time
        ended.add(job)
        settings = runner.settings(job)
        assert settings.codec == "vvc" and changes == []  # probes never touch the side itself
        assert matcher.active() and len(ended) <= 7
        # ... but the side's panel says what is going on, and what the last probe gave.
        assert state.b.activity.startswith("Matching A's bitrate (1.300 bpp): trying q=")
        assert len(ended) == 1 or " gave " in state.b.activity
        matcher.on_finished(job, outcome(image64.key, settings, bpp=bpp_at(settings.quality)))
    assert len(ended) >= 3  # a search, not a lucky first guess (q = 0.5 gives 0.81 bpp)
    assert not matcher.active() and len(changes) == 1
    assert abs(math.log(bpp_at(changes[0].quality) / 1.3)) <= 0.02
    assert statuses[0].startswith("Matching VVC to 1.300 bpp") and "matched at q=" in statuses[-1]
    assert state.b.activity == ""


def test_bitrate_match_survives_preemption_and_stops_when_cancelled_or_failed(image64) -> None:
    runner = FakeRunner()
    state = state_with(image64, SideSettings("jpeg", 0.6), SideSettings("webp", 0.5))
    state.a.set_result(outcome(image64.key, SideSettings("jpeg", 0.6), bpp=0.8))
    matcher = BitrateMatcher(state, runner)
    statuses: list[str] = []
    matcher.status.connect(statuses.append)
    matcher.start()
    (first,) = runner.live(Priority.MATCH)
    matcher.on_cancelled(first, preempted=True)  # a user's encode took the worker: ask again
    (again,) = runner.live(Priority.MATCH, {first})
    assert runner.settings(again) == runner.settings(first)
    matcher.cancel()
    assert not matcher.active() and again in runner.cancelled
    matcher.on_finished(again, outcome(image64.key, runner.settings(again), bpp=0.8))  # too late
    assert state.b.settings == SideSettings("webp", 0.5) and len(runner.jobs) == 2

    matcher.start()
    (third,) = runner.live(Priority.MATCH, {first})
    matcher.on_failed(third, "webp crashed")
    assert not matcher.active() and statuses[-1] == "Bitrate match failed: webp crashed"


@pytest.mark.parametrize("case", ["no reference", "original target"])
def test_nothing_to_match(image64, case: str) -> None:
    runner = FakeRunner()
    b = SideSettings("original") if case == "original target" else SideSettings("webp", 0.5)
    state = state_with(image64, SideSettings("jpeg", 0.6), b)
    if case == "original target":
        state.a.set_result(outcome(image64.key, SideSettings("jpeg", 0.6), bpp=0.8))
    matcher = BitrateMatcher(state, runner)
    matcher.start()
    assert not matcher.active() and not runner.jobs


# -- Qt-facing parts, on a fake service with the real one's signals -------------------------------
class FakeService(QObject):
    """The signals of :class:`~app.workers.service.EncodeService` around a :class:`FakeRunner`."""

    jobStarted = Signal(int)
    jobProgress = Signal(int, object)
    jobFinished = Signal(int, object)
    jobFailed = Signal(int, str)
    jobCancelled = Signal(int, bool)
    mspReady = Signal(object)
    bitstreamOpened = Signal(int, object, object)
    callFinished = Signal(int, object)
    userIdle = Signal()
    metricsMeasured = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.runner = FakeRunner()
        self.bitstreams: dict[int, tuple[str, str]] = {}  # job id -> (device, name)
        self.calls: dict[int, Callable[[], object]] = {}  # job id -> what run_on_model_thread was given
        self.shut_down = False

    @property
    def msp_info(self) -> MspInfo:
        return self.runner.msp_info

    def submit(self, image: LoadedImage, settings: SideSettings, priority: Priority = Priority.INTERACTIVE,
               use_cache: bool = True, preview: bool = False) -> int:
        return self.runner.submit(image, settings, priority, preview=preview)

    def cancel(self, request_id: int) -> None:
        self.runner.cancel(request_id)

    def user_busy(self) -> bool:
        return self.runner.user_busy()

    def cached(self, image: LoadedImage, settings: SideSettings) -> bool:
        return self.runner.cached(image, settings)

    def open_bitstream(self, data: bytes, device: str, reference: LoadedImage | None, name: str) -> int:
        job_id = 1000 + len(self.bitstreams)
        self.bitstreams[job_id] = (device, name)
        return job_id

    def run_on_model_thread(self, call: Callable[[], object], priority: Priority = Priority.INTERACTIVE) -> int:
        job_id = 2000 + len(self.calls)
        self.calls[job_id] = call
        return job_id

    def shutdown(self) -> None:
        self.shut_down = True


@pytest.fixture
def file_actions(qtbot):
    service = FakeService()
    state = ComparisonState(SideSettings("jpeg", 0.5), SideSettings("msp-fast", 0.5, "cuda"))
    files = FileJobs()
    actions = FileActions(state, BatchQueue(), service, files, SideJobs(state, service))
    yield actions
    files.shutdown()


def test_only_the_newest_open_counts(qtbot, file_actions: FileActions, png200: Path, png64: Path,
                                     tmp_path: Path) -> None:
    opened: list[str] = []
    file_actions.imageOpened.connect(lambda image, _text: opened.append(image.name))
    messages: list[str] = []
    file_actions.message.connect(lambda _level, text: messages.append(text))
    answered: list[int] = []
    file_actions.files.imageLoaded.connect(lambda generation, _image: answered.append(generation))
    file_actions.files.imageFailed.connect(lambda generation, _text: answered.append(generation))
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    for path in (broken, png200, png64):
        file_actions.open_path(path)
    qtbot.waitUntil(lambda: len(answered) == 3, timeout=10000)  # every load did answer ...
    assert opened == [png64.name] and messages == []  # ... but only the last one was heard


def test_a_decoded_bitstream_goes_to_side_b_or_becomes_the_reference(qtbot, file_actions: FileActions,
                                                                     image64, tmp_path: Path) -> None:
    service, state = file_actions.service, file_actions.state
    state.set_image(image64)
    file_actions.side_jobs.start(state.b)
    own_b = file_actions.side_jobs.job(SideName.B)
    path = tmp_path / "photo.msp"
    path.write_bytes(b"MSP...")
    with qtbot.waitSignal(file_actions.imageLoading):
        file_actions.open_path(path)
    qtbot.waitUntil(lambda: len(service.bitstreams) == 1, timeout=10000)
    [(job, (device, name))] = service.bitstreams.items()
    assert (device, name) == ("cuda", "photo.msp")  # decoded where side B's MSP runs

    headers: list[tuple[str, str]] = []
    file_actions.headerOpened.connect(lambda title, dump: headers.append((title, dump)))
    same = replace(outcome(image64.key, SideSettings("msp-fast", 0.5)), source_name="photo.msp", header_text="hdr")
    service.bitstreamOpened.emit(job, same, same.reconstruction)
    assert state.b.result is same and own_b in service.runner.cancelled and headers == [("photo.msp", "hdr")]

    reference: list[LoadedImage] = []
    file_actions.imageOpened.connect(lambda image, _text: reference.append(image))
    other = replace(same, image_key="another image", source_name="other.msp")
    service.bitstreamOpened.emit(job + 1, other, other.reconstruction)
    assert [image.name for image in reference] == ["other.msp (decoded)"]

    errors: list[str] = []
    file_actions.message.connect(lambda level, text: errors.append(text) if level == "error" else None)
    bad = tmp_path / "bad.msp"
    bad.write_bytes(b"MSP")
    file_actions.open_path(bad)
    qtbot.waitUntil(lambda: len(service.bitstreams) == 2, timeout=10000)
    service.jobFailed.emit(12345, "someone else's job")
    service.jobFailed.emit(max(service.bitstreams), "cannot open bad.msp: truncated")
    assert errors == ["cannot open bad.msp: truncated"]


def test_nothing_to_save_is_a_warning_not_a_write(qtbot, file_actions: FileActions, tmp_path: Path) -> None:
    warnings: list[str] = []
    file_actions.message.connect(lambda level, text: warnings.append(text) if level == "warning" else None)
    assert not file_actions.save_bitstream(SideName.A, tmp_path / "a.jpg")
    assert not file_actions.export_png(SideName.B, tmp_path / "b.png")
    assert warnings == ["Side A has no bitstream to save", "Side B has no reconstruction to export"]
    assert not list(tmp_path.iterdir())


def test_controller_routes_an_injected_service_to_its_parts(qtbot, image64) -> None:
    service = FakeService()
    c = StudioController(SideSettings("jpeg", 0.6), SideSettings("msp-fast", 0.5), service=service,
                         sweep_enabled=False, auto_match=True)
    runner = service.runner
    c.set_image(image64)
    a, b = c.side_job(SideName.A), c.side_job(SideName.B)
    assert {runner.settings(a).codec, runner.settings(b).codec} == {"jpeg", "msp-fast"}

    # MSP turns out to be unavailable: B falls back (a new job); the old one is superseded.
    service.mspReady.emit(MspInfo(available=False, reason="no torch"))
    assert c.state.b.settings.codec == FALLBACK_CODEC and b in runner.cancelled
    fallback = c.side_job(SideName.B)

    # A's result: an RD point, shown on A, and (auto-match) B's bitrate search starts.
    service.jobStarted.emit(a)
    assert c.state.a.status is SideStatus.RUNNING
    service.jobFinished.emit(a, outcome(image64.key, SideSettings("jpeg", 0.6), bpp=0.8))
    assert c.state.a.result.bpp == 0.8 and len(c.rd) == 1 and c.matching()
    (probe,) = runner.live(Priority.MATCH)
    assert runner.settings(probe) == SideSettings(FALLBACK_CODEC, 0.5)
    service.jobFinished.emit(probe, outcome(image64.key, runner.settings(probe), bpp=2.0))  # too big: go lower
    (probe,) = runner.live(Priority.MATCH, {probe})
    assert runner.settings(probe) == SideSettings(FALLBACK_CODEC, 0.25)

    service.jobFinished.emit(b, outcome(image64.key, SideSettings("msp-fast", 0.5)))  # the superseded one
    assert c.state.b.result is None and c.stale_dropped == 1

    # The user takes B over: auto-match ends and its probe is cancelled.
    c.set_side_settings(SideName.B, SideSettings("webp", 0.3))
    assert not c.auto_match and not c.matching() and probe in runner.cancelled and fallback in runner.cancelled
    c.sweep_enabled = True
    c.start_sweep()
    assert c.sweep_running() and runner.live(Priority.SWEEP)
    c.shutdown()
    assert service.shut_down and not c.sweep_running()


def test_the_sweep_waits_while_the_user_waits_and_resumes_after(image64) -> None:
    """No sweep job starts while work the user waits for is in flight; resume() goes on."""
    runner = FakeRunner(MspInfo(available=False, reason="no model"))
    state = state_with(image64, SideSettings("jpeg", 0.6))
    sweep = SweepScheduler(state, RDStore(), runner)
    runner.busy = True
    sweep.start()
    assert not runner.live(Priority.SWEEP) and sweep.running()
    sweep.resume()
    assert not runner.live(Priority.SWEEP)
    runner.busy = False
    sweep.resume()
    assert len(runner.live(Priority.SWEEP)) == 1


READY = MspInfo(available=True)


def test_an_overfitting_profile_shows_a_preview_first_then_its_result(image64) -> None:
    """Balanced runs LOF (seconds): the side first shows the same profile without LOF, marked as
    a preview, and only the real result counts as the side's result (bitrate matching waits)."""
    runner = FakeRunner(READY)
    state = state_with(image64, SideSettings("msp-balanced", 0.5))
    jobs = SideJobs(state, runner)
    shown: list[str] = []
    jobs.finished.connect(lambda side: shown.append(side.result.label))
    jobs.start(state.a)
    preview_id, real_id = runner.live(Priority.INTERACTIVE)
    assert runner.settings(preview_id) == SideSettings("msp-balanced:lof_iterations=0", 0.5)
    assert runner.settings(real_id) == SideSettings("msp-balanced", 0.5)
    assert jobs.is_preview(preview_id) and not jobs.is_preview(real_id)
    jobs.on_started(preview_id)
    jobs.on_finished(preview_id, outcome(image64.key, runner.settings(preview_id), bpp=0.5))
    assert state.a.result is not None and state.a.result.label.endswith("preview without LOF")
    assert state.a.status is SideStatus.RUNNING and "LOF" in state.a.message
    assert not shown  # a preview is not the side's result
    jobs.on_started(real_id)
    jobs.on_finished(real_id, outcome(image64.key, runner.settings(real_id), bpp=0.45))
    assert state.a.status is SideStatus.DONE and state.a.result.settings == SideSettings("msp-balanced", 0.5)
    assert len(shown) == 1 and not shown[0].endswith("preview without LOF")


def test_no_preview_for_fast_codecs_or_results_at_hand_and_a_late_preview_is_dropped(image64) -> None:
    runner = FakeRunner(READY)
    state = state_with(image64, SideSettings("msp-fast", 0.5), SideSettings("jpeg", 0.5))
    jobs = SideJobs(state, runner)
    jobs.start(state.a)
    jobs.start(state.b)
    assert len(runner.jobs) == 2  # fast has no LOF, JPEG is not MSP: no previews
    runner.at_hand.add(SideSettings("msp-best", 0.7))
    state.a.set_settings(SideSettings("msp-best", 0.7))
    jobs.start(state.a)
    assert len(runner.jobs) == 3  # the cache answers at once: no preview
    state.a.set_settings(SideSettings("msp-best", 0.2))
    jobs.start(state.a)
    preview_id, real_id = runner.live(Priority.INTERACTIVE)[-2:]
    jobs.on_finished(real_id, outcome(image64.key, runner.settings(real_id), bpp=0.3))
    assert preview_id in runner.cancelled  # the real result came first: the preview is not wanted
    jobs.on_finished(preview_id, outcome(image64.key, runner.settings(preview_id), bpp=0.35))
    assert state.a.result.settings == SideSettings("msp-best", 0.2) and state.a.status is SideStatus.DONE


def test_a_preview_is_shown_but_never_becomes_an_rd_point(qtbot, image64) -> None:
    service = FakeService()
    service.runner.msp_info = READY
    c = StudioController(SideSettings("msp-balanced", 0.5), SideSettings("original"), service=service,
                         sweep_enabled=False, auto_match=False)
    c.set_image(image64)
    preview_id, real_id = service.runner.live(Priority.INTERACTIVE)
    service.jobFinished.emit(preview_id, outcome(image64.key, service.runner.settings(preview_id), bpp=0.5))
    assert c.state.a.result is not None and not c.rd.codecs()
    service.jobFinished.emit(real_id, outcome(image64.key, service.runner.settings(real_id), bpp=0.45))
    assert c.rd.codecs() == ["msp-balanced"]


def test_a_file_opened_onto_b_ends_automatic_bitrate_matching(qtbot, image64) -> None:
    """Matching B's bitrate to A's would re-encode B and replace the file the user opened."""
    service = FakeService()
    c = StudioController(SideSettings("jpeg", 0.6), SideSettings("webp", 0.5), service=service,
                         sweep_enabled=False, auto_match=True)
    c.set_image(image64)
    decoded = replace(outcome(image64.key, SideSettings("msp-fast", 0.4)), source_name="photo.msp")
    service.bitstreamOpened.emit(1000, decoded, decoded.reconstruction)
    assert not c.auto_match
    service.jobFinished.emit(c.side_job(SideName.A), outcome(image64.key, SideSettings("jpeg", 0.6), bpp=0.9))
    assert not c.matching() and c.state.b.result is decoded


def test_a_classic_side_waits_for_the_other_sides_preview(image64) -> None:
    """At start-up VVenC's encode of B took 1.7 s of the 4.7 s before A's first MSP picture: a
    classic side starts once the other side's preview is on show (or gone), and can be cancelled
    while it waits."""
    runner = FakeRunner(READY)
    state = state_with(image64, SideSettings("msp-balanced", 0.5), SideSettings("vvc", 0.5))
    jobs = SideJobs(state, runner)
    jobs.start(state.a)
    jobs.start(state.b)
    preview_id, _real_id = runner.live(Priority.INTERACTIVE)
    assert state.b.status is SideStatus.QUEUED and "preview" in state.b.message
    jobs.on_finished(preview_id, outcome(image64.key, runner.settings(preview_id), bpp=0.5))
    (b_job,) = runner.live(Priority.INTERACTIVE)[2:]
    assert runner.settings(b_job) == SideSettings("vvc", 0.5) and jobs.job(SideName.B) == b_job
    # A new A setting: B waits again, the user cancels it while it waits, and A's preview failing releases nothing.
    state.a.set_settings(SideSettings("msp-best", 0.5))
    jobs.start(state.a)
    jobs.start(state.b)
    new_preview, new_real = runner.live(Priority.INTERACTIVE, ended={preview_id})  # the old jobs were cancelled
    assert runner.settings(new_real) == SideSettings("msp-best", 0.5) and jobs.job(SideName.B) is None
    jobs.cancel(SideName.B)
    assert state.b.status is SideStatus.CANCELLED
    jobs.on_failed(new_preview, "boom")
    assert jobs.job(SideName.B) is None
