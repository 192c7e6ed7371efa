"""FE and BE monitoring endpoints: health, bootstrap, Prometheus metrics that move, SHOW PROC over HTTP."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
from conftest import SandboxProcess

# The FE joins labels with ", ", the BE with "," (their visitors differ).
SAMPLE = re.compile(
    r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_]+="[^"]*"(, ?[a-zA-Z_]+="[^"]*")*\})? -?[0-9.eE+-]+$'
)


def metrics(url: str, **params: str) -> dict[str, float]:
    """Samples of a Prometheus page keyed by the series as written; checks the text format on the way."""
    r = httpx.get(url + "/metrics", params=params, timeout=30)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    out: dict[str, float] = {}
    typed: set[str] = set()
    for line in r.text.splitlines():
        if line.startswith("# TYPE "):
            name = line.split()[2]
            assert name not in typed, f"second TYPE line for {name}"
            typed.add(name)
            continue
        if line.startswith("#") or not line:
            continue
        assert SAMPLE.match(line), line
        series, value = line.rsplit(" ", 1)
        out[series] = float(value)
    return out


def sql(sp: SandboxProcess, query: str) -> httpx.Response:
    return httpx.post(
        sp.url + "/api/v1/catalogs/default_catalog/sql", json={"query": query}, auth=sp.auth, timeout=30
    )


def test_fe_and_be_health(sandbox: SandboxProcess) -> None:
    r = httpx.get(sandbox.url + "/api/health")
    assert r.status_code == 200
    assert r.json() == {"status": "OK", "total_backend_num": 1, "online_backend_num": 1}
    r = httpx.get(sandbox.be_url + "/api/health")
    assert r.status_code == 200
    assert r.json() == {"status": "OK", "msg": "To Be Added"}


def test_bootstrap(sandbox: SandboxProcess) -> None:
    r = httpx.get(sandbox.url + "/api/bootstrap")
    assert r.json() == {
        "replayedJournalId": 0,
        "queryPort": 0,
        "rpcPort": 0,
        "feStartTime": 0,
        "status": "OK",
        "code": "0",
        "msg": "Success",
        "message": "OK",
    }
    bad = httpx.get(sandbox.url + "/api/bootstrap", params={"cluster_id": "x", "token": "t"}).json()
    assert bad["status"] == "FAILED" and bad["msg"] == "invalid cluster id format: x"
    # A wrong id or token is answered with the right one, as the FE does.
    bad = httpx.get(sandbox.url + "/api/bootstrap", params={"cluster_id": "1", "token": "t"}).json()
    cluster_id = bad["msg"].removeprefix("invalid cluster id: ")
    assert bad["status"] == "FAILED" and cluster_id.isdigit()
    bad = httpx.get(sandbox.url + "/api/bootstrap", params={"cluster_id": cluster_id, "token": "t"}).json()
    token = bad["msg"].removeprefix("invalid token: ")
    good = httpx.get(sandbox.url + "/api/bootstrap", params={"cluster_id": cluster_id, "token": token}).json()
    assert good["status"] == "OK" and good["queryPort"] == 9030 and good["rpcPort"] == 9020
    assert good["feStartTime"] > 0 and good["feVersion"]
    # The same identity is reported by SHOW FRONTENDS.
    fe = sql(sandbox, "show frontends").json()["data"][0]
    assert fe["ClusterId"] == cluster_id


def test_fe_metrics_are_prometheus_text_with_the_starrocks_names(sandbox: SandboxProcess) -> None:
    m = metrics(sandbox.url)
    for name in (
        "starrocks_fe_request_total",
        "starrocks_fe_query_total",
        "starrocks_fe_query_err",
        "starrocks_fe_query_success",
        "starrocks_fe_txn_begin",
        "starrocks_fe_txn_success",
        "starrocks_fe_txn_failed",
        "starrocks_fe_txn_reject",
        "starrocks_fe_load_add",
        "starrocks_fe_load_finished",
        "starrocks_fe_connection_total",
        "starrocks_fe_query_latency_ms_count",
        "starrocks_fe_txn_stream_load_begin_num",
        "starrocks_fe_txn_stream_load_commit_latency_ms_count",
        'starrocks_fe_query_latency_ms{quantile="0.99"}',
        'starrocks_fe_query_latency{type="mean"}',
        'node_info{type="is_master"}',
    ):
        assert name in m, name
    assert not any(s.startswith("starrocks_be_") for s in m)
    assert m['node_info{type="be_node_num", state="alive"}'] == 1


def test_query_counters_move(sandbox: SandboxProcess) -> None:
    before = metrics(sandbox.url)
    assert sql(sandbox, "select count(*) from demo.orders").status_code == 200
    assert sql(sandbox, "select * from demo.nope").status_code == 500
    assert sql(sandbox, "show databases").status_code == 200
    after = metrics(sandbox.url)

    def moved(series: str) -> float:
        return after[series] - before[series]

    # Every statement is a request; only SELECTs are queries.
    assert moved("starrocks_fe_request_total") >= 3
    assert moved("starrocks_fe_query_total") >= 2
    assert moved("starrocks_fe_query_success") >= 1
    assert moved("starrocks_fe_query_err") >= 1
    assert moved("starrocks_fe_query_latency_ms_count") >= 2
    assert after["starrocks_fe_query_latency_ms_sum"] > before["starrocks_fe_query_latency_ms_sum"]


def _txn(
    sp: SandboxProcess, op: str, label: str, db: str, table: str | None = None, data: bytes = b""
) -> Any:
    headers = {"label": label, "db": db, **({"table": table} if table else {})}
    method = "PUT" if op == "load" else "POST"
    with httpx.Client(auth=sp.auth, timeout=30) as c:
        r = c.request(method, f"{sp.url}/api/transaction/{op}", headers=headers, content=data)
        if r.status_code == 307:
            r = c.request(method, r.headers["location"], headers=headers, content=data)
    return r.json()


def test_load_counters_move_on_fe_and_be(sandbox: SandboxProcess) -> None:
    db = "mon_" + uuid.uuid4().hex[:8]
    sandbox.admin_sql(
        f"CREATE DATABASE {db}; CREATE TABLE {db}.t (id int, name varchar(10)) DUPLICATE KEY(id) "
        "DISTRIBUTED BY HASH(id) BUCKETS 1"
    )
    fe0, be0 = metrics(sandbox.url), metrics(sandbox.be_url)
    label = "l_" + uuid.uuid4().hex[:6]
    assert _txn(sandbox, "begin", label, db, "t")["Status"] == "OK"
    assert _txn(sandbox, "load", label, db, "t", b"1\ta\n2\tb\n")["Status"] == "OK"
    assert _txn(sandbox, "commit", label, db)["Status"] == "OK"
    fe1, be1 = metrics(sandbox.url), metrics(sandbox.be_url)
    assert fe1["starrocks_fe_txn_begin"] - fe0["starrocks_fe_txn_begin"] >= 1
    assert fe1["starrocks_fe_txn_success"] - fe0["starrocks_fe_txn_success"] >= 1
    assert (
        fe1["starrocks_fe_txn_stream_load_begin_latency_ms_count"]
        > fe0["starrocks_fe_txn_stream_load_begin_latency_ms_count"]
    )
    assert be1['starrocks_be_txn_request{type="begin"}'] - be0['starrocks_be_txn_request{type="begin"}'] >= 1
    assert (
        be1["starrocks_be_transaction_streaming_load_bytes"]
        > be0["starrocks_be_transaction_streaming_load_bytes"]
    )
    assert all(s.startswith("starrocks_be_") for s in be1)
    # Table-level metrics are shown only to an authenticated admin who asks for them.
    series = f'starrocks_fe_table_load_rows{{db_name="{db}", tbl_name="t", type="stream_load"}}'
    assert series not in fe1
    r = httpx.get(sandbox.url + "/metrics", params={"with_table_metrics": "all"}, auth=sandbox.auth)
    assert f'db_name="{db}"' in r.text
    sandbox.admin_sql(f"DROP DATABASE {db} FORCE")


def test_metrics_as_json(sandbox: SandboxProcess) -> None:
    r = httpx.get(sandbox.url + "/metrics", params={"type": "json"})
    assert r.status_code == 200
    body = json.loads(r.text)
    names = {item["tags"]["metric"] for item in body}
    assert "starrocks_fe_query_total" in names
    assert all(set(item) == {"tags", "unit", "value"} for item in body)


def test_show_proc_over_http(sandbox: SandboxProcess) -> None:
    r = httpx.get(sandbox.url + "/api/show_proc", params={"path": "/frontends"})
    assert r.status_code == 401 and r.json()["msg"] == "Need auth information."
    r = httpx.get(sandbox.url + "/api/show_proc", params={"path": "/frontends"}, auth=sandbox.auth)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    (fe,) = r.json()
    assert fe["Role"] == "LEADER" and fe["HttpPort"] == sandbox.url.rsplit(":", 1)[1]
    (be,) = httpx.get(sandbox.url + "/api/show_proc", params={"path": "/backends"}, auth=sandbox.auth).json()
    assert f"{be['IP']}:{be['HttpPort']}" == sandbox.be_url.split("://", 1)[1]
    dbs = httpx.get(sandbox.url + "/api/show_proc", params={"path": "/dbs"}, auth=sandbox.auth).json()
    demo = next(d for d in dbs if d["DbName"] == "demo")
    assert set(demo) == {"DbId", "DbName", "TableNum", "Quota", "LastConsistencyCheckTime", "ReplicaQuota"}
    txns = httpx.get(
        sandbox.url + "/api/show_proc", params={"path": "/transactions"}, auth=sandbox.auth
    ).json()
    assert {"DbId": demo["DbId"], "DbName": "demo"} in txns
    r = httpx.get(sandbox.url + "/api/show_proc", params={"path": "/no_such_node"}, auth=sandbox.auth)
    assert r.status_code == 200 and r.text == "[]"
    # The same nodes through SQL.
    assert sql(sandbox, "show proc '/no_such_node'").json()["msg"] == "Cannot find path: /no_such_node"
    assert sql(sandbox, "show proc 'dbs'").json()["msg"] == "Path(dbs) does not start with '/'"
