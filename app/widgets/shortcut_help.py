"""The keyboard-shortcut help (F1): a table read off the window's own actions.

Built from the ``QAction`` objects the window registers, each under its menu's name, so a shortcut
added or changed in a menu shows up here by itself and the help cannot name a key that does
nothing. Only what is not an action (a held key, the mouse) is listed by hand, in
:data:`GESTURES`. A plain window, not modal: the user can try a shortcut with the help still open.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

__all__ = ["ShortcutHelp", "shortcut_rows", "show_shortcut_help", "GESTURES"]

GESTURES: tuple[tuple[str, str], ...] = (
    ("Hold Space", "Flip to side B while held"),
    ("Wheel", "Zoom about the cursor"),
    ("Drag", "Pan; on the divider (split view): move the divider"),
    ("Double-click", "Fit the image to the view"),
    ("Click an RD point", "Load that result into side A"),
    ("Shift+click an RD point", "Load that result into side B"),
)
"""What works without a menu action (the canvas, the RD plot and the window handle these)."""

_MOUSE_SECTION = "Mouse and held keys"
_OTHER_SECTION = "Other"


def _plain(text: str) -> str:
    """A menu text as a sentence: no mnemonic ampersands, no trailing ellipsis."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").removesuffix("…").strip()


def _address(action: QAction) -> int:
    """The C++ object's address: one action has one, whichever Python wrapper a lookup returns."""
    return int(shiboken6.getCppPointer(action)[0])


def _keys(action: QAction) -> str:
    return " or ".join(key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts())


def _menu_rows(menu: QMenu, section: str, seen: set[int]) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    for action in menu.actions():
        submenu = action.menu()
        if isinstance(submenu, QMenu):
            rows += _menu_rows(submenu, f"{section}: {_plain(submenu.title())}", seen)
        elif action.shortcuts() and not action.isSeparator():
            seen.add(_address(action))
            rows.append((section, _keys(action), _plain(action.text())))
    return rows


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str, str]]:
    """(section, keys, what it does) for every shortcut of ``window``: its menus' actions in menu
    order, then any other action of the window that has a shortcut, then the mouse gestures."""
    rows: list[tuple[str, str, str]] = []
    seen: set[int] = set()
    for entry in window.menuBar().actions():
        submenu = entry.menu()
        if isinstance(submenu, QMenu):
            rows += _menu_rows(submenu, _plain(submenu.title()), seen)
    for action in window.findChildren(QAction):
        if _address(action) not in seen and action.shortcuts() and action.text():
            seen.add(_address(action))
            rows.append((_OTHER_SECTION, _keys(action), _plain(action.text())))
    rows += [(_MOUSE_SECTION, keys, what) for keys, what in GESTURES]
    return rows


class ShortcutHelp(QDialog):
    """A two-column table, keys and what they do, under one heading row per menu."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts — MSP Studio")
        self.setModal(False)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Keys", "Does"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setShowGrid(False)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a reference card: nothing to select or edit
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        self.resize(560, 640)

    def set_rows(self, rows: list[tuple[str, str, str]]) -> None:
        table = self.table
        table.clearSpans()
        table.setRowCount(0)
        bold = QFont(self.font())
        bold.setBold(True)
        section = None
        for name, keys, what in rows:
            if name != section:
                section = name
                row = table.rowCount()
                table.insertRow(row)
                heading = QTableWidgetItem(name)
                heading.setFont(bold)
                table.setItem(row, 0, heading)
                table.setSpan(row, 0, 1, 2)
            row = table.rowCount()
            table.insertRow(row)
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(what))
        table.resizeRowsToContents()

    def pairs(self) -> list[tuple[str, str]]:
        """(keys, what it does) of every row that is not a heading: what the user reads."""
        out = []
        for row in range(self.table.rowCount()):
            keys, what = self.table.item(row, 0), self.table.item(row, 1)
            if keys is not None and what is not None:
                out.append((keys.text(), what.text()))
        return out


def show_shortcut_help(window: QMainWindow) -> ShortcutHelp:
    """Show (or raise) the window's shortcut help, rebuilt from its actions as they are now."""
    dialog = window.findChild(ShortcutHelp)
    if dialog is None:
        dialog = ShortcutHelp(window)
    dialog.set_rows(shortcut_rows(window))
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
