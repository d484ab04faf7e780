"""The RD store's points outlive the session: restored when an image opens, each new one saved.

The link between the in-memory :class:`~app.core.rd_store.RDStore` and the on-disk
:class:`~app.core.rd_disk_cache.RDDiskCache`. Every point the store measures is written through
once its SSIMULACRA2 and FLIP are in (so a crash loses nothing already measured, and no point is
saved without them for good); a saved point comes back only if the
codec that would measure it now is the one that did (:func:`~app.core.codec_versions.codec_version`:
same library version, same MSP weights) and, for a codec with devices, only on a device this
machine has. The sweep plans only what the store lacks, so restored points are not measured again.
"""

from __future__ import annotations

from collections.abc import Callable

from app.core.backends.msp import MspInfo
from app.core.codec_versions import codec_version
from app.core.codecs import has_devices
from app.core.rd_disk_cache import RDDiskCache, StoredPoint
from app.core.rd_store import RDStore
from app.core.results import RDPoint

__all__ = ["RDPersistence"]


class RDPersistence:
    """Saves ``rd``'s new points in ``disk`` and restores them; with no disk, it does nothing.

    ``msp_info`` tells what is known of the MSP codec now (its points are keyed by its weights)."""

    def __init__(self, rd: RDStore, disk: RDDiskCache | None, msp_info: Callable[[], MspInfo]) -> None:
        self.rd = rd
        self.disk = disk
        self._msp_info = msp_info
        rd.measured.connect(self._save)

    def restore(self) -> int:
        """Put the current image's saved points that can still be vouched for into the store;
        returns how many were new. Called when an image opens, and again when MSP comes up."""
        image_key = self.rd.image_key
        if self.disk is None or image_key is None:
            return 0
        msp = self._msp_info()
        usable = [s.point for s in self.disk.load(image_key) if _current(s, msp)]
        return self.rd.restore(image_key, usable)

    def clear(self) -> int:
        """Forget every saved point of every image (the store keeps its own); returns files removed."""
        return self.disk.clear() if self.disk is not None else 0

    def _save(self, image_key: str, point: RDPoint) -> None:
        if point.perceptual_pending:
            return  # saved when its SSIMULACRA2 and FLIP arrive (the store adds the point again)
        version = codec_version(point.settings.codec, self._msp_info())
        if self.disk is not None and version is not None:
            self.disk.put(image_key, StoredPoint(point, version))


def _current(stored: StoredPoint, msp: MspInfo) -> bool:
    settings = stored.point.settings
    if stored.codec_version != codec_version(settings.codec, msp):
        return False  # another library version or other weights: it would not measure the same
    return not has_devices(settings.codec) or settings.device in msp.devices
