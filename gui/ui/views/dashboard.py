"""Dashboard: the selected StarRocks cluster at a glance — health, backends, key counters.

Charts over time arrive with the dashboard's own work; this page shows the current figures and
refreshes them every ten seconds while it is on screen. A refresh that fails opens no dialog: the
page says since when the cluster cannot be reached and marks the figures on screen as stale, with
their time.
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

from ...api.starrocks import MetricSample
from ...services.profiles import Profile
from ..context import UiContext
from ..models.table import Column, RecordTableModel
from ..notifications import when
from ..style import set_tone, span
from ..widgets.badge import BadgeDelegate, status_color
from .base import View

# (metric, label) of the counters shown as tiles, as the FE names them.
TILES = [
    ("starrocks_fe_query_total", "Queries"),
    ("starrocks_fe_query_err", "Failed queries"),
    ("starrocks_fe_txn_begin", "Transactions begun"),
    ("starrocks_fe_txn_success", "Transactions visible"),
    ("starrocks_fe_txn_failed", "Transactions aborted"),
    ("starrocks_fe_load_finished", "Loads finished"),
]


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


class DashboardView(View):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("dashboardView")
        self.heading = QLabel("Pick a StarRocks cluster in Connections.", self)
        self.heading.setObjectName("dashboardHeading")
        self.heading.setWordWrap(True)
        self.state_line.retry = "retrying every 10 s"
        self.tiles: dict[str, _Tile] = {}
        grid = QGridLayout()
        for i, (name, label) in enumerate(TILES):
            tile = _Tile(label, self)
            self.tiles[name] = tile
            grid.addWidget(tile, i // 3, i % 3)
        self.backends = RecordTableModel[dict[str, Any]](
            [
                Column("Backend", lambda r: f"{r.get('IP') or r.get('Host') or r.get('host', '')}"),
                Column("HTTP port", lambda r: r.get("HttpPort", "")),
                Column(
                    "Alive",
                    lambda r: "alive" if str(r.get("Alive", "")).lower() == "true" else "down",
                    badge=lambda r: status_color(
                        "normal" if str(r.get("Alive", "")).lower() == "true" else "failed"
                    ),
                ),
                Column("Version", lambda r: r.get("Version", "")),
                Column("Tablets", lambda r: r.get("TabletNum", ""), align_right=True),
                Column("Last heartbeat", lambda r: r.get("LastHeartbeat", "")),
            ],
            key=lambda r: str(r.get("BackendId", r.get("IP", ""))),
        )
        self.table = QTableView(self)
        self.table.setObjectName("backendsTable")
        self.table.setModel(self.backends)
        self.table.setItemDelegateForColumn(2, BadgeDelegate(self.table))
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        lay = QVBoxLayout(self)
        lay.addWidget(self.heading)
        lay.addWidget(self.state_line)
        lay.addLayout(grid)
        lay.addWidget(QLabel("Backends", self))
        lay.addWidget(self.table, 1)
        self._timer = QTimer(self)
        self._timer.setInterval(10_000)
        self._timer.timeout.connect(self.refresh)

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
        super().set_profile(profile)

    def _clear(self) -> None:
        self.backends.set_rows([])
        for tile in self.tiles.values():
            tile.value.setText("–")
            set_tone(tile.value, None)
        self.heading.setText("Pick a StarRocks cluster in Connections.")

    def refresh(self) -> None:
        if self.profile is None:
            return
        self.background(self._load(self.profile), "refreshing the dashboard", on_failure=self._stale)

    async def _load(self, profile: Profile) -> None:
        self.status.emit(f"{profile.name}: loading…")
        client = await self.ctx.session.starrocks(profile)
        health = await client.health()
        backends = await client.records("show backends")
        samples = await client.metrics()
        if profile is not self.profile:
            return  # the view moved on to another cluster meanwhile
        self.backends.set_rows(backends)
        self.table.setEnabled(True)
        totals = _totals(samples)
        for name, tile in self.tiles.items():
            tile.value.setText(f"{int(totals.get(name, 0)):,}")
            set_tone(tile.value, None)
        alive = health.get("online_backend_num", "?")
        total = health.get("total_backend_num", "?")
        state = "healthy" if health.get("status") == "OK" and alive == total else "degraded"
        self.heading.setText(
            f"<b>{html.escape(profile.name)}</b> — {html.escape(profile.url)} — FE "
            f"{html.escape(str(health.get('status', '?')))}, {alive}/{total} backends alive ({state})"
        )
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.status.emit(f"{profile.name}: {alive}/{total} backends alive")
        self.loaded.emit()

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
        self.table.setEnabled(False)  # greyed: what it lists may no longer be so
        self.table.setToolTip(f"Stale: {when_text}")
        self.status.emit(f"{profile.name}: not reachable")


def _totals(samples: list[MetricSample]) -> dict[str, float]:
    out: dict[str, float] = {}
    for s in samples:
        out[s.name] = out.get(s.name, 0.0) + s.value
    return out
