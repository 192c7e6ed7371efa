"""The query port sends a SELECT's rows as they are fetched, as the FE does: the first rows reach
the client while the statement still runs, and KILL QUERY stops it mid-result."""

from __future__ import annotations

from typing import Any

import pymysql
import pymysql.cursors
import pytest
from conftest import SandboxProcess, wait_until

ROWS = 1_000_000


def _connect(sp: SandboxProcess, **kw: Any) -> Any:
    return pymysql.connect(
        host="127.0.0.1",
        port=int(sp.info["query_port"]),
        user=sp.auth[0],
        password=sp.auth[1],
        connect_timeout=10,
        read_timeout=60,
        **kw,
    )


def _state(cur: Any, conn_id: int) -> str | None:
    cur.execute("show processlist")
    for r in cur.fetchall():
        if int(r[1]) == conn_id:
            return str(r[5])
    return None


def test_first_rows_arrive_while_the_query_runs_and_kill_stops_it_mid_result(sandbox: SandboxProcess) -> None:
    with _connect(sandbox) as reader, _connect(sandbox) as killer:
        rcur = reader.cursor()
        rcur.execute("select connection_id()")
        reader_id = int(rcur.fetchone()[0])
        stream = reader.cursor(pymysql.cursors.SSCursor)  # reads rows as they come off the socket
        stream.execute(
            f"SELECT generate_series, concat('row-', generate_series) FROM TABLE(generate_series(1, {ROWS}))"
        )
        first = stream.fetchmany(10)
        assert [r[0] for r in first] == list(range(1, 11))
        assert first[0][1] == "row-1"
        kcur = killer.cursor()
        # The reader holds ten rows and the statement has not ended: the rest is still to be sent.
        assert _state(kcur, reader_id) == "Query"
        kcur.execute(f"kill query {reader_id}")
        read = len(first)
        with pytest.raises(pymysql.err.MySQLError) as e:
            while stream.fetchone() is not None:
                read += 1
        assert e.value.args == (1317, f"killed manually: kill query {reader_id}")
        # It stopped producing: what was read is what had left before the kill, not the result.
        assert 10 <= read < ROWS
        wait_until(lambda: _state(kcur, reader_id) == "Sleep", timeout=20)


def test_a_result_read_to_its_end_is_whole_and_in_order(sandbox: SandboxProcess) -> None:
    with _connect(sandbox) as conn:
        cur = conn.cursor(pymysql.cursors.SSCursor)
        cur.execute("SELECT generate_series FROM TABLE(generate_series(1, 20000)) ORDER BY generate_series")
        got = [r[0] for r in cur.fetchall_unbuffered()]
        assert got == list(range(1, 20001))
        cur.execute("set sql_select_limit = 5000")
        cur.execute("SELECT generate_series FROM TABLE(generate_series(1, 20000))")
        assert len(list(cur.fetchall_unbuffered())) == 5000
