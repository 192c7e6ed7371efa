"""Pipe tables: the AI Lake tables fed from parquet files, per database instance.

The list pages in as the user scrolls; the selected table's configuration and columns show on the
right. Create, Delete, Refresh partition and ANALYZE each become an Activity entry that follows the
AI Lake operation to its end (Cancel stops the waiting, not the operation), and the list follows
what they did. A create that fails (refused at once, or as a failed operation) keeps its input: the
line above the list offers "Edit and retry", and New… opens that input until it is sent again or
dismissed.

Everything read or sent goes through a ``PipeTablesService`` per AI Lake profile; this module only
builds widgets and shows what the service returns.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtWidgets import (
    QHeaderView,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ...api import errors
from ...api.ailake.models import PipeTable, PipeTableSummary
from ...services.pipe_tables import FailedCreate, PipeTablesService, is_pipe_job, summary_of
from ...services.profiles import Profile
from ...services.tracker import TrackedJob
from ...services.words import plural, words
from ..context import UiContext
from ..dialogs.analyze import AnalyzeDialog, analyze_tables
from ..dialogs.pipe_create import CreatePipeTableDialog, create_pipe_table
from ..dialogs.pipe_refresh import RefreshPartitionDialog, refresh_partition
from ..widgets.pipe_bars import PipeToolbar, RetryBar
from ..widgets.pipe_details import PipeTableDetails
from ..widgets.pipe_list import PipeTableList
from .base import ServicesByProfile, View


class PipeTablesView(View):
    # Rows per request; the list asks for the next page when its last row scrolls into view.
    page_size = 100
    details_loaded = Signal(object)  # the PipeTable shown, for tests

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("pipeTablesView")
        self.instance: str | None = None
        # The service of the profile shown. One per profile, kept: it holds the failed creates.
        self.service: PipeTablesService | None = None
        self._services = ServicesByProfile(self._make_service)
        self._wanted_instance: str | None = None
        self._wanted_table: str | None = None
        self._keep_rows = 0
        # The last dialog and confirmation opened (tests drive them).
        self.dialog: CreatePipeTableDialog | RefreshPartitionDialog | AnalyzeDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self.list_pane = PipeTableList(self)
        self.details_pane = PipeTableDetails(self)
        self.retry_bar = RetryBar(self)
        self.toolbar = PipeToolbar(self.state_line, self)
        # The parts the window's shortcuts, tests and benchmarks reach through the view.
        bar = self.toolbar
        self.instance_combo, self.filter = bar.instance_combo, bar.filter
        self.refresh_button, self.new_button = bar.refresh_button, bar.new_button
        self.delete_button, self.analyze_button = bar.delete_button, bar.analyze_button
        self.partition_button = bar.partition_button
        self.model, self.proxy, self.table = self.list_pane.model, self.list_pane.proxy, self.list_pane.table
        self.count_label = self.list_pane.count_label
        self.details_title, self.facts = self.details_pane.title, self.details_pane.facts
        self.columns_model = self.details_pane.columns_model
        self.retry_label, self.retry_button = self.retry_bar.label, self.retry_bar.retry_button
        self._connect_parts()
        self._lay_out()
        self._show_details(None)

    def _connect_parts(self) -> None:
        for button, slot in (
            (self.refresh_button, self.refresh),
            (self.new_button, self.new_item),
            (self.delete_button, self.delete_selected),
            (self.partition_button, self.refresh_partition),
            (self.analyze_button, self.analyze),
            (self.retry_button, self.edit_failed_create),
            (self.retry_bar.dismiss_button, self.dismiss_failed_create),
        ):
            button.clicked.connect(slot)
        self.instance_combo.currentIndexChanged.connect(self._instance_changed)
        self.filter.textChanged.connect(self.list_pane.set_filter)
        self.list_pane.page_wanted.connect(self._fetch_more)
        self.list_pane.current_changed.connect(self._current_changed)
        self.list_pane.selection_changed.connect(self._update_actions)
        self.list_pane.counted.connect(self._counted)

    def _lay_out(self) -> None:
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("pipeSplitter")
        self.splitter.addWidget(self.list_pane)
        self.splitter.addWidget(self.details_pane)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([520, 460])
        lay = QVBoxLayout(self)
        lay.addWidget(self.toolbar)
        lay.addWidget(self.retry_bar)
        lay.addWidget(self.splitter, 1)

    # -- View interface -----------------------------------------------------------------------------------
    def headers(self) -> dict[str, QHeaderView]:
        return {
            "pipe_tables": self.table.horizontalHeader(),
            "columns": self.details_pane.columns_table.horizontalHeader(),
        }

    def save_state(self) -> dict[str, Any]:
        state = super().save_state()
        state["splitter"] = bytes(self.splitter.saveState().data()).hex()
        if self.instance:
            state["instance"] = self.instance
        return state

    def restore_state(self, state: dict[str, Any]) -> None:
        super().restore_state(state)
        raw = state.get("splitter")
        if isinstance(raw, str):
            self.splitter.restoreState(QByteArray(bytes.fromhex(raw)))
        instance = state.get("instance")
        if isinstance(instance, str):
            self._wanted_instance = instance

    def set_profile(self, profile: Profile | None) -> None:
        if self.profile is not None and (profile is None or profile.name != self.profile.name):
            self.instance = None  # another organization (or none): its instances differ
            self.list_pane.clear()
            self.instance_combo.clear()
            self._show_details(None)
        self.service = self._service_of(profile) if profile is not None else None
        super().set_profile(profile)
        if profile is None:
            self._show_details(None)
        self._update_retry_bar()
        self._update_actions()

    def profile_renamed(self, old: str, profile: Profile) -> None:
        self._services.renamed(old, profile.name)
        super().profile_renamed(old, profile)

    def drop_profile(self, name: str) -> None:
        self._services.drop(name)  # its failed creates go with it
        super().drop_profile(name)

    def refresh(self) -> None:
        if self.service is None:
            return
        self._wanted_table = self.current_name() or self._wanted_table
        # Reload as many rows as were on screen, so the place the user scrolled to is kept.
        self._keep_rows = self.model.rowCount()
        self.background(self._reload(), "listing pipe tables", task_key="list")

    async def aclose(self) -> None:
        self.list_pane.stop()
        for what in ("list", "page", "details"):
            self.ctx.tasks.cancel(self._key(what))

    def focus_filter(self) -> None:
        self.filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter.selectAll()

    def resume(self, job: TrackedJob) -> bool:
        if not is_pipe_job(job):
            return False
        self.follow(job, resumed=True)
        return True

    def _service_of(self, profile: Profile) -> PipeTablesService:
        return self._services.of(profile)

    def _make_service(self, profile: Profile) -> PipeTablesService:
        service = PipeTablesService(self.ctx.session, profile)
        service.on_failed_changed = lambda _instance: self._update_retry_bar()
        return service

    # -- selection ----------------------------------------------------------------------------------------
    @property
    def table_details(self) -> PipeTable | None:
        """The table whose details are shown."""
        return self.details_pane.table

    def current_name(self) -> str | None:
        return self.list_pane.current_name()

    def selected_names(self) -> list[str]:
        return self.list_pane.selected_names()

    def select_table(self, name: str) -> bool:
        return self.list_pane.select(name)

    def _current_changed(self, record: PipeTableSummary | None) -> None:
        if record is None:
            self._show_details(None)
            return
        if self.table_details is not None and self.table_details.table_name == record.table_name:
            return
        self.background(
            self._load_details(record.table_name), "reading pipe table details", task_key="details"
        )

    def _update_actions(self) -> None:
        ready = self.service is not None and bool(self.instance)
        details = self.table_details
        shown = details if details is not None and details.table_name == self.current_name() else None
        self.toolbar.enable(ready, bool(ready and self.selected_names()), shown)

    def _counted(self, text: str) -> None:
        if text and self.profile is not None and self.instance:
            self.status.emit(f"{self.profile.name}/{self.instance}: {text}")

    # -- loading ------------------------------------------------------------------------------------------
    def _key(self, what: str) -> str:
        """The task key of this view's ``what`` work ("list", "page", "details")."""
        return self._task_prefix() + what

    async def _reload(self) -> None:
        service = self.service
        if service is None:
            return
        name = service.profile.name
        self.status.emit(f"{name}: loading…")
        self.ctx.tasks.cancel(self._key("page"))
        try:
            instances = await service.database_instances()
        except BaseException:
            self._show_details(None, note=f"Could not list the database instances of {name}.")
            self.loaded.emit()
            raise
        chosen = self.instance_combo.show_instances(instances, self.instance or self._wanted_instance)
        if chosen is None:
            self.instance = None
            self.list_pane.clear()
            self._show_details(None, note=f"{name} has no AI Lake database instance yet.")
            self.status.emit(f"{name}: no database instances")
            self.loaded.emit()
            return
        await self._load_first_page(service, chosen)

    def _instance_changed(self, _index: int) -> None:
        name = self.instance_combo.currentData()
        service = self.service
        if service is None or not name or name == self.instance:
            return
        self._wanted_table = None
        self._keep_rows = 0
        self.ctx.tasks.cancel(self._key("page"))
        self.background(self._load_first_page(service, str(name)), "listing pipe tables", task_key="list")

    async def _load_first_page(self, service: PipeTablesService, instance: str) -> None:
        if instance != self.instance:
            self._show_details(None)
        self.instance = instance
        self._update_retry_bar()
        keep, self._keep_rows = self._keep_rows, 0
        try:
            pages = await service.pages(instance, self.page_size)
            first = await pages.first(keep)
        except BaseException:
            self.list_pane.clear()
            self.loaded.emit()
            raise
        name = self.list_pane.show_first(pages, first, self._wanted_table)
        self._update_actions()
        try:
            if name is not None:
                await self._load_details(name)
            else:
                self._show_details(None, note=f"{instance} has no pipe tables yet: create one with New…")
        finally:
            self.loaded.emit()

    def _fetch_more(self) -> None:
        self.background(self.list_pane.read_next_page(), "loading more pipe tables", task_key="page")

    async def _load_details(self, name: str) -> None:
        instance, service = self.instance, self.service
        if instance is None or service is None:
            return
        self.details_pane.show_loading(name)
        try:
            table = await service.details(instance, name)
        except errors.NotFound:
            if instance == self.instance:
                self.list_pane.remove(name)
                self._show_details(None, note=f"{name} no longer exists in {instance}.")
            return
        if instance != self.instance or self.current_name() != name:
            return  # the user moved on meanwhile
        self._show_details(table)
        self.details_loaded.emit(table)

    def _show_details(self, table: PipeTable | None, note: str = "") -> None:
        if table is not None:
            self.details_pane.show_table(table)
        elif note:
            self.details_pane.show_note(note)
        elif self.profile is None:
            self.details_pane.show_note("Pick an AI Lake profile in Connections.")
        else:
            self.details_pane.show_note("Select a pipe table to see its configuration and columns.")
        self._update_actions()

    # -- the failed creates ---------------------------------------------------------------------------
    @property
    def failed_creates(self) -> dict[tuple[str, str], FailedCreate]:
        """The input of the last create that failed, by (profile name, database instance)."""
        return {
            (name, instance): failed
            for name, service in self._services.items()
            for instance, failed in service.failed_creates().items()
        }

    def edit_failed_create(self) -> None:
        """The create form filled with the input of the create that failed."""
        self.new_item()

    def dismiss_failed_create(self) -> None:
        if self.service is not None and self.instance:
            self.service.forget_failed_create(self.instance)
        self._update_retry_bar()

    def _update_retry_bar(self) -> None:
        instance = self.instance or ""
        failed = self.service.failed_create(instance) if self.service is not None and instance else None
        self.retry_bar.show_failed(failed, instance)

    # -- operations -------------------------------------------------------------------------------------
    def new_item(self) -> None:
        """The create form: filled with the input of the last create that failed in this instance,
        when there is one (the form offers to start blank), blank otherwise."""
        if self.service is None or not self.instance:
            self.ctx.notify("Pick an AI Lake profile and a database instance first.")
            return
        self.dialog = create_pipe_table(self.ctx, self.service, self.instance, self.window(), self.follow)

    def delete_selected(self) -> None:
        names = self.selected_names()
        service, instance = self.service, self.instance
        if service is None or not instance or not names:
            return
        box = _confirm_delete(self.window(), instance, names)

        def done(answer: int) -> None:
            if answer == QMessageBox.StandardButton.Yes:
                deleting = service.delete(instance, names, on_submitted=self.follow)
                self.ctx.run(deleting, what=f"deleting pipe tables of {instance}")

        box.finished.connect(done)
        box.open()
        self.confirm_box = box

    def refresh_partition(self) -> None:
        table = self.table_details
        if self.service is None or self.instance is None or table is None or not table.partition_columns:
            return
        self.dialog = refresh_partition(
            self.ctx, self.service, self.instance, table, self.window(), self.follow
        )

    def analyze(self) -> None:
        if self.service is None or self.instance is None:
            return
        self.dialog = analyze_tables(
            self.ctx, self.service, self.instance, self.selected_names(), self.window(), self.follow
        )

    def follow(self, job: TrackedJob, resumed: bool = False) -> None:
        """Follow the job's operation to its end in an Activity entry; its Cancel stops the waiting
        (and the following on later starts), not the operation. Background work: its outcome is in
        the entry, never a dialog."""
        self.follow_in_background(self._follow(job, resumed), job)

    async def _follow(self, job: TrackedJob, resumed: bool) -> None:
        profile = self.ctx.session.profile(job.profile)
        if profile is None:  # deleted meanwhile: its jobs went with it
            await self.ctx.session.forget_job(job)
            return
        service = self._service_of(profile)
        followed = await self.ctx.follow(
            job,
            service.check(job),
            kind="ailake",
            resumed=resumed,
            cancelled_note=f"stopped waiting; operation {job.remote_id} goes on in AI Lake",
            failure_text=lambda e: service.failure_text(job, e),
        )
        entry, op = followed.entry, followed.state
        if op is None:
            if followed.failure is not None and service.job_failed(job, followed.failure, entry.result):
                self.ctx.notify(f"{entry.title} failed: {entry.result}")
            return
        entry.succeed(service.result_text(job, op), raw=op.model_dump(mode="json", by_alias=True))
        self.ctx.notify(f"{entry.title}: {entry.result}")
        await self._succeeded(service, job)

    async def _succeeded(self, service: PipeTablesService, job: TrackedJob) -> None:
        """The list follows what the operation did, if it still shows that instance (the user may
        have moved on while the operation ran)."""
        instance, name = job.context.get("instance", ""), job.context.get("table", "")
        if job.action == "create":
            table = await service.details(instance, name)
            if self.service is service and self.instance == instance:
                self.list_pane.add(summary_of(table))
                self.select_table(name)
        elif job.action == "delete" and self.service is service and self.instance == instance:
            self.list_pane.remove(name)
            if self.table_details is not None and self.table_details.table_name == name:
                self._show_details(None)
        elif job.action == "refresh" and self.service is service and self.instance == instance:
            if self.current_name() == name:
                await self._load_details(name)


def _confirm_delete(parent: QWidget, instance: str, names: list[str]) -> QMessageBox:
    listed = words(names) if len(names) <= 8 else ", ".join(names[:8]) + f" and {len(names) - 8} more"
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        "Delete pipe tables",
        f"Delete {plural(len(names), 'pipe table')} of {instance}: {listed}?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        parent,
    )
    box.setObjectName("confirmDelete")
    box.setInformativeText(
        "The pipes stop and the tables are dropped with their rows; the parquet files stay in storage."
    )
    box.setDefaultButton(QMessageBox.StandardButton.No)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return box
