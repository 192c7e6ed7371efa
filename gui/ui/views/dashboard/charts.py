"""The dashboard's live charts: what each one plots from the cluster's history, over a time range
from five minutes to a day. The charts are built when first shown (pyqtgraph is imported then)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QRect, QTimer
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QWidget

from ....services.monitoring import History
from ....services.monitoring.history import TIERS

if TYPE_CHECKING:
    from ...widgets.charts import Chart

RANGES: tuple[tuple[str, int], ...] = (
    ("5 min", 300),
    ("15 min", 900),
    ("1 hour", 3600),
    ("6 hours", 6 * 3600),
    ("24 hours", 24 * 3600),
)
SLICE = 2  # charts redrawn per pass of the event loop


@dataclass(frozen=True)
class ChartSpec:
    key: str
    title: str
    unit: str
    series: tuple[tuple[str, str], ...] = ()  # (figure name, label)
    per_node: str = ""  # "be:" or "fe:": one line per node, for the figure ``suffix``
    suffix: str = ""


CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec("qps", "Queries per second", "", (("qps", "QPS"),)),
    ChartSpec(
        "latency", "Query latency", "ms",
        (("query_p50_ms", "p50"), ("query_p95_ms", "p95"), ("query_p99_ms", "p99")),
    ),
    ChartSpec("errors", "Failed queries", "per second", (("query_err_per_s", "failed/s"),)),
    ChartSpec("load_rows", "Load rows", "per second", (("load_rows_per_s", "rows/s"),)),
    ChartSpec("load_bytes", "Load bytes", "per second", (("load_bytes_per_s", "bytes/s"),)),
    ChartSpec(
        "txns", "Transactions", "per minute",
        (("txn_begun_per_min", "begun"), ("txn_committed_per_min", "committed"),
         ("txn_aborted_per_min", "aborted")),
    ),
    ChartSpec("be_cpu", "BE CPU", "%", per_node="be:", suffix=":cpu_pct"),
    ChartSpec("be_mem", "BE memory", "% of its limit", per_node="be:", suffix=":mem_pct"),
    ChartSpec("fe_heap", "FE JVM heap", "%", per_node="fe:", suffix=":heap_pct"),
)  # fmt: skip


def step_for(seconds: float) -> int:
    """The history tier's step a range is drawn from."""
    return next((t.step for t in TIERS if t.span >= seconds), TIERS[-1].step)


def lines_of(
    spec: ChartSpec, history: History, seconds: float, until: float, names: dict[str, str]
) -> list[Any]:
    from ...widgets.charts import Line

    if spec.per_node:
        figures = [
            (
                k,
                names.get(
                    k[len(spec.per_node) : -len(spec.suffix)], k[len(spec.per_node) : -len(spec.suffix)]
                ),
            )
            for k in history.names()
            if k.startswith(spec.per_node) and k.endswith(spec.suffix)
        ]
    else:
        figures = list(spec.series)
    out = []
    for figure, label in figures:
        times, values = history.series(figure, seconds, until)
        out.append(Line(label, times, values))
    return out


class ChartsPanel(QScrollArea):
    """A grid of charts; ``draw(history)`` redraws those in sight for the chosen range, the others
    when they are scrolled into view."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chartsPanel")
        self.setWidgetResizable(True)
        self.body = QWidget(self)
        self.grid = QGridLayout(self.body)
        self.grid.setSpacing(10)
        self.placeholder = QLabel("Charts appear with the first readings.", self.body)
        self.grid.addWidget(self.placeholder, 0, 0)
        self.setWidget(self.body)
        self.charts: dict[str, Chart] = {}
        self.seconds = 900
        self.columns = 0
        self.rendered_at: float | None = None
        # A redraw of all the charts goes a few charts per pass of the event loop, so that it is
        # never one long stall of the window (a chart costs about a millisecond to redraw).
        self._queue: list[ChartSpec] = []
        # Charts out of sight at their turn are not redrawn (nor, so, repainted): they are drawn
        # from the last ``draw``'s history when scrolled into view.
        self.stale: set[str] = set()
        self._job: tuple[History | None, dict[str, str], float, int] | None = None
        self._slicer = QTimer(self)
        self._slicer.setSingleShot(True)
        self._slicer.setInterval(0)
        self._slicer.timeout.connect(self._draw_some)
        self.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.horizontalScrollBar().valueChanged.connect(self._scrolled)

    def build(self) -> None:
        if self.charts:
            return
        from ...widgets.charts import Chart

        self.placeholder.hide()
        for spec in CHARTS:
            chart = self.charts[spec.key] = Chart(spec.title, spec.unit, self.body)
            chart.installEventFilter(self)
        self._arrange()

    def _arrange(self) -> None:
        columns = 3 if self.viewport().width() >= 900 else 2
        if columns == self.columns or not self.charts:
            return
        self.columns = columns
        for i, chart in enumerate(self.charts.values()):
            self.grid.addWidget(chart, i // columns, i % columns)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._arrange()
        self._scrolled()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # A chart moved by the layout (a resize of the window, another column count) may come into
        # sight without any scroll.
        if event.type() in (QEvent.Type.Move, QEvent.Type.Resize) and self.stale:
            self._scrolled()
        return False

    def in_sight(self, key: str) -> bool:
        """Whether the chart is (at least in part) within the scrolled view."""
        viewport = self.viewport()
        seen = QRect(-self.body.x(), -self.body.y(), viewport.width(), viewport.height())
        return self.charts[key].geometry().intersects(seen)

    def _scrolled(self, _value: int = 0) -> None:
        # Charts come into sight by a scroll, a resize or a new layout: queued behind what is left.
        queued = {spec.key for spec in self._queue}
        coming = [s for s in CHARTS if s.key in self.stale and s.key not in queued and self.in_sight(s.key)]
        if coming and self._job is not None:
            self._queue.extend(coming)
            self._slicer.start()

    def draw(self, history: History | None, names: dict[str, str], until: float | None = None) -> None:
        """Redraw every chart from the history (None: no history yet, empty charts), starting now
        and going on over the next passes of the event loop; a newer call supersedes."""
        self.build()
        until = time.time() if until is None else until
        self._job = (history, names, until, step_for(self.seconds))
        self._queue = list(CHARTS)
        self.stale = {spec.key for spec in CHARTS}
        self._draw_some()

    @property
    def drawing(self) -> bool:
        """Charts of the last ``draw`` are still to be redrawn."""
        return bool(self._queue)

    def flush(self) -> None:
        """Redraw what is still pending, now (before an export)."""
        while self._queue:
            self._draw_some()

    def _draw_some(self) -> None:
        if self._job is None:
            return
        history, names, until, step = self._job
        drawn = 0
        while self._queue and drawn < SLICE:
            spec = self._queue.pop(0)
            if not self.in_sight(spec.key):
                continue  # stays stale
            lines = lines_of(spec, history, self.seconds, until, names) if history is not None else []
            self.charts[spec.key].set_lines(lines, until - self.seconds, until, step)
            self.stale.discard(spec.key)
            drawn += 1
        if self._queue:
            self._slicer.start()
        else:
            self.rendered_at = until

    def points(self) -> dict[str, int]:
        """Points drawn per chart by its last redraw (a chart out of sight keeps its older ones)."""
        return {k: c.points for k, c in self.charts.items()}
