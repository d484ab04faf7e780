"""Stage timing: own time per stage, nested by path, adding up to the recording; free when off."""

import time

import numpy as np
import pytest

from codec.api import decode, encode
from codec.stage_timing import StageTime, StageTimes, median_stage_times, record_stages, stage


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_nested_stages_are_charged_their_own_time_and_add_up_to_the_total():
    with record_stages() as recording:
        with stage("outer"):
            _busy(0.02)
            with stage("inner"):
                _busy(0.03)
            with stage("inner"):
                _busy(0.03)
        _busy(0.01)
    times = recording()
    assert [s.name for s in times.stages] == ["outer / inner", "outer"]
    inner, outer = times.stages
    assert inner.calls == 2 and outer.calls == 1
    assert inner.seconds == pytest.approx(0.06, abs=0.015)
    assert outer.seconds == pytest.approx(0.02, abs=0.015)  # its children are not in it
    assert times.unstaged_seconds == pytest.approx(0.01, abs=0.015)
    assert sum(s.seconds for s in times.stages) + times.unstaged_seconds == pytest.approx(times.total_seconds)


def test_stages_outside_a_recording_record_nothing_and_a_failing_stage_still_closes():
    with stage("nobody listens"):
        pass
    with record_stages() as recording:
        with pytest.raises(ValueError), stage("fails"):
            raise ValueError
        with stage("after"):
            pass
    assert [s.name for s in recording().stages] == ["fails", "after"]  # "after" is not nested in "fails"


def test_the_median_of_recordings_takes_each_stage_apart():
    runs = [StageTimes((StageTime("a", a, 1), StageTime("b", b, 2)), a + b) for a, b in [(1, 5), (2, 6), (9, 4)]]
    runs.append(StageTimes((StageTime("a", 3, 1),), 3))  # "b" did not run: counts 0
    median = median_stage_times(runs)
    assert median.seconds("a") == 2.5 and median.seconds("b") == 4.5 and median.total_seconds == 7.0  # of 6, 8, 13, 3


def test_an_encode_and_a_decode_record_every_stage_of_the_codec(make_image):
    image = make_image(64, 96, seed=3)
    with record_stages() as encoding:
        result = encode(image, profile="balanced", quality=0.5, lof_iterations=2)
    with record_stages() as decoding:
        decoded = decode(result.data)
    assert np.array_equal(decoded.image, result.reconstruction)
    enc = {s.name: s for s in encoding().stages}
    dec = {s.name: s for s in decoding().stages}
    steps = result.steps
    assert {"analysis", "lof", "container"} <= set(enc) and {"synthesis", "container"} <= set(dec)
    assert "analysis" not in dec
    judged = "lof / lof true cost / msp coding loop"
    for side, coding in ((enc, judged), (dec, "msp coding loop")):
        calls = side[f"{coding} / backbone, scale 0"].calls
        assert sum(side[f"{coding} / backbone, scale {s}"].calls for s in range(3)) == steps * calls // (steps // 3)
        assert sum(side[f"{coding} / entropy coding, scale {s}"].calls for s in range(3)) == steps * calls // (steps // 3)
        assert side[f"{coding} / backbone, scale 0 / exact convolutions"].calls == 7 * calls
        # The input layer's sums: computed at the scale's start, then updated after each step.
        codings = calls // (steps // 3)
        assert side[f"{coding} / backbone input, scale 0"].calls == calls + codings
    assert enc["lof / lof iterations"].calls == 2
    assert enc["lof / lof iterations / rate (MSP unroll)"].calls == 2
    assert enc[judged].calls == 2  # y0 and the last iterate (balanced judges no midpoint): apart from the rest
    # The winner was coded and decoded when LOF judged it: the encode does not do it again.
    assert "msp coding loop" not in enc and "synthesis" not in enc
