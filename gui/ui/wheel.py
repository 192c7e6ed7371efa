"""The mouse wheel scrolls forms; it changes a combo box or spin box only once the user has focused it.

Qt gives wheel events to whatever is under the pointer, so scrolling a long form over a Format combo box
turned CSV into JSON. Such inputs here take focus only by click or Tab, and a wheel over one that has
no focus scrolls the surrounding area instead.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QApplication, QComboBox, QWidget

_GUARDED = (QComboBox, QAbstractSpinBox)


class WheelGuard(QObject):
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Polish and isinstance(obj, _GUARDED):
            obj.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        elif kind == QEvent.Type.Wheel and isinstance(obj, _GUARDED) and not obj.hasFocus():
            area = _scroll_area(obj)
            if area is not None:
                QCoreApplication.sendEvent(area.viewport(), event)
            return True
        return False


def _scroll_area(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


def install_wheel_guard(app: QApplication) -> None:
    """Once per application."""
    if app.property("scWheelGuard"):
        return
    guard = WheelGuard(app)
    app.installEventFilter(guard)
    app.setProperty("scWheelGuard", True)
