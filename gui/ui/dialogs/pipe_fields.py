"""Form pieces of the pipe-table dialogs: an input with its reason on the lines kept under it (the
shared field, saying reasons as sentences), groups of such fields found by key, a small editable
table for the maps of a request (column → type, column → aggregation, properties), and the picker of
an object storage."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...api.ailake.models import ObjectStorageInfo
from ...services.words import sentence
from ..style import set_tone
from ..widgets.field import Field


class FieldBox(Field):
    """A field of the pipe-table forms: reasons and notes said as sentences."""

    def set_error(self, text: str | None) -> None:
        super().set_error(sentence(text) if text else None)

    def set_note(self, text: str | None) -> None:
        super().set_note(sentence(text) if text else None)


class FieldGroups:
    """The groups of a form (a titled box each) and their fields, each an editor in a ``FieldBox``
    found by its key. ``edited(key)`` hears every change the user makes to a field, ``changed()``
    every change of a line's text (typed or set)."""

    def __init__(self, owner: QWidget, edited: Callable[[str], None], changed: Callable[[], None]) -> None:
        self.owner = owner
        self.edited = edited
        self.changed = changed
        self.fields: dict[str, FieldBox] = {}
        self.forms: dict[str, QFormLayout] = {}
        self.groups: dict[str, QGroupBox] = {}

    def group(self, title: str) -> QFormLayout:
        box = QGroupBox(title, self.owner)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.forms[title] = form
        self.groups[title] = box
        return form

    def row(
        self, form: QFormLayout, key: str, label: str, editor: QWidget, note: str = "", lines: int = 1
    ) -> FieldBox:
        box = FieldBox(editor, self.owner, note, lines)
        self.fields[key] = box
        form.addRow(label, box)
        return box

    def line(
        self, form: QFormLayout, key: str, label: str, placeholder: str = "", note: str = ""
    ) -> QLineEdit:
        edit = QLineEdit(self.owner)
        edit.setObjectName(key)
        edit.setPlaceholderText(placeholder)
        edit.textEdited.connect(lambda _t: self.edited(key))
        edit.textChanged.connect(lambda _t: self.changed())
        self.row(form, key, label, edit, note)
        return edit

    def combo(
        self, form: QFormLayout, key: str, label: str, items: Sequence[tuple[str, str]], note: str = ""
    ) -> QComboBox:
        combo = QComboBox(self.owner)
        combo.setObjectName(key)
        for text, data in items:
            combo.addItem(text, data)
        combo.currentIndexChanged.connect(lambda _i: self.edited(key))
        self.row(form, key, label, combo, note)
        return combo

    def show_row(self, group: str, key: str, shown: bool) -> None:
        self.forms[group].setRowVisible(self.fields[key], shown)


class StoragePicker(QComboBox):
    """The object storages a pipe table can read from, by name; typed by hand when they cannot be
    listed. A name wanted before the list comes (a form filled again) is picked once it comes, and
    kept — said so — when it is no longer listed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sourceStorageName")
        self.addItem("Loading object storages…", "")
        self.wanted = ""
        self.listed = False  # the list came (or could not come: then typed by hand)

    def name(self) -> str:
        value = self.currentText() if self.isEditable() else self.currentData()
        return str(value or "")

    def show_storages(self, storages: Sequence[ObjectStorageInfo]) -> None:
        self.blockSignals(True)
        self.clear()
        if not storages:
            self.addItem("No object storage: configure one in GoodData first", "")
        for s in storages:
            self.addItem(f"{s.name}  ({s.storage_type})", s.name)
            self.setItemData(
                self.count() - 1,
                "\n".join(f"{k}: {v}" for k, v in s.storage_config.items()) or s.storage_id,
                Qt.ItemDataRole.ToolTipRole,
            )
        self.listed = True
        self.want(self.wanted)
        self.blockSignals(False)

    def type_by_hand(self) -> None:
        """The list could not be read: the name is typed."""
        self.clear()
        self.setEditable(True)
        line = self.lineEdit()
        if line is not None:
            line.setPlaceholderText("the object storage's name")
            line.setText(self.wanted)
        self.listed = True

    def want(self, name: str) -> None:
        """Pick ``name`` (now, or once the list comes)."""
        self.wanted = name
        if not name or not self.listed:
            return
        if self.isEditable():
            self.setEditText(name)
            return
        index = self.findData(name)
        if index < 0:
            self.addItem(f"{name}  (not among the listed storages)", name)
            index = self.count() - 1
        self.setCurrentIndex(index)


class FailedNote(QWidget):
    """Above a form filled with the input of a create that failed: why it failed, and Start blank."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("retryBar")
        self.note = QLabel(self)
        self.note.setObjectName("retryNote")
        self.note.setWordWrap(True)
        set_tone(self.note, "warning")
        self.note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.blank_button = QPushButton("Start blank", self)
        self.blank_button.setObjectName("startBlank")
        self.blank_button.setToolTip("Empty every field; the failed input stays available in the view")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.note, 1)
        lay.addWidget(self.blank_button)
        self.hide()

    def show_failure(self, table: str, reason: str) -> None:
        self.note.setText(f"As typed for {table}, whose create failed: {reason}")
        self.note.setToolTip(reason)
        self.show()


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
