"""The main window: connections sidebar, the views in the centre, the Activity panel, a status bar
with the connection state, shortcuts, and its state restored on start."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from .. import __version__
from ..api import errors
from ..api.transport import redact
from ..services.profiles import KIND_TITLES, KINDS, Profile
from ..services.words import plural
from .activity import ActivityEntry, ActivityPanel
from .context import UiContext
from .dialogs.profile import edit_profile
from .notifications import NotificationsPanel
from .style import set_tone
from .views.base import View
from .welcome import WelcomePane
from .wheel import install_wheel_guard

log = logging.getLogger("starrocks_console.ui")
PROFILE_ROLE = Qt.ItemDataRole.UserRole + 1


class ConnectionsPanel(QWidget):
    """Profiles grouped by kind; picking one points the views at it."""

    profile_selected = Signal(object)
    profile_deleted = Signal(str)
    profile_saved = Signal(str, object)  # the name it had ("" for a new one), the profile as saved

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = QStandardItemModel(self)
        self.tree = QTreeView(self)
        self.tree.setObjectName("connectionsTree")
        self.tree.setModel(self.model)
        self.tree.setHeaderHidden(True)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)
        self.tree.doubleClicked.connect(lambda _i: self.edit_selected())
        add = QToolButton(self)
        add.setObjectName("addProfile")
        add.setText("Add")
        add.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(add)
        for kind in KINDS:
            action = menu.addAction(f"{KIND_TITLES[kind]}…")
            action.triggered.connect(lambda _checked=False, k=kind: self.add(k))
        add.setMenu(menu)
        self.edit_button = QPushButton("Edit", self)
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.clicked.connect(self.delete_selected)
        self.test_button = QPushButton("Test", self)
        self.test_button.clicked.connect(self.test_selected)
        row = QHBoxLayout()
        for w in (add, self.edit_button, self.delete_button, self.test_button):
            row.addWidget(w)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.tree)
        lay.addLayout(row)
        self.reload()

    def reload(self, select: str | None = None) -> None:
        chosen = self.selected()
        current = select or (chosen.name if chosen else None)
        self.model.clear()
        for kind in KINDS:
            group = QStandardItem(KIND_TITLES[kind])
            group.setSelectable(False)
            font = group.font()
            font.setBold(True)
            group.setFont(font)
            for p in self.ctx.session.all_profiles():
                if p.kind != kind:
                    continue
                item = QStandardItem(p.name + ("  (sandbox)" if p.sandbox else ""))
                item.setData(p.name, PROFILE_ROLE)
                item.setToolTip(p.url or p.region)
                group.appendRow(item)
            self.model.appendRow(group)
        self.tree.expandAll()
        if current:
            self.select(current)
        self._update_buttons()

    def select(self, name: str) -> bool:
        for r in range(self.model.rowCount()):
            group = self.model.item(r)
            for c in range(group.rowCount()):
                child = group.child(c)
                if child.data(PROFILE_ROLE) == name:
                    self.tree.setCurrentIndex(child.index())
                    return True
        return False

    def selected(self) -> Profile | None:
        idx = self.tree.currentIndex()
        name = idx.data(PROFILE_ROLE) if idx.isValid() else None
        return self.ctx.session.profile(name) if name else None

    def _current_changed(self, *_: Any) -> None:
        self._update_buttons()
        profile = self.selected()
        if profile is not None:
            self.profile_selected.emit(profile)

    def _update_buttons(self) -> None:
        p = self.selected()
        for b in (self.edit_button, self.delete_button, self.test_button):
            b.setEnabled(p is not None)
        self.edit_button.setEnabled(p is not None and not p.sandbox)
        self.delete_button.setEnabled(p is not None and not p.sandbox)

    # -- actions ---------------------------------------------------------------------------------
    def add(self, kind: str) -> None:
        edit_profile(self.ctx, kind, None, self.window(), on_saved=lambda p: self._saved("", p))

    def edit_selected(self) -> None:
        p = self.selected()
        if p is not None and not p.sandbox:
            edit_profile(self.ctx, p.kind, p, self.window(), on_saved=lambda np: self._saved(p.name, np))

    def _saved(self, old: str, profile: Profile) -> None:
        self.reload(select=profile.name)
        self.profile_saved.emit(old, profile)

    def delete_selected(self) -> None:
        p = self.selected()
        if p is None or p.sandbox:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete profile",
            f"Delete the profile {p.name!r} and its stored secrets?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self.window(),
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def done(button: int) -> None:
            if button == QMessageBox.StandardButton.Yes:
                self.ctx.run(self._delete(p.name), what="deleting a profile")

        box.finished.connect(done)
        box.open()

    async def _delete(self, name: str) -> None:
        await self.ctx.session.delete_profile(name)
        self.reload()
        self.profile_deleted.emit(name)
        self.ctx.notify(f"Deleted profile {name}.")

    def test_selected(self) -> None:
        p = self.selected()
        if p is not None:
            self.ctx.run(self._test(p), key=f"test-{p.name}", what=f"testing {p.name}")

    async def _test(self, p: Profile) -> None:
        from ..services.connection import test_profile

        self.ctx.notify(f"Testing {p.name}…")
        result = await test_profile(self.ctx.session, p, {}, p)
        self.ctx.notify(f"{p.name}: {result}")


class MainWindow(QMainWindow):
    closed = Signal()

    def __init__(
        self, ctx: UiContext, views: Sequence[type[View]], settings: QSettings | None = None
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.settings = settings or QSettings()
        self.setObjectName("mainWindow")
        app = QApplication.instance()
        if isinstance(app, QApplication):
            install_wheel_guard(app)
        self.setWindowTitle(f"StarRocks Console {__version__}")
        ctx.show_error = self.show_error
        ctx.notify = self.notify
        ctx.tasks.on_error = self.show_error
        # Centre: the views.
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("views")
        self.tabs.setDocumentMode(True)
        self.views: list[View] = []
        for cls in views:
            view = cls(ctx, self.tabs)
            view.status.connect(self._view_status)
            view.profile_shown.connect(self._show_connection)
            self.views.append(view)
            self.tabs.addTab(view, view.title)
        # With no profile at all, a first-run pane stands where the views are.
        self.welcome = WelcomePane(self.views, self)
        self.welcome.sandbox_requested.connect(self.start_sandbox)
        self.welcome.add_requested.connect(self._add_profile)
        self.sandbox_runner: Any = None
        self.centre = QStackedWidget(self)
        self.centre.setObjectName("centre")
        self.centre.addWidget(self.welcome)
        self.centre.addWidget(self.tabs)
        self.setCentralWidget(self.centre)
        # Left: connections.
        self.connections = ConnectionsPanel(ctx, self)
        self.connections.profile_selected.connect(self.use_profile)
        self.connections.profile_deleted.connect(self._profile_deleted)
        self.connections.profile_saved.connect(self._profile_saved)
        self._update_centre()
        left = QDockWidget("Connections", self)
        left.setObjectName("connectionsDock")
        left.setWidget(self.connections)
        # Both docks can be closed (View menu, Ctrl+Shift+C / Ctrl+Shift+A) to give a small screen to
        # the views.
        left.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, left)
        # Bottom: the Activity panel.
        self.activity_panel = ActivityPanel(ctx.activity, self)
        self.activity_panel.details_requested.connect(self.show_activity_details)
        self.notifications_panel = NotificationsPanel(ctx.notifications, self)
        self.bottom_tabs = QTabWidget(self)
        self.bottom_tabs.setObjectName("bottomTabs")
        self.bottom_tabs.setDocumentMode(True)
        self.bottom_tabs.addTab(self.activity_panel, "Jobs")
        self.bottom_tabs.addTab(self.notifications_panel, "Notifications")
        bottom = QDockWidget("Activity", self)
        bottom.setObjectName("activityDock")
        bottom.setWidget(self.bottom_tabs)
        bottom.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, bottom)
        self.activity_dock = bottom
        self.connections_dock = left
        ctx.activity.entry_started.connect(self._job_started)
        # Status bar.
        self.connection_label = QLabel("No connection selected", self)
        self.connection_label.setObjectName("connectionState")
        self.notices_button = QToolButton(self)
        self.notices_button.setObjectName("noticesButton")
        self.notices_button.setAutoRaise(True)
        self.notices_button.setToolTip("Background work that keeps failing: open the list")
        self.notices_button.clicked.connect(self.show_notifications)
        self.notices_button.hide()
        self.statusBar().addPermanentWidget(self.notices_button)
        self.statusBar().addPermanentWidget(self.connection_label)
        ctx.notifications.changed.connect(self._notices_changed)
        self.tabs.currentChanged.connect(lambda _i: self._show_connection())
        self._actions(left, bottom)
        for i, problem in enumerate(ctx.session.profiles.problems):
            ctx.notifications.tell(("profiles", i), "Connection profiles", "reading the profiles", problem)
        if ctx.session.profiles.problems:
            self.notify(ctx.session.profiles.problems[0])
        self.resize(1280, 800)
        self._docks = (left, bottom)
        self._fresh_layout = True
        self._restore()

    # -- menus and shortcuts ------------------------------------------------------------------------
    def _actions(self, left: QDockWidget, bottom: QDockWidget) -> None:
        def act(
            menu: QMenu,
            text: str,
            slot: Any,
            shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        ) -> QAction:
            a = QAction(text, self)
            if shortcut is not None:
                a.setShortcut(QKeySequence(shortcut))
            a.triggered.connect(slot)
            menu.addAction(a)
            self.addAction(a)
            return a

        file = self.menuBar().addMenu("&File")
        for kind in KINDS:
            act(file, f"New {KIND_TITLES[kind]} profile…", lambda _c=False, k=kind: self.connections.add(k))
        file.addSeparator()
        act(file, "Quit", self.close, QKeySequence.StandardKey.Quit)
        edit = self.menuBar().addMenu("&Edit")
        self.refresh_action = act(
            edit, "Refresh", lambda: self.current_view().refresh(), QKeySequence.StandardKey.Refresh
        )
        self.new_action = act(
            edit, "New…", lambda: self.current_view().new_item(), QKeySequence.StandardKey.New
        )
        self.delete_action = act(
            edit, "Delete…", lambda: self.current_view().delete_selected(), QKeySequence.StandardKey.Delete
        )
        self.find_action = act(
            edit, "Find", lambda: self.current_view().focus_filter(), QKeySequence.StandardKey.Find
        )
        view_menu = self.menuBar().addMenu("&View")
        for i, v in enumerate(self.views):
            act(view_menu, v.title, lambda _c=False, i=i: self.tabs.setCurrentIndex(i), f"Ctrl+{i + 1}")
        view_menu.addSeparator()
        for dock, keys in ((left, "Ctrl+Shift+C"), (bottom, "Ctrl+Shift+A")):
            toggle = dock.toggleViewAction()
            toggle.setShortcut(QKeySequence(keys))
            view_menu.addAction(toggle)
            self.addAction(toggle)

    def current_view(self) -> View:
        widget = self.tabs.currentWidget()
        assert isinstance(widget, View)
        return widget

    def view(self, cls: type[View]) -> View:
        return next(v for v in self.views if isinstance(v, cls))

    # -- profiles ---------------------------------------------------------------------------------
    def use_profile(self, profile: Profile) -> None:
        """Point every view that works with this kind of profile at it."""
        wanted = [v for v in self.views if profile.kind in v.kinds]
        for v in wanted:
            v.set_profile(profile)
        if wanted and self.current_view() not in wanted:
            self.tabs.setCurrentWidget(wanted[0])
        self.settings.setValue(f"profile/{profile.kind}", profile.name)
        self._show_connection()

    def _show_connection(self) -> None:
        """The status bar names the profile of the view on screen (not the sidebar's selection)."""
        if not self.views:
            return
        view = self.current_view()
        profile = view.current_profile()
        if profile is None:
            wanted = " or ".join(KIND_TITLES[k] for k in view.kinds)
            self.connection_label.setText(f"{view.title}: no {wanted} profile picked")
            return
        where = profile.url or profile.region
        self.connection_label.setText(f"{view.title}: {profile.name} ({KIND_TITLES[profile.kind]}) — {where}")

    def _add_profile(self, kind: str) -> None:
        self.connections.add(kind)

    def _update_centre(self) -> None:
        """The views when there is any profile, else the first-run pane."""
        has_any = bool(self.ctx.session.all_profiles())
        self.centre.setCurrentWidget(self.tabs if has_any else self.welcome)

    def start_sandbox(self) -> None:
        """Start the local sandbox for this session and point the views at it (first-run pane)."""
        if self.sandbox_runner is not None:
            return
        self.welcome.starting()
        self.ctx.run(self._start_sandbox(), what="starting the sandbox")

    async def _start_sandbox(self) -> None:
        from ..services.sandbox_runner import SandboxRunner
        from ..services.session import sandbox_profiles

        runner = SandboxRunner()
        try:
            info = await runner.start()
        except Exception as e:  # what went wrong is said on the pane, where the button was pressed
            await runner.stop()
            self.welcome.failed(str(e) or type(e).__name__)
            return
        self.sandbox_runner = runner
        for profile, secrets in sandbox_profiles(info):
            self.ctx.session.add_ephemeral(profile, secrets)
        self.connections.reload()
        self._update_centre()
        self.select_startup_profiles()
        self.connections.select("Sandbox StarRocks")
        self.notify("The local sandbox is running; it stops when the console quits.")

    def _profile_deleted(self, name: str) -> None:
        for v in self.views:
            v.drop_profile(name)
        for kind in KINDS:
            if self.settings.value(f"profile/{kind}") == name:
                self.settings.remove(f"profile/{kind}")
        self._show_connection()
        self._update_centre()

    def _profile_saved(self, old: str, profile: Profile) -> None:
        if old:
            for v in self.views:
                v.profile_renamed(old, profile)
            if old != profile.name and self.settings.value(f"profile/{profile.kind}") == old:
                self.settings.setValue(f"profile/{profile.kind}", profile.name)
        self._show_connection()
        self._update_centre()
        if not old:
            self.use_profile(profile)  # a new profile is put to use at once

    def select_startup_profiles(self) -> None:
        """Use the profiles selected last time (or the first of each kind)."""
        for kind in KINDS:
            name = self.settings.value(f"profile/{kind}")
            profile = self.ctx.session.profile(str(name)) if name else None
            if profile is None:
                profile = next((p for p in self.ctx.session.all_profiles() if p.kind == kind), None)
            if profile is not None:
                for v in self.views:
                    if kind in v.kinds:
                        v.set_profile(profile)
        current = self.settings.value("profile/current")
        if current and self.connections.select(str(current)):
            return

    def resume_jobs(self) -> None:
        """Follow on the cloud jobs an earlier console was following when it stopped."""
        self.ctx.run(self._resume_jobs(), what="following the jobs left running")

    async def _resume_jobs(self) -> None:
        jobs = await self.ctx.session.unfinished_jobs()
        for job in jobs:
            if not any(v.resume(job) for v in self.views):
                log.warning("no view follows %s jobs (%s); left for a later start", job.kind, job.action)
        if jobs:
            self.notify(f"Following {plural(len(jobs), 'job')} left running by the last session")

    def _job_started(self, _entry: ActivityEntry) -> None:
        # A job the user just started is brought into sight, even when the panel was closed.
        if self.activity_dock.isHidden():
            self.activity_dock.show()

    def show_notifications(self) -> None:
        self.activity_dock.show()
        self.bottom_tabs.setCurrentWidget(self.notifications_panel)

    def _notices_changed(self) -> None:
        failing = len(self.ctx.notifications.active())
        total = self.ctx.notifications.rowCount()
        self.bottom_tabs.setTabText(1, f"Notifications ({failing} failing)" if failing else "Notifications")
        self.notices_button.setVisible(failing > 0)
        self.notices_button.setText(f"⚠ {failing} failing in the background")
        set_tone(self.notices_button, "error" if failing else None)
        if total == 0:
            self.bottom_tabs.setTabText(1, "Notifications")

    # -- messages -------------------------------------------------------------------------------------
    def notify(self, text: str) -> None:
        self.statusBar().showMessage(text, 10000)

    def _view_status(self, text: str) -> None:
        sender = self.sender()
        if sender is self.tabs.currentWidget():
            self.statusBar().showMessage(text, 10000)

    def show_error(self, exc: BaseException, what: str = "") -> None:
        """One presenter for every failure: a status bar line and a details dialog (redacted)."""
        if isinstance(exc, errors.ApiError):
            headline = exc.message
            detail_lines = [str(exc)]
            if exc.request_id:
                detail_lines.append(f"request id: {exc.request_id}")
            if exc.raw is not None:
                detail_lines.append(
                    json.dumps(redact(exc.raw), indent=2, default=str, ensure_ascii=False)[:4000]
                )
        else:
            log.error("unexpected error while %s", what or "working", exc_info=exc)
            headline = f"{type(exc).__name__}: {exc}"
            detail_lines = [headline]
        prefix = f"{what[:1].upper()}{what[1:]} failed: " if what else ""
        self.statusBar().showMessage(prefix + headline, 15000)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "StarRocks Console",
            prefix + headline,
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setObjectName("errorDialog")
        box.setDetailedText("\n\n".join(detail_lines))
        if isinstance(exc, errors.ApiError) and exc.hint:
            box.setInformativeText(exc.hint[:1].upper() + exc.hint[1:] + ".")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def show_activity_details(self, entry: ActivityEntry) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Information,
            entry.title,
            f"{entry.state}: {entry.result or entry.detail}",
            QMessageBox.StandardButton.Ok,
            self,
        )
        if entry.raw is not None:
            box.setDetailedText(json.dumps(redact(entry.raw), indent=2, default=str, ensure_ascii=False))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # -- state ------------------------------------------------------------------------------------------
    def _restore(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray):
            self._fresh_layout = not self.restoreState(state)
        index = self.settings.value("window/view", 0)
        try:
            self.tabs.setCurrentIndex(int(str(index)))
        except (TypeError, ValueError):
            pass
        for v in self.views:
            raw = self.settings.value(f"views/{type(v).__name__}")
            if isinstance(raw, str):
                try:
                    v.restore_state(json.loads(raw))
                except (json.JSONDecodeError, ValueError):
                    pass

    def save_state(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/view", self.tabs.currentIndex())
        for v in self.views:
            self.settings.setValue(f"views/{type(v).__name__}", json.dumps(v.save_state()))
        current = self.connections.selected()
        if current is not None:
            self.settings.setValue("profile/current", current.name)
        self.settings.sync()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._fresh_layout:
            # First start: the views get the room; the Activity panel is a strip the user can pull up.
            # Dock sizes only take once the window is laid out, hence after the first show.
            self._fresh_layout = False
            left, bottom = self._docks
            self.resizeDocks([bottom], [150], Qt.Orientation.Vertical)
            self.resizeDocks([left], [250], Qt.Orientation.Horizontal)

    def closeEvent(self, event: QCloseEvent) -> None:
        running = self.ctx.activity.running()
        if running and not getattr(self, "_confirmed_close", False):
            event.ignore()
            box = QMessageBox(
                QMessageBox.Icon.Question,
                "Quit",
                self._quit_text(),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                self,
            )
            box.setObjectName("quitConfirm")
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            # The question follows the jobs while it is open: one that ends is no longer counted.
            def follow(_entry: object) -> None:
                box.setText(self._quit_text())

            self.ctx.activity.entry_changed.connect(follow)
            box.finished.connect(lambda _r: self.ctx.activity.entry_changed.disconnect(follow))

            def done(button: int) -> None:
                if button == QMessageBox.StandardButton.Yes:
                    self._confirmed_close = True
                    QTimer.singleShot(0, self.close)

            box.finished.connect(done)
            box.open()
            return
        self.save_state()
        super().closeEvent(event)
        self.closed.emit()

    def _quit_text(self) -> str:
        running = len(self.ctx.activity.running())
        if not running:
            return "Every job has ended. Quit?"
        return (
            f"{plural(running, 'job')} still running. Quit anyway? Loads can be finished later from the "
            "journal; cloud jobs carry on in the cloud and are followed again when the console next starts."
        )

    async def aclose(self) -> None:
        for v in self.views:
            await v.aclose()
        await self.ctx.tasks.cancel_all()
        await self.ctx.session.aclose()
        if self.sandbox_runner is not None:
            await self.sandbox_runner.stop()
            self.sandbox_runner = None
