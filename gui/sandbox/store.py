"""The sandbox's state, kept in one DuckDB database file under the data folder.

Two kinds of state live there:
- documents: small JSON records keyed by (kind, id), in insertion order (instances, jobs,
  operations, pipe tables, transactions, table definitions);
- data: one DuckDB schema per StarRocks database, one DuckDB table per StarRocks table, plus
  staging tables holding the rows of transactions that are not yet visible.

DuckDB connections are not safe to share between threads, so every thread gets its own cursor;
document writes are serialised by one lock because they are read-modify-write cycles.

Every DuckDB connection the sandbox opens comes from ``connect``: SQL reaches DuckDB from the
network (the HTTP SQL API, the admin switch, load expressions), so DuckDB must not read or write any
file outside the sandbox's data folder, load extensions, or have that configuration changed back.
The database file and its folder are made private to the user (0600/0700).
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
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

# Applied after ``allowed_directories`` (DuckDB refuses to change that list once external access is
# off) and ending with the lock, so no SQL can SET any of them back.
_LOCKDOWN = (
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET enable_external_access = false",
    "SET lock_configuration = true",
)


def _dir_forms(folder: Path) -> set[str]:
    """The spellings of a folder DuckDB may be handed (as given, absolute, symlinks resolved), each
    ending with a separator so that ``/data`` does not also admit ``/data-other``."""
    forms = {os.path.abspath(folder), str(folder.resolve())}
    return {f.rstrip(os.sep) + os.sep for f in forms}


def connect(path: Path | None, allowed: Sequence[Path]) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection (to the file ``path``, or in memory) that can read and write files only
    under the ``allowed`` folders, cannot install or load extensions, and whose settings are locked.

    Every DuckDB connection of the sandbox is opened here. DuckDB always keeps access to its own
    database file and temporary folder.
    """
    if path is not None:
        private_dir(path.parent)
        con = duckdb.connect(str(path))
        # The sandbox process runs with umask 077 (server.run), so DuckDB's later files (WAL,
        # temporary folder) are private too; this covers a file made before, or in-process use.
        private_file(path)
    else:
        con = duckdb.connect()
    try:
        folders = sorted({form for folder in allowed for form in _dir_forms(folder)})
        listed = ", ".join("'" + f.replace("'", "''") + "'" for f in folders)
        con.execute(f"SET allowed_directories = [{listed}]")
        for statement in _LOCKDOWN:
            con.execute(statement)
    except BaseException:
        con.close()
        raise
    return con


def private_dir(folder: Path) -> None:
    """Create ``folder`` and any missing parents readable by the user alone (0700). A folder that
    already exists keeps its mode: it may be one the user chose and shares on purpose."""
    missing: list[Path] = []
    p = folder.absolute()
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=0o700)
        except FileExistsError:
            continue
        _chmod(d, 0o700)


def private_file(path: Path) -> None:
    if path.exists():
        _chmod(path, 0o600)


def _chmod(path: Path, mode: int) -> None:
    try:
        if path.stat().st_mode & 0o777 != mode:
            path.chmod(mode)
    except OSError:
        pass  # a file system without modes (or a folder owned by someone else): nothing to tighten


class Store:
    def __init__(self, path: Path, allowed: Sequence[Path] | None = None) -> None:
        """``allowed``: the folders DuckDB may read and write files in (default: the database
        file's folder, the sandbox's data folder)."""
        self.path = path
        self.allowed = list(allowed) if allowed is not None else [path.parent]
        self._root = connect(path, self.allowed)
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

    def reserve_ids(self, n: int) -> None:
        """Use up the next ``n`` numbers (the ids a new table's partition, index, tablets and
        replicas take after the table's own, as the FE's one id generator hands them out)."""
        if n > 0:
            with self.cursor() as cur:
                cur.execute(f"SELECT max(nextval('{META_SCHEMA}.ids')) FROM range({int(n)})").fetchone()

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
