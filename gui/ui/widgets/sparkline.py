"""Small painted figures of the fleet's cards: a state light and a sparkline. Painted with QPainter
rather than charted: twenty cards refresh every few seconds, and a line of 180 points costs less to
paint than a chart costs to build."""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QPointF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...services.dashboard import Light
from ..style import Tone, tone

LIGHT_TONES: dict[str, Tone] = {"green": "ok", "amber": "warning", "red": "error", "grey": "muted"}


class StateLight(QWidget):
    """A round light: green, amber, red, or grey (not read yet)."""

    def __init__(self, parent: QWidget | None = None, size: int = 14) -> None:
        super().__init__(parent)
        self.colour: Light = "grey"
        self._size = size
        self.setFixedSize(size, size)

    def set_light(self, colour: Light) -> None:
        if colour != self.colour:
            self.colour = colour
            self.update()

    def set_diameter(self, size: int) -> None:
        self._size = size
        self.setFixedSize(size, size)

    def sizeHint(self) -> QSize:
        return QSize(self._size, self._size)

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = tone(LIGHT_TONES[self.colour], self.palette())
        p.setPen(QPen(colour.darker(130), 1))
        p.setBrush(colour)
        p.drawEllipse(1, 1, self.width() - 2, self.height() - 2)
        p.end()


class Sparkline(QWidget):
    """A line of the last points of a figure, scaled to its own range; gaps stay gaps."""

    def __init__(self, parent: QWidget | None = None, meaning: Tone = "info") -> None:
        super().__init__(parent)
        self.meaning: Tone = meaning
        self.values: list[float] = []
        self._runs: tuple[tuple[int, int], list[QPolygonF]] | None = None
        self.setMinimumSize(60, 22)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(120, 24)

    def set_values(self, values: Sequence[float]) -> None:
        values = list(values)
        if values == self.values:
            return  # nothing to repaint
        self.values = values
        self._runs = None
        self.update()

    def _polylines(self) -> list[QPolygonF]:
        """The line's runs between gaps, in pixels: built once per change of values or size (a paint
        that built them point by point cost a millisecond a card, twice per reading)."""
        size = (self.width(), self.height())
        if self._runs is not None and self._runs[0] == size:
            return self._runs[1]
        runs: list[QPolygonF] = []
        finite = [v for v in self.values if not math.isnan(v)]
        if len(finite) >= 2:
            lo, hi = min(finite), max(finite)
            span = hi - lo or 1.0
            w, h = size[0] - 2, size[1] - 3
            step = w / max(1, len(self.values) - 1)
            run: list[QPointF] = []
            for i, v in enumerate(self.values):
                if math.isnan(v):
                    if len(run) > 1:
                        runs.append(QPolygonF(run))
                    run = []
                    continue
                run.append(QPointF(1 + step * i, 1.5 + h - (v - lo) * h / span))
            if len(run) > 1:
                runs.append(QPolygonF(run))
        self._runs = (size, runs)
        return runs

    def paintEvent(self, _event: QPaintEvent) -> None:
        runs = self._polylines()
        if not runs:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        # One pixel: the raster engine's fast path for an antialiased line. A wider pen goes through
        # its general stroker, ten times slower: 40 sparklines repainted at once (the fleet laid
        # out again) took 80 ms with 1.4 px.
        pen = QPen(tone(self.meaning, self.palette()), 1.0, Qt.PenStyle.SolidLine)
        pen.setCosmetic(True)
        p.setPen(pen)
        for run in runs:
            p.drawPolyline(run)
        p.end()
