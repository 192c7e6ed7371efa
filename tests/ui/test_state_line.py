"""The state line under a view's heading: a new time at each refresh repaints the line alone (it is
opaque, in the colour of what it lies on, in either theme), not what is beneath it. Here it lies on
a tab's page, whose pane the style paints in a shade no widget's palette gives."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPoint
from PySide6.QtGui import QColor, QPaintEvent
from PySide6.QtWidgets import QTabWidget, QWidget
from qt_helpers import in_theme

from gui.ui.widgets.state_line import StateLine


class Tabs(QTabWidget):
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
    tabs = Tabs()
    qtbot.addWidget(tabs)
    tabs.resize(520, 120)
    page = QWidget()
    tabs.addTab(page, "Pipes")
    line = StateLine(page)
    line.setGeometry(10, 10, 300, 24)
    seen = Paints()
    line.installEventFilter(seen)
    tabs.show()
    qtbot.waitExposed(tabs)
    line.ok(1_790_000_000.0)
    qtbot.waitUntil(lambda: seen.count > 0 and line.autoFillBackground())
    before, shown = tabs.paints, seen.count

    line.ok(1_790_000_005.0)  # the next refresh: another time
    qtbot.waitUntil(lambda: seen.count > shown)  # the line repainted...
    QCoreApplication.sendPostedEvents(tabs, QEvent.Type.UpdateRequest)
    assert tabs.paints == before  # ...and not the tab widget beneath it

    def colours() -> tuple[QColor, QColor]:
        """The pane right of the line, and the line's own right end, as the window shows them."""
        image = tabs.grab().toImage()
        beside = page.mapTo(tabs, QPoint(line.geometry().right() + 20, line.geometry().center().y()))
        end = line.mapTo(tabs, QPoint(line.width() - 2, line.height() // 2))
        return image.pixelColor(beside), image.pixelColor(end)

    for theme in ("light", "dark"):
        with in_theme(theme):
            qtbot.waitUntil(
                lambda dark=(theme == "dark"): (
                    line.autoFillBackground()
                    and (colours()[0].lightness() < 128) == dark
                    and colours()[0] == colours()[1]
                )
            )
            screenshot(tabs, f"state-line-{theme}")
