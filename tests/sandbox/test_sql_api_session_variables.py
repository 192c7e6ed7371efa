"""The HTTP SQL API's ``sessionVariables`` are honoured, not only checked by name: query_timeout stops a
query that runs too long, sql_select_limit caps the rows, and a value SET would refuse is refused —
the same reading of them as the query port's (SET on a MySQL connection)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pymysql
import pytest
from conftest import SandboxProcess

# Ten billion rows: far longer than any timeout below, stopped long before it ends.
TIMED_OUT = (
    "Query reached its timeout of 1 seconds, please increase the 'query_timeout' session variable and retry"
)
SLOW = "select count(*) from table(generate_series(1, 100000)) a, table(generate_series(1, 100000)) b"


def _post(sp: SandboxProcess, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{sp.url}/api/v1/catalogs/default_catalog/databases/demo/sql", json=body, auth=sp.auth, timeout=60
    )


def test_sql_select_limit_caps_the_rows(sandbox: SandboxProcess) -> None:
    query = "select * from table(generate_series(1, 10)) t order by 1"
    r = _post(sandbox, {"query": query, "sessionVariables": {"sql_select_limit": 3}})
    assert r.status_code == 200, r.text
    lines = [json.loads(line) for line in r.text.splitlines() if line.strip()]
    assert [x["data"] for x in lines if "data" in x] == [[1], [2], [3]]
    assert lines[-1]["statistics"]["returnRows"] == 3
    r = _post(sandbox, {"query": query})
    assert sum(1 for line in r.text.splitlines() if '"data"' in line) == 10


@pytest.mark.slow
def test_query_timeout_stops_a_long_query(sandbox: SandboxProcess) -> None:
    started = time.monotonic()
    r = _post(sandbox, {"query": SLOW, "sessionVariables": {"query_timeout": 1}})
    assert time.monotonic() - started < 20
    assert r.status_code == 500
    assert r.json()["msg"] == TIMED_OUT
    # The query port reads the variable the same way.
    with (
        pymysql.connect(
            host="127.0.0.1",
            port=sandbox.query_port,
            user=sandbox.auth[0],
            password=sandbox.auth[1],
            database="demo",
        ) as conn,
        conn.cursor() as cur,
    ):
        cur.execute("set query_timeout = 1")
        started = time.monotonic()
        with pytest.raises(pymysql.err.MySQLError) as e:
            cur.execute(SLOW)
        assert time.monotonic() - started < 20
        assert e.value.args == (5024, TIMED_OUT)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"query_timeout": "soon"}, "Incorrect argument type to variable 'query_timeout'"),
        ({"sql_select_limit": "all"}, "Incorrect argument type to variable 'sql_select_limit'"),
        ({"autocommit": "maybe"}, "Variable 'autocommit' can't be set to the value of 'maybe'"),
        ({"query_timeout": 0}, "Variable 'query_timeout' can't be set to the value of '0'"),
    ],
)
def test_values_set_would_refuse_are_refused(
    sandbox: SandboxProcess, variables: dict[str, Any], message: str
) -> None:
    r = _post(sandbox, {"query": "select 1", "sessionVariables": variables})
    assert r.status_code == 500
    assert r.json()["msg"] == message
