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

from codec.models.msp_codec import ModelConfig, MSPCodecModel
from codec.training.data import TrainingImages
from codec.training.loop import TrainConfig, train, validate
from codec.training.recipe import (
    EQUAL_SCHEDULES,
    FAST_FIRST_SCHEDULES,
    SpikeGuard,
    step_quality,
    weighted_schedule_name,
)

TINY = ModelConfig(transform_width=16, latent_channels=16, msp_features=16, msp_depth=1)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    from tests.conftest import smooth_image

    root = tmp_path_factory.mktemp("train")
    for i in range(12):
        Image.fromarray(smooth_image(96, 128, seed=i)).save(root / f"img{i:02d}.png")
    return root


def _cfg(data_dir, run_dir, **kw):
    base = {
        "data_dir": str(data_dir), "run_dir": str(run_dir), "steps": 8, "batch_size": 2, "crop_size": 64,
        "learning_rate": 1e-3, "final_learning_rate": 1e-4, "warmup_steps": 1, "checkpoint_every": 4,
        "validate_every": 1000, "threads": 1, "model": TINY,
    }
    base.update(kw)
    return TrainConfig(**base)


def _val_loss(run_dir, data_dir):
    from codec.training.loop import load_checkpoint_model

    torch.manual_seed(0)
    model = load_checkpoint_model(Path(run_dir) / "checkpoint.pt")
    crops = TrainingImages.load(sorted(Path(data_dir).glob("*.png")), 64).center_crops(64)
    return validate(model, crops, qualities=(0.5,))["q0.50"]["loss"]


@pytest.mark.parametrize("synthesis_input", ["coder", "round"])
def test_short_run_lowers_the_loss(data_dir, tmp_path, synthesis_input):
    train(_cfg(data_dir, tmp_path / "a", steps=1, checkpoint_every=1, synthesis_input=synthesis_input), progress=False)
    before = _val_loss(tmp_path / "a", data_dir)
    train(_cfg(data_dir, tmp_path / "a", steps=40, checkpoint_every=40, synthesis_input=synthesis_input), progress=False)
    after = _val_loss(tmp_path / "a", data_dir)
    assert after < 0.8 * before


def test_resume_is_exact(data_dir, tmp_path):
    """The recipe as shipped (the synthesis on the decoder's latent) resumes bit for bit."""
    assert _cfg(data_dir, tmp_path).synthesis_input == "coder"
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
        # --standalone: a free port, never a clash
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        "-m", "codec.cli", "train", "--data", str(data_dir), "--run-dir", str(run_dir), "--steps", "3",
        "--batch-size", "2", "--crop-size", "64", "--width", "16", "--latent", "16", "--msp-features", "16",
        "--msp-depth", "1", "--threads", "1", "--quiet", "--checkpoint-every", "3",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    ckpt = torch.load(run_dir / "checkpoint.pt", weights_only=False)
    assert ckpt["step"] == 3
    reports = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(reports) == 1  # rank 0 reports for the job; rank 1 stays quiet
    report = reports[0]
    assert report["steps"] == 3 and np.isfinite(report["last_loss"])


@pytest.mark.parametrize("weights", [EQUAL_SCHEDULES, FAST_FIRST_SCHEDULES])
def test_schedules_are_drawn_by_their_weights(weights):
    """The schedule is drawn per step, the same on every DDP rank; each profile's schedule gets
    its weight's share, and a different seed gives a different sequence."""
    draws = [weighted_schedule_name(0, step, weights) for step in range(3000)]
    total = sum(w for _, w in weights)
    assert all(abs(draws.count(name) / 3000 - w / total) < 0.04 for name, w in weights)
    assert draws != [weighted_schedule_name(1, step, weights) for step in range(3000)]


def test_a_step_trains_one_quality_on_every_rank():
    """Without --quality-per-sample the step's quality is a function of (seed, step) alone, so all
    DDP ranks train one lambda (their gradients are averaged before the clip, and a rank with a
    higher lambda would take the step); over many steps the qualities cover [0, 1] evenly."""
    draws = np.array([step_quality(0, step) for step in range(4000)])
    assert draws.tolist() == [step_quality(0, step) for step in range(4000)]
    assert np.all((draws >= 0) & (draws <= 1))
    counts, _ = np.histogram(draws, bins=10, range=(0, 1))
    assert counts.min() > 330 and counts.max() < 470
    assert not np.allclose(draws, [step_quality(1, step) for step in range(4000)])


def test_spike_guard_clips_only_spikes():
    """After its warm-up the guard leaves gradients of the usual size alone and scales a spike
    down to factor x the running median; the fixed clip scales every large gradient."""
    param = torch.nn.Parameter(torch.zeros(4))
    guard = SpikeGuard(factor=3.0, warmup=5)
    for size in [1.0, 2.0, 1.5, 1.0, 2.0, 30.0]:
        param.grad = torch.full((4,), size / 2)  # norm == size
        norm, clipped = guard.clip([param])
        assert norm == pytest.approx(size) and clipped == (size == 30.0)
    assert float(param.grad.norm()) == pytest.approx(3.0 * 1.5)
    fixed = SpikeGuard(factor=None)
    param.grad = torch.full((4,), 3.0)
    assert fixed.clip([param]) == (pytest.approx(6.0), True)
    assert float(param.grad.norm()) == pytest.approx(1.0)


def test_the_burst_recipe_trains_and_resumes_exactly(data_dir, tmp_path):
    """Per-sample qualities, the spike guard (its norms travel in the checkpoint) and weighted
    schedules: a run stopped and resumed equals one that never stopped."""
    recipe = {"quality_per_sample": True, "spike_factor": 3.0, "schedule_weights": FAST_FIRST_SCHEDULES, "steps": 30}
    straight = train(_cfg(data_dir, tmp_path / "straight", **recipe), progress=False)
    train(_cfg(data_dir, tmp_path / "resumed", stop_at_step=24, **recipe), progress=False)
    resumed = train(_cfg(data_dir, tmp_path / "resumed", **recipe), progress=False)
    assert resumed.losses == straight.losses
    ckpt = torch.load(tmp_path / "resumed" / "checkpoint.pt", weights_only=False)
    assert len(ckpt["gradient_norms"]) == 30
    assert np.mean(straight.losses[-5:]) < np.mean(straight.losses[:5])


def test_backbone_head_for_a_steps_channels_matches_the_full_head():
    """Training computes the parameter head only for each step's channels; same values and grads."""
    from codec.entropy_models.msp import MSPBackbone

    torch.manual_seed(3)
    backbone = MSPBackbone(16, 8, 1)
    torch.nn.init.normal_(backbone.param_head.weight, std=0.3)
    torch.nn.init.normal_(backbone.param_head.bias, std=0.3)
    values = torch.randn(2, 64, 5, 6) * 4
    mask = torch.randint(0, 2, (2, backbone.mask_channels, 5, 6)).float()
    ctx = torch.randn(2, 8, 5, 6)
    chans = torch.tensor([1, 5, 9, 62])
    ctx_full, mean_full, scale_full = backbone(values, mask, ctx)
    ctx_step, mean_step, scale_step = backbone(values, mask, ctx, chans)
    assert torch.equal(ctx_full, ctx_step)
    assert torch.allclose(mean_full[:, chans], mean_step, atol=1e-6)
    assert torch.allclose(scale_full[:, chans], scale_step, atol=1e-6)
    grad_full = torch.autograd.grad((mean_full[:, chans] * scale_full[:, chans]).sum(), backbone.in_proj.weight)[0]
    grad_step = torch.autograd.grad((mean_step * scale_step).sum(), backbone.in_proj.weight)[0]
    assert torch.allclose(grad_full, grad_step, rtol=1e-4, atol=1e-5)


def test_export_refuses_what_is_not_a_checkpoint_without_running_it(tmp_path, capsys):
    import pickle

    from codec.cli import main

    class Payload:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    evil = tmp_path / "evil.pt"
    evil.write_bytes(pickle.dumps(Payload()))
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    for path in (evil, junk):
        assert main(["export", str(path), "--out", str(tmp_path / "w.pt")]) == 2
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "w.pt").exists()
    assert "not a readable training checkpoint" in capsys.readouterr().err


def test_a_folder_with_nothing_trainable_is_refused_before_the_run_directory_exists(tmp_path):
    from codec.errors import ImageInputError

    from tests.conftest import smooth_image

    data = tmp_path / "data"
    data.mkdir()
    for i in range(3):
        Image.fromarray(smooth_image(40, 50, seed=i)).save(data / f"small{i}.png")
    (data / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(ImageInputError, match=r"3 smaller, 1 unreadable"):
        train(_cfg(data, tmp_path / "run"), progress=False)
    assert not (tmp_path / "run").exists()


def test_the_weight_average_is_the_ema_of_the_steps_resumes_exactly_and_is_exported(data_dir, tmp_path, capsys):
    """``--ema``: the first update copies the weights, each later one moves decay of the way
    back; a resumed run keeps its average; ``msp export`` ships the average unless asked for the raw weights."""
    from codec.cli import main
    from codec.zoo import load_model

    ema = {"ema_decay": 0.5, "checkpoint_every": 1}
    run = tmp_path / "run"
    train(_cfg(data_dir, run, stop_at_step=1, **ema), progress=False)
    first = torch.load(run / "checkpoint.pt", weights_only=True)
    assert first["ema"]["updates"] == 1
    for name, value in first["ema"]["parameters"].items():
        assert torch.equal(value, first["model"][name])
    train(_cfg(data_dir, run, stop_at_step=2, **ema), progress=False)
    second = torch.load(run / "checkpoint.pt", weights_only=True)
    assert second["ema"]["updates"] == 2
    moved = 0
    for name, value in second["ema"]["parameters"].items():
        torch.testing.assert_close(value, 0.5 * first["model"][name] + 0.5 * second["model"][name])
        moved += not torch.equal(value, second["model"][name])
    assert moved  # the average is not simply the last weights
    train(_cfg(data_dir, tmp_path / "straight", stop_at_step=2, **ema), progress=False)
    straight = torch.load(tmp_path / "straight" / "checkpoint.pt", weights_only=True)
    for name, value in straight["ema"]["parameters"].items():
        assert torch.equal(value, second["ema"]["parameters"][name])

    for choice, expected in (("auto", second["ema"]["parameters"]), ("raw", second["model"])):
        out = tmp_path / f"{choice}.pt"
        assert main(["export", str(run / "checkpoint.pt"), "--out", str(out), "--weights", choice]) == 0
        exported = dict(load_model(out).model.named_parameters())
        for name in second["ema"]["parameters"]:
            torch.testing.assert_close(exported[name].detach(), expected[name].half().float())
    assert "EMA (decay 0.5, 2 steps) weights" in capsys.readouterr().out
    train(_cfg(data_dir, tmp_path / "plain", stop_at_step=1), progress=False)
    assert main(["export", str(tmp_path / "plain" / "checkpoint.pt"), "--out", str(tmp_path / "x.pt"), "--weights", "ema"]) == 2
    assert "kept no average" in capsys.readouterr().err


def test_export_of_several_runs_is_the_mean_of_their_averages(data_dir, tmp_path, capsys):
    """``msp export A B``: runs from the same start with other seeds export as the mean of their
    EMA weights; checkpoints of different models are refused with our error, not averaged."""
    from codec.cli import main
    from codec.zoo import load_model

    train(_cfg(data_dir, tmp_path / "start", stop_at_step=1, checkpoint_every=1), progress=False)
    start = tmp_path / "start.pt"
    assert main(["export", str(tmp_path / "start" / "checkpoint.pt"), "--out", str(start)]) == 0
    runs = [tmp_path / "seed0", tmp_path / "seed1"]
    for seed, run in enumerate(runs):
        cfg = _cfg(data_dir, run, stop_at_step=2, ema_decay=0.9, checkpoint_every=2, seed=seed, init_weights=str(start))
        train(cfg, progress=False)
    averages = [torch.load(run / "checkpoint.pt", weights_only=True)["ema"]["parameters"] for run in runs]
    out = tmp_path / "mean.pt"
    capsys.readouterr()
    assert main(["export", *(str(run / "checkpoint.pt") for run in runs), "--out", str(out)]) == 0
    assert "the mean of 2 runs' weights" in capsys.readouterr().out
    exported = dict(load_model(out).model.named_parameters())
    differ = 0
    for name, first in averages[0].items():
        second = averages[1][name]
        torch.testing.assert_close(exported[name].detach(), ((first + second) / 2).half().float())
        differ += not torch.equal(first, second)
    assert differ  # the seeds trained apart, so the mean is neither run

    other = tmp_path / "other"
    small = ModelConfig(transform_width=8, latent_channels=16, msp_features=16, msp_depth=1)
    train(_cfg(data_dir, other, stop_at_step=1, checkpoint_every=1, ema_decay=0.9, model=small), progress=False)
    assert main(["export", str(runs[0] / "checkpoint.pt"), str(other / "checkpoint.pt"), "--out", str(tmp_path / "x.pt")]) == 2
    assert "different models" in capsys.readouterr().err
    assert not (tmp_path / "x.pt").exists()


def test_log_weighting_divides_each_samples_gradient_by_its_loss():
    """The ``log`` objective normalises across lambdas: a sample whose loss is 20x larger pulls
    with the same weight as a small one (d log L / dL = 1 / L), where ``sum`` lets it pull 20x."""
    from codec.commands import train as train_command
    from codec.training.recipe import LOSS_WEIGHTINGS, step_objective

    assert train_command.LOSS_WEIGHTINGS == LOSS_WEIGHTINGS
    scale = torch.tensor([1.0, 20.0])
    for weighting, expected in [("sum", scale / 2), ("log", torch.tensor([0.5, 0.5]))]:
        theta = torch.ones(2, requires_grad=True)
        step_objective(theta * scale, weighting).backward()
        assert torch.allclose(theta.grad, expected), weighting
    with pytest.raises(ValueError, match="loss weighting"):
        step_objective(scale, "max")


def test_log_weighting_trains_and_resumes_exactly(data_dir, tmp_path):
    """The normalised recipe (per-sample qualities, spike clip, log objective) lowers the loss and
    a run stopped and resumed equals one that never stopped."""
    recipe = {"quality_per_sample": True, "spike_factor": 3.0, "loss_weighting": "log", "steps": 30}
    straight = train(_cfg(data_dir, tmp_path / "straight", **recipe), progress=False)
    train(_cfg(data_dir, tmp_path / "resumed", stop_at_step=24, **recipe), progress=False)
    resumed = train(_cfg(data_dir, tmp_path / "resumed", **recipe), progress=False)
    assert resumed.losses == straight.losses
    assert np.mean(straight.losses[-5:]) < np.mean(straight.losses[:5])


def test_msp_train_extends_the_quality_range_of_its_init_weights_and_keeps_it(data_dir, tmp_path, capsys):
    """``--lambdas`` with a grid that continues the init weights' adds levels above their top quality;
    a later run from those weights inherits the longer grid without being told; a grid that is not
    one is refused by argparse before anything runs."""
    from codec.cli import main
    from codec.zoo import export_weights, load_model

    arch = ["--width", "16", "--latent", "16", "--msp-features", "16", "--msp-depth", "1"]
    common = ["--data", str(data_dir), "--batch-size", "2", "--crop-size", "64", "--threads", "1", "--quiet", *arch]
    init = tmp_path / "init.pt"
    torch.manual_seed(0)
    export_weights(MSPCodecModel(TINY), init)
    grid = (*TINY.lambdas, 0.0932)
    text = ",".join(str(v) for v in grid)
    assert main(["train", *common, "--run-dir", str(tmp_path / "a"), "--steps", "2", "--init-weights", str(init),
                 "--lambdas", text]) == 0
    assert main(["export", str(tmp_path / "a" / "checkpoint.pt"), "--out", str(tmp_path / "a.pt")]) == 0
    extended = load_model(tmp_path / "a.pt").model
    assert extended.config.lambdas == grid and extended.log_gain.shape[0] == len(grid)
    assert main(["train", *common, "--run-dir", str(tmp_path / "b"), "--steps", "1", "--init-weights",
                 str(tmp_path / "a.pt")]) == 0
    assert torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=True)["model"]["log_gain"].shape[0] == len(grid)
    capsys.readouterr()
    for bad in ("0.01", "0.02,0.01", "0.01,x", "0,0.01"):
        with pytest.raises(SystemExit):
            main(["train", *common, "--run-dir", str(tmp_path / "c"), "--lambdas", bad])
        assert "lambda" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize(
    ("option", "value", "field", "grown", "check"),
    [
        ("--width", "24", "transform_width", 24, lambda model: model.g_a.net[0].weight.shape[0] == 24),
        ("--residual-blocks", "1,2,2", "residual_blocks", [1, 2, 2], lambda model: len(model.g_s.net[2]) == 2),
    ],
    ids=["wider", "deeper"],
)
def test_msp_train_grows_its_init_weights_and_a_later_run_keeps_the_size(data_dir, tmp_path, option, value, field, grown, check):
    """``--width`` or ``--residual-blocks`` above the init weights' starts from them widened or
    deepened (the same function, more channels or blocks that start as the identity); without the
    option a run takes its init weights' architecture, so a grown run resumes grown."""
    from codec.cli import main
    from codec.zoo import export_weights, load_model

    arch = ["--latent", "16", "--msp-features", "16", "--msp-depth", "1"]
    common = ["--data", str(data_dir), "--batch-size", "2", "--crop-size", "64", "--threads", "1", "--quiet", *arch]
    init = tmp_path / "init.pt"
    torch.manual_seed(0)
    export_weights(MSPCodecModel(TINY), init)
    assert main(["train", *common, "--run-dir", str(tmp_path / "a"), "--steps", "1", "--init-weights", str(init),
                 option, value]) == 0
    assert main(["export", str(tmp_path / "a" / "checkpoint.pt"), "--out", str(tmp_path / "a.pt")]) == 0
    model = load_model(tmp_path / "a.pt").model
    assert _plain(model.config.to_dict()[field]) == grown and check(model)
    assert main(["train", *common, "--run-dir", str(tmp_path / "b"), "--steps", "1", "--init-weights",
                 str(tmp_path / "a.pt")]) == 0
    assert _plain(torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=True)["model_config"][field]) == grown


def _plain(value):
    """A config value as a list when it is a sequence (a tuple in memory, perhaps a list on disk)."""
    return list(value) if isinstance(value, (list, tuple)) else value


def test_msp_train_refuses_residual_blocks_below_one(data_dir, tmp_path):
    from codec.cli import main

    with pytest.raises(SystemExit):
        main(["train", "--data", str(data_dir), "--run-dir", str(tmp_path / "c"), "--steps", "1", "--residual-blocks", "1,0,2"])
    assert not (tmp_path / "c").exists()
