"""View > Bookmarks: Ctrl+Shift+1..9 stores the view under a number, Alt+1..9 brings it back.

The slots (:class:`~app.core.view_bookmarks.ViewBookmarks`) are the current image's: opening
another image shows that image's slots, read from the settings, and every store is written back
at once, so a walk-through prepared yesterday is there today. Each slot's menu entry says what
it holds. The actions are ordinary menu actions, so the F1 table lists them by itself.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from app.core.view_bookmarks import SLOTS, ViewBookmark, ViewBookmarks
from app.core.view_state import ViewState
from app.settings_store import AppSettings

__all__ = ["BookmarkMenu", "STORE_KEYS", "RECALL_KEYS"]

STORE_KEYS = "Ctrl+Shift+{}"
RECALL_KEYS = "Alt+{}"


class BookmarkMenu(QObject):
    status = Signal(str)  # what was stored or recalled, for the status bar

    def __init__(self, menu: QMenu, view: ViewState, settings: AppSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.settings = settings
        self.bookmarks = ViewBookmarks()
        self._image_key: str | None = None
        self.recall_actions: dict[int, QAction] = {}
        self.store_actions: dict[int, QAction] = {}
        for slot in SLOTS:
            self.recall_actions[slot] = self._add(menu, slot, RECALL_KEYS, self.recall)
        menu.addSeparator()
        for slot in SLOTS:
            self.store_actions[slot] = self._add(menu, slot, STORE_KEYS, self.store)
        self._sync_texts()

    def _add(self, menu: QMenu, slot: int, keys: str, slot_fn) -> QAction:
        action = QAction(menu)
        action.setShortcut(QKeySequence(keys.format(slot)))
        action.triggered.connect(lambda _checked=False, n=slot: slot_fn(n))
        menu.addAction(action)
        return action

    def set_image(self, image_key: str) -> None:
        """Show the slots saved for this image (none yet: all empty)."""
        self._image_key = image_key
        self.bookmarks = ViewBookmarks.from_json(self.settings.bookmarks(image_key))
        self._sync_texts()

    def store(self, slot: int) -> None:
        bookmark = ViewBookmark.of(self.view)
        self.bookmarks.store(slot, bookmark)
        if self._image_key is not None:
            self.settings.set_bookmarks(self._image_key, self.bookmarks.to_json())
        self._sync_texts()
        self.status.emit(f"View bookmark {slot} stored: {bookmark.describe()}")

    def recall(self, slot: int) -> None:
        bookmark = self.bookmarks.get(slot)
        if bookmark is None:
            self.status.emit(f"View bookmark {slot} is empty: {STORE_KEYS.format(slot)} stores the view there")
            return
        bookmark.apply(self.view)
        self.status.emit(f"View bookmark {slot}: {bookmark.describe()}")

    def _sync_texts(self) -> None:
        for slot in SLOTS:
            bookmark = self.bookmarks.get(slot)
            held = bookmark.describe() if bookmark is not None else "empty"
            self.recall_actions[slot].setText(f"Recall view bookmark {slot} ({held})")
            self.store_actions[slot].setText(f"Store view as bookmark {slot}")
