"""Where the distortion comes from: the transforms' own ceiling against the coded reconstruction.

A learned codec loses quality in two places: the transforms (``g_s(g_a(x))`` is not ``x`` even
without quantisation) and the quantisation of the latent. This measures both on real images:
for each quality, the PSNR of the unquantised round trip through the transforms (the ceiling no
bitrate can pass), and the real bits and PSNR of the coded image (real rounding relative to the
predicted means, real entropy coding, no LOF). When the two meet at the top qualities, spending
more bits buys nothing: the transforms, not the probability model, limit the codec, and the
remedy is transform capacity and training, not a wider lambda range. Example::

    python -m codec.eval.ceiling ../shared/data/kodak --images 4
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from codec.errors import CodecError
from codec.eval.runner import list_images

__all__ = ["CeilingPoint", "measure_ceiling", "main"]


@dataclass(frozen=True)
class CeilingPoint:
    quality: float
    bpp: float  # real bits of the coded latent (fast profile's schedule by default)
    coded_psnr: float  # PSNR-RGB of the decoded image, dB
    transform_psnr: float  # PSNR-RGB of g_s(g_a(x)) without quantisation, dB

    @property
    def quantisation_loss_db(self) -> float:
        return self.transform_psnr - self.coded_psnr


def _psnr(mse: float) -> float:
    return 10 * math.log10(255.0**2 / max(mse, 1e-12))


def measure_ceiling(images: Sequence[Path], qualities: Sequence[float], profile_name: str = "fast") -> list[CeilingPoint]:
    """Mean over ``images`` of the coded and the unquantised PSNR (from the mean MSE) per quality."""
    import torch
    import torch.nn.functional as F

    from codec.api import _model, _to_tensor
    from codec.bitstream import code_to_quality, quality_to_code
    from codec.image_io import load_image
    from codec.lof import true_cost
    from codec.profiles import get_profile

    model, _ = _model(torch.device("cpu"))
    profile = get_profile(profile_name)
    sums = {q: [0.0, 0.0, 0.0, 0] for q in qualities}  # bits, coded MSE, transform MSE, pixels
    for path in images:
        image = load_image(path)
        height, width = image.shape[:2]
        x = _to_tensor(image, torch.device("cpu"))
        target = torch.round(x[..., :height, :width] * 255.0)
        for requested in qualities:
            q = code_to_quality(quality_to_code(requested))  # the quality a bitstream can carry
            with torch.no_grad():
                y = model.analyse(x, q)
                cost = true_cost(model, x, y, q, profile, height, width)
                x_free = model.synthesise(y, q)[..., :height, :width].clamp(0, 1)
                free_mse = float(F.mse_loss(torch.round(x_free * 255.0), target))
            acc = sums[requested]
            acc[0] += cost.bits
            acc[1] += cost.mse
            acc[2] += free_mse
            acc[3] += height * width
    n = len(images)
    return [
        CeilingPoint(q, bits / pixels, _psnr(coded / n), _psnr(free / n))
        for q, (bits, coded, free, pixels) in sums.items()
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codec.eval.ceiling", description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--images", type=int, default=4, help="first N images by name")
    parser.add_argument("--qualities", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0])
    parser.add_argument("--profile", default="fast", help="whose schedule codes the latent (no LOF)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    try:
        images = list_images(args.dataset, args.images)
    except CodecError as exc:
        parser.error(str(exc))
    points = measure_ceiling(images, args.qualities, args.profile)
    print(f"{len(images)} images, {args.profile} schedule, no LOF")
    print(f"{'quality':>7} {'bpp':>7} {'coded dB':>9} {'transforms dB':>14} {'quantisation dB':>16}")
    for p in points:
        print(f"{p.quality:>7.2f} {p.bpp:>7.4f} {p.coded_psnr:>9.2f} {p.transform_psnr:>14.2f} {p.quantisation_loss_db:>16.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
