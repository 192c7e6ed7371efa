"""The StarRocks client against the sandbox over HTTP: every call, and every documented answer
mapped to a typed result or error."""

from __future__ import annotations

import asyncio
import gzip
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import SandboxProcess

from gui.api import errors
from gui.api.starrocks import (
    BeUnreachable,
    FileBody,
    LabelAlreadyExists,
    LoadOptions,
    LoadRejected,
    StarRocksClient,
    StarRocksError,
    TxnNotFound,
    check_label,
    parse_prometheus,
)
from gui.api.transport import TransportConfig


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def client(sp: SandboxProcess, **kw: object) -> StarRocksClient:
    return StarRocksClient(sp.url, *sp.auth, **kw)  # type: ignore[arg-type]


def table(sp: SandboxProcess) -> str:
    db = "cl_" + uuid.uuid4().hex[:10]
    sp.admin_sql(f"CREATE DATABASE {db}")
    sp.admin_sql(
        "CREATE TABLE t (id int NOT NULL, name varchar(20)) DUPLICATE KEY(id) "
        "DISTRIBUTED BY HASH(id) BUCKETS 1",
        db=db,
    )
    return db


def label() -> str:
    return "c_" + uuid.uuid4().hex[:12]


def test_transaction_round_trip_with_every_step(sandbox: SandboxProcess, tmp_path: Path) -> None:
    db, lb = table(sandbox), label()
    path = tmp_path / "rows.csv"
    path.write_text("".join(f"{i},n{i}\n" for i in range(100)))
    seen: list[tuple[int, int | None]] = []

    async def go() -> None:
        async with client(sandbox) as c:
            h = await c.begin(db, "t", lb, timeout=60, idle_timeout=30)
            assert h.be == sandbox.be_url and h.txn_id > 0  # resolved at begin from the FE's 307
            opts = LoadOptions(column_separator=",")
            size = path.stat().st_size
            first = await c.load(h, FileBody(path, 0, size // 2 - (size // 2) % 7 + 1), opts)
            assert first.ok and first.answered_by == sandbox.be_url
            # The rest of the file (cut on a row boundary by the caller in real use).
            text = path.read_bytes()
            cut = text.index(b"\n", size // 2) + 1
            await c.load(h, FileBody(path, cut, size - cut), opts, progress=lambda s, t: seen.append((s, t)))
            assert seen[-1] == (size - cut, size - cut)
            assert await c.load_state(db, lb) == "PREPARE"
            listed = await c.be_transactions(sandbox.be_url)
            assert any(t["Label"] == lb for t in listed)
            prep = await c.prepare(db, lb, prepared_timeout=600)
            assert prep.ok and prep.number_total_rows is not None
            assert await c.load_state(db, lb) == "PREPARED"
            done = await c.commit(db, lb)
            assert done.ok and done.answered_by == sandbox.url  # the FE commits a prepared txn
            again = await c.commit(db, lb)
            assert again.ok and "already committed" in again.message
            assert await c.load_state(db, lb) == "VISIBLE"

    run(go())


def test_errors_are_typed_by_status(sandbox: SandboxProcess) -> None:
    db = table(sandbox)

    async def go() -> None:
        async with client(sandbox) as c:
            lb = label()
            h = await c.begin(db, "t", lb)
            with pytest.raises(LabelAlreadyExists) as dup:
                await c.begin(db, "t", lb)
            assert dup.value.existing_job_status == "RUNNING" and dup.value.code == "LABEL_ALREADY_EXISTS"
            with pytest.raises(LoadRejected) as bad:
                await c.load(h, b"1,x\n", LoadOptions(column_separator=",", columns="name"))
            assert bad.value.code == "ANALYSIS_ERROR" and "id" in str(bad.value)
            with pytest.raises(TxnNotFound):
                await c.load(h, b"1,x\n", LoadOptions(column_separator=","))
            with pytest.raises(StarRocksError) as gone:
                await c.commit(db, label())
            assert gone.value.code == "FAILED" and "No transaction found" in gone.value.message
            assert not gone.value.message.startswith("class ")  # the Java class name is dropped
            lb2 = label()
            h2 = await c.begin(db, "t", lb2)
            await c.load(h2, b"1,a\nx,b,c\n", LoadOptions(column_separator=","))
            with pytest.raises(LoadRejected) as filtered:
                await c.commit(db, lb2)
            assert (
                filtered.value.code == "INTERNAL_ERROR" and "too many filtered rows" in filtered.value.message
            )
            assert filtered.value.hint and "_load_error_log" in filtered.value.hint
            with pytest.raises(LoadRejected):
                await c.begin(db, "missing_table", label())
            await c.rollback(db, lb)
            assert await c.load_state(db, lb) == "ABORTED"

    run(go())


def test_label_rule_is_checked_before_sending() -> None:
    assert check_label("ok-label_1:2") == "ok-label_1:2"
    for bad in ("", "has space", "x" * 129, "semi;colon"):
        with pytest.raises(ValueError):
            check_label(bad)


def test_load_options_validate_and_become_headers() -> None:
    opts = LoadOptions(format="json", strip_outer_array=True, jsonpaths='["$.id"]', max_filter_ratio=0.1)
    assert opts.headers() == {
        "format": "json",
        "jsonpaths": '["$.id"]',
        "strip_outer_array": "true",
        "max_filter_ratio": "0.1",
    }
    with pytest.raises(ValueError, match="jsonpaths"):
        LoadOptions(format="json", jsonpaths="$.id")
    with pytest.raises(ValueError, match="JSON loads only"):
        LoadOptions(strip_outer_array=True)
    with pytest.raises(ValueError):
        LoadOptions(max_filter_ratio=1.5)
    assert LoadOptions(row_delimiter="\\x02").row_delimiter_bytes() == b"\x02"


def test_stream_load_sends_the_body_to_the_be_only(sandbox: SandboxProcess) -> None:
    db = table(sandbox)

    async def go() -> None:
        async with client(sandbox) as c:
            lb = label()
            body = gzip.compress(b"1,a\n2,b\n")
            res = await c.stream_load(
                db, "t", body, LoadOptions(column_separator=",", compression="gzip"), label=lb
            )
            assert res.status == "Success" and res.number_loaded_rows == 2
            with pytest.raises(LabelAlreadyExists) as dup:
                await c.stream_load(db, "t", b"3,c\n", LoadOptions(column_separator=","), label=lb)
            assert dup.value.existing_job_status == "FINISHED"
            with pytest.raises(LoadRejected) as bad:
                await c.stream_load(db, "t", b"x\n", LoadOptions(column_separator=","))
            assert "too many filtered rows" in str(bad.value)

            async def gen() -> AsyncIterator[bytes]:
                for i in range(3):
                    yield f"{10 + i},g\n".encode()

            streamed = await c.stream_load(db, "t", gen(), LoadOptions(column_separator=","))
            assert streamed.number_loaded_rows == 3

    run(go())


def test_sql_streams_rows_and_reports_columns(sandbox: SandboxProcess) -> None:
    async def go() -> None:
        async with client(sandbox) as c:
            res = c.sql("select order_id, customer from orders order by order_id limit 3", db="demo")
            rows = [row async for row in res]
            assert len(rows) == 3 and [col["name"] for col in res.columns] == ["order_id", "customer"]
            assert res.connection_id is not None and res.statistics["returnRows"] == 3
            with pytest.raises(errors.ApiError) as refused:
                await c.query("drop table orders", "demo")
            assert refused.value.service == "starrocks"
            assert await c.query("select count(*) from orders", "demo")

    run(go())


def test_health_metrics_and_auth(sandbox: SandboxProcess) -> None:
    async def go() -> None:
        async with client(sandbox) as c:
            assert (await c.health())["status"] == "OK"
            samples = await c.metrics()
            assert any(s.name.startswith("starrocks_fe_") for s in samples)
        async with StarRocksClient(sandbox.url, "root", "wrong-secret") as bad:
            with pytest.raises(errors.AuthError) as denied:
                await bad.begin("demo", "orders", label())
            assert "wrong-secret" not in str(denied.value) and denied.value.status == 401

    run(go())


def test_prometheus_parser_handles_labels_and_comments() -> None:
    text = '# HELP x y\n# TYPE x counter\nx{a="1",b="q\\"z, w"} 3\nplain 4.5\nbad line\n'
    samples = parse_prometheus(text)
    assert [(s.name, s.labels, s.value) for s in samples] == [
        ("x", {"a": "1", "b": 'q"z, w'}, 3.0),
        ("plain", {}, 4.5),
    ]


@pytest.mark.slow
def test_unreachable_be_points_at_the_address_map(sandbox_factory: object) -> None:
    sp: SandboxProcess = sandbox_factory("--be-advertise", "127.0.0.1:9")  # type: ignore[operator]

    async def go() -> None:
        cfg = TransportConfig(connect_timeout=1, retries=0)
        async with StarRocksClient(sp.url, *sp.auth, cfg) as c:
            with pytest.raises(BeUnreachable) as e:
                await c.begin("demo", "orders", label())
            assert "127.0.0.1:9" in str(e.value) and "BE address map" in (e.value.hint or "")
        real = sp.be_url.split("://", 1)[1]
        async with StarRocksClient(sp.url, *sp.auth, cfg, be_map={"127.0.0.1:9": real}) as c:
            h = await c.begin("demo", "orders", label())
            assert h.be == sp.be_url
            await c.rollback("demo", h.label)

    run(go())


def test_no_secret_in_logs(sandbox: SandboxProcess, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="starrocks_console.http")

    async def go() -> None:
        async with client(sandbox) as c:
            await c.load_state("demo", "whatever")

    run(go())
    assert caplog.records and sandbox.auth[1] not in caplog.text
    assert "'authorization': '***'" in caplog.text
