"""PSNR-RGB and MS-SSIM-RGB with the CompressAI conventions of EVALUATION.md.

One definition for the whole project: ``codec.eval.metrics`` (float64 MSE over all H*W*3
values, MS-SSIM by ``pytorch_msssim`` with data_range=255, None at 160 px or less). The app only
maps its conventions onto ours: lossless is a flag (PSNR None), never a number or inf.
The codec module is imported lazily, on the worker threads that measure (MS-SSIM needs torch).
"""

from __future__ import annotations

import importlib

import numpy as np

from app.core.results import Metrics

__all__ = ["compute_metrics"]


def compute_metrics(reference: np.ndarray, reconstruction: np.ndarray) -> Metrics:
    metrics = importlib.import_module("codec.eval.metrics")
    quality = metrics.measure(reference, reconstruction)
    return Metrics(psnr=None if quality.lossless else quality.psnr_rgb, msssim=quality.ms_ssim_rgb, mse=quality.mse)
