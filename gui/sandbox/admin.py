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
from .engine import EngineError, TableDef, quote_ident
from .http import NOT_JSON, is_json, json_response
from .starrocks import auth, ddl
from .starrocks import sql as sqlapi

if TYPE_CHECKING:
    from .app import Sandbox

MAX_ROWS = 100_000  # rows an admin query returns at most
MAX_COPIES = 100_000  # pipe tables one copy request makes at most


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
        ]

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
