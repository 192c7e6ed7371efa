"""FE and BE monitoring: ``/api/health``, ``/api/bootstrap``, ``/metrics`` and ``/api/show_proc``.

Shapes follow the FE's HealthAction (RestResult), BootstrapFinishAction (BootstrapResult), MetricsAction
with PrometheusMetricVisitor (JVM first, then MetricRepo's gauges and counters, the histograms as
summaries, ``node_info`` last; labels joined by ", ") and ShowProcAction, and the BE's health action
and MetricsAction (StarRocksMetrics and SystemMetrics, sorted by name, a ``# TYPE`` line per family
and no HELP, labels sorted by name and joined by ","). The metric names are in ``metric_names``;
services bump counters on ``sb.metrics`` (FE) or the BE's own ``metrics``; figures of the processes
come from ``activity`` and ``vitals``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import json_response
from . import auth
from . import metric_names as mn
from .activity import JOB_STATES, JOB_TYPES, all_tables
from .cluster import (
    Backend,
)
from .sql import FE_VERSION, SqlError, cluster_info, executor, journal_id
from .vitals import CPU_MODES, GIB, MIB

if TYPE_CHECKING:
    from ..app import Sandbox

Labels = tuple[tuple[str, str], ...]

# Counters the FE registers at start, in MetricRepo's order, so they show (as 0) before anything moves.
FE_COUNTERS = [
    mn.REQUEST_TOTAL,
    mn.QUERY_TOTAL,
    mn.QUERY_ERR,
    mn.QUERY_TIMEOUT,
    mn.QUERY_SUCCESS,
    mn.SLOW_QUERY,
    mn.LOAD_ADD,
    mn.LOAD_FINISHED,
    mn.EDIT_LOG_WRITE,
    mn.EDIT_LOG_READ,
    mn.EDIT_LOG_SIZE_BYTES,
    mn.IMAGE_WRITE,
    mn.IMAGE_PUSH,
    mn.TXN_REJECT,
    mn.TXN_BEGIN,
    mn.TXN_SUCCESS,
    mn.TXN_FAILED,
]
FE_HTTP_COUNTERS = [
    mn.TXN_STREAM_LOAD_BEGIN_NUM,
    mn.TXN_STREAM_LOAD_LOAD_NUM,
    mn.TXN_STREAM_LOAD_PREPARE_NUM,
    mn.TXN_STREAM_LOAD_COMMIT_NUM,
    mn.TXN_STREAM_LOAD_ROLLBACK_NUM,
]
# MetricRepo's histograms, visited in name order, then HttpMetricRegistry's.
FE_SUMMARIES = [
    mn.EDITLOG_WRITE_LATENCY_MS,
    mn.JOURNAL_WRITE_BATCH,
    mn.JOURNAL_WRITE_BYTES,
    mn.JOURNAL_WRITE_LATENCY_MS,
    mn.QUERY_LATENCY_MS,
    mn.TXN_STREAM_LOAD_BEGIN_LATENCY_MS,
    mn.TXN_STREAM_LOAD_LOAD_LATENCY_MS,
    mn.TXN_STREAM_LOAD_PREPARE_LATENCY_MS,
    mn.TXN_STREAM_LOAD_COMMIT_LATENCY_MS,
    mn.TXN_STREAM_LOAD_ROLLBACK_LATENCY_MS,
]
_TABLE_METRICS = {
    mn.TABLE_LOAD_BYTES,
    mn.TABLE_LOAD_ROWS,
    mn.TABLE_LOAD_FINISHED,
    mn.TABLE_SCAN_ROWS,
    mn.TABLE_SCAN_BYTES,
    mn.TABLE_SCAN_FINISHED,
}
# Counters of the BE's registry that show (as 0) from its start.
BE_COUNTERS: list[tuple[str, Labels]] = [
    (mn.BE_HTTP_REQUESTS_TOTAL, ()),
    (mn.BE_LOAD_ROWS, ()),
    (mn.BE_LOAD_BYTES, ()),
    (mn.BE_STREAM_LOAD, (("type", "receive_bytes"),)),
    (mn.BE_STREAM_LOAD, (("type", "load_rows"),)),
    (mn.BE_STREAMING_LOAD_REQUESTS_TOTAL, ()),
    (mn.BE_STREAMING_LOAD_BYTES, ()),
    (mn.BE_STREAMING_LOAD_DURATION_MS, ()),
    (mn.BE_TXN_STREAMING_LOAD_REQUESTS_TOTAL, ()),
    (mn.BE_TXN_STREAMING_LOAD_BYTES, ()),
    (mn.BE_TXN_STREAMING_LOAD_DURATION_MS, ()),
    (mn.BE_TXN_REQUEST, (("type", "begin"),)),
    (mn.BE_TXN_REQUEST, (("type", "commit"),)),
    (mn.BE_TXN_REQUEST, (("type", "rollback"),)),
    (mn.BE_TXN_REQUEST, (("type", "exec"),)),
]
# StarRocksMetrics' engine_requests_total: (type, statuses registered for it).
ENGINE_REQUESTS = [
    ("create_tablet", ("total", "failed")),
    ("drop_tablet", ("total",)),
    ("report_all_tablets", ("total", "failed")),
    ("report_tablet", ("total", "failed")),
    ("report_disk", ("total", "failed")),
    ("report_task", ("total", "failed")),
    ("schema_change", ("total", "failed")),
    ("create_rollup", ("total", "failed")),
    ("storage_migrate", ("total",)),
    ("delete", ("total", "failed")),
    ("clone", ("total", "failed")),
    ("finish_task", ("total", "failed")),
    ("base_compaction", ("total", "failed")),
    ("cumulative_compaction", ("total", "failed")),
    ("update_compaction", ("total", "failed")),
    ("publish", ("total", "failed")),
]
DISK_DEVICE = "vda"
NET_DEVICE = "eth0"
SYSTEM_FD_LIMIT = 6553600
PROCESS_FD_LIMIT = 65535


def _num(v: float, double: bool = False) -> str:
    """Java's toString of the metric value: longs without a point, doubles always with one."""
    if double:
        return repr(float(v))
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _labels(labels: Labels, sep: str = ", ") -> str:
    if not labels:
        return ""
    return "{" + sep.join(f'{k}="{v}"' for k, v in labels) + "}"


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.seen: set[str] = set()

    def metric(self, name: str, kind: str, help_text: str, series: Iterable[tuple[Labels, str]]) -> None:
        for labels, value in series:
            if name not in self.seen:
                self.lines.append(f"# HELP {name} {help_text}")
                self.lines.append(f"# TYPE {name} {kind}")
                self.seen.add(name)
            self.lines.append(f"{name}{_labels(labels)} {value}")

    def jvm(self, name: str, help_text: str, series: Iterable[tuple[str, int]]) -> None:
        """visitJvm's blocks: HELP, TYPE gauge, one line per type label."""
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} gauge")
        for kind, value in series:
            self.lines.append(f'{name}{{type="{kind}"}} {int(value)}')

    def summary(self, name: str, labels: Labels, s: mn.Summary) -> None:
        if name not in self.seen:
            self.lines.append(f"# HELP {name} ")
            self.lines.append(f"# TYPE {name} summary")
            self.seen.add(name)
        for q in mn.QUANTILES:
            self.lines.append(
                f"{name}{_labels((('quantile', str(q)), *labels))} {repr(float(s.quantile(q)))}"
            )
        mean = s.total / s.count if s.count else 0.0
        self.lines.append(f"{name}_sum{_labels(labels)} {repr(float(s.count * mean))}")
        self.lines.append(f"{name}_count{_labels(labels)} {s.count}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _max_compaction_score(be: Backend) -> int:
    return max(be.vitals.cumulative_score, be.vitals.base_score)


def render_fe(sb: Sandbox, with_tables: bool = False) -> str:
    activity = sb.starrocks.activity
    activity.tick()
    cluster = sb.cluster
    now_s = sb.clock.now()
    now_ms = int(now_s * 1000)
    counters, gauges = sb.metrics.snapshot()
    summaries = mn.summaries(sb.metrics)
    ex = executor(sb)
    w = _Writer()
    connections = gauges.pop(mn.CONNECTION_TOTAL, float(ex.sessions.count()))
    fe = activity.fe
    # -- the JVM ---------------------------------------------------------------------------------
    heap = fe.heap()
    w.jvm(mn.JVM_HEAP_SIZE_BYTES, "jvm heap stat", [(k, heap[k]) for k in ("max", "committed", "used")])
    non_heap = fe.non_heap(now_s)
    w.jvm(mn.JVM_NON_HEAP_SIZE_BYTES, "jvm non heap stat", [(k, non_heap[k]) for k in ("committed", "used")])
    pools = fe.pools()
    for name, pool, help_text in (
        (mn.JVM_YOUNG_SIZE_BYTES, "young", "jvm young mem pool stat"),
        (mn.JVM_OLD_SIZE_BYTES, "old", "jvm old mem pool stat"),
    ):
        w.jvm(name, help_text, [(k, pools[pool][k]) for k in ("committed", "used", "peak_used", "max")])
    direct = int(8 * MIB + 64 * 1024 * min(connections, 100))
    w.jvm(
        mn.JVM_DIRECT_BUFFER_POOL_SIZE_BYTES,
        "jvm direct buffer pool stat",
        [("count", 24 + min(int(connections), 100)), ("used", direct), ("capacity", direct)],
    )
    w.jvm(mn.JVM_YOUNG_GC, "jvm young gc stat", [("count", fe.young_gc_count), ("time", fe.young_gc_ms)])
    w.jvm(mn.JVM_OLD_GC, "jvm old gc stat", [("count", fe.old_gc_count), ("time", fe.old_gc_ms)])
    threads, peak = fe.threads(int(connections), now_s)
    w.jvm(mn.JVM_THREAD, "jvm thread stat", [("count", threads), ("peak_count", peak)])
    # -- MetricRepo's gauges, in the order it registers them ------------------------------------
    jobs = [
        ((("job", "load"), ("type", t), ("state", st)), str(activity.jobs.get((t, st), 0)))
        for t in JOB_TYPES
        for st in JOB_STATES
    ]
    jobs += [
        ((("job", "alter"), ("type", t), ("state", "running")), "0") for t in ("SCHEMA_CHANGE", "ROLLUP")
    ]
    w.metric(mn.JOB, "gauge", mn.HELP[mn.JOB], jobs)
    tablets = cluster.tablet_counts(all_tables(sb))
    w.metric(
        mn.TABLET_NUM,
        "gauge",
        mn.HELP[mn.TABLET_NUM],
        [((("backend", be.name),), str(tablets.get(be.id, 0))) for be in cluster.backends],
    )
    w.metric(
        mn.TABLET_MAX_COMPACTION_SCORE,
        "gauge",
        mn.HELP[mn.TABLET_MAX_COMPACTION_SCORE],
        [((("backend", be.name),), str(_max_compaction_score(be))) for be in cluster.backends],
    )
    w.metric(mn.CONNECTION_TOTAL, "gauge", "total connections", [((), _num(connections))])
    jid = journal_id(sb)
    w.metric(mn.MAX_JOURNAL_ID, "gauge", mn.HELP[mn.MAX_JOURNAL_ID], [((), str(jid))])
    w.metric(
        mn.META_LOG_COUNT, "gauge", mn.HELP[mn.META_LOG_COUNT], [((), str(jid - activity.image_journal_id))]
    )
    w.metric(mn.SCHEDULED_TABLET_NUM, "gauge", mn.HELP[mn.SCHEDULED_TABLET_NUM], [((), "0")])
    for name in (mn.QPS, mn.RPS, mn.QUERY_ERR_RATE):
        w.metric(name, "gauge", mn.HELP[name], [((), _num(activity.gauges.get(name, 0.0), double=True))])
    alive = cluster.alive_backends(now_ms)
    score = max((_max_compaction_score(be) for be in alive), default=0)
    w.metric(
        mn.MAX_TABLET_COMPACTION_SCORE, "gauge", mn.HELP[mn.MAX_TABLET_COMPACTION_SCORE], [((), str(score))]
    )
    w.metric(mn.EDITLOG_STACKED_NUM, "gauge", mn.HELP[mn.EDITLOG_STACKED_NUM], [((), "0")])
    latency = summaries.get((mn.QUERY_LATENCY_MS, ()), mn.Summary())
    mean = latency.total / latency.count if latency.count else 0.0
    for tag, value, help_text in (
        ("mean", mean, "mean of query latency"),
        ("50_quantile", latency.quantile(0.5), "median of query latency"),
        ("75_quantile", latency.quantile(0.75), "p75 of query latency"),
        ("90_quantile", latency.quantile(0.90), "p90 of query latency"),
        ("95_quantile", latency.quantile(0.95), "p95 of query latency"),
        ("99_quantile", latency.quantile(0.99), "p99 of query latency"),
        ("999_quantile", latency.quantile(0.999), "p999 of query latency"),
    ):
        w.metric(mn.FE + "query_latency", "gauge", help_text, [((("type", tag),), repr(float(value)))])
    w.metric(mn.UNFINISHED_QUERY, "gauge", "current unfinished queries", [((), str(ex.sessions.running()))])
    w.metric(mn.FE + "safe_mode", "gauge", "safe mode flag", [((("type", "safe_mode"),), "0")])
    for name, value in sorted(gauges.items()):
        if name.startswith(mn.FE):
            kind, help_text = sb.metrics.help_of(name, "gauge")
            w.metric(name, "gauge", help_text or name, [((), _num(value))])
    # -- counters ------------------------------------------------------------------------------
    listed: set[str] = set()
    for name in FE_COUNTERS:
        series = sorted((labels, v) for (n, labels), v in counters.items() if n == name) or [((), 0.0)]
        w.metric(name, "counter", mn.HELP.get(name, name), [(labels, _num(v)) for labels, v in series])
        listed.add(name)
    # The system's TCP counters, which the FE reads from /proc/net/snmp.
    snmp = _snmp(now_s - fe.start_s, 1.0)
    w.metric(
        mn.SNMP_FE,
        "gauge",
        "All TCP packets retransmitted",
        [((("name", k),), str(v)) for k, v in snmp],
    )
    listed.update(FE_HTTP_COUNTERS)
    extra = sorted(
        {n for n, _ in counters}
        - listed
        - {s + suffix for s in mn.SUMMARIES for suffix in ("_sum", "_count")}
        - mn.SUMMARIES
    )
    for name in extra:
        if not name.startswith(mn.FE) or (name in _TABLE_METRICS and not with_tables):
            continue
        series = sorted((labels, v) for (n, labels), v in counters.items() if n == name)
        w.metric(name, "counter", mn.HELP.get(name, name), [(labels, _num(v)) for labels, v in series])
    # -- histograms, then HttpMetricRegistry ---------------------------------------------------------
    for name in FE_SUMMARIES:
        if name == mn.TXN_STREAM_LOAD_BEGIN_LATENCY_MS:
            for counter in FE_HTTP_COUNTERS:
                found = sorted((labels, v) for (n, labels), v in counters.items() if n == counter)
                series = found or [((), 0.0)]
                help_text = mn.HELP.get(counter, counter)
                w.metric(counter, "counter", help_text, [(lb, _num(v)) for lb, v in series])
        present = [(labels, s) for (n, labels), s in summaries.items() if n == name] or [((), mn.Summary())]
        for labels, s in sorted(present, key=lambda x: x[0]):
            w.summary(name, labels, s)
    for (name, labels), s in sorted(summaries.items(), key=lambda x: x[0]):
        if name.startswith(mn.FE) and name not in FE_SUMMARIES:
            w.summary(name, labels, s)
    # Counters and gauges of the sandbox's other services share the FE address; they follow here
    # under their own (non-StarRocks) names.
    for name in sorted({n for n, _ in counters if not n.startswith("starrocks_")}):
        kind, help_text = sb.metrics.help_of(name)
        series = sorted((labels, v) for (n, labels), v in counters.items() if n == name)
        w.metric(name, kind, help_text or name, [(labels, _num(v)) for labels, v in series])
    for name, value in sorted(gauges.items()):
        if not name.startswith("starrocks_"):
            w.metric(name, "gauge", sb.metrics.help_of(name, "gauge")[1] or name, [((), _num(value))])
    # -- node_info, which the Grafana template reads to tell the leader and count the nodes ------
    w.lines.append(f"# TYPE {mn.NODE_INFO} gauge")
    for labels, value in (
        ((("type", "fe_node_num"), ("state", "total")), 1),
        ((("type", "fe_node_num"), ("state", "alive")), 1),
        ((("type", "be_node_num"), ("state", "total")), len(cluster.backends)),
        ((("type", "be_node_num"), ("state", "alive")), len(alive)),
        ((("type", "be_node_num"), ("state", "decommissioned")), 0),
        ((("type", "broker_node_num"), ("state", "dead")), 0),
        ((("type", "cn_node_num"), ("state", "total")), 0),
        ((("type", "cn_node_num"), ("state", "alive")), 0),
        ((("type", "is_master"),), 1),
    ):
        w.lines.append(f"{mn.NODE_INFO}{_labels(labels)} {value}")
    return w.text()


def _snmp(up_s: float, scale: float) -> list[tuple[str, int]]:
    """The host's TCP counters (/proc/net/snmp), growing steadily since the host's boot (taken to
    be three days before the node started)."""
    up = 3 * 86400 + max(0.0, up_s)
    segs = int((4.0e7 + up * 350) * scale)
    return [
        ("tcp_in_errs", int(12 + up / 7200)),
        ("tcp_in_segs", segs),
        ("tcp_out_segs", int(segs * 0.93)),
        ("tcp_retrans_segs", int(segs * 0.0004)),
    ]


def render_fe_json(sb: Sandbox) -> str:
    """``?type=json``: one object per series (JsonMetricVisitor)."""
    out: list[dict[str, Any]] = []
    for line in render_fe(sb).splitlines():
        if not line or line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        name, _, rest = series.partition("{")
        tags: dict[str, str] = {"metric": name}
        for part in rest.rstrip("}").split(", ") if rest else []:
            k, _, v = part.partition("=")
            tags[k] = v.strip('"')
        out.append({"tags": tags, "unit": "nounit", "value": float(value) if "." in value else int(value)})
    return json.dumps(out)


def be_series(sb: Sandbox, be: Backend) -> list[tuple[str, str, Labels, int]]:
    """Every series of a BE's page: (name, counter|gauge, labels sorted by name, value)."""
    with sb.starrocks.activity.lock:
        return _be_series(sb, be)


def _be_series(sb: Sandbox, be: Backend) -> list[tuple[str, str, Labels, int]]:
    if be.running:
        be.vitals.tick(sb.clock.now())
    now_s = sb.clock.now()
    v = be.vitals
    counters, gauges = be.metrics.snapshot()
    out: list[tuple[str, str, Labels, int]] = []

    def add(metric: str, kind: str, value: float, **labels: str) -> None:
        out.append((mn.BE + metric, kind, tuple(sorted(labels.items())), int(value)))

    registry = dict.fromkeys(BE_COUNTERS, 0.0)
    registry.update({k: val for k, val in counters.items() if k[0].startswith(mn.BE)})
    for (name, labels), value in registry.items():
        out.append((name, "counter", tuple(sorted(labels)), int(value)))
    for name in (
        mn.BE_STREAMING_LOAD_CURRENT_PROCESSING,
        mn.BE_TXN_STREAMING_LOAD_CURRENT_PROCESSING,
        mn.BE_STREAM_LOAD_PIPE_COUNT,
    ):
        out.append((name, "gauge", (), int(gauges.get(name, 0.0))))
    # SystemMetrics
    for mode in CPU_MODES:
        add("cpu", "counter", v.cpu[mode], mode=mode)
    for key, value in v.disk.items():
        add("disk_" + key, "counter", value, device=DISK_DEVICE)
    for key, value in v.net.items():
        add("network_" + key, "counter", value, device=NET_DEVICE)
    for key, value in _snmp(now_s - v.start_s, 1.0 + be.index * 0.07):
        add("snmp", "counter", value, name=key)
    add("fd_num_limit", "gauge", SYSTEM_FD_LIMIT)
    add("fd_num_used", "gauge", 2300 + v.fds(now_s))
    mem = v.process_mem(now_s)
    add("process_mem_bytes", "gauge", mem)
    add("query_mem_bytes", "gauge", v.query_mem)
    add("load_mem_bytes", "gauge", v.load_mem)
    add("metadata_mem_bytes", "gauge", 180 * MIB + be.data_used() // 2000)
    add("compaction_mem_bytes", "gauge", 0)
    add("storage_page_cache_mem_bytes", "gauge", min(2 * GIB, 300 * MIB + v.disk["bytes_read"] % (GIB)))
    add("jemalloc_allocated_bytes", "gauge", mem * 0.86)
    add("jemalloc_active_bytes", "gauge", mem * 0.9)
    add("jemalloc_resident_bytes", "gauge", mem * 0.97)
    add("jemalloc_mapped_bytes", "gauge", mem * 1.1)
    add("jemalloc_metadata_bytes", "gauge", mem * 0.02)
    add("memory_pool_bytes_total", "gauge", 0)
    # StarRocksMetrics
    for disk in be.disks:
        add("disks_total_capacity", "gauge", disk.total, path=disk.path)
        add("disks_avail_capacity", "gauge", disk.avail, path=disk.path)
        add("disks_data_used_capacity", "gauge", disk.data_used, path=disk.path)
        add("disks_state", "gauge", 1, path=disk.path)
    add("max_disk_io_util_percent", "gauge", round(min(100.0, v.last_io_busy * 100)))
    add("max_network_send_bytes_rate", "gauge", v.last_net_out_rate)
    add("max_network_receive_bytes_rate", "gauge", v.last_net_in_rate)
    add("push_request_write_bytes_per_second", "gauge", 0)
    add("query_scan_bytes_per_second", "gauge", v.last_scan_rate)
    add("process_thread_num", "gauge", v.threads(now_s))
    add("process_fd_num_used", "gauge", v.fds(now_s))
    add("process_fd_num_limit_soft", "gauge", PROCESS_FD_LIMIT)
    add("process_fd_num_limit_hard", "gauge", PROCESS_FD_LIMIT)
    add("tablet_cumulative_max_compaction_score", "gauge", v.cumulative_score)
    add("tablet_base_max_compaction_score", "gauge", v.base_score)
    add("tablet_update_max_compaction_score", "gauge", 0)
    add("max_tablet_rowset_num", "gauge", v.cumulative_score + 1)
    add("wait_cumulative_compaction_task_num", "gauge", 1 if v.cumulative_score >= 5 else 0)
    add("wait_base_compaction_task_num", "gauge", 1 if v.base_score >= 5 else 0)
    add("running_cumulative_compaction_task_num", "gauge", 0)
    add("running_base_compaction_task_num", "gauge", 0)
    add("running_update_compaction_task_num", "gauge", 0)
    for kind in ("base", "cumulative", "update"):
        add("compaction_deltas_total", "counter", v.counter(f"compaction_deltas_total|{kind}"), type=kind)
        add("compaction_bytes_total", "counter", v.counter(f"compaction_bytes_total|{kind}"), type=kind)
    reports = v.reports(now_s)
    for kind, statuses in ENGINE_REQUESTS:
        for status in statuses:
            value = reports.get(kind, 0) if status == "total" else 0
            value += v.counter(f"engine_requests_total|{kind}|{status}")
            add("engine_requests_total", "counter", value, status=status, type=kind)
    add("push_requests_total", "counter", 0, status="SUCCESS")
    add("push_requests_total", "counter", 0, status="FAIL")
    add("push_request_duration_us", "counter", 0)
    add("push_request_write_bytes", "counter", 0)
    add("push_request_write_rows", "counter", 0)
    add("query_scan_rows", "counter", v.counter("query_scan_rows"))
    add("query_scan_bytes", "counter", v.counter("query_scan_bytes"))
    add("fragment_requests_total", "counter", v.counter("fragment_requests_total"))
    add("fragment_request_duration_us", "counter", v.counter("fragment_requests_total") * 6500)
    return out


def render_be(sb: Sandbox, be: Backend) -> str:
    """The BE's MetricRegistry as PrometheusMetricsVisitor writes it: families in name order."""
    by_name: dict[str, tuple[str, list[tuple[Labels, int]]]] = {}
    for name, kind, labels, value in be_series(sb, be):
        by_name.setdefault(name, (kind, []))[1].append((labels, value))
    lines: list[str] = []
    for name in sorted(by_name):
        kind, series = by_name[name]
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in sorted(series):
            lines.append(f"{name}{_labels(labels, ',')} {value}")
    return "\n".join(lines) + "\n"


def render_be_json(sb: Sandbox, be: Backend) -> str:
    """``?type=json`` (JsonMetricsVisitor): the metric's name without the prefix, and its labels."""
    out = []
    for name, _, labels, value in sorted(be_series(sb, be)):
        tags = {"metric": name.removeprefix(mn.BE), **dict(labels)}
        out.append({"tags": tags, "unit": "nounit", "value": value})
    return json.dumps(out, separators=(",", ":"))


def render_be_core(sb: Sandbox, be: Backend) -> str:
    """``?type=core`` (SimpleCoreMetricsVisitor): a few gauges as ``name LONG value``."""
    core = {
        "process_fd_num_used", "process_thread_num", "push_request_write_bytes_per_second",
        "query_scan_bytes_per_second", "max_disk_io_util_percent", "max_network_send_bytes_rate",
        "max_network_receive_bytes_rate",
    }  # fmt: skip
    lines = [
        f"{name} LONG {value}"
        for name, _, _, value in sorted(be_series(sb, be))
        if name.removeprefix(mn.BE) in core
    ]
    return "".join(line + "\n" for line in lines)


def fe_routes(sb: Sandbox) -> list[BaseRoute]:
    cluster_info(sb)  # the FE's start time is when its routes come up

    async def health(request: Request) -> Response:
        # HealthAction: every BE the FE knows of, and those its heartbeats find alive.
        alive = sb.cluster.alive_backends(sb.clock.ms())
        return json_response(
            {"status": "OK", "total_backend_num": len(sb.cluster.backends), "online_backend_num": len(alive)}
        )

    async def bootstrap(request: Request) -> Response:
        ci = cluster_info(sb)
        result: dict[str, Any] = {"replayedJournalId": 0, "queryPort": 0, "rpcPort": 0, "feStartTime": 0}
        status, msg = "OK", "Success"
        cluster_id = request.query_params.get("cluster_id") or ""
        token = request.query_params.get("token") or ""
        if cluster_id and token:
            if not cluster_id.lstrip("-").isdigit():
                status, msg = "FAILED", f"invalid cluster id format: {cluster_id}"
            elif int(cluster_id) != ci.cluster_id:
                status, msg = "FAILED", f"invalid cluster id: {ci.cluster_id}"
            elif token != ci.token:
                status, msg = "FAILED", f"invalid token: {ci.token}"
            else:
                result = {
                    "replayedJournalId": journal_id(sb),
                    "queryPort": 9030,
                    "rpcPort": 9020,
                    "feStartTime": ci.start_ms,
                    "feVersion": f"{FE_VERSION}",
                }
        result.update({"status": status, "code": "0" if status == "OK" else "1", "msg": msg})
        result["message"] = "OK" if status == "OK" else msg
        return json_response(result)

    async def metrics(request: Request) -> Response:
        kind = (request.query_params.get("type") or "").lower()
        with_tables = (request.query_params.get("with_table_metrics") or "").lower() in ("minified", "all")
        # Table metrics are only for an authenticated admin; anyone else silently gets the rest.
        with_tables = with_tables and auth.check(sb.config, request) is not None
        if kind == "json":
            return Response(await sb.store.run(render_fe_json, sb), media_type="text/plain")
        text = await sb.store.run(render_fe, sb, with_tables)
        return Response(text, media_type="text/plain")

    async def show_proc(request: Request) -> Response:
        if auth.check(sb.config, request) is None:
            return auth.fe_unauthorized(request)
        path = request.query_params.get("path") or "/"
        try:
            names, rows = await sb.store.run(executor(sb).proc, path)
        except SqlError:
            return Response("[]", media_type="text/html")
        body = [dict(zip(names, row, strict=False)) for row in rows]
        return Response(
            json.dumps(body, separators=(",", ":"), ensure_ascii=False), media_type="application/json"
        )

    return [
        Route("/api/health", health, methods=["GET"]),
        Route("/api/bootstrap", bootstrap, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/api/show_proc", show_proc, methods=["GET"]),
    ]


def be_routes(sb: Sandbox, be: Backend) -> list[BaseRoute]:
    async def health(request: Request) -> Response:
        return json_response({"status": "OK", "msg": "To Be Added"})

    async def metrics(request: Request) -> Response:
        kind = request.query_params.get("type") or ""
        render = {"json": render_be_json, "core": render_be_core}.get(kind, render_be)
        return Response(await sb.store.run(render, sb, be), media_type="text/plain; version=0.0.4")

    return [
        Route("/api/health", health, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
