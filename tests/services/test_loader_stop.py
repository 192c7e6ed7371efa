"""Stopping a load (``Loader.stop``): before commit it stops at the next safe point and leaves the
transaction open or rolls it back, as asked; once commit is on its way it says so and the load ends
as the cluster gives it. The journal says the same as the answer, at once.

Against a real sandbox process, through fault proxies that hold a request while the test acts.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SandboxProcess
from faultproxy import FaultProxy, Rule

from gui.api.starrocks import LoadOptions, StarRocksClient
from gui.api.transport import TransportConfig
from gui.services.journal import Journal
from gui.services.loader import Loader, LoadRequest, LoadStopped
from gui.services.transactions import OPEN_STEPS

ROWS = 3000
CHUNK = 16 * 1024  # about 5 chunks for the file below


@pytest.fixture
def proxies(sandbox: SandboxProcess) -> Iterator[tuple[FaultProxy, FaultProxy]]:
    fe, be = FaultProxy(sandbox.url), FaultProxy(sandbox.be_url)
    yield fe, be
    fe.close()
    be.close()


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "rows.csv"
    with path.open("w") as f:
        for i in range(ROWS):
            f.write(f"{i},name-{i:05d}-{'x' * 10}\n")
    return path


def client_for(sp: SandboxProcess, proxies: tuple[FaultProxy, FaultProxy]) -> StarRocksClient:
    fe, be = proxies
    config = TransportConfig(read_timeout=30.0, retries=0)
    return StarRocksClient(fe.url, *sp.auth, config, be_map={sp.be_url.split("://", 1)[1]: be.netloc})


def request(db: str, file: Path, label: str, chunk: int = CHUNK) -> LoadRequest:
    return LoadRequest(
        file=file,
        db=db,
        table="t",
        label=label,
        chunk_size=chunk,
        options=LoadOptions(column_separator=","),
        give_up_after=30,
    )


async def until(predicate: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@pytest.mark.asyncio
async def test_stop_between_chunks_leaves_the_transaction_open(
    sandbox: SandboxProcess, proxies: tuple[FaultProxy, FaultProxy], data_file: Path, tmp_path: Path
) -> None:
    # Qt-free: the plain asyncio loop, not the window tests' qasync one.
    assert type(asyncio.get_running_loop()).__module__.startswith("asyncio")
    db, label = sandbox.new_table("st_"), "stop_" + uuid.uuid4().hex[:8]
    journal = Journal(tmp_path / "journal")
    answers = []

    async with client_for(sandbox, proxies) as client:
        seen = [0]

        def progress(done: int, total: int) -> None:
            # A chunk's last byte is reported alone: the stop comes as chunk 2 is whole.
            whole = done == seen[0] + 1
            seen[0] = done
            if done >= 2 * CHUNK and whole and not answers:
                answers.append(loader.stop(rollback=False))

        loader = Loader(client, journal, progress=progress)
        with pytest.raises(LoadStopped) as stopped:
            await loader.run(request(db, data_file, label))
        state = await client.load_state(db, label)

    e = stopped.value
    assert answers and not answers[0].too_late
    assert not e.rolled_back and e.outcome.state == "PREPARE" == state
    assert e.where.startswith("while sending chunk 3 of 5")
    record = journal.get(proxies[0].url, db, label)
    assert record is not None and record.step in OPEN_STEPS and record.state == "PREPARE"
    assert "stopped by the user while sending chunk 3 of 5" in record.message
    assert record.message in str(e)
    assert proxies[0].count("POST", "/api/transaction/commit") == 0
    assert sandbox.count_rows(db) == 0


@pytest.mark.asyncio
async def test_stop_inside_a_chunk_with_rollback_leaves_nothing(
    sandbox: SandboxProcess, proxies: tuple[FaultProxy, FaultProxy], tmp_path: Path
) -> None:
    """One big chunk, stopped between two of its blocks: the request is cut and rolled back."""
    db, label = sandbox.new_table("st_"), "stop_" + uuid.uuid4().hex[:8]
    big = tmp_path / "big.csv"
    line = b"1,a\n"
    big.write_bytes(line * ((20 << 20) // len(line)))
    journal = Journal(tmp_path / "journal")
    seen: list[int] = []

    async with client_for(sandbox, proxies) as client:

        def progress(done: int, total: int) -> None:
            seen.append(done)
            if len(seen) == 1:
                assert done < total  # a block of the chunk, not its end
                loader.stop(rollback=True)

        loader = Loader(client, journal, progress=progress)
        with pytest.raises(LoadStopped) as stopped:
            await loader.run(request(db, big, label, chunk=64 << 20))
        state = await client.load_state(db, label)

    e = stopped.value
    assert e.rolled_back and e.outcome.state == "ABORTED" == state
    assert e.where.startswith("while sending chunk 1 of 1 (")
    record = journal.get(proxies[0].url, db, label)
    assert record is not None and record.step == "failed" and record.state == "ABORTED"
    assert "rolled back" in record.message
    assert len(seen) == 1  # no block was sent after the stop
    assert sandbox.count_rows(db) == 0


@pytest.mark.asyncio
async def test_stop_after_prepare_leaves_it_prepared_and_commit_unsent(
    sandbox: SandboxProcess, proxies: tuple[FaultProxy, FaultProxy], data_file: Path, tmp_path: Path
) -> None:
    db, label = sandbox.new_table("st_"), "stop_" + uuid.uuid4().hex[:8]
    fe, be = proxies
    journal = Journal(tmp_path / "journal")
    pause = be.add(Rule("POST", r"/api/transaction/prepare", "pause"))

    async with client_for(sandbox, proxies) as client:
        loader = Loader(client, journal)
        task = asyncio.ensure_future(loader.run(request(db, data_file, label)))
        await until(pause.reached.is_set)
        answer = loader.stop()  # prepare is on its way, commit is not
        pause.released.set()
        with pytest.raises(LoadStopped) as stopped:
            await task
        state = await client.load_state(db, label)
        assert sandbox.count_rows(db) == 0
        # What was left is a whole prepared transaction: committing it later loads every row.
        await client.commit(db, label)

    e = stopped.value
    assert not answer.too_late
    assert e.outcome.state == "PREPARED" == state and not e.rolled_back
    assert e.where == f"after prepare: {ROWS:,} rows prepared, not visible"
    assert e.outcome.rows_loaded == ROWS
    record = journal.get(fe.url, db, label)
    assert record is not None and record.step == "prepared" and not record.commit_sent
    assert record.message.startswith("stopped by the user after prepare")
    assert fe.count("POST", "/api/transaction/commit") == 1  # only the test's own
    assert sandbox.count_rows(db) == ROWS


@pytest.mark.asyncio
async def test_stop_once_commit_is_on_its_way_reports_the_clusters_end(
    sandbox: SandboxProcess, proxies: tuple[FaultProxy, FaultProxy], data_file: Path, tmp_path: Path
) -> None:
    db, label = sandbox.new_table("st_"), "stop_" + uuid.uuid4().hex[:8]
    fe, _ = proxies
    journal = Journal(tmp_path / "journal")
    pause = fe.add(Rule("POST", r"/api/transaction/commit", "pause"))

    async with client_for(sandbox, proxies) as client:
        loader = Loader(client, journal)
        task = asyncio.ensure_future(loader.run(request(db, data_file, label)))
        await until(pause.reached.is_set)
        answer = loader.stop(rollback=True)
        pause.released.set()
        outcome = await task

    assert answer.too_late and "already sent" in answer.text
    assert outcome.ok and outcome.state == "VISIBLE" and outcome.rows_loaded == ROWS
    assert sandbox.count_rows(db) == ROWS
    record = journal.get(fe.url, db, label)
    assert record is not None and record.step == "done" and record.state == "VISIBLE"


@pytest.mark.asyncio
async def test_stop_before_begin(
    sandbox: SandboxProcess, proxies: tuple[FaultProxy, FaultProxy], data_file: Path, tmp_path: Path
) -> None:
    db, label = sandbox.new_table("st_"), "stop_" + uuid.uuid4().hex[:8]
    fe, _ = proxies
    pause = fe.add(Rule("GET", r"/api/[^/]+/get_load_state", "pause"))
    journal = Journal(tmp_path / "journal")
    async with client_for(sandbox, proxies) as client:
        loader = Loader(client, journal)
        assert loader.stop().text == "No load is running."
        task = asyncio.ensure_future(loader.run(request(db, data_file, label)))
        await until(pause.reached.is_set)
        loader.stop()
        pause.released.set()
        with pytest.raises(LoadStopped) as stopped:
            await task
    e = stopped.value
    assert e.outcome.state == "UNKNOWN" and e.where == "before the transaction began"
    assert fe.count("POST", "/api/transaction/begin") == 0
