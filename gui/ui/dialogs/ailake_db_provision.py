"""Provision an AI Lake database instance: its name and the object storages it may read, picked
from the organization's list. The dialog sends the request itself (a refusal is shown here) and
emits ``started(job)``; the operation is then followed in the Activity panel."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...api import errors
from ...api.ailake.models import ObjectStorageInfo
from ...services.lake_databases import LakeDatabasesService, check_provision
from ...services.words import plural
from ..context import UiContext
from ..style import set_tone
from ..widgets.field import Field

STORAGE_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class ProvisionDatabaseDialog(QDialog):
    started = Signal(object)
    loaded = Signal()

    def __init__(
        self,
        ctx: UiContext,
        service: LakeDatabasesService,
        existing: Sequence[str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.lake = service
        self.existing = list(existing)
        self.storages: list[ObjectStorageInfo] = []
        self.setObjectName("provisionDatabaseDialog")
        self.setWindowTitle(f"New AI Lake database — {service.profile.name}")
        self.setMinimumWidth(520)
        intro = QLabel(
            "A database instance is a StarRocks database of the same name whose pipe tables load the "
            "parquet files of the object storages it may read.",
            self,
        )
        intro.setWordWrap(True)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields: dict[str, Field] = {}
        self.name = QLineEdit(self)
        self.name.setObjectName("name")
        self.name.setPlaceholderText("e.g. sales_lake")
        self.name.textChanged.connect(lambda _t: self.validate())
        self.fields["name"] = Field(self.name, self)
        form.addRow("Name", self.fields["name"])
        self.storage_list = QListWidget(self)
        self.storage_list.setObjectName("storages")
        self.storage_list.setMinimumHeight(110)
        self.storage_list.itemChanged.connect(lambda _i: self.validate())
        self.fields["storages"] = Field(self.storage_list, self)
        form.addRow("Object storages", self.fields["storages"])
        self.state = QLabel("Loading object storages…", self)
        self.state.setObjectName("storageState")
        self.state.setWordWrap(True)
        form.addRow("", self.state)
        self.outcome = QLabel(self)
        self.outcome.setObjectName("provisionResult")
        self.outcome.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok = self.buttons.addButton("Provision", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("provisionButton")
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addLayout(form)
        lay.addWidget(self.outcome)
        lay.addWidget(self.buttons)
        self._busy = False
        self.validate()

    def open(self) -> None:
        super().open()
        self.ctx.run(self._load(), key=f"provision-dialog/{id(self)}", what="loading object storages")

    async def _load(self) -> None:
        try:
            self.storages = await self.lake.storages()
        except errors.ApiError as e:
            set_tone(self.state, "error")
            self.state.setText(f"✗ Could not list the object storages: {e.message}")
            return
        self.storage_list.blockSignals(True)
        for s in self.storages:
            where = s.storage_config.get("bucket") or ""
            item = QListWidgetItem(f"{s.name}  ({s.storage_type}{', ' + where if where else ''})")
            item.setData(STORAGE_ID_ROLE, s.storage_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.storage_list.addItem(item)
        self.storage_list.blockSignals(False)
        self.state.setStyleSheet("color: palette(placeholder-text);")
        self.state.setText(
            f"{plural(len(self.storages), 'object storage')} in the organization; "
            "tick those its pipe tables may read."
            if self.storages
            else "The organization has no object storage yet: the database can read none."
        )
        self.validate()
        self.loaded.emit()

    def storage_ids(self) -> list[str]:
        out = []
        for i in range(self.storage_list.count()):
            item = self.storage_list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(str(item.data(STORAGE_ID_ROLE)))
        return out

    def validate(self) -> bool:
        bad = check_provision(self.name.text(), self.storage_ids(), self.existing)
        typed = bool(self.name.text()) or self.name.isModified()
        self.fields["name"].set_error(bad.get("name") if typed else None)
        self.fields["storages"].set_error(bad.get("storages"))
        self.ok.setEnabled(not bad and not self._busy)
        return not bad

    def _submit(self) -> None:
        if self._busy or not self.validate():
            return
        self._busy = True
        self.ok.setEnabled(False)
        self.outcome.setStyleSheet("")
        self.outcome.setText("Sending…")
        self.ctx.run(self._provision(), key=f"provision-dialog/{id(self)}", what="provisioning a database")

    async def _provision(self) -> None:
        try:
            job = await self.lake.provision(self.name.text(), self.storage_ids(), self.existing)
        except errors.ApiError as e:
            self._busy = False
            self.validate()
            set_tone(self.outcome, "error")
            self.outcome.setText(f"✗ AI Lake refused it: {e.message}" + (f". {e.hint}" if e.hint else ""))
            return
        self.started.emit(job)
        self.accept()
