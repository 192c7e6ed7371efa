"""Queries and sessions: the FE's connections (``SHOW FULL PROCESSLIST``), those running a statement
among them, and KILL of a query or a whole connection."""

from __future__ import annotations

from dataclasses import dataclass

from .base import AdminSql


@dataclass(frozen=True)
class SessionRow:
    id: int
    user: str
    host: str
    db: str
    command: str  # Query while a statement runs, Sleep otherwise
    time: int  # seconds in this state, as the FE counts them
    state: str
    info: str  # the statement running (or last run)
    query_id: str

    @property
    def running(self) -> bool:
        return self.command.lower() == "query"


def _int(v: object) -> int:
    try:
        return int(str(v))
    except (TypeError, ValueError):
        return 0


class SessionsService:
    SHOW = "SHOW FULL PROCESSLIST"

    def __init__(self, sql: AdminSql) -> None:
        self.sql = sql

    async def sessions(self) -> list[SessionRow]:
        table = await self.sql.query(self.SHOW)
        out: list[SessionRow] = []
        for r in table.dicts():
            out.append(
                SessionRow(
                    id=_int(r.get("Id")),
                    user=str(r.get("User") or ""),
                    host=str(r.get("Host") or ""),
                    db=str(r.get("Db") or ""),
                    command=str(r.get("Command") or ""),
                    time=_int(r.get("Time")),
                    state=str(r.get("State") or ""),
                    info=str(r.get("Info") or ""),
                    query_id=str(r.get("QueryId") or ""),
                )
            )
        return out

    @staticmethod
    def kill_statement(connection_id: int, *, connection: bool) -> str:
        return f"KILL {'CONNECTION' if connection else 'QUERY'} {int(connection_id)}"

    async def kill(self, connection_id: int, *, connection: bool) -> None:
        """``KILL QUERY id`` stops the statement the connection runs; ``KILL CONNECTION id`` closes
        the connection too."""
        await self.sql.change(self.kill_statement(connection_id, connection=connection))

    @property
    def own_connection(self) -> int | None:
        """The connection these pages run their statements on (killing it ends their session)."""
        query = self.sql.runner.query
        return query.connection_id if query is not None else None
