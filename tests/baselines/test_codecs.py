"""Every classic codec round-trips real images through its real library."""

from __future__ import annotations

import numpy as np
import pytest

from codec.baselines import all_codecs, available_codecs, codec_names, get_codec, parse_codec_spec
from codec.baselines.ffmpeg import ffmpeg_info
from codec.baselines.ffmpeg_codecs import HevcCodec, VvcCodec
from codec.errors import CodecError, CodecUnavailableError, ImageInputError
from codec.eval.metrics import bits_per_pixel, psnr_rgb

CLASSIC = ("jpeg", "webp", "jpeg2000", "avif", "jxl", "hevc", "vvc")
# The fastest settings of the slow encoders: tests check behaviour, not compression.
TEST_SETTINGS = {"vvc": {"preset": "faster"}, "hevc": {"preset": "fast"}}
QUALITIES = (0.1, 0.5, 0.9)


def _codec(name: str):
    codec = get_codec(name, **TEST_SETTINGS.get(name, {}))
    if not codec.available():
        pytest.skip(f"{name}: {codec.unavailable_reason()}")
    return codec


@pytest.mark.parametrize("name", CLASSIC)
@pytest.mark.parametrize("shape", [(48, 64), (29, 37)], ids=["64x48", "37x29-odd"])
def test_round_trip_exact_size_and_rate_falls_with_quality(name, shape, make_image):
    codec = _codec(name)
    image = make_image(*shape, seed=len(name))
    sizes, psnrs = [], []
    for q in QUALITIES:
        data = codec.encode(image, q)
        decoded = codec.decode(data)
        assert decoded.shape == image.shape and decoded.dtype == np.uint8
        sizes.append(bits_per_pixel(len(data), *shape))
        psnrs.append(psnr_rgb(image, decoded))
    # Lower quality never costs more bits, and the extremes really differ in rate and fidelity.
    assert sizes == sorted(sizes), sizes
    assert sizes[0] < sizes[-1], sizes
    assert psnrs[-1] > psnrs[0] + 3, psnrs
    assert psnrs[-1] > 30, psnrs  # the decoder really reconstructs this image


def test_top_quality_444_codecs_stay_close_to_the_input(make_image):
    image = make_image(40, 56, seed=3)
    for codec in (get_codec("jpeg", subsampling="4:4:4"), _codec("hevc")):
        assert psnr_rgb(image, codec.decode(codec.encode(image, 1.0))) > 40
    # 4:2:0 loses this synthetic image's sharp colour edges whatever the quality
    jpeg420 = get_codec("jpeg")
    assert psnr_rgb(image, jpeg420.decode(jpeg420.encode(image, 1.0))) < 38


def test_hevc_444_at_qp0_is_limited_only_by_colour_conversion(make_image):
    codec = _codec("hevc")
    image = make_image(64, 64, seed=5)
    assert codec.native_parameter(1.0) == 0
    assert psnr_rgb(image, codec.decode(codec.encode(image, 1.0))) > 48


def test_tiny_image_is_padded_and_cropped_back(make_image):
    image = make_image(3, 5, seed=1)
    for name in ("hevc", "vvc"):
        codec = _codec(name)
        data = codec.encode(image, 0.8)
        assert data[0] != 0  # the padding header says the picture was padded
        assert codec.decode(data).shape == image.shape


def test_jpeg_xl_top_quality_is_lossless(make_image):
    codec = _codec("jxl")
    image = make_image(20, 30, seed=2)
    assert np.array_equal(codec.decode(codec.encode(image, 1.0)), image)


def test_native_scales_are_consistent():
    hevc, vvc, jpeg, j2k = get_codec("hevc"), get_codec("vvc"), get_codec("jpeg"), get_codec("jpeg2000")
    assert (hevc.native_parameter(0.0), hevc.native_parameter(1.0)) == (51, 0)
    assert len(hevc.scale.steps()) == 52
    assert vvc.native_parameter(0.0) == 63
    assert (jpeg.native_parameter(0.0), jpeg.native_parameter(1.0)) == (1, 100)
    for q in hevc.scale.steps():
        assert hevc.scale.snap(q) == pytest.approx(q)
        assert hevc.scale.to_quality(hevc.native_parameter(q)) == pytest.approx(q)
    assert j2k.scale.steps() is None
    assert j2k.native_parameter(0.0) == pytest.approx(0.02) and j2k.native_parameter(1.0) == pytest.approx(12.0)
    rates = [j2k.native_parameter(q) for q in (0.0, 0.25, 0.5, 0.75, 1.0)]
    assert np.allclose(np.diff(np.log(rates)), np.log(rates[1] / rates[0]))  # geometric


def test_registry_names_aliases_and_settings():
    assert set(CLASSIC) <= set(codec_names())
    assert {c.name for c in all_codecs()} == set(codec_names())
    assert all(c.available() for c in available_codecs())
    assert get_codec("x265").name == "hevc" and get_codec("J2K").name == "jpeg2000"
    vvc = parse_codec_spec("vvc:preset=fast:threads=2")
    assert isinstance(vvc, VvcCodec) and vvc.preset == "fast" and vvc.threads == 2
    assert vvc.label == "VVenC fast 4:2:0"
    assert get_codec("hevc", chroma="420").label.endswith("4:2:0")
    assert parse_codec_spec("jpeg:optimize=yes").optimize is True
    msp = get_codec("msp-fast")
    assert (msp.name, msp.kind) == ("msp-fast", "learned")
    assert get_codec("jpeg").kind == "hybrid"
    for bad in ("nope", "vvc:preset=glacial", "vvc:colour=blue", "hevc:threads=x", "jpeg:optimize=maybe", "vvc:preset"):
        with pytest.raises(CodecError):
            parse_codec_spec(bad)


def test_describe_names_library_version_and_settings():
    d = get_codec("vvc", preset="slow").describe()
    assert d.name == "vvc" and d.kind == "hybrid" and "slow" in d.label
    assert d.settings["preset"] == "slow" and "QP 63" in d.settings["quality map"]
    assert "libvvenc" in d.library and d.version
    assert d.settings["pixel format"] == "yuv420p10le"  # VVenC through FFmpeg is 4:2:0 10-bit
    text = get_codec("webp").describe().text()
    assert "WebP" in text and "method=6" in text and "libwebp" in text


def test_bad_inputs_are_refused(make_image):
    codec = get_codec("jpeg")
    image = make_image(16, 16)
    with pytest.raises(CodecError):
        codec.encode(image, 1.5)
    with pytest.raises(CodecError):
        codec.encode(image, float("nan"))
    with pytest.raises(ImageInputError):
        codec.encode(image.astype(np.float32), 0.5)
    with pytest.raises(ImageInputError):
        codec.encode(image[..., :2], 0.5)
    with pytest.raises(CodecError):
        codec.decode(b"")
    with pytest.raises(CodecError):
        codec.decode(b"definitely not a JPEG file")


def test_corrupt_hevc_stream_is_a_codec_error():
    codec = _codec("hevc")
    with pytest.raises(CodecError):
        codec.decode(b"\x00" + b"garbage" * 10)


def test_missing_encoder_reports_unavailable_and_raises(make_image):
    class NoSuchEncoder(HevcCodec):
        encoder = "libnonexistent265"

    codec = NoSuchEncoder()
    assert not codec.available()
    assert "libnonexistent265" in codec.unavailable_reason()
    assert codec.describe().settings["unavailable"]
    with pytest.raises(CodecUnavailableError):
        codec.encode(make_image(16, 16), 0.5)


def test_missing_ffmpeg_binary_reports_unavailable(monkeypatch, make_image):
    import imageio_ffmpeg

    def no_binary() -> str:
        raise RuntimeError("No ffmpeg exe could be found")

    monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", no_binary)
    ffmpeg_info.cache_clear()
    try:
        codec = get_codec("vvc")
        assert not codec.available()
        assert "ffmpeg" in codec.unavailable_reason().lower()
        with pytest.raises(CodecUnavailableError):
            codec.encode(make_image(16, 16), 0.5)
        assert get_codec("jpeg").available()  # the Pillow codecs do not need FFmpeg
    finally:
        ffmpeg_info.cache_clear()
