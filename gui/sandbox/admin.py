"""The sandbox's own admin switches, under ``/_sandbox/`` on the FE address (not part of any
emulated service).

``POST /_sandbox/sql`` (Basic auth as the FE user) runs what StarRocks' MySQL protocol would and its
HTTP SQL API refuses, so tests and users can prepare data the way StarRocks' own SQL tests do:
CREATE/DROP DATABASE, CREATE/DROP/TRUNCATE TABLE in StarRocks syntax, INSERT … VALUES / SELECT,
USE, SET (accepted and ignored), plus SELECT/SHOW/DESC/EXPLAIN as the SQL API runs them.

Request: ``{"sql": "<one or more statements separated by ;>", "db": "<default database>"}``.
Reply 200: ``{"status": "OK", "results": [<one per statement>]}`` where a result is
``{"statement": "CREATE TABLE", "rowsAffected": 0}`` for DDL/DML, ``{"statement": "SELECT",
"meta": [{"name", "type"}], "data": [[…], …]}`` for queries and SHOW/DESC (values encoded as the SQL
API encodes them), ``{"statement": "EXPLAIN", "explain": "…"}`` or ``{"statement": "USE", "db": …}``.
Reply 400 on the first failing statement: ``{"status": "FAILED", "code": <MySQL errno>, "msg":
"<StarRocks' message>", "statementIndex": i, "results": [<the statements done before it>]}``;
401 without the FE user's credentials.

``POST /_sandbox/ailake/pipe-tables/copy`` (the AI Lake Bearer token) makes many pipe tables at once,
each like an existing one (same files, configuration and rows), so that a long list can be prepared
in seconds instead of one create operation per table. Request: ``{"instance": "<name or id>",
"table": "<pipe table>", "prefix": "<name prefix>", "count": N}`` (1 ≤ N ≤ 100000); the tables are
named ``prefix`` + the number 1…N zero-padded to N's width. Reply 201: ``{"status": "OK", "count":
N, "first": "<name>", "last": "<name>"}``; errors as AI Lake problem documents (400 bad body or
name, 401, 404 no such instance or table, 409 a name taken), nothing made.

``POST /_sandbox/clock`` (Basic auth as the FE user) moves the sandbox's time forward (see clock.py):
request ``{"advance": SECONDS}`` (a number, 0 or more). Before answering, everything that fell due
is done: transactions past their timeout aborted, Huawei jobs completed and applied, AI Lake
operations carried out, pipes polled. Reply 200: ``{"status": "OK", "offset": <seconds ahead of the
wall clock>, "now": "<the sandbox's time, ISO 8601 UTC>"}``; ``GET`` answers the same without moving
it. 400 ``{"status": "FAILED", "msg": …}`` for a bad body, 401 without the FE user's credentials,
415 for a body that is not JSON.

The cluster's nodes (Basic auth as the FE user; a POST takes a JSON body, 415 otherwise; 400 with a
reason for a bad one, and nothing changes). These are served on every BE's address too, so that a
stopped FE can be started again:

- ``GET /_sandbox/backends``: ``{"status": "OK", "backends": [<backend>, …]}`` where a backend is
  ``{"id", "url", "advertised", "running", "alive", "disks": [{"path", "path_hash", "total_bytes",
  "avail_bytes", "data_used_bytes", "used_pct"}]}`` (``alive``: what the FE's heartbeats say);
- ``POST /_sandbox/backends/{id}`` ``{"action": "stop"}`` / ``{"action": "start"}``: the BE's process
  ends (its port refuses connections, the transactions it runs are lost) or starts again; the FE
  notices at its heartbeats (every 5 s of the sandbox's clock; dead after 3 more failed ones);
  ``{"disk_used_pct": 96}`` (optionally ``"path"``, default the BE's first disk): fill the disk to
  that share with files other than StarRocks data (0 empties it of them); answers the backend;
- ``GET /_sandbox/frontend``, ``POST /_sandbox/frontend`` ``{"action": "stop"|"start"}``: the FE's
  address (every service on it) refuses connections until started again (from a BE's address);
  a restarted FE starts its counters again.

``GET /_sandbox/workload``, ``POST /_sandbox/workload`` ``{"qps": 5, "error_rate": 0.02, "p99_ms":
120}`` (any of the three; the others stay): the background queries the FE counts as if clients sent
them (query counters, latency summaries, the BEs' scans); ``{"qps": 0}`` stops them. Answers
``{"status": "OK", "qps", "error_rate", "p99_ms"}``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import duckdb
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .ailake import api as lakeapi
from .app import FE_KEY
from .engine import EngineError, TableDef, quote_ident
from .http import NOT_JSON, is_json, json_response
from .starrocks import auth, ddl
from .starrocks import sql as sqlapi
from .starrocks.cluster import Backend

if TYPE_CHECKING:
    from .app import Sandbox

MAX_ROWS = 100_000  # rows an admin query returns at most
MAX_COPIES = 100_000  # pipe tables one copy request makes at most
MAX_QPS = 10_000.0
MAX_P99_MS = 600_000.0


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class AdminError(Exception):
    def __init__(self, message: str, code: int, index: int, results: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.index = index
        self.results = results


class Admin:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/_sandbox/sql", self.sql, methods=["POST"]),
            Route("/_sandbox/ailake/pipe-tables/copy", self.copy_pipe_tables, methods=["POST"]),
            Route("/_sandbox/clock", self.clock, methods=["GET", "POST"]),
            Route("/_sandbox/workload", self.workload, methods=["GET", "POST"]),
            *self.node_routes(FE_KEY),
        ]

    def node_routes(self, via: str | int | None = None) -> list[BaseRoute]:
        """The node switches; ``via``: the listener (FE_KEY or a BE's id) the routes are served on,
        so that a node asked to stop by a request it carries answers before it goes."""

        async def backends(request: Request) -> Response:
            return await self._guarded(request, lambda body: self._list_backends())

        async def backend(request: Request) -> Response:
            return await self._guarded(request, lambda body: self._backend_switch(request, body, via))

        async def frontend(request: Request) -> Response:
            return await self._guarded(request, lambda body: self._frontend_switch(body, via))

        return [
            Route("/_sandbox/backends", backends, methods=["GET"]),
            Route("/_sandbox/backends/{id}", backend, methods=["GET", "POST"]),
            Route("/_sandbox/frontend", frontend, methods=["GET", "POST"]),
        ]

    async def _guarded(self, request: Request, work: Any) -> Response:
        """Auth, the JSON body of a POST, and the switch's answer or its refusal."""
        if auth.check(self.sb.config, request) is None:
            return auth.fe_unauthorized(request)
        body: dict[str, Any] | None = None
        if request.method == "POST":
            if not is_json(request):
                return json_response({"status": "FAILED", "msg": NOT_JSON}, status=415)
            try:
                parsed = json.loads(await request.body() or b"{}")
            except ValueError:
                return json_response({"status": "FAILED", "msg": "Malformed JSON body"}, status=400)
            if not isinstance(parsed, dict):
                refusal = {"status": "FAILED", "msg": "The body must be a JSON object"}
                return json_response(refusal, status=400)
            body = parsed
        try:
            answer = await work(body)
        except _BadRequest as e:
            return json_response({"status": "FAILED", "msg": e.message}, status=e.status)
        return json_response({"status": "OK", **answer})

    # -- nodes ------------------------------------------------------------------------------------
    def _describe(self, be: Backend) -> dict[str, Any]:
        cluster = self.sb.cluster
        return {
            "id": be.id,
            "url": be.url,
            "advertised": be.advertised,
            "running": be.running,
            "alive": cluster.alive(be, self.sb.clock.ms()),
            "disks": [
                {
                    "path": d.path,
                    "path_hash": d.path_hash,
                    "total_bytes": d.total,
                    "avail_bytes": d.avail,
                    "data_used_bytes": d.data_used,
                    "used_pct": round(d.used_fraction * 100, 2),
                }
                for d in be.disks
            ],
        }

    async def _list_backends(self) -> dict[str, Any]:
        return {"backends": [self._describe(be) for be in self.sb.cluster.backends]}

    def _find_backend(self, raw: str) -> Backend:
        ids = ", ".join(str(b.id) for b in self.sb.cluster.backends)
        be = self.sb.cluster.backend(int(raw)) if raw.isdigit() else None
        if be is None:
            raise _BadRequest(f"No backend {raw}: the backends are {ids}", 404)
        return be

    async def _backend_switch(
        self, request: Request, body: dict[str, Any] | None, via: str | int | None
    ) -> dict[str, Any]:
        be = self._find_backend(request.path_params["id"])
        if body is None:
            return {"backend": self._describe(be)}
        if set(body) == {"action"}:
            action = body["action"]
            if action == "stop":
                if be.id == via:
                    # Asked through its own address: it answers, then goes.
                    self.sb.cluster.stop_backend(be, self.sb.clock.ms())
                    await self.sb.listeners[be.id].stop(wait=False)
                else:
                    await self.sb.stop_backend(be)
            elif action == "start":
                try:
                    await self.sb.start_backend(be)
                except OSError as e:  # its port was taken while it was stopped
                    raise _BadRequest(f"Backend {be.id} cannot listen on {be.url} again: {e}", 409) from e
            else:
                raise _BadRequest('"action" must be "stop" or "start"')
            return {"backend": self._describe(be)}
        if "disk_used_pct" in body and set(body) <= {"disk_used_pct", "path"}:
            pct = body["disk_used_pct"]
            if isinstance(pct, bool) or not isinstance(pct, int | float) or not 0 <= pct <= 100:
                raise _BadRequest('"disk_used_pct" must be a number from 0 to 100')
            path = body.get("path", be.disks[0].path)
            disk = next((d for d in be.disks if d.path == path), None)
            if disk is None:
                paths = ", ".join(d.path for d in be.disks)
                raise _BadRequest(f"Backend {be.id} has no disk {path!r}; its disks: {paths}")
            with self.sb.cluster.lock:
                disk.fill_to(float(pct))
            return {"backend": self._describe(be)}
        raise _BadRequest(
            'The body must be {"action": "stop"|"start"} or {"disk_used_pct": PERCENT[, "path": PATH]}'
        )

    async def _frontend_switch(self, body: dict[str, Any] | None, via: str | int | None) -> dict[str, Any]:
        if body is not None:
            action = body.get("action") if set(body) == {"action"} else None
            if action == "stop":
                await self.sb.stop_frontend(wait=via != FE_KEY)
            elif action == "start":
                try:
                    await self.sb.start_frontend()
                except OSError as e:  # its port was taken while it was stopped
                    raise _BadRequest(f"The FE cannot listen on {self.sb.fe_url} again: {e}", 409) from e
            else:
                raise _BadRequest('The body must be {"action": "stop"} or {"action": "start"}')
        return {"frontend": {"url": self.sb.fe_url, "running": self.sb.cluster.fe_running}}

    # -- the workload -----------------------------------------------------------------------------
    async def workload(self, request: Request) -> Response:
        return await self._guarded(request, self._workload)

    async def _workload(self, body: dict[str, Any] | None) -> dict[str, Any]:
        activity = self.sb.starrocks.activity
        current = activity.workload.describe()
        if body is None:
            return current
        if not body or not set(body) <= {"qps", "error_rate", "p99_ms"}:
            raise _BadRequest('The body must be {"qps": N, "error_rate": R, "p99_ms": MS} (any of them)')
        limits = {"qps": (0.0, MAX_QPS), "error_rate": (0.0, 1.0), "p99_ms": (0.001, MAX_P99_MS)}
        merged = dict(current)
        for key, value in body.items():
            low, high = limits[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                raise _BadRequest(f'"{key}" must be a number from {low:g} to {high:g}')
            merged[key] = float(value)
        return activity.set_workload(merged["qps"], merged["error_rate"], merged["p99_ms"])

    async def clock(self, request: Request) -> Response:
        if auth.check(self.sb.config, request) is None:
            return auth.fe_unauthorized(request)
        if request.method == "POST":
            if not is_json(request):
                return json_response({"status": "FAILED", "msg": NOT_JSON}, status=415)
            try:
                body = json.loads(await request.body() or b"{}")
            except ValueError:
                return json_response({"status": "FAILED", "msg": "Malformed JSON body"}, status=400)
            step = body.get("advance") if isinstance(body, dict) and set(body) == {"advance"} else None
            if isinstance(step, bool) or not isinstance(step, int | float):
                return json_response(
                    {"status": "FAILED", "msg": 'The body must be {"advance": SECONDS}'}, status=400
                )
            try:
                await self.sb.advance_clock(step if isinstance(step, float) else _as_float(step))
            except ValueError as e:
                return json_response({"status": "FAILED", "msg": str(e)}, status=400)
        clock = self.sb.clock
        now = datetime.fromtimestamp(clock.now(), UTC).isoformat(timespec="milliseconds")
        return json_response({"status": "OK", "offset": clock.offset, "now": now.replace("+00:00", "Z")})

    async def copy_pipe_tables(self, request: Request) -> Response:
        try:
            lakeapi.check_token(request, self.sb.config.ailake_token)
            body = await lakeapi.json_body(request)
            instance, table, prefix = (body.get(k) for k in ("instance", "table", "prefix"))
            count = body.get("count")
            if not all(isinstance(v, str) and v for v in (instance, table, prefix)):
                raise lakeapi.ApiError(400, "'instance', 'table' and 'prefix' must be non-empty strings.")
            if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COPIES:
                raise lakeapi.ApiError(400, f"'count' must be an integer from 1 to {MAX_COPIES}.")
            width = len(str(count))
            names = [f"{prefix}{i:0{width}d}" for i in range(1, count + 1)]
            await self.sb.store.run(self.sb.ailake.copy_pipe_table, instance, table, names)
        except lakeapi.ApiError as e:
            return lakeapi.problem(e.status, e.detail)
        made = {"status": "OK", "count": count, "first": names[0], "last": names[-1]}
        return json_response(made, status=201)

    async def sql(self, request: Request) -> Response:
        if auth.check(self.sb.config, request) is None:
            return auth.fe_unauthorized(request)
        if not is_json(request):
            return json_response({"status": "FAILED", "code": 1064, "msg": NOT_JSON}, status=415)
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return json_response({"status": "FAILED", "code": 1064, "msg": "Malformed JSON body"}, status=400)
        if not isinstance(body, dict) or not isinstance(body.get("sql"), str) or not body["sql"].strip():
            return json_response({"status": "FAILED", "code": 1065, "msg": "Query was empty"}, status=400)
        db = body.get("db")
        if db is not None and not isinstance(db, str):
            return json_response({"status": "FAILED", "code": 1064, "msg": "db must be a string"}, status=400)
        try:
            results = await self.sb.store.run(self.run_script, body["sql"], db or None)
        except AdminError as e:
            return json_response(
                {
                    "status": "FAILED",
                    "code": e.code,
                    "msg": e.message,
                    "statementIndex": e.index,
                    "results": e.results,
                },
                status=400,
            )
        return json_response({"status": "OK", "results": results})

    # -- execution (worker thread) ------------------------------------------------------------
    def run_script(self, script: str, db: str | None) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        try:
            statements = ddl.split_statements(script)
        except EngineError as e:
            raise AdminError(e.message, e.code, 0, results) from e
        for index, (text, _) in enumerate(statements):
            try:
                result, db = self.run_one(text, db)
            except (EngineError, sqlapi.SqlError) as e:
                raise AdminError(e.message, e.code, index, results) from e
            results.append(result)
        return results

    def run_one(self, text: str, db: str | None) -> tuple[dict[str, Any], str | None]:
        eng = self.sb.engine
        stmt = ddl.parse(text)
        if isinstance(stmt, ddl.CreateDatabase):
            eng.create_database(stmt.name, stmt.if_not_exists)
            return {"statement": "CREATE DATABASE", "rowsAffected": 0}, db
        if isinstance(stmt, ddl.DropDatabase):
            eng.drop_database(stmt.name, stmt.if_exists)
            self.sb.starrocks.pipes.drop_database(stmt.name)
            return {"statement": "DROP DATABASE", "rowsAffected": 0}, db
        if isinstance(stmt, ddl.CreateTable):
            stmt.table.db = stmt.table.db or _need_db(db)
            eng.create_table(stmt.table, stmt.if_not_exists)
            return {"statement": "CREATE TABLE", "rowsAffected": 0}, db
        if isinstance(stmt, ddl.DropTable):
            tdb = stmt.db or _need_db(db)
            eng.require_database(tdb)
            eng.drop_table(tdb, stmt.name, stmt.if_exists)
            return {"statement": "DROP TABLE", "rowsAffected": 0}, db
        if isinstance(stmt, ddl.TruncateTable):
            eng.truncate(stmt.db or _need_db(db), stmt.name)
            return {"statement": "TRUNCATE TABLE", "rowsAffected": 0}, db
        if isinstance(stmt, ddl.Insert):
            return {"statement": "INSERT", "rowsAffected": self.insert(stmt, db)}, db
        if isinstance(stmt, ddl.Use):
            eng.require_database(stmt.db)
            return {"statement": "USE", "db": stmt.db}, stmt.db
        words = ddl.leading_words(text, 1)
        if words and words[0] == "SET":
            return {"statement": "SET", "rowsAffected": 0}, db
        ex = sqlapi.executor(self.sb)
        classified = sqlapi.classify(text)
        if db is not None:
            ex.require_db(db)
        if classified.kind == "show":
            shown = ex.show(classified.sql, db, None)
            meta = [{"name": n, "type": t} for n, t in shown.columns]
            return {"statement": "SHOW", "meta": meta, "data": shown.rows}, db
        if classified.kind == "explain":
            return {"statement": "EXPLAIN", "explain": ex.explain(classified.body, db)}, db
        if classified.kind == "query":
            q = ex.open_query(classified.sql, db)
            try:
                data: list[list[Any]] = []
                while len(data) < MAX_ROWS:
                    batch = q.fetch_values(min(sqlapi.BATCH_ROWS, MAX_ROWS - len(data)))
                    if not batch:
                        break
                    data.extend(batch)
            except duckdb.Error as e:
                raise ex.map_error(e, classified.sql, None, db) from e
            finally:
                q.close()
            return {"statement": "SELECT", "meta": q.meta, "data": data}, db
        if classified.kind == "kill":
            raise EngineError("KILL is for the HTTP SQL API's connections; send it there", 1064)
        word = words[0] if words else text.strip().split(" ", 1)[0].upper()
        raise EngineError(f"The sandbox does not run {word} statements", 1064)

    def insert(self, stmt: ddl.Insert, db: str | None) -> int:
        eng = self.sb.engine
        tdb = stmt.db or _need_db(db)
        td = eng.require_table(tdb, stmt.name)
        names = stmt.columns or [c.name for c in td.columns]
        cols = []
        for n in names:
            col = td.column(n)
            if col is None:
                raise EngineError(f"Unknown column '{n}' in '{td.name}'", 1054)
            cols.append(col)
        ex = sqlapi.executor(self.sb)
        if stmt.rows is not None:
            for i, row in enumerate(stmt.rows, 1):
                if len(row) != len(cols):
                    raise EngineError(f"Column count doesn't match value count at row {i}", 1136)
            aliases = ", ".join(f"c{i}" for i in range(len(cols)))
            values = ", ".join("(" + ", ".join(r) + ")" for r in stmt.rows)
            tr = ex.translate(f"SELECT * FROM (VALUES {values}) AS v({aliases})", tdb)
        else:
            assert stmt.query is not None
            tr = ex.translate(stmt.query, tdb)
        provided = {c.name.lower(): i for i, c in enumerate(cols)}
        select = []
        for c in td.columns:
            duck = c.sr_type.duckdb
            if c.name.lower() in provided:
                select.append(f"CAST(src.{quote_ident('c' + str(provided[c.name.lower()]))} AS {duck})")
            elif c.default == "CURRENT_TIMESTAMP":
                select.append(f"CAST(now() AS {duck})")  # the sandbox's clock (sql.clock_macro)
            elif c.default is not None:
                select.append(f"CAST({sqlapi._sql_str(c.default)} AS {duck})")
            elif not c.nullable:
                raise EngineError(f"'{c.name}' must be explicitly mentioned in column permutation", 1064)
            else:
                select.append(f"CAST(NULL AS {duck})")
        src_aliases = ", ".join(quote_ident(f"c{i}") for i in range(len(cols)))
        source = f"SELECT {', '.join(select)} FROM (SELECT * FROM ({tr.sql}) s0) AS src({src_aliases})"
        # Within one INSERT the later of two rows with the same primary/unique key wins, as in StarRocks.
        ordered = f"SELECT *, row_number() OVER () AS __seq FROM ({source}) s1"
        cur = self.sb.store.new_cursor()
        try:
            ex._prepare_cursor(cur, tdb, tr.info_tables)
            try:
                width = len(cur.execute(f"SELECT * FROM ({tr.sql}) LIMIT 0").description or [])
            except duckdb.Error as e:
                raise ex.map_error(e, stmt.query or "", tr, tdb) from e
            if width != len(cols):
                raise EngineError("Column count doesn't match value count", 1136)
            self._check_filtered(cur, td, source)
            cur.execute("BEGIN TRANSACTION")
            try:
                if stmt.overwrite:
                    cur.execute(f"DELETE FROM {quote_ident(td.db)}.{quote_ident(td.name)}")
                added = eng.merge(cur, td, ordered)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            # An INSERT is a load job of the FE, its rows written on the BEs holding the table.
            activity = self.sb.starrocks.activity
            activity.job_finished("INSERT")
            activity.published(td, added * len(td.columns) * 8)
            return added
        except duckdb.Error as e:
            raise EngineError(_duck_message(e), 1064) from e
        finally:
            cur.close()

    @staticmethod
    def _check_filtered(cur: duckdb.DuckDBPyConnection, td: TableDef, source: str) -> None:
        """StarRocks' INSERT runs in strict mode: a NULL for a NOT NULL column or a string longer
        than its column fails the whole statement."""
        checks = []
        for i, c in enumerate(td.columns):
            ref = quote_ident(f"v{i}")
            if not c.nullable:
                checks.append(f"{ref} IS NULL")
            limit = c.sr_type.max_bytes
            if limit is not None:
                checks.append(f"strlen(CAST({ref} AS VARCHAR)) > {limit}")
        if not checks:
            return
        aliases = ", ".join(quote_ident(f"v{i}") for i in range(len(td.columns)))
        try:
            row = cur.execute(
                f"SELECT count(*) FROM ({source}) t({aliases}) WHERE {' OR '.join(checks)}"
            ).fetchone()
        except duckdb.Error as e:
            raise EngineError(_duck_message(e), 1064) from e
        if row and row[0]:
            raise EngineError("Insert has filtered data in strict mode", 1064)


def _as_float(n: int) -> float:
    try:
        return float(n)
    except OverflowError:
        return float("inf")  # refused by the clock as any step too large


def _need_db(db: str | None) -> str:
    if not db:
        raise EngineError("No database selected", 1046)
    return db


def _duck_message(e: duckdb.Error) -> str:
    first = str(e).split("\n", 1)[0]
    return first.split("Error: ", 1)[-1]
