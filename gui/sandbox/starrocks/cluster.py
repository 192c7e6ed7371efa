"""The emulated cluster's nodes: one FE and ``--backends`` BEs, each BE with its own address, id,
ports, disks and metrics, and what the FE knows of each through its heartbeats.

How StarRocks' FE sees its BEs (HeartbeatMgr, Backend.handleHbResponse):
- the leader sends every node a heartbeat every 5 seconds (``heartbeat_interval_second``);
- a node that answers is alive; its ``LastHeartbeat`` is the time of that answer and its
  ``LastStartTime`` the start time the BE reports;
- a node that does not answer is still alive until ``heartbeat_retry_times`` (3) more heartbeats
  have failed; then it is dead and ``ErrMsg`` holds the failure as the Thrift client reports it,
  while ``LastHeartbeat`` stays at the last answer;
- when the FE finds a coordinator BE dead it aborts that BE's running transactions ("coordinate
  BE is down"), and when a BE comes back with a new start time, the ones begun before it
  ("coordinate BE restart").

Here the heartbeats fall on a fixed grid of the sandbox's clock (every 5 s from the sandbox's start),
so what SHOW BACKENDS, ``/api/health`` and ``node_info`` say is a function of the clock: moving it
(``POST /_sandbox/clock``) plays the heartbeats that fell due. On a fresh start the first heartbeat
is at once, so every BE is alive from the first request.

Disks follow the BE's DataDir and the FE's DiskInfo: capacity, space used by other files, space used
by data; a disk at or past ``storage_flood_stage_usage_percent`` (95 %) with at most
``storage_flood_stage_left_capacity_bytes`` (100 GB) left refuses loads to the tablets it holds.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..engine import TableDef
from ..metrics import Metrics
from .vitals import BeVitals

HEARTBEAT_INTERVAL_MS = 5000  # FeConstants.heartbeat_interval_second
HEARTBEAT_RETRY_TIMES = 3  # Config.heartbeat_retry_times
# What the FE's Thrift client writes when a BE's heartbeat port refuses the connection
# (TTransportException wrapping java.net.ConnectException).
HEARTBEAT_REFUSED = "java.net.ConnectException: Connection refused (Connection refused)"

FLOOD_STAGE_USAGE_PERCENT = 95  # storage_flood_stage_usage_percent
FLOOD_STAGE_LEFT_CAPACITY_BYTES = 100 * 1024**3  # storage_flood_stage_left_capacity_bytes
DISK_TOTAL_BYTES = 1024**4  # every emulated disk: 1 TB as the FE prints it
# The disk's space used by files that are not StarRocks data (the system, logs) on a fresh sandbox.
DISK_OTHER_USED_BYTES = 37 * 1024**3

BE_FIRST_ID = 10001
# The ports each BE reports; the sandbox runs every BE on one host, so BE i reports these plus
# i * PORT_STEP, as distinct BEs on one host must.
BE_HEARTBEAT_PORT = 9050
BE_PORT = 9060
BE_BRPC_PORT = 8060
PORT_STEP = 100
MAX_BACKENDS = 64
CPU_CORES = 8
MEM_LIMIT_BYTES = 28 * 1024**3  # the BE's mem_limit: 90 % of a 32 GB host, less the page cache


def path_hash(host: str, heartbeat_port: int, path: str) -> int:
    """A stable signed 64-bit number naming a disk, as the BE's path_hash does (the FE prints it in
    "disk <hash> on backend <id> exceed limit usage")."""
    digest = hashlib.sha256(f"{host}:{heartbeat_port}{path}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@dataclass
class Disk:
    path: str
    path_hash: int
    total: int = DISK_TOTAL_BYTES
    other_used: int = DISK_OTHER_USED_BYTES
    data_used: int = 0

    @property
    def avail(self) -> int:
        return max(0, self.total - self.other_used - self.data_used)

    @property
    def used_fraction(self) -> float:
        return (self.total - self.avail) / self.total if self.total > 0 else 0.0

    def exceeds_flood_stage(self) -> bool:
        """DiskInfo.exceedLimit(floodStage=true): the check the FE makes before it plans a load."""
        return (
            self.used_fraction * 100 >= FLOOD_STAGE_USAGE_PERCENT
            and self.avail <= FLOOD_STAGE_LEFT_CAPACITY_BYTES
        )

    def fill_to(self, percent: float) -> None:
        """Make the disk ``percent`` used, by files other than StarRocks' data (the data stays)."""
        target = int(self.total * percent / 100)
        self.other_used = max(0, min(self.total - self.data_used, target - self.data_used))


@dataclass
class HeartbeatView:
    """What the FE knows of a node at the last change of the node's process."""

    alive: bool
    last_ok_ms: int
    err_msg: str = ""
    last_start_ms: int = 0


@dataclass
class Backend:
    index: int
    id: int
    host: str
    http_port: int  # the port the BE listens on (0 until bound)
    advertised: str  # host:port the FE writes in its redirects and SHOW BACKENDS
    heartbeat_port: int
    be_port: int
    brpc_port: int
    disks: list[Disk]
    metrics: Metrics = field(default_factory=Metrics)
    running: bool = True
    # ALTER SYSTEM DECOMMISSION BACKEND: no new loads go to it.
    decommissioned: bool = False
    start_ms: int = 0  # when this BE process started (LastStartTime)
    changed_ms: int = 0  # when it last stopped or started
    view: HeartbeatView = field(default_factory=lambda: HeartbeatView(True, 0))
    vitals: BeVitals = field(init=False)

    def __post_init__(self) -> None:
        self.vitals = BeVitals(seed=self.id, start_s=self.start_ms / 1000, cores=CPU_CORES)

    @property
    def url(self) -> str:
        return f"http://{self.host_for_url}:{self.http_port}"

    @property
    def host_for_url(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def advertised_host(self) -> str:
        return self.advertised.rsplit(":", 1)[0].strip("[]")

    @property
    def advertised_port(self) -> int:
        try:
            return int(self.advertised.rsplit(":", 1)[1])
        except (IndexError, ValueError):
            return self.http_port

    @property
    def name(self) -> str:
        """host:heartbeat_port, how the FE's metrics name a backend."""
        return f"{self.advertised_host}:{self.heartbeat_port}"

    def data_used(self) -> int:
        return sum(d.data_used for d in self.disks)

    def avail(self) -> int:
        return sum(d.avail for d in self.disks)

    def total(self) -> int:
        return sum(d.total for d in self.disks)

    def max_disk_used_fraction(self) -> float:
        return max((d.used_fraction for d in self.disks), default=0.0)


def heartbeats_between(after_ms: int, upto_ms: int, origin_ms: int) -> int:
    """How many heartbeats fall in (after_ms, upto_ms] on the grid origin + k * interval."""
    if upto_ms <= after_ms:
        return 0

    def count_upto(t: int) -> int:  # heartbeats at or before t (k >= 0)
        return 0 if t < origin_ms else (t - origin_ms) // HEARTBEAT_INTERVAL_MS + 1

    return count_upto(upto_ms) - count_upto(after_ms)


def first_heartbeat_at_or_after(t_ms: int, origin_ms: int) -> int:
    if t_ms <= origin_ms:
        return origin_ms
    k = -(-(t_ms - origin_ms) // HEARTBEAT_INTERVAL_MS)
    return origin_ms + k * HEARTBEAT_INTERVAL_MS


def last_heartbeat_at_or_before(t_ms: int, origin_ms: int) -> int:
    if t_ms < origin_ms:
        return 0
    return origin_ms + (t_ms - origin_ms) // HEARTBEAT_INTERVAL_MS * HEARTBEAT_INTERVAL_MS


@dataclass
class NodeState:
    alive: bool
    last_heartbeat_ms: int
    err_msg: str
    last_start_ms: int  # the start time the BE reported in its last answered heartbeat


class Cluster:
    """The FE's view of the cluster, and the BEs' own state. Thread-safe: requests read it from the
    event loop and from worker threads."""

    def __init__(self, host: str, count: int, now_ms: int, data_paths: list[str]) -> None:
        if not 1 <= count <= MAX_BACKENDS:
            raise ValueError(f"the number of backends must be from 1 to {MAX_BACKENDS}")
        self.lock = threading.RLock()
        self.origin_ms = now_ms  # the heartbeat grid
        self.fe_running = True
        self.fe_start_ms = now_ms
        self.backends: list[Backend] = []
        for i in range(count):
            hb = BE_HEARTBEAT_PORT + i * PORT_STEP
            path = data_paths[i]
            self.backends.append(
                Backend(
                    index=i,
                    id=BE_FIRST_ID + i,
                    host=host,
                    http_port=0,
                    advertised="",
                    heartbeat_port=hb,
                    be_port=BE_PORT + i * PORT_STEP,
                    brpc_port=BE_BRPC_PORT + i * PORT_STEP,
                    disks=[Disk(path, path_hash(host, hb, path))],
                    start_ms=now_ms,
                    changed_ms=now_ms,
                    view=HeartbeatView(True, now_ms, "", now_ms),
                )
            )
        self._next = 0
        # TransactionLoadAction's txnBackendMap: the BE a label's transaction began on (an LRU).
        self._txn_backend: OrderedDict[str, int] = OrderedDict()

    # -- lookups --------------------------------------------------------------------------------
    def backend(self, be_id: int) -> Backend | None:
        return next((b for b in self.backends if b.id == be_id), None)

    @property
    def first(self) -> Backend:
        return self.backends[0]

    # -- heartbeats -----------------------------------------------------------------------------
    def state(self, be: Backend, now_ms: int) -> NodeState:
        """Alive, LastHeartbeat and ErrMsg of a BE as the FE shows them at ``now_ms``."""
        with self.lock:
            view, since = be.view, be.changed_ms
            if be.running:
                ok = first_heartbeat_at_or_after(since, self.origin_ms)
                if ok <= now_ms:
                    last = last_heartbeat_at_or_before(now_ms, self.origin_ms)
                    return NodeState(True, last, "", be.start_ms)
                return NodeState(view.alive, view.last_ok_ms, view.err_msg, view.last_start_ms)
            failed = heartbeats_between(since, now_ms, self.origin_ms)
            if failed > HEARTBEAT_RETRY_TIMES:
                return NodeState(False, view.last_ok_ms, HEARTBEAT_REFUSED, view.last_start_ms)
            return NodeState(view.alive, view.last_ok_ms, view.err_msg, view.last_start_ms)

    def alive(self, be: Backend, now_ms: int) -> bool:
        return self.state(be, now_ms).alive

    def alive_backends(self, now_ms: int) -> list[Backend]:
        return [b for b in self.backends if self.alive(b, now_ms)]

    def stop_backend(self, be: Backend, now_ms: int) -> None:
        with self.lock:
            s = self.state(be, now_ms)
            be.view = HeartbeatView(s.alive, s.last_heartbeat_ms, s.err_msg, s.last_start_ms)
            be.running = False
            be.changed_ms = now_ms

    def start_backend(self, be: Backend, now_ms: int) -> None:
        with self.lock:
            s = self.state(be, now_ms)
            be.view = HeartbeatView(s.alive, s.last_heartbeat_ms, s.err_msg, s.last_start_ms)
            be.running = True
            be.changed_ms = now_ms
            be.start_ms = now_ms
            # A new process: its counters start again from zero.
            be.metrics = Metrics()
            be.vitals = BeVitals(seed=be.id, start_s=now_ms / 1000, cores=CPU_CORES)

    # -- choosing a BE --------------------------------------------------------------------------
    def choose_backend(self, now_ms: int) -> Backend | None:
        """NodeSelector.seqChooseBackendIds(1, needAvailable=true): the next alive BE, round robin."""
        with self.lock:
            n = len(self.backends)
            for step in range(n):
                be = self.backends[(self._next + step) % n]
                if self.alive(be, now_ms) and not be.decommissioned:
                    self._next = (self._next + step + 1) % n
                    return be
            return None

    def remember_txn(self, label: str, be: Backend) -> None:
        with self.lock:
            self._txn_backend[label] = be.id
            self._txn_backend.move_to_end(label)
            while len(self._txn_backend) > 10000:
                self._txn_backend.popitem(last=False)

    def txn_backend(self, label: str) -> Backend | None:
        with self.lock:
            be_id = self._txn_backend.get(label)
        return None if be_id is None else self.backend(be_id)

    # -- tablets --------------------------------------------------------------------------------
    def layout(self, td: TableDef) -> tuple[int, int]:
        """(tablets, replicas of each) of a table."""
        buckets = max(1, _int(td.distribution.get("buckets") if td.distribution else 1, 1))
        copies = _int(td.properties.get("replication_num") if td.properties else 1, 1)
        return buckets, min(len(self.backends), max(1, copies))

    def replicas(self, td: TableDef) -> dict[int, int]:
        """Replicas of a table's tablets on each BE (BE id -> count): tablet k's replicas on the BEs
        that follow the table's own offset, as the FE spreads them round robin at create time."""
        n = len(self.backends)
        buckets, copies = self.layout(td)
        out: dict[int, int] = {}
        for k in range(buckets):
            for j in range(copies):
                be = self.backends[(td.table_id + k + j) % n]
                out[be.id] = out.get(be.id, 0) + 1
        return out

    def tablet_counts(self, tables: Iterable[TableDef]) -> dict[int, int]:
        out = {b.id: 0 for b in self.backends}
        for td in tables:
            for be_id, count in self.replicas(td).items():
                out[be_id] += count
        return out

    def full_disk_for(self, td: TableDef) -> tuple[Backend, Disk] | None:
        """The first disk past the flood stage among the BEs holding the table's tablets
        (SystemInfoService.checkExceedDiskCapacityLimit, as OlapTableSink calls it for loads)."""
        holders = self.replicas(td)
        with self.lock:
            for be in self.backends:
                if be.id in holders:
                    for d in be.disks:
                        if d.exceeds_flood_stage():
                            return be, d
        return None

    def add_data(self, td: TableDef, nbytes: int) -> dict[int, int]:
        """Count loaded bytes as data on the disks holding the table's replicas (each replica of a
        tablet holds the whole tablet); returns the replicas written on each BE."""
        replicas = self.replicas(td)
        buckets, _ = self.layout(td)
        if nbytes > 0:
            with self.lock:
                for be in self.backends:
                    count = replicas.get(be.id, 0)
                    if count and be.disks:
                        be.disks[0].data_used += nbytes * count // buckets
        return replicas


def _int(value: object, default: int) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default
