"""The training loop: rate-distortion loss over a sampled lambda, checkpoints, exact resume.

One model covers every quality: each batch draws a quality in [0, 1] (so a lambda on the
log-linear curve between the configured lambdas) and an MSP schedule among the profiles', so
the shared backbone learns every schedule it will be asked to decode with.

Runs on CPU (bf16 autocast + channels_last for the transforms, the entropy model in fp32),
on CUDA (bf16 autocast), and under ``torchrun`` with DistributedDataParallel (gloo on CPU,
nccl on CUDA).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import pickle
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from codec.errors import CodecError, ImageInputError
from codec.models.msp_codec import ModelConfig, MSPCodecModel
from codec.profiles import load_profiles
from codec.training.averaging import WeightAverage, averaged_state_dict, mean_state_dict
from codec.training.data import TrainingImages, split_paths
from codec.training.recipe import (
    EQUAL_SCHEDULES,
    SpikeGuard,
    draw_qualities,
    step_objective,
    step_quality,
    weighted_schedule_name,
)

__all__ = [
    "TrainConfig", "TrainReport", "train", "rd_loss", "per_sample_rd_loss", "load_checkpoint_model",
    "mean_checkpoint_model", "read_checkpoint",
    "autocast_for", "cosine_decay",
]


@dataclass(frozen=True)
class TrainConfig:
    data_dir: str
    run_dir: str
    steps: int = 10000
    batch_size: int = 16  # per process: under torchrun the step sees world_size * batch_size crops
    crop_size: int = 128
    learning_rate: float = 2e-4
    final_learning_rate: float = 1e-5
    warmup_steps: int = 200
    checkpoint_every: int = 200
    validate_every: int = 500
    seed: int = 0
    init_weights: str | None = None  # exported weights to start from (fresh optimiser)
    max_images: int | None = None
    threads: int | None = None
    stop_at_step: int | None = None  # end this invocation early (the schedule still spans `steps`)
    # What the synthesis trains on (MSPCodecModel.forward_train): "coder", the decoder's latent, won
    # the session-7 A/B by 28 points of Kodak BD-rate against "round" (the model card).
    synthesis_input: str = "coder"
    # The step recipe (codec.training.recipe): the defaults are the recipe the shipped weights grew
    # up on; the burst's recipe is per-sample qualities, a spike-only clip and fast-first schedules.
    quality_per_sample: bool = False
    spike_factor: float | None = None  # None: the fixed clip at 1.0
    schedule_weights: tuple[tuple[str, float], ...] = EQUAL_SCHEDULES
    loss_weighting: str = "sum"  # codec.training.recipe.step_objective; "log" lost its A/B (model card, session 11)
    # Keep an EMA of the weights with this decay (codec.training.averaging), validated beside the
    # raw weights and exported by default; None: no average.
    ema_decay: float | None = None
    model: ModelConfig = field(default_factory=ModelConfig)


@dataclass(frozen=True)
class TrainReport:
    steps_done: int
    last_loss: float
    losses: tuple[float, ...]
    seconds: float
    validation: dict | None
    rank: int = 0  # under torchrun every process returns a report; rank 0's is the one to show


def per_sample_rd_loss(x: torch.Tensor, model_out, num_pixels: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(loss, bpp, mse), each of shape (batch,), with loss = bpp + lambda * 255^2 * MSE per
    CompressAI: per sample, so that a batch of mixed qualities weighs each by its own lambda."""
    bpp = model_out.rate.total_bits / num_pixels
    mse = (model_out.x_hat.float() - x).square().flatten(1).mean(1)
    return bpp + model_out.lam * 255.0**2 * mse, bpp, mse


def rd_loss(x: torch.Tensor, model_out, num_pixels: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(loss, bpp, mse) batch means of ``per_sample_rd_loss``."""
    loss, bpp, mse = per_sample_rd_loss(x, model_out, num_pixels)
    return loss.mean(), bpp.mean(), mse.mean()


def cosine_decay(start: float, end: float, progress: float) -> float:
    """``start`` at progress 0 to ``end`` at progress 1 along half a cosine."""
    return end + 0.5 * (start - end) * (1 + math.cos(math.pi * min(1.0, max(0.0, progress))))


def _lr_at(cfg: TrainConfig, step: int) -> float:
    if step < cfg.warmup_steps:
        return cfg.learning_rate * (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
    return cosine_decay(cfg.learning_rate, cfg.final_learning_rate, progress)


def autocast_for(device: torch.device):
    """bf16 autocast where the device supports it (the transforms' context in training)."""
    if device.type in ("cpu", "cuda"):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


class _Wrapper(nn.Module):
    """Gives DDP a forward() whose transforms run under bf16 autocast, the MSP in fp32."""

    def __init__(self, model: MSPCodecModel, device: torch.device, synthesis_input: str = "round") -> None:
        super().__init__()
        self.model = model
        self.device = device
        self.synthesis_input = synthesis_input

    def forward(self, x: torch.Tensor, quality: float | torch.Tensor, schedule):
        return self.model.forward_train(x, quality, schedule, lambda: autocast_for(self.device), self.synthesis_input)


def _save_atomic(obj, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def read_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict:
    """A training checkpoint, loaded without unpickling code (``weights_only``): a checkpoint
    from elsewhere cannot run anything, and a file that is not one is a clear CodecError."""
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except (OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError) as exc:
        raise CodecError(f"{path} is not a readable training checkpoint ({type(exc).__name__})") from None
    if not isinstance(ckpt, dict) or not {"model", "step", "model_config"} <= ckpt.keys():
        raise CodecError(f"{path} is not a training checkpoint of this project")
    return ckpt


def load_checkpoint_model(path: str | Path, average: bool = False) -> MSPCodecModel:
    """The checkpoint's model: its raw weights, or with ``average`` the EMA the run kept (a
    CodecError if it kept none)."""
    return mean_checkpoint_model({Path(path): read_checkpoint(path)}, average=average)


def mean_checkpoint_model(checkpoints: Mapping[Path, dict], average: bool = False) -> MSPCodecModel:
    """The mean of several checkpoints' weights (``read_checkpoint``'s dicts by their paths; each
    its raw weights, or with ``average`` its EMA): runs from the same weights with different seeds,
    averaged into one model (see :func:`codec.training.averaging.mean_state_dict`). A CodecError if
    they are of different architectures or one kept no average."""
    configs, states = [], []
    for path, ckpt in checkpoints.items():
        state = ckpt["model"]
        if average:
            if "ema" not in ckpt:
                raise CodecError(f"{path} kept no average of its weights (train with --ema)")
            state = averaged_state_dict(state, ckpt["ema"])
        configs.append(ckpt["model_config"])
        states.append(state)
    if any(config != configs[0] for config in configs[1:]):
        raise CodecError("the checkpoints are of different models and cannot be averaged")
    try:
        mean = mean_state_dict(states)
    except ValueError as exc:
        raise CodecError(f"the checkpoints cannot be averaged: {exc}") from None
    model = MSPCodecModel(ModelConfig.from_dict(configs[0]))
    model.load_state_dict(mean)
    return model


@torch.no_grad()
def validate(model: MSPCodecModel, images: torch.Tensor, qualities=(0.0, 0.5, 1.0)) -> dict:
    """Mean loss / bpp / PSNR (estimated rates) on fixed validation crops."""
    model.eval()
    schedules = [p.schedule for p in load_profiles().values()]
    out = {}
    for q in qualities:
        res = model.forward_train(images, q, schedules[0])
        loss, bpp, mse = rd_loss(images, res, images.shape[-1] * images.shape[-2])
        out[f"q{q:.2f}"] = {"loss": float(loss), "bpp": float(bpp), "psnr": float(10 * torch.log10(1 / mse))}
    model.train()
    return out


def train(cfg: TrainConfig, log: Callable[[str], None] = print, progress: bool = True) -> TrainReport:
    distributed = "WORLD_SIZE" in os.environ and int(os.environ["WORLD_SIZE"]) > 1
    rank = 0
    if distributed:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend)
        rank = dist.get_rank()
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if torch.cuda.is_available() else "cpu")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    # The data first: a folder with nothing trainable is refused before a run directory exists.
    train_paths, val_paths = split_paths(Path(cfg.data_dir))
    if cfg.max_images:
        train_paths = train_paths[: cfg.max_images]
        val_paths = val_paths[: max(1, cfg.max_images // 8)]
    images = TrainingImages.load(train_paths, cfg.crop_size)
    try:
        val_batch = TrainingImages.load(val_paths, cfg.crop_size).center_crops(cfg.crop_size).to(device) if val_paths else None
    except ImageInputError:  # no held-out image large enough: train without validation figures
        val_batch = None
    run_dir = Path(cfg.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    ckpt_path = run_dir / "checkpoint.pt"

    torch.manual_seed(cfg.seed + rank)
    model = MSPCodecModel(cfg.model)
    if cfg.init_weights:
        from codec.zoo import load_weights_into

        load_weights_into(model, cfg.init_weights)
    model.to(device)
    model.transforms_channels_last()
    params = list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=cfg.learning_rate)
    step = 0
    rng = np.random.default_rng(cfg.seed + 1000 * rank)
    losses: list[float] = []
    guard = SpikeGuard(factor=cfg.spike_factor)
    average = WeightAverage(model, cfg.ema_decay) if cfg.ema_decay is not None else None
    if ckpt_path.exists():
        ckpt = read_checkpoint(ckpt_path, map_location=device)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        step = ckpt["step"]
        if rank == 0:
            rng.bit_generator.state = ckpt["numpy_rng"]
            torch.set_rng_state(ckpt["torch_rng"])
        else:  # other ranks only need streams of their own
            rng = np.random.default_rng([cfg.seed, rank, step])
        losses = list(ckpt.get("losses", []))
        guard.norms = list(ckpt.get("gradient_norms", []))
        if average is not None and "ema" in ckpt:  # else the average starts here, at these weights
            average.load_state_dict(ckpt["ema"])
        log(f"resumed from {ckpt_path} at step {step}")

    wrapper = _Wrapper(model, device, cfg.synthesis_input)
    net: nn.Module = nn.parallel.DistributedDataParallel(wrapper) if distributed else wrapper

    if step == 0 and not cfg.init_weights and cfg.model.transform == "wavelet":
        calibration = images.random_batch(np.random.default_rng([cfg.seed, 7]), 32, cfg.crop_size)
        std = model.calibrate_initial_scales(calibration.to(device))  # same draw on every rank
        log(f"initial scales from {len(calibration)} crops: {float(std.min()):.2f} .. {float(std.max()):.2f}")
    profiles = load_profiles()
    num_pixels = cfg.crop_size**2
    log(f"training on {len(images.arrays)} images ({len(val_paths)} held out), device {device}, step {step}/{cfg.steps}")

    bar = None
    if progress and rank == 0:
        from tqdm import tqdm

        bar = tqdm(total=cfg.steps, initial=step, unit="step", dynamic_ncols=True)
    start = time.perf_counter()
    validation = None
    model.train()
    end = min(cfg.steps, cfg.stop_at_step or cfg.steps)
    while step < end:
        x = images.random_batch(rng, cfg.batch_size, cfg.crop_size).to(device).contiguous(memory_format=torch.channels_last)
        # Per sample, each crop its own (ranks differ, as a batch's crops do); else one for the step.
        quality: float | torch.Tensor = (
            draw_qualities(rng, cfg.batch_size).to(device) if cfg.quality_per_sample else step_quality(cfg.seed, step)
        )
        schedule = profiles[weighted_schedule_name(cfg.seed, step, cfg.schedule_weights)].schedule
        for group in optimizer.param_groups:
            group["lr"] = _lr_at(cfg, step)
        out = net(x, quality, schedule)
        per_sample, bpp, mse = per_sample_rd_loss(x, out, num_pixels)
        optimizer.zero_grad(set_to_none=True)
        step_objective(per_sample, cfg.loss_weighting).backward()
        loss, bpp, mse = per_sample.mean(), bpp.mean(), mse.mean()
        norm, _clipped = guard.clip(params)
        if not math.isfinite(norm):  # a non-finite gradient: skip the step, draw the next batch
            optimizer.zero_grad(set_to_none=True)
            log(f"step {step}: non-finite gradient norm, step skipped")
            continue
        optimizer.step()
        if average is not None:
            average.update(model)
        step += 1
        loss_value, bpp_value, mse_value = float(loss.detach()), float(bpp.detach()), float(mse.detach())
        losses.append(loss_value)
        if bar is not None:
            bar.update(1)
            psnr = 10 * math.log10(1 / max(mse_value, 1e-12))
            q_text = "mixed" if isinstance(quality, torch.Tensor) else f"{quality:.2f}"
            bar.set_postfix(loss=f"{loss_value:.3f}", bpp=f"{bpp_value:.3f}", psnr=f"{psnr:.2f}", q=q_text)
        if rank == 0 and (step % cfg.checkpoint_every == 0 or step == end):
            _save_atomic(
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "step": step,
                    "numpy_rng": rng.bit_generator.state,
                    "torch_rng": torch.get_rng_state(),
                    "losses": losses[-5000:],
                    "gradient_norms": guard.norms,
                    **({"ema": average.state_dict()} if average is not None else {}),
                    "model_config": cfg.model.to_dict(),
                    "train_config": {k: v for k, v in asdict(cfg).items() if k != "model"},
                },
                ckpt_path,
            )
        if rank == 0 and val_batch is not None and (step % cfg.validate_every == 0 or step == end):
            validation = validate(model, val_batch)
            record = {"step": step, "seconds": time.perf_counter() - start, **validation}
            if average is not None:
                record["ema"] = validate(average.model(model), val_batch)
            with open(run_dir / "validation.jsonl", "a") as fh:
                fh.write(json.dumps(record) + "\n")
            log(f"step {step}: validation {json.dumps({k: v for k, v in record.items() if k not in ('step', 'seconds')})}")
    if bar is not None:
        bar.close()
    if distributed:
        # Rank 0 may still be writing the last checkpoint or validating: a rank that tears its
        # gloo connections down before the others finish aborts the whole job at exit.
        dist.barrier()
        dist.destroy_process_group()
    return TrainReport(
        steps_done=step,
        last_loss=losses[-1] if losses else float("nan"),
        losses=tuple(losses),
        seconds=time.perf_counter() - start,
        rank=rank,
        validation=validation,
    )
