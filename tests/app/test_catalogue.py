"""A codec registered in one place, this file, is offered everywhere: `msp eval`, `msp plot`,
the app's codec menu, its job pipeline and its RD plot; and old keys still load."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from codec.baselines import CatalogueEntry, ImageCodec, register, unregister
from codec.baselines.base import Kind, NativeScale
from codec.baselines.palette import PALETTE
from codec.cli import main
from codec.eval.results import load_results

from app.core.backends.msp import MspInfo
from app.core.codecs import SideSettings, menu_codecs, on_model_thread
from app.core.image_io import image_from_array
from app.core.pipeline import run_job
from app.core.state import SideName, SideState
from app.widgets.side_panel import SidePanel

from tests.app.conftest import make_pixels


@dataclass(frozen=True)
class PosterizeCodec(ImageCodec):
    """Test-only codec: the image quantised to fewer levels per channel, stored as PNG."""

    name: ClassVar[str] = "posterize"
    kind: ClassVar[Kind] = "hybrid"
    scale: ClassVar[NativeScale] = NativeScale("levels", 2, 64)

    @property
    def label(self) -> str:
        return "Posterize"

    def unavailable_reason(self) -> str | None:
        return None

    def _library(self) -> tuple[str, str]:
        return "numpy + Pillow", np.__version__

    def _encode(self, image: np.ndarray, quality: float) -> bytes:
        step = 256 / self.scale.to_native(quality)
        levels = (np.floor(image / step) * step + step / 2).clip(0, 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(levels).save(buffer, format="PNG")
        return buffer.getvalue()

    def _decode(self, data: bytes) -> np.ndarray:
        with Image.open(io.BytesIO(data)) as im:
            return np.asarray(im.convert("RGB"))


ENTRY = CatalogueEntry("posterize", PosterizeCodec, "Posterize", ".png", PALETTE["teal"], "test only")


@pytest.fixture
def posterize():
    register(ENTRY)
    yield ENTRY
    unregister(ENTRY.key)


def test_a_registered_codec_runs_in_msp_eval_and_msp_plot(posterize, tmp_path, capsys, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    for seed in (1, 2):
        Image.fromarray(make_pixels(64, seed=seed)).save(data / f"img{seed}.png")
    assert main(["eval", "--list-codecs"]) == 0
    assert "posterize" in capsys.readouterr().out
    out = tmp_path / "results.json"
    assert main(["eval", str(data), "--codecs", "posterize,jpeg", "--qualities", "0.2,0.5,0.9", "--out", str(out),
                 "--no-progress", "--no-ms-ssim"]) == 0
    results = load_results(out)
    assert results.codec("posterize").label == "Posterize" and len(results.codec("posterize").bpp) == 3

    import codec.eval.plot as plot

    drawn: dict[str, str] = {}
    real = plot.colour_of
    monkeypatch.setattr(plot, "colour_of", lambda name, kind="learned": drawn.setdefault(name, real(name, kind)))
    assert main(["plot", str(out), "--out", str(tmp_path / "plots"), "--anchor", "jpeg", "--references", "none"]) == 0
    assert (tmp_path / "plots" / "rd_psnr.png").is_file()
    assert drawn["posterize"] == PALETTE["teal"]  # the colour it registered, as in the app's plot
    assert "Posterize" in capsys.readouterr().out  # in the BD-rate table


def test_a_registered_codec_is_in_the_apps_menu_and_runs_on_the_pool(posterize, qtbot):
    assert posterize in menu_codecs()
    assert not on_model_thread("posterize")
    panel = SidePanel(SideState(SideName.A, SideSettings("jpeg", 0.5)))
    qtbot.addWidget(panel)
    panel.set_msp_info(MspInfo(available=True, devices=("cpu",)))
    index = panel.codec.findData("posterize", Qt.ItemDataRole.UserRole + 1)
    assert index >= 0 and panel.codec.itemText(index) == "Posterize"
    image = image_from_array(make_pixels(64), name="img")
    outcome = run_job(image, SideSettings("posterize", 0.5))
    assert outcome.reconstruction.shape == image.pixels.shape and outcome.metrics.psnr is not None


def test_old_keys_still_load(app_settings, tmp_path):
    app_settings.q.setValue("sides/A/codec", "msp:fast")  # the app's key before the one scheme
    app_settings.q.setValue("sides/A/device", "cuda")
    loaded = app_settings.side(SideName.A, SideSettings("jpeg"))
    assert loaded == SideSettings("msp-fast", 0.5, "cuda")

    old = {"name": "msp-balanced-lof0", "label": "MSP balanced (LOF 0)", "kind": "learned",
           "results": {"bpp": [0.5], "psnr-rgb": [30.0]}}
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"dataset": "d", "codecs": [old]}))
    assert load_results(path).codecs[0].name == "msp-balanced:lof_iterations=0"


def test_a_side_key_with_settings_runs_the_codec_with_them() -> None:
    """A preview's key turns LOF off on the side's device: the settings after ':' are not dropped."""
    from app.core.pipeline import codec_for

    preview = codec_for(SideSettings("msp-balanced:lof_iterations=0", 0.5, "cpu"))
    assert preview.lof_iterations == 0 and preview.profile == "balanced" and preview.device == "cpu"
    assert codec_for(SideSettings("msp-balanced", 0.5)).lof_iterations is None
