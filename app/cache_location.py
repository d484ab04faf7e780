"""Where the app keeps what it can always rebuild (today: the RD points of past sessions).

A session on an explicit settings file (tests, ``--settings PATH``, ``$MSP_STUDIO_SETTINGS``)
keeps its cache beside that file, so a private session never reads or writes the user's cache;
the user's own session uses the platform's cache folder (``QStandardPaths.CacheLocation``, e.g.
``~/.cache/MSP Studio`` on Linux), which the user may delete at any time.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

from app.settings_store import APPLICATION, ORGANIZATION, AppSettings

__all__ = ["rd_cache_dir", "RD_CACHE_FOLDER"]

RD_CACHE_FOLDER = "rd-points"


def rd_cache_dir(settings: AppSettings) -> Path:
    """The folder of the RD disk cache (:class:`app.core.rd_disk_cache.RDDiskCache`) for ``settings``."""
    ini = Path(settings.q.fileName())
    users = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)
    if ini != Path(users.fileName()):
        return ini.with_name(f"{ini.stem}-cache") / RD_CACHE_FOLDER
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation)
    return (Path(location) if location else ini.parent / "cache") / RD_CACHE_FOLDER
