"""AI Lake over real HTTP: every endpoint's success and its documented failures."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from conftest import SandboxProcess
from test_ailake_support import (
    BASE,
    INSTANCES,
    STORAGE,
    accepted,
    assert_problem,
    client,
    count,
    create_table,
    rows_sql,
    shown,
    storage_dir,
    unique,
    wait_operation,
    write_parquet,
)

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def c(sandbox: SandboxProcess) -> httpx.Client:
    return client(sandbox)


@pytest.fixture(scope="module")
def flat(sandbox: SandboxProcess) -> str:
    """A folder with two parquet files directly under it (5 + 7 rows)."""
    prefix = unique("flat")
    root = storage_dir(sandbox) / prefix
    write_parquet(root / "a.parquet", rows_sql(5))
    write_parquet(root / "b.parquet", rows_sql(7, start=100))
    return prefix + "/"


def storage_id(c: httpx.Client, name: str = STORAGE) -> str:
    docs = c.get(f"{BASE}/objectStorages", params={"size": 500}).json()["data"]
    return next(d["id"] for d in docs if d["attributes"]["name"] == name)


def provision(c: httpx.Client, name: str, **extra: Any) -> dict[str, Any]:
    body = {"name": name, "storageIds": [storage_id(c)], **extra}
    op = wait_operation(c, accepted(c.post(INSTANCES, json=body)))
    assert op["status"] == "succeeded", op
    return c.get(f"{INSTANCES}/{name}").json()["data"]


# -- auth and routing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Basic cm9vdDpzYW5kYm94"},
        {"Authorization": "Bearer"},
    ],
)
def test_requests_without_the_bearer_token_are_refused(
    sandbox: SandboxProcess, headers: dict[str, str]
) -> None:
    for method, path in [
        ("GET", INSTANCES),
        ("POST", f"{INSTANCES}/demo/pipeTables"),
        ("GET", f"{BASE}/nothing"),
    ]:
        r = httpx.request(method, sandbox.url + path, headers=headers, json={})
        assert_problem(r, 401, "Unauthorized")


def test_unknown_paths_and_methods_answer_problem_documents(c: httpx.Client) -> None:
    assert_problem(c.get(f"{BASE}/database/nothing"), 404, "Not Found")
    assert_problem(c.put(f"{INSTANCES}/demo"), 405, "Method Not Allowed")
    assert_problem(c.delete(f"{BASE}/objectStorages"), 405, "Method Not Allowed")


# -- database instances ----------------------------------------------------------------------------


def test_seeded_demo_instance(c: httpx.Client) -> None:
    r = c.get(INSTANCES)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == {"data", "links", "meta"}
    assert body["links"] == {"self": str(r.url)}
    assert body["meta"] == {"page": {"number": 0, "size": 50}}
    demo = next(d for d in body["data"] if d["attributes"]["name"] == "demo")
    assert demo["type"] == "databaseInstance" and UUID_RE.match(demo["id"])
    attrs = demo["attributes"]
    assert set(attrs) == {"id", "name", "storageIds", "dataSources"}
    assert attrs["id"] == demo["id"] and attrs["storageIds"] == [storage_id(c)]
    assert [(d["dataSourceId"], d["dataSourceName"]) for d in attrs["dataSources"]] == [("demo", "demo")]
    assert UUID_RE.match(attrs["dataSources"][0]["id"])


def test_get_instance_by_name_and_by_uuid(c: httpx.Client) -> None:
    by_name = c.get(f"{INSTANCES}/demo")
    assert by_name.status_code == 200
    doc = by_name.json()
    assert set(doc) == {"data", "links"} and doc["links"]["self"].endswith("/database/instances/demo")
    by_id = c.get(f"{INSTANCES}/{doc['data']['id']}").json()
    assert by_id["data"] == doc["data"]
    assert_problem(c.get(f"{INSTANCES}/no-such-db"), 404, "Not Found", "no-such-db")


@pytest.mark.parametrize(
    "params,fragment",
    [
        ({"size": 501}, "less than or equal to 500"),
        ({"size": 0}, "greater than or equal to 1"),
        ({"page": -1}, "greater than or equal to 0"),
        ({"size": "ten"}, "integer"),
    ],
)
def test_list_paging_limits(c: httpx.Client, params: dict[str, Any], fragment: str) -> None:
    for path in (INSTANCES, f"{BASE}/objectStorages", f"{INSTANCES}/demo/pipeTables", f"{BASE}/services"):
        assert_problem(c.get(path, params=params), 400, "Bad Request", fragment)


def test_list_paging_and_totals(c: httpx.Client) -> None:
    names = [unique("pg") for _ in range(2)]
    for n in names:
        provision(c, n)
    full = c.get(INSTANCES, params={"size": 500, "metaInclude": "page"}).json()
    total = full["meta"]["page"]["totalElements"]
    assert total >= 3 and full["meta"]["page"]["totalPages"] == 1
    pages = []
    for page in range(total):
        body = c.get(INSTANCES, params={"size": 1, "page": page, "metaInclude": "page"}).json()
        assert body["meta"]["page"] == {
            "number": page,
            "size": 1,
            "totalElements": total,
            "totalPages": total,
        }
        pages += body["data"]
    assert pages == full["data"]
    past = c.get(INSTANCES, params={"size": 500, "page": 1}).json()
    assert past["data"] == [] and past["meta"]["page"] == {"number": 1, "size": 500}


def test_provision_and_deprovision(sandbox: SandboxProcess, c: httpx.Client) -> None:
    name = unique("prov")
    r = c.post(INSTANCES, json={"name": name, "storageIds": [storage_id(c)], "dataSourceName": "Prov DS"})
    op_id = accepted(r)
    assert UUID_RE.match(op_id)
    pending = c.get(f"{BASE}/operations/{op_id}").json()
    assert pending == {"id": op_id, "kind": "provision-database", "status": "pending"}
    assert_problem(c.get(f"{INSTANCES}/{name}"), 404, "Not Found")
    assert wait_operation(c, op_id) == {"id": op_id, "kind": "provision-database", "status": "succeeded"}
    inst = c.get(f"{INSTANCES}/{name}").json()["data"]["attributes"]
    assert inst["dataSources"][0]["dataSourceId"] == name
    assert inst["dataSources"][0]["dataSourceName"] == "Prov DS"
    assert name in shown(sandbox, "SHOW DATABASES")

    op_id = accepted(c.delete(f"{INSTANCES}/{inst['id']}"))
    assert wait_operation(c, op_id) == {"id": op_id, "kind": "deprovision-database", "status": "succeeded"}
    assert_problem(c.get(f"{INSTANCES}/{name}"), 404, "Not Found")
    assert name not in shown(sandbox, "SHOW DATABASES")


@pytest.mark.parametrize(
    "body,status,fragment",
    [
        ({"storageIds": []}, 400, "'name' is required"),
        ({"name": "x1"}, 400, "'storageIds' is required"),
        ({"name": 5, "storageIds": []}, 400, "'name' must be a string"),
        ({"name": "x2", "storageIds": "s"}, 400, "must be an array"),
        ({"name": "x3", "storageIds": ["a", "a"]}, 400, "duplicate"),
        ({"name": "x4", "storageIds": ["no-such-storage"]}, 400, "no-such-storage"),
        ({"name": "demo", "storageIds": []}, 409, "already exists"),
        ({"name": "x5", "storageIds": [], "dataSourceId": "demo"}, 409, "Data source 'demo'"),
    ],
)
def test_provision_refusals(c: httpx.Client, body: dict[str, Any], status: int, fragment: str) -> None:
    title = "Bad Request" if status == 400 else "Conflict"
    assert_problem(c.post(INSTANCES, json=body), status, title, fragment)


def test_request_bodies_must_be_json_objects(c: httpx.Client) -> None:
    assert_problem(
        c.post(INSTANCES, content=b"{nope", headers={"Content-Type": "application/json"}), 400, "Bad Request"
    )
    assert_problem(
        c.post(INSTANCES, content=b"[]", headers={"Content-Type": "application/json"}), 400, "Bad Request"
    )
    assert_problem(
        c.post(INSTANCES, content=b"", headers={"Content-Type": "application/json"}), 400, "Bad Request"
    )
    assert_problem(
        c.post(INSTANCES, content=b"name=x", headers={"Content-Type": "text/plain"}),
        415,
        "Unsupported Media Type",
    )


@pytest.mark.slow
def test_deprovision_refusals_and_cascade(sandbox: SandboxProcess, c: httpx.Client, flat: str) -> None:
    assert_problem(c.delete(f"{INSTANCES}/no-such-db"), 404, "Not Found")
    name = unique("casc")
    provision(c, name)
    assert_problem(
        c.delete(f"{INSTANCES}/{name}", params={"cascade": "maybe"}), 400, "Bad Request", "cascade"
    )
    op = create_table(c, {"pathPrefix": flat, "sourceStorageName": STORAGE, "tableName": "t1"}, instance=name)
    assert op["status"] == "succeeded", op

    op = wait_operation(c, accepted(c.delete(f"{INSTANCES}/{name}")))
    assert op["status"] == "failed" and op["kind"] == "deprovision-database"
    assert (
        op["error"]["status"] == 409
        and op["error"]["title"] == "Conflict"
        and "cascade" in op["error"]["detail"]
    )
    assert c.get(f"{INSTANCES}/{name}/pipeTables/t1").status_code == 200

    op = wait_operation(c, accepted(c.delete(f"{INSTANCES}/{name}", params={"cascade": "true"})))
    assert op["status"] == "succeeded", op
    assert_problem(c.get(f"{INSTANCES}/{name}/pipeTables/t1"), 404, "Not Found")
    assert name not in shown(sandbox, "SHOW DATABASES")


# -- data sources ----------------------------------------------------------------------------------


def test_data_sources(c: httpx.Client) -> None:
    name = unique("ds")
    provision(c, name)
    path = f"{INSTANCES}/{name}/dataSources"
    listed = c.get(path, params={"metaInclude": "page"}).json()
    assert [d["attributes"]["dataSourceId"] for d in listed["data"]] == [name]
    assert (
        listed["data"][0]["type"] == "dataSource"
        and listed["data"][0]["id"] == listed["data"][0]["attributes"]["id"]
    )
    assert listed["meta"]["page"]["totalElements"] == 1

    extra = unique("extra")
    r = c.post(path, json={"dataSourceId": extra})
    assert r.status_code == 200
    added = r.json()
    assert set(added) == {"dataSource"} and added["dataSource"]["dataSourceName"] == extra
    assert UUID_RE.match(added["dataSource"]["id"])
    assert_problem(c.post(path, json={"dataSourceId": extra}), 409, "Conflict")
    assert_problem(c.post(path, json={"dataSourceName": "n"}), 400, "Bad Request", "dataSourceId")

    renamed = unique("renamed")
    r = c.patch(f"{INSTANCES}/{name}/dataSource", json={"oldDataSourceId": extra, "dataSourceId": renamed})
    assert r.status_code == 200 and r.json() == {"dataSourceId": renamed, "dataSourceName": renamed}
    r = c.patch(
        f"{INSTANCES}/{name}/dataSource",
        json={"oldDataSourceId": renamed, "dataSourceId": renamed, "dataSourceName": "Nice name"},
    )
    assert r.json() == {"dataSourceId": renamed, "dataSourceName": "Nice name"}
    assert_problem(
        c.patch(f"{INSTANCES}/{name}/dataSource", json={"oldDataSourceId": "nope", "dataSourceId": "x"}),
        404,
        "Not Found",
    )
    assert_problem(
        c.patch(f"{INSTANCES}/{name}/dataSource", json={"oldDataSourceId": renamed, "dataSourceId": "demo"}),
        409,
        "Conflict",
    )
    assert_problem(c.patch(f"{INSTANCES}/{name}/dataSource", json={"dataSourceId": "x"}), 400, "Bad Request")

    r = c.delete(f"{path}/{renamed}")
    assert r.status_code == 200 and r.json() == {"dataSourceId": renamed}
    assert_problem(c.delete(f"{path}/{renamed}"), 404, "Not Found")
    assert_problem(c.delete(f"{path}/{name}"), 409, "Conflict", "last")
    assert_problem(c.get(f"{INSTANCES}/nope/dataSources"), 404, "Not Found")


# -- object storages -------------------------------------------------------------------------------


def test_object_storages_strip_credentials(c: httpx.Client) -> None:
    body = c.get(f"{BASE}/objectStorages", params={"metaInclude": "page"}).json()
    lake = next(d for d in body["data"] if d["attributes"]["name"] == STORAGE)
    assert lake["type"] == "objectStorage" and UUID_RE.match(lake["id"])
    attrs = lake["attributes"]
    assert set(attrs) == {"storageId", "name", "storageType", "storageConfig"}
    assert attrs["storageId"] == lake["id"] and attrs["storageType"] == "s3"
    assert attrs["storageConfig"]["bucket"] == STORAGE
    assert not [k for k in attrs["storageConfig"] if k.endswith("_env") or "secret" in k]


# -- pipe tables -----------------------------------------------------------------------------------


def test_seeded_sales_pipe_table(sandbox: SandboxProcess, c: httpx.Client) -> None:
    listed = c.get(f"{INSTANCES}/demo/pipeTables", params={"metaInclude": "page"}).json()
    assert listed["meta"]["page"]["totalElements"] == len(listed["data"]) >= 1
    sales = next(d for d in listed["data"] if d["attributes"]["tableName"] == "sales")
    assert set(sales["attributes"]) == {"pipeTableId", "tableName", "pathPrefix", "columns"}
    assert sales["type"] == "pipeTable" and sales["id"] == sales["attributes"]["pipeTableId"]

    doc = c.get(f"{INSTANCES}/demo/pipeTables/sales").json()
    attrs = doc["data"]["attributes"]
    assert {
        "pipeTableId",
        "tableName",
        "databaseName",
        "pathPrefix",
        "sourceStorageName",
        "columns",
        "partitionColumns",
        "keyConfig",
        "distributionConfig",
        "pollingIntervalSeconds",
        "tableProperties",
    } <= set(attrs)
    assert attrs["databaseName"] == "demo" and attrs["sourceStorageName"] == STORAGE
    assert attrs["pathPrefix"] == "sales/" and attrs["partitionColumns"] == ["year", "month"]
    assert attrs["columns"][0] == {"name": "order_id", "type": "BIGINT"}
    assert {"name": "amount", "type": "DECIMAL(12,2)"} in attrs["columns"]
    assert attrs["tableProperties"] == {"replication_num": "1"}
    assert count(sandbox, "sales") == 300 + 280 + 310
    assert count(sandbox, "sales", where="WHERE month = '02'") == 280


def test_pipe_table_lookups_fail_for_unknown_names(c: httpx.Client) -> None:
    assert_problem(c.get(f"{INSTANCES}/demo/pipeTables/nope"), 404, "Not Found", "nope")
    assert_problem(c.get(f"{INSTANCES}/nope/pipeTables"), 404, "Not Found")
    assert_problem(c.delete(f"{INSTANCES}/demo/pipeTables/nope"), 404, "Not Found")
    assert_problem(
        c.post(f"{INSTANCES}/demo/pipeTables/nope/refresh", json={"partitionSpec": {}}), 404, "Not Found"
    )


def test_create_get_list_and_delete(sandbox: SandboxProcess, c: httpx.Client, flat: str) -> None:
    name = unique("t")
    op_id = str(uuid.uuid4())
    r = c.post(
        f"{INSTANCES}/demo/pipeTables",
        json={"pathPrefix": flat, "sourceStorageName": STORAGE, "tableName": name},
        headers={"operation-id": op_id},
    )
    assert accepted(r) == op_id
    assert c.get(f"{BASE}/operations/{op_id}").json()["status"] == "pending"
    assert_problem(c.get(f"{INSTANCES}/demo/pipeTables/{name}"), 404, "Not Found")
    assert wait_operation(c, op_id) == {"id": op_id, "kind": "create-pipe-table", "status": "succeeded"}

    attrs = c.get(f"{INSTANCES}/demo/pipeTables/{name}").json()["data"]["attributes"]
    assert attrs["columns"] == [
        {"name": "id", "type": "BIGINT"},
        {"name": "name", "type": "VARCHAR(1048576)"},
        {"name": "price", "type": "DECIMAL(10,2)"},
        {"name": "day", "type": "DATE"},
    ]
    assert attrs["partitionColumns"] == []
    assert attrs["keyConfig"] == {"type": "duplicate", "columns": ["id"]}
    assert attrs["distributionConfig"] == {"type": "hash", "buckets": 1, "columns": ["id"]}
    assert attrs["pollingIntervalSeconds"] == 0 and "partitionConfig" not in attrs
    assert attrs["tableProperties"] == {"replication_num": "1"}
    listed = c.get(f"{INSTANCES}/demo/pipeTables", params={"size": 500}).json()["data"]
    assert any(d["attributes"]["tableName"] == name for d in listed)
    assert count(sandbox, name) == 12
    # LARGEINT sums come back as JSON strings; compare the number.
    assert int(sandbox.query(f"SELECT sum(id) FROM {name}", db="demo")[0][0]) == sum(range(1, 6)) + sum(
        range(100, 107)
    )

    assert_problem(
        c.post(
            f"{INSTANCES}/demo/pipeTables",
            json={"pathPrefix": flat, "sourceStorageName": STORAGE, "tableName": name},
        ),
        409,
        "Conflict",
    )
    assert_problem(
        c.post(
            f"{INSTANCES}/demo/pipeTables",
            json={"pathPrefix": flat, "sourceStorageName": STORAGE, "tableName": unique("t")},
            headers={"operation-id": op_id},
        ),
        409,
        "Conflict",
        op_id,
    )

    del_id = accepted(c.delete(f"{INSTANCES}/demo/pipeTables/{name}"))
    assert wait_operation(c, del_id) == {"id": del_id, "kind": "delete-pipe-table", "status": "succeeded"}
    assert_problem(c.get(f"{INSTANCES}/demo/pipeTables/{name}"), 404, "Not Found")
    assert name not in shown(sandbox, "SHOW TABLES", db="demo")


GOOD = {"pathPrefix": "sales/", "sourceStorageName": STORAGE}


@pytest.mark.slow
@pytest.mark.parametrize(
    "body,fragment",
    [
        ({**GOOD, "tableName": "Upper"}, "must match"),
        ({**GOOD, "tableName": "1abc"}, "must match"),
        ({**GOOD, "tableName": "a" * 64}, "must match"),
        ({**GOOD, "tableName": "bad.name"}, "must match"),
        ({"sourceStorageName": STORAGE, "tableName": "t"}, "'pathPrefix' is required"),
        ({"pathPrefix": "sales/", "tableName": "t"}, "'sourceStorageName' is required"),
        (GOOD, "'tableName' is required"),
        ({**GOOD, "tableName": 7}, "must be a string"),
        ({**GOOD, "tableName": "t", "pathPrefix": "../etc/"}, ".."),
        ({**GOOD, "tableName": "t", "keyConfig": {"columns": ["a"]}}, "'keyConfig.type' is required"),
        ({**GOOD, "tableName": "t", "keyConfig": {"type": "clustered"}}, "keyConfig.type"),
        ({**GOOD, "tableName": "t", "keyConfig": {"type": "unique", "columns": "a"}}, "must be an array"),
        ({**GOOD, "tableName": "t", "distributionConfig": {"type": "hash", "buckets": 0}}, "buckets"),
        ({**GOOD, "tableName": "t", "distributionConfig": {"type": "random", "buckets": "2"}}, "buckets"),
        ({**GOOD, "tableName": "t", "distributionConfig": {"type": "range"}}, "distributionConfig.type"),
        ({**GOOD, "tableName": "t", "partitionConfig": {"type": "column"}}, "partitionConfig.columns"),
        (
            {
                **GOOD,
                "tableName": "t",
                "partitionConfig": {"type": "dateTrunc", "column": "d", "unit": "decade"},
            },
            "partitionConfig.unit",
        ),
        ({**GOOD, "tableName": "t", "partitionConfig": {"type": "dateTrunc", "unit": "day"}}, "column"),
        (
            {
                **GOOD,
                "tableName": "t",
                "partitionConfig": {"type": "timeSlice", "column": "d", "unit": "day"},
            },
            "slices",
        ),
        (
            {
                **GOOD,
                "tableName": "t",
                "partitionConfig": {"type": "timeSlice", "column": "d", "unit": "day", "slices": 0},
            },
            "slices",
        ),
        (
            {**GOOD, "tableName": "t", "columnExpressions": {"u": {"column": "c", "function": "MD5"}}},
            "function",
        ),
        ({**GOOD, "tableName": "t", "columnExpressions": {"u": {"function": "HLL_HASH"}}}, "column"),
        (
            {
                **GOOD,
                "tableName": "t",
                "keyConfig": {"type": "aggregate"},
                "aggregationOverrides": {"amount": "AVG"},
            },
            "aggregationOverrides.amount",
        ),
        ({**GOOD, "tableName": "t", "columnOverrides": {"year": 4}}, "columnOverrides.year"),
        ({**GOOD, "tableName": "t", "maxVarcharLength": -1}, "maxVarcharLength"),
        ({**GOOD, "tableName": "t", "pollingIntervalSeconds": -5}, "pollingIntervalSeconds"),
        ({**GOOD, "tableName": "t", "pollingIntervalSeconds": 1.5}, "pollingIntervalSeconds"),
        ({**GOOD, "tableName": "t", "tableProperties": {"replication_num": 1}}, "tableProperties"),
        ({**GOOD, "tableName": "t", "sourceStorageName": "no-such-storage"}, "no-such-storage"),
    ],
)
def test_create_refuses_invalid_requests_at_once(
    c: httpx.Client, body: dict[str, Any], fragment: str
) -> None:
    assert_problem(c.post(f"{INSTANCES}/demo/pipeTables", json=body), 400, "Bad Request", fragment)


def test_create_needs_a_storage_the_instance_can_access(sandbox: SandboxProcess, c: httpx.Client) -> None:
    other = unique("other-lake")
    write_parquet(storage_dir(sandbox, other) / "d" / "a.parquet", rows_sql(2))
    body = {"pathPrefix": "d/", "sourceStorageName": other, "tableName": unique("t")}
    assert_problem(c.post(f"{INSTANCES}/demo/pipeTables", json=body), 400, "Bad Request", "no access")
    name = unique("acc")
    r = c.post(INSTANCES, json={"name": name, "storageIds": [storage_id(c, other)]})
    assert wait_operation(c, accepted(r))["status"] == "succeeded"
    assert create_table(c, body, instance=name)["status"] == "succeeded"
    assert count(sandbox, body["tableName"], db=name) == 2
    assert_problem(c.post(f"{INSTANCES}/nope/pipeTables", json=body), 404, "Not Found")


def _failed(c: httpx.Client, body: dict[str, Any], status: int, *fragments: str) -> None:
    op = create_table(c, body)
    assert op["status"] == "failed" and op["kind"] == "create-pipe-table", op
    assert set(op) == {"id", "kind", "status", "error"}
    assert op["error"]["status"] == status
    for f in fragments:
        assert f in op["error"]["detail"], op["error"]["detail"]
    # A failed create leaves nothing behind: the name is free again.
    assert c.get(f"{INSTANCES}/demo/pipeTables/{body['tableName']}").status_code == 404


def test_create_fails_when_the_layout_is_not_uniform(sandbox: SandboxProcess, c: httpx.Client) -> None:
    root = storage_dir(sandbox)
    empty = unique("empty")
    (root / empty).mkdir(parents=True)
    (root / empty / "notes.txt").write_text("no parquet here")
    _failed(c, {**GOOD, "pathPrefix": empty, "tableName": unique("t")}, 400, "No parquet files")

    mixed = unique("mixed")
    write_parquet(root / mixed / "top.parquet", rows_sql(1))
    write_parquet(root / mixed / "year=2024" / "deep.parquet", rows_sql(1))
    _failed(c, {**GOOD, "pathPrefix": mixed, "tableName": unique("t")}, 400, "mixed depths")

    plain = unique("plain")
    write_parquet(root / plain / "batch1" / "a.parquet", rows_sql(1))
    _failed(c, {**GOOD, "pathPrefix": plain, "tableName": unique("t")}, 400, "not a Hive partition")

    hive = unique("hive")
    write_parquet(root / hive / "year=2024" / "a.parquet", rows_sql(1))
    write_parquet(root / hive / "region=emea" / "b.parquet", rows_sql(1))
    _failed(c, {**GOOD, "pathPrefix": hive, "tableName": unique("t")}, 400, "Inconsistent Hive")


@pytest.mark.slow
@pytest.mark.parametrize(
    "extra,status,fragment",
    [
        ({"keyConfig": {"type": "duplicate", "columns": ["nope"]}}, 400, "'nope'"),
        ({"keyConfig": {"type": "duplicate", "columns": ["unit_price", "unit_price"]}}, 400, "Duplicate key"),
        ({"keyConfig": {"type": "aggregate", "columns": ["region"]}}, 400, "missing"),
        (
            {
                "keyConfig": {"type": "aggregate", "columns": ["region"]},
                "aggregationOverrides": {"region": "SUM"},
            },
            400,
            "Key column 'region'",
        ),
        ({"columnOverrides": {"nope": "INT"}}, 400, "'nope'"),
        ({"columnOverrides": {"year": "INTEGRAL"}}, 400, "INTEGRAL"),
        ({"columnOverrides": {"customer": "VARCHAR(0)"}}, 400, "VARCHAR"),
        ({"columnExpressions": {"u": {"column": "nope", "function": "HLL_HASH"}}}, 400, "'nope'"),
        ({"columnExpressions": {"customer": {"column": "customer", "function": "HLL_HASH"}}}, 400, "HLL"),
        (
            {"keyConfig": {"type": "unique"}, "distributionConfig": {"type": "random"}},
            400,
            "Random distribution",
        ),
        (
            {"keyConfig": {"type": "primary"}, "distributionConfig": {"type": "hash", "columns": ["amount"]}},
            400,
            "key",
        ),
        ({"distributionConfig": {"type": "hash", "columns": ["nope"]}}, 400, "'nope'"),
        (
            {"partitionConfig": {"type": "dateTrunc", "column": "customer", "unit": "month"}},
            400,
            "DATE or DATETIME",
        ),
        ({"partitionConfig": {"type": "dateTrunc", "column": "order_date", "unit": "hour"}}, 400, "hour"),
        ({"partitionConfig": {"type": "column", "columns": ["nope"]}}, 400, "'nope'"),
        ({"tableProperties": {"replication_num": "3"}}, 400, "replication num"),
        ({"keyConfig": {"type": "duplicate", "columns": ["unit_price"]}}, 400, None),
        ({"keyConfig": {"type": "duplicate", "columns": ["amount"]}}, 400, None),
    ],
)
def test_create_fails_on_what_only_the_files_and_starrocks_can_tell(
    c: httpx.Client, extra: dict[str, Any], status: int, fragment: str | None
) -> None:
    body = {**GOOD, "tableName": unique("t"), **extra}
    if fragment is None:
        # DECIMAL keys are fine in StarRocks; these two must succeed.
        op = create_table(c, body)
        assert op["status"] == "succeeded", op
        return
    _failed(c, body, status, fragment)


def test_create_fails_when_starrocks_has_the_table(c: httpx.Client) -> None:
    _failed(c, {**GOOD, "tableName": "orders"}, 409, "already exists")


def test_create_with_overrides_expressions_and_configs(sandbox: SandboxProcess, c: httpx.Client) -> None:
    name = unique("agg")
    body = {
        **GOOD,
        "pathPrefix": "sales/year=2024/",
        "tableName": name,
        "keyConfig": {"type": "aggregate", "columns": ["month", "region"]},
        "columnOverrides": {"month": "INT", "quantity": "BIGINT"},
        "columnExpressions": {"buyers": {"column": "customer", "function": "HLL_HASH"}},
        "aggregationOverrides": {
            "order_id": "max",
            "order_date": "MAX",
            "customer": "REPLACE_IF_NOT_NULL",
            "product": "REPLACE",
            "channel": "MIN",
            "quantity": "SUM",
            "unit_price": "MAX",
            "amount": "SUM",
            "year": "MIN",
            "buyers": "HLL_UNION",
        },
        "distributionConfig": {"type": "hash", "buckets": 4},
        "partitionConfig": {"type": "column", "columns": ["month"]},
        "maxVarcharLength": 32,
        "pollingIntervalSeconds": 600,
        "tableProperties": {"replication_num": "1", "compression": "ZSTD"},
    }
    assert create_table(c, body)["status"] == "succeeded"
    attrs = c.get(f"{INSTANCES}/demo/pipeTables/{name}").json()["data"]["attributes"]
    types = {col["name"]: col["type"] for col in attrs["columns"]}
    assert [col["name"] for col in attrs["columns"]][:2] == ["month", "region"]
    assert types["month"] == "INT" and types["region"] == "VARCHAR(32)" and types["year"] == "VARCHAR(32)"
    assert types["quantity"] == "BIGINT" and types["buyers"] == "HLL"
    assert attrs["partitionColumns"] == ["year", "month"]
    assert attrs["keyConfig"] == {"type": "aggregate", "columns": ["month", "region"]}
    assert attrs["distributionConfig"] == {"type": "hash", "buckets": 4, "columns": ["month"]}
    assert attrs["partitionConfig"] == {"type": "column", "columns": ["month"]}
    assert attrs["pollingIntervalSeconds"] == 600
    assert attrs["tableProperties"] == {"replication_num": "1", "compression": "ZSTD"}
    # Aggregated: one row per (month, region) of the 890 seeded sales rows.
    assert count(sandbox, name) == 9
    total = sandbox.query(f"SELECT sum(quantity) FROM {name}", db="demo")[0][0]
    assert total == sandbox.query("SELECT sum(quantity) FROM sales", db="demo")[0][0]


def test_refresh_refusals(c: httpx.Client, flat: str) -> None:
    path = f"{INSTANCES}/demo/pipeTables/sales/refresh"
    assert_problem(c.post(path, json={}), 400, "Bad Request", "partitionSpec")
    assert_problem(
        c.post(path, json={"partitionSpec": {"year": 2024}}), 400, "Bad Request", "must be a string"
    )
    assert_problem(c.post(path, json={"partitionSpec": {"year": "2024"}}), 400, "Bad Request", "exactly")
    assert_problem(
        c.post(path, json={"partitionSpec": {"year": "2024", "month": "01", "day": "1"}}), 400, "Bad Request"
    )
    assert_problem(c.post(path, json={"partitionSpec": {"date": "2026-01-01"}}), 400, "Bad Request")
    name = unique("flat")
    assert create_table(c, {**GOOD, "pathPrefix": flat, "tableName": name})["status"] == "succeeded"
    assert_problem(
        c.post(f"{INSTANCES}/demo/pipeTables/{name}/refresh", json={"partitionSpec": {}}),
        400,
        "Bad Request",
        "no Hive partition",
    )


# -- ANALYZE ---------------------------------------------------------------------------------------


def test_analyze_statistics(sandbox: SandboxProcess, c: httpx.Client) -> None:
    path = f"{INSTANCES}/demo/analyzeStatistics"
    r = c.post(path, json={"tableNames": ["orders", "sales"]})
    assert r.status_code == 202 and r.content == b""
    assert "operation-location" not in r.headers
    op = wait_operation(c, r.headers["operation-id"])
    assert op == {
        "id": r.headers["operation-id"],
        "kind": "analyze-statistics",
        "status": "succeeded",
        "result": {"tablesAnalyzed": 2},
    }

    tables = len(shown(sandbox, "SHOW TABLES", db="demo"))
    op = wait_operation(c, c.post(path, json={}).headers["operation-id"])
    assert op["result"] == {"tablesAnalyzed": tables}
    op = wait_operation(c, c.post(path, json={"tableNames": []}).headers["operation-id"])
    assert op["result"]["tablesAnalyzed"] >= tables

    op = wait_operation(c, c.post(path, json={"tableNames": ["orders", "nope"]}).headers["operation-id"])
    assert op["status"] == "failed" and op["error"]["status"] == 404 and "nope" in op["error"]["detail"]

    mine = str(uuid.uuid4())
    r = c.post(path, json={"tableNames": ["orders"]}, headers={"operation-id": mine})
    assert r.headers["operation-id"] == mine
    assert wait_operation(c, mine)["result"] == {"tablesAnalyzed": 1}

    assert_problem(c.post(path), 400, "Bad Request")
    assert_problem(c.post(path, json={"tableNames": "orders"}), 400, "Bad Request", "array")
    assert_problem(c.post(f"{INSTANCES}/nope/analyzeStatistics", json={}), 404, "Not Found")


# -- operations and services -----------------------------------------------------------------------


def test_unknown_operation(c: httpx.Client) -> None:
    assert_problem(c.get(f"{BASE}/operations/{uuid.uuid4()}"), 404, "Not Found")


def test_operation_id_header_must_be_usable(c: httpx.Client) -> None:
    r = c.post(f"{INSTANCES}/demo/analyzeStatistics", json={}, headers={"operation-id": "a/b"})
    assert_problem(r, 400, "Bad Request", "operation-id")


def test_services(c: httpx.Client) -> None:
    listed = c.get(f"{BASE}/services", params={"metaInclude": "page"}).json()
    assert listed["meta"]["page"]["totalElements"] == 1
    svc = listed["data"][0]
    assert svc["type"] == "service" and svc["attributes"] == {"serviceId": svc["id"], "name": "pipes"}
    status = c.get(f"{BASE}/services/{svc['id']}/status").json()
    assert set(status) == {"status"} and status["status"]["ready"] is True
    assert "poll" in status["status"]["commands"]

    op_id = accepted(
        c.post(f"{BASE}/services/{svc['id']}/commands/poll/run", json={"context": {"why": "test"}})
    )
    op = wait_operation(c, op_id)
    assert op["kind"] == "run-service-command" and op["status"] == "succeeded"
    assert set(op["result"]) == {"filesLoaded", "rowsLoaded"}

    assert_problem(c.post(f"{BASE}/services/{svc['id']}/commands/explode/run", json={}), 404, "Not Found")
    assert_problem(c.post(f"{BASE}/services/nope/commands/poll/run", json={}), 404, "Not Found")
    assert_problem(c.get(f"{BASE}/services/nope/status"), 404, "Not Found")
    assert_problem(
        c.post(f"{BASE}/services/{svc['id']}/commands/poll/run", json={"payload": [1]}), 400, "Bad Request"
    )


# -- the reference documents' examples -------------------------------------------------------------


def test_reference_examples_replayed(sandbox: SandboxProcess, c: httpx.Client) -> None:
    root = storage_dir(sandbox)
    dataset = unique("my-dataset")
    write_parquet(
        root / dataset / "year=2024" / "month=01" / "part-0.parquet",
        "SELECT CAST(i AS BIGINT) AS id, '2024-01-0' || i AS event_date FROM range(1, 4) t(i)",
    )
    op_id = "e9fd5d74-8a1b-46bd-ac60-bd91e9206897"
    body = {
        "pathPrefix": f"{dataset}/year=2024/",
        "sourceStorageName": STORAGE,
        "tableName": unique("my-table"),
        "columnOverrides": {"year": "INT", "event_date": "DATE"},
    }
    r = c.post(f"{INSTANCES}/demo/pipeTables", json=body, headers={"operation-id": op_id})
    assert r.status_code == 202
    assert r.headers["operation-id"] == op_id
    assert r.headers["operation-location"] == "/api/v1/ailake/operations/e9fd5d74-8a1b-46bd-ac60-bd91e9206897"
    assert wait_operation(c, op_id)["status"] == "succeeded"
    attrs = c.get(f"{INSTANCES}/demo/pipeTables/{body['tableName']}").json()["data"]["attributes"]
    assert attrs["partitionColumns"] == ["year", "month"]
    types = {col["name"]: col["type"] for col in attrs["columns"]}
    assert types == {"id": "BIGINT", "event_date": "DATE", "year": "INT", "month": "VARCHAR(1048576)"}
    assert count(sandbox, f"`{body['tableName']}`", where="WHERE year = 2024") == 3

    daily = unique("daily")
    write_parquet(root / daily / "date=2026-01-01" / "part-0.parquet", rows_sql(3))
    write_parquet(root / daily / "date=2026-01-02" / "part-0.parquet", rows_sql(4))
    name = unique("daily")
    assert create_table(c, {"pathPrefix": daily, "sourceStorageName": STORAGE, "tableName": name})[
        "status"
    ] == ("succeeded")
    write_parquet(root / daily / "date=2026-01-01" / "part-0.parquet", rows_sql(1))
    r = c.post(f"{INSTANCES}/demo/pipeTables/{name}/refresh", json={"partitionSpec": {"date": "2026-01-01"}})
    assert wait_operation(c, accepted(r))["status"] == "succeeded"
    assert count(sandbox, name) == 5
