"""A message too long for the status bar ends with an ellipsis left of the bar's permanent widgets,
and is whole in the bar's tooltip; a short one is shown as it is."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QMainWindow, QSizeGrip

from gui.ui.status import show_status


def test_a_long_message_is_cut_with_an_ellipsis_and_whole_in_the_tooltip(qtbot: Any, screenshot: Any) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    window.resize(700, 200)
    bar = window.statusBar()
    bar.addPermanentWidget(QLabel("Dashboard: Sandbox StarRocks (StarRocks cluster)"))
    window.show()
    qtbot.waitExposed(window)
    permanent = bar.findChildren(QLabel)[0]
    grip = bar.findChild(QSizeGrip)
    qtbot.waitUntil(lambda: 0 < permanent.x() < grip.x())  # the bar laid out, as in a window in use

    text = "Refreshing the cluster failed: " + "the FE answered 503 Service Unavailable, " * 4 + "try again"
    show_status(bar, text, 10_000)
    shown = bar.currentMessage()
    assert shown != text and shown.endswith("…") and text.startswith(shown[:-1])
    assert bar.fontMetrics().horizontalAdvance(shown) < permanent.x()  # left of what is always there
    assert bar.toolTip() == text

    def inked() -> int:
        """Dark pixels of the message's area (what is drawn of it)."""
        image = bar.grab().toImage()
        width, height = permanent.x(), image.height()
        return sum(image.pixelColor(x, y).lightness() < 100 for x in range(width) for y in range(height))

    qtbot.waitUntil(lambda: inked() > 0)
    screenshot(window, "status-bar-long-message")

    show_status(bar, "Charts written to /tmp/c.png", 10_000)
    assert bar.currentMessage() == "Charts written to /tmp/c.png" and bar.toolTip() == ""
