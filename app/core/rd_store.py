"""All RD points measured on the current image, grouped per codec.

Fed by the background sweep, the bitrate search and the sides' own results; the plot redraws
from it. Points are unique per settings, so re-running a setting replaces its point.
"""

from __future__ import annotations

from app.core.codecs import SideSettings
from app.core.events import Event
from app.core.results import EncodeOutcome, RDPoint

__all__ = ["RDStore"]


class RDStore:
    def __init__(self) -> None:
        self.image_key: str | None = None
        self._points: dict[str, dict[SideSettings, RDPoint]] = {}
        self.changed = Event()  # (codec key or None for "everything")

    def reset(self, image_key: str | None) -> None:
        self.image_key = image_key
        self._points.clear()
        self.changed.emit(None)

    def add(self, outcome: EncodeOutcome) -> bool:
        """Add a result of the current image; returns False for other images / the original."""
        if outcome.image_key != self.image_key or outcome.settings.is_original or outcome.source_name:
            return False
        point = RDPoint(outcome.settings, outcome.bpp, outcome.metrics.psnr, outcome.metrics.msssim_db)
        self._points.setdefault(outcome.settings.codec, {})[outcome.settings] = point
        self.changed.emit(outcome.settings.codec)
        return True

    def codecs(self) -> list[str]:
        return list(self._points)

    def curve(self, codec: str) -> list[RDPoint]:
        """The codec's points sorted by rate (one curve per codec and device mix)."""
        return sorted(self._points.get(codec, {}).values(), key=lambda p: (p.bpp, p.settings.quality))

    def __len__(self) -> int:
        return sum(len(points) for points in self._points.values())
