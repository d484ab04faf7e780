"""The fixed wavelet transform: exact inverse, pywavelets' CDF 9/7, and a codec built on it."""


import numpy as np
import pytest
import pywt
import torch

from codec.data import DEMO_IMAGE as DEMO
from codec.image_io import load_image
from codec.models.msp_codec import ModelConfig, MSPCodecModel
from codec.models.wavelet import WaveletAnalysis, WaveletSynthesis, _frequency_order, _lift, dwt2, idwt2, wavelet_channels
from codec.profiles import load_profiles


@torch.no_grad()
def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(10 * torch.log10(1 / (a - b).square().mean()))


@pytest.mark.parametrize("boundary", ["symmetric", "periodic"])
def test_round_trip_of_a_kodak_image_is_far_above_60_db(boundary):
    x = torch.tensor(load_image(DEMO)).permute(2, 0, 1)[None].float() / 255
    y = WaveletAnalysis(boundary)(x)
    assert y.shape == (1, wavelet_channels(), x.shape[2] // 8, x.shape[3] // 8)
    assert _psnr(WaveletSynthesis(boundary)(y), x) > 60


def test_one_level_matches_pywavelets_bior44_periodization():
    rng = np.random.default_rng(0)
    signal = rng.random((3, 64))
    low, high = _lift(torch.from_numpy(signal), 1, periodic=True)
    ca, cd = pywt.dwt(signal, "bior4.4", mode="periodization", axis=1)
    np.testing.assert_allclose(low.numpy(), ca, atol=1e-10)
    np.testing.assert_allclose(high.numpy(), -cd, atol=1e-10)  # the high band's sign is a convention


def test_two_dimensional_bands_match_pywavelets():
    rng = np.random.default_rng(1)
    image = rng.random((32, 48))
    bands = dwt2(torch.from_numpy(image)[None, None], periodic=True)[0].numpy()
    ll, (lh, hl, hh) = pywt.dwt2(image, "bior4.4", mode="periodization")  # pywt: (horizontal edges, vertical, diagonal)
    np.testing.assert_allclose(bands[0], ll, atol=1e-10)
    np.testing.assert_allclose(bands[1], -hl, atol=1e-10)
    np.testing.assert_allclose(bands[2], -lh, atol=1e-10)
    np.testing.assert_allclose(bands[3], hh, atol=1e-10)


def test_symmetric_boundary_is_exactly_invertible_and_differs_from_periodic():
    x = torch.rand(1, 2, 16, 24, dtype=torch.float64)
    sym, per = dwt2(x), dwt2(x, periodic=True)
    assert torch.allclose(idwt2(sym), x, atol=1e-12)
    assert not torch.allclose(sym, per)


def test_channels_run_from_low_to_high_frequency():
    order = _frequency_order(3)
    assert sorted(order.tolist()) == list(range(wavelet_channels()))
    # The three colour DC bands come first; a ramp's energy sits in the first channels.
    assert set(order[:3].tolist()) == {0, 64, 128}
    ramp = torch.linspace(0, 1, 64).view(1, 1, 1, 64).expand(1, 3, 64, 64)
    energy = WaveletAnalysis()(ramp).square().sum((0, 2, 3))
    assert energy[:24].sum() > 0.99 * energy.sum()


def test_a_wavelet_codec_codes_real_bitstreams():
    torch.manual_seed(0)
    model = MSPCodecModel(ModelConfig(latent_channels=wavelet_channels(), transform="wavelet")).eval()
    model.factorized.update_tables()
    x = torch.tensor(load_image(DEMO)[:128, :192]).permute(2, 0, 1)[None].float() / 255
    schedule = load_profiles()["fast"].schedule
    y = model.analyse(x, 0.5)
    code = model.compress_latent(y, schedule)
    y_hat = model.decompress_latent(code.segments, y.shape[-2:], schedule, torch.device("cpu"))
    assert torch.equal(y_hat, code.y_hat)
    assert _psnr(model.synthesise(y_hat, 0.5).clamp(0, 1), x) > 25  # untrained entropy model, fixed transform


def test_wavelet_needs_its_channel_count():
    with pytest.raises(ValueError, match="192"):
        ModelConfig(transform="wavelet")
