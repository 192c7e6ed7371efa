"""Schema: databases, their tables (engine, key type, rows and size as information_schema gives
them), a table's DDL (SHOW CREATE TABLE), partitions (SHOW PARTITIONS) and tablets (SHOW TABLET). A
statement the cluster does not answer is reported with its own text, never filled in here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .base import AdminSql, Table, quote_ident, quote_string


@dataclass(frozen=True)
class TableRow:
    name: str
    engine: str
    key_type: str
    rows: int | None
    data_bytes: int | None


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
