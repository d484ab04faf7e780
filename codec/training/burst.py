"""A training burst: as much training as a fixed wall-clock budget allows, from given weights.

A lent GPU comes for minutes, not hours, once in a while: the run is planned in seconds, not steps
(warm-up, then a constant learning rate, then a cosine decay over the last part of the budget,
so it never needs re-planning), and the weights are exported every ``save_every_seconds`` so a
run cut off by its lease still returns something. The recipe differs from ``msp train``'s in
the points the training issue asks for:

* each sample of a batch has its own quality (so its own lambda), instead of one per batch;
* gradient clipping only guards against spikes (``spike_factor`` x the running median norm),
  where a fixed clip at 1.0 scaled the high-quality steps down ~20x against the low ones;
* the decode schedules are sampled by weight (``fast`` most), since the MSP unroll dominates a
  step and the longest schedule bought nothing measurable;
* an exponential moving average of the weights is exported beside the raw weights.

Without initial weights it trains a fresh model of ``model``'s architecture, to measure what a
wider model learns from the same minutes; the initial weights' held-out figures are logged first,
so every report carries its own baseline.

It runs on whatever device it is given; the test suite runs it on the CPU with a tiny budget.
"""

from __future__ import annotations

import copy
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from codec.errors import ImageInputError
from codec.models.msp_codec import ModelConfig, MSPCodecModel
from codec.profiles import load_profiles
from codec.training.averaging import WeightAverage
from codec.training.data import TrainingImages, image_paths
from codec.training.device_crops import DeviceCrops
from codec.training.loop import autocast_for, cosine_decay, rd_loss, validate
from codec.training.pack import VALIDATION_DIR
from codec.training.recipe import FAST_FIRST_SCHEDULES, SpikeGuard, draw_qualities
from codec.zoo import export_weights, load_model, weights_metadata

__all__ = ["BurstConfig", "BurstReport", "run_burst", "RAW_WEIGHTS", "EMA_WEIGHTS", "REPORT"]

RAW_WEIGHTS = "burst-raw.pt"
EMA_WEIGHTS = "burst-ema.pt"
REPORT = "burst.json"
VALIDATION_CROP = 128  # the crop `msp train` validates on, so the figures compare with its log


@dataclass(frozen=True)
class BurstConfig:
    pack_dir: str
    init_weights: str | None  # None: a fresh model of ``model``'s architecture
    out_dir: str
    budget_seconds: float = 450.0
    save_every_seconds: float = 120.0
    batch_size: int = 128
    crop_size: int = 256
    learning_rate: float = 1.5e-4
    final_learning_rate: float = 1e-5
    warmup_steps: int = 50
    decay_fraction: float = 0.3  # the last 30 % of the budget decays the learning rate
    ema_decay: float = 0.998
    schedule_weights: tuple[tuple[str, float], ...] = FAST_FIRST_SCHEDULES
    spike_factor: float = 3.0
    device: str = "cuda"
    seed: int = 0
    max_steps: int | None = None
    model: ModelConfig | None = None  # the architecture of a fresh model (init_weights None)


@dataclass(frozen=True)
class BurstReport:
    steps: int
    crops: int
    seconds: float
    steps_per_second: float
    crops_per_second: float
    batch_size: int
    device_name: str
    clipped_steps: int
    validation_init: dict | None
    validation_raw: dict | None
    validation_ema: dict | None
    mean_loss_last_100: float


def learning_rate_at(cfg: BurstConfig, step: int, progress: float) -> float:
    """Warm-up by steps, then constant, then a cosine to the final rate over the budget's tail."""
    if step < cfg.warmup_steps:
        return cfg.learning_rate * (step + 1) / cfg.warmup_steps
    start = 1.0 - cfg.decay_fraction
    if progress <= start:
        return cfg.learning_rate
    return cosine_decay(cfg.learning_rate, cfg.final_learning_rate, (progress - start) / max(cfg.decay_fraction, 1e-9))


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return "cpu"


def _validation_batch(pack_dir: Path, size: int, device: torch.device) -> torch.Tensor | None:
    folder = pack_dir / VALIDATION_DIR
    paths = image_paths(folder) if folder.is_dir() else []
    try:
        return TrainingImages.load(paths, size).center_crops(size).to(device) if paths else None
    except ImageInputError:  # none large enough
        return None


class _Exporter:
    """Writes raw and EMA weights plus the running report, atomically, into the output folder."""

    def __init__(self, cfg: BurstConfig, init_metadata: dict, device: torch.device, val_batch: torch.Tensor | None) -> None:
        self.cfg = cfg
        self.validation_init: dict | None = None
        self.out = Path(cfg.out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.init_metadata = init_metadata
        self.device = device
        self.val_batch = val_batch

    def __call__(self, model: MSPCodecModel, ema: MSPCodecModel, stats: dict) -> tuple[dict | None, dict | None]:
        val_raw, val_ema = self._validate(model), self._validate(ema)
        burst = {**stats, "device": _device_name(self.device), "config": asdict(self.cfg)}
        for net, name in ((model, RAW_WEIGHTS), (ema, EMA_WEIGHTS)):
            cpu_copy = copy.deepcopy(net).cpu().float()
            metadata = {
                "steps": self.init_metadata.get("steps", stats["steps"]),
                "train_config": self.init_metadata.get("train_config", {}),
                "compute": f"{self.init_metadata.get('compute', '')}; + GPU burst: {stats['steps']} steps of "
                f"{self.cfg.batch_size} x {self.cfg.crop_size}^2 crops in {stats['seconds']:.0f} s on {burst['device']}",
                "gpu_burst": {**burst, "weights": "ema" if net is ema else "raw"},
            }
            export_weights(cpu_copy, self.out / name, metadata=metadata)
        report = {**burst, "validation_init": self.validation_init, "validation_raw": val_raw, "validation_ema": val_ema}
        tmp = self.out / (REPORT + ".tmp")
        tmp.write_text(json.dumps(report, indent=1))
        tmp.replace(self.out / REPORT)
        return val_raw, val_ema

    def validate_initial(self, model: MSPCodecModel) -> dict | None:
        self.validation_init = self._validate(model)
        return self.validation_init

    def _validate(self, model: MSPCodecModel) -> dict | None:
        """Held-out figures under one fixed draw of the training noise, so that raw and EMA
        weights, and successive exports, differ by their weights alone."""
        if self.val_batch is None:
            return None
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(0)
            return validate(model, self.val_batch)


def run_burst(cfg: BurstConfig, log: Callable[[str], None] = print) -> BurstReport:
    device = torch.device(cfg.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    pack = Path(cfg.pack_dir)
    if cfg.init_weights:
        model = load_model(cfg.init_weights).model
        init_metadata = weights_metadata(cfg.init_weights)
    else:
        model = MSPCodecModel(cfg.model or ModelConfig())
        init_metadata = {"compute": "from scratch"}
    model.to(device)
    model.transforms_channels_last()
    model.train()
    average = WeightAverage(model, cfg.ema_decay)
    params = list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=cfg.learning_rate, fused=device.type == "cuda")

    t_load = time.perf_counter()
    crops = DeviceCrops.load(pack, cfg.crop_size, device)
    val_batch = _validation_batch(pack, VALIDATION_CROP, device)
    log(
        f"pack: {len(crops.images)} images, {crops.megapixels:.0f} MP on {_device_name(device)} in "
        f"{time.perf_counter() - t_load:.1f} s; validation crops: {0 if val_batch is None else len(val_batch)}"
    )
    profiles = load_profiles()
    names = [n for n, _ in cfg.schedule_weights]
    probs = np.array([w for _, w in cfg.schedule_weights], dtype=np.float64)
    probs /= probs.sum()
    exporter = _Exporter(cfg, init_metadata, device, val_batch)
    val_init = exporter.validate_initial(model)
    if val_init is not None:
        log(f"validation init {json.dumps(val_init)}")

    batch = cfg.batch_size
    step, crops_done, clipped = 0, 0, 0
    guard = SpikeGuard(factor=cfg.spike_factor)
    losses: list[float] = []
    start = last_save = last_log = time.perf_counter()
    while True:
        now = time.perf_counter()
        elapsed = now - start
        if elapsed >= cfg.budget_seconds or (cfg.max_steps is not None and step >= cfg.max_steps):
            break
        x = crops.batch(rng, batch, cfg.crop_size).contiguous(memory_format=torch.channels_last)
        qualities = draw_qualities(rng, batch).to(device)
        schedule = profiles[names[rng.choice(len(names), p=probs)]].schedule
        for group in optimizer.param_groups:
            group["lr"] = learning_rate_at(cfg, step, elapsed / cfg.budget_seconds)
        try:
            out = model.forward_train(x, qualities, schedule, lambda: autocast_for(device), "coder")
            loss, _bpp, _mse = rd_loss(x, out, cfg.crop_size**2)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
        except torch.OutOfMemoryError:
            if step > 0 or batch <= 8:
                raise
            optimizer.zero_grad(set_to_none=True)
            del x
            torch.cuda.empty_cache()
            batch //= 2
            log(f"out of memory at the first step: batch {batch}")
            continue
        norm, was_clipped = guard.clip(params)
        if not math.isfinite(norm):
            optimizer.zero_grad(set_to_none=True)  # a non-finite gradient: skip the step
            log(f"step {step}: non-finite gradient norm, step skipped")
            continue
        clipped += was_clipped
        optimizer.step()
        average.update(model)
        losses.append(float(loss.detach()))
        step += 1
        crops_done += batch
        now = time.perf_counter()
        if now - last_log >= 30 or step == 1:
            last_log = now
            log(
                f"step {step} ({now - start:.0f} s): loss {np.mean(losses[-50:]):.4f}, grad norm {norm:.2f}, "
                f"lr {optimizer.param_groups[0]['lr']:.2e}, {crops_done / (now - start):.0f} crops/s, batch {batch}"
            )
        if now - last_save >= cfg.save_every_seconds:
            last_save = now
            exporter(model, average.model(model), _stats(step, crops_done, now - start, batch, clipped))
            log(f"step {step}: weights written to {cfg.out_dir}")
    seconds = time.perf_counter() - start
    stats = _stats(step, crops_done, seconds, batch, clipped)
    val_raw, val_ema = exporter(model, average.model(model), stats)
    log(f"done: {json.dumps(stats)}")
    if val_raw is not None:
        log(f"validation raw {json.dumps(val_raw)}\nvalidation ema {json.dumps(val_ema)}")
    return BurstReport(
        steps=step,
        crops=crops_done,
        seconds=seconds,
        steps_per_second=stats["steps_per_second"],
        crops_per_second=stats["crops_per_second"],
        batch_size=batch,
        device_name=_device_name(device),
        clipped_steps=clipped,
        validation_init=val_init,
        validation_raw=val_raw,
        validation_ema=val_ema,
        mean_loss_last_100=float(np.mean(losses[-100:])) if losses else float("nan"),
    )


def _stats(step: int, crops: int, seconds: float, batch: int, clipped: int) -> dict:
    return {
        "steps": step,
        "crops": crops,
        "seconds": round(seconds, 1),
        "steps_per_second": round(step / max(seconds, 1e-9), 3),
        "crops_per_second": round(crops / max(seconds, 1e-9), 1),
        "batch_size": batch,
        "clipped_steps": int(clipped),
    }
