"""The running transactions of a database: the FE's list joined with every BE's open transactions,
classified so that stuck or leaked ones stand out, and rolled back in bulk."""

from __future__ import annotations

import asyncio
import calendar
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...api import errors
from ...api.starrocks import LoadRejected, StarRocksClient, StarRocksError, TxnAborted, TxnBusy, TxnNotFound
from ..words import join
from .answers import Answer, explain_error, explain_reply, fe_message, human_seconds

RUNNING_LIMIT_NOTE = (
    "StarRocks refuses every new load into a database once it holds max_running_txn_num_per_db "
    "(1000 by default) open transactions"
)


@dataclass
class Thresholds:
    idle_s: float = 300  # no data for this long: idle
    prepared_s: float = 3600  # prepared (open) for this long without a commit
    near_timeout_s: float = 60  # this close to its timeout


@dataclass
class RunningTxn:
    txn_id: int
    label: str
    state: str  # the FE's TransactionStatus: PREPARE (running) or PREPARED
    begun: float | None = None  # epoch seconds
    timeout_s: float | None = None
    be: str = ""  # the BE holding it ("host:port" as reached), when one lists it
    on_be: bool | None = None  # None: no BE list was available
    in_processing: bool = False
    last_active: float | None = None
    rows_total: int | None = None
    rows_loaded: int | None = None
    rows_filtered: int | None = None
    load_bytes: int | None = None
    idle_timeout_s: float | None = None
    coordinator: str = ""
    findings: list[str] = field(default_factory=list)
    stuck: bool = False
    rollback: str = ""  # the outcome of the last rollback attempt
    fe_row: dict[str, Any] = field(default_factory=dict)
    be_row: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.txn_id}:{self.label}"

    def age(self, now: float) -> float | None:
        return None if self.begun is None else now - self.begun

    def idle(self, now: float) -> float | None:
        return None if self.last_active is None else now - self.last_active

    def timeout_in(self, now: float) -> float | None:
        if self.begun is None or self.timeout_s is None or self.state != "PREPARE":
            return None
        return self.begun + self.timeout_s - now


@dataclass
class RunningSnapshot:
    db: str
    now: float  # the FE's clock, epoch seconds
    fe_offset: float  # FE local time minus UTC, seconds (its time strings are local)
    fe_rows: list[dict[str, Any]]
    be_rows: dict[str, list[dict[str, Any]]]  # BE address -> its open transactions
    be_errors: dict[str, str]
    backends: list[str]


def backend_addresses(records: Iterable[dict[str, Any]]) -> list[str]:
    """``host:http_port`` of each alive BE of SHOW BACKENDS (the client maps them)."""
    out: list[str] = []
    for r in records:
        host = r.get("IP") or r.get("Host") or ""
        port = r.get("HttpPort") or ""
        if host and port and str(r.get("Alive", "true")).lower() == "true":
            out.append(f"{host}:{port}")
    return out


_DB_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,256}$")


def parse_fe_time(text: Any, offset: float) -> float | None:
    """``2024-01-01 08:00:00`` in the FE's time zone, as epoch seconds."""
    if not text or str(text).upper() in ("NULL", "N/A"):
        return None
    try:
        dt = datetime.strptime(str(text)[:19], "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return calendar.timegm(dt.timetuple()) - offset


async def running_snapshot(client: StarRocksClient, db: str) -> RunningSnapshot:
    """The FE's running transactions of a database and every BE's open transactions."""
    if not _DB_NAME.match(db):
        raise ValueError(f"not a database name: {db!r}")
    clock = await client.records("select unix_timestamp() as ts, now() as now")
    now = float(clock[0]["ts"]) if clock else time.time()
    local = parse_fe_time(clock[0]["now"], 0) if clock else None
    offset = round(((local or now) - now) / 60) * 60  # whole minutes: the two reads differ slightly
    fe_rows = await client.records(f"show proc '/transactions/{db}/running'")
    backends = backend_addresses(await client.records("show backends"))

    async def one(be: str) -> tuple[str, list[dict[str, Any]] | str]:
        try:
            return be, await client.be_transactions(be)
        except errors.ApiError as e:
            return be, join(e.message, e.hint)

    be_rows: dict[str, list[dict[str, Any]]] = {}
    be_errors: dict[str, str] = {}
    for be, got in await asyncio.gather(*(one(b) for b in backends)):
        if isinstance(got, str):
            be_errors[be] = got
        else:
            be_rows[be] = got
    return RunningSnapshot(db, now, offset, fe_rows, be_rows, be_errors, backends)


def _int(v: Any) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def classify(snapshot: RunningSnapshot, limits: Thresholds) -> list[RunningTxn]:
    """One row per transaction the FE lists as running, joined with the BE's view of it, with
    what makes it look stuck: idle long, prepared long, near its timeout, or lost by its BE."""
    now = snapshot.now
    by_label: dict[str, tuple[str, dict[str, Any]]] = {}
    for be, rows in snapshot.be_rows.items():
        for r in rows:
            by_label[str(r.get("Label", ""))] = (be, r)
    complete = not snapshot.be_errors and bool(snapshot.backends)
    out: list[RunningTxn] = []
    for fe in snapshot.fe_rows:
        t = RunningTxn(
            txn_id=_int(fe.get("TransactionId")) or 0,
            label=str(fe.get("Label", "")),
            state=str(fe.get("TransactionStatus", "")).upper(),
            begun=parse_fe_time(fe.get("PrepareTime"), snapshot.fe_offset),
            coordinator=str(fe.get("Coordinator", "")),
            fe_row=fe,
        )
        timeout_ms = _int(fe.get("TimeoutMs"))
        t.timeout_s = timeout_ms / 1000 if timeout_ms is not None else None
        found = by_label.get(t.label)
        if found is not None:
            be, row = found
            t.be, t.be_row, t.on_be = be, row, True
            t.in_processing = bool(row.get("InProcessing"))
            t.last_active = float(row["LastActiveTimestamp"]) if row.get("LastActiveTimestamp") else None
            if row.get("BeginTimestamp"):
                t.begun = float(row["BeginTimestamp"])
            t.rows_total = _int(row.get("NumberTotalRows"))
            t.rows_loaded = _int(row.get("NumberLoadedRows"))
            t.rows_filtered = _int(row.get("NumberFilteredRows"))
            t.load_bytes = _int(row.get("LoadBytes"))
            idle = _int(row.get("IdleTransactionTimeoutSec"))
            t.idle_timeout_s = float(idle) if idle and idle > 0 else None
            if row.get("TransactionTimeoutSec"):
                t.timeout_s = float(row["TransactionTimeoutSec"])
        elif complete:
            t.on_be = False
        _findings(t, now, limits)
        out.append(t)
    out.sort(key=lambda t: (not t.stuck, t.begun or 0))
    return out


def _findings(t: RunningTxn, now: float, limits: Thresholds) -> None:
    f: list[str] = []
    age = t.age(now)
    if t.state == "PREPARED":
        if age is not None and age >= limits.prepared_s:
            f.append(f"prepared and open for {human_seconds(age)}: commit or roll back")
    else:
        idle = t.idle(now)
        if t.on_be is False:
            left = t.timeout_in(now)
            when = f" (in {human_seconds(left)})" if left is not None and left > 0 else ""
            f.append(
                "the BE no longer has it: rollback cannot reach it; the FE ends it when its "
                f"timeout passes{when}"
            )
        elif idle is not None and idle >= limits.idle_s and not t.in_processing:
            f.append(f"idle for {human_seconds(idle)}")
        left = t.timeout_in(now)
        if left is not None and left <= limits.near_timeout_s:
            f.append("past its timeout" if left <= 0 else f"times out in {human_seconds(left)}")
    if t.in_processing:
        f.append("a request is being processed")
    t.findings = f
    t.stuck = any(not s.startswith("a request") for s in f)


@dataclass
class RollbackResult:
    label: str
    ok: bool
    text: str
    not_found: bool = False
    answer: Answer | None = None


async def rollback_one(client: StarRocksClient, db: str, label: str) -> RollbackResult:
    try:
        reply = await client.rollback(db, label)
    except (StarRocksError, errors.ApiError) as e:
        answer = explain_error("rollback", e, label)
        not_found = isinstance(e, TxnNotFound) or (
            isinstance(e, StarRocksError)
            and not isinstance(e, (LoadRejected, TxnBusy, TxnAborted))
            and re.search(r"no transaction found|not exist", fe_message(e), re.I) is not None
        )
        text = "rollback found no such transaction" if not_found else answer.headline
        return RollbackResult(label, False, text, not_found, answer)
    answer = explain_reply("rollback", reply, label)
    already = "already" in (reply.message or "").lower()
    return RollbackResult(label, True, "was already aborted" if already else "rolled back", answer=answer)


async def rollback_many(
    client: StarRocksClient,
    db: str,
    labels: Sequence[str],
    on_each: Callable[[int, RollbackResult], None] | None = None,
) -> list[RollbackResult]:
    """Roll back each label in turn, reporting each outcome as it comes."""
    results: list[RollbackResult] = []
    for i, label in enumerate(labels):
        result = await rollback_one(client, db, label)
        results.append(result)
        if on_each is not None:
            on_each(i, result)
    return results


def still_listed_but_lost(results: Iterable[RollbackResult], after: Iterable[RunningTxn]) -> list[RunningTxn]:
    """Transactions rollback did not find that the FE still lists as running: their BE lost them,
    and only their timeout on the FE ends them."""
    missing = {r.label for r in results if r.not_found}
    return [t for t in after if t.label in missing]


def lost_note(t: RunningTxn, now: float) -> str:
    left = t.timeout_in(now)
    when = f"when its timeout passes, in {human_seconds(left)}" if left and left > 0 else "at its timeout"
    return (
        f"The FE still lists transaction {t.txn_id} ({t.label}) as running, but rollback no longer "
        f"finds it: its BE does not have it any more. The FE aborts it {when}; until then it counts "
        "against the database's limit of open transactions."
    )


@dataclass
class BulkRollback:
    """A bulk rollback's outcomes, and the database's running transactions read after it."""

    db: str
    results: list[RollbackResult]
    snapshot: RunningSnapshot
    lost: list[RunningTxn]  # rollback found none of them, yet the FE still lists them

    @property
    def done(self) -> int:
        return sum(1 for r in self.results if r.ok)

    @property
    def ok(self) -> bool:
        return self.done == len(self.results)

    def summary(self) -> str:
        return f"{self.done} of {len(self.results)} rolled back" + (
            f"; {len(self.lost)} still listed by the FE" if self.lost else ""
        )

    def refused(self) -> list[RollbackResult]:
        """Failed rollbacks other than the lost ones (those have a note of their own)."""
        lost = {t.label for t in self.lost}
        return [r for r in self.results if not r.ok and r.label not in lost]

    def raw(self) -> list[Any]:
        return [r.answer.raw if r.answer else None for r in self.results]


async def rollback_and_recheck(
    client: StarRocksClient,
    db: str,
    labels: Sequence[str],
    on_each: Callable[[int, RollbackResult], None] | None = None,
) -> BulkRollback:
    """Roll back each label in turn, then read the running transactions again: the ones rollback
    could not find that the FE still lists were lost by their BE."""
    results = await rollback_many(client, db, labels, on_each)
    snapshot = await running_snapshot(client, db)
    # Which transactions are listed does not depend on the thresholds, only their findings do.
    lost = still_listed_but_lost(results, classify(snapshot, Thresholds()))
    return BulkRollback(db, results, snapshot, lost)
