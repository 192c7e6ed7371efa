"""What the emulated cluster does besides answering requests, and the figures that follow from it:
the background query workload, the FE's edit log and checkpoints, its MetricCalculator (qps, rps,
error rate every 15 s), the JVM and the BEs' processes (see vitals.py), and the share of each query
or load that lands on each BE.

Services report their work here (a query served, a load received, a transaction published or
aborted); ``tick`` carries everything forward to the sandbox's time. It runs as a sweeper (every
second, and at once when the clock is moved) and before every ``/metrics`` page.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from ..engine import TableDef
from . import metric_names as mn
from .cluster import Backend, Cluster
from .tablets import Tablets
from .vitals import FeVitals, Workload

if TYPE_CHECKING:
    from ..app import Sandbox

CALCULATOR_PERIOD_S = 15.0  # MetricCalculator runs every 15 s
TIMESTAMP_JOURNAL_PERIOD_S = 10.0  # the leader's periodic timestamp entry
EDIT_LOG_ROLL_NUM = 50000  # Config.edit_log_roll_num: a checkpoint (image) every so many entries
SLOW_QUERY_MS = 5000  # Config.qe_slow_log_ms
MAX_SAMPLES_PER_TICK = 2000  # latencies kept per tick; the rest only count (a long clock move)
NO_BACKEND = "Backend node not found. Check if any backend node is down."
JOB_TYPES = ("HADOOP", "INSERT", "BROKER", "DELETE", "SPARK", "ROUTINE_LOAD", "STREAM_LOAD", "SEGMENT_LOAD")
JOB_STATES = ("UNKNOWN", "PENDING", "ETL", "LOADING", "COMMITTED", "FINISHED", "CANCELLED")
JOURNAL_KIND = "cluster"
JOURNAL_ID = "journal"


class Activity:
    def __init__(self, sb: Sandbox, cluster: Cluster) -> None:
        self.sb = sb
        self.cluster = cluster
        self.lock = threading.RLock()
        now = sb.clock.now()
        self.fe = FeVitals(seed=1, start_s=now)
        cfg = sb.config
        self.workload = Workload(cfg.workload_qps, cfg.workload_error_rate, cfg.workload_p99_ms)
        self.workload.last_s = now
        kept = sb.store.get(JOURNAL_KIND, JOURNAL_ID) or {}
        self.journal_id = int(kept.get("journal_id", 0))
        self.image_journal_id = int(kept.get("image_journal_id", 0))
        self.last_timestamp_s = now
        self.calc_s = now
        self.calc_base = (0.0, 0.0, 0.0)
        self.gauges = {mn.QPS: 0.0, mn.RPS: 0.0, mn.QUERY_ERR_RATE: 0.0}
        self.jobs: dict[tuple[str, str], int] = {}
        self._count_stored_data()

    def _count_stored_data(self) -> None:
        """The data already in the tables when the cluster starts, on the disks of their replicas:
        DuckDB's estimate of each table's rows, at 8 bytes a value."""
        with self.sb.store.cursor() as cur:
            sizes = {
                (str(db), str(name)): int(rows or 0) * int(cols or 0) * 8
                for db, name, rows, cols in cur.execute(
                    "SELECT schema_name, table_name, estimated_size, column_count FROM duckdb_tables()"
                ).fetchall()
            }
        for td in all_tables(self.sb):
            self.cluster.add_data(td, sizes.get((td.db, td.name), 0))

    # -- time -----------------------------------------------------------------------------------
    def tick(self) -> None:
        now = self.sb.clock.now()
        with self.lock:
            self._run_workload(now)
            if self.cluster.fe_running:
                self.fe.tick(now)
                due = int((now - self.last_timestamp_s) // TIMESTAMP_JOURNAL_PERIOD_S)
                if due > 0:
                    self.last_timestamp_s += due * TIMESTAMP_JOURNAL_PERIOD_S
                    self.journal(min(due, 100000), 32)
                self._calculate(now)
            for be in self.cluster.backends:
                if be.running:
                    be.vitals.tick(now)

    async def sweep(self) -> None:
        self.tick()

    def keep(self) -> None:
        """Write the journal position to the store (the FE's BDB keeps it across restarts)."""
        with self.lock:
            doc = {"journal_id": self.journal_id, "image_journal_id": self.image_journal_id}
        self.sb.store.put(JOURNAL_KIND, JOURNAL_ID, doc)

    def _calculate(self, now: float) -> None:
        dt = now - self.calc_s
        if dt < CALCULATOR_PERIOD_S:
            return
        m = self.sb.metrics
        current = (m.value(mn.QUERY_TOTAL), m.value(mn.REQUEST_TOTAL), m.value(mn.QUERY_ERR))
        q, r, e = (max(0.0, c - b) for c, b in zip(current, self.calc_base, strict=True))
        self.gauges = {mn.QPS: q / dt, mn.RPS: r / dt, mn.QUERY_ERR_RATE: e / dt}
        self.calc_s, self.calc_base = now, current

    # -- the FE ---------------------------------------------------------------------------------
    def journal(self, entries: int = 1, nbytes: int = 256) -> None:
        """Entries written to the edit log (a transaction's state change, a DDL, a timestamp)."""
        if entries <= 0:
            return
        with self.lock:
            m = self.sb.metrics
            self.journal_id += entries
            m.inc(mn.EDIT_LOG_WRITE, entries)
            m.inc(mn.EDIT_LOG_SIZE_BYTES, entries * nbytes)
            rng = self.fe.rng
            for _ in range(min(entries, 20)):
                mn.observe(m, mn.EDITLOG_WRITE_LATENCY_MS, float(rng.randint(1, 4)))
                mn.observe(m, mn.JOURNAL_WRITE_LATENCY_MS, float(rng.randint(1, 3)))
                mn.observe(m, mn.JOURNAL_WRITE_BATCH, 1.0)
                mn.observe(m, mn.JOURNAL_WRITE_BYTES, float(nbytes))
            if self.journal_id - self.image_journal_id >= EDIT_LOG_ROLL_NUM:
                # The checkpoint thread writes a new image; with one FE there is no one to push it to.
                m.inc(mn.IMAGE_WRITE)
                self.image_journal_id = self.journal_id

    def fe_restarted(self, now: float) -> None:
        """A new FE process: its JVM and in-memory counters start again."""
        with self.lock:
            self.fe = FeVitals(seed=int(now) % 1000 + 1, start_s=now)
            self.sb.metrics.reset(mn.FE)
            mn.reset_summaries(self.sb.metrics, mn.FE)
            self.calc_s, self.calc_base = now, (0.0, 0.0, 0.0)
            self.gauges = {mn.QPS: 0.0, mn.RPS: 0.0, mn.QUERY_ERR_RATE: 0.0}
            self.last_timestamp_s = now

    # -- queries --------------------------------------------------------------------------------
    def query(self, ok: bool, latency_ms: float, scan_rows: int = 0, scan_bytes: int = 0) -> None:
        """One query the FE ran (the HTTP SQL API): its counters, and its scan on the alive BEs."""
        with self.lock:
            m = self.sb.metrics
            m.inc(mn.QUERY_TOTAL)
            m.inc(mn.QUERY_SUCCESS if ok else mn.QUERY_ERR)
            if latency_ms >= SLOW_QUERY_MS:
                m.inc(mn.SLOW_QUERY)
            mn.observe(m, mn.QUERY_LATENCY_MS, latency_ms)
            self.fe.work(queries=1)
            if ok:
                self._scan(scan_rows, scan_bytes)

    def _scan(self, rows: int, nbytes: int) -> None:
        alive = self.cluster.alive_backends(self.sb.clock.ms())
        for be in alive:
            if be.running:
                be.vitals.scanned(rows // len(alive), nbytes // len(alive), 1024)

    def _run_workload(self, now: float) -> None:
        n, errors = self.workload.step(now)
        if n <= 0:
            return
        m = self.sb.metrics
        if not self.cluster.fe_running:
            return  # nobody answers: the clients' queries fail before the FE counts them
        if not self.cluster.alive_backends(self.sb.clock.ms()):
            errors = n  # every query fails to find a backend
        m.inc(mn.REQUEST_TOTAL, n)
        m.inc(mn.QUERY_TOTAL, n)
        m.inc(mn.QUERY_SUCCESS, n - errors)
        m.inc(mn.QUERY_ERR, errors)
        sampled = min(n, MAX_SAMPLES_PER_TICK)
        latencies = [self.workload.latency_ms() for _ in range(sampled)]
        slow = sum(1 for v in latencies if v >= SLOW_QUERY_MS)
        mean = sum(latencies) / sampled
        mn.observe_many(m, mn.QUERY_LATENCY_MS, latencies, n - sampled, (n - sampled) * mean)
        if slow:
            m.inc(mn.SLOW_QUERY, round(slow * n / sampled))
        self.fe.work(queries=n)
        ok = n - errors
        if ok:
            # A typical dashboard query: a few thousand rows from a few hundred kilobytes.
            alive = [b for b in self.cluster.alive_backends(self.sb.clock.ms()) if b.running]
            for be in alive:
                v = be.vitals
                share = ok / len(alive)
                v.pending_cpu_s += share * 0.006
                v.pending_read += share * 40 * 1024
                v.pending_net_out += share * 3 * 1024
                v.count("query_scan_rows", share * 4000)
                v.count("query_scan_bytes", share * 320 * 1024)
                v.count("fragment_requests_total", share)

    def set_workload(self, qps: float, error_rate: float, p99_ms: float) -> dict[str, float]:
        with self.lock:
            now = self.sb.clock.now()
            self._run_workload(now)  # what was due under the old settings
            self.workload.qps, self.workload.error_rate, self.workload.p99_ms = qps, error_rate, p99_ms
            self.workload.last_s = now
            return self.workload.describe()

    # -- loads ----------------------------------------------------------------------------------
    def load_received(self, be: Backend, nbytes: int) -> None:
        with self.lock:
            be.vitals.received(nbytes)
            self.fe.work(load_ops=1)

    def published(self, td: TableDef | None, nbytes: int) -> None:
        """A transaction became visible: its rows are written on every BE holding a replica."""
        with self.lock:
            self.journal(2, 512)  # COMMITTED, then VISIBLE
            if td is None:
                return
            Tablets(self.sb).published(td)
            buckets, _ = self.cluster.layout(td)
            for be_id, count in self.cluster.add_data(td, nbytes).items():
                be = self.cluster.backend(be_id)
                if be is not None and be.running:
                    be.vitals.written(nbytes * count // buckets, count)

    def job_finished(self, kind: str, state: str = "FINISHED") -> None:
        with self.lock:
            self.jobs[(kind, state)] = self.jobs.get((kind, state), 0) + 1


def all_tables(sb: Sandbox) -> list[TableDef]:
    """Every table's definition, read in one go."""
    return [TableDef.from_doc(doc) for doc in sb.store.list("table")]
