"""The main window: connections sidebar, the views in the centre, the Activity panel, a status bar
with the connection state, shortcuts, and its state restored on start."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QTabWidget,
    QToolButton,
)

from .. import __version__
from ..services.profiles import KIND_TITLES, KINDS, Profile
from ..services.words import plural
from .activity import ActivityEntry, ActivityPanel
from .connections import ConnectionsPanel
from .context import UiContext
from .dialogs.about import show_about
from .notifications import NotificationsPanel
from .presenter import ask_to_quit, show_entry, show_error
from .status import show_status
from .style import set_tone
from .views.base import View
from .welcome import WelcomePane
from .wheel import install_wheel_guard
from .window_monitoring import WindowMonitoring

log = logging.getLogger("starrocks_console.ui")


class MainWindow(WindowMonitoring, QMainWindow):
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
        self.monitoring = self._monitoring()
        self.wall: Any = None
        self._build_centre(views)
        self._build_docks()
        self._build_status_bar()
        self._actions(self.connections_dock, self.activity_dock)
        self._tell_problems()
        self.resize(1280, 800)
        self._docks = (self.connections_dock, self.activity_dock)
        self._fresh_layout = True
        self._restore()

    # -- building -----------------------------------------------------------------------------------
    def _build_centre(self, views: Sequence[type[View]]) -> None:
        """The views' tabs, and the first-run pane that stands there while there is no profile."""
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("views")
        self.tabs.setDocumentMode(True)
        self.views: list[View] = []
        for cls in views:
            view = cls(self.ctx, self.tabs)
            view.status.connect(self._view_status)
            view.profile_shown.connect(self._show_connection)
            for name, slot in (("go_to", self.go_to), ("wall_requested", self.open_wall)):
                signal = getattr(view, name, None)
                if signal is not None:
                    signal.connect(slot)
            self.views.append(view)
            self.tabs.addTab(view, view.title)
        self.welcome = WelcomePane(self.views, self)
        self.welcome.sandbox_requested.connect(self.start_sandbox)
        self.welcome.add_requested.connect(self._add_profile)
        self.sandbox_runner: Any = None
        self.centre = QStackedWidget(self)
        self.centre.setObjectName("centre")
        self.centre.addWidget(self.welcome)
        self.centre.addWidget(self.tabs)
        self.setCentralWidget(self.centre)

    def _build_docks(self) -> None:
        """Connections on the left, Activity (jobs and notifications) at the bottom; both can be
        closed (View menu, Ctrl+Shift+C / Ctrl+Shift+A) to give a small screen to the views."""
        feature = QDockWidget.DockWidgetFeature
        closable = feature.DockWidgetMovable | feature.DockWidgetClosable
        self.connections = ConnectionsPanel(self.ctx, self)
        self.connections.profile_selected.connect(self.use_profile)
        self.connections.profile_deleted.connect(self._profile_deleted)
        self.connections.profile_saved.connect(self._profile_saved)
        self.connections.profiles_changed.connect(self._update_centre)
        self.connections.profiles_changed.connect(self._follow_profiles)
        self._update_centre()
        left = QDockWidget("Connections", self)
        left.setObjectName("connectionsDock")
        left.setWidget(self.connections)
        left.setFeatures(closable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, left)
        self.activity_panel = ActivityPanel(self.ctx.activity, self)
        self.activity_panel.details_requested.connect(self.show_activity_details)
        self.notifications_panel = NotificationsPanel(self.ctx.notifications, self)
        self.bottom_tabs = QTabWidget(self)
        self.bottom_tabs.setObjectName("bottomTabs")
        self.bottom_tabs.setDocumentMode(True)
        self.bottom_tabs.addTab(self.activity_panel, "Jobs")
        self.bottom_tabs.addTab(self.notifications_panel, "Notifications")
        bottom = QDockWidget("Activity", self)
        bottom.setObjectName("activityDock")
        bottom.setWidget(self.bottom_tabs)
        bottom.setFeatures(closable)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, bottom)
        self.activity_dock, self.connections_dock = bottom, left
        self.ctx.activity.entry_started.connect(self._job_started)

    def _build_status_bar(self) -> None:
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
        self.ctx.notifications.changed.connect(self._notices_changed)
        self.tabs.currentChanged.connect(lambda _i: self._show_connection())

    def _tell_problems(self) -> None:
        """What was found damaged at start (the profiles file) is told, not raised."""
        problems = self.ctx.session.profiles.problems
        for i, problem in enumerate(problems):
            self.ctx.notifications.tell(
                ("profiles", i), "Connection profiles", "reading the profiles", problem
            )
        if problems:
            self.notify(problems[0])

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
        act(self.menuBar().addMenu("&Help"), "About StarRocks Console…", lambda: show_about(self))

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
        self.ctx.tasks.start(
            self.monitoring.forget(name),
            key=f"monitoring/forget/{name}",
            what="forgetting a cluster's history",
            on_error=self._monitoring_failed,
        )
        for v in self.views:
            v.drop_profile(name)
        for kind in KINDS:
            if self.settings.value(f"profile/{kind}") == name:
                self.settings.remove(f"profile/{kind}")
        self._show_connection()
        self._update_centre()

    def _profile_saved(self, old: str, profile: Profile) -> None:
        if old and old != profile.name and profile.kind == "starrocks":
            self.ctx.tasks.start(
                self.monitoring.renamed(old, profile.name),
                key="monitoring/follow",
                what="following a renamed profile",
                on_error=self._monitoring_failed,
            )
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
        show_status(self.statusBar(), text, 10000)

    def _view_status(self, text: str) -> None:
        sender = self.sender()
        if sender is self.tabs.currentWidget():
            show_status(self.statusBar(), text, 10000)

    def show_error(self, exc: BaseException, what: str = "") -> None:
        """One presenter for every failure of what the user pressed (status bar + details)."""
        show_error(self, exc, what)

    def show_activity_details(self, entry: ActivityEntry) -> None:
        show_entry(self, entry)

    # -- state ------------------------------------------------------------------------------------------
    def _restore(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray):
            self._fresh_layout = not self.restoreState(state)
        index = self.settings.value("window/view", self._first_view())
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
        self.settings.setValue("monitoring/interval", self.monitoring.interval)
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
        if not self.monitoring.started:
            # Once the window is painted (the first readings do not hold up its first frame).
            QTimer.singleShot(0, self._start_monitoring)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.ctx.activity.running() and not getattr(self, "_confirmed_close", False):
            event.ignore()

            def quit_anyway() -> None:
                self._confirmed_close = True
                QTimer.singleShot(0, self.close)

            ask_to_quit(self, self.ctx.activity, quit_anyway)
            return
        self.save_state()
        super().closeEvent(event)
        self.closed.emit()

    async def aclose(self) -> None:
        if getattr(self, "_aclosed", False):
            return  # closed once already (a test, or a quit during cleanup): nothing left to stop
        self._aclosed = True
        if self.wall is not None:
            self.wall.close()
        for v in self.views:
            await v.aclose()
        await self.ctx.tasks.cancel_all()
        await self.monitoring.aclose()  # its history is saved
        await self.ctx.session.aclose()
        if self.sandbox_runner is not None:
            await self.sandbox_runner.stop()
            self.sandbox_runner = None
