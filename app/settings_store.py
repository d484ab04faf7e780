"""Remembered settings (QSettings): side settings, view, sweep, window layout, last folder, and
each image's view bookmarks.

Tests and the smoke test pass an explicit ini file (``--settings PATH`` or
``MSP_STUDIO_SETTINGS``) so they never read or write the user's real settings.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from codec.errors import CodecError

from app.core.codecs import SideSettings, codec_entry
from app.core.state import SideName
from app.core.view_state import ViewMode

__all__ = ["AppSettings", "open_settings", "SETTINGS_ENV", "ORGANIZATION", "APPLICATION"]

SETTINGS_ENV = "MSP_STUDIO_SETTINGS"
ORGANIZATION = "MSP Studio"
APPLICATION = "MSP Studio"


def open_settings(path: str | os.PathLike[str] | None = None) -> QSettings:
    """An explicit ini file when given (or named by $MSP_STUDIO_SETTINGS), else the user's."""
    path = path or os.environ.get(SETTINGS_ENV)
    if path:
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


def _as_float(value: object) -> float:
    """A stored number: QSettings gives it back as a number, or as text from an ini file."""
    if isinstance(value, (str, int, float)):
        return float(value)
    raise TypeError(f"not a number: {value!r}")


class AppSettings:
    """Typed access to the stored values, with safe defaults for anything missing or corrupt."""

    def __init__(self, qsettings: QSettings) -> None:
        self.q = qsettings

    def has_sides(self) -> bool:
        return self.q.contains("sides/A/codec")

    def side(self, name: SideName, default: SideSettings) -> SideSettings:
        prefix = f"sides/{name.value}/"
        try:
            quality = _as_float(self.q.value(prefix + "quality", default.quality))
            device = str(self.q.value(prefix + "device", default.device))
            settings = SideSettings(str(self.q.value(prefix + "codec", default.codec)), quality, device)  # old keys map
            codec_entry(settings.codec)  # a codec no longer in the catalogue: the default instead
            return settings
        except (CodecError, TypeError, ValueError):
            return default

    def set_side(self, name: SideName, settings: SideSettings) -> None:
        prefix = f"sides/{name.value}/"
        self.q.setValue(prefix + "codec", settings.codec)
        self.q.setValue(prefix + "quality", settings.quality)
        self.q.setValue(prefix + "device", settings.device)

    def _bool(self, key: str, default: bool) -> bool:
        value = self.q.value(key, default)
        if isinstance(value, str):
            return value.lower() in ("1", "true", "yes")
        return bool(value)

    def _float(self, key: str, default: float) -> float:
        try:
            return _as_float(self.q.value(key, default))
        except (TypeError, ValueError):
            return default

    @property
    def view_mode(self) -> ViewMode:
        try:
            return ViewMode(str(self.q.value("view/mode", ViewMode.SPLIT.value)))
        except ValueError:
            return ViewMode.SPLIT

    @view_mode.setter
    def view_mode(self, mode: ViewMode) -> None:
        self.q.setValue("view/mode", mode.value)

    @property
    def diff_gain(self) -> float:
        return self._float("view/diff_gain", 4.0)

    @diff_gain.setter
    def diff_gain(self, gain: float) -> None:
        self.q.setValue("view/diff_gain", gain)

    @property
    def diff_pane(self) -> bool:
        return self._bool("view/diff_pane", False)

    @diff_pane.setter
    def diff_pane(self, value: bool) -> None:
        self.q.setValue("view/diff_pane", value)

    @property
    def divider(self) -> float:
        return self._float("view/divider", 0.5)

    @divider.setter
    def divider(self, value: float) -> None:
        self.q.setValue("view/divider", value)

    @property
    def sweep_enabled(self) -> bool:
        return self._bool("rd/sweep", True)

    @sweep_enabled.setter
    def sweep_enabled(self, value: bool) -> None:
        self.q.setValue("rd/sweep", value)

    @property
    def auto_match(self) -> bool:
        return self._bool("sides/auto_match", True)

    @auto_match.setter
    def auto_match(self, value: bool) -> None:
        self.q.setValue("sides/auto_match", value)

    @property
    def last_dir(self) -> str:
        return str(self.q.value("files/last_dir", str(Path.home())))

    @last_dir.setter
    def last_dir(self, value: str) -> None:
        self.q.setValue("files/last_dir", value)

    @property
    def last_image(self) -> str:
        return str(self.q.value("files/last_image", ""))

    @last_image.setter
    def last_image(self, value: str) -> None:
        self.q.setValue("files/last_image", value)

    def geometry(self) -> QByteArray | None:
        value = self.q.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    def window_state(self) -> QByteArray | None:
        value = self.q.value("window/state")
        return value if isinstance(value, QByteArray) else None

    def set_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.q.setValue("window/geometry", geometry)
        self.q.setValue("window/state", state)

    @property
    def rd_share(self) -> float | None:
        """The RD plot dock's share of the window's height, or None if never saved. Kept beside the
        window state, whose dock heights are absolute pixels: the window may open on a smaller
        screen (a projector) than it was closed on, and the plot should keep its proportion."""
        if not self.q.contains("window/rd_share"):
            return None
        share = self._float("window/rd_share", -1.0)
        return share if 0.0 < share < 1.0 else None

    @rd_share.setter
    def rd_share(self, value: float) -> None:
        self.q.setValue("window/rd_share", float(value))

    def bookmarks(self, image_key: str) -> str:
        """The view bookmarks saved for the image with this content key (JSON; "" if none)."""
        return str(self.q.value(f"bookmarks/{image_key}", ""))

    def set_bookmarks(self, image_key: str, text: str) -> None:
        self.q.setValue(f"bookmarks/{image_key}", text)

    def sync(self) -> None:
        self.q.sync()
