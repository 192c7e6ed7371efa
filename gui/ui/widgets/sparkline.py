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
        self.setMinimumSize(60, 22)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(120, 24)

    def set_values(self, values: Sequence[float]) -> None:
        self.values = list(values)
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        finite = [v for v in self.values if not math.isnan(v)]
        if len(finite) < 2:
            return
        lo, hi = min(finite), max(finite)
        span = hi - lo or 1.0
        w, h = self.width() - 2, self.height() - 3
        n = len(self.values)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(tone(self.meaning, self.palette()), 1.4, Qt.PenStyle.SolidLine))
        run = QPolygonF()
        for i, v in enumerate(self.values):
            if math.isnan(v):
                if run.size() > 1:
                    p.drawPolyline(run)
                run = QPolygonF()
                continue
            run.append(QPointF(1 + w * i / max(1, n - 1), 1.5 + h - (v - lo) * h / span))
        if run.size() > 1:
            p.drawPolyline(run)
        p.end()
