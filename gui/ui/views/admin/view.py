"""Administration: one StarRocks cluster's queries and sessions, configuration, users and roles,
pipes and schema, a tab each. Every page shows the statements it runs (Show SQL); refreshes say how
they fare inline; actions confirm first and show the cluster's own text when it refuses."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from ....services.admin import AdminSql, ConfigService
from ....services.profiles import Profile
from ....services.sql.runner import runner_for
from ...context import UiContext
from ...widgets.state_line import StateLine
from ..base import View
from .config import ConfigPage
from .page import AdminPage
from .pipes import PipesPage
from .schema import SchemaPage
from .sessions import SessionsPage
from .users import UsersPage


class AdminView(View):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.sql: AdminSql | None = None
        self._config: ConfigService | None = None
        self._work: set[asyncio.Task[Any]] = set()  # the pages' reads and actions on their way
        self.heading = QLabel("Pick a StarRocks cluster profile in Connections.")
        self.heading.setObjectName("viewHeading")
        self.tabs = QTabWidget()
        self.sessions = SessionsPage(self)
        self.config = ConfigPage(self)
        self.users = UsersPage(self)
        self.pipes = PipesPage(self)
        self.schema = SchemaPage(self)
        for page in self.pages():
            self.tabs.addTab(page, page.title)
        self.tabs.currentChanged.connect(lambda _i: self._tab_shown())
        lay = QVBoxLayout(self)
        lay.addWidget(self.heading)
        lay.addWidget(self.state_line)
        lay.addWidget(self.tabs, 1)

    def pages(self) -> list[AdminPage]:
        return [self.sessions, self.config, self.users, self.pipes, self.schema]

    def current_page(self) -> AdminPage:
        page = self.tabs.currentWidget()
        assert isinstance(page, AdminPage)
        return page

    # -- the profile and its query-port session ------------------------------------------------------
    def set_profile(self, profile: Profile | None) -> None:
        if self.profile is None or profile is None or profile != self.profile:
            self._drop_sql()
        self.heading.setText(
            f"{profile.name} — statements run over its query port ({profile.query_port})"
            if profile is not None
            else "Pick a StarRocks cluster profile in Connections."
        )
        super().set_profile(profile)

    def _drop_sql(self) -> None:
        old, self.sql, self._config = self.sql, None, None
        if old is not None:
            # Nobody pressed anything: a failure to say goodbye is a notification, never a dialog.
            self.ctx.run_background(
                old.aclose(), f"admin-close/{id(old)}", "close the query-port session", source=self.title
            )

    async def admin_sql(self) -> AdminSql:
        """The pages' query-port session of the current profile, opened at first use."""
        if self.sql is None:
            profile = self.profile
            assert profile is not None
            runner = await runner_for(self.ctx.session, profile)
            if self.sql is None and self.profile is profile:
                self.sql = AdminSql(runner)
            else:
                await runner.aclose()
        assert self.sql is not None
        return self.sql

    def sql_now(self) -> AdminSql:
        assert self.sql is not None
        return self.sql

    def config_service(self) -> ConfigService:
        """One per session, so that "changed since the page opened" keeps its first values."""
        if self._config is None or self._config.sql is not self.sql:
            self._config = ConfigService(self.sql_now(), self.sql_now().runner.http)
        return self._config

    # -- refreshes --------------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.profile is None:
            return
        self.current_page().refresh()

    def _tab_shown(self) -> None:
        # What is brought to screen is read again (a table made meanwhile is listed), unless a read of
        # it is on its way already.
        page = self.current_page()
        if not self.loading(page):
            page.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # Back from another view of the window (not a window restored by the window system).
        if not event.spontaneous() and self.profile is not None:
            self._tab_shown()

    def background(
        self,
        coro: Coroutine[Any, Any, Any],
        what: str,
        line: StateLine | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        profile: Profile | None = None,
        task_key: str | None = None,
    ) -> asyncio.Task[Any]:
        return self.track(super().background(coro, what, line, on_failure, profile, task_key))

    def track(self, task: asyncio.Task[Any]) -> asyncio.Task[Any]:
        self._work.add(task)
        task.add_done_callback(self._work.discard)
        return task

    def busy(self) -> bool:
        """Whether a read or an action of a page is still on its way."""
        return any(not t.done() for t in self._work)

    def loading(self, page: AdminPage) -> bool:
        """Whether a refresh of ``page`` is running."""
        return self.ctx.tasks.running(self._task_prefix() + page.title)

    def page_loaded(self, page: AdminPage) -> None:
        self.state_line.ok()
        if page is self.current_page():
            self.loaded.emit()

    def focus_filter(self) -> None:
        if self.current_page() is self.config:
            self.config.search.setFocus()

    async def aclose(self) -> None:
        self.cancel_background()
        sql, self.sql = self.sql, None
        if sql is not None:
            await sql.aclose()
