"""A StarRocks cluster recorded on loopback: one FE and a few BEs answering ``/api/health``,
``/metrics`` and the SQL API's SHOW statements with the shapes and metric texts a real cluster
writes, with figures a test sets — for what the sandbox does not serve (disks per path, CPU
counters, a dead BE, a second FE, a JVM heap), and for counters that go back when a node restarts.

Metric texts follow the FE's PrometheusMetricVisitor (``jvm_*`` without prefix, ``node_info`` with no
``dead`` state for BEs, the query latency as a summary without median plus the calculator's gauges)
and the BE's StarRocksMetrics (``starrocks_be_cpu{mode=...}`` jiffies, ``disks_*{path=...}``). Each
``/metrics`` of a node serves the next text of its list, the last one again and again, so that a
process reading the cluster twice (``starrocks-console health --window``) sees what the test planned.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GiB = 1 << 30


def fe_metrics(
    *,
    query_total: int = 1000,
    query_err: int = 0,
    txn_begin: int = 100,
    txn_success: int = 95,
    txn_failed: int = 0,
    heap_used: int = 2 * GiB,
    heap_max: int = 8 * GiB,
    p50: float = 12.0,
    p95: float = 85.0,
    p99: float = 120.0,
    err_rate: float = 0.0,
    qps: float = 3.5,
    max_score: int = 12,
    backend_scores: dict[str, int] | None = None,
    fe_total: int = 1,
    fe_alive: int = 1,
    be_total: int = 1,
    be_alive: int = 1,
    leader: bool = True,
) -> str:
    """The text an FE's ``/metrics`` answers with (the parts the console reads, and some it does not)."""
    lines = [
        "# HELP jvm_heap_size_bytes jvm heap stat",
        "# TYPE jvm_heap_size_bytes gauge",
        f'jvm_heap_size_bytes{{type="max"}} {heap_max}',
        f'jvm_heap_size_bytes{{type="committed"}} {heap_max}',
        f'jvm_heap_size_bytes{{type="used"}} {heap_used}',
        "# HELP jvm_thread jvm thread stat",
        "# TYPE jvm_thread gauge",
        'jvm_thread{type="count"} 402',
        'jvm_thread{type="peak_count"} 431',
        "# HELP starrocks_fe_job job statistics",
        "# TYPE starrocks_fe_job gauge",
        'starrocks_fe_job{job="load", type="BROKER", state="LOADING"} 0',
        "# HELP starrocks_fe_connection_total total connections",
        "# TYPE starrocks_fe_connection_total gauge",
        "starrocks_fe_connection_total 7",
        "# HELP starrocks_fe_max_journal_id max journal id of this frontends",
        "# TYPE starrocks_fe_max_journal_id gauge",
        "starrocks_fe_max_journal_id 52341",
        "# HELP starrocks_fe_qps query per second",
        "# TYPE starrocks_fe_qps gauge",
        f"starrocks_fe_qps {qps}",
        "# HELP starrocks_fe_query_err_rate query error rate",
        "# TYPE starrocks_fe_query_err_rate gauge",
        f"starrocks_fe_query_err_rate {err_rate}",
        "# HELP starrocks_fe_max_tablet_compaction_score max tablet compaction score of all backends",
        "# TYPE starrocks_fe_max_tablet_compaction_score gauge",
        f"starrocks_fe_max_tablet_compaction_score {max_score}",
        "# HELP starrocks_fe_query_latency mean of query latency",
        "# TYPE starrocks_fe_query_latency gauge",
        f'starrocks_fe_query_latency{{type="mean"}} {p50 * 1.1}',
        f'starrocks_fe_query_latency{{type="50_quantile"}} {p50}',
        f'starrocks_fe_query_latency{{type="75_quantile"}} {p50 * 2}',
        f'starrocks_fe_query_latency{{type="90_quantile"}} {p95 * 0.8}',
        f'starrocks_fe_query_latency{{type="95_quantile"}} {p95}',
        f'starrocks_fe_query_latency{{type="99_quantile"}} {p99}',
        f'starrocks_fe_query_latency{{type="999_quantile"}} {p99 * 1.5}',
        "# HELP starrocks_fe_query_total total query",
        "# TYPE starrocks_fe_query_total counter",
        f"starrocks_fe_query_total {query_total}",
        "# HELP starrocks_fe_query_err total error query",
        "# TYPE starrocks_fe_query_err counter",
        f"starrocks_fe_query_err {query_err}",
        "# HELP starrocks_fe_txn_begin counter of begining transactions",
        "# TYPE starrocks_fe_txn_begin counter",
        f"starrocks_fe_txn_begin {txn_begin}",
        "# HELP starrocks_fe_txn_success counter of success transactions",
        "# TYPE starrocks_fe_txn_success counter",
        f"starrocks_fe_txn_success {txn_success}",
        "# HELP starrocks_fe_txn_failed counter of failed transactions",
        "# TYPE starrocks_fe_txn_failed counter",
        f"starrocks_fe_txn_failed {txn_failed}",
        "# HELP starrocks_fe_tablet_max_compaction_score tablet max compaction score",
        "# TYPE starrocks_fe_tablet_max_compaction_score gauge",
    ]
    for backend, score in (backend_scores or {}).items():
        lines.append(f'starrocks_fe_tablet_max_compaction_score{{backend="{backend}"}} {score}')
    lines += [
        "# HELP starrocks_fe_query_latency_ms ",
        "# TYPE starrocks_fe_query_latency_ms summary",
        f'starrocks_fe_query_latency_ms{{quantile="0.75"}} {p50 * 2}',
        f'starrocks_fe_query_latency_ms{{quantile="0.95"}} {p95}',
        f'starrocks_fe_query_latency_ms{{quantile="0.98"}} {p99 * 0.9}',
        f'starrocks_fe_query_latency_ms{{quantile="0.99"}} {p99}',
        f'starrocks_fe_query_latency_ms{{quantile="0.999"}} {p99 * 1.5}',
        f"starrocks_fe_query_latency_ms_sum {query_total * p50}",
        f"starrocks_fe_query_latency_ms_count {query_total}",
        "# TYPE node_info gauge",
        f'node_info{{type="fe_node_num", state="total"}} {fe_total}',
        f'node_info{{type="fe_node_num", state="alive"}} {fe_alive}',
        f'node_info{{type="be_node_num", state="total"}} {be_total}',
        f'node_info{{type="be_node_num", state="alive"}} {be_alive}',
        'node_info{type="be_node_num", state="decommissioned"} 0',
        'node_info{type="broker_node_num", state="dead"} 0',
        'node_info{type="cn_node_num", state="total"} 0',
        'node_info{type="cn_node_num", state="alive"} 0',
    ]
    if leader:
        lines.append('node_info{type="is_master"} 1')
    return "\n".join(lines) + "\n"


def be_metrics(
    *,
    idle: int = 900_000,
    busy: int = 100_000,
    disks: dict[str, tuple[int, int]] | None = None,  # path → (total, available) bytes
    load_rows: int = 5000,
    load_bytes: int = 1_000_000,
    mem: int = 3 * GiB,
    cumulative_score: int = 3,
    base_score: int = 1,
) -> str:
    """The text a BE's ``/metrics`` answers with. CPU jiffies: ``idle`` in idle, ``busy`` spread over
    user and system (and guest time inside user, as /proc/stat counts it)."""
    cpu = {
        "user": busy * 6 // 10,
        "nice": 0,
        "system": busy - busy * 6 // 10,
        "idle": idle,
        "iowait": 0,
        "irq": 0,
        "soft_irq": 0,
        "steal": 0,
        "guest": busy // 10,
        "guest_nice": 0,
    }
    lines = ["# TYPE starrocks_be_cpu counter"]
    lines += [f'starrocks_be_cpu{{mode="{m}"}} {v}' for m, v in cpu.items()]
    for name in ("disks_total_capacity", "disks_avail_capacity", "disks_data_used_capacity", "disks_state"):
        lines.append(f"# TYPE starrocks_be_{name} gauge")
        for path, (total, avail) in (disks or {"/data1": (100 * GiB, 60 * GiB)}).items():
            value = {
                "disks_total_capacity": total,
                "disks_avail_capacity": avail,
                "disks_data_used_capacity": (total - avail) // 2,
                "disks_state": 1,
            }[name]
            lines.append(f'starrocks_be_{name}{{path="{path}"}} {value}')
    lines += [
        "# TYPE starrocks_be_load_rows counter",
        f"starrocks_be_load_rows {load_rows}",
        "# TYPE starrocks_be_load_bytes counter",
        f"starrocks_be_load_bytes {load_bytes}",
        "# TYPE starrocks_be_stream_load counter",
        f'starrocks_be_stream_load{{type="receive_bytes"}} {load_bytes}',
        f'starrocks_be_stream_load{{type="load_rows"}} {load_rows}',
        "# TYPE starrocks_be_process_mem_bytes gauge",
        f"starrocks_be_process_mem_bytes {mem}",
        "# TYPE starrocks_be_tablet_cumulative_max_compaction_score gauge",
        f"starrocks_be_tablet_cumulative_max_compaction_score {cumulative_score}",
        "# TYPE starrocks_be_tablet_base_max_compaction_score gauge",
        f"starrocks_be_tablet_base_max_compaction_score {base_score}",
        "# TYPE starrocks_be_engine_requests_total counter",
        'starrocks_be_engine_requests_total{type="cumulative_compaction", status="failed"} 0',
    ]
    return "\n".join(lines) + "\n"


def _size(b: float) -> str:
    """DebugUtil.getByteUint + DECIMAL_FORMAT_SCALE_3, as SHOW BACKENDS writes sizes."""
    for unit, factor in (("PB", 1 << 50), ("TB", 1 << 40), ("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if b >= factor:
            return f"{b / factor:.3f} {unit}"
    return f"{b:.3f} B"


FE_TITLES = [
    "Name", "IP", "EditLogPort", "HttpPort", "QueryPort", "RpcPort", "Role", "ClusterId", "Join", "Alive",
    "ReplayedJournalId", "LastHeartbeat", "IsHelper", "ErrMsg", "StartTime", "Version",
]  # fmt: skip
BE_TITLES = [
    "BackendId", "IP", "HeartbeatPort", "BePort", "HttpPort", "BrpcPort", "LastStartTime", "LastHeartbeat",
    "Alive", "SystemDecommissioned", "ClusterDecommissioned", "TabletNum", "DataUsedCapacity",
    "AvailCapacity", "TotalCapacity", "UsedPct", "MaxDiskUsedPct", "ErrMsg", "Version", "Status",
    "DataTotalCapacity", "DataUsedPct", "CpuCores", "NumRunningQueries", "MemUsedPct", "CpuUsedPct",
    "DataCacheMetrics", "location",
]  # fmt: skip


@dataclass
class Backend:
    id: str
    heartbeat_port: int = 9050
    http_port: int = 0
    alive: bool = True
    last_heartbeat: str = "2026-12-07 12:01:03"
    last_start: str = "2026-12-01 09:00:00"
    error: str = ""
    mem_pct: float = 41.5
    cpu_pct: float = 12.0
    total: float = 100 * GiB
    avail: float = 60 * GiB
    metrics: list[str] = field(default_factory=lambda: [be_metrics()])
    served: int = 0

    def row(self) -> dict[str, Any]:
        used_pct = (self.total - self.avail) * 100 / self.total
        values = [
            self.id, "127.0.0.1", str(self.heartbeat_port), "9060", str(self.http_port), "8060",
            self.last_start, self.last_heartbeat, "true" if self.alive else "false", "false", "false", "1203",
            _size((self.total - self.avail) / 2), _size(self.avail), _size(self.total), f"{used_pct:.2f} %",
            f"{used_pct:.2f} %", self.error, "3.3.9-abc1234", "{}", _size(self.total), "25.00 %", "16", "2",
            f"{self.mem_pct:.2f} %", f"{self.cpu_pct:.1f} %", "N/A", "",
        ]  # fmt: skip
        return dict(zip(BE_TITLES, values, strict=True))


@dataclass
class Frontend:
    name: str
    host: str = "127.0.0.1"
    edit_log_port: int = 9010
    http_port: int = 0
    role: str = "LEADER"
    alive: bool = True
    journal_id: int = 52341
    last_heartbeat: str = "2026-12-07 12:01:03"
    start_time: str = "2026-12-01 09:00:00"
    error: str = ""
    metrics: list[str] = field(default_factory=lambda: [fe_metrics()])
    served: int = 0

    def row(self) -> dict[str, Any]:
        values = [
            self.name, self.host, str(self.edit_log_port), str(self.http_port), "9030", "9020", self.role,
            "1785425132", "true", "true" if self.alive else "false", str(self.journal_id),
            self.last_heartbeat, "true", self.error, self.start_time, "3.3.9-abc1234",
        ]  # fmt: skip
        return dict(zip(FE_TITLES, values, strict=True))


class _Server:
    """One node's HTTP port on loopback."""

    def __init__(self, handle: Any) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                handle(self)

            def do_POST(self) -> None:
                handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _send(h: BaseHTTPRequestHandler, status: int, body: str, kind: str = "application/json") -> None:
    data = body.encode("utf-8")
    h.send_response(status)
    h.send_header("Content-Type", kind)
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)


class RecordedCluster:
    """``url`` is the FE; ``frontends``/``backends`` are what SHOW lists (the first FE is this one;
    others are listed with their own ports), ``running`` the running transactions per database,
    ``refused`` SHOW statements answered with the FE's privilege error, ``garbage`` ones with a page a
    proxy might put in the way."""

    def __init__(self, user: str = "root", password: str = "secret", backends: int = 1) -> None:
        self.user, self.password = user, password
        self.lock = threading.Lock()
        self.running: dict[str, int] = {"sales": 3}
        self.refused: set[str] = set()
        self.garbage: set[str] = set()  # statements answered with what no StarRocks writes
        self.requests: list[tuple[str, str]] = []  # (node, path)
        self.backends = [Backend(str(10001 + i), heartbeat_port=9050 + i) for i in range(backends)]
        self.frontends = [Frontend("127.0.0.1_9010_1764579600000")]
        self._servers: list[_Server] = []
        fe = _Server(self._fe)
        self._servers.append(fe)
        self.frontends[0].http_port = fe.port
        self.url = f"http://127.0.0.1:{fe.port}"
        for be in self.backends:
            server = _Server(lambda h, be=be: self._be(h, be))
            self._servers.append(server)
            be.http_port = server.port

    def add_frontend(self, name: str, *, role: str = "FOLLOWER", alive: bool = True) -> Frontend:
        port = 9010 + len(self.frontends)
        fe = Frontend(name, edit_log_port=port, role=role, alive=alive, metrics=[fe_metrics(leader=False)])
        server = _Server(lambda h: self._metrics_of(h, fe, f"fe:{fe.name}"))
        self._servers.append(server)
        fe.http_port = server.port
        self.frontends.append(fe)
        return fe

    def close(self) -> None:
        for s in self._servers:
            s.close()

    # -- what the nodes answer ----------------------------------------------------------------------
    def _metrics_of(self, h: BaseHTTPRequestHandler, node: Frontend | Backend, name: str) -> None:
        path = h.path.split("?", 1)[0]
        with self.lock:
            self.requests.append((name, path))
            if path != "/metrics":
                _send(h, 404, "")
                return
            text = node.metrics[min(node.served, len(node.metrics) - 1)]
            node.served += 1
        _send(h, 200, text, "text/plain; version=0.0.4")

    def _be(self, h: BaseHTTPRequestHandler, be: Backend) -> None:
        self._metrics_of(h, be, f"be:{be.id}")

    def _authorized(self, h: BaseHTTPRequestHandler) -> bool:
        header = h.headers.get("Authorization", "")
        expected = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return header == f"Basic {expected}"

    def _fe(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?", 1)[0]
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        if path == "/metrics":
            self._metrics_of(h, self.frontends[0], "fe:leader")
            return
        with self.lock:
            self.requests.append(("fe:leader", path))
        if path == "/api/health":
            with self.lock:
                alive = sum(1 for b in self.backends if b.alive)
                total = len(self.backends)
            answer = {"total_backend_num": total, "online_backend_num": alive, "status": "OK"}
            _send(h, 200, json.dumps(answer))
            return
        if not path.endswith("/sql"):
            _send(h, 404, "")
            return
        if not self._authorized(h):
            msg = f"Access denied for {self.user}@127.0.0.1"
            _send(h, 401, json.dumps({"status": "FAILED", "code": "1", "msg": msg, "message": msg}))
            return
        query = " ".join(str(json.loads(body or b"{}").get("query", "")).lower().split())
        with self.lock:
            if query in self.refused:
                msg = (
                    "Access denied; you need (at least one of) the OPERATE privilege(s) on SYSTEM for "
                    "this operation. Please ask the admin to grant permission(s) or try activating "
                    "existing roles using <set [default] role>. Current role(s): NONE."
                )
                _send(h, 500, json.dumps({"status": "FAILED", "code": "1", "msg": msg, "message": msg}))
                return
            if query in self.garbage:
                _send(h, 200, "<html><body>502 Bad Gateway</body></html>\n", "text/html")
                return
            rows = self._show(query)
        if rows is None:
            msg = f"Getting syntax error at line 1. Detail message: unexpected {query!r}."
            _send(h, 500, json.dumps({"status": "FAILED", "code": "1", "msg": msg, "message": msg}))
            return
        titles, data = rows
        doc = {
            "meta": [{"name": t, "type": "varchar"} for t in titles],
            "data": data,
            "statistics": {"scanRows": 0, "scanBytes": 0, "returnRows": len(data)},
        }
        _send(h, 200, json.dumps(doc))

    def _show(self, query: str) -> tuple[list[str], list[dict[str, Any]]] | None:
        if query == "show frontends":
            return FE_TITLES, [f.row() for f in self.frontends]
        if query == "show backends":
            return BE_TITLES, [b.row() for b in self.backends]
        if query == "show proc '/transactions'":
            ids = [(str(20000 + i), db) for i, db in enumerate(sorted(self.running))]
            return ["DbId", "DbName"], [{"DbId": i, "DbName": db} for i, db in ids]
        if query.startswith("show proc '/transactions/"):
            db_id = query.removeprefix("show proc '/transactions/").rstrip("'")
            names = sorted(self.running)
            if not db_id.isdigit() or not 0 <= int(db_id) - 20000 < len(names):
                return None
            count = self.running[names[int(db_id) - 20000]]
            return ["State", "Number"], [
                {"State": "running", "Number": str(count)},
                {"State": "finished", "Number": "4021"},
            ]
        return None
