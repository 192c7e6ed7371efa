"""The bars of the Pipe tables view above its list: the instance picker, filter and actions, and the
line that offers to edit a failed create and send it again."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...api.ailake.models import DatabaseInstance, PipeTable
from ...services.pipe_tables import FailedCreate
from ...services.words import plural
from ..style import set_tone

PARTITION_TIP = "Reload one Hive partition of the selected table from its files"


class InstancePicker(QComboBox):
    """The organization's database instances, by name."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("instanceCombo")
        self.setMinimumWidth(180)
        self.setToolTip("The AI Lake database instance whose pipe tables are listed")

    def show_instances(self, instances: Sequence[DatabaseInstance], wanted: str | None) -> str | None:
        """List them, quietly; the one chosen (``wanted`` when listed, else the first) is returned."""
        names = [i.name for i in instances]
        self.blockSignals(True)
        self.clear()
        for inst in instances:
            self.addItem(inst.name, inst.name)
            tip = f"Id {inst.id}\n{plural(len(inst.storage_ids), 'object storage')}"
            self.setItemData(self.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        chosen = wanted if wanted in names else (names[0] if names else None)
        if chosen is not None:
            self.setCurrentIndex(names.index(chosen))
        self.blockSignals(False)
        return chosen


class PipeToolbar(QWidget):
    """Two rows: the instance, the filter and Refresh; then New, Delete, Refresh partition and
    Analyze. ``between`` (the view's state line) shows between them. The view connects the
    buttons."""

    def __init__(self, between: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.instance_combo = InstancePicker(self)
        self.filter = QLineEdit(self)
        self.filter.setObjectName("pipeFilter")
        self.filter.setPlaceholderText("Filter by name, path or column (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.refresh_button = self._button("Refresh", "refreshButton", "Reload the list (F5)")
        self.new_button = self._button("New…", "newButton", "Create a pipe table (Ctrl+N)")
        self.delete_button = self._button(
            "Delete…", "deleteButton", "Delete the selected pipe tables (Delete)"
        )
        self.partition_button = self._button("Refresh partition…", "refreshPartitionButton", PARTITION_TIP)
        self.analyze_button = self._button(
            "Analyze…", "analyzeButton", "ANALYZE the selected tables or every table"
        )
        top = QHBoxLayout()
        top.addWidget(QLabel("Database instance", self))
        top.addWidget(self.instance_combo)
        top.addSpacing(12)
        top.addWidget(self.filter, 1)
        top.addWidget(self.refresh_button)
        actions = QHBoxLayout()
        for b in (self.new_button, self.delete_button, self.partition_button, self.analyze_button):
            actions.addWidget(b)
        actions.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(between)
        lay.addLayout(actions)

    def enable(self, ready: bool, selected: bool, shown: PipeTable | None) -> None:
        """The actions that can act: ``ready`` when an instance is listed, ``selected`` when
        tables are selected, ``shown`` the selected table whose details are on screen."""
        self.new_button.setEnabled(ready)
        self.delete_button.setEnabled(selected)
        self.analyze_button.setEnabled(ready)
        self.partition_button.setEnabled(shown is not None and bool(shown.partition_columns))
        if shown is not None and not shown.partition_columns:
            self.partition_button.setToolTip(
                f"{shown.table_name} has no Hive partition folders (name=value) under its path prefix"
            )
        else:
            self.partition_button.setToolTip(PARTITION_TIP)

    def _button(self, text: str, name: str, tip: str) -> QPushButton:
        b = QPushButton(text, self)
        b.setObjectName(name)
        b.setToolTip(tip)
        return b


class RetryBar(QFrame):
    """The line above the list that offers to edit a failed create and send it again."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("retryBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(self)
        self.label.setObjectName("retryLabel")
        self.label.setWordWrap(True)
        set_tone(self.label, "error")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton("Edit and retry…", self)
        self.retry_button.setObjectName("editAndRetry")
        self.retry_button.setToolTip("Open the create form filled with what was typed")
        self.dismiss_button = QPushButton("Dismiss", self)
        self.dismiss_button.setObjectName("dismissRetry")
        self.dismiss_button.setToolTip("Forget the failed input: New… opens a blank form again")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 4, 4)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.retry_button)
        lay.addWidget(self.dismiss_button)
        self.hide()

    def show_failed(self, failed: FailedCreate | None, instance: str) -> None:
        if failed is None:
            self.hide()
            return
        self.label.setText(f"Creating {failed.table or 'a pipe table'} in {instance} failed: {failed.reason}")
        self.show()
