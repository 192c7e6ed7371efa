"""Fleet overview: one card per StarRocks cluster profile, each refreshed with every reading the
monitoring makes (whether this view is on screen or not, the figures are collected; the cards are
repainted when seen). A click on a card opens that cluster's dashboard."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ...services.dashboard import light, txn_limit
from ...services.monitoring import ClusterState
from ...services.words import plural
from ..context import UiContext
from ..notifications import clock
from ..widgets.cluster_card import ClusterCard
from .base import View

SPARK_SECONDS = 900  # the sparklines' span
CARD_WIDTH = 330


def spark(feed: Any, name: str, figure: str, seconds: float = SPARK_SECONDS) -> list[float]:
    mon = feed.monitoring.monitor(name)
    if mon is None or mon.history is None:
        return []
    return list(mon.history.series(figure, seconds)[1])


class FleetView(View):
    go_to = Signal(str, str)  # a view's slug and the profile to show in it
    wall_requested = Signal(str)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("fleetView")
        self.cards: dict[str, ClusterCard] = {}
        self._dirty: set[str] = set()
        self.summary = QLabel("No StarRocks cluster profile yet: add one in Connections.", self)
        self.summary.setWordWrap(True)
        self.interval = QDoubleSpinBox(self)
        self.interval.setObjectName("refreshInterval")
        self.interval.setRange(1, 300)
        self.interval.setDecimals(0)
        self.interval.setSuffix(" s")
        self.interval.setValue(ctx.monitoring.interval if ctx.monitoring else 5)
        self.interval.setToolTip("How often every cluster is read")
        self.interval.valueChanged.connect(self._interval_changed)
        self.wall_button = QPushButton("Wall mode", self)
        self.wall_button.setToolTip("Full screen, large type, cycling through the clusters")
        self.wall_button.clicked.connect(lambda: self.wall_requested.emit(""))
        self.area = QScrollArea(self)
        self.area.setWidgetResizable(True)
        self.body = QWidget(self.area)
        self.grid = QGridLayout(self.body)
        self.grid.setSpacing(10)
        self.area.setWidget(self.body)
        self._layout()
        if ctx.monitoring is not None:
            ctx.monitoring.reading.connect(self._reading)
            ctx.monitoring.watched_changed.connect(self.sync_cards)

    def _layout(self) -> None:
        tools = QHBoxLayout()
        tools.addWidget(self.summary, 1)
        tools.addWidget(QLabel("Refresh every", self))
        tools.addWidget(self.interval)
        tools.addWidget(self.wall_button)
        lay = QVBoxLayout(self)
        lay.addLayout(tools)
        lay.addWidget(self.state_line)
        lay.addWidget(self.area, 1)

    def _interval_changed(self, seconds: float) -> None:
        if self.ctx.monitoring is not None:
            self.ctx.monitoring.set_interval(seconds)

    def set_profile(self, profile: Any) -> None:
        # The fleet shows every cluster; the profile picked is the one the status bar names.
        self.profile = profile
        self.sync_cards()

    def refresh(self) -> None:
        feed = self.ctx.monitoring
        if feed is None:
            return
        for name in feed.watched():
            self.ctx.tasks.start(feed.read_now(name), key=f"{self._task_prefix()}read/{name}", what="reading")

    def sync_cards(self) -> None:
        feed = self.ctx.monitoring
        names = feed.watched() if feed is not None else []
        if not names:
            names = [p.name for p in self.ctx.session.all_profiles() if p.kind == "starrocks"]
        for name in [n for n in self.cards if n not in names]:
            card = self.cards.pop(name)
            self.grid.removeWidget(card)
            card.deleteLater()
        for name in names:
            if name not in self.cards:
                card = self.cards[name] = ClusterCard(name, self.body)
                card.clicked.connect(lambda n: self.go_to.emit("dashboard", n))
                self._dirty.add(name)
        self._arrange()
        for name in list(self._dirty):
            self._paint(name)
        self._summarise()

    def _arrange(self) -> None:
        columns = max(1, self.area.viewport().width() // CARD_WIDTH)
        for i, name in enumerate(sorted(self.cards, key=str.casefold)):
            self.grid.addWidget(self.cards[name], i // columns, i % columns)
        self.grid.setRowStretch(len(self.cards) // columns + 1, 1)
        self.grid.setColumnStretch(columns, 1)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange()

    def _reading(self, name: str, state: ClusterState) -> None:
        if name not in self.cards:
            self.sync_cards()
        self._dirty.add(name)
        if self.isVisible():
            self._paint(name)
            self._summarise()
            self.loaded.emit()

    def _paint(self, name: str) -> None:
        feed = self.ctx.monitoring
        card = self.cards.get(name)
        state = feed.state(name) if feed is not None else None
        if card is None or state is None or feed is None:
            return
        self._dirty.discard(name)
        card.show_state(
            state,
            spark(feed, name, "qps"),
            spark(feed, name, "query_p99_ms"),
            txn_limit(feed.monitoring, name),
        )

    def _summarise(self) -> None:
        feed = self.ctx.monitoring
        if not self.cards:
            self.summary.setText("No StarRocks cluster profile yet: add one in Connections.")
            return
        lights = [light(feed.state(n) if feed else None) for n in self.cards]
        counts = [f"{lights.count(c)} {c}" for c in ("red", "amber", "green", "grey") if lights.count(c)]
        self.summary.setText(
            f"{plural(len(self.cards), 'cluster')}: {', '.join(counts)} — updated {clock(time.time())}"
        )

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.sync_cards()

    def states(self) -> dict[str, ClusterState]:
        feed = self.ctx.monitoring
        return {n: s for n in self.cards if feed is not None and (s := feed.state(n)) is not None}
