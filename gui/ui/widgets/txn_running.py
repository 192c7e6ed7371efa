"""Running transactions of a database, as the FE lists them joined with what the BEs hold: the ones
idle for long, prepared for long, near their timeout or lost by their BE stand out, and can be
selected and rolled back together."""

from __future__ import annotations

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

from ...services.transactions import (
    RUNNING_LIMIT_NOTE,
    RunningSnapshot,
    RunningTxn,
    Thresholds,
    classify,
)
from ..models.table import RecordFilterProxy, Role
from ..models.transactions import RunningModel
from ..style import tone_hex
from .badge import BadgeDelegate
from .state_line import StateLine
from .tables import fit_when_filled


class RunningPanel(QWidget):
    refresh_requested = Signal()
    rollback_requested = Signal(list)  # the selected RunningTxn records

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runningPanel")
        self.snapshot: RunningSnapshot | None = None
        self.summary = QLabel("Pick a database to see its running transactions.", self)
        self.summary.setObjectName("runningSummary")
        self.summary.setWordWrap(True)
        self.state_line = StateLine(self, retry="press Refresh to try again")

        def spin(value: int, maximum: int, suffix: str, tip: str) -> QSpinBox:
            s = QSpinBox(self)
            s.setRange(1, maximum)
            s.setValue(value)
            s.setSuffix(suffix)
            s.setToolTip(tip)
            s.valueChanged.connect(lambda _v: self._reclassify())
            return s

        limits = Thresholds()
        self.idle_spin = spin(int(limits.idle_s), 86_400, " s", "Flag a running transaction idle this long")
        self.idle_spin.setObjectName("idleThreshold")
        self.prepared_spin = spin(
            int(limits.prepared_s // 60), 43_200, " min", "Flag a prepared transaction open this long"
        )
        self.prepared_spin.setObjectName("preparedThreshold")
        self.near_spin = spin(
            int(limits.near_timeout_s), 86_400, " s", "Flag a transaction this close to its timeout"
        )
        self.near_spin.setObjectName("nearThreshold")
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setToolTip("F5")
        self.refresh_button.clicked.connect(self.refresh_requested.emit)
        self.stuck_button = QPushButton("Select stuck", self)
        self.stuck_button.setObjectName("selectStuck")
        self.stuck_button.clicked.connect(self.select_stuck)
        self.rollback_button = QPushButton("Roll back selected…", self)
        self.rollback_button.setObjectName("rollbackSelected")
        self.rollback_button.setToolTip("Delete")
        self.rollback_button.clicked.connect(lambda: self.rollback_requested.emit(self.selected()))
        # Thresholds and actions on two lines, so the panel fits a narrow window.
        row = QHBoxLayout()
        row.addWidget(QLabel("Flag idle after", self))
        row.addWidget(self.idle_spin)
        row.addWidget(QLabel("prepared after", self))
        row.addWidget(self.prepared_spin)
        row.addWidget(QLabel("timeout within", self))
        row.addWidget(self.near_spin)
        row.addStretch(1)
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.refresh_button)
        actions.addWidget(self.stuck_button)
        actions.addWidget(self.rollback_button)

        self.model = RunningModel(self)
        self.proxy = RecordFilterProxy(self.model, self)
        self.table = QTableView(self)
        self.table.setObjectName("runningTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)
        self.table.setItemDelegateForColumn(2, BadgeDelegate(self.table))
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        fit_when_filled(self.table)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._buttons())
        self.note = QLabel(self)
        self.note.setObjectName("runningNote")
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note.hide()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.summary)
        lay.addWidget(self.state_line)
        lay.addLayout(row)
        lay.addLayout(actions)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.note)
        self._buttons()

    def clear(self) -> None:
        """Another cluster or database: nothing of the last one stays on screen."""
        self.snapshot = None
        self.model.set_rows([])
        self.summary.setText("Pick a database to see its running transactions.")
        self.show_note("")
        self.state_line.clear()
        self._buttons()

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
