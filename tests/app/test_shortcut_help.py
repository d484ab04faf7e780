"""The F1 help: a table of every shortcut the window really has, read off its actions."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QTableWidget

from app.core.codecs import SideSettings

from tests.app.helpers import make_window


def _native(keys: str) -> str:
    return QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)


def _shown_rows(window) -> dict[str, str]:
    """Keys -> what they do, as the help window's table shows them (heading rows left out)."""
    window.show_shortcuts()
    dialog = window.findChild(QDialog)
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    table = dialog.findChild(QTableWidget)
    assert table is not None
    rows = {}
    for row in range(table.rowCount()):
        keys, what = table.item(row, 0), table.item(row, 1)
        if keys is not None and what is not None:
            rows[keys.text()] = what.text()
    return rows


def test_f1_lists_every_shortcut_of_the_window_in_a_table(qtbot, app_settings) -> None:
    """Issue #18 item 9: the help was one run-on line, cut off, without G / Shift+G and Ctrl+Shift+O."""
    window = make_window(qtbot, app_settings, SideSettings("jpeg", 0.5), SideSettings("original"))
    rows = _shown_rows(window)
    assert rows[_native("Ctrl+Shift+O")] == "Open bitstream (.msp)"
    assert rows[_native("G")] == "Gain up (difference, error maps)"
    assert rows[_native("Shift+G")] == "Gain down (difference, error maps)"
    assert rows[_native("L")] == "Loupe" and rows[_native("E")].startswith("Next error map")
    assert rows[_native("F1")] == "Keyboard shortcuts" and "Hold Space" in rows
    listed = {key for keys in rows for key in keys.split(" or ")}
    for action in window.findChildren(QAction):  # every key that works is in the table
        for key in action.shortcuts():
            assert key.toString(QKeySequence.SequenceFormat.NativeText) in listed, action.text()

    # Made from the actions as they are: a new or changed shortcut is in the next F1.
    extra = window.menuBar().actions()[0].menu().addAction("Do something new")
    extra.setShortcut(QKeySequence("Ctrl+Alt+N"))
    rows = _shown_rows(window)
    assert rows[_native("Ctrl+Alt+N")] == "Do something new"
    assert len(window.findChildren(QDialog)) == 1  # one help window, raised again
