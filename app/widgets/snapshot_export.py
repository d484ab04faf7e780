"""File > Export comparison snapshot: what the canvas shows of A and B, side by side, captioned.

:func:`comparison_snapshot` reads the region in view off the canvas (the first pane: every pane
shows the same region) and each side's result, and lays them out with
:mod:`app.core.snapshot`; :class:`SnapshotExport` asks where to save it and writes it on the
file worker, atomically, never over the opened original (like the other exports).
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from app.controller import StudioController
from app.core.snapshot import Snapshot, caption_lines, compose_snapshot, visible_box
from app.core.state import ComparisonState
from app.settings_store import AppSettings
from app.widgets.canvas import ComparisonCanvas

__all__ = ["comparison_snapshot", "SnapshotExport"]


def comparison_snapshot(canvas: ComparisonCanvas, state: ComparisonState) -> Snapshot:
    """A and B's crops as the canvas shows them now; ValueError (why, for the user) if it cannot."""
    image = state.image
    if image is None:
        raise ValueError("No image to take a snapshot of")
    empty = [side.name.value for side in (state.a, state.b) if side.result is None]
    if empty:
        raise ValueError(f"Side {' and '.join(empty)} has no result yet: nothing to compare")
    pane = canvas.view.panes(canvas.width(), canvas.height(), canvas.devicePixelRatioF())[0]
    box = visible_box(pane, image.width, image.height)
    # Zoomed in, each image pixel is a block of screen pixels: the snapshot keeps whole blocks.
    scale = max(1, math.floor(canvas.effective_zoom() + 1e-6))
    columns = [(box.crop(side.result.reconstruction), caption_lines(side.name.value, side.result))
               for side in (state.a, state.b) if side.result is not None]
    return compose_snapshot(columns, scale)


class SnapshotExport(QObject):
    message = Signal(str, str)  # level, text

    def __init__(self, canvas: ComparisonCanvas, controller: StudioController, settings: AppSettings,
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.controller = controller
        self.settings = settings
        self.parent_widget = parent

    def export(self, path: Path) -> bool:
        """Compose the snapshot now and write it to ``path`` in the background (a message says
        when it is saved); False, with a warning, when there is nothing to compare."""
        snapshot = self._compose()
        if snapshot is not None:
            self._write(path, snapshot)
        return snapshot is not None

    def dialog(self) -> None:
        """Ask where to save the snapshot of what is on screen now (nothing to ask if there is none)."""
        snapshot = self._compose()
        if snapshot is None:
            return
        image = self.controller.image
        stem = Path(image.name).stem if image is not None else "comparison"
        suggested = str(Path(self.settings.last_dir) / f"{stem}.comparison.png")
        path, _ = QFileDialog.getSaveFileName(self.parent_widget, "Export comparison snapshot", suggested,
                                              "PNG image (*.png)")
        if path:
            if not path.lower().endswith(".png"):
                path += ".png"
            self.settings.last_dir = str(Path(path).parent)
            self._write(Path(path), snapshot)

    def _compose(self) -> Snapshot | None:
        try:
            return comparison_snapshot(self.canvas, self.controller.state)
        except ValueError as exc:
            self.message.emit("warning", str(exc))
            return None

    def _write(self, path: Path, snapshot: Snapshot) -> None:
        image = self.controller.image
        protect = (image.path,) if image is not None and image.path is not None else ()
        self.controller.files.write_png(Path(path), snapshot.pixels, protect=protect)
