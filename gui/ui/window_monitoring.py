"""The main window's part in the monitoring: one collection of every StarRocks profile for the
session, kept in step with the profiles; the views' requests to show another view or the wall; the
view a fresh window opens on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QTabWidget, QWidget

from .context import UiContext
from .monitoring import MonitoringFeed
from .views.base import View


class WindowMonitoring:
    """Mixed into the main window (which gives the attributes below)."""

    ctx: UiContext
    settings: QSettings
    views: list[View]
    tabs: QTabWidget
    monitoring: MonitoringFeed
    wall: Any

    notify: Callable[[str], None]

    def _monitoring(self) -> MonitoringFeed:
        """One collection of every StarRocks profile for the session (started once the window shows)."""
        if self.ctx.monitoring is None:
            from ..services.monitoring import Monitoring

            try:
                interval = float(str(self.settings.value("monitoring/interval", 5.0)))
            except ValueError:
                interval = 5.0
            monitoring = Monitoring(self.ctx.session, interval=max(1.0, interval))
            self.ctx.monitoring = MonitoringFeed(
                monitoring, self.ctx.notifications, self if isinstance(self, QWidget) else None
            )
        self.ctx.monitoring.fallback = self.notify
        return self.ctx.monitoring

    def go_to(self, slug: str, profile_name: str = "") -> None:
        """Show a view (by its registry slug), pointed at a profile when one is named."""
        view = next((v for v in self.views if v.slug == slug), None)
        if view is None:
            return
        profile = self.ctx.session.profile(profile_name) if profile_name else None
        if profile is not None and (view.profile is None or view.profile.name != profile.name):
            view.set_profile(profile)
        self.tabs.setCurrentWidget(view)

    def open_wall(self, start: str = "") -> None:
        """Wall mode: full screen, large type, cycling through the clusters."""
        from .wall import WallWindow

        if self.wall is not None:
            self.wall.close()
        self.wall = WallWindow(self.monitoring, start, self if isinstance(self, QWidget) else None)
        # The screen's size first: without a window manager (a kiosk X session, a wall PC) nothing
        # else would make the window cover the screen.
        screen = self.screen() if isinstance(self, QWidget) else None
        if screen is not None:
            self.wall.setGeometry(screen.geometry())
        self.wall.showFullScreen()

    def _start_monitoring(self) -> None:
        if self.monitoring.started or getattr(self, "_aclosed", False):
            return
        self.ctx.tasks.start(
            self.monitoring.start(),
            key="monitoring/follow",
            what="starting the monitoring",
            on_error=self._monitoring_failed,
        )

    def _follow_profiles(self) -> None:
        self.ctx.tasks.start(
            self.monitoring.follow(),
            key="monitoring/follow",
            what="following the profiles",
            on_error=self._monitoring_failed,
        )

    def _monitoring_failed(self, exc: BaseException, what: str) -> None:
        self.ctx.notifications.report(("monitoring", "window"), "Monitoring", what, exc)

    def _first_view(self) -> int:
        """The view shown first on a fresh start: the fleet when there are several clusters."""
        from ..views import first_view

        slug = first_view([p.kind for p in self.ctx.session.all_profiles()])
        return next((i for i, v in enumerate(self.views) if v.slug == slug), 0)
