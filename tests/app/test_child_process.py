"""The child process that runs the perceptual metrics and the error maps: arrays there and back,
failures, cancellation, and a child that dies."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from app.core.error_maps import ErrorMapKind, absolute_error
from app.workers.child_process import ChildFailedError, ChildProcess, ChildStoppedError


@pytest.fixture
def child():
    process = ChildProcess(nice=5)
    process.start()
    yield process
    process.stop()


def _pair(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    original = rng.integers(0, 256, (height, width, 3), np.uint8)
    return original, np.clip(original.astype(np.int16) + rng.integers(-9, 10, original.shape), 0, 255).astype(np.uint8)


def test_a_call_returns_what_the_function_returns_in_the_child(child) -> None:
    original, side = _pair(300, 400)
    levels = child.call(1, "error_levels", ErrorMapKind.ABS_ERROR, original, side)
    assert levels.dtype == np.uint8 and levels.flags.writeable
    np.testing.assert_array_equal(levels, absolute_error(original, side))
    # A second call on the same process; a non-contiguous view travels too.
    levels = child.call(2, "error_levels", ErrorMapKind.ABS_ERROR, original[::2], side[::2])
    np.testing.assert_array_equal(levels, absolute_error(original[::2], side[::2]))


def test_an_exception_in_the_child_comes_back_and_the_child_stays_up(child) -> None:
    original, side = _pair(5, 5)
    with pytest.raises(ChildFailedError) as failed:
        child.call(1, "error_levels", ErrorMapKind.SSIM, original, side)
    assert failed.value.kind == "ValueError" and "7 x 7" in failed.value.message
    assert child.call(2, "error_levels", ErrorMapKind.ABS_ERROR, original, side).shape == (5, 5)
    with pytest.raises(KeyError):
        child.call(3, "os.system", "true")


def test_a_cancelled_call_stops_early_and_answers_none(child) -> None:
    original, side = _pair(1500, 1500)
    answers: list[object] = []
    started = time.monotonic()
    thread = threading.Thread(target=lambda: answers.append(child.call(7, "error_levels", ErrorMapKind.SSIM, original, side)))
    thread.start()
    time.sleep(0.3)
    child.cancel(7)
    thread.join(60)
    cancelled_s = time.monotonic() - started
    assert answers == [None]
    # The same map not cancelled takes longer than the cancelled one did, and the next call is answered.
    started = time.monotonic()
    assert child.call(8, "error_levels", ErrorMapKind.SSIM, original, side).shape == (1500, 1500)
    assert time.monotonic() - started > cancelled_s - 0.3


def test_a_call_to_a_stopped_child_raises_and_start_brings_it_back(child) -> None:
    original, side = _pair(20, 20)
    child.stop()
    with pytest.raises(ChildStoppedError):
        child.call(1, "error_levels", ErrorMapKind.ABS_ERROR, original, side)
    child.start()
    assert child.call(2, "error_levels", ErrorMapKind.ABS_ERROR, original, side).shape == (20, 20)
