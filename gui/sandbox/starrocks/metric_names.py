"""Names of the metrics the emulated FE and BE expose on ``/metrics``, as StarRocks spells them.

FE names come from the FE's MetricRepo (``starrocks_fe_`` + the registered name) and its
HttpMetricRegistry (the ``txn_stream_load_*`` operation counters and latencies); BE names from the
BE's StarRocksMetrics and TransactionMgr (``starrocks_be_`` + the registered name).

Counters are bumped with ``sb.metrics.inc(NAME, **labels)``. Latencies are Prometheus summaries
(quantiles 0.75 … 0.999, ``_sum``, ``_count``); record them with :func:`observe`, never with ``inc``.
"""

from __future__ import annotations

import threading
import weakref
from collections import deque
from dataclasses import dataclass, field

from ..metrics import Metrics

FE = "starrocks_fe_"
BE = "starrocks_be_"

# -- FE: queries and requests (MetricRepo) -------------------------------------------------------
REQUEST_TOTAL = FE + "request_total"  # every statement received, queries or not
QUERY_TOTAL = FE + "query_total"
QUERY_SUCCESS = FE + "query_success"
QUERY_ERR = FE + "query_err"
QUERY_TIMEOUT = FE + "query_timeout"
SLOW_QUERY = FE + "slow_query"
QUERY_LATENCY_MS = FE + "query_latency_ms"  # summary
CONNECTION_TOTAL = FE + "connection_total"  # gauge: open connections
QPS = FE + "qps"  # gauge
RPS = FE + "rps"  # gauge
QUERY_ERR_RATE = FE + "query_err_rate"  # gauge
MAX_JOURNAL_ID = FE + "max_journal_id"  # gauge
UNFINISHED_QUERY = FE + "unfinished_query"  # gauge

# -- FE: loads and transactions (MetricRepo) -----------------------------------------------------
LOAD_ADD = FE + "load_add"  # a load job submitted
LOAD_FINISHED = FE + "load_finished"
TXN_BEGIN = FE + "txn_begin"
TXN_SUCCESS = FE + "txn_success"  # a transaction became VISIBLE
TXN_FAILED = FE + "txn_failed"  # a transaction was aborted
TXN_REJECT = FE + "txn_reject"  # begin refused (e.g. too many running transactions)
# Transaction phase latencies, labels type="all"|"stream_load"|... and is_leader="true".
TXN_TOTAL_LATENCY_MS = FE + "txn_total_latency_ms"  # summary: prepare -> finish
TXN_WRITE_LATENCY_MS = FE + "txn_write_latency_ms"  # summary: prepare -> commit
TXN_PUBLISH_LATENCY_MS = FE + "txn_publish_latency_ms"  # summary: commit -> finish

# -- FE: metadata, tablets and jobs (MetricRepo) --------------------------------------------------
EDIT_LOG_WRITE = FE + "edit_log_write"
EDIT_LOG_READ = FE + "edit_log_read"
EDIT_LOG_SIZE_BYTES = FE + "edit_log_size_bytes"
IMAGE_WRITE = FE + "image_write"
IMAGE_PUSH = FE + "image_push"
META_LOG_COUNT = FE + "meta_log_count"  # gauge: journal entries since the last image
SCHEDULED_TABLET_NUM = FE + "scheduled_tablet_num"  # gauge
EDITLOG_STACKED_NUM = FE + "editlog_stacked_num"  # gauge
MAX_TABLET_COMPACTION_SCORE = FE + "max_tablet_compaction_score"  # gauge
TABLET_NUM = FE + "tablet_num"  # gauge, label backend="host:heartbeat_port"
TABLET_MAX_COMPACTION_SCORE = FE + "tablet_max_compaction_score"  # gauge, label backend
JOB = FE + "job"  # gauge, labels job="load"|"alter", type, state
SNMP_FE = FE + "snmp"  # gauge, label name="tcp_retrans_segs"|...
EDITLOG_WRITE_LATENCY_MS = FE + "editlog_write_latency_ms"  # summary
JOURNAL_WRITE_LATENCY_MS = FE + "journal_write_latency_ms"  # summary
JOURNAL_WRITE_BATCH = FE + "journal_write_batch"  # summary
JOURNAL_WRITE_BYTES = FE + "journal_write_bytes"  # summary
# The FE's JVM (PrometheusMetricVisitor.visitJvm): written without the starrocks_fe_ prefix.
JVM_HEAP_SIZE_BYTES = "jvm_heap_size_bytes"
JVM_NON_HEAP_SIZE_BYTES = "jvm_non_heap_size_bytes"
JVM_YOUNG_SIZE_BYTES = "jvm_young_size_bytes"
JVM_OLD_SIZE_BYTES = "jvm_old_size_bytes"
JVM_DIRECT_BUFFER_POOL_SIZE_BYTES = "jvm_direct_buffer_pool_size_bytes"
JVM_YOUNG_GC = "jvm_young_gc"
JVM_OLD_GC = "jvm_old_gc"
JVM_THREAD = "jvm_thread"
NODE_INFO = "node_info"  # gauge, written without the prefix too

# -- FE: HTTP and the transaction interface (HttpMetricRegistry) ---------------------------------
HTTP_CONNECTIONS_NUM = FE + "http_connections_num"
HTTP_HANDLING_REQUESTS_NUM = FE + "http_handling_requests_num"
HTTP_REQUEST_HANDLE_LATENCY_MS = FE + "http_request_handle_latency_ms"  # summary
TXN_STREAM_LOAD_BEGIN_NUM = FE + "txn_stream_load_begin_num"
TXN_STREAM_LOAD_BEGIN_LATENCY_MS = FE + "txn_stream_load_begin_latency_ms"  # summary
TXN_STREAM_LOAD_LOAD_NUM = FE + "txn_stream_load_load_num"
TXN_STREAM_LOAD_LOAD_LATENCY_MS = FE + "txn_stream_load_load_latency_ms"  # summary
TXN_STREAM_LOAD_PREPARE_NUM = FE + "txn_stream_load_prepare_num"
TXN_STREAM_LOAD_PREPARE_LATENCY_MS = FE + "txn_stream_load_prepare_latency_ms"  # summary
TXN_STREAM_LOAD_COMMIT_NUM = FE + "txn_stream_load_commit_num"
TXN_STREAM_LOAD_COMMIT_LATENCY_MS = FE + "txn_stream_load_commit_latency_ms"  # summary
TXN_STREAM_LOAD_ROLLBACK_NUM = FE + "txn_stream_load_rollback_num"
TXN_STREAM_LOAD_ROLLBACK_LATENCY_MS = FE + "txn_stream_load_rollback_latency_ms"  # summary

# -- FE: table metrics (shown with ?with_table_metrics=all|minified) -----------------------------
# Labels db_name, tbl_name, tbl_id and type="stream_load"|"insert_into"|"routine_load"|...
TABLE_LOAD_BYTES = FE + "table_load_bytes"
TABLE_LOAD_ROWS = FE + "table_load_rows"
TABLE_LOAD_FINISHED = FE + "table_load_finished"
TABLE_SCAN_ROWS = FE + "table_scan_rows"
TABLE_SCAN_BYTES = FE + "table_scan_bytes"
TABLE_SCAN_FINISHED = FE + "table_scan_finished"

# -- BE (StarRocksMetrics, TransactionMgr) -------------------------------------------------------
BE_HTTP_REQUESTS_TOTAL = BE + "http_requests_total"
BE_STREAMING_LOAD_REQUESTS_TOTAL = BE + "streaming_load_requests_total"
BE_STREAMING_LOAD_BYTES = BE + "streaming_load_bytes"
BE_STREAMING_LOAD_DURATION_MS = BE + "streaming_load_duration_ms"  # counter of milliseconds
BE_STREAMING_LOAD_CURRENT_PROCESSING = BE + "streaming_load_current_processing"  # gauge
BE_TXN_STREAMING_LOAD_REQUESTS_TOTAL = BE + "transaction_streaming_load_requests_total"
BE_TXN_STREAMING_LOAD_BYTES = BE + "transaction_streaming_load_bytes"
BE_TXN_STREAMING_LOAD_DURATION_MS = BE + "transaction_streaming_load_duration_ms"  # counter of ms
BE_TXN_STREAMING_LOAD_CURRENT_PROCESSING = BE + "transaction_streaming_load_current_processing"  # gauge
BE_TXN_REQUEST = BE + "txn_request"  # label type="begin"|"commit"|"rollback"|"exec"
BE_STREAM_LOAD = BE + "stream_load"  # label type="receive_bytes"|"load_rows"
BE_LOAD_ROWS = BE + "load_rows"
BE_LOAD_BYTES = BE + "load_bytes"
BE_STREAM_LOAD_PIPE_COUNT = BE + "stream_load_pipe_count"  # gauge

SUMMARIES = frozenset(
    {
        QUERY_LATENCY_MS,
        EDITLOG_WRITE_LATENCY_MS,
        JOURNAL_WRITE_LATENCY_MS,
        JOURNAL_WRITE_BATCH,
        JOURNAL_WRITE_BYTES,
        TXN_TOTAL_LATENCY_MS,
        TXN_WRITE_LATENCY_MS,
        TXN_PUBLISH_LATENCY_MS,
        HTTP_REQUEST_HANDLE_LATENCY_MS,
        TXN_STREAM_LOAD_BEGIN_LATENCY_MS,
        TXN_STREAM_LOAD_LOAD_LATENCY_MS,
        TXN_STREAM_LOAD_PREPARE_LATENCY_MS,
        TXN_STREAM_LOAD_COMMIT_LATENCY_MS,
        TXN_STREAM_LOAD_ROLLBACK_LATENCY_MS,
    }
)

GAUGES = frozenset(
    {
        CONNECTION_TOTAL,
        QPS,
        RPS,
        QUERY_ERR_RATE,
        MAX_JOURNAL_ID,
        UNFINISHED_QUERY,
        HTTP_CONNECTIONS_NUM,
        HTTP_HANDLING_REQUESTS_NUM,
        BE_STREAMING_LOAD_CURRENT_PROCESSING,
        BE_TXN_STREAMING_LOAD_CURRENT_PROCESSING,
        BE_STREAM_LOAD_PIPE_COUNT,
    }
)

# HELP texts as the FE and BE register them.
HELP: dict[str, str] = {
    REQUEST_TOTAL: "total request",
    QUERY_TOTAL: "total query",
    QUERY_SUCCESS: "total success query",
    QUERY_ERR: "total error query",
    QUERY_TIMEOUT: "total timeout query",
    SLOW_QUERY: "total slow query",
    CONNECTION_TOTAL: "total connections",
    QPS: "query per second",
    RPS: "request per second",
    QUERY_ERR_RATE: "query error rate",
    MAX_JOURNAL_ID: "max journal id of this frontends",
    LOAD_ADD: "total load submit",
    LOAD_FINISHED: "total load finished",
    TXN_BEGIN: "counter of begining transactions",
    TXN_SUCCESS: "counter of success transactions",
    TXN_FAILED: "counter of failed transactions",
    TXN_REJECT: "counter of rejected transactions",
    TXN_STREAM_LOAD_BEGIN_NUM: "the number of begin operations handled",
    TXN_STREAM_LOAD_LOAD_NUM: "the number of load operations handled",
    TXN_STREAM_LOAD_PREPARE_NUM: "the number of prepare operations handled",
    TXN_STREAM_LOAD_COMMIT_NUM: "the number of commit operations handled",
    TXN_STREAM_LOAD_ROLLBACK_NUM: "the number of rollback operations handled",
    UNFINISHED_QUERY: "current unfinished queries",
    TABLE_LOAD_BYTES: "total loaded bytes of a table",
    TABLE_LOAD_ROWS: "total loaded rows of a table",
    TABLE_LOAD_FINISHED: "total loaded times of this table",
    TABLE_SCAN_BYTES: "total scanned bytes of a table",
    TABLE_SCAN_ROWS: "total scanned rows of a table",
    TABLE_SCAN_FINISHED: "total scanned times of a table",
    EDIT_LOG_WRITE: "counter of edit log write into bdbje",
    EDIT_LOG_READ: "counter of edit log read from bdbje",
    EDIT_LOG_SIZE_BYTES: "size of edit log",
    IMAGE_WRITE: "counter of image generated",
    IMAGE_PUSH: "counter of image succeeded in pushing to other frontends",
    META_LOG_COUNT: "meta log total count",
    SCHEDULED_TABLET_NUM: "number of tablets being scheduled",
    EDITLOG_STACKED_NUM: "counter of edit log that are stacked",
    MAX_TABLET_COMPACTION_SCORE: "max tablet compaction score of all backends",
    TABLET_NUM: "tablet number",
    TABLET_MAX_COMPACTION_SCORE: "tablet max compaction score",
    JOB: "job statistics",
}

QUANTILES = (0.75, 0.95, 0.98, 0.99, 0.999)
_RESERVOIR = 1028  # the size of the FE's default (exponentially decaying) histogram reservoir


@dataclass
class Summary:
    """Observations of one latency series: totals plus the most recent samples for quantiles."""

    count: int = 0
    total: float = 0.0
    samples: deque[float] = field(default_factory=lambda: deque(maxlen=_RESERVOIR))

    def quantile(self, q: float) -> float:
        if not self.samples:
            return 0.0
        ordered = sorted(self.samples)
        pos = q * (len(ordered) + 1)
        if pos < 1:
            return ordered[0]
        if pos >= len(ordered):
            return ordered[-1]
        lower = ordered[int(pos) - 1]
        return lower + (pos - int(pos)) * (ordered[int(pos)] - lower)


Labels = tuple[tuple[str, str], ...]
_summaries: weakref.WeakKeyDictionary[Metrics, dict[tuple[str, Labels], Summary]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def observe(metrics: Metrics, name: str, value: float, **labels: str) -> None:
    """Record one latency (milliseconds) of a summary metric, e.g. TXN_STREAM_LOAD_BEGIN_LATENCY_MS."""
    key = (name, tuple(sorted(labels.items())))
    with _lock:
        series = _summaries.setdefault(metrics, {})
        s = series.get(key)
        if s is None:
            s = series[key] = Summary()
        s.count += 1
        s.total += value
        s.samples.append(value)


def observe_many(
    metrics: Metrics, name: str, values: list[float], extra_count: int = 0, extra_total: float = 0.0
) -> None:
    """Record many latencies at once; ``extra_count`` more observations (totalling ``extra_total``)
    count without being kept as samples (a long move of the clock does not keep a million)."""
    key = (name, ())
    with _lock:
        series = _summaries.setdefault(metrics, {})
        s = series.get(key)
        if s is None:
            s = series[key] = Summary()
        s.count += len(values) + extra_count
        s.total += sum(values) + extra_total
        s.samples.extend(values)


def reset_summaries(metrics: Metrics, prefix: str) -> None:
    """Forget the summaries whose name starts with ``prefix`` (a node that restarted)."""
    with _lock:
        series = _summaries.get(metrics, {})
        for key in [k for k in series if k[0].startswith(prefix)]:
            del series[key]


def summaries(metrics: Metrics) -> dict[tuple[str, Labels], Summary]:
    """Every summary series recorded so far (a copy)."""
    with _lock:
        series = _summaries.get(metrics, {})
        return {k: Summary(v.count, v.total, deque(v.samples, maxlen=_RESERVOIR)) for k, v in series.items()}
