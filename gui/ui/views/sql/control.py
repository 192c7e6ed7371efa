"""The SQL console's connections to its cluster and the run under way: the runner the statements go
through (opened on the first run, in the database picked, so that USE and session variables carry
from one run to the next), the schema reader that feeds completion, and cancelling."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from ....services.profiles import Profile
from ....services.sql.history import QueryHistory
from ....services.sql.runner import RunResult, Sink, SqlRunner, runner_for
from ....services.sql.schema import SchemaReader
from ....services.sql.statements import Statement
from ....services.tasks import stop
from ...context import UiContext


class RunControl:
    def __init__(self, ctx: UiContext, history: QueryHistory) -> None:
        self.ctx = ctx
        self.history = history
        self.runner: SqlRunner | None = None
        self.reader: SchemaReader | None = None
        self.task: asyncio.Task[Any] | None = None

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self, run: Coroutine[Any, Any, Any], key: str) -> None:
        """Run (a run's coroutine) as the run under way."""
        self.task = self.ctx.run(run, key=key, what="running SQL")

    async def run(
        self,
        profile: Profile,
        database: str,
        statements: list[Statement],
        sink: Sink,
        max_rows: int | None,
        confirm: list[str],
    ) -> RunResult:
        runner = await self.query_runner(profile, database)
        return await runner.run(statements, sink, max_rows=max_rows, confirm=confirm)

    async def query_runner(self, profile: Profile, database: str) -> SqlRunner:
        if self.runner is None:
            self.runner = await runner_for(self.ctx.session, profile, self.history, database or None)
        return self.runner

    async def schema_reader(self, profile: Profile) -> SchemaReader:
        if self.reader is None:
            self.reader = SchemaReader(await runner_for(self.ctx.session, profile))
        return self.reader

    def use(self, database: str) -> None:
        """The next statements run in ``database`` (none when empty)."""
        if self.runner is not None:
            self.runner.database = database or None

    def cancel(self) -> bool:
        """Stop the running statement (KILL QUERY on the server); False when nothing runs."""
        if not self.running or self.runner is None:
            return False
        self.ctx.run(self.runner.cancel(), what="cancelling the statement")
        return True

    def drop(self) -> None:
        """Another profile: the run is stopped and the connections closed in the background."""
        if self.task is not None and not self.task.done():
            self.task.cancel()
        for held in (self.runner, self.reader):
            if held is not None:
                self.ctx.run(held.aclose(), what="closing an SQL connection")
        self.runner = None
        self.reader = None

    async def aclose(self) -> None:
        if self.task is not None:
            await stop([self.task])
        for held in (self.runner, self.reader):
            if held is not None:
                await held.aclose()
        self.runner = None
        self.reader = None
