"""Cluster dashboard: one StarRocks cluster — its state light and alerts, live charts over a chosen
range, FE and BE nodes with their disks, the alert history, and loads and transactions at a glance.

Everything comes from the window's monitoring (``ctx.monitoring``), which reads every cluster profile
in the background whether this view is on screen or not: the view only renders the readings it is
told of, and F5 asks for one now. A cluster that cannot be read is said inline (the heading, the
state line, greyed tables) and once in Notifications, never in a dialog.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHeaderView, QTableView, QTabWidget, QVBoxLayout, QWidget

from ....api import errors
from ....services.dashboard import DashboardService, failure
from ....services.monitoring import ClusterState, History
from ....services.profiles import Profile
from ...context import UiContext
from ...export import ask_save_path, model_csv, widget_png
from ...models.table import RecordTableModel
from ...widgets.alerts import AlertsModel, AlertStrip
from ...widgets.badge import BadgeDelegate
from ...widgets.state_line import StateLine
from ...widgets.tables import fit_when_filled, setup_table
from ..base import ServicesByProfile, View
from .charts import ChartsPanel
from .glance import GlancePanel
from .panels import Heading, NodesPanel, ToolRow

GLANCE_EVERY_MS = 30_000


class DashboardView(View):
    go_to = Signal(str, str)  # a view's slug and the profile to show in it
    wall_requested = Signal(str)  # the cluster to start the wall with

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("dashboardView")
        self.services = ServicesByProfile(lambda p: DashboardService(ctx.session, p))
        self.shown: ClusterState | None = None
        self._dirty = False
        self.heading = Heading(self)
        self.alert_strip = AlertStrip(self)
        self.tools = ToolRow(self)
        self.charts = ChartsPanel(self)
        self.nodes = NodesPanel(self)
        self.alerts = AlertsModel(self)
        self.alerts_table = self._alerts_table()
        self.glance = GlancePanel(self)
        self.glance_line = StateLine(self.glance)
        self.glance.layout().insertWidget(0, self.glance_line)  # type: ignore[union-attr]
        self.tabs = self._tabs()
        self._layout()
        self._connect()
        self._glance_timer = QTimer(self)
        self._glance_timer.setInterval(GLANCE_EVERY_MS)
        self._glance_timer.timeout.connect(self.refresh_glance)

    # Names the tests and the window use.
    @property
    def backends(self) -> Any:
        return self.nodes.backends

    @property
    def table(self) -> QTableView:
        return self.nodes.table

    def _alerts_table(self) -> QTableView:
        table = QTableView(self)
        table.setObjectName("alertsTable")
        table.setModel(self.alerts)
        setup_table(table)
        table.setItemDelegateForColumn(0, BadgeDelegate(table))
        fit_when_filled(table)
        return table

    def _tabs(self) -> QTabWidget:
        tabs = QTabWidget(self)
        tabs.setObjectName("dashboardTabs")
        tabs.setDocumentMode(True)
        tabs.addTab(self.charts, "Charts")
        tabs.addTab(self.nodes, "Nodes")
        tabs.addTab(self.alerts_table, "Alerts")
        tabs.addTab(self.glance, "Loads and transactions")
        for page in (self.charts, self.nodes, self.alerts_table, self.glance):
            page.setMinimumSize(200, 100)  # the pages scroll or split: a small window stays small
        return tabs

    def _layout(self) -> None:
        lay = QVBoxLayout(self)
        lay.addWidget(self.heading)
        lay.addWidget(self.state_line)
        lay.addWidget(self.alert_strip)
        lay.addWidget(self.tools)
        lay.addWidget(self.tabs, 1)

    def _connect(self) -> None:
        feed = self.ctx.monitoring
        if feed is not None:
            feed.reading.connect(self._reading)
            self.state_line.retry = f"retrying every {feed.interval:g} s"
        self.tools.range_changed.connect(lambda _s: self._render_charts())
        self.tools.thresholds.connect(self.edit_thresholds)
        self.tools.export_png.connect(self._ask_png)
        self.tools.export_csv.connect(self._ask_csv)
        self.tools.wall.connect(lambda: self.wall_requested.emit(self.profile.name if self.profile else ""))
        self.tabs.currentChanged.connect(self._tab_changed)
        self.glance.open_transactions.connect(
            lambda _db: self.go_to.emit("transactions", self.profile.name if self.profile else "")
        )

    def headers(self) -> dict[str, QHeaderView]:
        return {
            "backends": self.nodes.table.horizontalHeader(),
            "frontends": self.nodes.fe_table.horizontalHeader(),
            "alerts": self.alerts_table.horizontalHeader(),
        }

    # -- profile and readings ----------------------------------------------------------------------
    def set_profile(self, profile: Profile | None) -> None:
        if profile is None or self.profile is None or profile.name != self.profile.name:
            self._clear()
        super().set_profile(profile)
        if profile is not None and self.ctx.monitoring is not None:
            state = self.ctx.monitoring.state(profile.name)
            if state is not None:
                self._reading(profile.name, state)

    def _clear(self) -> None:
        self.shown = None
        self.heading.clear()
        self.alert_strip.set_alerts([])
        self.nodes.clear()
        self.alerts.set_rows([])
        self.glance.clear()
        self.glance_line.clear()
        if self.charts.charts:
            self.charts.draw(None, {})

    def profile_renamed(self, old: str, profile: Profile) -> None:
        self.services.renamed(old, profile.name)
        super().profile_renamed(old, profile)

    def drop_profile(self, name: str) -> None:
        self.services.drop(name)
        super().drop_profile(name)

    def refresh(self) -> None:
        """F5: a reading now (the monitoring reads every few seconds anyway), and the loads."""
        feed, profile = self.ctx.monitoring, self.profile
        if feed is None or profile is None:
            return
        self.status.emit(f"{profile.name}: reading…")
        self.ctx.tasks.start(
            self._read_now(profile.name),
            key=self._task_prefix() + "read",
            what="reading the cluster",
            on_error=self._read_failed,
        )

    def _read_failed(self, exc: BaseException, what: str) -> None:
        # A reading itself never fails (an unreachable cluster is a reading); this is a bug's way out.
        name = self.profile.name if self.profile else ""
        self.ctx.notifications.report(("dashboard", name), f"{self.title} — {name}", what, exc)

    async def _read_now(self, name: str) -> None:
        feed = self.ctx.monitoring
        assert feed is not None
        state = await feed.read_now(name)
        if (
            state is not None
            and state.sample.reachable
            and self.profile is not None
            and self.profile.name == name
        ):
            self.refresh_glance()

    def _reading(self, name: str, state: ClusterState) -> None:
        if self.profile is None or name != self.profile.name:
            return
        first = self.shown is None
        self.shown = state
        if self.isVisible():
            self._render()
            if first and state.sample.reachable:
                self.refresh_glance()
        else:
            self._dirty = True

    def history(self) -> History | None:
        feed, profile = self.ctx.monitoring, self.profile
        if feed is None or profile is None:
            return None
        mon = feed.monitoring.monitor(profile.name)
        return mon.history if mon is not None else None

    def _render(self) -> None:
        state, profile = self.shown, self.profile
        if state is None or profile is None:
            return
        self._dirty = False
        self.heading.show_state(profile.name, profile.url, state)
        s = state.sample
        self.alert_strip.set_alerts(state.alerts, stale=not s.reachable)
        self.nodes.show_state(state)
        self.alerts.set_alerts(state.alerts, state.ended)
        if s.reachable:
            self.state_line.ok(s.taken_at)
            alive, total = s.backend_counts()
            self.status.emit(f"{profile.name}: {alive}/{total} backends alive, {state.state}")
        else:
            self.state_line.failed(failure(state))
            self.status.emit(f"{profile.name}: not reachable")
        self._render_charts()
        self.loaded.emit()

    def _node_names(self) -> dict[str, str]:
        s = self.shown.sample if self.shown is not None else None
        names: dict[str, str] = {}
        for b in (s.backends or []) if s else []:
            names[b.key] = b.address
        for f in (s.frontends or []) if s else []:
            names[f.key] = f.address
        return names

    def _render_charts(self) -> None:
        if not self.isVisible() or self.tabs.currentWidget() is not self.charts:
            return
        self.charts.seconds = self.tools.seconds
        self.charts.draw(self.history(), self._node_names())

    def _tab_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.charts:
            self._render_charts()
        elif self.tabs.currentWidget() is self.glance:
            self.refresh_glance()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._glance_timer.start()
        if self._dirty:
            self._render()
        else:
            self._render_charts()

    def hideEvent(self, event: Any) -> None:
        super().hideEvent(event)
        self._glance_timer.stop()

    # -- loads and transactions ----------------------------------------------------------------------
    def refresh_glance(self) -> None:
        profile, state = self.profile, self.shown
        if profile is None or not self.isVisible() or state is None or not state.sample.reachable:
            return  # an unreachable cluster is told once, by the monitoring
        service = self.services.of(profile)
        self.glance_line.loading()
        self.ctx.tasks.start(
            self._glance(service, state.sample.running_txns),
            key=self._task_prefix() + "glance",
            what="reading loads",
            on_error=self._glance_failed,
        )

    def _glance_failed(self, exc: BaseException, what: str) -> None:
        if self.profile is not None and self.ctx.session.profile(self.profile.name) is None:
            return  # read for a profile renamed or deleted meanwhile: stopped, not failed
        self.glance_line.failed(exc)
        if not isinstance(exc, errors.ConnectionFailed):
            # A cluster that cannot be reached is told once, by the monitoring; anything else here.
            name = self.profile.name if self.profile else ""
            self.ctx.notifications.report(("glance", name), f"{self.title} — {name}", what, exc)

    async def _glance(self, service: DashboardService, running: dict[str, int] | None) -> None:
        glance = await service.glance(running)
        if service.profile == self.profile:
            self.glance.show_glance(glance)
            self.glance_line.ok(glance.taken_at)

    # -- thresholds, exports, wall -------------------------------------------------------------------
    def edit_thresholds(self) -> None:
        from ...dialogs.thresholds import ThresholdsDialog

        feed, profile = self.ctx.monitoring, self.profile
        if feed is None or profile is None:
            return
        dialog = ThresholdsDialog(feed.monitoring.settings, profile.name, self)
        dialog.saved.connect(lambda name: self.ctx.notify(f"Alert thresholds of {name} saved"))
        dialog.open()

    def table_model(self, which: str) -> RecordTableModel[Any]:
        models: dict[str, Any] = {
            "backends": self.nodes.backends,
            "frontends": self.nodes.frontends,
            "disks": self.nodes.disks,
            "alerts": self.alerts,
            "loads": self.glance.loads,
            "transactions": self.glance.txns,
        }
        return models[which]

    def export_csv(self, which: str, path: str | Path) -> int:
        rows = model_csv(self.table_model(which), path)
        self.ctx.notify(f"{rows:,} rows written to {path}")
        return rows

    def settle(self) -> None:
        """The charts still being painted on the paint thread, painted now (a screenshot)."""
        self.charts.flush()

    def export_png(self, path: str | Path) -> bool:
        """The charts as they are on screen (the visible part of the charts tab)."""
        if self.tabs.currentWidget() is not self.charts:
            self.tabs.setCurrentWidget(self.charts)
        self.charts.flush()
        ok = widget_png(self.charts.viewport(), path)
        self.ctx.notify(f"Charts written to {path}" if ok else f"Could not write {path}")
        return ok

    def _ask_png(self) -> None:
        name = self.profile.name if self.profile else "cluster"
        ask_save_path(self, "Export charts", f"{name}-charts.png", "PNG images (*.png)", self.export_png)

    def _ask_csv(self, which: str) -> None:
        name = self.profile.name if self.profile else "cluster"
        ask_save_path(self, "Export table", f"{name}-{which}.csv", "CSV files (*.csv)",
                      lambda p: self.export_csv(which, p))  # fmt: skip
