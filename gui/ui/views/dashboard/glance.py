"""Loads and transactions at a glance: running and recent loads (the cluster's
``information_schema.loads`` and the console's journal) with state badges and filters, and the
running transactions of the busiest databases with the stuck ones flagged. A double click goes to the
Load transactions view."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ....services.dashboard import DbTxns, Glance, LoadRow
from ....services.transactions.running import RunningTxn
from ...models.table import Column, RecordFilterProxy, RecordTableModel, Role
from ...style import set_tone
from ...widgets.badge import BadgeDelegate, status_color
from ...widgets.tables import fit_when_filled, setup_table

GROUPS = (("All loads", ""), ("Running", "running"), ("Finished", "finished"), ("Failed", "failed"))


class LoadsModel(RecordTableModel[LoadRow]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            [
                Column[LoadRow]("State", lambda r: r.state, badge=lambda r: status_color(
                    {"running": "running", "finished": "normal", "failed": "failed"}[r.group])),
                Column[LoadRow]("Label", lambda r: r.label),
                Column[LoadRow]("Database", lambda r: r.db),
                Column[LoadRow]("Table", lambda r: r.table),
                Column[LoadRow]("Rows", lambda r: "" if r.rows is None else f"{r.rows:,}", align_right=True,
                                sort=lambda r: r.rows or 0),
                Column[LoadRow]("Filtered", lambda r: "" if r.filtered is None else f"{r.filtered:,}",
                                align_right=True, sort=lambda r: r.filtered or 0),
                Column[LoadRow]("Started", lambda r: r.started),
                Column[LoadRow]("Seen by", lambda r: f"the {r.source}"),
                Column[LoadRow]("Message", lambda r: r.message),
            ],
            key=lambda r: r.key,
            parent=parent,
        )  # fmt: skip


class LoadsFilter(RecordFilterProxy):
    def __init__(self, model: LoadsModel, parent: Any = None) -> None:
        super().__init__(model, parent)
        self.group = ""

    def set_group(self, group: str) -> None:
        if group == self.group:
            return
        self.beginFilterChange()
        self.group = group
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Any) -> bool:
        model = self.sourceModel()
        if self.group and isinstance(model, LoadsModel) and model.record(source_row).group != self.group:
            return False
        return super().filterAcceptsRow(source_row, source_parent)


class TxnRow:
    def __init__(self, db: str, txn: RunningTxn | None, note: str = "") -> None:
        self.db, self.txn, self.note = db, txn, note

    @property
    def key(self) -> str:
        return f"{self.db}/{self.txn.key if self.txn else self.note}"


class TxnsModel(RecordTableModel[TxnRow]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            [
                Column[TxnRow]("Database", lambda r: r.db),
                Column[TxnRow]("Stuck", lambda r: ("stuck" if r.txn.stuck else "ok") if r.txn else "",
                               badge=lambda r: status_color("failed" if r.txn and r.txn.stuck else "normal")
                               if r.txn else None),
                Column[TxnRow]("Label", lambda r: r.txn.label if r.txn else ""),
                Column[TxnRow]("State", lambda r: r.txn.state if r.txn else ""),
                Column[TxnRow]("Findings", lambda r: "; ".join(r.txn.findings) if r.txn else r.note),
            ],
            key=lambda r: r.key,
            parent=parent,
        )  # fmt: skip


def txn_rows(databases: list[DbTxns]) -> list[TxnRow]:
    rows: list[TxnRow] = []
    for d in databases:
        if d.error:
            rows.append(TxnRow(d.db, None, f"could not be read: {d.error}"))
        rows.extend(TxnRow(d.db, t) for t in d.transactions)
    return rows


class GlancePanel(QWidget):
    open_transactions = Signal(str)  # the database to show in Load transactions ("" for any)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loads = LoadsModel(self)
        self.proxy = LoadsFilter(self.loads, self)
        self.txns = TxnsModel(self)
        self.summary = QLabel("", self)
        self.summary.setWordWrap(True)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter loads (label, table, state…)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.set_filter_text)
        self.group = QComboBox(self)
        for title, group in GROUPS:
            self.group.addItem(title, group)
        self.group.currentIndexChanged.connect(lambda _i: self.proxy.set_group(str(self.group.currentData())))
        self.loads_table = self._table(self.proxy, "loadsTable", 0)
        self.txns_table = self._table(self.txns, "txnsTable", 1)
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.group)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.loads_table)
        split.addWidget(self.txns_table)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.summary)
        lay.addWidget(split, 1)

    def _table(self, model: Any, name: str, badge_column: int) -> QTableView:
        table = QTableView(self)
        table.setObjectName(name)
        table.setModel(model)
        setup_table(table)
        table.setItemDelegateForColumn(badge_column, BadgeDelegate(table))
        table.setToolTip("Double-click to open Load transactions")
        table.doubleClicked.connect(self._open)
        fit_when_filled(table)
        return table

    def _open(self, index: QModelIndex) -> None:
        record = index.data(Role.RECORD)
        self.open_transactions.emit(getattr(record, "db", ""))

    def show_glance(self, glance: Glance) -> None:
        self.loads.set_rows(glance.loads)
        self.txns.set_rows(txn_rows(glance.databases))
        running = sum(1 for r in glance.loads if r.group == "running")
        stuck = sum(d.stuck for d in glance.databases)
        parts = [f"{len(glance.loads):,} recent loads, {running:,} running"]
        if glance.databases:
            parts.append(
                "running transactions in " + ", ".join(f"{d.db} ({d.running:,})" for d in glance.databases)
            )
        if stuck:
            parts.append(f"{stuck} stuck")
        text = "; ".join(parts) + "."
        if glance.loads_error:
            text += " " + glance.loads_error
        self.summary.setText(text)
        set_tone(self.summary, "error" if stuck else None)

    def clear(self) -> None:
        self.loads.set_rows([])
        self.txns.set_rows([])
        self.summary.setText("")
