"""The sandbox's state, kept in one DuckDB database file under the data folder.

Two kinds of state live there:
- documents: small JSON records keyed by (kind, id), in insertion order (instances, jobs,
  operations, pipe tables, transactions, table definitions);
- data: one DuckDB schema per StarRocks database, one DuckDB table per StarRocks table, plus
  staging tables holding the rows of transactions that are not yet visible.

DuckDB connections are not safe to share between threads, so every thread gets its own cursor;
document writes are serialised by one lock because they are read-modify-write cycles.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
import duckdb

T = TypeVar("T")

META_SCHEMA = "_sandbox"
STAGING_SCHEMA = "_staging"
RESERVED_SCHEMAS = {"main", META_SCHEMA, STAGING_SCHEMA, "information_schema", "pg_catalog"}
_FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._root = duckdb.connect(str(path))
        self._local = threading.local()
        self.lock = threading.RLock()
        self._closed = False
        self._idle = threading.Condition()
        self._working = 0
        with self.cursor() as cur:
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}")
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {STAGING_SCHEMA}")
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {META_SCHEMA}.docs ("
                " kind VARCHAR NOT NULL, id VARCHAR NOT NULL, seq BIGINT NOT NULL, body VARCHAR NOT NULL,"
                " PRIMARY KEY (kind, id))"
            )
            cur.execute(f"CREATE SEQUENCE IF NOT EXISTS {META_SCHEMA}.doc_seq")
            cur.execute(f"CREATE SEQUENCE IF NOT EXISTS {META_SCHEMA}.ids START 1000")

    # -- connections ---------------------------------------------------------------------------
    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor owned by the calling thread (created once per thread, reused)."""
        cur = getattr(self._local, "cur", None)
        if cur is None:
            cur = self._root.cursor()
            self._local.cur = cur
        yield cur

    def new_cursor(self) -> duckdb.DuckDBPyConnection:
        """A fresh cursor for work that runs its own DuckDB transaction; the caller closes it."""
        return self._root.cursor()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run blocking DuckDB work in a worker thread so the event loop keeps serving."""
        return await anyio.to_thread.run_sync(self._counted, fn, *args)

    def _counted(self, fn: Callable[..., T], *args: Any) -> T:
        with self._idle:
            self._working += 1
        try:
            return fn(*args)
        finally:
            with self._idle:
                self._working -= 1
                self._idle.notify_all()

    def close(self, wait: float = 60.0) -> None:
        if self._closed:
            return
        self._closed = True
        # Work a cancelled request or sweeper left running on a worker thread still holds a
        # cursor; DuckDB refuses to close under it, so let it finish first.
        with self._idle:
            self._idle.wait_for(lambda: self._working == 0, timeout=wait)
        try:
            self._root.execute("CHECKPOINT")
        except duckdb.Error:
            pass
        self._root.close()

    # -- ids -----------------------------------------------------------------------------------
    def next_id(self) -> int:
        """A number that grows across restarts (transaction ids, connection ids)."""
        with self.cursor() as cur:
            row = cur.execute(f"SELECT nextval('{META_SCHEMA}.ids')").fetchone()
        assert row is not None
        return int(row[0])

    # -- documents -----------------------------------------------------------------------------
    def put(self, kind: str, id: str, body: dict[str, Any]) -> None:
        text = json.dumps(body, separators=(",", ":"), default=str)
        with self.lock, self.cursor() as cur:
            row = cur.execute(
                f"SELECT seq FROM {META_SCHEMA}.docs WHERE kind = ? AND id = ?", [kind, id]
            ).fetchone()
            if row is None:
                cur.execute(
                    f"INSERT INTO {META_SCHEMA}.docs VALUES (?, ?, nextval('{META_SCHEMA}.doc_seq'), ?)",
                    [kind, id, text],
                )
            else:
                cur.execute(
                    f"UPDATE {META_SCHEMA}.docs SET body = ? WHERE kind = ? AND id = ?", [text, kind, id]
                )

    def get(self, kind: str, id: str) -> dict[str, Any] | None:
        with self.cursor() as cur:
            row = cur.execute(
                f"SELECT body FROM {META_SCHEMA}.docs WHERE kind = ? AND id = ?", [kind, id]
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def delete(self, kind: str, id: str) -> bool:
        with self.lock, self.cursor() as cur:
            row = cur.execute(
                f"DELETE FROM {META_SCHEMA}.docs WHERE kind = ? AND id = ? RETURNING id", [kind, id]
            ).fetchone()
        return row is not None

    def _matching(self, kind: str, where: Mapping[str, str]) -> tuple[str, list[Any]]:
        """SQL condition and parameters: documents of ``kind`` whose top-level fields equal the
        given texts (matched inside DuckDB, so documents that do not match are never decoded)."""
        sql = "kind = ?"
        params: list[Any] = [kind]
        for name, value in where.items():
            if not _FIELD_RE.match(name):
                raise ValueError(f"not a document field name: {name!r}")
            sql += f" AND body->>'$.{name}' = ?"
            params.append(value)
        return sql, params

    def find(
        self, kind: str, where: Mapping[str, str], offset: int = 0, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Documents of a kind whose fields equal ``where``, oldest first, ``limit`` of them from
        ``offset``."""
        cond, params = self._matching(kind, where)
        sql = f"SELECT body FROM {META_SCHEMA}.docs WHERE {cond} ORDER BY seq"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        elif offset:
            sql += " OFFSET ?"
            params.append(offset)
        with self.cursor() as cur:
            rows = cur.execute(sql, params).fetchall()
        return [json.loads(r[0]) for r in rows]

    def count(self, kind: str, where: Mapping[str, str]) -> int:
        cond, params = self._matching(kind, where)
        with self.cursor() as cur:
            row = cur.execute(f"SELECT count(*) FROM {META_SCHEMA}.docs WHERE {cond}", params).fetchone()
        return int(row[0]) if row else 0

    def ids_where(self, kind: str, predicate: str, params: list[Any]) -> list[str]:
        """Ids of the documents of a kind for which ``predicate`` holds: SQL over the column
        ``body`` (the document's JSON text, e.g. ``body->>'$.state' = ?``), oldest first."""
        with self.cursor() as cur:
            rows = cur.execute(
                f"SELECT id FROM {META_SCHEMA}.docs WHERE kind = ? AND ({predicate}) ORDER BY seq",
                [kind, *params],
            ).fetchall()
        return [str(r[0]) for r in rows]

    def list(self, kind: str) -> list[dict[str, Any]]:
        """Every document of a kind, oldest first."""
        with self.cursor() as cur:
            rows = cur.execute(
                f"SELECT body FROM {META_SCHEMA}.docs WHERE kind = ? ORDER BY seq", [kind]
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def update(self, kind: str, id: str, fn: Callable[[dict[str, Any]], None]) -> dict[str, Any] | None:
        """Read, change in place with ``fn`` and write back one document, atomically."""
        with self.lock:
            doc = self.get(kind, id)
            if doc is None:
                return None
            fn(doc)
            self.put(kind, id, doc)
            return doc
