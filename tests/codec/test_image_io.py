import io

import numpy as np
import pytest
from PIL import Image

from codec.errors import ImageInputError
from codec.image_io import load_image, save_png, to_rgb_array


def _bytes(im: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def test_grayscale_and_alpha_are_converted():
    gray = load_image(_bytes(Image.new("L", (5, 4), 77)))
    assert gray.shape == (4, 5, 3) and (gray == 77).all()
    rgba = load_image(_bytes(Image.new("RGBA", (3, 2), (0, 0, 0, 0))))
    assert (rgba == 255).all()  # transparent -> composited on white


def test_16_bit_is_scaled():
    arr = np.full((3, 3), 65535, dtype=np.uint16)
    img = load_image(_bytes(Image.fromarray(arr)))
    assert (img == 255).all()


def test_exif_orientation_is_applied():
    im = Image.new("RGB", (6, 2), (10, 20, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees
    img = load_image(_bytes(im, "JPEG", exif=exif))
    assert img.shape == (6, 2, 3)


def test_bad_inputs_raise_our_error(tmp_path):
    with pytest.raises(ImageInputError, match="not an image"):
        load_image(b"hello world")
    png = _bytes(Image.new("RGB", (64, 64), (1, 2, 3)))
    with pytest.raises(ImageInputError, match="damaged or truncated"):
        load_image(png[: len(png) // 2])
    with pytest.raises(ImageInputError):
        load_image(tmp_path / "missing.png")
    with pytest.raises(ImageInputError, match="limit"):
        to_rgb_array(np.zeros((1, 20000, 3), dtype=np.uint8))
    with pytest.raises(ImageInputError, match="8-bit"):
        to_rgb_array(np.zeros((4, 4, 3), dtype=np.float32))


def test_huge_image_refused_before_decoding():
    # A tiny PNG that claims to be 30000 x 30000 pixels.
    header = _bytes(Image.new("1", (30000, 30000)))
    with pytest.raises(ImageInputError, match="limit"):
        load_image(header)


def test_save_png_is_atomic_and_refuses_overwrite(tmp_path):
    path = tmp_path / "out.png"
    save_png(np.zeros((2, 2, 3), np.uint8), path)
    with pytest.raises(ImageInputError.__mro__[1]):
        save_png(np.ones((2, 2, 3), np.uint8), path)
    assert (np.asarray(Image.open(path)) == 0).all()
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_dim_16_bit_image_is_not_mistaken_for_8_bit():
    arr = np.full((3, 3), 200, dtype=np.uint16)  # 200 / 65535 of full scale: nearly black
    im = Image.fromarray(arr)
    assert im.mode.startswith("I;16")
    assert (load_image(_bytes(im)) == 1).all()


@pytest.mark.parametrize("error", [RuntimeError, NotImplementedError, TypeError, KeyError, IndexError])
def test_any_reader_failure_becomes_our_error(monkeypatch, error):
    """The failures seen from Pillow's plugins (RuntimeError from a corrupt AVIF,
    NotImplementedError from a DDS variant, TypeError from a mistyped EXIF tag inside
    exif_transpose) and their kin, raised where the plugins raise them."""
    import codec.image_io as image_io

    def broken(im):
        raise error("plugin failure")

    monkeypatch.setattr(image_io.ImageOps, "exif_transpose", broken)
    with pytest.raises(ImageInputError, match="cannot be read"):
        load_image(_bytes(Image.new("RGB", (4, 4))))


FORMATS = [("PNG", {}), ("JPEG", {"quality": 90}), ("WEBP", {}), ("AVIF", {}), ("TIFF", {}), ("BMP", {}),
           ("GIF", {}), ("DDS", {}), ("TGA", {}), ("PPM", {})]


@pytest.mark.parametrize("fmt,options", FORMATS, ids=[f for f, _ in FORMATS])
def test_mutated_files_of_every_format_give_only_our_error(fmt, options):
    """A generator of the class: truncations and byte changes of a real file of each format
    Pillow writes; every outcome is an image or an ImageInputError, never a foreign exception."""
    rng = np.random.default_rng(abs(hash(fmt)) % 2**32)
    pixels = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    im = Image.fromarray(pixels).convert("RGBA") if fmt == "DDS" else Image.fromarray(pixels)
    original = _bytes(im, fmt, **options)
    assert load_image(original).shape == (24, 32, 3)
    mutants = [original[:cut] for cut in rng.integers(0, len(original), 20)]
    for _ in range(60):
        data = bytearray(original)
        for pos in rng.integers(0, len(data), int(rng.integers(1, 4))):
            data[pos] = int(rng.integers(0, 256))
        mutants.append(bytes(data))
    for data in mutants:
        try:
            out = load_image(data)
        except ImageInputError:
            continue
        assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
