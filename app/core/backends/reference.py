"""Published reference RD curves (dataset averages) for the plot.

Reads ``codec.eval.reference`` when available, otherwise the CompressAI-schema JSON files under
``codec/data/reference/`` (bundled with the codec) or, in a development checkout, the shared
reference folder next to the repository.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.resources import REFERENCE_DIR, REPO_ROOT

__all__ = ["ReferenceCurve", "load_vtm_kodak", "parse_curve", "candidate_paths"]

VTM_LABEL = "VTM (Kodak average)"


@dataclass(frozen=True)
class ReferenceCurve:
    """A published curve; ``label`` says what it is (a dataset average, not this image)."""

    name: str
    label: str
    bpp: tuple[float, ...]
    psnr: tuple[float, ...]
    msssim: tuple[float, ...]
    source: str = ""


def parse_curve(payload: dict[str, Any], label: str, source: str = "") -> ReferenceCurve:
    results = payload.get("results", payload)
    bpp = tuple(float(v) for v in results["bpp"])
    psnr = tuple(float(v) for v in results.get("psnr-rgb", results.get("psnr", ())))
    msssim = tuple(float(v) for v in results.get("ms-ssim-rgb", results.get("ms-ssim", ())))
    if not bpp or (psnr and len(psnr) != len(bpp)) or (msssim and len(msssim) != len(bpp)):
        raise ValueError("reference curve has mismatched lengths")
    return ReferenceCurve(name=str(payload.get("name", label)), label=label, bpp=bpp, psnr=psnr,
                          msssim=msssim, source=source)


def candidate_paths() -> tuple[Path, ...]:
    return (
        REFERENCE_DIR / "kodak" / "vtm.json",
        REPO_ROOT.parent / "shared" / "reference" / "kodak" / "vtm.json",
    )


def _from_codec() -> ReferenceCurve | None:
    try:
        module = importlib.import_module("codec.eval.reference")
        curve = module.load_reference("vtm")
    except Exception:  # noqa: BLE001 - module missing or file absent: try our own paths
        return None
    psnr = tuple(getattr(curve, "psnr_rgb", None) or ())
    msssim = tuple(getattr(curve, "ms_ssim_rgb", None) or ())
    return ReferenceCurve(name=str(curve.name), label=VTM_LABEL, bpp=tuple(curve.bpp), psnr=psnr, msssim=msssim,
                          source=str(getattr(curve, "description", "codec.eval.reference")))


def load_vtm_kodak() -> ReferenceCurve | None:
    """The Kodak-average VTM curve, or None when no copy can be found."""
    curve = _from_codec()
    if curve is not None:
        return curve
    for path in candidate_paths():
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            return parse_curve(payload, VTM_LABEL, str(path))
        except (OSError, ValueError, KeyError):
            continue
    return None
