"""Published rate-distortion curves shipped with the codec (package data: codec/data/reference/).

The files are upstream data kept byte-identical (see codec/data/reference/PROVENANCE.md); this
module knows what each one is, labels it for plots, and reads the three formats they come in:
CompressAI results JSON, lossy-vae's ``{"bpp", "psnr"}`` and MLIC's ``{"psnr", "bpp"}``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from codec.data import REFERENCE_DIR
from codec.errors import CodecError
from codec.eval.curves import RDCurve

__all__ = [
    "ReferenceInfo",
    "REFERENCES",
    "DEFAULT_REFERENCES",
    "reference_root",
    "list_references",
    "load_reference",
]


@dataclass(frozen=True)
class ReferenceInfo:
    """One published curve: where its file is and how to label it."""

    name: str
    dataset: str
    path: str  # relative to the reference root
    label: str
    kind: str  # "hybrid" or "learned"
    note: str


_K = "kodak"
REFERENCES: dict[str, ReferenceInfo] = {
    info.name: info
    for info in (
        ReferenceInfo("vtm", _K, "kodak/vtm.json", "VTM 4:4:4", "hybrid",
                      "CompressAI, VTM (9.1 likely) all-intra, YCbCr 4:4:4, 8 QPs"),
        ReferenceInfo("vtm18", _K, "kodak/lossy-vae/kodak-vtm18.0.json", "VTM-18.0 4:4:4", "hybrid",
                      "lossy-vae, VTM-18.0 all-intra, YUV 4:4:4, QP 15..50"),
        ReferenceInfo("hm", _K, "kodak/hm.json", "HM 4:4:4", "hybrid",
                      "CompressAI, HM-16.20+SCM-8.8, YCbCr 4:4:4"),
        ReferenceInfo("bpg444", _K, "kodak/bpg_444_x265_ycbcr.json", "BPG 4:4:4", "hybrid",
                      "CompressAI, BPG 0.9.8 (x265), YCbCr 4:4:4"),
        ReferenceInfo("av1", _K, "kodak/av1.json", "AV1", "hybrid", "CompressAI, AV1 (version not stated)"),
        ReferenceInfo("jpeg2000", _K, "kodak/jpeg2000.json", "JPEG 2000", "hybrid",
                      "CompressAI, ffmpeg 3.4.6 / OpenJPEG"),
        ReferenceInfo("webp", _K, "kodak/webp.json", "WebP", "hybrid", "CompressAI, Pillow 7.1.2 / libwebp"),
        ReferenceInfo("jpeg", _K, "kodak/jpeg.json", "JPEG", "hybrid", "CompressAI, Pillow 7.1.2 / libjpeg"),
        ReferenceInfo("bmshj2018-hyperprior", _K,
                      "kodak/8bit-decoded/compressai-bmshj2018-hyperprior_mse_ans_cuda.json",
                      "Ballé 2018 hyperprior", "learned", "CompressAI retrained, MSE, 8-bit decoded"),
        ReferenceInfo("mbt2018-mean", _K, "kodak/8bit-decoded/compressai-mbt2018-mean_mse_ans_cuda.json",
                      "Minnen 2018 mean-scale", "learned", "CompressAI retrained, MSE, 8-bit decoded"),
        ReferenceInfo("mbt2018", _K, "kodak/8bit-decoded/compressai-mbt2018_mse_ans_cuda.json",
                      "Minnen 2018 autoregressive", "learned", "CompressAI retrained, MSE, 8-bit decoded"),
        ReferenceInfo("cheng2020-anchor", _K,
                      "kodak/8bit-decoded/compressai-cheng2020-anchor_mse_ans_cuda.json",
                      "Cheng 2020 anchor", "learned", "CompressAI retrained, MSE, 8-bit decoded"),
        ReferenceInfo("minnen2020", _K, "kodak/paper-minnen2020-cc10_mse.json", "Minnen 2020 (paper)",
                      "learned", "paper points (channel-conditional, 10 slices)"),
        ReferenceInfo("elic2022", _K, "kodak/paper-elic2022_mse.json", "ELIC 2022 (paper)", "learned",
                      "paper points"),
        ReferenceInfo("mlic++", _K, "kodak/mlic/mlicplusplus_mse.json", "MLIC++ (paper)", "learned",
                      "MLIC authors' results, MSE model"),
    )
}

#: What plots show by default: the VTM anchor, the classic codecs and the learned milestones.
DEFAULT_REFERENCES = (
    "vtm", "bpg444", "av1", "jpeg2000", "webp", "jpeg",
    "bmshj2018-hyperprior", "mbt2018-mean", "mbt2018", "cheng2020-anchor", "minnen2020", "elic2022",
)


def reference_root() -> Path:
    """The shipped reference curves (codec/data/reference), or ``$MSP_REFERENCE_DIR`` when set."""
    override = os.environ.get("MSP_REFERENCE_DIR")
    if override:
        return Path(override)
    return REFERENCE_DIR


def list_references(dataset: str | None = None) -> tuple[ReferenceInfo, ...]:
    """Known published curves, optionally for one dataset only."""
    return tuple(r for r in REFERENCES.values() if dataset is None or r.dataset == dataset)


def _floats(values: object, key: str, path: Path) -> tuple[float, ...]:
    if not isinstance(values, list) or not all(isinstance(v, (int, float)) for v in values):
        raise CodecError(f"{path}: '{key}' is not a list of numbers")
    return tuple(float(v) for v in values)


def load_reference(name: str, root: str | Path | None = None) -> RDCurve:
    """The published curve ``name`` (see :data:`REFERENCES`) as an :class:`RDCurve`."""
    info = REFERENCES.get(name)
    if info is None:
        raise CodecError(f"unknown reference curve {name!r}; known: {', '.join(REFERENCES)}")
    path = Path(root) if root is not None else reference_root()
    path = path / info.path
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise CodecError(f"cannot read reference curve {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise CodecError(f"reference curve {path} is not JSON: {exc}") from None
    results = data.get("results", data)  # CompressAI nests the series; lossy-vae / MLIC do not
    bpp = _floats(results.get("bpp"), "bpp", path)
    psnr_values = results.get("psnr-rgb", results.get("psnr"))
    msssim_values = results.get("ms-ssim-rgb")
    times = {k: _floats(results[k], k, path) for k in ("encoding_time", "decoding_time") if k in results}
    curve = RDCurve(
        name=info.name,
        label=info.label,
        kind=info.kind,
        origin="published",
        bpp=bpp,
        psnr_rgb=_floats(psnr_values, "psnr", path) if psnr_values is not None else None,
        ms_ssim_rgb=_floats(msssim_values, "ms-ssim-rgb", path) if msssim_values is not None else None,
        description=f"{info.note} ({info.path})",
        encoding_time=times.get("encoding_time"),
        decoding_time=times.get("decoding_time"),
        images=24 if info.dataset == _K else None,
    )
    for series in (curve.psnr_rgb, curve.ms_ssim_rgb, curve.encoding_time, curve.decoding_time):
        if series is not None and len(series) != len(bpp):
            raise CodecError(f"{path}: series lengths differ")
    return curve
