"""Schema: databases, their tables (engine, key type, rows and size as information_schema gives
them), a table's DDL (SHOW CREATE TABLE), partitions (SHOW PARTITIONS), tablets (SHOW TABLET) and the
health of their replicas (ADMIN SHOW REPLICA STATUS: OK, DEAD, VERSION_ERROR, SCHEMA_ERROR,
MISSING — the FE's own verdicts, counted here, never guessed). A statement the cluster does not
answer is reported with its own text, never filled in here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .base import AdminSql, Table, quote_ident, quote_string


@dataclass(frozen=True)
class TableRow:
    name: str
    engine: str
    key_type: str
    rows: int | None
    data_bytes: int | None


HEALTHY = "OK"


@dataclass(frozen=True)
class TabletHealth:
    """Replicas of a table by the FE's status; ``by_replica``: ReplicaId -> status for the replicas
    that exist (a MISSING one has no id: it is only counted)."""

    counts: dict[str, int] = field(default_factory=dict)
    by_replica: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def unhealthy(self) -> int:
        return sum(n for s, n in self.counts.items() if s != HEALTHY)

    def summary(self) -> str:
        if not self.counts:
            return "No replicas"
        order = sorted(self.counts, key=lambda s: (s != HEALTHY, s))
        parts = ", ".join(f"{self.counts[s]} {s}" for s in order)
        noun = "replica" if self.total == 1 else "replicas"
        return f"{self.total} {noun}: {parts}"


def _num(v: Any) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


class SchemaService:
    def __init__(self, sql: AdminSql) -> None:
        self.sql = sql

    async def databases(self) -> list[str]:
        return [str(r[0]) for r in (await self.sql.query("SHOW DATABASES")).rows]

    async def tables(self, database: str) -> list[TableRow]:
        db = quote_string(database)
        tables = await self.sql.query(
            "SELECT TABLE_NAME, ENGINE, TABLE_ROWS, DATA_LENGTH FROM information_schema.tables "
            f"WHERE TABLE_SCHEMA = {db} ORDER BY TABLE_NAME"
        )
        models: dict[str, str] = {}
        if database.lower() != "information_schema":
            config = await self.sql.query(
                "SELECT TABLE_NAME, TABLE_MODEL FROM information_schema.tables_config "
                f"WHERE TABLE_SCHEMA = {db}"
            )
            models = {str(r[0]): str(r[1] or "") for r in config.rows}
        return [
            TableRow(str(r[0]), str(r[1] or ""), models.get(str(r[0]), ""), _num(r[2]), _num(r[3]))
            for r in tables.rows
        ]

    async def ddl(self, database: str, table: str) -> str:
        result = await self.sql.query(f"SHOW CREATE TABLE {quote_ident(database)}.{quote_ident(table)}")
        return str(result.rows[0][1]) if result.rows else ""

    async def partitions(self, database: str, table: str) -> Table:
        return await self.sql.query(f"SHOW PARTITIONS FROM {quote_ident(database)}.{quote_ident(table)}")

    async def tablets(self, database: str, table: str) -> Table:
        return await self.sql.query(f"SHOW TABLET FROM {quote_ident(database)}.{quote_ident(table)}")

    async def replica_status(self, database: str, table: str) -> Table:
        return await self.sql.query(
            f"ADMIN SHOW REPLICA STATUS FROM {quote_ident(database)}.{quote_ident(table)}"
        )

    async def tablet_health(self, database: str, table: str) -> TabletHealth:
        """The table's replicas counted by the status the FE gives each."""
        result = await self.replica_status(database, table)
        counts: dict[str, int] = {}
        by_replica: dict[str, str] = {}
        for row in result.dicts():
            status = str(row.get("Status") or "")
            counts[status] = counts.get(status, 0) + 1
            replica = str(row.get("ReplicaId") or "")
            if replica and replica != "-1":
                by_replica[replica] = status
        return TabletHealth(counts, by_replica)
