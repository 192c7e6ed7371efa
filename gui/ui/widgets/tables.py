"""One way to set up the window's record tables: rows selected whole, no editing, alternating colours,
columns as wide as what they show (up to a cap; the whole text is in each cell's tooltip), and the last
column taking what is left."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractItemModel, QItemSelectionModel, QModelIndex, QPersistentModelIndex
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

if TYPE_CHECKING:
    from PySide6.QtCore import QSortFilterProxyModel

    from ..models.table import RecordTableModel

# A column wider than this shows its start and "…"; the tooltip has the rest.
MAX_COLUMN = 320


def setup_table(view: QTableView, *, multi: bool = False) -> None:
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(
        QAbstractItemView.SelectionMode.ExtendedSelection
        if multi
        else QAbstractItemView.SelectionMode.SingleSelection
    )
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)


def fit_columns(view: QTableView, cap: int = MAX_COLUMN) -> None:
    """Each column as wide as its widest cell and its title (looked at over the first rows), at most
    ``cap``; the user's own widths are then theirs to change."""
    model = view.model()
    if model is None:
        return
    header = view.horizontalHeader()
    last = model.columnCount() - 1
    for col in range(model.columnCount()):
        if col == last and header.stretchLastSection():
            continue
        view.resizeColumnToContents(col)
        if header.sectionSize(col) > cap:
            header.resizeSection(col, cap)


def fit_when_filled(view: QTableView, cap: int = MAX_COLUMN) -> None:
    """Fit the columns once, when the first rows arrive, unless widths were restored from an earlier
    run: after that the widths are the user's, and later rows do not undo them."""
    model: QAbstractItemModel | None = view.model()
    if model is None:
        return

    def maybe_fit(*_args: object) -> None:
        if view.property(KEPT) or model.rowCount() == 0:
            return
        fit_columns(view, cap)
        view.setProperty(KEPT, True)

    def rows_inserted(parent: QModelIndex | QPersistentModelIndex, _first: int, _last: int) -> None:
        if not parent.isValid():
            maybe_fit()

    model.modelReset.connect(maybe_fit)
    model.rowsInserted.connect(rows_inserted)


# Set on a table whose column widths are settled (fitted once, or restored from the last run).
KEPT = "scWidthsKept"


def select_row(view: QTableView, row: int) -> None:
    """Make ``row`` the selection and the current row, as the program's own choice.
    ``QTableView.selectRow`` acts as a click would: with Ctrl held it toggles the row (deselecting
    one already selected) and with Shift it extends from the anchor, so a selection made by the
    program while the person held a key (or after a test left one pressed) could come out empty."""
    model = view.model()
    if model is None or not 0 <= row < model.rowCount():
        return
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    view.selectionModel().setCurrentIndex(model.index(row, 0), flags)


def select_key(
    view: QTableView, model: RecordTableModel[Any], key: Hashable, proxy: QSortFilterProxyModel | None = None
) -> bool:
    """Select the row of the record with ``key`` (through ``proxy`` where the view shows the model
    through one), as ``select_row`` does; False if no record has that key."""
    row = model.row_of(key)
    if row is None:
        return False
    select_row(view, proxy.mapFromSource(model.index(row, 0)).row() if proxy is not None else row)
    return True
