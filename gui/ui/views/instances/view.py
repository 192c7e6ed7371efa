"""StarRocks instances: the TaurusDB instances of a Huawei Cloud profile with the StarRocks instances
attached to each (status badge, version, HA mode, FE/BE nodes and flavors, zone, region, created), a
details pane, and the changes — create (wizard), restart, resize, delete — each followed in the
Activity panel until the instance settles.

F5 reloads, Ctrl+N creates an instance, Delete deletes the selected one after confirmation, Ctrl+F
goes to the filter. Every call goes through ``HuaweiInstancesService``.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ....api import errors
from ....api.huawei.models import StarRocksNode
from ....services.instances import Created, HuaweiInstancesService, StarRocksRow, TaurusGroup
from ....services.profiles import Profile
from ....services.tracker import TrackedJob
from ....services.words import join, plural, sentence
from ...context import UiContext
from ...dialogs.instance_create import CreateInstanceWizard
from ...dialogs.instance_delete import DeleteInstanceDialog
from ...dialogs.instance_resize import ResizeInstanceDialog
from ...models.instances import InstanceTreeModel
from ...models.table import Role
from ...widgets.listing import RowDelegate, explain, toolbar_button
from ..base import ServicesByProfile, View
from .details import InstanceDetails

HINT = "Pick a Huawei Cloud profile in Connections to see its TaurusDB and StarRocks instances."
TREE_WIDTHS = [150, 80, 112, 66, 126, 126, 86, 78, 118]


def _period(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _restart_box(row: StarRocksRow, node: StarRocksNode | None, parent: QWidget) -> QMessageBox:
    """The question before a restart of the instance (``node`` None) or of one node."""
    if node is None:
        text = f"Restart every node of {row.name}? Queries and loads running on it are interrupted."
    else:
        text = (
            f"Restart node {node.name} ({(node.type or '').upper()}) of {row.name}? What runs on this "
            "node is interrupted; the other nodes keep serving."
        )
    box = QMessageBox(
        QMessageBox.Icon.Question,
        f"Restart {node.name if node else row.name}",
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        parent,
    )
    box.setObjectName("restartConfirm")
    box.button(QMessageBox.StandardButton.Yes).setText("Restart")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return box


class _TreeProxy(QSortFilterProxyModel):
    """Filters StarRocks rows by any column; a TaurusDB instance stays when one of its StarRocks
    instances matches, and all of them show when the TaurusDB instance itself matches."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setRecursiveFilteringEnabled(True)
        self.setAutoAcceptChildRows(True)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)
        self.setSortRole(Role.SORT)


class InstancesView(View):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("instancesView")
        # One service per profile: a job of a profile not on screen is followed by its own.
        self._services = ServicesByProfile(lambda p: HuaweiInstancesService(self.ctx.session, p))
        # The last refusal per instance (e.g. a restart during a resize), shown in the details.
        self.notices: dict[str, str] = {}
        self.heading = QLabel(HINT, self)
        self.heading.setObjectName("huaweiHeading")
        self.heading.setWordWrap(True)
        bar = self._build_toolbar()
        self.details = InstanceDetails(self.restart_selected_node, self)
        self.details.node_changed.connect(self._update_buttons)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("instancesSplitter")
        self.splitter.addWidget(self._build_tree())
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.heading)
        lay.addWidget(self.state_line)
        lay.addLayout(bar)
        lay.addWidget(self.splitter, 1)
        self._update_buttons()

    # -- building ------------------------------------------------------------------------------------
    def _build_toolbar(self) -> QHBoxLayout:
        self.filter = QLineEdit(self)
        self.filter.setObjectName("instanceFilter")
        self.filter.setPlaceholderText("Filter instances (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter_tree)
        b = toolbar_button
        self.refresh_button = b(self, "Refresh", "refreshButton", "Reload (F5)", self.refresh)
        self.create_button = b(
            self,
            "New instance…",
            "createButton",
            "Create a StarRocks instance (Ctrl+N)",
            self.create_instance,
        )
        self.restart_button = b(
            self, "Restart", "restartButton", "Restart every node of the instance", self.restart_selected
        )
        self.resize_button = b(
            self, "Resize…", "resizeButton", "Change the FE and BE flavors", self.resize_selected
        )
        self.delete_button = b(
            self, "Delete…", "deleteButton", "Delete the instance and its data (Delete)", self.delete_instance
        )
        bar = QHBoxLayout()
        bar.addWidget(self.filter, 1)
        for button in (
            self.refresh_button,
            self.create_button,
            self.restart_button,
            self.resize_button,
            self.delete_button,
        ):
            bar.addWidget(button)
        return bar

    def _build_tree(self) -> QTreeView:
        self.tree_model = InstanceTreeModel(self)
        self.tree_proxy = _TreeProxy(self)
        self.tree_proxy.setSourceModel(self.tree_model)
        self.tree = QTreeView(self)
        self.tree.setObjectName("instanceTree")
        self.tree.setModel(self.tree_proxy)
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setItemDelegate(RowDelegate(self.tree))
        self.tree.header().setStretchLastSection(True)
        for i, w in enumerate(TREE_WIDTHS):
            self.tree.setColumnWidth(i, w)
        self.tree.selectionModel().currentChanged.connect(lambda *_: self._selection_changed())
        return self.tree

    def headers(self) -> dict[str, QHeaderView]:
        return {"instances": self.tree.header()}

    # -- View interface -------------------------------------------------------------------------------
    def service(self, profile: Profile) -> HuaweiInstancesService:
        """The service of ``profile`` (the same one for as long as the profile keeps its name)."""
        return self._services.of(profile)

    def _shows(self, name: str) -> bool:
        return self.profile is not None and self.profile.name == name

    def set_profile(self, profile: Profile | None) -> None:
        if profile is None or self.profile is None or profile.name != self.profile.name:
            self.tree_model.set_groups([])
            self.notices.clear()
        super().set_profile(profile)

    def drop_profile(self, name: str) -> None:
        """A deleted profile's instances go from the view, its actions with them."""
        super().drop_profile(name)
        self._services.drop(name)

    def refresh(self) -> None:
        profile = self.profile
        if profile is None:
            self.heading.setText(HINT)
            self._show_details()
            self._update_buttons()
            return
        self.background(self._load(self.service(profile)), "loading StarRocks instances", task_key="load")

    def new_item(self) -> None:
        self.create_instance()

    def delete_selected(self) -> None:
        self.delete_instance()

    def focus_filter(self) -> None:
        self.filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter.selectAll()

    def resume(self, job: TrackedJob) -> bool:
        if not HuaweiInstancesService.owns(job):
            return False
        self._start_follow(job, resumed=True)
        return True

    # -- loading --------------------------------------------------------------------------------------
    async def _load(self, service: HuaweiInstancesService) -> None:
        name = service.profile.name
        if not self.tree_model.groups():
            self.heading.setText(f"<b>{html.escape(name)}</b>")
        self.status.emit(f"{name}: loading instances…")
        try:
            groups = await service.load()
        except errors.ApiError:
            self.loaded.emit()  # the state line under the heading says why
            raise
        if not self._shows(name):
            return
        current = self._current_id()
        self.tree_model.set_groups(groups)
        self.tree.expandAll()
        if current is not None:
            self._select(current)
        elif self.tree_model.rows():
            # Something useful in the details pane from the start: the first StarRocks instance.
            first = min(self.tree_model.rows(), key=lambda r: (r.taurus_name, r.name))
            self._select(first.id)
        self._shown_changed()
        self.loaded.emit()

    def _shown_changed(self) -> None:
        self._update_heading()
        self._show_details()
        self._update_buttons()

    def _update_heading(self) -> None:
        profile = self.profile
        if profile is None:
            return
        groups, rows = self.tree_model.groups(), self.tree_model.rows()
        moving = sum(1 for r in rows if not r.settled)
        counts = f"{plural(len(rows), 'StarRocks instance')} on {plural(len(groups), 'TaurusDB instance')}"
        self.heading.setText(
            f"<b>{html.escape(profile.name)}</b> — {html.escape(profile.region or '')}: {counts}"
            + (f", {moving} changing" if moving else "")
        )
        self.status.emit(f"{profile.name}: {counts}")

    async def _reload_group(self, service: HuaweiInstancesService, taurus_id: str) -> None:
        group = await service.reload_group(taurus_id)
        if group is not None and self._shows(service.profile.name):
            self._apply_group(group)

    def _apply_group(self, group: TaurusGroup) -> None:
        current = self._current_id()
        self.tree_model.set_group(group)
        parent = self.tree_proxy.mapFromSource(self.tree_model.find(group.id))
        if parent.isValid():
            self.tree.expand(parent)
        if current is not None:
            self._select(current)
        self._shown_changed()

    # -- selection and details ---------------------------------------------------------------------------
    def _current_id(self) -> str | None:
        node = self.selected_node()
        return node.id if node is not None else None

    def selected_node(self) -> TaurusGroup | StarRocksRow | None:
        index = self.tree.currentIndex()
        return self.tree_model.node(self.tree_proxy.mapToSource(index)) if index.isValid() else None

    def selected_instance(self) -> StarRocksRow | None:
        node = self.selected_node()
        return node if isinstance(node, StarRocksRow) else None

    def _select(self, instance_id: str) -> bool:
        index = self.tree_proxy.mapFromSource(self.tree_model.find(instance_id))
        if not index.isValid():
            return False
        self.tree.setCurrentIndex(index)
        return True

    def select_instance(self, name: str) -> bool:
        """Select a StarRocks or TaurusDB instance by name."""
        nodes: list[StarRocksRow | TaurusGroup] = [*self.tree_model.rows(), *self.tree_model.groups()]
        return next((self._select(n.id) for n in nodes if n.name == name), False)

    def _selection_changed(self) -> None:
        self._show_details()
        self._update_buttons()

    def _show_details(self) -> None:
        node = self.selected_node()
        notice = None
        if isinstance(node, StarRocksRow):
            # Why the changes are refused now (a job runs), else the last refusal the service gave.
            notice = _period(node.busy_reason) if node.busy_reason else self.notices.get(node.id)
        self.details.present(node, notice)

    def _update_buttons(self) -> None:
        has = self.profile is not None
        row = self.selected_instance()
        busy = row.busy_reason if row is not None else ""
        reason = _period(busy) if busy else ""
        for b in (self.refresh_button, self.create_button):
            b.setEnabled(has)
        usable = has and row is not None and not busy
        for b in (self.restart_button, self.resize_button, self.delete_button):
            explain(b, usable, reason)
        explain(self.details.restart_node_button, usable and self.details.selected_node() is not None, reason)

    def _filter_tree(self, text: str) -> None:
        self.tree_proxy.setFilterFixedString(text)
        self.tree.expandAll()

    # -- changes ------------------------------------------------------------------------------------------
    def create_instance(self) -> None:
        profile = self.profile
        if profile is None:
            self.ctx.notify("Pick a Huawei Cloud profile first.")
            return
        groups = self.tree_model.groups()
        if not groups:
            self.ctx.notify("No TaurusDB instance is listed: a StarRocks instance is created on one.")
            return
        node = self.selected_node()
        taurus_id = node.id if isinstance(node, TaurusGroup) else node.taurus_id if node else None
        wizard = CreateInstanceWizard(self.ctx, self.service(profile), groups, taurus_id, self.window())
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.created.connect(self._created)
        self.wizard = wizard
        wizard.open()

    def _created(self, created: Created) -> None:
        # Shown at once with the create answer; the reloads that follow the job replace it.
        self.tree_model.upsert_row(created.row)
        self._select(created.row.id)
        self._update_heading()
        self.ctx.notify(f"Creating {created.row.name}: follow it in the Activity panel.")
        self._start_follow(created.job)

    def _changeable(self) -> tuple[HuaweiInstancesService, StarRocksRow] | None:
        """The selected instance and its service, when a change of it can be started now (a
        shortcut bypasses the buttons: the reason a change is refused is said instead)."""
        row = self.selected_instance()
        if row is None or self.profile is None:
            return None
        if row.busy_reason:
            self.ctx.notify(_period(row.busy_reason))
            return None
        return self.service(self.profile), row

    def restart_selected(self) -> None:
        self._confirm_restart(None)

    def restart_selected_node(self) -> None:
        node = self.details.selected_node()
        if node is not None:
            self._confirm_restart(node)

    def _confirm_restart(self, node: StarRocksNode | None) -> None:
        target = self._changeable()
        if target is None:
            return
        service, row = target
        subject = row.name if node is None else f"node {node.name} of {row.name}"
        box = _restart_box(row, node, self.window())

        def done(button: int) -> None:
            if button == QMessageBox.StandardButton.Yes:
                self.ctx.run(self._restart(service, row, node), what=f"restarting {subject}")

        box.finished.connect(done)
        self.restart_box = box
        box.open()

    async def _restart(
        self, service: HuaweiInstancesService, row: StarRocksRow, node: StarRocksNode | None
    ) -> None:
        try:
            job = await service.restart(row, node)
        except errors.ApiError as e:
            # The service's own reason, e.g. busy because a resize runs: kept next to the instance.
            hint = _period(sentence(e.hint)) if e.hint else None
            self.notices[row.id] = join(_period(f"Restart refused: {e.message}"), hint)
            self._show_details()
            raise
        self.notices.pop(row.id, None)
        self._start_follow(job)

    def resize_selected(self) -> None:
        target = self._changeable()
        if target is None:
            return
        dialog = ResizeInstanceDialog(self.ctx, *target, self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.started.connect(lambda job: self._start_follow(job))
        self.resize_dialog = dialog
        dialog.open()

    def delete_instance(self) -> None:
        if self.profile is not None and isinstance(self.selected_node(), TaurusGroup):
            self.ctx.notify("TaurusDB instances are not deleted from here; select a StarRocks instance.")
            return
        target = self._changeable()
        if target is None:
            return
        dialog = DeleteInstanceDialog(self.ctx, *target, self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.started.connect(lambda job: self._start_follow(job))
        self.delete_dialog = dialog
        dialog.open()

    # -- following the jobs --------------------------------------------------------------------------------
    def _start_follow(self, job: TrackedJob, resumed: bool = False) -> None:
        self.follow_in_background(self._follow(job, resumed), job)

    async def _follow(self, job: TrackedJob, resumed: bool) -> None:
        """One job in the Activity panel, its instance's row reloaded as it moves and until it settles."""
        profile = self.ctx.session.profile(job.profile)
        if profile is None:
            raise errors.NotFound(f"profile {job.profile!r} no longer exists", service=job.kind)
        service = self.service(profile)
        taurus_id = job.context["taurus_id"]

        def reload() -> None:
            if self._shows(job.profile):
                key = f"instances/group/{taurus_id}"
                coro = self._reload_group(service, taurus_id)
                self.ctx.run_background(coro, key, "reloading instances", source=self.title)

        followed = await self.ctx.follow(
            job,
            service.check(job),
            kind="huawei-job",
            resumed=resumed,
            on_progress=lambda _seen: reload(),
            cancelled_note="stopped following; the job goes on in Huawei Cloud",
        )
        if followed.state is None:
            reload()
            return
        followed.entry.update(None, "job completed; waiting for the instance to settle")

        def shown(group: TaurusGroup) -> None:
            if self._shows(job.profile):
                self._apply_group(group)

        result = await service.settle(job, on_group=shown)
        followed.entry.succeed(result, raw=followed.state.model_dump(mode="json"))
