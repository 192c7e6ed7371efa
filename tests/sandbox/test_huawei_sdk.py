"""Huawei's own SDK (huaweicloudsdkgaussdb, AK/SK credentials), unchanged, against the sandbox: the
whole life of a StarRocks instance, and errors as the SDK surfaces them."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import SandboxProcess
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkgaussdb.v3 import GaussDBClient
from huaweicloudsdkgaussdb.v3 import model as m
from sandboxclock import advance
from test_huawei_support import SEEDED_SR_ID, TAURUS_ID, hw

pytestmark = pytest.mark.fidelity

JOB_SECONDS = 100


def _client(sp: SandboxProcess, sk: str | None = None) -> GaussDBClient:
    h = hw(sp)
    creds = BasicCredentials(h["ak"], sk or h["sk"], h["project_id"])
    return GaussDBClient.new_builder().with_credentials(creds).with_endpoints([sp.url]).build()


def _wait(sp: SandboxProcess, client: GaussDBClient, job_id: str) -> list[str]:
    """The states a job went through until it completed, the sandbox's clock moved a quarter of
    JOB_SECONDS at a time."""
    states: list[str] = []
    for _ in range(10):
        job = client.show_gauss_my_sql_job_info(m.ShowGaussMySqlJobInfoRequest(id=job_id)).job
        if not states or states[-1] != job.status:
            states.append(job.status)
        if job.status == "Completed":
            return states
        advance(sp, JOB_SECONDS / 4)
    raise AssertionError(f"job {job_id} not completed: {states}")


def _show(client: GaussDBClient, sr_id: str) -> Any:
    req = m.ListStarrocksInstanceInfoRequest(instance_id=TAURUS_ID, starrocks_instance_id=sr_id)
    return client.list_starrocks_instance_info(req).instances[0]


# The SDK marks list_gauss_my_sql_instances deprecated; it is still the documented call.
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_starrocks_instance_lifecycle_through_the_sdk(sandbox_factory: Any) -> None:
    # Jobs that never end on their own: the instance is busy until the test moves the clock.
    sp = sandbox_factory("--job-seconds", str(JOB_SECONDS))
    region = hw(sp)["region"]
    client = _client(sp)

    taurus = client.list_gauss_my_sql_instances(m.ListGaussMySqlInstancesRequest(name="taurus-sandbox"))
    assert taurus.total_count == 1 and taurus.instances[0].id == TAURUS_ID
    assert taurus.instances[0].datastore.kernel_version

    flavors = client.list_htap_flavor(
        m.ListHtapFlavorRequest(engine_name="star-rocks", availability_zone_mode="single")
    )
    single = [f for f in flavors.flavors if f.instance_mode == "Single"]
    fe = next(f for f in single if ".sr-fe." in f.spec_code)
    be_small, be_big = sorted((f for f in single if ".sr-be." in f.spec_code), key=lambda f: int(f.vcpus))
    storage = client.list_htap_storage_type(
        m.ListHtapStorageTypeRequest(database="star-rocks", version_name="3.1")
    )
    io_type = storage.storage_type[0].name
    version = client.list_htap_data_store(m.ListHtapDataStoreRequest(engine_name="star-rocks")).datastores[0]
    check = m.ResourceCheck(
        action="createInstance",
        resource=m.ResourceCheckResource(
            enterprise_project_id="0",
            instance_num=1,
            mode="Single",
            availability_zone_mode="single",
            fe_node_num=1,
            be_node_num=1,
            fe_flavor_ref=fe.spec_code,
            be_flavor_ref=be_small.spec_code,
            availability_zone=f"{region}a",
            subnet_id=taurus.instances[0].subnet_id,
        ),
    )
    assert client.check_star_rocks_resource(m.CheckStarRocksResourceRequest(body=check)).result is True

    body = m.StarRocksCreateRequest(
        name="sdk-htap",
        engine=m.StarRocksCreateRequestEngine(type="star-rocks", version=version.name),
        ha=m.StarRocksCreateRequestHa(mode="Single"),
        fe_flavor_id=fe.id,
        be_flavor_id=be_small.id,
        db_root_pwd="Sdk#Root2026",
        fe_count=1,
        be_count=1,
        az_mode="single",
        fe_volume=m.StarRocksCreateRequestFeVolume(io_type=io_type, capacity_in_gb=50),
        be_volume=m.StarRocksCreateRequestBeVolume(io_type=io_type, capacity_in_gb=100),
        az_code=f"{region}a",
        tags_info=m.StarRocksCreateRequestTagsInfo(
            sys_tags=[m.StarRocksCreateRequestTagsInfoSysTags(key="_sys_enterprise_project_id", value="0")]
        ),
    )
    created = client.create_starrocks_instance(
        m.CreateStarrocksInstanceRequest(instance_id=TAURUS_ID, body=body)
    )
    assert created.status_code == 201 and created.instance.status == "creating"
    sr_id = created.instance.id
    assert _wait(sp, client, created.job_id) == ["Pending", "Running", "Completed"]
    shown = _show(client, sr_id)
    assert (
        shown.status == "normal"
        and shown.cluster_mode == "Single"
        and shown.be_node_volume_size == "100000000000"
    )
    htap = client.list_htap_instance_info(m.ListHtapInstanceInfoRequest(instance_id=TAURUS_ID))
    assert sr_id in [i.id for i in htap.instances]

    resize = client.resize_star_rocks_flavor(
        m.ResizeStarRocksFlavorRequest(instance_id=sr_id, body=m.SrFlavorResizeReq(be_flavor_id=be_big.id))
    )
    assert _show(client, sr_id).actions[0].action == "resize_flavor"
    with pytest.raises(ClientRequestException) as busy:
        client.restart_starrocks_instance(m.RestartStarrocksInstanceRequest(starrocks_instance_id=sr_id))
    assert busy.value.status_code == 409 and busy.value.error_code == "DBS.200019" and busy.value.request_id
    _wait(sp, client, resize.job_id)
    be_node = _show(client, sr_id).groups[1].nodes[0]
    assert be_node.flavor_id == be_big.id and be_node.cpu == be_big.vcpus

    restart = client.restart_starrocks_instance(
        m.RestartStarrocksInstanceRequest(starrocks_instance_id=sr_id)
    )
    _wait(sp, client, restart.workflow_id)
    node = client.restart_starrocks_node(
        m.RestartStarrocksNodeRequest(starrocks_instance_id=sr_id, starrocks_node_id=be_node.id)
    )
    _wait(sp, client, node.workflow_id)

    deleted = client.delete_starrocks_instance(
        m.DeleteStarrocksInstanceRequest(instance_id=TAURUS_ID, starrocks_instance_id=sr_id)
    )
    _wait(sp, client, deleted.workflow_id)
    with pytest.raises(ClientRequestException) as gone:
        _show(client, sr_id)
    assert gone.value.status_code == 400 and gone.value.error_code == "DBS.05000044"


@pytest.mark.slow
def test_sdk_database_and_user_calls(sandbox_factory: Any) -> None:
    client = _client(sandbox_factory())
    dbs = client.list_star_rocks_data_bases(
        m.ListStarRocksDataBasesRequest(x_language="en-us", instance_id=SEEDED_SR_ID, limit="10", offset="0")
    )
    assert "demo" in dbs.databases and dbs.total_count >= 1
    user = m.StarRocksDatabaseUserInfo(
        user_name="sdk_user", password="Sdk#User2026", databases=["demo"], dml=1
    )
    assert (
        client.create_star_rocks_database_user(
            m.CreateStarRocksDatabaseUserRequest(instance_id=SEEDED_SR_ID, body=user)
        ).result
        == "success"
    )
    client.update_star_rocks_database_user_permission(
        m.UpdateStarRocksDatabaseUserPermissionRequest(
            instance_id=SEEDED_SR_ID, body=m.StarRocksDatabaseUserPSinfo(user_name="sdk_user", ddl=1)
        )
    )
    client.update_star_rocks_database_user_password(
        m.UpdateStarRocksDatabaseUserPasswordRequest(
            instance_id=SEEDED_SR_ID,
            body=m.StarRocksDatabaseUserPWinfo(user_name="sdk_user", password="Sdk#New2026"),
        )
    )
    shown = client.show_star_rocks_database_user(
        m.ShowStarRocksDatabaseUserRequest(instance_id=SEEDED_SR_ID, user_name="sdk_user", limit=10, offset=0)
    )
    assert [(u.user_name, u.data_bases, u.dml, u.ddl) for u in shown.user_details] == [
        ("sdk_user", ["demo"], 1, 1)
    ]
    client.delete_star_rocks_database_user(
        m.DeleteStarRocksDatabaseUserRequest(instance_id=SEEDED_SR_ID, user_name="sdk_user")
    )
    after = client.show_star_rocks_database_user(
        m.ShowStarRocksDatabaseUserRequest(instance_id=SEEDED_SR_ID, limit=10, offset=0)
    )
    assert "sdk_user" not in [u.user_name for u in after.user_details]


def test_sdk_surfaces_validation_and_signature_errors(sandbox: SandboxProcess) -> None:
    client = _client(sandbox)
    body = m.StarRocksCreateRequest(
        name="x",
        engine=m.StarRocksCreateRequestEngine(type="star-rocks", version="3.1"),
        ha=m.StarRocksCreateRequestHa(mode="Single"),
    )
    with pytest.raises(ClientRequestException) as bad:
        client.create_starrocks_instance(m.CreateStarrocksInstanceRequest(instance_id=TAURUS_ID, body=body))
    assert bad.value.status_code == 400 and bad.value.error_code == "DBS.200001"
    with pytest.raises(ClientRequestException) as denied:
        _client(sandbox, sk="wrong-secret").list_htap_data_store(
            m.ListHtapDataStoreRequest(engine_name="star-rocks")
        )
    assert denied.value.status_code == 401 and denied.value.error_code == "APIGW.0301"
