"""Presentation mode (F11): the canvas alone, full screen; F11 or Esc puts the window back as it was.

For a projector: the menu bar, toolbars, status bar, docks and side panels go and the canvas
takes the whole screen (the message bar still floats over it). What was on screen is remembered
on entering (the window's geometry, window state and dock layout, the splitter's sizes, and which
of those widgets were shown) and put back exactly on leaving.

The window's shortcuts keep working meanwhile. Qt ignores the shortcut of an action whose only
widgets are hidden (a hidden menu bar's), so while presenting every action with a shortcut is
also added to the window itself, and taken off again after. Esc, which cancels the encodes
otherwise, leaves presentation mode instead, and gets its usual job back after.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QMargins, QObject, QRect, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLayout, QMainWindow, QSplitter, QToolBar, QWidget

__all__ = ["PresentationMode"]

_ESCAPE = QKeySequence(Qt.Key.Key_Escape)


@dataclass(frozen=True)
class _Layout:
    """The window as it was before presenting."""

    geometry: QRect
    state: QByteArray
    window_state: Qt.WindowState
    splitter: QByteArray | None
    shown: tuple[QWidget, ...]
    """The widgets presenting hid (those that were visible)."""
    borrowed: tuple[QAction, ...]
    """Actions added to the window for the time being."""
    escape_keys: tuple[tuple[QAction, tuple[QKeySequence, ...]], ...]
    """Actions that Esc was taken from, with their own shortcuts."""
    margins: QMargins | None
    """The central widget's layout margins (a frame around the canvas, none while presenting)."""


class PresentationMode(QObject):
    def __init__(self, window: QMainWindow, canvas: QWidget, action: QAction) -> None:
        """``action``: the checkable action whose trigger calls :meth:`set_presenting` (its own
        key, F11, stays; Esc joins it while presenting); its check mark follows the mode."""
        super().__init__(window)
        self.window = window
        self.canvas = canvas
        self.action = action
        self._saved: _Layout | None = None

    def presenting(self) -> bool:
        return self._saved is not None

    def set_presenting(self, on: bool) -> None:
        if on and not self.presenting():
            self._enter()
        elif not on and self.presenting():
            self._leave()
        if self.action.isChecked() != on:
            self.action.setChecked(on)  # comes back here, with nothing left to do

    def chrome(self) -> list[QWidget]:
        """Everything around the canvas: bars, toolbars, docks, the splitter's other panes."""
        window = self.window
        widgets: list[QWidget] = [window.menuBar(), window.statusBar()]
        widgets += window.findChildren(QToolBar) + window.findChildren(QDockWidget)
        splitter = self._splitter()
        if splitter is not None:
            panes = (splitter.widget(i) for i in range(splitter.count()))
            widgets += [pane for pane in panes if pane is not None and pane is not self.canvas]
        return widgets

    def _splitter(self) -> QSplitter | None:
        parent = self.canvas.parentWidget()
        return parent if isinstance(parent, QSplitter) else None

    def _central_layout(self) -> QLayout | None:
        central = self.window.centralWidget()
        return central.layout() if central is not None else None

    def _enter(self) -> None:
        window = self.window
        splitter = self._splitter()
        own = set(window.actions())
        borrowed = tuple(a for a in window.findChildren(QAction) if a.shortcuts() and a not in own)
        escape_keys = tuple((a, tuple(a.shortcuts())) for a in window.findChildren(QAction)
                            if a is not self.action and _ESCAPE in a.shortcuts())
        layout = self._central_layout()
        self._saved = _Layout(window.normalGeometry(), window.saveState(), window.windowState(),
                              splitter.saveState() if splitter is not None else None,
                              tuple(w for w in self.chrome() if w.isVisible()), borrowed, escape_keys,
                              layout.contentsMargins() if layout is not None else None)
        if layout is not None:
            layout.setContentsMargins(0, 0, 0, 0)
        for widget in self._saved.shown:
            widget.hide()
        window.addActions(list(borrowed))
        for action, keys in escape_keys:
            action.setShortcuts([key for key in keys if key != _ESCAPE])
        self.action.setShortcuts([*self.action.shortcuts(), _ESCAPE])
        window.showFullScreen()
        self.canvas.setFocus()

    def _leave(self) -> None:
        saved, self._saved = self._saved, None
        if saved is None:
            return
        window = self.window
        self.action.setShortcuts([key for key in self.action.shortcuts() if key != _ESCAPE])
        for action, keys in saved.escape_keys:
            action.setShortcuts(list(keys))
        for action in saved.borrowed:
            window.removeAction(action)
        window.setWindowState(saved.window_state)
        layout = self._central_layout()
        if layout is not None and saved.margins is not None:
            layout.setContentsMargins(saved.margins)
        for widget in saved.shown:
            widget.show()
        window.restoreState(saved.state)
        splitter = self._splitter()
        if splitter is not None and saved.splitter is not None:
            splitter.restoreState(saved.splitter)
        if not saved.window_state & (Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen):
            # Not restoreGeometry: it fits the window to the screen, which may be smaller than it.
            window.setGeometry(saved.geometry)
