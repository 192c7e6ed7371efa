"""The pages of the Create wizard of a StarRocks instance, each building its own fields: where and
what (TaurusDB instance, name, version, deployment, zone, time zone), nodes and storage, the root
password with its rules, and the review with the resource check. The wizard holds the catalogue and
the checks; a page shows what it is given."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from ...api import errors
from ...api.huawei.models import (
    DEFAULT_TIME_ZONE,
    NAME_MAX,
    NAME_MIN,
    HtapDatastore,
    HtapFlavor,
    HtapStorageType,
)
from ...services.instance_forms import availability, flavors_for, password_rules, volume_hint
from ...services.instances import TaurusGroup, flavor_text
from ..style import set_tone, tone_hex

if TYPE_CHECKING:
    from .instance_create import CreateInstanceWizard

TIME_ZONES = [
    f"UTC{sign}{h:02d}:00" for sign, hours in (("-", range(12, 0, -1)), ("+", range(0, 15))) for h in hours
]
MODES = [
    ("Single", "Single — 1 FE and 1 BE node (trials and development)"),
    ("Cluster", "Cluster — 3 to 10 FE and 3 to 10 BE nodes (production)"),
]


class WizardPage(QWizardPage):
    """A page complete when the wizard says its fields are acceptable."""

    def __init__(self, wizard: CreateInstanceWizard, key: str, title: str, subtitle: str) -> None:
        super().__init__(wizard)
        self.owner = wizard
        self.key = key
        self.setTitle(title)
        self.setSubTitle(subtitle)

    def isComplete(self) -> bool:
        return self.owner.page_complete(self.key)

    def _form(self) -> QFormLayout:
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        return form

    def _add(self, form: QFormLayout, key: str, label: str, editor: QWidget) -> None:
        form.addRow(label, self.owner.add_field(key, editor, self))


class InstancePage(WizardPage):
    """The TaurusDB instance it is attached to, its name, engine version, deployment and zone."""

    def __init__(
        self, wizard: CreateInstanceWizard, groups: Sequence[TaurusGroup], taurus_id: str | None, name: str
    ) -> None:
        super().__init__(
            wizard,
            "instance",
            "Instance",
            "The TaurusDB instance it is attached to, its name, engine version, deployment and zone.",
        )
        form = self._form()
        self.loading = QLabel("Loading versions, flavors and storage types…", self)
        self.loading.setObjectName("catalogueState")
        self.loading.setWordWrap(True)
        form.addRow(self.loading)
        self.taurus = self._combo("taurus")
        for g in groups:
            self.taurus.addItem(f"{g.name}  ({g.capacity})", g.id)
        if taurus_id is not None and (at := self.taurus.findData(taurus_id)) >= 0:
            self.taurus.setCurrentIndex(at)
        self._add(form, "taurus", "TaurusDB instance", self.taurus)
        self.name = QLineEdit(name, self)
        self.name.setObjectName("name")
        self.name.setMaxLength(NAME_MAX + 16)  # room to type past the limit and be told why
        self.name.setPlaceholderText(f"{NAME_MIN}–{NAME_MAX} letters, digits, - or _, starting with a letter")
        self._add(form, "name", "Name", self.name)
        self.version = self._combo("version")
        self._add(form, "version", "Engine version", self.version)
        self.mode = self._combo("mode")
        for value, text in MODES:
            self.mode.addItem(text, value)
        self._add(form, "mode", "Deployment", self.mode)
        self.az = self._combo("az")
        self._add(form, "az", "Availability zone", self.az)
        self.time_zone = self._combo("time_zone")
        self.time_zone.setEditable(True)
        self.time_zone.addItems(TIME_ZONES)
        self.time_zone.setCurrentText(DEFAULT_TIME_ZONE)
        self._add(form, "time_zone", "Time zone", self.time_zone)

    def _combo(self, name: str) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(name)
        return combo

    def set_versions(self, datastores: Sequence[HtapDatastore]) -> None:
        self.version.clear()
        for d in datastores:
            kernel = f" (kernel {d.kernel_version})" if d.kernel_version else ""
            self.version.addItem(f"{d.name}{kernel}", d.name)

    def set_zones(self, zones: Sequence[str]) -> None:
        """The zones offered, the one chosen kept when it still is."""
        current = self.az.currentText()
        self.az.clear()
        self.az.addItems(list(zones))
        if current and self.az.findText(current) >= 0:
            self.az.setCurrentText(current)


class NodeBox(QGroupBox):
    """The FE or BE nodes: flavor, count, storage type and size per node, with the size's range."""

    def __init__(self, page: WizardPage, node: str, title: str, default_gb: int) -> None:
        super().__init__(title, page)
        self.node = node
        self.owner = page.owner
        grid = QGridLayout(self)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self.grid = grid
        self.flavor = QComboBox(self)
        self._put(f"{node}_flavor", "Flavor", self.flavor, 0, 0, 3)
        self.count = QSpinBox(self)
        self.count.setRange(0, 99)
        self.count.setValue(1)
        self._put(f"{node}_count", "Nodes", self.count, 1, 0)
        self.storage = QComboBox(self)
        self._put(f"{node}_storage", "Storage type", self.storage, 1, 2)
        self.gb = QSpinBox(self)
        self.gb.setRange(0, 99_990)
        self.gb.setSingleStep(10)
        self.gb.setSuffix(" GB")
        self.gb.setValue(default_gb)
        self._put(f"{node}_gb", "Storage per node", self.gb, 2, 0)
        self.note = QLabel(volume_hint(node), self)
        set_tone(self.note, "muted")
        self.note.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.note.setContentsMargins(0, 4, 0, 0)
        grid.addWidget(self.note, 2, 2, 1, 2)

    def _put(self, key: str, label: str, editor: QWidget, row: int, col: int, span: int = 1) -> None:
        editor.setObjectName(key)
        caption = QLabel(label, self)
        # Level with the editor's text when a reason grows the field below it.
        caption.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        caption.setContentsMargins(0, 4, 0, 0)
        self.grid.addWidget(caption, row, col)
        self.grid.addWidget(self.owner.add_field(key, editor, self), row, col + 1, 1, span)

    def fill(
        self, flavors: Sequence[HtapFlavor], storages: Sequence[HtapStorageType], mode: str, az: str
    ) -> None:
        """The flavors of this node kind for ``mode`` and the storage types, each marked when not on
        sale in ``az``; the choice made stays when it is still listed, else the first on sale."""
        keep = self.flavor.currentData()
        shown = flavors_for(flavors, self.node, mode)
        self.flavor.clear()
        for f in shown:
            why = availability(f.az_status, az) if az else None
            self.flavor.addItem(
                f"{f.spec_code} — {flavor_text(f.vcpus, f.ram)}" + (f" — {why}" if why else ""), f.id
            )
        at = self.flavor.findData(keep) if keep else -1
        if at < 0:
            at = next((i for i, f in enumerate(shown) if not availability(f.az_status, az)), 0)
        self.flavor.setCurrentIndex(at if shown else -1)
        keep = self.storage.currentData()
        self.storage.clear()
        for s in storages:
            why = availability(s.az_status, az) if az else None
            minimum = f", at least {s.min_volume_size} GB" if s.min_volume_size else ""
            self.storage.addItem(f"{s.name}{minimum}" + (f" — {why}" if why else ""), s.name)
        at = self.storage.findData(keep) if keep else -1
        if at < 0:
            at = next((i for i, s in enumerate(storages) if not availability(s.az_status, az)), 0)
        self.storage.setCurrentIndex(at if storages else -1)

    def chosen_flavor(self, flavors: Sequence[HtapFlavor]) -> HtapFlavor | None:
        value = self.flavor.currentData()
        return next((f for f in flavors if f.id == value), None) if value else None

    def chosen_storage(self, storages: Sequence[HtapStorageType]) -> HtapStorageType | None:
        value = self.storage.currentData()
        return next((s for s in storages if s.name == value), None) if value else None


class NodesPage(WizardPage):
    def __init__(self, wizard: CreateInstanceWizard) -> None:
        super().__init__(
            wizard,
            "nodes",
            "Nodes and storage",
            "Frontends (FE) keep the metadata and plan queries; backends (BE) store and scan the data.",
        )
        lay = QVBoxLayout(self)
        self.count_note = QLabel(self)
        self.count_note.setObjectName("countNote")
        self.count_note.setWordWrap(True)
        lay.addWidget(self.count_note)
        self.fe = NodeBox(self, "fe", "Frontend (FE)", 50)
        self.be = NodeBox(self, "be", "Backend (BE)", 100)
        self.boxes = (self.fe, self.be)
        for box in self.boxes:
            lay.addWidget(box)
        lay.addStretch(1)


class PasswordPage(WizardPage):
    def __init__(self, wizard: CreateInstanceWizard) -> None:
        super().__init__(
            wizard,
            "password",
            "Root password",
            "The password of the instance's root database user. It is sent to Huawei Cloud once and "
            "not kept by the console.",
        )
        form = self._form()
        self.password = self._secret("password")
        self._add(form, "password", "Password", self.password)
        self.rules = QLabel(self)
        self.rules.setObjectName("passwordRules")
        self.rules.setTextFormat(Qt.TextFormat.RichText)
        # Unwrapped: each rule is one short line, and a wrapped label reserves the height of its
        # narrowest layout, leaving a gap under the list.
        self.rules.setWordWrap(False)
        self.rules.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        form.addRow("", self.rules)
        self.confirm = self._secret("confirm")
        self._add(form, "confirm", "Repeat it", self.confirm)
        advice = QLabel(
            "Huawei Cloud also refuses passwords it judges weak (common words, keyboard runs, the "
            "instance name): choose a long, random one and keep it in your password manager.",
            self,
        )
        advice.setWordWrap(True)
        set_tone(advice, "muted")
        form.addRow("", advice)

    def _secret(self, name: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        return edit

    def show_rules(self) -> None:
        """The rules, each ticked or crossed for what is typed (neither while nothing is)."""
        text = self.password.text()
        lines = ["<b>Rules</b>"]
        for rule, ok in password_rules(text):
            if not text:
                mark, color = "•", "palette(placeholder-text)"
            else:
                mark, color = ("✓", tone_hex("ok")) if ok else ("✗", tone_hex("error"))
            lines.append(f"<span style='color:{color}'>{mark} {html.escape(rule)}</span>")
        self.rules.setText("<br>".join(lines))


class ReviewPage(WizardPage):
    def __init__(self, wizard: CreateInstanceWizard) -> None:
        super().__init__(
            wizard,
            "review",
            "Review and create",
            "The account's room for this instance is checked first; Create starts the job, which you "
            "can follow in the Activity panel.",
        )
        lay = QVBoxLayout(self)
        self.summary = QLabel(self)
        self.summary.setObjectName("summary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        check_row = QHBoxLayout()
        self.check_label = QLabel(self)
        self.check_label.setObjectName("resourceCheck")
        self.check_label.setWordWrap(True)
        self.check_again = QPushButton("Check again", self)
        check_row.addWidget(self.check_label, 1)
        check_row.addWidget(self.check_again)
        lay.addLayout(check_row)
        self.outcome = QLabel(self)
        self.outcome.setObjectName("createResult")
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.outcome)
        lay.addStretch(1)

    def initializePage(self) -> None:
        self.owner.review()

    def show_summary(self, rows: Sequence[tuple[str, str]]) -> None:
        self.summary.setText(
            "<table cellspacing='4'>"
            + "".join(
                f"<tr><td style='color:palette(placeholder-text)'>{html.escape(k)}</td>"
                f"<td>{html.escape(v)}</td></tr>"
                for k, v in rows
            )
            + "</table>"
        )

    def show_check(self, ok: bool) -> None:
        if ok:
            set_tone(self.check_label, "ok")
            self.check_label.setText("✓ The account has room for this instance (quota, addresses, flavors).")
            return
        set_tone(self.check_label, "error")
        self.check_label.setText(
            "✗ The resource check says there is no room for this instance: the quota, the free "
            "addresses of the TaurusDB instance's subnet, or the flavors in this zone. Change the "
            "flavors, the zone or the node counts, or raise the quota."
        )

    def show_check_failed(self, e: errors.ApiError) -> None:
        set_tone(self.check_label, "error")
        self.check_label.setText(
            f"✗ The resource check failed: {e.message}" + (f" ({e.hint})" if e.hint else "")
        )
