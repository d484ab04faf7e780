"""The decode-time-against-size plot of ``msp bench --scaling`` (PNG, matplotlib's Agg canvas).

Log-log axes, so a straight line is a power law: slope 1 is time proportional to pixels. MSP's
profiles are solid (learned), each in its catalogue colour, marked with its sequential decode
steps; the serial context model is dashed grey, marked with its steps at the largest size.
"""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from codec.atomic import write_bytes_atomic
from codec.baselines.registry import colour_of
from codec.eval.scaling import DecodeScaling

__all__ = ["plot_decode_scaling"]

SERIAL_GREY = "#777777"  # not a catalogue colour: the serial model is no codec of ours


def plot_decode_scaling(scaling: DecodeScaling, path: str | Path) -> Path:
    figure = Figure(figsize=(9.0, 6.0))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    mpx = [p.megapixels for p in scaling.points]
    for name, steps in scaling.steps.items():
        seconds = [p.msp_seconds[name] for p in scaling.points]
        axes.plot(mpx, seconds, marker="o", linewidth=2.0, color=colour_of(f"msp-{name}"),
                  label=f"MSP {name}: {steps} sequential steps at every size")
    serial = [(p.megapixels, p.serial_seconds, p.width, p.height) for p in scaling.points if p.serial_seconds is not None]
    if serial:
        x, y, w, h = zip(*serial, strict=True)
        positions = -(-h[-1] // 16) * -(-w[-1] // 16)
        label = f"serial context model (Minnen 2018-style): one step per latent position, {positions:,} at {x[-1]:.2g} Mpx"
        axes.plot(x, y, marker="s", linestyle="--", linewidth=1.6, color=SERIAL_GREY, label=label)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("image size, megapixels")
    axes.set_ylabel("decode time, seconds (median)")
    times = [t for p in scaling.points for t in (*p.msp_seconds.values(), p.serial_seconds) if t is not None]
    ticks = [m * 10.0**e for e in range(-3, 4) for m in (1, 2, 5) if min(times) / 1.3 <= m * 10.0**e <= max(times) * 1.3]
    axes.set_yticks(ticks, [f"{t:g}" for t in ticks])  # 1-2-5 steps: readable without counting decades
    axes.yaxis.set_minor_formatter(FuncFormatter(lambda value, _: ""))
    axes.set_xticks(mpx, [f"{m:.2g}" for m in mpx])  # the measured sizes
    axes.xaxis.set_minor_formatter(FuncFormatter(lambda value, _: ""))
    threads = f"{scaling.threads} thread{'s' if scaling.threads != 1 else ''}"
    axes.set_title(f"Decode time against image size ({scaling.device}, {threads})")
    axes.grid(True, which="major", alpha=0.35)
    axes.grid(True, which="minor", alpha=0.12)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.11), fontsize=8.5, frameon=False)
    figure.text(0.01, 0.005, f"msp bench --scaling; {scaling.image}, model {scaling.model_id}; {scaling.machine}",
                fontsize=7, color="#444444", ha="left", va="bottom")
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    png = io.BytesIO()
    figure.savefig(png, format="png", dpi=120, bbox_inches="tight")
    return write_bytes_atomic(path, png.getvalue(), overwrite=True)
