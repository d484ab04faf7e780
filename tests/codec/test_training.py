"""A CI-sized training run: the loss goes down, resume is exact, DDP runs on 2 CPU processes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from codec.models.msp_codec import ModelConfig
from codec.training.data import TrainingImages
from codec.training.loop import TrainConfig, train, validate

TINY = ModelConfig(transform_width=16, latent_channels=16, msp_features=16, msp_depth=1)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    from tests.codec.conftest import smooth_image

    root = tmp_path_factory.mktemp("train")
    for i in range(12):
        Image.fromarray(smooth_image(96, 128, seed=i)).save(root / f"img{i:02d}.png")
    return root


def _cfg(data_dir, run_dir, **kw):
    base = dict(
        data_dir=str(data_dir), run_dir=str(run_dir), steps=8, batch_size=2, crop_size=64, learning_rate=1e-3,
        final_learning_rate=1e-4, warmup_steps=1, checkpoint_every=4, validate_every=1000, threads=1, model=TINY,
    )
    base.update(kw)
    return TrainConfig(**base)


def _val_loss(run_dir, data_dir):
    from codec.training.loop import load_checkpoint_model

    torch.manual_seed(0)
    model = load_checkpoint_model(Path(run_dir) / "checkpoint.pt")
    crops = TrainingImages.load(sorted(Path(data_dir).glob("*.png")), 64).center_crops(64)
    return validate(model, crops, qualities=(0.5,))["q0.50"]["loss"]


def test_short_run_lowers_the_loss(data_dir, tmp_path):
    train(_cfg(data_dir, tmp_path / "a", steps=1, checkpoint_every=1), progress=False)
    before = _val_loss(tmp_path / "a", data_dir)
    train(_cfg(data_dir, tmp_path / "a", steps=40, checkpoint_every=40), progress=False)
    after = _val_loss(tmp_path / "a", data_dir)
    assert after < 0.8 * before


def test_resume_is_exact(data_dir, tmp_path):
    straight = train(_cfg(data_dir, tmp_path / "straight"), progress=False)
    train(_cfg(data_dir, tmp_path / "resumed", stop_at_step=4), progress=False)
    resumed = train(_cfg(data_dir, tmp_path / "resumed"), progress=False)
    assert resumed.losses == straight.losses
    a = torch.load(tmp_path / "straight" / "checkpoint.pt", weights_only=False)["model"]
    b = torch.load(tmp_path / "resumed" / "checkpoint.pt", weights_only=False)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_ddp_two_cpu_processes(data_dir, tmp_path):
    run_dir = tmp_path / "ddp"
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29517",
        "-m", "codec.cli", "train", "--data", str(data_dir), "--run-dir", str(run_dir), "--steps", "3",
        "--batch-size", "2", "--crop-size", "64", "--width", "16", "--latent", "16", "--msp-features", "16",
        "--msp-depth", "1", "--threads", "1", "--quiet", "--checkpoint-every", "3",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    ckpt = torch.load(run_dir / "checkpoint.pt", weights_only=False)
    assert ckpt["step"] == 3
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["steps"] == 3 and np.isfinite(report["last_loss"])
