"""Running transactions of a database, as the FE lists them joined with what the BEs hold: the ones
idle for long, prepared for long, near their timeout or lost by their BE stand out, and can be
selected and rolled back together (through the service; each outcome in its row, the ones the BE
lost said plainly)."""

from __future__ import annotations

import asyncio
import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ....services.transactions import (
    RUNNING_LIMIT_NOTE,
    RollbackResult,
    RunningSnapshot,
    RunningTxn,
    Thresholds,
    TransactionsService,
    classify,
    lost_note,
)
from ....services.words import plural
from ...activity import ActivityEntry
from ...models.table import RecordFilterProxy, Role
from ...models.transactions import RunningModel
from ...style import span, tone_hex
from ...widgets.badge import BadgeDelegate
from ...widgets.state_line import StateLine
from ...widgets.tables import fit_when_filled
from .confirm import ask_rollback

if TYPE_CHECKING:
    from .view import TransactionsView


class RunningPanel(QWidget):
    """The Running transactions tab. Emits ``listed`` whenever the rows on screen changed (the tab's
    title counts them)."""

    listed = Signal()

    def __init__(self, view: TransactionsView) -> None:
        super().__init__(view)
        self.view = view
        self.setObjectName("runningPanel")
        self.snapshot: RunningSnapshot | None = None
        self.summary = QLabel("Pick a database to see its running transactions.", self)
        self.summary.setObjectName("runningSummary")
        self.summary.setWordWrap(True)
        self.state_line = StateLine(self, retry="press Refresh to try again")
        thresholds = self._thresholds_row()
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setToolTip("F5")
        self.refresh_button.clicked.connect(self.refresh)
        self.stuck_button = QPushButton("Select stuck", self)
        self.stuck_button.setObjectName("selectStuck")
        self.stuck_button.clicked.connect(self.select_stuck)
        self.rollback_button = QPushButton("Roll back selected…", self)
        self.rollback_button.setObjectName("rollbackSelected")
        self.rollback_button.setToolTip("Delete")
        self.rollback_button.clicked.connect(lambda: self.confirm_rollback(self.selected()))
        # Thresholds and actions on two lines, so the panel fits a narrow window.
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.refresh_button)
        actions.addWidget(self.stuck_button)
        actions.addWidget(self.rollback_button)
        self.model = RunningModel(self)
        self.proxy = RecordFilterProxy(self.model, self)
        self.table = self._table()
        self.note = QLabel(self)
        self.note.setObjectName("runningNote")
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note.hide()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.summary)
        lay.addWidget(self.state_line)
        lay.addLayout(thresholds)
        lay.addLayout(actions)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.note)
        self._buttons()

    def _spin(self, value: int, maximum: int, suffix: str, name: str, tip: str) -> QSpinBox:
        s = QSpinBox(self)
        s.setObjectName(name)
        s.setRange(1, maximum)
        s.setValue(value)
        s.setSuffix(suffix)
        s.setToolTip(tip)
        s.valueChanged.connect(lambda _v: self._reclassify())
        return s

    def _thresholds_row(self) -> QHBoxLayout:
        limits = Thresholds()
        self.idle_spin = self._spin(
            int(limits.idle_s), 86_400, " s", "idleThreshold", "Flag a running transaction idle this long"
        )
        self.prepared_spin = self._spin(
            int(limits.prepared_s // 60),
            43_200,
            " min",
            "preparedThreshold",
            "Flag a prepared transaction open this long",
        )
        self.near_spin = self._spin(
            int(limits.near_timeout_s),
            86_400,
            " s",
            "nearThreshold",
            "Flag a transaction this close to its timeout",
        )
        row = QHBoxLayout()
        row.addWidget(QLabel("Flag idle after", self))
        row.addWidget(self.idle_spin)
        row.addWidget(QLabel("prepared after", self))
        row.addWidget(self.prepared_spin)
        row.addWidget(QLabel("timeout within", self))
        row.addWidget(self.near_spin)
        row.addStretch(1)
        return row

    def _table(self) -> QTableView:
        table = QTableView(self)
        table.setObjectName("runningTable")
        table.setModel(self.proxy)
        table.setSortingEnabled(True)
        table.sortByColumn(3, Qt.SortOrder.DescendingOrder)
        table.setItemDelegateForColumn(2, BadgeDelegate(table))
        table.verticalHeader().setVisible(False)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        fit_when_filled(table)
        table.selectionModel().selectionChanged.connect(lambda *_: self._buttons())
        return table

    # -- the work ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        """List the current database's running transactions again (in the background)."""
        db = self.view.target.db()
        if self.view.service is None or not db:
            return
        self.view.background(self.list_running(db), "listing running transactions", line=self.state_line)

    def refresh_if_listed(self, db: str) -> None:
        """A step changed what runs in ``db``: the list follows, if it shows that database."""
        if self.snapshot is not None and self.snapshot.db == db:
            self.refresh()

    async def list_running(self, db: str) -> None:
        service = self.view.service
        if service is None or not db:
            return
        self.set_snapshot(await service.running(db))

    def confirm_rollback(self, txns: list[RunningTxn]) -> None:
        db = self.view.target.db()
        if not txns or self.view.service is None:
            return
        names = ", ".join(t.label for t in txns[:5]) + ("…" if len(txns) > 5 else "")
        ask_rollback(
            self.view,
            f"Roll back {plural(len(txns), 'transaction')} in {db} ({names})? "
            "None of their rows will be loaded; whoever is sending to them gets an error.",
            lambda: self._start_rollback(db, txns),
        )

    def _start_rollback(self, db: str, txns: list[RunningTxn]) -> None:
        service, ctx = self.view.service, self.view.ctx
        if service is None:
            return
        entry = ctx.activity.start(f"Roll back {plural(len(txns), 'transaction')} in {db}", kind="rollback")
        task = ctx.run(
            self._rollback(service, entry, db, [t.label for t in txns]),
            key=f"{self.view.key}-bulk",
            what="rolling back",
        )
        entry.cancel = task.cancel

    async def _rollback(
        self, service: TransactionsService, entry: ActivityEntry, db: str, labels: list[str]
    ) -> None:
        self.show_note(f"Rolling back {plural(len(labels), 'transaction')}…")

        def each(i: int, result: RollbackResult) -> None:
            self.set_result(result.label, result.text)
            entry.update((i + 1) / len(labels), f"{result.label}: {result.text}")

        try:
            bulk = await service.rollback(db, labels, each)
        except asyncio.CancelledError:
            entry.cancelled("stopped; the rest were not rolled back")
            self.show_note("Bulk rollback cancelled; the remaining transactions were not touched.")
            raise
        except Exception as e:
            entry.fail(str(getattr(e, "message", "") or e))
            raise
        self.set_snapshot(bulk.snapshot)
        for t in bulk.lost:
            self.set_result(t.label, "the FE still lists it; rollback finds none")
        lines = [f"<b>Rolled back {bulk.done} of {len(bulk.results)}.</b>"]
        lines += [f"{html.escape(r.label)}: {html.escape(r.text)}" for r in bulk.refused()]
        lines += [span(lost_note(t, bulk.snapshot.now), "error") for t in bulk.lost]
        self.show_note("<br/>".join(lines))
        if bulk.ok:
            entry.succeed(bulk.summary(), raw=bulk.raw())
        else:
            entry.fail(bulk.summary(), raw=bulk.raw())
        await self.view.unfinished.review()

    # -- the list ---------------------------------------------------------------------------------
    def title(self) -> str:
        if self.snapshot is None:
            return "Running transactions"
        rows = self.model.rows
        stuck = sum(1 for t in rows if t.stuck)
        return f"Running transactions ({len(rows)}" + (f", {stuck} stuck)" if stuck else ")")

    def clear(self) -> None:
        """Another cluster or database: nothing of the last one stays on screen."""
        self.snapshot = None
        self.model.set_rows([])
        self.summary.setText("Pick a database to see its running transactions.")
        self.show_note("")
        self.state_line.clear()
        self._buttons()
        self.listed.emit()

    def thresholds(self) -> Thresholds:
        return Thresholds(
            idle_s=self.idle_spin.value(),
            prepared_s=self.prepared_spin.value() * 60,
            near_timeout_s=self.near_spin.value(),
        )

    def set_snapshot(self, snapshot: RunningSnapshot) -> None:
        self.snapshot = snapshot
        self._reclassify()

    def _reclassify(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        previous = {t.key: t.rollback for t in self.model.rows}
        chosen = {t.key for t in self.selected()}
        rows = classify(snap, self.thresholds())
        for t in rows:
            t.rollback = previous.get(t.key, "")
        self.model.now = snap.now
        self.model.set_rows(rows)
        self._select(lambda t: t.key in chosen)
        self.listed.emit()
        stuck = sum(1 for t in rows if t.stuck)
        prepared = sum(1 for t in rows if t.state == "PREPARED")
        text = (
            f"<b>{len(rows)}</b> open {'transaction' if len(rows) == 1 else 'transactions'} "
            f"in <b>{snap.db}</b> "
            f"({len(rows) - prepared} running, {prepared} prepared)"
        )
        text += (
            f"; <span style='color:{tone_hex('error')}'><b>{stuck}</b> look stuck</span>."
            if stuck
            else "; none looks stuck."
        )
        text += f" <br/><small>{RUNNING_LIMIT_NOTE}.</small>"
        if snap.be_errors:
            errs = "; ".join(f"{be}: {msg}" for be, msg in snap.be_errors.items())
            text += f"<br/><span style='color:{tone_hex('warning')}'>BE list unavailable — {errs}</span>"
        self.summary.setText(text)
        self._buttons()

    def selected(self) -> list[RunningTxn]:
        out: list[RunningTxn] = []
        for idx in self.table.selectionModel().selectedRows():
            t = idx.data(Role.RECORD)
            if isinstance(t, RunningTxn):
                out.append(t)
        return out

    def select_stuck(self) -> None:
        self._select(lambda t: t.stuck)
        self.table.setFocus()

    def _select(self, wanted: object) -> None:
        sel = QItemSelection()
        for row in range(self.proxy.rowCount()):
            t = self.proxy.index(row, 0).data(Role.RECORD)
            if isinstance(t, RunningTxn) and callable(wanted) and wanted(t):
                sel.select(self.proxy.index(row, 0), self.proxy.index(row, self.proxy.columnCount() - 1))
        self.table.selectionModel().select(sel, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self._buttons()

    def set_result(self, label: str, text: str) -> None:
        for t in self.model.rows:
            if t.label == label:
                t.rollback = text
                self.model.upsert(t)

    def show_note(self, html: str) -> None:
        self.note.setText(html)
        self.note.setVisible(bool(html))

    def _buttons(self) -> None:
        self.rollback_button.setEnabled(bool(self.selected()))
        self.stuck_button.setEnabled(any(t.stuck for t in self.model.rows))
