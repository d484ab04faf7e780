"""BD-rate of many curves against one anchor, on PSNR and MS-SSIM (dB) or any metric of
:data:`~codec.eval.curves.METRIC_AXES`, as a table.

A curve that cannot be compared (too few points, no MS-SSIM, no overlap) gets a reason in
place of a number rather than stopping the table. FLIP, an error, is compared on its negation
(:meth:`~codec.eval.curves.RDCurve.bd_points`): the sign of the result means what it means for
the other metrics, negative = fewer bits for the same quality.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from codec.errors import CodecError
from codec.eval.bdrate import BDRate, bd_rate
from codec.eval.curves import METRIC_AXES, RDCurve

__all__ = ["BDEntry", "BDRow", "bd_table", "format_bd_table", "DEFAULT_METRICS"]

#: The columns of a table unless asked otherwise: CompressAI's two.
DEFAULT_METRICS = ("psnr", "ms-ssim")


@dataclass(frozen=True)
class BDEntry:
    """BD-rate on one metric, or why there is none."""

    result: BDRate | None
    reason: str | None = None

    def text(self) -> str:
        if self.result is None:
            return "n/a"
        flag = " *" if self.result.warning else ""
        return f"{self.result.percent:+7.1f} %{flag}"


@dataclass(frozen=True)
class BDRow:
    curve: RDCurve
    entries: Mapping[str, BDEntry]
    """Metric key -> BD-rate, in the table's column order ("psnr", "ms-ssim", ...)."""


def _entry(anchor: RDCurve, test: RDCurve, metric: str) -> BDEntry:
    ra, qa = anchor.bd_points(metric)
    rt, qt = test.bd_points(metric)
    if not rt:
        return BDEntry(None, f"no {metric} values")
    if not ra:
        return BDEntry(None, f"the anchor has no {metric} values")
    try:
        return BDEntry(bd_rate(ra, qa, rt, qt))
    except CodecError as exc:
        return BDEntry(None, str(exc))


def bd_table(curves: Sequence[RDCurve], anchor: RDCurve,
             metrics: Sequence[str] = DEFAULT_METRICS) -> tuple[BDRow, ...]:
    """One row per curve (the anchor itself left out), a BD-rate on each of ``metrics``."""
    unknown = [m for m in metrics if m not in METRIC_AXES]
    if unknown or not metrics:
        raise CodecError(f"unknown metrics {unknown}; choose from {', '.join(METRIC_AXES)}")
    return tuple(
        BDRow(curve, {metric: _entry(anchor, curve, metric) for metric in metrics})
        for curve in curves
        if curve is not anchor
    )


def format_bd_table(rows: Sequence[BDRow], anchor: RDCurve) -> str:
    """A plain-text table (for terminals and logs) with the notes it needs."""
    header = f"BD-rate vs {anchor.label} ({anchor.origin}); PCHIP on log10(bpp), overlapping quality range"
    lines = [header, "negative = fewer bits than the anchor for the same quality; * = small overlap", ""]
    metrics = list(rows[0].entries) if rows else list(DEFAULT_METRICS)
    axes = [METRIC_AXES[m] for m in metrics]
    if any(not axis.higher_is_better for axis in axes):
        lines.insert(2, "FLIP is an error (lower is better): compared on -FLIP, so the sign reads the same")
    name_width = max([len(r.curve.label) + len(r.curve.origin) + 3 for r in rows] + [10])
    lines.append(f"{'codec':<{name_width}}  " + "  ".join(f"{axis.name:>11}" for axis in axes)
                 + f"  overlap {axes[0].name}")
    notes: list[str] = []
    for row in rows:
        name = f"{row.curve.label} ({row.curve.origin})"
        overlap = ""
        first = row.entries[metrics[0]].result
        if first is not None:
            low, high = first.overlap_low, first.overlap_high
            if not axes[0].higher_is_better:  # back from -FLIP to FLIP
                low, high = -high, -low
            overlap = f"{low:.{_digits(axes[0].key)}f}..{high:.{_digits(axes[0].key)}f} ({first.overlap_fraction:.0%})"
        lines.append(f"{name:<{name_width}}  " + "  ".join(f"{row.entries[m].text():>11}" for m in metrics) + f"  {overlap}")
        for axis in axes:
            entry = row.entries[axis.key]
            if entry.reason:
                notes.append(f"{name} {axis.name}: {entry.reason}")
            elif entry.result is not None and entry.result.warning:
                notes.append(f"{name} {axis.name}: {entry.result.warning}")
    if notes:
        lines += ["", "notes:", *(f"  - {n}" for n in notes)]
    return "\n".join(lines)


def _digits(metric: str) -> int:
    """Decimals that show a quality interval: FLIP lives in 0..1, the others span tens."""
    return 3 if metric == "flip" else 1
