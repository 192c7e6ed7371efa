"""Reads one StarRocks cluster: ``/api/health`` and the node lists through the profile's FE, then
every alive node's own ``/metrics`` (FEs and BEs at the addresses SHOW FRONTENDS and SHOW BACKENDS
give, through the profile's BE address map), and the running transactions of each database.

Node metrics are read without credentials: StarRocks serves ``/metrics`` on the FE and the BE to
anyone (``MetricsAction`` checks no user), so the password never goes to an address a node list
names — the client's trust rules for redirects are about where the password may go, and here it
goes nowhere but the profile's FE. BEs serve plain HTTP; a BE the address map sends to an https
proxy is read through it. A node whose metrics cannot be read is said per node and tried again a
minute later, so that one unreachable address does not slow every reading.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpx

from ...api import errors
from ...api.starrocks import StarRocksClient
from ...api.starrocks.client import parse_prometheus
from ...api.starrocks.models import MetricSample
from ...api.transport import TransportConfig, build_client
from ..words import join
from . import names as n
from .sample import BeNode, ClusterSample, DiskPath, FeNode

_PARSER = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="metrics-parser")

# The FE's MetricCalculator writes these quantile gauges; the figure names the console keeps.
LATENCY_GAUGES = {"50_quantile": "query_p50_ms", "95_quantile": "query_p95_ms", "99_quantile": "query_p99_ms"}
LATENCY_SUMMARY = {"0.95": "query_p95_ms_all", "0.99": "query_p99_ms_all"}
# CPU modes of /proc/stat the BE reports; guest time is already counted in user and nice.
CPU_MODES = ("user", "nice", "system", "idle", "iowait", "irq", "soft_irq", "steal")


def said(e: errors.ApiError) -> str:
    return join(e.message.rstrip(".") + ".", e.hint[:1].upper() + e.hint[1:] if e.hint else None)


def _host(host: str) -> str:
    host = host.strip().strip("[]")
    return f"[{host}]" if ":" in host else host


def parse_frontend(r: dict[str, Any]) -> FeNode:
    role = str(r.get("Role") or "")
    if not role and "IsMaster" in r:  # before the leader was called so
        role = "LEADER" if n.truth(r.get("IsMaster")) else "FOLLOWER"
    return FeNode(
        name=str(r.get("Name") or ""),
        host=str(r.get("IP") or r.get("Host") or ""),
        http_port=str(r.get("HttpPort") or ""),
        edit_log_port=str(r.get("EditLogPort") or ""),
        role=role,
        alive=n.truth(r.get("Alive")),
        version=str(r.get("Version") or ""),
        journal_id=n.integer(r.get("ReplayedJournalId")),
        last_heartbeat=n.fe_time(r.get("LastHeartbeat")),
        start_time=n.fe_time(r.get("StartTime")),
        error=str(r.get("ErrMsg") or ""),
    )


def parse_backend(r: dict[str, Any]) -> BeNode:
    return BeNode(
        id=str(r.get("BackendId") or ""),
        host=str(r.get("IP") or r.get("Host") or ""),
        heartbeat_port=str(r.get("HeartbeatPort") or ""),
        http_port=str(r.get("HttpPort") or ""),
        alive=n.truth(r.get("Alive")),
        decommissioned=n.truth(r.get("SystemDecommissioned")) or n.truth(r.get("ClusterDecommissioned")),
        version=str(r.get("Version") or ""),
        tablets=n.integer(r.get("TabletNum")),
        data_used_bytes=n.size_bytes(r.get("DataUsedCapacity")),
        avail_bytes=n.size_bytes(r.get("AvailCapacity")),
        total_bytes=n.size_bytes(r.get("TotalCapacity")),
        used_pct=n.percent(r.get("UsedPct")),
        max_disk_used_pct=n.percent(r.get("MaxDiskUsedPct")),
        cpu_pct=n.percent(r.get("CpuUsedPct")),
        mem_pct=n.percent(r.get("MemUsedPct")),
        last_heartbeat=n.fe_time(r.get("LastHeartbeat")),
        last_start=n.fe_time(r.get("LastStartTime")),
        error=str(r.get("ErrMsg") or ""),
    )


def _values(samples: Iterable[MetricSample], name: str) -> list[MetricSample]:
    return [s for s in samples if s.name == name]


def _total(samples: Iterable[MetricSample], name: str) -> float | None:
    found = _values(samples, name)
    return sum(s.value for s in found) if found else None


def _put_max(gauges: dict[str, float], key: str, value: float | None) -> None:
    if value is not None:
        gauges[key] = max(gauges.get(key, value), value)


def _put_sum(gauges: dict[str, float], key: str, value: float | None) -> None:
    if value is not None:
        gauges[key] = gauges.get(key, 0.0) + value


class Collector:
    """Samples one cluster. ``sample(client)`` never raises for a cluster that cannot be read: the
    sample says so (``reachable`` False, ``error`` the reason)."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        txn_every: float = 30.0,
        node_retry: float = 60.0,
        node_timeout: float = 5.0,
    ) -> None:
        self.clock = clock
        self.txn_every = txn_every
        self.node_retry = node_retry
        self.node_timeout = node_timeout
        self._http: httpx.AsyncClient | None = None
        self._http_for: TransportConfig | None = None
        self._skip: dict[str, tuple[float, str]] = {}  # node URL → (not before, why it failed)
        self._txns: dict[str, int] | None = None
        self._txns_note = ""
        self._txns_at: float | None = None

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def sample(self, client: StarRocksClient) -> ClusterSample:
        now = self.clock()
        try:
            return await self._read(client, now)
        except errors.AuthError as e:
            return ClusterSample.unreadable(now, said(e), refused=True)
        except errors.ApiError as e:
            return ClusterSample.unreadable(now, said(e))
        except ValueError as e:  # an answer that is not what a StarRocks FE writes (not JSON...)
            return ClusterSample.unreadable(
                now, f"an answer of the FE at {client.base_url} could not be read: {type(e).__name__}: {e}"
            )

    async def _read(self, client: StarRocksClient, now: float) -> ClusterSample:
        # A FE that takes the connection and never answers (its process stopped, a long pause)
        # would hold the reading for the client's whole read timeout and its retries, over a
        # minute, the cluster shown as it was meanwhile: its health check, a tiny answer, is given
        # as long as a node's /metrics.
        within = self.node_timeout * 2
        try:
            async with asyncio.timeout(within):
                health = await client.health()
        except TimeoutError:
            return ClusterSample.unreadable(
                now, f"{client.base_url}/api/health did not answer within {within:g} s."
            )
        s = ClusterSample(now, health=health)
        fe_rows, be_rows = await asyncio.gather(
            self._records(client, "show frontends", s), self._records(client, "show backends", s)
        )
        if fe_rows is not None:
            s.frontends = [parse_frontend(r) for r in fe_rows]
            ids = [f.journal_id for f in s.frontends if f.journal_id is not None]
            for f in s.frontends:
                if f.journal_id is not None and ids:
                    f.journal_lag = max(ids) - f.journal_id
        if be_rows is not None:
            s.backends = [parse_backend(r) for r in be_rows]
        await asyncio.gather(self._node_figures(client, s), self._running(client, s, now))
        return s

    async def _records(
        self, client: StarRocksClient, statement: str, s: ClusterSample
    ) -> list[dict[str, Any]] | None:
        try:
            return await client.records(statement)
        except errors.AuthError as e:
            if e.status == 401:
                raise
            s.notes.append(f"{statement.upper()} could not be read: {said(e)}")
        except errors.ConnectionFailed:
            raise
        except errors.ApiError as e:
            # SHOW FRONTENDS/BACKENDS need the OPERATE privilege (or cluster_admin): without it the
            # lists are unknown, which the figures and alerts say, rather than "no nodes".
            s.notes.append(f"{statement.upper()} could not be read: {said(e)}")
        return None

    # -- node metrics ------------------------------------------------------------------------------
    async def _nodes_http(self, client: StarRocksClient) -> httpx.AsyncClient:
        if self._http is None or self._http_for is not client.config:
            if self._http is not None:
                await self._http.aclose()
            cfg = client.config
            own = TransportConfig(
                connect_timeout=min(cfg.connect_timeout, self.node_timeout),
                read_timeout=min(cfg.read_timeout, self.node_timeout * 2),
                verify_tls=cfg.verify_tls,
                ca_bundle=cfg.ca_bundle,
                max_connections=8,
                max_keepalive=8,
            )
            # Made on a worker thread: it reads the CA bundle a profile names.
            self._http = await asyncio.to_thread(build_client, own)
            self._http_for = cfg
        return self._http

    def _url(self, client: StarRocksClient, scheme: str, host: str, port: str) -> str:
        return client.map_be(f"{scheme}://{_host(host)}:{port}").rstrip("/")

    async def _metrics_of(self, http: httpx.AsyncClient, url: str) -> list[MetricSample] | str:
        now = self.clock()
        skipped = self._skip.get(url)
        if skipped is not None and skipped[0] > now:
            return skipped[1]
        try:
            response = await http.get(url + "/metrics")
            reason = (
                "" if response.status_code == 200 else f"{url}/metrics answered HTTP {response.status_code}"
            )
        except httpx.HTTPError as e:
            reason = f"cannot read {url}/metrics: {e or type(e).__name__}"
            response = None
        if response is None or reason:
            self._skip[url] = (now + self.node_retry, reason)
            return reason
        self._skip.pop(url, None)
        # Parsed off the event loop: a node's /metrics is hundreds of lines, and twenty clusters'
        # nodes parsed on the window's thread were most of its passes over 16 ms. A thread of its own
        # hands the GIL back every few milliseconds; the loop is never held for a whole parse.
        return await asyncio.get_running_loop().run_in_executor(_PARSER, parse_prometheus, response.text)

    async def _node_figures(self, client: StarRocksClient, s: ClusterSample) -> None:
        http = await self._nodes_http(client)
        fe_scheme = urlsplit(client.base_url).scheme or "http"
        fes = [f for f in s.frontends or [] if f.alive and f.host and f.http_port]
        bes = [b for b in s.backends or [] if b.alive and b.host and b.http_port]
        fe_urls = [self._url(client, fe_scheme, f.host, f.http_port) for f in fes]
        # BEs serve plain HTTP; nothing secret is sent to them (an https address comes from the map).
        be_urls = [self._url(client, "http", b.host, b.http_port) for b in bes]
        got = await asyncio.gather(*(self._metrics_of(http, u) for u in [*fe_urls, *be_urls]))
        fe_got, be_got = got[: len(fes)], got[len(fes) :]
        read_fes = 0
        for fe, metrics in zip(fes, fe_got, strict=True):
            if isinstance(metrics, str):
                fe.metrics_error = metrics
                continue
            read_fes += 1
            self._apply_fe(s, fe, metrics)
        if read_fes == 0:
            # The node list is unknown, or none of its addresses is reachable from here: the figures
            # come from the FE of the profile alone (one FE's queries, the leader's transactions).
            try:
                metrics_ = await client.metrics()
            except errors.ApiError as e:
                s.notes.append(f"the FE's metrics could not be read: {said(e)}")
            else:
                if fes:
                    s.notes.append("figures from the profile's FE only: no FE's own address could be read")
                self._apply_fe(s, None, metrics_, key=f"fe:{urlsplit(client.base_url).netloc}")
        for be, metrics in zip(bes, be_got, strict=True):
            if isinstance(metrics, str):
                be.metrics_error = metrics
                continue
            self._apply_be(s, be, metrics)
        self._compaction_from_fe(s)

    def _apply_fe(
        self, s: ClusterSample, fe: FeNode | None, metrics: list[MetricSample], key: str = ""
    ) -> None:
        key = key or f"fe:{fe.key if fe else ''}"
        s.counters[key] = {c: v for c in n.FE_COUNTERS if (v := _total(metrics, c)) is not None}
        if fe is not None:
            s.starts[key] = fe.start_time
            for m in _values(metrics, n.JVM_HEAP):
                if m.labels.get("type") == "used":
                    fe.heap_used = m.value
                elif m.labels.get("type") == "max":
                    fe.heap_max = m.value
        g = s.gauges
        for m in _values(metrics, n.FE_QUERY_LATENCY):
            name = LATENCY_GAUGES.get(m.labels.get("type", ""))
            if name:
                # Each FE times the queries it coordinates: the cluster's figure is the slowest FE's.
                _put_max(g, name, m.value)
        for m in _values(metrics, n.FE_QUERY_LATENCY_MS):
            name = LATENCY_SUMMARY.get(m.labels.get("quantile", ""))
            if name and not m.labels.keys() - {"quantile"}:
                _put_max(g, name, m.value)
        _put_sum(g, "query_err_rate_fe", _total(metrics, n.FE_QUERY_ERR_RATE))
        _put_sum(g, "qps_fe", _total(metrics, n.FE_QPS))
        _put_max(g, "compaction_score_fe", _total(metrics, n.FE_MAX_COMPACTION_SCORE))
        info = _values(metrics, n.NODE_INFO)
        leader = any(m.labels.get("type") == "is_master" and m.value >= 1 for m in info)
        if info and (leader or "fe_total" not in g):
            for m in info:
                kind, state = m.labels.get("type", ""), m.labels.get("state", "")
                if kind in ("fe_node_num", "be_node_num") and state in ("total", "alive"):
                    g[f"{kind[:2]}_{state}"] = m.value
        if leader:
            # Per BE, only the leader knows them (others write 0).
            for m in _values(metrics, n.FE_TABLET_MAX_COMPACTION_SCORE):
                backend = m.labels.get("backend")
                if backend:
                    g[f"compaction_score_of:{backend}"] = m.value

    def _apply_be(self, s: ClusterSample, be: BeNode, metrics: list[MetricSample]) -> None:
        key = f"be:{be.key}"
        counters = {c: v for c in n.BE_COUNTERS if (v := _total(metrics, c)) is not None}
        cpu = {m.labels.get("mode", ""): m.value for m in _values(metrics, n.BE_CPU)}
        if cpu:
            # StarRocks' documented CPU rule: 1 − idle / all, over the counters' increase.
            counters[n.CPU_IDLE] = cpu.get("idle", 0.0)
            counters[n.CPU_ALL] = sum(cpu.get(mode, 0.0) for mode in CPU_MODES)
        s.counters[key] = counters
        s.starts[key] = be.last_start
        disks: dict[str, DiskPath] = {}
        for name, attr in (
            (n.BE_DISK_TOTAL, "total_bytes"),
            (n.BE_DISK_AVAIL, "avail_bytes"),
            (n.BE_DISK_DATA_USED, "data_used_bytes"),
        ):
            for m in _values(metrics, name):
                path = m.labels.get("path")
                if path:
                    setattr(disks.setdefault(path, DiskPath(path)), attr, m.value)
        be.disks = sorted(disks.values(), key=lambda d: d.path)
        scores = [v for name in n.BE_COMPACTION_SCORES if (v := _total(metrics, name)) is not None]
        if scores:
            be.compaction_score = max(scores)
        be.process_mem_bytes = _total(metrics, n.BE_PROCESS_MEM)

    def _compaction_from_fe(self, s: ClusterSample) -> None:
        for be in s.backends or []:
            from_fe = s.gauges.pop(f"compaction_score_of:{be.address}", None)
            if be.compaction_score is None and from_fe is not None:
                be.compaction_score = from_fe
        for key in [k for k in s.gauges if k.startswith("compaction_score_of:")]:
            del s.gauges[key]
        scores = [b.compaction_score for b in s.backends or [] if b.compaction_score is not None]
        fe_max = s.gauges.pop("compaction_score_fe", None)
        if scores or fe_max is not None:
            s.gauges["compaction_score"] = max([*scores, *([fe_max] if fe_max is not None else [])])

    # -- running transactions per database ---------------------------------------------------------
    async def _running(self, client: StarRocksClient, s: ClusterSample, now: float) -> None:
        """``SHOW PROC '/transactions'`` lists the databases; ``'/transactions/<id>'`` counts each
        one's running and finished transactions (TransDbProcDir, TransStateProcDir). Read every
        ``txn_every`` seconds: the limit is approached over minutes, and it costs a query per
        database."""
        if self._txns_at is not None and now - self._txns_at < self.txn_every:
            s.running_txns = dict(self._txns) if self._txns is not None else None
            if self._txns_note:
                s.notes.append(self._txns_note)
            return
        try:
            dbs = await client.records("show proc '/transactions'")
            gate = asyncio.Semaphore(4)

            async def count(db_id: str) -> int | None:
                async with gate:
                    rows = await client.records(f"show proc '/transactions/{db_id}'")
                for r in rows:
                    if str(r.get("State", "")).lower() == "running":
                        return n.integer(r.get("Number"))
                return None

            listed = [(str(r.get("DbId", "")), str(r.get("DbName", ""))) for r in dbs]
            listed = [(i, name) for i, name in listed if i.isdigit()]
            counts = await asyncio.gather(*(count(i) for i, _ in listed))
            self._txns = {name: c for (_, name), c in zip(listed, counts, strict=True) if c is not None}
            self._txns_note = ""
        except errors.AuthError as e:
            if e.status == 401:
                raise
            self._txns, self._txns_note = None, f"running transactions could not be read: {said(e)}"
        except errors.ConnectionFailed:
            raise
        except errors.ApiError as e:
            self._txns, self._txns_note = None, f"running transactions could not be read: {said(e)}"
        self._txns_at = now
        s.running_txns = dict(self._txns) if self._txns is not None else None
        if self._txns_note:
            s.notes.append(self._txns_note)
