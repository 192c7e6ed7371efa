"""The Create wizard of a StarRocks instance on a TaurusDB instance: every field of Huawei's create
page, flavors, storage types and versions picked from the API, each limit checked where it is typed
with the reason under the field, the password rules ticked off as it is typed, and the resource
check run before anything is created.

The wizard sends the create call itself, so a refusal by the service is shown on its last page and
the wizard stays open to fix it; ``created(taurus, result)`` is emitted once the service accepted.
"""

from __future__ import annotations

import asyncio
import html
import secrets

from PySide6.QtCore import Qt, Signal
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
    QWizard,
    QWizardPage,
)

from ...api import errors
from ...api.huawei import (
    CreateStarRocksResult,
    HtapDatastore,
    HtapFlavor,
    HtapStorageType,
    HuaweiCloudClient,
    StarRocksCreateRequest,
)
from ...api.huawei.models import DEFAULT_TIME_ZONE, NAME_MAX, NAME_MIN
from ...services.instances import (
    CreateForm,
    TaurusGroup,
    availability,
    check_create,
    count_hint,
    flavor_text,
    flavors_for,
    password_rules,
    resource_check_request,
    volume_hint,
    zones_of,
)
from ...services.profiles import Profile
from ..context import UiContext
from ..style import set_tone, tone_hex
from ..widgets.field import Field

TIME_ZONES = [
    f"UTC{sign}{h:02d}:00" for sign, hours in (("-", range(12, 0, -1)), ("+", range(0, 15))) for h in hours
]
MODES = [
    ("Single", "Single — 1 FE and 1 BE node (trials and development)"),
    ("Cluster", "Cluster — 3 to 10 FE and 3 to 10 BE nodes (production)"),
]
PAGE_KEYS = {
    "instance": ("taurus", "name", "version", "mode", "az", "time_zone"),
    "nodes": ("fe_flavor", "fe_count", "fe_storage", "fe_gb", "be_flavor", "be_count", "be_storage", "be_gb"),
    "password": ("password", "confirm"),
}
# Text fields whose reason waits until something is typed (an empty password is not yet wrong).
_QUIET_WHEN_EMPTY = ("password", "confirm")


class _Page(QWizardPage):
    def __init__(self, wizard: CreateInstanceWizard, key: str, title: str, subtitle: str) -> None:
        super().__init__(wizard)
        self.owner = wizard
        self.key = key
        self.setTitle(title)
        self.setSubTitle(subtitle)

    def isComplete(self) -> bool:
        return self.owner.page_complete(self.key)

    def initializePage(self) -> None:
        if self.key == "review":
            self.owner.review()


class CreateInstanceWizard(QWizard):
    """Emits ``created(TaurusInstance, CreateStarRocksResult)``; ``catalogue_loaded`` when the
    versions, flavors and storage types are in the pickers; ``checked(bool)`` after each resource
    check."""

    created = Signal(object, object)
    catalogue_loaded = Signal()
    checked = Signal(bool)

    def __init__(
        self,
        ctx: UiContext,
        profile: Profile,
        groups: list[TaurusGroup],
        taurus_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.profile = profile
        self.groups = list(groups)
        self.setObjectName("createInstanceWizard")
        self.setWindowTitle(f"New StarRocks instance — {profile.name}")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Create")
        self.setMinimumSize(780, 600)
        self.fields: dict[str, Field] = {}
        self.touched: set[str] = set()
        self.datastores: list[HtapDatastore] = []
        self.flavors: list[HtapFlavor] = []
        self.storages: list[HtapStorageType] = []
        self.loaded = False
        self.load_error = ""
        self.check_ok: bool | None = None
        self.busy = False
        self._shown_fe: list[HtapFlavor] = []
        self._shown_be: list[HtapFlavor] = []
        self._building = True

        # -- page 1: where and what ------------------------------------------------------------------
        p1 = _Page(
            self,
            "instance",
            "Instance",
            "The TaurusDB instance it is attached to, its name, engine version, deployment and zone.",
        )
        form1 = self._form(p1)
        self.loading = QLabel("Loading versions, flavors and storage types…", p1)
        self.loading.setObjectName("catalogueState")
        self.loading.setWordWrap(True)
        form1.addRow(self.loading)
        self.taurus = QComboBox(p1)
        self.taurus.setObjectName("taurus")
        for g in self.groups:
            self.taurus.addItem(f"{g.name}  ({g.capacity})", g.id)
        if taurus_id is not None:
            at = self.taurus.findData(taurus_id)
            if at >= 0:
                self.taurus.setCurrentIndex(at)
        self._add(form1, "taurus", "TaurusDB instance", self.taurus)
        self.name = QLineEdit(f"starrocks-{secrets.token_hex(2)}", p1)
        self.name.setObjectName("name")
        self.name.setMaxLength(NAME_MAX + 16)  # room to type past the limit and be told why
        self.name.setPlaceholderText(f"{NAME_MIN}–{NAME_MAX} letters, digits, - or _, starting with a letter")
        self._add(form1, "name", "Name", self.name)
        self.version = QComboBox(p1)
        self.version.setObjectName("version")
        self._add(form1, "version", "Engine version", self.version)
        self.mode = QComboBox(p1)
        self.mode.setObjectName("mode")
        for value, text in MODES:
            self.mode.addItem(text, value)
        self._add(form1, "mode", "Deployment", self.mode)
        self.az = QComboBox(p1)
        self.az.setObjectName("az")
        self._add(form1, "az", "Availability zone", self.az)
        self.time_zone = QComboBox(p1)
        self.time_zone.setObjectName("time_zone")
        self.time_zone.setEditable(True)
        self.time_zone.addItems(TIME_ZONES)
        self.time_zone.setCurrentText(DEFAULT_TIME_ZONE)
        self._add(form1, "time_zone", "Time zone", self.time_zone)
        self.addPage(p1)

        # -- page 2: nodes and storage ---------------------------------------------------------------
        p2 = _Page(
            self,
            "nodes",
            "Nodes and storage",
            "Frontends (FE) keep the metadata and plan queries; backends (BE) store and scan the data.",
        )
        outer2 = QVBoxLayout(p2)
        self.count_note = QLabel(p2)
        self.count_note.setObjectName("countNote")
        self.count_note.setWordWrap(True)
        outer2.addWidget(self.count_note)
        self.fe_flavor, self.fe_count, self.fe_storage, self.fe_gb, self.fe_volume_note = self._node_box(
            p2, outer2, "fe", "Frontend (FE)", 50
        )
        self.be_flavor, self.be_count, self.be_storage, self.be_gb, self.be_volume_note = self._node_box(
            p2, outer2, "be", "Backend (BE)", 100
        )
        outer2.addStretch(1)
        self.addPage(p2)

        # -- page 3: root password -------------------------------------------------------------------
        p3 = _Page(
            self,
            "password",
            "Root password",
            "The password of the instance's root database user. It is sent to Huawei Cloud once and "
            "not kept by the console.",
        )
        form3 = self._form(p3)
        self.password = QLineEdit(p3)
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self._add(form3, "password", "Password", self.password)
        self.rules = QLabel(p3)
        self.rules.setObjectName("passwordRules")
        self.rules.setTextFormat(Qt.TextFormat.RichText)
        # Unwrapped: each rule is one short line, and a wrapped label reserves the height of its
        # narrowest layout, leaving a gap under the list.
        self.rules.setWordWrap(False)
        self.rules.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        form3.addRow("", self.rules)
        self.confirm = QLineEdit(p3)
        self.confirm.setObjectName("confirm")
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self._add(form3, "confirm", "Repeat it", self.confirm)
        advice = QLabel(
            "Huawei Cloud also refuses passwords it judges weak (common words, keyboard runs, the "
            "instance name): choose a long, random one and keep it in your password manager.",
            p3,
        )
        advice.setWordWrap(True)
        advice.setStyleSheet("color: palette(placeholder-text);")
        form3.addRow("", advice)
        self.addPage(p3)

        # -- page 4: review, resource check, create --------------------------------------------------
        p4 = _Page(
            self,
            "review",
            "Review and create",
            "The account's room for this instance is checked first; Create starts the job, which you "
            "can follow in the Activity panel.",
        )
        lay4 = QVBoxLayout(p4)
        self.summary = QLabel(p4)
        self.summary.setObjectName("summary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        lay4.addWidget(self.summary)
        check_row = QHBoxLayout()
        self.check_label = QLabel(p4)
        self.check_label.setObjectName("resourceCheck")
        self.check_label.setWordWrap(True)
        self.check_again = QPushButton("Check again", p4)
        self.check_again.clicked.connect(self.review)
        check_row.addWidget(self.check_label, 1)
        check_row.addWidget(self.check_again)
        lay4.addLayout(check_row)
        self.outcome = QLabel(p4)
        self.outcome.setObjectName("createResult")
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay4.addWidget(self.outcome)
        lay4.addStretch(1)
        self.addPage(p4)
        self.pages = {"instance": p1, "nodes": p2, "password": p3, "review": p4}

        # -- behaviour -------------------------------------------------------------------------------
        for edit in (self.name, self.password, self.confirm):
            edit.textChanged.connect(lambda _t, e=edit: self._edited(e.objectName()))
        self.time_zone.currentTextChanged.connect(lambda _t: self._edited("time_zone"))
        self.taurus.currentIndexChanged.connect(lambda _i: self._edited("taurus"))
        self.mode.currentIndexChanged.connect(lambda _i: self._mode_changed())
        self.az.currentIndexChanged.connect(lambda _i: self._az_changed())
        self.version.currentIndexChanged.connect(lambda _i: self._version_changed())
        for key in ("fe_flavor", "be_flavor", "fe_storage", "be_storage"):
            combo: QComboBox = getattr(self, key)
            combo.currentIndexChanged.connect(lambda _i, k=key: self._edited(k))
        for key in ("fe_count", "be_count", "fe_gb", "be_gb"):
            spin: QSpinBox = getattr(self, key)
            spin.valueChanged.connect(lambda _v, k=key: self._edited(k))
        self._building = False
        self._mode_changed()
        self.validate()

    # -- building ----------------------------------------------------------------------------------
    def _form(self, page: QWizardPage) -> QFormLayout:
        form = QFormLayout(page)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        return form

    def _add(self, form: QFormLayout, key: str, label: str, editor: QWidget) -> Field:
        field = Field(editor, self)
        self.fields[key] = field
        form.addRow(label, field)
        return field

    def _node_box(
        self, page: QWidget, outer: QVBoxLayout, node: str, title: str, default_gb: int
    ) -> tuple[QComboBox, QSpinBox, QComboBox, QSpinBox, QLabel]:
        box = QGroupBox(title, page)
        grid = QGridLayout(box)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)

        def put(key: str, label: str, editor: QWidget, row: int, col: int, span: int = 1) -> None:
            caption = QLabel(label, box)
            # Level with the editor's text when a reason grows the field below it.
            caption.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            caption.setContentsMargins(0, 4, 0, 0)
            field = Field(editor, box)
            self.fields[key] = field
            grid.addWidget(caption, row, col)
            grid.addWidget(field, row, col + 1, 1, span)

        flavor = QComboBox(box)
        flavor.setObjectName(f"{node}_flavor")
        put(f"{node}_flavor", "Flavor", flavor, 0, 0, 3)
        count = QSpinBox(box)
        count.setObjectName(f"{node}_count")
        count.setRange(0, 99)
        count.setValue(1)
        put(f"{node}_count", "Nodes", count, 1, 0)
        storage = QComboBox(box)
        storage.setObjectName(f"{node}_storage")
        put(f"{node}_storage", "Storage type", storage, 1, 2)
        size = QSpinBox(box)
        size.setObjectName(f"{node}_gb")
        size.setRange(0, 99_990)
        size.setSingleStep(10)
        size.setSuffix(" GB")
        size.setValue(default_gb)
        put(f"{node}_gb", "Storage per node", size, 2, 0)
        note = QLabel(volume_hint(node), box)
        note.setStyleSheet("color: palette(placeholder-text);")
        note.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        note.setContentsMargins(0, 4, 0, 0)
        grid.addWidget(note, 2, 2, 1, 2)
        outer.addWidget(box)
        return flavor, count, storage, size, note

    # -- loading the catalogue -----------------------------------------------------------------------
    def open(self) -> None:
        super().open()
        self.ctx.run(self._load(), key=f"create-wizard/{id(self)}", what="loading flavors and storage types")

    async def _client(self) -> HuaweiCloudClient:
        client = await self.ctx.session.huawei(self.profile)
        return client

    async def _load(self) -> None:
        try:
            client = await self._client()
            self.datastores = await client.list_datastores()
            if not self.datastores:
                raise errors.NotFound(
                    "the service offers no StarRocks version in this region", service=client.service
                )
            self._building = True
            self.version.clear()
            for d in self.datastores:
                kernel = f" (kernel {d.kernel_version})" if d.kernel_version else ""
                self.version.addItem(f"{d.name}{kernel}", d.name)
            self._building = False
            await self._load_catalogue(client)
        except errors.ApiError as e:
            self.load_error = f"Could not read what can be created: {e.message}"
            self.loading.setText(f"✗ {self.load_error}" + (f" ({e.hint})" if e.hint else ""))
            set_tone(self.loading, "error")
            self.validate()

    async def _load_catalogue(self, client: HuaweiCloudClient) -> None:
        datastore = self._datastore()
        version = (datastore.kernel_version or datastore.name) if datastore else None
        self.loaded = False
        self.loading.setText("Loading flavors and storage types…")
        self.loading.setStyleSheet("")
        self.flavors, self.storages = await asyncio.gather(
            client.list_flavors(version_name=version),
            client.list_storage_types(version or ""),
        )
        self.loaded = True
        self._building = True
        current = self.az.currentText()
        self.az.clear()
        self.az.addItems(zones_of(self.flavors, self.storages))
        if current and self.az.findText(current) >= 0:
            self.az.setCurrentText(current)
        self._building = False
        self.loading.setText(
            f"{len(self.flavors)} flavors and {len(self.storages)} storage types on sale for "
            f"StarRocks {datastore.name if datastore else ''}."
        )
        self.loading.setStyleSheet("color: palette(placeholder-text);")
        self._fill_choices()
        self.catalogue_loaded.emit()

    def _version_changed(self) -> None:
        if self._building or not self.datastores:
            return
        self._edited("version")
        self.ctx.run(self._reload_catalogue(), key=f"create-wizard/{id(self)}", what="loading flavors")

    async def _reload_catalogue(self) -> None:
        await self._load_catalogue(await self._client())

    # -- choices that depend on each other ------------------------------------------------------------
    def _datastore(self) -> HtapDatastore | None:
        value = self.version.currentData()
        return next((d for d in self.datastores if d.name == value), None)

    def _mode_changed(self) -> None:
        mode = self.mode.currentData()
        wanted = 1 if mode == "Single" else 3
        self._building = True
        for spin in (self.fe_count, self.be_count):
            spin.setValue(wanted)
        self._building = False
        self.count_note.setText(f"Node counts: {count_hint(mode)}.")
        self._fill_choices()
        self._edited("mode")

    def _az_changed(self) -> None:
        if self._building:
            return
        self._fill_choices()
        self._edited("az")

    def _fill_choices(self) -> None:
        """Flavors of the chosen mode and storage types, each marked when not on sale in the AZ;
        the choice made stays when it is still listed."""
        mode = self.mode.currentData()
        az = self.az.currentText()
        self._building = True
        for node, combo in (("fe", self.fe_flavor), ("be", self.be_flavor)):
            keep = combo.currentData()
            shown = flavors_for(self.flavors, node, mode)
            combo.clear()
            for f in shown:
                why = availability(f.az_status, az) if az else None
                combo.addItem(
                    f"{f.spec_code} — {flavor_text(f.vcpus, f.ram)}" + (f" — {why}" if why else ""), f.id
                )
            at = combo.findData(keep) if keep else -1
            if at < 0:
                at = next((i for i, f in enumerate(shown) if not availability(f.az_status, az)), 0)
            combo.setCurrentIndex(at if shown else -1)
            if node == "fe":
                self._shown_fe = shown
            else:
                self._shown_be = shown
        for combo in (self.fe_storage, self.be_storage):
            keep = combo.currentData()
            combo.clear()
            for s in self.storages:
                why = availability(s.az_status, az) if az else None
                minimum = f", at least {s.min_volume_size} GB" if s.min_volume_size else ""
                combo.addItem(f"{s.name}{minimum}" + (f" — {why}" if why else ""), s.name)
            at = combo.findData(keep) if keep else -1
            if at < 0:
                at = next((i for i, s in enumerate(self.storages) if not availability(s.az_status, az)), 0)
            combo.setCurrentIndex(at if self.storages else -1)
        self._building = False
        self.fe_volume_note.setText(volume_hint("fe", self._storage(self.fe_storage)))
        self.be_volume_note.setText(volume_hint("be", self._storage(self.be_storage)))
        self.validate()

    def _flavor(self, combo: QComboBox) -> HtapFlavor | None:
        value = combo.currentData()
        return next((f for f in self.flavors if f.id == value), None) if value else None

    def _storage(self, combo: QComboBox) -> HtapStorageType | None:
        value = combo.currentData()
        return next((s for s in self.storages if s.name == value), None) if value else None

    # -- checking -----------------------------------------------------------------------------------
    def group(self) -> TaurusGroup | None:
        value = self.taurus.currentData()
        return next((g for g in self.groups if g.id == value), None)

    def form(self) -> CreateForm:
        group = self.group()
        return CreateForm(
            taurus=group.taurus if group else None,
            name=self.name.text(),
            datastore=self._datastore(),
            mode=str(self.mode.currentData()),
            az=self.az.currentText(),
            time_zone=self.time_zone.currentText().strip(),
            fe_flavor=self._flavor(self.fe_flavor),
            be_flavor=self._flavor(self.be_flavor),
            fe_count=self.fe_count.value(),
            be_count=self.be_count.value(),
            fe_storage=self._storage(self.fe_storage),
            be_storage=self._storage(self.be_storage),
            fe_gb=self.fe_gb.value(),
            be_gb=self.be_gb.value(),
            password=self.password.text(),
            confirm=self.confirm.text(),
            existing_in_taurus=len(group.instances) if group else 0,
            max_in_taurus=group.max_instances if group else None,
        )

    def problems(self) -> dict[str, str]:
        _request, bad = check_create(self.form())
        if not self.loaded:
            # Until the catalogue is in, the pickers are empty for a reason that is not the user's.
            for key in ("version", "az", "fe_flavor", "be_flavor", "fe_storage", "be_storage"):
                bad.pop(key, None)
        return bad

    def _edited(self, key: str) -> None:
        if self._building:
            return
        self.touched.add(key)
        if key in ("fe_storage", "be_storage"):
            self.fe_volume_note.setText(volume_hint("fe", self._storage(self.fe_storage)))
            self.be_volume_note.setText(volume_hint("be", self._storage(self.be_storage)))
        self.check_ok = None
        self.validate()

    def validate(self) -> bool:
        bad = self.problems()
        for key, field in self.fields.items():
            quiet = key in _QUIET_WHEN_EMPTY and key not in self.touched
            field.set_error(None if quiet else bad.get(key))
        # The range is said once: by the reason when the size is refused, else by the hint.
        self.fe_volume_note.setVisible("fe_gb" not in bad)
        self.be_volume_note.setVisible("be_gb" not in bad)
        self._show_rules()
        for page in self.pages.values():
            page.completeChanged.emit()
        return not bad and self.loaded

    def _show_rules(self) -> None:
        text = self.password.text()
        lines = ["<b>Rules</b>"]
        for rule, ok in password_rules(text):
            if not text:
                mark, color = "•", "palette(placeholder-text)"
            else:
                mark, color = ("✓", tone_hex("ok")) if ok else ("✗", tone_hex("error"))
            lines.append(f"<span style='color:{color}'>{mark} {html.escape(rule)}</span>")
        self.rules.setText("<br>".join(lines))

    def page_complete(self, key: str) -> bool:
        if self.busy:
            return False
        if key == "review":
            return self.loaded and not self.problems() and self.check_ok is True
        if not self.loaded and key in ("instance", "nodes"):
            return False
        bad = self.problems()
        return not any(k in bad for k in PAGE_KEYS.get(key, ()))

    # -- review, resource check and create ----------------------------------------------------------
    def review(self) -> None:
        form = self.form()
        rows = [
            ("TaurusDB instance", form.taurus.name if form.taurus else "–"),
            ("Name", form.name),
            ("Engine", f"StarRocks {form.datastore.name if form.datastore else '?'}"),
            ("Deployment", f"{form.mode}, {form.az}, {form.time_zone}"),
            ("Frontends", self._node_line(form.fe_count, form.fe_flavor, form.fe_storage, form.fe_gb)),
            ("Backends", self._node_line(form.be_count, form.be_flavor, form.be_storage, form.be_gb)),
            (
                "Root password",
                "set (meets the rules)" if not self.problems().get("password") else "not valid",
            ),
            ("Billing", "pay-per-use (the only billing StarRocks instances have)"),
        ]
        self.summary.setText(
            "<table cellspacing='4'>"
            + "".join(
                f"<tr><td style='color:palette(placeholder-text)'>{html.escape(k)}</td>"
                f"<td>{html.escape(v)}</td></tr>"
                for k, v in rows
            )
            + "</table>"
        )
        self.outcome.setText("")
        if self.problems():
            self.check_label.setText("Some fields are not acceptable yet: go back to fix them.")
            return
        self.check_ok = None
        self.check_label.setStyleSheet("")
        self.check_label.setText("Checking the account's room for this instance…")
        self.check_again.setEnabled(False)
        self.ctx.run(self._check(), key=f"create-wizard-check/{id(self)}", what="checking resources")

    @staticmethod
    def _node_line(count: int, flavor: HtapFlavor | None, storage: HtapStorageType | None, gb: int) -> str:
        spec = f"{flavor.spec_code} ({flavor_text(flavor.vcpus, flavor.ram)})" if flavor else "?"
        return f"{count} × {spec}, {storage.name if storage else '?'} {gb} GB each"

    async def _run_check(self, client: HuaweiCloudClient) -> bool:
        ok = await client.check_resource(resource_check_request(self.form()))
        self.check_ok = ok
        if ok:
            set_tone(self.check_label, "ok")
            self.check_label.setText("✓ The account has room for this instance (quota, addresses, flavors).")
        else:
            set_tone(self.check_label, "error")
            self.check_label.setText(
                "✗ The resource check says there is no room for this instance: the quota, the free "
                "addresses of the TaurusDB instance's subnet, or the flavors in this zone. Change the "
                "flavors, the zone or the node counts, or raise the quota."
            )
        self.checked.emit(ok)
        return ok

    async def _check(self) -> None:
        try:
            await self._run_check(await self._client())
        except errors.ApiError as e:
            self.check_ok = False
            set_tone(self.check_label, "error")
            self.check_label.setText(
                f"✗ The resource check failed: {e.message}" + (f" ({e.hint})" if e.hint else "")
            )
            self.checked.emit(False)
        finally:
            self.check_again.setEnabled(True)
            self.validate()

    def accept(self) -> None:
        """Finish: check resources again, then create; the wizard closes only when the service
        accepted."""
        if self.busy:
            return
        request, bad = check_create(self.form())
        if request is None:
            self.validate()
            set_tone(self.outcome, "error")
            self.outcome.setText("✗ " + "; ".join(bad.values()))
            return
        self.busy = True
        self.validate()
        self.outcome.setStyleSheet("")
        self.outcome.setText("Creating…")
        self.ctx.run(
            self._create(request), key=f"create-wizard-create/{id(self)}", what="creating an instance"
        )

    async def _create(self, request: StarRocksCreateRequest) -> None:
        form = self.form()
        assert form.taurus is not None
        result: CreateStarRocksResult | None = None
        try:
            client = await self._client()
            if await self._run_check(client):
                result = await client.create_starrocks_instance(form.taurus.id, request)
        except errors.ApiError as e:
            set_tone(self.outcome, "error")
            self.outcome.setText(
                f"✗ Huawei Cloud refused it: {e.message}" + (f". {e.hint}" if e.hint else "")
            )
        finally:
            self.busy = False
            self.validate()
        if result is None:
            if self.check_ok is False and not self.outcome.text().startswith("✗"):
                self.outcome.setText("Nothing was created.")
            return
        self.created.emit(form.taurus, result)
        super().accept()
