"""The Qt-free core: values, state machines and geometry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.core.atomic import OverwriteOriginalError, atomic_write_bytes, export_png
from app.core.bitrate_search import BitrateSearch
from app.core.cache import CacheKey, ResultCache
from app.core.codecs import SideSettings, normalize_quality
from app.core.formatting import readout_rows
from app.core.image_io import ImageLoadError, load_image
from app.core.pipeline import original_outcome
from app.core.rd_store import RDStore
from app.core.state import ComparisonState, SideName
from app.core.sweep import sweep_plan
from app.core.throttle import Throttle
from app.core.view_state import ViewMode, ViewState

from tests.app.helpers import outcome


def test_settings_normalise_quality_and_device() -> None:
    assert SideSettings("jpeg", 0.12345, "cuda") == SideSettings("jpeg", 0.123, "cpu")
    assert SideSettings("msp-fast", 0.5, "cuda").device == "cuda"
    assert normalize_quality(1.7) == 1.0 and normalize_quality(-1) == 0.0


def test_cache_is_lru_and_bounded_by_bytes() -> None:
    cache = ResultCache(max_entries=2)
    keys = [CacheKey.of("img", SideSettings("jpeg", q)) for q in (0.1, 0.2, 0.3)]
    for key in keys[:2]:
        cache.put(key, outcome("img", SideSettings(key.codec, key.quality)))
    assert cache.get(keys[0]) is not None  # touch 0.1: 0.2 becomes the oldest
    cache.put(keys[2], outcome("img", SideSettings("jpeg", 0.3)))
    assert keys[1] not in cache and keys[0] in cache and keys[2] in cache
    small = ResultCache(max_entries=10, max_bytes=64 * 64 * 3 + 1000)
    small.put(keys[0], outcome("img", SideSettings("jpeg", 0.1)))
    small.put(keys[1], outcome("img", SideSettings("jpeg", 0.2)))
    assert len(small) == 1 and keys[1] in small


def test_bitrate_search_converges_on_a_monotone_codec() -> None:
    search = BitrateSearch(target_bpp=0.8, max_probes=8)

    def bpp_of(q: float) -> float:
        return 0.05 * 2 ** (7 * q)  # like a real codec: rate grows exponentially with quality

    while (q := search.next_quality()) is not None:
        search.report(q, bpp_of(q))
    _, bpp = search.best()
    assert abs(bpp / 0.8 - 1) < 0.1
    assert len(search.probes) <= 8


def test_bitrate_search_stops_at_the_end_of_the_range() -> None:
    search = BitrateSearch(target_bpp=100.0, max_probes=7)
    while (q := search.next_quality()) is not None:
        search.report(q, q)  # never reaches the target
    assert search.best()[0] > 0.95


def test_view_zoom_about_cursor_keeps_the_point_fixed() -> None:
    view = ViewState()
    view.set_image_size(200, 100)
    pane = view.panes(400, 300)[0]
    anchor = (300.0, 120.0)
    before = pane.to_image(*anchor)
    view.zoom_by(3, pane, anchor)
    after_pane = view.panes(400, 300)[0]
    assert after_pane.to_image(*anchor) == pytest.approx(before)
    assert view.zoom == pytest.approx(2.0 * 1.25**3)


def test_view_zoom_limits_panes_and_pan() -> None:
    view = ViewState()
    view.set_image_size(100, 100)
    view.set_zoom(50)
    assert view.zoom == 8.0
    view.set_mode(ViewMode.SIDE_BY_SIDE)
    assert len(view.panes(1000, 500)) == 2
    view.set_diff_pane(True)
    assert len(view.panes(1000, 500)) == 3
    pane = view.panes(1000, 500)[0]
    cx = pane.center_x
    view.pan_by(80, 0, pane)
    assert view.panes(1000, 500)[0].center_x == pytest.approx(cx - 10)
    view.fit()
    assert view.zoom is None and view.center is None


def test_throttle_limits_rate_but_passes_final() -> None:
    now = [0.0]
    throttle = Throttle(10.0, clock=lambda: now[0])
    passed = 0
    for _ in range(100):
        now[0] += 0.01
        passed += throttle.ready()
    assert 9 <= passed <= 11
    assert throttle.ready(force=True)


def test_sweep_plan_orders_classic_first_and_skips_known() -> None:
    plan = sweep_plan(["msp-fast"], ["jpeg", "vvc"], qualities=(0.1, 0.9), skip=[SideSettings("jpeg", 0.1)])
    assert plan[0] == SideSettings("jpeg", 0.9)
    assert [s.codec for s in plan] == ["jpeg", "vvc", "vvc", "msp-fast", "msp-fast"]


def test_rd_store_groups_and_replaces_points() -> None:
    store = RDStore()
    seen = []
    store.changed.connect(seen.append)
    store.reset("img")
    assert store.add(outcome("img", SideSettings("jpeg", 0.5), bpp=1.0))
    assert store.add(outcome("img", SideSettings("jpeg", 0.5), bpp=1.5))
    assert store.add(outcome("img", SideSettings("jpeg", 0.2), bpp=0.5))
    assert not store.add(outcome("other", SideSettings("jpeg", 0.2)))
    assert [p.bpp for p in store.curve("jpeg")] == [0.5, 1.5]
    assert seen[0] is None and seen[-1] == "jpeg"


def test_state_settings_change_notifies_on_change_only() -> None:
    state = ComparisonState(SideSettings("jpeg"), SideSettings("webp"))
    changed: list[SideName] = []
    for side in state.sides.values():
        side.settings_changed.connect(lambda s: changed.append(s.name))
    assert state.a.set_settings(SideSettings("jpeg", 0.7))
    assert not state.a.set_settings(SideSettings("jpeg", 0.7))
    assert changed == [SideName.A] and state.a.settings == SideSettings("jpeg", 0.7)


def test_readout_of_original_and_small_image(image64) -> None:
    rows = readout_rows(original_outcome(image64), image64)
    assert rows["PSNR"] == "lossless"
    assert rows["MS-SSIM"].startswith("n/a")  # 64 px: MS-SSIM needs > 160 px
    rows = readout_rows(outcome(image64.key, SideSettings("jpeg", 0.5), bpp=2.0), image64)
    assert rows["bpp"] == "2.0000" and rows["PSNR"] == "30.00 dB"
    assert rows["% of original"] == f"{100 * 1024 / (3 * 64 * 64):.2f} %"


def test_load_image_reports_bad_files_clearly(tmp_path: Path, png64: Path) -> None:
    image = load_image(png64)
    assert (image.width, image.height, image.format) == (64, 64, "PNG")
    assert image.file_bytes == png64.stat().st_size
    cases = {
        "notes.png": b"this is not an image",
        "empty.png": b"",
        "truncated.png": png64.read_bytes()[:200],
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ImageLoadError) as info:
            load_image(tmp_path / name)
        assert name in str(info.value)
    with pytest.raises(ImageLoadError, match="folder"):
        load_image(tmp_path)


def test_load_image_refuses_enormous_images(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    Image.new("L", (9000, 8000)).save(path)  # 72 MP, a few KB on disk
    with pytest.raises(ImageLoadError, match="too large"):
        load_image(path)


def test_export_is_atomic_and_never_overwrites_the_original(tmp_path: Path, png64: Path) -> None:
    original = png64.read_bytes()
    pixels = np.full((8, 8, 3), 7, np.uint8)
    with pytest.raises(OverwriteOriginalError):
        export_png(png64, pixels, protect=(png64,))
    assert png64.read_bytes() == original
    target = export_png(tmp_path / "out" / "recon.png", pixels, protect=(png64,))
    assert np.array_equal(np.asarray(Image.open(target)), pixels)
    atomic_write_bytes(tmp_path / "b.msp", b"abc")
    assert (tmp_path / "b.msp").read_bytes() == b"abc"
    assert not list(tmp_path.rglob("*.tmp"))


def test_an_animated_image_is_described_as_its_first_frame(tmp_path: Path) -> None:
    from PIL import Image

    frames = [Image.new("RGB", (24, 16), (40 * i, 90, 200 - 40 * i)) for i in range(4)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=40)
    loaded = load_image(tmp_path / "anim.gif")
    assert "GIF, frame 1 of 4" in loaded.describe() and loaded.pixels.shape == (16, 24, 3)
