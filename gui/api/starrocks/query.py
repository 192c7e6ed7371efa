"""The FE's query port: StarRocks' MySQL protocol (default 9030), for what the HTTP SQL API refuses —
DDL, DML, ADMIN, users and grants, session settings — and for results too large to hold.

The driver is asyncmy (Apache-2.0). Both maintained asyncio drivers were measured against the
sandbox's query port (mysql-mimic) on this project's 2-core machine, Python 3.11, the server on the
same cores:

============================  ===================  ===================
                              asyncmy 0.2.18       aiomysql 0.3.2
============================  ===================  ===================
connect (loopback)            2.2–2.6 ms           2.0–2.4 ms
1,000,000 rows, SSCursor,     2.7–2.9 s            6.5–6.6 s
fetchmany(1000)
peak RSS over a bare process  +4 MB (bounded)      +1 MB (bounded)
KILL QUERY from a 2nd conn    1317 raised at once, connection usable afterwards (both)
TLS asked, server offers none refuses (2003, SSL     connects WITHOUT TLS: the handshake and
                              WRONG_VERSION_NUMBER)  every statement go in clear
DECIMAL / DATE / DATETIME     Decimal, date, datetime (both)
wheels 3.11–3.13              Linux x86_64/aarch64, pure Python (any platform)
                              Windows, macOS arm64;
                              macOS x86_64 only 3.11
last release                  2026-11              2025-10
============================  ===================  ===================

aiomysql's silent fall-back to plain text when the server does not offer TLS decided it: a profile
that asks for TLS must never send its login in clear. asyncmy is also 2.4× faster at streaming.
(Intel Macs on Python 3.12+ build asyncmy from its sdist: a C compiler is needed there.)

Errors keep the server's number, SQLSTATE and text verbatim (``ServerReply`` in the error's ``raw``)
and are mapped into the one hierarchy of ``gui.api.errors``. The password never appears in an error,
a log line or a repr: it is held as a ``SecretStr`` and given to the driver only at connect.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncmy
from asyncmy.constants import FIELD_TYPE
from asyncmy.cursors import SSCursor
from pydantic import SecretStr

from .. import errors
from ..transport import is_cert_verify_failure, tls_context

log = logging.getLogger("starrocks_console.query_port")

DEFAULT_QUERY_PORT = 9030
# The driver's receive buffer while a result streams: ~1,200 rows of a narrow table parsed at a time
# (3–5 ms), where its own 256 KiB held ~10,000.
RECEIVE_BUFFER = 32 * 1024
SERVICE = "starrocks"

_TYPE_NAMES = {
    getattr(FIELD_TYPE, n): n for n in dir(FIELD_TYPE) if n.isupper() and n not in ("CHAR", "INTERVAL")
}
# MySQL's names for the codes StarRocks sends (VAR_STRING is VARCHAR, NEWDECIMAL is DECIMAL...).
_TYPE_NAMES.update(
    {
        FIELD_TYPE.TINY: "TINYINT",
        FIELD_TYPE.SHORT: "SMALLINT",
        FIELD_TYPE.LONG: "INT",
        FIELD_TYPE.LONGLONG: "BIGINT",
        FIELD_TYPE.NEWDECIMAL: "DECIMAL",
        FIELD_TYPE.VAR_STRING: "VARCHAR",
        FIELD_TYPE.STRING: "CHAR",
    }
)

# Client-side errors of the MySQL protocol (CR_*): the server could not be reached or went away.
_CONNECTION_LOST = {2002, 2003, 2005, 2006, 2013, 2026, 2055}
_AUTH = {1045, 1251}
_PERMISSION = {1044, 1142, 1143, 1227, 5203}
_NOT_FOUND = {1049, 1051, 1109, 1146}
# ER_QUERY_INTERRUPTED; 1927 is MariaDB's/MySQL's ER_CONNECTION_KILLED.
_KILLED = {1317, 1927}
# StarRocks' ERR_TIMEOUT (query_timeout reached) and MySQL's 3024 (max_execution_time).
_TIMEOUT = {5024, 3024}
# StarRocks reports analysis errors — an unknown table or database in a SELECT included — as 1064
# ("Getting analyzing error ... Detail message: Unknown table 'db.t'."), not as MySQL's 1146/1049:
# its code says so (SemanticException -> ERR_PARSE_ERROR path), whatever its error-code page lists.
_UNKNOWN_OBJECT = re.compile(r"\bUnknown (table|database|catalog|view)\b|\bdoes not exist\b", re.IGNORECASE)


@dataclass(frozen=True)
class ServerReply:
    """An error as the server (or the driver, for CR_* numbers) said it, verbatim."""

    errno: int
    sqlstate: str | None
    message: str

    def __str__(self) -> str:
        state = f" ({self.sqlstate})" if self.sqlstate else ""
        return f"ERROR {self.errno}{state}: {self.message}"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # the MySQL type the server sent: INT, BIGINT, DECIMAL, DATE, DATETIME, VARCHAR...
    type_code: int | None = None


@dataclass
class Result:
    """A whole (small) result: rows of a result set, or an OK packet's figures."""

    columns: list[Column]
    rows: list[tuple[Any, ...]]
    affected_rows: int | None  # from the server's OK packet; None for a result set
    warnings: int
    connection_id: int | None
    elapsed: float


@dataclass(frozen=True)
class Batch:
    """Part of a streamed result: the columns (every batch carries them), then up to ``batch`` rows.
    The first batch of a result set has no rows: a view can show its header at once."""

    columns: list[Column]
    rows: list[tuple[Any, ...]] = field(default_factory=list)


class QueryPortTlsFailed(errors.ConnectionFailed):
    """The profile requires TLS on the query port and the FE did not take it: nothing was logged in."""


def mysql_error(e: BaseException, *, port: int | None = None, tls: bool = False) -> errors.ApiError:
    """The hierarchy's error for a driver or socket failure; the server's text kept verbatim."""
    if isinstance(e, errors.ApiError):
        return e
    errno: int | None = None
    message = str(e) or type(e).__name__
    args: tuple[Any, ...] = tuple(getattr(e, "args", ()))
    if isinstance(e, asyncmy.errors.MySQLError) and len(args) >= 2 and isinstance(args[0], int):
        errno, message = args[0], str(args[1])
    sqlstate = getattr(e, "sqlstate", None)
    reply = ServerReply(errno, sqlstate, message) if errno is not None else None
    where = f"the FE's query port ({port})" if port else "the FE's query port"
    reach_hint = (
        f"is {where} reachable from here? Check the profile's query port setting (StarRocks' default is "
        f"{DEFAULT_QUERY_PORT}, the FE's query_port in fe.conf)"
    )
    kw: dict[str, Any] = {"service": SERVICE, "code": str(errno) if errno is not None else None, "raw": reply}
    if tls and (isinstance(e, ssl.SSLError) or "SSL" in message or "TLS" in message):
        if is_cert_verify_failure(e):
            return errors.TlsVerifyFailed(
                f"the query port's TLS certificate could not be verified: {message}",
                hint="give the profile the CA file that signed the FE's certificate, or turn verification "
                "off in the profile if the network is trusted",
                **kw,
            )
        return QueryPortTlsFailed(
            f"TLS with {where} failed: {message}",
            hint="the profile requires TLS on the query port and the FE did not take it (StarRocks offers "
            "TLS there only when its ssl settings are configured); the login was not sent. Turn the "
            "profile's query-port TLS off only if the network is trusted",
            **kw,
        )
    if errno is None:
        if isinstance(e, OSError | asyncio.TimeoutError | ConnectionError):
            return errors.ConnectionFailed(f"cannot reach {where}: {message}", hint=reach_hint, **kw)
        return errors.ServerError(f"query port: {type(e).__name__}: {message}", **kw)
    if errno in _CONNECTION_LOST:
        return errors.ConnectionFailed(message, hint=reach_hint, **kw)
    if errno in _AUTH:
        return errors.AuthError(message, hint="check the user and password of this cluster profile", **kw)
    if errno in _PERMISSION:
        return errors.PermissionDenied(
            message, hint="ask an administrator for the privilege the message names (GRANT)", **kw
        )
    if errno in _KILLED:
        return errors.QueryCancelled(message, **kw)
    if errno in _TIMEOUT:
        return errors.OperationTimeout(
            message, hint="raise the session's query_timeout (SET query_timeout = seconds) or narrow it", **kw
        )
    if errno in _NOT_FOUND or (errno in (1064, 5501, 5502) and _UNKNOWN_OBJECT.search(message)):
        return errors.NotFound(message, **kw)
    if errno >= 2000:  # other client-side failures of the protocol
        return errors.ConnectionFailed(message, hint=reach_hint, **kw)
    return errors.InvalidRequest(message, **kw)


def reply_of(e: BaseException) -> ServerReply | None:
    """The server's own number, SQLSTATE and text behind an error of this module."""
    raw = getattr(e, "raw", None)
    return raw if isinstance(raw, ServerReply) else None


def ssl_context(tls: bool, verify: bool = True, ca_bundle: str | None = None) -> ssl.SSLContext | None:
    """The context for the query port: None without TLS; verifying (the system's trust store or
    ``ca_bundle``) unless ``verify`` is off."""
    if not tls:
        return None
    if verify:
        return tls_context(ca_bundle or None)
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _columns(description: Any) -> list[Column]:
    return [Column(str(d[0]), _TYPE_NAMES.get(d[1], str(d[1])), d[1]) for d in description or ()]


def _bound_receive_buffer(conn: Any) -> None:
    """Keep the driver's receive buffer at ``RECEIVE_BUFFER`` bytes while a result streams.

    asyncmy reads into one buffer (256 KiB to start with) as much as the socket holds, and its next
    fetch parses every complete row in it in one go, however few were asked for: ~10,000 rows of a
    narrow table, 30–80 ms of the window's loop on a loaded 2-core machine. A smaller buffer makes
    each read, and so each parse, smaller; the kernel's own socket buffer (and TCP window) is left
    alone, so a distant FE streams as fast as before.

    Only on a selector loop: its transport fills the buffer within the call that hands it out. A
    proactor (Windows) may still hold a view of the old buffer for a read in flight, and swapping the
    buffer under it would lose the bytes."""
    if not isinstance(asyncio.get_running_loop(), asyncio.SelectorEventLoop):
        return
    proto = getattr(conn, "_proto", None)
    buffer = getattr(proto, "buffer", None)
    if proto is None or not isinstance(buffer, bytearray):
        return
    unread = proto.length - proto.pos
    size = max(RECEIVE_BUFFER, unread + RECEIVE_BUFFER // 2)
    if len(buffer) <= size:
        return
    smaller = bytearray(size)
    smaller[:unread] = memoryview(buffer)[proto.pos : proto.length]
    proto.buffer, proto.pos, proto.length = smaller, 0, unread


class StarRocksSql:
    """One MySQL-protocol connection to an FE, opened at the first statement (or ``connect()``) and
    again after it was lost or abandoned. One statement at a time; ``cancel()`` may be called while
    one runs."""

    service = SERVICE

    def __init__(
        self,
        host: str,
        user: str,
        password: str,
        *,
        port: int = DEFAULT_QUERY_PORT,
        tls: bool = False,
        verify_tls: bool = True,
        ca_bundle: str | None = None,
        database: str | None = None,
        connect_timeout: float = 10.0,
    ) -> None:
        if not 1 <= port <= 65535:
            raise errors.InvalidRequest(f"the query port must be 1–65535, not {port}", service=SERVICE)
        self.host = host
        self.port = port
        self.user = user
        self._password = SecretStr(password)
        self.tls = tls
        self.verify_tls = verify_tls
        self.ca_bundle = ca_bundle or None
        self.database = database
        self.connect_timeout = connect_timeout
        self._conn: Any = None
        self._db_asked: str | None = None
        self._lock = asyncio.Lock()
        self._running = False
        self.connection_id: int | None = None
        self.server_version: str | None = None
        self.connections_made = 0

    def __repr__(self) -> str:
        return f"StarRocksSql({self.user}@{self.host}:{self.port}, tls={self.tls})"

    # -- the connection ------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._conn is not None and bool(self._conn.connected)

    async def _open(self, database: str | None = None) -> Any:
        try:
            context = await asyncio.to_thread(ssl_context, self.tls, self.verify_tls, self.ca_bundle)
        except (OSError, ssl.SSLError) as e:
            raise errors.InvalidRequest(
                f"the CA file {self.ca_bundle} cannot be used: {getattr(e, 'strerror', None) or e}",
                service=SERVICE,
                hint="give the profile a PEM file of the CA that signed the FE's certificate",
            ) from None
        try:
            conn = await asyncmy.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self._password.get_secret_value(),
                database=database,
                ssl=context,
                connect_timeout=self.connect_timeout,
                autocommit=True,
                charset="utf8mb4",
            )
        except BaseException as e:  # noqa: BLE001 - every failure becomes the hierarchy's
            if isinstance(e, asyncio.CancelledError | KeyboardInterrupt | SystemExit):
                raise
            raise mysql_error(e, port=self.port, tls=self.tls) from None
        return conn

    async def connect(self) -> None:
        """Open the connection now (it is otherwise opened by the first statement)."""
        async with self._lock:
            await self._ensure(None)

    async def _ensure(self, db: str | None) -> Any:
        """The open connection, opened if needed. ``db`` is made current when it differs from the
        one asked for last: a ``USE`` the statements ran themselves is not undone."""
        if not self.connected:
            self._drop()
            self._conn = await self._open(db or self.database)
            self._db_asked = db or self.database
            self.connections_made += 1
            self.connection_id = int(self._conn.thread_id())
            self.server_version = str(self._conn.get_server_info())
            log.debug("query port %s:%s: connection %s", self.host, self.port, self.connection_id)
        elif db and db != self._db_asked:
            try:
                await self._conn.select_db(db)
            except asyncmy.errors.MySQLError as e:
                raise mysql_error(e, port=self.port) from None
            self._db_asked = db
        return self._conn

    def _drop(self) -> None:
        """Forget the connection without a goodbye (its socket closed at once): what is left of a
        result is not read."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - already broken: nothing more to do with it
                pass

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await asyncio.wait_for(conn.ensure_closed(), 2.0)
            except Exception:  # noqa: BLE001
                conn.close()

    async def __aenter__(self) -> StarRocksSql:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- statements ----------------------------------------------------------------------------------
    async def execute(self, sql: str, db: str | None = None) -> Result:
        """Run one statement and read its whole result (for small results; ``stream`` for large)."""
        rows: list[tuple[Any, ...]] = []
        stream = self.stream(sql, db=db)
        async for batch in stream:
            rows.extend(batch.rows)
        return Result(
            columns=stream.columns,
            rows=rows,
            affected_rows=stream.affected_rows,
            warnings=stream.warnings,
            connection_id=stream.connection_id,
            elapsed=stream.elapsed,
        )

    def stream(self, sql: str, batch: int = 1000, db: str | None = None) -> Stream:
        """Run one statement and hand its result out in batches, read from the socket as they are
        asked for (an unbuffered cursor: a million rows never sit in memory). Stop early with
        ``aclose()``: the connection is then dropped rather than drained, and the next statement
        opens another."""
        return Stream(self, sql, max(1, batch), db)

    async def cancel(self) -> int | None:
        """Stop the running statement: ``KILL QUERY <connection id>`` sent on a second connection,
        as the mysql client's Ctrl-C does. Returns the id killed, or None when nothing ran. The
        statement then fails with the server's own error (QueryCancelled)."""
        target = self.connection_id
        if target is None or not self._running:
            return None
        await self.kill(target)
        return target

    async def kill(self, connection_id: int) -> None:
        """``KILL QUERY <connection_id>`` on a connection of its own."""
        other = await self._open(None)
        try:
            cur = other.cursor()
            await cur.execute(f"KILL QUERY {int(connection_id)}")
        except asyncmy.errors.MySQLError as e:
            raise mysql_error(e, port=self.port) from None
        finally:
            other.close()


class Stream(AsyncIterator[Batch]):
    """A statement's result, batch by batch. After the end: ``columns``, ``rows`` (read),
    ``affected_rows`` (an OK packet's), ``warnings`` and ``elapsed``."""

    def __init__(self, channel: StarRocksSql, sql: str, batch: int, db: str | None) -> None:
        self._channel = channel
        self._sql = sql
        self._batch = batch
        self._db = db
        self._cursor: Any = None
        self._started = 0.0
        self._header_sent = False
        self._held = False
        self.done = False
        self.columns: list[Column] = []
        self.rows = 0
        self.affected_rows: int | None = None
        self.warnings = 0
        self.connection_id: int | None = None
        self.elapsed = 0.0
        # Set when the task reading it was cancelled while the statement ran: whether KILL QUERY went.
        self.killed: bool | None = None
        self.kill_note = ""

    def __aiter__(self) -> Stream:
        return self

    async def __anext__(self) -> Batch:
        if self.done:
            raise StopAsyncIteration
        try:
            if self._cursor is None:
                await self._start()
                if not self.columns:
                    await self._finish()
                    raise StopAsyncIteration
            if not self._header_sent:
                self._header_sent = True
                return Batch(self.columns, [])
            _bound_receive_buffer(self._cursor.connection)
            try:
                rows = await self._cursor.fetchmany(self._batch)
            except asyncmy.errors.MySQLError as e:
                raise self._failed(e) from None
            except (OSError, asyncio.IncompleteReadError) as e:
                raise self._failed(e) from None
            if not rows:
                result = getattr(self._cursor, "_result", None)
                self.warnings = int(getattr(result, "warning_count", 0) or 0)
                await self._finish()
                raise StopAsyncIteration
            self.rows += len(rows)
            return Batch(self.columns, [tuple(r) for r in rows])
        except asyncio.CancelledError:
            try:
                await self._kill_on_cancel()
            finally:
                await self.aclose()
            raise

    async def _kill_on_cancel(self) -> None:
        """The task reading this was cancelled: the statement must not go on running on the server
        (dropping the connection does not stop it there), so it is killed first."""
        target = self.connection_id
        if not self._channel._running or target is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._channel.kill(target)), 5)
        except (errors.ApiError, TimeoutError) as e:
            self.killed, self.kill_note = False, f"KILL QUERY {target} failed: {e}"
        else:
            self.killed, self.kill_note = True, f"KILL QUERY {target}"

    async def _start(self) -> None:
        channel = self._channel
        await channel._lock.acquire()
        self._held = True
        try:
            conn = await channel._ensure(self._db)
        except BaseException:
            self.done = True
            self._release()
            raise
        self.connection_id = channel.connection_id
        self._cursor = conn.cursor(SSCursor)
        self._started = time.monotonic()
        channel._running = True
        try:
            await self._cursor.execute(self._sql)
        except asyncmy.errors.MySQLError as e:
            raise self._failed(e) from None
        except (OSError, asyncio.IncompleteReadError) as e:
            raise self._failed(e) from None
        self.columns = _columns(self._cursor.description)
        if not self.columns:
            result = getattr(self._cursor, "_result", None)
            self.affected_rows = int(getattr(result, "affected_rows", 0) or 0)
            self.warnings = int(getattr(result, "warning_count", 0) or 0)

    def _failed(self, e: BaseException) -> errors.ApiError:
        channel = self._channel
        self.elapsed = time.monotonic() - self._started if self._started else 0.0
        self.done = True
        channel._running = False
        error = mysql_error(e, port=channel.port)
        if isinstance(error, errors.ConnectionFailed) or not channel.connected:
            channel._drop()
        self._release()
        return error

    async def _finish(self) -> None:
        self.elapsed = time.monotonic() - self._started
        self.done = True
        self._channel._running = False
        self._release()

    def _release(self) -> None:
        if self._held:
            self._held = False
            self._channel._lock.release()

    async def aclose(self) -> None:
        """Stop reading. A result not read to its end is abandoned with its connection."""
        if not self.done:
            self.done = True
            self.elapsed = time.monotonic() - self._started if self._started else 0.0
            self._channel._running = False
            if self._cursor is not None:
                self._channel._drop()
            self._release()
