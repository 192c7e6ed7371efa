"""The right-hand pane of the Pipe tables view: one table's configuration in words and its columns,
each with what it is for (key, Hive partition, partitioning, distribution)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QTableView, QVBoxLayout, QWidget

from ...api.ailake.models import PipeTable
from ...services.pipe_tables import (
    describe_distribution,
    describe_key,
    describe_partition,
    describe_polling,
)
from ..models.pipe_tables import ColumnsModel, column_rows
from .tables import fit_columns, setup_table

# The facts shown, by key, with their labels, top to bottom.
FACTS = (
    ("database", "Database"),
    ("source", "Source"),
    ("key", "Key"),
    ("distribution", "Distribution"),
    ("partitioning", "Table partitions"),
    ("hive", "Hive partition columns"),
    ("polling", "Polling"),
    ("properties", "Table properties"),
    ("id", "Pipe table id"),
)


class PipeTableDetails(QWidget):
    """``table`` is the table shown (None while a note stands in its place)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pipeDetails")
        self.table: PipeTable | None = None
        self.title = QLabel(self)
        self.title.setObjectName("detailsTitle")
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.facts: dict[str, QLabel] = {}
        facts = QFormLayout()
        facts.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for key, label in FACTS:
            value = QLabel(self)
            value.setObjectName(f"fact_{key}")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts[key] = value
            facts.addRow(label, value)
        self.columns_model = ColumnsModel(self)
        self.columns_table = QTableView(self)
        self.columns_table.setObjectName("pipeColumnsTable")
        self.columns_table.setModel(self.columns_model)
        setup_table(self.columns_table)
        self.columns_table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        # Each table picked gets columns as wide as its names and types.
        self.columns_model.modelReset.connect(lambda: fit_columns(self.columns_table))
        self.columns_label = QLabel("Columns", self)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 0, 0, 0)
        lay.addWidget(self.title)
        lay.addLayout(facts)
        lay.addWidget(self.columns_label)
        lay.addWidget(self.columns_table, 1)

    def show_note(self, note: str) -> None:
        """No table: ``note`` says why (nothing picked, nothing there, could not be read)."""
        self.table = None
        self.title.setText(note)
        for label in self.facts.values():
            label.setText("")
        self.columns_model.set_rows([])
        self.columns_label.setText("Columns")

    def show_loading(self, name: str) -> None:
        self.title.setText(f"{name} — loading…")

    def show_table(self, table: PipeTable) -> None:
        self.table = table
        self.title.setText(table.table_name)
        f = self.facts
        f["database"].setText(table.database_name)
        f["source"].setText(f"{table.source_storage_name} / {table.path_prefix}")
        f["key"].setText(describe_key(table))
        f["distribution"].setText(describe_distribution(table))
        f["partitioning"].setText(describe_partition(table))
        f["hive"].setText(", ".join(table.partition_columns) or "none (files directly under the prefix)")
        f["polling"].setText(describe_polling(table.polling_interval_seconds))
        f["properties"].setText(", ".join(f"{k} = {v}" for k, v in table.table_properties.items()) or "none")
        f["id"].setText(table.pipe_table_id)
        rows = column_rows(table)
        self.columns_model.set_rows(rows)
        self.columns_label.setText(f"Columns ({len(rows)})")
