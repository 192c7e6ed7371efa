"""FE and BE monitoring: ``/api/health``, ``/api/bootstrap``, ``/metrics`` and ``/api/show_proc``.

Shapes follow the FE's HealthAction (RestResult), BootstrapFinishAction (BootstrapResult), MetricsAction
with PrometheusMetricVisitor and ShowProcAction, and the BE's health action and metrics page. The
metric names are in ``metric_names``; services bump them on ``sb.metrics``.
"""

from __future__ import annotations

import json
import os
import resource
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import json_response
from ..metrics import Metrics
from . import auth
from . import metric_names as mn
from .sql import FE_VERSION, SqlError, cluster_info, executor

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
FE_SUMMARIES = [
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
BE_GAUGES = [
    mn.BE_STREAMING_LOAD_CURRENT_PROCESSING,
    mn.BE_TXN_STREAMING_LOAD_CURRENT_PROCESSING,
    mn.BE_STREAM_LOAD_PIPE_COUNT,
]


def _snapshot(metrics: Metrics) -> tuple[dict[tuple[str, Labels], float], dict[str, float]]:
    """Counters and current gauge values of the registry."""
    return metrics.snapshot()


def _num(v: float, double: bool = False) -> str:
    """Java's toString of the metric value: longs without a point, doubles always with one."""
    if double:
        return repr(float(v))
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    return "{" + ", ".join(f'{k}="{v}"' for k, v in labels) + "}"


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


def render_fe(sb: Sandbox, with_tables: bool = False) -> str:
    counters, gauges = _snapshot(sb.metrics)
    summaries = mn.summaries(sb.metrics)
    ex = executor(sb)
    w = _Writer()
    ci = cluster_info(sb)
    connections = gauges.pop(mn.CONNECTION_TOTAL, float(ex.sessions.count()))
    w.metric(mn.CONNECTION_TOTAL, "gauge", "total connections", [((), _num(connections))])
    w.metric(mn.MAX_JOURNAL_ID, "gauge", "max journal id of this frontends", [((), str(ci.journal_id))])
    for name, help_text in ((mn.QPS, "query per second"), (mn.RPS, "request per second")):
        w.metric(name, "gauge", help_text, [((), _num(gauges.pop(name, 0.0), double=True))])
    w.metric(
        mn.QUERY_ERR_RATE, "gauge", "query error rate", [((), _num(gauges.pop(mn.QUERY_ERR_RATE, 0.0), True))]
    )
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
    listed: set[str] = set()
    for name in [*FE_COUNTERS, *FE_HTTP_COUNTERS]:
        series = sorted((labels, v) for (n, labels), v in counters.items() if n == name) or [((), 0.0)]
        w.metric(name, "counter", mn.HELP.get(name, name), [(labels, _num(v)) for labels, v in series])
        listed.add(name)
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
    for name in FE_SUMMARIES:
        found = [(labels, s) for (n, labels), s in summaries.items() if n == name] or [((), mn.Summary())]
        for labels, s in sorted(found, key=lambda x: x[0]):
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
    w.lines.append("# TYPE node_info gauge")
    for labels, value in (
        ((("type", "fe_node_num"), ("state", "total")), 1),
        ((("type", "fe_node_num"), ("state", "alive")), 1),
        ((("type", "be_node_num"), ("state", "total")), 1),
        ((("type", "be_node_num"), ("state", "alive")), 1),
        ((("type", "be_node_num"), ("state", "decommissioned")), 0),
        ((("type", "broker_node_num"), ("state", "dead")), 0),
        ((("type", "cn_node_num"), ("state", "total")), 0),
        ((("type", "cn_node_num"), ("state", "alive")), 0),
        ((("type", "is_master"),), 1),
    ):
        w.lines.append(f"node_info{_labels(labels)} {value}")
    return w.text()


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


def render_be(sb: Sandbox) -> str:
    counters, gauges = _snapshot(sb.metrics)
    lines: list[str] = []
    seen: set[str] = set()

    def emit(name: str, kind: str, labels: Labels, value: str) -> None:
        if name not in seen:
            lines.append(f"# TYPE {name} {kind}")
            seen.add(name)
        lines.append(f"{name}{_labels(labels)} {value}")

    listed = set()
    for name, labels in BE_COUNTERS:
        emit(name, "counter", labels, _num(counters.get((name, labels), 0.0)))
        listed.add((name, labels))
    for (name, labels), v in sorted(counters.items()):
        if name.startswith(mn.BE) and (name, labels) not in listed:
            emit(name, "counter", labels, _num(v))
    for name in BE_GAUGES:
        emit(name, "gauge", (), _num(gauges.get(name, 0.0)))
    for name, v in sorted(gauges.items()):
        if name.startswith(mn.BE) and name not in BE_GAUGES:
            emit(name, "gauge", (), _num(v))
    # Process gauges the BE reports from /proc; here the sandbox process's own.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    emit(mn.BE + "process_mem_bytes", "gauge", (), str(usage.ru_maxrss * 1024))
    emit(mn.BE + "process_thread_num", "gauge", (), str(threading.active_count()))
    try:
        fds = len(os.listdir("/proc/self/fd"))
    except OSError:
        fds = 0
    emit(mn.BE + "process_fd_num_used", "gauge", (), str(fds))
    return "\n".join(lines) + "\n"


def fe_routes(sb: Sandbox) -> list[BaseRoute]:
    cluster_info(sb)  # the FE's start time is when its routes come up

    async def health(request: Request) -> Response:
        return json_response({"status": "OK", "total_backend_num": 1, "online_backend_num": 1})

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
                    "replayedJournalId": ci.journal_id,
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


def be_routes(sb: Sandbox) -> list[BaseRoute]:
    async def health(request: Request) -> Response:
        return json_response({"status": "OK", "msg": "To Be Added"})

    async def metrics(request: Request) -> Response:
        return Response(await sb.store.run(render_be, sb), media_type="text/plain")

    return [
        Route("/api/health", health, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
