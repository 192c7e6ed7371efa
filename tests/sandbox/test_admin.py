"""The sandbox's admin SQL switch: DDL and DML in StarRocks syntax, the way StarRocks' own SQL tests
prepare data, every statement kind and every refusal."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import SandboxProcess


def admin(sp: SandboxProcess, sql: str, db: str | None = None, auth: Any = True) -> httpx.Response:
    body: dict[str, Any] = {"sql": sql}
    if db is not None:
        body["db"] = db
    kwargs: dict[str, Any] = {"auth": sp.auth} if auth is True else ({"auth": auth} if auth else {})
    return httpx.post(f"{sp.url}/_sandbox/sql", json=body, timeout=30, **kwargs)


def ok(sp: SandboxProcess, sql: str, db: str | None = None) -> list[dict[str, Any]]:
    r = admin(sp, sql, db)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "OK"
    return list(body["results"])


def failed(sp: SandboxProcess, sql: str, db: str | None = None) -> dict[str, Any]:
    r = admin(sp, sql, db)
    assert r.status_code == 400, r.text
    body = dict(r.json())
    assert body["status"] == "FAILED"
    return body


def rows(sp: SandboxProcess, query: str, db: str | None = None) -> list[list[Any]]:
    return list(ok(sp, query, db)[-1]["data"])


@pytest.fixture
def db(sandbox: SandboxProcess) -> Iterator[str]:
    name = "adm_" + uuid.uuid4().hex[:8]
    ok(sandbox, f"CREATE DATABASE {name}")
    yield name
    ok(sandbox, f"DROP DATABASE IF EXISTS {name} FORCE")


def test_create_table_like_starrocks_sql_tests(sandbox: SandboxProcess, db: str) -> None:
    results = ok(
        sandbox,
        "CREATE TABLE `table1` (`id` int, `name` varchar(100)) ENGINE=OLAP DUPLICATE KEY(`id`) "
        "DISTRIBUTED BY HASH(`id`) BUCKETS 1;",
        db,
    )
    assert results == [{"statement": "CREATE TABLE", "rowsAffected": 0}]
    assert ok(sandbox, "insert into table1 values (1, 'alice'), (2, \"bob\");", db) == [
        {"statement": "INSERT", "rowsAffected": 2}
    ]
    assert rows(sandbox, "select * from table1 order by id", db) == [[1, "alice"], [2, "bob"]]
    desc = ok(sandbox, f"desc {db}.table1")[0]
    assert desc["statement"] == "SHOW"
    assert desc["data"] == [
        ["id", "INT", "Yes", "true", None, ""],
        ["name", "VARCHAR(100)", "Yes", "false", None, ""],
    ]
    # The HTTP SQL API sees the same table.
    r = httpx.post(
        f"{sandbox.url}/api/v1/catalogs/default_catalog/databases/{db}/sql",
        json={"query": "select count(*) from table1"},
        auth=sandbox.auth,
    )
    assert r.text.split("\n")[2] == '{"data":[2]}'


def test_a_script_runs_in_order_with_use_and_set(sandbox: SandboxProcess, db: str) -> None:
    results = ok(
        sandbox,
        f"""
        -- a comment
        USE {db};
        SET enable_profile = true;
        CREATE TABLE IF NOT EXISTS t (k int(11) NOT NULL COMMENT "key", v varchar(20) DEFAULT 'none')
            DUPLICATE KEY(k) COMMENT "a table" DISTRIBUTED BY RANDOM BUCKETS 2
            PROPERTIES ("replication_num" = "1", "compression" = "LZ4");
        CREATE TABLE IF NOT EXISTS t (k int);
        INSERT INTO t (k) VALUES (1), (2);
        INSERT INTO t VALUES (3, 'three');
        SELECT k, v FROM t ORDER BY k;
        EXPLAIN SELECT * FROM t;
        SHOW TABLES;
        """,
    )
    assert [r["statement"] for r in results] == [
        "USE", "SET", "CREATE TABLE", "CREATE TABLE", "INSERT", "INSERT", "SELECT", "EXPLAIN", "SHOW",
    ]  # fmt: skip
    assert results[0] == {"statement": "USE", "db": db}
    select = results[6]
    assert select["meta"] == [{"name": "k", "type": "int(11)"}, {"name": "v", "type": "varchar(20)"}]
    assert select["data"] == [[1, "none"], [2, "none"], [3, "three"]]
    assert results[7]["explain"].startswith("PLAN FRAGMENT 0\n")
    assert results[8]["data"] == [["t"]]
    create = rows(sandbox, "show create table t", db)[0][1]
    assert "DISTRIBUTED BY RANDOM BUCKETS 2" in create and '"compression" = "LZ4"' in create
    assert '`v` varchar(20) NULL DEFAULT "none" COMMENT ""' in create


def test_key_models(sandbox: SandboxProcess, db: str) -> None:
    ok(
        sandbox,
        "CREATE TABLE agg (d date, site int, pv bigint SUM DEFAULT '0', last varchar(10) REPLACE, "
        "hi int MAX) AGGREGATE KEY(d, site) DISTRIBUTED BY HASH(site) BUCKETS 3;"
        "INSERT INTO agg VALUES ('2024-01-01', 1, 5, 'a', 3), ('2024-01-01', 1, 7, 'b', 2);"
        "INSERT INTO agg (d, site, last, hi) VALUES ('2024-01-01', 1, 'c', 9);"
        "CREATE TABLE pk (id bigint, v varchar(10)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id);"
        "INSERT INTO pk VALUES (1, 'a'), (2, 'b'), (1, 'c');"
        "INSERT INTO pk VALUES (2, 'd');"
        "CREATE TABLE uq (id int, v int) UNIQUE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1;"
        "INSERT INTO uq SELECT id, 10 FROM pk;"
        "INSERT INTO uq VALUES (1, 11)",
        db,
    )
    assert rows(sandbox, "select * from agg", db) == [["2024-01-01", 1, 12, "c", 9]]
    assert rows(sandbox, "select * from pk order by id", db) == [[1, "c"], [2, "d"]]
    assert rows(sandbox, "select * from uq order by id", db) == [[1, 11], [2, 10]]
    desc = rows(sandbox, "desc agg", db)
    assert [r[5] for r in desc] == ["", "", "SUM", "REPLACE", "MAX"]
    assert rows(sandbox, "desc pk", db)[0][2] == "No"  # primary key columns are NOT NULL


def test_partitions_and_other_clauses_are_recorded(sandbox: SandboxProcess, db: str) -> None:
    ok(
        sandbox,
        "CREATE TABLE IF NOT EXISTS `events` (\n"
        '  `dt` datetime NOT NULL COMMENT "",\n'
        "  `uid` bigint(20) NULL,\n"
        '  `amount` decimal(12, 2) NULL DEFAULT "0",\n'
        "  `tags` array<varchar(20)>,\n"
        "  `payload` json,\n"
        "  INDEX idx_uid (`uid`) USING BITMAP COMMENT 'x'\n"
        ") ENGINE=OLAP\n"
        "DUPLICATE KEY(`dt`, `uid`)\n"
        'PARTITION BY RANGE(`dt`) (PARTITION p202401 VALUES LESS THAN ("2024-02-01"))\n'
        "DISTRIBUTED BY HASH(`uid`) BUCKETS 8\n"
        "ORDER BY (`uid`)\n"
        'PROPERTIES ("replication_num" = "1");',
        db,
    )
    create = rows(sandbox, "show create table events", db)[0][1]
    assert 'PARTITION BY RANGE(`dt`) (PARTITION p202401 VALUES LESS THAN ("2024-02-01"))' in create
    assert "`tags` array<varchar(20)> NULL" in create
    ok(sandbox, "CREATE TABLE t2 (dt date, v int) PARTITION BY date_trunc('month', dt)", db)
    create = rows(sandbox, "show create table t2", db)[0][1]
    assert "DUPLICATE KEY(`dt`, `v`)" in create  # the default key: leading columns
    assert "PARTITION BY date_trunc('month', dt)" in create and "DISTRIBUTED BY RANDOM" in create


def test_truncate_drop_and_overwrite(sandbox: SandboxProcess, db: str) -> None:
    ok(sandbox, "create table t (a int); insert into t values (1), (2)", db)
    assert ok(sandbox, "insert overwrite t select 5", db) == [{"statement": "INSERT", "rowsAffected": 1}]
    assert rows(sandbox, "select * from t", db) == [[5]]
    assert ok(sandbox, f"truncate table {db}.t") == [{"statement": "TRUNCATE TABLE", "rowsAffected": 0}]
    assert rows(sandbox, "select count(*) from t", db) == [[0]]
    assert ok(sandbox, "drop table t; drop table if exists t", db)[0] == {
        "statement": "DROP TABLE",
        "rowsAffected": 0,
    }
    assert rows(sandbox, "show tables", db) == []


def test_databases(sandbox: SandboxProcess) -> None:
    name = "adm_" + uuid.uuid4().hex[:8]
    assert ok(sandbox, f"create database {name}; create database if not exists {name}") == [
        {"statement": "CREATE DATABASE", "rowsAffected": 0},
        {"statement": "CREATE DATABASE", "rowsAffected": 0},
    ]
    assert [name] in rows(sandbox, "show databases")
    body = failed(sandbox, f"create database {name}")
    assert (body["code"], body["msg"]) == (1007, f"Can't create database '{name}'; database exists")
    ok(sandbox, f"drop database {name} force; drop database if exists {name}")
    body = failed(sandbox, f"drop database {name}")
    assert (body["code"], body["msg"]) == (1008, f"Can't drop database '{name}'; database doesn't exist")


@pytest.mark.parametrize(
    ("sql", "code", "msg"),
    [
        ("create table t (a int)", 1046, "No database selected"),
        ("create table nodb.t (a int)", 1049, "Unknown database 'nodb'"),
        ("insert into nodb.t values (1)", 1049, "Unknown database 'nodb'"),
        ("use nodb", 1049, "Unknown database 'nodb'"),
        ("create table demo.`bad name!` (a int)", 1103, "Incorrect table name 'bad name!'"),
        ("grant select on *.* to root", 1064, "The sandbox does not run GRANT statements"),
        ("select * form t", 1064, None),
    ],
)
def test_failures_without_a_table(sandbox: SandboxProcess, sql: str, code: int, msg: str | None) -> None:
    body = failed(sandbox, sql)
    assert body["code"] == code
    if msg is not None:
        assert body["msg"] == msg
    assert body["statementIndex"] == 0 and body["results"] == []


@pytest.mark.slow
def test_failures_with_a_table(sandbox: SandboxProcess, db: str) -> None:
    ok(sandbox, "create table t (k int NOT NULL, s varchar(3), n int NOT NULL DEFAULT '7')", db)
    cases = [
        ("create table t (a int)", 1050, "Table 't' already exists"),
        ("insert into t values (1)", 1136, "Column count doesn't match value count at row 1"),
        ("insert into t (k, nope) values (1, 2)", 1054, "Unknown column 'nope' in 't'"),
        ("insert into t (s) values ('a')", 1064, "'k' must be explicitly mentioned in column permutation"),
        ("insert into t values (1, 'abcd', 1)", 1064, "Insert has filtered data in strict mode"),
        ("insert into t values (NULL, 'a', 1)", 1064, "Insert has filtered data in strict mode"),
        ("insert into nope values (1)", 5502, f"Unknown table '{db}.nope'"),
        ("drop table nope", 5502, f"Unknown table '{db}.nope'"),
        ("create table bad (a int, b int SUM) DUPLICATE KEY(a)", 1064,
         "The column b may not have an aggregate type in a duplicate key table"),
        ("create table bad (a int, b int) DUPLICATE KEY(b)", 1064, None),
        ("create table bad (a int, b int) AGGREGATE KEY(a)", 1064,
         "The column b must have an aggregate type, because it is a value column of an aggregate key table"),
        ("create table bad (a varchar(0))", 1064, None),
        ("create table bad (a int, A int)", 1060, "Duplicate column name 'A'"),
    ]  # fmt: skip
    for sql, code, msg in cases:
        body = failed(sandbox, sql, db)
        assert body["code"] == code, (sql, body)
        if msg is not None:
            assert body["msg"] == msg, sql
    # A column with a default may be left out; strings are limited in bytes.
    ok(sandbox, "insert into t (k, s) values (1, 'abc')", db)
    assert rows(sandbox, "select * from t", db) == [[1, "abc", 7]]
    # The statements before a failure stay done and are reported.
    body = failed(
        sandbox, "insert into t (k) values (2); insert into t values (1); insert into t (k) values (3)", db
    )
    assert body["statementIndex"] == 1
    assert body["results"] == [{"statement": "INSERT", "rowsAffected": 1}]
    assert rows(sandbox, "select k from t order by k", db) == [[1], [2]]


def test_request_failures(sandbox: SandboxProcess) -> None:
    r = admin(sandbox, "select 1", auth=None)
    assert r.status_code == 401 and r.json()["msg"] == "Need auth information."
    r = admin(sandbox, "select 1", auth=("root", "nope"))
    assert r.status_code == 401
    r = httpx.post(
        f"{sandbox.url}/_sandbox/sql",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
        auth=sandbox.auth,
    )
    assert r.status_code == 400 and r.json() == {
        "status": "FAILED",
        "code": 1064,
        "msg": "Malformed JSON body",
    }
    r = httpx.post(f"{sandbox.url}/_sandbox/sql", json={"sql": "  "}, auth=sandbox.auth)
    assert r.status_code == 400 and r.json()["msg"] == "Query was empty"


@pytest.mark.slow
def test_admin_changes_survive_a_restart(sandbox_factory: Any) -> None:
    sp = sandbox_factory()
    ok(sp, "create database keep; create table keep.t (a int); insert into keep.t values (42)")
    sp.restart()
    assert rows(sp, "select * from keep.t") == [[42]]
