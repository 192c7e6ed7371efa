"""The cluster's nodes as its latest reading lists them: FEs (leader, alive, version, journal lag,
last heartbeat), BEs (alive, disks, tablets, CPU and memory, compaction score, last heartbeat, error)
and every BE's storage paths. ``stale`` greys the alive badges: what they say may no longer be so."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ....services.monitoring import BeNode, FeNode
from ....services.monitoring.alerts import num
from ...models.table import Column, RecordTableModel
from ...widgets.badge import status_color

GIB = float(1 << 30)


def pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f} %"


def gib(value: float | None) -> str:
    return "" if value is None else f"{value / GIB:,.1f} GB"


def plain(value: float | int | None) -> str:
    return "" if value is None else num(float(value))


class _Stale:
    stale = False

    def alive_badge(self, alive: bool) -> Any:
        return status_color("unknown" if self.stale else "normal" if alive else "failed")


class BackendsModel(_Stale, RecordTableModel[BeNode]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            [
                Column[BeNode]("ID", lambda b: b.id),
                Column[BeNode]("Backend", lambda b: b.address),
                Column[BeNode](
                    "Alive",
                    lambda b: "alive" if b.alive else "down",
                    badge=lambda b: self.alive_badge(b.alive),
                ),
                Column[BeNode]("Disk used", lambda b: pct(b.disk_pct), sort=lambda b: b.disk_pct or 0,
                               align_right=True),
                Column[BeNode](
                    "Used / total",
                    lambda b: f"{gib(_used(b))} / {gib(b.total_bytes)}" if b.total_bytes else "",
                    sort=lambda b: _used(b) or 0,
                ),
                Column[BeNode]("Tablets", lambda b: plain(b.tablets), sort=lambda b: b.tablets or 0,
                               align_right=True),
                Column[BeNode]("CPU", lambda b: pct(b.cpu_pct if b.alive else None), align_right=True,
                               sort=lambda b: b.cpu_pct or 0),
                Column[BeNode]("Memory", lambda b: pct(b.mem_pct if b.alive else None), align_right=True,
                               sort=lambda b: b.mem_pct or 0),
                Column[BeNode]("Compaction", lambda b: plain(b.compaction_score), align_right=True,
                               sort=lambda b: b.compaction_score or 0),
                Column[BeNode]("Version", lambda b: b.version),
                Column[BeNode]("Last heartbeat", lambda b: b.last_heartbeat),
                Column[BeNode]("Error", lambda b: b.error or b.metrics_error),
            ],
            key=lambda b: b.key,
            parent=parent,
        )  # fmt: skip

    def set_stale(self, stale: bool) -> None:
        self.stale = stale
        self.set_rows(self.rows)


def _used(b: BeNode) -> float | None:
    if b.total_bytes is not None and b.avail_bytes is not None:
        return b.total_bytes - b.avail_bytes
    return b.data_used_bytes


class FrontendsModel(_Stale, RecordTableModel[FeNode]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            [
                Column[FeNode]("Frontend", lambda f: f.address),
                Column[FeNode]("Role", lambda f: "LEADER" if f.leader else f.role),
                Column[FeNode](
                    "Alive",
                    lambda f: "alive" if f.alive else "down",
                    badge=lambda f: self.alive_badge(f.alive),
                ),
                Column[FeNode]("Version", lambda f: f.version),
                Column[FeNode]("Journal id", lambda f: plain(f.journal_id), align_right=True),
                Column[FeNode]("Journal lag", lambda f: plain(f.journal_lag), align_right=True,
                               sort=lambda f: f.journal_lag or 0),
                Column[FeNode]("JVM heap", lambda f: pct(f.heap_pct), align_right=True,
                               sort=lambda f: f.heap_pct or 0),
                Column[FeNode]("Last heartbeat", lambda f: f.last_heartbeat),
                Column[FeNode]("Error", lambda f: f.error or f.metrics_error),
            ],
            key=lambda f: f.key,
            parent=parent,
        )  # fmt: skip

    def set_stale(self, stale: bool) -> None:
        self.stale = stale
        self.set_rows(self.rows)


@dataclass(frozen=True)
class DiskRow:
    be: str
    path: str
    used_pct: float | None
    used: float | None
    total: float | None
    data: float | None

    @property
    def key(self) -> str:
        return f"{self.be}:{self.path}"


def disk_rows(backends: list[BeNode]) -> list[DiskRow]:
    out = []
    for b in backends:
        for d in b.disks:
            used = (
                d.total_bytes - d.avail_bytes
                if d.total_bytes is not None and d.avail_bytes is not None
                else None
            )
            out.append(DiskRow(b.address, d.path, d.used_pct, used, d.total_bytes, d.data_used_bytes))
    return out


class DisksModel(RecordTableModel[DiskRow]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            [
                Column[DiskRow]("Backend", lambda d: d.be),
                Column[DiskRow]("Path", lambda d: d.path),
                Column[DiskRow]("Used", lambda d: pct(d.used_pct), align_right=True,
                                sort=lambda d: d.used_pct or 0),
                Column[DiskRow]("Used / total", lambda d: f"{gib(d.used)} / {gib(d.total)}",
                                sort=lambda d: d.used or 0),
                Column[DiskRow]("StarRocks data", lambda d: gib(d.data), align_right=True,
                                sort=lambda d: d.data or 0),
            ],
            key=lambda d: d.key,
            parent=parent,
        )  # fmt: skip
