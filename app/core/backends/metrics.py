"""PSNR-RGB, MS-SSIM-RGB and bpp with the CompressAI conventions of EVALUATION.md.

One definition for the whole project: ``codec.eval.metrics`` (float64 MSE over all H*W*3
values, MS-SSIM by ``pytorch_msssim`` with data_range=255, None at 160 px or less). The app only
maps its conventions onto ours: lossless is a flag (PSNR None), never a number or inf.
The codec module is imported lazily, on the worker threads that measure (MS-SSIM needs torch).
"""

from __future__ import annotations

import importlib

import numpy as np

from app.core.results import Metrics

__all__ = ["compute_metrics", "bpp", "MSSSIM_MIN_SIDE"]

MSSSIM_MIN_SIDE = 161
"""MS-SSIM (5 scales, 11-tap window) needs both sides strictly above 160 px."""


def bpp(num_bytes: int, height: int, width: int) -> float:
    """8 * bytes of the whole file / pixels of the original (unpadded) image."""
    return 8.0 * num_bytes / float(height * width)


def compute_metrics(reference: np.ndarray, reconstruction: np.ndarray) -> Metrics:
    metrics = importlib.import_module("codec.eval.metrics")
    quality = metrics.measure(reference, reconstruction)
    return Metrics(psnr=None if quality.lossless else quality.psnr_rgb, msssim=quality.ms_ssim_rgb, mse=quality.mse)
