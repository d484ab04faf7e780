"""SSIMULACRA2 and FLIP against the reference tools' scores on a known pair (issue #19, item 7).

The pair: the demo image (Kodak kodim23, 768x512) and its Pillow JPEG at quality 20 and 50
(``tests/eval/data/kodim23_q{20,50}.jpg``: ``Image.save(..., "JPEG", quality=q)``, 4:2:0),
decoded by Pillow. The reference values were measured on PNG files of exactly those decoded
arrays (and of the crop below), with tools built from source:

- SSIMULACRA2: libjxl's tool as published standalone by its author (cloudinary/ssimulacra2 at
  81feacf, SSIMULACRA 2.1: ``cmake ../src -G Ninja -DCMAKE_BUILD_TYPE=Release && ninja
  ssimulacra2``, then ``ssimulacra2 ref.png dist.png``).
- FLIP: the C++ FLIP tool of NVlabs/flip at 1eb247c (``g++ -O2 -std=c++17 -fopenmp -I..
  FLIP-tool.cpp``, then ``flip -r ref.png -t dist.png``: "Mean: ..."), confirmed by the
  independent PyTorch implementation of the same repository (``LDRFLIPLoss``: 0.1068242 and
  0.1074310). The repository's own test pair (mean 0.159691) is not shipped with the package.

FLIP (the package runs the tool's own C++ code) matches to the tool's six printed decimals. The
``ssimulacra2`` package is a Python port and does *not* match libjxl's tool: it scores this
pair 2.6 points lower at q20, 1.3 at q50, and the crop 7.6 points higher (borders weigh more
there). These tests hold it to the tool within those measured gaps, so a port that drifts further
fails, and to the tool's order of the pairs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from codec.data import DEMO_IMAGE
from codec.eval.metrics import (
    SSIMULACRA2_IDENTICAL,
    SSIMULACRA2_MIN_SIDE,
    flip_rgb,
    measure,
    ssimulacra2_rgb,
)

DATA = Path(__file__).parent / "data"
CROP = (slice(7, 7 + 203), slice(11, 11 + 301))  # 301 x 203: odd sizes, borders in every scale

# libjxl's ssimulacra2 (cloudinary/ssimulacra2 81feacf) and NVlabs' FLIP tool (1eb247c), see above.
LIBJXL_SSIMULACRA2 = {"q20": 29.11247385, "q50": 64.31161186, "q20 crop": 49.28195048}
FLIP_TOOL_MEAN = {"q20": 0.106824, "q50": 0.066366, "q20 crop": 0.107431}
# How far the ssimulacra2 port was from libjxl's tool on each pair when this was measured.
PORT_GAP = {"q20": 3.0, "q50": 1.5, "q20 crop": 8.0}


def _rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


@pytest.fixture(scope="module")
def pairs() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    if not DEMO_IMAGE.exists():
        pytest.skip("demo image not shipped")
    reference = _rgb(DEMO_IMAGE)
    q20, q50 = _rgb(DATA / "kodim23_q20.jpg"), _rgb(DATA / "kodim23_q50.jpg")
    return {"q20": (reference, q20), "q50": (reference, q50), "q20 crop": (reference[CROP], q20[CROP])}


def test_flip_matches_the_flip_tool(pairs):
    for name, (reference, distorted) in pairs.items():
        assert flip_rgb(reference, distorted) == pytest.approx(FLIP_TOOL_MEAN[name], abs=1e-6), name
    reference = pairs["q20"][0]
    assert flip_rgb(reference, reference.copy()) == 0.0


def test_ssimulacra2_stays_within_the_measured_gap_to_libjxl(pairs):
    scores = {name: ssimulacra2_rgb(*pair) for name, pair in pairs.items()}
    for name, score in scores.items():
        assert score is not None
        assert abs(score - LIBJXL_SSIMULACRA2[name]) <= PORT_GAP[name], (name, score)
    assert scores["q20"] < scores["q50"] < SSIMULACRA2_IDENTICAL  # the tool's order of the pairs
    reference = pairs["q20"][0]
    assert ssimulacra2_rgb(reference, reference.copy()) == SSIMULACRA2_IDENTICAL


def test_ssimulacra2_needs_8_pixels_a_side(make_image):
    small = make_image(SSIMULACRA2_MIN_SIDE - 1, 40)
    assert ssimulacra2_rgb(small, 255 - small) is None  # the port would call this pair identical
    ok = make_image(SSIMULACRA2_MIN_SIDE, 40)
    score = ssimulacra2_rgb(ok, 255 - ok)
    assert score is not None and score < SSIMULACRA2_IDENTICAL
    assert flip_rgb(small, 255 - small) > 0.5  # FLIP has no minimum size


def test_measure_adds_the_perceptual_metrics_only_when_asked(make_image):
    image = make_image(64, 48)
    noisy = np.clip(image.astype(np.int16) + np.random.default_rng(0).normal(0, 6, image.shape), 0, 255).astype(np.uint8)
    plain = measure(image, noisy)
    assert plain.ssimulacra2 is None and plain.flip is None
    full = measure(image, noisy, with_perceptual=True)
    assert full.ssimulacra2 == ssimulacra2_rgb(image, noisy) and full.flip == flip_rgb(image, noisy)
    assert full.psnr_rgb == plain.psnr_rgb
