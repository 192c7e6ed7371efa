"""Instances: the TaurusDB instances of a Huawei Cloud profile with the StarRocks instances attached
to each (status badge, version, HA mode, FE/BE nodes and flavors, zone, region, created), a details
pane, and the changes — create (wizard), restart, resize, delete — each followed in the Activity
panel until the instance settles; and the database instances of an AI Lake profile, provisioned and
deprovisioned the same way.

F5 reloads, Ctrl+N creates (an instance, or a database on the AI Lake tab), Delete deletes the
selection after confirmation, Ctrl+F goes to the filter.
"""

from __future__ import annotations

import dataclasses
import html
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyle,
    QStyleOptionViewItem,
    QTableView,
    QTabWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ...api import errors
from ...api.ailake import AILakeClient, ObjectStorageInfo
from ...api.huawei import CreateStarRocksResult, HtapInstance, HuaweiCloudClient, TaurusInstance
from ...api.huawei.models import StarRocksNode
from ...services import follower
from ...services import instances as svc
from ...services.instances import LakeDatabaseRow, StarRocksRow, TaurusGroup, local_time
from ...services.profiles import Profile
from ...services.tracker import AILAKE_OPERATION, HUAWEI_JOB, TrackedJob, ends_the_job
from ...services.words import plural
from ..context import UiContext
from ..dialogs.ailake_db_deprovision import DeprovisionDatabaseDialog
from ..dialogs.ailake_db_provision import ProvisionDatabaseDialog
from ..dialogs.instance_create import CreateInstanceWizard
from ..dialogs.instance_delete import DeleteInstanceDialog
from ..dialogs.instance_resize import ResizeInstanceDialog
from ..models.instances import InstanceTreeModel, LakeDatabaseModel
from ..models.table import Column, RecordFilterProxy, RecordTableModel, Role
from ..style import set_tone
from ..widgets.badge import BadgeDelegate, status_color
from ..widgets.state_line import StateLine
from .base import View

HUAWEI_TAB, LAKE_TAB = 0, 1
KEY_HUAWEI, KEY_LAKE = "instances/huawei", "instances/ailake"
HUAWEI_HINT = "Pick a Huawei Cloud profile in Connections to see its TaurusDB and StarRocks instances."
LAKE_HINT = "Pick an AI Lake profile in Connections to see its database instances."
TREE_WIDTHS = [150, 80, 112, 66, 126, 126, 86, 78, 118]


def _node_status(node: StarRocksNode) -> str:
    """A node's status, or what the job running on it makes it (resizing, rebooting…)."""
    for action in node.actions:
        if action.action in svc.ACTION_STATES:
            return svc.ACTION_STATES[action.action]
    return node.status or ""


def _node_columns() -> list[Column[StarRocksNode]]:
    return [
        Column[StarRocksNode]("Node", lambda n: n.name),
        Column[StarRocksNode]("Role", lambda n: n.type or ""),
        Column[StarRocksNode]("Status", _node_status, badge=lambda n: status_color(_node_status(n))),
        Column[StarRocksNode]("Address", lambda n: n.traffic_ip or ""),
        Column[StarRocksNode](
            "Flavor", lambda n: svc.flavor_text(n.cpu, n.mem), tooltip=lambda n: n.flavor_ref or ""
        ),
        Column[StarRocksNode](
            "Storage", lambda n: f"{n.volume.type or ''} {n.volume.size or ''} GB".strip() if n.volume else ""
        ),
    ]


def _toolbar_button(parent: QWidget, text: str, name: str, tip: str, slot: Callable[[], None]) -> QPushButton:
    """A button with its own tooltip kept (as the ``tip`` property) for when no reason replaces it."""
    b = QPushButton(text, parent)
    b.setObjectName(name)
    b.setToolTip(tip)
    b.setProperty("tip", tip)
    b.clicked.connect(lambda _c=False: slot())
    return b


def _huawei_job(
    profile: Profile, job_id: str, title: str, action: str, row: tuple[str, str], done: str
) -> TrackedJob:
    """A Huawei job on one StarRocks instance; ``row`` is (TaurusDB id, StarRocks instance id)."""
    return TrackedJob(
        kind=HUAWEI_JOB,
        profile=profile.name,
        remote_id=job_id,
        title=title,
        action=action,
        context={"taurus_id": row[0], "instance_id": row[1]},
        done=done,
    )


def _lake_job(profile: Profile, operation_id: str, title: str, action: str, name: str) -> TrackedJob:
    word = "provisioned" if action == "provision" else "deprovisioned"
    return TrackedJob(
        kind=AILAKE_OPERATION,
        profile=profile.name,
        remote_id=operation_id,
        title=title,
        action=action,
        context={"name": name},
        done=f"{name} {word}",
    )


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _pairs_html(pairs: list[tuple[str, str]], columns: int = 2) -> str:
    """Key/value pairs as a compact table of ``columns`` pairs per line."""
    cells = [
        f"<td style='color:palette(placeholder-text); padding-right:6px'>{html.escape(k)}</td>"
        f"<td style='padding-right:18px'>{html.escape(v) if v else '–'}</td>"
        for k, v in pairs
    ]
    lines = ["".join(cells[i : i + columns]) for i in range(0, len(cells), columns)]
    return "<table cellspacing='2'>" + "".join(f"<tr>{line}</tr>" for line in lines) + "</table>"


class _RowDelegate(BadgeDelegate):
    """Rows tall enough for a status badge to read as one, the badge on the row's selection."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        if isinstance(index.data(Role.BADGE), QColor):
            # The badge is drawn over the cell, so the selected row's highlight goes under it first.
            background = QStyleOptionViewItem(option)
            self.initStyleOption(background, index)
            background.text = ""
            widget = background.widget
            style = widget.style() if widget is not None else QApplication.style()
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, background, painter, widget)
        super().paint(painter, option, index)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width(), max(size.height(), 24))


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
        self.huawei_profile: Profile | None = None
        self.lake_profile: Profile | None = None
        # Databases an operation started here is provisioning/deprovisioning, by name.
        self.lake_moving: dict[str, str] = {}
        # The last refusal per instance (e.g. a restart during a resize), shown in the details.
        self.notices: dict[str, str] = {}
        self.storages: list[ObjectStorageInfo] = []
        self.sections = QTabWidget(self)
        self.sections.setObjectName("instanceSections")
        self.sections.setDocumentMode(True)
        self.sections.addTab(self._build_huawei(), "StarRocks on TaurusDB")
        self.sections.addTab(self._build_lake(), "AI Lake databases")
        self.sections.currentChanged.connect(lambda _i: self.profile_shown.emit())
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.sections)
        self._update_buttons()

    # -- building ------------------------------------------------------------------------------------
    def _build_huawei(self) -> QWidget:
        page = QWidget(self)
        self.hw_heading = QLabel(HUAWEI_HINT, page)
        self.hw_heading.setObjectName("huaweiHeading")
        self.hw_heading.setWordWrap(True)
        self.hw_state = StateLine(page)
        self.hw_filter = QLineEdit(page)
        self.hw_filter.setObjectName("instanceFilter")
        self.hw_filter.setPlaceholderText("Filter instances (Ctrl+F)")
        self.hw_filter.setClearButtonEnabled(True)
        self.refresh_button = _toolbar_button(page, "Refresh", "refreshButton", "Reload (F5)", self.refresh)
        self.create_button = _toolbar_button(
            page,
            "New instance…",
            "createButton",
            "Create a StarRocks instance (Ctrl+N)",
            self.create_instance,
        )
        self.restart_button = _toolbar_button(
            page, "Restart", "restartButton", "Restart every node of the instance", self.restart_selected
        )
        self.resize_button = _toolbar_button(
            page, "Resize…", "resizeButton", "Change the FE and BE flavors", self.resize_selected
        )
        self.delete_button = _toolbar_button(
            page, "Delete…", "deleteButton", "Delete the instance and its data (Delete)", self.delete_instance
        )
        bar = QHBoxLayout()
        bar.addWidget(self.hw_filter, 1)
        for b in (
            self.refresh_button,
            self.create_button,
            self.restart_button,
            self.resize_button,
            self.delete_button,
        ):
            bar.addWidget(b)

        self.tree_model = InstanceTreeModel(self)
        self.tree_proxy = _TreeProxy(self)
        self.tree_proxy.setSourceModel(self.tree_model)
        self.tree = QTreeView(page)
        self.tree.setObjectName("instanceTree")
        self.tree.setModel(self.tree_proxy)
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setItemDelegate(_RowDelegate(self.tree))
        header = self.tree.header()
        header.setStretchLastSection(True)
        for i, w in enumerate(TREE_WIDTHS):
            self.tree.setColumnWidth(i, w)
        self.tree.selectionModel().currentChanged.connect(lambda *_: self._selection_changed())
        self.hw_filter.textChanged.connect(self._filter_tree)

        self.details_title = QLabel("Select an instance to see its details.", page)
        self.details_title.setObjectName("detailsTitle")
        font = self.details_title.font()
        font.setBold(True)
        self.details_title.setFont(font)
        self.details = QLabel(page)
        self.details.setObjectName("details")
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.notice = QLabel(page)
        self.notice.setObjectName("instanceNotice")
        self.notice.setWordWrap(True)
        set_tone(self.notice, "error")
        self.notice.hide()
        self.nodes = RecordTableModel[StarRocksNode](_node_columns(), key=lambda n: n.id, parent=self)
        self.nodes_view = QTableView(page)
        self.nodes_view.setObjectName("nodesTable")
        self.nodes_view.setModel(self.nodes)
        self.nodes_view.setItemDelegate(_RowDelegate(self.nodes_view))
        self.nodes_view.verticalHeader().setVisible(False)
        self.nodes_view.verticalHeader().setDefaultSectionSize(24)
        self.nodes_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.nodes_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.nodes_view.horizontalHeader().setStretchLastSection(True)
        for i, w in enumerate((190, 100, 100, 130, 150)):
            self.nodes_view.setColumnWidth(i, w)
        overview = QScrollArea(page)
        overview.setWidgetResizable(True)
        overview.setFrameShape(QFrame.Shape.NoFrame)
        overview.setWidget(self.details)
        self.details_tabs = QTabWidget(page)
        self.details_tabs.setObjectName("detailsTabs")
        self.nodes_view.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self.restart_node_button = _toolbar_button(
            page,
            "Restart node…",
            "restartNodeButton",
            "Restart the selected node only (the others keep serving)",
            self.restart_selected_node,
        )
        nodes_page = QWidget(page)
        nodes_lay = QVBoxLayout(nodes_page)
        nodes_lay.setContentsMargins(0, 0, 0, 0)
        nodes_lay.addWidget(self.nodes_view, 1)
        nodes_bar = QHBoxLayout()
        nodes_bar.addStretch(1)
        nodes_bar.addWidget(self.restart_node_button)
        nodes_lay.addLayout(nodes_bar)
        self.details_tabs.addTab(overview, "Overview")
        self.details_tabs.addTab(nodes_page, "Nodes")
        pane = QWidget(page)
        pane.setObjectName("detailsPane")
        pane_lay = QVBoxLayout(pane)
        pane_lay.setContentsMargins(0, 4, 0, 0)
        pane_lay.addWidget(self.details_title)
        pane_lay.addWidget(self.notice)
        pane_lay.addWidget(self.details_tabs, 1)

        self.hw_splitter = QSplitter(Qt.Orientation.Vertical, page)
        self.hw_splitter.setObjectName("instancesSplitter")
        self.hw_splitter.addWidget(self.tree)
        self.hw_splitter.addWidget(pane)
        self.hw_splitter.setStretchFactor(0, 3)
        self.hw_splitter.setStretchFactor(1, 2)
        self.hw_splitter.setChildrenCollapsible(False)
        lay = QVBoxLayout(page)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.hw_heading)
        lay.addWidget(self.hw_state)
        lay.addLayout(bar)
        lay.addWidget(self.hw_splitter, 1)
        return page

    def _build_lake(self) -> QWidget:
        page = QWidget(self)
        self.lake_heading = QLabel(LAKE_HINT, page)
        self.lake_heading.setObjectName("lakeHeading")
        self.lake_heading.setWordWrap(True)
        self.lake_state = StateLine(page)
        self.lake_filter = QLineEdit(page)
        self.lake_filter.setObjectName("lakeFilter")
        self.lake_filter.setPlaceholderText("Filter databases (Ctrl+F)")
        self.lake_filter.setClearButtonEnabled(True)
        self.lake_refresh_button = _toolbar_button(
            page, "Refresh", "lakeRefreshButton", "Reload (F5)", self.refresh
        )
        self.provision_button = _toolbar_button(
            page, "Provision…", "provisionButton", "Provision a database instance (Ctrl+N)", self.provision
        )
        self.deprovision_button = _toolbar_button(
            page,
            "Deprovision…",
            "deprovisionButton",
            "Deprovision the database (Delete)",
            self.deprovision_selected,
        )
        bar = QHBoxLayout()
        bar.addWidget(self.lake_filter, 1)
        for b in (self.lake_refresh_button, self.provision_button, self.deprovision_button):
            bar.addWidget(b)
        self.lake_model = LakeDatabaseModel(self)
        self.lake_proxy = RecordFilterProxy(self.lake_model, self)
        self.lake_filter.textChanged.connect(self.lake_proxy.set_filter_text)
        self.lake_table = QTableView(page)
        self.lake_table.setObjectName("lakeTable")
        self.lake_table.setModel(self.lake_proxy)
        self.lake_table.setSortingEnabled(True)
        self.lake_table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.lake_table.setItemDelegate(_RowDelegate(self.lake_table))
        self.lake_table.setWordWrap(False)
        self.lake_table.verticalHeader().setVisible(False)
        self.lake_table.verticalHeader().setDefaultSectionSize(26)
        self.lake_table.setAlternatingRowColors(True)
        self.lake_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.lake_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.lake_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.lake_table.horizontalHeader().setStretchLastSection(True)
        for i, w in enumerate((200, 110, 220, 160)):
            self.lake_table.setColumnWidth(i, w)
        self.lake_table.selectionModel().currentChanged.connect(lambda *_: self._lake_selection_changed())
        self.lake_details = QLabel("Select a database to see its details.", page)
        self.lake_details.setObjectName("lakeDetails")
        self.lake_details.setTextFormat(Qt.TextFormat.RichText)
        self.lake_details.setWordWrap(True)
        self.lake_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.lake_details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        details = QScrollArea(page)
        details.setWidgetResizable(True)
        details.setFrameShape(QFrame.Shape.NoFrame)
        details.setWidget(self.lake_details)
        details.setMinimumHeight(110)
        splitter = QSplitter(Qt.Orientation.Vertical, page)
        splitter.addWidget(self.lake_table)
        splitter.addWidget(details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        lay = QVBoxLayout(page)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.lake_heading)
        lay.addWidget(self.lake_state)
        lay.addLayout(bar)
        lay.addWidget(splitter, 1)
        return page

    def headers(self) -> dict[str, QHeaderView]:
        return {"instances": self.tree.header(), "ailake": self.lake_table.horizontalHeader()}

    # -- View interface -------------------------------------------------------------------------------
    def set_profile(self, profile: Profile | None) -> None:
        self.profile = profile
        if profile is None:
            return
        if profile.kind == "huawei":
            if self.huawei_profile is None or self.huawei_profile.name != profile.name:
                self.tree_model.set_groups([])
                self.notices.clear()
                self.hw_state.clear()
            self.huawei_profile = profile
            if self._picked(profile) or self.lake_profile is None:
                self.sections.setCurrentIndex(HUAWEI_TAB)
            self._refresh_huawei()
        elif profile.kind == "ailake":
            if self.lake_profile is None or self.lake_profile.name != profile.name:
                self.lake_model.set_rows([])
                self.lake_moving.clear()
                self.lake_state.clear()
            self.lake_profile = profile
            if self._picked(profile) or self.huawei_profile is None:
                self.sections.setCurrentIndex(LAKE_TAB)
            self._refresh_lake()
        self._update_buttons()

    def current_profile(self) -> Profile | None:
        return self.lake_profile if self.sections.currentIndex() == LAKE_TAB else self.huawei_profile

    def drop_profile(self, name: str) -> None:
        """A deleted profile's section empties and offers nothing until another one is picked."""
        if self.huawei_profile is not None and self.huawei_profile.name == name:
            self.ctx.tasks.cancel(self._task_prefix() + KEY_HUAWEI)
            self.huawei_profile = None
            self.tree_model.set_groups([])
            self.notices.clear()
            self.hw_state.clear()
            self.hw_heading.setText(HUAWEI_HINT)
            self._show_details()
        if self.lake_profile is not None and self.lake_profile.name == name:
            self.ctx.tasks.cancel(self._task_prefix() + KEY_LAKE)
            self.lake_profile = None
            self.lake_model.set_rows([])
            self.lake_moving.clear()
            self.lake_state.clear()
            self.lake_heading.setText(LAKE_HINT)
            self._lake_selection_changed()
        if self.profile is not None and self.profile.name == name:
            self.profile = self.huawei_profile or self.lake_profile
        self._update_buttons()

    def profile_renamed(self, old: str, profile: Profile) -> None:
        for current in (self.huawei_profile, self.lake_profile):
            if current is not None and current.name == old:
                if old != profile.name:
                    self.drop_profile(old)
                self.set_profile(profile)

    def _picked(self, profile: Profile) -> bool:
        """Whether the person picked this profile in Connections (then its tab comes to the front),
        rather than the window handing every view its startup profiles."""
        connections = getattr(self.window(), "connections", None)
        selected = connections.selected() if connections is not None else None
        return selected is not None and selected.name == profile.name

    def refresh(self) -> None:
        self._refresh_huawei()
        self._refresh_lake()

    def new_item(self) -> None:
        if self.sections.currentIndex() == LAKE_TAB:
            self.provision()
        else:
            self.create_instance()

    def delete_selected(self) -> None:
        if self.sections.currentIndex() == LAKE_TAB:
            self.deprovision_selected()
        else:
            self.delete_instance()

    def focus_filter(self) -> None:
        edit = self.lake_filter if self.sections.currentIndex() == LAKE_TAB else self.hw_filter
        edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        edit.selectAll()

    # -- loading: Huawei ----------------------------------------------------------------------------------
    def _refresh_huawei(self) -> None:
        if self.huawei_profile is None:
            return
        self.background(
            self._load_huawei(self.huawei_profile),
            "loading StarRocks instances",
            line=self.hw_state,
            profile=self.huawei_profile,
            task_key=KEY_HUAWEI,
        )

    async def _huawei(self, profile: Profile) -> HuaweiCloudClient:
        client = await self.ctx.session.huawei(profile)
        return client

    async def _load_huawei(self, profile: Profile) -> None:
        if not self.tree_model.groups():
            self.hw_heading.setText(f"<b>{html.escape(profile.name)}</b>")
        self.status.emit(f"{profile.name}: loading instances…")
        try:
            groups = await svc.load_groups(await self._huawei(profile))
        except errors.ApiError:
            self._maybe_loaded(KEY_HUAWEI)  # the state line under the heading says why
            raise
        if profile is not self.huawei_profile:
            return
        self._show_groups(groups)
        self._maybe_loaded(KEY_HUAWEI)

    def _show_groups(self, groups: list[TaurusGroup]) -> None:
        current = self._current_id()
        self.tree_model.set_groups(groups)
        self.tree.expandAll()
        if current is not None:
            self._select(current)
        elif self.tree_model.rows():
            # Something useful in the details pane from the start: the first StarRocks instance.
            first = min(self.tree_model.rows(), key=lambda r: (r.taurus_name, r.name))
            self._select(first.id)
        self._update_heading()
        self._show_details()
        self._update_buttons()

    def _update_heading(self) -> None:
        profile = self.huawei_profile
        if profile is None:
            return
        groups = self.tree_model.groups()
        rows = self.tree_model.rows()
        moving = sum(1 for r in rows if not r.settled)
        where = profile.region or ""
        counts = f"{plural(len(rows), 'StarRocks instance')} on {plural(len(groups), 'TaurusDB instance')}"
        self.hw_heading.setText(
            f"<b>{html.escape(profile.name)}</b> — {html.escape(where)}: {counts}"
            + (f", {moving} changing" if moving else "")
        )
        self.status.emit(f"{profile.name}: {counts}")

    async def _reload_group(self, profile: Profile, taurus_id: str) -> TaurusGroup | None:
        taurus = self._taurus(taurus_id)
        if taurus is None:
            return None
        group = await svc.load_group(await self._huawei(profile), taurus, profile.region)
        if profile is self.huawei_profile:
            self._apply_group(group)
        return group

    def _apply_group(self, group: TaurusGroup) -> None:
        current = self._current_id()
        self.tree_model.set_group(group)
        parent = self.tree_proxy.mapFromSource(self.tree_model.find(group.id))
        if parent.isValid():
            self.tree.expand(parent)
        if current is not None:
            self._select(current)
        self._update_heading()
        self._show_details()
        self._update_buttons()

    def _taurus(self, taurus_id: str) -> TaurusInstance | None:
        return next((g.taurus for g in self.tree_model.groups() if g.id == taurus_id), None)

    def _maybe_loaded(self, finished: str) -> None:
        """``loaded`` once nothing else of this view is still loading (the other section may be)."""
        other = KEY_LAKE if finished == KEY_HUAWEI else KEY_HUAWEI
        if not self.ctx.tasks.running(self._task_prefix() + other):
            self.loaded.emit()

    # -- selection and details ---------------------------------------------------------------------------
    def _current_id(self) -> str | None:
        node = self.selected_node()
        return node.id if node is not None else None

    def selected_node(self) -> TaurusGroup | StarRocksRow | None:
        index = self.tree.currentIndex()
        if not index.isValid():
            return None
        node = self.tree_model.node(self.tree_proxy.mapToSource(index))
        return node

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
        for node in nodes:
            if node.name == name:
                return self._select(node.id)
        return False

    def _selection_changed(self) -> None:
        self._show_details()
        self._update_buttons()

    def _show_details(self) -> None:
        node = self.selected_node()
        if node is None:
            self.details_title.setText("Select an instance to see its details.")
            self.details.setText("")
            self.nodes.set_rows([])
            self.details_tabs.setTabVisible(1, False)
            self.notice.hide()
            return
        if isinstance(node, TaurusGroup):
            t = node.taurus
            self.details_title.setText(f"TaurusDB instance {t.name}")
            self.details.setText(
                _pairs_html(
                    [
                        ("ID", t.id),
                        ("Status", t.status or ""),
                        ("Engine", f"{t.datastore.type} {t.datastore.version}" if t.datastore else ""),
                        ("Type", t.type or ""),
                        ("Region", t.region or ""),
                        ("Private IPs", ", ".join(t.private_ips)),
                        ("VPC", t.vpc_id or ""),
                        ("Subnet", t.subnet_id or ""),
                        ("StarRocks", node.capacity),
                        ("Created", local_time(node.created)),
                    ]
                )
            )
            self.nodes.set_rows([])
            self.details_tabs.setTabVisible(1, False)
            self.notice.hide()
            return
        d = node.detail
        jobs = ", ".join(node.actions) or "none"
        pairs = [
            ("ID", node.id),
            ("TaurusDB", node.taurus_name),
            ("Status", node.status + (f" ({node.base_status})" if node.status != node.base_status else "")),
            ("Running jobs", jobs),
            ("Engine", f"StarRocks {node.engine_version}"),
            ("HA mode", node.ha_mode),
            ("Frontends", node.fe.summary),
            ("Backends", node.be.summary),
            ("AZ", node.az),
            ("Region", node.region),
            ("FE addresses", (d.data_vip or "") if d else (node.htap.data_vip or "")),
            ("Port", str(node.htap.port or (d.db_port if d else "") or "")),
            ("Time zone", (d.time_zone or "") if d else ""),
            ("Billing", "pay-per-use" if (node.htap.pay_model or "0") == "0" else "yearly/monthly"),
            ("Created", local_time(node.created)),
            ("Updated", local_time(node.updated)),
        ]
        self.details_title.setText(f"StarRocks instance {node.name}")
        self.details.setText(_pairs_html(pairs))
        self.nodes.set_rows(d.nodes if d else [])
        self.details_tabs.setTabVisible(1, bool(d and d.nodes))
        self.details_tabs.setTabText(1, f"Nodes ({len(d.nodes)})" if d else "Nodes")
        # Why the changes are refused now (a job runs), else the last refusal the service gave.
        busy = node.busy_reason
        notice = _sentence(busy) if busy else self.notices.get(node.id)
        self.notice.setText(notice or "")
        self.notice.setVisible(bool(notice))

    def _update_buttons(self) -> None:
        has_hw = self.huawei_profile is not None
        row = self.selected_instance()
        for b in (self.refresh_button, self.create_button):
            b.setEnabled(has_hw)
        busy = row.busy_reason if row is not None else ""
        for b in (self.restart_button, self.resize_button, self.delete_button, self.restart_node_button):
            usable = has_hw and row is not None and not busy
            if b is self.restart_node_button:
                usable = usable and self.selected_cluster_node() is not None
            b.setEnabled(usable)
            # A disabled action says why in its tooltip (Qt shows tooltips of disabled buttons).
            b.setToolTip(_sentence(busy) if busy and row is not None else str(b.property("tip") or ""))
        has_lake = self.lake_profile is not None
        lake_row = self.selected_database()
        self.lake_refresh_button.setEnabled(has_lake)
        self.provision_button.setEnabled(has_lake)
        self.deprovision_button.setEnabled(has_lake and lake_row is not None and lake_row.state == "active")

    def _filter_tree(self, text: str) -> None:
        self.tree_proxy.setFilterFixedString(text)
        self.tree.expandAll()

    # -- changes: Huawei ------------------------------------------------------------------------------------
    def create_instance(self) -> None:
        profile = self.huawei_profile
        if profile is None:
            self.ctx.notify("Pick a Huawei Cloud profile first.")
            return
        groups = self.tree_model.groups()
        if not groups:
            self.ctx.notify("No TaurusDB instance is listed: a StarRocks instance is created on one.")
            return
        node = self.selected_node()
        taurus_id = node.id if isinstance(node, TaurusGroup) else node.taurus_id if node else None
        wizard = CreateInstanceWizard(self.ctx, profile, groups, taurus_id, self.window())
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.created.connect(lambda taurus, result: self._created(profile, taurus, result))
        self.wizard = wizard
        wizard.open()

    def _created(self, profile: Profile, taurus: TaurusInstance, result: CreateStarRocksResult) -> None:
        inst = result.instance
        # Shown at once with the create answer; the reloads that follow the job replace it.
        pending_row = StarRocksRow(
            taurus_id=taurus.id,
            taurus_name=taurus.name,
            htap=HtapInstance.model_validate(
                {
                    "id": inst.id,
                    "name": inst.name,
                    "engine_name": "star-rocks",
                    "engine_version": inst.engine.version if inst.engine else "",
                    "instance_state": {"instance_status": inst.status or "creating"},
                    "ha_mode": inst.ha_mode,
                    "available_zones": [{"code": inst.az_code}] if inst.az_code else [],
                    "create_at": int(time.time() * 1000),
                    "port": inst.port,
                }
            ),
            detail=None,
            region=inst.region or profile.region,
        )
        self.tree_model.upsert_row(pending_row)
        self._select(inst.id)
        self._update_heading()
        self.ctx.notify(f"Creating {inst.name}: follow it in the Activity panel.")
        ids = (taurus.id, inst.id)
        job = _huawei_job(
            profile, result.job_id, f"Create {inst.name}", "create", ids, f"{inst.name} created"
        )
        self._start_follow(self._follow(job), job)

    def _refused_now(self, row: StarRocksRow) -> bool:
        """A change the service would refuse now is not started (a shortcut bypasses the buttons)."""
        if row.busy_reason:
            self.ctx.notify(_sentence(row.busy_reason))
            return True
        return False

    def selected_cluster_node(self) -> StarRocksNode | None:
        index = self.nodes_view.currentIndex()
        record = index.data(Role.RECORD) if index.isValid() else None
        return record if isinstance(record, StarRocksNode) else None

    def restart_selected(self) -> None:
        self._confirm_restart(None)

    def restart_selected_node(self) -> None:
        node = self.selected_cluster_node()
        if node is not None:
            self._confirm_restart(node)

    def _confirm_restart(self, node: StarRocksNode | None) -> None:
        row = self.selected_instance()
        profile = self.huawei_profile
        if row is None or profile is None or self._refused_now(row):
            return
        if node is None:
            subject = row.name
            text = f"Restart every node of {row.name}? Queries and loads running on it are interrupted."
        else:
            role = (node.type or "").upper()
            subject = f"node {node.name} of {row.name}"
            text = (
                f"Restart node {node.name} ({role}) of {row.name}? What runs on this node is "
                "interrupted; the other nodes keep serving."
            )
        box = QMessageBox(
            QMessageBox.Icon.Question,
            f"Restart {node.name if node else row.name}",
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self.window(),
        )
        box.setObjectName("restartConfirm")
        box.button(QMessageBox.StandardButton.Yes).setText("Restart")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def done(button: int) -> None:
            if button == QMessageBox.StandardButton.Yes:
                self.ctx.run(self._restart(profile, row, node), what=f"restarting {subject}")

        box.finished.connect(done)
        self.restart_box = box
        box.open()

    async def _restart(self, profile: Profile, row: StarRocksRow, node: StarRocksNode | None = None) -> None:
        client = await self._huawei(profile)
        try:
            if node is None:
                job_id = await client.restart_starrocks_instance(row.id)
            else:
                job_id = await client.restart_starrocks_node(row.id, node.id)
        except errors.ApiError as e:
            # The service's own reason, e.g. busy because a resize runs: kept next to the instance.
            self.notices[row.id] = _sentence(f"Restart refused: {e.message}") + (
                " " + _sentence(e.hint[:1].upper() + e.hint[1:]) if e.hint else ""
            )
            self._show_details()
            raise
        self.notices.pop(row.id, None)
        what = row.name if node is None else f"node {node.name} of {row.name}"
        action = "restart" if node is None else "restart-node"
        ids = (row.taurus_id, row.id)
        job = _huawei_job(profile, job_id, f"Restart {what}", action, ids, f"{what} restarted")
        await self._follow(job)

    def resize_selected(self) -> None:
        row = self.selected_instance()
        profile = self.huawei_profile
        if row is None or profile is None:
            return
        if self._refused_now(row):
            return
        dialog = ResizeInstanceDialog(self.ctx, profile, row, self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def started(job_id: str, what: str) -> None:
            title = f"Resize {row.name}" + (f" ({what})" if what else "")
            ids = (row.taurus_id, row.id)
            job = _huawei_job(profile, job_id, title, "resize", ids, f"{row.name} resized")
            self._start_follow(self._follow(job), job)

        dialog.started.connect(started)
        self.resize_dialog = dialog
        dialog.open()

    def delete_instance(self) -> None:
        row = self.selected_instance()
        profile = self.huawei_profile
        if profile is None:
            return
        if row is None:
            if isinstance(self.selected_node(), TaurusGroup):
                self.ctx.notify("TaurusDB instances are not deleted from here; select a StarRocks instance.")
            return
        if self._refused_now(row):
            return
        dialog = DeleteInstanceDialog(self.ctx, profile, row, self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def started(job_id: str) -> None:
            ids = (row.taurus_id, row.id)
            job = _huawei_job(profile, job_id, f"Delete {row.name}", "delete", ids, f"{row.name} deleted")
            self._start_follow(self._follow(job), job)

        dialog.started.connect(started)
        self.delete_dialog = dialog
        dialog.open()

    def resume(self, job: TrackedJob) -> bool:
        if job.kind == HUAWEI_JOB and job.action in ("create", "restart", "restart-node", "resize", "delete"):
            self._start_follow(self._follow(job, resumed=True), job)
            return True
        if job.kind == AILAKE_OPERATION and job.action in ("provision", "deprovision"):
            self._start_follow(self._follow_lake(job, resumed=True), job)
            return True
        return False

    def _start_follow(self, coro: Any, job: TrackedJob) -> None:
        # Following is background work: its outcome is in its Activity entry, never a dialog.
        self.ctx.run_background(coro, f"follow/{job.id}", f"following {job.title}", source=job.title)

    def _job_profile(self, job: TrackedJob) -> Profile:
        profile = self.ctx.session.profile(job.profile)
        if profile is None:
            raise errors.NotFound(f"profile {job.profile!r} no longer exists", service=job.kind)
        return profile

    async def _follow(self, job: TrackedJob, resumed: bool = False) -> None:
        """One job in the Activity panel, the row reloaded as it moves and until it settles."""
        taurus_id, instance_id = job.context["taurus_id"], job.context["instance_id"]
        gone = job.action == "delete"

        def reload() -> None:
            shown = self.huawei_profile
            if shown is not None and shown.name == job.profile:
                key = f"instances/group/{taurus_id}"
                self.ctx.run_background(
                    self._reload_group(shown, taurus_id), key, "reloading instances", source=self.title
                )

        profile = self._job_profile(job)
        client = await self._huawei(profile)
        followed = await self.ctx.follow(
            job,
            follower.huawei_job(client, job.remote_id),
            kind="huawei-job",
            resumed=resumed,
            on_progress=lambda _seen: reload(),
            cancelled_note="stopped following; the job goes on in Huawei Cloud",
        )
        entry = followed.entry
        if followed.state is None:
            reload()
            return
        entry.update(None, "job completed; waiting for the instance to settle")
        taurus = self._taurus(taurus_id)
        row = None
        if taurus is not None:

            async def load() -> TaurusGroup:
                group = await svc.load_group(client, taurus, profile.region)
                if profile is self.huawei_profile:
                    self._apply_group(group)
                return group

            try:
                _group, row = await svc.settle(load, instance_id, gone=gone)
            except errors.ApiError as e:
                # The job is done; only the look at the instance afterwards failed.
                entry.succeed(f"{job.done} (the instance could not be read afterwards: {e.message})")
                return
        final = "" if gone else f" ({row.status})" if row is not None else ""
        entry.succeed(job.done + final, raw=followed.state.model_dump(mode="json"))

    # -- loading and changes: AI Lake ---------------------------------------------------------------------
    def _refresh_lake(self) -> None:
        if self.lake_profile is None:
            return
        self.background(
            self._load_lake(self.lake_profile),
            "loading AI Lake databases",
            line=self.lake_state,
            profile=self.lake_profile,
            task_key=KEY_LAKE,
        )

    async def _lake(self, profile: Profile) -> AILakeClient:
        client = await self.ctx.session.ailake(profile)
        return client

    async def _load_lake(self, profile: Profile) -> None:
        if not self.lake_model.rows:
            self.lake_heading.setText(f"<b>{html.escape(profile.name)}</b>")
        try:
            snapshot = await svc.load_lake(await self._lake(profile), self.lake_moving)
        except errors.ApiError:
            self._maybe_loaded(KEY_LAKE)  # the state line under the heading says why
            raise
        if profile is not self.lake_profile:
            return
        current = self.selected_database()
        self.lake_model.set_rows(snapshot.rows)
        if current is not None:
            self.select_database(current.name)
        n = len(snapshot.rows)
        self.lake_heading.setText(
            f"<b>{html.escape(profile.name)}</b> — {html.escape(profile.url)}: "
            f"{plural(n, 'database instance')}, {plural(len(snapshot.storages), 'object storage')}"
        )
        self.storages = snapshot.storages
        self.status.emit(f"{profile.name}: {plural(n, 'database instance')}")
        self._lake_selection_changed()
        self._maybe_loaded(KEY_LAKE)

    def selected_database(self) -> LakeDatabaseRow | None:
        index = self.lake_table.currentIndex()
        record = index.data(Role.RECORD) if index.isValid() else None
        return record if isinstance(record, LakeDatabaseRow) else None

    def select_database(self, name: str) -> bool:
        row = self.lake_model.row_of(name)
        if row is None:
            return False
        index = self.lake_proxy.mapFromSource(self.lake_model.index(row, 0))
        self.lake_table.setCurrentIndex(index)
        return index.isValid()

    def _lake_selection_changed(self) -> None:
        row = self.selected_database()
        self._update_buttons()
        if row is None:
            self.lake_details.setText("Select a database to see its details.")
            return
        storages = {s.name: s for s in self.storages}
        lines = []
        for name in row.storages:
            s = storages.get(name)
            config = ", ".join(f"{k}={v}" for k, v in s.storage_config.items()) if s else ""
            lines.append(f"{name} ({s.storage_type}{', ' + config if config else ''})" if s else name)
        self.lake_details.setText(
            f"<b>{html.escape(row.name)}</b>"
            + _pairs_html(
                [
                    ("ID", row.id or "not created yet"),
                    ("State", row.state),
                    ("Reads", "; ".join(lines) or "no object storage"),
                    ("Data sources", ", ".join(row.data_sources)),
                ],
                columns=1,
            )
        )

    def provision(self) -> None:
        profile = self.lake_profile
        if profile is None:
            self.ctx.notify("Pick an AI Lake profile first.")
            return
        dialog = ProvisionDatabaseDialog(
            self.ctx, profile, [r.name for r in self.lake_model.rows], self.window()
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def started(op: str, name: str) -> None:
            job = _lake_job(profile, op, f"Provision database {name}", "provision", name)
            self._start_follow(self._follow_lake(job), job)

        dialog.started.connect(started)
        self.provision_dialog = dialog
        dialog.open()

    def deprovision_selected(self) -> None:
        profile = self.lake_profile
        row = self.selected_database()
        if profile is None or row is None or row.state != "active":
            return
        dialog = DeprovisionDatabaseDialog(self.ctx, profile, row, self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def started(op: str, name: str, cascade: bool) -> None:
            title = f"Deprovision database {name}" + (" (cascade)" if cascade else "")
            job = _lake_job(profile, op, title, "deprovision", name)
            self._start_follow(self._follow_lake(job), job)

        dialog.started.connect(started)
        self.deprovision_dialog = dialog
        dialog.open()

    async def _follow_lake(self, job: TrackedJob, resumed: bool = False) -> None:
        """One AI Lake operation in the Activity panel, the database's row showing it meanwhile."""
        name = job.context["name"]
        state = "provisioning" if job.action == "provision" else "deprovisioning"
        self.lake_moving[name] = state
        self._refresh_lake()
        profile = self._job_profile(job)
        client = await self._lake(profile)
        followed = await self.ctx.follow(
            job,
            follower.ailake_operation(client, job.remote_id),
            kind="ailake-operation",
            resumed=resumed,
            cancelled_note="stopped following; the operation goes on in AI Lake",
        )
        if followed.state is None:
            if followed.failure is not None and ends_the_job(followed.failure):
                self._lake_settled(job.profile, name, state, succeeded=False)
            else:  # how it ends is not known here: the list shows what the service says
                self.lake_moving.pop(name, None)
                self._refresh_lake()
            return
        self._lake_settled(job.profile, name, state, succeeded=True)
        followed.entry.succeed(job.done, raw=followed.state.model_dump(mode="json", by_alias=True))

    def _lake_settled(self, profile: str, name: str, state: str, succeeded: bool) -> None:
        """The operation ended: the row shows the outcome at once, then the list is read again."""
        if self.lake_moving.get(name) == state:
            del self.lake_moving[name]
        if self.lake_profile is None or self.lake_profile.name != profile:
            return
        at = self.lake_model.row_of(name)
        if at is not None:
            row = self.lake_model.record(at)
            if (row.state, succeeded) in (("provisioning", False), ("deprovisioning", True)):
                self.lake_model.remove(name)
            elif row.state == "deprovisioning":
                self.lake_model.upsert(dataclasses.replace(row, state="active"))
            self._lake_selection_changed()
        self._refresh_lake()
