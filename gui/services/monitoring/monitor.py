"""One loop per cluster: read it, turn counters into rates, keep the figures, evaluate the alerts.

``ClusterMonitor.tick()`` is one round, used alike by the background collection (``Monitoring``,
every few seconds for every StarRocks profile of the session, whether a dashboard is on screen or
not) and by ``starrocks-console health`` (one or two rounds) — so both say the same thing of the same
cluster.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import time
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ...api import errors
from ...api.starrocks import StarRocksClient
from ..tasks import stop
from .alerts import Alert, AlertBook, Limit, Reading, default_limits, evaluate
from .collector import Collector, said
from .history import History, HistoryStore
from .rates import Rates, figures
from .sample import ClusterSample
from .settings import AlertSettings

if TYPE_CHECKING:  # the session brings the keyring and every client: `health` needs neither
    from ..profiles import Profile
    from ..session import ConsoleSession

log = logging.getLogger("starrocks_console.monitoring")
# History files are read and written here, one at a time, never on the event loop's thread.
_IO = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="metrics-history")

State = Literal["ok", "warning", "critical", "unreachable"]
EXIT_CODES: dict[str, int] = {"ok": 0, "warning": 1, "critical": 2, "unreachable": 3}


@dataclass
class ClusterState:
    """Where a cluster stands after a reading."""

    name: str
    sample: ClusterSample  # the latest reading (maybe an unreachable one)
    figures: dict[str, float]  # of the latest reading that could be read ({} before one)
    read_at: float | None  # when the cluster was last read
    alerts: list[Alert]  # active, critical first
    ended: list[Alert] = field(default_factory=list)  # the latest that ended, newest last
    changed: list[Alert] = field(default_factory=list)  # started or ended by this reading

    @property
    def state(self) -> State:
        if not self.sample.reachable:
            return "unreachable"
        levels = {a.severity for a in self.alerts}
        return "critical" if "critical" in levels else ("warning" if levels else "ok")

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.state]

    @property
    def stale(self) -> bool:
        """The figures are older than the latest reading (the cluster could not be read since)."""
        return not self.sample.reachable and self.read_at is not None


ClientSource = Callable[[], Awaitable[StarRocksClient]]


class ClusterMonitor:
    def __init__(
        self,
        name: str,
        client: ClientSource,
        *,
        limits: Callable[[], Mapping[str, Limit]] = default_limits,
        history: History | None = None,
        collector: Collector | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self._client = client
        self.limits = limits
        self.history = history
        self.clock = clock
        self.collector = collector or Collector(clock=clock)
        self.rates = Rates()
        self.book = AlertBook()
        self.figures: dict[str, float] = {}
        self.read_at: float | None = None
        self.state: ClusterState | None = None

    async def tick(self) -> ClusterState:
        try:
            client = await self._client()
        except errors.ApiError as e:  # no password stored, a profile of another kind...
            sample = ClusterSample.unreadable(self.clock(), said(e), refused=isinstance(e, errors.AuthError))
        else:
            sample = await self.collector.sample(client)
        step = self.rates.update(sample)
        if sample.reachable:
            self.figures = figures(sample, step)
            self.read_at = sample.taken_at
            if self.history is not None:
                self.history.add(sample.taken_at, self.figures)
        evaluations = evaluate(Reading(sample, self.figures, self.rates), self.limits())
        changed = self.book.apply(sample.taken_at, evaluations)
        self.state = ClusterState(
            self.name,
            sample,
            dict(self.figures),
            self.read_at,
            self.book.current(),
            list(self.book.ended),
            changed,
        )
        return self.state

    async def aclose(self) -> None:
        await self.collector.aclose()


Listener = Callable[[str, ClusterState], None]


class Monitoring:
    """Collects every watched StarRocks profile while the console runs: a reading every
    ``interval`` seconds per cluster, history kept in memory and saved to the data folder every
    ``save_every`` seconds and when a cluster is no longer watched. Listeners hear of each reading
    (on the loop's thread); work the user did not start never raises into the window."""

    def __init__(
        self,
        session: ConsoleSession,
        *,
        store: HistoryStore | None = None,
        settings: AlertSettings | None = None,
        interval: float = 5.0,
        save_every: float = 60.0,
    ) -> None:
        self.session = session
        self.store = store or HistoryStore()
        self.settings = settings or AlertSettings()
        self._interval = interval
        # Set (and replaced) when the interval changes: every collection waiting out the old one
        # wakes and waits out what is left of the new one — lowering it from 5 minutes to 5 s
        # takes effect now, not in 5 minutes.
        self._rescheduled = asyncio.Event()
        self.save_every = save_every
        self.listeners: list[Listener] = []
        self._monitors: dict[str, ClusterMonitor] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._kept: dict[str, bool] = {}  # profile → its history goes to the data folder
        self.problems: list[str] = []
        # Once closed, nothing is watched again: a start or a profile change that arrives after the
        # window's close would otherwise leave a collection running that nobody stops.
        self.closed = False

    @property
    def interval(self) -> float:
        """Seconds between two readings of a cluster."""
        return self._interval

    @interval.setter
    def interval(self, seconds: float) -> None:
        self._interval = seconds
        woken, self._rescheduled = self._rescheduled, asyncio.Event()
        woken.set()

    def due(self, name: str, started: float) -> float:
        """When the reading after one started at ``started`` is due (monotonic seconds).

        Each cluster reads at its own phase of the interval (from its name): twenty clusters started
        together would otherwise read together every interval, their replies parsed in one burst that
        holds the window for tens of milliseconds. The first reading after a start or an interval
        change moves to the phase, no sooner than half an interval after the last one."""
        period = self._interval
        phase = zlib.crc32(name.encode()) % 1000 / 1000 * period
        earliest = started + period / 2
        return math.ceil((earliest - phase) / period) * period + phase

    async def _wait_interval(self, name: str, started: float) -> None:
        while (left := self.due(name, started) - time.monotonic()) > 0:
            # A task of its own, cancelled on the way out: a wait_for cancelled before it started
            # the coroutine would leave it never awaited.
            woken = asyncio.ensure_future(self._rescheduled.wait())
            try:
                done, _ = await asyncio.wait({woken}, timeout=left)
            finally:
                woken.cancel()
            if not done:
                return

    def monitor(self, name: str) -> ClusterMonitor | None:
        return self._monitors.get(name)

    def states(self) -> dict[str, ClusterState]:
        return {k: m.state for k, m in self._monitors.items() if m.state is not None}

    def watched(self) -> list[str]:
        return list(self._monitors)

    async def watch(self, profile: Profile) -> ClusterMonitor:
        """Start collecting a StarRocks profile (its kept history loaded first); the monitor of an
        already watched one is returned as it is. A profile of this session only (the sandbox's)
        keeps its history in memory: the next session's sandbox is another cluster."""
        if profile.kind != "starrocks":
            raise errors.InvalidRequest(
                f"profile {profile.name!r} is a {profile.kind} profile, not a starrocks one",
                service=profile.kind,
            )
        if self.closed:
            raise errors.InvalidRequest("the monitoring is closed", service=profile.kind)
        existing = self._monitors.get(profile.name)
        if existing is not None:
            return existing
        loop = asyncio.get_running_loop()
        name = profile.name
        kept = self.session.is_saved(name)
        if kept:
            history, header = await loop.run_in_executor(_IO, self.store.load, name)
            self.problems.extend(p for p in self.store.problems if p not in self.problems)
        else:
            history, header = History(), {}
        self._kept[name] = kept

        async def client() -> StarRocksClient:
            current = self.session.profile(name)
            if current is None:
                raise errors.NotFound(f"profile {name!r} no longer exists", service="starrocks")
            return await self.session.starrocks(current)

        mon = ClusterMonitor(name, client, limits=lambda: self.settings.limits(name), history=history)
        if header.get("alerts") is not None:
            try:
                mon.book.load(header["alerts"])
            except ValueError as e:
                self.problems.append(f"the alerts kept for {name!r} could not be read back ({e})")
        if self.closed or name in self._monitors:  # closed, or watched by another call, while loading
            if self.closed:
                raise errors.InvalidRequest("the monitoring is closed", service=profile.kind)
            return self._monitors[name]
        self._monitors[name] = mon
        self._tasks[name] = loop.create_task(self._run(mon), name=f"monitoring {name}")
        return mon

    async def follow_profiles(self) -> None:
        """Watch every StarRocks profile of the session, and stop watching those it no longer has
        (their history is kept; ``unwatch(name, forget=True)`` deletes a removed profile's). Called at
        start and whenever profiles change."""
        if self.closed:
            return
        wanted = {p.name: p for p in self.session.all_profiles() if p.kind == "starrocks"}
        for name in [n for n in self._monitors if n not in wanted]:
            await self.unwatch(name)
        for profile in wanted.values():
            await self.watch(profile)

    async def unwatch(self, name: str, *, forget: bool = False) -> None:
        """Stop collecting a profile; its history is saved (``forget``: deleted, as for a profile
        that was removed)."""
        task = self._tasks.pop(name, None)
        mon = self._monitors.pop(name, None)
        if task is not None:
            await stop([task])
        if mon is None:
            return
        await mon.aclose()
        kept = self._kept.get(name, False)
        if forget:
            loop = asyncio.get_running_loop()
            if kept:
                await loop.run_in_executor(_IO, self.store.remove, name)
            await loop.run_in_executor(_IO, self.settings.remove, name)
        else:
            await self._save(mon)
        self._kept.pop(name, None)

    async def save(self) -> None:
        for mon in list(self._monitors.values()):
            await self._save(mon)

    async def aclose(self) -> None:
        self.closed = True
        for name in list(self._monitors):
            await self.unwatch(name)

    async def _save(self, mon: ClusterMonitor) -> None:
        if mon.history is None or not self._kept.get(mon.name):
            return
        # The bytes are taken on the loop (the rings change only here); the file is written off it.
        data = mon.history.to_bytes({"profile": mon.name, "alerts": mon.book.to_json()})
        try:
            await asyncio.get_running_loop().run_in_executor(_IO, self.store.save, mon.name, data)
        except OSError as e:
            note = f"the history of {mon.name!r} could not be saved in {self.store.root}: {e.strerror or e}"
            if note not in self.problems:
                self.problems.append(note)
            log.warning("%s", note)

    async def _run(self, mon: ClusterMonitor) -> None:
        clock = time.monotonic
        next_save = clock() + self.save_every
        me = asyncio.current_task()
        # Unwatched means over, even when a library swallowed the cancel (see ``tasks.stop``).
        while self._tasks.get(mon.name) is me:
            started = clock()
            try:
                state = await mon.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug must not end the collection of every later reading
                log.exception("monitoring %s: a reading failed", mon.name)
            else:
                self._tell(mon.name, state)
            if clock() >= next_save:
                if mon.history is not None:
                    mon.history.prune()
                await self._save(mon)
                next_save = clock() + self.save_every
            await self._wait_interval(mon.name, started)

    def _tell(self, name: str, state: ClusterState) -> None:
        for listener in list(self.listeners):
            try:
                listener(name, state)
            except Exception:
                log.exception("monitoring %s: a listener failed", name)


def describe(state: ClusterState) -> dict[str, Any]:
    """A cluster's state for scripts (the JSON of ``starrocks-console health``)."""
    s = state.sample
    return {
        "name": state.name,
        "state": state.state,
        "exit_code": state.exit_code,
        "checked_at": _iso(s.taken_at),
        "reachable": s.reachable,
        "error": s.error or None,
        "health": s.health or None,
        "frontends": None if s.frontends is None else [f.to_json() for f in s.frontends],
        "backends": None if s.backends is None else [b.to_json() for b in s.backends],
        "running_transactions": s.running_txns,
        "figures": {k: round(v, 4) for k, v in sorted(state.figures.items())} if s.reachable else {},
        "alerts": [
            {
                "rule": a.rule,
                "title": a.title,
                "severity": a.severity,
                "subject": a.subject,
                "reason": a.reason,
                "since": _iso(a.started_at),
                "value": a.value,
            }
            for a in state.alerts
        ],
        "notes": list(s.notes),
    }


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
