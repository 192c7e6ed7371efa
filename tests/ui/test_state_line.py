"""The state line under a view's heading: a new time at each refresh repaints the line alone (it is
opaque, in the colour of what it lies on, in either theme), not the window beneath it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtGui import QColor, QPaintEvent, QPalette
from PySide6.QtWidgets import QWidget
from qt_helpers import in_theme

from gui.ui.widgets.state_line import StateLine


class Underneath(QWidget):
    paints = 0

    def paintEvent(self, event: QPaintEvent) -> None:
        self.paints += 1
        super().paintEvent(event)


class Paints(QObject):
    count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def test_a_new_time_repaints_the_line_alone_in_the_colour_beneath_it(qtbot: Any, screenshot: Any) -> None:
    under = Underneath()
    qtbot.addWidget(under)
    under.resize(480, 60)
    line = StateLine(under)
    line.setGeometry(10, 10, 400, 24)
    seen = Paints()
    line.installEventFilter(seen)
    under.show()
    qtbot.waitExposed(under)
    line.ok(1_790_000_000.0)
    qtbot.waitUntil(lambda: seen.count > 0)
    before, shown = under.paints, seen.count

    line.ok(1_790_000_005.0)  # the next refresh: another time
    qtbot.waitUntil(lambda: seen.count > shown)  # the line repainted...
    QCoreApplication.sendPostedEvents(under, QEvent.Type.UpdateRequest)
    assert under.paints == before  # ...and nothing beneath it
    for theme in ("light", "dark"):
        with in_theme(theme):
            # A theme reaches the widgets through posted events: the line follows the one beneath.
            def beneath() -> QColor:
                return under.palette().color(under.backgroundRole())

            qtbot.waitUntil(
                lambda dark=(theme == "dark"): (
                    (beneath().lightness() < 128) == dark
                    and line.palette().color(QPalette.ColorRole.Window) == beneath()
                )
            )
            assert line.autoFillBackground()
            assert line.grab().toImage().pixelColor(line.width() - 2, line.height() // 2) == beneath(), theme
            screenshot(under, f"state-line-{theme}")
