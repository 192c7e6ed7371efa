"""Form pieces of the pipe-table dialogs: an input with its reason shown on a line kept under it,
and a small editable table for the maps of a request (column → type, column → aggregation, properties)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...services.pipe_tables import sentence

ERROR_STYLE = "color: #c62828;"
NOTE_STYLE = "color: #ef6c00;"


class ReasonLine(QLabel):
    """The lines kept under a field: its note (grey), or in its place the reason the field is
    refused (red) or a note about what only the service can check (orange). They take the room of
    the note, and at least ``lines`` lines, whatever they show, so a reason that appears never moves
    the fields below; a reason longer than that room is cut with "…" and shown whole in the
    tooltip."""

    def __init__(self, parent: QWidget | None = None, note: str = "", lines: int = 1) -> None:
        super().__init__(parent)
        self.note = note
        self.lines = max(1, lines)
        self._full = ""
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setTextFormat(Qt.TextFormat.PlainText)
        policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.set_reason("", "")

    @property
    def full_text(self) -> str:
        """The reason or note shown, whole ("" when the field shows only its note)."""
        return self._full

    def set_reason(self, text: str, style: str) -> None:
        self._full = text
        self.setStyleSheet(style if text else "color: palette(placeholder-text);")
        self._fit()

    # -- the room kept: the note's, at least ``lines`` lines ------------------------------------------
    def _room(self, width: int) -> int:
        metrics = self.fontMetrics()
        need = metrics.lineSpacing() * self.lines
        if self.note:
            box = metrics.boundingRect(QRect(0, 0, max(width, 40), 100_000), _WRAP, self.note)
            need = max(need, box.height())
        return need + 2

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._room(width)

    def sizeHint(self) -> QSize:
        return QSize(200, self._room(200))

    def minimumSizeHint(self) -> QSize:
        return QSize(40, self._room(max(self.width(), 200)))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fits(self, text: str, width: int, height: int) -> bool:
        box = self.fontMetrics().boundingRect(QRect(0, 0, width, 100_000), _WRAP, text)
        return box.height() <= height and box.width() <= width

    def _fit(self) -> None:
        width = max(self.width(), 40)
        height = max(self.height(), self._room(width)) - 2
        text = self._full or self.note
        shown = text
        if text and not self._fits(text, width, height):
            # The longest start of the text that fits with "…" after it.
            low, high = 0, len(text)
            while low < high:
                mid = (low + high + 1) // 2
                if self._fits(text[:mid].rstrip() + "…", width, height):
                    low = mid
                else:
                    high = mid - 1
            shown = text[:low].rstrip() + "…"
        self.setText(shown)
        self.setToolTip(text if shown != text else "")


_WRAP = int(Qt.TextFlag.TextWordWrap)


class FieldBox(QWidget):
    """An input and the lines kept under it (see ReasonLine): its note, or in its place the reason
    it is refused or what only the service can check."""

    def __init__(
        self, editor: QWidget, parent: QWidget | None = None, note: str = "", lines: int = 1
    ) -> None:
        super().__init__(parent)
        self.editor = editor
        self.error = ReasonLine(self, note, lines)
        self.error.setObjectName("fieldError")
        self._error: str | None = None
        self._note: str | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addWidget(editor)
        lay.addWidget(self.error)

    @property
    def reason(self) -> str:
        """The whole reason or service note shown under the field ("" when none)."""
        return self.error.full_text

    @property
    def refused(self) -> bool:
        return self._error is not None

    def set_error(self, text: str | None) -> None:
        self._error = sentence(text) if text else None
        self._show()

    def set_note(self, text: str | None) -> None:
        self._note = sentence(text) if text else None
        self._show()

    def _show(self) -> None:
        if self._error:
            self.error.set_reason(self._error, ERROR_STYLE)
        else:
            self.error.set_reason(self._note or "", NOTE_STYLE)


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
