"""Dashboard: the selected StarRocks cluster at a glance — health, backends, key counters.

Charts over time arrive with the dashboard's own work; this page shows the current figures and
refreshes them every ten seconds while it is on screen.
"""

from __future__ import annotations

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

from ...api.starrocks import MetricSample, StarRocksClient
from ..context import UiContext
from ..models.table import Column, RecordTableModel
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
    title = "Dashboard"
    kinds = ("starrocks",)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("dashboardView")
        self.heading = QLabel("Pick a StarRocks cluster in Connections.", self)
        self.heading.setObjectName("dashboardHeading")
        self.heading.setWordWrap(True)
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

    def refresh(self) -> None:
        if self.profile is None:
            return
        self.ctx.run(self._load(), key="dashboard", what="refreshing the dashboard")

    async def _load(self) -> None:
        profile = self.profile
        assert profile is not None
        self.status.emit(f"{profile.name}: loading…")
        client: StarRocksClient = await self.ctx.session.client(profile)
        health = await client.health()
        self.backends.set_rows(await client.records("show backends"))
        samples = await client.metrics()
        totals = _totals(samples)
        for name, tile in self.tiles.items():
            tile.value.setText(f"{int(totals.get(name, 0)):,}")
        alive = health.get("online_backend_num", "?")
        total = health.get("total_backend_num", "?")
        state = "healthy" if health.get("status") == "OK" and alive == total else "degraded"
        self.heading.setText(
            f"<b>{profile.name}</b> — {profile.url} — FE {health.get('status', '?')}, "
            f"{alive}/{total} backends alive ({state})"
        )
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.status.emit(f"{profile.name}: {alive}/{total} backends alive")
        self.loaded.emit()


def _totals(samples: list[MetricSample]) -> dict[str, float]:
    out: dict[str, float] = {}
    for s in samples:
        out[s.name] = out.get(s.name, 0.0) + s.value
    return out
