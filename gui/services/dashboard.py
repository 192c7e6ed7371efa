"""A StarRocks cluster at a glance, without Qt: the FE's health, the backends as SHOW BACKENDS lists
them, and the totals of the FE's counters — one snapshot per call, with the cluster's own figures."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..api.starrocks.models import MetricSample
from .profiles import Profile
from .session import ConsoleSession

# (metric, what a person calls it) of the counters the dashboard shows, as the FE names them.
COUNTERS: tuple[tuple[str, str], ...] = (
    ("starrocks_fe_query_total", "Queries"),
    ("starrocks_fe_query_err", "Failed queries"),
    ("starrocks_fe_txn_begin", "Transactions begun"),
    ("starrocks_fe_txn_success", "Transactions visible"),
    ("starrocks_fe_txn_failed", "Transactions aborted"),
    ("starrocks_fe_load_finished", "Loads finished"),
)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Health:
    """The FE's ``/api/health``: its status and how many of its backends are online."""

    status: str  # "OK" when the FE answers as healthy; "?" when it did not say
    alive: int | None  # online_backend_num
    total: int | None  # total_backend_num
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_answer(cls, body: dict[str, Any]) -> Health:
        return cls(
            str(body.get("status", "?")),
            _int(body.get("online_backend_num")),
            _int(body.get("total_backend_num")),
            body,
        )

    @property
    def healthy(self) -> bool:
        """The FE says OK and every backend it knows is online."""
        return self.status == "OK" and self.alive is not None and self.alive == self.total

    @property
    def state(self) -> str:
        return "healthy" if self.healthy else "degraded"

    @property
    def backends(self) -> str:
        """``1/1``: online of all, ``?`` for what the FE did not say."""
        shown = ["?" if n is None else str(n) for n in (self.alive, self.total)]
        return "/".join(shown)


@dataclass(frozen=True)
class Backend:
    """One row of SHOW BACKENDS, with the columns the dashboard shows."""

    key: str  # BackendId, or the address when the FE gives no id
    host: str
    http_port: str
    alive: bool
    version: str
    tablets: str
    last_heartbeat: str
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> Backend:
        host = str(r.get("IP") or r.get("Host") or r.get("host") or "")
        return cls(
            key=str(r.get("BackendId", host)),
            host=host,
            http_port=str(r.get("HttpPort", "")),
            alive=str(r.get("Alive", "")).lower() == "true",
            version=str(r.get("Version", "")),
            tablets=str(r.get("TabletNum", "")),
            last_heartbeat=str(r.get("LastHeartbeat", "")),
            raw=r,
        )


def totals(samples: Iterable[MetricSample]) -> dict[str, float]:
    """Each metric's value summed over its samples (a counter kept per label set is one number)."""
    out: dict[str, float] = {}
    for s in samples:
        out[s.name] = out.get(s.name, 0.0) + s.value
    return out


@dataclass(frozen=True)
class DashboardSnapshot:
    profile: Profile  # the profile it was read with
    health: Health
    backends: list[Backend]
    totals: dict[str, float]  # metric name → total of its samples
    taken_at: float  # epoch seconds, when the last figure arrived

    def counter(self, name: str) -> int:
        """A counter's total as a whole number (0 when the FE does not report it)."""
        return int(self.totals.get(name, 0))


class DashboardService:
    """The dashboard's figures of one StarRocks cluster profile."""

    def __init__(self, session: ConsoleSession, profile: Profile) -> None:
        self.session = session
        self.profile = profile

    async def snapshot(self) -> DashboardSnapshot:
        """Health, backends and counters, read one after the other; any failure raises the client's
        error (the figures of an earlier snapshot are then stale, which is for the caller to say)."""
        client = await self.session.starrocks(self.profile)
        health = Health.from_answer(await client.health())
        backends = [Backend.from_record(r) for r in await client.records("show backends")]
        counted = totals(await client.metrics())
        return DashboardSnapshot(self.profile, health, backends, counted, time.time())
