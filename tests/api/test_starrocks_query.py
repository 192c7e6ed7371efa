"""The query-port channel against the sandbox's real MySQL-protocol port: types end to end, a large
result streamed in batches with bounded memory, KILL QUERY from a second connection, the server's
errors mapped into the hierarchy with its text kept, TLS refused rather than dropped, and the
password nowhere it could leak."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import ssl
import traceback
import tracemalloc
import uuid
from decimal import Decimal
from typing import Any

import certifi
import pytest
from conftest import SandboxProcess
from tcp_relay import Relay

from gui.api import errors
from gui.api.starrocks import QueryPortTlsFailed, StarRocksSql, reply_of
from gui.api.starrocks.query import ssl_context


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def channel(sp: SandboxProcess, **kw: Any) -> StarRocksSql:
    user, password = kw.pop("user", sp.auth[0]), kw.pop("password", sp.auth[1])
    return StarRocksSql("127.0.0.1", user, password, port=sp.query_port, **kw)


def fresh_db() -> str:
    return f"q_{uuid.uuid4().hex[:8]}"


def test_connect_names_the_connection_and_the_server(sandbox: SandboxProcess) -> None:
    async def go() -> tuple[int | None, str | None, list[Any]]:
        async with channel(sandbox) as q:
            await q.connect()
            result = await q.execute("select connection_id()")
            return q.connection_id, q.server_version, [tuple(r) for r in result.rows]

    cid, version, rows = run(go())
    assert cid is not None and rows in ([(cid,)], [(str(cid),)])
    assert version == "8.0.33"  # what the FE's handshake says (a MySQL 8 version for clients' sake)


def test_types_come_through_end_to_end(sandbox: SandboxProcess) -> None:
    db = fresh_db()

    async def go() -> Any:
        async with channel(sandbox) as q:
            await q.execute(f"create database {db}")
            ddl = await q.execute(
                "create table t (i int, b bigint, d decimal(12,3), day date, at datetime, s varchar(20), "
                "n int) duplicate key(i) distributed by hash(i) buckets 1 "
                "properties ('replication_num' = '1')",
                db=db,
            )
            ins = await q.execute(
                "insert into t values (1, 9007199254740993, 12345.678, '2024-02-29', "
                "'2024-02-29 23:59:58', 'héllo', null)",
                db=db,
            )
            sel = await q.execute("select * from t", db=db)
            return ddl, ins, sel

    ddl, ins, sel = run(go())
    assert ddl.columns == [] and ins.affected_rows == 1  # the server's OK packet's count
    assert [c.type for c in sel.columns] == ["INT", "BIGINT", "DECIMAL", "DATE", "DATETIME", "VARCHAR", "INT"]
    assert sel.rows == [
        (
            1,
            9007199254740993,  # past a double's precision: an int, not a float
            Decimal("12345.678"),
            dt.date(2024, 2, 29),
            dt.datetime(2024, 2, 29, 23, 59, 58),
            "héllo",
            None,
        )
    ]
    assert isinstance(sel.rows[0][2], Decimal)


@pytest.mark.slow
def test_a_large_result_streams_in_batches_with_bounded_memory(sandbox: SandboxProcess) -> None:
    total = 100_000

    async def go() -> tuple[list[int], int, int]:
        sizes: list[int] = []
        seen = 0
        async with channel(sandbox) as q:
            stream = q.stream(
                f"select generate_series as n, concat('row-', generate_series) as s "
                f"from TABLE(generate_series(1, {total}))",
                batch=1000,
            )
            tracemalloc.start()
            try:
                async for batch in stream:
                    assert [c.name for c in batch.columns] == ["n", "s"]
                    sizes.append(len(batch.rows))
                    for n, s in batch.rows:
                        assert s == f"row-{n}"
                        seen += 1
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        return sizes, seen, peak

    sizes, seen, peak = run(go())
    assert seen == total and sizes[0] == 0  # the header first, then the rows
    assert max(sizes) == 1000 and len(sizes) == 1 + total // 1000
    # The whole result held at once is ~15 MB of tuples and strings here; streamed in batches of 1000
    # its peak was 2.6 MB.
    assert peak < 6 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB while streaming"


async def _wait_running(sp: SandboxProcess, connection_id: int, text: str, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rows = (await asyncio.to_thread(sp.query, "show full processlist"))[0]  # SHOW: one list of objects
        if any(int(r["Id"]) == connection_id and text in str(r["Info"] or "") for r in rows):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"connection {connection_id} never showed {text!r}: {rows}")
        await asyncio.sleep(0.05)


def test_cancel_kills_the_running_query_on_the_server(sandbox: SandboxProcess) -> None:
    async def go() -> tuple[BaseException | None, float, int | None, Any]:
        async with channel(sandbox) as q:
            await q.connect()
            assert q.connection_id is not None
            started = asyncio.get_running_loop().time()
            task = asyncio.create_task(q.execute("select sleep(30)"))
            await _wait_running(sandbox, q.connection_id, "sleep(30)")
            killed = await q.cancel()
            try:
                await asyncio.wait_for(task, 10)
                failure: BaseException | None = None
            except errors.ApiError as e:
                failure = e
            took = asyncio.get_running_loop().time() - started
            after = await q.execute("select 1")  # the connection itself lives on
            return failure, took, killed, after.rows

    failure, took, killed, after = run(go())
    assert isinstance(failure, errors.QueryCancelled), failure
    reply = reply_of(failure)
    assert reply is not None and reply.errno == 1317 and reply.sqlstate == "70100"
    assert "killed" in failure.message and f"KILL QUERY {killed}" in failure.message  # the server's text
    assert took < 15
    assert after == [(1,)]


def test_cancel_with_nothing_running_sends_nothing(sandbox: SandboxProcess) -> None:
    async def go() -> int | None:
        async with channel(sandbox) as q:
            await q.connect()
            return await q.cancel()

    assert run(go()) is None


def test_a_wrong_password_is_an_auth_error_that_never_shows_it(
    sandbox: SandboxProcess, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Wr0ng-pw-never-shown-7731"
    caplog.set_level(logging.DEBUG)
    q = channel(sandbox, password=secret)
    with pytest.raises(errors.AuthError) as got:
        run(q.connect())
    e = got.value
    reply = reply_of(e)
    assert reply is not None and (reply.errno, reply.sqlstate) == (1045, "28000")
    assert e.message == "Access denied for user 'root' (using password: YES)"
    assert "user and password" in (e.hint or "")
    shown = " ".join(
        [str(e), repr(e), repr(e.args), repr(e.raw), repr(q), caplog.text, *traceback.format_exception(e)]
    )
    assert secret not in shown


def test_an_unknown_table_or_database_is_not_found_with_the_servers_text(sandbox: SandboxProcess) -> None:
    async def go() -> list[errors.ApiError]:
        out: list[errors.ApiError] = []
        async with channel(sandbox) as q:
            for sql, db in (
                ("select * from demo.no_such_table", None),
                ("select * from no_such_db.t", None),
                ("select 1", "no_such_db"),
            ):
                try:
                    await q.execute(sql, db=db)
                except errors.ApiError as e:
                    out.append(e)
        return out

    table, database, use = run(go())
    assert isinstance(table, errors.NotFound) and "Unknown table 'demo.no_such_table'" in table.message
    assert isinstance(database, errors.NotFound) and "Unknown database 'no_such_db'" in database.message
    assert isinstance(use, errors.NotFound) and use.message == "Unknown database 'no_such_db'"
    assert reply_of(use) is not None and reply_of(use).errno == 1049  # type: ignore[union-attr]


def test_a_missing_privilege_is_permission_denied(sandbox: SandboxProcess) -> None:
    user, pw = f"reader_{uuid.uuid4().hex[:6]}", "Reader-pw-1"

    async def go() -> errors.ApiError | None:
        async with channel(sandbox) as admin:
            await admin.execute(f"create user {user} identified by '{pw}'")
        async with channel(sandbox, user=user, password=pw) as q:
            try:
                await q.execute("select * from demo.orders")
            except errors.ApiError as e:
                return e
        return None

    e = run(go())
    assert isinstance(e, errors.PermissionDenied) and isinstance(e, errors.AuthError)
    assert reply_of(e) is not None and reply_of(e).errno == 5203  # type: ignore[union-attr]
    assert "SELECT privilege" in e.message


def test_a_closed_query_port_says_which_setting_to_check(sandbox_factory: Any) -> None:
    sp = sandbox_factory()
    port = sp.query_port
    sp.stop()
    with pytest.raises(errors.ConnectionFailed) as got:
        run(StarRocksSql("127.0.0.1", "root", "x", port=port, connect_timeout=3).connect())
    assert f"query port ({port})" in str(got.value) and "profile's query port" in str(got.value)


def test_the_tls_context_follows_the_profile() -> None:
    assert ssl_context(False) is None
    strict = ssl_context(True)
    assert strict is not None and strict.verify_mode == ssl.CERT_REQUIRED and strict.check_hostname
    with_ca = ssl_context(True, True, certifi.where())
    assert with_ca is not None and with_ca.verify_mode == ssl.CERT_REQUIRED and with_ca.get_ca_certs()
    off = ssl_context(True, verify=False)
    assert off is not None and off.verify_mode == ssl.CERT_NONE and not off.check_hostname


def test_a_missing_ca_file_is_told_before_connecting(sandbox: SandboxProcess, tmp_path: Any) -> None:
    q = channel(sandbox, tls=True, ca_bundle=str(tmp_path / "nope.pem"))
    with pytest.raises(errors.InvalidRequest, match="CA file"):
        run(q.connect())


def test_tls_required_and_not_offered_is_refused_before_the_login(sandbox: SandboxProcess) -> None:
    """The sandbox's query port offers no TLS (as an FE without ssl settings): a profile asking for
    TLS gets an error, and not a byte of its login crossed the wire in clear."""

    async def go() -> tuple[BaseException, bytes]:
        recorder = Relay(sandbox.query_port)
        port = recorder.port
        q = StarRocksSql("127.0.0.1", "tls_user_xyz", "tls-pw-xyz", port=port, tls=True, verify_tls=False)
        try:
            await q.connect()
        except errors.ApiError as e:
            failure: BaseException = e
        else:
            raise AssertionError("connected without TLS")
        finally:
            await q.aclose()
            recorder.close()
        return failure, bytes(recorder.sent)

    failure, sent = run(go())
    assert isinstance(failure, QueryPortTlsFailed) and isinstance(failure, errors.ConnectionFailed)
    assert "TLS" in str(failure) and "login was not sent" in str(failure)
    assert b"tls_user_xyz" not in sent  # the handshake response (user name, scramble) never went out


def test_a_streamed_result_is_read_in_small_slices_of_the_socket(sandbox: SandboxProcess) -> None:
    """The driver parses every complete row in its receive buffer at once, whatever the batch asked:
    while a result streams that buffer is kept at 32 KiB (not asyncmy's 256 KiB), so one parse is
    ~1,200 narrow rows and the window's loop is never held by ~10,000 of them."""
    from gui.api.starrocks.query import RECEIVE_BUFFER

    async def go() -> tuple[int, list[int]]:
        sizes: list[int] = []
        seen = 0
        async with channel(sandbox) as q:
            stream = q.stream(
                "select generate_series as n, concat('customer-', generate_series) as s "
                "from TABLE(generate_series(1, 100000))"
            )
            async for batch in stream:
                seen += len(batch.rows)
                if batch.rows:
                    sizes.append(len(stream._cursor.connection._proto.buffer))
        return seen, sizes

    seen, sizes = run(go())
    assert seen == 100_000
    # Bigger only while more than the buffer's worth was already in and not yet parsed.
    small = sum(1 for s in sizes if s <= RECEIVE_BUFFER)
    assert small >= len(sizes) * 0.8, f"receive buffer sizes while streaming: {sorted(set(sizes))}"
