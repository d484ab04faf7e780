"""Image quality and rate, computed exactly as the published learned-codec results are.

Conventions (../shared/docs/EVALUATION.md, CompressAI): both images are 8-bit RGB;
PSNR-RGB takes the MSE over all H*W*3 values at once, in float64; MS-SSIM-RGB is
``pytorch_msssim.ms_ssim(data_range=255)`` on the 8-bit values (float32, as CompressAI),
which needs more than 160 px on each side (5 scales of an 11-tap window), so smaller images
get ``None`` ("n/a"); bpp counts every byte of the file over the original (unpadded) H*W.

Two perceptual metrics are computed only when asked for (they cost a second or so where PSNR
costs milliseconds, on a 768x512 image, one core):

- SSIMULACRA2 (:mod:`codec.eval.ssimulacra2`; 100 = identical, higher is better, negative for
  the worst): libjxl's tool transcribed into numpy, its float32 rounding included, so it gives
  the tool's scores (to its 8 printed decimals on Kodak kodim23 against JPEG and WebP, noise,
  blur and crops from 301x203 down to 8x8) and compares with published ones. The PyPI
  ``ssimulacra2`` port used before was 0.4 to 19 points off (kodim23 vs JPEG q20: 26.52 where
  the tool gives 29.11; its borders differ). ``None`` under 8 px a side (the tool's own minimum).
- FLIP (``flip-evaluator``, NVIDIA's C++ code): the mean LDR-FLIP error, 0 = identical, lower is
  better, at the tool's default viewing of 67 pixels per degree (a 4K screen 0.7 m wide seen
  from 0.7 m). It matches the FLIP tool built from NVlabs/flip to its six printed decimals.

A perfect reconstruction has no finite PSNR. It is reported as :data:`LOSSLESS_DB` together
with ``lossless=True`` so that JSON, means and plots never meet ``inf``; show it as "lossless".
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from codec.errors import ImageInputError

__all__ = [
    "LOSSLESS_DB",
    "MS_SSIM_MIN_SIDE",
    "ImageQuality",
    "mse_rgb",
    "psnr_from_mse",
    "psnr_rgb",
    "ms_ssim_rgb",
    "ms_ssim_db",
    "bits_per_pixel",
    "measure",
    "format_psnr",
    "SSIMULACRA2_MIN_SIDE",
    "SSIMULACRA2_IDENTICAL",
    "FLIP_PIXELS_PER_DEGREE",
    "ssimulacra2_rgb",
    "flip_rgb",
]

#: dB value standing for "lossless" (MSE = 0 or MS-SSIM = 1); above any lossy 8-bit result.
LOSSLESS_DB = 100.0
#: MS-SSIM (5 scales, 11-tap window) needs both sides strictly above 160 px.
MS_SSIM_MIN_SIDE = 161
#: SSIMULACRA2 needs 8 px a side (libjxl's tool: "Minimum image size is 8x8 pixels").
SSIMULACRA2_MIN_SIDE = 8
#: SSIMULACRA2 of two identical images.
SSIMULACRA2_IDENTICAL = 100.0
#: FLIP's default observer: 0.7 m from a 0.7 m wide 3840 px screen (the FLIP tool's default).
FLIP_PIXELS_PER_DEGREE = 0.7 * 3840 / 0.7 * math.pi / 180


@dataclass(frozen=True)
class ImageQuality:
    """Distortion of one reconstruction against its original."""

    mse: float
    psnr_rgb: float  # LOSSLESS_DB when lossless
    lossless: bool
    ms_ssim_rgb: float | None  # None: image too small for MS-SSIM
    ssimulacra2: float | None = None  # None: not asked for, or under 8 px a side
    flip: float | None = None  # None: not asked for

    @property
    def ms_ssim_db(self) -> float | None:
        return ms_ssim_db(self.ms_ssim_rgb)


def _pair(reference: np.ndarray, reconstruction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    for name, image in (("reference", reference), ("reconstruction", reconstruction)):
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ImageInputError(f"{name} must be an H x W x 3 uint8 array")
    if reference.shape != reconstruction.shape:
        raise ImageInputError(f"shapes differ: {reference.shape} vs {reconstruction.shape}")
    return reference, reconstruction


def mse_rgb(reference: np.ndarray, reconstruction: np.ndarray) -> float:
    """Mean squared error over all H*W*3 values, in float64."""
    a, b = _pair(reference, reconstruction)
    diff = a.astype(np.float64) - b.astype(np.float64)
    return float(np.mean(diff * diff))


def psnr_from_mse(mse: float, peak: float = 255.0) -> float:
    """10*log10(peak^2 / mse); :data:`LOSSLESS_DB` for mse == 0."""
    if mse <= 0.0:
        return LOSSLESS_DB
    return 10.0 * math.log10(peak * peak / mse)


def psnr_rgb(reference: np.ndarray, reconstruction: np.ndarray) -> float:
    """PSNR-RGB in dB (:data:`LOSSLESS_DB` for identical images)."""
    return psnr_from_mse(mse_rgb(reference, reconstruction))


def ms_ssim_rgb(reference: np.ndarray, reconstruction: np.ndarray) -> float | None:
    """MS-SSIM on RGB with pytorch_msssim (data_range=255), or ``None`` below 161 px a side."""
    a, b = _pair(reference, reconstruction)
    if min(a.shape[:2]) < MS_SSIM_MIN_SIDE:
        return None
    import torch  # deferred: only MS-SSIM needs torch
    from pytorch_msssim import ms_ssim

    def tensor(image: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(image.astype(np.float32)).permute(2, 0, 1).unsqueeze(0)

    # A handful of small convolutions: with several intra-op threads on a busy machine the
    # OpenMP hand-offs cost 25x the work itself (1.7 s instead of 0.07 s on 768x512), so run
    # them on one thread and give the caller's setting back.
    with _one_intra_op_thread(torch), torch.no_grad():
        value = ms_ssim(tensor(a), tensor(b), data_range=255, size_average=True)
    return float(value)


_single_thread_lock = threading.Lock()
_single_thread_users = 0
_saved_threads = 0


@contextmanager
def _one_intra_op_thread(torch) -> Iterator[None]:
    """torch's intra-op thread count is process-wide and callers overlap (the app computes
    metrics on a thread pool): the first to enter saves the setting, the last to leave restores
    it, so overlapping calls can never leave the process stuck on one thread."""
    global _single_thread_users, _saved_threads
    with _single_thread_lock:
        if _single_thread_users == 0:
            _saved_threads = torch.get_num_threads()
            torch.set_num_threads(1)
        _single_thread_users += 1
    try:
        yield
    finally:
        with _single_thread_lock:
            _single_thread_users -= 1
            if _single_thread_users == 0:
                torch.set_num_threads(_saved_threads)


def ms_ssim_db(value: float | None) -> float | None:
    """-10*log10(1 - MS-SSIM), the scale used in plots; :data:`LOSSLESS_DB` at MS-SSIM = 1."""
    if value is None:
        return None
    if value >= 1.0:
        return LOSSLESS_DB
    return min(-10.0 * math.log10(1.0 - value), LOSSLESS_DB)


def ssimulacra2_rgb(reference: np.ndarray, reconstruction: np.ndarray) -> float | None:
    """SSIMULACRA2 as libjxl's tool computes it (100 = identical); ``None`` under 8 px a side."""
    a, b = _pair(reference, reconstruction)
    if min(a.shape[:2]) < SSIMULACRA2_MIN_SIDE:
        return None
    from codec.eval.ssimulacra2 import ssimulacra2  # deferred: only this metric needs it

    return ssimulacra2(a, b)


def flip_rgb(reference: np.ndarray, reconstruction: np.ndarray) -> float:
    """Mean LDR-FLIP error with ``flip-evaluator`` (0 = identical), sRGB inputs scaled to 0..1,
    at :data:`FLIP_PIXELS_PER_DEGREE`."""
    a, b = _pair(reference, reconstruction)
    import flip_evaluator  # deferred: a compiled extension only this metric needs

    def unit(image: np.ndarray) -> np.ndarray:
        return image.astype(np.float32) / np.float32(255.0)

    _, mean, _ = flip_evaluator.evaluate(unit(a), unit(b), "LDR", inputsRGB=True, applyMagma=False,
                                         computeMeanError=True, parameters={"ppd": FLIP_PIXELS_PER_DEGREE})
    return float(mean)


def bits_per_pixel(num_bytes: int, height: int, width: int) -> float:
    """8 * bytes of the whole file / (H * W of the original image)."""
    if height < 1 or width < 1:
        raise ImageInputError(f"image has no pixels ({width}x{height})")
    return 8.0 * num_bytes / (height * width)


def measure(reference: np.ndarray, reconstruction: np.ndarray, *, with_ms_ssim: bool = True,
            with_perceptual: bool = False) -> ImageQuality:
    """PSNR-RGB and MS-SSIM-RGB of ``reconstruction`` against ``reference``; with
    ``with_perceptual``, SSIMULACRA2 and FLIP too (seconds, not milliseconds)."""
    mse = mse_rgb(reference, reconstruction)
    msssim = ms_ssim_rgb(reference, reconstruction) if with_ms_ssim else None
    s2 = ssimulacra2_rgb(reference, reconstruction) if with_perceptual else None
    flip = flip_rgb(reference, reconstruction) if with_perceptual else None
    return ImageQuality(mse=mse, psnr_rgb=psnr_from_mse(mse), lossless=mse == 0.0, ms_ssim_rgb=msssim,
                        ssimulacra2=s2, flip=flip)


def format_psnr(psnr: float, lossless: bool = False) -> str:
    """"34.21 dB", or "lossless"."""
    return "lossless" if lossless or psnr >= LOSSLESS_DB else f"{psnr:.2f} dB"
