"""Load transactions: load files into a table through the Stream Load transaction interface, one
step at a time (Begin, Load…, Prepare, Commit or Roll back) or all at once with the exactly-once
loader; every answer in plain words with its raw JSON a click away; the journal's history and its
unfinished transactions; and the database's running transactions, where stuck or leaked ones are
found and rolled back in bulk.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...api import errors
from ...api.starrocks import LoadOptions, StarRocksClient
from ...services.journal import JournalEntry
from ...services.loader import Loader, LoadFailed, LoadRequest, LoadStopped
from ...services.profiles import Profile
from ...services.transactions import (
    Answer,
    RunningTxn,
    TxnSettings,
    TxnStepper,
    Unfinished,
    earlier_loads,
    explain_error,
    finish_unfinished,
    human_bytes,
    lost_note,
    new_label,
    review_unfinished,
    rollback_many,
    running_snapshot,
    still_listed_but_lost,
)
from ...services.words import join, plural
from ..activity import ActivityEntry
from ..context import UiContext
from ..dialogs.txn_answer import show_answer
from ..models.table import RecordFilterProxy, Role
from ..models.transactions import HistoryModel
from ..style import span
from ..widgets.badge import BadgeDelegate
from ..widgets.tables import fit_when_filled, setup_table
from ..widgets.txn_form import TxnForm
from ..widgets.txn_running import RunningPanel
from ..widgets.txn_steps import TxnStepsPanel
from ..widgets.txn_unfinished import UnfinishedPanel
from .base import View

# Databases nobody loads into.
_SYSTEM_DBS = {"information_schema", "_statistics_", "sys"}
TAB_LOAD, TAB_HISTORY, TAB_RUNNING = 0, 1, 2


class TransactionsView(View):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("transactionsView")
        self.stepper: TxnStepper | None = None
        self._busy = False
        self._stop = False  # set by Cancel: the next progress report of a load stops it
        self._cancel_current: Callable[[], None] | None = None  # Cancel of the running step
        self._in_flight: set[str] = set()  # labels the all-at-once loader is working on
        self._label_generated = True
        self._label_for = ""  # the table the generated label names
        self._wanted: dict[str, str] = {}  # db/table to select once listed (restored state)
        self._key = f"txn-{id(self)}"

        # -- header: where to load -----------------------------------------------------------------
        self.where = QLabel("Pick a StarRocks cluster in Connections.", self)
        self.where.setObjectName("txnWhere")
        self.where.setWordWrap(True)
        self.db_combo = QComboBox(self)
        self.db_combo.setObjectName("dbCombo")
        self.db_combo.setMinimumContentsLength(14)
        self.db_combo.currentTextChanged.connect(self._db_changed)
        self.table_combo = QComboBox(self)
        self.table_combo.setObjectName("tableCombo")
        self.table_combo.setMinimumContentsLength(14)
        self.table_combo.currentTextChanged.connect(self._table_changed)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setToolTip("F5")
        self.refresh_button.clicked.connect(self.refresh)
        head = QHBoxLayout()
        head.addWidget(QLabel("Database", self))
        head.addWidget(self.db_combo)
        head.addWidget(QLabel("Table", self))
        head.addWidget(self.table_combo)
        head.addWidget(self.refresh_button)
        head.addWidget(self.where, 1)

        # -- unfinished transactions from the journal ---------------------------------------------
        self.unfinished = UnfinishedPanel(self)
        self.unfinished.commit_requested.connect(lambda items: self._finish(items, "commit"))
        self.unfinished.rollback_requested.connect(self._confirm_unfinished_rollback)

        # -- the Load tab --------------------------------------------------------------------------
        self.form = TxnForm(self)
        self.form.changed.connect(self._form_changed)
        self.form.label_edited.connect(self._label_edited)
        self.form.new_label_requested.connect(self.new_label)
        scroll = QScrollArea(self)
        scroll.setObjectName("txnFormScroll")
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        # As narrow as the form allows, never narrower: fields are not cut off at the right.
        bar = scroll.verticalScrollBar().sizeHint().width()
        scroll.setMinimumWidth(self.form.minimumSizeHint().width() + bar)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.steps = TxnStepsPanel(self)
        self.steps.begin_button.clicked.connect(self._on_begin)
        self.steps.load_button.clicked.connect(self._on_load)
        self.steps.prepare_button.clicked.connect(self._on_prepare)
        self.steps.commit_button.clicked.connect(self._on_commit)
        self.steps.rollback_button.clicked.connect(self._confirm_current_rollback)
        self.steps.all_button.clicked.connect(self._on_all)
        self.steps.cancel_button.clicked.connect(self._cancel_clicked)
        self.steps.raw_requested.connect(lambda a: show_answer(a, self))
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(scroll)
        # The steps pane scrolls too, so that a low window (700 px with the unfinished banner and the
        # Activity panel) still fits.
        steps_scroll = QScrollArea(self)
        steps_scroll.setObjectName("txnStepsScroll")
        steps_scroll.setWidgetResizable(True)
        steps_scroll.setFrameShape(QFrame.Shape.NoFrame)
        steps_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        steps_scroll.setWidget(self.steps)
        steps_scroll.setMinimumWidth(
            self.steps.minimumSizeHint().width() + steps_scroll.verticalScrollBar().sizeHint().width()
        )
        self.splitter.addWidget(steps_scroll)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 6)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([400, 560])

        # -- History tab ---------------------------------------------------------------------------
        self.history = HistoryModel(self)
        self.history_proxy = RecordFilterProxy(self.history, self)
        self.history_table = QTableView(self)
        self.history_table.setObjectName("historyTable")
        self.history_table.setModel(self.history_proxy)
        setup_table(self.history_table)
        self.history_table.setSortingEnabled(True)
        self.history_table.sortByColumn(8, Qt.SortOrder.DescendingOrder)
        self.history_table.setItemDelegateForColumn(3, BadgeDelegate(self.history_table))
        fit_when_filled(self.history_table)
        self.history_table.doubleClicked.connect(self._history_details)

        # -- Running transactions tab --------------------------------------------------------------
        self.running = RunningPanel(self)
        self.running.refresh_requested.connect(self.refresh_running)
        self.running.rollback_requested.connect(self._confirm_bulk_rollback)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("txnTabs")
        self.tabs.addTab(self.splitter, "Load")
        self.tabs.addTab(self.history_table, "History")
        self.tabs.addTab(self.running, "Running transactions")
        self.tabs.currentChanged.connect(self._tab_changed)
        self.filter = QLineEdit(self)
        self.filter.setObjectName("txnFilter")
        self.filter.setPlaceholderText("Filter (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMinimumWidth(220)
        self.filter.textChanged.connect(self._filter_changed)
        self.tabs.setCornerWidget(self.filter, Qt.Corner.TopRightCorner)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(head)
        lay.addWidget(self.state_line)
        lay.addWidget(self.unfinished)
        lay.addWidget(self.tabs, 1)

        self._label_timer = QTimer(self)
        self._label_timer.setSingleShot(True)
        self._label_timer.setInterval(450)
        self._label_timer.timeout.connect(self._check_label)
        self._describe()
        self._update()

    # -- View interface ---------------------------------------------------------------------------
    def set_profile(self, profile: Profile | None) -> None:
        if self.profile is not None and (profile is None or profile.name != self.profile.name):
            # The open transaction of the other cluster stays in the journal, offered when it is
            # picked again.
            self._reset()
        super().set_profile(profile)
        self._describe()
        self._update()

    def refresh(self) -> None:
        if self.profile is None:
            return
        self.background(self._refresh(), "refreshing load transactions")

    def new_item(self) -> None:
        """Ctrl+N: a new label, and a new transaction when the current one has ended."""
        st = self.stepper
        if st is not None and st.open:
            box = QMessageBox(
                QMessageBox.Icon.Question,
                "New transaction",
                f"Transaction {st.handle.txn_id if st.handle else ''} ({st.label}) is still open. Start a "
                "new one and leave it open? It stays in the journal and is offered for commit or "
                "rollback under Unfinished transactions.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                self,
            )
            box.setObjectName("confirmNew")
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.finished.connect(
                lambda b: self._start_new(leave_open=True) if b == QMessageBox.StandardButton.Yes else None
            )
            box.open()
            return
        self._start_new()

    def delete_selected(self) -> None:
        """Delete: roll back what is selected (running transactions, unfinished ones, or the
        current transaction)."""
        if self.tabs.currentIndex() == TAB_RUNNING:
            self._confirm_bulk_rollback(self.running.selected())
        elif not self.unfinished.isHidden() and self.unfinished.selected():
            self._confirm_unfinished_rollback(
                [u for u in self.unfinished.selected() if u.state in ("PREPARE", "PREPARED")]
            )
        elif self.stepper is not None and self.stepper.open:
            self._confirm_current_rollback()

    def focus_filter(self) -> None:
        if self.tabs.currentIndex() == TAB_LOAD:
            self.tabs.setCurrentIndex(TAB_HISTORY)
        self.filter.setFocus()
        self.filter.selectAll()

    def headers(self) -> dict[str, QHeaderView]:
        return {
            "history": self.history_table.horizontalHeader(),
            "running": self.running.table.horizontalHeader(),
        }

    def save_state(self) -> dict[str, Any]:
        state = super().save_state()
        state["db"] = self.db_combo.currentText()
        state["table"] = self.table_combo.currentText()
        state["splitter"] = bytes(self.splitter.saveState().data()).hex()
        return state

    def restore_state(self, state: dict[str, Any]) -> None:
        super().restore_state(state)
        for key in ("db", "table"):
            if isinstance(state.get(key), str) and state[key]:
                self._wanted[key] = state[key]
        raw = state.get("splitter")
        if isinstance(raw, str):
            self.splitter.restoreState(QByteArray(bytes.fromhex(raw)))

    async def aclose(self) -> None:
        self._label_timer.stop()

    # -- loading the view's data ------------------------------------------------------------------
    async def _client(self) -> StarRocksClient:
        assert self.profile is not None
        client = await self.ctx.session.starrocks(self.profile)
        return client

    async def _refresh(self) -> None:
        profile = self.profile
        assert profile is not None
        self.status.emit(f"{profile.name}: loading databases…")
        client = await self._client()
        names = [str(r.get("Database", "")) for r in await client.records("show databases")]
        names = sorted(n for n in names if n and n not in _SYSTEM_DBS)
        current = self.db_combo.currentText() or self._wanted.pop("db", "")
        self.db_combo.blockSignals(True)
        self.db_combo.clear()
        self.db_combo.addItems(names)
        if current in names:
            self.db_combo.setCurrentText(current)
        self.db_combo.blockSignals(False)
        await self._load_tables(client)
        self._reload_history()
        await self._review_unfinished(client)
        if self.tabs.currentIndex() == TAB_RUNNING:
            await self._refresh_running(client)
        self._describe()
        self._update()
        open_count = len(self.unfinished.model.rows)
        self.status.emit(
            f"{profile.name}: {plural(len(names), 'database')}, "
            f"{plural(self.history.rowCount(), 'load')} in the journal"
            + (f", {open_count} unfinished" if open_count else "")
        )
        self.loaded.emit()

    async def _load_tables(self, client: StarRocksClient | None = None) -> None:
        db = self.db_combo.currentText()
        if not db:
            self.table_combo.clear()
            return
        client = client or await self._client()
        rows = await client.records("show tables", db=db)
        tables = sorted(str(next(iter(r.values()), "")) for r in rows if r)
        current = self.table_combo.currentText() or self._wanted.pop("table", "")
        self.table_combo.blockSignals(True)
        self.table_combo.clear()
        self.table_combo.addItems(tables)
        if current in tables:
            self.table_combo.setCurrentText(current)
        self.table_combo.blockSignals(False)
        self._table_changed(self.table_combo.currentText())

    def _db_changed(self, _db: str) -> None:
        if self.profile is None:
            return
        self.background(self._load_tables(), "listing tables")
        if self.running.snapshot is not None and self.running.snapshot.db != self.db_combo.currentText():
            self.running.clear()  # another database's transactions and outcomes
        if self.tabs.currentIndex() == TAB_RUNNING:
            self.refresh_running()
        self._describe()

    def _table_changed(self, table: str) -> None:
        st = self.stepper
        if self._label_generated and table and table != self._label_for and (st is None or not st.open):
            self._set_label(new_label(table))
        self._describe()
        self._update()

    def _reload_history(self) -> None:
        fe = self._fe_url()
        entries = [e for e in self.ctx.session.journal.entries() if fe is None or e.fe_url.rstrip("/") == fe]
        self.history.set_rows(entries)
        self.tabs.setTabText(TAB_HISTORY, f"History ({len(entries)})")

    def _fe_url(self) -> str | None:
        return self.profile.url.rstrip("/") if self.profile is not None and self.profile.url else None

    async def _review_unfinished(self, client: StarRocksClient | None = None, select: str = "") -> None:
        client = client or await self._client()
        skip = set(self._in_flight)
        if self.stepper is not None and self.stepper.open:
            skip.add(self.stepper.label)
        items = await review_unfinished(client, self.ctx.session.journal, skip)
        self.unfinished.set_items(items)
        if select:
            self.unfinished.select_label(select)
        self._reload_history()

    def refresh_running(self) -> None:
        if self.profile is None or not self.db_combo.currentText():
            return
        self.background(
            self._refresh_running(), "listing running transactions", line=self.running.state_line
        )

    async def _refresh_running(self, client: StarRocksClient | None = None) -> None:
        db = self.db_combo.currentText()
        if not db:
            return
        client = client or await self._client()
        self.running.set_snapshot(await running_snapshot(client, db))
        self._running_tab_title()

    def _running_tab_title(self) -> None:
        rows = self.running.model.rows
        stuck = sum(1 for t in rows if t.stuck)
        text = f"Running transactions ({len(rows)}" + (f", {stuck} stuck)" if stuck else ")")
        self.tabs.setTabText(TAB_RUNNING, text)

    def _tab_changed(self, index: int) -> None:
        if index == TAB_RUNNING:
            self.refresh_running()
        elif index == TAB_HISTORY:
            self._reload_history()
        self._filter_changed(self.filter.text())

    def _filter_changed(self, text: str) -> None:
        self.history_proxy.set_filter_text(text)
        self.running.proxy.set_filter_text(text)

    def _history_details(self, index: Any) -> None:
        entry = index.data(Role.RECORD)
        if isinstance(entry, JournalEntry):
            answer = Answer(
                "journal",
                f"{entry.label}: {entry.step}" + (f" ({entry.state})" if entry.state else ""),
                "error" if entry.step == "failed" else "ok",
                detail=entry.message,
                raw=dataclasses.asdict(entry),
                label=entry.label,
            )
            show_answer(answer, self)

    # -- labels -----------------------------------------------------------------------------------
    def new_label(self) -> None:
        self._set_label(new_label(self.table_combo.currentText() or "load"))

    def _set_label(self, label: str) -> None:
        self._label_generated = True
        self._label_for = self.table_combo.currentText()
        self.form.label.setText(label)
        self.form.label.setCursorPosition(0)
        self.form.fields["label"].set_note(None)

    def _label_edited(self, _text: str) -> None:
        self._label_generated = False
        self.form.fields["label"].set_note(None)
        self._label_timer.start()

    def _check_label(self) -> None:
        label, db = self.form.label.text().strip(), self.db_combo.currentText()
        if self.profile is None or not db or not label or "label" in self.form.read()[2]:
            return
        self.ctx.run(self._ask_label(db, label), key=f"{self._key}-label", what="checking the label")

    async def _ask_label(self, db: str, label: str) -> None:
        client = await self._client()
        try:
            state = await client.load_state(db, label)
        except errors.ApiError:
            return  # the check is advisory; Begin gives the cluster's own answer
        if self.form.label.text().strip() != label:
            return
        notes = {
            "VISIBLE": "already used by a finished load: Begin will be refused",
            "COMMITTED": "already used by a committed load: Begin will be refused",
            "PREPARE": "in use by a running transaction",
            "PREPARED": "in use by a prepared transaction: commit or roll it back first",
            "ABORTED": "used before by a load that was aborted: free to use again",
        }
        self.form.fields["label"].set_note(notes.get(state))

    def _start_new(self, leave_open: bool = False) -> None:
        self.stepper = None
        self.steps.clear()
        self.new_label()
        self.form.set_locked(False)
        self._describe()
        self._update()
        if leave_open and self.profile is not None:
            self.background(self._review_unfinished(), "reading the journal")

    def _reset(self) -> None:
        self.stepper = None
        self.steps.clear()
        self.form.set_locked(False)
        self.db_combo.clear()
        self.table_combo.clear()
        self.unfinished.set_items([])
        self.unfinished.show_note("")
        self.running.clear()
        self._update()

    def _form_changed(self) -> None:
        """Other files or settings: the last load's progress and figures no longer describe them."""
        st = self.stepper
        if not self._busy and (st is None or not st.open):
            self.steps.progress.hide()
            self.steps.stats.setText("")
        self._update()

    # -- the current transaction's display ---------------------------------------------------------
    def _describe(self) -> None:
        st = self.stepper
        if self.profile is None:
            self.where.setText("Pick a StarRocks cluster in Connections.")
        else:
            self.where.setText(f"<b>{self.profile.name}</b> — {self.profile.url}")
        if st is None:
            self.steps.state_label.setText(
                "<b>No transaction open.</b> Choose files and a label, then <b>Begin</b> and <b>Load</b> "
                "them step by step — or <b>Load all at once</b>."
            )
            self.steps.next_label.setText(self._files_summary())
            return
        txn = f"Transaction <b>{st.handle.txn_id}</b>" if st.handle else "Transaction"
        words = {
            "new": "not begun",
            "open": f"running on BE {st.handle.be.split('://')[-1] if st.handle else '?'}",
            "prepared": "<b>prepared</b>: commit or roll back",
            "committed": span("committed", "ok", bold=True) + ": the rows are visible",
            "aborted": span("ended", "error", bold=True) + " (aborted or rolled back)",
        }
        self.steps.state_label.setText(
            f"{txn} · label <code>{st.label}</code> · into <b>{st.db}.{st.table}</b> · {words[st.phase]}"
        )
        piece = st.next_piece
        if st.phase != "open":
            self.steps.next_label.setText(
                f"{plural(len(st.pieces), 'piece')}, {human_bytes(st.total_bytes)} in all."
            )
        elif st.uncertain is not None:
            self.steps.next_label.setText(
                f"Next: check whether the stopped {st.uncertain.describe()} arrived, then go on."
            )
        elif piece is not None:
            files_done = len({p.file for p in st.pieces[: st.next]})
            self.steps.next_label.setText(
                f"Next: <b>{piece.describe()}</b>, {human_bytes(piece.length)} — piece {st.next + 1} of "
                f"{len(st.pieces)} ({files_done} of {plural(len(st.files), 'file')} sent)"
            )
        else:
            self.steps.next_label.setText(
                "Every chosen file has been sent: <b>Prepare</b>, then <b>Commit</b>."
            )
        self._stats()

    def _files_summary(self) -> str:
        paths = self.form.file_paths()
        if not paths:
            return "Add the files to load (Files, on the left) to begin."
        size = sum(p.stat().st_size for p in paths if p.is_file())
        return f"{plural(len(paths), 'file')}, {human_bytes(size)} chosen."

    def _stats(self, sending: int = 0, rate: float | None = None) -> None:
        st = self.stepper
        if st is None:
            self.steps.stats.setText("")
            return
        done = st.bytes_sent + sending
        parts = [f"{human_bytes(done)} of {human_bytes(st.total_bytes)} sent"]
        if rate is not None:
            parts.append(f"{human_bytes(rate)}/s")
        parts.append(f"{st.rows_loaded:,} rows loaded, {st.rows_filtered:,} filtered")
        self.steps.stats.setText(" · ".join(parts))
        self.steps.set_progress(done / st.total_bytes if st.total_bytes else (1.0 if st.next else 0.0))

    def _update(self) -> None:
        st = self.stepper
        ready = self.profile is not None and bool(
            self.db_combo.currentText() and self.table_combo.currentText()
        )
        _o, _s, bad = self.form.read()
        valid = ready and not bad
        idle = not self._busy
        open_ = st is not None and st.open
        self.steps.begin_button.setEnabled(idle and not open_ and valid)
        self.steps.all_button.setEnabled(idle and not open_ and valid)
        can_load = (
            st is not None and st.phase == "open" and (st.next_piece is not None or st.uncertain is not None)
        )
        self.steps.load_button.setEnabled(idle and can_load)
        self.steps.prepare_button.setEnabled(idle and st is not None and st.phase == "open")
        self.steps.commit_button.setEnabled(idle and open_)
        self.steps.rollback_button.setEnabled(idle and open_)
        self.steps.cancel_button.setVisible(self._busy and self._cancel_current is not None)
        locked = self._busy or open_
        self.form.set_locked(locked)
        self.db_combo.setEnabled(not locked)
        self.table_combo.setEnabled(not locked)
        if st is not None and st.phase == "open" and st.next_piece is not None:
            self.steps.load_button.setText(f"Load {st.next + 1}/{len(st.pieces)}")
        else:
            self.steps.load_button.setText("Load")
        if st is None:
            self.steps.next_label.setText(self._files_summary())

    def _answer(self, answer: Answer) -> None:
        self.steps.show_answer(answer)
        self._describe()
        self._update()
        self._reload_history()
        label = answer.label or (self.stepper.label if self.stepper else "")
        self.status.emit(f"{label}: {answer.headline}" if label else answer.headline)

    # -- steps ------------------------------------------------------------------------------------
    def _read_form(self) -> tuple[LoadOptions, TxnSettings] | None:
        options, settings, bad = self.form.read()
        if bad or options is None or settings is None:
            self.form.validate()
            return None
        return options, settings

    def _run_step(self, coro: Any, what: str) -> Any:
        self._busy = True
        self._stop = False
        self._update()
        return self.ctx.run(self._guard(coro), key=f"{self._key}-step", what=what)

    def _canceller(self, task: asyncio.Task[Any]) -> Callable[[], None]:
        """Cancel for the Activity panel. A cancellation that lands just as an inner wait_for
        completes is swallowed on Python 3.11 (its result wins), so it is repeated until the task
        ends; and the next progress report of a body being sent stops it for sure."""

        def again() -> None:
            if not task.done():
                task.cancel()
                QTimer.singleShot(100, again)

        def cancel() -> None:
            self._stop = True
            again()

        return cancel

    def _check_stop(self) -> None:
        if self._stop:
            raise asyncio.CancelledError("cancelled by the user")

    def _cancel_clicked(self) -> None:
        if self._cancel_current is not None:
            self._cancel_current()

    async def _guard(self, coro: Any) -> None:
        try:
            await coro
        finally:
            self._busy = False
            self._cancel_current = None
            if self.running.snapshot is not None and self.running.snapshot.db == self.db_combo.currentText():
                self.refresh_running()  # the step changed what runs: the count must follow
            self._describe()
            self._update()

    def _on_begin(self) -> None:
        read = self._read_form()
        if read is None or self.profile is None:
            return
        options, settings = read
        db, table = self.db_combo.currentText(), self.table_combo.currentText()

        def begin() -> None:
            self.steps.clear()
            self._run_step(self._begin(options, settings), "beginning a transaction")

        self._unless_loaded_before(self.form.file_paths(), db, table, begin)

    async def _begin(self, options: LoadOptions, settings: TxnSettings) -> None:
        client = await self._client()
        st = TxnStepper(
            client,
            self.ctx.session.journal,
            db=self.db_combo.currentText(),
            table=self.table_combo.currentText(),
            label=settings.label,
            options=options,
            files=self.form.file_paths(),
            chunk_bytes=settings.chunk_mib << 20,
            timeout=settings.timeout,
            idle_timeout=settings.idle_timeout,
            prepared_timeout=settings.prepared_timeout,
        )
        answer = await st.begin()
        self.stepper = st if st.phase != "new" else None
        if self.stepper is None:
            # Nothing began: the answer stays on screen with the form as it was.
            self.steps.show_answer(answer)
            self._describe()
            self._update()
            self._reload_history()
            return
        self._answer(answer)

    def _on_load(self) -> None:
        st = self.stepper
        if st is None or self._busy:
            return
        piece = st.uncertain or st.next_piece
        name = piece.describe() if piece else "the next piece"
        entry = self.ctx.activity.start(f"Load {name} → {st.db}.{st.table} ({st.label})", kind="load")
        task = self._run_step(self._load(st, entry), f"loading {name}")
        entry.cancel = self._canceller(task)
        self._cancel_current = entry.cancel
        self.steps.cancel_button.setEnabled(True)
        self._update()
        entry.update(0.0, "sending…")

    async def _load(self, st: TxnStepper, entry: ActivityEntry) -> None:
        piece = st.uncertain or st.next_piece
        started = time.monotonic()
        last = [0.0]

        def report(sent: int, _size: int | None) -> None:
            self._check_stop()
            now = time.monotonic()
            if now - last[0] < 0.05 and sent < (piece.length if piece else 0):
                return  # a repaint per block would cost more than the block
            last[0] = now
            rate = sent / max(now - started, 1e-3)
            self._stats(sent, rate)
            if piece is not None and piece.length:
                entry.update(
                    sent / piece.length,
                    f"{human_bytes(sent)} of {human_bytes(piece.length)}, {human_bytes(rate)}/s",
                )

        try:
            answer = await st.load_next(report)
        except asyncio.CancelledError:
            entry.cancelled("sending stopped; the transaction is left open")
            self._answer(Answer("cancel", "Load cancelled.", "warning", detail=st.stopped(), label=st.label))
            raise
        seconds = time.monotonic() - started
        if answer.ok:
            rate = (piece.length if piece else 0) / max(seconds, 1e-3)
            self._stats(0, rate)
            entry.succeed(f"{answer.headline} ({seconds:.1f} s, {human_bytes(rate)}/s)", raw=answer.raw)
        elif answer.severity == "warning":
            entry.succeed(answer.headline, raw=answer.raw)
        else:
            entry.fail(answer.headline, raw=answer.raw)
        self._answer(answer)

    def _on_prepare(self) -> None:
        st = self.stepper
        if st is not None:
            self._run_step(self._simple(st.prepare()), "preparing the transaction")

    def _on_commit(self) -> None:
        st = self.stepper
        if st is not None:
            self._run_step(self._committed(st), "committing the transaction")

    async def _simple(self, step: Any) -> None:
        self._answer(await step)

    async def _committed(self, st: TxnStepper) -> None:
        answer = await st.commit()
        self._answer(answer)
        if st.phase == "committed":
            self.ctx.notify(f"{st.label}: committed, {st.rows_loaded:,} rows into {st.db}.{st.table}.")
            self.new_label()  # this one is used for good

    def _confirm_current_rollback(self) -> None:
        st = self.stepper
        if st is None or not st.open:
            return
        self._confirm(
            f"Roll back transaction {st.handle.txn_id if st.handle else ''} ({st.label})? None of its rows "
            "will be loaded.",
            lambda: self._run_step(self._simple(st.rollback()), "rolling back"),
        )

    def _confirm(self, text: str, then: Any) -> QMessageBox:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Roll back",
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setObjectName("confirmRollback")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda b: then() if b == QMessageBox.StandardButton.Yes else None)
        box.open()
        return box

    # -- all at once --------------------------------------------------------------------------------
    def _on_all(self) -> None:
        read = self._read_form()
        if read is None or self.profile is None:
            return
        options, settings = read
        files = self.form.file_paths()
        db, table = self.db_combo.currentText(), self.table_combo.currentText()
        self._unless_loaded_before(
            files, db, table, lambda: self._start_all(files, db, table, options, settings)
        )

    def _unless_loaded_before(
        self, files: list[Path], db: str, table: str, then: Callable[[], None]
    ) -> None:
        """Loading a file the journal shows already loaded into this table (unchanged since) would
        load its rows twice: the user is asked first, and loading it again is their choice."""
        if self.profile is None:
            return
        earlier = earlier_loads(self.ctx.session.journal, self.profile.url, db, table, files)
        if not earlier:
            then()
            return
        lines = "\n".join(f"• {e.describe()}." for e in earlier)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Already loaded",
            f"{lines}\n\nLoading again adds the same rows a second time. Load again anyway?",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("alreadyLoaded")
        again = box.addButton("Load again", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _r: then() if box.clickedButton() is again else None)
        self.already_box = box
        box.open()

    def _start_all(
        self, files: list[Path], db: str, table: str, options: LoadOptions, settings: TxnSettings
    ) -> None:
        self.steps.clear()
        self.stepper = None
        title = f"Load {files[0].name}" + (f" and {len(files) - 1} more" if len(files) > 1 else "")
        entry = self.ctx.activity.start(
            f"{title} → {db}.{table} exactly once ({settings.label})", kind="load"
        )
        loader_box: list[Loader] = []
        self._run_step(
            self._all(entry, files, db, table, options, settings, loader_box), "loading exactly once"
        )

        def stop() -> None:
            # Not a task cancel: the loader stops at its next safe point, never after commit is sent.
            if loader_box:
                self._stop_all(entry, loader_box[0])

        entry.cancel = stop
        self._cancel_current = stop
        self.steps.cancel_button.setEnabled(True)
        self._update()

    def _stop_all(self, entry: ActivityEntry, loader: Loader) -> None:
        answer = loader.stop(rollback=False)
        entry.update(None, answer.text)
        self.steps.cancel_button.setEnabled(False)
        self.steps.show_answer(
            Answer("cancel", answer.text, "warning", label=loader.label)
        )
        if answer.too_late:
            entry.cancel = None  # nothing left to stop: the entry ends with the cluster's answer
            entry.update(None, "commit already sent; waiting for the cluster's answer")

    async def _all(
        self,
        entry: ActivityEntry,
        files: list[Path],
        db: str,
        table: str,
        options: LoadOptions,
        settings: TxnSettings,
        loader_box: list[Loader],
    ) -> None:
        client = await self._client()
        sizes = [f.stat().st_size for f in files]
        total = sum(sizes) or 1
        base = [0]
        started = time.monotonic()
        last = [0.0]

        def report(sent: int, _size: int) -> None:
            now = time.monotonic()
            if now - last[0] < 0.05:
                return
            last[0] = now
            done = base[0] + sent
            rate = done / max(now - started, 1e-3)
            self.steps.set_progress(done / total)
            self.steps.stats.setText(
                f"{human_bytes(done)} of {human_bytes(total)} sent · {human_bytes(rate)}/s"
            )
            entry.update(done / total, f"{human_bytes(done)} of {human_bytes(total)}, {human_bytes(rate)}/s")

        loader = Loader(client, self.ctx.session.journal, progress=report)
        loader_box.append(loader)
        rows = filtered = 0
        self.steps.state_label.setText(
            f"<b>Loading exactly once</b> into <b>{db}.{table}</b>: begin, every chunk, prepare and commit "
            "for each file; a failure in between is retried under the same label."
        )
        for i, (f, size) in enumerate(zip(files, sizes, strict=True)):
            label = settings.label if i == 0 else f"{settings.label}-{i + 1}"
            self.steps.next_label.setText(
                f"File {i + 1} of {len(files)}: <b>{f.name}</b> as <code>{label}</code>"
            )
            request = LoadRequest(
                file=f,
                db=db,
                table=table,
                label=label,
                options=options,
                # A JSON file goes whole: cutting it on lines would split an array of rows.
                chunk_size=(settings.chunk_mib << 20) if options.format == "csv" else max(size, 1),
                timeout=settings.timeout,
            )
            self._in_flight.add(label)
            try:
                outcome = await loader.run(request)
            except LoadStopped as e:
                self._stopped_all(entry, e, files[i + 1 :], label)
                return
            except (LoadFailed, ValueError) as e:
                self._failed_all(entry, e, f, label, files[i + 1 :])
                return
            finally:
                self._in_flight.discard(label)
                self._reload_history()
            base[0] += size
            rows += outcome.rows_loaded
            filtered += outcome.rows_filtered
            if outcome.already_loaded:
                headline = (
                    f"{f.name}: the label {label} was already loaded ({outcome.rows_loaded:,} rows); "
                    "nothing was sent (exactly once)."
                )
            else:
                headline = (
                    f"{f.name}: {outcome.rows_loaded:,} rows loaded, {outcome.rows_filtered:,} filtered, "
                    f"visible ({outcome.seconds:.1f} s"
                    + (f", {plural(outcome.restarts, 'restart')}" if outcome.restarts else "")
                    + ")."
                )
            self.steps.show_answer(
                Answer(
                    "loader",
                    headline,
                    raw=dataclasses.asdict(outcome),
                    label=label,
                    error_url=outcome.error_url,
                )
            )
        self.steps.set_progress(1.0)
        seconds = time.monotonic() - started
        self.steps.stats.setText(
            f"{human_bytes(total)} in {seconds:.1f} s · {rows:,} rows loaded, {filtered:,} filtered"
        )
        latest = self.steps.latest()
        entry.succeed(f"{rows:,} rows loaded, {filtered:,} filtered", raw=latest.raw if latest else None)
        self.ctx.notify(f"Loaded {plural(len(files), 'file')} into {db}.{table}: {rows:,} rows.")
        self.new_label()

    def _stopped_all(self, entry: ActivityEntry, e: LoadStopped, rest: list[Path], label: str) -> None:
        """The user stopped the load before commit: say where, and what was left of it."""
        state = e.outcome.state
        left = (
            "rolled back"
            if e.rolled_back
            else {
                "PREPARED": "prepared, not committed: commit or roll it back under Unfinished transactions",
                "PREPARE": "open: roll it back under Unfinished transactions",
            }.get(state, f"in state {state}")
        )
        not_sent = f" {plural(len(rest), 'later file')} not sent." if rest else ""
        entry.cancelled(f"stopped {e.where}; transaction {label} {left}.{not_sent}")
        self.steps.show_answer(
            Answer(
                "cancel",
                f"Stopped {e.where}; nothing was committed.",
                "warning",
                detail=f"Transaction {label} is {left}.{not_sent}",
                raw=dataclasses.asdict(e.outcome),
                label=label,
            )
        )
        self.background(self._review_unfinished(select=label), "reading the journal")

    def _failed_all(
        self, entry: ActivityEntry, e: LoadFailed | ValueError, f: Path, label: str, rest: list[Path]
    ) -> None:
        if isinstance(e, ValueError):  # refused before anything was sent
            answer = Answer("loader", f"{f.name}: {e}", "error", detail="Nothing was sent.", label=label)
        else:
            cause = e.__cause__
            answer = (
                explain_error("loader", cause, label)
                if isinstance(cause, errors.ApiError) and not e.outcome.finished_by_other
                else Answer("loader", str(e), "error", label=label)
            )
            answer.headline = f"{f.name}: {answer.headline}"
            answer.error_url = answer.error_url or e.outcome.error_url
            if answer.raw is None:
                answer.raw = dataclasses.asdict(e.outcome)
        if rest:
            answer.detail = join(answer.detail, f"{plural(len(rest), 'later file')} not sent.")
        entry.fail(answer.headline, raw=answer.raw)
        self._answer(answer)

    # -- unfinished transactions --------------------------------------------------------------------
    def _confirm_unfinished_rollback(self, items: list[Unfinished]) -> None:
        if not items:
            return
        names = ", ".join(u.label for u in items[:5]) + ("…" if len(items) > 5 else "")
        self._confirm(
            f"Roll back {plural(len(items), 'unfinished transaction')} ({names})? None of their rows "
            "will be loaded.",
            lambda: self._finish(items, "rollback"),
        )

    def _finish(self, items: list[Unfinished], action: str) -> None:
        if not items or self.profile is None:
            return
        self.ctx.run(
            self._finish_all(items, action), key=f"{self._key}-finish", what=f"{action} of unfinished"
        )

    async def _finish_all(self, items: list[Unfinished], action: str) -> None:
        client = await self._client()
        notes: list[str] = []
        failed = False
        for u in items:
            answer = await finish_unfinished(
                client, self.ctx.session.journal, u, "commit" if action == "commit" else "rollback"
            )
            notes.append(f"{u.label}: {answer.headline}")
            failed = failed or not answer.ok
            latest = self.steps.latest()
            if latest is not None and latest.label == u.label and self.stepper is None:
                # The Load tab's last word on this transaction ("left open…") is out of date now.
                self.steps.show_answer(answer)
        self.unfinished.show_note("\n".join(notes), error=failed)
        await self._review_unfinished(client)
        self._reload_history()

    # -- running transactions: bulk rollback ------------------------------------------------------
    def _confirm_bulk_rollback(self, txns: list[RunningTxn]) -> None:
        if not txns or self.profile is None:
            return
        names = ", ".join(t.label for t in txns[:5]) + ("…" if len(txns) > 5 else "")
        self._confirm(
            f"Roll back {plural(len(txns), 'transaction')} in {self.db_combo.currentText()} ({names})? "
            "None of their rows will be loaded; whoever is sending to them gets an error.",
            lambda: self._start_bulk(txns),
        )

    def _start_bulk(self, txns: list[RunningTxn]) -> None:
        db = self.db_combo.currentText()
        title = f"Roll back {plural(len(txns), 'transaction')} in {db}"
        entry = self.ctx.activity.start(title, kind="rollback")
        task = self.ctx.run(self._bulk(entry, db, txns), key=f"{self._key}-bulk", what="rolling back")
        entry.cancel = task.cancel

    async def _bulk(self, entry: ActivityEntry, db: str, txns: list[RunningTxn]) -> None:
        client = await self._client()
        labels = [t.label for t in txns]
        self.running.show_note(f"Rolling back {plural(len(labels), 'transaction')}…")

        def each(i: int, result: Any) -> None:
            self.running.set_result(result.label, result.text)
            entry.update((i + 1) / len(labels), f"{result.label}: {result.text}")

        try:
            results = await rollback_many(client, db, labels, each)
        except asyncio.CancelledError:
            entry.cancelled("stopped; the rest were not rolled back")
            self.running.show_note("Bulk rollback cancelled; the remaining transactions were not touched.")
            raise
        snapshot = await running_snapshot(client, db)
        self.running.set_snapshot(snapshot)
        lost = still_listed_but_lost(results, self.running.model.rows)
        for t in lost:
            self.running.set_result(t.label, "the FE still lists it; rollback finds none")
        done = sum(1 for r in results if r.ok)
        lines = [f"<b>Rolled back {done} of {len(results)}.</b>"]
        for r in results:
            if not r.ok and not any(t.label == r.label for t in lost):
                lines.append(f"{r.label}: {r.text}")
        lines += [span(lost_note(t, snapshot.now), "error") for t in lost]
        self.running.show_note("<br/>".join(lines))
        self._running_tab_title()
        summary = f"{done} of {len(results)} rolled back" + (
            f"; {len(lost)} still listed by the FE" if lost else ""
        )
        raw = [r.answer.raw if r.answer else None for r in results]
        if done == len(results):
            entry.succeed(summary, raw=raw)
        else:
            entry.fail(summary, raw=raw)
        await self._review_unfinished(client)
