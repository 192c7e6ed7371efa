"""The administration services over the sandbox's real query port and BE HTTP port: a running query
on another connection (PyMySQL) found and killed, FE configuration set and shown as changed (an
immutable item refused with the FE's text), a BE item read and set over /varz and
/api/update_config, a user created, granted a role, revoked and dropped (typed confirmations), a
failed pipe file retried after it is fixed, a table's DDL."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pymysql
import pytest
from conftest import SandboxProcess, wait_until

from gui.api import errors
from gui.api.starrocks import StarRocksClient
from gui.services.admin import (
    AdminSql,
    ConfigService,
    PipesService,
    SchemaService,
    SessionsService,
    UsersService,
)
from gui.services.profiles import Profile
from gui.services.sql.history import QueryHistory
from gui.services.sql.runner import Sink, SqlRunner, StatementOutcome, channel_for


def _profile(sp: SandboxProcess) -> Profile:
    return Profile(name="cluster", kind="starrocks", url=sp.url, user=sp.auth[0], query_port=sp.query_port)


def run(sp: SandboxProcess, body: Callable[[AdminSql, StarRocksClient], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        prof = _profile(sp)
        async with StarRocksClient(sp.url, *sp.auth) as http:
            sql = AdminSql(SqlRunner(prof, query=channel_for(prof, sp.auth[1]), http=http))
            try:
                return await body(sql, http)
            finally:
                await sql.aclose()

    return asyncio.run(go())


def _connect(sp: SandboxProcess, **kw: Any) -> Any:
    return pymysql.connect(
        host="127.0.0.1", port=sp.query_port, user=sp.auth[0], password=sp.auth[1], autocommit=True, **kw
    )


def test_a_running_query_of_another_connection_is_listed_and_killed(sandbox: SandboxProcess) -> None:
    other = _connect(sandbox, read_timeout=60)
    cid = other.thread_id()
    failure: list[BaseException] = []

    def sleeper() -> None:
        try:
            with other.cursor() as cur:
                cur.execute("select sleep(30)")
        except BaseException as e:  # noqa: BLE001
            failure.append(e)

    thread = threading.Thread(target=sleeper)
    started = time.monotonic()
    thread.start()
    try:

        async def body(sql: AdminSql, _http: StarRocksClient) -> Any:
            svc = SessionsService(sql)
            deadline = time.monotonic() + 10
            while True:
                rows = await svc.sessions()
                found = [r for r in rows if r.id == cid and r.running and "sleep(30)" in r.info]
                if found or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)
            assert found, rows
            assert found[0].user == sandbox.auth[0]
            await svc.kill(cid, connection=False)
            return [r.text for r in sql.ran]

        ran = run(sandbox, body)
        thread.join(15)
        assert not thread.is_alive() and time.monotonic() - started < 20
        assert failure and isinstance(failure[0], pymysql.err.OperationalError)
        assert failure[0].args[0] == 1317
        assert ran[-1] == f"KILL QUERY {cid}" and "SHOW FULL PROCESSLIST" in ran
    finally:
        other.close()


def test_fe_config_set_is_shown_as_changed_and_an_immutable_item_is_refused(sandbox: SandboxProcess) -> None:
    async def body(sql: AdminSql, http: StarRocksClient) -> Any:
        svc = ConfigService(sql, http)
        items = {i.key: i for i in await svc.fe_items()}
        slow = items["qe_slow_log_ms"]
        assert slow.mutable and not slow.changed
        assert not items["query_port"].mutable
        new = str(int(slow.value) + 1234)
        # Without the typed key the runner does not send it.
        with pytest.raises(errors.ApiError, match="type 'qe_slow_log_ms' to confirm"):
            await svc.set_fe("qe_slow_log_ms", new, confirm="nope")
        await svc.set_fe("qe_slow_log_ms", new, confirm="qe_slow_log_ms")
        after = {i.key: i for i in await svc.fe_items()}
        assert after["qe_slow_log_ms"].value == new and after["qe_slow_log_ms"].changed
        assert after["qe_slow_log_ms"].first_seen == slow.value
        with pytest.raises(errors.ApiError) as refused:
            await svc.set_fe("query_port", "9031", confirm="query_port")
        await svc.set_fe("qe_slow_log_ms", slow.value, confirm="qe_slow_log_ms")
        return str(refused.value.message)

    message = run(sandbox, body)
    assert "query_port" in message


def test_a_be_item_is_read_and_set_over_the_bes_http_port(sandbox: SandboxProcess) -> None:
    async def body(sql: AdminSql, http: StarRocksClient) -> Any:
        svc = ConfigService(sql, http)
        [be] = await svc.backends()
        items = {i.key: i for i in await svc.be_items(be)}
        assert items["tablet_max_versions"].value == "1000"
        await svc.set_be(be, "tablet_max_versions", "1500")
        after = {i.key: i for i in await svc.be_items(be)}
        assert after["tablet_max_versions"].value == "1500" and after["tablet_max_versions"].changed
        with pytest.raises(errors.InvalidRequest) as immutable:
            await svc.set_be(be, "be_port", "9061")
        with pytest.raises(errors.InvalidRequest) as bad:
            await svc.set_be(be, "tablet_max_versions", "many")
        await svc.set_be(be, "tablet_max_versions", "1000")
        return immutable.value.message, bad.value.message, [r.text for r in sql.ran]

    immutable, bad, ran = run(sandbox, body)
    assert immutable == "set be_port=9061 failed, reason: Not supported: 'be_port' is immutable"
    assert bad == (
        "set tablet_max_versions=many failed, reason: Invalid argument: "
        "Invalid value of config 'tablet_max_versions': 'many'"
    )
    assert any(r.endswith("/api/update_config?tablet_max_versions=1500") for r in ran)


def test_a_user_is_created_granted_a_role_revoked_and_dropped(sandbox: SandboxProcess) -> None:
    name = f"u_{uuid.uuid4().hex[:8]}"
    identity = f"'{name}'@'%'"

    async def body(sql: AdminSql, _http: StarRocksClient) -> Any:
        svc = UsersService(sql)
        rules = await svc.password_rules()
        assert not rules.enforced and rules.problems("x") == []
        await svc.create_user(name, "S3cret-pass")
        assert identity in await svc.users()
        roles = [r[0] for r in await svc.roles()]
        assert "public" in roles and "db_admin" in roles
        await svc.grant_role("db_admin", identity)
        granted = " ".join(g for _, g in await svc.grants(identity))
        assert "db_admin" in granted
        with pytest.raises(errors.ApiError, match=f"type '{name}' to confirm"):
            await svc.revoke_role("db_admin", identity, confirm="")
        await svc.revoke_role("db_admin", identity, confirm=name)
        assert "db_admin" not in " ".join(g for _, g in await svc.grants(identity))
        with pytest.raises(errors.ApiError, match=f"type '{name}' to confirm"):
            await svc.drop_user(identity, confirm=name[:-1])
        await svc.drop_user(identity, confirm=name)
        assert identity not in await svc.users()
        return [r.text for r in sql.ran]

    ran = run(sandbox, body)
    # The password is never kept in what "Show SQL" shows.
    assert f"CREATE USER {identity} IDENTIFIED BY '***'" in ran
    assert not any("S3cret-pass" in r for r in ran)
    with pytest.raises(pymysql.err.OperationalError):
        pymysql.connect(host="127.0.0.1", port=sandbox.query_port, user=name, password="S3cret-pass").close()


def _pipe_with_a_bad_file(sp: SandboxProcess) -> tuple[str, str, Any]:
    table, pipe = f"pt_{uuid.uuid4().hex[:8]}", f"p_{uuid.uuid4().hex[:8]}"
    folder = sp.data_dir / "incoming" / pipe
    folder.mkdir(parents=True)
    (folder / "a_good.csv").write_text("1,one\n2,two\n")
    bad = folder / "b_bad.csv"
    bad.write_text("3,three\nnot-a-number,four\n")
    with _connect(sp, database="demo") as conn, conn.cursor() as cur:
        cur.execute(
            f"CREATE TABLE {table} (id INT NOT NULL, name VARCHAR(20)) DUPLICATE KEY(id) "
            "DISTRIBUTED BY HASH(id) BUCKETS 1 PROPERTIES('replication_num'='1')"
        )
        cur.execute(
            f"CREATE PIPE {pipe} PROPERTIES ('auto_ingest' = 'false', 'batch_files' = '1') AS "
            f'INSERT INTO {table} SELECT * FROM FILES("path" = "file://{folder}/*.csv", "format" = "csv", '
            '"csv.column_separator" = ",")'
        )
    return table, pipe, bad


def _sweep(sp: SandboxProcess, seconds: float = 0) -> None:
    import httpx

    r = httpx.post(f"{sp.url}/_sandbox/clock", json={"advance": seconds}, auth=sp.auth, timeout=60)
    r.raise_for_status()


def test_a_failed_pipe_file_is_retried_after_it_is_fixed(sandbox: SandboxProcess) -> None:
    table, pipe, bad = _pipe_with_a_bad_file(sandbox)
    _sweep(sandbox)

    async def files(svc: PipesService) -> dict[str, Any]:
        return {f.name.rsplit("/", 1)[-1]: f for f in await svc.files("demo", pipe)}

    async def body(sql: AdminSql, _http: StarRocksClient) -> Any:
        svc = PipesService(sql)
        deadline = time.monotonic() + 15
        while True:
            found = await files(svc)
            if found.get("b_bad.csv") and found["b_bad.csv"].state == "ERROR":
                break
            assert time.monotonic() < deadline, found
            await asyncio.to_thread(_sweep, sandbox, 15)  # the next file's task runs at the pipe's next poll
        assert found["a_good.csv"].state == "FINISHED" and found["b_bad.csv"].error
        [row] = [p for p in await svc.pipes() if p.name == pipe]
        assert row.database == "demo" and row.loaded_files == 1
        bad.write_text("3,three\n4,four\n")
        await svc.alter("demo", pipe, "RETRY FILE", found["b_bad.csv"].name)
        return [r.text for r in sql.ran]

    ran = run(sandbox, body)
    assert any("RETRY FILE" in r for r in ran)
    _sweep(sandbox)
    assert wait_until(lambda: sandbox.query(f"select count(*) from {table}", db="demo") == [[4]], 15)


def test_a_tables_ddl_and_what_the_cluster_says_of_partitions(sandbox: SandboxProcess) -> None:
    async def body(sql: AdminSql, _http: StarRocksClient) -> Any:
        svc = SchemaService(sql)
        assert "demo" in await svc.databases()
        tables = await svc.tables("demo")
        assert tables and all(t.engine for t in tables)
        ddl = await svc.ddl("demo", tables[0].name)
        return tables[0].name, ddl

    name, ddl = run(sandbox, body)
    assert ddl.startswith(f"CREATE TABLE `{name}`")


def test_a_tables_partitions_tablets_and_replica_health(sandbox: SandboxProcess) -> None:
    table = f"h_{uuid.uuid4().hex[:8]}"
    sandbox.admin_sql(
        f"CREATE TABLE {table} (id int) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 3", "demo"
    )
    sandbox.admin_sql(f"INSERT INTO {table} VALUES (1), (2)", "demo")

    async def body(sql: AdminSql, _http: StarRocksClient) -> Any:
        svc = SchemaService(sql)
        return (
            await svc.partitions("demo", table),
            await svc.tablets("demo", table),
            await svc.tablet_health("demo", table),
            [r.text for r in sql.ran],
        )

    parts, tablets, health, ran = run(sandbox, body)
    (part,) = parts.dicts()
    assert (part["PartitionName"], part["Buckets"], part["RowCount"]) == (table, "3", "2")
    assert len(tablets.rows) == 3 and {r["BackendId"] for r in tablets.dicts()} == {"10001"}
    assert health.counts == {"OK": 3} and health.unhealthy == 0
    assert health.summary() == "3 replicas: 3 OK"
    assert set(health.by_replica) == {r["ReplicaId"] for r in tablets.dicts()}
    assert f"ADMIN SHOW REPLICA STATUS FROM `demo`.`{table}`" in ran


def test_password_rules_are_the_fes_when_enable_validate_password_is_on(sandbox: SandboxProcess) -> None:
    """The rules the console states are the ones the FE enforces: each password below is judged the
    same way by PasswordRules and by the FE, which refuses with its own text."""
    with _connect(sandbox) as conn, conn.cursor() as cur:
        cur.execute("ADMIN SET FRONTEND CONFIG ('enable_validate_password' = 'true')")
    try:
        cases = [
            "Pa1short",  # 8: long enough, every class
            "Pa1sho",  # too short
            "password1",  # no upper-case letter
            "PASSWORD1",  # no lower-case letter
            "Password",  # no digit
            "PASSWORDé1",  # é is not a-z
            "Passwordx٣",  # ٣ (Arabic-Indic three) is not 0-9
            "Pa1\U0001f600\U0001f600\U0001f600",  # 6 code points, 9 UTF-16 units: long enough
        ]

        async def body(sql: AdminSql, _http: StarRocksClient) -> Any:
            svc = UsersService(sql)
            rules = await svc.password_rules()
            assert rules.enforced and rules.source == "enable_validate_password = true"
            outcomes = []
            for password in cases:
                name = f"pw_{uuid.uuid4().hex[:8]}"
                try:
                    await svc.create_user(name, password)
                except errors.ApiError as e:
                    outcomes.append((password, rules.refusal(password), e.message))
                else:
                    outcomes.append((password, rules.refusal(password), None))
                    await svc.drop_user(f"'{name}'@'%'", confirm=name)
            return outcomes

        outcomes = run(sandbox, body)
    finally:
        with _connect(sandbox) as conn, conn.cursor() as cur:
            cur.execute("ADMIN SET FRONTEND CONFIG ('enable_validate_password' = 'false')")
    for password, predicted, refused in outcomes:
        if predicted is None:
            assert refused is None, (password, refused)
        else:
            assert refused == (
                f"Getting analyzing error. Detail message: invalidate authentication: {predicted}."
            ), password
    accepted = [p for p, predicted, _ in outcomes if predicted is None]
    assert accepted == ["Pa1short", "Pa1\U0001f600\U0001f600\U0001f600"]
    assert dict((p, r) for p, r, _ in outcomes)["Pa1sho"] == "password is too short!"


class _Began(Sink):
    """Says when the runner is about to send a statement; may stop the run at its first rows."""

    def __init__(self, stop_at_rows: bool = False) -> None:
        self.began = asyncio.Event()
        self.stop_at_rows = stop_at_rows
        self.connection: int | None = None
        self.runner: SqlRunner | None = None

    def begin(self, outcome: StatementOutcome) -> None:
        self.began.set()

    def rows(self, outcome: StatementOutcome, rows: list[tuple[Any, ...]]) -> None:
        if self.stop_at_rows and self.connection is None:
            assert self.runner is not None and self.runner.query is not None
            self.connection = self.runner.query.connection_id
            # What a newer refresh of the page does: the task reading is cancelled, here between two
            # batches of a result the server is still sending.
            task = asyncio.current_task()
            assert task is not None
            task.cancel()


@pytest.mark.slow
def test_a_refresh_stopped_while_it_waits_for_the_shared_session_leaves_the_running_statement_alone(
    sandbox: SandboxProcess,
) -> None:
    """The pages share one query-port session: a page's read that a newer refresh replaces while it
    waits for the session must not stop, kill or speak for another page's statement that runs."""

    async def body(sql: AdminSql, _http: StarRocksClient) -> Any:
        await sql.query("SELECT 1")  # the session is open
        query = sql.runner.query
        assert query is not None and query.connection_id is not None
        cid = query.connection_id
        running = asyncio.ensure_future(sql.query("select sleep(2)"))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while True:  # the statement is on the server
            rows = (await asyncio.to_thread(sandbox.query, "show full processlist"))[0]
            if any(int(p["Id"]) == cid and "sleep(2)" in str(p["Info"] or "") for p in rows):
                break
            assert loop.time() < deadline, rows
            await asyncio.sleep(0.05)
        sink = _Began()
        waiting = asyncio.ensure_future(sql.runner.run("SHOW DATABASES", sink))
        await asyncio.wait_for(sink.began.wait(), 20)  # sent next, once the session is free
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        result = await asyncio.wait_for(running, 30)
        return result, list(sql.ran)

    result, ran = run(sandbox, body)
    # The sleep ran to its end and said so; nothing was killed on its behalf or in its name.
    assert result.columns and len(result.rows) == 1
    assert [(r.text, r.outcome) for r in ran][-1] == ("select sleep(2)", "ok")


def test_a_refresh_stopped_between_two_batches_kills_its_own_statement_first(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    """Stopped while the rows still come: KILL QUERY goes for the statement's own connection while
    the FE still knows it (before the connection is dropped), and the outcome says it went."""
    history = QueryHistory(tmp_path / "history.jsonl")

    async def body(sql: AdminSql, _http: StarRocksClient) -> Any:
        sql.runner.history = history
        sql.runner.batch = 100
        sink = _Began(stop_at_rows=True)
        sink.runner = sql.runner
        with pytest.raises(asyncio.CancelledError):
            await sql.runner.run("select * from TABLE(generate_series(1, 300000))", sink)
        after = await sql.query("SELECT 7")  # the session goes on (on a new connection)
        return sink.connection, after

    cid, after = run(sandbox, body)
    assert cid is not None and after.rows == [(7,)]
    [stopped] = [e for e in history.entries() if "generate_series" in e.statement]
    assert stopped.outcome == "cancelled"
    assert f"KILL QUERY {cid} was sent" in stopped.message, stopped.message
