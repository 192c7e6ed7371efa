"""The sandbox FE's MySQL-protocol port, driven by clients no one here wrote: Debian's `mysql`
command-line client, PyMySQL, and SQLAlchemy with StarRocks' own dialect."""

from __future__ import annotations

import decimal
import os
import shutil
import subprocess
import threading
import time
import uuid
from typing import Any

import pymysql
import pytest
import sqlalchemy as sa
from conftest import SandboxProcess, wait_until

MYSQL = shutil.which("mysql")
needs_mysql = pytest.mark.skipif(MYSQL is None, reason="the mysql command-line client is not installed")


def _name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def _connect(sp: SandboxProcess, user: str | None = None, password: str | None = None, **kw: Any) -> Any:
    return pymysql.connect(
        host="127.0.0.1",
        port=int(sp.info["query_port"]),
        user=user if user is not None else sp.auth[0],
        password=password if password is not None else sp.auth[1],
        connect_timeout=10,
        read_timeout=60,
        **kw,
    )


def _mysql(sp: SandboxProcess, sql: str, password: str | None = None, port: int | None = None) -> Any:
    assert MYSQL is not None
    env = dict(os.environ, MYSQL_PWD=password if password is not None else sp.auth[1])
    return subprocess.run(
        [MYSQL, "-h127.0.0.1", f"-P{port or sp.info['query_port']}", f"-u{sp.auth[0]}", "--batch", "-e", sql],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_ready_line_and_frontends_name_the_query_port(sandbox: SandboxProcess) -> None:
    port = sandbox.info["query_port"]
    assert isinstance(port, int) and port > 0
    with _connect(sandbox) as conn, conn.cursor() as cur:
        cur.execute("show frontends")
        names = [d[0] for d in cur.description]
        row = cur.fetchone()
        assert row[names.index("QueryPort")] == str(port)
        cur.execute("ADMIN SHOW FRONTEND CONFIG LIKE 'query_port'")
        assert cur.fetchall() == (("query_port", "[]", str(port), "int", "false", ""),)


@needs_mysql
def test_mysql_client_makes_a_table_the_http_api_sees(sandbox: SandboxProcess) -> None:
    table = _name("cli")
    done = _mysql(
        sandbox,
        f"select @@version_comment; use demo; create table {table} (id bigint, name varchar(20)) "
        f"duplicate key(id) distributed by hash(id) buckets 2 properties('replication_num'='1'); "
        f"insert into {table} values (1, 'one'), (2, 'two'); select name from {table} order by id",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "@@version_comment",
        "StarRocks version 3.3.9-sandbox",
        "name",
        "one",
        "two",
    ]
    assert sandbox.query(f"select id, name from {table} order by id", db="demo") == [[1, "one"], [2, "two"]]


@needs_mysql
def test_mysql_client_wrong_password_is_refused_with_1045(sandbox: SandboxProcess) -> None:
    done = _mysql(sandbox, "select 1", password="not-the-password")
    assert done.returncode == 1
    assert (
        f"ERROR 1045 (28000): Access denied for user '{sandbox.auth[0]}' (using password: YES)" in done.stderr
    )


@pytest.mark.slow
@needs_mysql
def test_mysql_client_on_the_http_port_is_refused_at_once(sandbox: SandboxProcess) -> None:
    http_port = int(sandbox.url.rsplit(":", 1)[1])
    started = time.monotonic()
    done = _mysql(sandbox, "select 1", port=http_port)
    assert done.returncode != 0
    assert "Lost connection" in done.stderr
    assert time.monotonic() - started < 10  # the header timeout is 30 s


def test_pymysql_types_errors_and_affected_rows(sandbox: SandboxProcess) -> None:
    with _connect(sandbox, database="demo") as conn, conn.cursor() as cur:
        cur.execute("select order_id, amount, created_at from orders order by order_id limit 1")
        order_id, amount, created = cur.fetchone()
        assert order_id == 1 and isinstance(amount, decimal.Decimal)
        assert created.year == 2024
        table = _name("pm")
        cur.execute(f"create table {table} (k int, v int) primary key(k) distributed by hash(k) buckets 1")
        assert cur.execute(f"insert into {table} values (1, 10), (2, 20), (1, 11)") == 3
        cur.execute(f"select k, v from {table} order by k")
        assert cur.fetchall() == ((1, 11), (2, 20))
        with pytest.raises(pymysql.err.MySQLError) as e:
            cur.execute(f"create table {table} (k int) distributed by hash(k)")
        assert e.value.args == (1050, f"Table '{table}' already exists")
        with pytest.raises(pymysql.err.MySQLError) as e:
            cur.execute("set no_such_variable = 1")
        assert e.value.args[0] == 1193
        cur.execute("set query_timeout = 77")
        cur.execute("select @@query_timeout, @@session.sql_mode")
        assert cur.fetchone() == (77, "ONLY_FULL_GROUP_BY")
    with pytest.raises(pymysql.err.OperationalError) as e:
        _connect(sandbox, password="wrong")
    assert e.value.args == (1045, f"Access denied for user '{sandbox.auth[0]}' (using password: YES)")


@pytest.mark.slow
def test_sqlalchemy_starrocks_dialect_creates_inserts_and_reflects(sandbox: SandboxProcess) -> None:
    user, password = sandbox.auth
    engine = sa.create_engine(f"starrocks://{user}:{password}@127.0.0.1:{sandbox.info['query_port']}/demo")
    name = _name("sa")
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    f"CREATE TABLE {name} (id BIGINT NOT NULL, city VARCHAR(32), amount DECIMAL(10, 2)) "
                    "DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 4 PROPERTIES ('replication_num' = '1')"
                )
            )
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            conn.execute(
                table.insert(),
                [{"id": 1, "city": "Oslo", "amount": "1.50"}, {"id": 2, "city": None, "amount": None}],
            )
        assert [c.name for c in table.columns] == ["id", "city", "amount"]
        assert isinstance(table.c.id.type, sa.BigInteger)
        assert table.c.city.type.length == 32  # type: ignore[attr-defined]
        assert table.c.amount.type.scale == 2  # type: ignore[attr-defined]
        assert "HASH(`id`) BUCKETS 4" in str(table.dialect_options["starrocks"]["distributed_by"])
        with engine.connect() as conn:
            rows = conn.execute(sa.select(table.c.id, table.c.amount).order_by(table.c.id)).all()
            assert rows == [(1, decimal.Decimal("1.50")), (2, None)]
        assert sandbox.query(f"select count(*) from {name}", db="demo") == [[2]]
    finally:
        engine.dispose()


@pytest.mark.slow
def test_kill_query_stops_a_sleep_on_another_connection(sandbox: SandboxProcess) -> None:
    with _connect(sandbox) as victim, _connect(sandbox) as killer:
        vcur = victim.cursor()
        vcur.execute("select connection_id()")
        victim_id = int(vcur.fetchone()[0])
        outcome: dict[str, Any] = {}

        def run() -> None:
            started = time.monotonic()
            try:
                vcur.execute("select sleep(60)")
            except pymysql.err.MySQLError as e:
                outcome["error"] = e.args
            outcome["seconds"] = time.monotonic() - started

        worker = threading.Thread(target=run)
        worker.start()
        kcur = killer.cursor()

        def running() -> bool:
            kcur.execute("show processlist")
            return any(int(r[1]) == victim_id and r[5] == "Query" for r in kcur.fetchall())

        wait_until(running, timeout=20)
        kcur.execute(f"kill query {victim_id}")
        worker.join(20)
        assert not worker.is_alive()
        assert outcome["error"][0] == 1317
        assert outcome["error"][1] == f"killed manually: kill query {victim_id}"
        assert outcome["seconds"] < 30
        vcur.execute("select 1")  # the connection itself lives on
        assert vcur.fetchone() == (1,)
        with pytest.raises(pymysql.err.MySQLError) as e:
            kcur.execute("kill 999999")
        assert e.value.args == (1094, "Unknown thread id: 999999")


def test_a_new_user_is_refused_a_table_until_granted(sandbox: SandboxProcess) -> None:
    user = _name("analyst")
    with _connect(sandbox) as admin, admin.cursor() as cur:
        cur.execute(f"CREATE USER '{user}' IDENTIFIED BY 'pw-{user}'")
        with _connect(sandbox, user=user, password=f"pw-{user}") as conn, conn.cursor() as ucur:
            with pytest.raises(pymysql.err.MySQLError) as e:
                ucur.execute("select count(*) from demo.orders")
            assert e.value.args == (
                5203,
                "Access denied; you need (at least one of) the SELECT privilege(s) on TABLE orders for "
                "this operation. Please ask the admin to grant permission(s) or try activating existing "
                "roles using <set [default] role>. Current role(s): [public]. Inactivated role(s): NONE.",
            )
            with pytest.raises(pymysql.err.MySQLError) as e:
                ucur.execute("ADMIN SET FRONTEND CONFIG ('qe_slow_log_ms' = '1')")
            assert e.value.args[0] == 5203
            cur.execute(f"GRANT SELECT ON TABLE demo.orders TO USER '{user}'@'%'")
            ucur.execute("select count(*) from demo.orders")
            assert ucur.fetchone() == (24,)
            cur.execute(f"SHOW GRANTS FOR '{user}'")
            assert (
                f"'{user}'@'%'",
                "default_catalog",
                f"GRANT SELECT ON TABLE demo.orders TO USER '{user}'@'%'",
            ) in (cur.fetchall())
        with pytest.raises(pymysql.err.OperationalError) as e:
            _connect(sandbox, user=user, password="wrong")
        assert e.value.args[0] == 1045


def test_admin_set_frontend_config(sandbox: SandboxProcess) -> None:
    with _connect(sandbox) as conn, conn.cursor() as cur:
        with pytest.raises(pymysql.err.MySQLError) as e:
            cur.execute("ADMIN SET FRONTEND CONFIG ('query_port' = '9031')")
        assert e.value.args == (5102, "Config 'query_port' does not exist or is not mutable")
        with pytest.raises(pymysql.err.MySQLError) as e:
            cur.execute("ADMIN SET FRONTEND CONFIG ('qe_slow_log_ms' = 'soon')")
        assert e.value.args == (5101, 'Set config failed: For input string: "soon"')
        cur.execute("ADMIN SET FRONTEND CONFIG ('qe_slow_log_ms' = '1234')")
        cur.execute("ADMIN SHOW FRONTEND CONFIG LIKE 'qe_slow%'")
        assert cur.fetchall() == (("qe_slow_log_ms", "[]", "1234", "long", "true", ""),)
