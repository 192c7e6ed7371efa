"""The Huawei Cloud client over real HTTP against the sandbox, with both kinds of credentials:
every call, the documented refusals (unknown instance, busy instance, bad input caught before
sending, server-side refusals) and ``wait_for`` following jobs to their end."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from conftest import SandboxProcess
from pydantic import SecretStr
from sandboxclock import advancing

from gui.api import errors
from gui.api.huawei import (
    AkSkCredentials,
    HuaweiCloudClient,
    HuaweiProfile,
    Job,
    PasswordCredentials,
    StarRocksCreateRequest,
)
from gui.api.huawei.models import HtapFlavor
from gui.api.transport import TransportConfig

FAST = TransportConfig(retries=1, backoff_base=0.01, backoff_max=0.05)
TAURUS = "40dc4c5729f14aad893e2dcd5baf6a15in07"  # taurus-sandbox (the id of Huawei's example)
HTAP = "5a0c7e1f2b3d4c5e8f9a0b1c2d3e4f50in17"  # htap-sandbox on it
UNKNOWN_SR = "ffffffffffffffffffffffffffffffffin17"
UNKNOWN_TAURUS = "ffffffffffffffffffffffffffffffffin07"
ROOT_PASSWORD = "Test@123!"
KINDS = ["password", "aksk"]
JOB_SECONDS = 100


def credentials(sp: SandboxProcess, kind: str) -> PasswordCredentials | AkSkCredentials:
    hw = sp.info["huawei"]
    if kind == "password":
        return PasswordCredentials(
            user=hw["iam_user"], password=SecretStr(hw["iam_password"]), domain=hw["iam_domain"]
        )
    return AkSkCredentials(ak=hw["ak"], sk=SecretStr(hw["sk"]))


def client(sp: SandboxProcess, kind: str, *, project: bool = False, **kwargs: Any) -> HuaweiCloudClient:
    hw = sp.info["huawei"]
    return HuaweiCloudClient(
        region=hw["region"],
        credentials=credentials(sp, kind),
        project_id=hw["project_id"] if project else None,
        endpoint=sp.url,
        iam_endpoint=sp.url,
        config=FAST,
        **kwargs,
    )


def create_body(name: str, az: str, fe: HtapFlavor, be: HtapFlavor, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "engine": {"type": "star-rocks", "version": "3.1"},
        "ha": {"mode": "Single"},
        "fe_flavor_id": fe.id,
        "be_flavor_id": be.id,
        "db_root_pwd": ROOT_PASSWORD,
        "fe_count": 1,
        "be_count": 1,
        "az_mode": "single",
        "fe_volume": {"io_type": "SSD", "capacity_in_gb": 50},
        "be_volume": {"io_type": "SSD", "capacity_in_gb": 50},
        "az_code": az,
        **extra,
    }


async def single_flavors(hw: HuaweiCloudClient, az: str) -> tuple[HtapFlavor, HtapFlavor, list[HtapFlavor]]:
    flavors = [f for f in await hw.list_flavors() if f.instance_mode == "Single" and f.available_in(az)]
    fes = [f for f in flavors if f.node_type == "fe"]
    bes = [f for f in flavors if f.node_type == "be"]
    assert fes and len(bes) >= 2, flavors
    return fes[0], bes[0], bes


def requests_logged(caplog: pytest.LogCaptureFixture, method: str, fragment: str) -> int:
    return sum(
        1
        for r in caplog.records
        if r.name == "starrocks_console.http"
        and r.getMessage().startswith(f"-> {method} ")
        and fragment in r.getMessage()
    )


# -- reads ------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.parametrize("kind", KINDS)
async def test_reads(sandbox: SandboxProcess, kind: str) -> None:
    async with client(sandbox, kind) as hw:
        assert await hw.project_id() == sandbox.info["huawei"]["project_id"]

        page = await hw.list_taurus_instances()
        assert page.total_count == 2
        by_name = {i.name: i for i in page.instances}
        assert set(by_name) == {"taurus-sandbox", "taurus-reporting"}
        taurus = by_name["taurus-sandbox"]
        assert taurus.id == TAURUS and taurus.status == "ACTIVE"
        assert taurus.datastore is not None and taurus.datastore.type == "gaussdb-mysql"

        assert [i.name for i in (await hw.list_taurus_instances(name="*report")).instances] == [
            "taurus-reporting"
        ]
        assert [i.name for i in (await hw.list_taurus_instances(name="taurus-sandbox")).instances] == [
            "taurus-sandbox"
        ]
        assert [i.id for i in (await hw.list_taurus_instances(tags={"env": "sandbox"})).instances] == [TAURUS]
        second = await hw.list_taurus_instances(offset=1, limit=1)
        assert second.total_count == 2 and len(second.instances) == 1
        walked = [i.id async for i in hw.iter_taurus_instances(page_size=1)]
        assert sorted(walked) == sorted(by_name[n].id for n in by_name)

        htap = await hw.list_htap_instances(TAURUS)
        assert htap.max_htap_instance_num_of_taurus == 5
        listed = {i.id: i for i in htap.instances}
        assert listed[HTAP].name == "htap-sandbox" and listed[HTAP].status == "normal"
        assert listed[HTAP].engine_name == "star-rocks"

        sr = await hw.show_starrocks_instance(TAURUS, HTAP)
        assert sr.name == "htap-sandbox" and sr.cluster_mode == "Cluster" and sr.status == "normal"
        assert len(sr.nodes_of("fe")) == 3 and len(sr.nodes_of("be")) == 3
        assert len(sr.fe_ips) == 3 and not sr.busy

        flavors = await hw.list_flavors()
        assert {"Single", "Cluster"} <= {f.instance_mode for f in flavors}
        assert any(f.id == "afef3bfd-ac7c-32e1-ba44-c388acbb196a" for f in flavors)  # Huawei's example FE
        code = flavors[0].spec_code
        assert code and all(f.spec_code == code for f in await hw.list_flavors(spec_code=code))
        storage = {s.name: s for s in await hw.list_storage_types("3.1")}
        assert {"SSD", "ESSD"} <= set(storage) and storage["SSD"].min_volume_size == 50
        stores = await hw.list_datastores()
        assert [(d.name, d.kernel_version) for d in stores] == [("3.1", "3.1.6.0")]

        dbs = await hw.list_starrocks_databases(HTAP)
        assert "demo" in dbs.databases and dbs.total_count >= 1
        assert (await hw.list_starrocks_databases(HTAP, database_name="dem")).databases == ["demo"]
        assert "demo" in [d async for d in hw.iter_starrocks_databases(HTAP, page_size=1)]

        users = await hw.list_database_users(HTAP)
        reader = next(u for u in users.user_details if u.user_name == "report_reader")
        assert reader.data_bases == ["demo"] and reader.dml_text == "read-only"
        assert [u.user_name async for u in hw.iter_database_users(HTAP, page_size=1)].count(
            "report_reader"
        ) == 1

        az = f"{sandbox.info['huawei']['region']}a"
        cluster = [f for f in flavors if f.instance_mode == "Cluster" and f.available_in(az)]
        fe_ref = next(f.spec_code for f in cluster if f.node_type == "fe")
        be_ref = next(f.spec_code for f in cluster if f.node_type == "be")
        assert fe_ref and be_ref
        assert (
            await hw.check_resource(
                {
                    "resource": {
                        "mode": "Cluster",
                        "fe_node_num": 3,
                        "be_node_num": 3,
                        "fe_flavor_ref": fe_ref,
                        "be_flavor_ref": be_ref,
                        "availability_zone": az,
                        "subnet_id": taurus.subnet_id,
                    }
                }
            )
            is True
        )


@pytest.mark.asyncio
async def test_profile_builds_a_working_client(sandbox: SandboxProcess) -> None:
    hw = sandbox.info["huawei"]
    profile = HuaweiProfile(
        region=hw["region"],
        auth="aksk",
        project_id=hw["project_id"],
        endpoint=sandbox.url,
        iam_endpoint=sandbox.url,
        access_key=hw["ak"],
        secret_key=SecretStr(hw["sk"]),
    )
    async with HuaweiCloudClient.from_profile(profile, FAST) as c:
        assert c.auth_kind == "aksk"
        assert (await c.list_taurus_instances()).total_count == 2
    with pytest.raises(RuntimeError):
        await c.list_datastores()


# -- refusals ---------------------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", KINDS)
async def test_unknown_ids_are_not_found(sandbox: SandboxProcess, kind: str) -> None:
    async with client(sandbox, kind, project=True) as hw:
        with pytest.raises(errors.NotFound) as info:
            await hw.show_starrocks_instance(TAURUS, UNKNOWN_SR)
        e = info.value
        assert e.code == "DBS.05000044" and e.request_id and e.message == "The HTAP instance does not exist."
        assert e.service == "Huawei Cloud" and "deleted" in (e.hint or "")

        with pytest.raises(errors.NotFound) as info:
            await hw.list_htap_instances(UNKNOWN_TAURUS)
        assert info.value.status == 404 and info.value.request_id

        for call in (
            lambda: hw.restart_starrocks_instance(UNKNOWN_SR),
            lambda: hw.restart_starrocks_node(UNKNOWN_SR, "nonode"),
            lambda: hw.delete_starrocks_instance(TAURUS, UNKNOWN_SR),
            lambda: hw.resize_starrocks_flavor(UNKNOWN_SR, be_flavor_id="x"),
            lambda: hw.list_starrocks_databases(UNKNOWN_SR),
        ):
            with pytest.raises(errors.NotFound):
                await call()

        with pytest.raises(errors.NotFound) as info:
            await hw.get_job("no-such-job")
        assert "does not exist" in info.value.message

        with pytest.raises(errors.InvalidRequest):
            await hw.show_starrocks_instance(TAURUS, "../x")


@pytest.mark.asyncio
async def test_wrong_endpoint_says_so(sandbox: SandboxProcess) -> None:
    hw = sandbox.info["huawei"]
    async with HuaweiCloudClient(
        region=hw["region"],
        credentials=credentials(sandbox, "aksk"),
        project_id=hw["project_id"],
        endpoint=sandbox.url + "/elsewhere",
        iam_endpoint=sandbox.url,
        config=FAST,
    ) as c:
        with pytest.raises(errors.NotFound) as info:
            await c.list_datastores()
        assert "endpoint" in (info.value.hint or "")


@pytest.mark.asyncio
async def test_bad_create_input_is_refused_before_sending(
    sandbox: SandboxProcess, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="starrocks_console")
    async with client(sandbox, "password", project=True) as hw:
        fe, be, _ = await single_flavors(hw, "cn-north-4a")
        body = create_body("x", "cn-north-4a", fe, be, fe_count=3, db_root_pwd="weakpass")
        body["be_volume"] = {"io_type": "SSD", "capacity_in_gb": 33}
        with pytest.raises(errors.InvalidRequest) as info:
            await hw.create_starrocks_instance(TAURUS, body)
        e = info.value
        assert e.status is None and "nothing was sent" in (e.hint or "")
        fields = e.raw["fields"]
        assert {"name", "db_root_pwd", "fe_count", "be_volume.capacity_in_gb"} <= set(fields)
        assert "weakpass" not in str(e) and "weakpass" not in repr(e.raw)
        assert requests_logged(caplog, "POST", "/starrocks") == 0

        for bad_user in (
            {"user_name": "Bad", "password": "Abc@12345", "databases": ["demo"]},
            {"user_name": "okname", "password": "okname", "databases": ["demo"]},
        ):
            with pytest.raises(errors.InvalidRequest):
                await hw.create_database_user(HTAP, bad_user)
        with pytest.raises(errors.InvalidRequest):
            await hw.update_database_user_password(HTAP, "report_reader", "short")
        with pytest.raises(errors.InvalidRequest):
            await hw.update_database_user_permission(HTAP, "report_reader")
        with pytest.raises(errors.InvalidRequest):
            await hw.resize_starrocks_flavor(HTAP)
        with pytest.raises(errors.InvalidRequest):
            await hw.list_taurus_instances(limit=101)
        assert requests_logged(caplog, "PUT", "/starrocks") == 0
        assert requests_logged(caplog, "POST", "/users") == 0


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", KINDS)
async def test_server_side_create_refusals(sandbox: SandboxProcess, kind: str) -> None:
    """Input only the service can judge (flavor ids, AZ availability, billing) is refused there,
    with its error_msg as the message."""
    async with client(sandbox, kind, project=True) as hw:
        az = "cn-north-4c"
        flavors = await hw.list_flavors()
        fe, be, _ = await single_flavors(hw, "cn-north-4a")
        sold_out = next(f for f in flavors if f.az_status.get(az) == "sellout")

        cases: list[dict[str, Any]] = [
            create_body("htap-badflavor", "cn-north-4a", fe, be, fe_flavor_id="no-such-flavor"),
            create_body("htap-soldout", az, fe, sold_out),
            create_body(
                "htap-yearly",
                "cn-north-4a",
                fe,
                be,
                pay_info={"pay_model": "1", "period": "1", "period_type": "2", "is_auto_renew": "0"},
                region_code="cn-north-4",
            ),
            create_body("htap-essd", az, fe, be, fe_volume={"io_type": "ESSD", "capacity_in_gb": 50}),
        ]
        for body in cases:
            StarRocksCreateRequest.model_validate(body)  # fine as far as the client can tell
            with pytest.raises(errors.InvalidRequest) as info:
                await hw.create_starrocks_instance(TAURUS, body)
            e = info.value
            assert e.status == 400 and (e.code or "").startswith("DBS."), e
            assert e.message == e.raw["error_msg"] and e.request_id
            assert ROOT_PASSWORD not in str(e) and ROOT_PASSWORD not in repr(e.raw)
        names = {i.name for i in (await hw.list_htap_instances(TAURUS)).instances}
        assert not names & {"htap-badflavor", "htap-soldout", "htap-yearly", "htap-essd"}


# -- changes and jobs -------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.parametrize("kind", KINDS)
async def test_lifecycle_create_resize_restart_users_delete(
    sandbox_factory: Callable[..., SandboxProcess], kind: str
) -> None:
    # Jobs that end only when the test moves the sandbox's clock: each look of wait_for moves it on.
    sp = sandbox_factory("--job-seconds", str(JOB_SECONDS))
    quarter = advancing(sp, JOB_SECONDS / 4)
    whole = advancing(sp, JOB_SECONDS)
    async with client(sp, kind) as hw:
        taurus = next(i for i in (await hw.list_taurus_instances()).instances if i.name == "taurus-reporting")
        az = f"{sp.info['huawei']['region']}a"
        fe, be, bes = await single_flavors(hw, az)

        request = StarRocksCreateRequest.model_validate(create_body("htap-life", az, fe, be))
        created = await hw.create_starrocks_instance(taurus.id, request)
        assert created.job_id and created.instance.id.endswith("in17")
        assert created.instance.name == "htap-life" and created.instance.status == "creating"
        assert created.instance.ha_mode == "Single" and created.instance.db_user == "root"
        sr_id = created.instance.id

        listed = {i.id: i for i in (await hw.list_htap_instances(taurus.id)).instances}
        assert listed[sr_id].status == "creating"

        seen: list[Job] = []
        job = await hw.wait_for(
            created.job_id, poll_interval=0.01, on_progress=advancing(sp, JOB_SECONDS / 4, seen.append)
        )
        assert job.status == "Completed" and job.instance and job.instance.id == sr_id
        statuses = [j.status for j in seen]
        assert statuses == ["Pending", "Running", "Running", "Running", "Completed"]
        assert any(j.percent is not None and 0 <= j.percent <= 100 for j in seen if j.status == "Running")
        shown = await hw.show_starrocks_instance(taurus.id, sr_id)
        assert shown.status == "normal" and not shown.busy
        assert {n.status for n in shown.nodes} == {"normal"}

        # A resize holds the instance: other changes are refused as busy until it ends.
        bigger = next(f for f in bes if f.id != be.id)
        resize_job = await hw.resize_starrocks_flavor(sr_id, be_flavor_id=bigger.id)
        busy = await hw.show_starrocks_instance(taurus.id, sr_id)
        assert busy.busy and any(a.job_id == resize_job for a in busy.actions)
        with pytest.raises(errors.Conflict) as info:
            await hw.restart_starrocks_instance(sr_id)
        e = info.value
        assert e.status == 409 and e.code == "DBS.200019" and "busy: a job is running on it" in e.message
        assert e.request_id and "wait" in (e.hint or "")
        with pytest.raises(errors.Conflict):
            await hw.delete_starrocks_instance(taurus.id, sr_id)
        await hw.wait_for(resize_job, poll_interval=0.01, on_progress=quarter)
        resized = await hw.show_starrocks_instance(taurus.id, sr_id)
        assert bigger.id in {n.flavor_id for n in resized.nodes_of("be")}

        await hw.wait_for(await hw.restart_starrocks_instance(sr_id), poll_interval=0.01, on_progress=whole)
        node = resized.nodes[0]
        node_job = await hw.wait_for(
            await hw.restart_starrocks_node(sr_id, node.id), poll_interval=0.01, on_progress=whole
        )
        assert node_job.status == "Completed"

        # Database users (on the seeded instance, whose catalog has the demo database).
        user = f"app_{kind}"
        assert await hw.create_database_user(
            HTAP, {"user_name": user, "password": "Abc@12345", "databases": ["demo"], "dml": 1}
        )
        found = (await hw.list_database_users(HTAP, user_name=user)).user_details
        assert [(u.user_name, u.data_bases, u.dml, u.ddl) for u in found] == [(user, ["demo"], 1, 0)]
        await hw.update_database_user_password(HTAP, user, SecretStr("Xyz#98765"))
        await hw.update_database_user_permission(HTAP, user, dml=0, ddl=1)
        changed = (await hw.list_database_users(HTAP, user_name=user)).user_details[0]
        assert (changed.dml, changed.ddl) == (0, 1)
        with pytest.raises(errors.InvalidRequest) as info:
            await hw.create_database_user(
                HTAP, {"user_name": "app_x", "password": "Abc@12345", "databases": ["nodb"]}
            )
        assert "nodb" in info.value.message
        await hw.delete_database_user(HTAP, user)
        assert user not in [u.user_name for u in (await hw.list_database_users(HTAP)).user_details]
        with pytest.raises(errors.ApiError):
            await hw.delete_database_user(HTAP, user)

        workflow = await hw.delete_starrocks_instance(taurus.id, sr_id)
        done = await hw.wait_for(workflow, poll_interval=0.01, on_progress=whole)
        assert done.status == "Completed"
        with pytest.raises(errors.NotFound):
            await hw.show_starrocks_instance(taurus.id, sr_id)
        assert sr_id not in {i.id for i in (await hw.list_htap_instances(taurus.id)).instances}


@pytest.mark.slow
@pytest.mark.asyncio
async def test_wait_for_times_out_and_can_be_cancelled(
    sandbox_factory: Callable[..., SandboxProcess],
) -> None:
    sp = sandbox_factory("--job-seconds", "30")
    async with client(sp, "aksk", project=True) as hw:
        job_id = await hw.restart_starrocks_instance(HTAP)
        with pytest.raises(errors.OperationTimeout) as info:
            await hw.wait_for(job_id, timeout=0.4, poll_interval=0.05)
        e = info.value
        assert job_id in e.message and "still be running" in (e.hint or "")
        assert e.raw["status"] in ("Pending", "Running")

        progress: list[Job] = []

        async def note(job: Job) -> None:
            progress.append(job)

        task = asyncio.create_task(hw.wait_for(job_id, poll_interval=0.05, on_progress=note))
        deadline = time.monotonic() + 30
        while not progress:
            assert time.monotonic() < deadline, "the wait never reported the job"
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # Cancelling stopped the waiting, not the job.
        assert (await hw.get_job(job_id)).status in ("Pending", "Running")
        sr = await hw.show_starrocks_instance(TAURUS, HTAP)
        assert sr.busy


@pytest.mark.slow
@pytest.mark.asyncio
async def test_at_most_five_htap_instances(sandbox_factory: Callable[..., SandboxProcess]) -> None:
    sp = sandbox_factory()
    async with client(sp, "password") as hw:
        fe, be, _ = await single_flavors(hw, "cn-north-4a")
        existing = (await hw.list_htap_instances(TAURUS)).total
        for n in range(5 - existing):
            await hw.create_starrocks_instance(TAURUS, create_body(f"htap-more{n}", "cn-north-4a", fe, be))
        with pytest.raises(errors.ApiError) as info:
            await hw.create_starrocks_instance(TAURUS, create_body("htap-sixth", "cn-north-4a", fe, be))
        e = info.value
        assert e.status is not None and 400 <= e.status < 500 and e.code and e.message
        assert (await hw.list_htap_instances(TAURUS)).total == 5
