"""A cluster of several BEs, and the admin switches that stop and start its nodes, fill a BE's disk
and set the background query workload: what SHOW BACKENDS, /api/show_proc, /api/health and
node_info say, where the FE sends loads, and the refusals StarRocks itself writes."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from typing import Any

import httpx
import pytest
from conftest import SandboxProcess, wait_until
from test_dashboard_metrics import advance, scrape, value
from txn_helpers import TxnClient

pytestmark = pytest.mark.slow


def sql(sp: SandboxProcess, query: str) -> list[dict[str, Any]]:
    r = httpx.post(
        sp.url + "/api/v1/catalogs/default_catalog/sql", json={"query": query}, auth=sp.auth, timeout=30
    )
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


def switch(
    sp: SandboxProcess, path: str, body: Any = None, via: str | None = None, auth: Any = True
) -> httpx.Response:
    """An admin switch: GET without a body, POST with one (on the FE's address, or ``via``)."""
    url = f"{via or sp.url}/_sandbox/{path}"
    credentials = sp.auth if auth is True else auth
    if body is None:
        return httpx.get(url, auth=credentials, timeout=30)
    return httpx.post(url, json=body, auth=credentials, timeout=30)


def refused(url: str) -> bool:
    try:
        httpx.get(url + "/api/health", timeout=5)
    except httpx.ConnectError:
        return True
    return False


def _table(sp: SandboxProcess) -> str:
    db = "nodes_" + uuid.uuid4().hex[:8]
    sp.admin_sql(
        f"CREATE DATABASE {db}; CREATE TABLE {db}.t (id int, name varchar(10)) DUPLICATE KEY(id) "
        "DISTRIBUTED BY HASH(id) BUCKETS 3"
    )
    return db


def _redirect(sp: SandboxProcess, db: str) -> str:
    """Where the FE sends a Stream Load (host:port of its 307)."""
    r = httpx.put(
        f"{sp.url}/api/{db}/t/_stream_load", headers={"Expect": "100-continue"}, auth=sp.auth, timeout=30
    )
    assert r.status_code == 307, r.text
    return str(r.headers["location"]).split("://", 1)[1].split("/", 1)[0]


def test_three_backends_each_its_own_address_heartbeat_disks_and_metrics(sandbox_factory: Any) -> None:
    sp: SandboxProcess = sandbox_factory("--backends", "3")
    bes = sp.info["backends"]
    assert [b["id"] for b in bes] == [10001, 10002, 10003]
    assert len({b["url"] for b in bes}) == 3 and sp.be_url == bes[0]["url"]
    rows = sql(sp, "show backends")
    assert [r["BackendId"] for r in rows] == ["10001", "10002", "10003"]
    assert [f"{r['IP']}:{r['HttpPort']}" for r in rows] == [b["advertised"] for b in bes]
    assert len({r["HeartbeatPort"] for r in rows}) == 3
    assert all(r["Alive"] == "true" and r["TotalCapacity"] == "1.000 TB" for r in rows)
    assert list(rows[0]) == [
        "BackendId", "IP", "HeartbeatPort", "BePort", "HttpPort", "BrpcPort", "LastStartTime",
        "LastHeartbeat", "Alive", "SystemDecommissioned", "ClusterDecommissioned", "TabletNum",
        "DataUsedCapacity", "AvailCapacity", "TotalCapacity", "UsedPct", "MaxDiskUsedPct", "ErrMsg",
        "Version", "Status", "DataTotalCapacity", "DataUsedPct", "CpuCores", "NumRunningQueries",
        "MemUsedPct", "CpuUsedPct", "DataCacheMetrics", "Location",
    ]  # fmt: skip
    proc = httpx.get(sp.url + "/api/show_proc", params={"path": "/backends"}, auth=sp.auth).json()
    assert [p["BackendId"] for p in proc] == ["10001", "10002", "10003"] and set(proc[0]) == set(rows[0])
    assert httpx.get(sp.url + "/api/health").json() == {
        "status": "OK",
        "total_backend_num": 3,
        "online_backend_num": 3,
    }
    fe, _ = scrape(sp.url)
    assert value(fe, "node_info", type="be_node_num", state="total") == 3
    assert value(fe, "node_info", type="be_node_num", state="alive") == 3
    # Each BE its own disks and page.
    paths = set()
    for b in bes:
        page, _ = scrape(b["url"])
        (path,) = [dict(lb)["path"] for (n, lb) in page if n == "starrocks_be_disks_total_capacity"]
        paths.add(path)
    assert len(paths) == 3
    # Loads go round robin, each load counted by the BE that ran it.
    db = _table(sp)
    targets = [_redirect(sp, db) for _ in range(6)]
    assert set(targets) == {b["advertised"] for b in bes}
    assert len(set(targets[:3])) == 3 and targets[:3] == targets[3:]
    client = TxnClient(sp)
    try:
        for i in range(3):
            assert client.stream_load(db, "t", f"{i}\tx\n", {"label": f"rr_{i}"})["Status"] == "Success"
    finally:
        client.close()
    begun = [value(scrape(b["url"])[0], "starrocks_be_txn_request", type="begin") for b in bes]
    assert begun == [1, 1, 1]
    assert sum(int(r["TabletNum"]) for r in sql(sp, "show backends")) >= 3


def test_a_stopped_backend_is_seen_dead_and_loads_avoid_it(sandbox_factory: Any) -> None:
    sp: SandboxProcess = sandbox_factory("--backends", "2")
    db = _table(sp)
    be2 = sp.info["backends"][1]
    client = TxnClient(sp)
    try:
        # A transaction that runs on the BE when it goes.
        for _ in range(2):
            label = "run_" + uuid.uuid4().hex[:8]
            assert client.op("begin", label, db, "t")["Status"] == "OK"
            if client.last_redirect and be2["advertised"] in client.last_redirect:
                break
        assert client.last_redirect and be2["advertised"] in client.last_redirect
        r = switch(sp, "backends/10002", {"action": "stop"})
        assert r.status_code == 200, r.text
        assert r.json()["backend"]["running"] is False
        assert refused(be2["url"])
        # The FE still counts it alive until heartbeat_retry_times more heartbeats failed.
        row = sql(sp, "show backends")[1]
        assert row["Alive"] == "true"
        advance(sp, 21)
        row = sql(sp, "show backends")[1]
        assert row["Alive"] == "false"
        assert row["ErrMsg"] == "java.net.ConnectException: Connection refused (Connection refused)"
        frozen = row["LastHeartbeat"]
        advance(sp, 30)
        assert sql(sp, "show backends")[1]["LastHeartbeat"] == frozen
        assert sql(sp, "show backends")[0]["Alive"] == "true"
        health = httpx.get(sp.url + "/api/health").json()
        assert (health["online_backend_num"], health["total_backend_num"]) == (1, 2)
        fe, _ = scrape(sp.url)
        assert value(fe, "node_info", type="be_node_num", state="alive") == 1
        # The FE aborted what the dead BE coordinated.
        assert client.load_state(db, label) == "ABORTED"
        txns = sql(sp, f"show proc '/transactions/{db}/finished'")
        assert any(t["Label"] == label and t["Reason"] == "coordinate BE is down" for t in txns)
        # Every load now goes to the BE that is alive.
        be1 = sp.info["backends"][0]["advertised"]
        assert {_redirect(sp, db) for _ in range(4)} == {be1}
        label = "after_" + uuid.uuid4().hex[:8]
        assert client.op("begin", label, db, "t")["Status"] == "OK"
        assert client.last_redirect and be1 in client.last_redirect
        # Started again: it answers at once, and the FE finds it alive at its next heartbeat.
        r = switch(sp, "backends/10002", {"action": "start"})
        assert r.status_code == 200 and r.json()["backend"]["running"] is True
        assert httpx.get(be2["url"] + "/api/health").json()["status"] == "OK"
        advance(sp, 5)
        row = sql(sp, "show backends")[1]
        assert row["Alive"] == "true" and row["ErrMsg"] == ""
        assert row["LastStartTime"] > frozen
        assert httpx.get(sp.url + "/api/health").json()["online_backend_num"] == 2
    finally:
        client.close()


def test_a_stopped_frontend_refuses_connections_until_started(sandbox_factory: Any) -> None:
    sp: SandboxProcess = sandbox_factory()
    assert switch(sp, "workload", {"qps": 0}).status_code == 200
    for _ in range(3):
        sp.query("select 1")
    before, _ = scrape(sp.url)
    assert value(before, "starrocks_fe_query_total") >= 3
    r = switch(sp, "frontend", {"action": "stop"})
    assert r.status_code == 200 and r.json()["frontend"]["running"] is False
    wait_until(lambda: refused(sp.url))
    # The BE goes on; what it needs the FE for fails as the BE's Thrift client reports it.
    assert httpx.get(sp.be_url + "/metrics").status_code == 200
    r = httpx.put(
        f"{sp.be_url}/api/demo/orders/_stream_load", content=b"1\tx\t1\t\n", auth=sp.auth, timeout=30
    )
    body = r.json()
    assert body["Status"] == "Fail" and body["Message"].startswith("Couldn't open transport for ")
    assert body["Message"].endswith(":9020 (connect() failed: Connection refused)")
    r = switch(sp, "frontend", {"action": "start"}, via=sp.be_url)
    assert r.status_code == 200 and r.json()["frontend"]["running"] is True
    assert httpx.get(sp.url + "/api/health").status_code == 200
    after, _ = scrape(sp.url)
    # A new FE process: its counters start again.
    assert value(after, "starrocks_fe_query_total") == 0
    assert sql(sp, "show frontends")[0]["Alive"] == "true"


def _fill(sp: SandboxProcess, pct: float) -> dict[str, Any]:
    r = switch(sp, "backends/10001", {"disk_used_pct": pct})
    assert r.status_code == 200, r.text
    return dict(r.json()["backend"])


def test_a_full_disk_refuses_loads_with_starrocks_text(sandbox_factory: Any) -> None:
    sp: SandboxProcess = sandbox_factory()
    db = _table(sp)
    be = _fill(sp, 96)
    (disk,) = be["disks"]
    assert disk["used_pct"] == 96.0
    row = sql(sp, "show backends")[0]
    assert row["UsedPct"] == "96.00 %" and row["MaxDiskUsedPct"] == "96.00 %"
    assert row["AvailCapacity"] == "40.960 GB"
    page, _ = scrape(sp.be_url)
    assert value(page, "starrocks_be_disks_avail_capacity", path=disk["path"]) == disk["avail_bytes"]
    expected = f"disk {disk['path_hash']} on backend 10001 exceed limit usage"
    client = TxnClient(sp)
    try:
        r = client.stream_load(db, "t", "1\ta\n", {"label": "full_1"})
        assert (r["Status"], r["Message"]) == ("Fail", expected)
        label = "full_2"
        assert client.op("begin", label, db, "t")["Status"] == "OK"
        r = client.op("load", label, db, "t", "1\ta\n")
        assert (r["Status"], r["Message"]) == ("ANALYSIS_ERROR", expected)
        # The same through curl, as people load.
        curl = shutil.which("curl")
        if curl is not None:
            out = subprocess.run(
                [curl, "-sS", "--location-trusted", "-u", ":".join(sp.auth), "-H", "Expect:100-continue",
                 "-H", "label:full_3", "-T", "-", f"{sp.url}/api/{db}/t/_stream_load"],
                input=b"2\tb\n", capture_output=True, check=True, timeout=60,
            )  # fmt: skip
            assert json.loads(out.stdout)["Message"] == expected
        # Below the flood stage loads go through again.
        _fill(sp, 90)
        assert sql(sp, "show backends")[0]["UsedPct"] == "90.00 %"
        assert client.stream_load(db, "t", "3\tc\n", {"label": "full_4"})["Status"] == "Success"
    finally:
        client.close()


def test_node_switches_refuse_bad_input(sandbox_factory: Any) -> None:
    sp: SandboxProcess = sandbox_factory()
    assert switch(sp, "backends", auth=None).status_code == 401
    r = switch(sp, "backends")
    assert r.status_code == 200 and [b["id"] for b in r.json()["backends"]] == [10001]
    r = switch(sp, "backends/10009", {"action": "stop"})
    assert r.status_code == 404 and "10001" in r.json()["msg"]
    for body in ({"action": "pause"}, {"disk_used_pct": 150}, {"disk_used_pct": "96"}, {"what": 1}, [1]):
        r = switch(sp, "backends/10001", body)
        assert r.status_code == 400 and r.json()["status"] == "FAILED", body
    r = switch(sp, "backends/10001", {"disk_used_pct": 50, "path": "/nowhere"})
    assert r.status_code == 400 and "/nowhere" in r.json()["msg"]
    r = httpx.post(f"{sp.url}/_sandbox/backends/10001", content=b"action=stop", auth=sp.auth)
    assert r.status_code == 415
    assert switch(sp, "frontend", {"action": "restart"}).status_code == 400
    # Nothing moved.
    (be,) = switch(sp, "backends").json()["backends"]
    assert be["running"] and be["alive"] and be["disks"][0]["used_pct"] < 95


def test_the_workload_switch_moves_queries_and_latency(sandbox_factory: Any) -> None:
    sp: SandboxProcess = sandbox_factory()
    assert switch(sp, "workload").json()["qps"] > 0  # a fresh sandbox shows some life
    r = switch(sp, "workload", {"qps": 5, "error_rate": 0.2, "p99_ms": 120})
    assert r.json() == {"status": "OK", "qps": 5.0, "error_rate": 0.2, "p99_ms": 120.0}
    before, _ = scrape(sp.url)
    be_before, _ = scrape(sp.be_url)
    advance(sp, 120)
    after, _ = scrape(sp.url)
    be_after, _ = scrape(sp.be_url)

    def moved(name: str, page: tuple[Any, Any] = (before, after)) -> float:
        return value(page[1], name) - value(page[0], name)

    queries = moved("starrocks_fe_query_total")
    assert 600 <= queries <= 650  # 5 a second for 120 s, plus the few real seconds the test took
    assert moved("starrocks_fe_query_err") == pytest.approx(queries * 0.2, abs=2)
    assert moved("starrocks_fe_query_success") == pytest.approx(queries * 0.8, abs=2)
    p99 = value(after, "starrocks_fe_query_latency_ms", quantile="0.99")
    assert 60 <= p99 <= 300
    assert value(after, "starrocks_fe_qps") == pytest.approx(5, rel=0.3)
    assert value(after, "starrocks_fe_query_err_rate") == pytest.approx(1, rel=0.3)
    assert moved("starrocks_be_query_scan_rows", (be_before, be_after)) > 0
    # Stopped: nothing more comes.
    assert switch(sp, "workload", {"qps": 0}).json()["qps"] == 0
    still, _ = scrape(sp.url)
    advance(sp, 120)
    assert value(scrape(sp.url)[0], "starrocks_fe_query_total") == value(still, "starrocks_fe_query_total")
    # Refused, and nothing changes.
    for body in ({"qps": -1}, {"error_rate": 2}, {"p99_ms": 0}, {"qps": "5"}, {}, {"rate": 1}):
        r = switch(sp, "workload", body)
        assert r.status_code == 400 and r.json()["status"] == "FAILED", body
    assert switch(sp, "workload").json()["qps"] == 0
    assert switch(sp, "workload", auth=None).status_code == 401
