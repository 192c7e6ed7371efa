"""AI Lake pipes at work: files picked up after the polling interval, a partition refreshed after its
file was overwritten, and everything kept across a restart. Time passes by the sandbox's clock switch:
a pipe's interval is long enough that the wall clock never reaches it during a test."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import SandboxProcess
from sandboxclock import advance
from test_ailake_support import (
    BASE,
    INSTANCES,
    STORAGE,
    accepted,
    client,
    count,
    create_table,
    rows_sql,
    storage_dir,
    unique,
    wait_operation,
    write_parquet,
)


@pytest.mark.slow
def test_new_files_are_loaded_after_the_polling_interval(sandbox: SandboxProcess) -> None:
    c = client(sandbox)
    prefix = unique("events")
    root = storage_dir(sandbox) / prefix
    write_parquet(root / "day=2024-05-01" / "part-0.parquet", rows_sql(10))
    name = unique("poll")
    body = {
        "pathPrefix": prefix + "/",
        "sourceStorageName": STORAGE,
        "tableName": name,
        "pollingIntervalSeconds": 30,
    }
    assert create_table(c, body)["status"] == "succeeded"
    assert count(sandbox, name) == 10

    write_parquet(root / "day=2024-05-02" / "part-0.parquet", rows_sql(4, start=50))
    # A file at another depth is not the pipe's and is never loaded.
    write_parquet(root / "stray.parquet", rows_sql(99, start=1000))
    # Not before the interval has passed...
    assert count(sandbox, name) == 10
    advance(sandbox, 30)
    assert count(sandbox, name) == 14
    assert count(sandbox, name, where="WHERE day = '2024-05-02'") == 4

    # An unchanged file is never loaded twice; a second new one is.
    write_parquet(root / "day=2024-05-02" / "part-1.parquet", rows_sql(3, start=70))
    advance(sandbox, 30)
    assert count(sandbox, name) == 17
    advance(sandbox, 30)
    assert count(sandbox, name) == 17


@pytest.mark.slow
def test_refresh_reloads_one_partition_after_its_file_is_overwritten(sandbox: SandboxProcess) -> None:
    c = client(sandbox)
    prefix = unique("orders")
    root = storage_dir(sandbox) / prefix
    for month, n in (("01", 6), ("02", 8)):
        write_parquet(root / "year=2024" / f"month={month}" / "data.parquet", rows_sql(n, label=f"m{month}"))
    name = unique("refresh")
    # A long interval: only the refresh may load the overwritten file.
    body = {
        "pathPrefix": prefix,
        "sourceStorageName": STORAGE,
        "tableName": name,
        "pollingIntervalSeconds": 3600,
    }
    assert create_table(c, body)["status"] == "succeeded"
    assert count(sandbox, name) == 14

    write_parquet(root / "year=2024" / "month=02" / "data.parquet", rows_sql(3, start=500, label="fixed"))
    path = f"{INSTANCES}/demo/pipeTables/{name}/refresh"
    op_id = accepted(c.post(path, json={"partitionSpec": {"year": "2024", "month": "02"}}))
    assert c.get(f"{BASE}/operations/{op_id}").json()["kind"] == "refresh-partition"
    assert wait_operation(c, op_id) == {"id": op_id, "kind": "refresh-partition", "status": "succeeded"}
    assert count(sandbox, name) == 9
    assert count(sandbox, name, where="WHERE month = '01'") == 6
    assert sandbox.query(f"SELECT min(id), max(id) FROM {name} WHERE month = '02'", db="demo") == [[500, 502]]

    # A partition whose folder holds no file: the reload through StarRocks' FILES() finds nothing
    # and the operation fails with StarRocks' own text; the rows of the partition stay.
    (root / "year=2024" / "month=02" / "data.parquet").unlink()
    op_id = accepted(c.post(path, json={"partitionSpec": {"month": "02", "year": "2024"}}))
    op = wait_operation(c, op_id)
    assert op["status"] == "failed" and op["kind"] == "refresh-partition"
    assert op["error"]["status"] == 400 and op["error"]["title"] == "Bad Request"
    assert op["error"]["detail"] == (
        "No files were found matching the pattern(s) or path(s): "
        f"'s3://{STORAGE}/{prefix}/year=2024/month=02/*.parquet'. You should check whether there are "
        "files under the path, and make sure the process has the permission to access the path"
    )
    assert count(sandbox, name) == 9
    # A partition that never existed is refused the same way.
    op = wait_operation(c, accepted(c.post(path, json={"partitionSpec": {"year": "2099", "month": "01"}})))
    assert op["status"] == "failed" and "year=2099/month=01/*.parquet" in op["error"]["detail"]
    assert count(sandbox, name) == 9


def test_overwritten_files_are_loaded_again_by_the_pipe(sandbox: SandboxProcess) -> None:
    c = client(sandbox)
    prefix = unique("dup")
    root = storage_dir(sandbox) / prefix
    write_parquet(root / "year=2024" / "a.parquet", rows_sql(5))
    name = unique("dup")
    body = {
        "pathPrefix": prefix,
        "sourceStorageName": STORAGE,
        "tableName": name,
        "pollingIntervalSeconds": 1,
    }
    assert create_table(c, body)["status"] == "succeeded"
    # A pipe tells files apart by name and content: new content is a new file to load.
    write_parquet(root / "year=2024" / "a.parquet", rows_sql(2, start=40))
    advance(sandbox, 1)
    assert count(sandbox, name) == 7
    op = wait_operation(
        c,
        accepted(
            c.post(f"{INSTANCES}/demo/pipeTables/{name}/refresh", json={"partitionSpec": {"year": "2024"}})
        ),
    )
    assert op["status"] == "succeeded"
    assert count(sandbox, name) == 2


@pytest.mark.slow
def test_a_restart_keeps_instances_pipe_tables_and_operations(
    sandbox_factory: Callable[..., SandboxProcess],
) -> None:
    sp = sandbox_factory("--operation-seconds", "3600")
    c = client(sp, step=3600)
    demo_before = c.get(f"{INSTANCES}/demo").json()
    storages_before = c.get(f"{BASE}/objectStorages").json()["data"]
    prefix = unique("keep")
    write_parquet(storage_dir(sp) / prefix / "a.parquet", rows_sql(5))
    name = unique("kept")
    done = create_table(c, {"pathPrefix": prefix, "sourceStorageName": STORAGE, "tableName": name})
    assert done["status"] == "succeeded"
    table_before = c.get(f"{INSTANCES}/demo/pipeTables/{name}").json()
    # Accepted but not yet carried out when the sandbox stops.
    r = c.post(f"{INSTANCES}/demo/analyzeStatistics", json={}, headers={"operation-id": "restart-op"})
    pending = r.headers["operation-id"]
    assert c.get(f"{BASE}/operations/{pending}").json()["status"] == "pending"
    c.close()

    sp.restart()
    c = client(sp, step=3600)
    assert c.get(f"{INSTANCES}/demo").json()["data"] == demo_before["data"]
    assert c.get(f"{BASE}/objectStorages").json()["data"] == storages_before
    assert c.get(f"{INSTANCES}/demo/pipeTables/{name}").json()["data"] == table_before["data"]
    assert c.get(f"{BASE}/operations/{done['id']}").json() == done
    assert count(sp, name) == 5
    assert count(sp, "sales") == 890
    # The seed does not run twice: no second copy of the sales rows, no second storage.
    assert len(c.get(f"{INSTANCES}/demo/pipeTables", params={"size": 500}).json()["data"]) == 2
    # Still waiting for its time after the restart, then carried out.
    assert c.get(f"{BASE}/operations/{pending}").json()["status"] == "pending"
    op = wait_operation(c, pending)
    assert op["status"] == "succeeded" and op["result"]["tablesAnalyzed"] >= 4

    # The restarted pipe still polls: a new file arrives with the seeded 60 s interval skipped by a poll.
    write_parquet(storage_dir(sp) / prefix / "b.parquet", rows_sql(3, start=10))
    svc = c.get(f"{BASE}/services").json()["data"][0]["id"]
    op = wait_operation(c, accepted(c.post(f"{BASE}/services/{svc}/commands/poll/run", json={})))
    assert op["result"] == {"filesLoaded": 1, "rowsLoaded": 3}
    assert count(sp, name) == 8


@pytest.mark.slow
def test_a_paused_service_stops_polling(sandbox_factory: Callable[..., SandboxProcess]) -> None:
    sp = sandbox_factory()
    c = client(sp)
    svc = c.get(f"{BASE}/services").json()["data"][0]["id"]
    run = f"{BASE}/services/{svc}/commands"
    assert wait_operation(c, accepted(c.post(f"{run}/pause/run", json={})))["result"] == {"paused": True}
    assert c.get(f"{BASE}/services/{svc}/status").json()["status"]["paused"] is True
    prefix = unique("paused")
    write_parquet(storage_dir(sp) / prefix / "a.parquet", rows_sql(2))
    name = unique("p")
    body = {
        "pathPrefix": prefix,
        "sourceStorageName": STORAGE,
        "tableName": name,
        "pollingIntervalSeconds": 1,
    }
    assert create_table(c, body)["status"] == "succeeded"
    write_parquet(storage_dir(sp) / prefix / "b.parquet", rows_sql(2, start=9))
    advance(sp, 5)
    assert count(sp, name) == 2
    assert wait_operation(c, accepted(c.post(f"{run}/resume/run", json={})))["result"] == {"paused": False}
    advance(sp, 1)
    assert count(sp, name) == 4


@pytest.mark.slow
def test_the_admin_switch_makes_many_pipe_tables_like_one(
    sandbox_factory: Callable[..., SandboxProcess],
) -> None:
    sp = sandbox_factory()
    c = client(sp)
    copy = "/_sandbox/ailake/pipe-tables/copy"
    r = c.post(copy, json={"instance": "demo", "table": "sales", "prefix": "sales_copy_", "count": 250})
    assert r.status_code == 201, r.text
    assert r.json() == {"status": "OK", "count": 250, "first": "sales_copy_001", "last": "sales_copy_250"}

    # Listed page by page after the original, with the list's totals.
    r = c.get(f"{INSTANCES}/demo/pipeTables", params={"size": 100, "page": 2, "metaInclude": "page"})
    body = r.json()
    assert body["meta"]["page"] == {"number": 2, "size": 100, "totalElements": 251, "totalPages": 3}
    names = [d["attributes"]["tableName"] for d in body["data"]]
    assert names == [f"sales_copy_{i:03d}" for i in range(200, 251)]
    original = c.get(f"{INSTANCES}/demo/pipeTables/sales").json()["data"]["attributes"]
    copied = c.get(f"{INSTANCES}/demo/pipeTables/sales_copy_007").json()["data"]["attributes"]
    assert copied["pipeTableId"] != original["pipeTableId"]
    assert {**copied, "pipeTableId": "", "tableName": ""} == {**original, "pipeTableId": "", "tableName": ""}
    assert count(sp, "sales_copy_007") == count(sp, "sales") > 0
    status = c.get(f"{BASE}/services").json()["data"][0]["id"]
    assert c.get(f"{BASE}/services/{status}/status").json()["status"]["pipeTables"] == 251

    # A copy is a pipe table like any other: it is deleted by its operation.
    assert (
        wait_operation(c, accepted(c.delete(f"{INSTANCES}/demo/pipeTables/sales_copy_250")))["status"]
        == "succeeded"
    )

    # Refusals make nothing.
    def refused(body: dict[str, object], status: int, fragment: str, token: str | None = None) -> None:
        r = (client(sp, token) if token else c).post(copy, json=body)
        assert r.status_code == status and fragment in r.json()["detail"], r.text

    refused({"instance": "demo", "table": "sales", "prefix": "x", "count": 0}, 400, "'count'")
    refused({"instance": "demo", "table": "sales", "prefix": "X", "count": 2}, 400, "'X1' is not")
    refused({"instance": "demo", "table": "nope", "prefix": "x", "count": 2}, 404, "'nope' not found")
    refused({"instance": "gone", "table": "sales", "prefix": "x", "count": 2}, 404, "'gone' not found")
    taken = {"instance": "demo", "table": "sales", "prefix": "sales_copy_", "count": 300}
    refused(taken, 409, "sales_copy_001")
    refused({"instance": "demo", "table": "sales", "prefix": "x", "count": 2}, 401, "invalid", token="wrong")
    r = c.get(f"{INSTANCES}/demo/pipeTables", params={"size": 500, "metaInclude": "page"})
    assert r.json()["meta"]["page"]["totalElements"] == 250
    assert not any(d["attributes"]["tableName"] in ("x1", "sales_copy_300") for d in r.json()["data"])
