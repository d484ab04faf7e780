"""Rate-distortion plots (PNG): one per quality metric (PSNR-RGB, MS-SSIM-RGB in dB, and
SSIMULACRA2 and FLIP where measured) against bpp.

Drawn with matplotlib's Agg canvas directly (no pyplot, no global backend switch), so this is
safe to call from the Qt app or a headless server. Conventions a reader needs without asking:
classic (hybrid) codecs dashed, learned codecs solid; filled markers = measured here,
hollow = published data; each codec has its colour of the catalogue (codec.baselines, the same
colour-blind-safe palette as the app's plot), shared by our run and the published one, and by a
codec's published reference encoder (VTM is VVC's colour, HM and BPG HEVC's). Published curves of
no codec of the catalogue (learned codecs from papers) take colours the plot's codecs of their
kind do not use, and never the colour of another such curve of the same plot.

Better is up on every plot: FLIP, an error (lower is better), is drawn on an inverted axis, which
its label says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from codec.baselines.palette import PALETTE
from codec.baselines.registry import catalogue, codec_family, colour_of
from codec.errors import CodecError
from codec.eval.curves import METRIC_AXES, RDCurve

__all__ = ["PlotFiles", "plot_metric", "plot_rd", "curve_colours", "AXIS_LABELS", "FILE_STEMS", "plot_metrics"]

AXIS_LABELS = {key: axis.label for key, axis in METRIC_AXES.items()}
AXIS_LABELS["flip"] += ", axis inverted"
#: What each metric's PNG is called after the stem (rd_psnr.png, rd_msssim.png, ...).
FILE_STEMS = {"psnr": "psnr", "ms-ssim": "msssim", "ssimulacra2": "ssimulacra2", "flip": "flip"}


@dataclass(frozen=True)
class PlotFiles:
    paths: Mapping[str, Path]
    """Metric key -> its PNG, in the order drawn."""
    empty: tuple[str, ...] = ()  # metrics no curve had values for (their plot says so)


def curve_colours(curves: Sequence[RDCurve]) -> dict[str, str]:
    """Each curve's colour, by name: its codec's from the catalogue (:func:`colour_of`). A curve of
    no codec of the catalogue keeps ``colour_of``'s pick unless an earlier such curve, or a codec
    of the catalogue drawn in the same line style (in this plot or not), has it; then it takes the
    first free palette colour."""
    colours: dict[str, str] = {}
    taken: dict[str, set[str]] = {}  # line style -> the catalogue's colours drawn in it
    for entry in catalogue():
        taken.setdefault(_style_kind(entry.kind), set()).add(entry.colour)
    strays: list[tuple[RDCurve, str]] = []
    for curve in curves:
        colour = colour_of(curve.name, curve.kind)
        if codec_family(curve.name) is None:
            strays.append((curve, colour))
        else:
            colours[curve.name] = colour
    stray_colours: set[str] = set()
    for curve, colour in strays:
        busy = stray_colours | taken.get(_style_kind(curve.kind), set())
        if colour in busy:
            colour = next((c for c in PALETTE.values() if c not in busy), colour)
        colours[curve.name] = colour
        stray_colours.add(colour)
    return colours


def _style_kind(kind: str) -> str:
    """Curves drawn in the same line style: learned (solid) or not (dashed)."""
    return "learned" if kind == "learned" else "classic"


def _plottable(curve: RDCurve, metric: str, max_bpp: float) -> list[tuple[float, float]]:
    rates, values = curve.points(metric)
    axis = METRIC_AXES[metric]
    return [(r, v) for r, v in zip(rates, values, strict=True) if axis.lossy(v) and r <= max_bpp]


def plot_metrics(curves: Sequence[RDCurve], wanted: Sequence[str] | None = None) -> tuple[str, ...]:
    """The metrics to draw: ``wanted`` (checked), or by default PSNR and MS-SSIM (as CompressAI)
    plus each perceptual metric some curve has values for."""
    if wanted is not None:
        unknown = [m for m in wanted if m not in METRIC_AXES]
        if unknown or not wanted:
            raise CodecError(f"unknown metrics {', '.join(unknown) or '(none)'}; choose from {', '.join(METRIC_AXES)}")
        return tuple(dict.fromkeys(wanted))
    return ("psnr", "ms-ssim", *(m for m in ("ssimulacra2", "flip") if any(c.has(m) for c in curves)))


def plot_metric(
    curves: Sequence[RDCurve],
    metric: str,
    path: str | Path,
    *,
    title: str,
    max_bpp: float = 2.0,
    caption: str = "",
) -> Path:
    """Draw ``curves`` on one quality metric (a key of :data:`METRIC_AXES`) and save a PNG."""
    if metric not in AXIS_LABELS:
        raise CodecError(f"unknown metric {metric!r}")
    axis = METRIC_AXES[metric]
    figure = Figure(figsize=(11.5, 7.0))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    visible: list[float] = []
    colours = curve_colours(curves)
    # Published first, so measured curves are drawn on top.
    for curve in sorted(curves, key=lambda c: c.origin != "published"):
        rates, values = curve.points(metric)
        pairs = [(r, v) for r, v in zip(rates, values, strict=True) if axis.lossy(v)]
        if not pairs:
            continue
        x, y = zip(*pairs, strict=True)
        measured = curve.origin == "measured"
        colour = colours[curve.name]
        axes.plot(
            x, y,
            linestyle="-" if curve.kind == "learned" else "--",
            linewidth=2.2 if measured else 1.2,
            marker="o" if measured else "^",
            markersize=5 if measured else 4,
            markerfacecolor=colour if measured else "none",
            color=colour,
            alpha=1.0 if measured else 0.8,
            zorder=3 if measured else 2,
            label=f"{curve.label} — {'measured' if measured else 'published'}",
        )
        visible += [v for r, v in pairs if r <= max_bpp]
    axes.set_xlim(0.0, max_bpp)
    if visible:
        low, high = min(visible), max(visible)
        margin = max(0.5 if axis.higher_is_better else 0.005, 0.03 * (high - low))
        axes.set_ylim(low - margin, high + margin)
        handles, labels = axes.get_legend_handles_labels()
        order = sorted(range(len(labels)), key=lambda i: labels[i].endswith("published"))  # measured first
        axes.legend([handles[i] for i in order], [labels[i] for i in order], loc="center left",
                    bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    else:  # e.g. MS-SSIM of images under 161 px: say so rather than fail or draw a blank
        axes.text(0.5, 0.5, f"no {AXIS_LABELS[metric].split(' (')[0]} values below {max_bpp:g} bpp\n"
                  "(MS-SSIM is n/a for images under 161 px a side)" if metric == "ms-ssim" else
                  f"no values below {max_bpp:g} bpp", ha="center", va="center", transform=axes.transAxes)
    if not axis.higher_is_better:
        axes.invert_yaxis()  # better is up on every plot
    axes.set_xlabel("rate (bpp, whole file)")
    axes.set_ylabel(AXIS_LABELS[metric])
    axes.set_title(title)
    axes.grid(True, which="major", alpha=0.35)
    axes.minorticks_on()
    axes.grid(True, which="minor", alpha=0.12)
    if caption:
        figure.text(0.01, 0.005, caption, fontsize=7.5, color="#444444", ha="left", va="bottom")
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=130, bbox_inches="tight")
    return path


def plot_rd(
    curves: Sequence[RDCurve],
    out_dir: str | Path,
    *,
    dataset: str,
    images: int | None = None,
    max_bpp: float = 2.0,
    stem: str = "rd",
    metrics: Sequence[str] | None = None,
) -> PlotFiles:
    """One plot per metric of ``curves`` into ``out_dir`` (``<stem>_psnr.png``, ``<stem>_msssim.png``,
    ``<stem>_ssimulacra2.png``, ``<stem>_flip.png``); ``metrics``: see :func:`plot_metrics`."""
    out_dir = Path(out_dir)
    where = f"{dataset} ({images} images)" if images else dataset
    caption = (
        "Dataset means of per-image values (CompressAI conventions: 8-bit RGB, bpp from whole files). "
        "Hybrid codecs dashed, learned solid; filled markers measured here, hollow = published data."
    )
    paths = {
        metric: plot_metric(curves, metric, out_dir / f"{stem}_{FILE_STEMS[metric]}.png",
                            title=f"{where}: {METRIC_AXES[metric].name} vs rate", max_bpp=max_bpp, caption=caption)
        for metric in plot_metrics(curves, metrics)
    }
    empty = tuple(m for m in paths if not any(_plottable(c, m, max_bpp) for c in curves))
    return PlotFiles(paths=paths, empty=empty)
