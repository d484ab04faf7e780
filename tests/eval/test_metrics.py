"""Metrics on cases whose answer is known in closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest

from codec.errors import ImageInputError
from codec.eval.metrics import (
    LOSSLESS_DB,
    MS_SSIM_MIN_SIDE,
    bits_per_pixel,
    format_psnr,
    measure,
    ms_ssim_db,
    ms_ssim_rgb,
    mse_rgb,
    psnr_rgb,
)


def test_psnr_of_a_uniform_error_of_one_level():
    a = np.full((10, 12, 3), 100, np.uint8)
    b = a + 1
    assert mse_rgb(a, b) == 1.0
    assert psnr_rgb(a, b) == pytest.approx(20 * math.log10(255))  # 48.1308 dB


def test_psnr_averages_the_error_over_all_three_channels():
    a = np.zeros((8, 8, 3), np.uint8)
    b = a.copy()
    b[..., 1] = 3  # error 9 on one channel in three: MSE 3
    assert mse_rgb(a, b) == pytest.approx(3.0)
    assert psnr_rgb(a, b) == pytest.approx(10 * math.log10(255**2 / 3))


def test_psnr_uses_exact_integers_not_uint8_wraparound():
    a = np.zeros((4, 4, 3), np.uint8)
    b = np.full((4, 4, 3), 255, np.uint8)
    assert mse_rgb(a, b) == 255.0**2  # not (0 - 255) mod 256
    assert psnr_rgb(a, b) == pytest.approx(0.0)


def test_identical_images_are_reported_lossless(make_image):
    image = make_image(200, 180)
    q = measure(image, image.copy())
    assert q.lossless and q.mse == 0.0
    assert q.psnr_rgb == LOSSLESS_DB and math.isfinite(q.psnr_rgb)
    assert format_psnr(q.psnr_rgb, q.lossless) == "lossless"
    assert q.ms_ssim_rgb == pytest.approx(1.0, abs=1e-6)
    assert ms_ssim_db(1.0) == LOSSLESS_DB
    assert format_psnr(31.234) == "31.23 dB"


def test_ms_ssim_needs_more_than_160_pixels_a_side(make_image):
    small = make_image(MS_SSIM_MIN_SIDE - 1, 300)
    assert ms_ssim_rgb(small, small) is None
    assert measure(small, small).ms_ssim_db is None
    ok = make_image(MS_SSIM_MIN_SIDE, MS_SSIM_MIN_SIDE)
    assert ms_ssim_rgb(ok, ok) == pytest.approx(1.0, abs=1e-6)


def test_ms_ssim_falls_as_noise_grows(make_image):
    image = make_image(192, 192, seed=1)
    rng = np.random.default_rng(0)
    values = []
    for sigma in (2, 8, 24):
        noisy = np.clip(image + rng.normal(0, sigma, image.shape), 0, 255).astype(np.uint8)
        values.append(ms_ssim_rgb(image, noisy))
    assert 1.0 > values[0] > values[1] > values[2] > 0.0


def test_ms_ssim_db():
    assert ms_ssim_db(0.99) == pytest.approx(20.0)
    assert ms_ssim_db(0.9) == pytest.approx(10.0)
    assert ms_ssim_db(None) is None


def test_bits_per_pixel_counts_the_whole_file():
    assert bits_per_pixel(1000, 100, 80) == 1.0
    assert bits_per_pixel(98304, 512, 768) == 2.0
    with pytest.raises(ImageInputError):
        bits_per_pixel(10, 0, 5)


def test_mismatched_or_wrong_images_are_refused():
    a = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(ImageInputError):
        psnr_rgb(a, np.zeros((8, 9, 3), np.uint8))
    with pytest.raises(ImageInputError):
        psnr_rgb(a, a.astype(np.float32))


def test_overlapping_ms_ssim_calls_give_the_thread_setting_back():
    """MS-SSIM runs on one intra-op thread, but torch's thread count is process-wide and the app
    computes metrics on a pool. Call A enters, call B enters, A leaves first: a plain save/restore
    in each call would leave B to "restore" the 1 it saw, and the process would stay on 1 thread."""
    import torch

    from codec.eval.metrics import _one_intra_op_thread

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(3)
        call_a, call_b = _one_intra_op_thread(torch), _one_intra_op_thread(torch)
        call_a.__enter__()
        assert torch.get_num_threads() == 1
        call_b.__enter__()
        call_a.__exit__(None, None, None)
        assert torch.get_num_threads() == 1  # B is still computing
        call_b.__exit__(None, None, None)
        assert torch.get_num_threads() == 3

        rng = np.random.default_rng(0)
        a = rng.integers(0, 256, (168, 176, 3), dtype=np.uint8)
        b = np.clip(a.astype(np.int16) + rng.integers(-8, 9, a.shape), 0, 255).astype(np.uint8)
        assert ms_ssim_rgb(a, b) is not None and torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)
