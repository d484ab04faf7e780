"""Compare LOF settings on the same decoder: true RD costs, BD-rate per image against an anchor.

Profiles are data, so tuning LOF means trying variants of a profile's LOF fields (iterations,
proxy, step and its decay, greedy) and keeping what lowers the *real* cost. This runs
:func:`codec.lof.overfit_latent` for each variant, image and quality and reports the true
rate and PSNR it ends with (real rounding, real entropy coding, real reconstruction: what an
encode would write), then the BD-rate of each variant against the anchor variant, per image and
averaged. No bitstream files are written; ``msp bench --profiles`` measures the shipped profiles
end to end. Example (the README's LOF table)::

    python -m codec.eval.lof_variants ../shared/data/kodak --images 2 \\
        --variant off=balanced,lof_iterations=0 \\
        --variant old=balanced,lof_proxy=noise,lof_learning_rate=0.03,lof_final_learning_rate=none \\
        --variant new=balanced
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codec.errors import CodecError
from codec.eval.runner import list_images

__all__ = ["LOFVariant", "VariantResult", "parse_variant", "run_variants", "bd_rows", "main"]


@dataclass(frozen=True)
class LOFVariant:
    name: str
    profile: str
    overrides: tuple[tuple[str, object], ...]


@dataclass(frozen=True)
class VariantResult:
    variant: LOFVariant
    points: dict[str, tuple[tuple[float, float], ...]]  # image -> ((bpp, PSNR-RGB dB), ...) per quality


def parse_variant(spec: str) -> LOFVariant:
    """``NAME=PROFILE[,field=value...]``, fields being the profile's (e.g. ``lof_proxy=noise``; a
    tuple as ``lof_proxy_channel_splits=8+16``)."""
    from codec.baselines.registry import coerce_setting
    from codec.profiles import Profile

    name, sep, rest = spec.partition("=")
    if not sep or not rest:
        raise ValueError(f"bad variant {spec!r}; expected NAME=PROFILE[,field=value...]")
    profile, *pairs = rest.split(",")
    overrides = []
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or key in ("name", "description", "schedule"):  # LOF variants keep the decoder
            raise ValueError(f"bad setting {pair!r} in {spec!r}")
        try:
            overrides.append((key, coerce_setting(Profile, key, value)))
        except CodecError as exc:
            raise ValueError(f"bad setting {pair!r} in {spec!r}: {exc}") from None
    return LOFVariant(name, profile, tuple(overrides))


def run_variants(
    variants: Sequence[LOFVariant], images: Sequence[Path], qualities: Sequence[float], log=print
) -> list[VariantResult]:
    import torch

    from codec.api import _model, _to_tensor
    from codec.bitstream import code_to_quality, quality_to_code
    from codec.image_io import load_image
    from codec.lof import overfit_latent, true_cost
    from codec.profiles import get_profile

    model, _ = _model(torch.device("cpu"))
    results = []
    for variant in variants:
        overrides: dict[str, Any] = dict(variant.overrides)  # each value has its field's type (coerce_setting)
        profile = dataclasses.replace(get_profile(variant.profile), **overrides)
        points: dict[str, tuple[tuple[float, float], ...]] = {}
        for path in images:
            image = load_image(path)
            height, width = image.shape[:2]
            x = _to_tensor(image, torch.device("cpu"))
            row = []
            for requested in qualities:
                q = code_to_quality(quality_to_code(requested))  # the quality a bitstream can carry
                with torch.no_grad():
                    y = model.analyse(x, q)
                    if profile.lof_iterations > 0:
                        cost = overfit_latent(model, x, y, q, profile, height, width).final
                    else:
                        cost = true_cost(model, x, y, q, profile, height, width)
                row.append((cost.bits / (height * width), 10 * math.log10(255.0**2 / max(cost.mse, 1e-12))))
            points[path.name] = tuple(row)
            log(f"{variant.name:<12} {path.name:<20} " + "  ".join(f"{b:.4f}/{p:.2f}" for b, p in row))
        results.append(VariantResult(variant, points))
    return results


def bd_rows(results: Sequence[VariantResult], anchor: str) -> list[tuple[str, list[float | None], float | None]]:
    """(variant, BD-rate % per image, mean over the images where it exists) against ``anchor``."""
    from codec.eval.bdrate import bd_rate

    base = next(r for r in results if r.variant.name == anchor)
    rows = []
    for result in results:
        per_image: list[float | None] = []
        for image, pts in result.points.items():
            ref = base.points[image]
            try:
                rd = bd_rate([b for b, _ in ref], [p for _, p in ref], [b for b, _ in pts], [p for _, p in pts])
                per_image.append(rd.percent)
            except CodecError:
                per_image.append(None)  # no overlap
        known = [v for v in per_image if v is not None]
        rows.append((result.variant.name, per_image, sum(known) / len(known) if known else None))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codec.eval.lof_variants", description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--images", type=int, default=2, help="first N images by name")
    parser.add_argument("--qualities", type=float, nargs="+", default=[0.0, 0.33, 0.67, 1.0])
    parser.add_argument("--variant", action="append", required=True, help="NAME=PROFILE[,field=value...]")
    parser.add_argument("--anchor", help="variant the BD-rates are against (default: the first)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    try:
        variants = [parse_variant(v) for v in args.variant]
    except ValueError as exc:
        parser.error(str(exc))
    try:
        images = list_images(args.dataset, args.images)
    except CodecError as exc:
        parser.error(str(exc))
    results = run_variants(variants, images, args.qualities)
    anchor = args.anchor or variants[0].name
    print(f"\nBD-rate (PSNR-RGB, true costs) against {anchor}:")
    print(f"{'variant':<12} " + " ".join(f"{p.name[:12]:>12}" for p in images) + f" {'mean':>8}")
    for name, per_image, mean in bd_rows(results, anchor):
        cells = " ".join(f"{v:>+11.2f}%" if v is not None else f"{'n/a':>12}" for v in per_image)
        print(f"{name:<12} {cells} {mean:>+7.2f}%" if mean is not None else f"{name:<12} {cells} {'n/a':>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
