"""Pipe tables: the AI Lake tables fed from parquet files, per database instance.

The list pages in as the user scrolls (Qt's ``fetchMore``, one page per request, never blocking);
the selected table's configuration and columns show on the right. Create, Delete, Refresh
partition and ANALYZE each become an Activity entry that follows the AI Lake operation to its end
(Cancel stops the waiting, not the operation), and the list follows what they did. A create that
fails (refused at once, or as a failed operation) keeps its input: the line above the list offers
"Edit and retry", and New… opens that input until it is sent again or dismissed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QItemSelectionModel,
    QModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...api import errors
from ...api.ailake import MAX_PAGE_SIZE, AILakeClient, PipeTable, PipeTableSummary, SucceededOperation
from ...services import follower
from ...services.pipe_tables import (
    CreateForm,
    PipeTablePages,
    describe_distribution,
    describe_key,
    describe_partition,
    describe_polling,
    failure_reason,
    operation_summary,
    partition_folder,
    plural,
    refresh_failure,
    refresh_summary,
    words,
)
from ...services.profiles import Profile
from ...services.tracker import AILAKE_OPERATION, TrackedJob, ends_the_job
from ..context import UiContext
from ..dialogs.analyze import AnalyzeDialog, analyze_tables
from ..dialogs.pipe_create import CreatePipeTableDialog, create_pipe_table
from ..dialogs.pipe_refresh import RefreshPartitionDialog, refresh_partition
from ..models.pipe_tables import ColumnsModel, PipeTablesModel, column_rows
from ..models.table import RecordFilterProxy, Role
from ..style import set_tone
from ..widgets.tables import fit_columns, fit_when_filled
from .base import View

# What each kind of operation the view follows does, as its Activity entry says when it succeeds.
PIPE_ACTIONS = {
    "create": "created and its files loaded",
    "delete": "dropped",
    "refresh": "rows deleted and the partition's files loaded again",
    "analyze": "done",
}


@dataclass
class FailedCreate:
    """The input of a create that failed, kept so that it can be edited and sent again."""

    form: CreateForm
    table: str
    reason: str


class PipeTablesView(View):
    # Rows per request; the list asks for the next page when its last row scrolls into view.
    page_size = 100
    details_loaded = Signal(object)  # the PipeTable shown, for tests

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("pipeTablesView")
        self.instance: str | None = None
        self.table_details: PipeTable | None = None
        self._pages: PipeTablePages | None = None
        self._wanted_instance: str | None = None
        self._wanted_table: str | None = None
        self._keep_rows = 0
        self._closed = False
        self._quiet_selection = False
        self._page_error = ""
        # The input of the last create that failed, per (profile name, database instance).
        self.failed_creates: dict[tuple[str, str], FailedCreate] = {}
        # The last dialog and confirmation opened (tests drive them).
        self.dialog: CreatePipeTableDialog | RefreshPartitionDialog | AnalyzeDialog | None = None
        self.confirm_box: QMessageBox | None = None

        # -- top bar ------------------------------------------------------------------------------------
        self.instance_combo = QComboBox(self)
        self.instance_combo.setObjectName("instanceCombo")
        self.instance_combo.setMinimumWidth(180)
        self.instance_combo.setToolTip("The AI Lake database instance whose pipe tables are listed")
        self.instance_combo.currentIndexChanged.connect(self._instance_changed)
        self.filter = QLineEdit(self)
        self.filter.setObjectName("pipeFilter")
        self.filter.setPlaceholderText("Filter by name, path or column (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter_changed)

        def button(text: str, name: str, tip: str, slot: Callable[[], None]) -> QPushButton:
            b = QPushButton(text, self)
            b.setObjectName(name)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            return b

        self.refresh_button = button("Refresh", "refreshButton", "Reload the list (F5)", self.refresh)
        self.new_button = button("New…", "newButton", "Create a pipe table (Ctrl+N)", self.new_item)
        self.delete_button = button(
            "Delete…", "deleteButton", "Delete the selected pipe tables (Delete)", self.delete_selected
        )
        self.partition_button = button(
            "Refresh partition…",
            "refreshPartitionButton",
            "Reload one Hive partition of the selected table from its files",
            self.refresh_partition,
        )
        self.analyze_button = button(
            "Analyze…", "analyzeButton", "ANALYZE the selected tables or every table", self.analyze
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

        # -- the line that offers to edit a failed create and send it again -------------------------------
        self.retry_bar = QFrame(self)
        self.retry_bar.setObjectName("retryBar")
        self.retry_bar.setFrameShape(QFrame.Shape.StyledPanel)
        self.retry_label = QLabel(self.retry_bar)
        self.retry_label.setObjectName("retryLabel")
        self.retry_label.setWordWrap(True)
        set_tone(self.retry_label, "error")
        self.retry_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton("Edit and retry…", self.retry_bar)
        self.retry_button.setObjectName("editAndRetry")
        self.retry_button.setToolTip("Open the create form filled with what was typed")
        self.retry_button.clicked.connect(self.edit_failed_create)
        self.dismiss_button = QPushButton("Dismiss", self.retry_bar)
        self.dismiss_button.setObjectName("dismissRetry")
        self.dismiss_button.setToolTip("Forget the failed input: New… opens a blank form again")
        self.dismiss_button.clicked.connect(self.dismiss_failed_create)
        retry = QHBoxLayout(self.retry_bar)
        retry.setContentsMargins(8, 4, 4, 4)
        retry.addWidget(self.retry_label, 1)
        retry.addWidget(self.retry_button)
        retry.addWidget(self.dismiss_button)
        self.retry_bar.hide()

        # -- the list -----------------------------------------------------------------------------------
        self.model = PipeTablesModel(self)
        self.model.fetch_more_requested.connect(self._fetch_more)
        self.proxy = RecordFilterProxy(self.model, self)
        self.table = QTableView(self)
        self.table.setObjectName("pipeTablesTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the service's order until asked
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        row_height = self.fontMetrics().height() + 10
        self.table.verticalHeader().setDefaultSectionSize(row_height)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        fit_when_filled(self.table)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("pipeCount")
        left = QWidget(self)
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 0, 0)
        left_lay.addWidget(self.table, 1)
        left_lay.addWidget(self.count_label)

        # -- details ------------------------------------------------------------------------------------
        right = QWidget(self)
        right.setObjectName("pipeDetails")
        self.details_title = QLabel("Pick an AI Lake profile in Connections.", right)
        self.details_title.setObjectName("detailsTitle")
        self.details_title.setWordWrap(True)
        font = self.details_title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.details_title.setFont(font)
        self.facts: dict[str, QLabel] = {}
        facts = QFormLayout()
        facts.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for key, label in (
            ("database", "Database"),
            ("source", "Source"),
            ("key", "Key"),
            ("distribution", "Distribution"),
            ("partitioning", "Table partitions"),
            ("hive", "Hive partition columns"),
            ("polling", "Polling"),
            ("properties", "Table properties"),
            ("id", "Pipe table id"),
        ):
            value = QLabel(right)
            value.setObjectName(f"fact_{key}")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts[key] = value
            facts.addRow(label, value)
        self.columns_model = ColumnsModel(self)
        self.columns_table = QTableView(right)
        self.columns_table.setObjectName("pipeColumnsTable")
        self.columns_table.setModel(self.columns_model)
        self.columns_table.verticalHeader().setVisible(False)
        self.columns_table.verticalHeader().setDefaultSectionSize(row_height)
        self.columns_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.columns_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.columns_table.setAlternatingRowColors(True)
        self.columns_table.setWordWrap(False)
        cols_header = self.columns_table.horizontalHeader()
        cols_header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        cols_header.setStretchLastSection(True)
        # The details of the table picked: columns as wide as its names and types, each time.
        columns_model = self.columns_table.model()
        if columns_model is not None:
            columns_model.modelReset.connect(lambda: fit_columns(self.columns_table))
        self.columns_label = QLabel("Columns", right)
        right_lay = QVBoxLayout(right)
        right_lay.setContentsMargins(8, 0, 0, 0)
        right_lay.addWidget(self.details_title)
        right_lay.addLayout(facts)
        right_lay.addWidget(self.columns_label)
        right_lay.addWidget(self.columns_table, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("pipeSplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([520, 460])
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.state_line)
        lay.addLayout(actions)
        lay.addWidget(self.retry_bar)
        lay.addWidget(self.splitter, 1)
        self._show_details(None)
        self._update_actions()
        self._update_count()

    # -- View interface -----------------------------------------------------------------------------------
    def headers(self) -> dict[str, QHeaderView]:
        return {
            "pipe_tables": self.table.horizontalHeader(),
            "columns": self.columns_table.horizontalHeader(),
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
            self._pages = None
            self.model.reset([], more=False)
            self.instance_combo.clear()
            self._show_details(None)
        super().set_profile(profile)
        self._update_retry_bar()
        self._update_actions()
        self._update_count()

    def refresh(self) -> None:
        if self.profile is None:
            return
        self._wanted_table = self.current_name() or self._wanted_table
        # Reload as many rows as were on screen, so the place the user scrolled to is kept.
        self._keep_rows = self.model.rowCount()
        self.background(self._reload(), "listing pipe tables", task_key="list")

    def new_item(self) -> None:
        """The create form: filled with the input of the last create that failed in this instance,
        when there is one (the form offers to start blank), blank otherwise."""
        if self.profile is None or not self.instance:
            self.ctx.notify("Pick an AI Lake profile and a database instance first.")
            return
        profile, instance = self.profile, self.instance
        failed = self.failed_creates.get((profile.name, instance))
        dialog = create_pipe_table(
            self.ctx,
            profile,
            instance,
            self.window(),
            form=failed.form if failed is not None else None,
            failure=failed.reason if failed is not None else "",
        )

        def submitted(op_id: str, name: str) -> None:
            if dialog.from_failed:
                self.failed_creates.pop((profile.name, instance), None)
                self._update_retry_bar()
            sent = dialog.sent_form.to_json() if dialog.sent_form is not None else ""
            title = f"Create pipe table {name} in {instance}"
            self.follow(self._job(profile, instance, "create", op_id, title, table=name, form=sent))

        def closed() -> None:
            # Cancelled after AI Lake refused the input: keep it for Edit and retry.
            if dialog.refusal:
                form = dialog.form()
                reason = f"AI Lake refused it: {dialog.refusal}"
                self._keep_failed(profile.name, instance, FailedCreate(form, form.table_name.strip(), reason))

        dialog.submitted.connect(submitted)
        dialog.rejected.connect(closed)
        self.dialog = dialog

    def edit_failed_create(self) -> None:
        """The create form filled with the input of the create that failed."""
        self.new_item()

    def dismiss_failed_create(self) -> None:
        if self.profile is not None and self.instance:
            self.failed_creates.pop((self.profile.name, self.instance), None)
        self._update_retry_bar()

    def _keep_failed(self, profile: str, instance: str, failed: FailedCreate) -> None:
        self.failed_creates[(profile, instance)] = failed
        self._update_retry_bar()

    def _update_retry_bar(self) -> None:
        failed = None
        if self.profile is not None and self.instance:
            failed = self.failed_creates.get((self.profile.name, self.instance))
        if failed is None:
            self.retry_bar.hide()
            return
        name = failed.table or "a pipe table"
        self.retry_label.setText(f"Creating {name} in {self.instance} failed: {failed.reason}")
        self.retry_bar.show()

    def delete_selected(self) -> None:
        names = self.selected_names()
        if self.profile is None or not self.instance or not names:
            return
        profile, instance = self.profile, self.instance
        listed = words(names) if len(names) <= 8 else ", ".join(names[:8]) + f" and {len(names) - 8} more"
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Delete pipe tables",
            f"Delete {len(names)} pipe table{'s' if len(names) > 1 else ''} of {instance}: {listed}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self.window(),
        )
        box.setObjectName("confirmDelete")
        box.setInformativeText(
            "The pipes stop and the tables are dropped with their rows; the parquet files stay in storage."
        )
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def done(answer: int) -> None:
            if answer == QMessageBox.StandardButton.Yes:
                self.ctx.run(
                    self._delete(profile, instance, names), what=f"deleting pipe tables of {instance}"
                )

        box.finished.connect(done)
        box.open()
        self.confirm_box = box

    async def aclose(self) -> None:
        self._closed = True
        self.model.fetch_stopped()
        for what in ("list", "page", "details"):
            self.ctx.tasks.cancel(self._key(what))

    def focus_filter(self) -> None:
        self.filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter.selectAll()

    # -- selection -------------------------------------------------------------------------------------
    def current_name(self) -> str | None:
        index = self.table.currentIndex()
        record = index.data(Role.RECORD) if index.isValid() else None
        return record.table_name if isinstance(record, PipeTableSummary) else None

    def selected_names(self) -> list[str]:
        rows = self.table.selectionModel().selectedRows()
        names = [r.data(Role.RECORD).table_name for r in sorted(rows, key=lambda i: i.row())]
        if not names and self.current_name():
            names = [str(self.current_name())]
        return names

    def select_table(self, name: str) -> bool:
        row = self.model.row_of(name)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        return True

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._update_actions()
        if self._quiet_selection:
            return
        record = current.data(Role.RECORD) if current.isValid() else None
        if not isinstance(record, PipeTableSummary):
            self._show_details(None)
            return
        if self.table_details is not None and self.table_details.table_name == record.table_name:
            return
        self.background(
            self._load_details(record.table_name), "reading pipe table details", task_key="details"
        )

    def _selection_changed(self, *_: Any) -> None:
        self._update_actions()

    def _update_actions(self) -> None:
        ready = self.profile is not None and bool(self.instance)
        names = self.selected_names() if ready else []
        self.new_button.setEnabled(ready)
        self.delete_button.setEnabled(bool(names))
        self.analyze_button.setEnabled(ready)
        details = self.table_details
        current = self.current_name()
        can_refresh = (
            details is not None and details.table_name == current and bool(details.partition_columns)
        )
        self.partition_button.setEnabled(can_refresh)
        if details is not None and details.table_name == current and not details.partition_columns:
            self.partition_button.setToolTip(
                f"{details.table_name} has no Hive partition folders (name=value) under its path prefix"
            )
        else:
            self.partition_button.setToolTip("Reload one Hive partition of the selected table from its files")

    # -- filter and counts -----------------------------------------------------------------------------
    def _filter_changed(self, text: str) -> None:
        self.proxy.set_filter_text(text)
        self._update_count()

    def _update_count(self) -> None:
        loaded = self.model.rowCount()
        total = self._pages.total if self._pages is not None else None
        if self._pages is None:
            text = ""
        elif self.model.more or self.model.fetching:
            counted = (
                f"{loaded} of {plural(total, 'pipe table')}"
                if total is not None
                else plural(loaded, "pipe table")
            )
            text = f"{counted} loaded — scroll down for more"
            if self.model.fetching:
                text = f"{counted} loaded — loading more…"
        else:
            text = plural(loaded, "pipe table")
            if self._page_error:
                text += f" loaded — the next page failed ({self._page_error}); press F5 to try again"
        if self.filter.text().strip() and self._pages is not None:
            text = f"{self.proxy.rowCount()} match “{self.filter.text().strip()}” · {text}"
        self.count_label.setText(text)
        if text and self.profile is not None and self.instance:
            self.status.emit(f"{self.profile.name}/{self.instance}: {text}")

    # -- loading ---------------------------------------------------------------------------------------
    def _key(self, what: str) -> str:
        """The task key of this view's ``what`` work ("list", "page", "details")."""
        return self._task_prefix() + what

    async def _client(self, profile: Profile | None = None) -> AILakeClient:
        chosen = profile or self.profile
        assert chosen is not None
        client = await self.ctx.session.ailake(chosen)
        return client

    async def _reload(self) -> None:
        profile = self.profile
        if profile is None:
            return
        self.status.emit(f"{profile.name}: loading…")
        self.ctx.tasks.cancel(self._key("page"))
        try:
            client = await self._client()
            instances = await client.list_database_instances(page_size=MAX_PAGE_SIZE).collect()
        except BaseException:
            self._show_details(None, note=f"Could not list the database instances of {profile.name}.")
            self.loaded.emit()
            raise
        wanted = self.instance or self._wanted_instance
        names = [i.name for i in instances]
        self.instance_combo.blockSignals(True)
        self.instance_combo.clear()
        for inst in instances:
            self.instance_combo.addItem(inst.name, inst.name)
            self.instance_combo.setItemData(
                self.instance_combo.count() - 1,
                f"Id {inst.id}\n{plural(len(inst.storage_ids), 'object storage')}",
                Qt.ItemDataRole.ToolTipRole,
            )
        chosen = wanted if wanted in names else (names[0] if names else None)
        if chosen is not None:
            self.instance_combo.setCurrentIndex(names.index(chosen))
        self.instance_combo.blockSignals(False)
        if chosen is None:
            self.instance = None
            self._pages = None
            self.model.reset([], more=False)
            self._show_details(None, note=f"{profile.name} has no AI Lake database instance yet.")
            self._update_actions()
            self._update_count()
            self.status.emit(f"{profile.name}: no database instances")
            self.loaded.emit()
            return
        await self._load_first_page(client, chosen)

    def _instance_changed(self, _index: int) -> None:
        name = self.instance_combo.currentData()
        if self.profile is None or not name or name == self.instance:
            return
        self._wanted_table = None
        self._keep_rows = 0
        self.background(self._switch_instance(str(name)), "listing pipe tables", task_key="list")

    async def _switch_instance(self, name: str) -> None:
        self.ctx.tasks.cancel(self._key("page"))
        await self._load_first_page(await self._client(), name)

    async def _load_first_page(self, client: AILakeClient, instance: str) -> None:
        assert self.profile is not None
        if instance != self.instance:
            self._show_details(None)
        self.instance = instance
        self._update_retry_bar()
        pages = PipeTablePages(client, instance, min(self.page_size, MAX_PAGE_SIZE))
        self._page_error = ""
        keep, self._keep_rows = self._keep_rows, 0
        try:
            first = await pages.next_page()
            while not pages.done and len(first) < keep:
                first += await pages.next_page()
        except BaseException:
            self._pages = None
            self.model.reset([], more=False)
            self._update_count()
            self.loaded.emit()
            raise
        self._pages = pages
        wanted = self._wanted_table
        self._quiet_selection = True
        try:
            self.model.reset(first, more=not pages.done)
            name = wanted if wanted is not None and self.model.row_of(wanted) is not None else None
            if name is None and self.model.rowCount():
                name = self.proxy.index(0, 0).data(Role.RECORD).table_name
            if name is not None:
                self.select_table(name)
        finally:
            self._quiet_selection = False
        self._update_actions()
        self._update_count()
        try:
            if name is not None:
                await self._load_details(name)
            else:
                self._show_details(None, note=f"{instance} has no pipe tables yet: create one with New…")
        finally:
            self.loaded.emit()

    def _fetch_more(self) -> None:
        pages = self._pages
        if pages is None or pages.done or self._closed:
            self.model.fetch_stopped()
            return
        self._update_count()
        self.background(self._next_page(pages), "loading more pipe tables", task_key="page")

    async def _next_page(self, pages: PipeTablePages) -> None:
        try:
            rows = await pages.next_page()
        except asyncio.CancelledError:
            if pages is self._pages:
                self.model.fetch_stopped()
            raise
        except errors.ApiError as e:
            if pages is self._pages:
                self._page_error = e.message
                self.model.fetch_stopped()
                self._update_count()
            raise
        if pages is not self._pages:
            return  # the list was reloaded meanwhile
        self.model.add_page(rows, more=not pages.done)
        self._update_count()

    # -- details ---------------------------------------------------------------------------------------
    async def _load_details(self, name: str) -> None:
        instance = self.instance
        if instance is None:
            return
        self.details_title.setText(f"{name} — loading…")
        try:
            table = await (await self._client()).get_pipe_table(instance, name)
        except errors.NotFound:
            if instance == self.instance:
                self.model.remove(name)
                if self._pages is not None:
                    self._pages.forget(name)
                self._show_details(None, note=f"{name} no longer exists in {instance}.")
                self._update_count()
            return
        if instance != self.instance or self.current_name() != name:
            return  # the user moved on meanwhile
        self._show_details(table)
        self.details_loaded.emit(table)

    def _show_details(self, table: PipeTable | None, note: str = "") -> None:
        self.table_details = table
        if table is None:
            if note:
                self.details_title.setText(note)
            elif self.profile is None:
                self.details_title.setText("Pick an AI Lake profile in Connections.")
            else:
                self.details_title.setText("Select a pipe table to see its configuration and columns.")
            for label in self.facts.values():
                label.setText("")
            self.columns_model.set_rows([])
            self.columns_label.setText("Columns")
            self._update_actions()
            return
        self.details_title.setText(table.table_name)
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
        self._update_actions()

    # -- operations ------------------------------------------------------------------------------------
    def follow(self, job: TrackedJob, resumed: bool = False) -> None:
        """Follow the job's operation to its end in an Activity entry; its Cancel stops the waiting
        (and the following on later starts), not the operation. Background work: its outcome is in
        the entry, never a dialog."""
        self.ctx.run_background(
            self._follow(job, resumed), f"follow/{job.id}", f"following {job.title}", source=job.title
        )

    def resume(self, job: TrackedJob) -> bool:
        if job.kind != AILAKE_OPERATION or job.action not in PIPE_ACTIONS:
            return False
        self.follow(job, resumed=True)
        return True

    async def _follow(self, job: TrackedJob, resumed: bool) -> None:
        profile = self.ctx.session.profile(job.profile)
        if profile is None:  # deleted meanwhile: its jobs went with it
            await self.ctx.session.forget_job(job)
            return
        client = await self._client(profile)

        def reason(e: errors.ApiError) -> str:
            text = failure_reason(e)
            return refresh_failure(text, _partition_of(job)) if job.action == "refresh" else text

        followed = await self.ctx.follow(
            job,
            follower.ailake_operation(client, job.remote_id, since=job.started_at),
            kind="ailake",
            resumed=resumed,
            cancelled_note=f"stopped waiting; operation {job.remote_id} goes on in AI Lake",
            failure_text=reason,
        )
        entry = followed.entry
        op = followed.state
        if op is None:
            failure = followed.failure
            if failure is not None and ends_the_job(failure):
                self.ctx.notify(f"{entry.title} failed: {entry.result}")
                if job.action == "create" and isinstance(failure, errors.OperationFailed):
                    self._create_failed(job, entry.result)
            return
        assert isinstance(op, SucceededOperation)  # the follower returns only a finished one
        if job.action == "refresh":
            result = refresh_summary(op, _partition_of(job), job.done)
        else:
            result = operation_summary(op, job.done)
        entry.succeed(result, raw=op.model_dump(mode="json", by_alias=True))
        self.ctx.notify(f"{entry.title}: {entry.result}")
        await self._succeeded(profile, client, job)

    def _create_failed(self, job: TrackedJob, reason: str) -> None:
        """Keep the input of a create whose operation failed, for Edit and retry."""
        form = CreateForm.from_json(job.context.get("form", ""))
        if form is None:
            return  # followed again from a console that did not keep the input
        instance = job.context.get("instance", "")
        self._keep_failed(job.profile, instance, FailedCreate(form, job.context.get("table", ""), reason))

    async def _succeeded(self, profile: Profile, client: AILakeClient, job: TrackedJob) -> None:
        """The list follows what the operation did, if it still shows that instance."""
        instance, name = job.context.get("instance", ""), job.context.get("table", "")
        if job.action == "create":
            table = await client.get_pipe_table(instance, name)
            if not self._showing(profile, instance):
                return
            summary = PipeTableSummary(
                pipe_table_id=table.pipe_table_id,
                table_name=table.table_name,
                path_prefix=table.path_prefix,
                columns=table.columns,
            )
            self.model.upsert(summary)
            if self._pages is not None:
                self._pages.seen(name)
            self._update_count()
            self.select_table(name)
        elif job.action == "delete":
            if not self._showing(profile, instance):
                return
            self.model.remove(name)
            if self._pages is not None:
                self._pages.forget(name)
            if self.table_details is not None and self.table_details.table_name == name:
                self._show_details(None)
            self._update_count()
        elif job.action == "refresh":
            if self._showing(profile, instance) and self.current_name() == name:
                await self._load_details(name)

    def _job(
        self, profile: Profile, instance: str, action: str, op_id: str, title: str, **extra: str
    ) -> TrackedJob:
        return TrackedJob(
            kind=AILAKE_OPERATION,
            profile=profile.name,
            remote_id=op_id,
            title=title,
            action=action,
            context={"instance": instance, **extra},
            done=PIPE_ACTIONS[action],
        )

    def _showing(self, profile: Profile, instance: str) -> bool:
        """Whether the list still shows that instance of that profile (the user may have moved on
        while an operation ran)."""
        return self.profile is not None and self.profile.name == profile.name and self.instance == instance

    async def _delete(self, profile: Profile, instance: str, names: list[str]) -> None:
        client = await self._client(profile)
        for name in names:
            op_id = await client.delete_pipe_table(instance, name)
            self.follow(
                self._job(
                    profile, instance, "delete", op_id, f"Delete pipe table {name} of {instance}", table=name
                )
            )

    def refresh_partition(self) -> None:
        table = self.table_details
        if self.profile is None or self.instance is None or table is None or not table.partition_columns:
            return
        profile, instance = self.profile, self.instance

        def submitted(op_id: str, spec: dict[str, str]) -> None:
            folder = partition_folder({c: spec[c] for c in table.partition_columns if c in spec})
            title = f"Refresh {table.table_name} partition {folder}"
            name = table.table_name
            self.follow(self._job(profile, instance, "refresh", op_id, title, table=name, partition=folder))

        self.dialog = refresh_partition(self.ctx, profile, instance, table, self.window(), submitted)

    def analyze(self) -> None:
        if self.profile is None or self.instance is None:
            return
        profile, instance = self.profile, self.instance

        def submitted(op_id: str, names: list[str] | None) -> None:
            what = words(names) if names else f"every table of {instance}"
            self.follow(self._job(profile, instance, "analyze", op_id, f"Analyze {what}"))

        self.dialog = analyze_tables(
            self.ctx, profile, instance, self.selected_names(), self.window(), submitted
        )


def _partition_of(job: TrackedJob) -> str:
    """The partition folder a refresh job is about (from its title when an earlier console did not
    keep it apart)."""
    return job.context.get("partition") or job.title.rpartition(" partition ")[2]
