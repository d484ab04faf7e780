"""View bookmarks: where the user was looking (mode, zoom, position), in nine numbered slots.

A presenter walks a stakeholder through the places where the codecs differ (a face, a texture,
a gradient): each is stored once under a number and recalled with one key, in any order. A
bookmark is the part of :class:`~app.core.view_state.ViewState` that says what is on screen
(view mode, zoom, the image point at the centre, the divider, the difference pane); the gain and
hold-to-flip are left as they are. Slots belong to one image (its content key) and are kept in
the settings as JSON (:meth:`ViewBookmarks.to_json`), so they are there the next time that image
is opened; a saved slot that no longer reads is skipped, never an error.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from app.core.view_state import ViewMode, ViewState

__all__ = ["ViewBookmark", "ViewBookmarks", "SLOTS", "MODE_NAMES"]

SLOTS = range(1, 10)
"""The slot numbers: the digit keys 1..9."""

MODE_NAMES = {ViewMode.SPLIT: "split", ViewMode.SIDE_BY_SIDE: "side by side", ViewMode.FLIP: "flip",
              ViewMode.DIFFERENCE: "difference"}


@dataclass(frozen=True)
class ViewBookmark:
    mode: ViewMode
    zoom: float | None
    """1.0 = 100 %; None: fit to the pane."""
    center: tuple[float, float] | None
    """Image point at the pane centre; None: the image centre."""
    divider: float
    diff_pane: bool

    @classmethod
    def of(cls, view: ViewState) -> ViewBookmark:
        return cls(view.mode, view.zoom, view.center, view.divider, view.diff_pane)

    def apply(self, view: ViewState) -> None:
        """Show this bookmark in ``view`` (one change event: the canvas repaints once)."""
        view.mode = self.mode
        view.zoom = self.zoom
        view.center = self.center
        view.divider = self.divider
        view.diff_pane = self.diff_pane
        view.changed.emit()

    def describe(self) -> str:
        """E.g. "side by side, 400 % at (312, 140)", "split, fit"."""
        where = "fit" if self.zoom is None else f"{self.zoom * 100:.0f} %"
        if self.center is not None:
            where += f" at ({self.center[0]:.0f}, {self.center[1]:.0f})"
        return f"{MODE_NAMES[self.mode]}, {where}"

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode.value, "zoom": self.zoom, "center": list(self.center) if self.center else None,
                "divider": self.divider, "diff_pane": self.diff_pane}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ViewBookmark:
        """The inverse of :meth:`to_dict`; ValueError, TypeError or KeyError for anything else."""
        zoom = None if data["zoom"] is None else _finite(data["zoom"])
        center = data["center"]
        if center is not None:
            x, y = center
            center = (_finite(x), _finite(y))
        return cls(ViewMode(data["mode"]), zoom, center, _finite(data["divider"]), bool(data["diff_pane"]))


def _finite(value: object) -> float:
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    return float(value)


class ViewBookmarks:
    """The slots of the current image."""

    def __init__(self) -> None:
        self._slots: dict[int, ViewBookmark] = {}

    def store(self, slot: int, bookmark: ViewBookmark) -> None:
        if slot not in SLOTS:
            raise ValueError(f"bookmark slots are {SLOTS.start}..{SLOTS.stop - 1}, not {slot}")
        self._slots[slot] = bookmark

    def get(self, slot: int) -> ViewBookmark | None:
        return self._slots.get(slot)

    def filled(self) -> list[int]:
        return sorted(self._slots)

    def to_json(self) -> str:
        return json.dumps({str(slot): self._slots[slot].to_dict() for slot in self.filled()}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ViewBookmarks:
        """Slots saved by :meth:`to_json`; anything unreadable (a damaged settings file, a slot
        from a future version) is left out rather than refused."""
        bookmarks = cls()
        try:
            data = json.loads(text) if text else {}
        except ValueError:
            return bookmarks
        if not isinstance(data, dict):
            return bookmarks
        for key, value in data.items():
            try:
                bookmarks.store(int(key), ViewBookmark.from_dict(value))
            except (ValueError, TypeError, KeyError):
                continue
        return bookmarks
