"""A table's partitions, tablets and replicas as the FE lists them — SHOW PARTITIONS, SHOW TABLET over
the HTTP SQL API and the MySQL port (PyMySQL), ADMIN SHOW REPLICA STATUS — on a cluster of two BEs,
before and after a load and after one BE stops; and the refusals."""

from __future__ import annotations

from typing import Any

import httpx
import pymysql
import pytest
from conftest import SandboxProcess
from test_dashboard_metrics import advance

pytestmark = pytest.mark.slow

PARTITION_TITLES = [
    "PartitionId", "PartitionName", "VisibleVersion", "VisibleVersionTime", "VisibleVersionHash",
    "State", "PartitionKey", "Range", "DistributionKey", "Buckets", "ReplicationNum", "StorageMedium",
    "CooldownTime", "LastConsistencyCheckTime", "DataSize", "IsInMemory", "RowCount",
]  # fmt: skip
TABLET_TITLES = [
    "TabletId", "ReplicaId", "BackendId", "SchemaHash", "Version", "VersionHash", "LstSuccessVersion",
    "LstSuccessVersionHash", "LstFailedVersion", "LstFailedVersionHash", "LstFailedTime", "DataSize",
    "RowCount", "State", "LstConsistencyCheckTime", "CheckVersion", "CheckVersionHash", "VersionCount",
    "PathHash", "MetaUrl", "CompactionStatus",
]  # fmt: skip


def sql(sp: SandboxProcess, query: str, db: str = "tabs") -> list[dict[str, Any]]:
    r = httpx.post(
        f"{sp.url}/api/v1/catalogs/default_catalog/databases/{db}/sql",
        json={"query": query},
        auth=sp.auth,
        timeout=30,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    if "explain" in body:
        return [{"Explain String": body["explain"]}]
    return list(body["data"])  # a SHOW: one JSON object, its rows as objects


def mysql(sp: SandboxProcess, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    conn = pymysql.connect(
        host="127.0.0.1", port=sp.query_port, user=sp.auth[0], password=sp.auth[1], database="tabs"
    )
    try:
        with conn.cursor() as cur:
            cur.execute(query)
            return [d[0] for d in cur.description], list(cur.fetchall())
    finally:
        conn.close()


def test_partitions_tablets_and_replica_status_of_a_table(sandbox_factory: Any) -> None:
    sp: SandboxProcess = sandbox_factory("--backends", "2")
    sp.admin_sql("CREATE DATABASE tabs")
    sp.admin_sql(
        "CREATE TABLE t (id int, name varchar(20)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 3 "
        'PROPERTIES ("replication_num" = "2")',
        "tabs",
    )
    (part,) = sql(sp, "show partitions from t")
    assert list(part) == PARTITION_TITLES
    # An unpartitioned table: one partition named after the table, at the initial version.
    assert part["PartitionName"] == "t" and part["VisibleVersion"] == "1"
    assert (part["State"], part["PartitionKey"], part["Range"]) == ("NORMAL", "", "")
    assert (part["DistributionKey"], part["Buckets"], part["ReplicationNum"]) == ("id", "3", "2")
    assert (part["DataSize"], part["RowCount"], part["StorageMedium"]) == ("0B", "0", "HDD")

    sp.admin_sql("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')", "tabs")
    (part,) = sql(sp, "show partitions from tabs.t")
    assert part["VisibleVersion"] == "2" and part["RowCount"] == "4"
    # information_schema.tables gives the same size (one copy's, in bytes) and its average row.
    _, [(rows, data, avg)] = mysql(
        sp, "SELECT TABLE_ROWS, DATA_LENGTH, AVG_ROW_LENGTH FROM information_schema.tables "
        "WHERE TABLE_SCHEMA = 'tabs' AND TABLE_NAME = 't'",
    )  # fmt: skip
    assert (rows, data, avg) == (4, 64, 16) and part["DataSize"] == "64B"

    tablets = sql(sp, "show tablet from t")
    assert list(tablets[0]) == TABLET_TITLES
    # Three tablets, each with a replica on each of the two BEs.
    assert len(tablets) == 6 and len({r["TabletId"] for r in tablets}) == 3
    for tid in {r["TabletId"] for r in tablets}:
        assert {r["BackendId"] for r in tablets if r["TabletId"] == tid} == {"10001", "10002"}
    assert all(r["State"] == "NORMAL" and r["Version"] == "2" for r in tablets)
    assert sum(int(r["RowCount"]) for r in tablets) == 2 * 4
    assert [(r["TabletId"], r["ReplicaId"]) for r in tablets] == sorted(
        ((r["TabletId"], r["ReplicaId"]) for r in tablets), key=lambda k: (int(k[0]), int(k[1]))
    )
    assert int(part["PartitionId"]) < min(int(r["TabletId"]) for r in tablets)
    be2 = sp.info["backends"][1]["advertised"]
    on_be2 = [r for r in tablets if r["BackendId"] == "10002"]
    assert on_be2[0]["MetaUrl"] == f"http://{be2}/api/meta/header/{on_be2[0]['TabletId']}"
    # The plan scans the same tablets.
    plan = "\n".join(str(r["Explain String"]) for r in sql(sp, "explain select * from t"))
    listed = sorted({r["TabletId"] for r in tablets}, key=int)
    assert f"tabletList={','.join(listed)}" in plan

    # The MySQL port answers the same, and ADMIN SHOW REPLICA STATUS says every replica is OK.
    names, rows = mysql(sp, "SHOW TABLET FROM t")
    assert names == TABLET_TITLES and len(rows) == 6
    names, rows = mysql(sp, "ADMIN SHOW REPLICA STATUS FROM t")
    assert names[-2:] == ["State", "Status"] and len(rows) == 6
    assert {r[-1] for r in rows} == {"OK"}

    # A BE stops; once the FE finds it dead, its replicas are DEAD, their state still NORMAL.
    r = httpx.post(f"{sp.url}/_sandbox/backends/10002", json={"action": "stop"}, auth=sp.auth, timeout=30)
    assert r.status_code == 200, r.text
    advance(sp, 21)
    _, rows = mysql(sp, "ADMIN SHOW REPLICA STATUS FROM tabs.t")
    status = {(r[2], r[-1]) for r in rows}
    assert status == {("10001", "OK"), ("10002", "DEAD")}
    assert {r[-2] for r in rows} == {"NORMAL"}
    _, dead = mysql(sp, "ADMIN SHOW REPLICA STATUS FROM t WHERE STATUS = 'DEAD'")
    assert len(dead) == 3 and {r[2] for r in dead} == {"10002"}
    _, healthy = mysql(sp, "ADMIN SHOW REPLICA STATUS FROM t WHERE STATUS != 'DEAD'")
    assert {r[2] for r in healthy} == {"10001"}
    assert {r["State"] for r in sql(sp, "show tablet from t")} == {"NORMAL"}

    # Refusals, with the FE's texts.
    with pytest.raises(pymysql.err.MySQLError) as e:
        mysql(sp, "SHOW PARTITIONS FROM nope")
    assert e.value.args == (1051, "Unknown table 'nope'")
    with pytest.raises(pymysql.err.MySQLError) as e:
        mysql(sp, "ADMIN SHOW REPLICA STATUS FROM nope")
    assert e.value.args[1] == "Table does not exist or is not OLAP table: nope"
