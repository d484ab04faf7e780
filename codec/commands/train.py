"""``msp train`` (resumable training run) and ``msp export`` (checkpoint -> shipped weights)."""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

from codec.commands.arguments import positive_float, positive_int
from codec.data import WEIGHTS
from codec.errors import CodecError

__all__ = ["register"]

TRAIN_DEFAULT = "../shared/data/train"  # where a development checkout has the training set
SCHEDULE_MIXES = ("equal", "fast-first")  # codec.training.recipe's EQUAL_ and FAST_FIRST_SCHEDULES
# codec.training.recipe.LOSS_WEIGHTINGS, spelled out so that `msp --help` does not import torch
# (tests/codec/test_training.py checks they agree)
LOSS_WEIGHTINGS = ("sum", "log")
DEFAULT_WIDTH = 64  # ModelConfig.transform_width's default (spelled out for the same reason)


def _train(args: argparse.Namespace) -> int:
    from codec.models.msp_codec import ModelConfig
    from codec.training.loop import TrainConfig, train
    from codec.training.recipe import EQUAL_SCHEDULES, FAST_FIRST_SCHEDULES

    if not Path(args.data).is_dir():
        raise CodecError(
            f"training data directory {args.data} does not exist: --data takes any folder of training images "
            f"(the default, {TRAIN_DEFAULT}, is the project's training set in a development checkout)"
        )
    from codec.models.wavelet import wavelet_channels

    latent = args.latent or (wavelet_channels() if args.transform == "wavelet" else 96)
    lambdas, width, blocks = args.lambdas, args.width, args.residual_blocks
    if args.init_weights and (lambdas is None or width is None or blocks is None):
        from codec.zoo import load_model

        init = load_model(args.init_weights).model.config
        lambdas, width = lambdas or init.lambdas, width or init.transform_width
        blocks = blocks or init.residual_blocks
    try:
        model = ModelConfig(
            transform_width=width or DEFAULT_WIDTH, latent_channels=latent, msp_features=args.msp_features,
            msp_depth=args.msp_depth, transform=args.transform, **({"lambdas": tuple(lambdas)} if lambdas else {}),
            **({"residual_blocks": blocks} if blocks else {}),
        )
    except ValueError as exc:
        raise CodecError(str(exc)) from None
    cfg = TrainConfig(
        data_dir=args.data,
        run_dir=args.run_dir,
        steps=args.steps,
        batch_size=args.batch_size,
        crop_size=args.crop_size,
        learning_rate=args.lr,
        final_learning_rate=args.final_lr,
        warmup_steps=args.warmup,
        checkpoint_every=args.checkpoint_every,
        validate_every=args.validate_every,
        seed=args.seed,
        init_weights=args.init_weights,
        max_images=args.max_images,
        threads=args.threads,
        model=model,
        synthesis_input=args.synthesis_input,
        quality_per_sample=args.quality_per_sample,
        spike_factor=args.spike_clip,
        schedule_weights=FAST_FIRST_SCHEDULES if args.schedule_mix == "fast-first" else EQUAL_SCHEDULES,
        loss_weighting=args.loss_weighting,
        ema_decay=args.ema,
    )
    report = train(cfg, progress=not args.quiet)
    if report.rank != 0:  # one report per job, not one per process (they would interleave)
        return 0
    summary = {"steps": report.steps_done, "last_loss": report.last_loss, "seconds": round(report.seconds, 1)}
    print(json.dumps({**summary, "validation": report.validation}))
    return 0


def _ema_decay(text: str) -> float:
    """An EMA decay: a number in [0, 1) (argparse type: the error names the value)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"an EMA decay is in [0, 1), not {text}")
    return value


def _lambda_grid(text: str) -> tuple[float, ...]:
    """A lambda grid: two or more positive, increasing numbers, comma-separated (argparse type)."""
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers") from None
    if len(values) < 2 or any(not v > 0 for v in values) or any(b <= a for a, b in itertools.pairwise(values)):
        raise argparse.ArgumentTypeError(f"a lambda grid is two or more positive, increasing numbers, not {text}")
    return values


def _residual_blocks(text: str) -> tuple[int, int, int]:
    """Residual blocks at 1/2, 1/4 and 1/8 resolution: three counts of at least 1 (argparse type)."""
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of whole numbers") from None
    if len(values) != 3 or min(values) < 1:
        raise argparse.ArgumentTypeError(f"three counts of at least 1 (at 1/2, 1/4, 1/8 resolution), not {text}")
    return values


def _export(args: argparse.Namespace) -> int:
    from codec.training.loop import mean_checkpoint_model, read_checkpoint
    from codec.zoo import export_weights, write_checksum

    paths = [Path(c) for c in args.checkpoint]
    for ckpt in paths:
        if not ckpt.exists():
            raise CodecError(f"checkpoint {ckpt} does not exist")
    checkpoints = {ckpt: read_checkpoint(ckpt) for ckpt in paths}  # each file read once
    metas = list(checkpoints.values())
    average = args.weights == "ema" or (args.weights == "auto" and all("ema" in meta for meta in metas))
    model = mean_checkpoint_model(checkpoints, average=average)
    kinds = [f"EMA (decay {meta['ema']['decay']}, {meta['ema']['updates']} steps)" if average else "raw" for meta in metas]
    steps = [meta["step"] for meta in metas]
    metadata = {
        "steps": steps[0] if len(steps) == 1 else steps,
        "train_config": metas[0].get("train_config", {}),
        "compute": args.compute,
        "weights": kinds[0] if len(kinds) == 1 else f"the mean of {len(kinds)} runs' weights: " + "; ".join(kinds),
    }
    model_id = export_weights(model, args.out, metadata=metadata)
    write_checksum(args.out)  # the shipped weights are checked against it at every load
    print(f"{args.out}: model id {model_id}, {Path(args.out).stat().st_size / 1e6:.2f} MB, "
          f"{' + '.join(map(str, steps))} steps, {metadata['weights']} weights")
    return 0


def _burst(args: argparse.Namespace) -> int:
    from codec.training.burst import BurstConfig, run_burst

    if not Path(args.pack).is_dir():
        raise CodecError(f"data pack {args.pack} does not exist (build it with `msp pack`)")
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise CodecError("--device cuda: no CUDA GPU is available")
    model = None
    if args.from_scratch:
        from codec.models.msp_codec import ModelConfig

        model = ModelConfig(
            transform_width=args.width or DEFAULT_WIDTH, latent_channels=args.latent or 96,
            msp_features=args.msp_features, msp_depth=args.msp_depth,
            **({"residual_blocks": args.residual_blocks} if args.residual_blocks else {}),
        )
    cfg = BurstConfig(
        pack_dir=args.pack,
        init_weights=None if args.from_scratch else args.init_weights,
        model=model,
        out_dir=args.out,
        budget_seconds=args.budget,
        save_every_seconds=args.save_every,
        batch_size=args.batch_size,
        crop_size=args.crop_size,
        learning_rate=args.lr,
        final_learning_rate=args.final_lr,
        warmup_steps=args.warmup,
        device=args.device,
        seed=args.seed,
        max_steps=args.max_steps,
    )
    report = run_burst(cfg, log=lambda line: print(line, flush=True))
    print(json.dumps({"steps": report.steps, "crops_per_second": report.crops_per_second, "device": report.device_name}))
    return 0


def _pack(args: argparse.Namespace) -> int:
    from codec.training.pack import build_pack

    for src in args.sources:
        if not Path(src).is_dir():
            raise CodecError(f"training data directory {src} does not exist")
    report = build_pack(args.sources, args.out, max_bytes=int(args.max_mib * 2**20), large_short_side=args.large_short_side)
    print(
        f"{report.out_dir}: {report.images} images, {report.megapixels:.0f} MP, {report.total_bytes / 2**20:.1f} MiB "
        f"({report.skipped} left out for the budget)"
    )
    return 0


def _architecture_arguments(p: argparse.ArgumentParser) -> None:
    """The architecture of a model trained from scratch (ModelConfig's fields); in `msp train`, a --width
    above the --init-weights' widens them."""
    p.add_argument(
        "--width", type=positive_int, default=None,
        help=f"transform width N (default: that of --init-weights, else {DEFAULT_WIDTH}); wider than the init "
             "weights' widens their transforms, computing what they computed",
    )
    p.add_argument(
        "--latent", type=positive_int, default=None, help="latent channels C (default 96; 192 for --transform wavelet)"
    )
    p.add_argument(
        "--residual-blocks", type=_residual_blocks, default=None, metavar="HALF,QUARTER,EIGHTH",
        help="residual blocks in each transform at 1/2, 1/4 and 1/8 resolution (default: those of --init-weights, "
             "else 1,1,1); more than the init weights' deepens them with blocks that start as the identity",
    )
    p.add_argument("--msp-features", type=positive_int, default=64)
    p.add_argument("--msp-depth", type=positive_int, default=2)


def register(subparsers) -> None:
    p = subparsers.add_parser("train", help="train the MSP codec (resumes from RUN_DIR/checkpoint.pt)")
    p.add_argument("--data", default=TRAIN_DEFAULT, help="directory of training images")
    p.add_argument("--run-dir", default="runs/main")
    p.add_argument("--steps", type=positive_int, default=10000, help="total optimiser steps of the run")
    p.add_argument("--batch-size", type=positive_int, default=16)
    p.add_argument("--crop-size", type=int, default=128, help="multiple of 64 (latent must split into the MSP scales)")
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--final-lr", type=float, default=1e-5)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--checkpoint-every", type=int, default=200)
    p.add_argument("--validate-every", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--init-weights", default=None, help="start from exported weights (fresh optimiser)")
    p.add_argument("--max-images", type=int, default=None)
    p.add_argument("--threads", type=positive_int, default=None)
    _architecture_arguments(p)
    p.add_argument(
        "--lambdas", type=_lambda_grid, default=None, metavar="L1,L2,...",
        help="the rate-distortion trade-offs of the quality scale, increasing (default: those of --init-weights, "
             "else the standard six); a grid that continues the init weights' adds levels above their top quality",
    )
    p.add_argument(
        "--transform", default="learned", choices=("learned", "wavelet"), help="learned transforms, or the fixed wavelet packet"
    )
    p.add_argument(
        "--synthesis-input", default="coder", choices=("round", "coder"),
        help="train the synthesis on round(y), or on the decoder's mean + round(y - mean)",
    )
    p.add_argument(
        "--quality-per-sample", action="store_true",
        help="each crop of a batch trains its own quality (lambda), instead of one per batch",
    )
    p.add_argument(
        "--spike-clip", type=positive_float, default=None, metavar="FACTOR",
        help="clip the gradient only above FACTOR x the running median norm (default: a fixed clip at 1.0)",
    )
    p.add_argument(
        "--schedule-mix", choices=SCHEDULE_MIXES, default="equal",
        help="how often each profile's decode schedule is unrolled: equally, or fast 50 / balanced 30 / best 20 %%",
    )
    p.add_argument(
        "--loss-weighting", choices=LOSS_WEIGHTINGS, default="sum",
        help="what a step minimises: the mean of the samples' rate-distortion losses, or the mean of their "
             "logarithms (normalised across lambdas; for --quality-per-sample)",
    )
    p.add_argument(
        "--ema", type=_ema_decay, default=None, metavar="DECAY",
        help="keep an exponential moving average of the weights (e.g. 0.999), validated beside them and "
             "exported by default",
    )
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_train)

    p = subparsers.add_parser("burst", help="train from exported weights for a wall-clock budget (a GPU burst)")
    p.add_argument("--pack", default=".burst/pack", help="data pack built by `msp pack`")
    p.add_argument("--init-weights", default=str(WEIGHTS), help="default: the shipped weights")
    p.add_argument("--out", required=True, help="folder for burst-raw.pt, burst-ema.pt and burst.json")
    p.add_argument("--budget", type=float, default=450.0, help="training seconds (wall clock)")
    p.add_argument("--save-every", type=float, default=120.0, help="export the weights every this many seconds")
    p.add_argument("--batch-size", type=positive_int, default=128)
    p.add_argument("--crop-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=1.5e-4)
    p.add_argument("--final-lr", type=float, default=1e-5)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument(
        "--from-scratch", action="store_true", help="train a fresh model (--width, --latent, ...) instead of --init-weights"
    )
    _architecture_arguments(p)
    p.set_defaults(func=_burst)

    p = subparsers.add_parser("pack", help="squeeze training images into a size-budgeted data pack (for a GPU burst)")
    p.add_argument("sources", nargs="+", help="training image directories")
    p.add_argument("--out", default=".burst/pack")
    p.add_argument("--max-mib", type=float, default=50.0)
    p.add_argument("--large-short-side", type=int, default=640, help="larger images are downscaled to this short side")
    p.set_defaults(func=_pack)

    p = subparsers.add_parser("export", help="write a checkpoint's weights (fp16) for shipping")
    p.add_argument(
        "checkpoint", nargs="+",
        help="a run's checkpoint; several (runs from the same weights with other seeds) export the mean of their weights",
    )
    p.add_argument("--out", default=str(WEIGHTS), help="default: the shipped weights (and their .sha256 checksum)")
    p.add_argument("--compute", default="", help="free text: hardware and time used, for the model card")
    p.add_argument(
        "--weights", choices=("auto", "raw", "ema"), default="auto",
        help="the raw weights, or the run's moving average (auto: the average where the run kept one)",
    )
    p.set_defaults(func=_export)
