"""``msp encode``, ``msp decode``, ``msp info`` and ``msp profiles``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codec.atomic import check_output_path, write_bytes_atomic
from codec.commands.arguments import pixel_count
from codec.errors import BitstreamError, CodecError

MAX_BITSTREAM_BYTES = 1 << 31

__all__ = ["register"]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and a.samefile(b))
    except OSError:
        return False


def _read_bitstream(path: Path, limit: int = MAX_BITSTREAM_BYTES) -> bytes:
    """The file's bytes, read with a hard limit: pipes and devices report a size of 0, so the
    size the file system reports cannot be trusted (``msp info /dev/zero`` once grew without end)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise CodecError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise BitstreamError(f"{path} is over {limit} bytes: too large to be an MSP bitstream")
    return data


def _progress_printer(enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def report(p) -> None:
        bar = bars.get(p.stage)
        if bar is None:
            for other in bars.values():
                other.close()
            bar = bars[p.stage] = tqdm(total=p.total, desc=p.stage, leave=False, file=sys.stderr)
        bar.n = p.iteration
        if p.estimated_bpp is not None:
            bar.set_postfix(est_bpp=f"{p.estimated_bpp:.3f}", psnr=f"{p.psnr:.2f}")
        bar.refresh()

    return report


def _encode(args: argparse.Namespace) -> int:
    from codec.api import encode
    from codec.image_io import frame_count, load_image
    from codec.lof import lof_skip_reason
    from codec.profiles import get_profile

    src, dst = Path(args.input), Path(args.output)
    if _same_file(src, dst):
        raise CodecError("output would overwrite the input image")
    check_output_path(dst, overwrite=args.force)
    image = load_image(src, args.max_pixels)
    frames = frame_count(src)
    # What the encode will not do, said before it starts (an 8K encode runs for minutes).
    if frames > 1:
        print(f"note: {src} is animated ({frames} frames); its first frame is encoded", file=sys.stderr)
    height, width = image.shape[:2]
    skipped = lof_skip_reason(height, width, get_profile(args.profile).lof_iterations)
    if skipped:
        print(f"note: {skipped}", file=sys.stderr)
    progress = _progress_printer(args.progress)
    result = encode(image, profile=args.profile, quality=args.quality, device=args.device, progress=progress)
    write_bytes_atomic(dst, result.data, overwrite=args.force)
    print(
        f"{dst}: {len(result.data)} bytes, {result.bpp:.4f} bpp (estimated {result.estimated_bpp:.4f}), "
        f"profile {result.profile}, quality {result.quality:.3f}, {result.steps} decode steps, "
        f"{result.encode_seconds:.2f} s on {result.device}"
    )
    return 0


def _decode(args: argparse.Namespace) -> int:
    from codec.api import decode
    from codec.image_io import save_png

    src, dst = Path(args.input), Path(args.output)
    if _same_file(src, dst):
        raise CodecError("output would overwrite the input bitstream")
    check_output_path(dst, overwrite=args.force)
    result = decode(_read_bitstream(src), device=args.device, max_pixels=args.max_pixels)
    save_png(result.image, dst, overwrite=args.force)
    h = result.header
    print(f"{dst}: {h.width}x{h.height}, profile {h.profile}, {result.decode_seconds:.2f} s on {result.device}")
    return 0


def _info(args: argparse.Namespace) -> int:
    from codec.api import read_header

    header = read_header(_read_bitstream(Path(args.input)))
    print(header.describe())
    return 0


def _profiles(args: argparse.Namespace) -> int:
    from codec.api import DEFAULT_PROFILE, list_profiles

    print(f"{'profile':<10} {'steps':>5} {'LOF iters':>9} {'greedy':>6}  description")
    for p in list_profiles():
        name = p.name + (" *" if p.name == DEFAULT_PROFILE else "")
        print(f"{name:<10} {p.steps:>5} {p.lof_iterations:>9} {'yes' if p.greedy else 'no':>6}  {p.description}")
    print("* default")
    return 0


def _max_pixels_argument(p: argparse.ArgumentParser, what: str) -> None:
    from codec.image_io import MAX_PIXELS

    p.add_argument(
        "--max-pixels", type=pixel_count, default=None, metavar="N",
        help=f"{what}: e.g. 24M (default and ceiling: the format's {MAX_PIXELS / 1e6:.0f}M)",
    )


def register(subparsers) -> None:
    from codec.profiles import DEFAULT_PROFILE, PROFILE_NAMES

    p = subparsers.add_parser("encode", help="compress an image into an .msp bitstream")
    p.add_argument("input", help="image file (PNG, JPEG, ...)")
    p.add_argument("output", help="output .msp file")
    p.add_argument("--profile", default=DEFAULT_PROFILE, choices=PROFILE_NAMES)
    p.add_argument("--quality", type=float, default=0.5, help="0.0 (smallest) .. 1.0 (best); default 0.5")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--force", action="store_true", help="replace OUTPUT if it exists")
    p.add_argument("--progress", action="store_true", help="show progress bars")
    _max_pixels_argument(p, "refuse larger images before reading their pixels")
    p.set_defaults(func=_encode)

    p = subparsers.add_parser("decode", help="decode an .msp bitstream to PNG")
    p.add_argument("input")
    p.add_argument("output", help="output PNG")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--force", action="store_true", help="replace OUTPUT if it exists")
    _max_pixels_argument(p, "refuse bitstreams declaring larger images before decoding")
    p.set_defaults(func=_decode)

    p = subparsers.add_parser("info", help="validate an .msp file and print its header")
    p.add_argument("input")
    p.set_defaults(func=_info)

    p = subparsers.add_parser("profiles", help="list the predefined profiles")
    p.set_defaults(func=_profiles)
