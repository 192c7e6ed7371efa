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
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
import duckdb

T = TypeVar("T")

META_SCHEMA = "_sandbox"
STAGING_SCHEMA = "_staging"
RESERVED_SCHEMAS = {"main", META_SCHEMA, STAGING_SCHEMA, "information_schema", "pg_catalog"}


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._root = duckdb.connect(str(path))
        self._local = threading.local()
        self.lock = threading.RLock()
        self._closed = False
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
        return await anyio.to_thread.run_sync(fn, *args)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
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
