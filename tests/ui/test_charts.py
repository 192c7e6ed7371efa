"""The dashboard's charts: the axes are painted pixel for pixel as pyqtgraph paints them (their grid
lines filled rather than stroked), and the charts scrolled out of sight are drawn when scrolled into
view, with the newest points."""

from __future__ import annotations

import random
import time
from typing import Any

import pyqtgraph as pg
import pytest
from PySide6.QtGui import QImage, QPainter

from gui.services.monitoring import History
from gui.ui.views.dashboard.charts import ChartsPanel
from gui.ui.widgets.charts import Chart, Line


def ragged(n: int, seed: int, gap_at: int | None = None) -> tuple[list[float], list[float]]:
    now = 1_790_000_000.0
    rng = random.Random(seed)
    times = [now - 5 * (n - i) for i in range(n) if i != gap_at]
    return times, [50 + 30 * rng.random() for _ in times]


def paint(axis: Any, draw: Any, size: tuple[int, int]) -> QImage:
    """The axis drawn by ``draw`` where the scene would draw it in the chart's view."""
    image = QImage(*size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0xFFFFFFFF)
    view = axis.scene().views()[0]
    p = QPainter(image)
    p.setTransform(axis.deviceTransform(view.viewportTransform()))
    specs = axis.generateDrawSpecs(p)
    draw(p, *specs)
    p.end()
    return image


@pytest.mark.parametrize("size", [(620, 280), (433, 197), (1800, 900)])
def test_the_axes_and_their_grid_paint_the_same_pixels_as_pyqtgraph(qapp: Any, size: tuple[int, int]) -> None:
    chart = Chart("Query latency", "ms")
    chart.resize(*size)
    chart.show()
    times, values = ragged(180, 1, gap_at=90)
    _, more = ragged(180, 2, gap_at=90)
    chart.set_lines([Line("p50", times, values), Line("p99", times, more)], times[0] - 7, times[-1], 5)
    qapp.processEvents()
    for name in ("left", "bottom"):
        axis = chart.plot.getAxis(name)
        ours = paint(axis, axis.drawPicture, chart.plot.viewport().size().toTuple())
        size = chart.plot.viewport().size().toTuple()
        theirs = paint(axis, lambda p, *specs, a=axis: pg.AxisItem.drawPicture(a, p, *specs), size)
        assert ours == theirs, name
    chart.close()


@pytest.mark.asyncio
async def test_charts_out_of_sight_are_drawn_when_scrolled_into_view_with_the_newest_points(
    qapp: Any,
) -> None:
    from qt_helpers import wait_for

    panel = ChartsPanel()
    panel.resize(1000, 160)  # three columns, the first row in sight
    panel.show()
    panel.build()
    await wait_for(lambda: panel.charts["load_rows"].y() > panel.viewport().height(), 5)
    history = History()
    now = float(int(time.time()) // 5 * 5)
    for t in range(int(now - 600), int(now), 5):
        history.add(t, {"qps": 10.0, "load_rows_per_s": 5.0})
    loads = panel.charts["load_rows"]
    assert panel.in_sight("qps") and not panel.in_sight("load_rows")
    assert not loads.visibleRegion().boundingRect().height()  # as Qt sees it too

    panel.draw(history, {}, until=now)
    await wait_for(lambda: not panel.drawing, 5)
    assert panel.charts["qps"].points == 120
    assert loads.points == 0 and "load_rows" in panel.stale  # not drawn out of sight

    # A newer reading drawn, then the row scrolled into view: drawn at once, up to that reading.
    history.add(now + 10, {"qps": 12.0, "load_rows_per_s": 6.0})
    panel.draw(history, {}, until=now + 10)
    await wait_for(lambda: not panel.drawing, 5)
    assert panel.charts["qps"].points == 121 and loads.points == 0
    panel.verticalScrollBar().setValue(loads.y())
    await wait_for(lambda: loads.points == 121, 5)
    assert "load_rows" not in panel.stale and panel.in_sight("load_rows")
    [curve] = loads.curves.values()
    xs, ys = curve.getData()
    assert xs[-1] == now + 10 and ys[-1] == 6.0
    assert loads.plot.getViewBox().viewRange()[0][1] == now + 10  # the x range too
    panel.close()
