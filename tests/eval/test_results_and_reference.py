"""Results files (CompressAI schema) round-trip; published reference curves load."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codec.baselines import get_codec
from codec.errors import CodecError
from codec.eval.reference import DEFAULT_REFERENCES, REFERENCES, load_reference, reference_root
from codec.eval.results import compressai_dict, load_results, save_results
from codec.eval.runner import EvalOptions, evaluate_images

COMPRESSAI_KEYS = {"bpp", "psnr-rgb", "ms-ssim-rgb", "encoding_time", "decoding_time"}


@pytest.fixture(scope="module")
def small_run():
    from tests.conftest import photo_like

    images = [("big.png", photo_like(176, 168, seed=1)), ("small.png", photo_like(40, 56, seed=2))]
    codecs = [get_codec("jpeg"), get_codec("webp")]
    options = EvalOptions(qualities=(0.2, 0.5, 0.8), progress=False)
    return evaluate_images(codecs, images, dataset="synthetic", options=options)


def test_means_are_means_of_per_image_values(small_run):
    jpeg = small_run.codec("jpeg")
    assert jpeg.qualities == (0.2, 0.5, 0.8)
    assert jpeg.native == (21.0, 50.0, 80.0)
    for i in range(3):
        per_image = [img.points[i] for img in jpeg.images]
        assert jpeg.bpp[i] == pytest.approx(sum(p.bpp for p in per_image) / 2)
        assert jpeg.psnr_rgb[i] == pytest.approx(sum(p.psnr_rgb for p in per_image) / 2)
        # the 40x56 image has no MS-SSIM, so neither has the dataset mean
        assert per_image[0].ms_ssim_rgb is not None and per_image[1].ms_ssim_rgb is None
        assert jpeg.ms_ssim_rgb[i] is None
    assert list(jpeg.bpp) == sorted(jpeg.bpp)
    assert all(t > 0 for t in jpeg.encoding_time + jpeg.decoding_time)


def test_results_file_round_trip_and_compressai_schema(small_run, tmp_path):
    path = save_results(small_run, tmp_path / "r.json")
    loaded = load_results(path)
    assert loaded == small_run
    raw = json.loads(path.read_text())
    for entry in raw["codecs"]:
        assert {"name", "description", "results"} <= set(entry)
        assert set(entry["results"]) >= COMPRESSAI_KEYS
        assert len(entry["per_image"]) == 2
    assert compressai_dict(small_run.codec("webp"))["results"].keys() == COMPRESSAI_KEYS
    assert "WebP" in raw["codecs"][1]["description"] and "libwebp" in raw["codecs"][1]["description"]


def test_lossless_points_survive_json(tmp_path):
    from tests.conftest import photo_like

    run = evaluate_images([get_codec("jxl")], [("a.png", photo_like(24, 24))], dataset="d",
                          options=EvalOptions(qualities=(0.5, 1.0), progress=False))
    jxl = run.codec("jxl")
    assert jxl.lossless_images == (0, 1) and jxl.images[0].points[1].lossless
    loaded = load_results(save_results(run, tmp_path / "l.json"))
    assert loaded.codec("jxl").images[0].points[1].lossless
    assert all(math.isfinite(v) for v in loaded.codec("jxl").psnr_rgb)


def test_a_plain_compressai_file_loads_as_results():
    results = load_results(reference_root() / "kodak" / "jpeg.json")
    (jpeg,) = results.codecs
    assert jpeg.name == "JPEG" and len(jpeg.bpp) == len(jpeg.psnr_rgb) == 19
    assert not jpeg.images


def test_bad_results_files_are_codec_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CodecError):
        load_results(bad)
    bad.write_text(json.dumps({"name": "x", "results": {"bpp": [1, 2], "psnr-rgb": [30]}}))
    with pytest.raises(CodecError):
        load_results(bad)
    with pytest.raises(CodecError):
        load_results(tmp_path / "missing.json")


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_every_reference_curve_loads(name):
    curve = load_reference(name)
    assert curve.origin == "published" and curve.images == 24
    rates, psnr = curve.points("psnr")
    assert len(rates) >= 4
    assert list(psnr) == sorted(psnr)  # more rate, more quality
    assert 20 < psnr[0] < psnr[-1] < 50


def test_vtm_reference_is_the_compressai_anchor():
    vtm = load_reference("vtm")
    assert len(vtm.bpp) == 8 and vtm.psnr_rgb[0] == pytest.approx(26.1448, abs=1e-3)
    assert vtm.ms_ssim_rgb is not None and vtm.kind == "hybrid"
    assert set(DEFAULT_REFERENCES) <= set(REFERENCES)
    with pytest.raises(CodecError):
        load_reference("no-such-curve")


def test_reference_files_are_byte_identical_to_shared():
    shared = Path(__file__).resolve().parents[3] / "shared" / "reference"
    if not shared.is_dir():
        pytest.skip("../shared/reference is not here")
    for info in REFERENCES.values():
        ours = (reference_root() / info.path).read_bytes()
        theirs = (shared / info.path).read_bytes()
        assert hashlib.sha256(ours).digest() == hashlib.sha256(theirs).digest(), info.path
        assert info.path.split("/")[-1] in (reference_root() / "PROVENANCE.md").read_text()


def test_a_broken_image_is_skipped_and_reported(tmp_path):
    from PIL import Image

    from codec.eval.runner import evaluate_dataset

    from tests.conftest import photo_like

    Image.fromarray(photo_like(24, 24)).save(tmp_path / "good.png")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    options = EvalOptions(qualities=(0.3, 0.7), progress=False, ms_ssim=False)
    run = evaluate_dataset([get_codec("jpeg")], tmp_path, options=options)
    assert run.image_names == ("good.png",)
    assert any(note.startswith("skipped broken.png:") for note in run.notes)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(
        ["codecs", "name", "results", "bpp", "psnr-rgb", "dataset", "images", "notes", "label", "kind", "per_image"]
    ) | st.text(max_size=6), children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_JSON)
def test_any_json_is_read_or_refused_with_our_error(tmp_path_factory, data):
    """`msp plot` and `msp eval --resume` read whatever file they are given: any JSON (and any
    bytes) gives results or a CodecError, never a traceback."""
    path = tmp_path_factory.mktemp("json") / "r.json"
    path.write_text(json.dumps(data))
    with contextlib.suppress(CodecError):
        load_results(path)


def test_bytes_that_are_not_utf8_json_are_refused(tmp_path):
    path = tmp_path / "r.json"
    path.write_bytes(b"\xff\xfe\x00{")
    with pytest.raises(CodecError, match="not UTF-8"):
        load_results(path)
