"""The dashboards' charts: painted into images on a thread of their own, with each figure where it
belongs (gaps kept, a lone reading a dot, round ticks), put up on the window's thread newest first,
repainted at a new size, and the charts scrolled out of sight painted when scrolled into view."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage
from qt_helpers import wait_for

from gui.services.monitoring import History
from gui.ui.style import blend
from gui.ui.views.dashboard.charts import ChartsPanel
from gui.ui.widgets.charts import (
    Chart,
    Frame,
    Line,
    Look,
    render,
    time_label,
    time_ticks,
    utc_offset,
    value_label,
    value_step,
)

NOW = 1_790_000_000.0


@pytest.fixture
def look(qapp: Any) -> Look:
    """White, dark text, blue and red lines, in the application's font (made once it exists)."""
    return Look(
        QColor("#ffffff"),
        QColor("#202020"),
        (QColor("#1565c0"), QColor("#c62828")),
        QFont().toString(),
        1.0,
        1.0,
    )


def near(image: QImage, x: float, y: float, colour: QColor, reach: int = 1) -> bool:
    """Whether a pixel within ``reach`` of (x, y) is close to ``colour`` (curves are antialiased)."""
    for dx in range(-reach, reach + 1):
        for dy in range(-reach, reach + 1):
            px = image.pixelColor(round(x) + dx, round(y) + dy)
            if max(abs(px.red() - colour.red()), abs(px.green() - colour.green()),
                   abs(px.blue() - colour.blue())) <= 60:  # fmt: skip
                return True
    return False


def test_each_figure_is_painted_where_it_belongs_and_a_gap_stays_a_gap(look: Look) -> None:
    times = [NOW - 900 + 5 * i for i in range(181) if not 80 <= i < 100]  # 100 s missing
    frame = Frame(
        (Line("p50", times, [40.0] * len(times)), Line("p99", times, [80.0] * len(times))), NOW - 900, NOW, 5
    )
    image, scale = render(frame, QSize(600, 260), look)
    assert image.size() == QSize(600, 260)
    # From zero up, the top a round tick above the highest figure.
    assert scale.value_ticks[0] == 0 and scale.top >= 88 and scale.top in scale.value_ticks
    blue, red = look.series
    for t in (NOW - 800, NOW - 200, NOW - 10):
        assert near(image, scale.x(t), scale.y(40), blue), t
        assert near(image, scale.x(t), scale.y(80), red), t
        assert not near(image, scale.x(t), scale.y(60), blue, reach=3)
    middle = NOW - 900 + 5 * 90
    assert not near(image, scale.x(middle), scale.y(40), blue, reach=2)  # the gap
    assert not near(image, scale.x(middle), scale.y(80), red, reach=2)
    # The background, and the grid a shade between it and the text.
    corner = image.pixelColor(int(scale.plot.right()) - 3, int(scale.y(scale.value_ticks[1])) + 5)
    assert corner == look.base
    grid = image.pixelColor(int(scale.plot.right()) - 3, math.floor(scale.y(scale.value_ticks[1])))
    assert grid.rgb() == blend(look.base, look.text, 0.15).rgb()


def test_a_lone_reading_is_a_dot_and_no_reading_says_so(look: Look) -> None:
    lone = Frame((Line("rows/s", [NOW - 5], [12.0]),), NOW - 300, NOW, 5)
    image, scale = render(lone, QSize(320, 150), look)
    assert near(image, scale.x(NOW - 5), scale.y(12.0), look.series[0], reach=0)
    empty = Frame((Line("rows/s", [], []),), NOW - 300, NOW, 5)
    image, scale = render(empty, QSize(320, 150), look)
    assert scale.top == 1.0  # an axis from 0 to 1, not a collapsed one
    centre = scale.plot.center()
    assert any(image.pixelColor(int(centre.x()) + dx, int(centre.y())) != look.base for dx in range(-40, 40))


@pytest.mark.parametrize(
    ("value", "step", "text"),
    [(0, 0.25, "0"), (0.75, 0.25, "0.75"), (0.5, 0.1, "0.5"), (20, 5, "20"), (1500, 500, "1.5k"),
     (2000, 500, "2k"), (1250, 50, "1250"), (3e6, 1e6, "3M"), (7.5e9, 2.5e9, "7.5G")],
)  # fmt: skip
def test_tick_labels_are_short_and_exact(value: float, step: float, text: str) -> None:
    assert value_label(value, step) == text


def test_ticks_fall_on_round_figures_and_round_local_times(qapp: Any) -> None:
    assert [value_step(top, 5) for top in (1.0, 88.0, 950.0, 4.4e6)] == [0.2, 20.0, 200.0, 1e6]
    fm = QFontMetricsF(QFont())
    for span, width in ((300, 300), (900, 600), (3600, 600), (86400, 900)):
        step, ticks = time_ticks(NOW - span, NOW, width, fm)
        assert ticks and all((t + utc_offset(t)) % step == 0 for t in ticks), (span, step)
        assert all(NOW - span <= t <= NOW for t in ticks)
        room = width / len(ticks)  # labels never crowd each other
        assert room >= fm.horizontalAdvance(time_label(ticks[0], step)) * 1.5, (span, step)
    midnight = time.mktime(time.strptime("2026-12-06", "%Y-%m-%d"))
    assert time_label(midnight, 3 * 3600) == "Dec 06" and time_label(midnight + 3600, 3600) == "01:00"


@pytest.mark.asyncio
async def test_charts_are_painted_off_the_window_thread_and_the_newest_figures_win(qapp: Any) -> None:
    panel = ChartsPanel()
    panel.resize(1000, 700)
    panel.show()
    panel.build()
    await wait_for(lambda: panel.in_sight("qps") and panel.charts["qps"].canvas_size().width() > 100, 5)
    history = History()
    now = float(int(time.time()) // 5 * 5)
    for t in range(int(now - 600), int(now), 5):
        history.add(t, {"qps": 10.0})
    panel.draw(history, {}, until=now)
    qps = panel.charts["qps"]
    assert panel.drawing and qps.points == 0  # handed over, not painted on this thread
    history.add(now, {"qps": 30.0})
    panel.draw(history, {}, until=now + 1)  # a newer reading before the first paint is back
    await wait_for(lambda: not panel.drawing, 10)
    assert qps.painted is not None and qps.painted.by.startswith("chart-paint")
    assert qps.points == 121 and qps.painted.frame.until == now + 1
    assert panel.rendered_at == now + 1 and not {k for k in panel.stale if panel.in_sight(k)}
    newest = qps.painted
    older = Frame(newest.frame.lines[:0], 0, 1, 5, newest.frame.generation - 1)
    assert not qps.show_painted(type(newest)(older, newest.image, newest.scale))  # never put up
    assert qps.painted is newest
    panel.close()


@pytest.mark.asyncio
async def test_a_resized_chart_is_painted_again_at_its_new_size(qapp: Any, screenshot: Any) -> None:
    chart = Chart("Query latency", "ms")
    chart.resize(420, 220)
    chart.show()
    await wait_for(lambda: not chart.canvas_size().isEmpty(), 5)
    times = [NOW - 900 + 5 * i for i in range(181)]
    chart.show_lines([Line("p50", times, [40.0] * 181), Line("p99", times, [90.0] * 181)], NOW - 900, NOW, 5)
    await wait_for(lambda: chart.painted is not None and not chart.painting, 10)
    assert chart.painted is not None and chart.points == 362
    chart.resize(700, 300)
    dpr = chart.devicePixelRatioF()
    await wait_for(
        lambda: chart.painted is not None and chart.painted.image.size() == chart.canvas_size() * dpr
        and not chart.painting, 10,
    )  # fmt: skip
    screenshot(chart, "chart-resized")
    chart.close()


@pytest.mark.asyncio
async def test_charts_out_of_sight_are_drawn_when_scrolled_into_view_with_the_newest_points(
    qapp: Any, screenshot: Any
) -> None:
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
    assert loads.painted is not None
    [line] = loads.painted.frame.lines
    assert line.times[-1] == now + 10 and line.values[-1] == 6.0
    assert loads.painted.scale.until == now + 10  # the x range too
    screenshot(panel, "charts-scrolled")
    panel.close()


@pytest.mark.asyncio
async def test_a_new_theme_paints_the_charts_again_in_its_colours(qapp: Any, screenshot: Any) -> None:
    from PySide6.QtGui import QPalette
    from qt_helpers import in_theme

    chart = Chart("Queries per second")
    chart.resize(420, 220)
    chart.show()
    await wait_for(lambda: not chart.canvas_size().isEmpty(), 5)
    times = [NOW - 300 + 5 * i for i in range(61)]
    chart.show_lines([Line("QPS", times, [3.0] * 61)], NOW - 300, NOW, 5)

    def corner() -> QColor:
        assert chart.painted is not None
        return chart.painted.image.pixelColor(chart.painted.image.width() - 2, 1)

    await wait_for(lambda: chart.painted is not None and not chart.painting, 10)
    light = chart.palette().color(QPalette.ColorRole.Base)
    assert corner() == light
    with in_theme("dark"):
        # The palette reaches the chart through posted events; the chart is painted again then.
        await wait_for(lambda: chart.palette().color(QPalette.ColorRole.Base) != light, 5)
        dark = chart.palette().color(QPalette.ColorRole.Base)
        await wait_for(lambda: not chart.painting and corner() == dark, 10)
        assert chart.points == 61  # the same figures
        screenshot(chart, "chart-dark")
    chart.close()
