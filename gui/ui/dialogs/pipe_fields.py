"""Form pieces of the pipe-table dialogs: an input with its reason on the lines kept under it (the
shared field, saying reasons as sentences), and a small editable table for the maps of a request
(column → type, column → aggregation, properties)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...services.pipe_tables import sentence
from ..widgets.field import Field


class FieldBox(Field):
    """A field of the pipe-table forms: reasons and notes said as sentences."""

    def set_error(self, text: str | None) -> None:
        super().set_error(sentence(text) if text else None)

    def set_note(self, text: str | None) -> None:
        super().set_note(sentence(text) if text else None)


class PairTable(QWidget):
    """Rows of cells, each a free text or a choice from a list, with Add and Remove buttons.
    ``changed`` fires on every edit."""

    changed = Signal()

    def __init__(
        self,
        headers: Sequence[str],
        choices: Sequence[Sequence[str] | None],
        parent: QWidget | None = None,
        add_text: str = "Add",
    ) -> None:
        super().__init__(parent)
        self.choices = list(choices)
        self.table = QTableWidget(0, len(headers), self)
        self.table.setHorizontalHeaderLabels(list(headers))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setMinimumHeight(96)
        self.table.setMaximumHeight(120)
        self.table.itemChanged.connect(lambda _i: self.changed.emit())
        self.add_button = QPushButton(add_text, self)
        self.add_button.clicked.connect(lambda: self.add_row())
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.clicked.connect(self.remove_selected)
        self.buttons = QHBoxLayout()
        self.buttons.setContentsMargins(0, 0, 0, 0)
        self.buttons.addWidget(self.add_button)
        self.buttons.addWidget(self.remove_button)
        self.buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.table)
        lay.addLayout(self.buttons)

    def add_row(self, *values: str) -> int:
        row = self.table.rowCount()
        self.table.blockSignals(True)
        self.table.insertRow(row)
        for col, options in enumerate(self.choices):
            value = values[col] if col < len(values) else ""
            if options is None:
                self.table.setItem(row, col, QTableWidgetItem(value))
            else:
                combo = QComboBox(self.table)
                combo.addItem("", "")
                for option in options:
                    combo.addItem(option, option)
                combo.setCurrentIndex(max(0, combo.findData(value)))
                combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
                self.table.setCellWidget(row, col, combo)
        self.table.blockSignals(False)
        self.changed.emit()
        return row

    def set_rows(self, rows: Sequence[Sequence[str]]) -> None:
        """Replace every row (a form filled again from what was typed before)."""
        self.table.setRowCount(0)
        for row in rows:
            self.add_row(*row)
        self.changed.emit()

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        if not rows and self.table.currentRow() >= 0:
            rows = [self.table.currentRow()]
        for r in rows:
            self.table.removeRow(r)
        self.changed.emit()

    def clear(self) -> None:
        self.table.setRowCount(0)
        self.changed.emit()

    def cell(self, row: int, col: int) -> str:
        widget = self.table.cellWidget(row, col)
        if isinstance(widget, QComboBox):
            return str(widget.currentData() or "")
        item = self.table.item(row, col)
        return item.text() if item is not None else ""

    def set_cell(self, row: int, col: int, value: str) -> None:
        widget = self.table.cellWidget(row, col)
        if isinstance(widget, QComboBox):
            widget.setCurrentIndex(max(0, widget.findData(value)))
        else:
            self.table.setItem(row, col, QTableWidgetItem(value))

    def rows(self) -> list[tuple[str, ...]]:
        return [
            tuple(self.cell(r, c) for c in range(self.table.columnCount()))
            for r in range(self.table.rowCount())
        ]

    def first_column(self) -> list[str]:
        return [self.cell(r, 0).strip() for r in range(self.table.rowCount())]
