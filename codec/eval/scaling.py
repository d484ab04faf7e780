"""Decode time against image size: MSP's profiles beside a serial context model (``msp bench --scaling``).

The paper's claim is structural: MSP decodes in a constant number of sequential steps, so its
decode time grows with the work per step (linear in pixels, spread over the cores), while a
serial context model takes one step per latent position. This measures both on one machine, on
one photograph resized to each size, and keeps the figures with what produced them.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from codec.atomic import write_bytes_atomic
from codec.errors import CodecError

__all__ = ["ScalingPoint", "DecodeScaling", "measure_decode_scaling", "save_scaling", "load_scaling", "resized"]


@dataclass(frozen=True)
class ScalingPoint:
    """One image size: its pixels, and each decoder's median decode seconds there."""

    width: int
    height: int
    msp_seconds: dict[str, float]
    """Profile name -> median decode seconds."""
    serial_seconds: float | None
    """The serial context model's decode seconds (one run), None where it was not timed."""

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1e6


@dataclass(frozen=True)
class DecodeScaling:
    points: tuple[ScalingPoint, ...]
    steps: dict[str, int]
    """Profile name -> sequential decode steps (the same at every size)."""
    image: str
    threads: int
    device: str
    repeat: int
    machine: str
    model_id: str


def resized(image: np.ndarray, megapixels: float) -> np.ndarray:
    """``image`` scaled (bicubic) to about ``megapixels``, keeping its aspect ratio."""
    from PIL import Image

    h, w = image.shape[:2]
    factor = (megapixels * 1e6 / (h * w)) ** 0.5
    size = (max(16, round(w * factor)), max(16, round(h * factor)))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BICUBIC))


def measure_decode_scaling(
    image: np.ndarray,
    image_name: str,
    sizes_mpx: list[float],
    profiles: list[str],
    threads: int,
    device: str = "cpu",
    repeat: int = 3,
    serial_max_mpx: float = float("inf"),
    report=print,
) -> DecodeScaling:
    """Encode ``image`` at each size with each profile (no LOF: decoding does not depend on it),
    then time ``repeat`` decodes (median); time the serial context model at sizes up to
    ``serial_max_mpx`` (it takes about 5 ms per latent position on 2 CPU cores)."""
    import torch

    from codec.api import decode, encode, list_profiles, model_info
    from codec.models.serial_context import SerialContextModel

    torch.set_num_threads(threads)
    steps = {p.name: p.steps for p in list_profiles() if p.name in profiles}
    serial = SerialContextModel()
    points = []
    for mpx in sizes_mpx:
        img = resized(image, mpx)
        h, w = img.shape[:2]
        seconds = {}
        for name in profiles:
            data = encode(img, profile=name, quality=0.5, device=device, lof_iterations=0).data
            decode(data, device=device)  # warm-up
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                decode(data, device=device)
                times.append(time.perf_counter() - t)
            seconds[name] = statistics.median(times)
        serial_s = serial.time_roundtrip(h, w, device=device).decode_seconds if mpx <= serial_max_mpx else None
        point = ScalingPoint(w, h, seconds, serial_s)
        points.append(point)
        cells = "  ".join(f"{n} {s:.3f} s" for n, s in seconds.items())
        report(f"{w}x{h} ({point.megapixels:.2f} Mpx): {cells}  serial {'-' if serial_s is None else f'{serial_s:.2f} s'}")
    from codec.models.precision import transform_precision

    precision = transform_precision(torch.device(device))
    plural = "s" if threads != 1 else ""
    machine = f"{_cpu_name()}, {threads} thread{plural}, transforms in {precision}, torch {torch.__version__}"
    return DecodeScaling(tuple(points), steps, image_name, threads, device, repeat, machine, model_info().model_id)


def _cpu_name() -> str:
    """The CPU's model name where Linux says it (platform.processor() is often just the architecture)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def save_scaling(scaling: DecodeScaling, path: str | Path) -> None:
    write_bytes_atomic(path, (json.dumps(asdict(scaling), indent=1) + "\n").encode(), overwrite=True)


def load_scaling(path: str | Path) -> DecodeScaling:
    """Read what :func:`save_scaling` wrote; anything else is a :class:`CodecError`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        points = tuple(ScalingPoint(**p) for p in data.pop("points"))
        return DecodeScaling(points=points, **data)
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise CodecError(f"{path}: not a decode-scaling file ({exc})") from None
