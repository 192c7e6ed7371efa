"""The Create wizard of a StarRocks instance on a TaurusDB instance: every field of Huawei's create
page, flavors, storage types and versions picked from the API, each limit checked where it is typed
with the reason under the field, the password rules ticked off as it is typed, and the resource
check run before anything is created.

The wizard has the create started itself, so a refusal by the service is shown on its last page and
the wizard stays open to fix it; ``created(Created)`` is emitted once the service accepted.
"""

from __future__ import annotations

import secrets

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget, QWizard

from ...api import errors
from ...api.huawei.models import HtapDatastore, HtapFlavor, HtapStorageType
from ...services.instance_forms import CreateForm, check_create, count_hint, volume_hint, zones_of
from ...services.instances import HuaweiInstancesService, TaurusGroup, flavor_text
from ..context import UiContext
from ..style import set_tone
from ..widgets.field import Field
from .instance_pages import InstancePage, NodesPage, PasswordPage, ReviewPage, WizardPage

PAGE_KEYS = {
    "instance": ("taurus", "name", "version", "mode", "az", "time_zone"),
    "nodes": ("fe_flavor", "fe_count", "fe_storage", "fe_gb", "be_flavor", "be_count", "be_storage", "be_gb"),
    "password": ("password", "confirm"),
}
# Text fields whose reason waits until something is typed (an empty password is not yet wrong).
_QUIET_WHEN_EMPTY = ("password", "confirm")


class CreateInstanceWizard(QWizard):
    """Emits ``created(Created)``; ``catalogue_loaded`` when the versions, flavors and storage types
    are in the pickers; ``checked(bool)`` after each resource check."""

    created = Signal(object)
    catalogue_loaded = Signal()
    checked = Signal(bool)

    def __init__(
        self,
        ctx: UiContext,
        service: HuaweiInstancesService,
        groups: list[TaurusGroup],
        taurus_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.instances = service
        self.groups = list(groups)
        self.setObjectName("createInstanceWizard")
        self.setWindowTitle(f"New StarRocks instance — {service.profile.name}")
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
        self._building = True
        self.instance_page = InstancePage(self, self.groups, taurus_id, f"starrocks-{secrets.token_hex(2)}")
        self.nodes_page = NodesPage(self)
        self.password_page = PasswordPage(self)
        self.review_page = ReviewPage(self)
        self.pages: dict[str, WizardPage] = {}
        for page in (self.instance_page, self.nodes_page, self.password_page, self.review_page):
            self.pages[page.key] = page
            self.addPage(page)
        self._connect()
        self._building = False
        self._mode_changed()
        self.validate()

    def add_field(self, key: str, editor: QWidget, parent: QWidget) -> Field:
        """A field of the form (a page places it), its reason shown under it."""
        field = Field(editor, parent)
        self.fields[key] = field
        return field

    def _connect(self) -> None:
        page = self.instance_page
        for key, edit in (
            ("name", page.name),
            ("password", self.password_page.password),
            ("confirm", self.password_page.confirm),
        ):
            edit.textChanged.connect(lambda _t, k=key: self._edited(k))
        page.time_zone.currentTextChanged.connect(lambda _t: self._edited("time_zone"))
        page.taurus.currentIndexChanged.connect(lambda _i: self._edited("taurus"))
        page.mode.currentIndexChanged.connect(lambda _i: self._mode_changed())
        page.az.currentIndexChanged.connect(lambda _i: self._az_changed())
        page.version.currentIndexChanged.connect(lambda _i: self._version_changed())
        for box in self.nodes_page.boxes:
            for combo, what in ((box.flavor, "flavor"), (box.storage, "storage")):
                combo.currentIndexChanged.connect(lambda _i, k=f"{box.node}_{what}": self._edited(k))
            for spin, what in ((box.count, "count"), (box.gb, "gb")):
                spin.valueChanged.connect(lambda _v, k=f"{box.node}_{what}": self._edited(k))
        self.review_page.check_again.clicked.connect(self.review)

    # -- loading the catalogue -----------------------------------------------------------------------
    def open(self) -> None:
        super().open()
        self.ctx.run(self._load(), key=f"create-wizard/{id(self)}", what="loading flavors and storage types")

    async def _load(self) -> None:
        loading = self.instance_page.loading
        try:
            self.datastores = await self.instances.datastores()
            self._building = True
            self.instance_page.set_versions(self.datastores)
            self._building = False
            await self._load_catalogue()
        except errors.ApiError as e:
            self._building = False
            self.load_error = f"Could not read what can be created: {e.message}"
            loading.setText(f"✗ {self.load_error}" + (f" ({e.hint})" if e.hint else ""))
            set_tone(loading, "error")
            self.validate()

    async def _load_catalogue(self) -> None:
        loading = self.instance_page.loading
        datastore = self._datastore()
        self.loaded = False
        loading.setText("Loading flavors and storage types…")
        set_tone(loading, None)
        catalogue = await self.instances.catalogue(datastore)
        self.flavors, self.storages = catalogue.flavors, catalogue.storages
        self.loaded = True
        self._building = True
        self.instance_page.set_zones(zones_of(self.flavors, self.storages))
        self._building = False
        loading.setText(
            f"{len(self.flavors)} flavors and {len(self.storages)} storage types on sale for "
            f"StarRocks {datastore.name if datastore else ''}."
        )
        set_tone(loading, "muted")
        self._fill_choices()
        self.catalogue_loaded.emit()

    def _version_changed(self) -> None:
        if self._building or not self.datastores:
            return
        self._edited("version")
        self.ctx.run(self._load_catalogue(), key=f"create-wizard/{id(self)}", what="loading flavors")

    # -- choices that depend on each other ------------------------------------------------------------
    def _datastore(self) -> HtapDatastore | None:
        value = self.instance_page.version.currentData()
        return next((d for d in self.datastores if d.name == value), None)

    def _mode_changed(self) -> None:
        mode = self.instance_page.mode.currentData()
        self._building = True
        for box in self.nodes_page.boxes:
            box.count.setValue(1 if mode == "Single" else 3)
        self._building = False
        self.nodes_page.count_note.setText(f"Node counts: {count_hint(mode)}.")
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
        self._building = True
        for box in self.nodes_page.boxes:
            box.fill(
                self.flavors,
                self.storages,
                self.instance_page.mode.currentData(),
                self.instance_page.az.currentText(),
            )
        self._building = False
        self._show_volume_notes()
        self.validate()

    def _show_volume_notes(self) -> None:
        for box in self.nodes_page.boxes:
            box.note.setText(volume_hint(box.node, box.chosen_storage(self.storages)))

    # -- checking -----------------------------------------------------------------------------------
    def group(self) -> TaurusGroup | None:
        value = self.instance_page.taurus.currentData()
        return next((g for g in self.groups if g.id == value), None)

    def form(self) -> CreateForm:
        group = self.group()
        page, fe, be = self.instance_page, self.nodes_page.fe, self.nodes_page.be
        return CreateForm(
            taurus=group.taurus if group else None,
            name=page.name.text(),
            datastore=self._datastore(),
            mode=str(page.mode.currentData()),
            az=page.az.currentText(),
            time_zone=page.time_zone.currentText().strip(),
            fe_flavor=fe.chosen_flavor(self.flavors),
            be_flavor=be.chosen_flavor(self.flavors),
            fe_count=fe.count.value(),
            be_count=be.count.value(),
            fe_storage=fe.chosen_storage(self.storages),
            be_storage=be.chosen_storage(self.storages),
            fe_gb=fe.gb.value(),
            be_gb=be.gb.value(),
            password=self.password_page.password.text(),
            confirm=self.password_page.confirm.text(),
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
            self._show_volume_notes()
        self.check_ok = None
        self.validate()

    def validate(self) -> bool:
        bad = self.problems()
        for key, field in self.fields.items():
            quiet = key in _QUIET_WHEN_EMPTY and key not in self.touched
            field.set_error(None if quiet else bad.get(key))
        # The range is said once: by the reason when the size is refused, else by the hint.
        for box in self.nodes_page.boxes:
            box.note.setVisible(f"{box.node}_gb" not in bad)
        self.password_page.show_rules()
        for page in self.pages.values():
            page.completeChanged.emit()
        return not bad and self.loaded

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
        page = self.review_page
        page.show_summary(
            [
                ("TaurusDB instance", form.taurus.name if form.taurus else "–"),
                ("Name", form.name),
                ("Engine", f"StarRocks {form.datastore.name if form.datastore else '?'}"),
                ("Deployment", f"{form.mode}, {form.az}, {form.time_zone}"),
                ("Frontends", _node_line(form.fe_count, form.fe_flavor, form.fe_storage, form.fe_gb)),
                ("Backends", _node_line(form.be_count, form.be_flavor, form.be_storage, form.be_gb)),
                (
                    "Root password",
                    "set (meets the rules)" if not self.problems().get("password") else "not valid",
                ),
                ("Billing", "pay-per-use (the only billing StarRocks instances have)"),
            ]
        )
        page.outcome.setText("")
        if self.problems():
            page.check_label.setText("Some fields are not acceptable yet: go back to fix them.")
            return
        self.check_ok = None
        set_tone(page.check_label, None)
        page.check_label.setText("Checking the account's room for this instance…")
        page.check_again.setEnabled(False)
        self.ctx.run(self._check(), key=f"create-wizard-check/{id(self)}", what="checking resources")

    def _show_check(self, ok: bool) -> None:
        self.check_ok = ok
        self.review_page.show_check(ok)
        self.checked.emit(ok)

    async def _check(self) -> None:
        try:
            self._show_check(await self.instances.check_resources(self.form()))
        except errors.ApiError as e:
            self.check_ok = False
            self.review_page.show_check_failed(e)
            self.checked.emit(False)
        finally:
            self.review_page.check_again.setEnabled(True)
            self.validate()

    def accept(self) -> None:
        """Finish: check resources again, then create; the wizard closes only when the service
        accepted."""
        if self.busy:
            return
        outcome = self.review_page.outcome
        request, bad = check_create(self.form())
        if request is None:
            self.validate()
            set_tone(outcome, "error")
            outcome.setText("✗ " + "; ".join(bad.values()))
            return
        self.busy = True
        self.validate()
        set_tone(outcome, None)
        outcome.setText("Creating…")
        self.ctx.run(self._create(), key=f"create-wizard-create/{id(self)}", what="creating an instance")

    async def _create(self) -> None:
        outcome = self.review_page.outcome
        created = None
        try:
            created = await self.instances.create(self.form(), on_checked=self._show_check)
        except errors.ApiError as e:
            set_tone(outcome, "error")
            outcome.setText(f"✗ Huawei Cloud refused it: {e.message}" + (f". {e.hint}" if e.hint else ""))
        finally:
            self.busy = False
            self.validate()
        if created is None:
            if self.check_ok is False and not outcome.text().startswith("✗"):
                outcome.setText("Nothing was created.")
            return
        self.created.emit(created)
        super().accept()


def _node_line(count: int, flavor: HtapFlavor | None, storage: HtapStorageType | None, gb: int) -> str:
    spec = f"{flavor.spec_code} ({flavor_text(flavor.vcpus, flavor.ram)})" if flavor else "?"
    return f"{count} × {spec}, {storage.name if storage else '?'} {gb} GB each"
