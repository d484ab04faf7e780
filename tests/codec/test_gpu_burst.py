"""The GPU burst kit's dry run: the same script a lent GPU runs, on the CPU with a tiny budget.

It builds a data pack from a few images, runs ``scripts/gpu-burst.sh`` end to end (training from
the shipped weights, exported weights, timings, the cross-device check) and checks what comes
back, so the kit cannot rot between the rare sessions that are lent a GPU.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from codec.models.msp_codec import MSPCodecModel
from codec.training.burst import EMA_WEIGHTS, RAW_WEIGHTS, REPORT, BurstConfig, learning_rate_at
from codec.training.device_crops import DeviceCrops
from codec.training.pack import MANIFEST_NAME, VALIDATION_DIR, build_pack
from codec.zoo import DEFAULT_WEIGHTS, load_model, weights_metadata

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    from tests.conftest import smooth_image

    root = tmp_path_factory.mktemp("photos")
    big, small = root / "big", root / "small"
    big.mkdir()
    small.mkdir()
    for i in range(3):
        Image.fromarray(smooth_image(400, 520, seed=i)).save(big / f"large{i}.png")
    for i in range(40):
        Image.fromarray(smooth_image(160, 200, seed=10 + i)).save(small / f"photo{i:02d}.jpg", quality=95)
    return big, small


def test_pack_respects_its_budget_and_keeps_validation_apart(sources, tmp_path):
    big, small = sources
    report = build_pack([big, small], tmp_path / "pack", max_bytes=400_000, large_short_side=300, min_side=128)
    files = sorted((tmp_path / "pack").glob("*.jpg"))
    total = sum(p.stat().st_size for p in (tmp_path / "pack").rglob("*") if p.is_file())
    assert total == report.total_bytes <= 400_000
    assert report.skipped > 0 and len(files) == report.images
    manifest = json.loads((tmp_path / "pack" / MANIFEST_NAME).read_text())
    downscaled = [e for e in manifest["images"] if e["downscaled"]]
    assert downscaled and all(min(e["size"]) == 300 for e in downscaled)
    assert manifest["images"][0]["downscaled"]  # the large images come first
    validation = {p.name.split("__", 1)[1] for p in (tmp_path / "pack" / VALIDATION_DIR).iterdir()}
    packed = {Path(e["source"]).name for e in manifest["images"]}
    assert not validation & packed


def test_device_crops_are_in_range_and_vary(sources):
    big, _ = sources
    crops = DeviceCrops.load(big, 64, torch.device("cpu"))
    rng = np.random.default_rng(0)
    a, b = crops.batch(rng, 4, 64), crops.batch(rng, 4, 64)
    assert a.shape == (4, 3, 64, 64) and a.dtype == torch.float32
    assert 0.0 <= float(a.min()) <= float(a.max()) <= 1.0
    assert not torch.equal(a, b)


def test_learning_rate_warms_up_holds_then_decays():
    cfg = BurstConfig(pack_dir="", init_weights="", out_dir="", learning_rate=1e-4, final_learning_rate=1e-5, warmup_steps=10)
    assert learning_rate_at(cfg, 0, 0.0) == pytest.approx(1e-5)
    assert learning_rate_at(cfg, 100, 0.5) == 1e-4
    assert 1e-5 < learning_rate_at(cfg, 100, 0.85) < 1e-4
    assert learning_rate_at(cfg, 100, 1.0) == pytest.approx(1e-5)


def test_per_sample_qualities_match_the_scalar_rate_points():
    torch.manual_seed(0)
    model = MSPCodecModel()
    with torch.no_grad():
        model.log_gain.normal_()
    qualities = torch.tensor([0.0, 0.13, 0.5, 0.99, 1.0])
    gains, inv_gains, lams = model.rate_points(qualities)
    for i, q in enumerate(qualities.tolist()):
        gain, inv_gain, lam = model.rate_point(q)
        assert torch.allclose(gains[i], gain, rtol=1e-5) and torch.allclose(inv_gains[i], inv_gain, rtol=1e-5)
        assert float(lams[i]) == pytest.approx(lam, rel=1e-5)


@pytest.mark.slow
@pytest.mark.skipif(not DEFAULT_WEIGHTS.exists(), reason="needs the shipped weights")
def test_dry_run_of_the_burst_script(sources, tmp_path):
    from tests.conftest import smooth_image

    big, small = sources
    build_pack([big, small], tmp_path / "pack", max_bytes=2_000_000, large_short_side=300, min_side=128)
    out = tmp_path / "out"
    bench_image = tmp_path / "bench.png"
    Image.fromarray(smooth_image(96, 128, seed=99)).save(bench_image)
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "OUT": str(out),
        "BURST_PACK": str(tmp_path / "pack"),
        "BURST_DEVICE": "cpu",
        "BURST_BUDGET": "60",
        "BURST_MAX_STEPS": "3",
        "BURST_BATCH": "2",
        "BURST_CROP": "64",
        "BURST_SERIAL_SIZE": "128x96",
        "BURST_BENCH_REPEAT": "1",
        "BURST_BENCH_IMAGE": str(bench_image),
        "OMP_NUM_THREADS": "1",
    }
    proc = subprocess.run([str(ROOT / "scripts" / "gpu-burst.sh")], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((out / REPORT).read_text())
    assert report["steps"] == 3 and report["crops"] == 6 and report["device"] == "cpu"
    assert set(report["validation_ema"]) == {"q0.00", "q0.50", "q1.00"}
    shipped = load_model(DEFAULT_WEIGHTS).model
    for name in (RAW_WEIGHTS, EMA_WEIGHTS):
        assert load_model(out / name).model.config == shipped.config
        assert weights_metadata(out / name)["gpu_burst"]["steps"] == 3
    raw = load_model(out / RAW_WEIGHTS).model.state_dict()
    changed = [k for k, v in shipped.state_dict().items() if v.is_floating_point() and not torch.equal(raw[k], v)]
    assert any(k.startswith("g_a.") for k in changed) and any(k.startswith("backbone.") for k in changed)
    timings = (out / "timings.txt").read_text()
    assert "serial context model" in timings and "128x96" in timings
    assert "skipped" in (out / "cross-device.txt").read_text() or "passed" in (out / "cross-device.txt").read_text()
    assert "torch" in (out / "device.txt").read_text()


def test_a_burst_from_scratch_trains_the_architecture_it_is_given(sources, tmp_path):
    from codec.models.msp_codec import ModelConfig
    from codec.training.burst import run_burst

    big, small = sources
    build_pack([big, small], tmp_path / "pack", max_bytes=2_000_000, large_short_side=300, min_side=128)
    wide = ModelConfig(transform_width=24, latent_channels=40, msp_features=16, msp_depth=1)
    cfg = BurstConfig(
        pack_dir=str(tmp_path / "pack"), init_weights=None, model=wide, out_dir=str(tmp_path / "out"),
        device="cpu", batch_size=2, crop_size=64, max_steps=2, budget_seconds=60, warmup_steps=1,
    )
    report = run_burst(cfg, log=lambda line: None)
    assert report.steps == 2
    exported = load_model(tmp_path / "out" / RAW_WEIGHTS).model
    assert exported.config == wide
    # The report carries its own baseline: the fresh model's held-out figures before any step.
    saved = json.loads((tmp_path / "out" / REPORT).read_text())
    assert saved["validation_init"]["q0.50"]["loss"] == pytest.approx(report.validation_init["q0.50"]["loss"])
    assert report.validation_raw["q0.50"]["loss"] != report.validation_init["q0.50"]["loss"]
