"""Full garbage-collector passes after start-up skip the long-lived objects (no UI hitch)."""

from __future__ import annotations

import gc
import time
import weakref

from app.core.gc_pauses import freeze_startup_objects
from app.workers.service import EncodeService


def _full_collection_ms() -> float:
    started = time.perf_counter()
    gc.collect()
    return 1000 * (time.perf_counter() - started)


class _Node:
    pass


def test_freezing_makes_full_collections_cheap_and_later_garbage_is_still_collected() -> None:
    long_lived = [[i] for i in range(300_000)]  # lists are always tracked, like a loaded app's objects
    before = min(_full_collection_ms() for _ in range(3))
    frozen = freeze_startup_objects()
    after = min(_full_collection_ms() for _ in range(3))
    print(f"\nfull collection: {before:.1f} ms before freezing, {after:.1f} ms after ({frozen} frozen)")
    assert frozen >= len(long_lived)
    assert after < before / 5

    cycle = _Node()
    cycle.me = cycle  # garbage made after the freeze is still found by the collector
    ref = weakref.ref(cycle)
    del cycle
    gc.collect()
    assert ref() is None
    assert long_lived[-1] == [299_999]


def test_the_worker_freezes_once_the_model_is_loaded(qtbot) -> None:
    gc.unfreeze()
    service = EncodeService(pool_threads=1)
    try:
        with qtbot.waitSignal(service.mspReady, timeout=60000) as ready:
            pass
        assert ready.args[0].available
        assert gc.get_freeze_count() > 10_000  # torch, the model and Qt's wrappers
        assert min(_full_collection_ms() for _ in range(3)) < 30  # 90 ms unfrozen
    finally:
        service.shutdown()
