"""Live charts of the dashboards, on pyqtgraph.

Why pyqtgraph: it is made for plots that change several times a second (a curve's ``setData`` with a
numpy array redraws without rebuilding the scene), it is small (pure Python over numpy and Qt
Essentials, where QtCharts would need PySide6's Addons, hundreds of MB more), and it is MIT-licensed.
QtCharts is deprecated since Qt 6.10 and, like QtGraphs, GPL or commercial only — not shippable in
the console's installers.

pyqtgraph is imported by this module only: views import it when a chart is first needed (the
window's cold start does not pay for it), and told which Qt binding to use before it looks.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6.QtCore import QRect, Qt  # noqa: E402
from PySide6.QtGui import QColor, QPainter, QPalette  # noqa: E402
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget  # noqa: E402

from ..style import Tone, tone  # noqa: E402

# Smooth lines for the curves only: antialiasing everything (axes, grid, text) triples the cost of
# painting a chart (measured: nine charts at 1920x1080 take 35 ms to paint with it, 15 ms without).
pg.setConfigOptions(antialias=False, useNumba=False)

# Series take the meanings' colours in this order (a chart has at most a few lines; more BEs cycle).
SERIES_TONES: tuple[Tone, ...] = ("info", "ok", "error", "accent", "warning", "muted")


@dataclass(frozen=True)
class Line:
    """One line of a chart: its label and points (epoch seconds, values); a missing point is a gap."""

    label: str
    times: Sequence[float]
    values: Sequence[float]


def _draw_axis(axis: pg.AxisItem, p: QPainter, axis_spec: Any, tick_specs: Any, text_specs: Any) -> None:
    """An axis drawn as pyqtgraph draws it (its line, its ticks and grid lines, its labels), except
    that the grid lines (translucent, one pixel wide, across the whole plot) are filled as one-pixel
    rectangles: the same pixels (a cosmetic one-pixel line covers the pixels from floor to floor of
    its ends) for a tenth of the cost. Qt's raster engine blends a translucent line pixel by pixel:
    these lines were half the cost of painting a chart."""
    p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    pen, p1, p2 = axis_spec
    p.setPen(pen)
    p.drawLine(p1, p2)
    for pen, p1, p2 in tick_specs:
        straight = p1.x() == p2.x() or p1.y() == p2.y()
        if (
            straight and pen.isCosmetic() and pen.widthF() <= 1 and pen.style() == Qt.PenStyle.SolidLine
            and pen.capStyle() == Qt.PenCapStyle.SquareCap
        ):  # fmt: skip
            x1, x2 = sorted((math.floor(p1.x()), math.floor(p2.x())))
            y1, y2 = sorted((math.floor(p1.y()), math.floor(p2.y())))
            p.fillRect(QRect(x1, y1, x2 - x1 + 1, y2 - y1 + 1), pen.color())
        else:
            p.setPen(pen)
            p.drawLine(p1, p2)
    if axis.style["tickFont"] is not None:
        p.setFont(axis.style["tickFont"])
    p.setPen(axis.textPen())
    p.setClipRect(axis.boundingRect().toAlignedRect())
    for rect, flags, text in text_specs:
        p.drawText(rect, int(flags), text)


class TimeAxis(pg.DateAxisItem):
    def drawPicture(self, p: QPainter, axis_spec: Any, tick_specs: Any, text_specs: Any) -> None:
        _draw_axis(self, p, axis_spec, tick_specs, text_specs)


class ValueAxis(pg.AxisItem):
    def drawPicture(self, p: QPainter, axis_spec: Any, tick_specs: Any, text_specs: Any) -> None:
        _draw_axis(self, p, axis_spec, tick_specs, text_specs)


def with_gaps(times: Sequence[float], values: Sequence[float], step: float) -> tuple[np.ndarray, np.ndarray]:
    """Arrays for a curve that breaks where readings are missing (more than 1.5 steps apart)."""
    t = np.asarray(times, dtype=float)
    v = np.asarray(values, dtype=float)
    if len(t) < 2:
        return t, v
    breaks = np.nonzero(np.diff(t) > step * 1.5)[0]
    if len(breaks) == 0:
        return t, v
    t = np.insert(t, breaks + 1, t[breaks] + step)
    v = np.insert(v, breaks + 1, math.nan)
    return t, v


class Chart(QWidget):
    """A titled time chart of a few lines, with a legend, following the palette."""

    def __init__(
        self, title: str, unit: str = "", parent: QWidget | None = None, line_width: float = 1.0
    ) -> None:
        super().__init__(parent)
        self.setObjectName("chart")
        self.title = title
        self.unit = unit
        # One pixel by default: Qt's raster engine draws an antialiased cosmetic line of one pixel
        # along a fast path, and anything wider through its general stroker, ten times slower once
        # the plot's scale is applied (measured: 0.13 ms against 1.5 ms for a ragged line of 180
        # points). With a dashboard's seventeen lines, that was half of each reading's repaint.
        # Wider lines are for large charts seen from afar (wall mode), which are few.
        self.line_width = line_width
        self.caption = QLabel(title + (f" ({unit})" if unit else ""), self)
        self.caption.setObjectName("chartTitle")
        self.plot = pg.PlotWidget(
            parent=self,
            axisItems={"bottom": TimeAxis(orientation="bottom"), "left": ValueAxis(orientation="left")},
        )
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        for name in ("left", "bottom"):
            # Grid lines at the labelled ticks and one level below, not the finest: each level is
            # a set of lines across the whole plot to paint.
            self.plot.getAxis(name).setStyle(maxTickLevel=1)
        # Every figure charted is a count, a rate or a share: nothing below zero to show.
        self.plot.getViewBox().setLimits(yMin=0)
        self.legend = self.plot.addLegend(offset=(4, 4), labelTextSize="8pt")
        self.curves: dict[str, pg.PlotDataItem] = {}
        self._lone: dict[str, bool] = {}  # lines drawn as a dot (one point so far)
        self.points = 0  # points drawn by the last update (tests and benchmarks look)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.caption)
        lay.addWidget(self.plot, 1)
        self.setMinimumHeight(150)
        self.palette_changed()

    def set_lines(self, lines: Sequence[Line], since: float, until: float, step: float) -> None:
        """Show these lines over [since, until] (the x range scrolls with time even without points)."""
        wanted = {line.label for line in lines}
        for label in [k for k in self.curves if k not in wanted]:
            curve = self.curves.pop(label)
            self._lone.pop(label, None)
            self.legend.removeItem(curve)
            self.plot.removeItem(curve)
        points = 0
        top = 0.0
        for i, line in enumerate(lines):
            t, v = with_gaps(line.times, line.values, step)
            curve = self.curves.get(line.label)
            colour = tone(SERIES_TONES[i % len(SERIES_TONES)], self.palette())
            if curve is None:
                pen = pg.mkPen(colour, width=self.line_width)
                curve = self.plot.plot(name=line.label, connect="finite", pen=pen, antialias=True)
                # Drawn as separate segments rather than one path: Qt strokes a path wider than a
                # pixel with antialiasing at ten to twenty milliseconds for a ragged line of 180
                # points (measured), segments at a quarter of that. The joins differ by a shade at
                # their antialiased edges, no more. (A one-pixel line costs the same either way.)
                curve.curve.setSegmentedLineMode("on")
                self.curves[line.label] = curve
            finite = v[np.isfinite(v)] if len(v) else v
            # A lone reading is no line: it shows as a dot until the next one joins it.
            lone = len(finite) == 1
            if lone != self._lone.get(line.label, False):
                self._lone[line.label] = lone
                curve.setSymbol("o" if lone else None)
                curve.setSymbolBrush(colour)
                curve.setSymbolPen(None)
                curve.setSymbolSize(5)
            curve.setData(t, v, connect="finite")
            if len(finite):
                top = max(top, float(finite.max()))
            points += len(line.times)
        self.points = points
        # From zero up: a y axis fitted to the data alone turns 5.1 % against 5.2 % into a cliff.
        # One call for both axes: each range change re-lays the axes out.
        self.plot.setRange(xRange=(since, until), yRange=(0, top * 1.15 if top > 0 else 1.0), padding=0)

    def palette_changed(self) -> None:
        pal = self.palette()
        self.plot.setBackground(pal.color(QPalette.ColorRole.Base))
        text = pal.color(QPalette.ColorRole.Text)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen(pg.mkPen(QColor(text), width=1))
            axis.setTextPen(pg.mkPen(QColor(text)))
        self.legend.setLabelTextColor(text)
        for i, curve in enumerate(self.curves.values()):
            curve.setPen(pg.mkPen(tone(SERIES_TONES[i % len(SERIES_TONES)], pal), width=self.line_width))
