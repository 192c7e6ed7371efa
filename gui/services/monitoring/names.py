"""What the monitoring reads, as StarRocks names and writes it.

Metric names are those of the FE's ``MetricRepo`` (``starrocks_fe_`` + the registered name), its
``PrometheusMetricVisitor`` (``jvm_*`` without a prefix, ``node_info``) and the BE's
``StarRocksMetrics``/``SystemMetrics`` (``starrocks_be_`` + the registered name). SHOW BACKENDS writes
sizes as ``DebugUtil.getByteUint`` does (``"1.000 TB"``, base 1024) and percentages as
``"12.34 %"`` (``BackendsProcDir``); times as ``TimeUtils.longToTimeString`` (the FE's local time,
``"2024-01-01 08:00:00"``, ``"N/A"`` when never).
"""

from __future__ import annotations

import re
from typing import Any

# -- FE ---------------------------------------------------------------------------------------------
FE_QUERY_TOTAL = "starrocks_fe_query_total"  # counter, queries this FE coordinated
FE_QUERY_ERR = "starrocks_fe_query_err"  # counter
FE_TXN_BEGIN = "starrocks_fe_txn_begin"  # counter (moves on the leader)
FE_TXN_SUCCESS = "starrocks_fe_txn_success"  # counter: transactions that became VISIBLE
FE_TXN_FAILED = "starrocks_fe_txn_failed"  # counter: transactions aborted
FE_QPS = "starrocks_fe_qps"  # gauge, the FE's MetricCalculator every 15 s
FE_QUERY_ERR_RATE = "starrocks_fe_query_err_rate"  # gauge: failed queries per second (15 s)
# Gauges over the latest queries (type="50_quantile", "95_quantile", "99_quantile", ...).
FE_QUERY_LATENCY = "starrocks_fe_query_latency"
# A summary over all queries (codahale's decaying reservoir): quantile="0.75" ... "0.999", no median.
FE_QUERY_LATENCY_MS = "starrocks_fe_query_latency_ms"
FE_MAX_COMPACTION_SCORE = "starrocks_fe_max_tablet_compaction_score"  # gauge, all backends
FE_TABLET_MAX_COMPACTION_SCORE = "starrocks_fe_tablet_max_compaction_score"  # backend="host:heartbeat_port"
FE_MAX_JOURNAL_ID = "starrocks_fe_max_journal_id"
JVM_HEAP = "jvm_heap_size_bytes"  # type="max" | "committed" | "used"
NODE_INFO = "node_info"  # type="fe_node_num"|"be_node_num", state="total"|"alive"|"decommissioned"

# -- BE ---------------------------------------------------------------------------------------------
BE_CPU = "starrocks_be_cpu"  # counter per mode (user, nice, system, idle, iowait, ...): /proc/stat jiffies
BE_PROCESS_MEM = "starrocks_be_process_mem_bytes"
BE_DISK_TOTAL = "starrocks_be_disks_total_capacity"  # path="<storage root>"
BE_DISK_AVAIL = "starrocks_be_disks_avail_capacity"
BE_DISK_DATA_USED = "starrocks_be_disks_data_used_capacity"
BE_DISK_STATE = "starrocks_be_disks_state"
BE_COMPACTION_SCORES = (
    "starrocks_be_tablet_cumulative_max_compaction_score",
    "starrocks_be_tablet_base_max_compaction_score",
    "starrocks_be_tablet_update_max_compaction_score",
)
BE_LOAD_ROWS = "starrocks_be_load_rows"  # counter
BE_LOAD_BYTES = "starrocks_be_load_bytes"  # counter

# Counters kept per node for rates (the names the rates are computed under).
FE_COUNTERS = (FE_QUERY_TOTAL, FE_QUERY_ERR, FE_TXN_BEGIN, FE_TXN_SUCCESS, FE_TXN_FAILED)
CPU_IDLE = "cpu_idle"  # idle jiffies
CPU_ALL = "cpu_all"  # jiffies of every mode
BE_COUNTERS = (BE_LOAD_ROWS, BE_LOAD_BYTES)

_UNITS = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40, "PB": 1 << 50}
_SIZE = re.compile(r"^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*([KMGTP]?B)\s*$", re.IGNORECASE)
_PCT = re.compile(r"^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*%?\s*$")


def size_bytes(value: Any) -> float | None:
    """``"1.500 GB"`` → bytes (StarRocks' units are powers of 1024); None when not a size."""
    if value is None:
        return None
    m = _SIZE.match(str(value))
    if not m:
        return None
    return float(m.group(1)) * _UNITS[m.group(2).upper()]


def percent(value: Any) -> float | None:
    """``"12.34 %"`` → 12.34; None when absent or not a number."""
    if value is None:
        return None
    m = _PCT.match(str(value))
    return float(m.group(1)) if m else None


def integer(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def truth(value: Any) -> bool:
    """SHOW columns say ``"true"``/``"false"``; the SQL API may hand back a boolean."""
    return value is True or str(value).strip().lower() == "true"


def fe_time(value: Any) -> str:
    """A time as the FE wrote it, or "" for none (``N/A``, ``NULL``, empty)."""
    text = "" if value is None else str(value).strip()
    return "" if text.upper() in ("", "N/A", "NULL", "NONE") else text
