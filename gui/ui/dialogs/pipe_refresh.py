"""Refresh one partition of a pipe table: a form built from the table's Hive partition columns, one
field per column; AI Lake deletes that partition's rows and loads its files again.

AI Lake's API names a table's partition columns but lists neither the folders of an object storage
nor the partitions a table holds, so the values are typed, not picked. What the service then says
is what the Activity entry says: a folder without parquet files fails the refresh with "no files
found", never "succeeded"."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ...api import errors
from ...api.ailake.models import PipeTable
from ...services.pipe_tables import PipeTablesService, Refusal, check_refresh, partition_folder
from ...services.tracker import TrackedJob
from ..context import UiContext
from ..style import set_tone
from .pipe_fields import FieldBox


class RefreshPartitionDialog(QDialog):
    """Emits ``submitted(job)``, the TrackedJob of the refresh, once AI Lake has accepted it."""

    submitted = Signal(object)

    def __init__(
        self,
        ctx: UiContext,
        service: PipeTablesService,
        instance: str,
        table: PipeTable,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.service = service
        self.instance = instance
        self.table = table
        self.setObjectName("refreshPartitionDialog")
        self.setWindowTitle(f"Refresh a partition of {table.table_name}")
        self.setMinimumWidth(520)
        self._refused = False  # the message holds the service's refusal
        self.fields: dict[str, FieldBox] = {}
        self.edits: dict[str, QLineEdit] = {}
        intro, form = self._intro(), self._form()
        self.message = QLabel(self)
        self.message.setObjectName("serverMessage")
        self.message.setWordWrap(True)
        set_tone(self.message, "error")
        self.message.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.refresh_button = self.buttons.addButton("Refresh", QDialogButtonBox.ButtonRole.AcceptRole)
        self.refresh_button.setObjectName("refreshButton")
        self.buttons.accepted.connect(self._refresh)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addLayout(form)
        lay.addWidget(self.message)
        lay.addStretch(1)
        lay.addWidget(self.buttons)
        self.validate(quiet=True)

    def _intro(self) -> QLabel:
        table = self.table
        intro = QLabel(
            f"The rows of one partition of <b>{html.escape(table.table_name)}</b> are deleted and the "
            "parquet files of its folder under "
            f"<b>{html.escape(table.source_storage_name)}/{html.escape(table.path_prefix)}</b> loaded again. "
            "Give the value of each partition column as it is written in the folder names (AI Lake "
            "does not list the folders of a storage); a refresh of a folder that holds no parquet file "
            "fails.",
            self,
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        return intro

    def _form(self) -> QFormLayout:
        """A field per partition column, and the folder they name."""
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        types = {c.name: c.type for c in self.table.columns}
        for column in self.table.partition_columns:
            edit = QLineEdit(self)
            edit.setObjectName(f"partition_{column}")
            edit.setPlaceholderText(f"{column}=… in the folder name")
            edit.setToolTip(f"column {column} ({types.get(column, 'type unknown')})")
            edit.textChanged.connect(lambda _t: self._edited())
            box = FieldBox(edit, self)
            self.fields[column] = box
            self.edits[column] = edit
            form.addRow(column, box)
        self.folder = QLabel(self)
        self.folder.setObjectName("partitionFolder")
        self.folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Folder", self.folder)
        return form

    def _edited(self) -> None:
        self._refused = False
        self.validate(quiet=True)

    def values(self) -> dict[str, str]:
        return {column: edit.text() for column, edit in self.edits.items()}

    def validate(self, quiet: bool = False) -> bool:
        spec, bad = check_refresh(self.values(), self.table.partition_columns)
        for column, box in self.fields.items():
            shown = not quiet or bool(self.edits[column].text()) or self.edits[column].isModified()
            box.set_error(bad.get(column) if shown else None)
        general = bad.get("")
        if general:
            self.message.setText(general)
        self.message.setVisible(bool(general) or self._refused)
        shown_values = {c: (v.strip() or "…") for c, v in self.values().items()}
        self.folder.setText(f"{self.table.path_prefix}{partition_folder(shown_values)}/")
        self.refresh_button.setEnabled(spec is not None)
        return spec is not None

    def _refresh(self) -> None:
        spec, _ = check_refresh(self.values(), self.table.partition_columns)
        if spec is None or not self.validate():
            return
        self.refresh_button.setEnabled(False)
        self._refused = False
        self.message.hide()
        self.ctx.run(
            self._submit(spec),
            key=f"pipe-refresh-{id(self)}",
            what=f"refreshing a partition of {self.table.table_name}",
        )

    async def _submit(self, spec: dict[str, str]) -> None:
        try:
            job = await self.service.refresh_partition(self.instance, self.table, spec)
        except errors.ApiError as e:
            self._refused = True
            self.message.setText(f"AI Lake refused the refresh: {Refusal.of(e).reason}")
            self.message.show()
            return
        finally:
            self.refresh_button.setEnabled(True)
        self.submitted.emit(job)
        self.accept()


def refresh_partition(
    ctx: UiContext,
    service: PipeTablesService,
    instance: str,
    table: PipeTable,
    parent: QWidget | None,
    on_submitted: Callable[[TrackedJob], None] | None = None,
) -> RefreshPartitionDialog:
    dialog = RefreshPartitionDialog(ctx, service, instance, table, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if on_submitted is not None:
        dialog.submitted.connect(on_submitted)
    dialog.open()
    return dialog
