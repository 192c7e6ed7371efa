"""Load transactions: load files into a table through the Stream Load transaction interface, one
step at a time (Begin, Load…, Prepare, Commit or Roll back) or all at once with the exactly-once
loader; every answer in plain words with its raw JSON a click away; the journal's history and its
unfinished transactions; and the database's running transactions, where stuck or leaked ones are
found and rolled back in bulk.

The view puts its parts together — where to load (``target``), the unfinished banner
(``unfinished``), the Load tab (``load``), History (``history``) and Running transactions
(``running``) — and each part does its work through the profile's ``TransactionsService``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QHeaderView, QLineEdit, QTabWidget, QVBoxLayout, QWidget

from ....services.profiles import Profile
from ....services.transactions import TransactionsService, TxnStepper
from ....services.words import plural
from ...context import UiContext
from ...models.table import RecordFilterProxy
from ...models.transactions import HistoryModel
from ..base import View
from .form import TxnForm
from .history import HistoryTable
from .load import LoadTab
from .running import RunningPanel
from .steps import TxnStepsPanel
from .target import TargetBar
from .unfinished import UnfinishedPanel

TAB_LOAD, TAB_HISTORY, TAB_RUNNING = 0, 1, 2


class TransactionsView(View):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("transactionsView")
        self.service: TransactionsService | None = None
        self.key = f"txn-{id(self)}"
        self.target = TargetBar(self)
        self.target.db_changed.connect(self._db_changed)
        self.target.table_changed.connect(self._table_changed)
        self.target.refresh_requested.connect(self.refresh)
        self.where, self.db_combo, self.table_combo = (
            self.target.where,
            self.target.db_combo,
            self.target.table_combo,
        )
        self.unfinished = UnfinishedPanel(self)
        self.load_tab = LoadTab(self)
        self.history_table = HistoryTable(self)
        self.running = RunningPanel(self)
        self.running.listed.connect(self._running_tab_title)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("txnTabs")
        self.tabs.addTab(self.load_tab, "Load")
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
        lay.addWidget(self.target)
        lay.addWidget(self.state_line)
        lay.addWidget(self.unfinished)
        lay.addWidget(self.tabs, 1)
        self.load_tab.describe()
        self.load_tab.refresh_buttons()

    # -- the parts, by the names the window's state and the tests use ------------------------------
    @property
    def form(self) -> TxnForm:
        return self.load_tab.form

    @property
    def steps(self) -> TxnStepsPanel:
        return self.load_tab.steps

    @property
    def splitter(self) -> LoadTab:
        return self.load_tab

    @property
    def stepper(self) -> TxnStepper | None:
        return self.load_tab.stepper

    @property
    def busy(self) -> bool:
        """A step (or a load of all the files) is running."""
        return self.load_tab.busy

    @property
    def history(self) -> HistoryModel:
        return self.history_table.entries

    @property
    def history_proxy(self) -> RecordFilterProxy:
        return self.history_table.proxy

    # -- View interface ---------------------------------------------------------------------------
    def set_profile(self, profile: Profile | None) -> None:
        if self.profile is not None and (profile is None or profile.name != self.profile.name):
            # The open transaction of the other cluster stays in the journal, offered when it is
            # picked again.
            self._reset()
        old = self.service
        if profile is None:
            self.service = None
        elif old is None or old.profile != profile:
            # Loads of the profile under way keep being skipped when the journal is reviewed.
            kept = old.in_flight if old is not None and old.profile.name == profile.name else None
            self.service = TransactionsService(self.ctx.session, profile, kept)
        super().set_profile(profile)
        self.target.describe(profile)
        if profile is None:
            self.reload_history()
        self.load_tab.describe()
        self.load_tab.refresh_buttons()

    def refresh(self) -> None:
        if self.service is not None:
            self.background(self._refresh(self.service), "refreshing load transactions")

    def new_item(self) -> None:
        """Ctrl+N: a new label, and a new transaction when the current one has ended."""
        self.load_tab.new_transaction()

    def delete_selected(self) -> None:
        """Delete: roll back what is selected (running transactions, unfinished ones, or the
        current transaction)."""
        if self.tabs.currentIndex() == TAB_RUNNING:
            self.running.confirm_rollback(self.running.selected())
        elif not self.unfinished.isHidden() and self.unfinished.selected():
            self.unfinished.confirm_rollback(self.unfinished.selected())
        elif self.load_tab.open:
            self.load_tab.stepping.confirm_rollback()

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
        state["db"] = self.target.db()
        state["table"] = self.target.table()
        state["splitter"] = bytes(self.load_tab.saveState().data()).hex()
        return state

    def restore_state(self, state: dict[str, Any]) -> None:
        super().restore_state(state)
        db, table = state.get("db"), state.get("table")
        self.target.want(db if isinstance(db, str) else "", table if isinstance(table, str) else "")
        raw = state.get("splitter")
        if isinstance(raw, str):
            self.load_tab.restoreState(QByteArray(bytes.fromhex(raw)))

    async def aclose(self) -> None:
        self.load_tab.stop()

    # -- the view's data ----------------------------------------------------------------------------
    async def _refresh(self, service: TransactionsService) -> None:
        name = service.profile.name
        self.status.emit(f"{name}: loading databases…")
        databases = await service.databases()
        self.target.set_databases(databases)
        await self._list_tables(service)
        self.reload_history()
        await self.unfinished.review()
        if self.tabs.currentIndex() == TAB_RUNNING:
            await self.running.list_running(self.target.db())
        self.load_tab.describe()
        self.load_tab.refresh_buttons()
        open_count = len(self.unfinished.model.rows)
        self.status.emit(
            f"{name}: {plural(len(databases), 'database')}, "
            f"{plural(self.history.rowCount(), 'load')} in the journal"
            + (f", {open_count} unfinished" if open_count else "")
        )
        self.loaded.emit()

    async def _list_tables(self, service: TransactionsService) -> None:
        db = self.target.db()
        self.target.set_tables(await service.tables(db) if db else [])
        self._table_changed(self.target.table())

    def _db_changed(self, db: str) -> None:
        if self.service is None:
            return
        self.background(self._list_tables(self.service), "listing tables")
        if self.running.snapshot is not None and self.running.snapshot.db != db:
            self.running.clear()  # another database's transactions and outcomes
        if self.tabs.currentIndex() == TAB_RUNNING:
            self.running.refresh()
        self.load_tab.describe()

    def _table_changed(self, table: str) -> None:
        self.load_tab.table_changed(table)

    def reload_history(self) -> None:
        entries = self.service.history() if self.service is not None else []
        self.history_table.set_entries(entries)
        self.tabs.setTabText(TAB_HISTORY, f"History ({len(entries)})")

    def review_unfinished(self, select: str = "") -> None:
        """Look at the journal's unfinished transactions again (in the background)."""
        if self.service is not None:
            self.background(self.unfinished.review(select), "reading the journal")

    def _reset(self) -> None:
        self.load_tab.reset()
        self.target.clear()
        self.unfinished.set_items([])
        self.unfinished.show_note("")
        self.running.clear()
        self.load_tab.refresh_buttons()

    def _running_tab_title(self) -> None:
        self.tabs.setTabText(TAB_RUNNING, self.running.title())

    def _tab_changed(self, index: int) -> None:
        if index == TAB_RUNNING:
            self.running.refresh()
        elif index == TAB_HISTORY:
            self.reload_history()
        self._filter_changed(self.filter.text())

    def _filter_changed(self, text: str) -> None:
        self.history_proxy.set_filter_text(text)
        self.running.proxy.set_filter_text(text)
