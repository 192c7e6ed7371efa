"""Messages in the window's status bar. Qt cuts a message too long for the bar mid-word, with no sign
that anything is missing; here it ends with an ellipsis, and the whole text is the bar's tooltip (it
is also whole where it came from: the banner, Activity or the notifications)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStatusBar, QWidget

MARGIN = 16  # the bar's own margins around its message


def show_status(bar: QStatusBar, text: str, timeout_ms: int) -> None:
    room = bar.width()
    # The message is drawn left of the permanent widgets (the connection, the failing notices).
    for child in bar.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
        if child.isVisible() and child.x() > 0:
            room = min(room, child.x())
    shown = bar.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, max(40, room - MARGIN))
    bar.setToolTip(text if shown != text else "")
    bar.showMessage(shown, timeout_ms)
