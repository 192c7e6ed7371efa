"""The Load transactions service on its own (no Qt), against a real sandbox process: where to load,
a label's state, a transaction begun and stepped (and a load stopped mid-piece that goes on without a
row counted twice), files loaded all at once under ``label``, ``label-2``… with progress, a stop
that leaves the transaction offered as unfinished, a refused file that stops the rest, running
transactions rolled back in bulk; and the cluster's answers in plain words."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from conftest import SandboxProcess
from faultproxy import FaultProxy, Rule

from gui.api import errors
from gui.api.starrocks import LoadOptions, StarRocksClient
from gui.services.credentials import Credentials
from gui.services.journal import Journal, JournalEntry
from gui.services.profiles import Profile, ProfileStore
from gui.services.session import ConsoleSession, sandbox_profiles
from gui.services.transactions import (
    OPEN_STEPS,
    SYSTEM_DATABASES,
    AllAtOnceRequest,
    Answer,
    RollbackResult,
    RunningSnapshot,
    Thresholds,
    TransactionsService,
    Transfer,
    TxnSettings,
    TxnStepper,
    classify,
    explain_error,
    label_note,
    lost_note,
    still_listed_but_lost,
)

# The BE is still on the stopped piece: asked about (its row says InProcessing) or sent again too
# soon (TXN_IN_PROCESSING); either way the operator presses Load again.
BUSY = re.compile(r"still processing|still being processed")

TABLE = (
    "CREATE TABLE people (id BIGINT NOT NULL, name VARCHAR(100)) DUPLICATE KEY(id) "
    "DISTRIBUTED BY HASH(id) BUCKETS 1"
)
CSV = LoadOptions(column_separator=",")


def fresh_db(sb: SandboxProcess) -> str:
    db = "svc_" + uuid.uuid4().hex[:10]
    sb.admin_sql(f"CREATE DATABASE {db}")
    sb.admin_sql(TABLE, db=db)
    return db


def count(sb: SandboxProcess, db: str) -> int:
    return int(sb.query("select count(*) from people", db=db)[0][0])


def csv(path: Path, rows: int, start: int = 1) -> Path:
    path.write_text("".join(f"{i},name{i}\n" for i in range(start, start + rows)))
    return path


def big_csv(path: Path, mib: int) -> int:
    """Writes a CSV of about ``mib`` MiB; returns its row count."""
    line = b"%d,someone with a rather long name to make the rows bigger %d\n"
    i = 0
    with path.open("wb") as f:
        while f.tell() < mib << 20:
            f.write(b"".join(line % (n, n) for n in range(i, i + 5000)))
            i += 5000
    return i


def label() -> str:
    return "svc-" + uuid.uuid4().hex[:10]


async def until(predicate: Callable[[], Any], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@pytest_asyncio.fixture
async def session(tmp_path: Path) -> AsyncIterator[ConsoleSession]:
    s = ConsoleSession(ProfileStore(tmp_path / "profiles.json"), Credentials(), Journal(tmp_path / "journal"))
    yield s
    await s.aclose()


def service_for(session: ConsoleSession, info: dict[str, Any]) -> TransactionsService:
    for profile, secrets in sandbox_profiles(info):
        session.add_ephemeral(profile, secrets)
    profile = session.profile("Sandbox StarRocks")
    assert profile is not None
    return TransactionsService(session, profile)


@pytest.mark.asyncio
async def test_where_to_load_labels_and_the_journal_of_this_cluster(
    sandbox: SandboxProcess, session: ConsoleSession
) -> None:
    # Qt-free: the plain asyncio loop.
    assert type(asyncio.get_running_loop()).__module__.startswith("asyncio")
    db = fresh_db(sandbox)
    service = service_for(session, sandbox.info)
    databases = await service.databases()
    assert db in databases and databases == sorted(databases)
    assert not SYSTEM_DATABASES & set(databases)
    assert await service.tables(db) == ["people"]
    used = label()
    async with StarRocksClient(sandbox.url, *sandbox.auth) as client:
        txn = await client.begin(db, "people", used)
        await client.load(txn, b"1,ann\n", CSV)
        await client.commit(db, used)
    assert await service.label_state(db, used) == "VISIBLE"
    assert label_note("VISIBLE") == "already used by a finished load: Begin will be refused"
    assert await service.label_state(db, label()) == "UNKNOWN" and label_note("UNKNOWN") is None
    # Another cluster's records are not this one's history.
    for fe in (service.fe_url, "http://elsewhere:8030"):
        session.journal.save(JournalEntry(label=label(), fe_url=fe, db=db, table="people"))
    assert {e.fe_url for e in service.history()} == {service.fe_url}
    # A profile of another kind is refused at once, with the reason.
    with pytest.raises(errors.InvalidRequest, match="not a StarRocks cluster"):
        TransactionsService(session, Profile(name="lake", kind="ailake", url=sandbox.url))


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_used_label_begins_nothing_and_a_stopped_piece_counts_once(
    sandbox: SandboxProcess, session: ConsoleSession, tmp_path: Path
) -> None:
    db = fresh_db(sandbox)
    service = service_for(session, sandbox.info)
    data = csv(tmp_path / "people.csv", 120_000)
    used = label()
    async with StarRocksClient(sandbox.url, *sandbox.auth) as client:
        txn = await client.begin(db, "people", used)
        await client.load(txn, b"1,ann\n", CSV)
        await client.commit(db, used)
    stepper, answer = await service.begin(db, "people", [data], CSV, TxnSettings(label=used))
    assert stepper is None and answer.headline == "The label is already used by a finished load."
    record = session.journal.get(service.fe_url, db, used)
    assert record is None  # a refused begin leaves no record behind

    stepper, answer = await service.begin(db, "people", [data], CSV, TxnSettings(label=label()))
    assert stepper is not None and stepper.phase == "open" and answer.ok
    reports: list[int] = []

    def progress(sent: int, _size: int | None) -> None:
        reports.append(sent)
        if len(reports) == 1:
            assert stepper.stop_sending()

    with pytest.raises(asyncio.CancelledError):
        await stepper.load_next(progress)
    assert len(reports) == 1  # no block was sent after the stop
    assert stepper.uncertain is not None and stepper.next == 0 and stepper.open
    assert not stepper.stop_sending()  # nothing is being sent now
    assert await service.label_state(db, stepper.label) == "PREPARE"
    # Going on: the stopped piece is looked for first, then sent whole; every row counts once.
    for _ in range(100):
        answer = await stepper.load_next()
        if stepper.next == 1:
            break
        assert BUSY.search(answer.headline), answer.headline
        await asyncio.sleep(0.05)
    assert stepper.next == 1 and stepper.uncertain is None
    assert (await stepper.commit()).ok
    assert count(sandbox, db) == 1 + 120_000


@pytest.mark.slow
@pytest.mark.asyncio
async def test_all_at_once_loads_each_file_under_its_label_with_progress(
    sandbox: SandboxProcess, session: ConsoleSession, tmp_path: Path
) -> None:
    db = fresh_db(sandbox)
    service = service_for(session, sandbox.info)
    a, b = csv(tmp_path / "a.csv", 3000), csv(tmp_path / "b.csv", 1000, start=5000)
    first = label()
    files: list[tuple[int, str, str]] = []
    sent: list[Transfer] = []
    answers: list[Answer] = []
    run = service.load_all(
        AllAtOnceRequest([a, b], db, "people", CSV, TxnSettings(label=first, chunk_mib=1)),
        on_file=lambda i, f, lab: files.append((i, f.name, lab)),
        on_progress=sent.append,
        on_answer=answers.append,
    )
    result = await run.run()
    assert result.state == "loaded", result.answer
    assert files == [(0, "a.csv", first), (1, "b.csv", f"{first}-2")]
    assert (result.files, result.rows, result.filtered) == (2, 4000, 0)
    assert result.summary == "4,000 rows loaded, 0 filtered"
    assert result.bytes == a.stat().st_size + b.stat().st_size
    assert [x.label for x in answers] == [first, f"{first}-2"]
    assert answers[0].headline.startswith("a.csv: 3,000 rows loaded, 0 filtered, visible")
    assert result.answer is answers[-1]
    assert sent and all(0 < t.done <= t.total == result.bytes for t in sent)
    assert count(sandbox, db) == 4000
    assert not service.in_flight
    # Both files are known loaded now: a second load of them would be asked about first.
    assert [e.file.name for e in service.earlier_loads(db, "people", [a, b])] == ["a.csv", "b.csv"]
    # The same request again: the loader finds each label visible and sends nothing.
    again = await service.load_all(
        AllAtOnceRequest([a, b], db, "people", CSV, TxnSettings(label=first))
    ).run()
    assert again.state == "loaded"
    assert again.answer.headline == (
        f"b.csv: the label {first}-2 was already loaded (1,000 rows); nothing was sent (exactly once)."
    )
    assert count(sandbox, db) == 4000


@pytest.mark.slow
@pytest.mark.asyncio
async def test_stopped_before_commit_the_transaction_is_offered_and_finished(
    sandbox_factory: Any, session: ConsoleSession, tmp_path: Path
) -> None:
    sb = sandbox_factory()
    proxy = FaultProxy(sb.url)  # the FE, through a proxy that holds prepare while the test acts
    try:
        db = fresh_db(sb)
        service = service_for(session, dict(sb.info, url=proxy.url))
        first = label()
        held = proxy.add(Rule("POST", r"/api/transaction/prepare", "pause"))
        request = AllAtOnceRequest(
            [csv(tmp_path / "a.csv", 2000), csv(tmp_path / "b.csv", 10, start=9000)],
            db,
            "people",
            CSV,
            TxnSettings(label=first),
        )
        run = service.load_all(request)
        task = asyncio.ensure_future(run.run())
        await until(held.reached.is_set)
        assert service.in_flight == {first}
        # While it runs, the journal's open record of it is not offered as unfinished.
        assert [u.label for u in await service.unfinished()] == []
        stopping = run.stop()
        assert not stopping.too_late and "before commit" in stopping.answer.headline
        held.released.set()
        result = await task
        assert result.state == "stopped" and result.label == first
        assert result.answer.headline.startswith("Stopped after prepare") and result.files == 0
        assert "prepared, not committed" in result.summary and "1 later file not sent" in result.summary
        record = session.journal.get(proxy.url, db, first)
        assert record is not None and record.step in OPEN_STEPS
        [item] = await service.unfinished()
        assert (item.label, item.state, item.action) == (first, "PREPARED", "commit")
        assert count(sb, db) == 0
        [(done, answer)] = await service.finish([item], "commit")
        assert done is item and answer.headline == "Committed: the rows are visible."
        assert count(sb, db) == 2000
        assert await service.unfinished() == []
        assert service.history()[0].step == "done"
    finally:
        proxy.close()


@pytest.mark.asyncio
async def test_a_stop_before_the_first_file_sends_nothing_and_a_refused_file_stops_the_rest(
    sandbox: SandboxProcess, session: ConsoleSession, tmp_path: Path
) -> None:
    db = fresh_db(sandbox)
    service = service_for(session, sandbox.info)
    good = csv(tmp_path / "good.csv", 10)
    run = service.load_all(AllAtOnceRequest([good], db, "people", CSV, TxnSettings(label=label())))
    assert not run.stop().too_late
    stopped = await run.run()
    assert stopped.state == "stopped" and stopped.answer.detail == "No transaction was begun."
    assert service.history() == [] and count(sandbox, db) == 0

    bad = tmp_path / "bad.csv"
    bad.write_text("1,ann\nnot-a-number,bob\n")
    first = label()
    failed = await service.load_all(
        AllAtOnceRequest([bad, good], db, "people", CSV, TxnSettings(label=first))
    ).run()
    assert failed.state == "failed" and failed.label == first
    assert failed.answer.headline.startswith("bad.csv: Too many rows were refused")
    assert failed.answer.error_url and "1 later file not sent." in failed.answer.detail
    assert failed.summary == failed.answer.headline
    assert session.journal.get(service.fe_url, db, f"{first}-2") is None  # never begun
    assert count(sandbox, db) == 0


@pytest.mark.slow
@pytest.mark.asyncio
async def test_running_transactions_are_listed_and_rolled_back_in_bulk(
    sandbox: SandboxProcess, session: ConsoleSession
) -> None:
    db = fresh_db(sandbox)
    service = service_for(session, sandbox.info)
    stuck, kept, unknown = label(), label(), label()
    async with StarRocksClient(sandbox.url, *sandbox.auth) as client:
        for name in (stuck, kept):
            txn = await client.begin(db, "people", name, timeout=600)
            await client.load(txn, b"1,ann\n", CSV)
    snapshot = await service.running(db)
    assert {str(r["Label"]) for r in snapshot.fe_rows} == {stuck, kept}
    seen: list[tuple[int, str, bool]] = []
    bulk = await service.rollback(db, [stuck, unknown], lambda i, r: seen.append((i, r.label, r.ok)))
    assert seen == [(0, stuck, True), (1, unknown, False)]
    assert (bulk.done, bulk.ok, bulk.lost) == (1, False, [])
    assert [r.label for r in bulk.refused()] == [unknown]
    assert bulk.summary() == "1 of 2 rolled back"
    assert {str(r["Label"]) for r in bulk.snapshot.fe_rows} == {kept}  # read again after
    assert await service.label_state(db, stuck) == "ABORTED"
    await service.rollback(db, [kept])
    with pytest.raises(ValueError, match="not a database name"):
        await service.running("x; drop database y")


@pytest.mark.asyncio
async def test_a_piece_cut_off_after_it_was_sent_counts_once(sandbox: SandboxProcess, tmp_path: Path) -> None:
    db = fresh_db(sandbox)
    data = tmp_path / "sent.csv"
    rows = big_csv(data, 4)
    async with StarRocksClient(sandbox.url, *sandbox.auth) as client:
        st = TxnStepper(
            client,
            Journal(tmp_path / "journal"),
            db=db,
            table="people",
            label="cut-" + uuid.uuid4().hex[:6],
            options=LoadOptions(column_separator=","),
            files=[data],
        )
        assert (await st.begin()).ok
        sent = asyncio.Event()
        task = asyncio.ensure_future(
            st.load_next(lambda n, size: sent.set() if size is not None and n >= size else None)
        )
        await asyncio.wait_for(sent.wait(), 10)
        task.cancel()  # every byte is out: the BE goes on and applies it
        with pytest.raises(asyncio.CancelledError):
            await task
        assert st.uncertain is not None and st.next == 0
        answers = []
        for _ in range(100):
            answers.append(await st.load_next())
            if st.next == 1:
                break
            assert BUSY.search(answers[-1].headline), answers[-1].headline
            await asyncio.sleep(0.1)
        assert answers[-1].headline == "The stopped piece sent.csv had arrived in full; it counts as sent."
        assert st.rows_loaded == rows
        assert (await st.prepare()).ok and (await st.commit()).ok
    assert count(sandbox, db) == rows


def test_a_transaction_the_fe_lists_but_rollback_cannot_find_is_told_plainly() -> None:
    now = 1_800_000_000.0
    fe_row = {
        "TransactionId": "1042",
        "Label": "orphan",
        "TransactionStatus": "PREPARE",
        "PrepareTime": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now - 500)),
        "TimeoutMs": "600000",
    }
    snap = RunningSnapshot("db1", now, 0, [fe_row], {"be1:8040": []}, {}, ["be1:8040"])
    [t] = classify(snap, Thresholds())
    assert t.on_be is False and t.stuck
    assert "the BE no longer has it" in t.findings[0] and "in 1 min" in t.findings[0]
    gone = RollbackResult("orphan", False, "rollback found no such transaction", not_found=True)
    [lost] = still_listed_but_lost([gone], [t])
    note = lost_note(lost, now)
    assert "still lists transaction 1042 (orphan) as running, but rollback no longer finds it" in note
    assert "in 1 min" in note


def test_documented_answers_in_plain_words() -> None:
    from gui.api.starrocks import LabelAlreadyExists, StarRocksError, TxnNotFound, TxnReply

    def reply(**kw: Any) -> TxnReply:
        r = TxnReply.model_validate(kw)
        r.raw = kw
        return r

    running = LabelAlreadyExists(
        "begin: used",
        reply=reply(Status="LABEL_ALREADY_EXISTS", ExistingJobStatus="RUNNING"),
        code="X",
        raw={"Status": "LABEL_ALREADY_EXISTS"},
    )
    assert explain_error("begin", running).headline == (
        "The label is already used by a transaction that is still open."
    )
    gone = TxnNotFound(
        "load: x", reply=reply(Status="TXN_NOT_EXISTS", Message="x"), raw={"Status": "TXN_NOT_EXISTS"}
    )
    a = explain_error("load", gone)
    assert a.headline == "The transaction no longer exists (timed out or rolled back)."
    assert a.raw == {"Status": "TXN_NOT_EXISTS"}
    fe = StarRocksError(
        "commit: x",
        reply=reply(
            Status="FAILED",
            Message="class com.starrocks.common.StarRocksException: Can not commit "
            "ABORTED transaction 5, label is l",
        ),
        code="FAILED",
    )
    assert (
        explain_error("commit", fe).headline
        == "The transaction was aborted earlier, so it cannot be committed."
    )
    assert "Can not commit ABORTED" in explain_error("commit", fe).detail
    assert TxnSettings(label="ok").problems() == {}
    assert "shorter" in TxnSettings(label="ok", timeout=60, idle_timeout=60).problems()["idle_timeout"]
