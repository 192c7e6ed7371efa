"""Pipes: every pipe with its state and load figures (``information_schema.pipes``, the columns of
SHOW PIPES across databases), its files with each one's error (``information_schema.pipe_files``),
and ALTER PIPE … RETRY FILE / RETRY ALL / SUSPEND / RESUME. AI Lake pipe tables of a database this
cluster reaches are listed as the cluster lists them (as pipes of their database)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .base import AdminSql, quote_ident, quote_string


@dataclass(frozen=True)
class PipeRow:
    database: str
    pipe_id: int
    name: str
    state: str
    table: str
    loaded_files: int | None
    loading_files: int | None
    load_status: str  # the cluster's own JSON
    last_error: str
    created: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.database, self.name)


@dataclass(frozen=True)
class PipeFile:
    name: str
    size: int | None
    rows: int | None
    state: str  # UNLOADED, LOADING, FINISHED, ERROR…
    error: str
    staged: str
    finished: str


def _num(v: Any) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _status(text: str) -> dict[str, Any]:
    try:
        doc = json.loads(text) if text else {}
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _error(text: str) -> str:
    doc = _status(text)
    return str(doc.get("errorMessage", "")) if doc else text


class PipesService:
    LIST = (
        "SELECT DATABASE_NAME, PIPE_ID, PIPE_NAME, STATE, TABLE_NAME, LOAD_STATUS, LAST_ERROR, CREATED_TIME "
        "FROM information_schema.pipes ORDER BY DATABASE_NAME, PIPE_NAME"
    )

    def __init__(self, sql: AdminSql) -> None:
        self.sql = sql

    async def pipes(self) -> list[PipeRow]:
        table = await self.sql.query(self.LIST)
        out = []
        for r in table.rows:
            status = _status(str(r[5] or ""))
            out.append(
                PipeRow(
                    database=str(r[0]),
                    pipe_id=_num(r[1]) or 0,
                    name=str(r[2]),
                    state=str(r[3] or ""),
                    table=str(r[4] or ""),
                    loaded_files=_num(status.get("loadedFiles")),
                    loading_files=_num(status.get("loadingFiles")),
                    load_status=str(r[5] or ""),
                    last_error=_error(str(r[6] or "")),
                    created=str(r[7] or ""),
                )
            )
        return out

    @staticmethod
    def files_statement(database: str, pipe: str) -> str:
        return (
            "SELECT FILE_NAME, FILE_SIZE, FILE_ROWS, LOAD_STATE, ERROR_MSG, STAGED_TIME, FINISH_LOAD_TIME "
            f"FROM information_schema.pipe_files WHERE DATABASE_NAME = {quote_string(database)} "
            f"AND PIPE_NAME = {quote_string(pipe)} ORDER BY FILE_NAME"
        )

    async def files(self, database: str, pipe: str) -> list[PipeFile]:
        table = await self.sql.query(self.files_statement(database, pipe))
        return [
            PipeFile(
                str(r[0]),
                _num(r[1]),
                _num(r[2]),
                str(r[3] or ""),
                str(r[4] or ""),
                str(r[5] or ""),
                str(r[6] or ""),
            )  # fmt: skip
            for r in table.rows
        ]

    @staticmethod
    def alter_statement(database: str, pipe: str, action: str, file: str | None = None) -> str:
        target = f"{quote_ident(database)}.{quote_ident(pipe)}"
        if action == "RETRY FILE":
            if not file:
                raise ValueError("RETRY FILE needs a file")
            return f"ALTER PIPE {target} RETRY FILE {quote_string(file)}"
        if action not in ("RETRY ALL", "SUSPEND", "RESUME"):
            raise ValueError(action)
        return f"ALTER PIPE {target} {action}"

    async def alter(self, database: str, pipe: str, action: str, file: str | None = None) -> None:
        await self.sql.change(self.alter_statement(database, pipe, action, file))
