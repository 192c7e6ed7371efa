"""AI Lake operations and lists in private sandboxes: waiting (timeout, cancellation), lazy paging
over many tables, and database instances from provisioning to a cascading deprovision."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from conftest import SandboxProcess
from sandboxclock import advancing

from gui.api import errors
from gui.api.ailake import AILakeClient, PendingOperation, SucceededOperation
from gui.api.transport import TransportConfig

STORAGE = "sandbox-lake"
FAST = TransportConfig(retries=1, backoff_base=0.01, backoff_max=0.05)


def lake(sp: SandboxProcess, **kwargs: Any) -> AILakeClient:
    return AILakeClient(sp.url, sp.info["ailake"]["token"], FAST, poll_interval=0.05, **kwargs)


async def finish(
    c: AILakeClient, sp: SandboxProcess, op_id: str, note: Callable[[Any], object] | None = None
) -> SucceededOperation:
    """The client's own wait, the sandbox's clock moved on at each look while the operation is pending."""
    return await c.wait(op_id, progress=advancing(sp, 1.0, note), timeout=60)


def sales_request(name: str, **extra: Any) -> dict[str, Any]:
    return {"pathPrefix": "sales/", "sourceStorageName": STORAGE, "tableName": name, **extra}


@pytest.mark.slow
@pytest.mark.asyncio
async def test_wait_times_out_and_can_be_cancelled(sandbox_factory: Any) -> None:
    slow = sandbox_factory("--operation-seconds", "30")
    async with lake(slow) as c:
        op_id = await c.analyze_statistics("demo", ["sales"])

        started = time.monotonic()
        with pytest.raises(errors.OperationTimeout) as timed_out:
            await c.wait(op_id, timeout=0.4)
        assert time.monotonic() - started < 3
        assert op_id in timed_out.value.message and timed_out.value.raw["status"] == "pending"

        polls: list[str] = []
        waiting = asyncio.create_task(c.wait(op_id, progress=lambda op: polls.append(op.status)))
        deadline = time.monotonic() + 30
        while not polls:
            assert time.monotonic() < deadline, "the wait never looked at the operation"
            await asyncio.sleep(0.01)
        assert not waiting.done()
        started = time.monotonic()
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert time.monotonic() - started < 1
        # Cancelling the wait leaves the operation running in the service.
        assert isinstance(await c.get_operation(op_id), PendingOperation)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_lists_page_lazily_and_stop_at_the_end(sandbox_factory: Any) -> None:
    sp = sandbox_factory()
    names = [f"page_{i}" for i in range(6)]
    async with lake(sp) as c:
        ops = [
            await c.create_pipe_table("demo", sales_request(n, pollingIntervalSeconds=3600)) for n in names
        ]
        for op in ops:
            await finish(c, sp, op)
        expected = sorted([*names, "sales"])

        pager = c.list_pipe_tables("demo", page_size=3)
        assert pager.pages_read == 0 and pager.total_elements is None
        items = aiter(pager)
        first = await anext(items)
        assert pager.pages_read == 1 and pager.total_elements == 7 and pager.total_pages == 3
        rest = [t async for t in items]
        assert pager.pages_read == 3
        got = [first.table_name, *(t.table_name for t in rest)]
        assert sorted(got) == expected and len(set(got)) == len(got)

        # A last page that is full: the totals say it is the last, so no empty page is asked for.
        whole = c.list_pipe_tables("demo", page_size=7)
        assert len([t async for t in whole]) == 7 and whole.pages_read == 1
        numbers = [p.number async for p in c.list_pipe_tables("demo", page_size=2).pages()]
        assert numbers == [0, 1, 2, 3]
        one = await c.list_pipe_tables("demo", page_size=2).page(3)
        assert len(one.items) == 1 and one.is_last and one.total_pages == 4
        assert len(await c.list_pipe_tables("demo", page_size=500).collect()) == 7


@pytest.mark.slow
@pytest.mark.asyncio
async def test_database_instance_from_provisioning_to_cascading_deprovision(sandbox_factory: Any) -> None:
    sp = sandbox_factory()
    name = f"lake_{uuid.uuid4().hex[:6]}"
    async with lake(sp) as c:
        storage = next(s for s in await c.list_object_storages().collect() if s.name == STORAGE)
        op_id = await c.provision_database_instance(
            name, [storage.storage_id], data_source_id=f"{name}_ds", data_source_name="Lake"
        )
        done = await finish(c, sp, op_id)
        assert done.kind == "provision-database"
        instance = await c.get_database_instance(name)
        assert instance.storage_ids == [storage.storage_id]
        assert [(d.data_source_id, d.data_source_name) for d in instance.data_sources] == [
            (f"{name}_ds", "Lake")
        ]
        assert name in [i.name async for i in c.list_database_instances(page_size=1)]

        added = await c.add_data_source(name, f"{name}_two", "Second")
        assert added.data_source_id == f"{name}_two"
        updated = await c.update_data_source(name, f"{name}_two", f"{name}_three", "Third")
        assert (updated.data_source_id, updated.data_source_name) == (f"{name}_three", "Third")
        assert sorted(d.data_source_id for d in await c.list_data_sources(name).collect()) == sorted(
            [f"{name}_ds", f"{name}_three"]
        )
        assert await c.remove_data_source(name, f"{name}_three") == f"{name}_three"
        with pytest.raises(errors.Conflict):
            await c.remove_data_source(name, f"{name}_ds")

        await finish(c, sp, await c.create_pipe_table(instance.id, sales_request("kept")))
        with pytest.raises(errors.OperationFailed) as refused:
            await finish(c, sp, await c.deprovision_database_instance(name))
        assert refused.value.status == 409
        assert (await c.get_pipe_table(name, "kept")).database_name == name

        gone = await finish(c, sp, await c.deprovision_database_instance(name, cascade=True))
        assert gone.kind == "deprovision-database"
        with pytest.raises(errors.NotFound):
            await c.get_database_instance(name)
        with pytest.raises(errors.NotFound):
            await c.get_database_instance(instance.id)
