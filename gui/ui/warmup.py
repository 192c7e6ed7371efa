"""The charts' paint thread, started and warmed once the window is up: the first chart it paints
loads the fonts it draws with and lays out their glyphs (about 10 ms), which the dashboard's first
show then does not wait for."""

from __future__ import annotations

import time

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QWidget


def warm_charts(widget: QWidget) -> None:
    """On the window's thread: a small chart painted (and dropped) on the paint thread, in the
    widget's font."""
    from .widgets.charts import Chart, ChartPainter, Frame, Line, render

    now = time.time()
    frame = Frame((Line("warm", [now - 10, now - 5], [1.0, 2.0]),), now - 300, now, 5)
    look = Chart.look_of(widget)
    ChartPainter.shared().submit(widget, lambda: render(frame, QSize(320, 160), look), lambda _r: None)
