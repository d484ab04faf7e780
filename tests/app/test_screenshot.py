"""Screenshots of the real window at given sizes (``--size 1280x720,1920x1080``), from one run."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from app.__main__ import build_parser
from app.core.codecs import SideSettings
from app.core.view_state import ViewMode
from app.screenshot import Screenshotter, sized_shots

from tests.app.helpers import make_window


def test_size_option_takes_one_or_several_sizes() -> None:
    parser = build_parser()
    assert parser.parse_args([]).size == [(1600, 1000)]
    assert parser.parse_args(["--size", "1280x720"]).size == [(1280, 720)]
    assert parser.parse_args(["--size", "1280x720, 1920X1080"]).size == [(1280, 720), (1920, 1080)]
    for bad in ("1280", "1280x", "x720", "0x720", "big"):
        with pytest.raises(SystemExit):
            parser.parse_args(["--size", bad])


def test_one_shot_per_size_named_by_size(tmp_path: Path) -> None:
    shots = sized_shots(tmp_path / "window-{size}.png", [(1280, 720), (1920, 1080)], ViewMode.SPLIT)
    assert [(s.path.name, s.size) for s in shots] == [("window-1280x720.png", (1280, 720)),
                                                       ("window-1920x1080.png", (1920, 1080))]
    assert sized_shots(tmp_path / "one.png", [(1280, 720)], ViewMode.SPLIT)[0].path.name == "one.png"
    with pytest.raises(ValueError, match="size"):
        sized_shots(tmp_path / "window.png", [(1280, 720), (1920, 1080)], ViewMode.SPLIT)


def test_a_shot_resizes_the_window_before_it_grabs_it(qtbot, app_settings, tmp_path: Path) -> None:
    window = make_window(qtbot, app_settings, SideSettings("jpeg", 0.5), SideSettings("webp", 0.5))
    window.resize(1500, 940)
    shot = sized_shots(tmp_path / "window-{size}.png", [(1280, 720)], ViewMode.SPLIT)[0]
    shooter = Screenshotter(window, [])
    shooter._take(shot)
    qtbot.waitUntil(shot.path.exists, timeout=5000)
    image = QImage(str(shot.path))
    dpr = window.devicePixelRatioF()
    assert (image.width(), image.height()) == (round(1280 * dpr), round(720 * dpr))
