"""A statement's result as it streams in: a table model over the rows as the cluster returned them
(one tuple per row, no object per cell: a cell's text is made when it is painted), appended batch by
batch, and the grid that shows it with the statement's figures above it.

``BatchFeed`` hands the batches to the model at most every ``interval`` seconds (the first at once,
so the first rows show without waiting). The model keeps every row it is given but shows the view
only the first ``SHOWN_FIRST`` until the view asks for more (Qt's canFetchMore/fetchMore: the person
scrolled to the end of what is shown) or the result ends: each insert into a shown table costs a
repaint of the whole grid (tens of milliseconds at full screen), while rows kept below the fold cost
the window nothing while a million of them stream in."""

from __future__ import annotations

import decimal
import time
from collections.abc import Callable, Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtWidgets import QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from ...services.sql.export import text
from ..style import tone
from .tables import fit_columns, setup_table

Index = QModelIndex | QPersistentModelIndex
# A cell longer than this shows its start and "…" (its tooltip has more); painting a 1 MB string
# into a cell would stall the window.
SHOWN_CHARS = 300
TOOLTIP_CHARS = 4000
FLUSH_INTERVAL = 0.05
# Rows shown as the first arrive: screens' worth to scroll through while the rest streams.
SHOWN_FIRST = 1000


class Role(IntEnum):
    VALUE = Qt.ItemDataRole.UserRole + 1  # the value as the cluster returned it


_NUMBERS = (int, float, decimal.Decimal)
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole.value)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_VALUE = int(Role.VALUE)
_ANSWERED = frozenset({_DISPLAY, _ALIGN, _FOREGROUND, _TOOLTIP, _VALUE})
_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)


def _cell(value: Any, role: int) -> Any:
    """What a cell holding ``value`` shows in ``role`` (one of ``_ANSWERED``)."""
    if role == _DISPLAY:
        shown = text(value)
        if len(shown) > SHOWN_CHARS:
            return shown[:SHOWN_CHARS] + "…"
        return shown.replace("\n", "⏎") if "\n" in shown else shown
    if role == _ALIGN:
        return _RIGHT if isinstance(value, _NUMBERS) and not isinstance(value, bool) else None
    if role == _FOREGROUND:
        return tone("muted") if value is None else None
    if role == _VALUE:
        return value
    shown = text(value)  # the tooltip
    if len(shown) <= 40:
        return None
    return shown[:TOOLTIP_CHARS] + ("…" if len(shown) > TOOLTIP_CHARS else "")


class ResultModel(QAbstractTableModel):
    """The rows of one result set; ``append`` adds a batch at the end."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.names: list[str] = []
        self.types: list[str] = []
        self.rows: list[tuple[Any, ...]] = []  # every row received (what export writes)
        self.shown = 0  # the rows the view has been told of

    def set_columns(self, names: Sequence[str], types: Sequence[str] = ()) -> None:
        self.beginResetModel()
        self.names = list(names)
        self.types = list(types) or [""] * len(self.names)
        self.rows = []
        self.shown = 0
        self.endResetModel()

    def append(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Keep a batch; the view sees it now only while fewer than ``SHOWN_FIRST`` rows are shown."""
        if not rows:
            return
        self.rows.extend(rows)
        if self.shown < SHOWN_FIRST:
            self._show(min(len(self.rows), SHOWN_FIRST))

    def show_all(self) -> None:
        """Every row kept, to the view (the result ended, or the person scrolled to the end)."""
        self._show(len(self.rows))

    def _show(self, upto: int) -> None:
        if upto <= self.shown:
            return
        self.beginInsertRows(QModelIndex(), self.shown, upto - 1)
        self.shown = upto
        self.endInsertRows()

    # -- QAbstractTableModel -----------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's name
        return 0 if parent.isValid() else self.shown

    def canFetchMore(self, parent: Index) -> bool:  # noqa: N802 - Qt's name
        return not parent.isValid() and self.shown < len(self.rows)

    def fetchMore(self, parent: Index) -> None:  # noqa: N802 - Qt's name
        if not parent.isValid():
            self.show_all()

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's name
        return 0 if parent.isValid() else len(self.names)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Most roles asked (font, background, decoration, check state, size) are never answered
        # here: they go back before the row is looked at.
        if role not in _ANSWERED or not index.isValid():
            return None
        row = self.rows[index.row()]
        col = index.column()
        return _cell(row[col], role) if col < len(row) else None

    def multiData(self, index: Index, roleDataSpan: Any) -> None:  # noqa: N802, N803 - Qt's names
        """A painted or measured cell's roles in one call: Qt's delegate asks for seven of them per
        cell, and each call of ``data`` from C++ into Python cost more than the answer itself."""
        if not index.isValid():
            return
        row = self.rows[index.row()]
        col = index.column()
        value = row[col] if col < len(row) else None
        for k in range(len(roleDataSpan)):
            wanted = roleDataSpan[k]
            role = wanted.role()
            answer = _cell(value, role) if role in _ANSWERED and col < len(row) else None
            if answer is None:
                wanted.clearData()
            else:
                wanted.setData(answer)

    def headerData(  # noqa: N802 - Qt's name
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.names):
            if role == Qt.ItemDataRole.DisplayRole:
                return self.names[section]
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"{self.names[section]} {self.types[section]}".strip()
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class BatchFeed:
    """Batches for a model, coalesced: ``add`` keeps them, and they reach the model at once when it
    is empty, then at most every ``interval`` seconds (``flush`` hands over what is kept now)."""

    def __init__(self, model: ResultModel, on_flush: Any = None, interval: float = FLUSH_INTERVAL) -> None:
        self.model = model
        self.on_flush = on_flush
        self._pending: list[tuple[Any, ...]] = []
        self.first_at: float | None = None  # perf_counter() when the first rows reached the model
        self._timer = QTimer()
        self._timer.setSingleShot(True)
        self._timer.setInterval(round(interval * 1000))
        self._timer.timeout.connect(self.flush)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def add(self, rows: Sequence[tuple[Any, ...]]) -> None:
        self._pending.extend(rows)
        if not self.model.rows:
            self.flush()
        elif not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        self._timer.stop()
        if self._pending:
            rows, self._pending = self._pending, []
            self.model.append(rows)
            if self.first_at is None:
                self.first_at = time.perf_counter()
            if self.on_flush is not None:
                self.on_flush()

    def stop(self) -> None:
        self._timer.stop()


class ResultGrid(QWidget):
    """One result: its figures on a line above the rows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultGrid")
        self.model = ResultModel(self)
        self.figures = QLabel(self)
        self.figures.setObjectName("resultFigures")
        self.figures.setWordWrap(True)
        self.figures.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableView(self)
        self.table.setObjectName("resultTable")
        setup_table(self.table, multi=True)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectItems)
        self.table.setModel(self.model)
        # Every row the same height, and no per-row measuring: a million rows cost nothing to lay out.
        rows = self.table.verticalHeader()
        rows.setVisible(True)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        self.table.horizontalHeader().setStretchLastSection(False)
        # Columns are fitted to the first rows once, about a screen of them; measuring Qt's default
        # of 1,000 rows of text was one long pass of the loop on the first batch (100: still 8–18 ms).
        self.table.horizontalHeader().setResizeContentsPrecision(50)
        self._fitted = False
        self.running = False  # rows are still arriving
        self.after_flush: Callable[[], object] | None = None
        self.feed = BatchFeed(self.model, self._flushed)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.figures)
        lay.addWidget(self.table, 1)

    def _flushed(self) -> None:
        if not self._fitted:
            self._fitted = True
            fit_columns(self.table)
        bar = self.table.verticalScrollBar()
        if bar.maximum() > 0 and bar.value() >= bar.maximum():
            # The person is at the end of what is shown: the rows that came since join it.
            self.model.show_all()
        if self.after_flush is not None:
            self.after_flush()
