"""The batch run: progress, pause, resume, cancel and preemption with a fake service; its aggregate
curves are ``msp eval``'s; its BD-rate table is ``msp plot``'s on the JSON it exports."""

from __future__ import annotations

import csv
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from codec.cli import main
from codec.eval.csv_export import CSV_COLUMNS, write_csv
from codec.eval.results import load_results, save_results

from app.core.batch_run import BatchPlan, BatchRun, batch_bd_table, batch_results
from app.core.codecs import SideSettings
from app.core.image_io import LoadedImage, image_from_array
from app.core.jobs import Priority
from app.core.results import Metrics

from tests.app.helpers import outcome
from tests.app.test_controller_parts import FakeRunner

SIZES = {"a.png": (200, 300), "b.png": (180, 240)}


def load(path: Path) -> LoadedImage:
    h, w = SIZES[path.name]
    return image_from_array(np.zeros((h, w, 3), np.uint8), name=path.name, path=path)


def made_up(image: str, settings: SideSettings) -> tuple[float, float, float]:
    """A plausible (bpp, PSNR, MS-SSIM) for a codec at a quality on an image: better with quality."""
    q = settings.quality
    base = {"jpeg": 0.0, "webp": 1.5, "vvc": 3.0}[settings.codec] + (0.7 if image == "b.png" else 0.0)
    bpp = 0.15 + 1.6 * q ** 1.3 + (0.05 if image == "b.png" else 0.0)
    psnr = 24 + base + 14 * np.log10(1 + 6 * q)
    return bpp, float(psnr), float(1 - 0.08 * (1.05 - q) / (1 + base / 3))


def answer(run: BatchRun, runner: FakeRunner, job_id: int) -> None:
    settings = runner.settings(job_id)
    image = run._images[run._jobs[job_id][0]]
    bpp, psnr, ms_ssim = made_up(image.name, settings)
    result = outcome(image.key, settings, bpp=bpp, psnr=psnr)
    run.on_finished(job_id, replace(result, num_bytes=round(bpp * image.height * image.width / 8),
                                    metrics=Metrics(psnr=psnr, msssim=ms_ssim, mse=1.0)))


def run_to_end(run: BatchRun, runner: FakeRunner) -> None:
    while live := [i for i in runner.live(Priority.BATCH) if i in run._jobs]:
        answer(run, runner, live[0])


def test_batch_progress_pause_resume_and_cancel():
    runner = FakeRunner()
    run = BatchRun(runner, load)
    seen: list[tuple[int, int]] = []
    ended: list[bool] = []
    run.progress.connect(lambda done, total: seen.append((done, total)))
    run.ended.connect(lambda: ended.append(True))
    run.start(BatchPlan((Path("a.png"), Path("b.png")), ("jpeg", "webp"), (0.3, 0.7)))
    assert run.counts() == (0, 8) and seen == [(0, 8)]
    first = runner.live(Priority.BATCH)
    assert len(first) == 1  # one pool job at a time, at the batch's priority
    assert runner.settings(first[0]) == SideSettings("jpeg", 0.3)

    run.pause()
    answer(run, runner, first[0])
    assert run.counts() == (1, 8) and not [i for i in runner.live(Priority.BATCH) if i in run._jobs]
    run.resume()
    (second,) = [i for i in runner.live(Priority.BATCH) if i in run._jobs]
    run.on_cancelled(second, preempted=True)  # the user's encode pushed it aside: it comes back
    (again,) = [i for i in runner.live(Priority.BATCH) if i in run._jobs]
    assert runner.settings(again) == runner.settings(second) and run.counts() == (1, 8)
    run.on_failed(again, "codec broke")  # counts as done, the batch goes on
    assert run.counts() == (2, 8) and run.running()

    run.cancel()
    assert not run.running() and ended == [True]
    assert runner.cancelled[-1] in run_ids(runner)
    assert len(run.points) == 1


def run_ids(runner: FakeRunner) -> list[int]:
    return list(runner.jobs)


def test_batch_aggregates_as_msp_eval(tmp_path):
    runner = FakeRunner()
    run = BatchRun(runner, load)
    plan = BatchPlan((Path("a.png"), Path("b.png")), ("jpeg", "webp"), (0.2, 0.4, 0.6, 0.8))
    run.start(plan)
    run_to_end(run, runner)
    assert run.counts() == (16, 16) and not run.running()
    results = batch_results(run.points, plan)
    jpeg = results.codec("jpeg")
    for i, q in enumerate(plan.qualities):
        values = [made_up(name, SideSettings("jpeg", q)) for name in ("a.png", "b.png")]
        assert jpeg.psnr_rgb[i] == pytest.approx(np.mean([v[1] for v in values]))
        assert jpeg.ms_ssim_rgb[i] == pytest.approx(np.mean([v[2] for v in values]))
        sizes = [round(v[0] * h * w / 8) for v, (h, w) in zip(values, SIZES.values(), strict=True)]
        assert jpeg.bpp[i] == pytest.approx(np.mean([v[0] for v in values]))
        assert [img.points[i].num_bytes for img in jpeg.images] == sizes
    assert results.image_names == ("a.png", "b.png")

    # A point that failed leaves its image out of that codec's means, not out of the others'.
    partial = batch_results([p for p in run.points if not (p.image == "b.png" and p.settings.codec == "webp"
                                                           and p.settings.quality == 0.4)], plan)
    assert [img.image for img in partial.codec("webp").images] == ["a.png"]
    assert len(partial.codec("jpeg").images) == 2

    table = tmp_path / "batch.csv"
    write_csv(results, table)
    with open(table, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == 16
    first = next(r for r in rows if r["image"] == "b.png" and r["codec"] == "webp" and r["quality"] == "0.6")
    bpp, psnr, ms_ssim = made_up("b.png", SideSettings("webp", 0.6))
    assert float(first["bpp"]) == pytest.approx(bpp) and float(first["psnr"]) == pytest.approx(psnr)
    assert float(first["ms-ssim"]) == pytest.approx(ms_ssim)
    assert int(first["bytes"]) == round(bpp * 180 * 240 / 8)


def test_batch_bd_table_equals_msp_plot(tmp_path, capsys):
    runner = FakeRunner()
    run = BatchRun(runner, load)
    plan = BatchPlan((Path("a.png"), Path("b.png")), ("jpeg", "webp", "vvc"), (0.2, 0.4, 0.6, 0.8, 0.95))
    run.start(plan)
    run_to_end(run, runner)
    results = batch_results(run.points, plan)
    path = save_results(results, tmp_path / "batch.json")
    for anchor in ("vvc", "jpeg"):
        rows = batch_bd_table(results, anchor)
        assert [r.curve.name for r in rows] == [c for c in ("jpeg", "webp", "vvc") if c != anchor]
        assert main(["plot", str(path), "--out", str(tmp_path / "plots"), "--anchor", anchor,
                     "--references", "none"]) == 0
        printed = capsys.readouterr().out
        for row in rows:
            line = next(x for x in printed.splitlines() if x.startswith(f"{row.curve.label} (measured)"))
            printed_values = [float(v) for v in re.findall(r"([+-]\d+\.\d) %", line)]
            ours = [round(row.entries[m].result.percent, 1) for m in ("psnr", "ms-ssim")]
            assert printed_values == ours and len(ours) == 2
        # and from the file msp plot read, the very same numbers
        reread = batch_bd_table(load_results(path), anchor)
        assert [[e.result.percent for e in r.entries.values()] for r in reread] == \
               [[e.result.percent for e in r.entries.values()] for r in rows]
    assert batch_bd_table(results, "avif") == ()
