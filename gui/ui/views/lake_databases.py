"""AI Lake databases: the database instances of an AI Lake organization with the object storages
each may read and its data sources, provisioned and deprovisioned (type the name), each operation
followed in the Activity panel while its row shows it.

F5 reloads, Ctrl+N provisions a database, Delete deprovisions the selected one after confirmation,
Ctrl+F goes to the filter. Every call goes through ``LakeDatabasesService``.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...api import errors
from ...api.ailake.models import ObjectStorageInfo
from ...services.lake_databases import LakeDatabaseRow, LakeDatabasesService, row_after
from ...services.profiles import Profile
from ...services.tracker import TrackedJob
from ...services.words import plural
from ..context import UiContext
from ..dialogs.ailake_db_deprovision import DeprovisionDatabaseDialog
from ..dialogs.ailake_db_provision import ProvisionDatabaseDialog
from ..models.lake_databases import LakeDatabaseModel
from ..models.table import RecordFilterProxy, Role
from ..widgets.listing import ROW_HEIGHT, RowDelegate, pairs_html, toolbar_button
from ..widgets.tables import fit_when_filled, setup_table
from .base import ServicesByProfile, View

HINT = "Pick an AI Lake profile in Connections to see its database instances."
NO_SELECTION = "Select a database to see its details."


class LakeDatabasesView(View):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("lakeDatabasesView")
        # One service per profile: it knows the operations followed on its databases.
        self._services = ServicesByProfile(lambda p: LakeDatabasesService(self.ctx.session, p))
        self.storages: list[ObjectStorageInfo] = []
        self.heading = QLabel(HINT, self)
        self.heading.setObjectName("lakeHeading")
        self.heading.setWordWrap(True)
        self.model = LakeDatabaseModel(self)
        self.proxy = RecordFilterProxy(self.model, self)
        bar = self._build_toolbar()
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self._build_table())
        splitter.addWidget(self._build_details())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.heading)
        lay.addWidget(self.state_line)
        lay.addLayout(bar)
        lay.addWidget(splitter, 1)
        self._update_buttons()

    # -- building ------------------------------------------------------------------------------------
    def _build_toolbar(self) -> QHBoxLayout:
        self.filter = QLineEdit(self)
        self.filter.setObjectName("lakeFilter")
        self.filter.setPlaceholderText("Filter databases (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.set_filter_text)
        self.refresh_button = toolbar_button(
            self, "Refresh", "lakeRefreshButton", "Reload (F5)", self.refresh
        )
        self.provision_button = toolbar_button(
            self, "Provision…", "provisionButton", "Provision a database instance (Ctrl+N)", self.provision
        )
        self.deprovision_button = toolbar_button(
            self,
            "Deprovision…",
            "deprovisionButton",
            "Deprovision the database (Delete)",
            self.deprovision_selected,
        )
        bar = QHBoxLayout()
        bar.addWidget(self.filter, 1)
        for b in (self.refresh_button, self.provision_button, self.deprovision_button):
            bar.addWidget(b)
        return bar

    def _build_table(self) -> QTableView:
        self.table = QTableView(self)
        self.table.setObjectName("lakeTable")
        self.table.setModel(self.proxy)
        setup_table(self.table)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setItemDelegate(RowDelegate(self.table))
        self.table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT + 2)
        fit_when_filled(self.table)
        self.table.selectionModel().currentChanged.connect(lambda *_: self._selection_changed())
        return self.table

    def _build_details(self) -> QScrollArea:
        self.details = QLabel(NO_SELECTION, self)
        self.details.setObjectName("lakeDetails")
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.details)
        scroll.setMinimumHeight(110)
        return scroll

    def headers(self) -> dict[str, QHeaderView]:
        return {"ailake": self.table.horizontalHeader()}

    # -- View interface -------------------------------------------------------------------------------
    def service(self, profile: Profile) -> LakeDatabasesService:
        """The service of ``profile`` (the same one for as long as the profile keeps its name)."""
        return self._services.of(profile)

    def _shows(self, name: str) -> bool:
        return self.profile is not None and self.profile.name == name

    def set_profile(self, profile: Profile | None) -> None:
        if profile is None or self.profile is None or profile.name != self.profile.name:
            self.model.set_rows([])
            self.storages = []
        super().set_profile(profile)

    def drop_profile(self, name: str) -> None:
        """A deleted profile's databases go from the view, its actions with them."""
        super().drop_profile(name)
        self._services.drop(name)

    def refresh(self) -> None:
        profile = self.profile
        if profile is None:
            self.heading.setText(HINT)
            self._selection_changed()
            return
        self.background(self._load(self.service(profile)), "loading AI Lake databases", task_key="load")

    def new_item(self) -> None:
        self.provision()

    def delete_selected(self) -> None:
        self.deprovision_selected()

    def focus_filter(self) -> None:
        self.filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter.selectAll()

    def resume(self, job: TrackedJob) -> bool:
        if not LakeDatabasesService.owns(job):
            return False
        self._start_follow(job, resumed=True)
        return True

    # -- loading and selection ----------------------------------------------------------------------
    async def _load(self, service: LakeDatabasesService) -> None:
        profile = service.profile
        if not self.model.rows:
            self.heading.setText(f"<b>{html.escape(profile.name)}</b>")
        try:
            snapshot = await service.load()
        except errors.ApiError:
            self.loaded.emit()  # the state line under the heading says why
            raise
        if not self._shows(profile.name):
            return
        current = self.selected_database()
        self.model.set_rows(snapshot.rows)
        if current is None or not self.select_database(current.name):
            # Something useful in the details from the start: the first database listed.
            self.table.setCurrentIndex(self.proxy.index(0, 0))
        n = len(snapshot.rows)
        self.heading.setText(
            f"<b>{html.escape(profile.name)}</b> — {html.escape(profile.url)}: "
            f"{plural(n, 'database instance')}, {plural(len(snapshot.storages), 'object storage')}"
        )
        self.storages = snapshot.storages
        self.status.emit(f"{profile.name}: {plural(n, 'database instance')}")
        self._selection_changed()
        self.loaded.emit()

    def selected_database(self) -> LakeDatabaseRow | None:
        index = self.table.currentIndex()
        record = index.data(Role.RECORD) if index.isValid() else None
        return record if isinstance(record, LakeDatabaseRow) else None

    def select_database(self, name: str) -> bool:
        row = self.model.row_of(name)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.setCurrentIndex(index)
        return index.isValid()

    def _selection_changed(self) -> None:
        row = self.selected_database()
        self._update_buttons()
        if row is None:
            self.details.setText(NO_SELECTION)
            return
        storages = {s.name: s for s in self.storages}
        reads = []
        for name in row.storages:
            s = storages.get(name)
            config = ", ".join(f"{k}={v}" for k, v in s.storage_config.items()) if s else ""
            reads.append(f"{name} ({s.storage_type}{', ' + config if config else ''})" if s else name)
        pairs = [
            ("ID", row.id or "not created yet"),
            ("State", row.state),
            ("Reads", "; ".join(reads) or "no object storage"),
            ("Data sources", ", ".join(row.data_sources)),
        ]
        self.details.setText(f"<b>{html.escape(row.name)}</b>" + pairs_html(pairs, columns=1))

    def _update_buttons(self) -> None:
        has = self.profile is not None
        row = self.selected_database()
        self.refresh_button.setEnabled(has)
        self.provision_button.setEnabled(has)
        self.deprovision_button.setEnabled(has and row is not None and row.state == "active")

    # -- changes --------------------------------------------------------------------------------------
    def provision(self) -> None:
        profile = self.profile
        if profile is None:
            self.ctx.notify("Pick an AI Lake profile first.")
            return
        existing = [r.name for r in self.model.rows]
        dialog = ProvisionDatabaseDialog(self.ctx, self.service(profile), existing, self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.started.connect(lambda job: self._start_follow(job))
        self.provision_dialog = dialog
        dialog.open()

    def deprovision_selected(self) -> None:
        profile = self.profile
        row = self.selected_database()
        if profile is None or row is None or row.state != "active":
            return
        dialog = DeprovisionDatabaseDialog(self.ctx, self.service(profile), row, self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.started.connect(lambda job: self._start_follow(job))
        self.deprovision_dialog = dialog
        dialog.open()

    # -- following the operations ----------------------------------------------------------------------
    def _start_follow(self, job: TrackedJob, resumed: bool = False) -> None:
        self.follow_in_background(self._follow(job, resumed), job)

    async def _follow(self, job: TrackedJob, resumed: bool) -> None:
        """One operation in the Activity panel, the database's row showing it meanwhile."""
        profile = self.ctx.session.profile(job.profile)
        if profile is None:
            raise errors.NotFound(f"profile {job.profile!r} no longer exists", service=job.kind)
        service = self.service(profile)
        service.started(job)
        if self._shows(job.profile):
            self.refresh()
        followed = await self.ctx.follow(
            job,
            service.check(job),
            kind="ailake-operation",
            resumed=resumed,
            cancelled_note="stopped following; the operation goes on in AI Lake",
        )
        succeeded = service.ended(job, followed.failure if followed.state is None else None)
        if self._shows(job.profile):
            self._settled(job.context["name"], succeeded)
        if followed.state is not None:
            followed.entry.succeed(job.done, raw=followed.state.model_dump(mode="json", by_alias=True))

    def _settled(self, name: str, succeeded: bool | None) -> None:
        """The operation ended: the row shows the outcome at once (when it is known), then the list
        is read again."""
        at = self.model.row_of(name)
        if at is not None and succeeded is not None:
            after = row_after(self.model.record(at), succeeded)
            if after is None:
                self.model.remove(name)
            else:
                self.model.upsert(after)
            self._selection_changed()
        self.refresh()
