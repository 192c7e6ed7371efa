"""A piece of a hand-driven transaction (``TxnStepper``) stopped at its edges: the last byte of a
request is its point of no return. A stop up to it leaves the BE a body it can never take; a stop
after it is too late, and the BE's answer is waited for and told; a piece whose last byte had gone
when its sending was cut off is never sent again, however long the BE takes to count it.

Against a real sandbox process, through a fault proxy that holds the load on its way to the BE (as
a slow network or a busy BE would) while the test acts.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from conftest import SandboxProcess
from faultproxy import FaultProxy, Rule

from gui.api.starrocks import LoadOptions, StarRocksClient
from gui.api.transport import TransportConfig
from gui.services.journal import Journal
from gui.services.transactions.answers import Answer
from gui.services.transactions.stepper import TxnStepper

ROWS = 3000
LOAD = r"/api/transaction/load"


@pytest.fixture
def be_proxy(sandbox: SandboxProcess) -> Iterator[FaultProxy]:
    proxy = FaultProxy(sandbox.be_url)
    yield proxy
    proxy.close()


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "rows.csv"
    path.write_text("".join(f"{i},name-{i:05d}\n" for i in range(ROWS)))
    return path


def client_for(sp: SandboxProcess, proxy: FaultProxy) -> StarRocksClient:
    config = TransportConfig(read_timeout=30.0, retries=0)
    return StarRocksClient(sp.url, *sp.auth, config, be_map={sp.be_url.split("://", 1)[1]: proxy.netloc})


@asynccontextmanager
async def begun(sp: SandboxProcess, proxy: FaultProxy, file: Path, tmp: Path) -> AsyncIterator[TxnStepper]:
    """A transaction begun on a fresh table, its loads going to the BE through ``proxy``; the
    table's database is ``stepper.db``."""
    async with client_for(sp, proxy) as client:
        stepper = TxnStepper(
            client,
            Journal(tmp / "journal"),
            db=sp.new_table("stp_"),
            table="t",
            label="stp_" + uuid.uuid4().hex[:8],
            options=LoadOptions(column_separator=","),
            files=[file],
        )
        assert (await stepper.begin()).ok
        yield stepper


async def go_on(
    stepper: TxnStepper, waiting: Callable[[Answer], bool] = lambda _a: True, tries: int = 200
) -> Answer:
    """Load until the stopped piece counts as sent, at most ``tries`` times 50 ms apart; each
    answer before then must be ``waiting``."""
    for _ in range(tries):
        answer = await stepper.load_next()
        if stepper.next == 1:
            return answer
        assert waiting(answer), answer.headline
        await asyncio.sleep(0.05)
    raise AssertionError(f"the stopped piece never counted: {answer.headline}")


@pytest.mark.asyncio
async def test_a_stop_at_the_last_byte_is_too_late_and_the_answer_is_told(
    sandbox: SandboxProcess, be_proxy: FaultProxy, data_file: Path, tmp_path: Path
) -> None:
    size = data_file.stat().st_size
    async with begun(sandbox, be_proxy, data_file, tmp_path) as stepper:
        reports: list[int] = []

        def progress(sent: int, _size: int | None) -> None:
            reports.append(sent)
            if sent == size:
                assert stepper.stop_sending()

        answer = await stepper.load_next(progress)
        # The piece's last byte is reported alone, after all the others.
        assert reports[-2:] == [size - 1, size]
        assert answer.ok and stepper.next == 1 and stepper.uncertain is None
        assert answer.headline.startswith(
            f"The stop came too late for {data_file.name}: it had been sent whole, and the BE took it."
        )
        assert (await stepper.commit()).ok
    assert sandbox.count_rows(stepper.db) == ROWS


@pytest.mark.asyncio
async def test_a_stop_before_the_last_byte_leaves_the_be_nothing_and_going_on_loads_once(
    sandbox: SandboxProcess, be_proxy: FaultProxy, data_file: Path, tmp_path: Path
) -> None:
    size = data_file.stat().st_size
    async with begun(sandbox, be_proxy, data_file, tmp_path) as stepper:

        def progress(sent: int, _size: int | None) -> None:
            if sent == size - 1:
                assert stepper.stop_sending()

        with pytest.raises(asyncio.CancelledError):
            await stepper.load_next(progress)
        assert stepper.uncertain is not None and not stepper.uncertain_whole
        await go_on(
            stepper,
            lambda a: "still processing" in a.headline or "in processing" in a.headline.lower(),
            tries=100,
        )
        assert (await stepper.commit()).ok
    assert sandbox.count_rows(stepper.db) == ROWS


@pytest.mark.asyncio
async def test_a_piece_cut_off_after_its_last_byte_is_waited_for_never_sent_again(
    sandbox: SandboxProcess, be_proxy: FaultProxy, data_file: Path, tmp_path: Path
) -> None:
    size = data_file.stat().st_size
    async with begun(sandbox, be_proxy, data_file, tmp_path) as stepper:
        # The load reaches the proxy whole and waits there (a slow network, a busy BE).
        held = be_proxy.add(Rule("PUT", LOAD, "pause"))
        whole = asyncio.Event()
        sending = asyncio.ensure_future(
            stepper.load_next(lambda sent, _size: whole.set() if sent == size else None)
        )
        await asyncio.wait_for(whole.wait(), 10)
        # Cut off from outside (the window closes, the connection drops): not the stepper's stop.
        sending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sending
        assert stepper.uncertain is not None and stepper.uncertain_whole
        # The BE has not seen it yet: going on waits, and sends nothing.
        answer = await stepper.load_next()
        assert answer.severity == "warning"
        assert "was sent whole; the BE has not counted it yet" in answer.headline
        assert stepper.next == 0 and be_proxy.count("PUT", LOAD) == 1
        held.released.set()  # the request goes on to the BE, which loads it
        answer = await go_on(stepper)
        assert "had arrived in full" in answer.headline
        assert be_proxy.count("PUT", LOAD) == 1  # sent once, ever
        assert (await stepper.commit()).ok
    assert sandbox.count_rows(stepper.db) == ROWS
