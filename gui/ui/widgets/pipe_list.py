"""The list of the Pipe tables view: the pipe tables of one database instance, paged in as the user
scrolls (Qt's ``fetchMore``, one page per request, never blocking), filtered and sorted in place, and
the line under it that counts them."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import QLabel, QTableView, QVBoxLayout, QWidget

from ...api import errors
from ...api.ailake.models import PipeTableSummary
from ...services.pipe_tables import PipeTablePages
from ...services.words import plural
from ..models.pipe_tables import PipeTablesModel
from ..models.table import RecordFilterProxy, Role
from .tables import fit_when_filled, setup_table


class PipeTableList(QWidget):
    """``pages`` is the instance's list being read (None while no instance is shown). When the
    last row scrolls into view the list emits ``page_wanted``: the view runs ``read_next_page`` as
    background work."""

    page_wanted = Signal()
    current_changed = Signal(object)  # the PipeTableSummary the user moved to, or None
    selection_changed = Signal()
    counted = Signal(str)  # what the count line says, when it says something

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pages: PipeTablePages | None = None
        self.page_error = ""  # why the last page did not come
        self.closed = False
        self._quiet = False  # rows being replaced: the selection moves without the user
        self._filter = ""
        self.model = PipeTablesModel(self)
        self.model.fetch_more_requested.connect(self._fetch_more)
        self.proxy = RecordFilterProxy(self.model, self)
        self.table = QTableView(self)
        self.table.setObjectName("pipeTablesTable")
        self.table.setModel(self.proxy)
        setup_table(self.table, multi=True)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the service's order until asked
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        fit_when_filled(self.table)
        self.table.selectionModel().currentRowChanged.connect(self._current_row_changed)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.selection_changed.emit())
        self.count_label = QLabel(self)
        self.count_label.setObjectName("pipeCount")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.count_label)

    # -- rows ---------------------------------------------------------------------------------------
    def clear(self) -> None:
        """No list shown (no instance, or its first page did not come)."""
        self.pages = None
        self.page_error = ""
        self.model.reset([], more=False)
        self.update_count()

    def show_first(
        self, pages: PipeTablePages, rows: list[PipeTableSummary], wanted: str | None
    ) -> str | None:
        """The first rows of a list just read; the table ``wanted`` (else the first) becomes
        current without a ``current_changed``. Returns the name of the current table."""
        self.pages = pages
        self.page_error = ""
        self._quiet = True
        try:
            self.model.reset(rows, more=not pages.done)
            name = wanted if wanted is not None and self.model.row_of(wanted) is not None else None
            if name is None and self.model.rowCount():
                name = self.proxy.index(0, 0).data(Role.RECORD).table_name
            if name is not None:
                self.select(name)
        finally:
            self._quiet = False
        self.update_count()
        return name

    def add(self, table: PipeTableSummary) -> None:
        """A table made meanwhile (or made again): its row, once, and not again from a later page."""
        self.model.upsert(table)
        if self.pages is not None:
            self.pages.seen(table.table_name)
        self.update_count()

    def remove(self, name: str) -> None:
        self.model.remove(name)
        if self.pages is not None:
            self.pages.forget(name)
        self.update_count()

    def stop(self) -> None:
        """No more pages asked for (the window closes)."""
        self.closed = True
        self.model.fetch_stopped()

    # -- paging -------------------------------------------------------------------------------------
    def _fetch_more(self) -> None:
        pages = self.pages
        if pages is None or pages.done or self.closed:
            self.model.fetch_stopped()
            return
        self.update_count()
        self.page_wanted.emit()

    def read_next_page(self) -> Coroutine[Any, Any, None]:
        """Read the next page of the list shown now, to run as background work; a list read again
        meanwhile drops it."""
        return self._read_page(self.pages)

    async def _read_page(self, pages: PipeTablePages | None) -> None:
        if pages is None:
            self.model.fetch_stopped()
            return
        try:
            rows = await pages.next_page()
        except asyncio.CancelledError:
            if pages is self.pages:
                self.model.fetch_stopped()
            raise
        except errors.ApiError as e:
            if pages is self.pages:
                self.page_error = e.message
                self.model.fetch_stopped()
                self.update_count()
            raise
        if pages is not self.pages:
            return  # the list was read again meanwhile
        self.model.add_page(rows, more=not pages.done)
        self.update_count()

    # -- selection ----------------------------------------------------------------------------------
    def current_name(self) -> str | None:
        index = self.table.currentIndex()
        record = index.data(Role.RECORD) if index.isValid() else None
        return record.table_name if isinstance(record, PipeTableSummary) else None

    def selected_names(self) -> list[str]:
        """The selected tables in the order shown (the current one when none is selected)."""
        rows = self.table.selectionModel().selectedRows()
        names = [r.data(Role.RECORD).table_name for r in sorted(rows, key=lambda i: i.row())]
        current = self.current_name()
        if not names and current:
            names = [current]
        return names

    def select(self, name: str) -> bool:
        row = self.model.row_of(name)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        return True

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.selection_changed.emit()
        if self._quiet:
            return
        record: Any = current.data(Role.RECORD) if current.isValid() else None
        self.current_changed.emit(record if isinstance(record, PipeTableSummary) else None)

    # -- filter and count ---------------------------------------------------------------------------
    def set_filter(self, text: str) -> None:
        self._filter = text.strip()
        self.proxy.set_filter_text(text)
        self.update_count()

    def update_count(self) -> None:
        pages = self.pages
        if pages is None:
            self.count_label.setText("")
            return
        loaded = self.model.rowCount()
        if self.model.more or self.model.fetching:
            total = pages.total
            counted = plural(loaded, "pipe table")
            if total is not None:
                counted = f"{loaded} of {plural(total, 'pipe table')}"
            more = "loading more…" if self.model.fetching else "scroll down for more"
            text = f"{counted} loaded — {more}"
        else:
            text = plural(loaded, "pipe table")
            if self.page_error:
                text += f" loaded — the next page failed ({self.page_error}); press F5 to try again"
        if self._filter:
            text = f"{self.proxy.rowCount()} match “{self._filter}” · {text}"
        self.count_label.setText(text)
        self.counted.emit(text)
