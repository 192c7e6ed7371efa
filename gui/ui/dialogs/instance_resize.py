"""Resize a StarRocks instance: new FE and/or BE flavors picked from the service's list (the
instance's deployment mode, on sale in its zone), the reason shown at a flavor that cannot be used.
The dialog starts the resize itself, so a refusal (a job already running) is shown here; once the
service accepted, ``started(job)`` is emitted and the job is followed in the Activity panel."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ...api import errors
from ...api.huawei.models import HtapFlavor
from ...services.instance_forms import availability, flavors_for
from ...services.instances import HuaweiInstancesService, StarRocksRow, check_resize, flavor_text
from ..context import UiContext
from ..style import set_tone
from ..widgets.field import Field


class ResizeInstanceDialog(QDialog):
    started = Signal(object)
    loaded = Signal()

    def __init__(
        self,
        ctx: UiContext,
        service: HuaweiInstancesService,
        row: StarRocksRow,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.instances = service
        self.row = row
        self.flavors: list[HtapFlavor] = []
        self.setObjectName("resizeInstanceDialog")
        self.setWindowTitle(f"Resize {row.name}")
        self.setMinimumWidth(560)
        intro = QLabel(
            f"<b>{row.name}</b> ({row.ha_mode}, {row.az}) runs FE nodes on <b>{row.fe.flavor or '?'}</b> "
            f"and BE nodes on <b>{row.be.flavor or '?'}</b>. Pick the new flavors; the nodes restart one "
            "by one while the job runs, and no other change is accepted until it ends.",
            self,
        )
        intro.setWordWrap(True)
        self.state = QLabel("Loading flavors…", self)
        self.state.setObjectName("flavorState")
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields: dict[str, Field] = {}
        self.fe = QComboBox(self)
        self.fe.setObjectName("fe_flavor")
        self.be = QComboBox(self)
        self.be.setObjectName("be_flavor")
        for key, label, combo in (("fe", "FE flavor", self.fe), ("be", "BE flavor", self.be)):
            field = Field(combo, self)
            self.fields[key] = field
            form.addRow(label, field)
            combo.currentIndexChanged.connect(lambda _i: self.validate())
        self.outcome = QLabel(self)
        self.outcome.setObjectName("resizeResult")
        self.outcome.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.resize_button = self.buttons.addButton("Resize", QDialogButtonBox.ButtonRole.AcceptRole)
        self.resize_button.setObjectName("resizeButton")
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addWidget(self.state)
        lay.addLayout(form)
        lay.addWidget(self.outcome)
        lay.addWidget(self.buttons)
        self.validate()

    def open(self) -> None:
        super().open()
        self.ctx.run(self._load(), key=f"resize-dialog/{id(self)}", what="loading flavors")

    async def _load(self) -> None:
        try:
            self.flavors = await self.instances.flavors(self.row)
        except errors.ApiError as e:
            self.state.setText(f"✗ Could not read the flavors: {e.message}")
            set_tone(self.state, "error")
            return
        az = self.row.az.split(",")[0].strip()
        for node, combo, current in (("fe", self.fe, self.row.fe), ("be", self.be, self.row.be)):
            combo.blockSignals(True)
            combo.clear()
            for f in flavors_for(self.flavors, node, self.row.ha_mode or "Cluster"):
                notes = []
                if f.id == current.flavor_id:
                    notes.append("current")
                elif az and (why := availability(f.az_status, az)):
                    notes.append(why)
                combo.addItem(
                    f"{f.spec_code} — {flavor_text(f.vcpus, f.ram)}"
                    + (f" ({', '.join(notes)})" if notes else ""),
                    f.id,
                )
            at = combo.findData(current.flavor_id)
            combo.setCurrentIndex(max(at, 0))
            combo.blockSignals(False)
        self.state.setText(f"Flavors for {self.row.ha_mode} instances in {az or 'its zone'}:")
        self.validate()
        self.loaded.emit()

    def _flavor(self, combo: QComboBox) -> HtapFlavor | None:
        value = combo.currentData()
        return next((f for f in self.flavors if f.id == value), None) if value else None

    def change(self) -> tuple[dict[str, str | None], dict[str, str]]:
        return check_resize(self.row, self._flavor(self.fe), self._flavor(self.be))

    def validate(self) -> bool:
        _change, bad = self.change() if self.flavors else ({}, {"form": "loading"})
        for key, field in self.fields.items():
            field.set_error(bad.get(key))
        if self.flavors and "form" in bad:
            set_tone(self.outcome, "muted")
            self.outcome.setText(bad["form"][:1].upper() + bad["form"][1:] + ".")
        elif self.flavors:
            self.outcome.setText("")
        self.resize_button.setEnabled(not bad)
        return not bad

    def _submit(self) -> None:
        if not self.validate():
            return
        self.resize_button.setEnabled(False)
        set_tone(self.outcome, None)
        self.outcome.setText("Starting the resize…")
        self.ctx.run(self._resize(), key=f"resize-dialog/{id(self)}", what=f"resizing {self.row.name}")

    async def _resize(self) -> None:
        try:
            job = await self.instances.resize(self.row, self._flavor(self.fe), self._flavor(self.be))
        except errors.ApiError as e:
            self.validate()  # first: it clears the line the refusal goes to
            set_tone(self.outcome, "error")
            self.outcome.setText(
                f"✗ Huawei Cloud refused it: {e.message}" + (f". {e.hint}" if e.hint else "")
            )
            return
        self.started.emit(job)
        self.accept()
