"""BD-rate against the `bjontegaard` package (same PCHIP method) and on known shifts."""

from __future__ import annotations

import bjontegaard
import numpy as np
import pytest

from codec.errors import CodecError
from codec.eval.bdrate import bd_rate, quality_at_rate
from codec.eval.reference import load_reference


def _oracle(anchor, test):
    return bjontegaard.bd_rate(anchor.bpp, anchor.psnr_rgb, test.bpp, test.psnr_rgb, method="pchip",
                               require_matching_points=False, min_overlap=0)


@pytest.mark.parametrize("test_name", ["jpeg", "webp", "bpg444", "mbt2018-mean", "elic2022", "vtm18"])
def test_matches_the_bjontegaard_package_on_published_curves(test_name):
    anchor = load_reference("vtm")
    test = load_reference(test_name)
    ours = bd_rate(anchor.bpp, anchor.psnr_rgb, test.bpp, test.psnr_rgb)
    assert ours.percent == pytest.approx(_oracle(anchor, test), rel=1e-9, abs=1e-9)
    assert ours.anchor_points == 8 and ours.test_points == len(test.bpp)


def test_published_curves_give_the_documented_bd_rates():
    # ../shared/reference/SOURCES.md: BPG 4:4:4 +22.1 %, ELIC -7.2 %, VTM-18.0 -0.01 % vs CompressAI VTM
    vtm = load_reference("vtm")
    expect = {"bpg444": 22.1, "elic2022": -7.2, "vtm18": 0.0}
    for name, percent in expect.items():
        c = load_reference(name)
        assert bd_rate(vtm.bpp, vtm.psnr_rgb, c.bpp, c.psnr_rgb).percent == pytest.approx(percent, abs=0.5)


@pytest.mark.parametrize("factor", [0.8, 1.25, 2.0])
def test_a_curve_needing_k_times_the_rate_scores_k_minus_one(factor):
    rate = np.array([0.1, 0.2, 0.4, 0.8, 1.6, 3.2])
    quality = np.array([27.0, 30.5, 33.2, 36.0, 38.1, 41.0])  # any increasing shape
    result = bd_rate(rate, quality, rate * factor, quality)
    assert result.percent == pytest.approx((factor - 1) * 100, rel=1e-9)
    assert result.overlap_fraction == pytest.approx(1.0)
    assert result.warning is None


def test_shift_is_recovered_from_different_sample_points():
    # quality = 10 log10(rate) + 30 is linear in log-rate, which PCHIP reproduces exactly.
    anchor_rate = np.geomspace(0.05, 2.0, 7)
    test_rate = np.geomspace(0.08, 3.0, 5)
    anchor_q = 10 * np.log10(anchor_rate) + 30
    test_q = 10 * np.log10(test_rate / 1.5) + 30  # needs 1.5x the rate for the same quality
    result = bd_rate(anchor_rate, anchor_q, test_rate, test_q)
    assert result.percent == pytest.approx(50.0, rel=1e-9)
    assert result.overlap_low == pytest.approx(test_q[0]) and result.overlap_high == pytest.approx(anchor_q[-1])


def test_order_of_points_does_not_matter():
    rate = [0.1, 0.2, 0.4, 0.8, 1.6]
    q = [27.0, 30.0, 33.0, 36.0, 39.0]
    a = bd_rate(rate, q, [r * 1.1 for r in rate], q).percent
    b = bd_rate(rate[::-1], q[::-1], [r * 1.1 for r in rate][::-1], q[::-1]).percent
    assert a == pytest.approx(b)


def test_small_overlap_is_flagged():
    rate = np.geomspace(0.1, 2.0, 6)
    q = 10 * np.log10(rate) + 30
    test_rate = np.geomspace(1.0, 8.0, 5)
    test_q = 10 * np.log10(test_rate) + 30
    result = bd_rate(rate, q, test_rate, test_q)
    assert result.overlap_fraction < 0.5
    assert result.warning is not None and "share" in result.warning
    assert result.percent == pytest.approx(0.0, abs=1e-9)


def test_unusable_curves_are_codec_errors():
    good_r, good_q = [0.1, 0.2, 0.4, 0.8], [28.0, 31.0, 34.0, 37.0]
    with pytest.raises(CodecError, match="at least 4"):
        bd_rate(good_r, good_q, [0.1, 0.2, 0.4], [28.0, 31.0, 34.0])
    with pytest.raises(CodecError, match="strictly"):
        bd_rate(good_r, good_q, [0.1, 0.2, 0.4, 0.8], [28.0, 31.0, 31.0, 37.0])
    with pytest.raises(CodecError, match="overlap"):
        bd_rate(good_r, good_q, [1, 2, 4, 8], [40.0, 42.0, 44.0, 46.0])
    with pytest.raises(CodecError, match="positive"):
        bd_rate(good_r, good_q, [0.0, 0.2, 0.4, 0.8], good_q)


def test_quality_at_a_rate_follows_the_curve_and_never_extrapolates():
    rates = [0.1, 0.2, 0.4, 0.8, 1.6]
    psnr = [30 + 10 * np.log10(r) for r in rates]  # straight in log-rate: PCHIP reproduces it exactly
    assert quality_at_rate(rates, psnr, 0.5) == pytest.approx(30 + 10 * np.log10(0.5))
    assert quality_at_rate(rates, psnr, 0.4) == pytest.approx(psnr[2])
    assert quality_at_rate(rates, psnr, 0.05) is None and quality_at_rate(rates, psnr, 2.0) is None
    vtm = load_reference("vtm")
    r, q = vtm.bpp, vtm.psnr_rgb
    at = quality_at_rate(r, q, 0.5)
    below = max(qq for rr, qq in zip(r, q, strict=True) if rr <= 0.5)
    above = min(qq for rr, qq in zip(r, q, strict=True) if rr >= 0.5)
    assert below <= at <= above  # monotone: between its neighbours, no overshoot
