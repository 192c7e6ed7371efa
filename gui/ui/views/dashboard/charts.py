"""The dashboard's live charts: what each one plots from the cluster's history, over a time range
from five minutes to a day, painted on the charts' paint thread (``widgets.charts``)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QObject, QRect, QSize
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QWidget

from ....services.monitoring import History
from ....services.monitoring.history import TIERS
from ...widgets.charts import Chart, ChartPainter, Frame, Line, Look, Painted, next_generation

RANGES: tuple[tuple[str, int], ...] = (
    ("5 min", 300),
    ("15 min", 900),
    ("1 hour", 3600),
    ("6 hours", 6 * 3600),
    ("24 hours", 24 * 3600),
)


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
) -> list[Line]:
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


def paint_chart(spec: ChartSpec, job: Job, size: QSize, look: Look) -> Painted:
    """One chart of the job, painted (on the paint thread: the history is read under its lock)."""
    lines = lines_of(spec, job.history, job.seconds, job.until, job.names) if job.history is not None else []
    frame = Frame(tuple(lines), job.until - job.seconds, job.until, job.step, job.generation)
    return Painted.of(frame, size, look)


@dataclass(frozen=True)
class Job:
    """The figures the charts are to show: the cluster's history up to ``until``."""

    history: History | None
    names: dict[str, str]
    until: float
    seconds: int
    step: int
    generation: int


class ChartsPanel(QScrollArea):
    """A grid of charts; ``draw(history)`` has those in sight painted for the chosen range on the
    paint thread, the others when they are scrolled into view."""

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
        self._job: Job | None = None
        # Charts not showing the last job's figures. Those out of sight stay so (and are not
        # painted) until they are scrolled into view.
        self.stale: set[str] = set()
        # One paint at a time on the paint thread; charts that want painting meanwhile wait for it
        # (a newer job then paints them with the newer figures).
        self._busy = False
        self._wanted: set[str] = set()
        self.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.horizontalScrollBar().valueChanged.connect(self._scrolled)

    def build(self) -> None:
        if self.charts:
            return
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
        coming = {key for key in self.stale if self.in_sight(key)} - self._wanted
        if coming and self._job is not None:
            self._wanted |= coming
            self._paint()

    def draw(self, history: History | None, names: dict[str, str], until: float | None = None) -> None:
        """Have every chart show the history (None: no history yet, empty charts): those in sight
        are painted on the paint thread and put up when done; a newer call supersedes."""
        self.build()
        until = time.time() if until is None else until
        self._job = Job(history, dict(names), until, self.seconds, step_for(self.seconds), next_generation())
        self.stale = set(self.charts)
        self._wanted = {key for key in self.charts if self.in_sight(key)}
        self._paint()

    @property
    def drawing(self) -> bool:
        """Charts in sight have yet to show the last ``draw``'s figures."""
        return self._busy or bool(self._wanted)

    def flush(self) -> None:
        """Paint what is still to be painted in sight, now, on this thread (before an export)."""
        job = self._job
        if job is None:
            return
        for spec in CHARTS:
            if spec.key in self.stale and self.in_sight(spec.key):
                chart = self.charts[spec.key]
                chart.show_painted(paint_chart(spec, job, chart.canvas_size(), chart.look()))
                self.stale.discard(spec.key)
        self._wanted.clear()
        self.rendered_at = job.until

    def _paint(self) -> None:
        job = self._job
        if self._busy or not self._wanted or job is None:
            return
        tasks = [
            (spec, self.charts[spec.key].canvas_size(), self.charts[spec.key].look())
            for spec in CHARTS
            if spec.key in self._wanted
        ]
        self._wanted = set()
        self._busy = True

        def work() -> list[tuple[str, Painted]]:
            return [(spec.key, paint_chart(spec, job, size, look)) for spec, size, look in tasks]

        ChartPainter.shared().submit(self, work, self._painted)

    def _painted(self, result: list[tuple[str, Painted]] | None) -> None:
        self._busy = False
        job = self._job
        if job is None:
            return
        for key, painted in result or []:
            self.charts[key].show_painted(painted)
            if painted.frame.generation == job.generation:
                self.stale.discard(key)
        if result is not None:
            # What is still stale and in sight was painted from older figures (or came into view
            # meanwhile): painted again with the newest.
            self._wanted |= {key for key in self.stale if self.in_sight(key)}
        if not self._wanted and not any(self.in_sight(key) for key in self.stale):
            self.rendered_at = job.until
        self._paint()

    def points(self) -> dict[str, int]:
        """Points drawn per chart by its last redraw (a chart out of sight keeps its older ones)."""
        return {k: c.points for k, c in self.charts.items()}
