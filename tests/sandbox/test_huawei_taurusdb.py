"""TaurusDB and its StarRocks (HTAP) instances over real HTTP, with an IAM token as the console
sends it: every endpoint's answer and each documented refusal."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import SandboxProcess
from sandboxclock import advance
from test_huawei_support import (
    SEEDED_SR_ID,
    SINGLE_BE,
    SINGLE_FE,
    TAURUS_ID,
    Api,
    create_body,
    error,
    hw,
)

REPORTING_ID = "7c3e1b9a0d2f4e6a8b5c1d3e5f7a9b2cin07"
JOB_SECONDS = 100


@pytest.fixture(scope="module")
def api(sandbox: SandboxProcess) -> Api:
    return Api(sandbox)


@pytest.fixture
def fresh(sandbox_factory: Any) -> Api:
    """A private sandbox whose jobs never end on their own: only moving its clock ends them."""
    return Api(sandbox_factory("--job-seconds", str(JOB_SECONDS)))


def _flavor(api: Api, spec: str, mode: str) -> str:
    flavors = api.ok("GET", "/htap/flavors/star-rocks")["flavors"]
    return str(next(f["id"] for f in flavors if f["spec_code"] == spec and f["instance_mode"] == mode))


def _create(api: Api, **overrides: Any) -> dict[str, Any]:
    body = create_body(hw(api.sp)["region"], **overrides)
    return dict(api.ok("POST", f"/instances/{TAURUS_ID}/starrocks", 201, json=body))


def _wait_job(api: Api, job_id: str) -> list[tuple[str, str]]:
    """The (status, process) a job showed until it completed, the sandbox's clock moved a tenth of
    JOB_SECONDS at a time."""
    seen: list[tuple[str, str]] = []
    for _ in range(20):
        job = api.job(job_id)
        if not seen or seen[-1] != (job["status"], job["process"]):
            seen.append((job["status"], job["process"]))
        if job["status"] == "Completed":
            return seen
        advance(api.sp, JOB_SECONDS / 10)
    raise AssertionError(f"job {job_id} not completed: {seen}")


# -- TaurusDB instances ------------------------------------------------------------------------
def test_list_taurusdb_instances_in_the_sdk_shape(api: Api, sandbox: SandboxProcess) -> None:
    body = api.ok("GET", "/instances")
    assert body["total_count"] == 2 and [i["id"] for i in body["instances"]] == [TAURUS_ID, REPORTING_ID]
    first = body["instances"][0]
    assert len(first["id"]) == 36 and first["id"].endswith("in07")
    assert first["status"] == "ACTIVE" and first["type"] == "Cluster"
    assert first["region"] == hw(sandbox)["region"]
    assert first["datastore"]["type"] == "gaussdb-mysql"
    assert set(first) >= {
        "private_ips", "proxy_ips", "readonly_private_ips", "public_ips", "port", "created", "updated",
        "db_user_name", "vpc_id", "subnet_id", "security_group_id", "flavor_ref", "flavor_info", "volume",
        "backup_strategy", "enterprise_project_id", "time_zone", "charge_info", "tags",
    }  # fmt: skip


@pytest.mark.parametrize(
    "params,ids",
    [
        ({"id": TAURUS_ID}, [TAURUS_ID]),
        ({"id": "*9b2c"}, [REPORTING_ID]),
        ({"name": "taurus-sandbox"}, [TAURUS_ID]),
        ({"name": "*report"}, [REPORTING_ID]),
        ({"name": "taurus"}, []),
        ({"type": "Cluster", "datastore_type": "gaussdb-mysql"}, [TAURUS_ID, REPORTING_ID]),
        ({"vpc_id": "d5a1a29b-1476-490f-9682-c1a59593e7b0"}, [TAURUS_ID]),
        ({"subnet_id": "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"}, [REPORTING_ID]),
        ({"private_ip": "192.168.0.12"}, [TAURUS_ID]),
        ({"readonly_private_ip": "10.10.0.22"}, [REPORTING_ID]),
        ({"proxy_ip": "10.0.0.1"}, []),
        ({"tags": "env=reporting"}, [REPORTING_ID]),
        ({"offset": "1"}, [REPORTING_ID]),
        ({"limit": "1"}, [TAURUS_ID]),
    ],
)
def test_list_taurusdb_filters_and_paging(api: Api, params: dict[str, str], ids: list[str]) -> None:
    body = api.ok("GET", "/instances", params=params)
    assert [i["id"] for i in body["instances"]] == ids
    if "offset" not in params and "limit" not in params:
        assert body["total_count"] == len(ids)


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "101"},
        {"offset": "-1"},
        {"offset": "two"},
        {"id": "*"},
        {"type": "Single"},
        {"datastore_type": "mysql"},
        {"tags": "env"},
    ],
)
def test_list_taurusdb_bad_query_is_400(api: Api, params: dict[str, str]) -> None:
    error(api("GET", "/instances", params=params), 400, "DBS.200001")


# -- flavors, storage, versions ----------------------------------------------------------------
def test_flavors(api: Api, sandbox: SandboxProcess) -> None:
    region = hw(sandbox)["region"]
    flavors = api.ok("GET", "/htap/flavors/star-rocks")["flavors"]
    ids = {f["id"] for f in flavors}
    assert {SINGLE_FE, SINGLE_BE} <= ids and len(ids) == len(flavors) >= 6
    fe = next(f for f in flavors if f["id"] == SINGLE_FE)
    assert fe == {
        "type": "x86",
        "vcpus": "4",
        "ram": "16",
        "id": SINGLE_FE,
        "spec_code": "gaussdb.sr-fe.xlarge.x86.4",
        "version_name": "3.1.6.0",
        "instance_mode": "Single",
        "az_status": {f"{region}a": "normal", f"{region}b": "normal", f"{region}c": "normal"},
    }
    assert {f["instance_mode"] for f in flavors} == {"Single", "Cluster"}
    assert {f["type"] for f in flavors} == {"x86", "arm"}
    assert any("sellout" in f["az_status"].values() for f in flavors)
    one = api.ok("GET", "/htap/flavors/star-rocks", params={"spec_code": "gaussdb.sr-fe.xlarge.x86.4"})[
        "flavors"
    ]
    assert {f["spec_code"] for f in one} == {"gaussdb.sr-fe.xlarge.x86.4"}
    same = api.ok(
        "GET",
        "/htap/flavors/star-rocks",
        params={"availability_zone_mode": "single", "version_name": "3.1.6.0"},
    )
    assert same["flavors"] == flavors
    assert api.ok("GET", "/htap/flavors/star-rocks", params={"version_name": "2.5.0.0"})["flavors"] == []
    assert api.ok("GET", "/htap/flavors/click-house")["flavors"] == []
    error(
        api("GET", "/htap/flavors/star-rocks", params={"availability_zone_mode": "multi"}), 400, "DBS.200001"
    )
    error(api("GET", "/htap/flavors/doris"), 400, "DBS.200001")


def test_storage_types_and_datastores(api: Api, sandbox: SandboxProcess) -> None:
    types = api.ok("GET", "/htap/storage-type/star-rocks", params={"version_name": "3.1"})["storage_type"]
    assert [t["name"] for t in types] == ["SSD", "ESSD"]
    assert all(
        t["min_volume_size"] == 50 and set(t) == {"name", "az_status", "min_volume_size"} for t in types
    )
    assert types[0]["az_status"][hw(sandbox)["region"] + "a"] == "normal"
    error(api("GET", "/htap/storage-type/star-rocks"), 400, "DBS.200001")
    assert (
        api.ok("GET", "/htap/storage-type/click-house", params={"version_name": "3.1"})["storage_type"] == []
    )
    ds = api.ok("GET", "/htap/datastores/star-rocks")["datastores"]
    assert len(ds) == 1 and ds[0]["name"] == "3.1" and ds[0]["kernel_version"] == "3.1.6.0" and ds[0]["id"]
    error(api("GET", "/htap/datastores/mysql"), 400, "DBS.200001")


def _check_body(**changes: Any) -> dict[str, Any]:
    resource = {
        "enterprise_project_id": "0",
        "instance_num": 1,
        "mode": "Cluster",
        "availability_zone_mode": "single",
        "fe_node_num": 3,
        "be_node_num": 3,
        "fe_flavor_ref": "gaussdb.sr-fe.xlarge.x86.4",
        "be_flavor_ref": "gaussdb.sr-be.4xlarge.x86.4",
        "subnet_id": "2ce0bc80-bfc5-4d5e-9b78-a7f91572e03b",
    }
    resource.update(changes)
    return {"action": "createInstance", "resource": {k: v for k, v in resource.items() if v is not None}}


@pytest.mark.parametrize(
    "changes,result",
    [
        ({}, True),
        ({"availability_zone": "cn-north-4a"}, True),
        ({"availability_zone": "cn-north-4c"}, False),  # that BE flavor is sold out there
        ({"fe_node_num": 1}, False),
        ({"be_flavor_ref": "gaussdb.sr-be.64xlarge.x86.4"}, False),
        ({"fe_flavor_ref": "gaussdb.sr-be.xlarge.x86.4"}, False),
        ({"subnet_id": "00000000-0000-0000-0000-000000000000"}, False),
        ({"instance_num": 50}, False),
    ],
)
def test_resource_check(api: Api, changes: dict[str, Any], result: bool) -> None:
    assert api.ok("POST", "/starrocks/resource-check", json=_check_body(**changes)) == {"result": result}


def test_resource_check_refuses_malformed_requests(api: Api) -> None:
    error(api("POST", "/starrocks/resource-check", json=_check_body(subnet_id=None)), 400, "DBS.200001")
    error(api("POST", "/starrocks/resource-check", json=_check_body(mode="Triple")), 400, "DBS.200051")
    error(
        api("POST", "/starrocks/resource-check", json={**_check_body(), "action": "resize"}),
        400,
        "DBS.200001",
    )
    error(api("POST", "/starrocks/resource-check"), 400, "DBS.200006")


# -- StarRocks instances: list and show --------------------------------------------------------
def test_list_htap_shows_the_seeded_instance(api: Api, sandbox: SandboxProcess) -> None:
    body = api.ok("GET", f"/instances/{TAURUS_ID}/htap")
    assert body["max_htap_instance_num_of_taurus"] == 5
    seeded = next(i for i in body["instances"] if i["id"] == SEEDED_SR_ID)
    assert body["total"] == len(body["instances"])
    assert seeded["engine_name"] == "star-rocks" and seeded["engine_version"] == "3.1.6.0"
    assert seeded["instance_state"]["instance_status"] == "normal"
    assert seeded["ha_mode"] == "Cluster" and seeded["node_num"] == 6 and seeded["port"] == 3306
    assert len(seeded["readable_node_infos"]) == 3 and seeded["data_vip"].count(",") == 2
    assert seeded["network"]["vpc_id"] == "d5a1a29b-1476-490f-9682-c1a59593e7b0"
    assert seeded["project_id"] == hw(sandbox)["project_id"]
    assert api.ok("GET", f"/instances/{REPORTING_ID}/htap")["instances"] == []
    error(api("GET", "/instances/ffffffffffffffffffffffffffffffffin07/htap"), 404, "DBS.200823")


def test_show_seeded_instance(api: Api) -> None:
    inst = api.show(SEEDED_SR_ID)
    assert inst["id"] == SEEDED_SR_ID and len(inst["id"]) == 36 and inst["id"].endswith("in17")
    assert inst["status"] == "normal" and inst["cluster_mode"] == "Cluster" and inst["actions"] == []
    assert inst["data_store_type"] == "star-rocks" and inst["data_store_version"] == "3.1.6.0"
    assert (
        inst["db_user"] == "root" and inst["db_port"] == "3306" and inst["port_info"] == {"mysql_port": 3306}
    )
    assert inst["fe_node_volume_code"] == "SSD" and inst["be_node_volume_code"] == "ESSD"
    assert inst["be_node_volume_size"] == "500000000000"
    fe, be = inst["groups"]
    assert fe["group_node_type"] == "fe" and be["group_node_type"] == "be"
    assert [n["type"] for n in fe["nodes"]] == ["fe-leader", "fe-follower", "fe-follower"]
    assert [n["type"] for n in be["nodes"]] == ["be"] * 3
    node = be["nodes"][0]
    assert node["status"] == "normal" and node["volume"] == {"type": "ESSD", "size": "500"}
    assert node["flavor_ref"].startswith("gaussdb.sr-be.") and node["cpu"] and node["mem"]
    assert node["datastore"]["type"] == "star-rocks" and node["id"].endswith("no17")
    assert inst["data_vip"] == ",".join(n["traffic_ip"] for n in fe["nodes"])


def test_show_unknown_instances(api: Api) -> None:
    error(
        api("GET", f"/instances/{TAURUS_ID}/starrocks/ffffffffffffffffffffffffffffffffin17"),
        400,
        "DBS.05000044",
    )
    # A StarRocks instance is only found under its own TaurusDB instance.
    error(api("GET", f"/instances/{REPORTING_ID}/starrocks/{SEEDED_SR_ID}"), 400, "DBS.05000044")
    error(
        api("GET", f"/instances/ffffffffffffffffffffffffffffffffin07/starrocks/{SEEDED_SR_ID}"),
        404,
        "DBS.200823",
    )


# -- create ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_create_replays_huaweis_example(fresh: Api) -> None:
    region = hw(fresh.sp)["region"]
    body = create_body(region)
    r = fresh("POST", f"/instances/{TAURUS_ID}/starrocks", json=body)
    assert r.status_code == 201, r.text
    got = r.json()
    # Huawei's example answer; id, job_id are generated, az_code and region are the sandbox's.
    expected = {
        "instance": {
            "id": got["instance"]["id"],
            "az_code": f"{region}a",
            "az_mode": "single",
            "name": "htap-ff64",
            "engine": {"type": "star-rocks", "version": "3.1"},
            "vpc_id": "d5a1a29b-1476-490f-9682-c1a59593e7b0",
            "security_group_id": "967a0ac2-3cae-4e57-a49a-d0f6ff07dcc1",
            "sub_net_id": "2ce0bc80-bfc5-4d5e-9b78-a7f91572e03b",
            "db_user": "root",
            "port": 3306,
            "ha_mode": "Single",
            "pay_info": {
                "pay_model": "0",
                "order_id": None,
                "period": None,
                "period_type": None,
                "is_auto_renew": None,
            },
            "enable_ssl": False,
            "status": "creating",
            "region": region,
            "tags_info": {"tags": [], "sys_tags": [{"key": "_sys_enterprise_project_id", "value": "0"}]},
        },
        "job_id": got["job_id"],
    }
    assert got == expected
    sr_id = got["instance"]["id"]
    assert len(sr_id) == 36 and sr_id.endswith("in17")
    assert len(got["job_id"]) == 36 and got["job_id"].count("-") == 4

    creating = fresh.show(sr_id)
    assert creating["status"] == "creating"
    assert (
        creating["actions"][0]["action"] == "create_instance"
        and creating["actions"][0]["job_id"] == got["job_id"]
    )
    assert {n["status"] for g in creating["groups"] for n in g["nodes"]} == {"creating"}
    job = fresh.job(got["job_id"])
    assert job["instance"] == {"id": sr_id, "name": "htap-ff64"} and job["ended"] == ""

    states = _wait_job(fresh, got["job_id"])
    assert states[0] == ("Pending", "") and states[-1] == ("Completed", "")
    running = [p for s, p in states if s == "Running"]
    assert running and all(p.endswith("%") and 0 < int(p[:-1]) < 100 for p in running)
    done = fresh.job(got["job_id"])
    assert done["ended"] and done["created"] <= done["ended"]
    inst = fresh.show(sr_id)
    assert inst["status"] == "normal" and inst["actions"] == [] and inst["time_zone"] == "UTC+08:00"
    assert {n["status"] for g in inst["groups"] for n in g["nodes"]} == {"normal"}
    listed = fresh.ok("GET", f"/instances/{TAURUS_ID}/htap")
    assert sr_id in [i["id"] for i in listed["instances"]]


@pytest.mark.slow
def test_create_defaults_and_cluster_mode(fresh: Api) -> None:
    body = create_body(
        hw(fresh.sp)["region"],
        name="Analytics_Cluster-01",
        engine={"type": "star-rocks", "version": "3.1.6.0"},
        ha={"mode": "Cluster"},
        fe_flavor_id=_flavor(fresh, "gaussdb.sr-fe.2xlarge.x86.4", "Cluster"),
        be_flavor_id=_flavor(fresh, "gaussdb.sr-be.2xlarge.x86.4", "Cluster"),
        fe_count=3,
        be_count=10,
        fe_volume={"io_type": "ESSD", "capacity_in_gb": 1000},
        be_volume={"io_type": "SSD", "capacity_in_gb": 32000},
        security_group_id="11111111-2222-3333-4444-555555555555",
        pay_info={"pay_model": "0"},
    )
    del body["time_zone"]
    got = fresh.ok("POST", f"/instances/{TAURUS_ID}/starrocks", 201, json=body)
    assert got["instance"]["security_group_id"] == "11111111-2222-3333-4444-555555555555"
    inst = fresh.show(got["instance"]["id"])
    assert inst["time_zone"] == "UTC+08:00" and inst["cluster_mode"] == "Cluster"
    assert [len(g["nodes"]) for g in inst["groups"]] == [3, 10]


@pytest.mark.slow
@pytest.mark.parametrize(
    "changes,status,code",
    [
        (dict(name="abc"), 400, "DBS.280234"),
        (dict(name="1htap"), 400, "DBS.280234"),
        (dict(name="htap ff64"), 400, "DBS.280234"),
        (dict(name="h" * 65), 400, "DBS.280234"),
        (dict(name="htap-数据"), 400, "DBS.280234"),
        (dict(engine={"type": "click-house", "version": "3.1"}), 400, "DBS.200040"),
        (dict(engine={"type": "star-rocks", "version": "2.5"}), 400, "DBS.200041"),
        (dict(ha={"mode": "HA"}), 400, "DBS.200051"),
        (dict(az_mode="multi"), 400, "DBS.200001"),
        (dict(fe_count=3), 400, "DBS.200001"),
        (dict(be_count=0), 400, "DBS.200001"),
        (dict(db_root_pwd="Short1!"), 400, "DBS.200052"),
        (dict(db_root_pwd="A" * 20 + "a1!" + "b" * 10), 400, "DBS.200052"),
        (dict(db_root_pwd="alllowercase123"), 400, "DBS.200052"),
        (dict(db_root_pwd="NoSpecials But"), 400, "DBS.200052"),
        (dict(db_root_pwd="Bad<Char>123"), 400, "DBS.200052"),
        (dict(fe_flavor_id="00000000-0000-0000-0000-000000000000"), 400, "DBS.200053"),
        (dict(fe_flavor_id=SINGLE_BE), 400, "DBS.200053"),
        (dict(az_code="cn-north-4z"), 400, "DBS.200025"),
        (dict(fe_volume={"io_type": "SAS", "capacity_in_gb": 50}), 400, "DBS.200026"),
        (dict(fe_volume={"io_type": "SSD", "capacity_in_gb": 40}), 400, "DBS.200023"),
        (dict(fe_volume={"io_type": "SSD", "capacity_in_gb": 1010}), 400, "DBS.200023"),
        (dict(be_volume={"io_type": "SSD", "capacity_in_gb": 32010}), 400, "DBS.200023"),
        (dict(be_volume={"io_type": "SSD", "capacity_in_gb": 55}), 400, "DBS.200027"),
        (dict(time_zone="Asia/Shanghai"), 400, "DBS.200001"),
        (dict(tags_info={"sys_tags": []}), 400, "DBS.200001"),
        (dict(tags_info={"sys_tags": [{"key": "env", "value": "0"}]}), 400, "DBS.200001"),
        (
            dict(tags_info={"sys_tags": [{"key": "_sys_enterprise_project_id", "value": "7"}]}),
            400,
            "DBS.200001",
        ),
        (dict(tags_info={}), 400, "DBS.200001"),
        (dict(fe_count="1"), 400, "DBS.200001"),
        (dict(fe_count=True), 400, "DBS.200001"),
        (
            dict(pay_info={"pay_model": "1", "period": "1", "period_type": "2", "is_auto_renew": "0"}),
            400,
            "DBS.200001",
        ),
    ],
)
def test_create_enforces_every_limit(api: Api, changes: dict[str, Any], status: int, code: str) -> None:
    body = create_body(hw(api.sp)["region"], **changes)
    error(api("POST", f"/instances/{TAURUS_ID}/starrocks", json=body), status, code)


@pytest.mark.parametrize(
    "field", ["name", "engine", "ha", "fe_flavor_id", "be_flavor_id", "db_root_pwd", "fe_count", "be_count",
              "az_mode", "fe_volume", "be_volume", "az_code", "tags_info"]
)  # fmt: skip
def test_create_requires_each_mandatory_field(api: Api, sandbox: SandboxProcess, field: str) -> None:
    body = create_body(hw(sandbox)["region"])
    del body[field]
    assert (
        field
        in error(api("POST", f"/instances/{TAURUS_ID}/starrocks", json=body), 400, "DBS.200001")["error_msg"]
    )


def test_create_refusals_that_need_no_body_check(api: Api, sandbox: SandboxProcess) -> None:
    body = create_body(hw(sandbox)["region"])
    error(
        api("POST", "/instances/ffffffffffffffffffffffffffffffffin07/starrocks", json=body), 404, "DBS.200823"
    )
    error(api("POST", f"/instances/{TAURUS_ID}/starrocks"), 400, "DBS.200006")
    error(api("POST", f"/instances/{TAURUS_ID}/starrocks", content=b"{oops"), 400, "DBS.200001")
    error(api("POST", f"/instances/{TAURUS_ID}/starrocks", json=[body]), 400, "DBS.200001")
    # A Cluster flavor for a Single instance; a flavor sold out in the chosen AZ.
    cluster_fe = _flavor(api, "gaussdb.sr-fe.xlarge.x86.4", "Cluster")
    error(
        api("POST", f"/instances/{TAURUS_ID}/starrocks", json={**body, "fe_flavor_id": cluster_fe}),
        400,
        "DBS.200053",
    )
    sold_out = {
        **body,
        "ha": {"mode": "Cluster"},
        "fe_count": 3,
        "be_count": 3,
        "fe_flavor_id": cluster_fe,
        "be_flavor_id": _flavor(api, "gaussdb.sr-be.4xlarge.x86.4", "Cluster"),
        "az_code": hw(sandbox)["region"] + "c",
    }
    error(api("POST", f"/instances/{TAURUS_ID}/starrocks", json=sold_out), 400, "DBS.200054")
    unsupported_essd = {
        **body,
        "az_code": hw(sandbox)["region"] + "c",
        "be_volume": {"io_type": "ESSD", "capacity_in_gb": 50},
    }
    error(api("POST", f"/instances/{TAURUS_ID}/starrocks", json=unsupported_essd), 400, "DBS.200026")


@pytest.mark.slow
def test_a_taurusdb_instance_holds_at_most_five_htap_instances(fresh: Api) -> None:
    for i in range(4):  # the seeded instance is the first
        _create(fresh, name=f"htap-{i:04d}")
    error(
        fresh("POST", f"/instances/{TAURUS_ID}/starrocks", json=create_body(hw(fresh.sp)["region"])),
        400,
        "DBS.200001",
    )
    assert fresh.ok("GET", f"/instances/{TAURUS_ID}/htap")["total"] == 5


# -- operations: resize, restart, delete -------------------------------------------------------
@pytest.mark.slow
def test_resize_then_restart_refused_while_it_runs(fresh: Api) -> None:
    sr = SEEDED_SR_ID
    before = fresh.show(sr)
    new_be = _flavor(fresh, "gaussdb.sr-be.2xlarge.x86.4", "Cluster")
    job_id = fresh.ok("POST", f"/instances/{sr}/starrocks/resize-flavor", json={"be_flavor_id": new_be})[
        "job_id"
    ]
    during = fresh.show(sr)
    assert during["status"] == "normal" and during["actions"][0]["action"] == "resize_flavor"
    assert during["actions"][0]["job_id"] == job_id
    # While the flavor changes, the instance cannot be restarted, resized again or deleted.
    error(fresh("PUT", f"/instances/{sr}/starrocks/restart"), 409, "DBS.200019")
    new_fe = _flavor(fresh, "gaussdb.sr-fe.2xlarge.x86.4", "Cluster")
    error(
        fresh("POST", f"/instances/{sr}/starrocks/resize-flavor", json={"fe_flavor_id": new_fe}),
        409,
        "DBS.200019",
    )
    error(fresh("DELETE", f"/instances/{TAURUS_ID}/starrocks/{sr}"), 409, "DBS.200019")
    assert fresh.job(job_id)["name"] == "ResizeStarRocksFlavor"
    _wait_job(fresh, job_id)
    after = fresh.show(sr)
    assert after["actions"] == []
    be_nodes = after["groups"][1]["nodes"]
    assert {n["flavor_id"] for n in be_nodes} == {new_be} and {n["cpu"] for n in be_nodes} == {"8"}
    assert after["groups"][0]["nodes"][0]["flavor_id"] == before["groups"][0]["nodes"][0]["flavor_id"]
    workflow = fresh.ok("PUT", f"/instances/{sr}/starrocks/restart")["workflow_id"]
    error(
        fresh("POST", f"/instances/{sr}/starrocks/resize-flavor", json={"fe_flavor_id": new_fe}),
        409,
        "DBS.200019",
    )
    assert fresh.show(sr)["actions"][0]["action"] == "restart_instance"
    _wait_job(fresh, workflow)
    assert fresh.show(sr)["actions"] == []


def test_resize_refusals(api: Api) -> None:
    sr = SEEDED_SR_ID
    current_fe = api.show(sr)["groups"][0]["nodes"][0]["flavor_id"]
    error(api("POST", f"/instances/{sr}/starrocks/resize-flavor", json={}), 400, "DBS.200001")
    error(
        api(
            "POST", f"/instances/{sr}/starrocks/resize-flavor", json={"fe_flavor_id": "", "be_flavor_id": ""}
        ),
        400,
        "DBS.200001",
    )
    error(
        api("POST", f"/instances/{sr}/starrocks/resize-flavor", json={"fe_flavor_id": current_fe}),
        400,
        "DBS.200001",
    )
    error(
        api("POST", f"/instances/{sr}/starrocks/resize-flavor", json={"fe_flavor_id": SINGLE_FE}),
        400,
        "DBS.200053",
    )
    error(
        api("POST", f"/instances/{sr}/starrocks/resize-flavor", json={"be_flavor_id": "nope"}),
        400,
        "DBS.200053",
    )
    error(
        api(
            "POST",
            "/instances/ffffffffffffffffffffffffffffffffin17/starrocks/resize-flavor",
            json={"be_flavor_id": SINGLE_BE},
        ),
        400,
        "DBS.05000044",
    )


@pytest.mark.slow
def test_restart_node(fresh: Api) -> None:
    sr = SEEDED_SR_ID
    node = fresh.show(sr)["groups"][1]["nodes"][2]
    workflow = fresh.ok("PUT", f"/instances/{sr}/starrocks/{node['id']}/restart")["workflow_id"]
    shown = fresh.show(sr)
    busy = next(n for n in shown["groups"][1]["nodes"] if n["id"] == node["id"])
    assert busy["actions"][0]["action"] == "restart_node" and busy["actions"][0]["type"] == "node"
    assert shown["actions"] == []
    error(fresh("PUT", f"/instances/{sr}/starrocks/restart"), 409, "DBS.200019")
    assert fresh.job(workflow)["name"] == "RestartStarRocksNode"
    _wait_job(fresh, workflow)
    error(fresh("PUT", f"/instances/{sr}/starrocks/nonodeno17/restart"), 400, "DBS.200001")
    error(
        fresh("PUT", f"/instances/ffffffffffffffffffffffffffffffffin17/starrocks/{node['id']}/restart"),
        400,
        "DBS.05000044",
    )
    error(
        fresh("PUT", "/instances/ffffffffffffffffffffffffffffffffin17/starrocks/restart"), 400, "DBS.05000044"
    )


@pytest.mark.slow
def test_delete_while_creating_is_refused_then_the_instance_disappears(fresh: Api) -> None:
    created = _create(fresh)
    sr = created["instance"]["id"]
    error(fresh("DELETE", f"/instances/{TAURUS_ID}/starrocks/{sr}"), 409, "DBS.200019")
    error(fresh("PUT", f"/instances/{sr}/starrocks/restart"), 409, "DBS.200019")
    _wait_job(fresh, created["job_id"])
    error(fresh("DELETE", f"/instances/{REPORTING_ID}/starrocks/{sr}"), 400, "DBS.05000044")
    workflow = fresh.ok("DELETE", f"/instances/{TAURUS_ID}/starrocks/{sr}")["workflow_id"]
    assert fresh.show(sr)["actions"][0]["action"] == "delete_instance"
    _wait_job(fresh, workflow)
    error(fresh("GET", f"/instances/{TAURUS_ID}/starrocks/{sr}"), 400, "DBS.05000044")
    assert sr not in [i["id"] for i in fresh.ok("GET", f"/instances/{TAURUS_ID}/htap")["instances"]]
    assert fresh.job(workflow)["status"] == "Completed"
    error(fresh("DELETE", f"/instances/{TAURUS_ID}/starrocks/{sr}"), 400, "DBS.05000044")


def test_jobs_query(api: Api) -> None:
    error(api("GET", "/jobs"), 400, "DBS.200001")
    error(api("GET", "/jobs", params={"id": "00000000-0000-0000-0000-000000000000"}), 400, "DBS.200001")


# -- databases and users -----------------------------------------------------------------------
def test_databases_of_the_seeded_instance(api: Api) -> None:
    body = api.ok("GET", f"/instances/{SEEDED_SR_ID}/starrocks/databases")
    assert "demo" in body["databases"] and body["total_count"] == len(body["databases"])
    assert isinstance(body["timestamp"], int) and body["timestamp"] > 1_600_000_000_000
    assert api.ok("GET", f"/instances/{SEEDED_SR_ID}/starrocks/databases", params={"database_name": "dem"})[
        "databases"
    ] == ["demo"]
    page = api.ok(
        "GET", f"/instances/{SEEDED_SR_ID}/starrocks/databases", params={"limit": "1", "offset": "0"}
    )
    assert len(page["databases"]) == 1 and page["total_count"] >= 1
    error(
        api("GET", f"/instances/{SEEDED_SR_ID}/starrocks/databases", params={"offset": "-2"}),
        400,
        "DBS.200001",
    )
    error(
        api("GET", "/instances/ffffffffffffffffffffffffffffffffin17/starrocks/databases"), 400, "DBS.05000044"
    )


@pytest.mark.slow
def test_database_users_lifecycle(fresh: Api) -> None:
    users = f"/instances/{SEEDED_SR_ID}/starrocks/users"
    page = {"limit": 10, "offset": 0}
    seeded = fresh.ok("GET", users, params=page)
    assert seeded == {
        "user_details": [{"user_name": "report_reader", "data_bases": ["demo"], "dml": 1, "ddl": 0}],
        "total_count": 1,
    }
    new = {"user_name": "etl_writer1", "password": "Etl#Writer2026", "databases": ["demo"]}
    assert fresh.ok("POST", users, json=new) == {"result": "success"}
    got = fresh.ok("GET", users, params={**page, "user_name": "etl_writer1"})
    assert got["user_details"] == [{"user_name": "etl_writer1", "data_bases": ["demo"], "dml": 2, "ddl": 0}]
    assert fresh.ok("PUT", users + "/password", json={"user_name": "etl_writer1", "password": "New#Passw0rd"})
    assert fresh.ok("PUT", users + "/permission", json={"user_name": "etl_writer1", "dml": 3, "ddl": 1})
    got = fresh.ok("GET", users, params={**page, "user_name": "etl_writer1"})["user_details"][0]
    assert (got["dml"], got["ddl"], got["data_bases"]) == (3, 1, ["demo"])
    assert fresh.ok("PUT", users + "/permission", json={"user_name": "etl_writer1", "databases": []})
    assert (
        fresh.ok("GET", users, params={**page, "user_name": "etl_writer1"})["user_details"][0]["data_bases"]
        == []
    )
    assert fresh.ok("GET", users, params={"limit": 1, "offset": 1})["total_count"] == 2
    assert fresh.ok("DELETE", users, params={"user_name": "etl_writer1"}) == {"result": "success"}
    assert fresh.ok("GET", users, params=page)["total_count"] == 1
    assert fresh.ok("PUT", users + "/password", json={"user_name": "root", "password": "Root#Pass2026"})


@pytest.mark.parametrize(
    "body",
    [
        {"user_name": "x", "password": "Etl#Writer2026", "databases": []},
        {"user_name": "Upper_case", "password": "Etl#Writer2026", "databases": []},
        {"user_name": "ends_with_", "password": "Etl#Writer2026", "databases": []},
        {"user_name": "a" * 33, "password": "Etl#Writer2026", "databases": []},
        {"user_name": "etl_user", "password": "short1A!", "databases": ["nosuchdb"]},
        {"user_name": "etl_user", "password": "alllower123", "databases": []},
        {"user_name": "etl_user", "password": "Etl$Dollar2026", "databases": []},
        {"user_name": "etl_user", "password": "Etl#Writer2026", "databases": [], "dml": 4},
        {"user_name": "etl_user", "password": "Etl#Writer2026", "databases": [], "ddl": 2},
        {"user_name": "etl_user", "password": "Etl#Writer2026"},
        {"user_name": "report_reader", "password": "Etl#Writer2026", "databases": []},
        {"user_name": "ab_12cdefg", "password": "gfedc21_ba", "databases": []},
        {"user_name": "ab_12cdefg", "password": "ab_12cdefg", "databases": []},
    ],
)
def test_create_user_refusals(api: Api, body: dict[str, Any]) -> None:
    error(api("POST", f"/instances/{SEEDED_SR_ID}/starrocks/users", json=body), 400, "DBS.200001")


def test_user_endpoint_refusals(api: Api) -> None:
    users = f"/instances/{SEEDED_SR_ID}/starrocks/users"
    error(api("GET", users, params={"offset": 0}), 400, "DBS.200001")
    error(api("GET", users, params={"limit": 10}), 400, "DBS.200001")
    error(api("GET", users, params={"limit": 101, "offset": 0}), 400, "DBS.200001")
    error(api("DELETE", users), 400, "DBS.200001")
    error(api("DELETE", users, params={"user_name": "ghost"}), 400, "DBS.200001")
    error(
        api("PUT", users + "/password", json={"user_name": "ghost", "password": "Etl#Writer2026"}),
        400,
        "DBS.200001",
    )
    error(
        api("PUT", users + "/password", json={"user_name": "report_reader", "password": "weak"}),
        400,
        "DBS.200001",
    )
    error(api("PUT", users + "/password", json={"user_name": "root", "password": "weak"}), 400, "DBS.200052")
    error(
        api("PUT", users + "/permission", json={"user_name": "report_reader", "databases": ["nosuch"]}),
        400,
        "DBS.200001",
    )
    error(api("PUT", users + "/permission", json={"dml": 1}), 400, "DBS.200001")


@pytest.mark.slow
def test_users_of_an_instance_still_creating_are_refused(fresh: Api) -> None:
    sr = _create(fresh)["instance"]["id"]
    body = {"user_name": "etl_user", "password": "Etl#Writer2026", "databases": []}
    error(fresh("POST", f"/instances/{sr}/starrocks/users", json=body), 409, "DBS.200019")


# -- restarts ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_state_and_running_jobs_survive_a_restart(sandbox_factory: Any) -> None:
    sp = sandbox_factory("--job-seconds", str(JOB_SECONDS))
    api = Api(sp)
    created = _create(api, name="survivor")
    sr, job_id = created["instance"]["id"], created["job_id"]
    users = f"/instances/{SEEDED_SR_ID}/starrocks/users"
    api.ok("POST", users, json={"user_name": "kept_user", "password": "Kept#User2026", "databases": ["demo"]})
    sp.restart()
    after = Api(sp, api.client.headers["X-Auth-Token"])
    advance(sp, JOB_SECONDS * 0.3)
    assert after.job(job_id)["status"] == "Running"
    assert after.show(sr)["name"] == "survivor"
    _wait_job(after, job_id)
    assert after.show(sr)["status"] == "normal"
    names = [
        u["user_name"] for u in after.ok("GET", users, params={"limit": 10, "offset": 0})["user_details"]
    ]
    assert "kept_user" in names
    workflow = after.ok("DELETE", f"/instances/{TAURUS_ID}/starrocks/{SEEDED_SR_ID}")["workflow_id"]
    _wait_job(after, workflow)
    sp.restart()
    # A deleted seeded instance stays deleted.
    final = Api(sp, api.client.headers["X-Auth-Token"])
    ids = [i["id"] for i in final.ok("GET", f"/instances/{TAURUS_ID}/htap")["instances"]]
    assert ids == [sr]


def test_request_id_is_unique_per_answer(api: Api) -> None:
    ids = {api("GET", "/htap/datastores/star-rocks").headers["X-Request-Id"] for _ in range(3)}
    assert len(ids) == 3 and all(len(i) == 32 for i in ids)
