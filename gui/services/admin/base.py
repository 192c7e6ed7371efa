"""One query-port session shared by the administration pages: statements run through the SQL runner
(the same one as the SQL console), their results collected, every statement kept for "Show SQL"."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from ...api import errors
from ...api.starrocks import Column
from ..sql.runner import Sink, SqlRunner, StatementOutcome

KEPT = 200  # statements remembered for "Show SQL"


@dataclass(frozen=True)
class Ran:
    """A statement (or, for a BE's HTTP config, the request) as sent, and how it ended."""

    at: float
    text: str
    outcome: str  # "ok", or the server's text / the reason it was not sent
    channel: str = ""


@dataclass
class Table:
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r, strict=False)) for r in self.rows]


class _Collect(Sink):
    def __init__(self) -> None:
        self.names: list[str] = []
        self.data: list[tuple[Any, ...]] = []

    def columns(self, outcome: StatementOutcome, columns: list[Column]) -> None:
        self.names = [c.name for c in columns]

    def rows(self, outcome: StatementOutcome, rows: list[tuple[Any, ...]]) -> None:
        self.data.extend(rows)


def quote_string(value: str) -> str:
    """A SQL string literal: StarRocks reads backslash escapes in strings."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class AdminSql:
    """Runs the pages' statements one at a time and keeps what was sent (``ran``)."""

    def __init__(self, runner: SqlRunner) -> None:
        self.runner = runner
        self.ran: deque[Ran] = deque(maxlen=KEPT)

    def note(self, text: str, outcome: str, channel: str = "") -> None:
        self.ran.append(Ran(time.time(), text, outcome, channel))

    async def _run(self, sql: str, confirm: Collection[str]) -> tuple[StatementOutcome, _Collect]:
        sink = _Collect()
        result = await self.runner.run(sql, sink, confirm=confirm)
        outcome = result.statements[0]
        self.note(sql, "ok" if outcome.status == "ok" else outcome.message, outcome.channel or "")
        if outcome.status != "ok":
            if outcome.error is not None:
                raise outcome.error
            raise errors.InvalidRequest(outcome.message or "not run", service="starrocks")
        return outcome, sink

    async def query(self, sql: str) -> Table:
        """A statement's result set; a refusal raises the hierarchy's error with the server's text."""
        _, sink = await self._run(sql, ())
        return Table(sink.names, sink.data)

    async def change(self, sql: str, confirm: Collection[str] = ()) -> StatementOutcome:
        """A statement that changes something; ``confirm``: what the person typed, for the ones the
        runner holds back without it (DROP USER, REVOKE, ADMIN SET …)."""
        outcome, _ = await self._run(sql, confirm)
        return outcome

    async def aclose(self) -> None:
        await self.runner.aclose()
