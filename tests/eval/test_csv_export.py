"""`msp eval --csv` writes one row per image, codec and quality, equal to the JSON beside it."""

from __future__ import annotations

import csv
import json

from PIL import Image

from codec.cli import main
from codec.eval.csv_export import CSV_COLUMNS, csv_text
from codec.eval.results import load_results


def test_msp_eval_csv_matches_its_json(tmp_path, make_image):
    data = tmp_path / "set"
    data.mkdir()
    for i, shape in enumerate([(48, 64), (40, 56)]):
        Image.fromarray(make_image(*shape, seed=i)).save(data / f"img{i}.png")
    out, table = tmp_path / "results.json", tmp_path / "points.csv"
    assert main(["eval", str(data), "--codecs", "jpeg,webp", "--qualities", "0.3,0.8", "--out", str(out),
                 "--csv", str(table), "--no-progress", "--no-perceptual"]) == 0
    with open(table, newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 1 + 2 * 2 * 2  # codecs x images x qualities
    raw = json.loads(out.read_text())
    expected = []
    for codec in raw["codecs"]:
        for entry in codec["per_image"]:
            for i, quality in enumerate(codec["results"]["quality"]):
                ms_ssim = entry["ms-ssim-rgb"][i]
                expected.append([entry["image"], codec["name"], str(quality), str(entry["bytes"][i]),
                                 str(entry["bpp"][i]), str(entry["psnr-rgb"][i]),
                                 "" if ms_ssim is None else str(ms_ssim), str(entry["encoding_time"][i]),
                                 str(entry["decoding_time"][i])])
    assert rows[1:] == expected
    assert {r[1] for r in rows[1:]} == {"jpeg", "webp"} and all(int(r[3]) > 0 for r in rows[1:])
    assert table.read_text() == csv_text(load_results(out))  # the same function from the file
