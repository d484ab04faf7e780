"""The "Batch run" dock runs the queue through the real service to the end, draws and exports it,
and the window never stalls while it runs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from PIL import Image

from codec.eval.csv_export import CSV_COLUMNS

from app.core.codecs import SideSettings
from app.widgets.batch_panel import parse_qualities

from tests.app.conftest import make_pixels
from tests.app.helpers import StallMeter, drop_paths, make_window


def folder_of_images(tmp_path: Path, size: int, count: int = 2) -> Path:
    folder = tmp_path / "set"
    folder.mkdir()
    for i in range(count):
        Image.fromarray(make_pixels(size, seed=10 + i)).save(folder / f"img{i}.png")
    return folder


def test_the_batch_dock_runs_a_tiny_batch_to_the_end(qtbot, app_settings, tmp_path) -> None:
    window = make_window(qtbot, app_settings, SideSettings("jpeg", 0.5), SideSettings("webp", 0.5))
    panel = window.batch_panel
    assert not panel.run_button.isEnabled()  # nothing queued yet
    drop_paths(window, [folder_of_images(tmp_path, 64)])
    qtbot.waitUntil(lambda: len(window.controller.batch) == 2, timeout=10000)
    assert window.batch_run_dock.isVisible() and panel.run_button.isEnabled()
    panel.set_codecs(("jpeg", "webp"))
    panel.qualities.setText("0.3, 0.7")
    panel.run_button.click()
    assert panel.cancel_button.isEnabled() and panel.progress.maximum() == 8
    qtbot.waitUntil(lambda: not window.controller.batch_run.running(), timeout=60000)
    qtbot.waitUntil(lambda: panel.results is not None and len(panel.results.codecs) == 2, timeout=5000)
    assert panel.progress.value() == 8 and "8 of 8 points, done" in panel.status.text()
    assert [c.name for c in panel.results.codecs] == ["jpeg", "webp"]
    assert all(len(c.bpp) == 2 and c.bpp[0] < c.bpp[1] and c.psnr_rgb[0] < c.psnr_rgb[1]
               for c in panel.results.codecs)  # a curve per codec: more bits, better quality
    assert len(panel.plot.getPlotItem().listDataItems()) == 2
    assert panel.table.rowCount() == 1  # webp against jpeg (no VVC here); 2 points: BD-rate n/a
    assert panel.table.item(0, 1).text() == "n/a" and "at least 4 points" in panel.table.item(0, 1).toolTip()
    panel.anchor.setCurrentIndex(1)  # the user's anchor: WebP, and JPEG against it
    assert panel.table.item(0, 0).text() == panel.results.codecs[0].label

    out_json, out_csv = panel.export_json(tmp_path / "b.json"), panel.export_csv(tmp_path / "b.csv")
    raw = json.loads(out_json.read_text())
    assert raw["images"] == ["img0.png", "img1.png"] and [c["name"] for c in raw["codecs"]] == ["jpeg", "webp"]
    with open(out_csv, newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == 9
    webp = raw["codecs"][1]["per_image"][1]
    row = next(r for r in rows if r[:3] == ["img1.png", "webp", "0.7"])
    assert int(row[3]) == webp["bytes"][1] and float(row[5]) == webp["psnr-rgb"][1]


def test_pause_and_cancel_in_the_window(qtbot, app_settings, tmp_path) -> None:
    window = make_window(qtbot, app_settings, SideSettings("jpeg", 0.5), SideSettings("webp", 0.5))
    panel, run = window.batch_panel, window.controller.batch_run
    window.controller.batch.add_folder(folder_of_images(tmp_path, 96))
    panel.set_codecs(("jpeg",))
    panel.qualities.setText(" ".join(f"{q / 20:.2f}" for q in range(1, 20)))
    panel.run_button.click()
    panel.pause_button.click()
    assert panel.pause_button.text() == "Resume" and run.paused
    qtbot.wait(300)
    done, total = run.counts()
    assert total == 38 and done <= 1  # the job in flight may finish, nothing new starts
    panel.pause_button.click()
    qtbot.waitUntil(lambda: run.counts()[0] >= done + 2, timeout=20000)
    panel.cancel_button.click()
    assert not run.running() and not panel.cancel_button.isEnabled() and panel.run_button.isEnabled()
    assert run.counts()[0] < 38


def test_the_window_never_stalls_while_a_batch_runs(qtbot, app_settings, tmp_path) -> None:
    """The longest gap between 5 ms timer ticks while JPEG and WebP run a 2 x 2 x 8 batch of 256 px images,
    in wall time and in the GUI thread's own CPU time. On 2 cores shared with a load of 8-10 the wall
    time is mostly waiting for a core (97 ms with the dock's redraws switched off); the CPU time is the
    work the batch puts on the GUI thread in one go, which is what the issue's 50 ms bounds."""
    window = make_window(qtbot, app_settings, SideSettings("jpeg", 0.5), SideSettings("webp", 0.5))
    panel, run = window.batch_panel, window.controller.batch_run
    window.controller.batch.add_folder(folder_of_images(tmp_path, 256))
    # MSP loads at start-up (its end freezes the start-up objects, a 1-2 s GC pass of its own): measure after
    qtbot.waitUntil(lambda: not window.controller.service.msp_loading, timeout=180000)
    panel.set_codecs(("jpeg", "webp"))
    panel.qualities.setText("0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8")
    meter = StallMeter(run.running)
    meter.start()
    panel.run_button.click()
    qtbot.waitUntil(lambda: not run.running(), timeout=120000)
    qtbot.wait(2 * 500)  # the last redraw of the curves and the table
    meter.stop()
    assert run.counts() == (32, 32) and panel.table.rowCount() == 1
    assert panel.table.item(0, 1).text().endswith("%")  # 8 points: a BD-rate of WebP against JPEG
    print(f"\nwindow during a 32-point batch: {meter.summary()}")
    assert max(meter.cpu_gaps) < 50  # the bar, on the work the batch does on the GUI thread
    assert sorted(meter.gaps)[-2] < 250  # and no wall-time freeze even on a loaded machine


def test_parse_qualities() -> None:
    assert parse_qualities("0.8, 0.2 0.5,0.2") == (0.2, 0.5, 0.8)
    for bad in ("", "a", "1.5", "-0.1"):
        try:
            parse_qualities(bad)
        except Exception as exc:  # noqa: BLE001
            assert "from 0 to 1" in str(exc)
        else:
            raise AssertionError(bad)
