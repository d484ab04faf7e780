"""``msp bench``: encode and decode seconds per profile on one image (a benchmark, not a test).

Timings are medians of ``--repeat`` runs after one warm-up, at a fixed thread count, so runs
on the same machine can be compared; the numbers vary with machine load.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from codec.commands.arguments import KODAK_DEFAULT, image_folder, positive_int
from codec.data import DEMO_IMAGE

__all__ = ["register", "DEFAULT_BENCH_IMAGE"]

DEFAULT_BENCH_IMAGE = DEMO_IMAGE


def _bench(args: argparse.Namespace) -> int:
    if args.profiles:
        return _bench_profiles(args)
    if args.scaling:
        return _bench_scaling(args)
    import numpy as np
    import torch

    from codec.api import decode, encode, list_profiles, model_info
    from codec.commands.stage_table import format_breakdown
    from codec.image_io import load_image
    from codec.stage_timing import median_stage_times

    torch.set_num_threads(args.threads)
    image = load_image(args.image)
    h, w = image.shape[:2]
    profiles = args.profile or [p.name for p in list_profiles()]
    info = model_info()
    print(f"image {args.image} ({w}x{h}), {args.threads} threads, device {args.device}, model {info.model_id} ({info.source})")
    print(f"{'profile':<14} {'steps':>5} {'encode s':>9} {'decode s':>9} {'bpp':>7} {'PSNR':>6}")
    breakdowns = {}
    for name in profiles:
        enc_times, dec_times = [], []
        enc_stages, dec_stages = [], []
        result = encode(image, profile=name, quality=args.quality, device=args.device)  # warm-up
        for _ in range(args.repeat):
            t = time.perf_counter()
            with _recording(args) as encoding:
                result = encode(image, profile=name, quality=args.quality, device=args.device)
            enc_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            with _recording(args) as decoding:
                decoded = decode(result.data, device=args.device)
            dec_times.append(time.perf_counter() - t)
            assert np.array_equal(decoded.image, result.reconstruction)
            if args.stages:
                enc_stages.append(encoding())
                dec_stages.append(decoding())
        if args.stages:
            breakdowns[name] = (median_stage_times(enc_stages), median_stage_times(dec_stages))
        mse = np.mean((image.astype(np.float64) - result.reconstruction) ** 2)
        psnr = 10 * np.log10(255.0**2 / mse) if mse > 0 else float("inf")
        print(
            f"{name:<14} {result.steps:>5} {statistics.median(enc_times):>9.3f} {statistics.median(dec_times):>9.3f} "
            f"{result.bpp:>7.4f} {psnr:>6.2f}"
        )
    for name, (enc, dec) in breakdowns.items():
        print()
        print(format_breakdown(name, enc, dec, args.repeat))
    if args.serial:  # decode timing needs no LOF: always compare every profile
        _bench_serial(image, [p.name for p in list_profiles()], args)
    return 0


def _recording(args: argparse.Namespace):
    """Record the stages of one timed call when ``--stages`` asks for them (else record nothing)."""
    import contextlib

    import torch

    from codec.stage_timing import record_stages

    if not args.stages:
        return contextlib.nullcontext(lambda: None)
    return record_stages(torch.cuda.synchronize if args.device == "cuda" else None)


def _bench_scaling(args: argparse.Namespace) -> int:
    """Decode time against image size, every profile and the serial context model (README plot)."""
    from codec.api import list_profiles
    from codec.atomic import check_output_path
    from codec.eval.scaling import measure_decode_scaling, save_scaling
    from codec.eval.scaling_plot import plot_decode_scaling
    from codec.image_io import load_image

    for output in (args.out, args.plot):
        if output:
            check_output_path(output, overwrite=True)  # before minutes of timing
    profiles = args.profile or [p.name for p in list_profiles()]
    scaling = measure_decode_scaling(
        load_image(args.image), Path(args.image).name, args.sizes, profiles, args.threads, args.device, args.repeat,
        args.serial_max_mpx,
    )
    if args.out:
        save_scaling(scaling, args.out)
    if args.plot:
        print(f"wrote {plot_decode_scaling(scaling, args.plot)}")
    return 0


def _bench_profiles(args: argparse.Namespace) -> int:
    """Per profile on a dataset: decode steps, encode/decode s per image, BD-rate vs VTM and fast."""
    import statistics as st

    import torch

    from codec.api import list_profiles, model_info
    from codec.baselines.msp import MSPCodec
    from codec.eval.reference import load_reference
    from codec.eval.runner import EvalOptions, evaluate_dataset

    dataset = image_folder(args.dataset, "--dataset", KODAK_DEFAULT)
    torch.set_num_threads(args.threads)
    profiles = [p for p in list_profiles() if not args.profile or p.name in args.profile]
    codecs = [MSPCodec(profile=p.name, device=args.device) for p in profiles]
    if args.lof_ablation:  # the same decoders without latent overfitting
        codecs += [MSPCodec(profile=p.name, device=args.device, lof_iterations=0) for p in profiles if p.lof_iterations]
    options = EvalOptions(qualities=tuple(args.qualities), progress=True, ms_ssim=False)
    results = evaluate_dataset(codecs, dataset, limit=args.images, options=options)
    # The VTM reference is a Kodak average: against any other dataset its BD-rate would mean nothing.
    vtm = load_reference("vtm") if dataset.name.lower() == "kodak" else None
    info = model_info()
    n_images = len(results.image_names)
    print(f"dataset {args.dataset} ({n_images} images), qualities {args.qualities}, {args.threads} threads, "
          f"device {args.device}, model {info.model_id}; wall {results.wall_seconds:.0f} s")
    print(f"{'profile':<14} {'steps':>5} {'encode s':>9} {'decode s':>9} {'BD vs VTM':>10} {'BD vs fast':>10}")
    fast = next((e for e in results.codecs if e.name == "msp-fast"), None)
    profile_steps = {p.name: p.steps for p in profiles}
    steps_of = {c.name: profile_steps[c.profile] for c in codecs}
    for entry in results.codecs:  # each entry's mean curve: its bpp and psnr_rgb
        enc = st.median(p.encoding_time for img in entry.images for p in img.points)
        dec = st.median(p.decoding_time for img in entry.images for p in img.points)
        vs_vtm = _bd_text(vtm.bpp, vtm.psnr_rgb, entry.bpp, entry.psnr_rgb) if vtm else "-"
        vs_fast = _bd_text(fast.bpp, fast.psnr_rgb, entry.bpp, entry.psnr_rgb) if fast and entry is not fast else "-"
        name = entry.name.removeprefix("msp-")
        print(f"{name:<14} {steps_of[entry.name]:>5} {enc:>9.2f} {dec:>9.2f} {vs_vtm:>10} {vs_fast:>10}")
    for entry in results.codecs:
        ablated = next((e for e in results.codecs if e.name == f"{entry.name}:lof_iterations=0"), None)
        if ablated is None:
            continue
        label = entry.name.removeprefix("msp-")
        print(f"LOF saving, {label} vs the same decoder without LOF: "
              f"{_bd_text(ablated.bpp, ablated.psnr_rgb, entry.bpp, entry.psnr_rgb)} BD-rate; per image:")
        for image, ablated_image in zip(entry.images, ablated.images, strict=True):  # every codec ran on every image
            print(f"  {image.image:<24} {_bd_text(*_rd_points(ablated_image), *_rd_points(image))}")
    for entry in results.codecs:
        points = ", ".join(f"{b:.3f}/{q:.2f}" for b, q in zip(entry.bpp, entry.psnr_rgb, strict=True))
        print(f"{entry.name.removeprefix('msp-')} mean bpp/PSNR-RGB dB: {points}")
    print("BD-rate: PSNR-RGB, PCHIP; VTM = published Kodak average (kodak/vtm.json); * = small overlap; "
          "n/a = no overlap")
    if args.out:
        from codec.eval.results import save_results

        save_results(results, args.out)
    return 0


def _rd_points(image) -> tuple[list[float], list[float]]:
    return [p.bpp for p in image.points], [p.psnr_rgb for p in image.points]


def _bd_text(anchor_bpp, anchor_psnr, bpp, psnr) -> str:
    from codec.errors import CodecError
    from codec.eval.bdrate import bd_rate

    try:
        r = bd_rate(anchor_bpp, anchor_psnr, bpp, psnr)
    except CodecError:
        return "n/a"  # the curves do not overlap in rate
    return f"{r.percent:+.1f} %" + ("*" if r.warning else "")


def _decode_seconds(image, profile: str, device: str, repeat: int) -> float:
    from codec.api import decode, encode

    data = encode(image, profile=profile, quality=0.5, device=device, lof_iterations=0).data
    decode(data, device=device)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        decode(data, device=device)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _bench_serial(image, profiles: list[str], args: argparse.Namespace) -> None:
    """The paper's speed claim: serial context model vs MSP decode, at two image sizes."""
    import numpy as np
    from PIL import Image

    from codec.models.serial_context import SerialContextModel

    serial = SerialContextModel()
    big_w, big_h = args.serial_size
    big = np.asarray(Image.fromarray(image).resize((big_w, big_h), Image.Resampling.BICUBIC))
    print()
    print(f"decode time on {args.device}: serial context model (Minnen 2018-style, 5x5 masked context, 1/16 latent, M=192)")
    print(f"{'image':<12} {'serial steps':>12} {'serial s':>9} " + " ".join(f"{p + ' s':>11} {'ratio':>6}" for p in profiles))
    for img in (image, big):
        h, w = img.shape[:2]
        label = f"{w}x{h}"
        timing = serial.time_roundtrip(h, w, device=args.device)
        cells = []
        for name in profiles:
            msp_s = _decode_seconds(img, name, args.device, max(1, args.repeat))
            cells.append(f"{msp_s:>11.3f} {timing.decode_seconds / msp_s:>5.1f}x")
        print(f"{label:<12} {timing.sequential_steps:>12} {timing.decode_seconds:>9.3f} " + " ".join(cells))


def register(subparsers) -> None:
    p = subparsers.add_parser("bench", help="time encode/decode per profile on one image")
    p.add_argument("--image", default=str(DEFAULT_BENCH_IMAGE), help="default: the bundled 768x512 demo image")
    p.add_argument("--profile", action="append", help="profile(s) to time; default all")
    p.add_argument("--quality", type=float, default=0.5)
    p.add_argument("--threads", type=positive_int, default=2)
    p.add_argument("--repeat", type=positive_int, default=3)
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--stages", action="store_true",
                   help="also print where each profile's encode and decode spend their time, stage by stage")
    p.add_argument("--profiles", action="store_true", help="RD + timing table of the profiles on --dataset")
    p.add_argument("--dataset", default=KODAK_DEFAULT,
                   help=f"folder of images for --profiles (default {KODAK_DEFAULT}: Kodak in a development checkout)")
    p.add_argument("--images", type=int, default=None, help="first N images of the dataset")
    p.add_argument("--qualities", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0])
    p.add_argument("--out", default=None, help="also save the per-image results JSON")
    p.add_argument("--lof-ablation", action="store_true", help="also run LOF profiles with LOF off")
    p.add_argument("--serial", action="store_true", help="also time a serial context-model decoder (Kodak size and 2K)")
    p.add_argument("--serial-size", default=(2048, 1365), type=_size, help="the large image of --serial, WxH (default 2K)")
    p.add_argument("--scaling", action="store_true",
                   help="decode time against image size (--sizes), every profile and the serial context model")
    p.add_argument("--sizes", type=_megapixels, default=[0.25, 0.5, 1.0, 2.0, 4.0, 8.0],
                   help="image sizes of --scaling in megapixels, comma-separated (default 0.25,0.5,1,2,4,8)")
    p.add_argument("--serial-max-mpx", type=float, default=8.0,
                   help="time the serial context model up to this size only (about 5 ms per 16x16 block on 2 cores)")
    p.add_argument("--plot", default=None, help="with --scaling: also draw the plot (PNG) here")
    p.set_defaults(func=_bench)


def _megapixels(text: str) -> list[float]:
    """'0.25,1,8' -> [0.25, 1.0, 8.0]: sizes from 0.001 to 33 Mpx (8K), ascending."""
    try:
        sizes = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated megapixels, got {text!r}") from None
    if not sizes or not all(0.001 <= s <= 33.2 for s in sizes) or sizes != sorted(sizes):
        raise argparse.ArgumentTypeError(f"expected ascending sizes from 0.001 to 33.2 megapixels, got {text!r}")
    return sizes


def _size(text: str) -> tuple[int, int]:
    """'WxH' -> (width, height)."""
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.isdigit() and 16 <= int(p) <= 8192 for p in parts):
        raise argparse.ArgumentTypeError(f"expected WxH with sides of 16 to 8192 pixels, got {text!r}")
    return int(parts[0]), int(parts[1])
