"""Grab the real main window into PNGs once the comparison is ready (used under Xvfb).

``msp-studio --screenshot out.png --view split`` waits until both sides have a result (and any
bitrate match is done), switches the view, lets the window repaint, saves ``QWidget.grab()``
and closes the app. ``--screenshots DIR`` takes the whole set from one run (one encode): split,
side by side with the difference pane, difference, and, after waiting for the background RD
sweep (``--wait-sweep``), the RD plot, then presentation mode, a target size typed into side B
(its probes on the plot), and the comparison snapshot the export writes (``--only NAME,...``: just
those, by file name without .png). ``--size 1280x720,1920x1080`` with
``--screenshot window-{size}.png`` grabs the same window at each size, from one run (one encode
and one sweep), so that a person can check the layout on a projector and on a large screen.
The set also grabs the pixel loupe, the SSIM error maps and side A's bits map (a shot with an
error map or a bits map waits until the maps are made), and side A's LOF trajectory on the RD plot
(it encodes A with MSP balanced, if A's own encode drew none, and waits for the result).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QPointF, QTimer
from PySide6.QtWidgets import QApplication

from app.core.atomic import export_png
from app.core.error_maps import ErrorMapKind
from app.core.rd_metrics import DEFAULT_PLOT_METRIC
from app.core.snapshot import save_snapshot
from app.core.state import SideName, SideStatus
from app.core.view_state import ViewMode
from app.widgets.main_window import MainWindow
from app.widgets.snapshot_export import comparison_snapshot

__all__ = ["Shot", "Screenshotter", "standard_set", "sized_shots"]

_FINAL = (SideStatus.DONE, SideStatus.FAILED, SideStatus.CANCELLED)
LOF_SHOT_CODEC = "msp-balanced"  # the cheapest profile that overfits its latent


@dataclass(frozen=True)
class Shot:
    path: Path
    view: ViewMode
    diff_pane: bool = False
    wait_sweep: bool = False
    zoom: float | None = None
    rd_height: int | None = None
    """Give the RD plot dock this many pixels (for a shot about the plot)."""
    size: tuple[int, int] | None = None
    """Resize the window to (width, height) first; None: as it is."""
    error_map: ErrorMapKind = ErrorMapKind.PICTURE
    """What the sides' panes show."""
    loupe_at: tuple[float, float] | None = None
    """Show the pixel loupe with the cursor over this image point (x, y) of the first pane."""
    rd_metric: str | None = None
    """Show this metric on the RD plot's right-hand plot (``app.core.rd_metrics``; None: MS-SSIM) and
    wait for the sides' SSIMULACRA2 and FLIP (the readouts show them)."""
    target: tuple[SideName, str] | None = None
    """Type this target size into that side's box ("B", "20 KiB") and wait for its search to end."""
    presenting: bool = False
    """Grab presentation mode (the canvas alone, full screen), then leave it."""
    snapshot: bool = False
    """Save the comparison snapshot (what File > Export comparison snapshot writes), not the window."""
    bits: frozenset[str] = frozenset()
    """The sides ("A", "B") whose pane shows where its bits go, with the bits dock open (the shot
    waits for their reports)."""
    lof: SideName | None = None
    """Encode this side with MSP balanced (LOF) unless its LOF trajectory is already drawn, and wait
    for the result: the RD plot shows the trajectory and the true point."""
    batch: tuple[str, ...] = ()
    """Run a batch of these codecs (at :data:`BATCH_SHOT_QUALITIES`) over the batch queue (when empty:
    the four quarters of the current image) in the "Batch run" dock, and wait for it to end."""


def sized_shots(path: Path, sizes: list[tuple[int, int]], view: ViewMode, *, zoom: float | None = None,
                wait_sweep: bool = False, error_map: ErrorMapKind = ErrorMapKind.PICTURE,
                loupe_at: tuple[float, float] | None = None) -> list[Shot]:
    """One shot of ``view`` per window size. With several sizes, ``path`` must name where each
    goes with ``{size}`` (``window-{size}.png`` -> ``window-1280x720.png``)."""
    template = str(path)
    if len(sizes) > 1 and "{size}" not in template:
        raise ValueError(f"{path}: several sizes need {{size}} in the file name, e.g. window-{{size}}.png")
    return [Shot(Path(template.replace("{size}", f"{w}x{h}")), view, diff_pane=view is ViewMode.SIDE_BY_SIDE,
                 wait_sweep=wait_sweep, zoom=zoom, size=(w, h), error_map=error_map, loupe_at=loupe_at)
            for w, h in sizes]


LOUPE_DEMO_POINT = (512.0, 171.0)
"""The red macaw's eye in the demo image (kodim23): an edge, where the codecs differ."""


BATCH_SHOT_QUALITIES = "0.2, 0.4, 0.6, 0.8, 0.9"


def standard_set(folder: Path) -> list[Shot]:
    return [
        Shot(folder / "split.png", ViewMode.SPLIT),
        Shot(folder / "side-by-side-diff.png", ViewMode.SIDE_BY_SIDE, diff_pane=True),
        Shot(folder / "difference.png", ViewMode.DIFFERENCE),
        Shot(folder / "rd-plot.png", ViewMode.SPLIT, wait_sweep=True, rd_height=470),
        Shot(folder / "loupe.png", ViewMode.SPLIT, zoom=2.0, loupe_at=LOUPE_DEMO_POINT),
        Shot(folder / "error-maps.png", ViewMode.SIDE_BY_SIDE, error_map=ErrorMapKind.SSIM),
        Shot(folder / "perceptual-metrics.png", ViewMode.SPLIT, wait_sweep=True, rd_height=470, rd_metric="ssimulacra2"),
        Shot(folder / "bits-map.png", ViewMode.SIDE_BY_SIDE, bits=frozenset({"A"})),
        Shot(folder / "presentation.png", ViewMode.SIDE_BY_SIDE, presenting=True),
        Shot(folder / "target-size.png", ViewMode.SPLIT, rd_height=400, target=(SideName.B, "20 KiB")),
        Shot(folder / "comparison-snapshot.png", ViewMode.SIDE_BY_SIDE, zoom=2.0, snapshot=True),
        Shot(folder / "lof-live.png", ViewMode.SPLIT, rd_height=470, lof=SideName.A),
        Shot(folder / "batch-run.png", ViewMode.SPLIT, batch=("jpeg", "webp", "vvc")),
    ]


class Screenshotter(QObject):
    def __init__(self, window: MainWindow, shots: list[Shot], wait_sweep_s: float = 0.0,
                 timeout_s: float = 1800.0) -> None:
        super().__init__(window)
        self.window = window
        self.shots = list(shots)
        self.wait_sweep_s = wait_sweep_s
        self.deadline = time.monotonic() + timeout_s
        self.ready_at: float | None = None
        self._target_typed: Shot | None = None
        self._lof_started: Shot | None = None
        self._batch_started: Shot | None = None
        self._batch_folder: tempfile.TemporaryDirectory[str] | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(250)
        self.timer.timeout.connect(self._poll)

    def start(self) -> None:
        self.timer.start()

    def _sides_ready(self) -> bool:
        c = self.window.controller
        if c.image is None or c.matching():
            return False
        return all(side.status in _FINAL and (side.result is not None or side.status is not SideStatus.DONE)
                   for side in c.state.sides.values())

    def _poll(self) -> None:
        if not self.shots:
            self.timer.stop()
            self.window.close()
            return
        now = time.monotonic()
        timed_out = now > self.deadline
        if not timed_out and not self._sides_ready():
            return
        if self.ready_at is None:
            self.ready_at = now
        shot = self.shots[0]
        c = self.window.controller
        if (shot.wait_sweep and not timed_out and c.sweep_running()
                and now - self.ready_at < self.wait_sweep_s):
            return
        if shot.target is not None and self._target_typed is not shot:
            self._type_target(shot, shot.target)  # then wait for its search, like for the sides
            return
        if shot.lof is not None and self._lof_started is not shot:
            self._start_lof(shot, shot.lof)  # then wait for its result, like for the sides
            return
        if shot.batch and self._batch_started is not shot:
            self._start_batch(shot)
            return
        if shot.batch and c.batch_run.running() and not timed_out:
            return
        self.timer.stop()
        self._take(self.shots.pop(0))

    def _type_target(self, shot: Shot, target: tuple[SideName, str]) -> None:
        self._target_typed = shot
        name, text = target
        box = self.window.panels[name].target
        box.edit.setText(text)
        box.submit()

    def _start_lof(self, shot: Shot, name: SideName) -> None:
        self._lof_started = shot
        c = self.window.controller
        if c.lof.trajectory(name).final is not None:
            return  # the side's own LOF encode drew it already
        side = c.state.side(name)
        settings = side.settings.with_(codec=LOF_SHOT_CODEC)
        if settings == side.settings:  # its result came from the cache, with no trajectory: another quality
            settings = settings.with_(quality=round(max(0.0, settings.quality - 0.05), 2))
        c.set_side_settings(name, settings, user=False)

    def _start_batch(self, shot: Shot) -> None:
        self._batch_started = shot
        c = self.window.controller
        if not len(c.batch) and c.image is not None:
            self._batch_folder = tempfile.TemporaryDirectory(prefix="msp-batch-shot-")
            pixels = c.image.pixels
            h, w = pixels.shape[0] // 2, pixels.shape[1] // 2
            paths = []
            for i, (y, x) in enumerate(((0, 0), (0, w), (h, 0), (h, w))):
                paths.append(Path(self._batch_folder.name) / f"quarter{i + 1}.png")
                export_png(paths[-1], pixels[y:y + h, x:x + w])
            c.batch.add(paths)
        panel = self.window.batch_panel
        panel.set_codecs(shot.batch)
        panel.qualities.setText(BATCH_SHOT_QUALITIES)
        self.window.batch_run_dock.show()
        self.window.batch_run_dock.raise_()
        panel.start()

    def _take(self, shot: Shot) -> None:
        if shot.size is not None:
            self.window.resize(*shot.size)
        view = self.window.controller.view
        view.set_mode(shot.view)
        view.set_diff_pane(shot.diff_pane)
        view.set_error_map(shot.error_map)
        view.set_loupe(shot.loupe_at is not None)
        for name in SideName:
            view.set_bits_shown(name.value, name.value in shot.bits)
        if not shot.batch:
            self.window.batch_run_dock.hide()
        if shot.bits:
            self.window.show_bits_dock()
        else:
            self.window.bits_dock.hide()
        if shot.zoom is not None:
            view.set_zoom(shot.zoom)
        else:
            view.fit()
        for _ in range(5):  # the new size's layout first, then the dock height of that layout
            QApplication.processEvents()
        if shot.rd_height is not None:
            self.window.set_rd_height(shot.rd_height)
        if shot.presenting:
            self.window.presentation.set_presenting(True)
        for _ in range(5):
            QApplication.processEvents()
        canvas = self.window.canvas
        if shot.loupe_at is not None:
            canvas.set_loupe_cursor(QPointF(*canvas.pane_at(QPointF(0, 0)).to_screen(*shot.loupe_at)))
        self.window.rd_plot.set_metric(shot.rd_metric or DEFAULT_PLOT_METRIC)
        if shot.lof is not None:
            self.window.rd_lof.zoom_to(shot.lof)  # the trajectory spans a few hundredths of a bpp
        canvas.update()  # asks for the error maps, if any
        QTimer.singleShot(400, lambda: self._save(shot))

    def _sides_measuring(self) -> bool:
        """A side's SSIMULACRA2 and FLIP are still being measured."""
        return any(side.result is not None and side.result.metrics.perceptual_pending
                   for side in self.window.controller.state.sides.values())

    def _save(self, shot: Shot) -> None:
        QApplication.processEvents()
        if shot.rd_metric is not None and self._sides_measuring() and time.monotonic() < self.deadline:
            QTimer.singleShot(250, lambda: self._save(shot))  # the readouts' SSIMULACRA2 and FLIP are not in yet
            return
        measuring = any(self.window.controller.bits.job(name) is not None for name in SideName)
        if (self.window.canvas.error_maps.pending() or measuring) and time.monotonic() < self.deadline:
            QTimer.singleShot(250, lambda: self._save(shot))  # the maps are still being made
            return
        shot.path.parent.mkdir(parents=True, exist_ok=True)
        ok = self._save_snapshot(shot.path) if shot.snapshot else self.window.grab().save(str(shot.path))
        self.window.presentation.set_presenting(False)
        print(f"screenshot {'saved' if ok else 'FAILED'}: {shot.path}", flush=True)
        self.timer.start()

    def _save_snapshot(self, path: Path) -> bool:
        try:
            save_snapshot(path, comparison_snapshot(self.window.canvas, self.window.controller.state))
        except (ValueError, OSError) as exc:
            print(f"snapshot: {exc}", flush=True)
            return False
        return True
