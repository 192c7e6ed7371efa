"""A table model over a list of records: no I/O, fed by ``set_rows`` / ``upsert`` / ``append``.

Each column is a small spec (title, how to show a record, how to sort it, an optional colour for a
status badge). Views put a QSortFilterProxyModel on top for sorting and filtering.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
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
        if role == Qt.ItemDataRole.ToolTipRole and self.tooltip is not None:
            return self.tooltip(record) or None
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

    def set_rows(self, rows: Iterable[R]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def append(self, rows: Iterable[R]) -> None:
        new = list(rows)
        if not new:
            return
        start = len(self._rows)
        self.beginInsertRows(QModelIndex(), start, start + len(new) - 1)
        self._rows.extend(new)
        self.endInsertRows()

    def upsert(self, record: R) -> int:
        """Replace the record with the same key, or add it; returns its row."""
        key = self._key(record)
        for i, existing in enumerate(self._rows):
            if self._key(existing) == key:
                self._rows[i] = record
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.columns) - 1))
                return i
        self.append([record])
        return len(self._rows) - 1

    def remove(self, key: Hashable) -> bool:
        for i, existing in enumerate(self._rows):
            if self._key(existing) == key:
                self.beginRemoveRows(QModelIndex(), i, i)
                del self._rows[i]
                self.endRemoveRows()
                return True
        return False

    def row_of(self, key: Hashable) -> int | None:
        for i, existing in enumerate(self._rows):
            if self._key(existing) == key:
                return i
        return None
