"""What the dashboards show beside the monitoring's readings, without Qt: a cluster's state in words
(the card's light and its reason), when a cluster turns red or recovers (the desktop notice), the
figures a fleet card shows, and the loads and transactions of a cluster at a glance — the cluster's
``information_schema.loads``, the console's own journal, and the running transactions of each busy
database classified as the Load transactions view classifies them (stuck ones flagged).

Readings come from ``gui.services.monitoring`` (one collector for every dashboard); this module reads
nothing on its own but the loads and transactions.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..api import errors
from .monitoring import ClusterState, Monitoring
from .monitoring.alerts import num
from .profiles import Profile
from .session import ConsoleSession
from .transactions.running import RunningTxn, Thresholds, classify, running_snapshot
from .words import plural

Light = Literal["green", "amber", "red", "grey"]

# StarRocks refuses new loads into a database at max_running_txn_num_per_db (1000 by default).
DEFAULT_TXN_LIMIT = 1000


def light(state: ClusterState | None) -> Light:
    """The card's light: red for a critical alert or a cluster that cannot be read."""
    if state is None:
        return "grey"
    return {"ok": "green", "warning": "amber"}.get(state.state, "red")  # type: ignore[return-value]


def reason(state: ClusterState | None) -> str:
    """Why the light has its colour, in words."""
    if state is None:
        return "Not read yet"
    s = state.sample
    if not s.reachable:
        word = "Refused" if s.refused else "Unreachable"
        return f"{word}: {s.error}" if s.error else word
    if not state.alerts:
        fe_alive, fe_total = s.frontend_counts()
        be_alive, be_total = s.backend_counts()
        parts = []
        if fe_total is not None:
            parts.append(f"{fe_alive}/{fe_total} FE")
        if be_total is not None:
            parts.append(f"{be_alive}/{be_total} BE")
        return "All good" + (f" ({', '.join(parts)} alive)" if parts else "")
    first = state.alerts[0]
    more = len(state.alerts) - 1
    text = first.reason[:1].upper() + first.reason[1:]
    return text + (f" (and {plural(more, 'more alert')})" if more else "")


def failure(state: ClusterState) -> errors.ApiError:
    """The error a reading of an unreachable cluster stands for (for the inline state line and the
    notifications, which speak of errors)."""
    s = state.sample
    if s.refused:
        return errors.AuthError(s.error or "the cluster refused the user", service="starrocks", status=401)
    return errors.ConnectionFailed(s.error or "the cluster cannot be read", service="starrocks")


def red(state: ClusterState | None) -> bool:
    return state is not None and state.state in ("critical", "unreachable")


def desktop_notice(before: ClusterState | None, now: ClusterState) -> str | None:
    """What to tell on the desktop when a cluster turns red or recovers from red; None otherwise
    (a first reading that is red is told: the operator did not know yet)."""
    if red(now) and not red(before):
        return f"{now.name} turned red: {reason(now)}"
    if red(before) and not red(now):
        return f"{now.name} recovered: {reason(now)}"
    return None


@dataclass(frozen=True)
class CardFigures:
    """What a fleet card shows of a cluster's latest reading (None: the cluster did not give it)."""

    qps: float | None
    p99_ms: float | None
    load_rows_per_s: float | None
    fe: tuple[int | None, int | None]
    be: tuple[int | None, int | None]
    fullest_disk: tuple[str, float] | None  # (BE host and path, used %)
    busiest_db: tuple[str, int] | None  # (database, running transactions)
    txn_limit: int
    alerts: int


def card_figures(state: ClusterState, txn_limit: float | None = None) -> CardFigures:
    s, f = state.sample, state.figures
    disk: tuple[str, float] | None = None
    for be in s.backends or []:
        for d in be.disks:
            pct = d.used_pct
            if pct is not None and (disk is None or pct > disk[1]):
                disk = (f"{be.host} {d.path}", pct)
        if not be.disks and be.disk_pct is not None and (disk is None or be.disk_pct > disk[1]):
            disk = (be.host, be.disk_pct)
    busiest = None
    if s.running_txns:
        db = max(s.running_txns, key=lambda k: s.running_txns[k] if s.running_txns else 0)
        busiest = (db, s.running_txns[db])
    return CardFigures(
        qps=f.get("qps"),
        p99_ms=f.get("query_p99_ms"),
        load_rows_per_s=f.get("load_rows_per_s"),
        fe=s.frontend_counts() if s.reachable else (None, None),
        be=s.backend_counts() if s.reachable else (None, None),
        fullest_disk=disk,
        busiest_db=busiest,
        txn_limit=int(txn_limit) if txn_limit else DEFAULT_TXN_LIMIT,
        alerts=len(state.alerts),
    )


def txn_limit(monitoring: Monitoring, name: str) -> float:
    """The running-transactions limit the profile's alert counts against (its critical threshold)."""
    limit = monitoring.settings.limits(name).get("running_txns")
    return (limit.critical if limit is not None and limit.critical else None) or DEFAULT_TXN_LIMIT


def figure(value: float | None, unit: str = "") -> str:
    """A figure for a person: ``12.5 ms``, ``–`` when the cluster did not give it."""
    if value is None:
        return "–"
    return num(value if abs(value) >= 10 else round(value, 2)) + (f" {unit}" if unit else "")


async def read_now(monitoring: Monitoring, name: str) -> ClusterState | None:
    """A reading of a watched cluster now (F5), told to the monitoring's listeners like any other;
    None when the profile is not watched."""
    mon = monitoring.monitor(name)
    if mon is None:
        return None
    state = await mon.tick()
    for listener in list(monitoring.listeners):
        listener(name, state)
    return state


async def rename(monitoring: Monitoring, old: str, new: str) -> None:
    """A profile renamed: its kept history and thresholds go with it (they are kept by name)."""
    await monitoring.unwatch(old)
    await asyncio.to_thread(monitoring.store.rename, old, new)
    await asyncio.to_thread(monitoring.settings.rename, old, new)
    await monitoring.follow_profiles()


# -- loads and transactions at a glance ----------------------------------------------------------------


@dataclass(frozen=True)
class LoadRow:
    """A load, from the cluster's ``information_schema.loads`` or the console's journal."""

    key: str
    label: str
    db: str
    table: str
    state: str  # as the source writes it (LOADING, FINISHED, CANCELLED, PREPARED...; the journal's step)
    source: str  # "cluster" or "console"
    rows: int | None
    filtered: int | None
    started: str  # the source's own time text
    message: str = ""

    @property
    def group(self) -> str:
        """running, finished or failed: what the filter picks."""
        s = self.state.lower()
        if s in ("finished", "visible", "committed", "done"):
            return "finished"
        if s in ("cancelled", "aborted", "failed"):
            return "failed"
        return "running"


@dataclass
class DbTxns:
    db: str
    running: int
    transactions: list[RunningTxn] = field(default_factory=list)
    error: str = ""

    @property
    def stuck(self) -> int:
        return sum(1 for t in self.transactions if t.stuck)


@dataclass
class Glance:
    loads: list[LoadRow]
    databases: list[DbTxns]
    loads_error: str = ""
    taken_at: float = field(default_factory=time.time)


LOADS_SQL = (
    "select LABEL, DB_NAME, TABLE_NAME, STATE, TYPE, SINK_ROWS, FILTERED_ROWS, CREATE_TIME, ERROR_MSG "
    "from information_schema.loads order by CREATE_TIME desc limit {limit}"
)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def load_rows(records: Iterable[dict[str, Any]]) -> list[LoadRow]:
    out = []
    for r in records:
        label, db = str(r.get("LABEL") or ""), str(r.get("DB_NAME") or "")
        out.append(
            LoadRow(
                key=f"cluster/{db}/{label}",
                label=label,
                db=db,
                table=str(r.get("TABLE_NAME") or ""),
                state=str(r.get("STATE") or ""),
                source="cluster",
                rows=_int(r.get("SINK_ROWS")),
                filtered=_int(r.get("FILTERED_ROWS")),
                started=str(r.get("CREATE_TIME") or ""),
                message=str(r.get("ERROR_MSG") or ""),
            )
        )
    return out


class DashboardService:
    """The loads and transactions of one StarRocks cluster profile, for its dashboard."""

    def __init__(self, session: ConsoleSession, profile: Profile, *, limit: int = 100) -> None:
        self.session = session
        self.profile = profile
        self.limit = limit
        self.thresholds = Thresholds()

    async def glance(self, running: dict[str, int] | None, *, most: int = 5) -> Glance:
        """Recent loads (the cluster's and the journal's) and, for the ``most`` busiest databases
        with running transactions (from the latest reading), those transactions classified. A part
        that cannot be read is said in its place; the client's error is raised only when nothing
        could be read at all."""
        client = await self.session.starrocks(self.profile)
        loads: list[LoadRow] = []
        loads_error = ""
        try:
            loads = load_rows(await client.records(LOADS_SQL.format(limit=int(self.limit))))
        except errors.ConnectionFailed:
            raise
        except errors.ApiError as e:
            loads_error = f"information_schema.loads could not be read: {e.message}"
        seen = {(r.db, r.label) for r in loads}
        journal = await asyncio.to_thread(self.session.journal.entries)
        base = self.profile.url.rstrip("/")
        for j in journal:
            if j.fe_url.rstrip("/") != base or (j.db, j.label) in seen:
                continue
            loads.append(
                LoadRow(
                    key=f"console/{j.db}/{j.label}",
                    label=j.label,
                    db=j.db,
                    table=j.table,
                    state=j.state or j.step,
                    source="console",
                    rows=j.rows_loaded,
                    filtered=j.rows_filtered,
                    started=time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(j.started_at)),
                    message=j.message,
                )
            )
        busy = sorted(((db, n) for db, n in (running or {}).items() if n > 0), key=lambda x: -x[1])[:most]
        databases = [DbTxns(db, n) for db, n in busy]

        async def one(entry: DbTxns) -> None:
            try:
                entry.transactions = classify(await running_snapshot(client, entry.db), self.thresholds)
            except errors.ConnectionFailed:
                raise
            except errors.ApiError as e:
                entry.error = e.message

        await asyncio.gather(*(one(d) for d in databases))
        return Glance(loads, databases, loads_error)
