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

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6.QtGui import QColor, QPalette  # noqa: E402
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget  # noqa: E402

from ..style import Tone, tone  # noqa: E402

pg.setConfigOptions(antialias=True, useNumba=False)

# Series take the meanings' colours in this order (a chart has at most a few lines; more BEs cycle).
SERIES_TONES: tuple[Tone, ...] = ("info", "ok", "error", "accent", "warning", "muted")


@dataclass(frozen=True)
class Line:
    """One line of a chart: its label and points (epoch seconds, values); a missing point is a gap."""

    label: str
    times: Sequence[float]
    values: Sequence[float]


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

    def __init__(self, title: str, unit: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chart")
        self.title = title
        self.unit = unit
        self.caption = QLabel(title + (f" ({unit})" if unit else ""), self)
        self.caption.setObjectName("chartTitle")
        self.plot = pg.PlotWidget(parent=self, axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        # Every figure charted is a count, a rate or a share: nothing below zero to show.
        self.plot.getViewBox().setLimits(yMin=0)
        self.legend = self.plot.addLegend(offset=(4, 4), labelTextSize="8pt")
        self.curves: dict[str, pg.PlotDataItem] = {}
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
            self.legend.removeItem(curve)
            self.plot.removeItem(curve)
        points = 0
        for i, line in enumerate(lines):
            t, v = with_gaps(line.times, line.values, step)
            curve = self.curves.get(line.label)
            if curve is None:
                curve = self.plot.plot(name=line.label, connect="finite")
                self.curves[line.label] = curve
            curve.setPen(pg.mkPen(tone(SERIES_TONES[i % len(SERIES_TONES)], self.palette()), width=1.6))
            curve.setData(t, v, connect="finite")
            points += len(line.times)
        self.points = points
        self.plot.setXRange(since, until, padding=0)
        self.plot.enableAutoRange(axis="y")

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
            curve.setPen(pg.mkPen(tone(SERIES_TONES[i % len(SERIES_TONES)], pal), width=1.6))
