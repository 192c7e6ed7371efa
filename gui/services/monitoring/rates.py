"""Rates from counters, and the figures a reading gives (what the charts plot and the rules test).

A counter only grows while its node runs; a restarted node starts again from 0. So the increase of
a counter between two readings of one node is ``now − before``, unless the node restarted (its start
time changed) or the counter went down: then it is ``now`` — what the node counted since it came
back (Prometheus' ``rate()`` treats a reset the same way). Each node is reckoned over its own
interval (a node missed for a while is reckoned from its last reading) and the cluster's rate is the
sum of its nodes' rates.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from . import names as n
from .sample import ClusterSample


@dataclass
class Step:
    """What changed since the previous reading of each node."""

    at: float
    increases: dict[str, dict[str, float]] = field(default_factory=dict)  # node → counter → increase
    intervals: dict[str, float] = field(default_factory=dict)  # node → seconds since its last reading
    resets: list[str] = field(default_factory=list)  # nodes whose counters started again

    def rate(self, counter: str) -> float | None:
        """Per second, summed over the nodes that have the counter; None when none does."""
        found = [
            inc[counter] / self.intervals[node]
            for node, inc in self.increases.items()
            if counter in inc and self.intervals[node] > 0
        ]
        return sum(found) if found else None

    def total(self, counter: str) -> float | None:
        found = [inc[counter] for inc in self.increases.values() if counter in inc]
        return sum(found) if found else None


class Rates:
    """Keeps each node's last counters, and the increases of the last ``keep`` seconds for rules
    that look over a window (failed queries in a minute, aborted transactions in five)."""

    def __init__(self, keep: float = 300.0, forget_after: float = 3600.0) -> None:
        self.keep = keep
        self.forget_after = forget_after
        self._last: dict[str, tuple[float, str, dict[str, float]]] = {}
        self._recent: deque[tuple[float, float, dict[str, float]]] = deque()

    def update(self, sample: ClusterSample) -> Step:
        t = sample.taken_at
        step = Step(t)
        if not sample.reachable:
            return step
        for node, counters in sample.counters.items():
            start = sample.starts.get(node, "")
            before = self._last.get(node)
            self._last[node] = (t, start, dict(counters))
            if before is None or t <= before[0]:
                continue
            then, start_then, old = before
            restarted = bool(start and start_then and start != start_then)
            if restarted or any(v < old[c] for c, v in counters.items() if c in old):
                step.resets.append(node)
                restarted = True
            step.increases[node] = {
                c: (v if restarted else v - old[c]) for c, v in counters.items() if c in old
            }
            step.intervals[node] = t - then
        for node in [k for k, (seen, _s, _c) in self._last.items() if t - seen > self.forget_after]:
            del self._last[node]
        totals: dict[str, float] = {}
        for inc in step.increases.values():
            for c, v in inc.items():
                totals[c] = totals.get(c, 0.0) + v
        if step.intervals:
            self._recent.append((t, max(step.intervals.values()), totals))
        while self._recent and t - self._recent[0][0] > self.keep:
            self._recent.popleft()
        return step

    def increase(self, counter: str, seconds: float, now: float | None = None) -> tuple[float, float] | None:
        """(increase, seconds covered) of a counter over about the last ``seconds``; None before
        two readings."""
        now = time.time() if now is None else now
        inc = covered = 0.0
        seen = False
        for t, dt, totals in self._recent:
            if t <= now - seconds:
                continue
            covered += dt
            if counter in totals:
                inc += totals[counter]
                seen = True
        return (inc, covered) if seen and covered > 0 else None


def figures(sample: ClusterSample, step: Step | None) -> dict[str, float]:
    """The series of one reading, by name: cluster figures, then ``be:<id>:…`` and ``fe:<name>:…``.
    A figure the cluster did not give is left out (a gap in its chart), never written as 0."""
    if not sample.reachable:
        return {}
    g = sample.gauges
    out: dict[str, float] = {}

    def put(name: str, value: float | None) -> None:
        if value is not None:
            out[name] = float(value)

    rate = step.rate if step is not None else (lambda _c: None)
    put("qps", rate(n.FE_QUERY_TOTAL) if rate(n.FE_QUERY_TOTAL) is not None else g.get("qps_fe"))
    err = rate(n.FE_QUERY_ERR)
    put("query_err_per_s", err if err is not None else g.get("query_err_rate_fe"))
    if step is not None:
        total, failed = step.total(n.FE_QUERY_TOTAL), step.total(n.FE_QUERY_ERR)
        if total and failed is not None:
            put("query_err_pct", failed * 100.0 / total)
    put("query_p50_ms", g.get("query_p50_ms"))
    put("query_p95_ms", g.get("query_p95_ms", g.get("query_p95_ms_all")))
    put("query_p99_ms", g.get("query_p99_ms", g.get("query_p99_ms_all")))
    put("load_rows_per_s", rate(n.BE_LOAD_ROWS))
    put("load_bytes_per_s", rate(n.BE_LOAD_BYTES))
    for counter, name in (
        (n.FE_TXN_BEGIN, "txn_begun_per_min"),
        (n.FE_TXN_SUCCESS, "txn_committed_per_min"),
        (n.FE_TXN_FAILED, "txn_aborted_per_min"),
    ):
        per_s = rate(counter)
        put(name, per_s * 60 if per_s is not None else None)
    be_alive, be_total = sample.backend_counts()
    fe_alive, fe_total = sample.frontend_counts()
    put("be_alive", be_alive)
    put("be_total", be_total)
    put("fe_alive", fe_alive)
    put("fe_total", fe_total)
    put("compaction_score", g.get("compaction_score"))
    for be in sample.backends or []:
        if step is not None:
            inc = step.increases.get(f"be:{be.key}", {})
            busy_all = inc.get(n.CPU_ALL)
            if busy_all and n.CPU_IDLE in inc:
                # The BE's own counters are newer than the FE's figure from its last report.
                be.cpu_pct = max(0.0, min(100.0, (1 - inc[n.CPU_IDLE] / busy_all) * 100))
        prefix = f"be:{be.key}:"
        put(prefix + "cpu_pct", be.cpu_pct if be.alive else None)
        put(prefix + "mem_pct", be.mem_pct if be.alive else None)
        put(prefix + "disk_pct", be.disk_pct)
        put(prefix + "compaction_score", be.compaction_score)
    for fe in sample.frontends or []:
        put(f"fe:{fe.key}:heap_pct", fe.heap_pct)
        put(f"fe:{fe.key}:journal_lag", fe.journal_lag)
    return out
