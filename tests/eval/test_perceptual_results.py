"""SSIMULACRA2 and FLIP in `msp eval` results and `msp plot` (issue #19, item 7): stored per point,
read back, absent from older files without harm, and BD-rated with the right sign."""

from __future__ import annotations

import json
import re

import pytest
from PIL import Image

from codec.baselines import get_codec
from codec.cli import main
from codec.eval.bdtable import bd_table
from codec.eval.curves import RDCurve
from codec.eval.metrics import flip_rgb, ssimulacra2_rgb
from codec.eval.results import EvaluationResults, load_results, save_results
from codec.eval.runner import EvalOptions, evaluate_images


@pytest.fixture(scope="module")
def run(make_image_module):
    images = [("a.png", make_image_module(64, 48, seed=3)), ("b.png", make_image_module(40, 56, seed=4))]
    options = EvalOptions(qualities=(0.3, 0.7), progress=False, ms_ssim=False)
    return images, evaluate_images([get_codec("jpeg")], images, dataset="synthetic", options=options)


@pytest.fixture(scope="module")
def make_image_module():
    from tests.conftest import photo_like

    return photo_like


def test_each_point_carries_both_metrics_and_the_file_round_trips(run, tmp_path):
    images, results = run
    jpeg = results.codec("jpeg")
    codec = get_codec("jpeg")
    for (_, image), per_image in zip(images, jpeg.images, strict=True):
        for point in per_image.points:
            decoded = codec.decode(codec.encode(image, point.quality))
            assert point.ssimulacra2 == pytest.approx(ssimulacra2_rgb(image, decoded), abs=1e-9)
            assert point.flip == pytest.approx(flip_rgb(image, decoded), abs=1e-9)
    assert jpeg.ssimulacra2[0] == pytest.approx((jpeg.images[0].points[0].ssimulacra2 + jpeg.images[1].points[0].ssimulacra2) / 2)
    assert jpeg.ssimulacra2[0] < jpeg.ssimulacra2[1] and jpeg.flip[0] > jpeg.flip[1]  # more bits, better on both

    path = save_results(results, tmp_path / "r.json")
    assert load_results(path) == results
    entry = json.loads(path.read_text())["codecs"][0]
    assert entry["results"]["ssimulacra2"] == list(jpeg.ssimulacra2) and entry["results"]["flip"] == list(jpeg.flip)
    assert entry["per_image"][1]["flip"] == [p.flip for p in jpeg.images[1].points]


def test_a_file_without_the_metrics_still_loads(run, tmp_path):
    _, results = run
    data = results.to_dict()
    for entry in data["codecs"]:
        for where in (entry["results"], *entry["per_image"]):
            del where["ssimulacra2"], where["flip"]
    (tmp_path / "old.json").write_text(json.dumps(data))
    old = load_results(tmp_path / "old.json").codec("jpeg")
    assert old.ssimulacra2 == (None, None) and old.images[0].points[1].flip is None
    assert old.psnr_rgb == results.codec("jpeg").psnr_rgb
    curve = old.curve()
    assert not curve.has("ssimulacra2") and curve.points("flip") == ((), ())
    # ... and a run without them writes the keys it always wrote, no empty columns
    assert "ssimulacra2" not in old.to_dict()["results"] and "flip" not in old.to_dict()["per_image"][0]


def _curve(name: str, bpp: list[float], s2: list[float], flip: list[float]) -> dict:
    return {"name": name, "label": name.upper(), "results": {
        "bpp": bpp, "psnr-rgb": [28.0 + 2 * i for i in range(len(bpp))], "ssimulacra2": s2, "flip": flip}}


def test_msp_plot_bd_rates_ssimulacra2_and_flip_with_the_right_sign(tmp_path, capsys):
    """"fast" reaches each quality of the anchor with 20 % fewer bits, "slow" with 25 % more: -20 %
    and +25 % on every metric, FLIP included, though FLIP falls where the others rise."""
    bpp = [0.1, 0.2, 0.4, 0.8, 1.6]
    s2 = [20.0, 45.0, 62.0, 74.0, 83.0]
    flip = [0.21, 0.14, 0.09, 0.06, 0.04]
    codecs = [_curve(name, [r * factor for r in bpp], s2, flip)
              for name, factor in (("anchor", 1.0), ("fast", 0.8), ("slow", 1.25))]
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"dataset": "synthetic", "codecs": codecs}))

    curves = EvaluationResults.from_dict(json.loads(path.read_text())).curves()
    rows = {row.curve.name: row for row in bd_table(curves, curves[0], ("psnr", "ssimulacra2", "flip"))}
    for metric in ("psnr", "ssimulacra2", "flip"):
        assert rows["fast"].entries[metric].result.percent == pytest.approx(-20.0)
        assert rows["slow"].entries[metric].result.percent == pytest.approx(25.0)

    plots = tmp_path / "plots"
    assert main(["plot", str(path), "--out", str(plots), "--anchor", "anchor"]) == 0
    printed = capsys.readouterr().out
    header = next(line for line in printed.splitlines() if line.startswith("codec"))
    assert header.split()[1:6] == ["PSNR-RGB", "MS-SSIM", "dB", "SSIMULACRA2", "FLIP"]
    assert _cells(printed, "FAST") == ["-20.0 %", "n/a", "-20.0 %", "-20.0 %"]  # no MS-SSIM in this file
    assert _cells(printed, "SLOW") == ["+25.0 %", "n/a", "+25.0 %", "+25.0 %"]
    assert "compared on -FLIP" in printed
    for name in ("rd_psnr.png", "rd_msssim.png", "rd_ssimulacra2.png", "rd_flip.png"):
        with Image.open(plots / name) as image:
            assert image.size[0] > 800

    # --metrics picks the plots and the table's columns
    assert main(["plot", str(path), "--out", str(tmp_path / "only"), "--anchor", "anchor", "--metrics", "flip"]) == 0
    printed = capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "only").iterdir()) == ["rd_flip.png"]
    assert _cells(printed, "SLOW") == ["+25.0 %"]
    assert main(["plot", str(path), "--out", str(plots), "--anchor", "anchor", "--metrics", "vmaf"]) == 2
    assert "unknown metrics vmaf" in capsys.readouterr().err


def _cells(table: str, label: str) -> list[str]:
    row = next(line for line in table.splitlines() if line.startswith(f"{label} (measured)"))
    return re.findall(r"[+-]\d+\.\d %|n/a", row)


def test_flip_bd_rate_is_positive_when_the_test_is_worse_at_every_rate():
    bpp = (0.1, 0.2, 0.4, 0.8)
    anchor = RDCurve("a", "A", "hybrid", "measured", bpp, flip=(0.20, 0.13, 0.08, 0.05))
    worse = RDCurve("b", "B", "hybrid", "measured", bpp, flip=(0.24, 0.16, 0.10, 0.065))
    (row,) = bd_table([anchor, worse], anchor, ("flip",))
    assert row.entries["flip"].result.percent > 10.0
