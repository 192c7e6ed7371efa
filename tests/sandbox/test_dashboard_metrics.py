"""The metric families StarRocks' Grafana template charts, as the FE and BE expose them, read with the
Prometheus project's own text-format parser; counters that only grow, gauges that stay in bounds, and
the BE's load counters moving for plain Stream Load as for the transaction interface."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from conftest import SandboxProcess
from prometheus_client.parser import text_string_to_metric_families
from txn_helpers import TxnClient

Series = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str) -> tuple[Series, dict[str, str]]:
    """Every sample of a /metrics page, and the declared type of each sample's family."""
    r = httpx.get(url + "/metrics", timeout=30)
    assert r.status_code == 200, r.text
    samples: Series = {}
    types: dict[str, str] = {}
    written = {line.split("{")[0].split(" ")[0] for line in r.text.splitlines() if not line.startswith("#")}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            # The parser names a counter's samples ..._total; StarRocks' counters mostly are not.
            name = s.name if s.name in written else s.name.removesuffix("_total")
            assert name in written, s.name
            samples[(name, tuple(sorted(s.labels.items())))] = float(s.value)
            types[name] = family.type
    return samples, types


def value(samples: Series, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def labelled(samples: Series, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {labels: v for (n, labels), v in samples.items() if n == name}


def advance(sp: SandboxProcess, seconds: float) -> None:
    r = httpx.post(f"{sp.url}/_sandbox/clock", json={"advance": seconds}, auth=sp.auth, timeout=60)
    assert r.status_code == 200, r.text


def test_fe_families_of_the_grafana_template(sandbox: SandboxProcess) -> None:
    samples, types = scrape(sandbox.url)
    # The JVM, as PrometheusMetricVisitor.visitJvm writes it (no starrocks_fe_ prefix).
    heap = labelled(samples, "jvm_heap_size_bytes")
    assert {lb[0][1] for lb in heap} == {"max", "committed", "used"}
    assert types["jvm_heap_size_bytes"] == "gauge"
    assert (
        0
        < value(samples, "jvm_heap_size_bytes", type="used")
        <= value(samples, "jvm_heap_size_bytes", type="max")
    )
    assert {lb[0][1] for lb in labelled(samples, "jvm_non_heap_size_bytes")} == {"committed", "used"}
    for gc in ("jvm_young_gc", "jvm_old_gc"):
        assert {lb[0][1] for lb in labelled(samples, gc)} == {"count", "time"}
    assert {lb[0][1] for lb in labelled(samples, "jvm_thread")} == {"count", "peak_count"}
    # MetricRepo's edit log, image, tablets, jobs and connections.
    for name in (
        "starrocks_fe_edit_log_write",
        "starrocks_fe_edit_log_read",
        "starrocks_fe_edit_log_size_bytes",
        "starrocks_fe_image_write",
        "starrocks_fe_image_push",
        "starrocks_fe_query_total",
        "starrocks_fe_query_err",
        "starrocks_fe_txn_begin",
        "starrocks_fe_txn_success",
        "starrocks_fe_txn_failed",
    ):
        assert types[name] == "counter", name
    for name in (
        "starrocks_fe_max_journal_id",
        "starrocks_fe_meta_log_count",
        "starrocks_fe_connection_total",
        "starrocks_fe_qps",
        "starrocks_fe_scheduled_tablet_num",
        "starrocks_fe_max_tablet_compaction_score",
    ):
        assert types[name] == "gauge", name
    tablets = labelled(samples, "starrocks_fe_tablet_num")
    be_name = f"127.0.0.1:{9050}"
    assert tablets == {(("backend", be_name),): tablets[(("backend", be_name),)]}
    assert tablets[(("backend", be_name),)] >= 2  # the seeded tables' tablets
    assert (("backend", be_name),) in labelled(samples, "starrocks_fe_tablet_max_compaction_score")
    jobs = labelled(samples, "starrocks_fe_job")
    assert (("job", "load"), ("state", "FINISHED"), ("type", "INSERT")) in jobs
    assert (("job", "alter"), ("state", "running"), ("type", "SCHEMA_CHANGE")) in jobs
    assert types["starrocks_fe_query_latency_ms"] == "summary"
    quantiles = {lb for lb in labelled(samples, "starrocks_fe_query_latency_ms")}
    assert {(("quantile", q),) for q in ("0.75", "0.95", "0.98", "0.99", "0.999")} <= quantiles
    assert value(samples, "node_info", type="be_node_num", state="total") == 1
    assert value(samples, "node_info", type="fe_node_num", state="alive") == 1


def test_be_families_of_the_grafana_template(sandbox: SandboxProcess) -> None:
    r = httpx.get(sandbox.be_url + "/metrics", timeout=30)
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    # The BE's visitor: a TYPE line per family, no HELP, labels sorted by name and joined by ",".
    assert "# HELP" not in r.text
    assert 'starrocks_be_engine_requests_total{status="failed",type="clone"} ' in r.text
    samples, types = scrape(sandbox.be_url)
    modes = labelled(samples, "starrocks_be_cpu")
    assert {lb[0][1] for lb in modes} == {
        "user", "nice", "system", "idle", "iowait", "irq", "soft_irq", "steal", "guest", "guest_nice",
    }  # fmt: skip
    assert types["starrocks_be_cpu"] == "counter"
    total = labelled(samples, "starrocks_be_disks_total_capacity")
    avail = labelled(samples, "starrocks_be_disks_avail_capacity")
    used = labelled(samples, "starrocks_be_disks_data_used_capacity")
    ((path_label,),) = list(total)
    assert path_label[0] == "path" and set(avail) == set(used) == set(total)
    assert 0 < avail[(path_label,)] < total[(path_label,)]
    assert labelled(samples, "starrocks_be_disks_state") == {(path_label,): 1.0}
    for name in (
        "starrocks_be_disks_total_capacity",
        "starrocks_be_max_disk_io_util_percent",
        "starrocks_be_process_mem_bytes",
        "starrocks_be_fd_num_used",
        "starrocks_be_process_fd_num_used",
        "starrocks_be_tablet_base_max_compaction_score",
        "starrocks_be_tablet_cumulative_max_compaction_score",
    ):
        assert types[name] == "gauge", name
    assert 0 <= value(samples, "starrocks_be_max_disk_io_util_percent") <= 100
    for name in (
        "starrocks_be_network_receive_bytes",
        "starrocks_be_network_send_bytes",
        "starrocks_be_disk_io_time_ms",
        "starrocks_be_engine_requests_total",
        "starrocks_be_push_requests_total",
        "starrocks_be_compaction_deltas_total",
        "starrocks_be_query_scan_rows",
        "starrocks_be_query_scan_bytes",
        "starrocks_be_stream_load",
        "starrocks_be_txn_request",
    ):
        assert types[name] == "counter", name
    assert set(labelled(samples, "starrocks_be_stream_load")) == {
        (("type", "receive_bytes"),),
        (("type", "load_rows"),),
    }
    assert {lb[0][1] for lb in labelled(samples, "starrocks_be_txn_request")} == {
        "begin", "exec", "commit", "rollback",
    }  # fmt: skip
    assert {lb[0][1] for lb in labelled(samples, "starrocks_be_push_requests_total")} == {"SUCCESS", "FAIL"}
    assert all(name.startswith("starrocks_be_") for name, _ in samples)


@pytest.mark.slow
def test_counters_only_grow_and_gauges_stay_in_bounds(sandbox_factory: Any) -> None:
    sp: SandboxProcess = sandbox_factory()
    r = httpx.post(f"{sp.url}/_sandbox/workload", json={"qps": 20}, auth=sp.auth, timeout=30)
    assert r.status_code == 200, r.text
    pages = []
    for step in range(5):
        fe, fe_types = scrape(sp.url)
        be, be_types = scrape(sp.be_url)
        pages.append((fe, be))
        advance(sp, 30 + 60 * step)
    for (fe0, be0), (fe1, be1) in zip(pages, pages[1:], strict=False):
        for before, after, types in ((fe0, fe1, fe_types), (be0, be1, be_types)):
            for key, v0 in before.items():
                if types[key[0]] == "counter":
                    assert after[key] >= v0, key
        # Every busy or idle hundredth of a second of 8 cores is counted once.
        jiffies0 = sum(labelled(be0, "starrocks_be_cpu").values())
        jiffies1 = sum(labelled(be1, "starrocks_be_cpu").values())
        assert jiffies1 > jiffies0
        heap = value(fe1, "jvm_heap_size_bytes", type="used")
        assert 0 < heap <= value(fe1, "jvm_heap_size_bytes", type="committed")
        assert 0 <= value(be1, "starrocks_be_max_disk_io_util_percent") <= 100
        assert 0 < value(be1, "starrocks_be_process_mem_bytes") < 28 * 1024**3
    first_fe, first_be = pages[0]
    last_fe, last_be = pages[-1]
    # Time moved ~5 minutes: the background queries, the JVM's collections, the edit log, the BE's
    # CPU and agent reports all moved with it.
    assert (
        value(last_fe, "starrocks_fe_query_total") - value(first_fe, "starrocks_fe_query_total") >= 20 * 300
    )
    assert value(last_fe, "jvm_young_gc", type="count") > value(first_fe, "jvm_young_gc", type="count")
    assert value(last_fe, "starrocks_fe_max_journal_id") > value(first_fe, "starrocks_fe_max_journal_id")
    assert value(last_be, "starrocks_be_query_scan_rows") > value(first_be, "starrocks_be_query_scan_rows")
    reports = ("starrocks_be_engine_requests_total",)
    assert value(last_be, *reports, type="report_task", status="total") > value(
        first_be, *reports, type="report_task", status="total"
    )
    assert value(last_fe, "starrocks_fe_qps") > 0


def _db(sp: SandboxProcess) -> str:
    db = "dash_" + uuid.uuid4().hex[:8]
    sp.admin_sql(
        f"CREATE DATABASE {db}; CREATE TABLE {db}.t (id int, name varchar(10)) DUPLICATE KEY(id) "
        "DISTRIBUTED BY HASH(id) BUCKETS 2"
    )
    return db


def _be_delta(before: Series, after: Series, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_be_load_counters_move_for_plain_stream_load_and_the_transaction_interface(
    sandbox: SandboxProcess,
) -> None:
    db = _db(sandbox)
    client = TxnClient(sandbox)
    try:
        body = "1\ta\n2\tb\n3\tc\n"
        before, _ = scrape(sandbox.be_url)
        r = client.stream_load(db, "t", body, {"label": "p_" + uuid.uuid4().hex[:8]})
        assert r["Status"] == "Success", r
        after, _ = scrape(sandbox.be_url)
        # StreamLoadExecutor: begin_txn, execute_plan_fragment, commit_txn; the fragment's figures.
        for kind in ("begin", "exec", "commit"):
            assert _be_delta(before, after, "starrocks_be_txn_request", type=kind) == 1, kind
        assert _be_delta(before, after, "starrocks_be_txn_request", type="rollback") == 0
        assert _be_delta(before, after, "starrocks_be_stream_load", type="receive_bytes") == len(body)
        assert _be_delta(before, after, "starrocks_be_stream_load", type="load_rows") == 3
        assert _be_delta(before, after, "starrocks_be_load_rows") == 3

        label = "x_" + uuid.uuid4().hex[:8]
        before = after
        assert client.op("begin", label, db, "t")["Status"] == "OK"
        assert client.op("load", label, db, "t", "4\td\n")["Status"] == "OK"
        assert client.op("load", label, db, "t", "5\te\n6\tf\n")["Status"] == "OK"
        assert client.op("commit", label, db)["Status"] == "OK"
        after, _ = scrape(sandbox.be_url)
        assert _be_delta(before, after, "starrocks_be_txn_request", type="begin") == 1
        assert _be_delta(before, after, "starrocks_be_txn_request", type="exec") == 2  # one per load
        assert _be_delta(before, after, "starrocks_be_txn_request", type="commit") == 1
        assert _be_delta(before, after, "starrocks_be_stream_load", type="receive_bytes") == len(
            "4\td\n5\te\n6\tf\n"
        )
        assert _be_delta(before, after, "starrocks_be_stream_load", type="load_rows") == 3

        # A rollback, and a plain load whose header the FE's plan refuses: both roll back.
        label = "r_" + uuid.uuid4().hex[:8]
        before = after
        assert client.op("begin", label, db, "t")["Status"] == "OK"
        assert client.op("rollback", label, db)["Status"] == "OK"
        bad = client.stream_load(db, "t", body, {"label": "b_" + uuid.uuid4().hex[:8], "where": "nosuch > 1"})
        assert bad["Status"] == "Fail"
        after, _ = scrape(sandbox.be_url)
        assert _be_delta(before, after, "starrocks_be_txn_request", type="begin") == 2
        assert _be_delta(before, after, "starrocks_be_txn_request", type="rollback") == 2
        assert _be_delta(before, after, "starrocks_be_txn_request", type="exec") == 0
        assert _be_delta(before, after, "starrocks_be_stream_load", type="load_rows") == 0
    finally:
        client.close()
        sandbox.admin_sql(f"DROP DATABASE {db} FORCE")
