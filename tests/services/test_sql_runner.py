"""The SQL runner over the sandbox's real ports: statements with the server's figures, a row cap,
cancel with KILL QUERY, the query history, read-only and confirmation refusals, and the HTTP SQL API
taking over what it can when the query port is closed."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import SandboxProcess

from gui.api.starrocks import Column, StarRocksClient
from gui.services.profiles import Profile
from gui.services.sql.history import QueryHistory
from gui.services.sql.runner import HTTP_API, QUERY_PORT, Sink, SqlRunner, StatementOutcome, channel_for
from gui.services.sql.statements import split


class Recording(Sink):
    def __init__(self, on_rows: Callable[[StatementOutcome, int], None] | None = None) -> None:
        self.events: list[tuple[str, int, Any]] = []
        self.batches: dict[int, list[list[tuple[Any, ...]]]] = {}
        self.on_rows = on_rows

    def begin(self, outcome: StatementOutcome) -> None:
        self.events.append(("begin", outcome.index, outcome.channel))

    def columns(self, outcome: StatementOutcome, columns: list[Column]) -> None:
        self.events.append(("columns", outcome.index, [c.name for c in columns]))

    def rows(self, outcome: StatementOutcome, rows: list[tuple[Any, ...]]) -> None:
        self.batches.setdefault(outcome.index, []).append(rows)
        if self.on_rows:
            self.on_rows(outcome, outcome.rows)

    def end(self, outcome: StatementOutcome) -> None:
        self.events.append(("end", outcome.index, outcome.status))


def profile(sp: SandboxProcess, **kw: Any) -> Profile:
    return Profile(
        name=kw.pop("name", "cluster"),
        kind="starrocks",
        url=sp.url,
        user=sp.auth[0],
        query_port=kw.pop("query_port", sp.query_port),
        **kw,
    )


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _runner(sp: SandboxProcess, tmp_path: Path, **kw: Any) -> AsyncIterator[SqlRunner]:
    prof = profile(sp, **kw)
    async with StarRocksClient(sp.url, *sp.auth) as http:
        runner = SqlRunner(
            prof,
            query=channel_for(prof, sp.auth[1]),
            http=http,
            history=QueryHistory(tmp_path / "history.jsonl"),
        )
        try:
            yield runner
        finally:
            await runner.aclose()


async def processlist_until(
    sp: SandboxProcess, seen: Callable[[list[dict[str, str]]], bool], timeout: float = 10.0
) -> None:
    """Read SHOW FULL PROCESSLIST until ``seen`` holds of its rows (Info as text, "" when none)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = (await asyncio.to_thread(sp.query, "show full processlist"))[0]
        listed = [{**p, "Id": str(p["Id"]), "Info": str(p["Info"] or "")} for p in rows]
        if seen(listed):
            return
        assert time.monotonic() < deadline, listed
        await asyncio.sleep(0.05)


def with_runner(sp: SandboxProcess, tmp_path: Path, body: Any, **kw: Any) -> Any:
    async def go() -> Any:
        async for runner in _runner(sp, tmp_path, **kw):
            return await body(runner)

    return asyncio.run(go())


@pytest.fixture
def db(sandbox: SandboxProcess) -> str:
    name = f"r_{uuid.uuid4().hex[:8]}"
    sandbox.admin_sql(f"create database {name}")
    sandbox.admin_sql(
        "create table t (id int, v varchar(10)) duplicate key(id) distributed by hash(id) buckets 1 "
        "properties ('replication_num' = '1')",
        db=name,
    )
    return name


def test_a_script_runs_with_each_statements_own_figures_and_history(
    sandbox: SandboxProcess, db: str, tmp_path: Path
) -> None:
    sink = Recording()
    script = (
        f"use {db};\ninsert into t values (1, 'a'), (2, 'b');\nselect id, v from t order by id;\nselect 1/0 x"
    )

    async def body(r: SqlRunner) -> Any:
        result = await r.run(script, sink)
        assert r.history is not None
        return result, r.history.entries()

    result, history = with_runner(sandbox, tmp_path, body)
    use, insert, select, last = result.statements
    assert result.ok and all(s.channel == QUERY_PORT for s in result.statements)
    assert insert.affected_rows == 2 and insert.columns == []  # the server's OK packet
    assert select.rows == 2 and sink.batches[2] == [[(1, "a"), (2, "b")]]
    assert [c.name for c in select.columns] == ["id", "v"] and select.affected_rows is None
    assert ("columns", 2, ["id", "v"]) in sink.events
    assert sink.events.index(("columns", 2, ["id", "v"])) < sink.events.index(("end", 2, "ok"))
    assert select.connection_id is not None and select.elapsed > 0
    # Newest first; every statement sent is kept, in the database the USE chose.
    assert [(h.statement, h.outcome, h.rows, h.database) for h in reversed(history)] == [
        (f"use {db}", "ok", 0, db),  # its OK packet says 0 rows affected
        ("insert into t values (1, 'a'), (2, 'b')", "ok", 2, db),
        ("select id, v from t order by id", "ok", 2, db),
        ("select 1/0 x", "ok", 1, db),
    ]
    assert last.status == "ok"


def test_the_first_failure_stops_the_script_unless_told_to_go_on(
    sandbox: SandboxProcess, db: str, tmp_path: Path
) -> None:
    script = "select * from no_such_table; insert into t values (3, 'c'); select count(*) from t"

    async def body(r: SqlRunner) -> Any:
        r.database = db
        stopped = await r.run(script)
        went_on = await r.run(script, on_error="continue")
        assert r.history is not None
        return stopped, went_on, r.history.entries()

    stopped, went_on, history = with_runner(sandbox, tmp_path, body)
    assert [s.status for s in stopped.statements] == ["error", "skipped", "skipped"]
    failure = stopped.statements[0]
    assert "Unknown table" in failure.message and failure.error is not None  # the server's own text
    assert stopped.first_failure is failure and not stopped.ok
    assert [s.status for s in went_on.statements] == ["error", "ok", "ok"]
    assert went_on.statements[2].rows == 1
    assert sandbox.query("select count(*) from t", db=db) == [[1]]  # inserted once: the skipped one never ran
    assert [h.outcome for h in history].count("error") == 2
    assert "Unknown table" in history[-1].message


def test_a_row_cap_stops_reading_and_the_session_carries_on(sandbox: SandboxProcess, tmp_path: Path) -> None:
    sink = Recording()
    script = (
        "set query_timeout = 123; select * from TABLE(generate_series(1, 10000)); "
        "select * from TABLE(generate_series(1, 2500)); select @@query_timeout"
    )

    async def body(r: SqlRunner) -> Any:
        r.batch = 1000
        return await r.run(script, sink, max_rows=2500)

    result = with_runner(sandbox, tmp_path, body)
    _, capped, exact, after = result.statements
    assert capped.rows == 2500 and capped.capped and capped.status == "ok"
    assert sum(len(b) for b in sink.batches[1]) == 2500 and sink.batches[1][-1][-1] == (2500,)
    assert any("row cap" in n for n in capped.notes)
    assert exact.rows == 2500 and not exact.capped  # exactly the cap: nothing was left unread
    # The capped result's connection was dropped rather than drained; the next one got the session's
    # SET again, and said so.
    assert after.rows == 1 and sink.batches[3] == [[(123,)]]
    assert any("run on it again" in n for n in exact.notes + after.notes)


def test_cancel_kills_the_running_statement_and_says_where_it_stopped(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    async def body(r: SqlRunner) -> Any:
        task = asyncio.create_task(r.run("select sleep(30); select 1"))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        assert r.query is not None
        while r.query.connection_id is None:  # connected (the runner opens the port first)
            assert loop.time() < deadline
            await asyncio.sleep(0.02)
        cid = r.query.connection_id
        # The statement is on the server.
        await processlist_until(
            sandbox, lambda rows: any(int(p["Id"]) == cid and "sleep(30)" in p["Info"] for p in rows)
        )
        started = loop.time()
        await r.cancel()
        result = await asyncio.wait_for(task, 10)
        assert r.history is not None
        return result, loop.time() - started, r.history.entries()

    result, took, history = with_runner(sandbox, tmp_path, body)
    killed, after = result.statements
    assert killed.status == "cancelled" and result.cancelled
    assert killed.message.startswith("cancelled after 0 rows, the server killed the query (killed manually")
    assert after.status == "skipped" and "cancelled" in after.message
    assert took < 10
    assert history[0].outcome == "cancelled" and history[0].statement == "select sleep(30)"


def test_cancel_while_rows_stream_stops_and_counts_them(sandbox: SandboxProcess, tmp_path: Path) -> None:
    holder: dict[str, Any] = {}

    def on_rows(outcome: StatementOutcome, rows: int) -> None:
        if rows >= 12_000 and "task" not in holder:
            holder["task"] = asyncio.get_running_loop().create_task(holder["runner"].cancel())

    sink = Recording(on_rows)

    async def body(r: SqlRunner) -> Any:
        holder["runner"] = r
        result = await r.run("select * from TABLE(generate_series(1, 300000)); select 2", sink)
        await holder["task"]
        return result

    result = with_runner(sandbox, tmp_path, body)
    stopped, after = result.statements
    assert stopped.status == "cancelled" and after.status == "skipped"
    assert 12_000 <= stopped.rows < 300_000
    # The kill went while the connection still held the statement (not after dropping it).
    said = f"cancelled after {stopped.rows:,} rows: KILL QUERY {stopped.connection_id} was sent"
    assert stopped.message == said + " and reading stopped here"
    assert sum(len(b) for b in sink.batches[0]) == stopped.rows  # what it says is what the sink got


def test_a_read_only_profile_refuses_writes_before_sending_them(
    sandbox: SandboxProcess, db: str, tmp_path: Path
) -> None:
    script = f"set query_timeout = 60; select count(*) from {db}.t; insert into {db}.t values (9, 'x')"

    async def body(r: SqlRunner) -> Any:
        result = await r.run(script, on_error="continue")
        assert r.history is not None
        return result, r.history.entries()

    result, history = with_runner(sandbox, tmp_path, body, read_only=True)
    assert [s.status for s in result.statements] == ["ok", "ok", "refused"]
    refused = result.statements[2]
    assert "read-only" in refused.message and refused.channel is None
    assert sandbox.query(f"select count(*) from {db}.t") == [[0]]
    assert all("insert" not in h.statement for h in history)  # not sent, so not run


def test_a_destructive_statement_runs_only_with_its_name_confirmed(
    sandbox: SandboxProcess, db: str, tmp_path: Path
) -> None:
    async def body(r: SqlRunner) -> Any:
        r.database = db
        unconfirmed = await r.run("truncate table t")
        wrong = await r.run("drop table t", confirm=["x"])
        confirmed = await r.run("drop table t", confirm=["t"])
        return unconfirmed, wrong, confirmed

    unconfirmed, wrong, confirmed = with_runner(sandbox, tmp_path, body)
    assert unconfirmed.statements[0].status == "refused" and unconfirmed.statements[0].confirm == "t"
    assert "type 't' to confirm" in unconfirmed.statements[0].message
    assert wrong.statements[0].status == "refused"
    assert confirmed.statements[0].status == "ok"
    tables = sandbox.query(f"show tables from {db}")
    assert tables in ([], [[]])


def test_with_the_query_port_closed_reads_go_over_http_and_the_rest_names_the_port(
    sandbox: SandboxProcess, db: str, tmp_path: Path
) -> None:
    port = closed_port()
    sandbox.admin_sql("insert into t values (1, 'a'), (2, 'b'), (3, 'c')", db=db)
    sink = Recording()
    script = (
        f"use {db}; select id, v from t order by id; insert into t values (4, 'd'); show tables; kill 999999"
    )

    async def body(r: SqlRunner) -> Any:
        r.batch = 2
        choice = await r.which_channel(split("create table x (a int)")[0])
        result = await r.run(script, sink, on_error="continue")
        return choice, result

    choice, result = with_runner(sandbox, tmp_path, body, query_port=port)
    assert choice.channel is None and f"query port ({port})" in choice.reason
    use, select, insert, show, kill = result.statements
    assert use.status == "ok" and use.channel == HTTP_API
    assert select.status == "ok" and select.channel == HTTP_API
    assert sink.batches[1] == [[(1, "a"), (2, "b")], [(3, "c")]]  # in batches, as over the query port
    assert any(f"query port ({port}) is not reachable" in n for n in select.notes)
    assert select.statistics.get("returnRows") == 3  # the HTTP SQL API's own figures
    assert insert.status == "refused" and insert.channel is None
    assert f"INSERT needs the FE's query port ({port})" in insert.message
    assert "SELECT, SHOW, EXPLAIN, DESC and KILL" in insert.message
    assert show.status == "ok" and show.rows == 1
    assert kill.channel == HTTP_API and kill.status == "error"  # the server's refusal of an unknown id
    assert sandbox.query("select count(*) from t", db=db) == [[3]]


def test_a_runner_of_the_consoles_session_uses_the_sandbox_profile(
    sandbox: SandboxProcess, tmp_path: Path, secret_service: Any
) -> None:
    from gui.services.credentials import Credentials
    from gui.services.profiles import ProfileStore
    from gui.services.session import ConsoleSession, sandbox_profiles
    from gui.services.sql.runner import runner_for

    async def go() -> Any:
        session = ConsoleSession(ProfileStore(tmp_path / "profiles.json"), Credentials())
        for prof, secrets in sandbox_profiles(sandbox.info):
            session.add_ephemeral(prof, secrets)
        cluster = session.profile("Sandbox StarRocks")
        assert cluster is not None
        runner = await runner_for(session, cluster, QueryHistory(tmp_path / "h.jsonl"), database="demo")
        try:
            return await runner.run("select count(*) from orders")
        finally:
            await runner.aclose()
            await session.aclose()

    result = asyncio.run(go())
    [outcome] = result.statements
    assert outcome.status == "ok" and outcome.channel == QUERY_PORT and outcome.rows == 1


@pytest.mark.slow
def test_cancel_over_the_http_sql_api_kills_the_query_on_the_server(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    """With only the HTTP port reachable a SELECT runs over the SQL API; Cancel while its rows stream
    sends KILL QUERY for the connection id the API's first line named, reading stops, the statements
    after it are not run, and nothing of it is left running on the server."""
    port = closed_port()
    holder: dict[str, Any] = {}

    def on_rows(outcome: StatementOutcome, rows: int) -> None:
        if rows >= 5_000 and "task" not in holder:
            holder["task"] = asyncio.get_running_loop().create_task(holder["runner"].cancel())

    sink = Recording(on_rows)

    async def body(r: SqlRunner) -> Any:
        holder["runner"] = r
        result = await r.run("select * from TABLE(generate_series(1, 3000000)); select 2", sink)
        await holder["task"]
        # The killed query leaves the server's process list.
        await processlist_until(
            sandbox, lambda rows: not any("generate_series(1, 3000000)" in p["Info"] for p in rows)
        )
        return result

    result = with_runner(sandbox, tmp_path, body, query_port=port)
    stopped, after = result.statements
    assert stopped.channel == HTTP_API and stopped.status == "cancelled" and result.cancelled
    assert 5_000 <= stopped.rows < 3_000_000
    assert stopped.message.startswith(f"cancelled after {stopped.rows:,} rows: KILL QUERY "), stopped.message
    assert stopped.message.endswith("was sent and reading stopped here")
    assert after.status == "skipped"
    assert sum(len(b) for b in sink.batches[0]) == stopped.rows  # what it says is what the sink got


@pytest.mark.slow
def test_cancel_over_the_http_sql_api_before_the_first_row_finds_the_connection(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    """The HTTP SQL API names the connection only with the first rows; a statement cancelled before
    them (here a sleep) is found in SHOW PROCESSLIST — this user, this statement — and killed."""
    port = closed_port()

    async def body(r: SqlRunner) -> Any:
        task = asyncio.create_task(r.run("select sleep(30); select 1"))
        loop = asyncio.get_running_loop()
        await processlist_until(sandbox, lambda rows: any(p["Info"] == "select sleep(30)" for p in rows))
        started = loop.time()
        await r.cancel()
        result = await asyncio.wait_for(task, 10)
        return result, loop.time() - started

    result, took = with_runner(sandbox, tmp_path, body, query_port=port)
    killed, after = result.statements
    assert killed.channel == HTTP_API and killed.status == "cancelled" and result.cancelled
    assert killed.message.startswith("cancelled after 0 rows, the server killed the query (killed manually")
    assert after.status == "skipped"
    assert took < 10
