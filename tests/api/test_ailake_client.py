"""The AI Lake client over real HTTP against the shared sandbox: every call, the documented
refusals, failed operations, the token's safety and the headers on the wire. While an operation is
pending, each look of the client's wait moves the sandbox's clock on instead of waiting."""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import SandboxProcess
from sandboxclock import advancing

from gui.api import errors
from gui.api.ailake import (
    AILakeClient,
    ColumnPartitionConfig,
    CreatePipeTableRequest,
    DuplicateKeyConfig,
    FailedOperation,
    HashDistributionConfig,
    Operation,
    PendingOperation,
    PipeTable,
    SucceededOperation,
)
from gui.api.transport import TransportConfig

STORAGE = "sandbox-lake"
FAST = TransportConfig(retries=1, backoff_base=0.01, backoff_max=0.05)


def lake(sp: SandboxProcess, token: str | None = None, **kwargs: Any) -> AILakeClient:
    return AILakeClient(sp.url, token or sp.info["ailake"]["token"], FAST, poll_interval=0.05, **kwargs)


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def write_parquet(path: Path, select_sql: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    con = duckdb.connect()
    try:
        con.execute(f"COPY ({select_sql}) TO '{tmp}' (FORMAT parquet)")
    finally:
        con.close()
    tmp.replace(path)


async def finish(
    c: AILakeClient, sp: SandboxProcess, op_id: str, note: Callable[[Any], object] | None = None
) -> SucceededOperation:
    """The client's own wait, the sandbox's clock moved on at each look while the operation is pending."""
    return await c.wait(op_id, progress=advancing(sp, 1.0, note), timeout=60)


def sales_request(name: str, **extra: Any) -> dict[str, Any]:
    return {"pathPrefix": "sales/", "sourceStorageName": STORAGE, "tableName": name, **extra}


def count(sp: SandboxProcess, table: str, db: str = "demo") -> int:
    return int(sp.query(f"SELECT count(*) FROM {table}", db=db)[0][0])


# -- reads ---------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_database_instances_by_name_and_id(sandbox: SandboxProcess) -> None:
    async with lake(sandbox) as c:
        instances = await c.list_database_instances().collect()
        demo = next(i for i in instances if i.name == "demo")
        assert demo.storage_ids and demo.data_sources
        assert await c.get_database_instance("demo") == demo
        assert await c.get_database_instance(demo.id) == demo
        sources = await c.list_data_sources("demo").collect()
        assert [s.data_source_id for s in sources] == [s.data_source_id for s in demo.data_sources]


@pytest.mark.asyncio
async def test_object_storages_are_listed_without_credentials(sandbox: SandboxProcess) -> None:
    async with lake(sandbox) as c:
        storages = await c.list_object_storages().collect()
        lake_storage = next(s for s in storages if s.name == STORAGE)
        assert lake_storage.storage_type == "s3"
        assert not [k for k in lake_storage.storage_config if k.endswith("_env")]
        demo = await c.get_database_instance("demo")
        assert lake_storage.storage_id in demo.storage_ids


@pytest.mark.asyncio
async def test_services_status_and_commands(sandbox: SandboxProcess) -> None:
    async with lake(sandbox) as c:
        services = await c.list_services().collect()
        pipes = next(s for s in services if s.name == "pipes")
        status = await c.service_status(pipes.service_id)
        assert isinstance(status, dict) and status
        op = await c.run_service_command(pipes.service_id, "poll", context={"reason": "test"})
        done = await finish(c, sandbox, op)
        assert done.kind == "run-service-command"
        with pytest.raises(errors.NotFound):
            await c.run_service_command(pipes.service_id, "no-such-command")
        with pytest.raises(errors.NotFound):
            await c.service_status(str(uuid.uuid4()))


# -- pipe tables ---------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.asyncio
async def test_pipe_table_lifecycle_with_every_field(sandbox: SandboxProcess) -> None:
    name = unique("life")
    request = CreatePipeTableRequest(
        path_prefix="sales/",
        source_storage_name=STORAGE,
        table_name=name,
        key_config=DuplicateKeyConfig(columns=["order_id", "order_date"]),
        distribution_config=HashDistributionConfig(buckets=2, columns=["order_id"]),
        partition_config=ColumnPartitionConfig(columns=["region"]),
        column_overrides={"quantity": "BIGINT"},
        max_varchar_length=100,
        polling_interval_seconds=3600,
    )
    seen: list[Operation] = []
    async with lake(sandbox) as c:
        op_id = await c.create_pipe_table("demo", request)
        uuid.UUID(op_id)
        done = await finish(c, sandbox, op_id, seen.append)
        assert done.id == op_id and done.kind == "create-pipe-table"
        assert isinstance(seen[0], PendingOperation) and seen[-1] == done

        table = await c.get_pipe_table("demo", name)
        assert isinstance(table, PipeTable)
        assert table.table_name == name and table.database_name == "demo"
        assert table.source_storage_name == STORAGE and table.path_prefix == "sales/"
        assert table.partition_columns == ["year", "month"]
        assert isinstance(table.key_config, DuplicateKeyConfig)
        assert table.key_config.columns == ["order_id", "order_date"]
        assert isinstance(table.distribution_config, HashDistributionConfig)
        assert table.distribution_config.buckets == 2
        assert table.polling_interval_seconds == 3600
        assert table.table_properties == {"replication_num": "1"}
        types = {col.name: col.type for col in table.columns}
        assert types["quantity"] == "BIGINT"
        assert types["customer"] == "VARCHAR(100)"
        assert count(sandbox, name) == 890

        summaries = [t async for t in c.list_pipe_tables("demo")]
        assert name in [t.table_name for t in summaries]

        op_id = await c.refresh_partition(
            "demo", name, {"year": "2024", "month": "02"}, partition_columns=table.partition_columns
        )
        refreshed = await finish(c, sandbox, op_id)
        assert refreshed.kind == "refresh-partition"
        assert count(sandbox, name) == 890

        analyzed = await finish(c, sandbox, await c.analyze_statistics("demo", [name]))
        assert analyzed.kind == "analyze-statistics"
        assert analyzed.result == {"tablesAnalyzed": 1}
        everything = await finish(c, sandbox, await c.analyze_statistics("demo"))
        assert everything.result is not None and everything.result["tablesAnalyzed"] >= 2

        deleted = await finish(c, sandbox, await c.delete_pipe_table("demo", name))
        assert deleted.kind == "delete-pipe-table"
        with pytest.raises(errors.NotFound):
            await c.get_pipe_table("demo", name)
        assert name not in [t.table_name async for t in c.list_pipe_tables("demo")]


@pytest.mark.asyncio
async def test_refresh_reloads_a_corrected_partition(sandbox: SandboxProcess) -> None:
    folder = unique("fix")
    root = sandbox.data_dir / "object-storage" / STORAGE / folder
    rows = "SELECT CAST(i AS BIGINT) AS id, 'v' || i AS label FROM range({}) t(i)"
    write_parquet(root / "day=1" / "part-0.parquet", rows.format(10))
    write_parquet(root / "day=2" / "part-0.parquet", rows.format(4))
    name = unique("fix")
    try:
        async with lake(sandbox) as c:
            request = sales_request(name, pathPrefix=f"{folder}/", pollingIntervalSeconds=3600)
            await finish(c, sandbox, await c.create_pipe_table("demo", request))
            assert count(sandbox, name) == 14
            write_parquet(root / "day=1" / "part-0.parquet", rows.format(3))
            await finish(c, sandbox, await c.refresh_partition("demo", name, {"day": "1"}))
            assert count(sandbox, name) == 7
            await finish(c, sandbox, await c.delete_pipe_table("demo", name))
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.asyncio
async def test_aggregate_table_with_checked_overrides(sandbox: SandboxProcess) -> None:
    name = unique("agg")
    columns = ["region", "order_id", "order_date", "customer", "product", "channel", "quantity"]
    columns += ["unit_price", "amount", "year", "month"]
    overrides = {col: "MAX" for col in columns if col != "region"}
    overrides.update(quantity="SUM", amount="SUM")
    request = sales_request(
        name,
        keyConfig={"type": "aggregate", "columns": ["region"]},
        aggregationOverrides=overrides,
        distributionConfig={"type": "hash", "columns": ["region"]},
    )
    async with lake(sandbox) as c:
        await finish(c, sandbox, await c.create_pipe_table("demo", request, columns=columns))
        assert count(sandbox, name) == len(sandbox.query("SELECT DISTINCT region FROM sales", db="demo"))
        await finish(c, sandbox, await c.delete_pipe_table("demo", name))


# -- refusals ------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_server_refusals_become_errors_with_the_service_detail(sandbox: SandboxProcess) -> None:
    async with lake(sandbox) as c:
        with pytest.raises(errors.InvalidRequest) as bad:
            await c.create_pipe_table("demo", sales_request(unique("s"), sourceStorageName="no-such-storage"))
        assert bad.value.status == 400 and "no-such-storage" in bad.value.message
        assert bad.value.request_id and bad.value.code == "Bad Request"

        with pytest.raises(errors.Conflict) as dup:
            await c.create_pipe_table("demo", sales_request("sales"))
        assert dup.value.status == 409 and "sales" in dup.value.message

        with pytest.raises(errors.NotFound):
            await c.get_database_instance("no_such_db")
        with pytest.raises(errors.NotFound):
            await c.list_pipe_tables("no_such_db").collect()
        with pytest.raises(errors.NotFound) as missing:
            await c.get_pipe_table("demo", "no_such_table")
        assert "no_such_table" in str(missing.value) and missing.value.hint
        with pytest.raises(errors.NotFound):
            await c.delete_pipe_table("demo", "no_such_table")
        with pytest.raises(errors.NotFound):
            await c.refresh_partition("demo", "no_such_table", {"year": "2024", "month": "01"})
        # Without the partition columns the client cannot tell; the service refuses.
        with pytest.raises(errors.InvalidRequest) as keys:
            await c.refresh_partition("demo", "sales", {"year": "2024"})
        assert keys.value.status == 400

        demo = await c.get_database_instance("demo")
        with pytest.raises(errors.Conflict):
            await c.provision_database_instance("demo", demo.storage_ids)
        with pytest.raises(errors.InvalidRequest):
            await c.provision_database_instance(unique("db"), [str(uuid.uuid4())])
        with pytest.raises(errors.Conflict):
            await c.remove_data_source("demo", demo.data_sources[0].data_source_id)


@pytest.mark.asyncio
async def test_failed_operations_carry_the_operation_error(sandbox: SandboxProcess) -> None:
    async with lake(sandbox) as c:
        op_id = await c.create_pipe_table("demo", sales_request(unique("none"), pathPrefix="no/such/folder/"))
        with pytest.raises(errors.OperationFailed) as failed:
            await finish(c, sandbox, op_id)
        e = failed.value
        assert e.status == 400 and e.code
        assert "no/such/folder/" in e.message and op_id in e.message
        assert e.raw["status"] == "failed" and e.raw["error"]["status"] == 400
        record = await c.get_operation(op_id)
        assert isinstance(record, FailedOperation) and record.error is not None
        assert record.error.detail.rstrip(".") in e.message

        # An aggregate key without an aggregation for every other column fails in the service
        # when the client was not given the columns to check it first.
        agg = sales_request(unique("agg"), keyConfig={"type": "aggregate", "columns": ["order_id"]})
        with pytest.raises(errors.OperationFailed) as no_overrides:
            await finish(c, sandbox, await c.create_pipe_table("demo", agg))
        assert no_overrides.value.status == 400

        with pytest.raises(errors.OperationFailed) as unknown_table:
            await finish(c, sandbox, await c.analyze_statistics("demo", ["no_such_table"]))
        assert unknown_table.value.status == 404


@pytest.mark.asyncio
async def test_unknown_operation_id(sandbox: SandboxProcess) -> None:
    async with lake(sandbox) as c:
        missing = str(uuid.uuid4())
        with pytest.raises(errors.NotFound) as e:
            await c.get_operation(missing)
        assert missing in e.value.message and "operation id" in (e.value.hint or "")
        with pytest.raises(errors.NotFound):
            await c.wait(missing, timeout=5)


@pytest.mark.asyncio
async def test_wrong_token_is_an_auth_error_without_the_token(
    sandbox: SandboxProcess, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-token-" + uuid.uuid4().hex
    async with lake(sandbox, token=wrong) as c:
        with pytest.raises(errors.AuthError) as e:
            await c.get_database_instance("demo")
        assert e.value.status == 401 and "token" in (e.value.hint or "")
        with pytest.raises(errors.AuthError):
            await c.list_pipe_tables("demo").collect()
        with pytest.raises(errors.AuthError):
            await c.create_pipe_table("demo", sales_request(unique("t")))
    text = " ".join([str(e.value), repr(e.value.raw), caplog.text, repr(c), repr(c.http.auth)])
    assert wrong not in text
    with pytest.raises(errors.AuthError):
        AILakeClient(sandbox.url, "  ")


@pytest.mark.asyncio
async def test_page_size_and_names_are_checked_before_sending() -> None:
    # Nothing listens there: a request that got sent would fail with ConnectionFailed instead.
    async with AILakeClient("http://127.0.0.1:9", "t", FAST) as c:
        with pytest.raises(errors.InvalidRequest):
            c.list_pipe_tables("demo", page_size=0)
        with pytest.raises(errors.InvalidRequest):
            c.list_object_storages(page_size=501)
        with pytest.raises(errors.InvalidRequest):
            await c.get_pipe_table("demo", "")
        with pytest.raises(errors.InvalidRequest):
            await c.get_database_instance(" ")
        with pytest.raises(errors.InvalidRequest) as e:
            await c.create_pipe_table("demo", sales_request("Bad Name"))
        assert e.value.status is None and e.value.raw[0]["field"] == "tableName"
        with pytest.raises(errors.InvalidRequest) as e:
            await c.create_pipe_table(
                "demo",
                sales_request(
                    "ok",
                    keyConfig={"type": "aggregate", "columns": ["order_id"]},
                    aggregationOverrides={"amount": "SUM"},
                ),
                columns=["order_id", "amount", "quantity"],
            )
        assert "quantity" in e.value.message
        with pytest.raises(errors.InvalidRequest) as e:
            await c.create_pipe_table(
                "demo",
                sales_request("ok", keyConfig={"type": "unique"}, distributionConfig={"type": "random"}),
            )
        assert e.value.raw[0]["field"] == "distributionConfig.type"
        with pytest.raises(errors.InvalidRequest) as e:
            await c.refresh_partition("demo", "sales", {"year": "2024"}, partition_columns=["year", "month"])
        assert "month" in e.value.message
        with pytest.raises(errors.InvalidRequest):
            await c.refresh_partition("demo", "sales", {})
        with pytest.raises(errors.InvalidRequest):
            await c.provision_database_instance("db", ["a", "a"])
        with pytest.raises(errors.ConnectionFailed):
            await c.get_pipe_table("demo", "sales")


# -- the wire ------------------------------------------------------------------------------------------


class Proxy:
    """A loopback TCP proxy in front of the sandbox that records what the client sends and can
    swallow the next answer (the connection drops after the service has acted)."""

    def __init__(self, upstream: str) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.sent = bytearray()
        self.drop_answers = 0
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> Proxy:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)

        async def forward() -> None:
            while data := await reader.read(65536):
                self.sent += data
                up_writer.write(data)
                await up_writer.drain()
            up_writer.close()

        async def back() -> None:
            while data := await up_reader.read(65536):
                if self.drop_answers:
                    self.drop_answers -= 1
                    writer.transport.abort()
                    up_writer.close()
                    return
                writer.write(data)
                await writer.drain()
            writer.close()

        await asyncio.gather(forward(), back(), return_exceptions=True)


@pytest.mark.asyncio
async def test_headers_on_the_wire_and_no_token_in_logs(
    sandbox: SandboxProcess, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = sandbox.info["ailake"]["token"]
    async with Proxy(sandbox.url) as proxy, AILakeClient(proxy.url, token, FAST, poll_interval=0.05) as c:
        await c.get_database_instance("demo")
        my_id = str(uuid.uuid4())
        assert await c.analyze_statistics("demo", ["sales"], operation_id=my_id) == my_id
        await finish(c, sandbox, my_id)
        with pytest.raises(errors.Conflict):
            await c.analyze_statistics("demo", ["sales"], operation_id=my_id)
        with pytest.raises(errors.NotFound) as missing:
            await c.get_pipe_table("demo", "no_such_table")
    wire = bytes(proxy.sent).lower()
    assert token not in f"{missing.value} {missing.value.raw!r}"
    assert f"authorization: bearer {token}".encode() in wire
    assert b"x-requested-with: xmlhttprequest" in wire
    assert b"x-gdc-validate-relations: true" in wire
    assert f"operation-id: {my_id}".encode() in wire
    assert token not in caplog.text
    assert "authorization" in caplog.text.lower()


@pytest.mark.asyncio
async def test_a_lost_answer_is_followed_by_its_operation_id(sandbox: SandboxProcess) -> None:
    token = sandbox.info["ailake"]["token"]
    async with Proxy(sandbox.url) as proxy, AILakeClient(proxy.url, token, FAST, poll_interval=0.05) as c:
        proxy.drop_answers = 1
        op_id = await c.analyze_statistics("demo", ["sales"])
        done = await finish(c, sandbox, op_id)
        assert isinstance(done, SucceededOperation) and done.kind == "analyze-statistics"
