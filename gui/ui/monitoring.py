"""The window's side of the monitoring: one ``Monitoring`` for the session, started once the window
shows and following the profiles as they are added, renamed and deleted; each reading handed to the
views as a Qt signal; a cluster that cannot be read is a notification (never a dialog), and a cluster
that turns red or recovers is told on the desktop (the tray's message when there is a tray, else the
status bar)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon

from ..services.dashboard import desktop_notice, failure, read_now, rename
from ..services.monitoring import ClusterState, Monitoring
from .notifications import NotificationsModel

log = logging.getLogger("starrocks_console.ui")

WHAT = "reading the cluster"


def notice_key(name: str) -> tuple[str, str]:
    return ("monitoring", name)


def notice_source(name: str) -> str:
    return f"Dashboard — {name}"


class MonitoringFeed(QObject):
    """Readings of every watched cluster, on the UI thread."""

    reading = Signal(str, object)  # profile name, ClusterState
    watched_changed = Signal()  # profiles started or stopped being watched

    def __init__(
        self,
        monitoring: Monitoring,
        notifications: NotificationsModel,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.monitoring = monitoring
        self.notifications = notifications
        self.states: dict[str, ClusterState] = {}
        self.started = False
        # Where a desktop notice goes when there is no tray (the window's status bar).
        self.fallback: Callable[[str], None] = lambda text: None
        self.told: list[tuple[str, str]] = []  # (channel, text) of each desktop notice, newest last
        self._tray: QSystemTrayIcon | None = None
        monitoring.listeners.append(self._heard)

    @property
    def interval(self) -> float:
        return self.monitoring.interval

    def set_interval(self, seconds: float) -> None:
        """Readings every ``seconds`` (from the next one on)."""
        self.monitoring.interval = max(1.0, float(seconds))

    def state(self, name: str) -> ClusterState | None:
        return self.states.get(name)

    def watched(self) -> list[str]:
        return self.monitoring.watched()

    # -- following the profiles ---------------------------------------------------------------------
    async def start(self) -> None:
        self.started = True
        await self.follow()

    async def follow(self) -> None:
        if not self.started:
            return
        await self.monitoring.follow_profiles()
        for name in [n for n in self.states if n not in self.monitoring.watched()]:
            del self.states[name]
            self.notifications.resolve(notice_key(name))
        for problem in self.monitoring.problems:
            self.notifications.tell(
                ("monitoring-files", problem), "Monitoring", "reading the history", problem
            )
        self.watched_changed.emit()

    async def renamed(self, old: str, new: str) -> None:
        if not self.started:
            return
        self.states.pop(old, None)
        self.notifications.resolve(notice_key(old))
        await rename(self.monitoring, old, new)
        self.watched_changed.emit()

    async def forget(self, name: str) -> None:
        """A deleted profile: its history and thresholds go."""
        self.states.pop(name, None)
        self.notifications.resolve(notice_key(name))
        await self.monitoring.unwatch(name, forget=True)
        await self.follow()

    async def read_now(self, name: str) -> ClusterState | None:
        return await read_now(self.monitoring, name)

    async def aclose(self) -> None:
        if self._heard in self.monitoring.listeners:
            self.monitoring.listeners.remove(self._heard)
        await self.monitoring.aclose()
        if self._tray is not None:
            self._tray.hide()

    # -- each reading -------------------------------------------------------------------------------
    def _heard(self, name: str, state: ClusterState) -> None:
        if self.monitoring.session.profile(name) is None:
            # Read before its profile was renamed or deleted: the name no longer stands for a
            # cluster, and a failure of that reading (its secret moved away) is nobody's concern.
            return
        before = self.states.get(name)
        self.states[name] = state
        if state.sample.reachable:
            self.notifications.resolve(notice_key(name))
        else:
            self.notifications.report(notice_key(name), notice_source(name), WHAT, failure(state))
        text = desktop_notice(before, state)
        if text is not None:
            self.tell_desktop(text, critical=state.state in ("critical", "unreachable"))
        self.reading.emit(name, state)

    def tell_desktop(self, text: str, critical: bool = False) -> str:
        """A desktop notification: the tray's balloon when the desktop has a tray, else the status
        bar. Returns the channel used."""
        channel = "tray" if QSystemTrayIcon.isSystemTrayAvailable() else "status bar"
        if channel == "tray":
            tray = self._tray_icon()
            icon = (
                QSystemTrayIcon.MessageIcon.Critical if critical else QSystemTrayIcon.MessageIcon.Information
            )
            tray.showMessage("StarRocks Console", text, icon, 10_000)
        else:
            self.fallback(text)
        self.told.append((channel, text))
        del self.told[:-50]
        return channel

    def _tray_icon(self) -> QSystemTrayIcon:
        if self._tray is None:
            app = QApplication.instance()
            icon = QIcon()
            if isinstance(app, QApplication):
                icon = app.windowIcon()
                if icon.isNull():
                    icon = app.style().standardIcon(QStyle.StandardPixmap.SP_ComputerIcon)
            self._tray = QSystemTrayIcon(icon, self)
            self._tray.show()
        return self._tray
