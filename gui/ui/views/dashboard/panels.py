"""The parts of the cluster dashboard around its charts: the heading with the state light, the tool
row, and the nodes tab (FE, BE and disk tables)."""

from __future__ import annotations

import html
from functools import partial
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ....services.dashboard import light
from ....services.monitoring import ClusterState
from ...models.table import RecordTableModel
from ...notifications import when
from ...style import span
from ...widgets.badge import BadgeDelegate
from ...widgets.sparkline import StateLight
from ...widgets.tables import fit_when_filled, setup_table
from .charts import RANGES
from .nodes import BackendsModel, DisksModel, FrontendsModel, disk_rows

PICK = "Pick a StarRocks cluster in Connections."
TABLES = (("backends", "Backends"), ("frontends", "Frontends"), ("disks", "Disks"), ("alerts", "Alerts"),
          ("loads", "Loads"), ("transactions", "Running transactions"))  # fmt: skip


def heading_html(name: str, url: str, state: ClusterState) -> str:
    s = state.sample
    head = f"<b>{html.escape(name)}</b> — {html.escape(url)} — "
    if not s.reachable:
        shown = f"as of {when(state.read_at)}" if state.read_at is not None else "none read yet"
        return head + span(f"not reachable; the figures below are stale ({shown})", "error")
    alive, total = s.backend_counts()
    status = str(s.health.get("status", "?")) if s.health else "?"
    words = {"ok": "healthy", "warning": "warning", "critical": "critical"}[state.state]
    backends = f"{'?' if alive is None else alive}/{'?' if total is None else total}"
    text = f"FE {html.escape(status)}, {backends} backends alive ({words})"
    return head + (
        span(text, "error" if state.state == "critical" else "warning") if state.state != "ok" else text
    )


class Heading(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.light = StateLight(self, 16)
        self.label = QLabel(PICK, self)
        self.label.setObjectName("dashboardHeading")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.light, 0, Qt.AlignmentFlag.AlignTop)
        lay.addWidget(self.label, 1)

    def show_state(self, name: str, url: str, state: ClusterState) -> None:
        self.light.set_light(light(state))
        self.label.setText(heading_html(name, url, state))

    def clear(self, text: str = PICK) -> None:
        self.light.set_light("grey")
        self.label.setText(text)

    def text(self) -> str:
        return self.label.text()


class ToolRow(QWidget):
    """Time range, thresholds, exports, wall mode."""

    range_changed = Signal(int)  # seconds
    thresholds = Signal()
    export_png = Signal()
    export_csv = Signal(str)  # which table
    wall = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.range = QComboBox(self)
        self.range.setObjectName("rangeCombo")
        for title, seconds in RANGES:
            self.range.addItem(title, seconds)
        self.range.setCurrentIndex(1)
        self.range.currentIndexChanged.connect(
            lambda _i: self.range_changed.emit(int(self.range.currentData()))
        )
        self.thresholds_button = self._button(
            "Thresholds…", self.thresholds.emit, "Alert thresholds of this profile"
        )
        self.export_button = QToolButton(self)
        self.export_button.setText("Export")
        self.export_button.setToolTip("The charts as shown (PNG), or a table as shown (CSV)")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        menu.addAction("Charts as PNG…", self.export_png.emit)
        menu.addSeparator()
        for key, title in TABLES:
            menu.addAction(f"{title} as CSV…", partial(self.export_csv.emit, key))
        self.export_button.setMenu(menu)
        self.wall_button = self._button(
            "Wall mode", self.wall.emit, "Full screen, large type, cycling through clusters"
        )
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("Range", self))
        lay.addWidget(self.range)
        lay.addStretch(1)
        for w in (self.thresholds_button, self.export_button, self.wall_button):
            lay.addWidget(w)

    def _button(self, text: str, slot: object, tip: str) -> QPushButton:
        b = QPushButton(text, self)
        b.setToolTip(tip)
        b.clicked.connect(slot)
        return b

    @property
    def seconds(self) -> int:
        return int(self.range.currentData())


class NodesPanel(QSplitter):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.frontends = FrontendsModel(self)
        self.backends = BackendsModel(self)
        self.disks = DisksModel(self)
        self.fe_table = self._table(self.frontends, "frontendsTable", "Frontends")
        self.table = self._table(self.backends, "backendsTable", "Backends")
        self.disks_table = self._table(self.disks, "disksTable", "Disks per storage path")

    def _table(self, model: object, name: str, title: str) -> QTableView:
        box = QWidget(self)
        table = QTableView(box)
        table.setObjectName(name)
        table.setModel(model)  # type: ignore[arg-type]
        setup_table(table)
        table.setItemDelegateForColumn(2, BadgeDelegate(table))
        fit_when_filled(table)
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(QLabel(f"<b>{title}</b>", box))
        lay.addWidget(table, 1)
        self.addWidget(box)
        return table

    def show_state(self, state: ClusterState) -> None:
        s = state.sample
        stale = not s.reachable
        if s.reachable:
            if s.frontends is not None:
                self.frontends.stale = False
                self.frontends.set_rows(s.frontends)
            if s.backends is not None:
                self.backends.stale = False
                self.backends.set_rows(s.backends)
                self.disks.set_rows(disk_rows(s.backends))
        else:
            self.frontends.set_stale(True)
            self.backends.set_stale(True)
        tip = (
            f"Stale: as of {when(state.read_at)}"
            if stale and state.read_at is not None
            else ("Stale: nothing read yet" if stale else "")
        )
        for table in (self.fe_table, self.table, self.disks_table):
            table.setEnabled(not stale)  # greyed: what it lists may no longer be so
            table.setToolTip(tip)

    def clear(self) -> None:
        models: tuple[RecordTableModel[Any], ...] = (self.frontends, self.backends, self.disks)
        for model in models:
            model.set_rows([])
        for table in (self.fe_table, self.table, self.disks_table):
            table.setEnabled(True)
            table.setToolTip("")
