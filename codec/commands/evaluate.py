"""``msp eval`` (run codecs over a dataset) and ``msp plot`` (RD plots + BD-rate table)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from codec.commands.arguments import positive_int
from codec.errors import CodecError
from codec.eval.curves import RDCurve

__all__ = ["register", "default_codecs"]


def default_codecs() -> str:
    """What ``msp eval`` runs without ``--codecs``: every classic codec of the catalogue."""
    from codec.baselines import catalogue

    return ",".join(entry.key for entry in catalogue() if entry.kind != "learned")


def _floats(text: str, what: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise CodecError(f"{what} must be comma-separated numbers, got {text!r}") from None


def _list_codecs() -> int:
    from codec.baselines import all_codecs

    print(f"{'name':<14} {'kind':<8} {'available':<9} label / reason")
    for codec in all_codecs():
        reason = codec.unavailable_reason()
        state = "yes" if reason is None else "no"
        print(f"{codec.name:<14} {codec.kind:<8} {state:<9} {codec.label}" + (f"  ({reason})" if reason else ""))
    print("settings: NAME:key=value[:key=value], e.g. vvc:preset=fast, hevc:chroma=420, avif:speed=4")
    return 0


def _eval(args: argparse.Namespace) -> int:
    if args.list_codecs:
        return _list_codecs()
    if args.dataset is None or args.out is None:
        raise CodecError("give DATASET_DIR and --out RESULTS.json (or --list-codecs)")
    from codec.atomic import check_output_path
    from codec.baselines import parse_codec_spec
    from codec.errors import CodecUnavailableError
    from codec.eval.results import save_results
    from codec.eval.runner import EvalOptions, evaluate_dataset

    # Before any work: a run of minutes must not end in "cannot write".
    out = check_output_path(args.out, overwrite=args.force)
    if args.csv:
        check_output_path(args.csv, overwrite=True)
    codecs = [parse_codec_spec(spec) for spec in (args.codecs or default_codecs()).split(",") if spec.strip()]
    if not codecs:
        raise CodecError("--codecs is empty")
    missing = [f"{c.name} ({c.unavailable_reason()})" for c in codecs if not c.available()]
    if missing:
        raise CodecUnavailableError("not available here: " + "; ".join(missing))
    bpp_range = _floats(args.bpp_range, "--bpp-range")
    if len(bpp_range) != 2:
        raise CodecError("--bpp-range needs two numbers: LOW,HIGH")
    options = EvalOptions(
        qualities=_floats(args.qualities, "--qualities") if args.qualities else None,
        points=args.points,
        bpp_range=(bpp_range[0], bpp_range[1]),
        workers=args.workers,
        probe=args.probe,
        progress=not args.no_progress,
        ms_ssim=not args.no_ms_ssim,
        perceptual=not args.no_perceptual,
    )
    results = evaluate_dataset(codecs, args.dataset, limit=args.limit, options=options)
    save_results(results, out, overwrite=True)
    if args.csv:
        from codec.eval.csv_export import write_csv

        write_csv(results, args.csv)
    print(f"{results.dataset}: {len(results.image_names)} images, {len(results.codecs)} codecs, "
          f"{results.wall_seconds:.1f} s wall time")
    print(f"{'codec':<28} {'points':>6} {'bpp':>15} {'PSNR-RGB dB':>15} {'enc s':>7} {'dec s':>7} {'wall s':>7}")
    for c in results.codecs:
        enc = sum(c.encoding_time) / len(c.encoding_time)
        dec = sum(c.decoding_time) / len(c.decoding_time)
        print(f"{c.label:<28} {len(c.bpp):>6} {min(c.bpp):>7.3f}..{max(c.bpp):<6.3f} "
              f"{min(c.psnr_rgb):>7.2f}..{max(c.psnr_rgb):<6.2f} {enc:>7.3f} {dec:>7.3f} {c.wall_seconds or 0:>7.1f}")
    for note in results.notes:
        print(f"note: {note}")
    print(f"results: {out}" + (f"\nper-image CSV: {args.csv}" if args.csv else ""))
    return 0


def _find_anchor(name: str, measured: list[RDCurve], published: list[RDCurve], dataset: str) -> RDCurve:
    """A measured codec by name (or label, e.g. "VVenC medium 4:2:0") first, then a published
    curve ("ref:NAME" forces the published one)."""
    from codec.baselines.registry import upgrade_key
    from codec.eval.reference import REFERENCES, load_reference

    forced = name.startswith("ref:")
    key = name[len("ref:"):] if forced else upgrade_key(name)  # an older codec name names the same curve
    if not forced:
        for curve in measured:
            if curve.name == key or curve.label.lower() == key.lower():
                return curve
    for curve in published:
        if curve.name == key:
            return curve
    if key in REFERENCES and REFERENCES[key].dataset == dataset:
        return load_reference(key)
    choices = [c.name for c in measured] + [f"ref:{n}" for n, r in REFERENCES.items() if r.dataset == dataset]
    raise CodecError(
        f"anchor {name!r} is neither a codec in the results nor a {dataset} reference curve; "
        f"choose one of: {', '.join(choices)}"
    )


def _plot(args: argparse.Namespace) -> int:
    from codec.eval.bdtable import bd_table, format_bd_table
    from codec.eval.plot import plot_metrics, plot_rd
    from codec.eval.reference import DEFAULT_REFERENCES, REFERENCES, load_reference
    from codec.eval.results import load_results

    at_bpp = _positive_rates(args.at_bpp) if args.at_bpp else ()  # checked before any work is done
    wanted = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    loaded = [load_results(path) for path in args.results]
    datasets = sorted({r.dataset for r in loaded})
    if len(datasets) > 1:
        raise CodecError(f"results are from different datasets: {', '.join(datasets)}")
    dataset = datasets[0]
    image_counts = {len(r.image_names) for r in loaded if r.image_names}
    images = image_counts.pop() if len(image_counts) == 1 else None
    # A codec measured in several files (e.g. rerun next to a new codec) is drawn once: the
    # later file's curve wins, as the more recent measurement.
    every_curve = [curve for r in loaded for curve in r.curves()]
    measured = list({curve.name: curve for curve in every_curve}.values())
    repeated = len(every_curve) - len(measured)
    if repeated:
        print(f"note: {repeated} codec(s) appear in several results files; the last file's curve is used")

    metrics = plot_metrics(measured, wanted)  # the measured curves say which perceptual metrics exist
    if args.references == "none":
        references: tuple[str, ...] = ()
    elif args.references == "default":
        references = DEFAULT_REFERENCES
    else:
        references = tuple(n.strip() for n in args.references.split(",") if n.strip())
    usable = [n for n in references if n in REFERENCES and REFERENCES[n].dataset == dataset]
    unknown = [n for n in references if n not in REFERENCES]
    if unknown:
        raise CodecError(f"unknown reference curves: {', '.join(unknown)}; known: {', '.join(REFERENCES)}")
    if len(usable) < len(references) and args.references != "default":
        raise CodecError(f"reference curves {', '.join(set(references) - set(usable))} are not for dataset {dataset!r}")
    published = [load_reference(n) for n in usable]
    if references and not usable:
        print(f"note: no published curves for dataset {dataset!r}; plotting measured curves only")

    anchor = _find_anchor(args.anchor, measured, published, dataset)
    curves = measured + published
    if all(anchor is not c for c in curves):
        curves.append(anchor)
    files = plot_rd(curves, args.out, dataset=dataset, images=images, max_bpp=args.max_bpp, stem=args.stem,
                    metrics=metrics)
    for metric in files.empty:
        why = " (MS-SSIM is n/a for images under 161 px a side)" if metric == "ms-ssim" else ""
        print(f"note: no {metric} values to plot{why}")
    print(format_bd_table(bd_table(curves, anchor, metrics), anchor))
    if at_bpp:
        print(_quality_at_table(curves, at_bpp))
    if anchor.origin == "published" and images is not None and anchor.images and images < anchor.images:
        print(f"\nnote: measured on {images} image(s), the published curves average {anchor.images}: "
              "BD-rates against them are indicative only")
    print("\nplots: " + "\n       ".join(str(path) for path in files.paths.values()))
    return 0


def _positive_rates(text: str) -> tuple[float, ...]:
    rates = _floats(text, "--at-bpp")
    if not rates or any(r <= 0 for r in rates):
        raise CodecError(f"--at-bpp must be positive rates, e.g. 0.25,0.5; got {text!r}")
    return rates


def _quality_at_table(curves, rates: Sequence[float]) -> str:
    """PSNR-RGB of every curve at fixed rates (PCHIP over log-rate), "-" outside its measured rates."""
    from codec.eval.bdrate import quality_at_rate

    names = [f"{c.label} ({c.origin})" for c in curves]  # as the BD-rate table names them
    width = max(len(n) for n in names)
    lines = ["", "PSNR-RGB (dB) at fixed rates; PCHIP over log10(bpp), no extrapolation",
             f"{'curve':<{width}}  " + "  ".join(f"{r:>7g} bpp" for r in rates)]
    for curve, name in zip(curves, names, strict=True):
        bpp, psnr = curve.points("psnr")
        try:
            values = [quality_at_rate(bpp, psnr, r) for r in rates]
        except CodecError:  # too few points, or not increasing: no honest interpolation
            values = [None] * len(rates)
        lines.append(f"{name:<{width}}  " + "  ".join(
            f"{v:>11.2f}" if v is not None else f"{'-':>11}" for v in values))
    return "\n".join(lines)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "eval", help="evaluate codecs on a directory of images (rate, PSNR, MS-SSIM, SSIMULACRA2, FLIP, times)",
        description="Encode and decode every image with each codec over a quality sweep that spans "
                    "--bpp-range, and write per-image results and dataset means (CompressAI JSON schema).",
    )
    p.add_argument("dataset", nargs="?", metavar="DATASET_DIR", help="directory of images (PNG, JPEG, ...)")
    p.add_argument("--codecs", help="comma-separated codecs with optional settings (NAME:key=value); "
                                    "default: every classic codec (see --list-codecs)")
    p.add_argument("--out", help="results JSON to write")
    p.add_argument("--csv", metavar="FILE", help="also write every per-image value as CSV (image, codec, quality, "
                                                  "bytes, bpp, psnr, ms-ssim, encode_s, decode_s)")
    p.add_argument("--limit", type=int, help="use only the first N images (by file name)")
    p.add_argument("--qualities", help="fixed normalized qualities for all codecs, e.g. 0.2,0.4,0.6 "
                                       "(default: a sweep per codec)")
    p.add_argument("--points", type=positive_int, default=8, help="points per curve of the sweep (default 8)")
    p.add_argument("--bpp-range", default="0.1,1.5", help="rates the sweep spans, LOW,HIGH (default 0.1,1.5)")
    p.add_argument("--probe", choices=("mosaic", "images"), default="mosaic",
                   help="what the sweep encodes to choose qualities: a mosaic of tiles from every image "
                        "(default, as cheap as one image) or all the images (exact, slower)")
    p.add_argument("--workers", type=positive_int, default=1,
                   help="worker processes (default 1; more is faster but times are measured under load)")
    p.add_argument("--no-ms-ssim", action="store_true", help="skip MS-SSIM (faster)")
    p.add_argument("--no-perceptual", action="store_true",
                   help="skip SSIMULACRA2 and FLIP (much faster: together about 3 s a point on a 768x512 image)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.add_argument("--list-codecs", action="store_true", help="list codecs and whether they run here")
    p.set_defaults(func=_eval)

    p = subparsers.add_parser(
        "plot", help="RD plots (PNG) and a BD-rate table from results files",
        description="Plot PSNR-RGB, MS-SSIM (dB), and SSIMULACRA2 and FLIP where measured, against bpp for "
                    "results files and published reference curves, and print BD-rates against an anchor on "
                    "each (FLIP, lower is better, on -FLIP: negative still means fewer bits).",
    )
    p.add_argument("results", nargs="+", metavar="RESULTS.json", help="files written by 'msp eval'")
    p.add_argument("--out", required=True, help="directory for the PNG files")
    p.add_argument("--anchor", default="vtm",
                   help="BD-rate anchor: a codec of the results, else a reference curve; 'ref:NAME' picks the "
                        "published curve when a measured one has the same name (default vtm)")
    p.add_argument("--references", default="default",
                   help="published curves to draw: 'default', 'none' or a comma-separated list")
    p.add_argument("--max-bpp", type=float, default=2.0, help="right end of the rate axis (default 2.0)")
    p.add_argument("--stem", default="rd", help="file name stem (default rd: rd_psnr.png, rd_msssim.png, ...)")
    p.add_argument("--metrics", metavar="LIST",
                   help="metrics to plot and BD-rate, comma-separated from psnr, ms-ssim, ssimulacra2, flip "
                        "(default: psnr, ms-ssim and each perceptual metric the results have)")
    p.add_argument("--at-bpp", metavar="RATES", help="also print every curve's PSNR at these rates, e.g. 0.25,0.5")
    p.set_defaults(func=_plot)

