"""The FE's HTTP SQL API: statements, the NDJSON reply line by line, value encoding, streaming,
SHOW PROCESSLIST/KILL, transaction views and every refusal, over real HTTP."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import SandboxProcess

SQL = "/api/v1/catalogs/default_catalog/sql"
NDJSON = "application/x-ndjson; charset=utf-8"


def sql_path(db: str | None = None, catalog: str = "default_catalog") -> str:
    return f"/api/v1/catalogs/{catalog}/databases/{db}/sql" if db else f"/api/v1/catalogs/{catalog}/sql"


def post(
    sp: SandboxProcess,
    query: str,
    db: str | None = None,
    *,
    catalog: str = "default_catalog",
    auth: Any = True,
    body: Any = None,
    client: httpx.Client | None = None,
) -> httpx.Response:
    content = json.dumps({"query": query} if body is None else body) if not isinstance(body, str) else body
    kwargs: dict[str, Any] = {"content": content, "headers": {"Content-Type": "application/json"}}
    if auth is True:
        kwargs["auth"] = sp.auth
    elif auth:
        kwargs["auth"] = auth
    http: Any = client or httpx
    return http.post(sp.url + sql_path(db, catalog), timeout=60, **kwargs)


def lines(r: httpx.Response) -> list[dict[str, Any]]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == NDJSON
    assert r.text.endswith("\n")
    return [json.loads(line) for line in r.text.split("\n")[:-1]]


def failure(r: httpx.Response, status: int, msg: str) -> None:
    assert r.status_code == status, r.text
    assert r.json() == {"status": "FAILED", "code": "1", "msg": msg, "message": msg}


@pytest.fixture(scope="module")
def db(sandbox: SandboxProcess) -> Iterator[str]:
    """A database with a table of every kind of value the encoder cares about."""
    name = "sqlapi_" + uuid.uuid4().hex[:8]
    sandbox.admin_sql(
        f"CREATE DATABASE {name};"
        f"USE {name};"
        "CREATE TABLE `table1` (`id` int, `name` varchar(100)) ENGINE=OLAP DUPLICATE KEY(`id`) "
        "DISTRIBUTED BY HASH(`id`) BUCKETS 1;"
        "INSERT INTO table1 VALUES (1, 'alice'), (2, 'bob'), (3, NULL);"
        "CREATE TABLE typed (k bigint NOT NULL, d decimal(10, 2), dt datetime, day date, ok boolean, "
        "j json, big largeint, f double, tags array<int>, s string) "
        "DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2;"
        "INSERT INTO typed VALUES (1, 12.5, '2024-01-01 08:00:00', '2024-01-02', true, "
        'parse_json(\'{"page": "/p/1", "ms": 11}\'), 170141183460469231731687303715884105727, 0.25, '
        "[1, 2], 'x');"
        "INSERT INTO typed (k) VALUES (2);"
    )
    yield name
    sandbox.admin_sql(f"DROP DATABASE {name} FORCE")


# -- SELECT -------------------------------------------------------------------------------------------


def test_select_answers_ndjson_line_by_line(sandbox: SandboxProcess, db: str) -> None:
    r = post(sandbox, "select * from table1 order by id;", db)
    assert r.headers["x-starrocks-query-id"]
    out = lines(r)
    assert list(out[0]) == ["connectionId"] and isinstance(out[0]["connectionId"], int)
    assert out[1] == {"meta": [{"name": "id", "type": "int(11)"}, {"name": "name", "type": "varchar(100)"}]}
    assert out[2:5] == [{"data": [1, "alice"]}, {"data": [2, "bob"]}, {"data": [3, None]}]
    assert list(out[5]) == ["statistics"]
    stats = out[5]["statistics"]
    assert list(stats) == ["scanRows", "scanBytes", "returnRows"]
    assert stats["returnRows"] == 3 and stats["scanRows"] == 3
    assert len(out) == 6
    # Compact JSON, one object per line, as the FE and BE write it.
    assert (
        r.text.split("\n")[1]
        == '{"meta":[{"name":"id","type":"int(11)"},{"name":"name","type":"varchar(100)"}]}'
    )
    assert r.text.split("\n")[2] == '{"data":[1,"alice"]}'


def test_values_are_encoded_as_the_be_writes_them(sandbox: SandboxProcess, db: str) -> None:
    out = lines(post(sandbox, "select * from typed order by k", db))
    meta = {m["name"]: m["type"] for m in out[1]["meta"]}
    assert meta == {
        "k": "bigint(20)",
        "d": "decimal64(10, 2)",
        "dt": "datetime",
        "day": "date",
        "ok": "boolean",
        "j": "json",
        "big": "largeint(40)",
        "f": "double",
        "tags": "array<int(11)>",
        "s": "varchar(65533)",
    }
    assert out[2]["data"] == [
        1,
        "12.50",  # DECIMAL keeps its scale, as a string
        "2024-01-01 08:00:00",
        "2024-01-02",
        1,  # BOOLEAN is a number
        {"page": "/p/1", "ms": 11},  # JSON is embedded, not quoted
        "170141183460469231731687303715884105727",  # LARGEINT is a string
        0.25,
        [1, 2],
        "x",
    ]
    assert out[3]["data"] == [2, None, None, None, None, None, None, None, None, None]


def test_path_database_backquotes_and_catalog_prefix(sandbox: SandboxProcess, db: str) -> None:
    q = f"select `name` from default_catalog.{db}.`table1` where id = 2"
    assert lines(post(sandbox, q))[2] == {"data": ["bob"]}
    q = 'select "double quoted is a string" as s, count(*) from table1'
    out = lines(post(sandbox, q, db))
    assert out[1]["meta"] == [
        {"name": "s", "type": "varchar(65533)"},
        {"name": "count(*)", "type": "bigint(20)"},
    ]
    assert out[2] == {"data": ["double quoted is a string", 3]}
    out = lines(post(sandbox, "select 'it\\'s', 1 + 1"))
    assert out[2] == {"data": ["it's", 2]}


def test_mysql_dialect_is_translated(sandbox: SandboxProcess, db: str) -> None:
    q = "select id, extract(year from now()) > 2000, substring(name from 1 for 2) from table1 order by id "
    # MySQL's LIMIT offset, count; BOOLEAN results are numbers.
    assert lines(post(sandbox, q + "limit 1, 1", db))[2:-1] == [{"data": [2, 1, "bo"]}]
    q = "select cast(id as largeint) * 2, cast('7' as string) from table1 where id = 1"
    out = lines(post(sandbox, q, db))
    assert [m["type"] for m in out[1]["meta"]] == ["largeint(40)", "varchar(65533)"]
    assert out[2] == {"data": ["2", "7"]}


@pytest.mark.slow
def test_large_result_streams_in_pieces(sandbox: SandboxProcess) -> None:
    started = time.monotonic()
    with httpx.stream(
        "POST",
        sandbox.url + SQL,
        json={"query": "select * from TABLE(generate_series(1, 200000))"},
        auth=sandbox.auth,
        timeout=60,
    ) as r:
        assert r.status_code == 200
        assert r.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in r.headers
        chunks: list[bytes] = []
        first_at = None
        for chunk in r.iter_raw():
            if first_at is None:
                first_at = time.monotonic() - started
            chunks.append(chunk)
    total = time.monotonic() - started
    assert len(chunks) > 10
    assert first_at is not None and first_at < total
    body = b"".join(chunks).decode().split("\n")[:-1]
    assert json.loads(body[1]) == {"meta": [{"name": "generate_series", "type": "bigint(20)"}]}
    assert len(body) == 200003
    assert body[2] == '{"data":[1]}' and body[-2] == '{"data":[200000]}'
    assert json.loads(body[-1])["statistics"]["returnRows"] == 200000


def test_explain_answers_one_explain_object(sandbox: SandboxProcess, db: str) -> None:
    r = post(sandbox, f"explain select * from {db}.table1;")
    assert r.status_code == 200 and r.headers["content-type"] == NDJSON
    assert not r.text.endswith("\n")
    plan = r.json()["explain"]
    assert list(r.json()) == ["explain"]
    assert plan.startswith(
        "PLAN FRAGMENT 0\n OUTPUT EXPRS:1: id | 2: name\n  PARTITION: RANDOM\n\n  RESULT SINK\n"
    )
    assert "  0:OlapScanNode\n     TABLE: table1\n" in plan
    assert "cardinality=3" in plan


# -- SHOW / DESC --------------------------------------------------------------------------------------


def test_show_catalogs_replays_starrocks_test(sandbox: SandboxProcess) -> None:
    r = post(sandbox, "show catalogs")
    assert r.status_code == 200 and r.headers["content-type"] == NDJSON
    assert r.text == (
        '{"meta":[{"name":"Catalog","type":"varchar(256)"},{"name":"Type","type":"varchar(20)"},'
        '{"name":"Comment","type":"varchar(30)"}],'
        '"data":[{"Catalog":"default_catalog","Type":"Internal",'
        '"Comment":"An internal catalog contains this cluster\'s self-managed tables."}],'
        '"statistics":{"scanRows":0,"scanBytes":0,"returnRows":1}}'
    )


def test_show_databases_hides_the_sandbox_schemas(sandbox: SandboxProcess, db: str) -> None:
    r = post(sandbox, "SHOW DATABASES")
    body = r.json()
    assert body["meta"] == [{"name": "Database", "type": "varchar(64)"}]
    names = [row["Database"] for row in body["data"]]
    assert "demo" in names and db in names and "information_schema" in names
    assert not {"_sandbox", "_staging", "main", "pg_catalog"} & set(names)
    assert names == sorted(names)
    assert body["statistics"] == {"scanRows": 0, "scanBytes": 0, "returnRows": len(names)}


def test_show_tables_and_desc(sandbox: SandboxProcess, db: str) -> None:
    body = post(sandbox, "show tables", db).json()
    assert body["meta"] == [{"name": f"Tables_in_{db}", "type": "varchar(20)"}]
    assert body["data"] == [{f"Tables_in_{db}": "table1"}, {f"Tables_in_{db}": "typed"}]
    body = post(sandbox, f"SHOW FULL TABLES FROM {db} LIKE 'tab%'").json()
    assert body["data"] == [{f"Tables_in_{db}": "table1", "Table_type": "BASE TABLE"}]
    body = post(sandbox, "desc table1", db).json()
    assert [m["name"] for m in body["meta"]] == ["Field", "Type", "Null", "Key", "Default", "Extra"]
    assert body["data"] == [
        {"Field": "id", "Type": "INT", "Null": "Yes", "Key": "true", "Default": None, "Extra": ""},
        {
            "Field": "name",
            "Type": "VARCHAR(100)",
            "Null": "Yes",
            "Key": "false",
            "Default": None,
            "Extra": "",
        },
    ]
    body = post(sandbox, f"DESCRIBE {db}.typed").json()
    assert body["data"][0] == {
        "Field": "k",
        "Type": "BIGINT",
        "Null": "No",
        "Key": "true",
        "Default": None,
        "Extra": "",
    }
    text = post(sandbox, "show create table table1", db).json()["data"][0]["Create Table"]
    assert text.startswith('CREATE TABLE `table1` (\n  `id` int(11) NULL COMMENT "",')
    assert "DUPLICATE KEY(`id`)" in text and "DISTRIBUTED BY HASH(`id`) BUCKETS 1" in text


def test_show_frontends_and_backends_name_the_real_addresses(sandbox: SandboxProcess) -> None:
    fe = post(sandbox, "show frontends").json()["data"]
    assert len(fe) == 1
    assert fe[0]["Role"] == "LEADER" and fe[0]["Alive"] == "true"
    assert fe[0]["HttpPort"] == sandbox.url.rsplit(":", 1)[1]
    be = post(sandbox, "SHOW BACKENDS").json()
    assert be["meta"][0] == {"name": "BackendId", "type": "varchar(30)"}
    row = be["data"][0]
    assert f"{row['IP']}:{row['HttpPort']}" == sandbox.be_url.split("://", 1)[1]
    assert row["Alive"] == "true"


def test_information_schema_tables(sandbox: SandboxProcess, db: str) -> None:
    q = f"select table_name, table_rows from information_schema.tables where table_schema = '{db}' order by 1"
    assert [x["data"] for x in lines(post(sandbox, q))[2:-1]] == [["table1", 3], ["typed", 2]]
    q = (
        "select column_name, column_type, is_nullable from columns "
        f"where table_name = 'table1' and table_schema = '{db}' order by ordinal_position"
    )
    out = lines(post(sandbox, q, "information_schema"))
    assert [x["data"] for x in out[2:-1]] == [["id", "int(11)", "YES"], ["name", "varchar(100)", "YES"]]
    names = [
        x["data"][0]
        for x in lines(post(sandbox, "select schema_name from information_schema.schemata"))[2:-1]
    ]
    assert db in names and "_sandbox" not in names


# -- transactions ---------------------------------------------------------------------------------------


def _txn(
    sp: SandboxProcess, op: str, label: str, db: str, table: str | None = None, data: bytes = b""
) -> Any:
    headers = {"label": label, "db": db, **({"table": table} if table else {})}
    method = "PUT" if op == "load" else "POST"
    with httpx.Client(auth=sp.auth, timeout=30) as c:
        r = c.request(method, f"{sp.url}/api/transaction/{op}", headers=headers, content=data)
        if r.status_code == 307:  # follow to the BE keeping method, body and credentials
            r = c.request(method, r.headers["location"], headers=headers, content=data)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.slow
def test_transaction_views(sandbox: SandboxProcess, db: str) -> None:
    done, running = "done_" + uuid.uuid4().hex[:6], "open_" + uuid.uuid4().hex[:6]
    began = _txn(sandbox, "begin", done, db, "table1")
    assert began["Status"] == "OK"
    assert _txn(sandbox, "load", done, db, "table1", b"10\tzed\n11\tyan\n")["Status"] == "OK"
    assert _txn(sandbox, "commit", done, db)["Status"] == "OK"
    opened = _txn(sandbox, "begin", running, db, "table1")
    try:
        body = post(sandbox, f"SHOW TRANSACTION FROM {db} WHERE ID = {began['TxnId']}").json()
        assert [m["name"] for m in body["meta"]] == [
            "TransactionId", "Label", "Coordinator", "TransactionStatus", "LoadJobSourceType",
            "PrepareTime", "CommitTime", "PublishTime", "FinishTime", "Reason", "ErrorReplicasCount",
            "ListenerId", "TimeoutMs", "ErrMsg",
        ]  # fmt: skip
        row = body["data"][0]
        assert row["TransactionId"] == str(began["TxnId"]) and row["Label"] == done
        assert row["TransactionStatus"] == "VISIBLE" and row["LoadJobSourceType"] == "BACKEND_STREAMING"
        assert row["Coordinator"].startswith("BE: ")
        for key in ("PrepareTime", "CommitTime", "PublishTime", "FinishTime"):
            time.strptime(row[key], "%Y-%m-%d %H:%M:%S")
        # The path's database is the default one.
        row = post(sandbox, f"show transaction where id = {opened['TxnId']}", db).json()["data"][0]
        assert (
            row["TransactionStatus"] == "PREPARE"
            and row["CommitTime"] == "NULL"
            and row["FinishTime"] == "NULL"
        )

        failure(
            post(sandbox, f"show transaction from {db} where id = 1"),
            500,
            "transaction with id 1 does not exist",
        )

        state = post(sandbox, f"show proc '/transactions/{db}'").json()["data"]
        assert state == [{"State": "running", "Number": "1"}, {"State": "finished", "Number": "1"}]
        labels = [r["Label"] for r in post(sandbox, f"show proc '/transactions/{db}/running'").json()["data"]]
        assert labels == [running]
        labels = [
            r["Label"] for r in post(sandbox, f'SHOW PROC "/transactions/{db}/finished"').json()["data"]
        ]
        assert labels == [done]
        dbs = post(sandbox, "show proc '/transactions'").json()["data"]
        assert {"DbName": db}.items() <= next(d for d in dbs if d["DbName"] == db).items()
        assert [int(d["DbId"]) for d in dbs] == sorted(int(d["DbId"]) for d in dbs)
        # A database named by its id, as the FE's /transactions listing gives it.
        db_id = next(d["DbId"] for d in dbs if d["DbName"] == db)
        assert post(sandbox, f"show proc '/transactions/{db_id}'").json()["data"] == state
        failure(
            post(sandbox, "show proc '/transactions/999999999'"),
            500,
            'Unknown database id or name "999999999"',
        )

        q = (
            "select label, state, type, sink_rows, scan_bytes, progress, properties, load_commit_time "
            f"from information_schema.loads where db_name = '{db}' order by id"
        )
        rows = [x["data"] for x in lines(post(sandbox, q))[2:-1]]
        assert rows[0][:6] == [done, "FINISHED", "STREAM_LOAD", 2, len(b"10\tzed\n11\tyan\n"), "100%"]
        assert rows[0][6] == {"timeout": rows[0][6]["timeout"]}
        time.strptime(rows[0][7], "%Y-%m-%d %H:%M:%S")
        assert rows[1][:3] == [running, "BEGIN", "STREAM_LOAD"] and rows[1][7] is None
    finally:
        _txn(sandbox, "rollback", running, db)
    q = f"select label, state from loads where db_name = '{db}' order by id"
    rows = [x["data"] for x in lines(post(sandbox, q, "information_schema"))[2:-1]]
    assert rows == [[done, "FINISHED"], [running, "CANCELLED"]]


# -- connections ------------------------------------------------------------------------------------------


def test_processlist_lists_running_queries_and_kill_stops_them(sandbox: SandboxProcess) -> None:
    query = "select * from TABLE(generate_series(1, 50000000))"
    first: dict[str, Any] = {}
    outcome: dict[str, Any] = {}
    ready = threading.Event()
    killed = threading.Event()

    def reader() -> None:
        try:
            with httpx.stream(
                "POST", sandbox.url + SQL, json={"query": query}, auth=sandbox.auth, timeout=60
            ) as r:
                it = r.iter_lines()
                first.update(json.loads(next(it)))
                ready.set()
                killed.wait(30)  # leave the query running while it is listed and killed
                last = ""
                for line in it:
                    last = line
                outcome["last"] = last
        except httpx.HTTPError as e:
            outcome["error"] = e
        finally:
            ready.set()

    t = threading.Thread(target=reader)
    t.start()
    try:
        assert ready.wait(30)
        conn = first["connectionId"]
        body = post(sandbox, "show processlist").json()
        assert [m["name"] for m in body["meta"]][:10] == [
            "ServerName", "Id", "User", "Host", "Db", "Command", "ConnectionStartTime", "Time", "State",
            "Info",
        ]  # fmt: skip
        mine = next(p for p in body["data"] if p["Id"] == str(conn))
        assert mine["Command"] == "Query" and mine["User"] == "root" and mine["Info"] == query
        assert mine["Catalog"] == "default_catalog"
        r = post(sandbox, f"kill {conn}")
    finally:
        killed.set()
    assert r.status_code == 200 and r.text == ""
    t.join(30)
    # The killed query's connection is closed mid-stream: no statistics line ever arrives.
    assert "error" in outcome or not outcome.get("last", "").startswith('{"statistics"')
    ids = [p["Id"] for p in post(sandbox, "show full processlist").json()["data"]]
    assert str(conn) not in ids


@pytest.mark.slow  # sleeps on the server
def test_the_fe_folds_variables_information_functions_and_sleep_here_too(sandbox: SandboxProcess) -> None:
    body = {
        "query": "select sleep(1) as slept, connection_id() as c, @@query_timeout as t, current_user() as u",
        "sessionVariables": {"query_timeout": 77},
    }
    started = time.monotonic()
    answer = lines(post(sandbox, "", body=body))
    assert time.monotonic() - started >= 1
    [row] = [line["data"] for line in answer if "data" in line]
    assert row[0] == 1 and row[1] == answer[0]["connectionId"] and str(row[2]) == "77"  # BOOLEAN: 1
    assert row[3] == "'root'@'%'"


@pytest.mark.slow  # sleeps on the server
def test_kill_query_wakes_a_sleeping_query(sandbox: SandboxProcess) -> None:
    outcome: dict[str, Any] = {}

    def sleeper() -> None:
        outcome["response"] = post(sandbox, "select sleep(30)")

    t = threading.Thread(target=sleeper)
    t.start()
    deadline = time.monotonic() + 10
    while True:  # listed while it sleeps, before any row: its id comes from SHOW PROCESSLIST
        rows = post(sandbox, "show processlist").json()["data"]
        mine = [p for p in rows if p["Info"] == "select sleep(30)"]
        if mine:
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)
    started = time.monotonic()
    assert post(sandbox, f"kill query {mine[0]['Id']}").status_code == 200
    t.join(10)
    assert time.monotonic() - started < 5
    failure(outcome["response"], 500, "killed manually")


def test_kill_unknown_and_own_connection(sandbox: SandboxProcess) -> None:
    failure(post(sandbox, "kill 987654"), 500, "Unknown thread id: 987654")
    with httpx.Client(auth=sandbox.auth, timeout=30) as c:
        conn = lines(post(sandbox, "select 1", client=c))[0]["connectionId"]
        # One keep-alive connection keeps its id, as the FE's one context per channel.
        assert lines(post(sandbox, "select 2", client=c))[0]["connectionId"] == conn
        r = post(sandbox, f"kill {conn}", client=c)
        assert r.status_code == 200 and r.text == "" and r.headers["connection"] == "close"
        assert lines(post(sandbox, "select 3", client=c))[0]["connectionId"] != conn


def test_session_variables(sandbox: SandboxProcess) -> None:
    body = {"query": "show variables like 'query_timeout'", "sessionVariables": {"query_timeout": 10}}
    # The FE sets them on the request's session: SHOW VARIABLES sees the value sent.
    assert post(sandbox, "", body=body).json()["data"] == [{"Variable_name": "query_timeout", "Value": "10"}]
    body = {"query": " select 1;", "sessionVariables": {"timeout": "10"}}
    r = post(sandbox, "", body=body)
    assert r.status_code == 500
    assert r.json()["msg"].startswith("Unknown system variable 'timeout'")


# -- refusals and failures ----------------------------------------------------------------------------------

REFUSED = "http query only support SELECT, SHOW, EXPLAIN, DESC, KILL statement"


@pytest.mark.parametrize(
    "statement",
    [
        "insert into demo.orders values (1, 'a', 1.0, now())",
        "INSERT INTO demo.orders SELECT * FROM demo.orders",
        "update demo.orders set amount = 0",
        "delete from demo.orders where order_id = 1",
        "create database x",
        "CREATE TABLE demo.x (a int)",
        "drop table demo.orders",
        "drop database demo",
        "truncate table demo.orders",
        "alter table demo.orders add column c int",
        "set query_timeout = 10",
        "use demo",
        "grant select on *.* to root",
        "explain insert into demo.orders select * from demo.orders",
    ],
)
def test_statements_the_api_refuses(sandbox: SandboxProcess, statement: str) -> None:
    failure(post(sandbox, statement), 500, REFUSED)


def test_auth_failures(sandbox: SandboxProcess) -> None:
    r = post(sandbox, "select 1", auth=None)
    assert r.status_code == 401 and r.headers["www-authenticate"] == 'Basic realm=""'
    assert r.json()["msg"] == "Need auth information."
    r = post(sandbox, "select 1", auth=("root", "wrong"))
    assert r.status_code == 401 and r.json()["msg"].startswith("Access denied for root")


def test_catalog_and_database_must_exist(sandbox: SandboxProcess) -> None:
    failure(post(sandbox, "select 1", catalog="hive_catalog"), 403, "set catalog or db failed")
    failure(post(sandbox, "select 1", "no_such_db"), 403, "set catalog or db failed")


def test_request_body_failures_replay_starrocks_test(sandbox: SandboxProcess, db: str) -> None:
    failure(post(sandbox, "", body={"query": " "}), 500, '"query can not be empty"')
    failure(post(sandbox, "", body={"sql": "select 1"}), 500, '"query can not be empty"')
    failure(
        post(sandbox, f" desc {db}.table1;select 1  "),
        500,
        "http query does not support execute multiple query",
    )
    raw = '{ "sql" :  " desc testDb.testTbl "'
    failure(post(sandbox, "", body=raw), 500, f"malformed json [ {raw} ]")
    failure(
        post(sandbox, " select;"),
        500,
        "Getting syntax error at line 1, column 7. Detail message: Unexpected input ';', "
        "the most similar input is {a legal identifier}.",
    )


def test_analysis_failures(sandbox: SandboxProcess, db: str) -> None:
    prefix = "Getting analyzing error at line 1, column 14. Detail message: "
    failure(post(sandbox, "select * from nope", db), 500, prefix + f"Unknown table '{db}.nope'.")
    failure(post(sandbox, "select * from nope_db.t"), 500, prefix + "Unknown database 'nope_db'.")
    failure(post(sandbox, "select * from table1"), 500, prefix + "No database selected.")
    failure(
        post(sandbox, "select zz from table1", db),
        500,
        "Getting analyzing error at line 1, column 7. Detail message: Column 'zz' cannot be resolved.",
    )
    failure(post(sandbox, "desc nope", db), 500, "Getting analyzing error at line 1, column 5. "
            f"Detail message: Unknown table '{db}.nope'.")  # fmt: skip
    failure(post(sandbox, "show tables from nope_db"), 500, "Unknown database 'nope_db'")
    r = post(sandbox, "select * form table1", db)
    assert r.status_code == 500 and r.json()["msg"].startswith("Getting syntax error at line 1, column ")
    r = post(sandbox, "frobnicate the table")
    assert r.json()["msg"].startswith(
        "Getting syntax error at line 1, column 0. Detail message: Unexpected input"
    )


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("select * from _sandbox.docs", "Unknown database '_sandbox'"),
        ("select * from _staging.x", "Unknown database '_staging'"),
        ("select * from main.x", "Unknown database 'main'"),
        ("select * from pg_catalog.pg_tables", "Unknown database 'pg_catalog'"),
        ("select * from hive.db.t", "Unknown catalog 'hive'"),
    ],
)
def test_the_sandbox_itself_stays_out_of_reach(sandbox: SandboxProcess, query: str, detail: str) -> None:
    failure(
        post(sandbox, query), 500, f"Getting analyzing error at line 1, column 14. Detail message: {detail}."
    )


def test_a_string_is_not_a_table(sandbox: SandboxProcess) -> None:
    r = post(sandbox, "select * from '/etc/passwd'")
    assert r.status_code == 500 and r.json()["msg"].startswith("Getting syntax error at line 1, column 14.")
