"""A fleet card: one StarRocks cluster — its state light with the reason in words, QPS and p99
latency sparklines, load rows per second, FE and BE nodes alive of listed, the fullest BE disk,
running transactions against the per-database limit, open alerts. A click opens its dashboard."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent, QResizeEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ...services.dashboard import CardFigures, card_figures, figure, light, reason
from ...services.monitoring import ClusterState
from ...services.monitoring.alerts import num
from ..notifications import clock
from ..style import Tone, set_tone
from .sparkline import Sparkline, StateLight

LIGHT_TONES: dict[str, Tone | None] = {"green": None, "amber": "warning", "red": "error", "grey": "muted"}


def _count(pair: tuple[int | None, int | None]) -> str:
    alive, total = pair
    return "–" if total is None else f"{alive}/{total}"


class ClusterCard(QFrame):
    clicked = Signal(str)

    def __init__(self, name: str, parent: QWidget | None = None, scale: float = 1.0) -> None:
        super().__init__(parent)
        self.name = name
        self.setObjectName("clusterCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(f"Open the dashboard of {name}")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        if scale == 1.0:
            self.setMaximumWidth(440)
        self.light = StateLight(self, int(14 * scale))
        self.title = QLabel(f"<b>{html.escape(name)}</b>", self)
        # One line, elided, the whole reason in its tooltip: a wrapped reason (an FE's exception text
        # runs long) would make cards of one row differ in height and push the figures out of line.
        self.reason = QLabel("Not read yet", self)
        self.reason.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.reason_text = "Not read yet"
        self.qps, self.qps_line = QLabel(self), Sparkline(self, "info")
        self.p99, self.p99_line = QLabel(self), Sparkline(self, "accent")
        self.facts: dict[str, QLabel] = {}
        self.updated = QLabel("", self)
        set_tone(self.updated, "muted")
        self._layout()
        if scale != 1.0:
            font = self.font()
            font.setPointSizeF(font.pointSizeF() * scale)
            self.setFont(font)
        self.figures: CardFigures | None = None

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.light, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(self.title, 1)
        top.addWidget(self.updated)
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.addWidget(self.qps, 0, 0)
        grid.addWidget(self.qps_line, 0, 1)
        grid.addWidget(self.p99, 1, 0)
        grid.addWidget(self.p99_line, 1, 1)
        for i, key in enumerate(("loads", "fe", "be", "disk", "txns", "alerts")):
            label = self.facts[key] = QLabel(self)
            grid.addWidget(label, 2 + i // 2, i % 2)
        grid.setColumnStretch(1, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.reason)
        lay.addLayout(grid)

    def show_state(self, state: ClusterState, qps: list[float], p99: list[float], txn_limit: float) -> None:
        colour = light(state)
        self.light.set_light(colour)
        self.reason_text = reason(state)
        self.reason.setToolTip(self.reason_text)
        self._elide_reason()
        set_tone(self.reason, LIGHT_TONES[colour])
        f = self.figures = card_figures(state, txn_limit)
        stale = " (stale)" if not state.sample.reachable else ""
        self.qps.setText(f"QPS {figure(f.qps)}{stale}")
        self.p99.setText(f"p99 {figure(f.p99_ms, 'ms')}")
        self.qps_line.set_values(qps)
        self.p99_line.set_values(p99)
        self.facts["loads"].setText(f"Loads {figure(f.load_rows_per_s)} rows/s")
        self.facts["fe"].setText(f"FE alive {_count(f.fe)}")
        self.facts["be"].setText(f"BE alive {_count(f.be)}")
        set_tone(self.facts["be"], "error" if f.be[1] is not None and f.be[0] != f.be[1] else None)
        disk = f.fullest_disk
        self.facts["disk"].setText(f"Fullest disk {num(round(disk[1]))} %" if disk else "Fullest disk –")
        self.facts["disk"].setToolTip(disk[0] if disk else "")
        txns = f.busiest_db
        self.facts["txns"].setText(
            f"Txns {num(txns[1])}/{num(f.txn_limit)} ({html.escape(txns[0])})"
            if txns
            else f"Txns 0/{num(f.txn_limit)}"
        )
        self.facts["alerts"].setText(f"Alerts {f.alerts}")
        set_tone(self.facts["alerts"], "error" if any(a.severity == "critical" for a in state.alerts)
                 else "warning" if state.alerts else None)  # fmt: skip
        self.facts["alerts"].setToolTip("\n".join(f"{a.severity}: {a.reason}" for a in state.alerts))
        self.updated.setText(clock(state.read_at) if state.read_at else "")

    def _elide_reason(self) -> None:
        width = max(40, self.reason.width())
        self.reason.setText(
            self.reason.fontMetrics().elidedText(self.reason_text, Qt.TextElideMode.ElideRight, width)
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide_reason()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.name)
        super().mousePressEvent(event)
