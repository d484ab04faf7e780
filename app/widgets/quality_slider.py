"""The quality slider: superqt's labelled double slider, made to commit where the knob is let go.

Why this exists (superqt 0.9.0): ``QDoubleSlider`` keeps its value and knob position in Python
(``_value`` / ``_position``) and never touches the C++ integer model of ``QAbstractSlider``, yet it
leaves three things to that C++ base class, which acts on the unused integer model:

- the release: ``QAbstractSlider::setSliderDown(false)`` is where Qt commits the position the user
  let go at ("if position != value, triggerAction(SliderMove)"), comparing the C++ integers (both
  0) and calling the non-virtual C++ ``triggerAction``, so with tracking off the end of a drag is
  never committed;
- meanwhile its Python press handler commits the *press* point (``triggerAction`` right away,
  tracking or not), so every drag emitted ``valueChanged`` with the value the knob had when the
  mouse went down: dragged from 0.56 to 0.2, the side encoded 0.56; the next drag encoded 0.2;
- the keyboard: ``keyPressEvent`` is Qt's, stepping the unused integer model, so arrow keys did
  nothing at all.

:class:`QualitySlider` fixes these where they happen (press, release, keys) and snaps every value
to the quality grid (``QUALITY_DECIMALS``), so the knob, its label and the encode agree exactly.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QAbstractSlider, QStyle, QWidget
from superqt import QLabeledDoubleSlider
from superqt.sliders import QDoubleSlider

from app.core.codecs import QUALITY_DECIMALS

__all__ = ["QualitySlider"]

_STEP_KEYS = {
    Qt.Key.Key_Left: -1, Qt.Key.Key_Down: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Up: 1,
}
_PAGE_KEYS = {Qt.Key.Key_PageDown: -1, Qt.Key.Key_PageUp: 1}


class _CommitOnReleaseSlider(QDoubleSlider):
    """The inner slider: with tracking off, the value changes once per drag (on release), once per
    key press, once per wheel step; never on the press that grabs the knob."""

    decimals = QUALITY_DECIMALS
    """Values and knob positions are rounded to this many decimals (the settings' own grid)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self._pressing = False
        super().__init__(parent)

    # superqt's hook for every value and position it stores (float(value) in QDoubleSlider).
    def _type_cast(self, value: float) -> float:
        return round(float(value), self.decimals)

    def _handle_rect(self) -> QRect:
        return self.style().subControlRect(QStyle.ComplexControl.CC_Slider, self._styleOption,
                                           QStyle.SubControl.SC_SliderHandle, self)

    def _knob_off_value(self) -> bool:
        """The knob sits somewhere else than the committed value (during or after a drag)."""
        return float(self.sliderPosition()) != float(self.value())

    def mousePressEvent(self, ev: QMouseEvent) -> None:
        point = ev.position().toPoint()
        grabbed_knob = self._handle_rect().contains(point)
        self._pressing = True
        try:
            super().mousePressEvent(ev)
        finally:
            self._pressing = False
        if grabbed_knob and self._knob_off_value():
            # Grabbing the knob must not move it (as in QSlider): superqt re-derives its position
            # from the pixel pressed, which a plain click would then commit as a new value.
            self._setPosition(self._value)
            self._setClickOffset(point)
            self.update()

    def triggerAction(self, action: QAbstractSlider.SliderAction) -> None:
        if self._pressing and not self.hasTracking():
            self.update()  # the knob moves now; the value follows on release
            return
        super().triggerAction(action)

    def setSliderDown(self, down: bool) -> None:
        super().setSliderDown(down)
        if not down and self._knob_off_value():
            self.setValue(self.sliderPosition())  # what QAbstractSlider does on release, on superqt's model

    def keyPressEvent(self, ev: QKeyEvent) -> None:
        key = Qt.Key(ev.key())
        sign = -1 if self.invertedControls() else 1
        if key in _STEP_KEYS:
            target = self._value + sign * _STEP_KEYS[key] * self._singleStep
        elif key in _PAGE_KEYS:
            target = self._value + sign * _PAGE_KEYS[key] * self._pageStep
        elif key == Qt.Key.Key_Home:
            target = self._minimum
        elif key == Qt.Key.Key_End:
            target = self._maximum
        else:
            super().keyPressEvent(ev)
            return
        ev.accept()
        self.setValue(target)  # bounded and snapped; emits valueChanged once if it changed


class QualitySlider(QLabeledDoubleSlider):
    """A horizontal slider with an editable value label; the module docstring says what it fixes
    in superqt. With ``setTracking(False)`` (how the side panel uses it) ``valueChanged`` comes
    once per user change: at the release of a drag, per key press, or when the label is edited. The
    label follows the knob while it is dragged, so it always shows what the release will encode."""

    _slider_class = _CommitOnReleaseSlider
    _slider: _CommitOnReleaseSlider

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setDecimals(QUALITY_DECIMALS)
        # One tab stop, the inner slider (the one with a working keyboard): this outer widget
        # forwards focus (and its label's buddy shortcut) there.
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFocusProxy(self._slider)
        self._slider.sliderMoved.connect(self._label.setValue)

    def setDecimals(self, prec: int) -> None:
        """Decimals of the label and of the values themselves (one grid for both)."""
        super().setDecimals(prec)
        self._slider.decimals = prec
