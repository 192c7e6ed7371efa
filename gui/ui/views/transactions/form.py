"""The form of a load transaction: files, data format, label and timeouts. Each field is checked
where it is typed (LoadOptions and TxnSettings carry the rules) with the reason under it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ....api.starrocks.models import LoadOptions
from ....services.transactions import (
    DEFAULT_PREPARED_TIMEOUT_S,
    DEFAULT_TXN_TIMEOUT_S,
    MAX_PREPARED_TIMEOUT_S,
    MAX_TXN_TIMEOUT_S,
    TxnSettings,
    human_bytes,
    timeout_problems,
)
from ....services.words import plural
from ...widgets.field import Field

_REASONS = {
    "timeout": f"whole seconds from 1 to {MAX_TXN_TIMEOUT_S} (3 days), or empty for the FE's default",
    "idle_timeout": f"whole seconds from 1 to {MAX_TXN_TIMEOUT_S}, or empty for none",
    "prepared_timeout": f"whole seconds from 1 to {MAX_PREPARED_TIMEOUT_S} (30 days), or empty for "
    "the default (1 day)",
    "max_filter_ratio": "a number from 0 to 1: the share of rows that may be refused (0: none)",
}


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


class TxnForm(QWidget):
    """Emits ``changed`` whenever a field changes; ``label_edited`` when the user types a label."""

    changed = Signal()
    label_edited = Signal(str)
    new_label_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("txnForm")
        self.fields: dict[str, Field] = {}
        self._touched: set[str] = set()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self._files_box())
        lay.addWidget(self._format_box())
        lay.addWidget(self._txn_box())
        lay.addStretch(1)
        self._format_changed()

    def _files_box(self) -> QGroupBox:
        data = QGroupBox("Files", self)
        self.files = QListWidget(data)
        self.files.setObjectName("files")
        self.files.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.files.setMaximumHeight(70)
        self.add_button = QPushButton("Add files…", data)
        self.add_button.clicked.connect(self._browse)
        self.remove_button = QPushButton("Remove", data)
        self.remove_button.clicked.connect(self._remove_selected)
        self.files_info = QLabel("No file chosen", data)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.files_info, 1)
        box = QWidget(data)
        bl = QVBoxLayout(box)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(self.files)
        bl.addLayout(buttons)
        self.fields["files"] = Field(box, data)
        QVBoxLayout(data).addWidget(self.fields["files"])
        return data

    def _format_box(self) -> QGroupBox:
        fmt = QGroupBox("Format", self)
        self.format_form = form = QFormLayout(fmt)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.format = QComboBox(fmt)
        self.format.setObjectName("format")
        self.format.addItem("CSV", "csv")
        self.format.addItem("JSON", "json")
        self.format.currentIndexChanged.connect(self._format_changed)
        self._row(form, "format", "Format", self.format)
        self.column_separator = self._line(
            form, "column_separator", "Column separator", ",", r"\t (tab, StarRocks' default); \x01 for hex"
        )
        self.row_delimiter = self._line(form, "row_delimiter", "Row delimiter", "", r"\n (the default)")
        self.skip_header = self._spin(form, "skip_header", "Skip header", 0, 1000, " rows")
        self.jsonpaths = self._line(form, "jsonpaths", "JSON paths", "", '["$.id", "$.name"]')
        self.json_root = self._line(form, "json_root", "JSON root", "", "$.data (optional)")
        self.strip_outer_array = self._check(
            form, "strip_outer_array", "Strip outer array", "The file is one array of rows"
        )
        self.columns = self._line(
            form, "columns", "Columns", "", "a, b, c = upper(b)   (default: the table's, in order)"
        )
        self.max_filter_ratio = self._line(form, "max_filter_ratio", "Max filter ratio", "0", "0 to 1")
        self.strict_mode = self._check(form, "strict_mode", "Strict mode", "Refuse rows with bad values")
        self.strict_mode.setToolTip(
            "strict_mode: a value that does not convert to its column's type refuses the row"
        )
        return fmt

    def _txn_box(self) -> QGroupBox:
        txn = QGroupBox("Transaction", self)
        self.txn_form = form = QFormLayout(txn)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        label_row = QWidget(txn)
        lr = QHBoxLayout(label_row)
        lr.setContentsMargins(0, 0, 0, 0)
        self.label = QLineEdit(label_row)
        self.label.setObjectName("label")
        self.label.setPlaceholderText("letters, digits, '-', '_' or ':'")
        self.label.textEdited.connect(self.label_edited.emit)
        self.label.textChanged.connect(lambda _t: self._changed("label"))
        self.new_label_button = QPushButton("New", label_row)
        self.new_label_button.setToolTip("A fresh label (Ctrl+N)")
        self.new_label_button.clicked.connect(self.new_label_requested.emit)
        lr.addWidget(self.label, 1)
        lr.addWidget(self.new_label_button)
        self.fields["label"] = Field(label_row, txn)
        form.addRow("Label", self.fields["label"])
        self.timeout = self._line(
            form, "timeout", "Timeout (s)", "", f"{DEFAULT_TXN_TIMEOUT_S} (the FE's default)"
        )
        self.idle_timeout = self._line(
            form, "idle_timeout", "Idle timeout (s)", "", "none: never aborted for idling"
        )
        self.prepared_timeout = self._line(
            form, "prepared_timeout", "Prepared timeout (s)", "", f"{DEFAULT_PREPARED_TIMEOUT_S} (1 day)"
        )
        self.chunk_mib = self._spin(form, "chunk_mib", "Chunk size", 64, 10_240, " MiB", low=1)
        self.chunk_mib.setToolTip(
            "Each Load sends at most this much of a CSV file, cut on a row boundary; JSON files go whole."
        )
        return txn

    # -- building ---------------------------------------------------------------------------------
    def _row(self, form: QFormLayout, key: str, title: str, editor: QWidget) -> Field:
        box = Field(editor, self)
        self.fields[key] = box
        form.addRow(title, box)
        return box

    def _line(self, form: QFormLayout, key: str, title: str, value: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit(value, self)
        edit.setObjectName(key)
        edit.setPlaceholderText(placeholder)
        edit.textChanged.connect(lambda _t: self._changed(key))
        self._row(form, key, title, edit)
        return edit

    def _spin(
        self, form: QFormLayout, key: str, title: str, value: int, high: int, suffix: str, low: int = 0
    ) -> QSpinBox:
        spin = QSpinBox(self)
        spin.setObjectName(key)
        spin.setRange(low, high)
        spin.setValue(value)
        spin.setSuffix(suffix)
        spin.valueChanged.connect(lambda _v: self._changed(key))
        self._row(form, key, title, spin)
        return spin

    def _check(self, form: QFormLayout, key: str, title: str, text: str) -> QCheckBox:
        box = QCheckBox(text, self)
        box.setObjectName(key)
        box.toggled.connect(lambda _v: self._changed(key))
        self._row(form, key, title, box)
        return box

    def _changed(self, key: str) -> None:
        self._touched.add(key)
        self.validate(quiet=True)
        self.changed.emit()

    def _format_changed(self) -> None:
        csv = self.format.currentData() == "csv"
        for key in ("column_separator", "row_delimiter", "skip_header"):
            self.format_form.setRowVisible(self.fields[key], csv)
        for key in ("jsonpaths", "json_root", "strip_outer_array"):
            self.format_form.setRowVisible(self.fields[key], not csv)
        self._changed("format")

    # -- files ------------------------------------------------------------------------------------
    def _browse(self) -> None:
        dialog = QFileDialog(
            self, "Files to load", "", "Data files (*.csv *.tsv *.txt *.json *.gz);;All files (*)"
        )
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.filesSelected.connect(self.add_files)
        dialog.open()

    def add_files(self, paths: list[str] | list[Path]) -> None:
        have = set(self.file_paths())
        for p in paths:
            path = Path(p).resolve()
            if path in have:
                continue
            have.add(path)
            item = QListWidgetItem(path.name)
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(path))
            self.files.addItem(item)
        self._changed("files")

    def _remove_selected(self) -> None:
        for item in self.files.selectedItems():
            self.files.takeItem(self.files.row(item))
        self._changed("files")

    def clear_files(self) -> None:
        self.files.clear()
        self._changed("files")

    def file_paths(self) -> list[Path]:
        return [Path(self.files.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.files.count())]

    # -- reading ----------------------------------------------------------------------------------
    def _text(self, edit: QLineEdit) -> str | None:
        t = edit.text().strip()
        return t or None

    def options_input(self) -> dict[str, Any]:
        csv = self.format.currentData() == "csv"
        doc: dict[str, Any] = {
            "format": self.format.currentData(),
            "columns": self._text(self.columns),
            "max_filter_ratio": self._text(self.max_filter_ratio),
            "strict_mode": True if self.strict_mode.isChecked() else None,
        }
        if csv:
            doc["column_separator"] = self.column_separator.text() or None
            doc["row_delimiter"] = self.row_delimiter.text() or None
            doc["skip_header"] = self.skip_header.value() or None
        else:
            doc["jsonpaths"] = self._text(self.jsonpaths)
            doc["json_root"] = self._text(self.json_root)
            doc["strip_outer_array"] = True if self.strip_outer_array.isChecked() else None
        return doc

    def settings_input(self) -> dict[str, Any]:
        return {
            "label": self.label.text().strip(),
            "timeout": self._text(self.timeout),
            "idle_timeout": self._text(self.idle_timeout),
            "prepared_timeout": self._text(self.prepared_timeout),
            "chunk_mib": self.chunk_mib.value(),
        }

    def read(self) -> tuple[LoadOptions | None, TxnSettings | None, dict[str, str]]:
        """The load options and transaction settings, or the reason of each refused field."""
        bad: dict[str, str] = {}
        options: LoadOptions | None = None
        settings: TxnSettings | None = None
        try:
            options = LoadOptions.model_validate(self.options_input())
        except ValidationError as e:
            for err in e.errors(include_input=False, include_url=False):
                key = str(err["loc"][0]) if err["loc"] else "format"
                bad.setdefault(key, _REASONS.get(key) or str(err["msg"]).removeprefix("Value error, "))
        doc = self.settings_input()
        try:
            settings = TxnSettings.model_validate(doc)
        except ValidationError as e:
            for err in e.errors(include_input=False, include_url=False):
                key = str(err["loc"][0]) if err["loc"] else "label"
                bad.setdefault(key, _REASONS.get(key) or str(err["msg"]).removeprefix("Value error, "))
        if "timeout" not in bad and "idle_timeout" not in bad:
            # Checked on its own so that it shows while another field is still refused.
            bad.update(timeout_problems(_int(doc["timeout"]), _int(doc["idle_timeout"])))
        paths = self.file_paths()
        if not paths:
            bad["files"] = "choose at least one file to load"
        else:
            missing = [p.name for p in paths if not p.is_file()]
            if missing:
                bad["files"] = "no such file: " + ", ".join(missing)
        return (options if not bad else None), (settings if not bad else None), bad

    def validate(self, quiet: bool = False) -> bool:
        _o, _s, bad = self.read()
        for key, box in self.fields.items():
            show = not quiet or key in self._touched
            box.set_error(bad.get(key) if show else None)
        self._files_info()
        return not bad

    def _files_info(self) -> None:
        paths = [p for p in self.file_paths() if p.is_file()]
        if not self.files.count():
            self.files_info.setText("No file chosen")
            return
        size = sum(os.path.getsize(p) for p in paths)
        self.files_info.setText(f"{plural(self.files.count(), 'file')}, {human_bytes(size)}")

    def set_locked(self, locked: bool) -> None:
        """While a transaction is open its settings are fixed: every load must repeat the first's."""
        for w in (
            self.add_button,
            self.remove_button,
            self.format,
            self.column_separator,
            self.row_delimiter,
            self.skip_header,
            self.jsonpaths,
            self.json_root,
            self.strip_outer_array,
            self.columns,
            self.max_filter_ratio,
            self.strict_mode,
            self.label,
            self.new_label_button,
            self.timeout,
            self.idle_timeout,
            self.prepared_timeout,
            self.chunk_mib,
        ):
            w.setEnabled(not locked)
