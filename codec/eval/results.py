"""Evaluation results in memory and on disk, in CompressAI's JSON schema.

Each codec entry of a results file *is* a CompressAI results object (``name``,
``description``, ``results`` with ``bpp``, ``psnr-rgb``, ``ms-ssim-rgb``, ``encoding_time``,
``decoding_time`` as dataset means per quality setting), so it can be compared with the
published files directly. It adds what those lack: the normalized and native quality of each
point, the library versions and settings, the wall time and every per-image value.

Dataset means are arithmetic means of per-image values at one quality setting. MS-SSIM is
``null`` ("n/a") where an image is too small for it; a mean over some images only would be
a different image set, so the dataset mean is then n/a too.

The perceptual metrics (``ssimulacra2``, ``flip``: see :mod:`codec.eval.metrics`) sit beside
CompressAI's keys, in ``results`` and per image, only when they were measured: a file of a run
without them has exactly the keys it had before, and a file without them (older, or CompressAI's)
reads with every value ``None``.
"""

from __future__ import annotations

import json
import math
import os
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from codec.atomic import write_bytes_atomic
from codec.baselines.registry import upgrade_key
from codec.errors import CodecError
from codec.eval.curves import RDCurve

__all__ = [
    "PointResult",
    "ImageResult",
    "CodecResults",
    "EvaluationResults",
    "FORMAT",
    "PERCEPTUAL_KEYS",
    "save_results",
    "load_results",
    "compressai_dict",
    "environment",
]

FORMAT = "msp-studio-eval/1"
#: Metrics our files add to CompressAI's, when measured (``codec.eval.metrics``).
PERCEPTUAL_KEYS = ("ssimulacra2", "flip")


@dataclass(frozen=True)
class PointResult:
    """One image at one quality: the file size, the distortion and the times."""

    quality: float
    native: float
    num_bytes: int
    bpp: float
    psnr_rgb: float
    lossless: bool
    ms_ssim_rgb: float | None
    encoding_time: float
    decoding_time: float
    ssimulacra2: float | None = None  # None: not measured, or under 8 px a side
    flip: float | None = None  # None: not measured


@dataclass(frozen=True)
class ImageResult:
    """All points of one codec on one image, aligned with :attr:`CodecResults.qualities`."""

    image: str
    height: int
    width: int
    points: tuple[PointResult, ...]


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    if not values or len(present) < len(values):
        return None
    return math.fsum(present) / len(present)


@dataclass(frozen=True)
class CodecResults:
    """One codec's curve on a dataset: dataset means per quality, plus per-image detail."""

    name: str
    label: str
    kind: str
    description: str
    library: str
    version: str
    settings: Mapping[str, str]
    qualities: tuple[float, ...]
    native: tuple[float, ...]
    bpp: tuple[float, ...]
    psnr_rgb: tuple[float, ...]
    ms_ssim_rgb: tuple[float | None, ...]
    encoding_time: tuple[float, ...]
    decoding_time: tuple[float, ...]
    lossless_images: tuple[int, ...] = ()
    images: tuple[ImageResult, ...] = ()
    wall_seconds: float | None = None
    ssimulacra2: tuple[float | None, ...] = ()  # aligned with qualities; () or all None: not measured
    flip: tuple[float | None, ...] = ()

    @classmethod
    def from_images(cls, *, name: str, label: str, kind: str, description: str, library: str,
                    version: str, settings: Mapping[str, str], qualities: Sequence[float],
                    native: Sequence[float], images: Sequence[ImageResult],
                    wall_seconds: float | None = None) -> CodecResults:
        """Build from per-image results, computing the dataset means."""
        if not images:
            raise CodecError(f"{name}: no images were evaluated")
        n = len(qualities)
        if any(len(img.points) != n for img in images):
            raise CodecError(f"{name}: every image needs one result per quality")

        def column(attr: str) -> list[list[Any]]:
            return [[getattr(img.points[i], attr) for img in images] for i in range(n)]

        def means(attr: str) -> tuple[Any, ...]:
            return tuple(_mean(col) for col in column(attr))

        return cls(
            name=name, label=label, kind=kind, description=description, library=library,
            version=version, settings=dict(settings), qualities=tuple(qualities),
            native=tuple(native), bpp=means("bpp"), psnr_rgb=means("psnr_rgb"),
            ms_ssim_rgb=means("ms_ssim_rgb"), encoding_time=means("encoding_time"),
            decoding_time=means("decoding_time"),
            lossless_images=tuple(sum(col) for col in column("lossless")),
            images=tuple(images), wall_seconds=wall_seconds,
            ssimulacra2=means("ssimulacra2"), flip=means("flip"),
        )

    def measured(self, key: str) -> bool:
        """Whether the perceptual metric ``key`` ("ssimulacra2" or "flip") has any value here."""
        return any(v is not None for v in getattr(self, key)) or any(
            getattr(p, key) is not None for img in self.images for p in img.points)

    def curve(self, *, dataset_images: int | None = None) -> RDCurve:
        """This codec's mean curve, for plots and BD-rates."""
        return RDCurve(
            name=self.name, label=self.label, kind=self.kind, origin="measured",
            bpp=self.bpp, psnr_rgb=self.psnr_rgb, ms_ssim_rgb=self.ms_ssim_rgb,
            description=self.description, encoding_time=self.encoding_time,
            decoding_time=self.decoding_time, images=dataset_images or len(self.images) or None,
            ssimulacra2=self.ssimulacra2 or None, flip=self.flip or None,
        )

    def to_dict(self) -> dict[str, Any]:
        out = compressai_dict(self)
        out.update(
            label=self.label, kind=self.kind, library=self.library, version=self.version,
            settings=dict(self.settings), wall_time_s=self.wall_seconds,
        )
        out["results"].update(
            quality=list(self.qualities), native=list(self.native),
            **{"lossless-images": list(self.lossless_images)},
        )
        perceptual = [key for key in PERCEPTUAL_KEYS if self.measured(key)]
        out["results"].update({key: list(getattr(self, key)) for key in perceptual})
        out["per_image"] = [
            {
                "image": img.image, "height": img.height, "width": img.width,
                "bytes": [p.num_bytes for p in img.points],
                "bpp": [p.bpp for p in img.points],
                "psnr-rgb": [p.psnr_rgb for p in img.points],
                "lossless": [p.lossless for p in img.points],
                "ms-ssim-rgb": [p.ms_ssim_rgb for p in img.points],
                "encoding_time": [p.encoding_time for p in img.points],
                "decoding_time": [p.decoding_time for p in img.points],
                **{key: [getattr(p, key) for p in img.points] for key in perceptual},
            }
            for img in self.images
        ]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CodecResults:
        """Read one entry of our files, or a plain CompressAI results object."""
        try:
            res = data["results"]
            bpp = tuple(float(v) for v in res["bpp"])
            n = len(bpp)

            def series(key: str, default: Any = None) -> tuple[Any, ...]:
                values = res.get(key)
                if values is None:
                    return tuple([default] * n)
                if len(values) != n:
                    raise CodecError(f"{data.get('name')}: '{key}' has {len(values)} values, bpp has {n}")
                return tuple(values)

            qualities = tuple(float(q) for q in series("quality", math.nan))
            images = []
            for entry in data.get("per_image", ()):
                perceptual = {key: _optional_numbers(entry.get(key), n, key) for key in PERCEPTUAL_KEYS}
                points = tuple(
                    PointResult(
                        quality=qualities[i], native=float(series("native", math.nan)[i]),
                        num_bytes=int(entry["bytes"][i]), bpp=float(entry["bpp"][i]),
                        psnr_rgb=float(entry["psnr-rgb"][i]), lossless=bool(entry["lossless"][i]),
                        ms_ssim_rgb=entry["ms-ssim-rgb"][i],
                        encoding_time=float(entry["encoding_time"][i]),
                        decoding_time=float(entry["decoding_time"][i]),
                        ssimulacra2=perceptual["ssimulacra2"][i], flip=perceptual["flip"][i],
                    )
                    for i in range(n)
                )
                images.append(ImageResult(entry["image"], int(entry["height"]), int(entry["width"]), points))
            return cls(
                name=upgrade_key(str(data["name"])), label=str(data.get("label", data["name"])),
                kind=str(data.get("kind", "hybrid")), description=str(data.get("description", "")),
                library=str(data.get("library", "")), version=str(data.get("version", "")),
                settings=dict(data.get("settings", {})), qualities=qualities,
                native=tuple(float(v) for v in series("native", math.nan)), bpp=bpp,
                psnr_rgb=series("psnr-rgb"), ms_ssim_rgb=series("ms-ssim-rgb"),
                encoding_time=series("encoding_time"), decoding_time=series("decoding_time"),
                lossless_images=tuple(res.get("lossless-images", ())), images=tuple(images),
                wall_seconds=data.get("wall_time_s"),
                ssimulacra2=_optional_numbers(res.get("ssimulacra2"), n, "ssimulacra2"),
                flip=_optional_numbers(res.get("flip"), n, "flip"),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise CodecError(f"not a valid results entry ({type(exc).__name__}: {exc})") from None


def _optional_numbers(values: Any, n: int, key: str) -> tuple[float | None, ...]:
    """A metric's n values (``None`` where missing); all ``None`` when the file has none."""
    if values is None:
        return (None,) * n
    if len(values) != n:
        raise CodecError(f"'{key}' has {len(values)} values, bpp has {n}")
    return tuple(None if v is None else float(v) for v in values)


def compressai_dict(codec: CodecResults) -> dict[str, Any]:
    """The entry exactly in CompressAI's schema (dataset means only)."""
    return {
        "name": codec.name,
        "description": codec.description,
        "results": {
            "bpp": list(codec.bpp),
            "psnr-rgb": list(codec.psnr_rgb),
            "ms-ssim-rgb": list(codec.ms_ssim_rgb),
            "encoding_time": list(codec.encoding_time),
            "decoding_time": list(codec.decoding_time),
        },
    }


def environment() -> dict[str, str]:
    """Where the numbers were measured (timings depend on it)."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or "unknown",
        "cpu_count": str(os.cpu_count()),
    }


@dataclass(frozen=True)
class EvaluationResults:
    """Every codec evaluated on one dataset in one run."""

    dataset: str
    codecs: tuple[CodecResults, ...]
    image_names: tuple[str, ...] = ()
    dataset_dir: str = ""
    wall_seconds: float | None = None
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    environment: Mapping[str, str] = field(default_factory=environment)
    notes: tuple[str, ...] = ()

    def codec(self, name: str) -> CodecResults:
        for entry in self.codecs:
            if entry.name == name:
                return entry
        raise CodecError(f"no codec {name!r} in these results ({', '.join(c.name for c in self.codecs)})")

    def curves(self) -> list[RDCurve]:
        return [c.curve(dataset_images=len(self.image_names) or None) for c in self.codecs]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "dataset": self.dataset,
            "dataset_dir": self.dataset_dir,
            "images": list(self.image_names),
            "created": self.created,
            "wall_time_s": self.wall_seconds,
            "environment": dict(self.environment),
            "notes": list(self.notes),
            "conventions": "CompressAI: 8-bit RGB; PSNR-RGB over all values; "
                           "MS-SSIM-RGB pytorch_msssim data_range=255; bpp = 8*file bytes/(H*W); "
                           "dataset values = mean of per-image values; when present, ssimulacra2 = libjxl's "
                           "tool's score (its numpy transcription, 100 = identical) and flip = mean LDR-FLIP "
                           "error (flip-evaluator, 67 pixels per degree, 0 = identical)",
            "codecs": [c.to_dict() for c in self.codecs],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, fallback_name: str = "") -> EvaluationResults:
        if "codecs" not in data:  # a single CompressAI-style results object
            return cls(dataset=str(data.get("dataset", fallback_name)), codecs=(CodecResults.from_dict(data),),
                       created="", environment={})
        return cls(
            dataset=str(data.get("dataset", fallback_name)),
            codecs=tuple(CodecResults.from_dict(c) for c in data["codecs"]),
            image_names=tuple(data.get("images", ())),
            dataset_dir=str(data.get("dataset_dir", "")),
            wall_seconds=data.get("wall_time_s"),
            created=str(data.get("created", "")),
            environment=dict(data.get("environment", {})),
            notes=tuple(data.get("notes", ())),
        )


MAX_RESULTS_BYTES = 64 << 20  # a full Kodak sweep of every codec is under 1 MiB


def save_results(results: EvaluationResults, path: str | Path, *, overwrite: bool = True) -> Path:
    """Write ``results`` as JSON (atomically; strict JSON: no NaN or infinity)."""
    try:
        text = json.dumps(results.to_dict(), indent=1, allow_nan=False)
    except ValueError as exc:
        raise CodecError(f"results contain a non-finite number: {exc}") from None
    return write_bytes_atomic(path, (text + "\n").encode(), overwrite=overwrite)


def load_results(path: str | Path) -> EvaluationResults:
    """Read a results file of ours, or any single-codec CompressAI results JSON. Whatever the file
    holds (other bytes, other JSON, a file too large to be results), the failure is a CodecError
    naming it."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_RESULTS_BYTES + 1)
    except OSError as exc:
        raise CodecError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_RESULTS_BYTES:
        raise CodecError(f"{path} is over {MAX_RESULTS_BYTES >> 20} MiB: too large to be a results file")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise CodecError(f"{path} is not a results file (not UTF-8 text)") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        raise CodecError(f"{path} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CodecError(f"{path} is not a results file")
    try:
        return EvaluationResults.from_dict(data, fallback_name=path.parent.name)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise CodecError(f"{path} is not a results file of a shape this version reads ({type(exc).__name__}: {exc})") from None
