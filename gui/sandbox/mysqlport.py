"""The FE's MySQL-protocol port (``--query-port``, default 9030), served by mysql-mimic.

mysql-mimic speaks the wire protocol (handshake, ``mysql_native_password``, COM_QUERY, text result
sets, COM_PING/INIT_DB...); what a statement does is ``starrocks.frontend``'s. Here:
- the FE user and the users made with CREATE USER log in with their MySQL native hash; a wrong
  password or an unknown user gets StarRocks' ERR_AUTHENTICATION_FAIL: ``ERROR 1045 (28000): Access
  denied for user 'root' (using password: YES)``;
- errors carry StarRocks' number and SQLSTATE (mysql-mimic knows only a few SQLSTATEs, so the error
  packet is built here);
- an INSERT's OK packet carries its affected rows;
- a SELECT's rows leave batch by batch as DuckDB returns them (the FE streams what the BEs send):
  the first packet leaves in milliseconds, a slow reader slows the fetching, and KILL QUERY or
  ``query_timeout`` end the result mid-way with the FE's error packet;
- connection ids come from the same counter as the HTTP SQL API's, so SHOW PROCESSLIST lists both
  and KILL reaches either; KILL QUERY stops the other connection's running statement (its DuckDB
  cursor is interrupted, a ``sleep()`` wakes up) and that statement fails with ERR_QUERY_INTERRUPTED;
- the port stops and starts with the FE (``POST /_sandbox/frontend``): a stopped FE refuses
  connections and the ones it held are cut;
- a client has ``query_handshake_timeout`` seconds to finish the handshake;
- once authenticated, a connection is registered as ConnectScheduler.registerConnection does:
  refused past ``qe_max_connection`` connections in all, or past the user's
  ``max_user_connections`` (SET PROPERTY), with the FE's text as an error packet (1064, HY000)
  instead of the OK.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from typing import TYPE_CHECKING, Any, cast

import duckdb
from mysql_mimic import MysqlServer, utils
from mysql_mimic.auth import (
    AuthInfo,
    AuthPlugin,
    Forbidden,
    IdentityProvider,
    NativePasswordAuthPlugin,
    Success,
    User,
)
from mysql_mimic.connection import Connection
from mysql_mimic.control import Control
from mysql_mimic.errors import ErrorCode, MysqlError
from mysql_mimic.results import ResultColumn, ResultSet
from mysql_mimic.session import BaseSession
from mysql_mimic.types import ColumnType
from mysql_mimic.variables import GlobalVariables, SessionVariables

from .listener import bind
from .starrocks import frontend
from .starrocks import sql as sqlapi

if TYPE_CHECKING:
    from .app import Sandbox

# What the FE's handshake names itself (MysqlHandshakePacket: a MySQL 8 version for clients' sake).
SERVER_VERSION = "8.0.33"
_NO_USER = "!"  # the auth string of a user that does not exist: no scramble matches it


def _type_of(fe_type: str) -> ColumnType:
    """The MySQL column type the FE sends for a column of this FE type."""
    t = fe_type.lower()
    base = t.split("(", 1)[0].strip()
    return {
        "boolean": ColumnType.TINY,
        "tinyint": ColumnType.TINY,
        "smallint": ColumnType.SHORT,
        "int": ColumnType.LONG,
        "bigint": ColumnType.LONGLONG,
        "float": ColumnType.FLOAT,
        "double": ColumnType.DOUBLE,
        "date": ColumnType.DATE,
        "datetime": ColumnType.DATETIME,
        "time": ColumnType.TIME,
        "decimal32": ColumnType.NEWDECIMAL,
        "decimal64": ColumnType.NEWDECIMAL,
        "decimal128": ColumnType.NEWDECIMAL,
        "decimal": ColumnType.NEWDECIMAL,
        "json": ColumnType.JSON,
        "varbinary": ColumnType.BLOB,
    }.get(base, ColumnType.VAR_STRING)


def _encode(col: ResultColumn, value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


class _Refusal(str):
    """A refusal whose MySQL error number is not ERR_ACCESS_DENIED (mysql-mimic sends every refusal of
    the authentication phase as 1045): QueryState.setError without an ErrorCode, which MysqlErrPacket
    sends as 1064 (HY000)."""

    code = 1064


class _StarRocksPassword(NativePasswordAuthPlugin):
    """mysql_native_password, refusing with the FE's own text."""

    def __init__(self, port: MysqlPort) -> None:
        self.port = port

    async def auth(self, auth_info: AuthInfo | None = None) -> Any:
        if auth_info and auth_info.handshake_plugin_name == self.name and auth_info.handshake_auth_data:
            # The nonce of the initial handshake is reused, as mysql-mimic's own plugin does.
            nonce = auth_info.handshake_auth_data.rstrip(b"\x00")
        else:
            nonce = utils.nonce(20)
            auth_info = yield nonce + b"\x00"
        assert auth_info is not None
        if self.password_matches(user=auth_info.user, scramble=auth_info.data, nonce=nonce):
            refusal = await self.port.admit(auth_info.user.name)
            if refusal is not None:
                # ConnectScheduler.registerConnection's message, in QueryState's error packet (not
                # MySQL's 1040 "Too many connections": the FE sets no error code, so 1064 HY000).
                yield Forbidden(_Refusal(refusal))
                return
            yield Success(auth_info.user.name)
        else:
            using = "YES" if auth_info.data else "NO"
            yield Forbidden(f"Access denied for user '{auth_info.username}' (using password: {using})")


class _Users(IdentityProvider):
    def __init__(self, port: MysqlPort) -> None:
        self.port = port
        self.fe = port.fe

    def get_plugins(self) -> list[AuthPlugin]:
        return [_StarRocksPassword(self.port)]

    async def get_user(self, username: str) -> User | None:
        stored = await self.fe.sb.store.run(self.fe.stored_password, username)
        if stored is None:
            auth = _NO_USER
        else:
            auth = stored.lstrip("*").lower()
        return User(name=username, auth_string=auth, auth_plugin=NativePasswordAuthPlugin.name)


class _Connection(Connection):
    """mysql-mimic's connection with StarRocks' SQLSTATEs and affected-row counts."""

    def error(self, **kwargs: Any) -> bytes:
        code = int(kwargs.get("code", ErrorCode.UNKNOWN_ERROR))
        raw = kwargs.get("msg", "")
        if isinstance(raw, _Refusal):
            code = raw.code
        msg = str(raw)
        state = frontend.SQLSTATES.get(code, "HY000").encode()
        return b"\xff" + code.to_bytes(2, "little") + b"#" + state + msg.encode("utf-8", "replace")

    async def connection_phase(self) -> None:
        session = cast(_Session, self.session)
        timeout = session.port.sb.config.query_handshake_timeout
        try:
            await asyncio.wait_for(super().connection_phase(), timeout)
        except TimeoutError:
            # A client that does not finish the handshake in time is dropped, as a MySQL server
            # drops it after connect_timeout ("Bad handshake").
            raise MysqlError("Bad handshake", ErrorCode.HANDSHAKE_ERROR) from None

    async def handle_query(self, data: bytes) -> None:
        from mysql_mimic import packets

        com_query = packets.parse_com_query(
            capabilities=self.capabilities, client_charset=self.client_charset, data=data
        )
        session = cast(_Session, self.session)
        result = await session.run(com_query.sql)
        if result.columns is None:
            await self.stream.write(self.ok(affected_rows=result.affected))
            return
        await self._send_rows(session, result)

    async def _send_rows(self, session: _Session, result: frontend.Result) -> None:
        """A result set, batch by batch: each batch leaves before the next is fetched (in a worker
        thread), as the FE sends rows as the BEs return them. mysql-mimic's own writer buffers the
        whole result before its first byte leaves. Waiting for the socket to drain between batches
        is the backpressure: a client that reads slowly slows the fetching, and a KILL QUERY or
        query_timeout seen between batches ends the result with the FE's error packet in place of
        the next row (as a client sees ``ERROR 1317`` after some rows)."""
        from mysql_mimic import packets

        more = result.more
        fine = False
        try:
            cols = _result_set(result).columns
            header = [packets.make_column_count(capabilities=self.capabilities, column_count=len(cols))]
            header += [
                packets.make_column_definition_41(
                    server_charset=self.server_charset,
                    name=c.name,
                    column_type=c.type,
                    character_set=c.character_set,
                )
                for c in cols
            ]
            if not self.deprecate_eof():
                header.append(self.eof())
            self.stream.write_many(header)
            rows, sent = result.rows, 0
            while rows:
                sent += self.stream.write_text_rows(rows, cols)
                await self.stream.drain()
                if more is None:
                    break
                try:
                    rows = await session.port.sb.store.run(more.fetch)
                except frontend.FeError as e:
                    raise MysqlError(e.message, cast(ErrorCode, e.code)) from e
            await self.stream.write(self.ok_or_eof(affected_rows=sent), drain=False)
            await self.stream.drain()
            fine = True
        finally:
            if more is not None:
                more.close(fine)


def _result_set(result: frontend.Result) -> ResultSet:
    assert result.columns is not None
    cols = [ResultColumn(name, _type_of(t), text_encoder=_encode) for name, t in result.columns]
    return ResultSet(rows=result.rows, columns=cols)


async def _all_rows(session: _Session, result: frontend.Result) -> frontend.Result:
    """The result with every row read (for mysql-mimic's own paths, which take a whole list)."""
    more = result.more
    if more is None:
        return result
    fine = False
    try:
        while True:
            try:
                batch = await session.port.sb.store.run(more.fetch)
            except frontend.FeError as e:
                raise MysqlError(e.message, cast(ErrorCode, e.code)) from e
            if not batch:
                break
            result.rows.extend(batch)
        fine = True
    finally:
        more.close(fine)
    result.more = None
    return result


class _Control(Control):
    """Connection ids from the FE's own counter (shared with the HTTP SQL API)."""

    def __init__(self, port: MysqlPort) -> None:
        self.port = port

    async def add(self, connection: Connection) -> int:
        session = cast(_Session, connection.session)
        peer = connection.stream.writer.get_extra_info("peername") or ("unknown", 0)
        return session.register(f"{peer[0]}:{peer[1]}", connection)

    async def remove(self, connection_id: int) -> None:
        return None

    async def kill(self, connection_id: int, kind: Any = None) -> None:
        return None


class _Session(BaseSession):
    def __init__(self, port: MysqlPort) -> None:
        self.port = port
        self.variables = SessionVariables(GlobalVariables())
        self.variables.set("version", SERVER_VERSION, force=True)
        self.username: str | None = None
        self.database: str | None = None
        self.conn: frontend.Connection | None = None
        self.session: sqlapi.Session | None = None
        self._connection: Connection | None = None
        self._closed = False
        self._loop = asyncio.get_running_loop()

    def register(self, host: str, connection: Connection) -> int:
        self._connection = connection
        self.session = self.port.fe.ex.sessions.register("", host, "", self._killed)
        return self.session.id

    async def init(self, connection: Connection) -> None:
        assert self.session is not None
        user = self.username or ""
        if self.database and self.port.fe.ex._database_name(self.database) is None:
            raise MysqlError(f"Unknown database '{self.database}'", cast(ErrorCode, 1049))
        self.session.user = user
        self.session.db = self.database or ""
        roles = await self.port.sb.store.run(self.port.fe.default_roles, user)
        self.conn = frontend.Connection(user, self.session.host, self.database, self.session, roles=roles)
        frontend.attach(self.conn)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.username is not None:
            # Set only once the connection was admitted (see _StarRocksPassword).
            self.port.release(self.username)
        if self.conn is not None:
            frontend.detach(self.conn)
        if self.session is not None:
            self.port.fe.ex.sessions.close(self.session)

    async def use(self, database: str) -> None:
        conn = self.conn
        assert conn is not None
        await self.run(f"USE `{database.replace('`', '``')}`")

    async def handle_query(self, sql: str, attrs: dict[str, str]) -> Any:
        result = await self.run(sql)
        if result.columns is None:
            return None
        return _result_set(await _all_rows(self, result))

    async def run(self, sql: str) -> frontend.Result:
        conn = self.conn
        assert conn is not None
        try:
            result = await self.port.sb.store.run(self.port.fe.execute, conn, sql)
        except frontend.FeError as e:
            raise MysqlError(e.message, cast(ErrorCode, e.code)) from e
        if conn.session.killed:
            # KILL of its own connection: answered, then closed (the FE's suicide case).
            self._loop.call_soon(self._close_transport)
        return result

    def _killed(self, connection: bool) -> None:
        """Called (from any thread) when a KILL names this connection."""
        conn = self.conn
        if conn is not None:
            if not conn.killed_by:
                conn.killed_by = "killed manually"
            conn.cancel.set()
            cur = conn.session.cursor
            if cur is not None:
                try:
                    cur.interrupt()
                except duckdb.Error:
                    pass
        if connection:
            self._loop.call_soon_threadsafe(self._close_transport)

    def _close_transport(self) -> None:
        if self._connection is not None:
            self._connection.stream.writer.close()


class _TlsSwitchingStream:
    """mysql-mimic's stream with a switch to TLS that loses no byte of the client's TLS handshake.

    A client sends its SSLRequest and its TLS ClientHello back to back. The stream's reader takes
    whatever the socket holds, so the ClientHello can arrive in its buffer with the SSLRequest;
    asyncio's ``start_tls`` then never sees it, and the handshake stalls until the client resets it
    (mysql-mimic's own PR #17 saw ConnectionResetError or TimeoutError there). StarRocks' FE reads
    exactly one packet before it switches, so a client of a real FE never meets this: the bytes
    read too early are handed to the TLS protocol as if they had just arrived."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    async def start_tls(self, context: ssl.SSLContext) -> None:
        reader, writer = self._stream.reader, self._stream.writer
        early = bytes(reader._buffer)  # noqa: SLF001 - what the reader took past the SSLRequest
        reader._buffer.clear()  # noqa: SLF001
        transport = writer.transport
        loop = asyncio.get_running_loop()
        switching = asyncio.ensure_future(
            loop.start_tls(transport, transport.get_protocol(), context, server_side=True)
        )

        def feed() -> None:
            tls = transport.get_protocol()
            if not isinstance(tls, asyncio.BufferedProtocol) or getattr(tls, "_transport", None) is None:
                loop.call_soon(feed)  # start_tls has not put its TLS protocol in place yet
                return
            data = early
            while data:
                buffer = memoryview(tls.get_buffer(len(data)))
                n = min(len(buffer), len(data))
                buffer[:n] = data[:n]
                tls.buffer_updated(n)
                data = data[n:]

        if early:
            loop.call_soon(feed)
        new_transport = await switching
        writer._transport = new_transport  # noqa: SLF001 - as mysql-mimic's own start_tls does
        reader._transport = new_transport  # noqa: SLF001


class _Server(MysqlServer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.writers: set[asyncio.StreamWriter] = set()

    async def serve_on(self, sock: socket.socket) -> None:
        # mysql-mimic's start_server always adds a port, which asyncio refuses next to a socket.
        self._server = await asyncio.start_server(self._client_connected_cb, sock=sock)

    def cut(self) -> None:
        """Close every connection held (the FE process is gone)."""
        for writer in list(self.writers):
            writer.close()

    async def _client_connected_cb(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            await self._serve(reader, writer)
        finally:
            self.writers.discard(writer)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        from mysql_mimic.stream import MysqlStream

        stream = cast(MysqlStream, _TlsSwitchingStream(MysqlStream(reader, writer)))
        session = cast(_Session, self.session_factory())
        connection = _Connection(
            stream=stream,
            session=session,
            control=self.control,
            server_capabilities=self.capabilities,
            identity_provider=self.identity_provider,
            ssl=self.ssl,
        )
        connection_id = await self.control.add(connection)
        connection.connection_id = connection_id
        try:
            await connection.start()
        except Exception:  # the connection's failure is the client's to see, not the server's
            pass
        finally:
            writer.close()
            await session.close()


class MysqlPort:
    """The FE's query port over the sandbox's engine."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.fe = frontend.Frontend(sb)
        self._server: _Server | None = None
        self._address: tuple[str, int] | None = None
        # Admitted connections by user (ConnectScheduler's connCountByUser).
        self._by_user: dict[str, int] = {}

    @property
    def running(self) -> bool:
        return self._server is not None

    async def start(self, sock: socket.socket | None = None) -> None:
        """Serve on ``sock``, or (started again) on the address it served before."""
        if self._server is not None:
            return
        if sock is None:
            assert self._address is not None, "the query port was never started"
            sock = bind(*self._address)
        name = sock.getsockname()
        self._address = (str(name[0]), int(name[1]))
        server = _Server(
            session_factory=lambda: _Session(self),
            control=_Control(self),
            identity_provider=_Users(self),
            ssl=self._tls(),
        )
        await server.serve_on(sock)
        self._server = server

    def _tls(self) -> ssl.SSLContext | None:
        """The server side of TLS when the FE has a keystore (SSLContextLoader.getSslContext): read
        at each start, as the FE reads it when it starts."""
        cfg = self.sb.config
        if cfg.ssl_cert is None:
            return None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cfg.ssl_cert, cfg.ssl_key)
        return context

    async def stop(self) -> None:
        """Stop listening (connections are refused) and cut the connections held."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            server.cut()
            await server.wait_closed()

    # -- ConnectScheduler.registerConnection -----------------------------------------------------
    async def admit(self, user: str) -> str | None:
        """Count an authenticated connection in, or say why the FE refuses it."""
        limit = self.sb.config.qe_max_connection
        total = sum(self._by_user.values())
        node = f"{self.sb.config.host}:{sqlapi.FE_EDIT_LOG_PORT}"
        if total >= limit:
            return (
                f"Reach cluster-wide connection limit, qe_max_connection={limit}, "
                f"connectionMap.size={total}, node={node}"
            )
        current = self._by_user.get(user, 0)
        user_max = await self.sb.store.run(self.fe.max_user_connections, user)
        if current >= user_max:
            return (
                f"Reach user-level(qualifiedUser: {user}) connection limit, "
                f"currentUserMaxConn={user_max}, connectionMap.size={total}, connByUser.totConn={total}, "
                f"user.currConn={current}, node={node}"
            )
        self._by_user[user] = current + 1
        return None

    def release(self, user: str) -> None:
        left = self._by_user.get(user, 0) - 1
        if left > 0:
            self._by_user[user] = left
        else:
            self._by_user.pop(user, None)
