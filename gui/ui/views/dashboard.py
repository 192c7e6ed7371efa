"""Dashboard: the selected StarRocks cluster at a glance — health, backends, key counters.

Charts over time arrive with the dashboard's own work; this page shows the current figures and
refreshes them every ten seconds while it is on screen. A refresh that fails opens no dialog: the
page says since when the cluster cannot be reached and marks the figures on screen as stale, with
their time. The figures come from ``DashboardService`` (gui/services/dashboard.py).
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...services.dashboard import COUNTERS, Backend, DashboardService, DashboardSnapshot
from ...services.profiles import Profile
from ..context import UiContext
from ..models.table import Column, RecordTableModel
from ..notifications import when
from ..style import set_tone, span
from ..widgets.badge import BadgeDelegate, status_color
from .base import View

PICK = "Pick a StarRocks cluster in Connections."


class _Tile(QFrame):
    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.value = QLabel("–", self)
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        self.value.setFont(font)
        caption = QLabel(label, self)
        lay = QVBoxLayout(self)
        lay.addWidget(self.value)
        lay.addWidget(caption)


class BackendsModel(RecordTableModel[Backend]):
    """The backends of the last snapshot; ``stale`` greys their badges (what they say may no longer
    be so)."""

    def __init__(self, parent: Any = None) -> None:
        self.stale = False
        super().__init__(
            [
                Column[Backend]("Backend", lambda b: b.host),
                Column[Backend]("HTTP port", lambda b: b.http_port),
                Column[Backend](
                    "Alive",
                    lambda b: "alive" if b.alive else "down",
                    badge=lambda b: status_color(
                        "unknown" if self.stale else "normal" if b.alive else "failed"
                    ),
                ),
                Column[Backend]("Version", lambda b: b.version),
                Column[Backend]("Tablets", lambda b: b.tablets, align_right=True),
                Column[Backend]("Last heartbeat", lambda b: b.last_heartbeat),
            ],
            key=lambda b: b.key,
            parent=parent,
        )

    def set_stale(self, stale: bool) -> None:
        self.stale = stale
        self.set_rows(self.rows)


class DashboardView(View):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("dashboardView")
        self.service: DashboardService | None = None
        self.heading = QLabel(PICK, self)
        self.heading.setObjectName("dashboardHeading")
        self.heading.setWordWrap(True)
        self.state_line.retry = "retrying every 10 s"
        self.tiles: dict[str, _Tile] = {}
        grid = QGridLayout()
        for i, (name, label) in enumerate(COUNTERS):
            self.tiles[name] = _Tile(label, self)
            grid.addWidget(self.tiles[name], i // 3, i % 3)
        self.backends = BackendsModel(self)
        self.table = self._backends_table()
        lay = QVBoxLayout(self)
        lay.addWidget(self.heading)
        lay.addWidget(self.state_line)
        lay.addLayout(grid)
        lay.addWidget(QLabel("Backends", self))
        lay.addWidget(self.table, 1)
        self._timer = QTimer(self)
        self._timer.setInterval(10_000)
        self._timer.timeout.connect(self.refresh)

    def _backends_table(self) -> QTableView:
        table = QTableView(self)
        table.setObjectName("backendsTable")
        table.setModel(self.backends)
        table.setItemDelegateForColumn(2, BadgeDelegate(table))
        table.verticalHeader().setVisible(False)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        return table

    def headers(self) -> dict[str, QHeaderView]:
        return {"backends": self.table.horizontalHeader()}

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._timer.start()

    def hideEvent(self, event: Any) -> None:
        super().hideEvent(event)
        self._timer.stop()

    def set_profile(self, profile: Profile | None) -> None:
        if profile is None or self.profile is None or profile.name != self.profile.name:
            self._clear()
        if profile is None:
            self.service = None
        elif self.service is None or self.service.profile != profile:
            self.service = DashboardService(self.ctx.session, profile)
        super().set_profile(profile)

    def _clear(self) -> None:
        self.backends.set_rows([])
        for tile in self.tiles.values():
            tile.value.setText("–")
            set_tone(tile.value, None)
        self.heading.setText(PICK)

    def refresh(self) -> None:
        if self.profile is None or self.service is None:
            return
        self.background(self._load(self.service), "refreshing the dashboard", on_failure=self._stale)

    async def _load(self, service: DashboardService) -> None:
        self.status.emit(f"{service.profile.name}: loading…")
        snap = await service.snapshot()
        if snap.profile != self.profile:
            return  # the view moved on to another cluster meanwhile
        self._show(snap)
        self.loaded.emit()

    def _show(self, snap: DashboardSnapshot) -> None:
        profile, health = snap.profile, snap.health
        self.backends.stale = False
        self.backends.set_rows(snap.backends)
        self.table.setEnabled(True)
        self.table.setToolTip("")
        for name, tile in self.tiles.items():
            tile.value.setText(f"{snap.counter(name):,}")
            set_tone(tile.value, None)
        self.heading.setText(
            f"<b>{html.escape(profile.name)}</b> — {html.escape(profile.url)} — FE "
            f"{html.escape(health.status)}, {health.backends} backends alive ({health.state})"
        )
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.status.emit(f"{profile.name}: {health.backends} backends alive")

    def _stale(self, _exc: BaseException) -> None:
        """The figures on screen are older than the last try: say so where they are read."""
        profile = self.profile
        if profile is None:
            return
        since = self.state_line.last_ok
        when_text = f"as of {when(since)}" if since is not None else "none loaded"
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.heading.setText(
            f"<b>{html.escape(profile.name)}</b> — {html.escape(profile.url)} — "
            + span(f"not reachable; the figures below are stale ({when_text})", "error")
        )
        for tile in self.tiles.values():
            set_tone(tile.value, "muted")
        self.backends.set_stale(True)
        self.table.setEnabled(False)  # greyed: what it lists may no longer be so
        self.table.setToolTip(f"Stale: {when_text}")
        self.status.emit(f"{profile.name}: not reachable")
