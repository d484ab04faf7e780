"""A small LRU cache of recent results, so switching back to a setting is instant.

Keyed by (image hash, codec, quality, device); bounded both by entry count and by memory
(reconstructions of large images are big). Only touched from the GUI thread.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from app.core.codecs import SideSettings
from app.core.results import EncodeOutcome

__all__ = ["CacheKey", "ResultCache"]


@dataclass(frozen=True)
class CacheKey:
    image_key: str
    codec: str
    quality: float
    device: str

    @classmethod
    def of(cls, image_key: str, settings: SideSettings) -> CacheKey:
        return cls(image_key, settings.codec, settings.quality, settings.device)


class ResultCache:
    """Least-recently-used map from :class:`CacheKey` to :class:`EncodeOutcome`."""

    def __init__(self, max_entries: int = 128, max_bytes: int = 512 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[CacheKey, EncodeOutcome] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: CacheKey) -> bool:
        return key in self._items

    @property
    def total_bytes(self) -> int:
        return self._bytes

    def get(self, key: CacheKey) -> EncodeOutcome | None:
        outcome = self._items.get(key)
        if outcome is not None:
            self._items.move_to_end(key)
        return outcome

    def put(self, key: CacheKey, outcome: EncodeOutcome) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self._bytes -= old.nbytes_in_memory
        self._items[key] = outcome
        self._bytes += outcome.nbytes_in_memory
        while self._items and (len(self._items) > self.max_entries or self._bytes > self.max_bytes):
            if len(self._items) == 1:
                break  # always keep the newest entry, even if it alone exceeds the budget
            _, evicted = self._items.popitem(last=False)
            self._bytes -= evicted.nbytes_in_memory

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0
