"""BD-rate of many curves against one anchor, on PSNR and on MS-SSIM (dB), as a table.

A curve that cannot be compared (too few points, no MS-SSIM, no overlap) gets a reason in
place of a number rather than stopping the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from codec.errors import CodecError
from codec.eval.bdrate import BDRate, bd_rate
from codec.eval.curves import RDCurve

__all__ = ["BDEntry", "BDRow", "bd_table", "format_bd_table"]


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
    psnr: BDEntry
    ms_ssim: BDEntry


def _entry(anchor: RDCurve, test: RDCurve, metric: str) -> BDEntry:
    ra, qa = anchor.points(metric)
    rt, qt = test.points(metric)
    if not rt:
        return BDEntry(None, f"no {metric} values")
    try:
        return BDEntry(bd_rate(ra, qa, rt, qt))
    except CodecError as exc:
        return BDEntry(None, str(exc))


def bd_table(curves: Sequence[RDCurve], anchor: RDCurve) -> tuple[BDRow, ...]:
    """One row per curve (the anchor itself left out), BD-rate on PSNR and on MS-SSIM dB."""
    return tuple(
        BDRow(curve, _entry(anchor, curve, "psnr"), _entry(anchor, curve, "ms-ssim"))
        for curve in curves
        if curve is not anchor
    )


def format_bd_table(rows: Sequence[BDRow], anchor: RDCurve) -> str:
    """A plain-text table (for terminals and logs) with the notes it needs."""
    header = f"BD-rate vs {anchor.label} ({anchor.origin}); PCHIP on log10(bpp), overlapping quality range"
    lines = [header, "negative = fewer bits than the anchor for the same quality; * = small overlap", ""]
    name_width = max([len(r.curve.label) + len(r.curve.origin) + 3 for r in rows] + [10])
    lines.append(f"{'codec':<{name_width}}  {'PSNR-RGB':>11}  {'MS-SSIM dB':>11}  overlap PSNR (dB)")
    notes: list[str] = []
    for row in rows:
        name = f"{row.curve.label} ({row.curve.origin})"
        overlap = ""
        if row.psnr.result is not None:
            r = row.psnr.result
            overlap = f"{r.overlap_low:.1f}..{r.overlap_high:.1f} ({r.overlap_fraction:.0%})"
        lines.append(f"{name:<{name_width}}  {row.psnr.text():>11}  {row.ms_ssim.text():>11}  {overlap}")
        for metric, entry in (("PSNR", row.psnr), ("MS-SSIM", row.ms_ssim)):
            if entry.reason:
                notes.append(f"{name} {metric}: {entry.reason}")
            elif entry.result is not None and entry.result.warning:
                notes.append(f"{name} {metric}: {entry.result.warning}")
    if notes:
        lines += ["", "notes:", *(f"  - {n}" for n in notes)]
    return "\n".join(lines)
