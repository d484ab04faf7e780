"""Quality sweeps span the target rates; `msp eval` and `msp plot` run end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from codec.baselines import get_codec
from codec.cli import main
from codec.data import DEMO_IMAGE as DEMO
from codec.errors import CodecError
from codec.eval.sweep import plan_qualities, probe_images, probe_mosaic


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    if not DEMO.exists():
        pytest.skip("demo image missing")
    return np.asarray(Image.open(DEMO).convert("RGB"))


@pytest.mark.parametrize("spec", ["jpeg2000", "webp", "hevc:preset=ultrafast"])
def test_sweep_spans_the_target_rates(spec, photo):
    from codec.baselines import parse_codec_spec

    codec = parse_codec_spec(spec)
    if not codec.available():
        pytest.skip(codec.unavailable_reason())
    crop = np.ascontiguousarray(photo[128:384, 256:512])
    plan = plan_qualities(codec, [crop], bpp_range=(0.2, 1.5), points=7)
    assert len(plan.qualities) == 7 and list(plan.qualities) == sorted(set(plan.qualities))
    assert plan.expected_bpp[0] <= 0.2 < plan.expected_bpp[1]
    assert plan.expected_bpp[-1] >= 1.5 > plan.expected_bpp[-2]
    # interior points are spread over the range, not bunched at one end
    gaps = np.diff(np.log(plan.expected_bpp))
    assert gaps.max() < 3 * np.log(1.5 / 0.2) / 6
    # the plan is true: encoding at the chosen extremes gives those rates
    for q, expected in ((plan.qualities[0], plan.expected_bpp[0]), (plan.qualities[-1], plan.expected_bpp[-1])):
        assert 8 * len(codec.encode(crop, q)) / crop.shape[0] / crop.shape[1] == pytest.approx(expected)
    if codec.scale.steps() is not None:  # settings are snapped to the codec's own steps
        assert set(plan.qualities) <= set(codec.scale.steps())


def test_sweep_stops_at_the_codec_limit(photo):
    crop = np.ascontiguousarray(photo[128:384, 256:512])
    plan = plan_qualities(get_codec("jpeg"), [crop], bpp_range=(0.01, 1.5), points=6)
    assert plan.qualities[0] == 0.0  # JPEG cannot reach 0.01 bpp: start at its smallest
    assert plan.note and "cannot go below" in plan.note


def test_probe_mosaic_samples_every_image(make_image):
    images = [make_image(150, 200, seed=i) for i in range(7)]
    mosaic = probe_mosaic(images)
    assert mosaic.shape == (512, 768, 3)  # 24 tiles of 128 px, 6 per row
    for k in range(24):
        r, c = divmod(k, 6)
        tile = mosaic[r * 128:(r + 1) * 128, c * 128:(c + 1) * 128]
        windows = np.lib.stride_tricks.sliding_window_view(images[k % 7], (128, 128, 3))
        assert (windows == tile).all(axis=(-3, -2, -1)).any(), k  # cut from image k mod 7
    assert np.array_equal(probe_mosaic(images), mosaic)  # deterministic
    small = [make_image(40, 50)]
    assert [p.shape for p in probe_images(images + small)] == [(512, 768, 3), (40, 50, 3)]
    assert len(probe_images(images, "images")) == 7


def test_msp_eval_and_plot_end_to_end(tmp_path, make_image, capsys):
    data = tmp_path / "set"
    data.mkdir()
    for i, shape in enumerate([(48, 64), (40, 56)]):
        Image.fromarray(make_image(*shape, seed=i)).save(data / f"img{i}.png")
    (data / "notes.txt").write_text("not an image")
    out = tmp_path / "results.json"
    code = main(["eval", str(data), "--codecs", "jpeg,webp:method=4", "--out", str(out),
                 "--points", "6", "--bpp-range", "0.5,4", "--no-progress"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "2 images, 2 codecs" in printed and "WebP m4" in printed
    raw = json.loads(out.read_text())
    assert raw["dataset"] == "set" and raw["images"] == ["img0.png", "img1.png"]
    assert [c["name"] for c in raw["codecs"]] == ["jpeg", "webp"]
    assert all(len(c["results"]["bpp"]) >= 6 for c in raw["codecs"])

    plots = tmp_path / "plots"
    code = main(["plot", str(out), "--out", str(plots), "--anchor", "jpeg", "--max-bpp", "6"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "BD-rate vs JPEG 4:2:0 (measured)" in printed and "WebP m4 (measured)" in printed
    assert "no published curves" in printed  # a synthetic set has none
    assert "no ms-ssim values" in printed  # images under 161 px: MS-SSIM is n/a
    for name in ("rd_psnr.png", "rd_msssim.png"):
        with Image.open(plots / name) as im:
            assert im.format == "PNG" and im.size[0] > 800

    # PSNR at fixed rates: interpolated inside each curve's measured rates, "-" outside them.
    assert main(["plot", str(out), "--out", str(plots), "--anchor", "jpeg", "--at-bpp", "1,99"]) == 0
    table = capsys.readouterr().out.split("PSNR-RGB (dB) at fixed rates")[1].splitlines()
    webp = next(line for line in table if line.startswith("WebP m4 (measured)")).split()
    assert webp[-1] == "-" and 10 < float(webp[-2]) < 60
    assert main(["plot", str(out), "--out", str(plots), "--anchor", "jpeg", "--at-bpp", "half"]) == 2
    assert "--at-bpp must be" in capsys.readouterr().err

    # The same codec in two results files is drawn and tabled once.
    assert main(["plot", str(out), str(out), "--out", str(plots), "--anchor", "jpeg", "--max-bpp", "6"]) == 0
    printed = capsys.readouterr().out
    assert "2 codec(s) appear in several results files" in printed
    assert sum(line.startswith("WebP m4 (measured)") and "%" in line for line in printed.splitlines()) == 1

    # refusing to overwrite, unknown codecs and Kodak anchors for other data are one-line errors
    assert main(["eval", str(data), "--codecs", "jpeg", "--out", str(out), "--no-progress"]) == 2
    assert main(["eval", str(data), "--codecs", "jpeg,nope", "--out", str(tmp_path / "x.json")]) == 2
    assert main(["plot", str(out), "--out", str(plots)]) == 2  # default anchor vtm is Kodak's
    err = capsys.readouterr().err
    assert "exists" in err and "unknown codec 'nope'" in err and "anchor 'vtm'" in err


def test_msp_eval_lists_codecs(capsys):
    assert main(["eval", "--list-codecs"]) == 0
    out = capsys.readouterr().out
    for name in ("jpeg", "webp", "jpeg2000", "avif", "jxl", "hevc", "vvc", "msp-balanced"):
        assert name in out


def test_sweep_ends_below_where_the_encoder_fails():
    # FFmpeg's libvvenc wrapper cannot write a picture over 8 bpp: noise hits that limit.
    codec = get_codec("vvc", preset="faster")
    if not codec.available():
        pytest.skip(codec.unavailable_reason())
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    with pytest.raises(CodecError, match="8 bpp"):
        codec.encode(noise, 1.0)
    plan = plan_qualities(codec, [noise], bpp_range=(0.5, 30.0), points=5)
    assert plan.expected_bpp[-1] < 8.0 and "cannot go above" in plan.note
    assert len(codec.encode(noise, plan.qualities[-1])) * 8 / 64 / 64 == pytest.approx(plan.expected_bpp[-1])


def test_image_curve_sweeps_the_image_itself(photo):
    from codec.eval.runner import image_curve

    crop = np.ascontiguousarray(photo[:200, :240])
    curve = image_curve(get_codec("webp"), crop, name="crop", points=6, bpp_range=(0.3, 1.5))
    assert len(curve.qualities) == 6 and len(curve.images) == 1
    assert curve.bpp[0] <= 0.3 and curve.bpp[-1] >= 1.5  # probed on this very image: exact ends
    assert list(curve.psnr_rgb) == sorted(curve.psnr_rgb)
    assert all(v is not None for v in curve.ms_ssim_rgb)  # 200 px a side: MS-SSIM applies
