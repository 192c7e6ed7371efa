"""The FE's MySQL-protocol port as a process: it stops and starts with the FE (a stopped FE refuses
connections and cuts the ones it held), drops a client that never finishes its handshake, and
refuses connections past qe_max_connection and a user's max_user_connections with the FE's text."""

from __future__ import annotations

import socket
import time
import uuid
from typing import Any

import httpx
import pymysql
import pytest
from conftest import SandboxProcess, wait_until

pytestmark = pytest.mark.slow


def _connect(sp: SandboxProcess, user: str | None = None, password: str | None = None) -> Any:
    return pymysql.connect(
        host="127.0.0.1",
        port=sp.query_port,
        user=user if user is not None else sp.auth[0],
        password=password if password is not None else sp.auth[1],
        connect_timeout=5,
        read_timeout=30,
    )


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def _frontend(url: str, sp: SandboxProcess, action: str) -> None:
    r = httpx.post(f"{url}/_sandbox/frontend", json={"action": action}, auth=sp.auth, timeout=30)
    assert r.status_code == 200, r.text


def test_the_query_port_follows_the_frontend_switch(sandbox_factory: Any) -> None:
    sp: SandboxProcess = sandbox_factory()
    held = _connect(sp)
    with held.cursor() as cur:
        cur.execute("select 1")
        assert cur.fetchone() == (1,)
    _frontend(sp.url, sp, "stop")
    assert wait_until(lambda: _refused(sp.query_port))
    with pytest.raises(pymysql.err.OperationalError) as e:
        _connect(sp)
    assert e.value.args[0] == 2003  # can't connect: refused
    # The connection it held is gone with it.
    with pytest.raises(pymysql.err.OperationalError), held.cursor() as cur:
        cur.execute("select 1")
    _frontend(sp.be_url, sp, "start")
    with _connect(sp) as conn, conn.cursor() as cur:
        cur.execute("select connection_id()")
        assert cur.fetchone()[0] > 0


def test_a_silent_client_is_dropped_after_the_handshake_timeout(
    sandbox_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STARROCKS_SANDBOX_QUERY_HANDSHAKE_TIMEOUT", "0.5")
    sp: SandboxProcess = sandbox_factory()
    with socket.create_connection(("127.0.0.1", sp.query_port), timeout=10) as s:
        greeting = s.recv(4096)
        assert greeting[4] == 10  # protocol version 10: the server's handshake
        started = time.monotonic()
        received = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            received += chunk
        assert time.monotonic() - started < 5
    # What it says before it hangs up: ER_HANDSHAKE_ERROR.
    assert received[4] == 0xFF and int.from_bytes(received[5:7], "little") == 1043
    # A client that does answer in time still gets in.
    with _connect(sp) as conn, conn.cursor() as cur:
        cur.execute("select 1")


def test_connections_past_the_fe_and_user_limits_are_refused(
    sandbox_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STARROCKS_SANDBOX_QE_MAX_CONNECTION", "3")
    sp: SandboxProcess = sandbox_factory()
    user = f"u_{uuid.uuid4().hex[:8]}"
    admin = _connect(sp)
    with admin.cursor() as cur:
        cur.execute("ADMIN SHOW FRONTEND CONFIG LIKE 'qe_max_connection'")
        assert cur.fetchone()[2] == "3"
        cur.execute(f"CREATE USER '{user}' IDENTIFIED BY 'pw'")
        cur.execute(f"SET PROPERTY FOR '{user}' 'max_user_connections' = '1'")
        with pytest.raises(pymysql.err.MySQLError) as e:
            cur.execute(f"SET PROPERTY FOR '{user}' 'max_user_connections' = '0'")
        assert e.value.args[1] == "max_user_connections is not valid, the value must be between 1 and 10000"
    first = _connect(sp, user, "pw")
    with pytest.raises(pymysql.err.MySQLError) as e:
        _connect(sp, user, "pw")
    code, text = e.value.args
    assert code == 1064
    assert text.startswith(
        f"Reach user-level(qualifiedUser: {user}) connection limit, currentUserMaxConn=1, "
        "connectionMap.size=2, connByUser.totConn=2, user.currConn=1, node="
    )
    second = _connect(sp)  # the third connection in all
    with pytest.raises(pymysql.err.MySQLError) as e:
        _connect(sp)
    assert e.value.args[0] == 1064
    assert e.value.args[1].startswith(
        "Reach cluster-wide connection limit, qe_max_connection=3, connectionMap.size=3"
    )
    # A wrong password is still told as such, not counted.
    with pytest.raises(pymysql.err.MySQLError) as e:
        _connect(sp, user, "wrong")
    assert e.value.args[0] == 1045
    # A connection that closes makes room again.
    first.close()
    second.close()

    def admitted() -> bool:
        try:
            _connect(sp, user, "pw").close()
        except pymysql.err.MySQLError:
            return False
        return True

    assert wait_until(admitted)
    admin.close()
