"""All RD points measured on the current image, grouped per codec.

Fed by the background sweep, the bitrate search and the sides' own results, and by the points
earlier sessions saved (:meth:`RDStore.restore`); the plot redraws from it. Points are unique
per settings, so re-running a setting replaces its point.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.core.codecs import SideSettings
from app.core.events import Event
from app.core.results import EncodeOutcome, RDPoint

__all__ = ["RDStore"]


class RDStore:
    def __init__(self) -> None:
        self.image_key: str | None = None
        self._points: dict[str, dict[SideSettings, RDPoint]] = {}
        self.changed = Event()  # (codec key or None for "everything")
        self.measured = Event()  # (image key, RDPoint): a point measured in this session, not restored

    def reset(self, image_key: str | None) -> None:
        self.image_key = image_key
        self._points.clear()
        self.changed.emit(None)

    def add(self, outcome: EncodeOutcome) -> bool:
        """Add a result of the current image; returns False for other images / the original."""
        if outcome.image_key != self.image_key or outcome.settings.is_original or outcome.source_name:
            return False
        point = RDPoint.of(outcome)  # added again when its SSIMULACRA2 and FLIP arrive
        self._points.setdefault(outcome.settings.codec, {})[outcome.settings] = point
        self.changed.emit(outcome.settings.codec)
        self.measured.emit(outcome.image_key, point)
        return True

    def restore(self, image_key: str, points: Iterable[RDPoint]) -> int:
        """Add points measured in an earlier session; returns how many were new.

        A point this session has measured already is kept: it is at least as fresh. Points of
        another image (the user opened a new one meanwhile) are refused, like in :meth:`add`."""
        if image_key != self.image_key:
            return 0
        added = 0
        for point in points:
            settings = point.settings
            if settings.is_original or settings in self._points.get(settings.codec, {}):
                continue
            self._points.setdefault(settings.codec, {})[settings] = point
            added += 1
        if added:
            self.changed.emit(None)
        return added

    def codecs(self) -> list[str]:
        return list(self._points)

    def curve(self, codec: str) -> list[RDPoint]:
        """The codec's points sorted by rate (one curve per codec and device mix)."""
        return sorted(self._points.get(codec, {}).values(), key=lambda p: (p.bpp, p.settings.quality))

    def __len__(self) -> int:
        return sum(len(points) for points in self._points.values())
