"""RD points outlive the session (#18): saved per image and codec version, bounded, never trusted blindly.

The controller tests relaunch the app's logic on a fake service (a second controller on the same
cache folder) and count what it submits; the cache tests use real files under tmp_path, including
broken and forged ones.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QStandardPaths

from app.cache_location import RD_CACHE_FOLDER, rd_cache_dir
from app.controller import StudioController
from app.core.backends.msp import MspInfo
from app.core.codec_versions import codec_version
from app.core.codecs import SideSettings, pool_codecs
from app.core.image_io import LoadedImage
from app.core.jobs import Priority
from app.core.rd_disk_cache import MAX_FILE_BYTES, SCHEMA, RDDiskCache, StoredPoint
from app.core.rd_persistence import RDPersistence
from app.core.rd_store import RDStore
from app.core.results import RDPoint
from app.core.sweep import SWEEP_QUALITIES
from app.settings_store import APPLICATION, ORGANIZATION, AppSettings

from tests.app.helpers import outcome
from tests.app.test_controller_parts import LOADING, FakeService

WEIGHTS_1 = MspInfo(available=True, profiles=("fast",), model_id="0123456789abcdef")
WEIGHTS_2 = MspInfo(available=True, profiles=("fast",), model_id="fedcba9876543210")
KEY_A, KEY_B, KEY_C = "a" * 32, "b" * 32, "c" * 32


def point(codec: str = "jpeg", quality: float = 0.5, bpp: float = 1.0, version: str = "v1") -> StoredPoint:
    return StoredPoint(RDPoint(SideSettings(codec, quality), bpp, 30.0 + quality, 12.5), version)


# -- a relaunch, through the controller -----------------------------------------------------------
def launch(cache: Path, msp: MspInfo) -> tuple[StudioController, FakeService]:
    service = FakeService()
    service.runner.msp_info = msp
    controller = StudioController(SideSettings("jpeg", 0.6), SideSettings("original"), service=service,
                                  auto_match=False, rd_cache=RDDiskCache(cache))
    return controller, service


def answer_every_job(service: FakeService, image: LoadedImage) -> list[SideSettings]:
    """Finish every job in flight, oldest first, with a made-up result, until none is left."""
    runner, ended, answered = service.runner, set[int](), []
    while live := [i for i in runner.jobs if i not in runner.cancelled and i not in ended]:
        ended.add(live[0])
        settings = runner.settings(live[0])
        service.jobFinished.emit(live[0], outcome(image.key, settings, bpp=0.1 + settings.quality,
                                                  psnr=20.0 + 10 * settings.quality))
        answered.append(settings)
    return answered


def all_points(rd: RDStore) -> set[RDPoint]:
    return {p for codec in rd.codecs() for p in rd.curve(codec)}


def sweep_and_quit(cache: Path, image: LoadedImage, msp: MspInfo = WEIGHTS_1) -> set[RDPoint]:
    """A first launch that measures the whole sweep on ``image`` and closes: what it plotted."""
    controller, service = launch(cache, msp)
    controller.set_image(image)
    answer_every_job(service, image)
    measured = all_points(controller.rd)
    controller.shutdown()
    return measured


def test_a_relaunch_shows_the_saved_sweep_and_measures_none_of_it_again(qtbot, image64, tmp_path: Path) -> None:
    measured = sweep_and_quit(tmp_path, image64)
    assert len(measured) == (len(pool_codecs()) + 1) * len(SWEEP_QUALITIES) + 1  # the sweep and side A's q=0.6

    again, service = launch(tmp_path, WEIGHTS_1)
    again.set_image(image64)
    assert all_points(again.rd) == measured
    assert not service.runner.live(Priority.SWEEP)  # nothing left to sweep
    assert [s for s, _ in service.runner.jobs.values()] == [SideSettings("jpeg", 0.6)]  # side A's pixels only
    again.shutdown()


def test_new_weights_never_show_the_old_weights_points(qtbot, image64, tmp_path: Path) -> None:
    sweep_and_quit(tmp_path, image64)

    retrained, service = launch(tmp_path, WEIGHTS_2)
    retrained.set_image(image64)
    assert retrained.rd.curve("msp-fast") == [] and len(retrained.rd.curve("jpeg")) == len(SWEEP_QUALITIES) + 1
    side_a = SideSettings("jpeg", 0.6)  # its pixels: the disk keeps numbers only
    swept = answer_every_job(service, image64)
    assert side_a in swept
    assert sorted(s.quality for s in swept if s != side_a) == sorted(SWEEP_QUALITIES)
    assert {s for s in swept if s != side_a} == {SideSettings("msp-fast", q) for q in SWEEP_QUALITIES}
    retrained.shutdown()

    back, _ = launch(tmp_path, WEIGHTS_1)  # the first weights again: their points are still there
    back.set_image(image64)
    assert len(back.rd.curve("msp-fast")) == len(SWEEP_QUALITIES)
    back.shutdown()


def test_msp_points_come_back_once_the_model_is_up(qtbot, image64, tmp_path: Path) -> None:
    sweep_and_quit(tmp_path, image64)

    again, service = launch(tmp_path, LOADING)
    again.set_image(image64)
    assert again.rd.curve("msp-fast") == [] and again.rd.curve("jpeg")  # weights unknown yet: no MSP points
    service.runner.msp_info = WEIGHTS_1
    service.mspReady.emit(WEIGHTS_1)
    assert len(again.rd.curve("msp-fast")) == len(SWEEP_QUALITIES)
    again.clear_saved_points()
    assert RDDiskCache(tmp_path).load(image64.key) == () and again.rd.curve("msp-fast")  # the plot keeps them
    again.shutdown()


# -- the cache's files ------------------------------------------------------------------------
def test_points_are_kept_per_settings_and_codec_version(tmp_path: Path) -> None:
    cache = RDDiskCache(tmp_path)
    assert cache.put(KEY_A, point(quality=0.5, version="v1"))
    assert cache.put(KEY_A, point(quality=0.5, version="v2", bpp=2.0))  # other weights: kept beside
    assert cache.put(KEY_A, point(quality=0.5, version="v1", bpp=1.5))  # re-measured: replaces
    assert not cache.put(KEY_A, point(quality=0.5, version="v1", bpp=1.5))  # the same again: no write
    assert set(RDDiskCache(tmp_path).load(KEY_A)) == {point(version="v2", bpp=2.0), point(version="v1", bpp=1.5)}
    assert cache.load(KEY_B) == ()


def test_least_recently_used_images_go_first_when_over_the_image_cap(tmp_path: Path) -> None:
    cache = RDDiskCache(tmp_path, max_images=2)
    cache.put(KEY_A, point())
    cache.put(KEY_B, point())
    assert cache.load(KEY_A)  # A is opened again: B is now the oldest
    cache.put(KEY_C, point())
    assert cache.load(KEY_A) and cache.load(KEY_C) and cache.load(KEY_B) == ()
    assert cache.disk_usage()[0] == 2


def test_the_byte_cap_holds_whatever_is_written(tmp_path: Path) -> None:
    cache = RDDiskCache(tmp_path, max_bytes=4000)
    keys = [f"{i:032x}" for i in range(12)]
    for key in keys:
        for q in SWEEP_QUALITIES:
            cache.put(key, point(quality=q))
        assert cache.disk_usage()[1] <= cache.max_bytes
    kept = [key for key in keys if cache.load(key)]
    assert kept == keys[-len(kept):] and 1 < len(kept) < len(keys)  # the newest survive


GOOD = {"codec": "jpeg", "quality": 0.5, "device": "cpu", "codec_version": "v1", "bpp": 1.0,
        "psnr": 30.5, "msssim_db": 12.5}


def document(*points: object, image: str = KEY_A, schema: object = SCHEMA) -> bytes:
    return json.dumps({"schema": schema, "image": image, "points": list(points)}).encode()


@pytest.mark.parametrize("data", [
    b"", b"{", b"\xff\xfe\x00", b"[]", b"null", b'{"schema": "msp-studio/rd-points/1"}',
    document(GOOD, schema="msp-studio/rd-points/99"), document(GOOD, image=KEY_B),
    json.dumps({"schema": SCHEMA, "image": KEY_A, "points": {"0": GOOD}}).encode(),
    b"[" * 200_000, b" " * (MAX_FILE_BYTES + 1),
], ids=["empty", "truncated", "not-utf8", "a-list", "null", "no-points", "future-schema", "other-image",
        "points-not-a-list", "deeply-nested", "too-big"])
def test_a_broken_file_is_discarded_and_the_image_starts_afresh(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / f"{KEY_A}.json"
    path.write_bytes(data)
    cache = RDDiskCache(tmp_path)
    assert cache.load(KEY_A) == () and not path.exists()
    assert cache.put(KEY_A, point()) and cache.load(KEY_A) == (point(),)


def test_forged_points_are_skipped_and_the_good_ones_kept(tmp_path: Path) -> None:
    forged = [
        "not a point", {**GOOD, "quality": 5.0}, {**GOOD, "quality": True}, {**GOOD, "quality": "0.5"},
        {**GOOD, "bpp": -1.0}, {**GOOD, "bpp": 0}, {**GOOD, "psnr": "high"}, {**GOOD, "codec": ""},
        {**GOOD, "codec": "original"}, {**GOOD, "codec": 7}, {**GOOD, "device": "x" * 1000},
        {key: value for key, value in GOOD.items() if key != "codec_version"},
    ]
    path = tmp_path / f"{KEY_A}.json"
    text = document(*forged, GOOD, {**GOOD, "psnr": None}).decode()
    path.write_text(text.replace('"psnr": "high"', '"psnr": NaN'))  # Python's JSON reads NaN: refused too
    loaded = RDDiskCache(tmp_path).load(KEY_A)
    assert [(p.point.settings, p.point.psnr) for p in loaded] == [(SideSettings("jpeg", 0.5), 30.5),
                                                                  (SideSettings("jpeg", 0.5), None)]


def test_no_point_of_an_unknown_codec_or_on_a_missing_device_is_restored(tmp_path: Path, image64) -> None:
    rd = RDStore()
    rd.reset(image64.key)
    cache = RDDiskCache(tmp_path)
    for codec, device in (("nonsense", "cpu"), ("msp-fast", "cuda"), ("msp-fast", "cpu")):
        settings = SideSettings(codec, 0.5, device)
        version = codec_version(codec, WEIGHTS_1) or "v"
        cache.put(image64.key, StoredPoint(RDPoint(settings, 1.0, 30.0, None), version))
    assert RDPersistence(rd, cache, lambda: WEIGHTS_1).restore() == 1  # this machine has no CUDA
    assert [p.settings for p in rd.curve("msp-fast")] == [SideSettings("msp-fast", 0.5, "cpu")]


def test_links_pipes_and_unsafe_keys_are_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "user-file.json"
    outside.write_bytes(document(GOOD))
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / f"{KEY_A}.json").symlink_to(outside)
    os.mkfifo(folder / f"{KEY_B}.json")  # reading it would block the GUI
    cache = RDDiskCache(folder)
    assert cache.load(KEY_A) == () and cache.load(KEY_B) == ()
    assert outside.read_bytes() == document(GOOD) and sorted(folder.iterdir()) == []
    assert cache.load("../user-file") == () and not cache.put("../user-file", point())
    assert outside.read_bytes() == document(GOOD)


def test_an_unwritable_cache_is_silently_memory_only(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    cache = RDDiskCache(blocker / "rd-points")
    assert not cache.put(KEY_A, point()) and cache.load(KEY_A) == () and cache.clear() == 0


def test_clear_removes_every_saved_image_and_only_ours(tmp_path: Path) -> None:
    cache = RDDiskCache(tmp_path)
    cache.put(KEY_A, point())
    cache.put(KEY_B, point())
    (tmp_path / "notes.txt").write_text("the user's")
    assert cache.clear() == 2 and cache.load(KEY_A) == () and (tmp_path / "notes.txt").exists()


# -- what keys a point: the codec's version ---------------------------------------------------------
def test_codec_versions_follow_the_weights_and_the_library() -> None:
    assert codec_version("msp-fast", WEIGHTS_1) != codec_version("msp-fast", WEIGHTS_2)
    assert codec_version("msp-fast", LOADING) is None  # not known yet: neither saved nor restored
    assert codec_version("original", WEIGHTS_1) is None and codec_version("nonsense", WEIGHTS_1) is None
    jpeg = codec_version("jpeg", LOADING)
    assert jpeg is not None and jpeg == codec_version("jpeg", WEIGHTS_2) != codec_version("webp", WEIGHTS_2)


# -- where the cache lives ------------------------------------------------------------------------
def test_a_private_settings_file_keeps_its_cache_beside_it(app_settings: AppSettings, tmp_path: Path) -> None:
    assert rd_cache_dir(app_settings) == tmp_path / "settings-cache" / RD_CACHE_FOLDER
    users = AppSettings(QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION))
    cache_root = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation)
    assert rd_cache_dir(users) == Path(cache_root) / RD_CACHE_FOLDER


def test_saved_points_count_as_swept_and_late_msp_points_are_not_measured_again(qtbot, image64, tmp_path: Path) -> None:
    sweep_and_quit(tmp_path, image64)
    planned = (len(pool_codecs()) + 1) * len(SWEEP_QUALITIES)

    again, service = launch(tmp_path, WEIGHTS_1)
    progress: list[tuple[int, int]] = []
    again.sweepProgress.connect(lambda done, total: progress.append((done, total)))
    again.set_image(image64)
    assert progress[-1] == (planned, planned)
    again.shutdown()

    late, service = launch(tmp_path, LOADING)
    progress.clear()
    late.sweepProgress.connect(lambda done, total: progress.append((done, total)))
    late.set_image(image64)
    assert progress[-1] == (planned - len(SWEEP_QUALITIES),) * 2
    service.runner.msp_info = WEIGHTS_1
    service.mspReady.emit(WEIGHTS_1)
    assert not service.runner.live(Priority.SWEEP) and progress[-1] == (planned, planned)
    late.shutdown()
