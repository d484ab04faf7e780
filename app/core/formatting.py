"""Human-readable numbers for the readout, one place so every view agrees."""

from __future__ import annotations

import math

from codec.eval.metrics import LOSSLESS_DB, SSIMULACRA2_IDENTICAL

from app.core.image_io import LoadedImage
from app.core.results import EncodeOutcome

__all__ = ["format_bytes", "format_seconds", "format_psnr", "format_msssim", "format_ssimulacra2", "format_flip",
           "readout_rows", "READOUT_FIELDS"]

READOUT_FIELDS = ("Codec", "Size", "bpp", "% of original", "PSNR", "MS-SSIM", "SSIMULACRA2", "FLIP", "Encode",
                  "Decode", "Device")


def format_bytes(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB ({n:,} B)"
    return f"{n / 1024 / 1024:.2f} MiB ({n:,} B)"


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1.0:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def format_psnr(outcome: EncodeOutcome) -> str:
    metrics = outcome.metrics
    if metrics.lossless:
        return "lossless"
    if metrics.psnr is None:
        return "n/a"
    return f"{metrics.psnr:.2f} dB"


def format_msssim(outcome: EncodeOutcome) -> str:
    metrics = outcome.metrics
    if metrics.msssim is None:
        return "n/a (needs > 160 px)" if not math.isnan(metrics.mse) else "n/a"
    db = metrics.msssim_db
    if db is None or db >= LOSSLESS_DB:
        return f"{metrics.msssim:.5f} (lossless)"
    return f"{metrics.msssim:.5f} ({db:.2f} dB)"


def format_ssimulacra2(outcome: EncodeOutcome) -> str:
    """"71.38", "100 (identical)", or why there is no value ("computing…", "n/a (...)")."""
    metrics = outcome.metrics
    if metrics.ssimulacra2 is None:
        return metrics.perceptual_note or "—"
    return "100 (identical)" if metrics.ssimulacra2 >= SSIMULACRA2_IDENTICAL else f"{metrics.ssimulacra2:.2f}"


def format_flip(outcome: EncodeOutcome) -> str:
    """"0.0734", "0 (identical)", or why there is no value."""
    metrics = outcome.metrics
    if metrics.flip is None:
        return metrics.perceptual_note or "—"
    return "0 (identical)" if metrics.flip <= 0.0 else f"{metrics.flip:.4f}"


def readout_rows(outcome: EncodeOutcome, image: LoadedImage | None) -> dict[str, str]:
    """Field -> text for one side's readout."""
    original = image.reference_bytes if image is not None else None
    percent = f"{100.0 * outcome.num_bytes / original:.2f} %" if original else "—"
    bpp = f"{outcome.bpp:.4f}"
    if outcome.estimated_bpp is not None:
        bpp += f" (est. {outcome.estimated_bpp:.3f})"
    return {
        "Codec": outcome.label.replace(f", {outcome.device}", ""),
        "Size": format_bytes(outcome.num_bytes),
        "bpp": bpp,
        "% of original": percent,
        "PSNR": format_psnr(outcome),
        "MS-SSIM": format_msssim(outcome),
        "SSIMULACRA2": format_ssimulacra2(outcome),
        "FLIP": format_flip(outcome),
        "Encode": format_seconds(outcome.encode_seconds),
        "Decode": format_seconds(outcome.decode_seconds),
        "Device": outcome.device,
    }
