"""The History tab: the journal's loads into this cluster, newest first; a double-click shows a
record whole."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QTableView, QWidget

from ....services.journal import JournalEntry
from ....services.transactions import journal_answer
from ...dialogs.txn_answer import show_answer
from ...models.table import RecordFilterProxy, Role
from ...models.transactions import HistoryModel
from ...widgets.badge import BadgeDelegate
from ...widgets.tables import fit_when_filled, setup_table

COL_STEP, COL_WHEN = 3, 8


class HistoryTable(QTableView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyTable")
        self.entries = HistoryModel(self)
        self.proxy = RecordFilterProxy(self.entries, self)
        self.setModel(self.proxy)
        setup_table(self)
        self.setSortingEnabled(True)
        self.sortByColumn(COL_WHEN, Qt.SortOrder.DescendingOrder)
        self.setItemDelegateForColumn(COL_STEP, BadgeDelegate(self))
        fit_when_filled(self)
        self.doubleClicked.connect(self._details)

    def set_entries(self, entries: list[JournalEntry]) -> None:
        self.entries.set_rows(entries)

    def _details(self, index: QModelIndex) -> None:
        entry = index.data(Role.RECORD)
        if isinstance(entry, JournalEntry):
            show_answer(journal_answer(entry), self)
