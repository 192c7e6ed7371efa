"""The cluster's names for the SQL console's database selector and completion: its databases
(``SHOW DATABASES``) and, one database at a time as they are needed, its tables and their columns
(``information_schema.columns``). Read through a runner of their own (``runner_for`` without a
history), so that these reads neither wait for nor interrupt the person's statements, and never
fill the query history."""

from __future__ import annotations

from typing import Any

from ...api import errors
from ...api.starrocks import Column
from .runner import Sink, SqlRunner, StatementOutcome


class _Rows(Sink):
    def __init__(self) -> None:
        self.found: list[tuple[Any, ...]] = []

    def columns(self, outcome: StatementOutcome, columns: list[Column]) -> None:
        self.found = []

    def rows(self, outcome: StatementOutcome, rows: list[tuple[Any, ...]]) -> None:
        self.found.extend(rows)


class SchemaReader:
    """``databases()`` and ``tables(db)``; raises the ApiError of a failed read (the server's text)."""

    def __init__(self, runner: SqlRunner) -> None:
        self.runner = runner

    async def _read(self, sql: str) -> list[tuple[Any, ...]]:
        sink = _Rows()
        result = await self.runner.run(sql, sink)
        [outcome] = result.statements
        if outcome.status != "ok":
            if outcome.error is not None:
                raise outcome.error
            raise errors.ApiError(outcome.message or f"{sql} was not run", service="starrocks")
        return sink.found

    async def databases(self) -> list[str]:
        return [str(r[0]) for r in await self._read("SHOW DATABASES")]

    async def tables(self, database: str) -> dict[str, list[str]]:
        """``table -> columns`` of one database, the columns in their order."""
        quoted = database.replace("\\", "\\\\").replace("'", "''")
        rows = await self._read(
            "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.columns "
            f"WHERE TABLE_SCHEMA = '{quoted}' ORDER BY TABLE_NAME, ORDINAL_POSITION"
        )
        found: dict[str, list[str]] = {}
        for table, column in rows:
            found.setdefault(str(table), []).append(str(column))
        return found

    async def aclose(self) -> None:
        await self.runner.aclose()
