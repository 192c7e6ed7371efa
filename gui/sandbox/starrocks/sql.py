"""The FE's HTTP SQL API (``POST /api/v1/catalogs/{catalog}[/databases/{db}]/sql``).

Behaviour follows the FE's ExecuteSqlAction, HttpResultSender and JsonSerializer and the BE's
HttpResultWriter:
- only SELECT (and EXPLAIN of one), SHOW/DESC and KILL; one statement per request;
- a query answers ``application/x-ndjson`` in chunks: ``{"connectionId":n}``, ``{"meta":[…]}``, one
  ``{"data":[…]}`` per row, ``{"statistics":{…}}``; SHOW/DESC answer one JSON object (meta, data as
  objects keyed by column, statistics) and EXPLAIN ``{"explain":"…"}``; KILL an empty 200;
- failures before any data is sent are RestBaseResult JSON (``status``/``code``/``msg``/``message``)
  with HTTP 403 (catalog or database), 500 (everything else, including refused statements: the FE
  wraps its own 400s in a 500), 401 from the auth check; a failure after rows were sent closes the
  connection mid-stream.

Queries run in DuckDB: a StarRocks database is a DuckDB schema. The text is translated token by
token (backquotes, MySQL string literals, ``default_catalog.`` prefixes, ``TABLE(fn(...))``) and the
sandbox's own schemas stay invisible.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import difflib
import fnmatch
import itertools
import json
import math
import re
import threading
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from ..clock import Clock
from ..engine import SrType, TableDef, quote_ident
from ..http import NOT_JSON, is_json
from ..store import META_SCHEMA, STAGING_SCHEMA
from . import auth, ddl
from . import metric_names as mn
from .cluster import CPU_CORES, MEM_LIMIT_BYTES
from .tablets import PARTITION_TITLES, TABLET_TITLES, Tablets
from .txn import ABORTED, COMMITTED, PREPARED, RUNNING, VISIBLE, Txn, TxnRecords

if TYPE_CHECKING:
    from ..app import Sandbox

CONTENT_TYPE = "application/x-ndjson; charset=utf-8"
CATALOG = "default_catalog"
FE_VERSION = "3.3.9-sandbox"
BATCH_ROWS = 4096
# How long an idle HTTP connection keeps its connection id (and shows as Sleep in SHOW PROCESSLIST).
# The FE drops it when the channel closes, which an ASGI app cannot see; httpx closes idle pooled
# connections after 5 s, so a longer wait would mostly list connections that are gone.
KEEPALIVE_S = 5.0
NAME_CHAR_LEN = 2048
FE_EDIT_LOG_PORT = 9010
FE_QUERY_PORT = 9030
FE_RPC_PORT = 9020

_HIDDEN_SCHEMAS = {META_SCHEMA, STAGING_SCHEMA, "main", "pg_catalog", "system", "temp", "sandbox", "memory"}
_BLOCKED_FUNCTION_PREFIXES = (
    "read_",
    "duckdb_",
    "pragma_",
    "sqlite_",
    "parquet_",
    "iceberg_",
    "delta_",
    "json_read",
)
_BLOCKED_FUNCTIONS = {
    "glob", "query", "query_table", "getenv", "current_setting", "which_secret", "sniff_csv", "checkpoint",
    "force_checkpoint", "load_aws_credentials", "getvariable", "set_variable",
}  # fmt: skip
# StarRocks' table functions the sandbox runs (DuckDB has them with the same meaning).
_TABLE_FUNCTIONS = frozenset({"unnest", "generate_series", "json_each"})
_duck_table_names: frozenset[str] | None = None
# Words that a "(" may follow without making a call.
_NOT_FUNCTIONS = {
    "IN", "VALUES", "AS", "OVER", "EXISTS", "ON", "USING", "FROM", "JOIN", "AND", "OR", "NOT", "SELECT",
    "WITH", "LATERAL", "ALL", "ANY", "SOME", "WHERE", "HAVING", "WHEN", "THEN", "ELSE", "CASE", "BY",
    "UNION", "EXCEPT", "INTERSECT", "IS", "LIKE", "BETWEEN", "ARRAY", "MAP", "STRUCT", "ROW", "DISTINCT",
    "RECURSIVE", "LIMIT", "OFFSET", "INTERVAL", "FILTER", "WITHIN", "PARTITION", "ORDER", "QUALIFY",
    "WINDOW", "RETURNS", "INTO",
}  # fmt: skip
_CLAUSE_WORDS = {
    "WHERE", "GROUP", "ORDER", "HAVING", "LIMIT", "ON", "USING", "UNION", "EXCEPT", "INTERSECT",
    "WINDOW", "QUALIFY", "SELECT", "OFFSET",
}  # fmt: skip
_FROM_FUNCTIONS = ("EXTRACT", "TRIM", "SUBSTRING", "SUBSTR", "POSITION", "OVERLAY")
_REFUSED = {
    "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "TRUNCATE", "SET", "USE", "GRANT", "REVOKE",
    "ADMIN", "LOAD", "BEGIN", "START", "COMMIT", "ROLLBACK", "ANALYZE", "REFRESH", "CANCEL", "PAUSE",
    "RESUME", "STOP", "SUBMIT", "INSTALL", "UNINSTALL", "RECOVER", "BACKUP", "RESTORE", "EXPORT",
    "EXECUTE", "PREPARE", "DEALLOCATE", "UNSET", "CLEAN", "SYNC", "CALL", "CACHE", "ADD", "REPLACE",
    "OPTIMIZE", "TRACE", "UPSERT", "MERGE",
}  # fmt: skip


# -- errors and small helpers ---------------------------------------------------------------------


class SqlError(Exception):
    """A failure answered before any data: ``status`` is the HTTP status, ``code`` the MySQL errno."""

    def __init__(self, message: str, status: int = 500, code: int = 1064) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


def error_body(message: str) -> dict[str, str]:
    """RestBaseResult(msg) as the FE's Gson writes it."""
    return {"status": "FAILED", "code": "1", "msg": message, "message": message}


def error_response(message: str, status: int) -> Response:
    text = json.dumps(error_body(message), ensure_ascii=False, separators=(",", ":"))
    return Response(text, status_code=status, media_type=CONTENT_TYPE)


def byte_string(n: int) -> str:
    """DebugUtil.getByteUint with DECIMAL_FORMAT_SCALE_3, as SHOW BACKENDS writes capacities."""
    for unit, size in (("TB", 1024**4), ("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.3f} {unit}"
    return f"{float(n):.3f} B"


def journal_id(sb: Sandbox) -> int:
    return int(sb.starrocks.activity.journal_id)


def time_string(ms: int | float | None) -> str:
    """TimeUtils.longToTimeString: local ``yyyy-MM-dd HH:mm:ss``, or ``NULL`` for unset times."""
    if not ms or ms <= 0:
        return "NULL"
    return dt.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def analysis_error(detail: str, sql: str | None = None, pos: int | None = None) -> SqlError:
    if sql is not None and pos is not None and pos >= 0:
        line, col = ddl.line_col(sql, pos)
        return SqlError(f"Getting analyzing error at line {line}, column {col}. Detail message: {detail}.")
    return SqlError(f"Getting analyzing error. Detail message: {detail}.")


# -- cluster identity -----------------------------------------------------------------------------


@dataclass
class ClusterInfo:
    start_ms: int
    cluster_id: int
    token: str


_clusters: weakref.WeakKeyDictionary[Sandbox, ClusterInfo] = weakref.WeakKeyDictionary()


def cluster_info(sb: Sandbox) -> ClusterInfo:
    """The FE's identity: start time (this process), cluster id and token (kept across restarts)."""
    info = _clusters.get(sb)
    if info is None:
        with sb.store.lock:
            doc = sb.store.get("cluster", "fe")
            if doc is None:
                doc = {"cluster_id": 100000000 + uuid.uuid4().int % 900000000, "token": str(uuid.uuid4())}
                sb.store.put("cluster", "fe", doc)
        info = ClusterInfo(sb.clock.ms(), int(doc["cluster_id"]), str(doc["token"]))
        _clusters[sb] = info
    return info


def host_port(url_or_addr: str, default_port: int) -> tuple[str, int]:
    addr = url_or_addr.split("://", 1)[-1].rstrip("/")
    host, _, port = addr.rpartition(":")
    if not host:
        return addr.strip("[]") or "127.0.0.1", default_port
    try:
        return host.strip("[]"), int(port)
    except ValueError:
        return addr, default_port


# -- result values --------------------------------------------------------------------------------

_INT_SQL = {
    "TINYINT": "tinyint(4)",
    "SMALLINT": "smallint(6)",
    "INT": "int(11)",
    "BIGINT": "bigint(20)",
    "LARGEINT": "largeint(40)",
}


def type_to_sql(t: SrType) -> str:
    """Type.toSql(): how the FE names a column's type in ``meta``."""
    if t.name in _INT_SQL:
        return _INT_SQL[t.name]
    if t.name == "DECIMAL":
        width = "decimal32" if t.precision <= 9 else "decimal64" if t.precision <= 18 else "decimal128"
        return f"{width}({t.precision}, {t.scale})"
    if t.name in ("CHAR", "VARCHAR"):
        return f"{t.name.lower()}({t.precision})"
    if t.name == "STRING":
        return "varchar(65533)"
    if t.name == "ARRAY":
        assert t.item is not None
        return f"array<{type_to_sql(t.item)}>"
    return t.name.lower()


def type_canonical(t: SrType) -> str:
    """The type as DESC and SHOW CREATE TABLE print it (INT, VARCHAR(64), DECIMAL(12,2), ARRAY<INT>)."""
    if t.name == "DECIMAL":
        return f"DECIMAL({t.precision},{t.scale})"
    if t.name in ("CHAR", "VARCHAR"):
        return f"{t.name}({t.precision})"
    if t.name == "STRING":
        return "VARCHAR(65533)"
    if t.name == "ARRAY":
        assert t.item is not None
        return f"ARRAY<{type_canonical(t.item)}>"
    return t.name


_DUCK_SQL = {
    "BOOLEAN": "boolean",
    "TINYINT": "tinyint(4)",
    "UTINYINT": "smallint(6)",
    "SMALLINT": "smallint(6)",
    "USMALLINT": "int(11)",
    "INTEGER": "int(11)",
    "UINTEGER": "bigint(20)",
    "BIGINT": "bigint(20)",
    "UBIGINT": "largeint(40)",
    "HUGEINT": "largeint(40)",
    "UHUGEINT": "largeint(40)",
    "FLOAT": "float",
    "DOUBLE": "double",
    "DATE": "date",
    "TIMESTAMP": "datetime",
    "TIMESTAMP_S": "datetime",
    "TIMESTAMP_MS": "datetime",
    "TIMESTAMP_NS": "datetime",
    "TIMESTAMP WITH TIME ZONE": "datetime",
    "JSON": "json",
    "BLOB": "varbinary",
    "VARCHAR": "varchar(65533)",
    "UUID": "varchar(65533)",
    "TIME": "time",
}


def duck_type_to_sql(duck: str) -> str:
    duck = duck.strip()
    if duck.endswith("[]"):
        return f"array<{duck_type_to_sql(duck[:-2])}>"
    m = re.match(r"DECIMAL\((\d+),\s*(\d+)\)", duck)
    if m:
        return type_to_sql(SrType("DECIMAL", int(m.group(1)), int(m.group(2))))
    if duck.startswith("STRUCT") or duck.startswith("MAP"):
        return "json"
    return _DUCK_SQL.get(duck, "varchar(65533)")


def _plain(v: Any) -> Any:
    """A fetched DuckDB value as the BE writes it into JSON (velocypack)."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool):
        return 1 if v else 0  # BOOLEAN is a uint8 column in the BE
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, decimal.Decimal):
        return format(v, "f")  # DECIMAL is written as a string to keep its precision
    if isinstance(v, dt.datetime):
        text = v.strftime("%Y-%m-%d %H:%M:%S")
        return f"{text}.{v.microsecond:06d}" if v.microsecond else text
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (dt.time, dt.timedelta)):
        return str(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).decode("utf-8", "replace")
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, uuid.UUID):
        return str(v)
    return str(v)


def _json_cell(v: Any) -> Any:
    """A JSON column is embedded as JSON, not as a string."""
    if v is None:
        return None
    if isinstance(v, str):
        try:
            return json.loads(v)
        except ValueError:
            return v
    return _plain(v)


def _largeint(v: Any) -> Any:
    return None if v is None else str(v)


def converter_for(duck: str) -> Callable[[Any], Any]:
    duck = duck.strip()
    if duck == "JSON":
        return _json_cell
    if duck in ("HUGEINT", "UHUGEINT", "UBIGINT"):
        return _largeint  # LARGEINT cells are written as strings, whatever their size
    return _plain


def data_line(cells: Iterable[Any]) -> str:
    """One row as HttpResultWriter writes it: the outer object by hand, each cell by velocypack."""
    parts = [json.dumps(c, ensure_ascii=False, separators=(", ", ": ")) for c in cells]
    return '{"data":[' + ",".join(parts) + "]}\n"


def compact(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


@dataclass
class ShowResult:
    """A SHOW/DESC result: every value is a string (or None), every column typed ``varchar(n)``-ish."""

    columns: list[tuple[str, str]]
    rows: list[list[str | None]]

    def to_json(self) -> str:
        """JsonSerializer.getShowResult: one object, no trailing newline."""
        names = [c[0] for c in self.columns]
        data = []
        for row in self.rows:
            data.append({name: (None if v is None else str(v)) for name, v in zip(names, row, strict=False)})
        body = {
            "meta": [{"name": n, "type": t} for n, t in self.columns],
            "data": data,
            "statistics": {"scanRows": 0, "scanBytes": 0, "returnRows": len(self.rows)},
        }
        return compact(body)

    def as_objects(self) -> list[dict[str, str | None]]:
        names = [c[0] for c in self.columns]
        return [dict(zip(names, row, strict=False)) for row in self.rows]


def _vc(names: Iterable[str], width: int = 30) -> list[tuple[str, str]]:
    return [(n, f"varchar({width})") for n in names]


# -- connections (SHOW PROCESSLIST / KILL) --------------------------------------------------------


@dataclass
class Session:
    id: int
    user: str
    host: str  # client ip:port
    db: str
    connected_ms: int
    command: str = "Sleep"
    query_start_ms: int = 0
    sql: str = ""
    query_id: str = ""
    killed: bool = False
    # On the real clock, not the sandbox's: it follows the client's connection, a real socket.
    last_used: float = field(default_factory=time.monotonic)
    cursor: duckdb.DuckDBPyConnection | None = None
    # A MySQL-protocol connection: listed until it closes (not expired when idle), and told when a
    # KILL names it (True: the connection, False: its query).
    pinned: bool = False
    on_kill: Callable[[bool], None] | None = None
    # Set by the query_timeout timer of the running statement.
    timed_out: bool = False
    # The request's sessionVariables (HTTP SQL API): the FE sets them on the request's context.
    variables: dict[str, str] = field(default_factory=dict)


class Sessions:
    """HTTP SQL connections: one id per client connection (reused over keep-alive), as the FE
    registers one ConnectContext per channel."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._by_id: dict[int, Session] = {}
        self._by_addr: dict[str, int] = {}
        self._ids = itertools.count(1)

    def _expire(self) -> None:
        limit = time.monotonic() - KEEPALIVE_S
        for sid, s in list(self._by_id.items()):
            if s.command == "Sleep" and s.last_used < limit and not s.pinned:
                del self._by_id[sid]
                self._by_addr.pop(s.host, None)

    def open(self, user: str, addr: str, db: str) -> Session:
        with self._lock:
            self._expire()
            sid = self._by_addr.get(addr)
            s = self._by_id.get(sid) if sid is not None else None
            if s is None or s.command != "Sleep" or s.killed:
                s = Session(next(self._ids), user, addr, db, self._clock.ms())
                self._by_id[s.id] = s
                self._by_addr[addr] = s.id
            s.db = db
            s.user = user
            return s

    def register(self, user: str, addr: str, db: str, on_kill: Callable[[bool], None]) -> Session:
        """A connection of the MySQL protocol: its id comes from the same counter as the HTTP
        connections', as the FE's ConnectScheduler numbers both."""
        with self._lock:
            s = Session(next(self._ids), user, addr, db, self._clock.ms(), pinned=True, on_kill=on_kill)
            self._by_id[s.id] = s
            return s

    def close(self, s: Session) -> None:
        with self._lock:
            self._by_id.pop(s.id, None)

    def start(self, s: Session, sql: str) -> None:
        with self._lock:
            s.command = "Query"
            s.sql = sql
            s.query_start_ms = self._clock.ms()
            s.query_id = str(uuid.uuid4())
            s.last_used = time.monotonic()

    def finish(self, s: Session) -> None:
        with self._lock:
            s.command = "Sleep"
            s.cursor = None
            s.last_used = time.monotonic()
            if s.killed:
                self._by_id.pop(s.id, None)
                if self._by_addr.get(s.host) == s.id:
                    del self._by_addr[s.host]

    def list(self) -> list[Session]:
        with self._lock:
            self._expire()
            return sorted(self._by_id.values(), key=lambda s: s.id)

    def get(self, sid: int) -> Session | None:
        with self._lock:
            return self._by_id.get(sid)

    def running(self) -> int:
        with self._lock:
            return sum(1 for s in self._by_id.values() if s.command == "Query")

    def count(self) -> int:
        with self._lock:
            self._expire()
            return len(self._by_id)

    def kill(self, sid: int, connection: bool = True) -> bool:
        with self._lock:
            s = self._by_id.get(sid)
            if s is None:
                return False
            s.killed = s.killed or connection
            cur = s.cursor
        if s.on_kill is not None:
            s.on_kill(connection)
            return True
        if cur is not None:
            try:
                cur.interrupt()
            except duckdb.Error:
                pass
        if s.command == "Sleep" and connection:
            with self._lock:
                self._by_id.pop(sid, None)
                if self._by_addr.get(s.host) == sid:
                    del self._by_addr[s.host]
        return True


# -- session variables ----------------------------------------------------------------------------

SESSION_VARIABLES: dict[str, str] = {
    "autocommit": "true",
    "broadcast_row_limit": "15000000",
    "cbo_max_reorder_node": "50",
    "character_set_client": "utf8",
    "character_set_connection": "utf8",
    "character_set_results": "utf8",
    "character_set_server": "utf8",
    "collation_connection": "utf8_general_ci",
    "collation_database": "utf8_general_ci",
    "collation_server": "utf8_general_ci",
    "default_storage_engine": "olap",
    "enable_profile": "false",
    "enable_query_cache": "false",
    "enable_spill": "false",
    "exec_mem_limit": "2147483648",
    "forward_to_leader": "false",
    "init_connect": "",
    "insert_timeout": "14400",
    "interactive_timeout": "3600",
    "language": "/starrocks/share/english/",
    "load_mem_limit": "0",
    "lower_case_table_names": "0",
    "max_allowed_packet": "33554432",
    "net_buffer_length": "16384",
    "net_read_timeout": "60",
    "net_write_timeout": "60",
    "new_planner_optimize_timeout": "3000",
    "parallel_fragment_exec_instance_num": "1",
    "pipeline_dop": "0",
    "query_cache_size": "1048576",
    "query_mem_limit": "0",
    "query_timeout": "300",
    "resource_group": "",
    "sql_mode": "ONLY_FULL_GROUP_BY",
    "sql_safe_updates": "0",
    "sql_select_limit": "9223372036854775807",
    "system_time_zone": "Asia/Shanghai",
    "time_zone": "Asia/Shanghai",
    "transaction_isolation": "REPEATABLE-READ",
    "tx_isolation": "REPEATABLE-READ",
    "tx_visible_wait_timeout": "10",
    "version": "8.0.33",
    "version_comment": f"StarRocks version {FE_VERSION}",
    "wait_timeout": "28800",
    "warehouse": "default_warehouse",
}


# Session variables whose values are integers (VariableMgr refuses anything else for them).
NUMERIC_VARIABLES = {
    "max_allowed_packet", "net_buffer_length", "net_read_timeout", "net_write_timeout", "query_timeout",
    "wait_timeout", "interactive_timeout", "sql_select_limit", "auto_increment_increment",
    "lower_case_table_names", "sql_safe_updates", "query_cache_size", "insert_timeout",
    "tx_visible_wait_timeout", "exec_mem_limit", "load_mem_limit", "query_mem_limit", "pipeline_dop",
    "parallel_fragment_exec_instance_num", "new_planner_optimize_timeout", "cbo_max_reorder_node",
    "broadcast_row_limit", "query_port",
}  # fmt: skip


def session_variable_value(name: str, value: str) -> str:
    """A session variable's value as VariableMgr.setSystemVariable checks it, for SET on the query
    port and the HTTP SQL API's ``sessionVariables`` alike; SqlError with the FE's number and text."""
    if name == "autocommit":
        low = value.lower()
        if low in ("1", "on", "true"):
            return "true"
        if low in ("0", "off", "false"):
            return "false"
        raise SqlError(f"Variable '{name}' can't be set to the value of '{value}'", code=1231)
    if name in NUMERIC_VARIABLES and not re.fullmatch(r"-?\d+", value):
        raise SqlError(f"Incorrect argument type to variable '{name}'", code=1232)
    if name == "query_timeout" and not 1 <= int(value) <= MAX_QUERY_TIMEOUT:
        # SessionVariable's query_timeout checker.
        raise SqlError(
            f"Variable '{name}' can't be set to the value of '{value}'"
            if int(value) <= 0
            else f"query_timeout exceeds the maximum value of {MAX_QUERY_TIMEOUT} seconds",
            code=1231,
        )
    return value


# SessionVariable.MAX_QUERY_TIMEOUT: 259200 s (three days).
MAX_QUERY_TIMEOUT = 259200


def check_session_variables(values: Any) -> dict[str, str]:
    """The HTTP SQL API's ``sessionVariables``: known names, values checked as SET checks them."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise SqlError("Expected a JSON object for sessionVariables")
    out: dict[str, str] = {}
    for key, value in values.items():
        name = str(key).lower()
        if name not in SESSION_VARIABLES:
            similar = difflib.get_close_matches(name, SESSION_VARIABLES.keys(), n=3, cutoff=0.0)
            hint = ", ".join(f"'{s}'" for s in similar)
            raise SqlError(f"Unknown system variable '{key}', the most similar variables are {{{hint}}}")
        text = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        out[name] = session_variable_value(name, text)
    return out


@dataclass
class Limits:
    """What a session's variables make of one query: when it times out, how many rows it returns."""

    timeout: int
    max_rows: int

    @classmethod
    def of(cls, lookup: Callable[[str], str | None]) -> Limits:
        def number(name: str) -> int:
            try:
                return int(lookup(name) or SESSION_VARIABLES[name])
            except ValueError:
                return int(SESSION_VARIABLES[name])

        return cls(number("query_timeout"), max(0, number("sql_select_limit")))

    def timeout_message(self) -> str:
        """The coordinator's text for a query past query_timeout (ERR_TIMEOUT, 5024)."""
        return (
            f"Query reached its timeout of {self.timeout} seconds, please increase the 'query_timeout' "
            "session variable and retry"
        )


TIMEOUT_CODE = 5024


def interrupt(session: Session) -> None:
    """Stop what a session's cursor runs (from another thread)."""
    cur = session.cursor
    if cur is not None:
        try:
            cur.interrupt()
        except duckdb.Error:
            pass


# -- statements -----------------------------------------------------------------------------------


@dataclass
class Classified:
    kind: str  # query | explain | show | kill
    sql: str  # the statement text (offsets as in the request)
    body: str = ""  # for explain: the query after EXPLAIN [options]


def classify(query: str) -> Classified:
    """Which statement the HTTP SQL API is asked to run; SqlError when it may not."""
    try:
        statements = ddl.split_statements(query)
    except ddl.SqlSyntaxError as e:
        raise SqlError(e.message) from e
    if not statements:
        raise SqlError('"query can not be empty"')
    if len(statements) > 1:
        raise SqlError("http query does not support execute multiple query")
    _, offset = statements[0]
    # The statement with its trailing ';' and the request's offsets (line breaks kept), so error
    # positions match the text sent.
    text = re.sub(r"[^\n]", " ", query[:offset]) + query[offset:]
    toks = ddl.tokenize(text)
    first = toks[0]
    word = first.value if first.kind == ddl.WORD else first.text
    if word in ("SELECT", "WITH", "("):
        return Classified("query", text)
    if word == "EXPLAIN":
        i = 1
        while i < len(toks) and toks[i].is_word("VERBOSE", "COSTS", "LOGICAL", "ANALYZE"):
            i += 1
        if i < len(toks) and (toks[i].is_word("SELECT", "WITH") or toks[i].text == "("):
            return Classified("explain", text, text[toks[i].pos :])
        if i < len(toks) and toks[i].kind == ddl.WORD and toks[i].value in _REFUSED:
            raise SqlError("http query only support SELECT, SHOW, EXPLAIN, DESC, KILL statement")
        bad = toks[i] if i < len(toks) else None
        raise SqlError(_syntax_message(text, bad))
    if word in ("SHOW", "DESC", "DESCRIBE", "HELP"):
        return Classified("show", text)
    if word == "KILL":
        return Classified("kill", text)
    if word in _REFUSED:
        return Classified("refused", text)
    raise SqlError(_syntax_message(text, first, "'SELECT', 'SHOW', 'EXPLAIN', 'DESC', 'KILL'"))


def _syntax_message(sql: str, tok: ddl.Token | None, expected: str = "<EOF>, ';'") -> str:
    if tok is None:
        pos = len(sql.rstrip())
        line, col = ddl.line_col(sql, pos)
        return (
            f"Getting syntax error at line {line}, column {col}. Detail message: Unexpected input '<EOF>', "
            f"the most similar input is {{a legal identifier}}."
        )
    line, col = ddl.line_col(sql, tok.pos)
    return (
        f"Getting syntax error at line {line}, column {col}. Detail message: Unexpected input '{tok.text}', "
        f"the most similar input is {{{expected}}}."
    )


# -- translation to DuckDB ------------------------------------------------------------------------


@dataclass
class Translation:
    sql: str
    tables: list[tuple[str, str]]  # (db, table) the query reads
    info_tables: set[str]  # information_schema tables it reads


INFO_TABLES: dict[str, list[tuple[str, str, str]]] = {
    # name -> [(column, DuckDB type, FE type)]
    "loads": [
        ("ID", "BIGINT", "bigint(20)"),
        ("LABEL", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("PROFILE_ID", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("DB_NAME", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("TABLE_NAME", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("USER", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("WAREHOUSE", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("STATE", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("PROGRESS", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("TYPE", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("PRIORITY", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("SCAN_ROWS", "BIGINT", "bigint(20)"),
        ("SCAN_BYTES", "BIGINT", "bigint(20)"),
        ("FILTERED_ROWS", "BIGINT", "bigint(20)"),
        ("UNSELECTED_ROWS", "BIGINT", "bigint(20)"),
        ("SINK_ROWS", "BIGINT", "bigint(20)"),
        ("RUNTIME_DETAILS", "JSON", "json"),
        ("CREATE_TIME", "TIMESTAMP", "datetime"),
        ("LOAD_START_TIME", "TIMESTAMP", "datetime"),
        ("LOAD_COMMIT_TIME", "TIMESTAMP", "datetime"),
        ("LOAD_FINISH_TIME", "TIMESTAMP", "datetime"),
        ("PROPERTIES", "JSON", "json"),
        ("ERROR_MSG", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("TRACKING_SQL", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("REJECTED_RECORD_PATH", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("JOB_ID", "BIGINT", "bigint(20)"),
    ],
    "schemata": [
        ("CATALOG_NAME", "VARCHAR", "varchar(512)"),
        ("SCHEMA_NAME", "VARCHAR", "varchar(32)"),
        ("DEFAULT_CHARACTER_SET_NAME", "VARCHAR", "varchar(32)"),
        ("DEFAULT_COLLATION_NAME", "VARCHAR", "varchar(32)"),
        ("SQL_PATH", "VARCHAR", "varchar(512)"),
    ],
    "tables": [
        ("TABLE_CATALOG", "VARCHAR", "varchar(512)"),
        ("TABLE_SCHEMA", "VARCHAR", "varchar(64)"),
        ("TABLE_NAME", "VARCHAR", "varchar(64)"),
        ("TABLE_TYPE", "VARCHAR", "varchar(64)"),
        ("ENGINE", "VARCHAR", "varchar(64)"),
        ("VERSION", "BIGINT", "bigint(20)"),
        ("ROW_FORMAT", "VARCHAR", "varchar(10)"),
        ("TABLE_ROWS", "BIGINT", "bigint(20)"),
        ("AVG_ROW_LENGTH", "BIGINT", "bigint(20)"),
        ("DATA_LENGTH", "BIGINT", "bigint(20)"),
        ("MAX_DATA_LENGTH", "BIGINT", "bigint(20)"),
        ("INDEX_LENGTH", "BIGINT", "bigint(20)"),
        ("DATA_FREE", "BIGINT", "bigint(20)"),
        ("AUTO_INCREMENT", "BIGINT", "bigint(20)"),
        ("CREATE_TIME", "TIMESTAMP", "datetime"),
        ("UPDATE_TIME", "TIMESTAMP", "datetime"),
        ("CHECK_TIME", "TIMESTAMP", "datetime"),
        ("TABLE_COLLATION", "VARCHAR", "varchar(32)"),
        ("CHECKSUM", "BIGINT", "bigint(20)"),
        ("CREATE_OPTIONS", "VARCHAR", "varchar(255)"),
        ("TABLE_COMMENT", "VARCHAR", "varchar(2048)"),
    ],
    "columns": [
        ("TABLE_CATALOG", "VARCHAR", "varchar(512)"),
        ("TABLE_SCHEMA", "VARCHAR", "varchar(64)"),
        ("TABLE_NAME", "VARCHAR", "varchar(64)"),
        ("COLUMN_NAME", "VARCHAR", "varchar(64)"),
        ("ORDINAL_POSITION", "BIGINT", "bigint(20)"),
        ("COLUMN_DEFAULT", "VARCHAR", "varchar(1024)"),
        ("IS_NULLABLE", "VARCHAR", "varchar(3)"),
        ("DATA_TYPE", "VARCHAR", "varchar(64)"),
        ("CHARACTER_MAXIMUM_LENGTH", "BIGINT", "bigint(20)"),
        ("NUMERIC_PRECISION", "BIGINT", "bigint(20)"),
        ("NUMERIC_SCALE", "BIGINT", "bigint(20)"),
        ("CHARACTER_OCTET_LENGTH", "BIGINT", "bigint(20)"),
        ("DATETIME_PRECISION", "BIGINT", "bigint(20)"),
        ("CHARACTER_SET_NAME", "VARCHAR", "varchar(32)"),
        ("COLLATION_NAME", "VARCHAR", "varchar(32)"),
        ("COLUMN_TYPE", "VARCHAR", "varchar(32)"),
        ("COLUMN_KEY", "VARCHAR", "varchar(3)"),
        ("EXTRA", "VARCHAR", "varchar(27)"),
        ("PRIVILEGES", "VARCHAR", "varchar(80)"),
        ("COLUMN_COMMENT", "VARCHAR", "varchar(255)"),
        ("COLUMN_SIZE", "BIGINT", "bigint(20)"),
        ("DECIMAL_DIGITS", "BIGINT", "bigint(20)"),
        ("GENERATION_EXPRESSION", "VARCHAR", "varchar(64)"),
        ("SRS_ID", "BIGINT", "bigint(20)"),
    ],
    # StarRocks' own view of a table's model, keys, distribution and properties.
    "tables_config": [
        ("TABLE_SCHEMA", "VARCHAR", "varchar(64)"),
        ("TABLE_NAME", "VARCHAR", "varchar(64)"),
        ("TABLE_ENGINE", "VARCHAR", "varchar(64)"),
        ("TABLE_MODEL", "VARCHAR", "varchar(64)"),
        ("PRIMARY_KEY", "VARCHAR", "varchar(64)"),
        ("PARTITION_KEY", "VARCHAR", "varchar(64)"),
        ("DISTRIBUTE_KEY", "VARCHAR", "varchar(64)"),
        ("DISTRIBUTE_TYPE", "VARCHAR", "varchar(64)"),
        ("DISTRIBUTE_BUCKET", "BIGINT", "int(11)"),
        ("SORT_KEY", "VARCHAR", "varchar(64)"),
        ("PROPERTIES", "VARCHAR", "varchar(64)"),
        ("TABLE_ID", "BIGINT", "bigint(20)"),
    ],
    # PipesSystemTable / SchemaTablePipes (the BE's scanner gives the columns' order).
    "pipes": [
        ("DATABASE_NAME", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("PIPE_ID", "BIGINT", "bigint(20)"),
        ("PIPE_NAME", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("PROPERTIES", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("STATE", "VARCHAR", "varchar(8)"),
        ("TABLE_NAME", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("LOAD_STATUS", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("LAST_ERROR", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("CREATED_TIME", "TIMESTAMP", "datetime"),
    ],
    # SchemaTablePipeFiles
    "pipe_files": [
        ("DATABASE_NAME", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("PIPE_ID", "BIGINT", "bigint(20)"),
        ("PIPE_NAME", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("FILE_NAME", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("FILE_VERSION", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("FILE_ROWS", "BIGINT", "bigint(20)"),
        ("FILE_SIZE", "BIGINT", "bigint(20)"),
        ("LAST_MODIFIED", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("LOAD_STATE", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("STAGED_TIME", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("START_LOAD_TIME", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("FINISH_LOAD_TIME", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("ERROR_MSG", "VARCHAR", f"varchar({NAME_CHAR_LEN})"),
        ("ERROR_COUNT", "BIGINT", "bigint(20)"),
        ("ERROR_LINE", "BIGINT", "bigint(20)"),
    ],
}
# The key of a key column in information_schema.columns, by the table's key model.
_COLUMN_KEYS = {"DUPLICATE": "DUP", "AGGREGATE": "AGG", "UNIQUE": "UNI", "PRIMARY": "PRI"}
_TABLE_MODELS = {
    "DUPLICATE": "DUP_KEYS", "AGGREGATE": "AGG_KEYS", "UNIQUE": "UNQ_KEYS", "PRIMARY": "PRI_KEYS",
}  # fmt: skip


def _info_temp(name: str) -> str:
    return f"__information_schema_{name}"


_MACROS = [
    "CREATE OR REPLACE TEMP MACRO version() AS '8.0.33'",
    f"CREATE OR REPLACE TEMP MACRO current_version() AS '{FE_VERSION}'",
    "CREATE OR REPLACE TEMP MACRO current_timestamp() AS now()",
    "CREATE OR REPLACE TEMP MACRO current_date() AS CAST(now() AS DATE)",
    "CREATE OR REPLACE TEMP MACRO curdate() AS current_date()",
    "CREATE OR REPLACE TEMP MACRO unix_timestamp() AS epoch(now())::BIGINT, "
    "(x) AS epoch(CAST(x AS TIMESTAMP))::BIGINT",
    "CREATE OR REPLACE TEMP MACRO from_unixtime(x) AS strftime(to_timestamp(x), '%Y-%m-%d %H:%M:%S')",
    "CREATE OR REPLACE TEMP MACRO parse_json(x) AS json(x)",
    "CREATE OR REPLACE TEMP MACRO get_json_string(j, p) AS json_extract_string(j, p)",
    "CREATE OR REPLACE TEMP MACRO get_json_int(j, p) AS CAST(json_extract(j, p) AS BIGINT)",
    "CREATE OR REPLACE TEMP MACRO get_json_double(j, p) AS CAST(json_extract(j, p) AS DOUBLE)",
    "CREATE OR REPLACE TEMP MACRO date_format(d, f) AS strftime(CAST(d AS TIMESTAMP), f)",
    "CREATE OR REPLACE TEMP MACRO to_date(d) AS CAST(d AS DATE)",
]


def clock_macro(clock: Clock) -> str:
    """DuckDB's ``now()`` on the sandbox's clock, for a cursor about to run SQL: the cluster's own
    time (``now()``, ``unix_timestamp()``, ``current_timestamp``…) agrees with the times the sandbox
    reports, e.g. a transaction's ``LastActiveTimestamp``, however far its clock was moved."""
    micros = round(clock.offset * 1_000_000)
    return f"CREATE OR REPLACE TEMP MACRO now() AS get_current_timestamp() + to_microseconds({micros})"


# Keywords that are calls without parentheses, and the macro calls they become.
_CLOCK_WORDS = {"CURRENT_TIMESTAMP": "current_timestamp()", "CURRENT_DATE": "current_date()"}


class Executor:
    """Runs the statements the HTTP SQL API and the admin switch accept."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.sessions = Sessions(sb.clock)

    # -- names ----------------------------------------------------------------------------------
    def require_db(self, db: str) -> None:
        if db.lower() == "information_schema":
            return
        if self.sb.engine.database(db) is None:
            raise SqlError(f"Unknown database '{db}'", code=1049)

    def database_id(self, db: str) -> int:
        doc = self.sb.engine.database(db)
        return int(doc["id"]) if doc else 0

    # -- translation ----------------------------------------------------------------------------
    def translate(self, sql: str, db: str | None) -> Translation:
        """StarRocks SELECT text -> DuckDB text. Every table reference is checked against the
        catalog, so neither the sandbox's own schemas nor DuckDB's system views or file readers can be
        reached."""
        toks = ddl.tokenize(sql, keep_space=True)
        sig = [i for i, t in enumerate(toks) if t.kind != ddl.SPACE]
        S = [toks[i] for i in sig]
        ctes = {
            (t.value if t.kind == ddl.QIDENT else t.text).lower()
            for k, t in enumerate(S[:-2])
            if t.kind in (ddl.WORD, ddl.QIDENT) and S[k + 1].is_word("AS") and S[k + 2].text == "("
        }
        replace: dict[int, tuple[int, str]] = {}  # sig index -> (last sig index replaced, text)
        drop: set[int] = set()
        no_pop: set[int] = set()
        tables: list[tuple[str, str]] = []
        info: set[str] = set()
        table_fn_at = -1  # sig index of the function inside a FROM ... TABLE(fn(...))
        ctx = [False]  # per parenthesis level: inside a FROM clause
        plain = [True]  # per parenthesis level: FROM there starts a FROM clause (not EXTRACT(x FROM y))
        k = 0
        while k < len(S):
            t = S[k]
            prev = S[k - 1] if k > 0 else None
            is_ref = (
                ctx[-1]
                and prev is not None
                and (prev.is_word("FROM", "JOIN", "LATERAL") or (prev.kind == ddl.OP and prev.text == ","))
            )
            if t.kind == ddl.OP and t.text == "(":
                ctx.append(False)
                plain.append(prev is None or not prev.is_word(*_FROM_FUNCTIONS))
            elif t.kind == ddl.OP and t.text == ")":
                if k in no_pop:
                    pass
                elif len(ctx) > 1:
                    ctx.pop()
                    plain.pop()
            elif t.is_word("FROM", "JOIN") and plain[-1]:
                ctx[-1] = True
            elif (
                t.is_word("LIMIT") and k + 3 < len(S) and S[k + 2].text == "," and S[k + 1].kind == ddl.NUMBER
            ):
                # MySQL's LIMIT offset, count
                replace[k] = (k + 3, f"LIMIT {S[k + 3].text} OFFSET {S[k + 1].text}")
                k += 4
                continue
            elif t.kind == ddl.WORD and t.value in _CLAUSE_WORDS:
                ctx[-1] = False
            if is_ref and t.kind == ddl.STRING:
                raise SqlError(_syntax_message(sql, t, "a legal identifier"))
            nxt = S[k + 1] if k + 1 < len(S) else None
            if is_ref and t.is_word("TABLE") and nxt is not None and nxt.text == "(":
                close = _matching(S, k + 1)
                drop.update((k, k + 1, close))
                no_pop.add(close)
                table_fn_at = k + 2
                k += 2
                continue
            if (
                t.kind in (ddl.WORD, ddl.QIDENT)
                and nxt is not None
                and nxt.text == "("
                and not (t.kind == ddl.WORD and t.value in _NOT_FUNCTIONS)
            ):
                self._check_call(S, k, is_ref or k == table_fn_at, sql)
            if is_ref and t.kind in (ddl.WORD, ddl.QIDENT) and not (nxt is not None and nxt.text == "("):
                parts: list[str] = []
                j = k
                while j < len(S) and S[j].kind in (ddl.WORD, ddl.QIDENT):
                    parts.append(S[j].value if S[j].kind == ddl.QIDENT else S[j].text)
                    if j + 2 < len(S) and S[j + 1].text == "." and S[j + 2].kind in (ddl.WORD, ddl.QIDENT):
                        j += 2
                        continue
                    break
                if j + 1 < len(S) and S[j + 1].text == "(":  # db.fn(...): a qualified table function
                    self._check_call(S, j, True, sql)
                text = self._table_ref(parts, db, ctes, sql, t.pos, tables, info)
                if text is not None:
                    replace[k] = (j, text)
                k = j + 1
                continue
            k += 1
        out: list[str] = []
        n = -1
        skip_to = -1
        for tok in toks:
            if tok.kind != ddl.SPACE:
                n += 1
            if n <= skip_to and tok.kind != ddl.SPACE or (n < skip_to):
                continue
            if tok.kind == ddl.SPACE:
                out.append(" " if tok.text.startswith(("#", "--", "/*")) else tok.text)
                continue
            if n in drop:
                continue
            if n in replace:
                skip_to, text = replace[n]
                out.append(text)
                continue
            if tok.kind == ddl.STRING:
                out.append("'" + tok.value.replace("'", "''") + "'")
            elif tok.is_word("LARGEINT"):
                out.append("HUGEINT")  # the only StarRocks type name DuckDB does not know
            elif tok.kind == ddl.WORD and tok.value in _CLOCK_WORDS and not _called(S, n):
                out.append(_CLOCK_WORDS[tok.value])
            elif tok.kind == ddl.QIDENT:
                out.append(quote_ident(tok.value))
            else:
                out.append(tok.text)
        return Translation("".join(out), tables, info)

    def _check_call(self, S: list[ddl.Token], k: int, table_position: bool, sql: str) -> None:
        """Refuse a call StarRocks would not resolve, however its name is spelled (bare, backquoted,
        qualified): in FROM only StarRocks' table functions; elsewhere none of DuckDB's table
        functions or the functions that reach files, settings or the sandbox's own catalog. None of
        them exist in StarRocks, so the answer is its own for an unknown function."""
        t = S[k]
        name = (t.value if t.kind == ddl.QIDENT else t.text).lower()
        qualified = k > 0 and S[k - 1].text == "."
        start = k
        while start >= 2 and S[start - 1].text == "." and S[start - 2].kind in (ddl.WORD, ddl.QIDENT):
            start -= 2
        if table_position:
            # A table function is looked up by its bare name (FunctionName.getFunction()).
            if qualified or name not in _TABLE_FUNCTIONS:
                types = ",".join(_literal_types(S, k + 1, upper=True))
                raise analysis_error(f"Unknown table function '{name}({types})'")
            return
        if (
            qualified
            # The sandbox has no UDFs, and DuckDB reads ``x.fn()`` as ``fn(x)``.
            or name in _BLOCKED_FUNCTIONS
            or name.startswith(_BLOCKED_FUNCTION_PREFIXES)
            or name.endswith("_scan")
            or name in self._duck_table_functions()
        ):
            types = ", ".join(_literal_types(S, k + 1, upper=False))
            raise analysis_error(f"No matching function with signature: {name}({types})", sql, S[start].pos)

    def _duck_table_functions(self) -> frozenset[str]:
        """Names of DuckDB's table functions (file readers, catalog views, pragmas): none may be
        called from SQL outside FROM, where only StarRocks' own are allowed."""
        global _duck_table_names
        if _duck_table_names is None:
            with self.sb.store.cursor() as cur:
                # A name that is also a scalar or aggregate function (repeat, range...) stays
                # callable as one; DuckDB will not run the table function there.
                rows = cur.execute(
                    "SELECT lower(function_name) FROM duckdb_functions() "
                    "WHERE function_type IN ('table', 'table_macro', 'pragma') EXCEPT "
                    "SELECT lower(function_name) FROM duckdb_functions() "
                    "WHERE function_type NOT IN ('table', 'table_macro', 'pragma')"
                ).fetchall()
            _duck_table_names = frozenset(str(r[0]) for r in rows) - _TABLE_FUNCTIONS
        return _duck_table_names

    def _table_ref(
        self,
        parts: list[str],
        db: str | None,
        ctes: set[str],
        sql: str,
        pos: int,
        tables: list[tuple[str, str]],
        info: set[str],
    ) -> str | None:
        """The DuckDB spelling of a table reference, after checking it exists; None to keep it."""
        if len(parts) > 3:
            raise SqlError(_syntax_message(sql, None))
        if len(parts) == 3:
            if parts[0].lower() != CATALOG:
                raise analysis_error(f"Unknown catalog '{parts[0]}'", sql, pos)
            parts = parts[1:]
        if len(parts) == 1:
            name = parts[0]
            if name.lower() in ctes:
                return None
            if db is None:
                raise analysis_error("No database selected", sql, pos)
            schema = db
        else:
            schema, name = parts
        if schema.lower() == "information_schema":
            if name.lower() not in INFO_TABLES:
                raise analysis_error(f"Unknown table 'information_schema.{name}'", sql, pos)
            info.add(name.lower())
            return quote_ident(_info_temp(name.lower()))
        real_db = self._database_name(schema)
        if real_db is None:
            raise analysis_error(f"Unknown database '{schema}'", sql, pos)
        if self.sb.engine.table(real_db, name) is None:
            raise analysis_error(f"Unknown table '{real_db}.{name}'", sql, pos)
        tables.append((real_db, name))
        return f"{quote_ident(real_db)}.{quote_ident(name)}"

    def _database_name(self, name: str) -> str | None:
        if self.sb.engine.database(name) is not None:
            return name
        low = name.lower()
        return next((d for d in self.sb.engine.databases() if d.lower() == low), None)

    # -- information_schema ---------------------------------------------------------------------
    def _info_rows(self, name: str) -> list[tuple[Any, ...]]:
        eng = self.sb.engine
        if name == "schemata":
            dbs = ["information_schema", *sorted(eng.databases())]
            return [("def", d, "utf8", "utf8_general_ci", None) for d in dbs]
        if name == "tables":
            rows: list[tuple[Any, ...]] = []
            for d in sorted(eng.databases()):
                for t in sorted(eng.tables(d)):
                    td = eng.table(d, t)
                    if td is None:
                        continue
                    # The data of one copy, as SHOW PARTITIONS and SHOW TABLET give it; the average
                    # row is that over the rows (the documented example: 3255 bytes, 6 rows, 542).
                    count, nbytes = Tablets(self.sb).size(td)
                    created = dt.datetime.fromtimestamp(td.created_at) if td.created_at else None
                    rows.append(
                        ("def", d, t, "BASE TABLE", "StarRocks", None, None, count,
                         nbytes // count if count else 0, nbytes, None, None, None,
                         None, created, created, None, "utf8_general_ci", None, None, td.comment)
                    )  # fmt: skip
            return rows
        if name == "columns":
            rows = []
            for d in sorted(eng.databases()):
                for t in sorted(eng.tables(d)):
                    td = eng.table(d, t)
                    if td is None:
                        continue
                    for pos, c in enumerate(td.columns, 1):
                        st = c.sr_type
                        scale = st.scale if st.name == "DECIMAL" else None
                        numeric = st.precision if st.name == "DECIMAL" else None
                        rows.append(
                            ("def", d, t, c.name, pos, c.default, "YES" if c.nullable else "NO",
                             st.name.lower(), st.max_bytes, numeric, scale, st.max_bytes, None,
                             "utf8" if st.is_string else None, "utf8_general_ci" if st.is_string else None,
                             type_to_sql(st), _COLUMN_KEYS.get(td.key_type, "") if c.key else "",
                             c.aggregation or "", "select,insert,update,references", c.comment,
                             st.max_bytes or numeric, scale, None, None)
                        )  # fmt: skip
            return rows
        if name == "tables_config":
            rows = []
            for d in sorted(eng.databases()):
                for t in sorted(eng.tables(d)):
                    td = eng.table(d, t)
                    if td is None:
                        continue
                    keys = ", ".join(f"`{k}`" for k in td.key_columns)
                    dist = td.distribution
                    dist_keys = ", ".join(f"`{k}`" for k in dist.get("columns") or [])
                    part = (td.partition or {}).get("columns") or []
                    rows.append(
                        (d, t, "OLAP", _TABLE_MODELS.get(td.key_type, "DUP_KEYS"), keys,
                         ", ".join(f"`{p}`" for p in part), dist_keys, str(dist.get("type", "hash")).upper(),
                         int(dist.get("buckets") or 0), keys, compact(td.properties), td.table_id)
                    )  # fmt: skip
            return rows
        if name == "loads":
            return [load_row(t) for t in sorted(TxnRecords(self.sb.store).all(), key=lambda t: t.txn_id)]
        if name == "pipes":
            return self.sb.starrocks.pipes.info_pipes()
        if name == "pipe_files":
            return self.sb.starrocks.pipes.info_pipe_files()
        return []

    def _prepare_cursor(self, cur: duckdb.DuckDBPyConnection, db: str | None, info: set[str]) -> None:
        cur.execute(clock_macro(self.sb.clock))
        for m in _MACROS:
            cur.execute(m)
        if db is not None and self.sb.engine.database(db) is not None:
            cur.execute(f"SET schema = {_sql_str(db)}")
        for name in info:
            cols = INFO_TABLES[name]
            temp = quote_ident(_info_temp(name))
            spec = ", ".join(f"{quote_ident(c)} {t}" for c, t, _ in cols)
            cur.execute(f"CREATE OR REPLACE TEMP TABLE {temp} ({spec})")
            rows = self._info_rows(name)
            if rows:
                marks = ", ".join("?" for _ in cols)
                cur.executemany(f"INSERT INTO {temp} VALUES ({marks})", [list(r) for r in rows])

    # -- queries --------------------------------------------------------------------------------
    def open_query(self, sql: str, db: str | None, session: Session | None = None) -> OpenQuery:
        """Translate and start a SELECT on a cursor of its own (the caller fetches and closes). With
        ``session``, the cursor is the session's while it runs, so KILL or a timeout can stop it."""
        tr = self.translate(sql, db)
        cur = self.sb.store.new_cursor()
        try:
            self._prepare_cursor(cur, db, tr.info_tables)
            if session is not None:
                session.cursor = cur
                if session.killed or session.timed_out:
                    raise SqlError("Query cancelled", code=1317)
            try:
                cur.execute(tr.sql)
            except duckdb.Error as e:
                raise self.map_error(e, sql, tr, db) from e
            desc = cur.description or []
            known = self._known_types(tr)
            columns = []
            for name, duck_type, *_ in desc:
                duck = str(duck_type)
                shown = _column_name(name)
                columns.append(
                    (shown, known.get((shown.lower(), duck)) or duck_type_to_sql(duck), converter_for(duck))
                )
            scan_rows, scan_bytes = self._scan_stats(tr)
            return OpenQuery(cur, columns, scan_rows, scan_bytes)
        except BaseException:
            cur.close()
            raise

    def _known_types(self, tr: Translation) -> dict[tuple[str, str], str]:
        """FE type names of the columns of the tables a query reads, keyed by (name, DuckDB type)."""
        known: dict[tuple[str, str], str] = {}
        for db, name in tr.tables:
            td = self.sb.engine.table(db, name)
            if td is None:
                continue
            for c in td.columns:
                st = c.sr_type
                known[(c.name.lower(), st.duckdb)] = type_to_sql(st)
        for name in tr.info_tables:
            for col, duck, fe in INFO_TABLES[name]:
                known[(col.lower(), duck)] = fe
        return known

    def _scan_stats(self, tr: Translation) -> tuple[int, int]:
        rows = 0
        width = 0
        for db, name in set(tr.tables):
            td = self.sb.engine.table(db, name)
            if td is None:
                continue
            n = self.sb.engine.row_count(db, name)
            rows += n
            width += n * sum(_width(c.sr_type) for c in td.columns)
        return rows, width

    def map_error(
        self, e: duckdb.Error, sql: str, tr: Translation | None = None, db: str | None = None
    ) -> SqlError:
        """A DuckDB error in StarRocks' words."""
        text = str(e)
        first = text.split("\n", 1)[0]
        m = re.search(r'Table with name "?([^"\s!]+)"? does not exist because schema "([^"]+)"', first)
        if m:
            schema = m.group(2)
            return analysis_error(f"Unknown database '{schema}'", sql, _find(sql, schema))
        m = re.search(r"Table with name ([^\s!]+) does not exist", first)
        if m:
            name = m.group(1).strip('"')
            if "." in name:
                return analysis_error(f"Unknown table '{name}'", sql, _find(sql, name.split(".")[-1]))
            if db is None:
                return analysis_error("No database selected", sql, _find(sql, name))
            return analysis_error(f"Unknown table '{db}.{name}'", sql, _find(sql, name))
        m = re.search(r'Referenced column "([^"]+)" not found', first)
        if m:
            return analysis_error(f"Column '{m.group(1)}' cannot be resolved", sql, _find(sql, m.group(1)))
        m = re.search(r"(?:Scalar|Table|Aggregate) Function with name (\w+) does not exist", first)
        if m:
            return analysis_error(
                f"No matching function with signature: {m.group(1)}()", sql, _find(sql, m.group(1))
            )
        if isinstance(e, duckdb.ParserException):
            near = re.search(r'at or near "([^"]*)"', first)
            if near:
                tok_text = near.group(1)
                pos = _find(sql, tok_text)
                line, col = ddl.line_col(sql, pos if pos >= 0 else len(sql))
                return SqlError(
                    f"Getting syntax error at line {line}, column {col}. Detail message: Unexpected input "
                    f"'{tok_text}', the most similar input is {{<EOF>, ';'}}."
                )
            end = len(sql.rstrip())
            token = "<EOF>"
            if sql.rstrip().endswith(";"):
                end, token = end - 1, ";"
            line, col = ddl.line_col(sql, end)
            return SqlError(
                f"Getting syntax error at line {line}, column {col}. Detail message: Unexpected input "
                f"'{token}', the most similar input is {{a legal identifier}}."
            )
        if isinstance(e, duckdb.InterruptException):
            return SqlError("Query was cancelled")
        detail = re.sub(r"^[A-Za-z ]+Error: ", "", first)
        if isinstance(e, (duckdb.BinderException, duckdb.CatalogException)):
            return analysis_error(detail)
        return SqlError(detail)

    def explain(self, body: str, db: str | None) -> str:
        """A plan in the FE's EXPLAIN layout (the sandbox has no optimizer; the shape is indicative)."""
        tr = self.translate(body, db)
        cur = self.sb.store.new_cursor()
        try:
            self._prepare_cursor(cur, db, tr.info_tables)
            try:
                described = cur.execute(f"DESCRIBE {tr.sql}").fetchall()
            except duckdb.Error as e:
                raise self.map_error(e, body, tr, db) from e
        finally:
            cur.close()
        outputs = " | ".join(f"{i}: {_column_name(r[0])}" for i, r in enumerate(described, 1))
        lines = [
            "PLAN FRAGMENT 0",
            f" OUTPUT EXPRS:{outputs}",
            "  PARTITION: RANDOM",
            "",
            "  RESULT SINK",
            "",
        ]
        scans = list(dict.fromkeys(tr.tables)) or []
        for n, (d, name) in enumerate(scans):
            td = self.sb.engine.table(d, name)
            rows = self.sb.engine.row_count(d, name) if td else 0
            buckets = int((td.distribution.get("buckets") if td else None) or 1)
            avg = float(sum(_width(c.sr_type) for c in td.columns)) if td else 0.0
            tablet_ids = Tablets(self.sb).tablet_ids(td) if td else []
            lines += [
                f"  {n}:OlapScanNode",
                f"     TABLE: {name}",
                "     PREAGGREGATION: ON" if td and td.key_type == "AGGREGATE" else
                "     PREAGGREGATION: OFF. Reason: None aggregate function",
                "     partitions=1/1",
                f"     rollup: {name}",
                f"     tabletRatio={buckets}/{buckets}",
                f"     tabletList={','.join(str(t) for t in tablet_ids)}",
                f"     cardinality={rows}",
                f"     avgRowSize={avg}",
                "",
            ]  # fmt: skip
        if not scans:
            lines += ["  0:UNION", "     constant exprs: ", "         NULL", ""]
        return "\n".join(lines)

    # -- SHOW -----------------------------------------------------------------------------------
    def show(self, sql: str, db: str | None, session: Session | None) -> ShowResult:
        toks = ddl.tokenize(sql)
        p = _TokCursor(sql, toks)
        if p.accept("DESC", "DESCRIBE"):
            tdb, name = p.qualified_name()
            p.accept("ALL")
            p.done()
            return self.describe(tdb or db, name, sql)
        p.expect("SHOW")
        if p.accept("PIPES"):
            from .pipes import PipeError, Pipes

            try:
                pipes = self.sb.starrocks.pipes.show(sql, db)
            except PipeError as e:
                raise SqlError(e.message, code=e.code) from e
            return ShowResult(list(Pipes.SHOW_COLUMNS), pipes)
        if p.accept("CATALOGS"):
            p.done()
            return ShowResult(
                [("Catalog", "varchar(256)"), ("Type", "varchar(20)"), ("Comment", "varchar(30)")],
                [[CATALOG, "Internal", "An internal catalog contains this cluster's self-managed tables."]],
            )
        if p.accept("DATABASES", "SCHEMAS"):
            if p.accept("FROM", "IN"):
                cat = p.ident()
                if cat != CATALOG:
                    raise SqlError(f"Unknown catalog '{cat}'")
            pattern = p.like()
            p.done()
            names = sorted(["information_schema", *self.sb.engine.databases()])
            return ShowResult([("Database", "varchar(64)")], [[n] for n in names if _like(n, pattern)])
        full = p.accept("FULL")
        if p.accept("TABLES"):
            tdb = db
            if p.accept("FROM", "IN"):
                parts = p.dotted()
                tdb = parts[-1]
            pattern = p.like()
            p.done()
            if tdb is None:
                raise SqlError("No database selected", code=1046)
            self.require_db(tdb)
            names = (
                sorted(INFO_TABLES)
                if tdb.lower() == "information_schema"
                else sorted(self.sb.engine.tables(tdb))
            )
            cols = [(f"Tables_in_{tdb}", "varchar(20)")]
            if full:
                cols.append(("Table_type", "varchar(20)"))
            kind = "SYSTEM VIEW" if tdb.lower() == "information_schema" else "BASE TABLE"
            rows: list[list[str | None]] = [[n, kind] if full else [n] for n in names if _like(n, pattern)]
            return ShowResult(cols, rows)
        if p.accept("PROCESSLIST"):
            p.done()
            return self.processlist(full)
        if full:
            raise SqlError(_syntax_message(sql, p.peek()))
        if p.accept("FRONTENDS"):
            p.done()
            return self.frontends()
        if p.accept("BACKENDS"):
            p.done()
            return self.backends()
        if p.accept("TRANSACTION"):
            tdb = db
            if p.accept("FROM", "IN"):
                tdb = p.ident()
            if not p.accept("WHERE"):
                raise SqlError(_syntax_message(sql, p.peek(), "'WHERE'"))
            p.expect("ID")
            if not p.accept_op("="):
                raise SqlError(_syntax_message(sql, p.peek(), "'='"))
            txn_id = p.integer()
            p.done()
            if tdb is None:
                raise SqlError("No database selected", code=1046)
            if self.sb.engine.database(tdb) is None:
                raise SqlError(f"Unknown database '{tdb}'", code=1049)
            return ShowResult(_vc(TXN_TITLES), self.transaction(tdb, txn_id))
        if p.accept("PROC"):
            path = p.string()
            p.done()
            names, rows = self.proc(path)
            return ShowResult(_vc(names), rows)
        if p.accept("CREATE"):
            p.expect("TABLE")
            tdb, name = p.qualified_name()
            p.done()
            return self.show_create(tdb or db, name)
        if p.accept("COLUMNS", "FIELDS"):
            p.expect("FROM", "IN")
            tdb, name = p.qualified_name()
            if p.accept("FROM", "IN"):
                tdb = p.ident()
            p.done()
            return self.describe(tdb or db, name, sql)
        if p.accept("PARTITIONS"):
            p.expect("FROM", "IN")
            td = self._olap_table(p, db)
            return ShowResult(_vc(PARTITION_TITLES), Tablets(self.sb).partitions(td))
        if p.accept("TABLET"):
            p.expect("FROM")
            td = self._olap_table(p, db)
            # ShowTabletStmt: every title varchar(30)
            return ShowResult(_vc(TABLET_TITLES), Tablets(self.sb).tablets(td))
        if p.accept("VARIABLES"):
            pattern = p.like()
            p.done()
            values = {**SESSION_VARIABLES, **(session.variables if session is not None else {})}
            rows = [[k, v] for k, v in sorted(values.items()) if _like(k, pattern)]
            return ShowResult([("Variable_name", "varchar(20)"), ("Value", "varchar(20)")], rows)
        raise SqlError(
            _syntax_message(sql, p.peek(), "'DATABASES', 'TABLES', 'PROC', 'FRONTENDS', 'BACKENDS'")
        )

    def _olap_table(self, p: _TokCursor, db: str | None) -> TableDef:
        """The ``[db.]table`` a SHOW PARTITIONS / SHOW TABLET names, or the FE's refusal."""
        tdb, name = p.qualified_name()
        p.done()
        tdb = tdb or db
        if tdb is None:
            raise SqlError("No database selected", code=1046)
        self.require_db(tdb)
        td = self.sb.engine.table(tdb, name)
        if td is None:
            raise SqlError(f"Unknown table '{name}'", code=1051)
        return td

    def describe(self, db: str | None, name: str, sql: str) -> ShowResult:
        if db is None:
            raise SqlError("No database selected", code=1046)
        self.require_db(db)
        cols = _vc(["Field", "Type", "Null", "Key", "Default", "Extra"])
        if db.lower() == "information_schema":
            spec = INFO_TABLES.get(name.lower())
            if spec is None:
                raise analysis_error(f"Unknown table '{db}.{name}'", sql, _find(sql, name))
            return ShowResult(cols, [[c, fe.upper(), "Yes", "false", None, ""] for c, _, fe in spec])
        td = self.sb.engine.table(db, name)
        if td is None:
            raise analysis_error(f"Unknown table '{db}.{name}'", sql, _find(sql, name))
        rows: list[list[str | None]] = []
        for c in td.columns:
            rows.append(
                [
                    c.name,
                    type_canonical(c.sr_type),
                    "Yes" if c.nullable else "No",
                    "true" if c.key else "false",
                    c.default if c.default is not None else None,
                    c.aggregation or "",
                ]
            )
        return ShowResult(cols, rows)

    def show_create(self, db: str | None, name: str) -> ShowResult:
        if db is None:
            raise SqlError("No database selected", code=1046)
        self.require_db(db)
        td = self.sb.engine.table(db, name)
        if td is None:
            raise SqlError(f"Unknown table '{db}.{name}'", code=1051)
        return ShowResult(
            [("Table", "varchar(20)"), ("Create Table", "varchar(30)")], [[td.name, create_table_text(td)]]
        )

    def processlist(self, full: bool) -> ShowResult:
        cols = [
            ("ServerName", "varchar(64)"), ("Id", "bigint(20)"), ("User", "varchar(16)"),
            ("Host", "varchar(16)"), ("Db", "varchar(16)"), ("Command", "varchar(16)"),
            ("ConnectionStartTime", "varchar(16)"), ("Time", "int(11)"), ("State", "varchar(64)"),
            ("Info", "varchar(32768)"), ("IsPending", "varchar(16)"), ("Warehouse", "varchar(20)"),
            ("CNGroup", "varchar(64)"), ("Catalog", "varchar(64)"), ("QueryId", "varchar(64)"),
        ]  # fmt: skip
        host, port = host_port(self.sb.fe_url, 8030)
        server = f"{host}:{FE_RPC_PORT}"
        now = self.sb.clock.ms()
        rows: list[list[str | None]] = []
        for s in self.sessions.list():
            info = s.sql if full or len(s.sql) <= 100 else s.sql[:100]
            since = s.query_start_ms or s.connected_ms
            rows.append(
                [server, str(s.id), s.user, s.host, s.db, s.command, time_string(s.connected_ms),
                 str((now - since) // 1000), "OK", info, "false", "default_warehouse", "", CATALOG,
                 s.query_id]
            )  # fmt: skip
        return ShowResult(cols, rows)

    def frontends(self) -> ShowResult:
        ci = cluster_info(self.sb)
        now = self.sb.clock.ms()
        host, http_port = host_port(self.sb.fe_url, 8030)
        row: list[str | None] = [
            f"{host}_{FE_EDIT_LOG_PORT}_{ci.start_ms}", host, str(FE_EDIT_LOG_PORT), str(http_port),
            str(self.sb.query_port), str(FE_RPC_PORT), "LEADER", str(ci.cluster_id), "true", "true",
            str(journal_id(self.sb)), time_string(now), "true", "", time_string(ci.start_ms), FE_VERSION,
        ]  # fmt: skip
        return ShowResult(_vc(FE_TITLES), [row])

    def backends(self) -> ShowResult:
        """BackendsProcDir.getClusterBackendInfos: one row per BE, as the FE last heard of it."""
        cluster = self.sb.cluster
        now = self.sb.clock.ms()
        tablets = cluster.tablet_counts(TableDef.from_doc(doc) for doc in self.sb.store.list("table"))
        rows: list[list[str | None]] = []
        for be in cluster.backends:
            st = cluster.state(be, now)
            host, http_port = host_port(be.advertised, 8040)
            status = compact(
                {
                    "lastSuccessReportTabletsTime": time_string(st.last_heartbeat_ms),
                    "lastStreamLoadTime": -1,
                    "isQueryDisabled": False,
                    "isLoadDisabled": False,
                }
            )
            used, avail, total = be.data_used(), be.avail(), be.total()
            used_pct = (total - avail) * 100 / total if total > 0 else 0.0
            data_total = used + avail
            data_pct = used * 100 / data_total if data_total > 0 else 0.0
            v = be.vitals
            mem_pct = v.process_mem(now / 1000) * 100 / MEM_LIMIT_BYTES if st.alive else 0.0
            running = self.sessions.running() if st.alive else 0
            cpu_pct = v.last_busy * 100 if st.alive else 0.0
            rows.append(
                [str(be.id), host, str(be.heartbeat_port), str(be.be_port), str(http_port),
                 str(be.brpc_port), time_string(st.last_start_ms), time_string(st.last_heartbeat_ms),
                 str(st.alive).lower(), str(be.decommissioned).lower(), "false", str(tablets.get(be.id, 0)),
                 byte_string(used),
                 byte_string(avail), byte_string(total), f"{used_pct:.2f} %",
                 f"{be.max_disk_used_fraction() * 100:.2f} %", st.err_msg, FE_VERSION, status,
                 byte_string(data_total), f"{data_pct:.2f} %", str(CPU_CORES), str(running),
                 f"{mem_pct:.2f} %", f"{cpu_pct:.1f} %", "N/A", ""]
            )  # fmt: skip
        rows.extend(self.sb.starrocks.system.added_rows())
        # ListComparator(1, 3): by host, then BePort
        rows.sort(key=lambda r: (r[1] or "", r[3] or ""))
        return ShowResult(_vc(BE_TITLES), rows)

    # -- transactions -----------------------------------------------------------------------------
    def transaction(self, db: str, txn_id: int) -> list[list[str | None]]:
        t = TxnRecords(self.sb.store).get(txn_id)
        if t is None or t.db != db:
            raise SqlError(f"transaction with id {txn_id} does not exist")
        return [txn_row(t)]

    def proc(self, path: str) -> tuple[list[str], list[list[str | None]]]:
        """SHOW PROC paths the sandbox keeps: /, /frontends, /backends, /dbs, /transactions[/db[/state]]."""
        if not path:
            raise SqlError("Path is null")
        if not path.startswith("/"):
            raise SqlError(f"Path({path}) does not start with '/'")
        parts = [p for p in path.strip().split("/") if p]
        if not parts:
            root = ["backends", "compactions", "current_queries", "dbs", "frontends", "jobs", "transactions"]
            return ["name"], [[r] for r in root]
        head = parts[0]
        if head == "frontends" and len(parts) == 1:
            fe = self.frontends()
            return [c[0] for c in fe.columns], fe.rows
        if head == "backends" and len(parts) == 1:
            be = self.backends()
            return [c[0] for c in be.columns], be.rows
        if head == "dbs" and len(parts) == 1:
            rows: list[list[str | None]] = []
            for d in sorted(self.sb.engine.databases(), key=self.database_id):
                rows.append(
                    [str(self.database_id(d)), d, str(len(self.sb.engine.tables(d))), "8388608.000 TB",
                     "NULL", str(2**63 - 1)]
                )  # fmt: skip
            return ["DbId", "DbName", "TableNum", "Quota", "LastConsistencyCheckTime", "ReplicaQuota"], rows
        if head == "transactions":
            if len(parts) == 1:
                docs = sorted(self.sb.store.list("database"), key=lambda d: int(d["id"]))
                return ["DbId", "DbName"], [[str(d["id"]), d["name"]] for d in docs]
            db = self._proc_db(parts[1])
            txns = TxnRecords(self.sb.store).all(db)
            if len(parts) == 2:
                running = sum(1 for t in txns if not t.final)
                return ["State", "Number"], [
                    ["running", str(running)],
                    ["finished", str(len(txns) - running)],
                ]
            state = parts[2]
            if state not in ("running", "finished") or len(parts) > 3:
                raise SqlError("State is invalid")
            want_running = state == "running"
            chosen = [t for t in txns if (not t.final) == want_running]
            chosen.sort(key=lambda t: t.txn_id, reverse=True)
            return TXN_TITLES, [txn_row(t) for t in chosen[:2000]]
        raise SqlError(f"Cannot find path: {path}")

    def _proc_db(self, name_or_id: str) -> str:
        if self.sb.engine.database(name_or_id) is not None:
            return name_or_id
        # One query for the id: looking at every database in turn made a reading of a cluster of
        # N databases (a query per database) cost N² lookups — 10 s of CPU at 150 databases.
        found = self.sb.store.find("database", {"id": name_or_id}, limit=1) if name_or_id.isdigit() else []
        if found:
            return str(found[0]["name"])
        raise SqlError(f'Unknown database id or name "{name_or_id}"')


@dataclass
class OpenQuery:
    cursor: duckdb.DuckDBPyConnection
    columns: list[tuple[str, str, Callable[[Any], Any]]]
    scan_rows: int
    scan_bytes: int

    @property
    def meta(self) -> list[dict[str, str]]:
        return [{"name": n, "type": t} for n, t, _ in self.columns]

    def fetch_lines(self, n: int = BATCH_ROWS) -> tuple[str, int]:
        rows = self.cursor.fetchmany(n)
        convs = [c[2] for c in self.columns]
        return "".join(data_line(conv(v) for conv, v in zip(convs, row, strict=False)) for row in rows), len(
            rows
        )

    def fetch_values(self, n: int = BATCH_ROWS) -> list[list[Any]]:
        convs = [c[2] for c in self.columns]
        return [[conv(v) for conv, v in zip(convs, row, strict=False)] for row in self.cursor.fetchmany(n)]

    def close(self) -> None:
        try:
            self.cursor.close()
        except duckdb.Error:
            pass


FE_TITLES = [
    "Name", "IP", "EditLogPort", "HttpPort", "QueryPort", "RpcPort", "Role", "ClusterId", "Join", "Alive",
    "ReplayedJournalId", "LastHeartbeat", "IsHelper", "ErrMsg", "StartTime", "Version",
]  # fmt: skip
BE_TITLES = [
    "BackendId", "IP", "HeartbeatPort", "BePort", "HttpPort", "BrpcPort", "LastStartTime", "LastHeartbeat",
    "Alive", "SystemDecommissioned", "ClusterDecommissioned", "TabletNum", "DataUsedCapacity",
    "AvailCapacity", "TotalCapacity", "UsedPct", "MaxDiskUsedPct", "ErrMsg", "Version", "Status",
    "DataTotalCapacity", "DataUsedPct", "CpuCores", "NumRunningQueries", "MemUsedPct", "CpuUsedPct",
    "DataCacheMetrics", "Location",
]  # fmt: skip
TXN_TITLES = [
    "TransactionId", "Label", "Coordinator", "TransactionStatus", "LoadJobSourceType", "PrepareTime",
    "CommitTime", "PublishTime", "FinishTime", "Reason", "ErrorReplicasCount", "ListenerId", "TimeoutMs",
    "ErrMsg",
]  # fmt: skip


def txn_row(t: Txn) -> list[str | None]:
    """DatabaseTransactionMgr.getTxnStateInfo for one transaction record."""
    publish = t.finish_ms if t.status == VISIBLE else 0
    return [
        str(t.txn_id),
        t.label,
        t.coordinator or "BE: 127.0.0.1",
        t.status,
        "BACKEND_STREAMING",
        time_string(t.begin_ms),
        time_string(t.commit_ms),
        time_string(publish),
        time_string(t.finish_ms),
        t.reason,
        "0",
        "-1",
        str(t.timeout_s * 1000),
        t.error_msg,
    ]


_LOAD_STATE = {
    RUNNING: "LOADING",
    PREPARED: "PREPARED",
    COMMITTED: "COMMITED",
    VISIBLE: "FINISHED",
    ABORTED: "CANCELLED",
}


def load_row(t: Txn) -> tuple[Any, ...]:
    """A transaction as a row of information_schema.loads (StreamLoadTask.toThrift)."""
    state = _LOAD_STATE.get(t.status, t.status)
    if t.status == RUNNING and t.loads == 0:
        state = "BEGIN"

    def ts(ms: int) -> dt.datetime | None:
        # The FE fills these DATETIME columns from "yyyy-MM-dd HH:mm:ss" strings: whole seconds.
        return dt.datetime.fromtimestamp(ms // 1000) if ms and ms > 0 else None

    details = {
        "begin_txn_time_ms": int(t.extra.get("begin_txn_time_ms", 0)),
        "load_id": str(uuid.UUID(int=t.txn_id)),
        "plan_time_ms": t.plan_ms,
        "receive_data_time_ms": t.received_ms,
        "txn_id": t.txn_id,
    }
    tracking = f"select tracking_log from information_schema.load_tracking_logs where job_id={t.txn_id}"
    return (
        t.txn_id,
        t.label,
        None,
        t.db,
        t.table,
        t.user,
        "default_warehouse",
        state,
        "100%" if state == "FINISHED" else "0%",
        "STREAM_LOAD",
        "NORMAL",
        0,
        t.load_bytes,
        t.rows_filtered,
        t.rows_unselected,
        t.rows_loaded,
        compact(details),
        ts(t.begin_ms),
        ts(t.begin_ms) if t.loads else None,
        ts(t.commit_ms),
        ts(t.finish_ms),
        compact({"timeout": t.timeout_s}),
        t.error_msg or t.reason or None,
        tracking if t.error_url else None,
        None,
        t.txn_id,
    )


def create_table_text(td: TableDef) -> str:
    """SHOW CREATE TABLE text."""
    lines = []
    for c in td.columns:
        st = c.sr_type
        parts = [f"  `{c.name}` {type_to_sql(st)}"]
        if c.aggregation:
            parts.append(c.aggregation)
        parts.append("NULL" if c.nullable else "NOT NULL")
        if c.default is not None:
            parts.append(
                "DEFAULT CURRENT_TIMESTAMP" if c.default == "CURRENT_TIMESTAMP" else f'DEFAULT "{c.default}"'
            )
        parts.append(f'COMMENT "{c.comment}"')
        lines.append(" ".join(parts))
    keys = ", ".join(f"`{k}`" for k in td.key_columns)
    out = [f"CREATE TABLE `{td.name}` (", ",\n".join(lines), ") ENGINE=OLAP ", f"{td.key_type} KEY({keys})"]
    out.append(f'COMMENT "{td.comment or "OLAP"}"')
    if td.partition:
        out.append(f"PARTITION BY {td.partition.get('text', '')}")
    dist = td.distribution
    buckets = f" BUCKETS {dist['buckets']}" if dist.get("buckets") else ""
    if dist.get("type") == "hash":
        cols = ", ".join(f"`{c}`" for c in dist.get("columns", []))
        out.append(f"DISTRIBUTED BY HASH({cols}){buckets} ")
    else:
        out.append(f"DISTRIBUTED BY RANDOM{buckets} ")
    props = ",\n".join(f'"{k}" = "{v}"' for k, v in td.properties.items())
    out.append(f"PROPERTIES (\n{props}\n);")
    return "\n".join(out)


def _width(t: SrType) -> int:
    if t.name in ("TINYINT", "BOOLEAN"):
        return 1
    if t.name == "SMALLINT":
        return 2
    if t.name in ("INT", "FLOAT", "DATE"):
        return 4
    if t.name in ("BIGINT", "DOUBLE", "DATETIME"):
        return 8
    if t.name in ("LARGEINT", "DECIMAL"):
        return 16
    return 16  # strings, JSON, arrays: a nominal width


def _column_name(name: str) -> str:
    """DuckDB's name for an output expression, where it differs from the FE's."""
    if name == "count_star()":
        return "count(*)"
    return name


def _called(S: list[ddl.Token], k: int) -> bool:
    """Whether the word at ``k`` is a call (a "(" follows) or a name qualified by another."""
    after = S[k + 1] if k + 1 < len(S) else None
    return (after is not None and after.text == "(") or (k > 0 and S[k - 1].text == ".")


def _matching(toks: list[ddl.Token], open_at: int) -> int:
    depth = 0
    for k in range(open_at, len(toks)):
        if toks[k].kind == ddl.OP and toks[k].text == "(":
            depth += 1
        elif toks[k].kind == ddl.OP and toks[k].text == ")":
            depth -= 1
            if depth == 0:
                return k
    return len(toks)


def _literal_types(S: list[ddl.Token], open_at: int, upper: bool) -> list[str]:
    """The types StarRocks gives the literal arguments of a call (``'x'`` varchar, ``1`` tinyint...),
    as an error message lists them; an argument that is not a plain literal is left out."""
    close = _matching(S, open_at)
    args: list[list[ddl.Token]] = [[]]
    depth = 0
    for tok in S[open_at + 1 : close]:
        if tok.text in ("(", "["):
            depth += 1
        elif tok.text in (")", "]"):
            depth -= 1
        if depth == 0 and tok.text == ",":
            args.append([])
        else:
            args[-1].append(tok)
    out: list[str] = []
    for arg in args:
        if len(arg) != 1:
            continue
        tok = arg[0]
        kind = None
        if tok.kind == ddl.STRING:
            kind = "varchar"
        elif tok.kind == ddl.NUMBER and re.fullmatch(r"\d+", tok.text):
            n = int(tok.text)
            kind = next(
                (name for name, bits in (("tinyint", 7), ("smallint", 15), ("int", 31), ("bigint", 63))
                 if n < 2**bits),
                "largeint",
            )  # fmt: skip
        elif tok.kind == ddl.NUMBER:
            kind = "double"
        elif tok.is_word("TRUE", "FALSE"):
            kind = "boolean"
        elif tok.is_word("NULL"):
            kind = "null_type"
        if kind is not None:
            out.append(kind.upper() if upper else kind)
    return out


def _find(sql: str, needle: str) -> int:
    if not needle:
        return -1
    m = re.search(r"(?<![A-Za-z0-9_])" + re.escape(needle) + r"(?![A-Za-z0-9_])", sql, re.IGNORECASE)
    if m:
        return m.start()
    return sql.lower().find(needle.lower())


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _like(name: str, pattern: str | None) -> bool:
    if pattern is None:
        return True
    glob = "".join(
        "*" if ch == "%" else "?" if ch == "_" else "[" + ch + "]" if ch in "[]*?" else ch for ch in pattern
    )
    return fnmatch.fnmatchcase(name.lower(), glob.lower())


class _TokCursor:
    """A cursor over the tokens of a SHOW statement."""

    def __init__(self, sql: str, toks: list[ddl.Token]) -> None:
        self.sql = sql
        while toks and toks[-1].kind == ddl.OP and toks[-1].text == ";":
            toks = toks[:-1]
        self.toks = toks
        self.i = 0

    def peek(self) -> ddl.Token | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def accept(self, *words: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.is_word(*words):
            self.i += 1
            return True
        return False

    def accept_op(self, op: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.kind == ddl.OP and tok.text == op:
            self.i += 1
            return True
        return False

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            raise SqlError(_syntax_message(self.sql, self.peek(), ", ".join(f"'{w}'" for w in words)))

    def ident(self) -> str:
        tok = self.peek()
        if tok is None or tok.kind not in (ddl.WORD, ddl.QIDENT):
            raise SqlError(_syntax_message(self.sql, tok, "a legal identifier"))
        self.i += 1
        return tok.value if tok.kind == ddl.QIDENT else tok.text

    def dotted(self) -> list[str]:
        parts = [self.ident()]
        while self.accept_op("."):
            parts.append(self.ident())
        return parts

    def qualified_name(self) -> tuple[str | None, str]:
        parts = self.dotted()
        if len(parts) == 3:
            if parts[0] != CATALOG:
                raise SqlError(f"Unknown catalog '{parts[0]}'")
            parts = parts[1:]
        if len(parts) == 2:
            return parts[0], parts[1]
        if len(parts) == 1:
            return None, parts[0]
        raise SqlError(_syntax_message(self.sql, self.peek()))

    def string(self) -> str:
        tok = self.peek()
        if tok is None or tok.kind != ddl.STRING:
            raise SqlError(_syntax_message(self.sql, tok, "a string"))
        self.i += 1
        return tok.value

    def integer(self) -> int:
        tok = self.peek()
        if tok is None or tok.kind != ddl.NUMBER or not tok.text.isdigit():
            raise SqlError(_syntax_message(self.sql, tok, "an integer"))
        self.i += 1
        return int(tok.text)

    def like(self) -> str | None:
        if self.accept("LIKE"):
            return self.string()
        return None

    def done(self) -> None:
        tok = self.peek()
        if tok is not None:
            raise SqlError(_syntax_message(self.sql, tok))


_executors: weakref.WeakKeyDictionary[Sandbox, Executor] = weakref.WeakKeyDictionary()


def executor(sb: Sandbox) -> Executor:
    ex = _executors.get(sb)
    if ex is None:
        ex = _executors[sb] = Executor(sb)
    return ex


# -- metrics --------------------------------------------------------------------------------------


def count_query(sb: Sandbox, ok: bool, started: float, scan_rows: int = 0, scan_bytes: int = 0) -> None:
    """A query the FE ran: its counters and latency, and its scan on the BEs."""
    sb.starrocks.activity.query(ok, (time.monotonic() - started) * 1000, scan_rows, scan_bytes)


# -- HTTP -----------------------------------------------------------------------------------------


def routes(sb: Sandbox) -> list[BaseRoute]:
    ex = executor(sb)

    async def handle(request: Request) -> Response:
        user = auth.check(sb.config, request)
        if user is None:
            return auth.fe_unauthorized(request)
        catalog = request.path_params["catalog"]
        db = request.path_params.get("db")
        if catalog != CATALOG or (
            db is not None and db.lower() != "information_schema" and sb.engine.database(db) is None
        ):
            return error_response("set catalog or db failed", 403)
        if not is_json(request):
            # The FE reads the body whatever its type; the sandbox, reachable from the user's
            # browser, does not run SQL sent as a form (see http.is_json).
            return error_response(NOT_JSON, 415)
        raw = (await request.body()).decode("utf-8", "replace")
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            return error_response(f"malformed json [ {raw} ]", 500)
        if body is not None and not isinstance(body, dict):
            return error_response(f"malformed json [ {raw} ]", 500)
        query = (body or {}).get("query")
        if not isinstance(query, str) or not query.strip():
            return error_response('"query can not be empty"', 500)
        try:
            variables = check_session_variables((body or {}).get("sessionVariables"))
            stmt = classify(query)
        except SqlError as e:
            return error_response(e.message, e.status)
        if stmt.kind == "refused":
            return error_response("http query only support SELECT, SHOW, EXPLAIN, DESC, KILL statement", 500)
        client = request.client
        addr = f"{client.host}:{client.port}" if client else "unknown"
        session = ex.sessions.open(user, addr, db or "")
        session.variables = variables
        ex.sessions.start(session, query.strip())
        sb.metrics.inc(mn.REQUEST_TOTAL)
        started = time.monotonic()
        if stmt.kind in ("query", "explain"):
            return await _run_query(sb, ex, session, stmt, db, started, Limits.of(variables.get))
        try:
            if stmt.kind == "show":
                result = await sb.store.run(ex.show, stmt.sql, db, session)
                return Response(
                    result.to_json(),
                    media_type=CONTENT_TYPE,
                    headers={"X-StarRocks-Query-Id": session.query_id},
                )
            return await _kill(ex, session, stmt.sql)
        except SqlError as e:
            return error_response(e.message, e.status)
        except Exception as e:
            return error_response(getattr(e, "message", None) or str(e), 500)
        finally:
            ex.sessions.finish(session)

    return [
        Route("/api/v1/catalogs/{catalog}/databases/{db}/sql", handle, methods=["POST"]),
        Route("/api/v1/catalogs/{catalog}/sql", handle, methods=["POST"]),
    ]


async def _kill(ex: Executor, session: Session, sql: str) -> Response:
    p = _TokCursor(sql, ddl.tokenize(sql))
    p.expect("KILL")
    connection = not p.accept("QUERY")
    if connection:
        p.accept("CONNECTION")
    target = p.integer()
    p.done()
    if target == session.id:
        session.killed = True
        # A connection killing itself is answered, then closed (the FE's "suicide" case).
        return Response(b"", media_type=CONTENT_TYPE, headers={"Connection": "close"})
    if not ex.sessions.kill(target, connection):
        raise SqlError(f"Unknown thread id: {target}", code=1094)
    return Response(b"", media_type=CONTENT_TYPE)


async def _run_query(
    sb: Sandbox,
    ex: Executor,
    session: Session,
    stmt: Classified,
    db: str | None,
    started: float,
    limits: Limits,
) -> Response:
    headers = {"X-StarRocks-Query-Id": session.query_id}
    if stmt.kind == "explain":
        try:
            plan = await sb.store.run(ex.explain, stmt.body, db)
        except SqlError as e:
            count_query(sb, False, started)
            return error_response(e.message, e.status)
        except Exception as e:
            count_query(sb, False, started)
            return error_response(getattr(e, "message", None) or str(e), 500)
        finally:
            ex.sessions.finish(session)
        count_query(sb, True, started)
        return Response(compact({"explain": plan}), media_type=CONTENT_TYPE, headers=headers)
    # query_timeout runs from the statement's start to its last row (the coordinator's deadline).
    session.timed_out = False
    timer = threading.Timer(limits.timeout, _time_out, (session,))
    timer.daemon = True
    timer.start()
    try:
        sql_text = await _fold(sb, session, stmt.sql, db)
        q = await sb.store.run(ex.open_query, sql_text, db, session)
    except Exception as e:  # the FE answers any failure before data as a 500 with its message
        timer.cancel()
        session.cursor = None
        ex.sessions.finish(session)
        count_query(sb, False, started)
        if session.timed_out:
            return error_response(limits.timeout_message(), 500)
        if isinstance(e, SqlError):
            return error_response(e.message, e.status)
        return error_response(getattr(e, "message", None) or str(e), 500)

    async def stream() -> AsyncIterator[bytes]:
        ok = False
        try:
            yield (compact({"connectionId": session.id}) + "\n").encode()
            yield (compact({"meta": q.meta}) + "\n").encode()
            returned = 0
            while returned < limits.max_rows:
                if session.killed:
                    raise _StreamAborted("killed")
                try:
                    chunk, n = await sb.store.run(q.fetch_lines, min(BATCH_ROWS, limits.max_rows - returned))
                except duckdb.Error as e:
                    raise _StreamAborted(str(e)) from e
                if n == 0:
                    break
                returned += n
                yield chunk.encode()
            if session.timed_out:
                raise _StreamAborted(limits.timeout_message())
            stats = {"scanRows": q.scan_rows, "scanBytes": q.scan_bytes, "returnRows": returned}
            yield (compact({"statistics": stats}) + "\n").encode()
            ok = True
        finally:
            timer.cancel()
            q.close()
            ex.sessions.finish(session)
            count_query(sb, ok, started, q.scan_rows, q.scan_bytes)

    return _AbortableStream(stream(), media_type=CONTENT_TYPE, headers=headers)


async def _fold(sb: Sandbox, session: Session, sql: str, db: str | None) -> str:
    """The statement as the FE plans it over this API too: ``@@variables`` (the request's
    sessionVariables first), the session's information functions (CONNECTION_ID(), CURRENT_USER()...)
    folded to literals, and ``sleep(n)`` slept before the rest runs — stopped by KILL QUERY or
    query_timeout — as over the query port."""
    from . import frontend  # built on this module: imported when a query runs

    port = getattr(sb, "query_server", None)
    fe = port.fe if port is not None else frontend.Frontend(sb)
    conn = frontend.Connection(
        user=session.user, host=session.host, db=db, session=session, variables=dict(session.variables)
    )
    sleeps: list[int] = []
    try:
        folded = fe.fold(conn, sql, sleeps)
    except frontend.FeError as e:
        raise SqlError(e.message, code=e.code) from None
    if sleeps:
        killed = threading.Event()
        session.on_kill = lambda _connection: killed.set()
        try:
            deadline = time.monotonic() + sum(sleeps)
            while (left := deadline - time.monotonic()) > 0:
                if killed.is_set() or session.killed:
                    raise SqlError("killed manually", code=frontend.KILLED_CODE)
                if session.timed_out:
                    raise SqlError("timeout")  # the caller answers with query_timeout's own text
                await asyncio.sleep(min(0.05, left))
        finally:
            session.on_kill = None
    return folded


def _time_out(session: Session) -> None:
    session.timed_out = True
    interrupt(session)


class _StreamAborted(Exception):
    """A query failed or was killed after rows were sent."""


class _AbortableStream(StreamingResponse):
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        except _StreamAborted:
            # Like the FE, close the connection without the last chunk: the client sees a cut-off reply.
            pass
