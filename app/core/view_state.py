"""How the comparison is displayed: mode, zoom, pan centre, divider, difference gain, what each
side's pane shows (its picture, an error map or where its bits go) and whether the pixel loupe is on.

Pure geometry, no painting: the canvas widget asks this object where image pixels land on screen,
so zoom-about-cursor and pan are unit-testable and both sides always share one transform.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from app.core.error_maps import ErrorMapKind
from app.core.events import Event

__all__ = ["ViewMode", "ViewState", "Viewport", "ZOOM_MIN", "ZOOM_MAX", "ZOOM_PRESETS"]

ZOOM_MIN = 0.05
ZOOM_MAX = 8.0
ZOOM_PRESETS = (1.0, 2.0, 4.0, 8.0)
ZOOM_STEP = 1.25


class ViewMode(str, Enum):
    SPLIT = "split"
    SIDE_BY_SIDE = "sidebyside"
    FLIP = "flip"
    DIFFERENCE = "diff"


@dataclass(frozen=True)
class Viewport:
    """A pane on screen (logical pixels) and the image-to-screen mapping within it."""

    x: float
    y: float
    width: float
    height: float
    scale: float
    """Screen pixels per image pixel."""
    center_x: float
    center_y: float
    """Image coordinates shown at the pane's centre."""

    def to_screen(self, ix: float, iy: float) -> tuple[float, float]:
        return (self.x + self.width / 2 + (ix - self.center_x) * self.scale,
                self.y + self.height / 2 + (iy - self.center_y) * self.scale)

    def to_image(self, sx: float, sy: float) -> tuple[float, float]:
        return (self.center_x + (sx - self.x - self.width / 2) / self.scale,
                self.center_y + (sy - self.y - self.height / 2) / self.scale)


class ViewState:
    """Shared display state; ``zoom is None`` means "fit to the pane"."""

    def __init__(self) -> None:
        self.mode = ViewMode.SPLIT
        self.zoom: float | None = None
        self.center: tuple[float, float] | None = None
        """Image point at the pane centre; None means the image centre."""
        self.divider = 0.5
        self.diff_gain = 4.0
        self.diff_pane = False
        """Side-by-side shows a third pane with the difference map."""
        self.flipped = False
        """Hold-to-flip is active (Space held)."""
        self.error_map = ErrorMapKind.PICTURE
        """What the sides' panes show (split, side by side, flip): their pictures, or an error map
        against the original, at ``diff_gain``."""
        self.loupe = False
        """The pixel loupe follows the cursor."""
        self.bits_sides: frozenset[str] = frozenset()
        """The sides ("A", "B") whose pane shows where their bits go (an MSP side's bits map)
        instead of their picture or error map."""
        self.image_size: tuple[int, int] = (1, 1)  # (width, height)
        self.changed = Event()  # ()

    # -- configuration -----------------------------------------------------------------------
    def set_mode(self, mode: ViewMode) -> None:
        if mode != self.mode:
            self.mode = ViewMode(mode)
            self.changed.emit()

    def set_image_size(self, width: int, height: int) -> None:
        if (width, height) != self.image_size:
            self.image_size = (width, height)
            self.zoom = None
            self.center = None
            self.changed.emit()

    def set_divider(self, fraction: float) -> None:
        self.divider = min(1.0, max(0.0, fraction))
        self.changed.emit()

    def set_diff_gain(self, gain: float) -> None:
        self.diff_gain = min(64.0, max(1.0, float(gain)))
        self.changed.emit()

    def set_diff_pane(self, enabled: bool) -> None:
        self.diff_pane = bool(enabled)
        self.changed.emit()

    def set_error_map(self, kind: ErrorMapKind) -> None:
        if kind != self.error_map:
            self.error_map = ErrorMapKind(kind)
            self.changed.emit()

    def error_map_shown(self) -> bool:
        """Whether the panes show an error map now (the difference view has its own map)."""
        return self.error_map is not ErrorMapKind.PICTURE and self.mode is not ViewMode.DIFFERENCE

    def set_loupe(self, enabled: bool) -> None:
        if bool(enabled) != self.loupe:
            self.loupe = bool(enabled)
            self.changed.emit()

    def set_bits_shown(self, name: str, shown: bool) -> None:
        sides = self.bits_sides | {name} if shown else self.bits_sides - {name}
        if sides != self.bits_sides:
            self.bits_sides = frozenset(sides)
            self.changed.emit()

    def bits_shown(self, name: str) -> bool:
        """Whether side ``name``'s pane shows its bits map now (the difference view shows none)."""
        return name in self.bits_sides and self.mode is not ViewMode.DIFFERENCE

    def set_flipped(self, flipped: bool) -> None:
        if flipped != self.flipped:
            self.flipped = flipped
            self.changed.emit()

    # -- geometry ------------------------------------------------------------------------------
    def pane_count(self) -> int:
        if self.mode is ViewMode.SIDE_BY_SIDE:
            return 3 if self.diff_pane else 2
        return 1

    def fit_scale(self, pane_width: float, pane_height: float) -> float:
        width, height = self.image_size
        return max(1e-6, min(pane_width / width, pane_height / height))

    def scale_for(self, pane_width: float, pane_height: float, device_pixel_ratio: float = 1.0) -> float:
        """Screen (logical) pixels per image pixel; 100 % means one image pixel per device pixel."""
        if self.zoom is None:
            return self.fit_scale(pane_width, pane_height)
        return self.zoom / device_pixel_ratio

    def effective_zoom(self, pane_width: float, pane_height: float, device_pixel_ratio: float = 1.0) -> float:
        """Zoom as a percentage-style factor (1.0 = 100 %), also in fit mode."""
        return self.scale_for(pane_width, pane_height, device_pixel_ratio) * device_pixel_ratio

    def panes(self, width: float, height: float, device_pixel_ratio: float = 1.0, gap: float = 4.0) -> list[Viewport]:
        count = self.pane_count()
        pane_width = (width - gap * (count - 1)) / count
        scale = self.scale_for(pane_width, height, device_pixel_ratio)
        cx, cy = self.center if self.center is not None else (self.image_size[0] / 2, self.image_size[1] / 2)
        return [Viewport(i * (pane_width + gap), 0.0, pane_width, height, scale, cx, cy) for i in range(count)]

    def fit(self) -> None:
        self.zoom = None
        self.center = None
        self.changed.emit()

    def set_zoom(self, zoom: float, pane: Viewport | None = None, anchor: tuple[float, float] | None = None,
                 device_pixel_ratio: float = 1.0) -> None:
        """Zoom to ``zoom`` (1.0 = 100 %) keeping the image point under screen ``anchor`` fixed."""
        zoom = min(ZOOM_MAX, max(ZOOM_MIN, zoom))
        if pane is not None and anchor is not None:
            ix, iy = pane.to_image(*anchor)
            new_scale = zoom / device_pixel_ratio
            sx, sy = anchor
            cx = ix - (sx - pane.x - pane.width / 2) / new_scale
            cy = iy - (sy - pane.y - pane.height / 2) / new_scale
            self.center = (cx, cy)
        self.zoom = zoom
        self.changed.emit()

    def zoom_by(self, steps: float, pane: Viewport, anchor: tuple[float, float] | None,
                device_pixel_ratio: float = 1.0) -> None:
        current = pane.scale * device_pixel_ratio
        if anchor is None:
            anchor = (pane.x + pane.width / 2, pane.y + pane.height / 2)
        if self.center is None:
            self.center = (pane.center_x, pane.center_y)
            pane = Viewport(pane.x, pane.y, pane.width, pane.height, pane.scale, *self.center)
        self.set_zoom(current * ZOOM_STEP**steps, pane, anchor, device_pixel_ratio)

    def pan_by(self, dx_screen: float, dy_screen: float, pane: Viewport, device_pixel_ratio: float = 1.0) -> None:
        cx, cy = self.center if self.center is not None else (pane.center_x, pane.center_y)
        if self.zoom is None:
            self.zoom = pane.scale * device_pixel_ratio  # panning leaves fit mode at the current scale
        self.center = (cx - dx_screen / pane.scale, cy - dy_screen / pane.scale)
        self.changed.emit()
