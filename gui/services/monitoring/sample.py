"""One reading of a StarRocks cluster: its nodes as the FE lists them, the figures each node's
``/metrics`` gives, and the raw counters rates are computed from. Every figure is the cluster's own;
a figure the cluster did not give is None, never 0."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class DiskPath:
    """One storage root of a BE (``starrocks_be_disks_*{path=...}``)."""

    path: str
    total_bytes: float | None = None
    avail_bytes: float | None = None
    data_used_bytes: float | None = None

    @property
    def used_pct(self) -> float | None:
        """Used share of the disk, whatever uses it — as StarRocks' documented disk rule and SHOW
        BACKENDS' UsedPct count it: (total − available) / total."""
        if not self.total_bytes or self.avail_bytes is None:
            return None
        return (self.total_bytes - self.avail_bytes) * 100.0 / self.total_bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "total_bytes": self.total_bytes,
            "avail_bytes": self.avail_bytes,
            "data_used_bytes": self.data_used_bytes,
            "used_pct": _round(self.used_pct),
        }


@dataclass
class FeNode:
    """One row of SHOW FRONTENDS, with what the FE's own ``/metrics`` adds."""

    name: str
    host: str
    http_port: str
    edit_log_port: str = ""
    role: str = ""  # LEADER, FOLLOWER, OBSERVER
    alive: bool = False
    version: str = ""
    journal_id: int | None = None  # ReplayedJournalId
    journal_lag: int | None = None  # behind the highest ReplayedJournalId of the list
    last_heartbeat: str = ""  # the FE's own time string
    start_time: str = ""
    error: str = ""  # ErrMsg
    heap_used: float | None = None
    heap_max: float | None = None
    metrics_error: str = ""  # why its /metrics could not be read

    @property
    def key(self) -> str:
        return self.name or f"{self.host}:{self.edit_log_port}"

    @property
    def address(self) -> str:
        """How StarRocks names an FE in its messages: host and edit log port."""
        return f"{self.host}:{self.edit_log_port}" if self.edit_log_port else self.host

    @property
    def leader(self) -> bool:
        return self.role.upper() in ("LEADER", "MASTER")

    @property
    def heap_pct(self) -> float | None:
        if self.heap_used is None or not self.heap_max or self.heap_max <= 0:
            return None
        return self.heap_used * 100.0 / self.heap_max

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "host": self.host,
            "http_port": self.http_port,
            "role": self.role,
            "leader": self.leader,
            "alive": self.alive,
            "version": self.version,
            "journal_id": self.journal_id,
            "journal_lag": self.journal_lag,
            "last_heartbeat": self.last_heartbeat or None,
            "error": self.error or None,
            "heap_used_pct": _round(self.heap_pct),
            "metrics_error": self.metrics_error or None,
        }


@dataclass
class BeNode:
    """One row of SHOW BACKENDS, with what the BE's own ``/metrics`` adds."""

    id: str
    host: str
    heartbeat_port: str = ""
    http_port: str = ""
    alive: bool = False
    decommissioned: bool = False
    version: str = ""
    tablets: int | None = None
    data_used_bytes: float | None = None
    avail_bytes: float | None = None
    total_bytes: float | None = None
    used_pct: float | None = None  # UsedPct: (total − available) / total of all its disks
    max_disk_used_pct: float | None = None  # MaxDiskUsedPct: its fullest disk
    cpu_pct: float | None = None  # CpuUsedPct as the FE last heard it
    mem_pct: float | None = None  # MemUsedPct: process memory of its limit
    last_heartbeat: str = ""
    last_start: str = ""
    error: str = ""  # ErrMsg (the heartbeat's failure)
    disks: list[DiskPath] = field(default_factory=list)
    compaction_score: float | None = None
    process_mem_bytes: float | None = None
    metrics_error: str = ""

    @property
    def key(self) -> str:
        return self.id or self.address

    @property
    def address(self) -> str:
        """How StarRocks names a BE in its messages: host and heartbeat port."""
        return f"{self.host}:{self.heartbeat_port}" if self.heartbeat_port else self.host

    @property
    def disk_pct(self) -> float | None:
        """The fullest disk: from its paths when the BE gave them, else the FE's MaxDiskUsedPct."""
        shares = [d.used_pct for d in self.disks if d.used_pct is not None]
        if shares:
            return max(shares)
        return self.max_disk_used_pct if self.max_disk_used_pct is not None else self.used_pct

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "host": self.host,
            "heartbeat_port": self.heartbeat_port,
            "http_port": self.http_port,
            "alive": self.alive,
            "decommissioned": self.decommissioned,
            "version": self.version,
            "tablets": self.tablets,
            "disk_used_bytes": self.data_used_bytes,
            "disk_avail_bytes": self.avail_bytes,
            "disk_total_bytes": self.total_bytes,
            "disk_used_pct": _round(self.used_pct),
            "disks": [d.to_json() for d in self.disks],
            "cpu_pct": _round(self.cpu_pct),
            "mem_pct": _round(self.mem_pct),
            "compaction_score": self.compaction_score,
            "last_heartbeat": self.last_heartbeat or None,
            "error": self.error or None,
            "metrics_error": self.metrics_error or None,
        }


@dataclass
class ClusterSample:
    """A reading at ``taken_at`` (epoch seconds, this machine's clock).

    ``reachable`` False: nothing of the cluster could be read (``error`` says why) and every other
    field is empty. ``frontends``/``backends`` None: the list could not be read (``notes`` says
    why), which is not the same as an empty list."""

    taken_at: float
    reachable: bool = True
    error: str = ""
    refused: bool = False  # the cluster answered but would not let this user read it (HTTP 401)
    health: dict[str, Any] = field(default_factory=dict)
    frontends: list[FeNode] | None = None
    backends: list[BeNode] | None = None
    # Cluster figures read as they are (gauges): name → value.
    gauges: dict[str, float] = field(default_factory=dict)
    # Raw counters per node ("fe:<name>", "be:<id>") for rates, and each node's start time, so that
    # a restart is seen even when the counter has already passed its old value.
    counters: dict[str, dict[str, float]] = field(default_factory=dict)
    starts: dict[str, str] = field(default_factory=dict)
    running_txns: dict[str, int] | None = None  # database → running transactions
    notes: list[str] = field(default_factory=list)

    @classmethod
    def unreadable(cls, taken_at: float, error: str, *, refused: bool = False) -> ClusterSample:
        return cls(taken_at, reachable=False, error=error, refused=refused)

    def backend_counts(self) -> tuple[int | None, int | None]:
        """(alive, total) BEs: from SHOW BACKENDS, else the FE's node_info, else /api/health."""
        if self.backends is not None:
            return sum(1 for b in self.backends if b.alive), len(self.backends)
        alive, total = self.gauges.get("be_alive"), self.gauges.get("be_total")
        if alive is not None and total is not None:
            return int(alive), int(total)
        h_alive, h_total = self.health.get("online_backend_num"), self.health.get("total_backend_num")
        if isinstance(h_alive, int) and isinstance(h_total, int):
            return h_alive, h_total
        return None, None

    def frontend_counts(self) -> tuple[int | None, int | None]:
        if self.frontends is not None:
            return sum(1 for f in self.frontends if f.alive), len(self.frontends)
        alive, total = self.gauges.get("fe_alive"), self.gauges.get("fe_total")
        if alive is not None and total is not None:
            return int(alive), int(total)
        return None, None


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)
