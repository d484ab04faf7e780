"""Shared fixtures for the app tests: offscreen Qt, private settings, small real images."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSettings

from app.core.image_io import LoadedImage, image_from_array
from app.settings_store import AppSettings


def make_pixels(size: int, seed: int = 0) -> np.ndarray:
    """A smooth gradient with texture: compresses like a photo, not like noise or a flat field."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    base = np.stack([xx / size * 200 + 20, yy / size * 180 + 30, (xx + yy) / (2 * size) * 150 + 60], axis=-1)
    base += 25 * np.sin(xx / 5.0)[..., None] * np.cos(yy / 7.0)[..., None]
    base += rng.normal(0, 4, base.shape)
    return np.clip(np.rint(base), 0, 255).astype(np.uint8)


@pytest.fixture(autouse=True)
def _private_qsettings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the real user's settings, even through default-constructed QSettings."""
    folder = tmp_path_factory.mktemp("qsettings")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    monkeypatch.setenv("MSP_STUDIO_SETTINGS", str(folder / "studio.ini"))


@pytest.fixture(autouse=True)
def _unfreeze_after_test() -> Iterator[None]:
    """The app freezes its start-up objects (app.core.gc_pauses); give them back to the collector
    after each test and collect them here, on the GUI thread, so that one test's windows do not
    outlive it, nor get finalised by a collection a later test's worker thread happens to trigger
    while this thread paints (pyqtgraph items freed that way crashed Qt in QPainter::restore)."""
    yield
    gc.unfreeze()
    gc.collect()


@pytest.fixture
def app_settings(tmp_path: Path) -> AppSettings:
    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def image64() -> LoadedImage:
    return image_from_array(make_pixels(64), name="test64")


@pytest.fixture
def image200() -> LoadedImage:
    return image_from_array(make_pixels(200, seed=1), name="test200")


@pytest.fixture
def png200(tmp_path: Path) -> Path:
    path = tmp_path / "photo200.png"
    Image.fromarray(make_pixels(200, seed=2)).save(path)
    return path


@pytest.fixture
def png64(tmp_path: Path) -> Path:
    path = tmp_path / "photo64.png"
    Image.fromarray(make_pixels(64, seed=3)).save(path)
    return path
