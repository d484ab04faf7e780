"""EncodeService scheduling: coalescing, priorities and preemption, with real codecs."""

from __future__ import annotations

import pytest

from app.core.cache import CacheKey
from app.core.codecs import SideSettings
from app.workers.jobs import Priority
from app.workers.service import EncodeService


@pytest.fixture
def service(qtbot):
    svc = EncodeService(pool_threads=2)
    yield svc
    svc.shutdown()


def test_identical_requests_share_one_encode_and_fill_the_cache(qtbot, service, image64) -> None:
    started: list[int] = []
    finished: dict[int, object] = {}
    service.jobStarted.connect(started.append)
    service.jobFinished.connect(lambda job_id, outcome: finished.__setitem__(job_id, outcome))
    settings = SideSettings("jxl", 0.4)
    first = service.submit(image64, settings, Priority.SWEEP)
    second = service.submit(image64, settings, Priority.INTERACTIVE)
    qtbot.waitUntil(lambda: first in finished and second in finished, timeout=20000)
    assert finished[first] is finished[second]
    assert len(started) == 1
    assert service.cache.get(CacheKey.of(image64.key, settings)) is finished[first]
    # Cancelling one of two followers keeps the work for the other.
    cancelled: list[int] = []
    service.jobCancelled.connect(lambda job_id, _p: cancelled.append(job_id))
    other = SideSettings("jxl", 0.9)
    x = service.submit(image64, other)
    y = service.submit(image64, other)
    service.cancel(x)
    qtbot.waitUntil(lambda: y in finished, timeout=20000)
    assert cancelled == [x] and x not in finished


def test_a_user_request_preempts_a_background_msp_job(qtbot, service, image64, image200) -> None:
    events: list[tuple[str, int, bool]] = []
    service.jobStarted.connect(lambda job_id: events.append(("started", job_id, False)))
    service.jobCancelled.connect(lambda job_id, preempted: events.append(("cancelled", job_id, preempted)))
    service.jobFinished.connect(lambda job_id, _o: events.append(("finished", job_id, False)))
    background = service.submit(image200, SideSettings("msp-fast", 0.3), Priority.SWEEP)
    qtbot.waitUntil(lambda: ("started", background, False) in events, timeout=60000)
    user = service.submit(image64, SideSettings("msp-fast", 0.5), Priority.INTERACTIVE)
    qtbot.waitUntil(lambda: ("finished", user, False) in events, timeout=60000)
    assert ("cancelled", background, True) in events  # preempted, so the sweep can re-queue it
    assert events.index(("cancelled", background, True)) < events.index(("finished", user, False))


def test_an_opened_file_preempts_a_running_sweep_job(qtbot, service, image64) -> None:
    """A user who opens a .msp while the sweep runs a long MSP-best encode sees the file within
    seconds: the sweep's job is pushed aside (and marked preempted, so the sweep retries it),
    instead of the file waiting minutes behind it."""
    import time

    import numpy as np

    from codec import api

    from app.core.image_io import image_from_array

    data = api.encode(image64.pixels, profile="fast", quality=0.5).data
    rng = np.random.default_rng(0)
    big = image_from_array(rng.integers(0, 256, (512, 768, 3), dtype=np.uint8), name="noise")
    events: list[tuple[str, int, bool]] = []
    service.jobStarted.connect(lambda job_id: events.append(("started", job_id, False)))
    service.jobCancelled.connect(lambda job_id, preempted: events.append(("cancelled", job_id, preempted)))
    opened: list[int] = []
    service.bitstreamOpened.connect(lambda job_id, _o, _p: opened.append(job_id))
    idle: list[bool] = []
    service.userIdle.connect(lambda: idle.append(True))
    background = service.submit(big, SideSettings("msp-best", 0.9), Priority.SWEEP)
    qtbot.waitUntil(lambda: ("started", background, False) in events, timeout=60000)
    assert not service.user_busy()
    t0 = time.perf_counter()
    job = service.open_bitstream(data, "cpu", None, "kodim.msp")
    assert service.user_busy()
    qtbot.waitUntil(lambda: job in opened, timeout=15000)
    assert time.perf_counter() - t0 < 15
    assert ("cancelled", background, True) in events
    qtbot.waitUntil(lambda: bool(idle), timeout=5000)  # the sweep may go on now
    assert not service.user_busy()


def test_the_start_up_collection_runs_on_the_gui_thread(qtbot, monkeypatch) -> None:
    """A collection on the worker thread finalises Qt objects (pyqtgraph items) there while the GUI
    thread paints them: the start-up collect-and-freeze must run on the GUI thread."""
    import threading

    import app.workers.service as service_module

    threads: list[threading.Thread] = []
    monkeypatch.setattr(service_module, "freeze_startup_objects", lambda: threads.append(threading.current_thread()))
    svc = EncodeService(pool_threads=1)
    try:
        with qtbot.waitSignal(svc.mspReady, timeout=60000):
            pass
        assert threads == [threading.main_thread()]
    finally:
        svc.shutdown()
