"""A table model over a list of records: no I/O, fed by ``set_rows`` / ``upsert`` / ``append``.

Each column is a small spec (title, how to show a record, how to sort it, an optional colour for a
status badge). Views put a ``RecordFilterProxy`` on top for filtering; sorting is the model's own.

Sorting and filtering happen here in Python rather than in QSortFilterProxyModel's C++: that one
reads every value it compares or matches through a call into Python (``data()``), which for a list
of ten thousand rows is a third of a second per sort and a tenth per keystroke in a filter; sorting
the records with a key and matching a needle against text kept per row take milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor

R = TypeVar("R")
Index = QModelIndex | QPersistentModelIndex


class Role(IntEnum):
    RECORD = Qt.ItemDataRole.UserRole  # the record itself
    SORT = Qt.ItemDataRole.UserRole + 1  # a value that sorts naturally (numbers, timestamps)
    BADGE = Qt.ItemDataRole.UserRole + 2  # the colour of a status badge, when the column is a status


@dataclass(frozen=True)
class Column(Generic[R]):
    title: str
    text: Callable[[R], Any]
    sort: Callable[[R], Any] | None = None
    badge: Callable[[R], QColor | None] | None = None
    tooltip: Callable[[R], str] | None = None
    align_right: bool = False

    def data(self, record: R, role: int) -> Any:
        """What a model answers for this column of ``record`` in ``role`` (shared by every model)."""
        if role == Qt.ItemDataRole.DisplayRole:
            value = self.text(record)
            return "" if value is None else str(value)
        if role == Role.RECORD:
            return record
        if role == Role.SORT:
            value = (self.sort or self.text)(record)
            return "" if value is None else value
        if role == Role.BADGE and self.badge is not None:
            return self.badge(record)
        if role == Qt.ItemDataRole.ToolTipRole:
            # The whole text, for a cell too narrow to show it (unless the column says better).
            if self.tooltip is not None:
                return self.tooltip(record) or None
            value = self.text(record)
            return str(value) if value not in (None, "") else None
        if role == Qt.ItemDataRole.TextAlignmentRole and self.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class RecordTableModel(QAbstractTableModel, Generic[R]):
    def __init__(
        self, columns: Sequence[Column[R]], key: Callable[[R], Hashable], parent: Any = None
    ) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self._key = key
        self._rows: list[R] = []
        self._search: list[str] = []  # per row: its columns' text, folded, for the filter
        self._index: dict[Hashable, int] = {}
        self._arrival: dict[Hashable, int] = {}  # the order records came in, for "unsorted"
        self._sort: tuple[int, Qt.SortOrder] | None = None

    # -- Qt ---------------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's default argument)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        return self.columns[index.column()].data(self._rows[index.row()], role)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self.columns):
                return self.columns[section].title
        return None

    # -- feeding ----------------------------------------------------------------------------------
    @property
    def rows(self) -> list[R]:
        return list(self._rows)

    def record(self, row: int) -> R:
        return self._rows[row]

    def search_text(self, row: int) -> str:
        return self._search[row]

    def set_rows(self, rows: Iterable[R]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._arrival = {}
        self._arrive(self._rows)
        if self._sort is not None:
            self._rows.sort(key=self._sort_key(), reverse=self._descending())
        self._search = [self._text_of(r) for r in self._rows]
        self._reindex()
        self.endResetModel()

    def append(self, rows: Iterable[R]) -> None:
        new = list(rows)
        if not new:
            return
        start = len(self._rows)
        self.beginInsertRows(QModelIndex(), start, start + len(new) - 1)
        self._rows.extend(new)
        self._search.extend(self._text_of(r) for r in new)
        self._arrive(new)
        for i, record in enumerate(new, start):
            self._index.setdefault(self._key(record), i)
        self.endInsertRows()
        if self._sort is not None:
            self._resort()

    def upsert(self, record: R) -> int:
        """Replace the record with the same key, or add it; returns its row."""
        key = self._key(record)
        i = self._index.get(key)
        if i is None:
            self.append([record])
            return self._index[key]
        self._rows[i] = record
        self._search[i] = self._text_of(record)
        self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.columns) - 1))
        if self._sort is not None:
            self._resort()
        return self._index[key]

    def remove(self, key: Hashable) -> bool:
        i = self._index.get(key)
        if i is None:
            return False
        self.beginRemoveRows(QModelIndex(), i, i)
        del self._rows[i]
        del self._search[i]
        self._arrival.pop(key, None)
        self._reindex()
        self.endRemoveRows()
        return True

    def row_of(self, key: Hashable) -> int | None:
        return self._index.get(key)

    # -- sorting ----------------------------------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by a column (rows added later take their place); a column of -1 goes back to the
        order the records came in."""
        self._sort = (column, order) if 0 <= column < len(self.columns) else None
        self._resort()

    def _resort(self) -> None:
        if len(self._rows) < 2:
            return
        # Emitted without arguments: PySide6 crashes on a list of parents passed from Python.
        self.layoutAboutToBeChanged.emit()
        key = self._sort_key()
        by_row = sorted(range(len(self._rows)), key=lambda i: key(self._rows[i]), reverse=self._descending())
        self._rows = [self._rows[i] for i in by_row]
        self._search = [self._search[i] for i in by_row]
        moved_to = [0] * len(by_row)
        for new, old in enumerate(by_row):
            moved_to[old] = new
        before = self.persistentIndexList()
        self.changePersistentIndexList(before, [self.index(moved_to[i.row()], i.column()) for i in before])
        self._reindex()
        self.layoutChanged.emit()

    def _descending(self) -> bool:
        return self._sort is not None and self._sort[1] == Qt.SortOrder.DescendingOrder

    def _sort_key(self) -> Callable[[R], Any]:
        if self._sort is None:
            arrival = self._arrival
            return lambda r: arrival.get(self._key(r), 0)
        column = self.columns[self._sort[0]]

        def key(record: R) -> tuple[int, Any]:
            # One order across the kinds of value a column may mix (numbers, text, times, blanks).
            value = column.data(record, Role.SORT)
            if isinstance(value, bool) or not isinstance(value, int | float):
                if isinstance(value, str):
                    return (1, value.casefold())
                if isinstance(value, datetime):
                    return (0, value.timestamp())
                return (2, str(value))
            return (0, value)

        return key

    # -- bookkeeping ------------------------------------------------------------------------------
    def _arrive(self, rows: Iterable[R]) -> None:
        for record in rows:
            self._arrival.setdefault(self._key(record), len(self._arrival))

    def _text_of(self, record: R) -> str:
        display = Qt.ItemDataRole.DisplayRole
        # A separator no one types keeps a needle from matching across two columns.
        return "\x00".join(str(c.data(record, display)).casefold() for c in self.columns)

    def _reindex(self) -> None:
        # Key → row, so finding a record does not scan a list that may hold tens of thousands
        # (a page of pipe tables checks each of its rows against what is loaded).
        self._index = {}
        for i, record in enumerate(self._rows):
            self._index.setdefault(self._key(record), i)


class RecordFilterProxy(QSortFilterProxyModel):
    """What a view shows of a RecordTableModel: the rows whose text contains the filter
    (case-insensitive, any column), in the model's own order. A sort asked of it (a header
    click) is passed to the model."""

    def __init__(self, model: RecordTableModel[Any], parent: Any = None) -> None:
        super().__init__(parent)
        self.records = model
        self._needle = ""
        self.setSourceModel(model)

    def set_filter_text(self, text: str) -> None:
        needle = text.strip().casefold()
        if needle == self._needle:
            return
        self.beginFilterChange()
        self._needle = needle
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        return not self._needle or self._needle in self.records.search_text(source_row)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.records.sort(column, order)
