"""Figures of the emulated FE and BE processes that a real cluster reads from its JVM and from
``/proc`` (heap, GC, threads, CPU, memory, disk I/O, network, file descriptors) and the storage
engine's background work (compaction, tablet reports), made to move plausibly: counters only grow
(until the node restarts), gauges wander within bounds, and both follow the work the sandbox does
(queries, loads, publishes) on top of a quiet baseline.

Everything moves with the sandbox's clock, in steps: ``tick(now)`` carries a node forward from its
last tick, so moving the clock an hour ahead moves the counters by an hour's worth at once. The
random parts come from a generator seeded per node, so two runs that do the same work in the same
steps show the same figures.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

GIB = 1024**3
MIB = 1024**2
JIFFIES_PER_SECOND = 100  # USER_HZ: the unit of /proc/stat, which the BE's cpu{mode} counters copy
CPU_MODES = ("user", "nice", "system", "idle", "iowait", "irq", "soft_irq", "steal", "guest", "guest_nice")

# The FE's JVM as StarRocks' fe.conf starts it: -Xmx8192m with G1.
FE_HEAP_MAX = 8 * GIB
FE_YOUNG_COMMITTED = 1 * GIB
FE_OLD_COMMITTED_START = 2 * GIB
FE_ALLOC_PER_SECOND = 12 * MIB  # background allocation of an idle leader (heartbeats, daemons)
FE_ALLOC_PER_QUERY = 4 * MIB
FE_ALLOC_PER_LOAD_OP = 2 * MIB
FE_PROMOTED = 0.02  # share of a young collection that survives into the old generation


def wave(t: float, period: float, phase: float) -> float:
    """-1..1, slowly."""
    return math.sin(2 * math.pi * t / period + phase)


@dataclass
class FeVitals:
    seed: int
    start_s: float
    last_s: float = 0.0
    young_used: float = 0.0
    old_used: float = 600 * MIB
    old_committed: float = FE_OLD_COMMITTED_START
    young_gc_count: int = 0
    young_gc_ms: int = 0
    old_gc_count: int = 0
    old_gc_ms: int = 0
    peak_threads: int = 0
    pending_alloc: float = 0.0
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.last_s = self.start_s
        self.young_used = 100 * MIB

    def work(self, queries: int = 0, load_ops: int = 0) -> None:
        self.pending_alloc += queries * FE_ALLOC_PER_QUERY + load_ops * FE_ALLOC_PER_LOAD_OP

    def tick(self, now_s: float) -> None:
        dt = now_s - self.last_s
        if dt <= 0:
            return
        self.last_s = now_s
        alloc = FE_ALLOC_PER_SECOND * dt * (0.8 + 0.4 * self.rng.random()) + self.pending_alloc
        self.pending_alloc = 0.0
        self.young_used += alloc
        if self.young_used >= FE_YOUNG_COMMITTED:
            collections = int(self.young_used // FE_YOUNG_COMMITTED)
            self.young_gc_count += collections
            self.young_gc_ms += sum(self.rng.randint(4, 18) for _ in range(min(collections, 1000)))
            self.young_gc_ms += max(0, collections - 1000) * 10
            self.old_used += collections * FE_YOUNG_COMMITTED * FE_PROMOTED
            self.young_used = self.young_used % FE_YOUNG_COMMITTED
        # A mixed/old collection once the old generation reaches 70 % of what is committed: most
        # of what was promoted was garbage.
        if self.old_used >= 0.7 * self.old_committed:
            self.old_gc_count += 1
            self.old_gc_ms += self.rng.randint(40, 160)
            self.old_used = max(500 * MIB, self.old_used * 0.55)
            self.old_committed = min(FE_HEAP_MAX - FE_YOUNG_COMMITTED, self.old_committed * 1.1)

    def heap(self) -> dict[str, int]:
        used = int(self.young_used + self.old_used)
        committed = int(FE_YOUNG_COMMITTED + self.old_committed)
        return {"max": FE_HEAP_MAX, "committed": max(committed, used), "used": used}

    def non_heap(self, now_s: float) -> dict[str, int]:
        up = max(0.0, now_s - self.start_s)
        used = int(150 * MIB + 30 * MIB * (1 - math.exp(-up / 1800)) + 2 * MIB * wave(now_s, 600, 1.0))
        return {"committed": used + 24 * MIB, "used": used}

    def pools(self) -> dict[str, dict[str, int]]:
        young = int(self.young_used)
        old = int(self.old_used)
        return {
            # G1's eden has no maximum of its own (the JVM reports -1, JvmStats 0).
            "young": {
                "committed": FE_YOUNG_COMMITTED,
                "used": young,
                "peak_used": FE_YOUNG_COMMITTED,
                "max": 0,
            },
            "old": {
                "committed": int(self.old_committed),
                "used": old,
                "peak_used": int(max(old, 0.7 * self.old_committed)),
                "max": FE_HEAP_MAX,
            },
        }

    def threads(self, connections: int, now_s: float) -> tuple[int, int]:
        count = int(190 + connections + 6 * (1 + wave(now_s, 120, 0.3)))
        self.peak_threads = max(self.peak_threads, count)
        return count, self.peak_threads


@dataclass
class BeVitals:
    seed: int
    start_s: float
    cores: int
    last_s: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    # work done since the last tick, in the units each figure needs
    pending_cpu_s: float = 0.0
    pending_read: float = 0.0
    pending_write: float = 0.0
    pending_net_in: float = 0.0
    pending_net_out: float = 0.0
    last_busy: float = 0.0
    last_io_busy: float = 0.0
    last_write_rate: float = 0.0
    last_scan_rate: float = 0.0
    last_net_in_rate: float = 0.0
    last_net_out_rate: float = 0.0
    load_mem: float = 0.0
    query_mem: float = 0.0
    disk: dict[str, float] = field(default_factory=dict)
    net: dict[str, float] = field(default_factory=dict)
    # storage engine
    cumulative_score: int = 1
    base_score: int = 1
    pending_versions: int = 0
    pending_version_bytes: float = 0.0
    cumulative_since_base: int = 0
    last_cumulative_s: float = 0.0
    last_base_s: float = 0.0
    counters: dict[str, float] = field(default_factory=dict)
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.last_s = self.last_cumulative_s = self.last_base_s = self.start_s
        # /proc/stat counts from the host's boot, not the BE's start.
        boot = 3 * 86400 + self.seed % 86400
        total = boot * JIFFIES_PER_SECOND * self.cores
        self.cpu = {m: 0.0 for m in CPU_MODES}
        self.cpu.update(user=total * 0.04, system=total * 0.012, iowait=total * 0.002, irq=0.0,
                        soft_irq=total * 0.001, idle=total * 0.945)  # fmt: skip
        self.disk = {
            "reads_completed": 2.1e6, "bytes_read": 61.0 * GIB, "read_time_ms": 1.3e6,
            "writes_completed": 4.7e6, "bytes_written": 142.0 * GIB, "write_time_ms": 3.9e6,
            "io_time_ms": 2.2e6, "io_time_weigthed": 5.6e6,
        }  # fmt: skip
        self.net = {"receive_bytes": 38.0 * GIB, "receive_packets": 3.1e7, "send_bytes": 29.0 * GIB,
                    "send_packets": 2.6e7}  # fmt: skip

    # -- work the BE does --------------------------------------------------------------------------
    def scanned(self, rows: int, nbytes: int, returned_bytes: int = 0) -> None:
        self.pending_cpu_s += rows * 2e-6 + 0.004
        self.pending_read += nbytes * 0.3  # the rest comes from the page cache
        self.pending_net_out += returned_bytes + 2048
        self.count("query_scan_rows", rows)
        self.count("query_scan_bytes", nbytes)
        self.count("fragment_requests_total", 1)
        self.query_mem += 8 * MIB + nbytes * 0.5

    def received(self, nbytes: int) -> None:
        self.pending_cpu_s += nbytes * 60e-9 + 0.002
        self.pending_net_in += nbytes
        self.load_mem += nbytes * 1.5 + 4 * MIB

    def written(self, nbytes: int, versions: int) -> None:
        """A transaction published on this BE: ``versions`` new rowsets (one per tablet replica)."""
        self.pending_cpu_s += nbytes * 40e-9 + 0.001 * versions
        self.pending_write += nbytes * 1.3 + versions * 64 * 1024  # segment files and metadata
        self.pending_versions += versions
        self.pending_version_bytes += nbytes
        self.cumulative_score += versions
        self.count("engine_requests_total|publish|total", 1)

    def count(self, name: str, amount: float) -> None:
        self.counters[name] = self.counters.get(name, 0.0) + amount

    def counter(self, name: str) -> int:
        return int(self.counters.get(name, 0.0))

    # -- time -----------------------------------------------------------------------------------
    def tick(self, now_s: float) -> None:
        dt = now_s - self.last_s
        if dt <= 0:
            return
        self.last_s = now_s
        capacity = self.cores * dt
        busy_s = min(capacity * 0.95, capacity * (0.025 + 0.01 * self.rng.random()) + self.pending_cpu_s)
        self.last_busy = busy_s / capacity
        io_s = min(dt, dt * 0.004 + self.pending_write / (180 * MIB) + self.pending_read / (400 * MIB))
        self.last_io_busy = io_s / dt
        jiffies = capacity * JIFFIES_PER_SECOND
        busy_j = busy_s * JIFFIES_PER_SECOND
        iowait_j = min(jiffies - busy_j, io_s * JIFFIES_PER_SECOND * 0.3)
        self.cpu["user"] += busy_j * 0.72
        self.cpu["system"] += busy_j * 0.22
        self.cpu["soft_irq"] += busy_j * 0.04
        self.cpu["irq"] += busy_j * 0.02
        self.cpu["iowait"] += iowait_j
        self.cpu["idle"] += max(0.0, jiffies - busy_j - iowait_j)
        reads = self.pending_read / (64 * 1024) + dt * 3
        writes = self.pending_write / (128 * 1024) + dt * 9
        for key, value in (
            ("reads_completed", reads),
            ("bytes_read", self.pending_read + dt * 40 * 1024),
            ("read_time_ms", reads * 0.4),
            ("writes_completed", writes),
            ("bytes_written", self.pending_write + dt * 300 * 1024),
            ("write_time_ms", writes * 0.9),
            ("io_time_ms", io_s * 1000),
            ("io_time_weigthed", io_s * 1000 * 2.4),
        ):
            self.disk[key] += value
        net_in = self.pending_net_in + dt * 24 * 1024
        net_out = self.pending_net_out + dt * 18 * 1024
        self.net["receive_bytes"] += net_in
        self.net["receive_packets"] += net_in / 1200
        self.net["send_bytes"] += net_out
        self.net["send_packets"] += net_out / 1100
        self.last_write_rate = self.pending_write / dt
        self.last_scan_rate = self.pending_read / 0.3 / dt
        self.last_net_in_rate, self.last_net_out_rate = net_in / dt, net_out / dt
        self.pending_cpu_s = self.pending_read = self.pending_write = 0.0
        self.pending_net_in = self.pending_net_out = 0.0
        # Memory held by loads and queries is released within seconds.
        decay = math.exp(-dt / 5)
        self.load_mem *= decay
        self.query_mem *= decay
        self._background(now_s)

    def _background(self, now_s: float) -> None:
        """The storage engine's own schedule: cumulative compaction every 10 s once a tablet has
        enough new versions, base compaction every few cumulative ones, reports to the FE."""
        if now_s - self.last_cumulative_s >= 10:
            rounds = int((now_s - self.last_cumulative_s) // 10)
            self.last_cumulative_s += rounds * 10
            if self.cumulative_score >= 5:
                self.count("engine_requests_total|cumulative_compaction|total", 1)
                self.count("compaction_deltas_total|cumulative", self.pending_versions)
                self.count("compaction_bytes_total|cumulative", self.pending_version_bytes)
                self.pending_write += self.pending_version_bytes
                self.pending_versions = 0
                self.pending_version_bytes = 0.0
                self.cumulative_score = 1
                self.cumulative_since_base += 1
                self.base_score = min(50, self.base_score + 1)
        if self.base_score >= 5 and now_s - self.last_base_s >= 60:
            self.last_base_s = now_s
            self.count("engine_requests_total|base_compaction|total", 1)
            self.count("compaction_deltas_total|base", self.cumulative_since_base + 1)
            self.count("compaction_bytes_total|base", self.cumulative_since_base * 4 * MIB)
            self.cumulative_since_base = 0
            self.base_score = 1

    def reports(self, now_s: float) -> dict[str, int]:
        """Requests the BE's agent sends on its own schedule (report_task every 10 s, tablets and
        disks every 60 s), counted from the BE's start."""
        up = max(0.0, now_s - self.start_s)
        return {
            "report_task": int(up // 10) + 1,
            "report_disk": int(up // 60) + 1,
            "report_tablet": int(up // 60) + 1,
            "report_all_tablets": int(up // 60) + 1,
        }

    def process_mem(self, now_s: float) -> int:
        base = 1.4 * GIB + 0.12 * GIB * wave(now_s, 900, self.seed % 7)
        return int(base + 0.03 * GIB * self.rng.random() + self.load_mem + self.query_mem)

    def threads(self, now_s: float) -> int:
        return int(640 + 12 * wave(now_s, 240, 0.7) + self.last_busy * 60)

    def fds(self, now_s: float) -> int:
        return int(420 + 30 * (1 + wave(now_s, 300, 1.9)) + self.last_busy * 200)


@dataclass
class Workload:
    """A steady stream of queries the sandbox pretends clients send, so that a dashboard on a fresh
    sandbox shows life: ``qps`` queries a second, ``error_rate`` of them failing, latencies with
    ``p99_ms`` as their 99th percentile (log-normal, as query latencies tend to be)."""

    qps: float
    error_rate: float
    p99_ms: float
    seed: int = 7
    last_s: float = 0.0
    carry: float = 0.0
    error_carry: float = 0.0
    rng: random.Random = field(init=False)

    SIGMA = 0.7  # spread of log(latency)
    Z99 = 2.326

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def describe(self) -> dict[str, float]:
        return {"qps": self.qps, "error_rate": self.error_rate, "p99_ms": self.p99_ms}

    def step(self, now_s: float) -> tuple[int, int]:
        """Queries and errors due since the last step."""
        dt = now_s - self.last_s
        self.last_s = max(self.last_s, now_s)
        if dt <= 0 or self.qps <= 0:
            return 0, 0
        due = self.qps * dt + self.carry
        n = int(due)
        self.carry = due - n
        wrong = n * self.error_rate + self.error_carry
        errors = int(wrong)
        self.error_carry = wrong - errors
        return n, min(errors, n)

    def latency_ms(self) -> float:
        median = self.p99_ms / math.exp(self.Z99 * self.SIGMA)
        return max(0.1, self.rng.lognormvariate(math.log(max(median, 0.01)), self.SIGMA))
