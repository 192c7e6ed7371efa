"""Wall mode: the fleet on a wall screen — full screen, large type, one cluster at a time cycling
every few seconds (its card and its QPS and latency charts), "Updated HH:MM:SS" always in sight.
Escape (or a click on Close) leaves it."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ..services.dashboard import txn_limit
from ..services.monitoring import ClusterState
from .monitoring import MonitoringFeed
from .notifications import clock
from .style import set_tone
from .views.fleet import spark
from .widgets.cluster_card import ClusterCard

CYCLE_MS = 15_000
SCALE = 2.0
# (title, unit, history figure, legend): what a wall shows of each cluster besides its card.
WALL_CHARTS: tuple[tuple[str, str, str, str], ...] = (
    ("Queries per second", "", "qps", "QPS"),
    ("Query latency p99", "ms", "query_p99_ms", "p99"),
    ("Load rows", "per second", "load_rows_per_s", "rows/s"),
)


class WallWindow(QWidget):
    def __init__(self, feed: MonitoringFeed, start: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("wallWindow")
        self.setWindowTitle("StarRocks Console — wall")
        self.feed = feed
        self.names: list[str] = []
        self.index = 0
        self.start = start
        self.card: ClusterCard | None = None
        self.position = QLabel("", self)
        self.updated = QLabel("Updated –", self)
        self.updated.setObjectName("wallUpdated")
        set_tone(self.updated, "muted")
        close = QPushButton("Close (Esc)", self)
        close.clicked.connect(self.close)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * SCALE)
        for w in (self.position, self.updated):
            w.setFont(font)
        # Wide enough for any time: the clock ticking never moves the line.
        self.updated.setMinimumWidth(QFontMetrics(font).horizontalAdvance("Updated 00:00:00 "))
        top = QHBoxLayout()
        top.addWidget(self.position, 1)
        top.addWidget(self.updated)
        top.addWidget(close)
        self.body = QVBoxLayout()
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(self.body, 1)
        self.charts: list[object] = []
        self.timer = QTimer(self)
        self.timer.setInterval(CYCLE_MS)
        self.timer.timeout.connect(self.next)
        feed.reading.connect(self._reading)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.names = sorted(self.feed.watched(), key=str.casefold)
        if self.start in self.names:
            self.index = self.names.index(self.start)
        self.show_cluster()
        self.timer.start()

    def _align_captions(self) -> None:
        """Every caption as tall as the tallest: a caption that wraps on a narrow screen would
        otherwise set its chart's plot lower than its neighbours'."""
        from .widgets.charts import Chart

        charts = [c for c in self.charts if isinstance(c, Chart)]
        if not charts or any(c.caption.width() <= 1 for c in charts):
            return  # not laid out yet: a caption's first resize comes back here
        # A label's height for a width counts its minimum height in: measured without it.
        for chart in charts:
            chart.caption.setMinimumHeight(0)
        tallest = max(c.caption.heightForWidth(c.caption.width()) for c in charts)
        for chart in charts:
            chart.caption.setMinimumHeight(tallest)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._align_captions()  # a caption's width changed: it may wrap otherwise
        return False

    def closeEvent(self, event: object) -> None:
        self.timer.stop()
        self.feed.reading.disconnect(self._reading)
        super().closeEvent(event)  # type: ignore[arg-type]

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close()
        elif event.key() in (Qt.Key.Key_Right, Qt.Key.Key_Space):
            self.next()
        else:
            super().keyPressEvent(event)

    @property
    def current(self) -> str:
        return self.names[self.index] if self.names else ""

    def next(self) -> None:
        self.names = sorted(self.feed.watched(), key=str.casefold)
        if self.names:
            self.index = (self.index + 1) % len(self.names)
        self.show_cluster()

    def show_cluster(self) -> None:
        name = self.current
        if self.card is None or self.card.name != name:
            if self.card is not None:
                self.body.removeWidget(self.card)
                self.card.deleteLater()
            self.card = ClusterCard(name or "No cluster", self, scale=SCALE)
            self.body.insertWidget(0, self.card)
            self._charts()
            # A widget added to a shown window appears only after a queued call; shown now, the
            # first frame (and a screenshot) already has it.
            self.card.show()
        self.position.setText(
            f"{name} — {self.index + 1} of {len(self.names)}" if name else "No cluster watched"
        )
        state = self.feed.state(name) if name else None
        if state is not None:
            self._show(name, state)

    def _charts(self) -> None:
        from .widgets.charts import Chart

        if self.charts:
            return
        row = QHBoxLayout()
        for title, unit, _figure, _label in WALL_CHARTS:
            chart = Chart(title, unit, self, line_width=2.0)  # read from across the room
            font = chart.caption.font()
            # The axes' figures larger too, though less than the captions: they are many.
            ticks = QFont(font)
            ticks.setPointSizeF(font.pointSizeF() * SCALE * 0.75)
            chart.setFont(ticks)
            font.setPointSizeF(font.pointSizeF() * SCALE)
            chart.caption.setFont(font)
            # Large captions wrap rather than widen their chart: the three share the width equally
            # whatever their titles, down to a narrow screen.
            chart.caption.setWordWrap(True)
            chart.caption.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
            chart.caption.installEventFilter(self)
            row.addWidget(chart, 1)
            chart.show()
            self.charts.append(chart)
        self.body.addLayout(row, 1)

    def _reading(self, name: str, state: ClusterState) -> None:
        if name == self.current and self.isVisible():
            self._show(name, state)

    def _show(self, name: str, state: ClusterState) -> None:
        from .widgets.charts import Chart, Line

        assert self.card is not None
        self.card.show_state(state, spark(self.feed, name, "qps"), spark(self.feed, name, "query_p99_ms"),
                             txn_limit(self.feed.monitoring, name))  # fmt: skip
        mon = self.feed.monitoring.monitor(name)
        now = time.time()
        for chart, (_title, _unit, figure, label) in zip(self.charts, WALL_CHARTS, strict=True):
            assert isinstance(chart, Chart)
            times, values = mon.history.series(figure, 900, now) if mon and mon.history else ([], [])
            chart.show_lines([Line(label, times, values)], now - 900, now, 5)
        self.updated.setText(f"Updated {clock(state.read_at or state.sample.taken_at)}")
