"""Live charts of the dashboards: painted by the console with QPainter into images, on a thread of
their own, and shown by the window as those images.

Why not a chart library. The dashboard redraws nine charts at each reading of the cluster shown,
and the window's thread has a budget of 5 ms for a reading. pyqtgraph (MIT, made for live
plots) was the first choice and is measured in the README: its scene of items is set up and painted
on the window's thread, about 1 ms and 1.5 ms a chart, so 25–37 ms a reading on this machine. Its
items are QGraphicsWidgets, which Qt allows on the window's thread only. QPainter on a QImage is the
one kind of painting Qt allows on any thread, so the charts are painted that way: what the window's
thread does is hand the figures over and put up the finished images. QtCharts and QtGraphs are GPL
or commercial only (not shippable in the installers), and matplotlib's Agg would paint off the
window's thread but spends its time in Python, under the lock the window's thread needs too. A
time chart of a few lines is small enough to draw ourselves, and the installers lose numpy and
pyqtgraph (about 80 MB).

PySide6 keeps the interpreter's lock through each QPainter call, so the paint thread holds it for
a call at a time (a line of 180 points is a tenth of a millisecond): the window's thread waits no
longer than that, or the interpreter's switch interval when the paint thread runs Python.

The fonts: text painted into a QImage off the GUI thread is supported on every platform since Qt 5
(``QFontDatabase::supportsThreadedFontRendering`` returned true always from 5.0, and is gone in 6).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..style import Tone, blend, tone

log = logging.getLogger(__name__)

# Series take the meanings' colours in this order (a chart has at most a few lines; more BEs cycle).
SERIES_TONES: tuple[Tone, ...] = ("info", "ok", "error", "accent", "warning", "muted")

# Where time ticks may fall, in seconds: the first that leaves room between the labels is used.
TIME_STEPS: tuple[int, ...] = (
    5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
)  # fmt: skip
EMPTY = "No readings in this range"

T = TypeVar("T")


@dataclass(frozen=True)
class Line:
    """One line of a chart: its label and points (epoch seconds, values); a missing point is a gap."""

    label: str
    times: Sequence[float]
    values: Sequence[float]


@dataclass(frozen=True)
class Frame:
    """What a chart shows: its lines over [since, until]; points further apart than 1.5 ``step``
    have a gap between them."""

    lines: tuple[Line, ...]
    since: float
    until: float
    step: float
    generation: int = 0  # frames of newer figures have higher numbers

    @property
    def points(self) -> int:
        return sum(len(line.times) for line in self.lines)


@dataclass(frozen=True)
class Look:
    """How a chart is painted, taken from its widget on the window's thread. The font goes as its
    description, made into a QFont of its own on the paint thread: a copy of the widget's QFont
    would share its private part (and the cache of font engines Qt fills in it) with the window's."""

    base: QColor
    text: QColor
    series: tuple[QColor, ...]
    font: str  # QFont.toString()
    line_width: float = 1.0
    dpr: float = 1.0


@dataclass
class Scale:
    """Where the plot sits in the image and how figures map to it; kept with the image (tests and
    the export look)."""

    plot: QRectF
    since: float
    until: float
    top: float  # the value at the plot's top edge
    value_ticks: list[float] = field(default_factory=list)
    time_ticks: list[float] = field(default_factory=list)

    def x(self, t: float) -> float:
        return self.plot.left() + (t - self.since) / (self.until - self.since) * self.plot.width()

    def y(self, v: float) -> float:
        return self.plot.bottom() - v / self.top * self.plot.height()


# -- the ticks -------------------------------------------------------------------------------------


def value_step(top: float, room: int) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) that puts at most ``room`` ticks under
    ``top``."""
    raw = top / max(1, room)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * magnitude >= raw * (1 - 1e-9))


def value_label(value: float, step: float) -> str:
    """A tick's figure, short (1.5k, 20M), with the decimals the step needs and no trailing zeros."""
    unit, suffix = next(
        (
            (u, s)
            for u, s in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))
            if step >= u / 10 and value >= u
        ),
        (1.0, ""),
    )
    scaled = step / unit
    decimals = next((d for d in range(4) if abs(scaled * 10**d - round(scaled * 10**d)) < 1e-6), 3)
    text = f"{value / unit:.{decimals}f}"
    if decimals:
        text = text.rstrip("0").rstrip(".")
    return text + suffix


def utc_offset(t: float) -> int:
    return time.localtime(t).tm_gmtoff


def time_ticks(since: float, until: float, width: float, fm: QFontMetricsF) -> tuple[int, list[float]]:
    """Ticks at round local times, as many as leave room for their labels."""
    span = until - since
    wide, short = fm.horizontalAdvance("00:00:00"), fm.horizontalAdvance("00:00")
    step = next(
        (s for s in TIME_STEPS if span / s * (wide if s < 60 else short) * 1.6 <= width), TIME_STEPS[-1]
    )
    offset = utc_offset(until)
    first = math.ceil((since + offset) / step) * step - offset
    ticks: list[float] = []
    t = float(first)
    while t <= until:
        ticks.append(t)
        t += step
    return step, ticks


def time_label(t: float, step: int) -> str:
    at = time.localtime(t)
    if step >= 3600 and at.tm_hour == 0 and at.tm_min == 0:
        return time.strftime("%b %d", at)  # a new day on a long range
    return time.strftime("%H:%M:%S" if step < 60 else "%H:%M", at)


# -- the paint -------------------------------------------------------------------------------------


def runs(line: Line, step: float) -> list[list[tuple[float, float]]]:
    """The line's points cut where readings are missing (more than 1.5 steps apart, or not finite)."""
    out: list[list[tuple[float, float]]] = []
    run: list[tuple[float, float]] = []
    last = -math.inf
    for t, v in zip(line.times, line.values, strict=True):
        if not math.isfinite(v):
            if run:
                out.append(run)
            run, last = [], -math.inf
            continue
        if run and t - last > step * 1.5:
            out.append(run)
            run = []
        run.append((t, v))
        last = t
    if run:
        out.append(run)
    return out


def render(frame: Frame, size: QSize, look: Look) -> tuple[QImage, Scale]:
    """The chart of ``frame`` painted into an image of ``size`` (logical pixels). Safe on any
    thread: it touches nothing but its own image."""
    width, height = max(1, size.width()), max(1, size.height())
    image = QImage(
        max(1, round(width * look.dpr)),
        max(1, round(height * look.dpr)),
        QImage.Format.Format_ARGB32_Premultiplied,
    )
    image.setDevicePixelRatio(look.dpr)
    image.fill(look.base)
    font = QFont()
    font.fromString(look.font)
    fm = QFontMetricsF(font)
    text_h = fm.height()
    pad = 4.0

    top = 0.0
    for line in frame.lines:
        finite = [v for v in line.values if math.isfinite(v)]
        if finite:
            top = max(top, max(finite))
    # From zero up: a y axis fitted to the data alone turns 5.1 % against 5.2 % into a cliff. A
    # little headroom, and the top on a round tick.
    plot_h = height - pad - text_h / 2 - (text_h + 7)
    room = max(2, min(8, int(plot_h / (text_h * 1.7))))  # a tick at least every 1.7 lines, 8 at most
    step_v = value_step(top * 1.1 if top > 0 else 1.0, room)
    axis_top = math.ceil(top * 1.1 / step_v - 1e-9) * step_v if top > 0 else 1.0
    values = [i * step_v for i in range(int(round(axis_top / step_v)) + 1)]
    labels = [value_label(v, step_v) for v in values]
    left_w = math.ceil(max(fm.horizontalAdvance(s) for s in labels)) + 8
    # Whole pixels: the grid and axes are one-pixel rectangles, filled on the raster engine's fast
    # path (a translucent stroked line, or a rectangle off the pixel grid, is blended pixel by pixel).
    plot = QRect(int(pad) + left_w, math.ceil(pad + text_h / 2), width - 2 * int(pad) - left_w, int(plot_h))
    scale = Scale(QRectF(plot), frame.since, frame.until, axis_top)
    if plot.width() < 10 or plot.height() < 10:
        return image, scale
    step_t, ticks = time_ticks(frame.since, frame.until, plot.width(), fm)
    scale.value_ticks, scale.time_ticks = values, ticks
    left, right, bottom = plot.left(), plot.left() + plot.width(), plot.top() + plot.height()

    p = QPainter(image)
    try:
        p.setFont(font)
        # Opaque shades between the background and the text: an opaque fill is a plain copy of
        # pixels, a translucent one a blend of each (a third of a chart's paint, measured).
        grid, axis = blend(look.base, look.text, 0.15), blend(look.base, look.text, 0.55)
        p.setPen(look.text)
        for v, label in zip(values, labels, strict=True):
            y = min(bottom - 1, math.floor(scale.y(v)))
            p.fillRect(QRect(left, y, plot.width(), 1), grid)
            p.fillRect(QRect(left - 5, y, 4, 1), axis)
            p.drawText(
                QRectF(pad, y - text_h / 2, left_w - 7, text_h),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                label,
            )
        for t in ticks:
            x = min(right - 1, math.floor(scale.x(t)))
            p.fillRect(QRect(x, plot.top(), 1, plot.height()), grid)
            p.fillRect(QRect(x, bottom, 1, 4), axis)
            label = time_label(t, step_t)
            w = fm.horizontalAdvance(label)
            if x - w / 2 < left - left_w / 2 or x + w / 2 > width - pad:
                continue  # a label that would be cut at the edge is left out
            p.drawText(
                QRectF(x - w / 2 - 1, bottom + 5, w + 2, text_h),
                int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop),
                label,
            )
        p.fillRect(QRect(left - 1, plot.top(), 1, plot.height() + 1), axis)
        p.fillRect(QRect(left - 1, bottom, plot.width() + 1, 1), axis)

        p.setClipRect(plot.adjusted(0, -2, 2, 0))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        # The mapping of a point, unrolled: a chart maps hundreds of points at each reading.
        kx = plot.width() / (frame.until - frame.since)
        x0 = left - frame.since * kx
        ky = plot.height() / axis_top
        y0 = float(bottom)
        drawn = 0
        for i, line in enumerate(frame.lines):
            colour = look.series[i % len(look.series)]
            # One pixel is the raster engine's fast path for an antialiased line; a wider pen goes
            # through its general stroker, ten times slower, and is for charts seen from afar.
            pen = QPen(colour, look.line_width)
            pen.setCosmetic(True)
            p.setPen(pen)
            for run in runs(line, frame.step):
                drawn += len(run)
                if len(run) == 1:  # a lone reading is no line: a dot until the next joins it
                    p.setBrush(colour)
                    p.setPen(Qt.PenStyle.NoPen)
                    radius = 1.5 + look.line_width
                    t, v = run[0]
                    p.drawEllipse(QPointF(x0 + t * kx, y0 - v * ky), radius, radius)
                    p.setBrush(Qt.BrushStyle.NoBrush)
                    p.setPen(pen)
                else:
                    p.drawPolyline([QPointF(x0 + t * kx, y0 - v * ky) for t, v in run])
        p.setClipping(False)
        if frame.lines:
            _legend(p, frame, look, QRectF(plot), fm)
        if not drawn:
            muted = QColor(look.text)
            muted.setAlphaF(0.6)
            p.setPen(muted)
            p.drawText(
                QRectF(plot).adjusted(4, 0, -4, 0),
                int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                EMPTY,
            )
    finally:
        p.end()
    return image, scale


def _legend(p: QPainter, frame: Frame, look: Look, plot: QRectF, fm: QFontMetricsF) -> None:
    """The lines' labels in a row (wrapping) at the plot's top left, on a veil of the background so
    that a curve passing under them does not make them unreadable."""
    sample, gap, spacing = 14.0, 4.0, 12.0
    text_h = fm.height()
    items: list[tuple[QPointF, QColor, str]] = []
    x, y = plot.left() + 6, plot.top() + 3
    widest = 0.0
    for i, line in enumerate(frame.lines):
        w = sample + gap + fm.horizontalAdvance(line.label)
        if x + w > plot.right() - 4 and items and x > plot.left() + 6:
            x, y = plot.left() + 6, y + text_h
        items.append((QPointF(x, y), look.series[i % len(look.series)], line.label))
        widest = max(widest, x + w)
        x += w + spacing
    veil = QColor(look.base)
    veil.setAlphaF(0.75)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    p.fillRect(
        QRectF(plot.left() + 2, plot.top() + 1, widest - plot.left() + 2, y - plot.top() + text_h + 4), veil
    )
    for at, colour, label in items:
        p.fillRect(QRectF(at.x(), at.y() + text_h / 2 - 1, sample, max(1.0, look.line_width)), colour)
        p.setPen(look.text)
        p.drawText(
            QRectF(at.x() + sample + gap, at.y(), fm.horizontalAdvance(label) + 2, text_h),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            label,
        )


# -- the paint thread ------------------------------------------------------------------------------


def warm_up() -> None:
    """Every call the paint thread makes, made once on this thread: a line, a lone reading, a gap
    and the legend, then a chart with no readings (its text)."""
    now = time.time()
    look = Look(QColor("white"), QColor("black"), (QColor("blue"), QColor("red")), QFont().toString())
    size = QSize(160, 100)
    times = [now - 20, now - 15, now - 5]
    lines = (Line("line", times, [1.0, 2.0, math.nan]), Line("lone", [now - 5], [1.0]))
    Painted.of(Frame(lines, now - 60, now, 5), size, look)
    Painted.of(Frame((Line("none", [], []),), now - 60, now, 5), size, look)


class _Relay(QObject):
    """Lives on the window's thread: a signal emitted by the paint thread reaches it queued."""

    done = Signal(object)


class ChartPainter:
    """One thread that paints charts; what it paints is handed back on the window's thread."""

    _shared: ChartPainter | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        # PySide6 makes some of its Python types (enums among them) the first time a call needs
        # one, in Python code that may give up the interpreter's lock halfway; two threads making
        # the same one at once crash the process. Seen: the paint thread's first fillRect against
        # the window's own, one run of the chart tests in ten; 40 crashes in 40 runs of a script
        # that only does that, none once the calls had been made on one thread first. So the paint
        # thread starts only after everything it calls has been called here, on this thread.
        warm_up()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chart-paint")
        self._relay = _Relay()
        app = QCoreApplication.instance()
        if app is not None:
            self._relay.moveToThread(app.thread())
        # Queued even when emitted on the window's thread (a paint done before its callback was
        # attached calls it at once, there): what was painted is never put up inside ``submit``.
        self._relay.done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @classmethod
    def shared(cls) -> ChartPainter:
        with cls._lock:
            if cls._shared is None:
                cls._shared = ChartPainter()
            return cls._shared

    def submit(self, owner: QObject, work: Callable[[], T], then: Callable[[T | None], None]) -> None:
        """Run ``work`` on the paint thread; ``then(result)`` on the window's thread (``None`` if it
        failed, which is logged), unless ``owner`` is gone by then."""

        def finished(future: Future[T]) -> None:
            self._relay.done.emit((owner, then, future))

        self._pool.submit(work).add_done_callback(finished)

    def _deliver(self, item: tuple[QObject, Callable[[Any], None], Future[Any]]) -> None:
        owner, then, future = item
        if future.cancelled() or not shiboken6.isValid(owner):
            return  # the painter shut down, or what asked for the paint is gone
        error = future.exception()
        if error is not None:
            log.warning("a chart could not be painted", exc_info=error)
        then(None if error is not None else future.result())

    @classmethod
    def shutdown(cls) -> None:
        """Wait for the paint in progress (before the application's fonts go away)."""
        with cls._lock:
            if cls._shared is not None:
                cls._shared._pool.shutdown(wait=True, cancel_futures=True)
                cls._shared = None


@dataclass(frozen=True)
class Painted:
    frame: Frame
    image: QImage
    scale: Scale
    by: str = field(default_factory=lambda: threading.current_thread().name)  # the thread that painted

    @classmethod
    def of(cls, frame: Frame, size: QSize, look: Look) -> Painted:
        """``frame`` painted at ``size`` (on the calling thread)."""
        image, scale = render(frame, size, look)
        return cls(frame, image, scale)


class _Canvas(QWidget):
    def __init__(self, chart: Chart) -> None:
        super().__init__(chart)
        self.chart = chart
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        shown = self.chart.painted
        if shown is None:
            p.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Base))
        elif shown.image.deviceIndependentSize().toSize() == self.size():
            p.drawImage(0, 0, shown.image)
        else:  # resized: the old image stretched for the moment, a new one is on its way
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawImage(QRectF(self.rect()), shown.image)
        p.end()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.chart.repaint_frame()


class Chart(QWidget):
    """A titled time chart of a few lines, with a legend, following the palette. ``show_lines``
    has the lines painted on the paint thread and put up when done; ``show_painted`` puts up what
    was painted elsewhere."""

    # Defaults a change event may look at while the widget is still being built. One paint of a
    # chart at a time goes to the paint thread (``_busy``); the newest frame asked for meanwhile
    # waits for it (``_next``; older ones are dropped).
    painted: Painted | None = None
    _next: Frame | None = None
    _busy = False
    _look: Look | None = None

    def __init__(
        self, title: str, unit: str = "", parent: QWidget | None = None, line_width: float = 1.0
    ) -> None:
        super().__init__(parent)
        self.setObjectName("chart")
        self.title = title
        self.unit = unit
        # One pixel by default (the raster engine's fast path); wall mode's charts, seen from
        # across the room, are given two.
        self.line_width = line_width
        self.caption = QLabel(title + (f" ({unit})" if unit else ""), self)
        self.caption.setObjectName("chartTitle")
        self.canvas = _Canvas(self)
        self.points = 0  # points in the frame shown (tests and benchmarks look)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.caption)
        lay.addWidget(self.canvas, 1)
        self.setMinimumHeight(150)

    @property
    def painting(self) -> bool:
        """A frame asked for is still to be put up."""
        return self._busy or self._next is not None

    def look(self) -> Look:
        # Kept: it is asked for at every reading, and costs 60 µs to make (fonts, colours).
        dpr = self.devicePixelRatioF()
        if self._look is None or self._look.dpr != dpr:
            self._look = self.look_of(self, self.line_width)
        return self._look

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange, QEvent.Type.StyleChange):
            # A new theme reaches the chart here, after the application's palette has changed
            # (posted to each widget): painted again in its colours.
            self._look = None
            self.repaint_frame()
        super().changeEvent(event)

    @staticmethod
    def look_of(widget: QWidget, line_width: float = 1.0) -> Look:
        """The look of a chart in ``widget``'s palette and font."""
        pal = widget.palette()
        return Look(
            base=QColor(pal.color(QPalette.ColorRole.Base)),
            text=QColor(pal.color(QPalette.ColorRole.Text)),
            series=tuple(tone(t, pal) for t in SERIES_TONES),
            font=widget.font().toString(),
            line_width=line_width,
            dpr=widget.devicePixelRatioF(),
        )

    def canvas_size(self) -> QSize:
        return self.canvas.size()

    def show_lines(self, lines: Sequence[Line], since: float, until: float, step: float) -> None:
        """Show these lines over [since, until], once painted on the paint thread."""
        self._ask(Frame(tuple(lines), since, until, step, next_generation()))

    def show_painted(self, painted: Painted) -> bool:
        """Put up a painted frame unless a newer one is up already; False if not put up."""
        if self.painted is not None and painted.frame.generation < self.painted.frame.generation:
            return False
        self.painted = painted
        self.points = painted.frame.points
        self.canvas.update()
        size = self.canvas_size()
        if not size.isEmpty() and painted.image.deviceIndependentSize().toSize() != size:
            self.repaint_frame()  # resized while it was painted
        return True

    def repaint_frame(self) -> None:
        """Paint the frame shown again (after a resize, or a change of theme), on the paint thread,
        at the canvas's size and in the palette's colours."""
        if self._next is not None:
            self._send()
        elif self.painted is not None:
            self._ask(self.painted.frame)

    def _ask(self, frame: Frame) -> None:
        if self._next is None or frame.generation >= self._next.generation:
            self._next = frame
        self._send()

    def _send(self) -> None:
        frame = self._next
        if self._busy or frame is None or self.canvas_size().isEmpty():
            return  # a chart not laid out yet is painted once it has a size
        self._next = None
        self._busy = True
        size, look = self.canvas_size(), self.look()

        def work() -> Painted:
            return Painted.of(frame, size, look)

        def then(result: Painted | None) -> None:
            self._busy = False
            if result is not None:
                self.show_painted(result)
            self._send()

        ChartPainter.shared().submit(self, work, then)


_generations = iter(range(1, 1 << 62))
_generation_lock = threading.Lock()


def next_generation() -> int:
    """A number higher than any given before: frames made later show newer figures."""
    with _generation_lock:
        return next(_generations)
